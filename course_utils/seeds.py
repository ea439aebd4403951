"""One switch for how results vary with the random seed: ``COURSE_SEED``.

Every training seed in the course goes through :func:`run_seed`, which adds ``COURSE_SEED``
(default 0) to it. The stored notebooks are run with the default; run the course with
``COURSE_SEED=1`` (then 2, ...) to draw other initial weights, dropout masks, masking patterns
and batch orders, and see how much each measured number and each assert's margin moves. Test
sets and generated corpora stay the same: only training randomness changes. The offset is part
of every cache key. Introduced in notebook 01.
"""

from __future__ import annotations

import os

__all__ = ["run_seed", "seed_offset"]


def seed_offset() -> int:
    """``COURSE_SEED`` as an int (0 when unset); a clear ``ValueError`` on anything else."""
    text = os.environ.get("COURSE_SEED", "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"COURSE_SEED={text!r} is not an integer: use e.g. COURSE_SEED=1"
        ) from None


def run_seed(seed: int) -> int:
    """The seed a training run actually uses: ``seed + COURSE_SEED``."""
    return seed + seed_offset()
