"""LoRA, low-rank adaptation (Hu et al., 2021), written from scratch.

Introduced in notebook 08 (LoRA); the reference policy of notebook 09b (DPO on SmolLM2) is the
same model with its adapters switched off (:func:`adapters_disabled`).

A frozen linear layer ``y = x W^T + b`` (``W`` is ``[d_out, d_in]``) gets a trainable low-rank
update::

    y = x W^T + b + (alpha / r) * dropout(x) A^T B^T,   A: [r, d_in], B: [d_out, r]

``A`` starts random (Kaiming-uniform, as ``nn.Linear`` and ``peft`` do), ``B`` starts at zero,
so at the start the adapted model computes exactly what the base model computes. Only
``r * (d_in + d_out)`` numbers per adapted matrix are trained; after training the update can be
merged into ``W`` (:func:`merge_lora`) and costs nothing at inference.

Both ``torch.nn.Linear`` and Hugging Face GPT-2's ``Conv1D`` (a linear layer that stores its
weight transposed, ``[d_in, d_out]``) can be wrapped.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

__all__ = [
    "LoRALinear",
    "adapters_disabled",
    "apply_lora",
    "linear_names",
    "lora_state",
    "merge_lora",
]


def _is_conv1d(module: nn.Module) -> bool:
    """True for Hugging Face's GPT-2 ``Conv1D`` (checked by name: no transformers import)."""
    return type(module).__name__ == "Conv1D" and hasattr(module, "nf") and hasattr(module, "nx")


def _is_linear_like(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) or _is_conv1d(module)


def _dims(base: nn.Module) -> tuple[int, int]:
    """``(d_in, d_out)`` of an ``nn.Linear`` or a GPT-2 ``Conv1D``."""
    if isinstance(base, nn.Linear):
        return base.in_features, base.out_features
    d_in, d_out = base.weight.shape  # Conv1D stores [d_in, d_out]
    return int(d_in), int(d_out)


