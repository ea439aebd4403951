"""Dialogue turns for fine-tuning a small GPT as a chat bot (notebook 05).

Introduced in notebook 05. The turns come from the English part of the ``chatterbot`` asset
(``chatterbot-corpus==1.3.3``: YAML files of short conversations on 20 topics). Each pair of
consecutive lines of a conversation is one (prompt, reply) example, formatted as::

    User: <prompt>
    Bot: <reply>

The newline after the reply is the end-of-turn token. For fine-tuning only the reply (and its
newline) is scored: the prompt's targets are ``ignore_index`` (-100).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from ..assets import asset_path

__all__ = [
    "IGNORE_INDEX",
    "dialogue_batch",
    "format_turn",
    "load_chatterbot_pairs",
    "split_pairs",
]

IGNORE_INDEX = -100
"""Target id that the loss skips (prompt and padding positions)."""

_ASCII = str.maketrans(
    {"\xa0": " ", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
     "\u201d": '"', "\u2026": "..."}
)  # fmt: skip


def _clean(text: object) -> str:
    return " ".join(str(text).translate(_ASCII).split())


def load_chatterbot_pairs(
    language: str = "english", folder: Path | None = None
) -> list[tuple[str, str]]:
    """All (prompt, reply) pairs of consecutive turns in the chatterbot conversations.

    Files are read in sorted order and turns in file order, so the list is always the same.
    Curly quotes, dashes and non-breaking spaces become ASCII; whitespace runs become one space.
    Introduced in notebook 05.

    Args:
        language: a folder of ``chatterbot_corpus/data`` (``"english"``, ``"russian"`` ...).
        folder: the extracted asset (default: the ``chatterbot`` asset).
    """
    import yaml

    root = Path(folder) if folder is not None else asset_path("chatterbot")
    candidates = [root / language, *(p / language for p in sorted(root.glob("**/data")))]
    found = [p for p in candidates if p.is_dir()]
    if not found:
        raise ValueError(
            f"no chatterbot_corpus/data/{language} folder under {root}; fetch the asset with "
            f"`python -m course_utils.assets fetch chatterbot`, or check the language name"
        )
    pairs = []
    for path in sorted(found[0].glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in data.get("conversations") or []:
            turns = [_clean(t) for t in conversation if t is not None]
            pairs.extend((a, b) for a, b in zip(turns, turns[1:], strict=False) if a and b)
    return pairs


def format_turn(prompt: str, reply: str | None = None) -> str:
    """``"User: <prompt>\\nBot: "`` followed by ``"<reply>\\n"`` when ``reply`` is given.

    Introduced in notebook 05.
    """
    head = f"User: {prompt}\nBot: "
    return head if reply is None else f"{head}{reply}\n"


def split_pairs(
    pairs: Sequence[tuple[str, str]], val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A seeded shuffle, then ``(train, val)`` with ``val_fraction`` of the pairs in ``val``.

    Introduced in notebook 05.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    num_val = max(1, round(len(pairs) * val_fraction))
    return [pairs[i] for i in order[num_val:]], [pairs[i] for i in order[:num_val]]


def dialogue_batch(
    pairs: Sequence[tuple[str, str]],
    encode: Callable[[str], list[int]],
    pad_id: int = 0,
) -> tuple[Tensor, Tensor]:
    """Encode pairs as right-padded inputs and reply-only next-token targets.

    Introduced in notebook 05.

    Args:
        pairs: (prompt, reply) pairs.
        encode: the tokenizer's ``encode`` (text -> ids).
        pad_id: input id at padding positions (never scored; a causal model never lets a real
            position see the padding after it).

    Returns:
        ``(x [N, L], y [N, L])`` where ``L`` is the longest formatted turn minus one; ``y[t]`` is
        the id of token ``t + 1`` where it belongs to the reply (its final newline included),
        else :data:`IGNORE_INDEX`.
    """
    if not pairs:
        raise ValueError("pairs must not be empty")
    rows, starts = [], []
    for prompt, reply in pairs:
        head = encode(format_turn(prompt))
        rows.append(head + encode(f"{reply}\n"))
        starts.append(len(head))
    length = max(len(r) for r in rows) - 1
    x = torch.full((len(rows), length), pad_id, dtype=torch.long)
    y = torch.full((len(rows), length), IGNORE_INDEX, dtype=torch.long)
    for i, (row, start) in enumerate(zip(rows, starts, strict=True)):
        ids = torch.tensor(row)
        x[i, : len(row) - 1] = ids[:-1]
        y[i, start - 1 : len(row) - 1] = ids[start:]
    return x, y
