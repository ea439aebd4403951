"""A small Russian lexicon with the English glosses: nouns, adjectives, verbs, possessives.

Introduced in notebook 01, whose English -> Russian corpus (:mod:`course_utils.corpora.en_ru`) is
built from it; the Winograd pairs of notebook 03 (:mod:`course_utils.corpora.winograd`) reuse its
:class:`Adjective`. Every word carries the forms the generators need: nouns their six cases in
singular (and gender, animacy), adjectives their endings by gender and case, past-tense verbs
their forms by the subject's gender.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADJECTIVES",
    "ADVERBS",
    "CASES",
    "CONJUNCTIONS",
    "OWNABLE",
    "PEOPLE",
    "PLACES",
    "POSSESSIVES",
    "THINGS",
    "VERBS",
    "VOWELS",
    "Adjective",
    "Noun",
    "Verb",
    "possessive_form",
]

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


def possessive_form(word: str, case: str, gender: str, animate: bool) -> str:
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
VOWELS = tuple("аоуэиы")
