"""The package's shape: folders by layer, no import cycle, ``__all__`` everywhere, no shadowing.

Imports inside functions count as imports here: a cycle hidden in a function body is still a
cycle for a reader who follows the code.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils
from course_utils.paths import lesson_id, lesson_notebooks

PACKAGE = Path(course_utils.__file__).parent
MODULE_FILES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = ("course_utils", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every ``course_utils`` module that ``path`` imports, at any depth of its code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    return imports_in(path.read_text(encoding="utf-8"), package) - {name}


def imports_in(source: str, package: str) -> set[str]:
    """The ``course_utils`` modules that ``source`` (a module of ``package``) imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("course_utils")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("course_utils"):
                continue
            found.add(target)
            for alias in node.names:  # `from . import en_ru` imports a module
                if f"{target}.{alias.name}" in ALL_MODULES:
                    found.add(f"{target}.{alias.name}")
    return found


ALL_MODULES = {module_name(p) for p in MODULE_FILES}


def import_graph() -> dict[str, set[str]]:
    """Module -> the course modules it imports; a package's ``__init__`` counts as a parent."""
    return {module_name(p): imported_modules(p) & ALL_MODULES for p in MODULE_FILES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_inside_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_sees_an_import_hidden_in_a_function():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    hidden = "def f():\n    from . import en_ru\n    from ..metrics import bleu\n"
    assert imports_in(hidden, "course_utils.corpora") == {
        "course_utils.corpora",
        "course_utils.corpora.en_ru",
        "course_utils.metrics",
    }


MODULES_WITH_API = [p for p in MODULE_FILES if p.name not in ("__init__.py", "__main__.py")]


@pytest.mark.parametrize("path", MODULES_WITH_API, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_declares_all(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    declared = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "__all__" for t in node.targets)
    ]
    assert declared, f"{path.relative_to(PACKAGE)} has no __all__"
    module = importlib.import_module(module_name(path))
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module.__name__}.__all__ names missing objects: {missing}"


def test_no_module_shadows_the_standard_library_or_a_dependency():
    dependencies = {"torch", "numpy", "pandas", "datasets", "tokenizers", "transformers", "peft"}
    clashes = sorted(
        str(p.relative_to(PACKAGE))
        for p in MODULE_FILES
        if p.stem in sys.stdlib_module_names or p.stem in dependencies
    )
    assert not clashes, f"modules named like a standard-library or dependency module: {clashes}"


def test_the_top_level_holds_the_kit_and_the_rest_lives_in_layer_folders():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert folders == ["corpora", "methods", "models", "nn"]


def test_importing_the_package_is_light():
    """``import course_utils`` (and each subpackage) loads no torch model and reads no file."""
    code = (
        "import sys, course_utils, course_utils.nn, course_utils.models, "
        "course_utils.corpora, course_utils.methods; "
        "print(sorted(m for m in sys.modules if m.startswith('course_utils')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a printed list of module names
    assert loaded == [
        "course_utils",
        "course_utils.corpora",
        "course_utils.methods",
        "course_utils.models",
        "course_utils.nn",
    ]


def test_introduced_in_lines_name_real_notebooks():
    notebooks = {lesson_id(p) for p in lesson_notebooks(PACKAGE.parent / "notebooks")}
    for path in MODULE_FILES:
        for number in re.findall(r"[Ii]ntroduced in notebooks? (\d\d[a-z]?)", path.read_text()):
            assert number in notebooks, f"{path.relative_to(PACKAGE)} cites notebook {number}"


def test_introduced_in_names_the_first_notebook_that_imports_the_module():
    """A module docstring's first "Introduced in notebook NN" is the first notebook using it."""
    code = {}
    for path in lesson_notebooks(PACKAGE.parent / "notebooks"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code[lesson_id(path)] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "code"
        )
    wrong = []
    for path in MODULES_WITH_API:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        claim = re.search(r"[Ii]ntroduced in notebooks? (\d\d[a-z]?)", doc)
        if claim is None:
            continue
        name = module_name(path)
        package, short = name.rsplit(".", 1)
        pattern = (
            rf"from {re.escape(package)} import [^\n]*\b{short}\b|from {re.escape(name)} import"
        )
        users = [number for number, source in code.items() if re.search(pattern, source)]
        if users and users[0] != claim.group(1):
            wrong.append(f"{name}: says {claim.group(1)}, first imported in {users[0]}")
    assert not wrong, wrong
