"""A stored notebook reads as a finished lecture: the course's own quality gate.

Each check reads the stored ``.ipynb`` (no kernel runs): progress bars show their final state,
no absolute path or control character, figures at a projector's resolution, no bare widget or
boolean repr, no development talk in the prose, headings that do not skip a level, small files.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)
MAX_BYTES = 1_500_000
MIN_DPI = 110
# Phrases of a developer talking to a developer; "target" alone is fine (the target language).
DEVELOPMENT_PHRASES = re.compile(
    r"\bthe issue\b|\bissue \d|\bnot met\b|\bduring development\b|\btargets? (?:was|were|is|are) "
    r"(?:not )?(?:met|reached|missed)\b|\bthe stored run shared\b|\bTODO\b|\bFIXME\b",
    re.IGNORECASE,
)
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:home|root|work|tmp|Users|private|var/folders)/\S+")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PROGRESS_BAR = re.compile(r"(\d+)%\|[^|]*\|\s*(\d+)/(\d+)")
BARE_REPR = re.compile(r"^(?:True|False|None|(?:VBox|HBox|Box|Button|HTML|Output)\(.*)$", re.S)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text_outputs(cell: dict) -> list[str]:
    """Every text an output shows: streams, plain text and HTML/markdown."""
    found = []
    for out in cell.get("outputs", []):
        if "text" in out:
            found.append("".join(out["text"]))
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                found.append("".join(value))
    return found


def markdown_outside_code(source: str) -> str:
    """Markdown without its fenced blocks, inline code spans and math."""
    source = re.sub(r"```.*?```", "", source, flags=re.S)
    source = re.sub(r"`[^`\n]*`", "", source)
    return re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", "", source, flags=re.S)


def png_dpi(png: bytes) -> float | None:
    """Horizontal resolution from a PNG's pHYs chunk (dots per inch), ``None`` without one."""
    pos = 8
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"pHYs":
            per_unit_x, _, unit = struct.unpack(">IIB", png[pos + 8 : pos + 17])
            return per_unit_x * 0.0254 if unit == 1 else None
        if kind == b"IDAT":
            return None
        pos += 12 + length
    return None


# ---- the checks: each returns a list of "cell N: what is wrong" ------------------------------


def unfinished_progress_bars(path: Path) -> list[str]:
    problems = []
    for k, cell in enumerate(cells(path)):
        for text in text_outputs(cell):
            for line in text.split("\n"):
                line = line.rstrip("\r").rsplit("\r", 1)[-1]  # what "\r" leaves on screen
                bars = PROGRESS_BAR.findall(line)
                if bars and bars[-1][1] != bars[-1][2]:
                    problems.append(f"cell {k}: progress bar left at {line.strip()[:60]!r}")
    return problems


def absolute_paths(path: Path) -> list[str]:
    return [
        f"cell {k}: {match.group(0)[:60]}"
        for k, cell in enumerate(cells(path))
        for text in text_outputs(cell)
        for match in ABSOLUTE_PATH.finditer(text)
    ]


def control_characters(path: Path) -> list[str]:
    problems = []
    for k, cell in enumerate(cells(path)):
        source = "".join(cell["source"])
        if CONTROL_CHARACTER.search(source):  # "\alpha" in a plain string is a BEL + "lpha"
            problems.append(f"cell {k}: a control character")
        if cell["cell_type"] == "markdown" and "\\n" in markdown_outside_code(source):
            problems.append(f"cell {k}: a literal \\n")
    return problems


def low_resolution_figures(path: Path) -> list[str]:
    problems = []
    for k, cell in enumerate(cells(path)):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            dpi = png_dpi(base64.b64decode("".join(png)))
            if dpi is None or dpi < MIN_DPI - 0.5:
                problems.append(f"cell {k}: figure at {dpi and round(dpi)} dpi")
    return problems


def bare_reprs(path: Path) -> list[str]:
    problems = []
    for k, cell in enumerate(cells(path)):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if set(data) - {"text/plain"}:
                continue  # a figure's or widget's text fallback next to the real thing
            text = "".join(data.get("text/plain", "")).strip()
            if text and BARE_REPR.match(text):
                problems.append(f"cell {k}: bare output {text[:40]!r}")
    return problems


