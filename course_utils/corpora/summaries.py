"""A small summarisation set written by the course, and ROUGE through ``rouge-score``.

Introduced in notebook 06 (BART fine-tuned for summarisation). The generator writes short news
items (four to seven sentences) about five kinds of event: a football match, a council vote, a
storm, a company's results and a school event. Each comes with a one-sentence reference summary
that needs more than copying the first sentence:

- facts are spread over several sentences (who, what, where, how many);
- the summary depends on a comparison (who won a match, whether a vote passed, whether sales
  rose or fell), which the document states only through numbers or a paraphrase;
- filler sentences (quotes, background) must be left out; their order is random.

Text is lower-case with space-separated tokens (punctuation separate), like the translation
corpus of notebook 01. Seeded: the committed ``data/summaries_en.jsonl`` is exactly what
:func:`generate_summaries` returns.
"""

from __future__ import annotations

import random
from pathlib import Path

from ..paths import data_dir
from .jsonl import ensure_file, read_jsonl, write_jsonl

__all__ = [
    "SUMMARIES_FILE",
    "SUMMARIES_SEED",
    "generate_summaries",
    "load_summaries",
    "write_summaries",
]

SUMMARIES_FILE = "summaries_en.jsonl"
SUMMARIES_SEED = 2020  # BART's year
SPLIT_SIZES = {"train": 1600, "validation": 100, "test": 200}

TOWNS = [
    "riverton", "oakfield", "millbrook", "stonebridge", "westport", "fairview", "greenhill",
    "lakeside", "northwood", "ashford", "brookdale", "elmstead",
]  # fmt: skip
TEAMS = [
    "lions", "eagles", "wolves", "bears", "tigers", "falcons", "sharks", "hawks", "foxes",
    "rangers",
]  # fmt: skip
PEOPLE = [
    "anna", "boris", "maria", "ivan", "olga", "peter", "elena", "david", "sofia", "max", "nina",
    "tom",
]  # fmt: skip
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
COMPANIES = [
    "northstar", "bluewave", "greenleaf", "ironworks", "brightpath", "silverline", "redrock",
    "sunfield",
]  # fmt: skip
PRODUCTS = ["phones", "bikes", "books", "shoes", "tea", "cars", "toys", "bread"]
PLANS = [
    ("build a new school", "new school"),
    ("open a new park", "new park"),
    ("repair the old bridge", "bridge repair"),
    ("build a new library", "new library"),
    ("close the old station", "station closure"),
    ("raise the bus fares", "higher bus fares"),
]
SCHOOL_EVENTS = [
    ("a science fair", "science fair"),
    ("a music concert", "music concert"),
    ("a book sale", "book sale"),
    ("a chess contest", "chess contest"),
]
ROLES = ["teacher", "student", "mother", "father", "doctor", "driver"]
FILLERS = [
    "the weather was cold but dry .",
    "local radio covered the event .",
    "many people shared photos online .",
    "the town has about {n} thousand people .",
    "a similar event took place last year .",
    "more news will follow next week .",
    "the story was first reported by the local paper .",
    "{person} , a local {role} , said it was a busy day .",
]


def _filler(rng: random.Random) -> str:
    text = rng.choice(FILLERS)
    return text.format(n=rng.randint(2, 90), person=rng.choice(PEOPLE), role=rng.choice(ROLES))


def _match(rng: random.Random) -> tuple[list[str], list[str], str]:
    home, away = rng.sample(TEAMS, 2)
    town, day, player = rng.choice(TOWNS), rng.choice(DAYS), rng.choice(PEOPLE)
    a, b = rng.sample(range(6), 2)
    winner, loser = (home, away) if a > b else (away, home)
    high, low = max(a, b), min(a, b)
    core = [
        f"the {home} played the {away} in {town} on {day} .",
        f"the final score was {a} to {b} .",
    ]
    extra = [
        f"{player} scored {min(high, rng.randint(1, 3))} goals for the {winner} .",
        f"about {rng.randint(2, 40)} thousand fans watched the game .",
    ]
    summary = f"the {winner} beat the {loser} {high} - {low} in {town} ."
    return core, extra, summary


def _vote(rng: random.Random) -> tuple[list[str], list[str], str]:
    town, day = rng.choice(TOWNS), rng.choice(DAYS)
    plan, short = rng.choice(PLANS)
    yes, no = rng.sample(range(1, 10), 2)
    result = "approved" if yes > no else "rejected"
    core = [
        f"the {town} council met on {day} to discuss a plan to {plan} .",
        f"{yes} members voted for the plan and {no} voted against it .",
    ]
    person = rng.choice(PEOPLE)
    extra = [
        f"mayor {person} said the town had waited a long time .",
        f"the plan would cost {rng.randint(2, 90)} million dollars .",
    ]
    summary = f"{town} council {result} the {short} plan ."
    return core, extra, summary


