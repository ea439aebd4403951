"""Causal interventions on a transformer: switch heads off, swap activations, measure the change.

Introduced in notebook 03. An attention map shows where a head *looks*; it does not show that the
model *uses* what the head reads. An intervention does: change one part of the network and
measure what the output loses.

- **Mean ablation** (:func:`mean_ablation`): replace one head's output (its ``d_k`` slice of
  the concatenated heads, before ``out_proj``) by its mean over a data set and all real
  positions (:func:`head_output_means`), so the head still contributes its average but no
  information about this input. Heads are named ``(module name, head index)``, the modules being
  the model's :class:`~course_utils.nn.attention.MultiHeadAttention` layers
  (:func:`attention_modules`).
- **Activation patching** (:func:`patch_activation`): run sentence A with the output of one
  module at one position taken from a run of sentence B (a minimal pair); if A's prediction turns
  into B's, that module and position carry what differs between them.
- :func:`greedy_head_ablation` picks heads one at a time, each the one whose ablation (with the
  heads already picked) lowers a score most.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from ..nn.attention import MultiHeadAttention

__all__ = [
    "Head",
    "attention_modules",
    "greedy_head_ablation",
    "head_output_means",
    "mean_ablation",
    "patch_activation",
    "random_head_sets",
    "record_activation",
]

Head = tuple[str, int]  # (name of a MultiHeadAttention module in the model, head index)


def attention_modules(model: nn.Module) -> dict[str, MultiHeadAttention]:
    """Every :class:`MultiHeadAttention` of ``model`` by its module name, in model order
    (e.g. ``"encoder_layers.0.attention"``, ``"decoder_layers.1.cross_attention"``)."""
    found = {name: m for name, m in model.named_modules() if isinstance(m, MultiHeadAttention)}
    if not found:
        raise ValueError(f"{type(model).__name__} has no course MultiHeadAttention module")
    return found


def _heads_by_module(model: nn.Module, heads: Sequence[Head]) -> dict[str, list[int]]:
    modules = attention_modules(model)
    grouped: dict[str, list[int]] = {}
    for name, head in heads:
        if name not in modules:
            raise KeyError(f"no attention module {name!r}; the model has {sorted(modules)}")
        if not 0 <= head < modules[name].num_heads:
            raise ValueError(f"{name} has {modules[name].num_heads} heads, got head {head}")
        grouped.setdefault(name, []).append(head)
    return grouped


@torch.no_grad()
def head_output_means(
    model: nn.Module,
    run: Callable[[], object],
    position_masks: Callable[[str, Tensor], Tensor],
) -> dict[str, Tensor]:
    """Mean output of every head over the real positions of the batch that ``run()`` feeds.

    Args:
        model: holds the attention modules.
        run: calls the model once (e.g. a teacher-forced pass over a data set).
        position_masks: ``(module name, input [B, T, d_model]) -> [B, T]`` boolean mask of the
            real (not padding) positions of that module's queries.

    Returns:
        ``{module name: [num_heads, d_k]}``, each head's output averaged over the real positions.
    """
    sums: dict[str, Tensor] = {}
    handles = []
    for name, module in attention_modules(model).items():

        def hook(mod, args, name=name, module=module):
            x = args[0]  # [B, T, d_model]: the concatenated heads, before out_proj
            real = position_masks(name, x).to(x.device)
            per_head = x[real].view(-1, module.num_heads, module.d_k)  # [N_real, H, d_k]
            total, count = sums.get(name, (0.0, 0))
            sums[name] = (total + per_head.sum(0), count + per_head.shape[0])

        handles.append(module.out_proj.register_forward_pre_hook(hook))
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return {name: total / count for name, (total, count) in sums.items()}


@contextlib.contextmanager
def mean_ablation(
    model: nn.Module, heads: Sequence[Head], means: dict[str, Tensor]
) -> Iterator[None]:
    """Inside the ``with`` block, the output of each head in ``heads`` is replaced, at every
    position, by its mean (from :func:`head_output_means`). Hooks are removed on exit."""
    handles = []
    for name, indices in _heads_by_module(model, heads).items():
        module = attention_modules(model)[name]
        mean, indices = means[name], sorted(indices)  # mean: [H, d_k]

        def hook(mod, args, module=module, indices=indices, mean=mean):
            x = args[0].clone()
            per_head = x.view(*x.shape[:-1], module.num_heads, module.d_k)
            per_head[..., indices, :] = mean[indices].to(x.dtype)
            return (x, *args[1:])

        handles.append(module.out_proj.register_forward_pre_hook(hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _output_tensor(output: object) -> Tensor:
    return output[0] if isinstance(output, tuple) else output


@contextlib.contextmanager
def record_activation(module: nn.Module, store: dict) -> Iterator[None]:
    """Inside the block, ``store["output"]`` is the module's latest output ``[B, T, d]``
    (the first element when the module returns a tuple, as encoder blocks do)."""
    handle = module.register_forward_hook(
        lambda mod, args, output: store.__setitem__("output", _output_tensor(output).detach())
    )
    try:
        yield
    finally:
        handle.remove()


@contextlib.contextmanager
def patch_activation(
    module: nn.Module, source: Tensor, positions: Tensor | Sequence[Sequence[int]]
) -> Iterator[None]:
    """Inside the block, the module's output at ``positions`` is taken from ``source``.

    Args:
        module: e.g. an encoder block or the embeddings.
        source: ``[B, T, d]``, that module's output on the other sentences of the pairs
            (from :func:`record_activation`), aligned position by position.
        positions: per example, the positions to copy (``[B, T]`` boolean, or lists of indices).
    """
    if isinstance(positions, Tensor):
        mask = positions.bool()
    else:
        mask = torch.zeros(source.shape[:2], dtype=torch.bool)
        for row, cols in enumerate(positions):
            mask[row, list(cols)] = True

    def hook(mod, args, output):
        x = _output_tensor(output)
        if x.shape != source.shape:
            raise ValueError(f"patched output {tuple(x.shape)} != source {tuple(source.shape)}")
        patched = torch.where(mask.to(x.device)[..., None], source.to(x.dtype), x)
        return (patched, *output[1:]) if isinstance(output, tuple) else patched

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def greedy_head_ablation(
    model: nn.Module,
    heads: Sequence[Head],
    score: Callable[[], float],
    means: dict[str, Tensor],
    num_steps: int,
) -> list[tuple[Head, float]]:
    """Pick ``num_steps`` heads, each the one whose mean ablation, together with the heads
    already picked, gives the lowest ``score()``. Returns ``[(head, score after adding it)]``."""
    chosen: list[Head] = []
    path = []
    for _ in range(num_steps):
        best = None
        for head in heads:
            if head in chosen:
                continue
            with mean_ablation(model, [*chosen, head], means):
                value = score()
            if best is None or value < best[1]:
                best = (head, value)
        if best is None:
            break
        chosen.append(best[0])
        path.append(best)
    return path


def random_head_sets(
    heads: Sequence[Head], size: int, draws: int, seed: int = 0
) -> list[list[Head]]:
    """``draws`` random sets of ``size`` distinct heads (a seeded baseline for an ablation)."""
    rng = random.Random(seed)
    return [rng.sample(list(heads), size) for _ in range(draws)]
