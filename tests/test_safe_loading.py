"""Every ``torch.load`` in the package, the benchmarks and the notebooks passes
``weights_only=True``: a checkpoint is data, and loading it must never run code from it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def unsafe_loads(source: str, where: str) -> list[str]:
    """``where:line`` of every ``torch.load(...)`` call without ``weights_only=True``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "load" or getattr(node.func.value, "id", None) != "torch":
            continue
        safe = any(
            kw.arg == "weights_only"
            and isinstance(kw.value, ast.Constant)
            and kw.value.value is True
            for kw in node.keywords
        )
        if not safe:
            found.append(f"{where}:{node.lineno}")
    return found


def files() -> list[Path]:
    folders = ("course_utils", "benchmarks", "scripts")
    return [p for f in folders for p in sorted((ROOT / f).rglob("*.py"))] + sorted(
        (ROOT / "notebooks").glob("*.ipynb")
    )


def code_of(path: Path) -> list[tuple[str, str]]:
    """``(where, source)`` of a Python file, or of every code cell of a notebook."""
    name = str(path.relative_to(ROOT))
    if path.suffix == ".py":
        return [(name, path.read_text(encoding="utf-8"))]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (f"{name} cell {k}", "".join(cell["source"]))
        for k, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        and not "".join(cell["source"]).lstrip().startswith(("%", "!"))
    ]


def test_the_checker_finds_an_unsafe_load():
    code = "import torch\ntorch.load('a.pt')\ntorch.load('b.pt', weights_only=True)\n"
    assert unsafe_loads(code, "x.py") == ["x.py:2"]


@pytest.mark.parametrize("path", files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_torch_load_is_weights_only(path):
    assert [hit for where, source in code_of(path) for hit in unsafe_loads(source, where)] == []


LOADERS = re.compile(
    r"load_minilm|load_smollm2|from_pretrained|get_peft_model|train_or_load|gru_translator|small_bert\("
)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_model_is_loaded_in_an_output_checked_cell(path):
    """Loading prints library messages that change between versions: never in a checked cell."""
    hits = [
        where
        for where, source in code_of(path)
        if "NBVAL_CHECK_OUTPUT" in source and LOADERS.search(source)
    ]
    assert hits == []
