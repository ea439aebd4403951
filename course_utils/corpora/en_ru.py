"""The synthetic English -> Russian corpus with gold word alignments.

Introduced in notebook 01 (Bahdanau attention as soft alignment); notebook 06 fine-tunes BART
on the same pairs. Sentence pairs are generated from the lexicon of
:mod:`course_utils.corpora.russian_lexicon` with gold alignments (sure and possible links, Och
and Ney 2003). Articles have no Russian counterpart, Russian nouns, adjectives and possessives
take case endings by their role (nominative, genitive, dative, accusative, instrumental,
prepositional), past-tense verbs agree with the subject's gender, and some words move
(``the teacher 's book`` -> ``книга учителя``, clause-final English adverbs move before the
Russian verb or to the front of the clause). Sentences have one to three clauses, so lengths
vary from 4 to 37 tokens. The committed file is ``data/en_ru_parallel.jsonl``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .jsonl import ensure_file, read_jsonl
from .russian_lexicon import (
    ADJECTIVES,
    ADVERBS,
    CONJUNCTIONS,
    OWNABLE,
    PEOPLE,
    PLACES,
    THINGS,
    VERBS,
    VOWELS,
    Adjective,
    Noun,
    Verb,
    possessive_form,
)

__all__ = [
    "EN_RU_FILE",
    "EN_RU_SEED",
    "EN_RU_SPLITS",
    "format_links",
    "generate_en_ru_parallel",
    "load_en_ru_parallel",
    "parse_links",
]

# --------------------------------------------------------------------------- phrase assembly


@dataclass
class _Phrase:
    """English and Russian tokens of one unit with local links (en_index, ru_index, kind)."""

    en: list[str]
    ru: list[str]
    links: list[tuple[int, int, str]]  # kind "S" sure or "P" possible


def _word(en: str, ru: str) -> _Phrase:
    return _Phrase([en], [ru], [(0, 0, "S")])


def _concat(units: Sequence[_Phrase], ru_order: Sequence[int] | None = None) -> _Phrase:
    """Join units in English order; ``ru_order`` lists the units in Russian order."""
    ru_order = list(range(len(units))) if ru_order is None else list(ru_order)
    en_offsets, ru_offsets = [], [0] * len(units)
    offset = 0
    for unit in units:
        en_offsets.append(offset)
        offset += len(unit.en)
    offset = 0
    for k in ru_order:
        ru_offsets[k] = offset
        offset += len(units[k].ru)
    en = [tok for unit in units for tok in unit.en]
    ru = [tok for k in ru_order for tok in units[k].ru]
    links = [
        (i + en_offsets[k], j + ru_offsets[k], kind)
        for k, unit in enumerate(units)
        for i, j, kind in unit.links
    ]
    return _Phrase(en, ru, links)


def _article(rng: random.Random, next_en: str, definite_only: bool = False) -> str:
    if definite_only or rng.random() < 0.7:
        return "the"
    return "an" if next_en[0] in "aeiou" else "a"


def _noun_phrase(
    rng: random.Random, noun: Noun, case: str, allow_possessor: bool = True
) -> _Phrase:
    """``[det] [adj] noun`` or ``[det] [adj] owner 's [adj] noun`` -> Russian in ``case``.

    Articles are possible links to the Russian noun (Russian has no articles); the possessive
    ``'s`` is a possible link to the genitive owner, which moves after the owned noun.
    """
    kind = "p" if noun.animate else "t"
    adjectives = [a for a in ADJECTIVES if kind in a.kinds]
    if allow_possessor and noun in OWNABLE and rng.random() < 0.12:
        owner = rng.choice(PEOPLE)
        owner_np = _noun_phrase(rng, owner, "gen", allow_possessor=False)
        # the owner's determiner stays with the owner; the owned noun has no article
        owned = _bare_noun_phrase(rng, noun, case, adjectives, rng.random() < 0.25)
        s_index = len(owner_np.en)
        # owner's Russian noun is its last Russian token
        owner_noun_ru = len(owner_np.ru) - 1
        owner_np.en.append("'s")
        owner_np.links.append((s_index, owner_noun_ru, "P"))
        return _concat([owner_np, owned], ru_order=[1, 0])
    has_adj = rng.random() < 0.25
    bare = _bare_noun_phrase(rng, noun, case, adjectives, has_adj)
    roll = rng.random()
    if roll < 0.75:
        det = _article(rng, bare.en[0])
        det_phrase = _Phrase([det], [], [])
        phrase = _concat([det_phrase, bare])
        phrase.links.append((0, len(phrase.ru) - 1, "P"))
        return phrase
    word = "my" if roll < 0.9 else "our"
    det_phrase = _word(word, possessive_form(word, case, noun.gender, noun.animate))
    return _concat([det_phrase, bare])


def _bare_noun_phrase(
    rng: random.Random, noun: Noun, case: str, adjectives: list[Adjective], has_adj: bool
) -> _Phrase:
    units = []
    if has_adj:
        adj = rng.choice(adjectives)
        units.append(_word(adj.en, adj.form(case, noun.gender, noun.animate)))
    units.append(_word(noun.en, noun.form(case)))
    return _concat(units)


def _prep_phrase(en_prep: str, ru_prep: str, np: _Phrase) -> _Phrase:
    """``en_prep NP``: a sure link between the prepositions, or, with no Russian preposition
    (the case ending does its job), a possible link from the English one to the Russian noun."""
    first = np.ru[0]
    if ru_prep == "о" and first.startswith(VOWELS):
        ru_prep = "об"  # об отце, об умном брате (but о яблоке)
    if ru_prep == "с" and first[0] in "сзшжщ" and first[1] not in "аеёиоуыэюя":
        ru_prep = "со"  # со студентом, со старым другом (but с сестрой)
    if ru_prep:
        return _concat([_word(en_prep, ru_prep), np])
    phrase = _concat([_Phrase([en_prep], [], []), np])
    phrase.links.append((0, len(phrase.ru) - 1, "P"))
    return phrase


def _objects(verb: Verb) -> list[Noun]:
    if verb.objects in ("p", "t", "pt"):
        return (PEOPLE if "p" in verb.objects else []) + (THINGS if "t" in verb.objects else [])
    names = verb.objects.split()
    return [n for n in THINGS + PEOPLE if n.en in names]


def _clause(rng: random.Random, pronoun_ok: bool) -> _Phrase:
    """One clause: subject, verb, object(s), optional place/instrument/companion, adverb."""
    past = rng.random() < 0.5
    if pronoun_ok and rng.random() < 0.3:
        gender = rng.choice("mf")
        subject = _word("he" if gender == "m" else "she", "он" if gender == "m" else "она")
    else:
        noun = rng.choice(PEOPLE)
        gender = noun.gender
        subject = _noun_phrase(rng, noun, "nom")
    verb = rng.choice(VERBS)
    en_verb = verb.en_past if past else verb.en_present
    ru_verb = (verb.ru_past_m if gender == "m" else verb.ru_past_f) if past else verb.ru_present
    verb_unit = _word(en_verb, ru_verb)
    # units in English order; "tail" units follow the verb in both languages
    tail: list[_Phrase] = []
    if verb.frame in ("acc", "dat", "ditr"):
        case = {"acc": "acc", "dat": "dat", "ditr": "acc"}[verb.frame]
        tail.append(_noun_phrase(rng, rng.choice(_objects(verb)), case))
        if verb.frame == "ditr":
            tail.append(_prep_phrase("to", "", _noun_phrase(rng, rng.choice(PEOPLE), "dat")))
    elif verb.frame != "intr":
        np = _noun_phrase(rng, rng.choice(_objects(verb)), verb.case)
        tail.append(_prep_phrase(verb.en_prep, verb.ru_prep, np))
    extra = rng.random()
    if verb.instrument and extra < 0.3:
        tool = rng.choice([n for n in THINGS if n.en in verb.instrument.split()])
        article = _article(rng, tool.en)
        np = _concat([_Phrase([article], [], []), _word(tool.en, tool.form("ins"))])
        np.links.append((0, 0, "P"))
        tail.append(_prep_phrase("with", "", np))
    elif verb.frame in ("intr", "acc") and extra < 0.3:
        en_prep, place, ru_prep = rng.choice(PLACES)
        np = _noun_phrase(rng, place, "prep", allow_possessor=False)
        tail.append(_prep_phrase(en_prep, ru_prep, np))
    elif verb.frame == "intr" and extra < 0.6:
        np = _noun_phrase(rng, rng.choice(PEOPLE), "ins", allow_possessor=False)
        tail.append(_prep_phrase("with", "с", np))
    units = [subject, verb_unit, *tail]
    order = list(range(len(units)))
    if rng.random() < 0.3:
        options = [a for a in ADVERBS if a[3] in ("any", "past" if past else "present")]
        en_adv, ru_adv, adv_kind, _ = rng.choice(options)
        units.append(_word(en_adv, ru_adv))
        adv = len(units) - 1
        if adv_kind == "manner":  # subject ADV verb ...
            order = [0, adv, *range(1, adv)]
        else:  # ADV subject verb ...
            order = [adv, *range(adv)]
    return _concat(units, order)


def _sentence(rng: random.Random, num_clauses: int) -> _Phrase:
    units = [_clause(rng, pronoun_ok=False)]
    for _ in range(num_clauses - 1):
        en_conj, ru_conj = rng.choice(CONJUNCTIONS)
        conj = _Phrase([",", en_conj], [",", *ru_conj], [(0, 0, "S")])
        conj.links += [(1, j, "S") for j in range(1, len(ru_conj) + 1)]
        units += [conj, _clause(rng, pronoun_ok=True)]
    units.append(_word(".", "."))
    return _concat(units)


# --------------------------------------------------------------------------- links as text


def format_links(links: Sequence[tuple[int, int]]) -> str:
    """``[(0, 0), (2, 1)]`` -> ``"0-0 2-1"`` (Pharaoh format: source index - target index)."""
    return " ".join(f"{i}-{j}" for i, j in sorted(set(links)))


def parse_links(text: str) -> list[tuple[int, int]]:
    """``"0-0 2-1"`` -> ``[(0, 0), (2, 1)]``; raises ``ValueError`` on a malformed link."""
    links = []
    for item in text.split():
        parts = item.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"malformed link {item!r} in {text!r}: expected 'i-j' with ints >= 0")
        links.append((int(parts[0]), int(parts[1])))
    return links


# --------------------------------------------------------------------------- the corpus

EN_RU_FILE = "en_ru_parallel.jsonl"
EN_RU_SEED = 2014
EN_RU_SPLITS = {"train": 2000, "validation": 150, "test": 400}
# probabilities of 1, 2, 3 clauses: a wide range of lengths for the length bins
_CLAUSE_WEIGHTS = (0.45, 0.35, 0.2)


def generate_en_ru_parallel(
    splits: dict[str, int] | None = None, seed: int = EN_RU_SEED
) -> list[dict]:
    """Generate the synthetic English -> Russian corpus with gold alignments (notebook 01).

    Args:
        splits: number of pairs per split, default :data:`EN_RU_SPLITS`.
        seed: random seed; the same seed gives the same corpus on every machine.

    Returns:
        A list of records ``{"id", "split", "en", "ru", "sure", "possible"}``: ``en``/``ru`` are
        space-separated tokens (lower case, punctuation split off), ``sure`` and ``possible`` are
        links in Pharaoh format ``"i-j"`` (English index i, Russian index j). ``possible`` lists
        only the possible-but-not-sure links; the possible set of Och and Ney is ``sure | possible``.
        English sentences are unique across the whole corpus.
    """
    splits = dict(EN_RU_SPLITS if splits is None else splits)
    for name, size in splits.items():
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"split {name!r} size must be an int >= 0, got {size!r}")
    rng = random.Random(seed)
    seen: set[str] = set()
    records = []
    for split, size in splits.items():
        count = 0
        while count < size:
            num_clauses = rng.choices((1, 2, 3), weights=_CLAUSE_WEIGHTS)[0]
            phrase = _sentence(rng, num_clauses)
            en = " ".join(phrase.en)
            if en in seen:
                continue
            seen.add(en)
            sure = [(i, j) for i, j, kind in phrase.links if kind == "S"]
            possible = [(i, j) for i, j, kind in phrase.links if kind == "P"]
            records.append(
                {
                    "id": len(records),
                    "split": split,
                    "en": en,
                    "ru": " ".join(phrase.ru),
                    "sure": format_links(sure),
                    "possible": format_links(possible),
                }
            )
            count += 1
    return records


def load_en_ru_parallel(path: Path | str | None = None, regenerate: bool = True):
    """Load the English -> Russian corpus as a ``datasets.DatasetDict`` (notebook 01).

    Reads ``data/en_ru_parallel.jsonl`` (or ``path``); if the file is missing and ``regenerate``
    is True it is generated from :data:`EN_RU_SEED` and written first.

    Returns:
        ``DatasetDict`` with splits ``train``/``validation``/``test``; columns ``id`` (int),
        ``en``, ``ru`` (space-separated tokens), ``en_tokens``, ``ru_tokens`` (lists of str),
        ``sure`` and ``possible`` (lists of ``[en_index, ru_index]``; ``possible`` holds the
        possible-only links, so Och and Ney's P is ``sure + possible``).
    """
    from datasets import Dataset, DatasetDict

    path = ensure_file(EN_RU_FILE if path is None else path, generate_en_ru_parallel, regenerate)
    columns: dict[str, dict[str, list]] = {}
    for record in read_jsonl(path, required=("id", "split", "en", "ru", "sure", "possible")):
        split = columns.setdefault(record["split"], {})
        row = {
            "id": record["id"],
            "en": record["en"],
            "ru": record["ru"],
            "en_tokens": record["en"].split(),
            "ru_tokens": record["ru"].split(),
            "sure": [list(link) for link in parse_links(record["sure"])],
            "possible": [list(link) for link in parse_links(record["possible"])],
        }
        for key, value in row.items():
            split.setdefault(key, []).append(value)
    return DatasetDict({name: Dataset.from_dict(cols) for name, cols in columns.items()})
