"""Loaders of the real corpora shipped as assets, returning ``datasets.DatasetDict``.

Introduced in notebook 04 (VADER snippets: unlabelled text for masked-LM pre-training and
the movie-review sentiment task); reused in notebooks 07 and 08.

VADER ground truth (Hutto and Gilbert, ICWSM 2014; asset ``vader``): four tab-separated files
``id<TAB>mean rating<TAB>text``, the rating being the mean of about 10-20 human judgements on a
-4 (very negative) to +4 (very positive) scale.

It also holds :func:`transfer_toy_corpus`, a small *generated* corpus used in notebook 04 to
show when pre-training helps (it is not a real corpus; it is built from a seed).
"""

from __future__ import annotations

import random
from pathlib import Path

from datasets import Dataset, DatasetDict

from .assets import asset_path

__all__ = [
    "TOY_NEGATIVE",
    "TOY_POSITIVE",
    "VADER_FILES",
    "read_vader",
    "transfer_toy_corpus",
    "vader_sentiment",
    "vader_unlabelled",
]

VADER_FILES = {
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}


def read_vader(source: str, folder: Path | None = None) -> list[dict]:
    """Read one VADER ground-truth file as ``[{"id", "rating", "text", "source"}, ...]``.

    ``source`` is one of ``movie``, ``tweets``, ``amazon``, ``nyt``. Introduced in notebook 04.
    """
    if source not in VADER_FILES:
        raise ValueError(f"source must be one of {sorted(VADER_FILES)}, got {source!r}")
    folder = Path(folder) if folder is not None else asset_path("vader")
    path = folder / VADER_FILES[source]
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 'id<TAB>rating<TAB>text', got {line!r}")
        text = parts[2].strip().replace("''", '"')
        if text:
            rows.append({"id": parts[0], "rating": float(parts[1]), "text": text, "source": source})
    return rows


def _split(rows: list[dict], test_size: float, seed: int) -> tuple[list[dict], list[dict]]:
    # Both splits come out in the shuffled order: the VADER files are sorted by rating, so a
    # prefix such as train[:200] of the file order would be almost all positive.
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_test = int(round(test_size * len(rows)))
    return [rows[i] for i in order[n_test:]], [rows[i] for i in order[:n_test]]


