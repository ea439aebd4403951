"""Tests for course_utils.methods.noising (notebook 06): the five BART noising functions."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

from course_utils.methods.noising import (
    NOISE_FUNCTIONS,
    bart_noise,
    document_rotation,
    sentence_permutation,
    split_sentences,
    text_infilling,
    token_deletion,
    token_masking,
)

M = "<mask>"
DOC = "the cat sat on the mat . the dog barked at it . then it rained !".split()


def test_token_masking_rate_and_length():
    tokens = list(range(100_000))
    out = token_masking(tokens, -1, p=0.15, rng=0)
    assert len(out) == len(tokens)
    rate = sum(t == -1 for t in out) / len(tokens)
    assert abs(rate - 0.15) < 0.005, rate
    kept = [t for t in out if t != -1]
    assert all(t == tokens[t] for t in kept)  # unmasked tokens stay in place
    assert token_masking(DOC, M, p=1.0, rng=0) == [M] * len(DOC)
    assert token_masking(DOC, M, p=0.0, rng=0) == DOC


def test_token_deletion_rate_and_never_empty():
    tokens = list(range(100_000))
    out = token_deletion(tokens, p=0.25, rng=1)
    assert abs(1 - len(out) / len(tokens) - 0.25) < 0.005
    assert out == sorted(out)  # order kept
    for seed in range(20):
        only = token_deletion(DOC, p=1.0, rng=seed)
        assert len(only) == 1 and only[0] in DOC
    assert token_deletion(DOC, p=0.0) == DOC


def test_text_infilling_ratio_and_span_lengths():
    gen = np.random.default_rng(0)
    tokens = list(range(1000))
    covered_total, masks_total = 0, 0
    for _ in range(200):
        out = text_infilling(tokens, -1, mask_ratio=0.3, poisson_lambda=3.0, rng=gen)
        kept = [t for t in out if t != -1]
        assert kept == sorted(kept)
        covered = len(tokens) - len(kept)
        assert covered == 300  # exactly round(0.3 * 1000) tokens replaced
        covered_total += covered
        masks_total += len(out) - len(kept)
    # masks = spans (mean length about E[Poisson(3) | > 0] = 3.16, less where spans collide)
    # + zero-length insertions (P(0) = e^-3); so about 2.8-3.2 covered tokens per mask
    per_mask = covered_total / masks_total
    assert 2.6 < per_mask < 3.3, per_mask


def test_text_infilling_edges():
    assert text_infilling(DOC, M, mask_ratio=1.0, rng=0).count(M) >= 1
    assert all(t == M for t in text_infilling(DOC, M, mask_ratio=1.0, rng=0))
    assert text_infilling(DOC, M, mask_ratio=0.0, rng=0) == DOC
    assert text_infilling(["a"], M, mask_ratio=1.0, rng=0) == [M]
    # same seed, same result; input untouched
    before = list(DOC)
    assert text_infilling(DOC, M, rng=3) == text_infilling(DOC, M, rng=3)
    assert DOC == before


def test_sentence_permutation():
    assert split_sentences(DOC) == [DOC[:7], DOC[7:13], DOC[13:]]
    assert split_sentences(["a", "b"]) == [["a", "b"]]
    counts = collections.Counter()
    gen = np.random.default_rng(0)
    for _ in range(6000):
        out = sentence_permutation(DOC, rng=gen)
        assert sorted(out) == sorted(DOC)
        counts[tuple(tuple(s) for s in split_sentences(out))] += 1
    assert len(counts) == 6  # all 3! orders
    assert all(abs(n / 6000 - 1 / 6) < 0.02 for n in counts.values()), counts
    assert sentence_permutation(["one", "sentence", "."], rng=0) == ["one", "sentence", "."]


def test_document_rotation():
    tokens = list(range(10))
    starts = collections.Counter()
    gen = np.random.default_rng(0)
    for _ in range(5000):
        out = document_rotation(tokens, rng=gen)
        k = out[0]
        assert out == tokens[k:] + tokens[:k]
        starts[k] += 1
    assert len(starts) == 10
    assert all(abs(n / 5000 - 0.1) < 0.02 for n in starts.values()), starts
    assert document_rotation(["x"], rng=0) == ["x"]


def test_accepts_tensors_and_ids():
    ids = torch.tensor([5, 6, 7, 8])
    assert token_masking(ids, 0, p=0.0) == [5, 6, 7, 8]
    assert sorted(document_rotation(ids, rng=0)) == [5, 6, 7, 8]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: token_masking(DOC, M, p=-0.1), "p must be a probability"),
        (lambda: token_masking(DOC, M, p=1.5), "p must be a probability"),
        (lambda: token_deletion(DOC, p=2), "p must be a probability"),
        (lambda: text_infilling(DOC, M, mask_ratio=1.01), "mask_ratio"),
        (lambda: text_infilling(DOC, M, poisson_lambda=0.0), "poisson_lambda"),
        (lambda: token_masking([], M), "empty"),
        (lambda: token_deletion([]), "empty"),
        (lambda: text_infilling([], M), "empty"),
        (lambda: sentence_permutation([]), "empty"),
        (lambda: document_rotation([]), "empty"),
    ],
)
def test_bad_input_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_input_type_errors():
    with pytest.raises(TypeError, match="use .split"):
        token_masking("the cat", M)
    with pytest.raises(TypeError, match="p must be a number"):
        token_deletion(DOC, p="0.1")
    with pytest.raises(TypeError, match="rng"):
        document_rotation(DOC, rng="seed")


def test_registry_never_empty():
    gen = np.random.default_rng(0)
    for name, fn in NOISE_FUNCTIONS.items():
        for tokens in (["a"], DOC):
            for _ in range(50):
                assert len(fn(tokens, M, gen)) >= 1, name


def test_bart_noise_combines_permutation_and_infilling():
    out = bart_noise(DOC, M, rng=0)
    gen = np.random.default_rng(0)
    expected = text_infilling(sentence_permutation(DOC, gen), M, 0.3, 3.0, gen)
    assert out == expected
    assert len(DOC) - sum(t != M for t in out) == round(0.3 * len(DOC))
    with pytest.raises(ValueError, match="empty"):
        bart_noise([], M)
