"""The generated toy sentiment corpus and its deterministic word-level tokenizer."""

from __future__ import annotations

import pytest

from course_utils.corpora.toy_sentiment import (
    TOY_NEGATIVE,
    TOY_POSITIVE,
    transfer_toy_corpus,
    word_tokenizer,
)


def test_labelled_and_test_adjectives_are_disjoint():
    toy = transfer_toy_corpus(num_unlabelled=100, num_labelled=20, num_test=20)
    train_words = {w for t in toy["train"]["text"] for w in t.split()}
    test_words = {w for t in toy["test"]["text"] for w in t.split()}
    assert "good" in train_words and "good" not in test_words
    assert sum(toy["train"]["label"]) == 10


def test_unlabelled_sentences_list_adjectives_of_one_polarity():
    toy = transfer_toy_corpus(num_unlabelled=50, num_labelled=2, num_test=2, seed=3)
    for text in toy["unlabelled"]["text"]:
        words = set(text.split())
        positive, negative = words & set(TOY_POSITIVE), words & set(TOY_NEGATIVE)
        assert len(positive | negative) == 4 and not (positive and negative), text
    assert transfer_toy_corpus(num_unlabelled=5, seed=1) != transfer_toy_corpus(
        num_unlabelled=5, seed=2
    )
    with pytest.raises(ValueError, match="adjectives_per_sentence"):
        transfer_toy_corpus(adjectives_per_sentence=0)


def test_word_tokenizer_is_deterministic_and_has_one_token_per_word():
    toy = transfer_toy_corpus(num_unlabelled=200, num_labelled=20, num_test=20)
    first, second = word_tokenizer(toy), word_tokenizer(toy)
    assert first.get_vocab() == second.get_vocab()
    text = toy["test"]["text"][0]
    assert first.tokenize(text) == text.split()
