"""Attention pictures: one heatmap with token labels, and a layers x heads grid.

Introduced in notebook 01 (alignment heatmaps) and reused by every attention notebook.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

__all__ = [
    "as_numpy_2d",
    "attention_grid",
    "attention_heatmap",
    "score_grid",
]


def as_numpy_2d(weights: torch.Tensor | np.ndarray, name: str = "weights") -> np.ndarray:
    """A tensor or array-like ``[T_q, T_k]`` as a float NumPy array; other ranks raise ``ValueError``."""
    array = (
        weights.detach().cpu().float().numpy()
        if isinstance(weights, torch.Tensor)
        else np.asarray(weights, dtype=float)
    )
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D [T_q, T_k], got shape {tuple(array.shape)}")
    return array


def attention_heatmap(
    weights: torch.Tensor | np.ndarray,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    gold: Sequence[tuple[int, int]] | None = None,
    annotate: bool = False,
    cmap: str = "Blues",
    cbar: bool = True,
    xlabel: str = "attended to (keys)",
    ylabel: str = "attending (queries)",
) -> plt.Axes:
    """Draw attention weights ``[T_q, T_k]`` with query tokens as rows and key tokens as columns.

    Args:
        weights: attention weights, shape ``[T_q, T_k]`` (rows usually sum to 1).
        query_tokens: ``T_q`` row labels (e.g. target words).
        key_tokens: ``T_k`` column labels (e.g. source words).
        ax: the axes to draw on (a new figure if ``None``).
        title: axes title.
        gold: optional gold links ``(query_index, key_index)``, drawn as red squares.
        annotate: write the weight into each cell (small matrices only).
    """
    array = as_numpy_2d(weights)
    if array.shape != (len(query_tokens), len(key_tokens)):
        raise ValueError(
            f"weights shape {array.shape} does not match {len(query_tokens)} query tokens "
            f"x {len(key_tokens)} key tokens"
        )
    if ax is None:
        width = min(10.0, 1.0 + 0.45 * len(key_tokens))
        height = min(8.0, 0.8 + 0.4 * len(query_tokens))
        _, ax = plt.subplots(figsize=(width, height))
    sns.heatmap(
        array,
        ax=ax,
        cmap=cmap,
        vmin=0.0,
        vmax=max(1e-9, float(array.max())) if not annotate else 1.0,
        xticklabels=list(key_tokens),
        yticklabels=list(query_tokens),
        cbar=cbar,
        annot=annotate,
        fmt=".2f",
        square=False,
        linewidths=0.0,
    )
    ax.tick_params(axis="x", labelrotation=60)
    ax.tick_params(axis="y", labelrotation=0)
    if gold:
        for q_index, k_index in gold:
            if not (0 <= q_index < array.shape[0] and 0 <= k_index < array.shape[1]):
                raise ValueError(
                    f"gold link ({q_index}, {k_index}) lies outside the {array.shape} matrix"
                )
            ax.add_patch(
                plt.Rectangle((k_index, q_index), 1, 1, fill=False, edgecolor="red", lw=1.5)
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def attention_grid(
    attentions: torch.Tensor | np.ndarray,
    tokens: Sequence[str] | None = None,
    *,
    title: str | None = None,
    cell_size: float = 1.6,
    cmap: str = "viridis",
) -> plt.Figure:
    """Draw a layers x heads grid of small heatmaps from ``attentions [num_layers, num_heads, T, T]``.

    Token labels are drawn on the outer axes only when ``tokens`` is given and short.
    """
    array = (
        attentions.detach().cpu().float().numpy()
        if isinstance(attentions, torch.Tensor)
        else np.asarray(attentions, dtype=float)
    )
    if array.ndim != 4:
        raise ValueError(
            f"attentions must be 4-D [num_layers, num_heads, T_q, T_k], got shape {array.shape}"
        )
    num_layers, num_heads, t_q, t_k = array.shape
    if tokens is not None and len(tokens) != t_k:
        raise ValueError(f"got {len(tokens)} tokens for attention maps of width {t_k}")
    fig, axes = plt.subplots(
        num_layers,
        num_heads,
        figsize=(cell_size * num_heads, cell_size * num_layers),
        squeeze=False,
        sharex=True,
        sharey=True,
    )
    show_labels = tokens is not None and t_k <= 16
    for layer in range(num_layers):
        for head in range(num_heads):
            ax = axes[layer, head]
            ax.imshow(array[layer, head], cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
            ax.grid(False)
            ax.set_xticks([])
            ax.set_yticks([])
            if layer == 0:
                ax.set_title(f"head {head}", fontsize=8)
            if head == 0:
                ax.set_ylabel(f"layer {layer}", fontsize=8)
    if show_labels:
        for head in range(num_heads):
            axes[-1, head].set_xticks(range(t_k))
            axes[-1, head].set_xticklabels(tokens, rotation=90, fontsize=6)
        for layer in range(num_layers):
            axes[layer, 0].set_yticks(range(t_q))
            axes[layer, 0].set_yticklabels(tokens if t_q == t_k else range(t_q), fontsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def score_grid(
    scores: torch.Tensor | np.ndarray,
    *,
    title: str | None = None,
    ax: plt.Axes | None = None,
    fmt: str = ".2f",
    cmap: str = "mako",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
) -> plt.Axes:
    """Draw one number per (layer, head), e.g. a per-head accuracy ``[num_layers, num_heads]``."""
    array = as_numpy_2d(scores, "scores")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.7 * array.shape[1], 0.8 + 0.5 * array.shape[0]))
    sns.heatmap(array, ax=ax, annot=True, fmt=fmt, cmap=cmap, vmin=vmin, vmax=vmax, cbar=False)
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    if title:
        ax.set_title(title)
    return ax
