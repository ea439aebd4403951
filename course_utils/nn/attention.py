"""Attention: additive (Bahdanau) scores, scaled dot-product attention, masks, multi-head.

Introduced in notebook 01 (:class:`AdditiveAttention`, the Bahdanau encoder-decoder); notebook 02
builds scaled dot-product attention, the masks and multi-head attention, and compares the two
scores.
Every later model (BERT, GPT, BART blocks) is built on :class:`MultiHeadAttention`.

Conventions:

- Masks are boolean, **True = may attend** (as in ``torch.nn.functional.scaled_dot_product_attention``),
  broadcastable to the scores shape ``[..., T_q, T_k]`` (for multi-head attention
  ``[batch, num_heads, T_q, T_k]``).
- A query row whose keys are *all* masked out has nothing to attend to: its attention weights are
  all zero and its output is the zero vector (never NaN). Both the explicit path
  (``return_attention=True``) and the fast path agree on this, on every device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "AdditiveAttention",
    "MultiHeadAttention",
    "causal_mask",
    "padding_mask",
    "scaled_dot_product_attention",
]


# --------------------------------------------------------------------------- validation helpers


def _check_float_tensor(name: str, tensor: object, min_dim: int) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {tensor.dtype} "
            f"(convert with {name}.float())"
        )
    if tensor.dim() < min_dim:
        raise ValueError(
            f"{name} must have at least {min_dim} dimensions, got shape {tuple(tensor.shape)}"
        )


def _check_mask(mask: object, scores_shape: tuple[int, ...], name: str = "mask") -> None:
    """Check that ``mask`` is boolean and broadcasts to ``scores_shape`` without enlarging it."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a boolean torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(
            f"{name} must be a boolean tensor (True = may attend), got dtype {mask.dtype}; "
            f"for a 0/1 mask use {name}.bool(), for an additive float mask use {name} == 0"
        )
    ok = mask.dim() <= len(scores_shape) and all(
        m in (1, s) for m, s in zip(reversed(mask.shape), reversed(scores_shape), strict=False)
    )
    if not ok:
        raise ValueError(
            f"{name} shape {tuple(mask.shape)} does not broadcast to scores shape "
            f"{tuple(scores_shape)} ([..., T_q, T_k])"
        )


def _check_qkv(query: Tensor, key: Tensor, value: Tensor) -> tuple[int, ...]:
    """Validate query/key/value and return the broadcast batch shape."""
    _check_float_tensor("query", query, 2)
    _check_float_tensor("key", key, 2)
    _check_float_tensor("value", value, 2)
    if not (query.dtype == key.dtype == value.dtype):
        raise TypeError(
            f"query, key and value must share one dtype, got {query.dtype}, {key.dtype}, "
            f"{value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must have the same last dimension d_k: query shape "
            f"{tuple(query.shape)} has d_k={query.shape[-1]}, key shape {tuple(key.shape)} "
            f"has d_k={key.shape[-1]}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key and value must have the same length T_k (dimension -2): key shape "
            f"{tuple(key.shape)}, value shape {tuple(value.shape)}"
        )
    try:
        return tuple(torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2]))
    except RuntimeError as err:
        raise ValueError(
            f"batch dimensions of query {tuple(query.shape)}, key {tuple(key.shape)} and value "
            f"{tuple(value.shape)} do not broadcast (shapes are [..., T, d])"
        ) from err


# --------------------------------------------------------------------------- masks