def _storm(rng: random.Random) -> tuple[list[str], list[str], str]:
    town, day = rng.choice(TOWNS), rng.choice(DAYS)
    homes = rng.randint(2, 90) * 100
    core = [
        f"a strong storm hit {town} on {day} night .",
        f"winds of {rng.randint(8, 16) * 10} km per hour brought down trees and power lines .",
        f"about {homes} homes were left without power .",
    ]
    extra = [
        f"workers expect to fix the lines by {rng.choice(DAYS)} .",
        "no one was hurt .",
    ]
    summary = f"storm leaves {homes} homes in {town} without power ."
    return core, extra, summary


def _company(rng: random.Random) -> tuple[list[str], list[str], str]:
    company, product = rng.choice(COMPANIES), rng.choice(PRODUCTS)
    before = rng.randint(10, 90)
    change = rng.randint(1, 9)
    up = rng.random() < 0.5
    after = before + change if up else before - change
    person = rng.choice(PEOPLE)
    core = [
        f"{company} , a maker of {product} , reported its results on {rng.choice(DAYS)} .",
        f"sales were {after} million dollars , compared with {before} million a year ago .",
    ]
    extra = [
        f"the chief executive {person} said the company plans to hire more staff .",
        f"the company sells its {product} in {rng.randint(3, 30)} countries .",
    ]
    summary = f"{company} sales {'rise' if up else 'fall'} to {after} million dollars ."
    return core, extra, summary


def _school(rng: random.Random) -> tuple[list[str], list[str], str]:
    town, day = rng.choice(TOWNS), rng.choice(DAYS)
    event, short = rng.choice(SCHOOL_EVENTS)
    pupils = rng.randint(2, 60) * 10
    money = rng.randint(2, 90) * 10
    person = rng.choice(PEOPLE)
    core = [
        f"the {town} school held {event} on {day} .",
        f"{pupils} pupils took part .",
        f"the event raised {money} dollars for the school .",
    ]
    extra = [f"the head teacher {person} thanked the parents .", "it will be held again soon ."]
    summary = f"{town} school {short} raises {money} dollars ."
    return core, extra, summary


EVENT_KINDS = {
    "match": _match,
    "vote": _vote,
    "storm": _storm,
    "company": _company,
    "school": _school,
}


def _document(rng: random.Random) -> dict:
    kind = rng.choice(sorted(EVENT_KINDS))
    core, extra, summary = EVENT_KINDS[kind](rng)
    sentences = list(core)
    # optional detail sentences and fillers go after the first core sentence, in random order
    rest = sentences[1:] + rng.sample(extra, rng.randint(0, len(extra)))
    rest += [_filler(rng) for _ in range(rng.randint(1, 2))]
    rng.shuffle(rest)
    sentences = sentences[:1] + rest
    return {"kind": kind, "document": " ".join(sentences), "summary": summary}


def generate_summaries(
    seed: int = SUMMARIES_SEED, split_sizes: dict[str, int] | None = None
) -> list[dict]:
    """Generate the summarisation set: a list of records, one per document.

    Each record: ``id`` (int), ``split`` (``train``/``validation``/``test``), ``kind`` (event
    type), ``document`` and ``summary`` (lower-case, space-separated tokens). Documents are
    unique across the whole set. Introduced in notebook 06.

    Args:
        seed: the random seed (default :data:`SUMMARIES_SEED`).
        split_sizes: documents per split (default 1600 / 100 / 200).
    """
    sizes = dict(SPLIT_SIZES if split_sizes is None else split_sizes)
    for name, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"split_sizes[{name!r}] must be a non-negative int, got {size!r}")
    rng = random.Random(seed)
    seen: set[str] = set()
    records = []
    for split, size in sizes.items():
        made = 0
        while made < size:
            record = _document(rng)
            if record["document"] in seen:
                continue
            seen.add(record["document"])
            records.append({"id": len(records), "split": split, **record})
            made += 1
    return records


def write_summaries(path: Path | str | None = None) -> Path:
    """Write :func:`generate_summaries` to ``data/summaries_en.jsonl`` (or ``path``)."""
    return write_jsonl(generate_summaries(), data_dir() / SUMMARIES_FILE if path is None else path)


def load_summaries(path: Path | str | None = None, regenerate: bool = True):
    """Load the summarisation set as a ``datasets.DatasetDict`` (splits train/validation/test).

    Columns: ``id``, ``kind``, ``document``, ``summary`` (strings), ``doc_tokens`` and
    ``summary_tokens`` (lists of str). A missing file is generated first when ``regenerate``.
    Introduced in notebook 06.
    """
    from datasets import Dataset, DatasetDict

    path = ensure_file(SUMMARIES_FILE if path is None else path, generate_summaries, regenerate)
    columns: dict[str, dict[str, list]] = {}
    for record in read_jsonl(path, required=("id", "split", "kind", "document", "summary")):
        split = columns.setdefault(record["split"], {})
        row = {
            "id": record["id"],
            "kind": record["kind"],
            "document": record["document"],
            "summary": record["summary"],
            "doc_tokens": record["document"].split(),
            "summary_tokens": record["summary"].split(),
        }
        for key, value in row.items():
            split.setdefault(key, []).append(value)
    return DatasetDict({name: Dataset.from_dict(cols) for name, cols in columns.items()})
