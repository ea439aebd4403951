"""Tests of the extractive-QA helpers (course_utils.corpora.qa)."""

import pytest
import torch

from course_utils.corpora.qa import best_span, char_to_token_span, generate_passages, load_qa
from course_utils.metrics import exact_match, f1_score, normalize_answer


def test_generated_answers_are_spans():
    rows = generate_passages(50, seed=3)
    assert rows == generate_passages(50, seed=3)
    for row in rows:
        for qa in row["qas"]:
            start = qa["answer_start"]
            assert row["context"][start : start + len(qa["answer"])] == qa["answer"]
    assert sum(r["split"] == "test" for r in rows) == 10


def test_committed_file_loads():
    data = load_qa()
    assert set(data) == {"train", "test"}
    assert not set(data["train"]["context"]) & set(data["test"]["context"])
    row = data["test"][0]
    assert row["context"][row["answer_start"] :].startswith(row["answer"])


def test_char_to_token_span():
    offsets = torch.tensor([[0, 0], [0, 5], [0, 0], [0, 4], [5, 8], [8, 9], [0, 0]])
    types = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    assert char_to_token_span(offsets, types, 5, 9) == (4, 5)
    assert char_to_token_span(offsets, types, 0, 4) == (3, 3)
    assert char_to_token_span(offsets, types, 20, 25) == (0, 0)
    with pytest.raises(ValueError):
        char_to_token_span(offsets, types, 5, 5)


def test_best_span():
    start = torch.tensor([9.0, 0.0, 1.0, 3.0, 0.0])
    end = torch.tensor([9.0, 0.0, 0.0, 0.0, 2.0])
    allowed = torch.tensor([False, True, True, True, True])
    assert best_span(start, end, allowed) == (3, 4)
    assert best_span(start, end, allowed, max_len=1) == (3, 3)


def test_metrics():
    assert normalize_answer("The  City Hospital!") == "city hospital"
    assert exact_match("the City Hospital", "City Hospital") == 1.0
    assert exact_match("Hospital", "City Hospital") == 0.0
    assert f1_score("Hospital", "City Hospital") == pytest.approx(2 / 3)
    assert f1_score("piano", "violin") == 0.0


def test_grouped_passages_keep_each_person_together():
    from course_utils.corpora.qa import _NAMES

    for row in generate_passages(5, seed=1, interleave=False):
        sentences = row["context"].split(". ")
        owners = [next(n for n in _NAMES if f"{n} " in s or f"{n}'" in s) for s in sentences]
        changes = sum(a != b for a, b in zip(owners, owners[1:], strict=False))
        assert len(owners) == 5 and changes == 1  # one block per person


def test_question_and_answer_kinds():
    from course_utils.corpora.qa import FACT_KINDS, answer_kind, question_kind

    assert question_kind("When was Anna born?") == "year"
    assert question_kind("Where was Anna born?") == "city"
    assert question_kind("Where does Anna work?") == "org"
    assert question_kind("What does Anna play in the evenings?") == "instrument"
    with pytest.raises(ValueError, match="not a question"):
        question_kind("Who is Anna?")
    assert answer_kind("1987") == "year" and answer_kind("the Green Farm.") == "org"
    assert answer_kind("double bass") == "instrument" and answer_kind("Anna") == "other"
    for row in generate_passages(40, seed=2):  # every generated question and answer has a kind
        for qa in row["qas"]:
            assert question_kind(qa["question"]) == answer_kind(qa["answer"]) in FACT_KINDS
