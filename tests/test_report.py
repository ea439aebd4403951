"""Tests of course_utils.report: the metrics JSON files and the course table."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_utils import report


@pytest.fixture()
def metrics_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_METRICS_DIR", str(tmp_path / "metrics"))
    return tmp_path / "metrics"


def test_record_writes_json_with_plain_numbers(metrics_folder):
    path = report.record(
        "01_bahdanau",
        aer_attention=np.float32(0.25),
        steps=torch.tensor(3),
        ok=True,
        runtime_s=12.5,
    )
    assert path == metrics_folder / "01_bahdanau.json"
    data = json.loads(path.read_text())
    assert data == {"aer_attention": 0.25, "ok": True, "runtime_s": 12.5, "steps": 3}


def test_record_rejects_bad_names_and_values(metrics_folder):
    with pytest.raises(ValueError, match="notebook id"):
        report.record("../evil", x=1)
    with pytest.raises(ValueError, match="at least one metric"):
        report.record("02_dot_product")
    with pytest.raises(TypeError, match="metric 'name' must be a number or bool, got str"):
        report.record("02_dot_product", name="fast")
    with pytest.raises(ValueError, match="metric 'loss' must be finite"):
        report.record("02_dot_product", loss=float("nan"))
    with pytest.raises(TypeError, match="metric 'vec' must be a scalar"):
        report.record("02_dot_product", vec=torch.ones(3))


def test_load_all_and_table(metrics_folder):
    report.record("02_dot_product", max_abs_diff_vs_sdpa=1e-7, runtime_s=20.0)
    report.record("01_bahdanau", aer_attention=0.05, frontier_monotone=False)
    everything = report.load_all()
    assert list(everything) == ["01_bahdanau", "02_dot_product"]
    table = report.metrics_table(everything, {"01_bahdanau": 150.2})
    lines = table.splitlines()
    assert lines[0].split() == ["notebook", "run", "time", "metrics"]
    assert "01_bahdanau" in lines[2] and "150 s" in lines[2] and "frontier_monotone=no" in lines[2]
    assert "max_abs_diff_vs_sdpa=1e-07" in lines[3]


def test_the_readme_run_time_table_is_written_from_two_runs(tmp_path):
    cold = {"01_bahdanau": {"runtime_s": 160.4, "aer": 0.3}, "02_dot_product": {"runtime_s": 12.0}}
    warm = {"01_bahdanau": {"runtime_s": 9.6}}
    table = report.run_time_table(cold, warm)
    assert table.splitlines()[2:] == [
        "| 01_bahdanau | 160 s | 10 s |",
        "| 02_dot_product | 12 s | not run |",
        "| all | 2.9 min | 0.2 min |",
    ]
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.RUN_TIMES_BEGIN}\nold\n{report.RUN_TIMES_END}\nrest\n")
    report.update_run_times(readme, table)
    assert (
        readme.read_text()
        == f"intro\n{report.RUN_TIMES_BEGIN}\n{table}\n{report.RUN_TIMES_END}\nrest\n"
    )
    other = tmp_path / "OTHER.md"
    other.write_text("no table here\n")
    with pytest.raises(ValueError, match="no run-time block"):
        report.update_run_times(other, table)


def test_the_readme_has_a_measured_run_time_for_every_notebook():
    from course_utils.paths import lesson_id, lesson_notebooks, repo_root

    text = (repo_root() / "README.md").read_text(encoding="utf-8")
    block = text[text.index(report.RUN_TIMES_BEGIN) : text.index(report.RUN_TIMES_END)]
    notebooks = [lesson_id(p) for p in lesson_notebooks(repo_root() / "notebooks")]
    rows = [line for line in block.splitlines() if line.startswith("| 0")]
    assert [lesson_id(row.split("|")[1].strip()) for row in rows] == notebooks
    assert all(row.count(" s |") == 2 for row in rows), rows
