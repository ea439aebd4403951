"""Winograd-style anaphora data written by the course (notebook 03).

Three seeded generators, each with a committed JSONL file under ``data/``:

- :func:`generate_winograd_en_ru` -> ``data/winograd_en_ru.jsonl`` (Part A): English -> Russian
  sentence pairs in which English *it* must become Russian *он*, *она* or *оно* according to its
  antecedent, and one word flips the antecedent: ``the ball did not fit into the box because it
  was too big / small`` -> ``мяч не поместился в коробку , потому что он был слишком большим`` /
  ``... потому что она была слишком маленькой``. The two candidate nouns always have different
  Russian genders, so the pronoun shows which one the model chose. Six nouns and two adjectives
  never occur in a Winograd sentence of the training split: they are seen in training only in
  short filler sentences (``i see the bucket . it is green .``), and every test pair contains at
  least one held-out noun.
- :func:`generate_anaphora_agreement_en` -> ``data/anaphora_agreement_en.jsonl`` (Part B): English
  minimal pairs where grammar decides (gender or number agreement of the pronoun).
- :func:`generate_anaphora_winograd_en` -> ``data/anaphora_winograd_en.jsonl`` (Part B): English
  Winograd-style minimal pairs where only world knowledge decides (both candidates have the same
  number and gender).

The English Part B records have the fields ``text``, ``pronoun``, ``candidates`` (two strings
that occur once, as whole words, in ``text``) and ``answer`` (0 or 1), plus ``id``, ``pair_id``
(the two records of a minimal pair share it) and ``kind``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from .jsonl import ensure_file, read_jsonl
from .russian_lexicon import Adjective

__all__ = [
    "whole_word_spans",
    "AGREEMENT_FILE",
    "HELD_OUT_ADJECTIVES",
    "HELD_OUT_NOUNS",
    "PRONOUNS_RU",
    "WINOGRAD_EN_FILE",
    "WINOGRAD_EN_RU_FILE",
    "generate_anaphora_agreement_en",
    "generate_anaphora_winograd_en",
    "generate_winograd_en_ru",
    "load_records",
]

WINOGRAD_EN_RU_FILE = "winograd_en_ru.jsonl"
AGREEMENT_FILE = "anaphora_agreement_en.jsonl"
WINOGRAD_EN_FILE = "anaphora_winograd_en.jsonl"

PRONOUNS_RU = {"m": "он", "f": "она", "n": "оно"}

# ------------------------------------------------------------------------ Part A: EN -> RU


@dataclass(frozen=True)
class Thing:
    """An English noun, its Russian gender and its Russian forms (nom, gen, acc, ins)."""

    en: str
    gender: str
    nom: str
    gen: str
    acc: str
    ins: str


def _things(table: str) -> list[Thing]:
    things = []
    for line in table.strip().splitlines():
        en, gender, *forms = line.split()
        if len(forms) != 4 or gender not in PRONOUNS_RU:
            raise ValueError(f"bad noun line {line!r}: expected 'en gender nom gen acc ins'")
        things.append(Thing(en, gender, *forms))
    return things


#       English    gender  nom         gen         acc         ins
THINGS_RU = _things(
    """
    ball       m  мяч         мяча        мяч         мячом
    table      m  стол        стола       стол        столом
    key        m  ключ        ключа       ключ        ключом
    phone      m  телефон     телефона    телефон     телефоном
    cake       m  торт        торта       торт        тортом
    chair      m  стул        стула       стул        стулом
    suitcase   m  чемодан     чемодана    чемодан     чемоданом
    pencil     m  карандаш    карандаша   карандаш    карандашом
    box        f  коробка     коробки     коробку     коробкой
    bag        f  сумка       сумки       сумку       сумкой
    book       f  книга       книги       книгу       книгой
    cup        f  чашка       чашки       чашку       чашкой
    pen        f  ручка       ручки       ручку       ручкой
    picture    f  картина     картины     картину     картиной
    bottle     f  бутылка     бутылки     бутылку     бутылкой
    lamp       f  лампа       лампы       лампу       лампой
    window     n  окно        окна        окно        окном
    letter     n  письмо      письма      письмо      письмом
    apple      n  яблоко      яблока      яблоко      яблоком
    mirror     n  зеркало     зеркала     зеркало     зеркалом
    armchair   n  кресло      кресла      кресло      креслом
    egg        n  яйцо        яйца        яйцо        яйцом
    bucket     n  ведро       ведра       ведро       ведром
    ring       n  кольцо      кольца      кольцо      кольцом
    """
)
HELD_OUT_NOUNS = ("suitcase", "pencil", "bottle", "lamp", "bucket", "ring")

MODIFIERS = [
    Adjective("red", "красн", "ый", "t"),
    Adjective("new", "нов", "ый", "t"),
    Adjective("old", "стар", "ый", "t"),
    Adjective("white", "бел", "ый", "t"),
    Adjective("green", "зелён", "ый", "t"),
    Adjective("wooden", "деревянн", "ый", "t"),
]
HELD_OUT_ADJECTIVES = ("green", "wooden")
ORDERS = ("anaphora", "cataphora")

# gender -> (past-tense ending of было/был/была, short participle ending)
_PAST = {"m": "", "f": "а", "n": "о"}
_INS_ADJ = {"m": "им", "f": "ой", "n": "им"}  # instrumental of a soft-stem (-ий/-ой) adjective


def _reflexive_past(stem: str, gender: str) -> str:
    return stem + {"m": "ся", "f": "ась", "n": "ось"}[gender]


# Each schema: English main clause and reason clause, the case of the second noun, Russian main
# clause and reason clause, and the two flip words: the first flip word makes the first noun the
# antecedent, the second the second noun.
def _ru_fit_main(a: str, b: str, a_gender: str) -> str:
    return f"{a} не {_reflexive_past('поместил', a_gender)} в {b}"


def _ru_fit_reason(gender: str, word: str) -> str:
    adjective = {"big": "больш", "small": "маленьк"}[word] + _INS_ADJ[gender]
    return f"потому что {PRONOUNS_RU[gender]} был{_PAST[gender]} слишком {adjective}"


def _ru_heavy_main(a: str, b: str, a_gender: str) -> str:
    return f"{a} тяжелее , чем {b}"


def _ru_heavy_reason(gender: str, word: str) -> str:
    material = {"iron": "железа", "paper": "бумаги"}[word]
    return f"потому что {PRONOUNS_RU[gender]} сделан{_PAST[gender]} из {material}"


def _ru_hide_main(a: str, b: str, a_gender: str) -> str:
    return f"{a} был{_PAST[a_gender]} спрятан{_PAST[a_gender]} за {b}"


def _ru_hide_reason(gender: str, word: str) -> str:
    adjective = {"small": "маленьк", "wide": "широк"}[word] + _INS_ADJ[gender]
    return f"потому что {PRONOUNS_RU[gender]} был{_PAST[gender]} очень {adjective}"


SCHEMAS_EN_RU = {
    "fit": ("the {a} did not fit into the {b}", "because it was too {w}", "acc",
            _ru_fit_main, _ru_fit_reason, ("big", "small")),
    "heavy": ("the {a} is heavier than the {b}", "because it is made of {w}", "nom",
              _ru_heavy_main, _ru_heavy_reason, ("iron", "paper")),
    "hide": ("the {a} was hidden behind the {b}", "because it was very {w}", "ins",
             _ru_hide_main, _ru_hide_reason, ("small", "wide")),
}  # fmt: skip


def _noun_phrase(rng: random.Random, thing: Thing, case: str, modifiers, p_mod: float):
    """English ``[adj] noun`` and its Russian form in ``case`` (adjective agreeing)."""
    if rng.random() < p_mod:
        adj = rng.choice(modifiers)
        return (
            f"{adj.en} {thing.en}",
            f"{adj.form(case, thing.gender, False)} {getattr(thing, case)}",
        )
    return thing.en, getattr(thing, case)


def _winograd_pair(
    rng, schema: str, a: Thing, b: Thing, modifiers, p_mod: float, order: str
) -> list[dict]:
    """A minimal pair; ``order`` "anaphora" (main clause first) or "cataphora" (reason first)."""
    main_en, reason_en, b_case, ru_main, ru_reason, words = SCHEMAS_EN_RU[schema]
    a_en, a_ru = _noun_phrase(rng, a, "nom", modifiers, p_mod)
    b_en, b_ru = _noun_phrase(rng, b, b_case, modifiers, p_mod)
    records = []
    for answer, word in enumerate(words):
        antecedent = (a, b)[answer]
        main = (main_en.format(a=a_en, b=b_en), ru_main(a_ru, b_ru, a.gender))
        reason = (reason_en.format(w=word), ru_reason(antecedent.gender, word))
        first, second = (main, reason) if order == "anaphora" else (reason, main)
        en, ru = f"{first[0]} {second[0]} .", f"{first[1]} , {second[1]} ."
        if order == "cataphora":
            en = f"{first[0]} , {second[0]} ."
        tokens = en.split()
        a_index = tokens.index(a.en)
        b_index = len(tokens) - 1 - tokens[::-1].index(b.en)
        records.append(
            {
                "en": en,
                "ru": ru,
                "kind": "winograd",
                "schema": schema,
                "order": order,
                "flip_word": word,
                "pronoun_index": tokens.index("it"),
                "candidate_indices": [a_index, b_index],
                "candidates": [a.en, b.en],
                "answer": answer,
                "gender": antecedent.gender,
                "ru_pronoun": PRONOUNS_RU[antecedent.gender],
            }
        )
    return records


def _fillers(rng: random.Random, things: list[Thing]) -> list[dict]:
    """Short non-Winograd sentences: every noun and modifier, every pronoun gender."""
    records = []
    for thing in things:
        for adj in MODIFIERS:
            en = f"i see the {thing.en} . it is {adj.en} ."
            ru = f"я вижу {thing.acc} . {PRONOUNS_RU[thing.gender]} {adj.form('nom', thing.gender, False)} ."
            records.append({"en": en, "ru": ru, "kind": "filler"})
        for other in rng.sample([t for t in things if t is not thing], 3):
            en_a, ru_a = _noun_phrase(rng, thing, "nom", MODIFIERS, 0.5)
            en_b, ru_b = _noun_phrase(rng, other, "ins", MODIFIERS, 0.5)
            records.append(
                {"en": f"the {en_a} is near the {en_b} .", "ru": f"{ru_a} рядом с {ru_b} .",
                 "kind": "filler"}
            )  # fmt: skip
    return records


def generate_winograd_en_ru(
    num_train_pairs: int = 600, num_test_pairs: int = 120, seed: int = 3
) -> list[dict]:
    """English -> Russian Winograd-style minimal pairs for notebook 03, Part A.

    Args:
        num_train_pairs: minimal pairs (two records each) in the ``train`` split; the train
            split also holds filler sentences (every noun with every modifier).
        num_test_pairs: minimal pairs in the ``test`` split; each has at least one noun of
            :data:`HELD_OUT_NOUNS`, and modifiers (when present) come from all adjectives,
            :data:`HELD_OUT_ADJECTIVES` included.
        seed: random seed; the same seed gives the same file on every machine.

    Returns:
        Records ``{"id", "split", "pair_id", "kind", "en", "ru", ...}``; Winograd records add
        ``schema``, ``flip_word``, ``pronoun_index`` (index of ``it`` in ``en.split()``),
        ``candidate_indices`` (the two nouns' token indices), ``candidates``, ``answer`` (0/1),
        ``gender`` of the antecedent and ``ru_pronoun`` (он/она/оно). Introduced in notebook 03.
    """
    for name, value in (("num_train_pairs", num_train_pairs), ("num_test_pairs", num_test_pairs)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    rng = random.Random(seed)
    train_things = [t for t in THINGS_RU if t.en not in HELD_OUT_NOUNS]
    train_mods = [m for m in MODIFIERS if m.en not in HELD_OUT_ADJECTIVES]

    def pairs(pool_a, pool_b, need_held_out):
        out = [
            (s, a, b)
            for s in SCHEMAS_EN_RU
            for a in pool_a
            for b in pool_b
            if a.gender != b.gender
            and (not need_held_out or a.en in HELD_OUT_NOUNS or b.en in HELD_OUT_NOUNS)
        ]
        rng.shuffle(out)
        return out

    train_combos = pairs(train_things, train_things, False)
    test_combos = pairs(THINGS_RU, THINGS_RU, True)
    if num_train_pairs > len(train_combos) or num_test_pairs > len(test_combos):
        raise ValueError(
            f"at most {len(train_combos)} train and {len(test_combos)} test pairs exist, got "
            f"num_train_pairs={num_train_pairs}, num_test_pairs={num_test_pairs}"
        )
    records: list[dict] = []

    def add(split, items):
        for item in items:
            records.append({"id": len(records), "split": split, **item})

    pair_id = 0
    train_items = []
    for schema, a, b in train_combos[:num_train_pairs]:
        order = rng.choice(ORDERS)
        for record in _winograd_pair(rng, schema, a, b, train_mods, 0.25, order):
            train_items.append({"pair_id": pair_id, **record})
        pair_id += 1
    train_items += [{"pair_id": -1, **f} for f in _fillers(rng, THINGS_RU)]
    rng.shuffle(train_items)
    add("train", train_items)
    test_items = []
    for schema, a, b in test_combos[:num_test_pairs]:
        order = rng.choice(ORDERS)
        for record in _winograd_pair(rng, schema, a, b, MODIFIERS, 0.3, order):
            test_items.append({"pair_id": pair_id, **record})
        pair_id += 1
    add("test", test_items)
    return records


# ------------------------------------------------------------------------ Part B: English sets

_GENDER_PAIRS = [  # (male, female)
    ("king", "queen"), ("man", "woman"), ("boy", "girl"), ("father", "mother"),
    ("brother", "sister"), ("uncle", "aunt"), ("husband", "wife"), ("actor", "actress"),
    ("waiter", "waitress"), ("prince", "princess"), ("grandfather", "grandmother"),
    ("son", "daughter"), ("nephew", "niece"), ("monk", "nun"), ("gentleman", "lady"),
]  # fmt: skip
_GENDER_TEMPLATES = [
    "The {a} thanked the {b} because {p} had been very kind.",
    "The {a} called the {b} after {p} had finished dinner.",
    "The {a} smiled at the {b} when {p} walked into the room.",
    "The {a} waited for the {b} while {p} was reading a book.",
]
_NUMBER_NOUNS = [  # (singular, plural)
    ("nurse", "nurses"), ("doctor", "doctors"), ("teacher", "teachers"), ("lawyer", "lawyers"),
    ("farmer", "farmers"), ("student", "students"), ("manager", "managers"), ("pilot", "pilots"),
    ("driver", "drivers"), ("baker", "bakers"), ("guard", "guards"), ("chef", "chefs"),
    ("artist", "artists"), ("writer", "writers"), ("officer", "officers"), ("clerk", "clerks"),
]  # fmt: skip
_NUMBER_TEMPLATES = [
    "The {a} told the {b} that {p} {be} late.",
    "The {a} warned the {b} that {p} {be} in danger.",
    "The {a} asked the {b} whether {p} {be} ready.",
    "The {a} visited the {b} because {p} {be} lonely.",
]


def whole_word_spans(text: str, word: str) -> list[tuple[int, int]]:
    """Character spans of ``word`` in ``text`` as a whole word, case-insensitive; a possessive
    ending may follow (``Anna's``, ``the doctors'``). Introduced in notebook 03."""
    pattern = rf"(?<![\w'-]){re.escape(word.strip())}(?=(?:'s|')?(?![\w'-]))"
    return [m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def _check_record(record: dict) -> dict:
    """Validate one English record: pronoun and candidates occur once as whole words."""
    text = record["text"]
    for word in [record["pronoun"], *record["candidates"]]:
        hits = whole_word_spans(text, word)
        if len(hits) != 1:
            raise ValueError(f"{word!r} occurs {len(hits)} times in {text!r}, expected once")
    return record


def generate_anaphora_agreement_en(seed: int = 0) -> list[dict]:
    """English minimal pairs where grammatical agreement decides the antecedent (notebook 03).

    Gender pairs flip the pronoun (``he``/``she``) between a male and a female noun; number pairs
    flip it (``they`` vs ``he``/``she``) between a singular and a plural noun. Which noun comes
    first and which is the answer alternate, so the first-candidate and nearest-candidate
    baselines sit near 0.5. Returns 2 x 120 = 240 records (60 gender and 60 number pairs).
    Introduced in notebook 03.
    """
    rng = random.Random(seed)
    records: list[dict] = []
    pair_id = 0
    for i, template in enumerate(_GENDER_TEMPLATES):
        for j, (male, female) in enumerate(_GENDER_PAIRS):
            a, b = (male, female) if (i + j) % 2 == 0 else (female, male)
            for pronoun in ("he", "she") if rng.random() < 0.5 else ("she", "he"):
                answer = 0 if (pronoun == "he") == (a == male) else 1
                text = template.format(a=a, b=b, p=pronoun)
                records.append(
                    {"pair_id": pair_id, "kind": "gender", "text": text, "pronoun": pronoun,
                     "candidates": [a, b], "answer": answer}
                )  # fmt: skip
            pair_id += 1
    singular_pronouns = ["he", "she"]
    for i, template in enumerate(_NUMBER_TEMPLATES):
        for j in range(15):
            (sa, pa), (sb, pb) = rng.sample(_NUMBER_NOUNS, 2)
            plural_first = (i + j) % 2 == 0
            a, b = (pa, sb) if plural_first else (sa, pb)
            singular = rng.choice(singular_pronouns)
            for pronoun in ("they", singular) if rng.random() < 0.5 else (singular, "they"):
                plural_answer = 0 if plural_first else 1
                answer = plural_answer if pronoun == "they" else 1 - plural_answer
                be = "were" if pronoun == "they" else "was"
                text = template.format(a=a, b=b, p=pronoun, be=be)
                records.append(
                    {"pair_id": pair_id, "kind": "number", "text": text, "pronoun": pronoun,
                     "candidates": [a, b], "answer": answer}
                )  # fmt: skip
            pair_id += 1
    return [_check_record({"id": k, **r}) for k, r in enumerate(records)]


# (template with {a} {b} {w}, pronoun, flip word -> first noun, flip word -> second noun, pairs)
_WINOGRAD_SCHEMAS = [
    ("The {a} did not fit into the {b} because it was too {w}.", "it", "big", "small",
     [("trophy", "suitcase"), ("ball", "box"), ("guitar", "case")]),
    ("The {a} could not hold the {b} because it was too {w}.", "it", "small", "large",
     [("jar", "melon"), ("vase", "plant"), ("bowl", "pumpkin")]),
    ("The {a} could not lift the {b} because he was too {w}.", "he", "weak", "heavy",
     [("man", "boy"), ("father", "son"), ("grandfather", "grandson")]),
    ("Water was poured from the {a} into the {b} until it was {w}.", "it", "empty", "full",
     [("bottle", "cup"), ("jug", "glass"), ("kettle", "mug")]),
    ("The {a} beat the {b} in the race because she was {w}.", "she", "faster", "slower",
     [("girl", "woman"), ("daughter", "mother"), ("sister", "aunt")]),
    ("The {a} hid behind the {b} because it was so {w}.", "it", "scared", "wide",
     [("cat", "tree"), ("dog", "car"), ("rabbit", "rock")]),
    ("The {a} did not cross the {b} because it was too {w}.", "it", "tired", "wide",
     [("dog", "road"), ("horse", "river"), ("fox", "stream")]),
    ("The {a} costs less than the {b} because it is {w}.", "it", "old", "brand new",
     [("car", "truck"), ("phone", "laptop"), ("bike", "scooter")]),
    ("The {a} tried to call the {b}, but he was not {w}.", "he", "successful", "available",
     [("boy", "uncle"), ("father", "brother"), ("king", "prince")]),
    ("The {a} thanked the {b} for all the help she had {w}.", "she", "received", "given",
     [("girl", "aunt"), ("daughter", "mother"), ("sister", "grandmother")]),
    ("The {a} chased the {b} because it was {w}.", "it", "hungry", "running away",
     [("cat", "mouse"), ("dog", "rabbit"), ("wolf", "deer")]),
    ("The {a} could not cut the {b} because it was too {w}.", "it", "blunt", "hard",
     [("knife", "rope"), ("saw", "log"), ("axe", "branch")]),
    ("The {a} defeated the {b} because they were {w}.", "they", "stronger", "weaker",
     [("lions", "hyenas"), ("soldiers", "rebels"), ("knights", "bandits")]),
    ("The {a} melted the {b} because it was so {w}.", "it", "hot", "thin",
     [("sun", "snow"), ("fire", "wax"), ("heater", "ice")]),
    ("The {a} refused to lend the {b} money because he was {w}.", "he", "stingy", "dishonest",
     [("father", "son"), ("uncle", "nephew"), ("king", "knight")]),
    ("The {a} sank in the {b} because it was so {w}.", "it", "heavy", "deep",
     [("stone", "lake"), ("anchor", "sea"), ("coin", "pond")]),
    ("The {a} could not see the {b} because it was {w}.", "it", "blind", "tiny",
     [("mole", "worm"), ("owl", "beetle"), ("cat", "fly")]),
    ("The {a} fed the {b} because she was {w}.", "she", "kind", "hungry",
     [("woman", "girl"), ("mother", "daughter"), ("grandmother", "granddaughter")]),
    ("The {a} envied the {b} because she was {w}.", "she", "poor", "rich",
     [("maid", "princess"), ("niece", "aunt"), ("nun", "queen")]),
    ("The {a} asked the {b} for advice because he was {w}.", "he", "confused", "wise",
     [("son", "grandfather"), ("prince", "king"), ("boy", "priest")]),
    ("The {a} knocked over the {b} because it was so {w}.", "it", "clumsy", "unstable",
     [("dog", "vase"), ("cat", "lamp"), ("goat", "fence")]),
]  # fmt: skip


def generate_anaphora_winograd_en(seed: int = 0) -> list[dict]:
    """English Winograd-style minimal pairs where only world knowledge decides (notebook 03).

    21 schemas x 3 noun pairs = 63 minimal pairs (126 records): the two records of a pair differ
    in one word (``big``/``small``) that flips the antecedent; both candidates have the same
    number and gender, so agreement cannot help. ``seed`` only shuffles the order of the pairs.
    Introduced in notebook 03.
    """
    items = []
    for schema_id, (template, pronoun, w_a, w_b, nouns) in enumerate(_WINOGRAD_SCHEMAS):
        for a, b in nouns:
            items.append(
                [
                    {"kind": "knowledge", "schema": schema_id, "text": template.format(a=a, b=b, w=w),
                     "pronoun": pronoun, "candidates": [a, b], "answer": answer}
                    for answer, w in enumerate((w_a, w_b))
                ]
            )  # fmt: skip
    random.Random(seed).shuffle(items)
    records = []
    for pair_id, pair in enumerate(items):
        for record in pair:
            records.append(_check_record({"id": len(records), "pair_id": pair_id, **record}))
    return records


# ------------------------------------------------------------------------ files

GENERATORS = {
    WINOGRAD_EN_RU_FILE: generate_winograd_en_ru,
    AGREEMENT_FILE: generate_anaphora_agreement_en,
    WINOGRAD_EN_FILE: generate_anaphora_winograd_en,
}


def load_records(name_or_path: str | Path, regenerate: bool = True) -> list[dict]:
    """Read one of this module's files (a name in ``data/`` or a path) as a list of dicts.

    A missing file of :data:`GENERATORS` is regenerated from its seed when ``regenerate``.
    Introduced in notebook 03.
    """
    generator = GENERATORS.get(Path(name_or_path).name)
    return read_jsonl(ensure_file(name_or_path, generator, regenerate))
