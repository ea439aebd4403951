"""The setup every notebook runs first: versions, seeds, threads, plotting style, offline mode.

Introduced in notebook 01. Call :func:`setup_notebook` in a notebook's first code cell.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings
from importlib import metadata

from .seeds import seed_offset

__all__ = [
    "DEFAULT_PACKAGES",
    "elapsed",
    "full_profile",
    "openmp_wait_policy",
    "quiet_hugging_face",
    "setup_notebook",
]

FIGURE_DPI = 110  # sharp on a projector; the notebook lint (tests) holds stored figures to it

_START_TIME: float | None = None

DEFAULT_PACKAGES = ("torch", "transformers", "datasets", "tokenizers", "sacrebleu")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def openmp_wait_policy() -> str:
    """Let OpenMP's idle threads sleep instead of spin (``OMP_WAIT_POLICY=PASSIVE``), unless set.

    Must run before ``torch`` is imported (OpenMP reads it once, when it starts), so the setup
    cell calls it first. Why: on a laptop where another program keeps one core busy, spinning
    threads wait for a descheduled partner, and two torch threads ran a training cell 3.3 times
    slower than on an idle machine; passive threads ran it 1.7-1.9 times slower, at the cost of
    about a quarter more time when the machine is idle (``benchmarks/bench_threads.py``). A
    student on an idle machine can start Jupyter with ``OMP_WAIT_POLICY=ACTIVE`` for the fastest
    runs; ``scripts/course.sh`` and ``scripts/test.sh`` keep OpenMP's own default (a short spin),
    as they own the machine. Returns the
    policy in effect (``"PASSIVE"``, the user's value, or a note when torch was already loaded).
    """
    if "OMP_WAIT_POLICY" in os.environ:
        return os.environ["OMP_WAIT_POLICY"]
    if "torch" in sys.modules:
        return "OpenMP default (torch was imported before the setup cell)"
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return "PASSIVE"


def setup_notebook(seed: int = 0, packages: tuple[str, ...] = DEFAULT_PACKAGES) -> dict:
    """Prepare a notebook run and print what matters for reproducing it.

    Sets ``HF_HUB_OFFLINE=1`` (unless already set) so that a stray hub download fails at once,
    seeds Python/NumPy/PyTorch, fits PyTorch's threads to the machine (and lets idle OpenMP
    threads sleep, see :func:`openmp_wait_policy`), sets a readable
    matplotlib style, and starts the notebook's run-time clock (see :func:`elapsed`).

    Returns a dict with ``device``, ``threads`` and ``seed``.
    """
    global _START_TIME
    _START_TIME = time.perf_counter()
    openmp_wait_policy()  # before torch starts
    from .methods.train import get_device, seed_everything, set_threads

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    quiet_hugging_face()
    seed_everything(seed)
    threads = set_threads()
    device = get_device()
    try:
        import matplotlib as mpl
        import seaborn as sns

        sns.set_theme(context="notebook", style="whitegrid")
        mpl.rcParams["figure.dpi"] = FIGURE_DPI
        mpl.rcParams["savefig.dpi"] = FIGURE_DPI
        mpl.rcParams["figure.max_open_warning"] = 0
    except ImportError:  # plotting is optional for headless unit use
        pass
    versions = ", ".join(f"{name} {_version(name)}" for name in packages)
    print(f"python {platform.python_version()} | {versions}")
    offset = seed_offset()
    shown = f"{seed} + COURSE_SEED {offset}" if offset else f"{seed}"
    print(f"device: {device} | torch threads: {threads} | seed: {shown}")
    return {"device": device, "threads": threads, "seed": seed, "python": sys.version_info[:2]}


def quiet_hugging_face() -> None:
    """Hugging Face progress bars, info logs and warnings off: a notebook shows its own output.

    Set through the libraries' environment variables (read when they are imported) and, for a
    library already imported, through its own switch. Introduced in notebook 01.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    for module in ("transformers", "peft", "datasets", "huggingface_hub", "accelerate", "gguf"):
        warnings.filterwarnings("ignore", module=rf"{module}(\.|$)")
    if "transformers" in sys.modules:
        sys.modules["transformers"].logging.set_verbosity_error()
        sys.modules["transformers"].logging.disable_progress_bar()
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()


def elapsed() -> float:
    """Seconds since :func:`setup_notebook` was called (the notebook's ``runtime_s``)."""
    if _START_TIME is None:
        raise RuntimeError("elapsed() needs setup_notebook() to have been called first")
    return time.perf_counter() - _START_TIME


def full_profile() -> bool:
    """True when ``COURSE_PROFILE=full``: train longer and larger (GPU/Colab); default is CPU."""
    return os.environ.get("COURSE_PROFILE", "cpu").lower() == "full"
