"""A small BART: bidirectional encoder + autoregressive decoder with cross-attention.

Introduced in notebook 03, as the small transformer translator whose heads are searched for
anaphora; taught as BART in notebook 06 (the encoder-decoder trained by denoising). Built from the blocks of notebook 04
(:class:`course_utils.nn.blocks.EncoderBlock`, :class:`~course_utils.nn.blocks.DecoderBlock`,
:class:`~course_utils.nn.blocks.Embeddings`) and the causal mask of notebook 02
(:func:`course_utils.nn.attention.causal_mask`).

As in BART (Lewis et al., 2020): one token embedding is shared by the encoder, the decoder and
the language-model head (tied weights); encoder and decoder have their own learned position
embeddings followed by a layer norm; the blocks are post-LN. Unlike BART, the position tables
start from the sinusoidal encoding (:func:`sinusoidal_positions`), which lets a tiny model learn
to copy in a few hundred steps.

Shapes: ``B`` batch, ``S`` source length, ``T`` target length, ``V`` vocabulary size,
``H`` heads. Masks are boolean, True = may attend; ``src_mask`` is ``[B, S]`` with 1/True at real
tokens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn.attention import causal_mask
from ..nn.blocks import DecoderBlock, Embeddings, EncoderBlock, check_config_sizes, key_padding_mask

__all__ = [
    "BartConfig",
    "BartModel",
    "Seq2SeqOutput",
    "seq2seq_loss",
    "shift_right",
    "sinusoidal_positions",
]


@dataclass
class BartConfig:
    """Sizes and special ids of a small BART. Introduced in notebook 06.

    ``pad_id``, ``bos_id`` and ``eos_id`` must be distinct ids of the vocabulary.
    """

    vocab_size: int
    d_model: int = 128
    num_heads: int = 4
    num_encoder_layers: int = 2
    num_decoder_layers: int = 2
    d_ff: int = 512
    max_len: int = 128
    dropout: float = 0.1
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2

    def __post_init__(self) -> None:
        sizes = ("vocab_size", "d_model", "num_heads", "num_encoder_layers")
        check_config_sizes(self, (*sizes, "num_decoder_layers", "d_ff", "max_len"))
        for name in ("pad_id", "bos_id", "eos_id"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
            if not 0 <= value < self.vocab_size:
                raise ValueError(
                    f"{name} must lie in 0..vocab_size-1={self.vocab_size - 1}, got {value}"
                )
        if len({self.pad_id, self.bos_id, self.eos_id}) != 3:
            raise ValueError(
                f"pad_id, bos_id and eos_id must be distinct, got {self.pad_id}, {self.bos_id}, "
                f"{self.eos_id}"
            )

    def to_dict(self) -> dict:
        """The config as a plain dict (saved next to checkpoints)."""
        return asdict(self)


@dataclass
class Seq2SeqOutput:
    """What :meth:`BartModel.forward` returns. Introduced in notebook 06.

    Attributes:
        logits: ``[B, T, V]`` next-token scores at every target position.
        encoder_attentions: per encoder layer ``[B, H, S, S]`` (``None`` unless asked for).
        decoder_attentions: per decoder layer ``[B, H, T, T]`` (causal self-attention).
        cross_attentions: per decoder layer ``[B, H, T, S]`` (decoder queries, source keys).
    """

    logits: Tensor
    encoder_attentions: list[Tensor] | None = None
    decoder_attentions: list[Tensor] | None = None
    cross_attentions: list[Tensor] | None = None


def sinusoidal_positions(max_len: int, d_model: int) -> Tensor:
    """The sinusoidal position table of Vaswani et al. (2017), ``[max_len, d_model]``.

    ``PE[pos, 2i] = sin(pos / 10000^(2i / d_model))``, ``PE[pos, 2i + 1] = cos(...)``.
    :class:`BartModel` starts its learned position embeddings from this table (scaled to the
    0.02 standard deviation of the other embeddings): with random positions a small model needs
    many more steps before its decoder can find "the same place" in the source, the first thing
    denoising and translation need. Introduced in notebook 06.
    """
    for name, value in (("max_len", max_len), ("d_model", d_model)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if d_model % 2:
        raise ValueError(f"d_model must be even for sin/cos pairs, got {d_model}")
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    rates = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates)
    return table


def _check_ids(name: str, ids: object) -> Tensor:
    if not isinstance(ids, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token ids, got {type(ids).__name__}")
    if ids.is_floating_point() or ids.dtype == torch.bool or ids.is_complex():
        raise TypeError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.dim() != 2 or ids.shape[1] == 0:
        raise ValueError(f"{name} must have shape [batch, length >= 1], got {tuple(ids.shape)}")
    return ids


def shift_right(tgt_ids: Tensor, bos_id: int) -> Tensor:
    """Teacher-forcing decoder input: ``[BOS, y_1, ..., y_{T-1}]`` from ``[y_1, ..., y_T]``.

    ``tgt_ids [B, T] -> [B, T]``. Introduced in notebook 06.
    """
    _check_ids("tgt_ids", tgt_ids)
    bos = torch.full_like(tgt_ids[:, :1], bos_id)
    return torch.cat([bos, tgt_ids[:, :-1]], dim=1)


class BartModel(nn.Module):
    """A small BART encoder-decoder. Introduced in notebook 06 (used in notebook 03).

    Args:
        config: a :class:`BartConfig`.
    """

    def __init__(self, config: BartConfig):
        super().__init__()
        if not isinstance(config, BartConfig):
            raise TypeError(f"config must be a BartConfig, got {type(config).__name__}")
        self.config = config
        c = config

        def embeddings() -> Embeddings:
            return Embeddings(
                c.vocab_size,
                c.d_model,
                c.max_len,
                type_vocab_size=0,
                dropout=c.dropout,
                layer_norm=True,
                layer_norm_eps=1e-5,
                pad_id=c.pad_id,
            )

        self.encoder_embeddings = embeddings()
        self.decoder_embeddings = embeddings()
        # one token table for encoder, decoder and LM head
        self.decoder_embeddings.token = self.encoder_embeddings.token
        self.encoder_layers = nn.ModuleList(
            EncoderBlock(c.d_model, c.num_heads, c.d_ff, c.dropout, c.dropout, layer_norm_eps=1e-5)
            for _ in range(c.num_encoder_layers)
        )
        self.decoder_layers = nn.ModuleList(
            DecoderBlock(c.d_model, c.num_heads, c.d_ff, c.dropout, c.dropout)
            for _ in range(c.num_decoder_layers)
        )
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.lm_head.weight = self.encoder_embeddings.token.weight
        self.final_logits_bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.apply(self._init_weights)
        with torch.no_grad():  # learned positions, started from the sinusoidal table
            table = sinusoidal_positions(c.max_len, c.d_model)
            table = table * (0.02 / table.std())
            self.encoder_embeddings.position.weight.copy_(table)
            self.decoder_embeddings.position.weight.copy_(table)

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    # ------------------------------------------------------------------ encoder
    def _src_mask(self, src_ids: Tensor, src_mask: Tensor | None) -> Tensor:
        if src_mask is None:
            return src_ids != self.config.pad_id
        if not isinstance(src_mask, Tensor) or tuple(src_mask.shape) != tuple(src_ids.shape):
            shape = tuple(src_mask.shape) if isinstance(src_mask, Tensor) else type(src_mask)
            raise ValueError(
                f"src_mask must be a [B, S] tensor shaped like src_ids {tuple(src_ids.shape)}, "
                f"got {shape}"
            )
        return src_mask.bool()

    def encode(
        self, src_ids: Tensor, src_mask: Tensor | None = None, *, return_attention: bool = False
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        """Encode ``src_ids [B, S]`` into ``memory [B, S, d_model]``.

        With ``return_attention=True`` returns ``(memory, encoder_attentions)``, one
        ``[B, H, S, S]`` tensor per encoder layer.
        """
        _check_ids("src_ids", src_ids)
        mask = key_padding_mask(self._src_mask(src_ids, src_mask))
        x = self.encoder_embeddings(src_ids)
        attentions: list[Tensor] = []
        for layer in self.encoder_layers:
            x, weights = layer(x, mask, return_attention=return_attention)
            if return_attention:
                attentions.append(weights)
        return (x, attentions) if return_attention else x

    # ------------------------------------------------------------------ decoder
    def decode(
        self,
        tgt_in_ids: Tensor,
        memory: Tensor,
        src_mask: Tensor,
        *,
        return_attention: bool = False,
        last_only: bool = False,
    ) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """Decoder pass over ``tgt_in_ids [B, T]`` given ``memory [B, S, d_model]``.

        ``src_mask`` is the ``[B, S]`` real-token mask of the source. Returns
        ``(logits [B, T, V], self_attentions, cross_attentions)`` (lists empty unless
        ``return_attention``); with ``last_only`` the logits are those of the last position
        only, ``[B, 1, V]`` (all greedy decoding needs).
        """
        _check_ids("tgt_in_ids", tgt_in_ids)
        length = tgt_in_ids.shape[1]
        self_mask = (
            causal_mask(length, device=tgt_in_ids.device)[None, None]
            & (tgt_in_ids != self.config.pad_id)[:, None, None, :]
        )
        memory_mask = key_padding_mask(src_mask)
        x = self.decoder_embeddings(tgt_in_ids)
        self_att: list[Tensor] = []
        cross_att: list[Tensor] = []
        for layer in self.decoder_layers:
            x, w_self, w_cross = layer(
                x, memory, self_mask, memory_mask, return_attention=return_attention
            )
            if return_attention:
                self_att.append(w_self)
                cross_att.append(w_cross)
        if last_only:
            x = x[:, -1:]
        logits = self.lm_head(x) + self.final_logits_bias
        return logits, self_att, cross_att

    def forward(
        self,
        src_ids: Tensor,
        tgt_in_ids: Tensor,
        src_mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> Seq2SeqOutput:
        """Teacher-forced pass.

        Args:
            src_ids: ``[B, S]`` source ids (padded with ``pad_id``).
            tgt_in_ids: ``[B, T]`` decoder input, starting with ``bos_id`` (see
                :func:`shift_right`).
            src_mask: ``[B, S]``, 1 = real token; default ``src_ids != pad_id``.
            return_attention: also return every layer's attention weights.

        Returns:
            :class:`Seq2SeqOutput` with ``logits [B, T, V]``.
        """
        _check_ids("src_ids", src_ids)
        _check_ids("tgt_in_ids", tgt_in_ids)
        if src_ids.shape[0] != tgt_in_ids.shape[0]:
            raise ValueError(
                f"src_ids and tgt_in_ids must share the batch size, got {tuple(src_ids.shape)} "
                f"and {tuple(tgt_in_ids.shape)}"
            )
        mask = self._src_mask(src_ids, src_mask)
        if return_attention:
            memory, enc_att = self.encode(src_ids, mask, return_attention=True)
        else:
            memory, enc_att = self.encode(src_ids, mask), None
        logits, dec_att, cross_att = self.decode(
            tgt_in_ids, memory, mask, return_attention=return_attention
        )
        if not return_attention:
            return Seq2SeqOutput(logits)
        return Seq2SeqOutput(logits, enc_att, dec_att, cross_att)

    @torch.no_grad()
    def generate(
        self, src_ids: Tensor, src_mask: Tensor | None = None, max_new_tokens: int = 64
    ) -> Tensor:
        """Greedy decoding. The encoder runs once; its memory is reused at every step.

        Args:
            src_ids: ``[B, S]`` source ids.
            src_mask: ``[B, S]``, 1 = real token; default ``src_ids != pad_id``.
            max_new_tokens: at most this many tokens per sequence (``<= max_len``).

        Returns:
            ``[B, T_out]`` generated ids without BOS; a sequence ends with ``eos_id`` (unless cut
            at ``max_new_tokens``) and is padded with ``pad_id`` after it.
        """
        _check_ids("src_ids", src_ids)
        if (
            not isinstance(max_new_tokens, int)
            or isinstance(max_new_tokens, bool)
            or not 1 <= max_new_tokens <= self.config.max_len
        ):
            raise ValueError(
                f"max_new_tokens must be an int in 1..max_len={self.config.max_len}, "
                f"got {max_new_tokens!r}"
            )
        was_training = self.training
        self.eval()
        try:
            c = self.config
            mask = self._src_mask(src_ids, src_mask)
            memory = self.encode(src_ids, mask)
            batch = src_ids.shape[0]
            tokens = torch.full((batch, 1), c.bos_id, dtype=torch.long, device=src_ids.device)
            done = torch.zeros(batch, dtype=torch.bool, device=src_ids.device)
            for _ in range(max_new_tokens):
                logits, _, _ = self.decode(tokens, memory, mask, last_only=True)
                next_id = logits[:, -1].argmax(dim=-1)
                next_id = next_id.masked_fill(done, c.pad_id)
                tokens = torch.cat([tokens, next_id[:, None]], dim=1)
                done = done | (next_id == c.eos_id)
                if bool(done.all()):
                    break
            return tokens[:, 1:]
        finally:
            self.train(was_training)


def seq2seq_loss(
    model: BartModel,
    src_ids: Tensor,
    tgt_ids: Tensor,
    src_mask: Tensor | None = None,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Teacher-forced cross-entropy of ``tgt_ids [B, T]`` (ending with EOS, padded with pad_id).

    The decoder input is :func:`shift_right` of the targets; pad positions are ignored.
    Returns a scalar. Introduced in notebook 06.
    """
    _check_ids("tgt_ids", tgt_ids)
    c = model.config
    out = model(src_ids, shift_right(tgt_ids, c.bos_id), src_mask)
    return F.cross_entropy(
        out.logits.reshape(-1, c.vocab_size),
        tgt_ids.reshape(-1),
        ignore_index=c.pad_id,
        label_smoothing=label_smoothing,
    )
