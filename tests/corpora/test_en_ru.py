"""Tests for course_utils.corpora.en_ru: the committed corpus matches its generator, Russian grammar,
gold links inside the sentences, and the loader."""

from __future__ import annotations

import json

import pytest

from course_utils.corpora import en_ru
from course_utils.corpora import russian_lexicon as lexicon
from course_utils.corpora.en_ru import (
    EN_RU_FILE,
    EN_RU_SPLITS,
    format_links,
    generate_en_ru_parallel,
    load_en_ru_parallel,
    parse_links,
)
from course_utils.corpora.jsonl import write_jsonl
from course_utils.methods.alignment import validate_links
from course_utils.paths import data_dir


@pytest.fixture(scope="module")
def records():
    return generate_en_ru_parallel()


def test_committed_file_matches_the_generator(records):
    path = data_dir() / EN_RU_FILE
    assert path.is_file(), "run `python -m course_utils.corpora` to create the corpus"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
    assert path.stat().st_size < 1_000_000


def test_generator_is_deterministic_and_seeded():
    small = {"train": 20, "test": 5}
    assert generate_en_ru_parallel(small, seed=1) == generate_en_ru_parallel(small, seed=1)
    assert generate_en_ru_parallel(small, seed=1) != generate_en_ru_parallel(small, seed=2)


def test_split_sizes_unique_sentences_and_wide_lengths(records):
    counts = {}
    for r in records:
        counts[r["split"]] = counts.get(r["split"], 0) + 1
    assert counts == EN_RU_SPLITS
    assert len({r["en"] for r in records}) == len(records)
    lengths = [len(r["en"].split()) for r in records]
    assert min(lengths) <= 5 and max(lengths) >= 30


def test_gold_links_lie_inside_sentences_and_cover_every_russian_word(records):
    for r in records:
        en, ru = r["en"].split(), r["ru"].split()
        sure = validate_links(parse_links(r["sure"]), len(en), len(ru), name=f"sure {r['id']}")
        possible = validate_links(parse_links(r["possible"]), len(en), len(ru))
        assert not sure & possible  # "possible" lists only the possible-but-not-sure links
        # every Russian word has a sure link (articles are the unaligned side)
        assert {j for _, j in sure} == set(range(len(ru))), r


def test_articles_are_only_possible_links(records):
    for r in records[:300]:
        en = r["en"].split()
        sure = parse_links(r["sure"])
        articles = {i for i, tok in enumerate(en) if tok in ("the", "a", "an")}
        assert not any(i in articles for i, _ in sure)


HAND_CHECKED = {
    # case endings by role, animate accusative, dative verbs and "to", instrumental tools
    "the boy met the teacher .": "мальчик встретил учителя .",
    "the teacher met the boy .": "учитель встретил мальчика .",
    "the dog calls a mother .": "собака звонит маме .",
    "a girl shows a pen to the boy .": "девочка показывает ручку мальчику .",
    "the boy opens a bag with the key .": "мальчик открывает сумку ключом .",
    # locative with на, agreement of the possessive, со before a consonant cluster
    "the brother works in my kitchen .": "брат работает на моей кухне .",
    "the son sang with the student .": "сын пел со студентом .",
    # past tense agrees with the subject's gender
    "the daughter slept .": "дочь спала .",
    # reordering: the owner follows, adverbs move, the Russian comma before a conjunction
    "the girl 's friend works .": "друг девочки работает .",
    "my boy saw a cat yesterday .": "вчера мой мальчик видел кошку .",
    "my dog sings quickly .": "моя собака быстро поёт .",
    "the father walks , because she loves the cat .": "отец гуляет , потому что она любит кошку .",
}


def test_hand_checked_examples_from_the_generator(records):
    translations = {r["en"]: r["ru"] for r in records}
    for en, ru in HAND_CHECKED.items():
        assert translations[en] == ru


def test_gold_links_of_a_reordered_example(records):
    row = next(r for r in records if r["en"] == "the girl 's friend works .")
    # the-девочки and 's-девочки are possible, girl-девочки and friend-друг are sure
    assert parse_links(row["sure"]) == [(1, 1), (3, 0), (4, 2), (5, 3)]
    assert parse_links(row["possible"]) == [(0, 1), (2, 1)]


def test_morphology_tables():
    adjective = next(a for a in lexicon.ADJECTIVES if a.en == "small")
    assert adjective.form("nom", "f", False) == "маленькая"
    assert adjective.form("acc", "m", True) == "маленького"  # animate accusative = genitive
    assert adjective.form("acc", "m", False) == "маленький"
    assert adjective.form("ins", "m", False) == "маленьким"  # и after к
    new = next(a for a in lexicon.ADJECTIVES if a.en == "new")
    assert [new.form(c, "n", False) for c in lexicon.CASES] == [
        "новое",
        "нового",
        "новому",
        "новое",
        "новым",
        "новом",
    ]
    assert lexicon.possessive_form("my", "acc", "m", True) == "моего"
    assert lexicon.possessive_form("our", "acc", "f", False) == "нашу"


def test_format_and_parse_links_round_trip():
    assert format_links([(2, 1), (0, 0), (2, 1)]) == "0-0 2-1"
    assert parse_links("0-0 2-1") == [(0, 0), (2, 1)]
    assert parse_links("") == []
    for bad in ("0-", "a-1", "1-2-3", "-1-0"):
        with pytest.raises(ValueError, match="malformed link"):
            parse_links(bad)


def test_loader_returns_datasetdict_and_regenerates_a_missing_file(tmp_path):
    path = tmp_path / "corpus.jsonl"
    write_jsonl(generate_en_ru_parallel({"train": 8, "validation": 2, "test": 3}), path)
    ds = load_en_ru_parallel(path)
    assert sorted(ds) == ["test", "train", "validation"]
    assert ds["train"].num_rows == 8 and ds["test"].num_rows == 3
    row = ds["train"][0]
    assert row["en_tokens"] == row["en"].split()
    assert all(len(link) == 2 for link in row["sure"])

    missing = tmp_path / "new" / EN_RU_FILE
    with pytest.raises(FileNotFoundError, match="python -m course_utils.corpora"):
        load_en_ru_parallel(missing, regenerate=False)


def test_loader_regenerates_from_the_seed(tmp_path, monkeypatch):
    monkeypatch.setattr(en_ru, "EN_RU_SPLITS", {"train": 4, "validation": 1, "test": 2})
    path = tmp_path / EN_RU_FILE
    ds = load_en_ru_parallel(path)
    assert path.is_file() and ds["test"].num_rows == 2


def test_loader_rejects_a_record_without_fields(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 0, "split": "train", "en": "a ."}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the fields"):
        load_en_ru_parallel(path)


def test_generator_rejects_bad_split_sizes():
    with pytest.raises(ValueError, match="split 'train' size"):
        generate_en_ru_parallel({"train": -1})
