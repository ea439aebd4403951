"""Tests for course_utils.corpora.preferences (notebook 09b's preference pairs)."""

from __future__ import annotations

import pytest

from course_utils.corpora.preferences import (
    FILLERS,
    PREFERENCES_FILE,
    count_sentences,
    generate_pairs,
    is_concise,
    load_pairs,
    write_pairs,
)
from course_utils.paths import data_dir


def test_sentence_counter_hand_cases():
    assert count_sentences("The capital of Kenya is Nairobi.") == 1
    assert count_sentences("Paris. It is big! Is it old?") == 3
    assert count_sentences("Water boils at 100 degrees, or 212.0 Fahrenheit.") == 1  # "212.0"
    assert count_sentences("  ") == 0
    assert count_sentences("No full stop at the end") == 1
    with pytest.raises(TypeError, match="reply"):
        count_sentences(None)


def test_is_concise_needs_one_finished_sentence():
    assert is_concise("A ruby is red.")
    assert is_concise("  Snow is white!  ")
    assert not is_concise("A ruby is red. It is a gemstone.")
    assert not is_concise("A ruby is a gemstone that is often associated with")  # cut off
    assert not is_concise("")


def test_pairs_counts_splits_and_determinism():
    rows = generate_pairs()
    assert rows == generate_pairs()
    assert len(rows) == 200
    assert sum(r["split"] == "test" for r in rows) == 40
    assert [r["id"] for r in rows] == list(range(200))
    prompts = [r["prompt"] for r in rows]
    assert len(set(prompts)) == 200  # no held-out question is seen in training
    assert len({r["topic"] for r in rows if r["split"] == "test"}) >= 8  # every kind is tested
    assert generate_pairs(seed=1) != rows
    data = load_pairs()
    assert len(data["train"]) == 160 and len(data["test"]) == 40
    assert set(data["train"]["prompt"]).isdisjoint(data["test"]["prompt"])


def test_the_scorer_separates_chosen_from_rejected_on_every_pair():
    for r in generate_pairs():
        assert is_concise(r["chosen"]), r
        assert not is_concise(r["rejected"]), r
        assert count_sentences(r["rejected"]) in (2, 3), r
        # one property differs: the rejected reply is the chosen one plus filler sentences
        tail = r["rejected"].removeprefix(r["chosen"] + " ")
        assert tail != r["rejected"] and all(
            sentence in FILLERS for sentence in tail.replace(". ", ".|").split("|")
        ), r


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="num_pairs"):
        generate_pairs(num_pairs=10_000)
    with pytest.raises(ValueError, match="test_size"):
        generate_pairs(num_pairs=10, test_size=10)


def test_committed_pairs_match_generator(tmp_path):
    committed = (data_dir() / PREFERENCES_FILE).read_text(encoding="utf-8")
    fresh = write_pairs(path=tmp_path / PREFERENCES_FILE).read_text(encoding="utf-8")
    assert committed == fresh
