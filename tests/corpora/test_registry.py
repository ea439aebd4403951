"""The one registry of generated data files, its ``--check``, and the JSON-lines helper."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_utils.corpora import registry, wordpiece_vocab
from course_utils.corpora.jsonl import ensure_file, jsonl_text, read_jsonl, write_jsonl
from course_utils.paths import data_dir


def test_every_committed_data_file_has_a_generator():
    committed = {p.name for p in data_dir().glob("*.json*")}
    assert committed == set(registry.all_generators()) | {wordpiece_vocab.VOCAB_FILE}


def test_check_command_confirms_every_committed_file():
    result = subprocess.run(
        [sys.executable, "-m", "course_utils.corpora", "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("matches its generator") == len(registry.all_generators())
    assert result.stdout.count("matches its training text") == 1


def test_check_reports_a_changed_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    name = "rlhf_prompts.jsonl"
    write_jsonl(registry.all_generators()[name](), tmp_path / name)
    assert registry.check_file(name)
    (tmp_path / name).write_text('{"id": 0}\n', encoding="utf-8")
    assert not registry.check_file(name)


def test_jsonl_round_trip_keeps_cyrillic_readable(tmp_path):
    records = [{"en": "the cat", "ru": "кошка"}, {"n": 2}]
    path = write_jsonl(records, tmp_path / "sub" / "x.jsonl")
    assert "кошка" in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8") == jsonl_text(records)
    assert read_jsonl(path) == records


def test_read_jsonl_names_file_and_line_of_a_bad_record(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2 is not valid JSON"):
        read_jsonl(path)
    path.write_text('{"a": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1 lacks the fields \['b'\]"):
        read_jsonl(path, required=("a", "b"))


def test_ensure_file_regenerates_or_says_how(tmp_path):
    target = tmp_path / "made.jsonl"
    assert ensure_file(target, lambda: [{"x": 1}]) == target
    assert read_jsonl(target) == [{"x": 1}]
    with pytest.raises(FileNotFoundError, match="python -m course_utils.corpora"):
        ensure_file(tmp_path / "missing.jsonl", generator=None)