def development_language(path: Path) -> list[str]:
    return [
        f"cell {k}: {match.group(0)!r}"
        for k, cell in enumerate(cells(path))
        if cell["cell_type"] == "markdown"
        for match in DEVELOPMENT_PHRASES.finditer("".join(cell["source"]))
    ]


def skipped_heading_levels(path: Path) -> list[str]:
    problems, level = [], 0
    for k, cell in enumerate(cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        for line in markdown_outside_code("".join(cell["source"])).splitlines():
            match = re.match(r"(#{1,6}) ", line)
            if match:
                new = len(match.group(1))
                if new > level + 1:
                    problems.append(
                        f"cell {k}: {line.strip()[:50]!r} after a level-{level} heading"
                    )
                level = new
    return problems


def oversized(path: Path) -> list[str]:
    size = path.stat().st_size
    return [f"{size / 1e6:.2f} MB (at most {MAX_BYTES / 1e6:.1f} MB)"] if size > MAX_BYTES else []


CHECKS = [
    unfinished_progress_bars,
    absolute_paths,
    control_characters,
    low_resolution_figures,
    bare_reprs,
    development_language,
    skipped_heading_levels,
    oversized,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook(path, check):
    problems = check(path)
    assert not problems, f"{path.name}: " + "; ".join(problems)


def png_with_dpi(dpi: int) -> str:
    per_metre = round(dpi / 0.0254)
    body = struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I4s", len(body), b"pHYs") + body + b"\0\0\0\0"
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()


def write_notebook(tmp_path: Path, *cell_list: dict) -> Path:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": list(cell_list)}), encoding="utf-8")
    return path


def code_cell(*outputs: dict, source: str = "x = 1") -> dict:
    return {"cell_type": "code", "source": source, "outputs": list(outputs)}


def markdown_cell(source: str) -> dict:
    return {"cell_type": "markdown", "source": source}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": text}


def test_each_check_finds_its_defect(tmp_path):
    bar = "train:   0%|          | 0/300 [00:00<?, ?it/s]"
    done = "train: 100%|##########| 300/300 [00:58<00:00, 5.1it/s, loss=1.82]"
    assert unfinished_progress_bars(write_notebook(tmp_path, code_cell(stream(bar))))
    assert not unfinished_progress_bars(
        write_notebook(tmp_path, code_cell(stream(bar + "\r" + done)))
    )
    assert absolute_paths(write_notebook(tmp_path, code_cell(stream("saved /home/ann/x.pt\n"))))
    assert not absolute_paths(write_notebook(tmp_path, code_cell(stream("saved .cache/x.pt\n"))))
    assert control_characters(write_notebook(tmp_path, markdown_cell("$\alpha_{ij}$ is \x07lpha")))
    assert control_characters(write_notebook(tmp_path, markdown_cell("a literal \\n here")))
    assert not control_characters(write_notebook(tmp_path, markdown_cell("`split('\\n')`")))
    low, high = (
        code_cell({"output_type": "display_data", "data": {"image/png": png_with_dpi(d)}})
        for d in (72, 120)
    )
    assert low_resolution_figures(write_notebook(tmp_path, low))
    assert not low_resolution_figures(write_notebook(tmp_path, high))
    boolean = {"output_type": "execute_result", "data": {"text/plain": "False"}}
    assert bare_reprs(write_notebook(tmp_path, code_cell(boolean)))
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure>", "image/png": ""}}
    assert not bare_reprs(write_notebook(tmp_path, code_cell(figure)))
    assert development_language(write_notebook(tmp_path, markdown_cell("The target was not met.")))
    assert not development_language(write_notebook(tmp_path, markdown_cell("the target language")))
    skipped = write_notebook(tmp_path, markdown_cell("# Title\n### Too deep"))
    assert skipped_heading_levels(skipped)
    assert not skipped_heading_levels(write_notebook(tmp_path, markdown_cell("# T\n## A\n### B")))
