"""Where the course keeps its files: the checkout root, ``data/``, ``build/`` and the cache.

The kit uses them (assets, the train-or-load cache, the metrics report); a notebook rarely
needs them directly (notebook 09 saves the preference pairs of its class panel under
:func:`cache_dir`). Every location can be overridden by an environment variable so that CI,
Colab and a student's laptop can each put files where they like.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PACKAGE_DIR",
    "build_dir",
    "cache_dir",
    "data_dir",
    "lesson_id",
    "lesson_notebooks",
    "repo_root",
]

PACKAGE_DIR = Path(__file__).resolve().parent


def repo_root() -> Path | None:
    """Return the course checkout root (the folder with ``pyproject.toml`` and ``notebooks/``).

    Returns ``None`` when the package is installed without a checkout (e.g. pip install from git
    in Colab without cloning).
    """
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "notebooks").is_dir():
        return candidate
    return None


def data_dir() -> Path:
    """Folder of the small data files the course generates and commits (``data/``).

    ``COURSE_DATA_DIR`` overrides it; without a checkout it falls back to ``~/.cache``.
    """
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        return Path(env)
    root = repo_root()
    if root is not None:
        return root / "data"
    return Path.home() / ".cache" / "attention-course" / "data"


def build_dir() -> Path:
    """Folder for executed notebooks and metrics (``build/``); ``COURSE_BUILD_DIR`` overrides it."""
    env = os.environ.get("COURSE_BUILD_DIR")
    if env:
        return Path(env)
    root = repo_root()
    return (root if root is not None else Path.cwd()) / "build"


def cache_dir() -> Path:
    """Folder for fetched assets and notebook checkpoints (git-ignored ``.cache/``).

    ``COURSE_CACHE_DIR`` overrides it; without a checkout it is ``~/.cache/attention-course``.
    """
    env = os.environ.get("COURSE_CACHE_DIR")
    if env:
        return Path(env)
    root = repo_root()
    if root is not None:
        return root / ".cache"
    return Path.home() / ".cache" / "attention-course"


def lesson_id(path: Path | str) -> str:
    """The lesson number of a notebook or metrics file: ``"04"`` for ``04_bert_encoder.ipynb``,
    ``"04b"`` for ``04b_bert_finetuning.ipynb`` (the second part of a lesson split in two)."""
    return Path(path).name.split("_")[0]


def lesson_notebooks(folder: Path) -> list[Path]:
    """The lesson notebooks in ``folder`` in course order (``04_...`` before ``04b_...``)."""
    return sorted(folder.glob("[0-9][0-9]*_*.ipynb"), key=lesson_id)
