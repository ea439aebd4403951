"""Transformer building blocks: embeddings, feed-forward, encoder and decoder blocks.

Introduced in notebook 04 (BERT, the encoder); the GPT (05) and BART (06) models are built from
the same blocks. Attention itself is :class:`course_utils.nn.attention.MultiHeadAttention`
(notebook 02): every block can return its attention weights (``return_attention=True``).

Two layer-norm placements are supported:

- post-LN (``norm_first=False``, BERT and the original Transformer):
  ``x = LN(x + Attn(x))``, ``x = LN(x + FFN(x))``;
- pre-LN (``norm_first=True``, GPT-2 and most modern decoders):
  ``x = x + Attn(LN(x))``, ``x = x + FFN(LN(x))``.

Shapes: ``B`` batch, ``T`` length, ``d_model`` width; masks are boolean, True = may attend,
broadcastable to ``[B, num_heads, T_q, T_k]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from .attention import MultiHeadAttention

__all__ = [
    "check_config_sizes",
    "DecoderBlock",
    "Embeddings",
    "EncoderBlock",
    "FeedForward",
    "TransformerConfig",
    "key_padding_mask",
]


def check_config_sizes(
    config: object, size_names: Sequence[str], dropout_names: Sequence[str] = ("dropout",)
) -> None:
    """Validate a model config: sizes are positive ints, ``d_model`` is divisible by
    ``num_heads`` and dropout rates lie in [0, 1); raises ``ValueError`` naming the field.

    Shared by the configs of BERT (notebook 04), GPT (05) and BART (06).
    """
    for name in size_names:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if config.d_model % config.num_heads != 0:
        raise ValueError(
            f"d_model must be divisible by num_heads, got d_model={config.d_model}, "
            f"num_heads={config.num_heads}"
        )
    for name in dropout_names:
        value = getattr(config, name)
        if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")


@dataclass
class TransformerConfig:
    """Sizes of a small transformer (the names follow the course: ``d_model``, ``num_heads``).

    Introduced in notebook 04. ``norm_first=False`` is BERT's post-LN; ``True`` is pre-LN.
    """

    vocab_size: int = 8000
    d_model: int = 128
    num_heads: int = 4
    num_layers: int = 2
    d_ff: int = 512
    max_len: int = 128
    type_vocab_size: int = 2
    dropout: float = 0.1
    attention_dropout: float = 0.1
    layer_norm_eps: float = 1e-12
    norm_first: bool = False
    pad_id: int = 0

    def __post_init__(self) -> None:
        check_config_sizes(
            self,
            ("vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "max_len"),
            ("dropout", "attention_dropout"),
        )

    def to_dict(self) -> dict:
        """The config as a plain dict (saved next to checkpoints)."""
        return asdict(self)


def key_padding_mask(attention_mask: Tensor) -> Tensor:
    """Turn a ``[B, T]`` 0/1 (or bool) "real token" mask into a ``[B, 1, 1, T]`` boolean mask.

    The result broadcasts over heads and queries of ``[B, num_heads, T_q, T_k]`` scores.
    Introduced in notebook 04.
    """
    if not isinstance(attention_mask, Tensor) or attention_mask.dim() != 2:
        shape = tuple(attention_mask.shape) if isinstance(attention_mask, Tensor) else None
        raise ValueError(f"attention_mask must be a [batch, T] tensor, got shape {shape}")
    return attention_mask.bool()[:, None, None, :]


class FeedForward(nn.Module):
    """Position-wise feed-forward network: ``Linear(d_model, d_ff) -> GELU -> Linear -> dropout``.

    ``[B, T, d_model] -> [B, T, d_model]``. GELU is the exact (erf) form, as in BERT.
    Introduced in notebook 04.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.1):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.activation = nn.GELU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.linear2(self.activation(self.linear1(x))))


