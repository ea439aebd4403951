"""GPT: a decoder-only transformer language model built from the course's blocks.

Introduced in notebook 05 (GPT, the decoder); notebook 09 (RLHF) puts reward and value heads on
:attr:`GPTOutput.hidden`.

The model is GPT-2's layout at a small size: token and learned absolute position embeddings,
``num_layers`` pre-LN :class:`~course_utils.nn.blocks.DecoderBlock` s without cross-attention,
each masked with :func:`~course_utils.nn.attention.causal_mask`, a final layer norm, and a language
modelling head tied to the token embedding (the same ``[vocab_size, d_model]`` matrix reads
tokens in and scores them out).

Shapes: ``B`` batch, ``T`` length (at most ``max_len``), ``V`` vocabulary size. Masks are
boolean, True = may attend.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn.attention import MultiHeadAttention, causal_mask
from ..nn.blocks import DecoderBlock, check_config_sizes

__all__ = [
    "GPT",
    "CausalSelfAttention",
    "GPTConfig",
    "GPTOutput",
    "language_model_loss",
    "load_gpt",
    "position_ids_from_mask",
    "save_gpt",
]


@dataclass
class GPTConfig:
    """Sizes of a small GPT. Introduced in notebook 05.

    Args:
        vocab_size: number of token ids ``V``.
        d_model, num_heads, num_layers, d_ff: widths and depth (``d_model`` divisible by
            ``num_heads``).
        max_len: context window: the longest input the position table covers.
        dropout: dropout on embeddings, sub-layer outputs and attention weights (training only).
        pad_id: id of the padding token, if any (its embedding row starts at zero and gets no
            gradient from the input side).
    """

    vocab_size: int
    d_model: int = 128
    num_heads: int = 4
    num_layers: int = 4
    d_ff: int = 512
    max_len: int = 128
    dropout: float = 0.0
    pad_id: int | None = None

    def __post_init__(self) -> None:
        check_config_sizes(
            self, ("vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "max_len")
        )
        if self.pad_id is not None and (
            not isinstance(self.pad_id, int)
            or isinstance(self.pad_id, bool)
            or not 0 <= self.pad_id < self.vocab_size
        ):
            raise ValueError(
                f"pad_id must be None or an int in 0..vocab_size-1={self.vocab_size - 1}, "
                f"got {self.pad_id!r}"
            )

    def to_dict(self) -> dict:
        """The config as a plain dict (saved next to checkpoints)."""
        return asdict(self)


@dataclass
class GPTOutput:
    """What :meth:`GPT.forward` returns. Introduced in notebook 05.

    Attributes:
        logits: ``[B, T, V]`` next-token scores at every position.
        hidden: ``[B, T, d_model]`` final hidden states, after the final layer norm (reward and
            value heads in notebook 09 read them).
        attentions: per layer ``[B, num_heads, T, T]`` weights when ``return_attention=True``,
            else ``None``.
    """

    logits: Tensor
    hidden: Tensor
    attentions: list[Tensor] | None = None


def position_ids_from_mask(attention_mask: Tensor) -> Tensor:
    """Positions ``[B, T]`` that count only real tokens: 0 at each row's first real token.

    For a left-padded batch ``[[0, 0, 1, 1], [1, 1, 1, 1]]`` this gives ``[[0, 0, 0, 1],
    [0, 1, 2, 3]]`` (padding positions are clamped to 0; they are never attended to), so a
    padded prompt gets the same positions as the unpadded one. Introduced in notebook 05.
    """
    mask = attention_mask.long()
    return (mask.cumsum(dim=-1) - 1).clamp(min=0)


class CausalSelfAttention(MultiHeadAttention):
    """Multi-head self-attention that is always causal: position ``t`` sees positions ``<= t``.

    Introduced in notebook 05. Same parameters as :class:`MultiHeadAttention` (``q_proj``,
    ``k_proj``, ``v_proj``, ``out_proj``). ``mask`` (e.g. a ``[B, 1, 1, T]`` padding mask) is
    combined with :func:`causal_mask`. Without a mask and without weights the fast path calls
    ``torch.nn.functional.scaled_dot_product_attention(..., is_causal=True)``, which skips the
    masked upper triangle instead of computing and discarding it; otherwise the package's
    attention runs with the combined boolean mask.
    """

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """``query [B, T, d_model]`` -> ``(output [B, T, d_model], weights [B, H, T, T] | None)``."""
        if key is not None or value is not None:
            raise ValueError("CausalSelfAttention is self-attention only: pass no key or value")
        if mask is None and not return_attention:
            self._check_input("query", query)
            q = self._split_heads(self.q_proj(query))
            k = self._split_heads(self.k_proj(query))
            v = self._split_heads(self.v_proj(query))
            out = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
            )  # [B, H, T, d_k]
            batch, _, length, _ = out.shape
            return self.out_proj(out.transpose(1, 2).reshape(batch, length, self.d_model)), None
        length = query.shape[1]
        causal = causal_mask(length, device=query.device)
        return super().forward(
            query,
            mask=causal if mask is None else causal & mask,
            return_attention=return_attention,
        )


class GPT(nn.Module):
    """A decoder-only transformer language model (GPT-2 layout, pre-LN).

    Introduced in notebook 05. ``forward(input_ids [B, T]) -> GPTOutput`` with ``logits [B, T, V]``;
    position ``t`` sees tokens ``0..t`` only (causal mask), so one forward pass yields a
    next-token prediction at every position and the model trains on all of them at once.

    Initialisation follows GPT-2: weights ``N(0, 0.02)``, biases zero, and the two projections
    that write into the residual stream (attention output, second feed-forward layer) scaled by
    ``1 / sqrt(2 * num_layers)``.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.token = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.max_len, config.d_model)
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList(
            DecoderBlock(
                config.d_model,
                config.num_heads,
                config.d_ff,
                dropout=config.dropout,
                attention_dropout=config.dropout,
                norm_first=True,
                layer_norm_eps=1e-5,
                cross_attention=False,
            )
            for _ in range(config.num_layers)
        )
        for layer in self.layers:  # same parameters, causal built in (and a faster fast path)
            layer.self_attention = CausalSelfAttention(
                config.d_model, config.num_heads, dropout=config.dropout
            )
        self.norm = nn.LayerNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.lm_head.weight = self.token.weight  # weight tying
        self.reset_parameters()

    def reset_parameters(self, std: float = 0.02) -> None:
        """GPT-2 initialisation (see the class docstring)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=std)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_std = std / math.sqrt(2 * self.config.num_layers)
        for layer in self.layers:
            nn.init.normal_(layer.self_attention.out_proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(layer.ffn.linear2.weight, mean=0.0, std=residual_std)
        if self.config.pad_id is not None:
            with torch.no_grad():
                self.token.weight[self.config.pad_id].zero_()

    @property
    def max_len(self) -> int:
        """The context window (``config.max_len``)."""
        return self.config.max_len

    def _check_input_ids(self, input_ids: object) -> None:
        if not isinstance(input_ids, Tensor):
            raise TypeError(f"input_ids must be a torch.Tensor, got {type(input_ids).__name__}")
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, T], got shape {tuple(input_ids.shape)}")
        if input_ids.is_floating_point() or input_ids.dtype == torch.bool:
            raise TypeError(f"input_ids must be integer ids, got dtype {input_ids.dtype}")
        length = input_ids.shape[1]
        if length < 1:
            raise ValueError("input_ids must hold at least one token, got T=0")
        if length > self.config.max_len:
            raise ValueError(
                f"input length T={length} exceeds the context window max_len="
                f"{self.config.max_len}; keep the last {self.config.max_len} tokens "
                f"(input_ids[:, -{self.config.max_len}:])"
            )
        lo, hi = int(input_ids.min()), int(input_ids.max())
        if lo < 0 or hi >= self.config.vocab_size:
            raise ValueError(
                f"input_ids must lie in 0..vocab_size-1={self.config.vocab_size - 1}, "
                f"got min {lo}, max {hi}"
            )

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> GPTOutput:
        """Next-token logits for every position.

        Args:
            input_ids: ``[B, T]`` token ids, ``T <= max_len`` (longer inputs raise ValueError).
            attention_mask: optional ``[B, T]`` 0/1 or bool, 1 = real token (for left-padded
                batches). It is combined with the causal mask, and positions count real tokens
                only (:func:`position_ids_from_mask`), so a left-padded row gives the same
                logits at its real tokens as the unpadded row.
            return_attention: also return each layer's attention weights (explicit, slower
                path); without it attention runs through ``scaled_dot_product_attention``.

        Returns:
            :class:`GPTOutput`: ``logits [B, T, V]``, ``hidden [B, T, d_model]``,
            ``attentions`` (list of ``[B, num_heads, T, T]``) or ``None``.
        """
        self._check_input_ids(input_ids)
        length = input_ids.shape[1]
        mask = None  # the causal mask is built into CausalSelfAttention
        if attention_mask is None:
            positions = torch.arange(length, device=input_ids.device)[None]  # [1, T]
        else:
            if not isinstance(attention_mask, Tensor) or attention_mask.shape != input_ids.shape:
                shape = tuple(attention_mask.shape) if isinstance(attention_mask, Tensor) else None
                raise ValueError(
                    f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
                    f"got {shape}"
                )
            real = attention_mask.bool()
            positions = position_ids_from_mask(real)  # [B, T]
            mask = real[:, None, None, :]  # [B, 1, 1, T], combined with the causal mask
        x = self.dropout(self.token(input_ids) + self.position(positions))
        attentions: list[Tensor] | None = [] if return_attention else None
        for layer in self.layers:
            x, weights, _ = layer(x, self_mask=mask, return_attention=return_attention)
            if attentions is not None:
                attentions.append(weights)
        hidden = self.norm(x)
        return GPTOutput(logits=self.lm_head(hidden), hidden=hidden, attentions=attentions)


def language_model_loss(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """Mean cross-entropy of next-token predictions, in nats per token.

    ``logits [B, T, V]`` and ``targets [B, T]`` are already aligned (``targets[:, t]`` is the
    token after position ``t``); positions whose target is ``ignore_index`` are skipped.
    Introduced in notebook 05.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(
            f"logits must be [B, T, V] and targets [B, T] with the same B and T, got logits "
            f"{tuple(logits.shape)} and targets {tuple(targets.shape)}"
        )
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=ignore_index
    )


def save_gpt(model: GPT, path: str | Path, **extra: object) -> Path:
    """Save ``model``'s config, weights and JSON-able ``extra`` (e.g. the vocabulary) to ``path``.

    Introduced in notebook 05 (train-or-load checkpoints under ``.cache/05_gpt``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    json.dumps(extra)  # fail early, with json's message, if extra is not JSON-able
    torch.save(
        {"config": model.config.to_dict(), "state_dict": model.state_dict(), "extra": extra},
        path,
    )
    return path


def load_gpt(path: str | Path) -> tuple[GPT, dict]:
    """Load a checkpoint written by :func:`save_gpt`: ``(model in eval mode, extra)``.

    Introduced in notebook 05.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GPT checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(
            f"{path} is not a readable checkpoint ({type(err).__name__}): it may be truncated by "
            f"an interrupted save; delete it and train again"
        ) from None
    if not isinstance(payload, dict) or not {"config", "state_dict"} <= set(payload):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"{path} is not a GPT checkpoint written by save_gpt (it holds {keys}, expected "
            f"'config' and 'state_dict')"
        )
    model = GPT(GPTConfig(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, payload.get("extra", {})
