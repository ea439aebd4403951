"""Data the course writes itself: seeded generators and loaders returning ``datasets.DatasetDict``.

Each corpus has a generator (deterministic for a given seed), a small committed file under
``data/`` (see ``data/README.md``) and a loader that reads the file, regenerating it from the
seed when it is missing. Regenerate every file with ``python -m course_utils.data``; check that
the committed files match their generators with ``python -m course_utils.data --check``.

Corpora:

- ``en_ru_parallel`` (notebook 01): synthetic English -> Russian sentence pairs with gold word
  alignments (sure and possible links, Och and Ney 2003). Articles have no Russian counterpart,
  Russian nouns, adjectives and possessives take case endings by their role (nominative,
  genitive, dative, accusative, instrumental, prepositional), past-tense verbs agree with the
  subject's gender, and some words move (``the teacher 's book`` -> ``книга учителя``, clause-final
  English adverbs move before the Russian verb or to the front of the clause). Sentences have one
  to three clauses, so lengths vary from 4 to 37 tokens.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .dialogue import load_chatterbot_pairs
from .paths import data_dir
from .shakespeare import (
    SHAKESPEARE_PLAYS,
    BPETokenizer,
    CharTokenizer,
    load_shakespeare,
    make_tokenizer,
)

__all__ = [  # the real corpora of notebook 05 are built in .shakespeare and .dialogue
    "SHAKESPEARE_PLAYS",
    "BPETokenizer",
    "CharTokenizer",
    "load_chatterbot_pairs",
    "load_shakespeare",
    "make_tokenizer",
    "EN_RU_FILE",
    "EN_RU_SEED",
    "EN_RU_SPLITS",
    "format_links",
    "generate_en_ru_parallel",
    "load_en_ru_parallel",
    "parse_links",
    "write_jsonl",
]

# --------------------------------------------------------------------------- Russian lexicon

CASES = ("nom", "gen", "dat", "acc", "ins", "prep")


@dataclass(frozen=True)
class Noun:
    """An English noun and its six Russian singular case forms."""

    en: str
    forms: tuple[str, ...]  # nom gen dat acc ins prep
    gender: str  # "m", "f" or "n"
    animate: bool

    def form(self, case: str) -> str:
        return self.forms[CASES.index(case)]


def _nouns(table: str, animate: bool) -> list[Noun]:
    nouns = []
    for line in table.strip().splitlines():
        en, gender, *forms = line.split()
        if len(forms) != 6:
            raise ValueError(f"noun {en!r} needs 6 case forms, got {forms}")
        nouns.append(Noun(en, tuple(forms), gender, animate))
    return nouns


#        English     gender  nom       gen        dat        acc        ins          prep
PEOPLE = _nouns(
    """
    boy          m  мальчик   мальчика   мальчику   мальчика   мальчиком    мальчике
    girl         f  девочка   девочки    девочке    девочку    девочкой     девочке
    teacher      m  учитель   учителя    учителю    учителя    учителем     учителе
    doctor       m  врач      врача      врачу      врача      врачом       враче
    sister       f  сестра    сестры     сестре     сестру     сестрой      сестре
    brother      m  брат      брата      брату      брата      братом       брате
    cat          f  кошка     кошки      кошке      кошку      кошкой       кошке
    dog          f  собака    собаки     собаке     собаку     собакой      собаке
    student      m  студент   студента   студенту   студента   студентом    студенте
    mother       f  мама      мамы       маме       маму       мамой        маме
    father       m  отец      отца       отцу       отца       отцом        отце
    friend       m  друг      друга      другу      друга      другом       друге
    grandmother  f  бабушка   бабушки    бабушке    бабушку    бабушкой     бабушке
    neighbour    m  сосед     соседа     соседу     соседа     соседом      соседе
    daughter     f  дочь      дочери     дочери     дочь       дочерью      дочери
    son          m  сын       сына       сыну       сына       сыном        сыне
    """,
    animate=True,
)

THINGS = _nouns(
    """
    book       f  книга      книги      книге      книгу      книгой      книге
    letter     n  письмо     письма     письму     письмо     письмом     письме
    apple      n  яблоко     яблока     яблоку     яблоко     яблоком     яблоке
    car        f  машина     машины     машине     машину     машиной     машине
    house      m  дом        дома       дому       дом        домом       доме
    table      m  стол       стола      столу      стол       столом      столе
    window     n  окно       окна       окну       окно       окном       окне
    door       f  дверь      двери      двери      дверь      дверью      двери
    newspaper  f  газета     газеты     газете     газету     газетой     газете
    flower     m  цветок     цветка     цветку     цветок     цветком     цветке
    picture    f  картина    картины    картине    картину    картиной    картине
    key        m  ключ       ключа      ключу      ключ       ключом      ключе
    bag        f  сумка      сумки      сумке      сумку      сумкой      сумке
    phone      m  телефон    телефона   телефону   телефон    телефоном   телефоне
    cake       m  торт       торта      торту      торт       тортом      торте
    pen        f  ручка      ручки      ручке      ручку      ручкой      ручке
    pencil     m  карандаш   карандаша  карандашу  карандаш   карандашом  карандаше
    present    m  подарок    подарка    подарку    подарок    подарком    подарке
    ball       m  мяч        мяча       мячу       мяч        мячом       мяче
    song       f  песня      песни      песне      песню      песней      песне
    """,
    animate=False,
)

# Places: (English preposition, noun, Russian preposition). The noun's "prep" form is the
# locative (в саду, not в саде).
PLACES = [
    (en_prep, _nouns(spec, animate=False)[0], ru_prep)
    for en_prep, spec, ru_prep in [
        ("in", "park m парк парка парку парк парком парке", "в"),
        ("in", "garden m сад сада саду сад садом саду", "в"),
        ("in", "kitchen f кухня кухни кухне кухню кухней кухне", "на"),
        ("in", "city m город города городу город городом городе", "в"),
        ("at", "school f школа школы школе школу школой школе", "в"),
        ("on", "street f улица улицы улице улицу улицей улице", "на"),
        ("at", "station m вокзал вокзала вокзалу вокзал вокзалом вокзале", "на"),
        ("in", "library f библиотека библиотеки библиотеке библиотеку библиотекой библиотеке", "в"),
        ("in", "shop m магазин магазина магазину магазин магазином магазине", "в"),
    ]
]

_VELAR_OR_HUSHING = tuple("кгхшжчщ")


@dataclass(frozen=True)
class Adjective:
    """An English adjective and the stem and masculine nominative ending of its Russian form."""

    en: str
    stem: str
    nom_m: str  # "ый", "ой" (stressed) or "ий" (unstressed, after к/г/х)
    kinds: str  # "p" people, "t" things/places, "pt" both

    def form(self, case: str, gender: str, animate: bool) -> str:
        """Russian form agreeing in case, gender and (for the accusative) animacy."""
        i = "и" if self.stem.endswith(_VELAR_OR_HUSHING) else "ы"
        if gender == "f":
            ending = {"nom": "ая", "acc": "ую"}.get(case, "ой")
        else:
            endings = {"gen": "ого", "dat": "ому", "ins": i + "м", "prep": "ом"}
            nom = self.nom_m if gender == "m" else "ое"
            endings["nom"] = nom
            endings["acc"] = endings["gen"] if (gender == "m" and animate) else nom
            ending = endings[case]
        return self.stem + ending


ADJECTIVES = [
    Adjective("new", "нов", "ый", "t"),
    Adjective("old", "стар", "ый", "pt"),
    Adjective("red", "красн", "ый", "t"),
    Adjective("white", "бел", "ый", "t"),
    Adjective("kind", "добр", "ый", "p"),
    Adjective("young", "молод", "ой", "p"),
    Adjective("big", "больш", "ой", "t"),
    Adjective("small", "маленьк", "ий", "pt"),
    Adjective("beautiful", "красив", "ый", "pt"),
    Adjective("clever", "умн", "ый", "p"),
]

# Possessive determiners: case x gender forms ("m" row also gives the inanimate masculine accusative).
POSSESSIVES = {
    "my": {
        "m": ("мой", "моего", "моему", "мой", "моим", "моём"),
        "f": ("моя", "моей", "моей", "мою", "моей", "моей"),
        "n": ("моё", "моего", "моему", "моё", "моим", "моём"),
    },
    "our": {
        "m": ("наш", "нашего", "нашему", "наш", "нашим", "нашем"),
        "f": ("наша", "нашей", "нашей", "нашу", "нашей", "нашей"),
        "n": ("наше", "нашего", "нашему", "наше", "нашим", "нашем"),
    },
}


def _possessive(word: str, case: str, gender: str, animate: bool) -> str:
    forms = POSSESSIVES[word][gender]
    if case == "acc" and gender == "m" and animate:
        case = "gen"
    return forms[CASES.index(case)]


@dataclass(frozen=True)
class Verb:
    """A verb frame: English 3sg present/past, Russian present and past (m, f), object frame.

    ``frame`` is one of ``"acc"`` (direct object, accusative), ``"dat"`` (English direct object,
    Russian dative), ``"ditr"`` (object + ``to`` + dative), ``"intr"`` (no object), or a
    prepositional frame ``"for"``/``"with"``/``"about"``/``"at"`` given by ``en_prep``/``ru_prep``
    and ``case``. ``objects`` says which nouns it takes: ``"p"`` people, ``"t"`` things, ``"pt"``
    both, or a space-separated list of English nouns.
    """

    en_present: str
    en_past: str
    ru_present: str
    ru_past_m: str
    ru_past_f: str
    frame: str
    objects: str = "pt"
    en_prep: str = ""
    ru_prep: str = ""
    case: str = "acc"
    instrument: str = ""  # nouns for "with a pen" -> instrumental without preposition


# things one can hand over (give, show, take)
_PORTABLE = "book letter apple key bag phone cake pen pencil present ball newspaper flower picture"

# fmt: off
VERBS = [
    Verb("sees", "saw", "видит", "видел", "видела", "acc"),
    Verb("finds", "found", "находит", "нашёл", "нашла", "acc"),
    Verb("buys", "bought", "покупает", "купил", "купила", "acc", "t"),
    Verb("takes", "took", "берёт", "взял", "взяла", "acc", _PORTABLE),
    Verb("loves", "loved", "любит", "любил", "любила", "acc"),
    Verb("draws", "drew", "рисует", "нарисовал", "нарисовала", "acc", instrument="pen pencil"),
    Verb("meets", "met", "встречает", "встретил", "встретила", "acc", "p"),
    Verb("writes", "wrote", "пишет", "написал", "написала", "acc", "letter book song",
         instrument="pen pencil"),
    Verb("opens", "opened", "открывает", "открыл", "открыла", "acc", "window door bag book letter",
         instrument="key"),
    Verb("gives", "gave", "даёт", "дал", "дала", "ditr", _PORTABLE),
    Verb("shows", "showed", "показывает", "показал", "показала", "ditr", _PORTABLE),
    Verb("sends", "sent", "отправляет", "отправил", "отправила", "ditr",
         "letter book present picture"),
    Verb("calls", "called", "звонит", "позвонил", "позвонила", "dat", "p"),
    Verb("helps", "helped", "помогает", "помог", "помогла", "dat", "p"),
    Verb("waits", "waited", "ждёт", "ждал", "ждала", "for", "pt", "for", "", "acc"),
    Verb("talks", "talked", "говорит", "говорил", "говорила", "with", "p", "with", "с", "ins"),
    Verb("plays", "played", "играет", "играл", "играла", "with", "p", "with", "с", "ins"),
    Verb("thinks", "thought", "думает", "думал", "думала", "about", "pt", "about", "о", "prep"),
    Verb("dreams", "dreamed", "мечтает", "мечтал", "мечтала", "about", "t", "about", "о", "prep"),
    Verb("looks", "looked", "смотрит", "смотрел", "смотрела", "at", "pt", "at", "на", "acc"),
    Verb("sleeps", "slept", "спит", "спал", "спала", "intr"),
    Verb("works", "worked", "работает", "работал", "работала", "intr"),
    Verb("sings", "sang", "поёт", "пел", "пела", "intr"),
    Verb("walks", "walked", "гуляет", "гулял", "гуляла", "intr"),
]
# fmt: on

# English clause-final adverbs. "manner": Russian puts it right before the verb;
# "time": Russian puts it first in the clause. Tense: "any", "past" or "present".
ADVERBS = [
    ("quickly", "быстро", "manner", "any"),
    ("slowly", "медленно", "manner", "any"),
    ("again", "снова", "manner", "any"),
    ("yesterday", "вчера", "time", "past"),
    ("today", "сегодня", "time", "any"),
    ("now", "сейчас", "time", "present"),
]

CONJUNCTIONS = [("and", ["и"]), ("but", ["но"]), ("because", ["потому", "что"])]
# nouns that can be owned ("the teacher 's daughter", "the boy 's book"): relations and things
OWNABLE = [n for n in PEOPLE if n.en not in ("boy", "girl", "student")] + THINGS
_VOWELS = tuple("аоуэиы")

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
    det_phrase = _word(word, _possessive(word, case, noun.gender, noun.animate))
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
    if ru_prep == "о" and first.startswith(_VOWELS):
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


def _dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(records: Sequence[dict], path: Path) -> Path:
    """Write one JSON object per line (UTF-8, Cyrillic kept readable); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(_dumps(record) + "\n")
    return path


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

    path = Path(path) if path is not None else data_dir() / EN_RU_FILE
    if not path.is_file():
        if not regenerate:
            raise FileNotFoundError(
                f"{path} not found; create it with `python -m course_utils.data` "
                f"or call load_en_ru_parallel(regenerate=True)"
            )
        write_jsonl(generate_en_ru_parallel(), path)
    columns: dict[str, dict[str, list]] = {}
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            missing = {"id", "split", "en", "ru", "sure", "possible"} - set(record)
            if missing:
                raise ValueError(f"{path}:{line_number} lacks the fields {sorted(missing)}")
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


# --------------------------------------------------------------------------- command line

GENERATORS = {EN_RU_FILE: generate_en_ru_parallel}


def all_generators() -> dict:
    """Every generated file of ``data/``: this module's and those of the modules built on it."""
    # Imported here: these modules import this one (lexicon, write_jsonl).
    from .preferences import GENERATORS as RLHF_GENERATORS
    from .summarization import SUMMARIES_FILE, generate_summaries
    from .winograd import GENERATORS as WINOGRAD_GENERATORS

    return {
        **GENERATORS,
        **WINOGRAD_GENERATORS,
        SUMMARIES_FILE: generate_summaries,
        **RLHF_GENERATORS,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.data [--check]``: (re)write or verify every generated file."""
    parser = argparse.ArgumentParser(description="Generate the course's synthetic data files.")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    status = 0
    for name, generator in all_generators().items():
        path = data_dir() / name
        text = "".join(_dumps(r) + "\n" for r in generator())
        if args.check:
            same = path.is_file() and path.read_text(encoding="utf-8") == text
            print(f"{path}: {'matches its generator' if same else 'DIFFERS from its generator'}")
            status |= 0 if same else 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path} ({len(text.encode('utf-8')) / 1024:.0f} KiB)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
