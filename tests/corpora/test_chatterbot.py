"""Tests for course_utils.corpora.chatterbot (notebook 05)."""

from __future__ import annotations

import pytest

from course_utils.corpora.chatterbot import (
    IGNORE_INDEX,
    dialogue_batch,
    format_turn,
    load_chatterbot_pairs,
    split_pairs,
)


def test_chatterbot_pairs_are_consecutive_turns():
    pairs = load_chatterbot_pairs()
    assert pairs == load_chatterbot_pairs()
    assert len(pairs) > 2000
    # english/ai.yml is read first; conversations.yml holds this exchange
    assert ("Good morning, how are you?", "I am doing well, how about you?") in pairs
    assert ("I am doing well, how about you?", "I'm also good.") in pairs
    assert all("\n" not in a + b for a, b in pairs)
    assert all(ord(c) < 128 for a, b in pairs[:500] for c in a + b if c not in "─└├")
    with pytest.raises(ValueError, match="klingon"):
        load_chatterbot_pairs("klingon")


def test_format_and_split():
    assert format_turn("Hi") == "User: Hi\nBot: "
    assert format_turn("Hi", "Hello") == "User: Hi\nBot: Hello\n"
    pairs = [(str(i), str(i)) for i in range(20)]
    train, val = split_pairs(pairs, val_fraction=0.25, seed=3)
    assert len(val) == 5 and len(train) == 15
    assert sorted(train + val) == sorted(pairs)
    assert (train, val) == split_pairs(pairs, val_fraction=0.25, seed=3)
    with pytest.raises(ValueError, match="val_fraction"):
        split_pairs(pairs, val_fraction=1.0)


def test_dialogue_batch_scores_only_the_reply():
    def encode(text):
        return [ord(c) for c in text]

    x, y = dialogue_batch([("a", "bc"), ("dd", "e")], encode, pad_id=0)
    first = "User: a\nBot: bc\n"
    second = "User: dd\nBot: e\n"
    assert x.shape == y.shape == (2, len(first) - 1)
    assert x[0].tolist() == encode(first[:-1])
    assert x[1].tolist() == encode(second[:-1]) + [0] * (len(first) - len(second))
    head = len("User: a\nBot: ")
    assert y[0].tolist() == [IGNORE_INDEX] * (head - 1) + encode("bc\n")
    head = len("User: dd\nBot: ")
    assert y[1].tolist() == [IGNORE_INDEX] * (head - 1) + encode("e\n") + [IGNORE_INDEX] * 0
    with pytest.raises(ValueError, match="empty"):
        dialogue_batch([], encode)
