"""Tests for course_utils.corpora.summaries (notebook 06): generator, loader, ROUGE."""

from __future__ import annotations

import json
import re

import pytest

from course_utils.corpora.summaries import (
    SPLIT_SIZES,
    SUMMARIES_FILE,
    generate_summaries,
    load_summaries,
)
from course_utils.metrics import rouge, rouge_l
from course_utils.paths import data_dir


@pytest.fixture(scope="module")
def records():
    return generate_summaries()


def test_committed_file_matches_generator(records):
    path = data_dir() / SUMMARIES_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records


def test_splits_unique_and_deterministic(records):
    counts = {split: sum(r["split"] == split for r in records) for split in SPLIT_SIZES}
    assert counts == SPLIT_SIZES
    assert len({r["document"] for r in records}) == len(records)
    assert generate_summaries(seed=1, split_sizes={"train": 5}) == generate_summaries(
        seed=1, split_sizes={"train": 5}
    )
    assert generate_summaries(seed=1, split_sizes={"train": 5}) != generate_summaries(
        seed=2, split_sizes={"train": 5}
    )
    with pytest.raises(ValueError, match="split_sizes"):
        generate_summaries(split_sizes={"train": -1})


def test_summaries_follow_the_facts(records):
    """The summary states what the numbers in the document imply."""
    for r in records:
        doc, summary = r["document"], r["summary"]
        assert summary.endswith(" .") and len(summary.split()) <= 12
        if r["kind"] == "match":
            home, away = re.search(r"the (\w+) played the (\w+) in", doc).groups()
            a, b = map(int, re.search(r"final score was (\d) to (\d)", doc).groups())
            winner = home if a > b else away
            assert summary.startswith(f"the {winner} beat"), (doc, summary)
            assert f"{max(a, b)} - {min(a, b)}" in summary
        elif r["kind"] == "vote":
            yes, no = map(int, re.search(r"(\d) members voted for the plan and (\d)", doc).groups())
            assert ("approved" if yes > no else "rejected") in summary
        elif r["kind"] == "company":
            after, before = map(
                int, re.search(r"sales were (\d+) million .* (\d+) million", doc).groups()
            )
            assert ("rise" if after > before else "fall") in summary
            assert f"to {after} million" in summary
        elif r["kind"] == "storm":
            homes = re.search(r"about (\d+) homes", doc).group(1)
            assert summary.startswith(f"storm leaves {homes} homes")
        else:
            assert r["kind"] == "school"
            money = re.search(r"raised (\d+) dollars", doc).group(1)
            assert f"raises {money} dollars" in summary


def test_loader(tmp_path):
    ds = load_summaries()
    assert {name: ds[name].num_rows for name in ds} == SPLIT_SIZES
    row = ds["train"][0]
    assert row["doc_tokens"] == row["document"].split()
    path = tmp_path / "s.jsonl"
    with pytest.raises(FileNotFoundError, match="python -m course_utils.corpora"):
        load_summaries(path, regenerate=False)
    path.write_text('{"id": 0, "split": "train"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the fields"):
        load_summaries(path)


def test_rouge_hand_computed():
    # LCS("a b c d", "a c d e") = "a c d": P = R = 3/4 -> F = 0.75
    assert rouge_l(["a b c d"], ["a c d e"]) == pytest.approx(0.75)
    assert rouge_l([["a", "b"]], ["a b"]) == pytest.approx(1.0)
    # mean over pairs: (1 + 0) / 2
    assert rouge_l(["x y", "p q"], ["x y", "r s"]) == pytest.approx(0.5)
    scores = rouge(["the cat sat"], ["the cat ran"])
    assert scores["rouge1"] == pytest.approx(2 / 3)
    assert scores["rouge2"] == pytest.approx(0.5)  # bigrams: "the cat" of 2
    assert scores["rougeL"] == pytest.approx(2 / 3)


def test_rouge_bad_input():
    with pytest.raises(ValueError, match="same length"):
        rouge_l(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        rouge_l([], [])
    with pytest.raises(TypeError, match="single str"):
        rouge_l("a b", "a b")
    with pytest.raises(TypeError, match=r"hyps\[0\]"):
        rouge_l([3], ["a"])
