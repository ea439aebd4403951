"""Tests for course_utils.methods.alignment: AER by hand (Och and Ney), IBM Model 1, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.methods.alignment import (
    IBMModel1,
    aer,
    attention_to_links,
    corpus_aer,
    links_to_matrix,
    validate_links,
)

# ----------------------------------------------------------------- AER, hand-computed


def test_aer_perfect_and_empty_prediction():
    sure = [(0, 0), (1, 1)]
    assert aer(sure, sure) == 0.0
    # nothing predicted: 1 - (0 + 0) / (0 + 2) = 1
    assert aer([], sure) == 1.0


def test_aer_sure_only_hand_case():
    # A = {(0,0), (1,2), (2,1)}, S = {(0,0), (1,1), (2,2)}, P = S
    # |A&S| = 1, |A&P| = 1 -> 1 - (1 + 1) / (3 + 3) = 2/3
    assert aer([(0, 0), (1, 2), (2, 1)], [(0, 0), (1, 1), (2, 2)]) == pytest.approx(2 / 3)


def test_aer_och_ney_sure_and_possible_hand_case():
    # English "the cat sleeps" -> Russian "кошка спит": the -> кошка is only possible.
    sure = [(1, 0), (2, 1)]
    possible = [(0, 0)]
    # predicting the possible link costs nothing in precision: |A|=3, |A&S|=2, |A&P|=3
    # AER = 1 - (2 + 3) / (3 + 2) = 0
    assert aer([(0, 0), (1, 0), (2, 1)], sure, possible) == 0.0
    # predicting only the possible link and one sure link:
    # A={(0,0),(2,1)}: |A&S|=1, |A&P|=2 -> 1 - 3/4 = 0.25
    assert aer([(0, 0), (2, 1)], sure, possible) == pytest.approx(0.25)
    # a wrong link: A={(1,0),(0,1)}: |A&S|=1, |A&P|=1 -> 1 - 2/4 = 0.5
    assert aer([(1, 0), (0, 1)], sure, possible) == pytest.approx(0.5)


def test_aer_possible_may_repeat_sure_links():
    # P given as the full set (containing S) or as the extra links only: same AER
    sure = [(0, 0), (1, 1)]
    extra = [(2, 1)]
    predicted = [(0, 0), (2, 1), (2, 2)]
    assert aer(predicted, sure, extra) == aer(predicted, sure, sure + extra)
    # |A|=3, |S|=2, |A&S|=1, |A&P|=2 -> 1 - 3/5 = 0.4
    assert aer(predicted, sure, extra) == pytest.approx(0.4)


def test_corpus_aer_sums_counts_before_dividing():
    predicted = [[(0, 0)], [(0, 0), (1, 1), (2, 2)]]
    sure = [[(0, 0), (1, 1)], [(0, 0), (1, 1), (2, 2)]]
    # sentence 1: |A&S|=1,|A|=1,|S|=2; sentence 2: 3,3,3
    # corpus: 1 - (4 + 4) / (4 + 5) = 1/9  (the mean of sentence AERs would be 1/6)
    assert corpus_aer(predicted, sure) == pytest.approx(1 / 9)
    assert corpus_aer(predicted, sure, lengths=[(3, 3), (3, 3)]) == pytest.approx(1 / 9)


def test_aer_links_may_be_lists_or_numpy_rows():
    assert aer([[0, 0], np.array([1, 1])], [(0, 0), (1, 1)]) == 0.0


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ([(3, 0)], r"link \(3, 0\) lies outside the sentence pair.*0\.\.2"),
        ([(0, 2)], r"link \(0, 2\) lies outside.*target indices in 0\.\.1"),
        ([(-1, 0)], "negative index"),
    ],
)
def test_validate_links_rejects_links_outside_the_sentence(links, message):
    with pytest.raises(ValueError, match=message):
        validate_links(links, src_len=3, tgt_len=2)


@pytest.mark.parametrize("links", [[(0,)], [(0, 1, 2)], [(0.0, 1)], [(True, 1)], ["0-1"]])
def test_validate_links_rejects_non_pairs(links):
    with pytest.raises(TypeError, match="link"):
        validate_links(links, 3, 3)


def test_validate_links_rejects_a_pharaoh_string_and_bad_lengths():
    with pytest.raises(TypeError, match="parse_links"):
        validate_links("0-0 1-1", 3, 3)
    with pytest.raises(ValueError, match="src_len must be a positive int"):
        validate_links([(0, 0)], 0, 3)


def test_aer_with_lengths_rejects_out_of_range_gold_and_predictions():
    with pytest.raises(ValueError, match="predicted: link \\(5, 0\\)"):
        aer([(5, 0)], [(0, 0)], src_len=2, tgt_len=2)
    with pytest.raises(ValueError, match="sure: link \\(0, 9\\)"):
        aer([(0, 0)], [(0, 9)], src_len=2, tgt_len=2)
    with pytest.raises(ValueError, match="both src_len and tgt_len"):
        aer([(0, 0)], [(0, 0)], src_len=2)


def test_corpus_aer_names_the_bad_sentence_and_checks_counts():
    with pytest.raises(ValueError, match="sentence pair 1: predicted: link \\(4, 0\\)"):
        corpus_aer([[(0, 0)], [(4, 0)]], [[(0, 0)], [(0, 0)]], lengths=[(2, 2), (2, 2)])
    with pytest.raises(ValueError, match="sure has 1 sentence pairs but predicted has 2"):
        corpus_aer([[], []], [[]])
    with pytest.raises(ValueError, match="at least one"):
        corpus_aer([], [])


# ----------------------------------------------------------------- attention -> links


def test_attention_to_links_argmax_and_threshold():
    weights = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.45, 0.45], [0.0, 0.1, 0.9]])
    # rows are target words: argmax per row, ties to the first source word
    assert attention_to_links(weights) == [(0, 0), (1, 1), (2, 2)]
    assert attention_to_links(weights, threshold=0.4) == [(0, 0), (1, 1), (2, 1), (2, 2)]
    # cut to real lengths (drop a padded source column and the last row)
    assert attention_to_links(weights, src_len=2, tgt_len=2) == [(0, 0), (1, 1)]


def test_attention_to_links_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        attention_to_links(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="must fit the weights shape"):
        attention_to_links(torch.ones(2, 3), src_len=4)
    with pytest.raises(ValueError, match="threshold"):
        attention_to_links(torch.ones(2, 3), threshold=0.0)


def test_links_to_matrix_rows_are_target_words():
    matrix = links_to_matrix([(0, 1), (2, 0)], src_len=3, tgt_len=2)
    np.testing.assert_array_equal(matrix, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="outside"):
        links_to_matrix([(3, 0)], 3, 2)


# ----------------------------------------------------------------- IBM Model 1


def toy_corpus():
    src = [["the", "house"], ["the", "book"], ["a", "book"]]
    tgt = [["das", "haus"], ["das", "buch"], ["ein", "buch"]]
    return src, tgt


def test_ibm1_first_em_iteration_by_hand():
    # The classic Koehn (2010) example. From uniform t = 1/4, each target word's posterior is
    # spread evenly over NULL and the 2 source words (1/3 each). Expected counts:
    # c(das|the) = 2/3, c(haus|the) = 1/3, c(buch|the) = 1/3 -> t(das|the) = (2/3)/(4/3) = 1/2.
    src, tgt = toy_corpus()
    model = IBMModel1().fit(src, tgt, num_iterations=1, progress=False)
    assert model.t.shape == (4, 5)  # 4 target words x (NULL + 4 source words)
    np.testing.assert_allclose(model.t.sum(axis=0), 1.0)
    t = dict(model.translation_table("the", top_k=4))
    assert t["das"] == pytest.approx(0.5)
    assert t["haus"] == pytest.approx(0.25)
    assert t["ein"] == pytest.approx(0.0)
    # log-likelihood per target word after iteration 1 (computed with the uniform t):
    # every target word has sum_i t / (l + 1) = 3 * (1/4) / 3 = 1/4
    assert model.log_likelihoods[0] == pytest.approx(np.log(0.25))


def test_ibm1_em_learns_the_toy_dictionary_and_aligns():
    src, tgt = toy_corpus()
    model = IBMModel1().fit(src, tgt, num_iterations=20, progress=False)
    assert np.all(np.diff(model.log_likelihoods) >= -1e-12)  # EM never lowers the likelihood
    assert model.translation_table("book", top_k=1)[0][0] == "buch"
    assert model.align(["the", "book"], ["das", "buch"]) == [(0, 0), (1, 1)]
    post = model.posteriors(["the", "book"], ["das", "buch"])
    assert post.shape == (2, 3)
    np.testing.assert_allclose(post.sum(axis=1), 1.0)


def test_ibm1_repeated_source_words_tie_to_the_first_copy():
    src, tgt = toy_corpus()
    model = IBMModel1().fit(src, tgt, num_iterations=10, progress=False)
    # Model 1 ignores position: both "buch" go to the first "book"
    assert model.align(["book", "book"], ["buch", "buch"]) == [(0, 0), (0, 1)]


def test_ibm1_unknown_words_stay_unaligned():
    src, tgt = toy_corpus()
    model = IBMModel1().fit(src, tgt, num_iterations=5, progress=False)
    assert model.align(["the", "car"], ["das", "auto"]) == [(0, 0)]


def test_ibm1_bad_input():
    with pytest.raises(RuntimeError, match="fit"):
        IBMModel1().align(["a"], ["b"])
    with pytest.raises(ValueError, match="same length"):
        IBMModel1().fit([["a"]], [["b"], ["c"]], progress=False)
    with pytest.raises(TypeError, match=r"src_sentences\[0\] must be a list of tokens.*split"):
        IBMModel1().fit(["the house"], [["das", "haus"]], progress=False)
    with pytest.raises(ValueError, match=r"tgt_sentences\[0\] is empty"):
        IBMModel1().fit([["a"]], [[]], progress=False)
    with pytest.raises(ValueError, match="num_iterations"):
        IBMModel1().fit([["a"]], [["b"]], num_iterations=0, progress=False)