def vader_sentiment(
    source: str = "movie", test_size: float = 0.2, seed: int = 0, folder: Path | None = None
) -> DatasetDict:
    """Binary sentiment: ``label`` 1 if the mean rating is above 0, 0 if below; neutral dropped.

    Returns ``DatasetDict(train, test)`` with columns ``text``, ``label``, ``rating``; the test
    split is a fixed random ``test_size`` fraction chosen by ``seed`` (same seed, same split).
    Both splits are in a shuffled order, so any prefix (``train[:200]``) is a random sample.
    Introduced in notebook 04.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    rows = [r for r in read_vader(source, folder) if r["rating"] != 0.0]
    for r in rows:
        r["label"] = int(r["rating"] > 0)
    train, test = _split(rows, test_size, seed)
    columns = ("text", "label", "rating")
    return DatasetDict(
        train=Dataset.from_dict({c: [r[c] for r in train] for c in columns}),
        test=Dataset.from_dict({c: [r[c] for r in test] for c in columns}),
    )


def vader_unlabelled(
    sources: tuple[str, ...] = ("movie", "tweets", "amazon", "nyt"),
    exclude: set[str] | None = None,
    folder: Path | None = None,
) -> DatasetDict:
    """All snippets of ``sources`` as unlabelled text (``DatasetDict(train)``, columns ``text``,
    ``source``), for masked-LM pre-training; texts in ``exclude`` (e.g. a test split) are left
    out. Introduced in notebook 04.
    """
    exclude = exclude or set()
    rows = [r for s in sources for r in read_vader(s, folder) if r["text"] not in exclude]
    return DatasetDict(
        train=Dataset.from_dict(
            {"text": [r["text"] for r in rows], "source": [r["source"] for r in rows]}
        )
    )


# --------------------------------------------------------------------------- generated toy corpus

TOY_POSITIVE = [
    "good",
    "great",
    "superb",
    "lovely",
    "brilliant",
    "wonderful",
    "excellent",
    "fine",
    "splendid",
    "charming",
    "delightful",
    "pleasant",
    "terrific",
    "marvelous",
    "fantastic",
    "gorgeous",
    "stunning",
    "enjoyable",
    "admirable",
    "sublime",
]
TOY_NEGATIVE = [
    "bad",
    "awful",
    "terrible",
    "dreadful",
    "boring",
    "horrible",
    "poor",
    "dull",
    "lousy",
    "weak",
    "tedious",
    "clumsy",
    "painful",
    "mediocre",
    "atrocious",
    "bland",
    "messy",
    "shoddy",
    "dismal",
    "pathetic",
]
_NOUNS = [
    "film",
    "movie",
    "plot",
    "cast",
    "story",
    "script",
    "ending",
    "score",
    "acting",
    "dialogue",
    "soundtrack",
    "camera",
    "pacing",
    "director",
    "sequel",
    "scene",
]
_POS_CONTEXT = [
    "i loved it",
    "i will watch it again",
    "i recommend it",
    "a real joy",
    "we all smiled",
    "worth every penny",
]
_NEG_CONTEXT = [
    "i hated it",
    "i walked out",
    "avoid it",
    "a waste of time",
    "we all groaned",
    "i want my money back",
]


def transfer_toy_corpus(
    num_unlabelled: int = 20000,
    num_labelled: int = 200,
    num_test: int = 1000,
    num_seen_words: int = 6,
    seed: int = 0,
) -> DatasetDict:
    """A generated corpus on which pre-training measurably helps a small labelled set.

    Sentiment here hangs on one adjective ("the plot was superb ."). The *unlabelled* split
    uses all 40 adjectives, two of the same polarity per sentence, next to cues ("the plot was
    superb and a lovely cast , i loved it .") that only the distribution of words reveals
    (no labels); the *labelled* ``train`` split (``num_labelled`` examples) uses only
    ``num_seen_words`` positive and ``num_seen_words`` negative adjectives, without cues; the
    ``test`` split uses the other, unseen adjectives. A model trained from scratch knows nothing
    about an adjective it never saw with a label; a model pre-trained with masked-LM has placed
    it next to the adjectives that share its contexts (Harris' distributional hypothesis).

    Returns ``DatasetDict(unlabelled[text], train[text, label], test[text, label])``.
    Introduced in notebook 04.
    """
    if not 1 <= num_seen_words < len(TOY_POSITIVE):
        raise ValueError(
            f"num_seen_words must be in 1..{len(TOY_POSITIVE) - 1}, got {num_seen_words}"
        )
    rng = random.Random(seed)

    def sentence(adjective: str, cue: str | None) -> str:
        noun = rng.choice(_NOUNS)
        form = rng.randrange(3)
        core = (
            f"the {noun} was {adjective}"
            if form == 0
            else f"a {adjective} {noun}"
            if form == 1
            else f"what a {adjective} {noun}"
        )
        return f"{core} , {cue} ." if cue else f"{core} ."

    unlabelled = []
    for _ in range(num_unlabelled):
        positive = rng.random() < 0.5
        words, cues = (TOY_POSITIVE, _POS_CONTEXT) if positive else (TOY_NEGATIVE, _NEG_CONTEXT)
        first, second = sentence(rng.choice(words), None), sentence(rng.choice(words), None)
        unlabelled.append(f"{first[:-2]} and {second[:-2]} , {rng.choice(cues)} .")

    def labelled(count: int, seen: bool) -> dict:
        texts, labels = [], []
        for i in range(count):
            positive = i % 2 == 0
            words = TOY_POSITIVE if positive else TOY_NEGATIVE
            pool = words[:num_seen_words] if seen else words[num_seen_words:]
            texts.append(sentence(rng.choice(pool), None))
            labels.append(int(positive))
        return {"text": texts, "label": labels}

    return DatasetDict(
        unlabelled=Dataset.from_dict({"text": unlabelled}),
        train=Dataset.from_dict(labelled(num_labelled, True)),
        test=Dataset.from_dict(labelled(num_test, False)),
    )