def _dense_weight(base: nn.Module) -> Tensor:
    """The base weight as ``[d_out, d_in]`` (the ``nn.Linear`` layout)."""
    return base.weight if isinstance(base, nn.Linear) else base.weight.T


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update.

    ``forward(x)``: ``x [..., d_in]`` -> ``[..., d_out]`` =
    ``base(x) + (alpha / rank) * dropout(x) @ lora_A.T @ lora_B.T``, with ``lora_A [rank, d_in]``
    (random) and ``lora_B [d_out, rank]`` (zeros). ``enabled = False`` bypasses the adapter (the
    output is then exactly ``base(x)``). ``alpha`` defaults to ``rank`` (scaling 1).

    Introduced in notebook 08.
    """

    def __init__(
        self, base: nn.Module, rank: int, alpha: float | None = None, dropout: float = 0.0
    ):
        super().__init__()
        if not _is_linear_like(base):
            raise TypeError(
                f"base must be an nn.Linear (or a GPT-2 Conv1D), got {type(base).__name__}"
            )
        d_in, d_out = _dims(base)
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise TypeError(f"rank must be an int, got {type(rank).__name__} {rank!r}")
        if rank <= 0 or rank > min(d_in, d_out):
            raise ValueError(
                f"rank must be in 1..min(d_in, d_out) = 1..{min(d_in, d_out)} for a layer with "
                f"d_in={d_in}, d_out={d_out}, got {rank}"
            )
        if alpha is not None and alpha <= 0:
            raise ValueError(f"alpha must be positive (or None for alpha = rank), got {alpha}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.d_in, self.d_out, self.rank = d_in, d_out, rank
        self.alpha = float(rank if alpha is None else alpha)
        self.scaling = self.alpha / rank
        weight = base.weight
        self.lora_A = nn.Parameter(
            torch.empty(rank, d_in, dtype=weight.dtype, device=weight.device)
        )
        self.lora_B = nn.Parameter(
            torch.zeros(d_out, rank, dtype=weight.dtype, device=weight.device)
        )
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear and peft
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.enabled = True

    def delta_weight(self) -> Tensor:
        """The update ``(alpha / rank) * B @ A``, ``[d_out, d_in]``."""
        return self.scaling * (self.lora_B @ self.lora_A)

    def forward(self, x: Tensor) -> Tensor:
        out = self.base(x)
        if not self.enabled:
            return out
        return out + self.scaling * (self.dropout(x) @ self.lora_A.T @ self.lora_B.T)

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """A plain ``nn.Linear(d_in, d_out)`` with weight ``W + (alpha / rank) B A`` (and the base
        bias); with ``enabled = False`` the base weight alone. Frozen like the base."""
        weight = _dense_weight(self.base)
        bias = getattr(self.base, "bias", None)
        merged = nn.Linear(
            self.d_in, self.d_out, bias=bias is not None, device=weight.device, dtype=weight.dtype
        )
        merged.weight.copy_(weight + (self.delta_weight() if self.enabled else 0.0))
        if bias is not None:
            merged.bias.copy_(bias)
        merged.requires_grad_(False)
        return merged

    def extra_repr(self) -> str:
        return (
            f"d_in={self.d_in}, d_out={self.d_out}, rank={self.rank}, alpha={self.alpha:g}, "
            f"enabled={self.enabled}"
        )


def linear_names(model: nn.Module) -> list[str]:
    """Qualified names of every ``nn.Linear`` (or GPT-2 ``Conv1D``) inside ``model``.

    Introduced in notebook 08.
    """
    return [name for name, m in model.named_modules() if name and _is_linear_like(m)]


def _matches(name: str, targets: Sequence[str]) -> bool:
    return any(name == t or name.endswith("." + t) for t in targets)


def _set_submodule(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)


def apply_lora(
    model: nn.Module,
    target_names: Sequence[str],
    rank: int,
    alpha: float | None = None,
    dropout: float = 0.0,
    trainable_names: Sequence[str] = (),
) -> list[str]:
    """Wrap, in place, every linear layer whose qualified name ends with one of ``target_names``
    (e.g. ``("q_proj", "v_proj")`` for the course's BERT, ``("query", "value")`` for the Hugging
    Face MiniLM, ``("c_attn",)`` for GPT-2) in a :class:`LoRALinear`; freeze every other
    parameter except those whose name contains one of ``trainable_names`` (e.g. a fresh
    ``"classifier"`` head, like peft's ``modules_to_save``). Returns the replaced names.

    Raises ``ValueError`` for ``rank <= 0`` or ``rank > min(d_in, d_out)`` of a matched layer,
    and when no linear layer matches (the message lists the available ones).
    Introduced in notebook 08.
    """
    if isinstance(target_names, str):
        target_names = (target_names,)
    target_names = tuple(target_names)
    if not target_names or not all(isinstance(t, str) and t for t in target_names):
        raise TypeError(f"target_names must be a non-empty sequence of names, got {target_names!r}")
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise TypeError(f"rank must be an int, got {type(rank).__name__} {rank!r}")
    if rank <= 0:
        raise ValueError(f"rank must be a positive int, got {rank}")
    available = linear_names(model)
    matched = [n for n in available if _matches(n, target_names)]
    if not matched:
        raise ValueError(
            f"target_names {list(target_names)} match no linear layer; available linear layers "
            f"({len(available)}): {available}"
        )
    for name in matched:  # validate every rank before changing the model
        d_in, d_out = _dims(model.get_submodule(name))
        if rank > min(d_in, d_out):
            raise ValueError(
                f"rank must be at most min(d_in, d_out) = {min(d_in, d_out)} for layer {name!r} "
                f"(d_in={d_in}, d_out={d_out}), got {rank}"
            )
    for p in model.parameters():
        p.requires_grad_(False)
    if trainable_names:
        for pname, p in model.named_parameters():
            if any(t in pname for t in trainable_names):
                p.requires_grad_(True)
    for name in matched:
        _set_submodule(model, name, LoRALinear(model.get_submodule(name), rank, alpha, dropout))
    return matched


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace, in place, every :class:`LoRALinear` in ``model`` by its merged ``nn.Linear``
    (:meth:`LoRALinear.merge`); returns ``model``. Outputs stay the same up to float rounding.

    Introduced in notebook 08.
    """
    if isinstance(model, LoRALinear):
        raise TypeError("merge_lora needs a model that contains LoRALinear layers; call .merge()")
    names = [n for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    for name in names:
        _set_submodule(model, name, model.get_submodule(name).merge())
    return model


def lora_state(model: nn.Module, enabled: bool) -> int:
    """Switch every adapter of ``model`` on (``True``) or off (``False``: the base model's
    outputs); returns how many adapters were switched. Introduced in notebook 08."""
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
    count = 0
    for m in model.modules():
        if isinstance(m, LoRALinear):
            m.enabled = enabled
            count += 1
    return count


@contextmanager
def adapters_disabled(model: nn.Module) -> Iterator[nn.Module]:
    """``with adapters_disabled(policy) as reference: ...`` runs the base model (every adapter
    off) and restores each adapter's previous state afterwards.

    Introduced in notebook 08; used for the frozen reference policy in notebook 09b.
    """
    layers = [m for m in model.modules() if isinstance(m, LoRALinear)]
    before = [m.enabled for m in layers]
    for m in layers:
        m.enabled = False
    try:
        yield model
    finally:
        for m, state in zip(layers, before, strict=True):
            m.enabled = state
