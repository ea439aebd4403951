"""Tests of the headless course runner (course_utils.run_course)."""

from __future__ import annotations

import json

import nbformat
import pytest

from course_utils import run_course


def test_notebook_paths_selects_by_prefix(tmp_path):
    for name in ["01_a.ipynb", "02_b.ipynb", "10_c.ipynb", "_scratch.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in run_course.notebook_paths(folder=tmp_path)] == [
        "01_a.ipynb",
        "02_b.ipynb",
        "10_c.ipynb",
    ]
    assert [p.name for p in run_course.notebook_paths(["02"], folder=tmp_path)] == ["02_b.ipynb"]
    with pytest.raises(ValueError, match=r"no notebook in .* starts with any of \['07'\]"):
        run_course.notebook_paths(["07"], folder=tmp_path)


def test_execute_notebook_records_metrics(tmp_path, monkeypatch):
    """A two-cell notebook runs in its own folder and its record() call lands in the metrics dir."""
    monkeypatch.setenv("COURSE_METRICS_DIR", str(tmp_path / "metrics"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from pathlib import Path\nhere = Path.cwd().name"),
        nbformat.v4.new_code_cell(
            "from course_utils.report import record\n"
            "record('99_test', answer=42, cwd_is_notebook_dir=(here == 'nbs'))\nprint('done')"
        ),
    ]
    (tmp_path / "nbs").mkdir()
    source = tmp_path / "nbs" / "99_test.ipynb"
    nbformat.write(nb, source)
    seconds = run_course.execute_notebook(source, tmp_path / "out" / "99_test.ipynb", timeout=120)
    assert seconds > 0
    executed = nbformat.read(tmp_path / "out" / "99_test.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "done\n"
    metrics = json.loads((tmp_path / "metrics" / "99_test.json").read_text())
    assert metrics == {"answer": 42, "cwd_is_notebook_dir": True}


def test_a_stored_progress_bar_shows_its_final_state_and_a_panel_says_what_it_is(tmp_path):
    """Executed headless, a tqdm bar is a widget; its stored text is the bar's end, not 0%."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from tqdm.auto import tqdm\n"
            "bar = tqdm(range(40), desc='train')\n"
            "for i in bar:\n"
            "    bar.set_postfix(loss=1.0 / (i + 1))"
        ),
        nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.VBox([ipywidgets.Button()])"),
    ]
    path, out_path = tmp_path / "01_bars.ipynb", tmp_path / "out" / "01_bars.ipynb"
    nbformat.write(nb, path)
    run_course.execute_notebook(path, out_path, timeout=120)
    stored = json.loads(out_path.read_text(encoding="utf-8"))
    assert "widgets" not in stored["metadata"]
    (bar,), (panel,) = (cell["outputs"] for cell in stored["cells"])
    assert set(bar["data"]) == {"text/plain"} == set(panel["data"])
    text = "".join(bar["data"]["text/plain"])
    assert text.startswith("train: 100%|██████████| 40/40 [") and text.endswith("loss=0.025]"), text
    assert "".join(panel["data"]["text/plain"]) == run_course.PANEL_TEXT