class EncoderBlock(nn.Module):
    """One encoder layer: bidirectional self-attention and a feed-forward net, each with a
    residual connection and a layer norm (post-LN by default, as in BERT).

    Introduced in notebook 04.

    Args:
        d_model, num_heads, d_ff: sizes (``d_model`` divisible by ``num_heads``).
        dropout: dropout on the sub-layer outputs; ``attention_dropout`` on the weights.
        norm_first: pre-LN instead of post-LN.
        layer_norm_eps: epsilon of the layer norms (BERT: 1e-12).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-12,
    ):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model must be divisible by num_heads, got d_model={d_model}, "
                f"num_heads={num_heads}"
            )
        self.attention = MultiHeadAttention(d_model, num_heads, dropout=attention_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(
        self, x: Tensor, mask: Tensor | None = None, *, return_attention: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """``x [B, T, d_model]`` -> ``(x [B, T, d_model], weights [B, H, T, T] | None)``.

        ``mask``: boolean, True = may attend, e.g. :func:`key_padding_mask` ``[B, 1, 1, T]``.
        """
        if self.norm_first:
            h = self.norm1(x)
            attn, weights = self.attention(h, mask=mask, return_attention=return_attention)
            x = x + self.dropout(attn)
            return x + self.ffn(self.norm2(x)), weights
        attn, weights = self.attention(x, mask=mask, return_attention=return_attention)
        x = self.norm1(x + self.dropout(attn))
        return self.norm2(x + self.ffn(x)), weights


class DecoderBlock(nn.Module):
    """One decoder layer: masked self-attention, optional cross-attention to the encoder's
    ``memory``, and a feed-forward net (post-LN by default, pre-LN with ``norm_first=True``).

    Without ``memory`` (GPT) the cross-attention sub-layer is skipped; build it with
    ``cross_attention=False`` to leave it out entirely. Introduced in notebook 04 (used in 05, 06).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
        cross_attention: bool = True,
    ):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model must be divisible by num_heads, got d_model={d_model}, "
                f"num_heads={num_heads}"
            )
        self.self_attention = MultiHeadAttention(d_model, num_heads, dropout=attention_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        if cross_attention:
            self.cross_attention = MultiHeadAttention(d_model, num_heads, dropout=attention_dropout)
            self.norm_cross = nn.LayerNorm(d_model, eps=layer_norm_eps)
        else:
            self.cross_attention = None
        self.ffn = FeedForward(d_model, d_ff, dropout)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def _sublayer(self, x: Tensor, norm: nn.LayerNorm, fn) -> tuple[Tensor, Tensor | None]:
        if self.norm_first:
            out, weights = fn(norm(x))
            return x + self.dropout(out), weights
        out, weights = fn(x)
        return norm(x + self.dropout(out)), weights

    def forward(
        self,
        x: Tensor,
        memory: Tensor | None = None,
        self_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Decode ``x [B, T, d_model]``, attending to ``memory [B, S, d_model]``.

        Args:
            self_mask: e.g. ``causal_mask(T)`` ``[T, T]`` (combined with padding by the caller).
            memory_mask: e.g. ``key_padding_mask(src_mask)`` ``[B, 1, 1, S]``.

        Returns:
            ``(x [B, T, d_model], self_weights [B, H, T, T] | None,
            cross_weights [B, H, T, S] | None)``.
        """
        x, self_weights = self._sublayer(
            x,
            self.norm1,
            lambda h: self.self_attention(h, mask=self_mask, return_attention=return_attention),
        )
        cross_weights = None
        if memory is not None:
            if self.cross_attention is None:
                raise ValueError("this DecoderBlock was built with cross_attention=False")
            x, cross_weights = self._sublayer(
                x,
                self.norm_cross,
                lambda h: self.cross_attention(
                    h, memory, mask=memory_mask, return_attention=return_attention
                ),
            )
        if self.norm_first:
            x = x + self.ffn(self.norm2(x))
        else:
            x = self.norm2(x + self.ffn(x))
        return x, self_weights, cross_weights


class Embeddings(nn.Module):
    """Token + learned absolute position (+ segment) embeddings, then layer norm and dropout.

    ``token_ids [B, T] -> [B, T, d_model]``. Sequences longer than ``max_len`` are refused with
    a clear message (the position table has ``max_len`` rows). ``type_vocab_size=0`` leaves out
    segment embeddings (GPT); ``layer_norm=False`` leaves out the norm (pre-LN models).
    Introduced in notebook 04.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        max_len: int,
        type_vocab_size: int = 2,
        dropout: float = 0.1,
        layer_norm: bool = True,
        layer_norm_eps: float = 1e-12,
        pad_id: int | None = 0,
    ):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position = nn.Embedding(max_len, d_model)
        self.segment = nn.Embedding(type_vocab_size, d_model) if type_vocab_size > 0 else None
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if layer_norm else None
        self.dropout = nn.Dropout(dropout)
        self.max_len = max_len
        self.vocab_size = vocab_size

    def forward(
        self,
        token_ids: Tensor,
        token_type_ids: Tensor | None = None,
        position_offset: int = 0,
    ) -> Tensor:
        if not isinstance(token_ids, Tensor) or token_ids.dim() != 2:
            shape = tuple(token_ids.shape) if isinstance(token_ids, Tensor) else type(token_ids)
            raise ValueError(f"token_ids must be a [batch, T] tensor, got {shape}")
        if token_ids.is_floating_point() or token_ids.dtype == torch.bool:
            raise TypeError(f"token_ids must be integer ids, got dtype {token_ids.dtype}")
        length = token_ids.shape[1] + position_offset
        if length > self.max_len:
            raise ValueError(
                f"sequence length {length} exceeds the position table (max_len={self.max_len}); "
                f"truncate the input to at most {self.max_len} tokens"
            )
        if token_ids.numel() and (
            int(token_ids.min()) < 0 or int(token_ids.max()) >= self.vocab_size
        ):
            raise ValueError(
                f"token ids must lie in 0..{self.vocab_size - 1}, got min {int(token_ids.min())}, "
                f"max {int(token_ids.max())}"
            )
        positions = torch.arange(position_offset, length, device=token_ids.device)
        x = self.token(token_ids)
        if self.segment is not None:  # summed in BERT's order, so results match to the last bit
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(token_ids)
            x = x + self.segment(token_type_ids)
        x = x + self.position(positions)[None]
        if self.norm is not None:
            x = self.norm(x)
        return self.dropout(x)
