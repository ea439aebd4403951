"""Tests of the corpus loaders (course_utils.corpora), on the real VADER asset."""

import pytest

from course_utils.corpora.vader import read_vader, vader_sentiment, vader_unlabelled


def test_read_vader_movie():
    rows = read_vader("movie")
    assert len(rows) == 10605
    assert rows[0]["id"] == "1" and abs(rows[0]["rating"] - 2.26666666667) < 1e-9
    assert rows[0]["text"].startswith("The Rock is destined")
    assert all(-4 <= r["rating"] <= 4 for r in rows)
    with pytest.raises(ValueError, match="source must be one of"):
        read_vader("imdb")


def test_sentiment_split_is_fixed_by_seed():
    a, b = vader_sentiment(seed=0), vader_sentiment(seed=0)
    assert a["test"]["text"] == b["test"]["text"]
    assert len(a["train"]) + len(a["test"]) == 10605 - 37  # neutral snippets dropped
    assert abs(len(a["test"]) / (len(a["train"]) + len(a["test"])) - 0.2) < 0.001
    assert set(a["train"]["label"]) == {0, 1}
    assert all(
        (r > 0) == bool(lab) for r, lab in zip(a["test"]["rating"], a["test"]["label"], strict=True)
    )
    assert vader_sentiment(seed=1)["test"]["text"] != a["test"]["text"]


def test_sentiment_prefixes_are_random_samples():
    # The VADER file is sorted by rating: a prefix in file order was 97 % positive.
    d = vader_sentiment(seed=0)
    for split in ("train", "test"):
        labels = d[split]["label"]
        assert 0.4 < sum(labels[:200]) / 200 < 0.6, split
        assert 0.45 < sum(labels[:1000]) / 1000 < 0.55, split


def test_unlabelled_excludes_given_texts():
    test_texts = set(vader_sentiment()["test"]["text"])
    unl = vader_unlabelled(exclude=test_texts)["train"]
    assert set(unl["source"]) == {"movie", "tweets", "amazon", "nyt"}
    assert not test_texts & set(unl["text"])
    assert len(unl) > 20000


def test_sources_must_be_a_list_of_known_names():
    with pytest.raises(TypeError, match=r"e.g. \('movie',\), got the str 'movie'"):
        vader_unlabelled(sources="movie")
    with pytest.raises(ValueError, match=r"unknown VADER sources \['films'\]"):
        vader_unlabelled(sources=["films"])
