"""The prompts of the toy RLHF loop: three-word openings of a movie review.

Introduced in notebook 09 (toy RLHF). :func:`generate_prompts` writes the project's review
prompts (``data/rlhf_prompts.jsonl``, three words each, e.g. ``the acting was``), split into
train and test prompts by a seed; :func:`split_words` is the word splitter that the policy's
vocabulary (:class:`course_utils.corpora.tokenization.WordVocab`) and the simulated annotator
(:mod:`course_utils.methods.annotator`) share.
"""

from __future__ import annotations

import random
from pathlib import Path

from datasets import Dataset, DatasetDict

from ..paths import data_dir
from .jsonl import ensure_file, read_jsonl, write_jsonl

__all__ = [
    "PROMPTS_FILE",
    "PROMPTS_SEED",
    "generate_prompts",
    "load_prompts",
    "write_prompts",
]

PROMPTS_FILE = "rlhf_prompts.jsonl"
PROMPTS_SEED = 2022  # the year of InstructGPT

_SUBJECTS = [
    "the movie",
    "the film",
    "this movie",
    "this film",
    "the story",
    "the plot",
    "the acting",
    "the script",
    "the ending",
    "the cast",
    "the director",
    "the music",
    "the dialogue",
    "the characters",
    "the humor",
    "the performances",
    "the book",
    "this book",
    "the product",
    "the camera",
]
_VERBS = ["is", "was", "seems", "feels"]


def generate_prompts(seed: int = PROMPTS_SEED, test_size: int = 16) -> list[dict]:
    """The RLHF prompts: every ``subject + verb`` (20 x 4 = 80 three-word prompts, verbs agree
    with plural subjects: ``the characters were``), shuffled by
    ``seed``; the first ``test_size`` are test prompts (never used to train the reward model
    or the policy). Returns ``[{"id", "split", "prompt"}, ...]``. Introduced in notebook 09.
    """
    plural = {"is": "are", "was": "were", "seems": "seem", "feels": "feel"}
    prompts = [
        f"{s} {plural[v] if s.endswith('s') else v}" for s in _SUBJECTS for v in _VERBS
    ]  # "the characters were", "the plot was"
    if not 0 < test_size < len(prompts):
        raise ValueError(f"test_size must be in 1..{len(prompts) - 1}, got {test_size}")
    random.Random(seed).shuffle(prompts)
    return [
        {"id": i, "split": "test" if i < test_size else "train", "prompt": p}
        for i, p in enumerate(prompts)
    ]


def write_prompts(rows: list[dict] | None = None, path: Path | None = None) -> Path:
    """Write the prompts as JSON lines (default ``data/rlhf_prompts.jsonl``, from the seed)."""
    rows = generate_prompts() if rows is None else rows
    return write_jsonl(rows, data_dir() / PROMPTS_FILE if path is None else path)


def load_prompts(path: Path | None = None) -> DatasetDict:
    """Load the prompts as ``DatasetDict(train, test)`` with columns ``id``, ``prompt``.

    Regenerates the file from the seed when it is missing. Introduced in notebook 09.
    """
    path = ensure_file(PROMPTS_FILE if path is None else path, generate_prompts)
    rows = read_jsonl(path, required=("id", "split", "prompt"))
    return DatasetDict(
        {
            split: Dataset.from_dict(
                {
                    "id": [r["id"] for r in rows if r["split"] == split],
                    "prompt": [r["prompt"] for r in rows if r["split"] == split],
                }
            )
            for split in ("train", "test")
        }
    )