def causal_mask(
    t_q: int, t_k: int | None = None, device: torch.device | str | None = None
) -> Tensor:
    """Boolean causal ("look-ahead") mask ``[T_q, T_k]``: True where query i may attend to key j.

    Query ``i`` sits at position ``t_k - t_q + i`` and may attend to keys ``j <= t_k - t_q + i``
    (aligned to the bottom-right, as for a decoder that has cached the earlier keys). For the
    usual square case ``t_q == t_k`` this is the lower triangle, the same as
    ``scaled_dot_product_attention(..., is_causal=True)``.

    Introduced in notebook 02 (masked attention for decoders).

    Args:
        t_q: number of queries ``T_q`` (> 0).
        t_k: number of keys ``T_k`` (default ``t_q``).
        device: device of the mask.

    Returns:
        ``torch.bool`` tensor of shape ``[T_q, T_k]``, broadcastable to ``[batch, heads, T_q, T_k]``.
    """
    t_k = t_q if t_k is None else t_k
    for name, value in (("t_q", t_q), ("t_k", t_k)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    ones = torch.ones(t_q, t_k, dtype=torch.bool, device=device)
    return ones.tril(diagonal=t_k - t_q)


def padding_mask(lengths: Tensor | Sequence[int], max_len: int) -> Tensor:
    """Boolean key-padding mask ``[batch, 1, 1, T_k]``: True at the first ``lengths[b]`` keys.

    Padded positions (``>= lengths[b]``) are False, so no query attends to them. The two singleton
    dimensions broadcast over heads and queries of the scores ``[batch, heads, T_q, T_k]``.

    Introduced in notebook 02.

    Args:
        lengths: real lengths per sequence, shape ``[batch]``, ints in ``0..max_len``.
        max_len: padded length ``T_k``.

    Returns:
        ``torch.bool`` tensor of shape ``[batch, 1, 1, max_len]`` on the device of ``lengths``.
    """
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    if not isinstance(lengths, Tensor):
        lengths = torch.as_tensor(list(lengths))
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D [batch], got shape {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool or lengths.is_complex():
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.numel() and (int(lengths.min()) < 0 or int(lengths.max()) > max_len):
        raise ValueError(f"lengths must lie in 0..max_len={max_len}, got {lengths.tolist()}")
    positions = torch.arange(max_len, device=lengths.device)
    return (positions[None, :] < lengths[:, None]).view(-1, 1, 1, max_len)


# --------------------------------------------------------------------------- the function


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None = None,
    *,
    return_attention: bool = False,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Scaled dot-product attention: ``softmax(Q K^T / sqrt(d_k)) V`` (Vaswani et al., 2017).

    Without ``return_attention`` the fast path
    ``torch.nn.functional.scaled_dot_product_attention`` is used (fused kernels, no ``[T_q, T_k]``
    weights returned). With ``return_attention=True`` the scores are computed explicitly,
    masked with ``-inf`` and normalised with a softmax, and the weights are returned.

    Fully masked rows: a query that may attend to no key gets all-zero weights and a zero output
    vector (not NaN), on both paths.

    Introduced in notebook 02.

    Args:
        query: ``[..., T_q, d_k]``.
        key: ``[..., T_k, d_k]``.
        value: ``[..., T_k, d_v]``. Batch dimensions ``...`` of the three must broadcast.
        mask: optional boolean mask, True = may attend, broadcastable to ``[..., T_q, T_k]``
            (e.g. :func:`causal_mask` ``[T_q, T_k]`` or :func:`padding_mask` ``[B, 1, 1, T_k]``).
        return_attention: also return the attention weights (slower, explicit path).
        dropout_p: dropout probability on the attention weights, applied whenever > 0 (pass
            ``0.0`` in evaluation, as ``torch``'s function expects).
        scale: factor applied to ``Q K^T``; default ``1 / sqrt(d_k)``.

    Returns:
        ``(output, weights)``: output ``[..., T_q, d_v]``; weights ``[..., T_q, T_k]`` (the
        weights actually applied to ``value``, i.e. after dropout) or ``None`` when
        ``return_attention`` is False.
    """
    batch_shape = _check_qkv(query, key, value)
    if not 0.0 <= float(dropout_p) < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p!r}")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores_shape = (*batch_shape, query.shape[-2], key.shape[-2])

    has_row = None  # [..., T_q, 1]: False where a query row may attend to no key at all
    if mask is not None:
        _check_mask(mask, scores_shape)
        row_any = mask.any(dim=-1, keepdim=True)
        if not bool(row_any.all()):
            has_row = row_any
            mask = mask | ~row_any  # finite everywhere; these rows are zeroed afterwards

    if not return_attention:
        if query.shape[:-2] != batch_shape:
            query = query.expand(*batch_shape, *query.shape[-2:])
        if key.shape[:-2] != batch_shape:
            key = key.expand(*batch_shape, *key.shape[-2:])
        if value.shape[:-2] != batch_shape:
            value = value.expand(*batch_shape, *value.shape[-2:])
        output = F.scaled_dot_product_attention(
            query, key, value, attn_mask=mask, dropout_p=float(dropout_p), scale=scale
        )
        if has_row is not None:
            output = output.masked_fill(~has_row, 0.0)
        return output, None

    scores = torch.matmul(query, key.transpose(-2, -1)) * scale  # [..., T_q, T_k]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if has_row is not None:
        weights = weights.masked_fill(~has_row, 0.0)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=float(dropout_p), training=True)
    return torch.matmul(weights, value), weights


# --------------------------------------------------------------------------- modules


class MultiHeadAttention(nn.Module):
    """Multi-head attention (Vaswani et al., 2017) with separate Q/K/V/output projections.

    ``num_heads`` heads of width ``d_k = d_model // num_heads`` attend in parallel; their outputs
    are concatenated and mixed by ``out_proj``. The projections are plain ``nn.Linear`` layers
    named ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj`` (BERT's query/key/value/output.dense
    weights load into them directly). ``dropout`` is applied to the attention weights in training.

    Introduced in notebook 02; the BERT, GPT and BART blocks are built on it.

    Args:
        d_model: model width (divisible by ``num_heads``).
        num_heads: number of heads.
        dropout: dropout probability on the attention weights (training only).
        bias: whether the four projections have biases.
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if not isinstance(num_heads, int) or num_heads < 1:
            raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")
        if not isinstance(d_model, int) or d_model < 1 or d_model % num_heads != 0:
            raise ValueError(
                f"d_model must be a positive int divisible by num_heads, got d_model={d_model!r}, "
                f"num_heads={num_heads}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _split_heads(self, x: Tensor) -> Tensor:
        """``[B, T, d_model]`` -> ``[B, num_heads, T, d_k]``."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, self.d_k).transpose(1, 2)

    def _check_input(self, name: str, x: object) -> None:
        _check_float_tensor(name, x, 3)
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"{name} must have shape [batch, T, d_model={self.d_model}], got {tuple(x.shape)}"
            )

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: ``[B, T_q, d_model]``.
            key: ``[B, T_k, d_model]``; default ``query`` (self-attention).
            value: ``[B, T_k, d_model]``; default ``key`` (so ``key=memory`` alone gives
                cross-attention to ``memory``).
            mask: boolean, True = may attend, broadcastable to ``[B, num_heads, T_q, T_k]``:
                ``[T_q, T_k]`` (e.g. :func:`causal_mask`), ``[B, 1, 1, T_k]`` (e.g.
                :func:`padding_mask`) or ``[B, 1, T_q, T_k]``. A 3-D mask is refused as ambiguous.
            return_attention: also return the per-head attention weights.

        Returns:
            ``(output, weights)``: output ``[B, T_q, d_model]``; weights
            ``[B, num_heads, T_q, T_k]`` or ``None``.
        """
        key = query if key is None else key
        value = key if value is None else value
        self._check_input("query", query)
        self._check_input("key", key)
        self._check_input("value", value)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                f"{tuple(value.shape)} must share the batch size, and key/value the length T_k"
            )
        if mask is not None and isinstance(mask, Tensor) and mask.dim() == 3:
            raise ValueError(
                f"a 3-D mask of shape {tuple(mask.shape)} is ambiguous for [B, num_heads, T_q, T_k] "
                f"scores: use mask.unsqueeze(1) for a per-example [B, 1, T_q, T_k] mask"
            )
        q = self._split_heads(self.q_proj(query))
        k = self._split_heads(self.k_proj(key))
        v = self._split_heads(self.v_proj(value))
        out, weights = scaled_dot_product_attention(
            q,
            k,
            v,
            mask,
            return_attention=return_attention,
            dropout_p=self.dropout if self.training else 0.0,
        )  # out: [B, num_heads, T_q, d_k]
        batch, _, t_q, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, t_q, self.d_model)
        return self.out_proj(out), weights


class AdditiveAttention(nn.Module):
    """Additive (Bahdanau, 2014) attention: ``score(q, k) = v^T tanh(W_q q + W_k k)``.

    A small feed-forward network scores each key against the query; a softmax over the keys gives
    the weights, and the context is the weighted sum of the keys. ``W_q``, ``W_k`` and ``v`` are
    bias-free ``nn.Linear`` layers named ``w_q``, ``w_k`` and ``v``.

    A decoder attends to the same encoder states at every step: compute
    ``projected_keys = project_keys(keys)`` once per sentence and pass it to :meth:`forward`.

    Introduced in notebook 01, compared with dot-product attention in notebook 02.

    Args:
        query_dim: ``Dq``, width of the query (e.g. the decoder state).
        key_dim: ``Dk``, width of the keys (e.g. the encoder states).
        attn_dim: width of the hidden layer in which query and key are added.
    """

    def __init__(self, query_dim: int, key_dim: int, attn_dim: int):
        super().__init__()
        for name, value in (("query_dim", query_dim), ("key_dim", key_dim), ("attn_dim", attn_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.query_dim, self.key_dim, self.attn_dim = query_dim, key_dim, attn_dim
        self.w_q = nn.Linear(query_dim, attn_dim, bias=False)
        self.w_k = nn.Linear(key_dim, attn_dim, bias=False)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        """``W_k k`` for every key: ``[B, T, Dk]`` -> ``[B, T, attn_dim]`` (once per sentence).

        Introduced in notebook 01.
        """
        _check_float_tensor("keys", keys, 3)
        if keys.dim() != 3 or keys.shape[-1] != self.key_dim:
            raise ValueError(
                f"keys must have shape [B, T, key_dim={self.key_dim}], got {tuple(keys.shape)}"
            )
        return self.w_k(keys)

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        key_mask: Tensor | None = None,
        projected_keys: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Attend from one query per example to its keys.

        Args:
            query: ``[B, Dq]`` (e.g. the previous decoder state).
            keys: ``[B, T, Dk]`` (e.g. the encoder states); also the values.
            key_mask: optional boolean ``[B, T]``, True = real token (may attend), False = padding.
            projected_keys: optional ``project_keys(keys)``, ``[B, T, attn_dim]``.

        Returns:
            ``(context, weights)``: context ``[B, Dk]`` and weights ``[B, T]`` (rows sum to 1;
            a row whose keys are all masked gets zero weights and a zero context).
        """
        _check_float_tensor("query", query, 2)
        if query.dim() != 2 or query.shape[-1] != self.query_dim:
            raise ValueError(
                f"query must have shape [B, query_dim={self.query_dim}], got {tuple(query.shape)}"
            )
        if projected_keys is None:
            projected_keys = self.project_keys(keys)
        else:
            _check_float_tensor("keys", keys, 3)
            _check_float_tensor("projected_keys", projected_keys, 3)
            if keys.dim() != 3 or keys.shape[-1] != self.key_dim:
                raise ValueError(
                    f"keys must have shape [B, T, key_dim={self.key_dim}], got {tuple(keys.shape)}"
                )
            expected = (*keys.shape[:2], self.attn_dim)
            if tuple(projected_keys.shape) != expected:
                raise ValueError(
                    f"projected_keys must have shape {expected} (project_keys(keys)), "
                    f"got {tuple(projected_keys.shape)}"
                )
        if keys.shape[0] != query.shape[0]:
            raise ValueError(
                f"query and keys must share the batch size, got query {tuple(query.shape)} "
                f"and keys {tuple(keys.shape)}"
            )
        # [B, T, attn_dim] -> [B, T]
        scores = self.v(torch.tanh(self.w_q(query).unsqueeze(1) + projected_keys)).squeeze(-1)
        if key_mask is None:
            weights = torch.softmax(scores, dim=-1)
        else:
            _check_mask(key_mask, tuple(scores.shape), name="key_mask")
            key_mask = key_mask.expand_as(scores)
            has_key = key_mask.any(dim=-1, keepdim=True)
            scores = scores.masked_fill(~(key_mask | ~has_key), float("-inf"))
            weights = torch.softmax(scores, dim=-1).masked_fill(~has_key, 0.0)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)  # [B, Dk]
        return context, weights
