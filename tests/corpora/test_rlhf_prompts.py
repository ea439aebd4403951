"""Tests for course_utils.corpora.rlhf_prompts."""

from __future__ import annotations

from course_utils.corpora.rlhf_prompts import (
    PROMPTS_FILE,
    generate_prompts,
    load_prompts,
    write_prompts,
)
from course_utils.paths import data_dir


def test_prompts_deterministic_and_split():
    rows = generate_prompts()
    assert rows == generate_prompts() and len(rows) == 80
    assert sum(r["split"] == "test" for r in rows) == 16
    assert all(len(r["prompt"].split()) == 3 for r in rows)
    data = load_prompts()
    assert len(data["train"]) == 64 and len(data["test"]) == 16


def test_committed_prompts_match_generator(tmp_path):
    committed = (data_dir() / PROMPTS_FILE).read_text(encoding="utf-8")
    fresh = write_prompts(path=tmp_path / PROMPTS_FILE).read_text(encoding="utf-8")
    assert committed == fresh
