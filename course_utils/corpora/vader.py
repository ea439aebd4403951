"""Loaders of the real corpora shipped as assets, returning ``datasets.DatasetDict``.

Introduced in notebook 04 (VADER snippets: unlabelled text for masked-LM pre-training and
the movie-review sentiment task); reused in notebooks 07 and 08.

VADER ground truth (Hutto and Gilbert, ICWSM 2014; asset ``vader``): four tab-separated files
``id<TAB>mean rating<TAB>text``, the rating being the mean of about 10-20 human judgements on a
-4 (very negative) to +4 (very positive) scale.

The VADER sentiment lexicon of the same package (word -> mean human valence) is notebook 09's
hidden annotator taste (:func:`load_vader_lexicon`).
"""

from __future__ import annotations

import random
from pathlib import Path

from datasets import Dataset, DatasetDict

from ..assets import asset_path

__all__ = [
    "VADER_FILES",
    "load_vader_lexicon",
    "read_vader",
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
    if isinstance(sources, str):
        raise TypeError(
            f"sources must be a list or tuple of source names, e.g. ({sources!r},), "
            f"got the str {sources!r}"
        )
    unknown = [s for s in sources if s not in VADER_FILES]
    if unknown:
        raise ValueError(f"unknown VADER sources {unknown}; choose from {sorted(VADER_FILES)}")
    exclude = exclude or set()
    rows = [r for s in sources for r in read_vader(s, folder) if r["text"] not in exclude]
    return DatasetDict(
        train=Dataset.from_dict(
            {"text": [r["text"] for r in rows], "source": [r["source"] for r in rows]}
        )
    )


def load_vader_lexicon(path: Path | None = None) -> dict[str, float]:
    """The VADER sentiment lexicon: word -> mean human valence in ``[-4, 4]`` (7 500 entries).

    Read from the ``vader`` asset (``vader_sentiment_lexicon.txt``, Latin-1, next to the rated
    snippets). Introduced in notebook 09, where it is the simulated annotator's hidden taste.
    """
    if path is None:
        path = asset_path("vader") / "vader_sentiment_lexicon.txt"
    lexicon = {}
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon
