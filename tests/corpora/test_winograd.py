"""Tests for course_utils.corpora.winograd: committed files match their generators, grammar, splits."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from course_utils.corpora.winograd import (
    GENERATORS,
    HELD_OUT_ADJECTIVES,
    HELD_OUT_NOUNS,
    THINGS_RU,
    _winograd_pair,
    generate_anaphora_agreement_en,
    generate_anaphora_winograd_en,
    generate_winograd_en_ru,
)
from course_utils.methods.anaphora import load_records
from course_utils.paths import data_dir

GENDER = {t.en: t.gender for t in THINGS_RU}


@pytest.fixture(scope="module")
def en_ru():
    return generate_winograd_en_ru()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_committed_files_match_their_generators(name):
    path = data_dir() / name
    assert path.is_file(), "run `python -m course_utils.corpora` to create the data files"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == GENERATORS[name]()
    assert path.stat().st_size < 1_000_000


def test_en_ru_generator_is_seeded():
    assert generate_winograd_en_ru(20, 5, seed=1) == generate_winograd_en_ru(20, 5, seed=1)
    assert generate_winograd_en_ru(20, 5, seed=1) != generate_winograd_en_ru(20, 5, seed=2)
    with pytest.raises(ValueError, match="num_test_pairs"):
        generate_winograd_en_ru(10, 0)


def test_en_ru_minimal_pairs_flip_the_russian_pronoun(en_ru):
    pairs: dict[int, list[dict]] = {}
    for record in en_ru:
        if record["kind"] == "winograd":
            pairs.setdefault(record["pair_id"], []).append(record)
    assert all(len(p) == 2 for p in pairs.values())
    for first, second in pairs.values():
        # one English word differs, the answer flips, the Russian pronoun changes gender
        diff = [a != b for a, b in zip(first["en"].split(), second["en"].split(), strict=True)]
        assert sum(diff) == 1
        assert {first["answer"], second["answer"]} == {0, 1}
        assert first["ru_pronoun"] != second["ru_pronoun"]
        for record in (first, second):
            tokens = record["en"].split()
            assert tokens[record["pronoun_index"]] == "it"
            assert [tokens[i] for i in record["candidate_indices"]] == record["candidates"]
            antecedent = record["candidates"][record["answer"]]
            pronoun = {"m": "он", "f": "она", "n": "оно"}[GENDER[antecedent]]
            assert record["ru_pronoun"] == pronoun and pronoun in record["ru"].split()


def test_held_out_words_never_in_a_training_winograd_sentence(en_ru):
    held_out = set(HELD_OUT_NOUNS) | set(HELD_OUT_ADJECTIVES)
    train = [r for r in en_ru if r["split"] == "train"]
    train_winograd_words = {w for r in train if r["kind"] == "winograd" for w in r["en"].split()}
    assert not held_out & train_winograd_words
    # ... but the training fillers teach them (translation and pronoun gender)
    filler_words = {w for r in train if r["kind"] == "filler" for w in r["en"].split()}
    assert held_out <= filler_words
    test = [r for r in en_ru if r["split"] == "test"]
    assert all(set(r["candidates"]) & set(HELD_OUT_NOUNS) for r in test)
    # nearest noun to "it" is right half of the time, and Russian genders always differ
    assert Counter(r["answer"] for r in test) == {0: len(test) // 2, 1: len(test) // 2}
    assert all(GENDER[r["candidates"][0]] != GENDER[r["candidates"][1]] for r in test)


def test_russian_agreement_examples():
    things = {t.en: t for t in THINGS_RU}
    rng = random.Random(0)
    fit = _winograd_pair(rng, "fit", things["ball"], things["box"], [], 0.0, "anaphora")
    assert [r["ru"] for r in fit] == [
        "мяч не поместился в коробку , потому что он был слишком большим .",
        "мяч не поместился в коробку , потому что она была слишком маленькой .",
    ]
    hide = _winograd_pair(rng, "hide", things["egg"], things["lamp"], [], 0.0, "cataphora")
    assert hide[1]["en"] == "because it was very wide , the egg was hidden behind the lamp ."
    assert hide[1]["ru"] == ("потому что она была очень широкой , яйцо было спрятано за лампой .")
    assert hide[0]["ru"].startswith("потому что оно было очень маленьким ,")


@pytest.mark.parametrize(
    "generator", [generate_anaphora_agreement_en, generate_anaphora_winograd_en]
)
def test_english_sets_have_60_minimal_pairs(generator):
    records = generator()
    assert len(records) >= 120
    pairs = Counter(r["pair_id"] for r in records)
    assert len(pairs) >= 60 and set(pairs.values()) == {2}
    for record in records:
        assert set(record) >= {"text", "pronoun", "candidates", "answer"}
        assert record["answer"] in (0, 1) and len(record["candidates"]) == 2
    # the answer is balanced, so "always the first candidate" scores 0.5
    assert sum(r["answer"] for r in records) == len(records) // 2


def test_winograd_en_candidates_agree_in_number():
    for record in generate_anaphora_winograd_en():
        a, b = record["candidates"]
        assert a.endswith("s") == b.endswith("s") or record["pronoun"] != "they"


def test_load_jsonl_reads_the_committed_file():
    records = load_records("anaphora_agreement_en.jsonl")
    assert records == generate_anaphora_agreement_en()
    with pytest.raises(FileNotFoundError, match="python -m course_utils.corpora"):
        load_records("no_such_file.jsonl")
