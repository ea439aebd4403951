"""Extractive question answering: project-written passages and the span helpers.

Introduced in notebook 04b (BERT with a start/end span head). Exact match and F1 live in
:mod:`course_utils.metrics`.

The passages are generated from a seed (:func:`generate_passages`) and committed as
``data/qa_passages.jsonl`` (:func:`write_passages`, :func:`load_qa`). Each passage tells five short
facts about two people in shuffled order (birthplace, birth year, job, employer, instrument);
a question ("Where does Maria work?") is answered by a span of the passage (SQuAD style,
character offsets). Birthplace and birth year share the wording "was born in", so the model
must read the question's relation, not only the answer's word type.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import torch
from datasets import Dataset, DatasetDict

from ..paths import data_dir
from .jsonl import ensure_file, read_jsonl, write_jsonl

__all__ = [
    "FACT_KINDS",
    "QA_FILE",
    "answer_kind",
    "best_span",
    "char_to_token_span",
    "generate_passages",
    "load_qa",
    "question_kind",
    "write_passages",
]

QA_FILE = "qa_passages.jsonl"

_NAMES = [
    "Anna",
    "Boris",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Irina",
    "Jonas",
    "Karin",
    "Leon",
    "Maria",
    "Nikolai",
    "Olga",
    "Pavel",
    "Rosa",
    "Sergei",
    "Tanya",
    "Viktor",
    "Wanda",
    "Yuri",
    "Zoe",
    "Oscar",
    "Lena",
    "Igor",
    "Nina",
    "Anton",
    "Vera",
    "Max",
]
_CITIES = [
    "Berlin",
    "Moscow",
    "Paris",
    "Madrid",
    "Lisbon",
    "Prague",
    "Vienna",
    "Oslo",
    "Kazan",
    "Riga",
    "Tallinn",
    "Dublin",
    "Geneva",
    "Rome",
    "Athens",
    "Warsaw",
    "Helsinki",
    "Porto",
    "New York",
    "Saint Petersburg",
    "Buenos Aires",
    "Cape Town",
    "Hong Kong",
    "Tel Aviv",
]
_JOBS = [
    "doctor",
    "teacher",
    "pilot",
    "baker",
    "lawyer",
    "nurse",
    "farmer",
    "chemist",
    "painter",
    "engineer",
    "journalist",
    "librarian",
    "carpenter",
    "dentist",
    "architect",
    "chef",
    "software developer",
    "bus driver",
    "police officer",
    "music teacher",
]
_ORGS = [
    "City Hospital",
    "National Library",
    "Central Bank",
    "Grand Hotel",
    "Science Museum",
    "State Theatre",
    "Harbour School",
    "River Bakery",
    "Green Farm",
    "Union Station",
    "Royal Opera",
    "North Airport",
    "Old Town Clinic",
    "Metro Newspaper",
    "Lake University",
]
_INSTRUMENTS = [
    "piano",
    "violin",
    "guitar",
    "cello",
    "flute",
    "drums",
    "trumpet",
    "harp",
    "saxophone",
    "accordion",
    "clarinet",
    "double bass",
]

# fact -> (sentence templates, question templates); {n} is the person, {a} the answer
_FACTS = {
    "city": (
        ["{n} was born in {a}.", "{n} comes from {a}."],
        ["Where was {n} born?", "Where does {n} come from?"],
    ),
    "year": (
        ["{n} was born in {a}.", "{n}'s birthday falls in {a}."],
        ["When was {n} born?", "In which year was {n} born?"],
    ),
    "job": (
        ["{n} works as a {a}.", "By profession, {n} is a {a}."],
        ["What is {n}'s job?", "What does {n} do for a living?"],
    ),
    "org": (
        ["{n} is employed at the {a}.", "Every morning {n} goes to the {a}."],
        ["Where does {n} work?", "Which place employs {n}?"],
    ),
    "instrument": (
        ["In the evenings {n} plays the {a}.", "{n} is learning the {a}."],
        ["Which instrument does {n} play?", "What does {n} play in the evenings?"],
    ),
}


FACT_KINDS = tuple(_FACTS)
"""The kinds of fact a passage tells and a question asks: city, year, job, org, instrument."""


def question_kind(question: str) -> str:
    """The kind of fact (one of :data:`FACT_KINDS`) that a generated question asks for, e.g.
    ``"year"`` for "When was Anna born?". Raises ``ValueError`` for a question that no template
    of the generator makes. Introduced in notebook 07c."""
    for kind, (_, templates) in _FACTS.items():
        for template in templates:
            pattern = re.escape(template).replace(re.escape("{n}"), r"[A-Z]\w*")
            if re.fullmatch(pattern, question.strip()):
                return kind
    raise ValueError(f"not a question of the QA generator: {question!r}")


def answer_kind(answer: str) -> str:
    """The kind of fact that an answer string names (one of :data:`FACT_KINDS`), or
    ``"other"`` when it is none of the generator's values (e.g. a name, or a span that cuts
    through two facts). Introduced in notebook 07c."""
    text = re.sub(r"^(the|a|an)\s+", "", answer.strip(" .,"), flags=re.IGNORECASE)
    if re.fullmatch(r"\d{4}", text):
        return "year"
    for kind, values in (
        ("city", _CITIES),
        ("job", _JOBS),
        ("org", _ORGS),
        ("instrument", _INSTRUMENTS),
    ):
        if text in values:
            return kind
    return "other"


def _person(rng: random.Random, name: str) -> dict[str, str]:
    return {
        "city": rng.choice(_CITIES),
        "year": str(rng.randint(1940, 2010)),
        "job": rng.choice(_JOBS),
        "org": rng.choice(_ORGS),
        "instrument": rng.choice(_INSTRUMENTS),
        "name": name,
    }


def generate_passages(
    num_passages: int = 800,
    seed: int = 0,
    test_fraction: float = 0.2,
    interleave: bool = True,
    shared_fact_types: bool = False,
) -> list[dict]:
    """Generate ``num_passages`` passages, each with one question per fact of one person.

    Every row: ``{"id", "split" ("train"/"test"), "context", "qas": [{"question", "answer",
    "answer_start"}]}``, where ``context[answer_start:answer_start + len(answer)] == answer``.
    Test passages are the last ``test_fraction`` of the generated ones (the same seed gives the
    same file). By default each kind of fact occurs once per passage (three facts about one
    person, two about the other), so the question's relation ("where born", "when born", job,
    employer, instrument) picks the answer; ``shared_fact_types=True`` lets both people have
    the same kind of fact, so the model must also bind the answer to the right name (much
    harder: a 2-layer BERT and MiniLM plateau near 0.7 exact match on a CPU budget).
    ``interleave=False`` keeps each person's sentences together. Introduced in notebook 04b.
    """
    if num_passages < 1:
        raise ValueError(f"num_passages must be >= 1, got {num_passages}")
    rng = random.Random(seed)
    rows = []
    n_test = int(round(test_fraction * num_passages))
    for index in range(num_passages):
        people = [_person(rng, name) for name in rng.sample(_NAMES, 2)]
        if shared_fact_types:  # both people may have the same kind of fact (harder)
            facts = [(p, fact) for p in people for fact in rng.sample(list(_FACTS), 3)]
        else:  # each kind of fact once per passage: 3 about one person, 2 about the other
            kinds = rng.sample(list(_FACTS), len(_FACTS))
            facts = [(people[0], k) for k in kinds[:3]] + [(people[1], k) for k in kinds[3:]]
        if interleave:
            rng.shuffle(facts)
        context, spans = "", {}
        for person, fact in facts:
            template = rng.choice(_FACTS[fact][0])
            before, after = template.split("{a}")
            prefix = (context + " " if context else "") + before.format(n=person["name"])
            spans[(person["name"], fact)] = len(prefix)
            context = prefix + person[fact] + after.format(n=person["name"])
        qas = []
        for person, fact in facts:
            if rng.random() < 0.5:
                continue
            answer = person[fact]
            start = spans[(person["name"], fact)]
            assert context[start : start + len(answer)] == answer
            question = rng.choice(_FACTS[fact][1]).format(n=person["name"])
            qas.append({"question": question, "answer": answer, "answer_start": start})
        if not qas:
            person, fact = facts[0]
            qas.append(
                {
                    "question": _FACTS[fact][1][0].format(n=person["name"]),
                    "answer": person[fact],
                    "answer_start": spans[(person["name"], fact)],
                }
            )
        rows.append(
            {
                "id": f"p{index:04d}",
                "split": "test" if index >= num_passages - n_test else "train",
                "context": context,
                "qas": qas,
            }
        )
    return rows


def write_passages(rows: list[dict], path: Path | None = None) -> Path:
    """Write passages as JSON lines (default ``data/qa_passages.jsonl``)."""
    return write_jsonl(rows, data_dir() / QA_FILE if path is None else path)


def load_qa(path: Path | None = None, regenerate: bool = True) -> DatasetDict:
    """Load the committed passages as ``DatasetDict(train, test)``, one row per question.

    Columns: ``id``, ``context``, ``question``, ``answer``, ``answer_start``. A missing file is
    generated from the seed first when ``regenerate``. Introduced in notebook 04b.
    """
    path = ensure_file(QA_FILE if path is None else path, generate_passages, regenerate)
    splits: dict[str, dict[str, list]] = {}
    for row in read_jsonl(path, required=("id", "split", "context", "qas")):
        columns = splits.setdefault(
            row["split"], {k: [] for k in ("id", "context", "question", "answer", "answer_start")}
        )
        for number, qa in enumerate(row["qas"]):
            columns["id"].append(f"{row['id']}-{number}")
            columns["context"].append(row["context"])
            for key in ("question", "answer", "answer_start"):
                columns[key].append(qa[key])
    return DatasetDict({name: Dataset.from_dict(cols) for name, cols in sorted(splits.items())})


def char_to_token_span(
    offsets: torch.Tensor, token_type_ids: torch.Tensor, start_char: int, end_char: int
) -> tuple[int, int]:
    """Token indices ``(start, end)`` (inclusive) of the passage tokens covering characters
    ``[start_char, end_char)``.

    ``offsets [T, 2]`` and ``token_type_ids [T]`` are one row of :func:`encode_batch` output
    (passage tokens have segment 1). Returns ``(0, 0)`` (the [CLS] position) when the answer was
    truncated away. Introduced in notebook 04b.
    """
    if end_char <= start_char:
        raise ValueError(f"end_char must exceed start_char, got [{start_char}, {end_char})")
    start = end = None
    for index, ((a, b), segment) in enumerate(
        zip(offsets.tolist(), token_type_ids.tolist(), strict=True)
    ):
        if segment != 1 or b <= a:
            continue
        if start is None and a <= start_char < b:
            start = index
        if a < end_char <= b:
            end = index
    if start is None or end is None:
        return 0, 0
    return start, end


def best_span(
    start_logits: torch.Tensor, end_logits: torch.Tensor, allowed: torch.Tensor, max_len: int = 8
) -> tuple[int, int]:
    """The span ``(start, end)`` maximising ``start_logits[s] + end_logits[e]`` with
    ``s <= e < s + max_len`` and both positions ``allowed`` (``[T]`` bool, e.g. passage tokens).

    ``start_logits``, ``end_logits``: ``[T]``. Introduced in notebook 04b.
    """
    if not bool(allowed.any()):
        raise ValueError("allowed must mark at least one token position")
    neg = torch.finfo(start_logits.dtype).min
    s = start_logits.masked_fill(~allowed, neg)
    e = end_logits.masked_fill(~allowed, neg)
    scores = s[:, None] + e[None, :]  # [T, T]
    length = torch.arange(len(s))
    valid = (length[None, :] >= length[:, None]) & (length[None, :] < length[:, None] + max_len)
    scores = scores.masked_fill(~valid, neg)
    flat = int(scores.argmax())
    return flat // len(s), flat % len(s)
