"""The WordPiece vocabulary of the course's small BERT, trained once and committed.

Introduced in notebook 04; notebook 07 uses the same vocabulary. The tokenizer of the small
BERT is a BERT WordPiece tokenizer of 8,000 pieces trained on the course's own text (the VADER
snippets outside the sentiment test split, and the QA training passages and questions). The
``tokenizers`` trainer breaks ties between equally frequent merges in an order that changes from
process to process, so training it again gives a slightly different vocabulary each time, and a
model trained with one vocabulary is garbage with another. So the vocabulary is trained once
and committed as ``data/wordpiece_vocab.json``, together with a fingerprint of the text and the
settings it was trained on:

- :func:`load_course_tokenizer` rebuilds the tokenizer from the committed file (always the same);
- :func:`check_vocab` confirms that the committed vocabulary was trained on today's text with
  today's settings (``python -m course_utils.corpora --check`` runs it);
- :func:`write_vocab` trains and writes it again, for when the text or the settings change.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import data_dir
from .tokenization import train_wordpiece, wordpiece_from_vocab, wordpiece_vocab

__all__ = [
    "VOCAB_FILE",
    "VOCAB_SETTINGS",
    "check_vocab",
    "load_course_tokenizer",
    "training_fingerprint",
    "training_texts",
    "write_vocab",
]

VOCAB_FILE = "wordpiece_vocab.json"
VOCAB_SETTINGS = {"vocab_size": 8000, "min_frequency": 2}


def training_texts() -> list[str]:
    """The text the vocabulary is trained on: every VADER snippet except the movie-review
    sentiment test split (notebook 04's split: ``vader_sentiment("movie", 0.2, seed=0)``), then
    the QA training passages and questions."""
    from . import qa, vader

    test = set(vader.vader_sentiment("movie", test_size=0.2, seed=0)["test"]["text"])
    unlabelled = vader.vader_unlabelled(exclude=test)["train"]
    qa_train = qa.load_qa()["train"]
    return list(unlabelled["text"]) + list(qa_train["context"]) + list(qa_train["question"])


def training_fingerprint(texts: list[str] | None = None) -> str:
    """A hash of the training text and :data:`VOCAB_SETTINGS` (what the committed file records)."""
    import hashlib

    texts = training_texts() if texts is None else texts
    payload = json.dumps({"texts": texts, "settings": VOCAB_SETTINGS}, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def write_vocab(path: Path | None = None) -> Path:
    """Train the vocabulary on :func:`training_texts` and write it (default ``data/``)."""
    texts = training_texts()
    tokenizer = train_wordpiece(texts, **VOCAB_SETTINGS)
    path = Path(path) if path is not None else data_dir() / VOCAB_FILE
    record = {
        "trained_on": training_fingerprint(texts),
        "settings": VOCAB_SETTINGS,
        "vocab": wordpiece_vocab(tokenizer),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path


def _read(path: Path | None = None) -> dict:
    path = Path(path) if path is not None else data_dir() / VOCAB_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found; train and write it with `python -m course_utils.corpora`"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load_course_tokenizer(path: Path | None = None):
    """The small BERT's tokenizer, rebuilt from the committed vocabulary (a
    ``transformers.PreTrainedTokenizerFast``, called like MiniLM's). Introduced in notebook 04."""
    return wordpiece_from_vocab(_read(path)["vocab"])


def check_vocab(path: Path | None = None) -> bool:
    """True when the committed vocabulary was trained on today's :func:`training_texts` with
    today's :data:`VOCAB_SETTINGS` and has the promised size."""
    try:
        record = _read(path)
    except FileNotFoundError:
        return False
    return (
        record.get("trained_on") == training_fingerprint()
        and record.get("settings") == VOCAB_SETTINGS
        and len(record.get("vocab", [])) == VOCAB_SETTINGS["vocab_size"]
    )
