"""The one registry of the course's generated data files, and its command line.

Every file under ``data/`` that the course writes itself comes from a seeded generator in one
of the corpus modules, except the WordPiece vocabulary of the small BERT, which comes from a
trainer that is not deterministic (:mod:`course_utils.corpora.wordpiece_vocab`).
``python -m course_utils.corpora`` (re)writes the generated files and trains the vocabulary
again only when its training text or settings changed; ``python -m course_utils.corpora
--check`` confirms that each generated file is byte for byte what its generator gives and that
the vocabulary was trained on today's text (CI runs it as a unit test). Introduced in notebook 01.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..paths import data_dir
from . import en_ru, preferences, qa, rlhf_prompts, summaries, winograd, wordpiece_vocab
from .jsonl import jsonl_text

__all__ = ["all_generators", "check_file", "main"]


def all_generators() -> dict[str, Callable[[], list[dict]]]:
    """``{file name in data/: generator}`` for every generated data file of the course."""
    return {
        en_ru.EN_RU_FILE: en_ru.generate_en_ru_parallel,
        **winograd.GENERATORS,
        qa.QA_FILE: qa.generate_passages,
        summaries.SUMMARIES_FILE: summaries.generate_summaries,
        rlhf_prompts.PROMPTS_FILE: rlhf_prompts.generate_prompts,
        preferences.PREFERENCES_FILE: preferences.generate_pairs,
    }


def check_file(name: str) -> bool:
    """True when ``data/<name>`` exists and equals what its generator writes."""
    path = data_dir() / name
    expected = jsonl_text(all_generators()[name]())
    return path.is_file() and path.read_text(encoding="utf-8") == expected


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.corpora [--check]``: (re)write or verify every generated file."""
    parser = argparse.ArgumentParser(description="Generate the course's synthetic data files.")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    status = 0
    for name, generator in all_generators().items():
        path = data_dir() / name
        if args.check:
            same = check_file(name)
            print(f"{path}: {'matches its generator' if same else 'DIFFERS from its generator'}")
            status |= 0 if same else 1
        else:
            text = jsonl_text(generator())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path} ({len(text.encode('utf-8')) / 1024:.0f} KiB)")
    vocab_path = data_dir() / wordpiece_vocab.VOCAB_FILE
    current = wordpiece_vocab.check_vocab()
    if args.check:
        print(
            f"{vocab_path}: {'matches its training text' if current else 'DIFFERS from its training text'}"
        )
        status |= 0 if current else 1
    elif not current:
        print(
            f"wrote {wordpiece_vocab.write_vocab()} (trained again: its text or settings changed)"
        )
    return status
