"""Seeding, device choice, CPU threads and a small explicit training loop.

Introduced in notebook 01; every training notebook uses :func:`train_loop` or writes its
own 20-line loop on the same pattern (forward, loss, backward, clip, step).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from ..seeds import run_seed

__all__ = [
    "TrainHistory",
    "adamw",
    "get_device",
    "seed_everything",
    "set_threads",
    "train_loop",
    "warmup_cosine_schedule",
]


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and CUDA) with ``seed``.

    ``COURSE_SEED`` is added (see :mod:`course_utils.seeds`); unset, the seed is ``seed``."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    seed = run_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """Pick the device: ``prefer`` (or ``COURSE_DEVICE``) if given, else CUDA, else MPS, else CPU."""
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        return _checked_device(choice, "prefer" if prefer else "COURSE_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _checked_device(choice: str, source: str) -> torch.device:
    """``torch.device(choice)`` if that device exists here, else a ``ValueError`` naming ``source``."""
    try:
        device = torch.device(choice.strip().lower())
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(
            f"{source}={choice!r} is not a device: use 'cpu', 'cuda', 'cuda:0' or 'mps'"
        )
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{source}={choice!r}, but this machine has no CUDA GPU: use 'cpu'")
    if device.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise ValueError(f"{source}={choice!r}, but MPS (Apple GPU) is not available: use 'cpu'")
    return device


def set_threads(num_threads: int | None = None) -> int:
    """Set PyTorch's intra-op threads to ``num_threads`` (default: ``OMP_NUM_THREADS`` or all cores).

    Returns the number set. One notebook at a time should use the whole machine; never run two
    multi-threaded kernels on two cores.
    """
    if num_threads is None:
        env = os.environ.get("OMP_NUM_THREADS")
        num_threads = int(env) if env and env.isdigit() else (os.cpu_count() or 1)
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    torch.set_num_threads(num_threads)
    return num_threads


@dataclass
class TrainHistory:
    """What :func:`train_loop` measured: per-step loss, and the wall-clock time spent."""

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)

    def smoothed(self, window: int = 20) -> list[float]:
        """Running mean of the loss over ``window`` steps (for plotting)."""
        out, total = [], 0.0
        for i, loss in enumerate(self.losses):
            total += loss
            if i >= window:
                total -= self.losses[i - window]
            out.append(total / min(i + 1, window))
        return out


def _cycle(batches: Iterable | Callable[[], Iterable]) -> Iterator:
    """Yield batches forever: re-call a factory or re-iterate an iterable when it is exhausted."""
    while True:
        source = batches() if callable(batches) else batches
        empty = True
        for batch in source:
            empty = False
            yield batch
        if empty:
            raise ValueError("batches produced no batch at all; check the data loader")


def adamw(
    params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.01, **kwargs
) -> torch.optim.AdamW:
    """``torch.optim.AdamW``, fused into one kernel on CPU and CUDA (the same update rule).

    The fused kernel updates all parameters in one pass: on a 2-core CPU, MiniLM's optimizer
    step (22.7 M parameters) drops from about 0.2 s to 0.02 s. Other devices get the default
    implementation. Introduced in notebook 04.
    """
    params = list(params)
    if not params:
        raise ValueError("params is empty: nothing to optimise (are all parameters frozen?)")
    device_type = params[0].device.type
    fused = device_type in ("cpu", "cuda") and all(p.device.type == device_type for p in params)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused, **kwargs)


def train_loop(
    model: torch.nn.Module,
    batches: Iterable | Callable[[], Iterable],
    loss_fn: Callable[[torch.nn.Module, object], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    num_steps: int,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    clip_grad_norm: float | None = 1.0,
    desc: str = "train",
    history: TrainHistory | None = None,
    progress: bool = True,
    on_step: Callable[[int, torch.nn.Module, float], None] | None = None,
) -> TrainHistory:
    """Train ``model`` for ``num_steps`` optimizer steps and return the loss history.

    Args:
        model: the module being trained (put in train mode here).
        batches: an iterable of batches, or a zero-argument function returning a fresh one
            (e.g. a shuffling loader factory); it is cycled until ``num_steps`` are done.
        loss_fn: ``loss_fn(model, batch) -> scalar loss tensor``.
        optimizer: the optimizer over the trainable parameters.
        num_steps: number of optimizer steps (> 0).
        scheduler: optional learning-rate scheduler, stepped after every optimizer step.
        clip_grad_norm: maximum global gradient norm, ``None`` for no clipping.
        desc: label of the ``tqdm.auto`` progress bar.
        history: an existing history to append to (to continue training).
        progress: show the progress bar.
        on_step: called as ``on_step(step, model, seconds)`` after every optimizer step (step
            counts from 1; ``seconds`` is the training time so far, without the time spent in
            ``on_step``), e.g. to test the model now and then; the model is put back in train
            mode afterwards, and the time it takes is left out of ``history.seconds``.
    """
    if num_steps <= 0:
        raise ValueError(f"num_steps must be > 0, got {num_steps}")
    history = history if history is not None else TrainHistory()
    model.train()
    start = time.perf_counter()
    stream = _cycle(batches)
    bar = tqdm(range(num_steps), desc=desc, disable=not progress, mininterval=1.0)
    callback_seconds = 0.0
    for step in bar:
        batch = next(stream)
        loss = loss_fn(model, batch)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar tensor, got shape {tuple(loss.shape)}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.losses.append(loss.item())
        if len(history.losses) % 10 == 0:
            bar.set_postfix(loss=f"{history.smoothed(10)[-1]:.3f}", refresh=False)
        if on_step is not None:
            before = time.perf_counter()
            on_step(step + 1, model, before - start - callback_seconds)
            model.train()
            callback_seconds += time.perf_counter() - before
    model.eval()
    history.seconds += time.perf_counter() - start - callback_seconds
    return history


def warmup_cosine_schedule(
    optimizer: torch.optim.Optimizer, num_steps: int, warmup_steps: int = 0, min_factor: float = 0.1
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup_steps`` then cosine decay to ``min_factor`` x the base lr."""
    if not 0 <= warmup_steps < num_steps:
        raise ValueError(f"warmup_steps must be in [0, num_steps={num_steps}), got {warmup_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, num_steps - warmup_steps)
        return min_factor + (1 - min_factor) * 0.5 * (1 + np.cos(np.pi * min(progress, 1.0)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
