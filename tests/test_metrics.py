"""Tests for course_utils.metrics: token accuracy by hand, length bins, BLEU against sacrebleu."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu

from course_utils.metrics import accuracy_by_length_bin, bleu, length_bins, token_accuracy


def test_token_accuracy_hand_cases():
    assert token_accuracy([["a", "b", "c"]], [["a", "b", "c"]]) == 1.0
    # one substitution out of 3 positions
    assert token_accuracy([["a", "x", "c"]], [["a", "b", "c"]]) == pytest.approx(2 / 3)
    # a missing word shifts the rest: only "a" matches, 3 positions counted
    assert token_accuracy([["a", "c"]], [["a", "b", "c"]]) == pytest.approx(1 / 3)
    # extra words cost too: max(5, 3) = 5 positions, 3 correct
    assert token_accuracy([["a", "b", "c", "d", "e"]], [["a", "b", "c"]]) == pytest.approx(3 / 5)
    # an empty hypothesis gets nothing right
    assert token_accuracy([[]], [["a"]]) == 0.0


def test_token_accuracy_pools_counts_over_the_corpus():
    hyps = [["a"], ["a", "x", "x", "x"]]
    refs = [["a"], ["a", "b", "c", "d"]]
    # (1 + 1) / (1 + 4) = 0.4, not the mean of sentence accuracies (0.625)
    assert token_accuracy(hyps, refs) == pytest.approx(0.4)


def test_token_accuracy_bad_input():
    with pytest.raises(ValueError, match="same length"):
        token_accuracy([["a"]], [["a"], ["b"]])
    with pytest.raises(TypeError, match=r"hyps\[0\] must be a list of tokens.*split"):
        token_accuracy(["a b"], [["a", "b"]])
    with pytest.raises(ValueError, match=r"refs \[1\] are empty"):
        token_accuracy([["a"], ["b"]], [["a"], []])
    with pytest.raises(ValueError, match="at least one"):
        token_accuracy([], [])


def test_length_bins_equal_size_by_rank():
    lengths = [5, 1, 9, 3, 7, 2]
    np.testing.assert_array_equal(length_bins(lengths, 3), [1, 0, 2, 1, 2, 0])
    bins = length_bins(list(range(10)), 3)
    assert np.bincount(bins).tolist() == [4, 3, 3]
    with pytest.raises(ValueError, match="num_bins"):
        length_bins([1, 2], 3)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        length_bins([], 3)


def test_accuracy_by_length_bin_table():
    refs = [["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"], ["x"] * 5, ["y"] * 6]
    hyps = [["a"], ["a", "b"], ["a", "b", "z"], ["a", "z", "z", "z"], ["x"] * 5, ["z"] * 6]
    table = accuracy_by_length_bin(hyps, refs, lengths=[len(r) for r in refs])
    assert table["bin"].tolist() == ["shortest", "middle", "longest"]
    assert table["sentences"].tolist() == [2, 2, 2]
    assert table["min_len"].tolist() == [1, 3, 5]
    assert table["max_len"].tolist() == [2, 4, 6]
    np.testing.assert_allclose(table["accuracy"], [1.0, 3 / 7, 5 / 11])
    with pytest.raises(ValueError, match="lengths has 1 entries"):
        accuracy_by_length_bin(hyps, refs, lengths=[1])


def test_bleu_matches_sacrebleu_and_accepts_tokens_or_text():
    hyps = [["кошка", "видит", "собаку", "."], ["мальчик", "нашёл", "ключ", "."]]
    refs = [["кошка", "видит", "собаку", "."], ["мальчик", "нашёл", "книгу", "."]]
    expected = sacrebleu.corpus_bleu(
        [" ".join(h) for h in hyps], [[" ".join(r) for r in refs]]
    ).score
    assert bleu(hyps, refs) == pytest.approx(expected)
    assert bleu([" ".join(h) for h in hyps], [" ".join(r) for r in refs]) == pytest.approx(expected)
    assert bleu(refs, refs) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="same length"):
        bleu(hyps, refs[:1])
