"""GRU encoder-decoder translation models, without and with additive (Bahdanau) attention.

Introduced in notebook 01. The encoder is a bidirectional GRU that gives every source word an
annotation ``h_j [2H]`` (the words before and after it, summarised) and the whole sentence one
summary vector ``[2H]``. Two decoders share everything except how they see the source:

- :class:`Decoder` (Cho et al., 2014): the whole sentence is squeezed into the fixed summary
  vector, given to the decoder at every step. Long sentences do not fit.
- :class:`AttentionDecoder` (Bahdanau et al., 2014): at every output step the decoder state
  asks :class:`course_utils.nn.attention.AdditiveAttention` which source words matter now; the
  weighted sum over the source words (the context vector) goes into the prediction. The
  weights ``[T_tgt, S]`` are a soft word alignment.

Also here: :class:`Vocab`, padding and length-bucketed batches, the loss, greedy decoding and
teacher-forced attention matrices (for alignment scoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..corpora.batching import Batch, make_batches
from ..corpora.tokenization import Vocab
from ..nn.attention import AdditiveAttention

__all__ = [
    "AttentionDecoder",
    "Decoder",
    "Encoded",
    "Encoder",
    "Seq2Seq",
    "attention_matrices",
    "coverage_penalty",
    "translate",
]


# --------------------------------------------------------------------------- vocabulary


# --------------------------------------------------------------------------- batches


# --------------------------------------------------------------------------- encoder


@dataclass
class Encoded:
    """What the encoder hands to a decoder (one padded batch of ``B`` sentences of ``S`` slots).

    Attributes:
        annotations: ``[B, S, 2H]``, ``[h_fwd_j; h_bwd_j]`` per source word (zeros at padding).
        embedded: ``[B, S, E]``, the source word embeddings ``x_j``.
        summary: ``[B, 2H]``, the last forward state and the first backward state.
        mask: ``[B, S]`` boolean, True at real words (may attend), False at padding.

    Introduced in notebook 01.
    """

    annotations: Tensor
    embedded: Tensor
    summary: Tensor
    mask: Tensor


class Encoder(nn.Module):
    """Bidirectional GRU encoder (Bahdanau et al., 2014): word ``j`` gets the annotation
    ``h_j = [h_fwd_j; h_bwd_j]``, which summarises the words before and after it.

    Introduced in notebook 01.

    Args:
        vocab_size: source vocabulary size.
        emb_dim: ``E``, the word-embedding width.
        hidden_dim: ``H``, the GRU width per direction.
        pad_id: padding id (its embedding stays zero).
    """

    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, pad_id: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(emb_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.hidden_dim = hidden_dim

    def forward(self, src: Tensor, src_lengths: Tensor) -> Encoded:
        """Encode ``src [B, S]`` (ids, padded) with real lengths ``src_lengths [B]`` (``1..S``)."""
        _check_ids("src", src)
        if not isinstance(src_lengths, Tensor) or src_lengths.shape != src.shape[:1]:
            raise ValueError(
                f"src_lengths must be a tensor of shape [B]={tuple(src.shape[:1])}, got "
                f"{tuple(src_lengths.shape) if isinstance(src_lengths, Tensor) else src_lengths!r}"
            )
        if int(src_lengths.min()) < 1 or int(src_lengths.max()) > src.shape[1]:
            raise ValueError(
                f"src_lengths must lie in 1..{src.shape[1]}, got {src_lengths.tolist()}"
            )
        embedded = self.embedding(src)
        packed = pack_padded_sequence(
            embedded, src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        output, h_n = self.rnn(packed)  # h_n: [2, B, H]
        annotations, _ = pad_packed_sequence(output, batch_first=True, total_length=src.shape[1])
        positions = torch.arange(src.shape[1], device=src.device)
        mask = positions[None, :] < src_lengths.to(src.device)[:, None]
        return Encoded(annotations, embedded, torch.cat([h_n[0], h_n[1]], dim=-1), mask)


def _check_ids(name: str, ids: object) -> None:
    if not isinstance(ids, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token ids, got {type(ids).__name__}")
    if ids.dtype != torch.long:
        raise TypeError(f"{name} must hold token ids as torch.long, got dtype {ids.dtype}")
    if ids.dim() != 2:
        raise ValueError(f"{name} must have shape [B, T], got {tuple(ids.shape)}")


# --------------------------------------------------------------------------- decoders


class Decoder(nn.Module):
    """GRU decoder without attention (Cho et al., 2014): one fixed vector for the whole output.

    ``s_0 = tanh(W c)`` with ``c`` the encoder summary; step i reads ``[emb(y_{i-1}); c]`` and
    predicts ``y_i`` from ``[s_i; emb(y_{i-1}); c]``. Everything the decoder knows about the
    source has to fit into ``c [B, 2H]``. Introduced in notebook 01.

    Args:
        vocab_size: target vocabulary size.
        emb_dim: target word-embedding width.
        hidden_dim: ``H``, the decoder GRU width.
        summary_dim: width of the encoder summary (``2H``).
        pad_id: padding id.
    """

    has_attention = False

    def __init__(
        self, vocab_size: int, emb_dim: int, hidden_dim: int, summary_dim: int, pad_id: int = 0
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.init = nn.Linear(summary_dim, hidden_dim)
        self.rnn = nn.GRU(emb_dim + summary_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim + emb_dim + summary_dim, vocab_size)

    def start(self, enc: Encoded) -> dict:
        """Decoder state before the first word: ``{"hidden": [B, H], "context": [B, 2H]}``."""
        return {"hidden": torch.tanh(self.init(enc.summary)), "context": enc.summary}

    def step(self, y_prev: Tensor, state: dict) -> tuple[Tensor, dict, None]:
        """One step: ``y_prev [B]`` -> ``(logits [B, V], new state, None)``."""
        emb = self.embedding(y_prev)  # [B, E]
        x = torch.cat([emb, state["context"]], dim=-1).unsqueeze(1)
        _, hidden = self.rnn(x, state["hidden"].unsqueeze(0))
        hidden = hidden.squeeze(0)
        logits = self.out(torch.cat([hidden, emb, state["context"]], dim=-1))
        return logits, {**state, "hidden": hidden}, None

    def forward(self, tgt_in: Tensor, enc: Encoded) -> tuple[Tensor, None]:
        """Teacher forcing over ``tgt_in [B, T]`` -> ``(logits [B, T, V], None)``, one GRU call."""
        state = self.start(enc)
        emb = self.embedding(tgt_in)  # [B, T, E]
        context = state["context"].unsqueeze(1).expand(-1, tgt_in.shape[1], -1)  # [B, T, 2H]
        states, _ = self.rnn(torch.cat([emb, context], dim=-1), state["hidden"].unsqueeze(0))
        return self.out(torch.cat([states, emb, context], dim=-1)), None


class AttentionDecoder(nn.Module):
    """GRU decoder with additive attention over the source words.

    At output step i the decoder state asks :class:`~course_utils.nn.attention.AdditiveAttention`
    which source words matter now: the scores ``v^T tanh(W_q s + W_k h_j)`` over the annotations
    ``h_j`` (the keys) become weights ``alpha_i [B, S]`` by a softmax, and the context vector is
    the weighted sum of the values ``[x_j; h_j]`` (word embedding and annotation). ``y_i`` is
    predicted from ``[s_i; emb(y_{i-1}); c_i]``.

    Two ways to wire the context in:

    - ``input_feeding=False`` (default; the context enters the prediction only, as in Luong et
      al., 2015, with Bahdanau's additive score): ``s_i = GRU(emb(y_{i-1}), s_{i-1})`` and the
      query is ``s_i``. The GRU never sees a context, so teacher forcing runs the GRU and the
      attention over all target positions at once, and the decoder cannot carry along source
      information fetched at earlier steps: what it needs for word i it must read at step i.
    - ``input_feeding=True`` (Bahdanau et al., 2014): the query is the previous state
      ``s_{i-1}`` and ``s_i = GRU([emb(y_{i-1}); c_i], s_{i-1})``: a loop over target positions.

    ``value_dropout`` drops parts of the annotations inside the values during training, so that
    reading a word's own embedding is the reliable way to learn which word it is.

    Introduced in notebook 01.

    Args:
        vocab_size: target vocabulary size.
        emb_dim: target word-embedding width.
        hidden_dim: ``H``, the decoder GRU width (the attention query).
        key_dim: annotation width ``2H_enc`` (keys, and the encoder summary).
        value_dim: value width ``E_src + 2H_enc``.
        attn_dim: hidden width of the additive attention (default ``hidden_dim``).
        value_dropout: dropout probability on the annotation part of the values (training).
        input_feeding: Bahdanau's original wiring (see above).
        pad_id: padding id.
    """

    has_attention = True

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        key_dim: int,
        value_dim: int,
        *,
        attn_dim: int | None = None,
        value_dropout: float = 0.0,
        input_feeding: bool = False,
        pad_id: int = 0,
    ):
        super().__init__()
        if not 0.0 <= value_dropout < 1.0:
            raise ValueError(f"value_dropout must be in [0, 1), got {value_dropout!r}")
        self.input_feeding = input_feeding
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.init = nn.Linear(key_dim, hidden_dim)
        self.attention = AdditiveAttention(hidden_dim, key_dim, attn_dim or hidden_dim)
        self.value_dropout = nn.Dropout(value_dropout)
        rnn_in = emb_dim + (value_dim if input_feeding else 0)
        self.rnn = nn.GRU(rnn_in, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim + emb_dim + value_dim, vocab_size)

    def start(self, enc: Encoded) -> dict:
        """State before the first word; the keys are projected once per sentence here."""
        return {
            "hidden": torch.tanh(self.init(enc.summary)),  # [B, H]
            "keys": enc.annotations,  # [B, S, 2H]
            "projected": self.attention.project_keys(enc.annotations),  # [B, S, attn_dim]
            "values": torch.cat([enc.embedded, self.value_dropout(enc.annotations)], dim=-1),
            "mask": enc.mask,  # [B, S]
        }

    def attend(self, queries: Tensor, state: dict) -> tuple[Tensor, Tensor]:
        """Attention for several queries per sentence at once.

        Args:
            queries: ``[B, T, H]`` decoder states.
            state: from :meth:`start`.

        Returns:
            ``(context [B, T, value_dim], weights [B, T, S])``.
        """
        batch, steps, _ = queries.shape

        def per_query(x: Tensor) -> Tensor:  # [B, S, ...] -> [B * T, S, ...]
            return x.unsqueeze(1).expand(batch, steps, *x.shape[1:]).reshape(-1, *x.shape[1:])

        _, weights = self.attention(
            queries.reshape(batch * steps, -1),
            per_query(state["keys"]),
            per_query(state["mask"]),
            projected_keys=per_query(state["projected"]),
        )
        weights = weights.view(batch, steps, -1)
        return torch.bmm(weights, state["values"]), weights

    def _advance(self, emb: Tensor, state: dict) -> tuple[Tensor, Tensor, Tensor]:
        """One GRU step and its attention: ``emb [B, E]`` -> ``(s_i, c_i, alpha_i)``."""
        if self.input_feeding:  # Bahdanau: query s_{i-1}, context fed to the GRU
            context, weights = self.attend(state["hidden"].unsqueeze(1), state)
            x = torch.cat([emb, context[:, 0]], dim=-1)
            hidden = self.rnn(x.unsqueeze(1), state["hidden"].unsqueeze(0))[1][0]
        else:  # query s_i, context used for the prediction only
            hidden = self.rnn(emb.unsqueeze(1), state["hidden"].unsqueeze(0))[1][0]
            context, weights = self.attend(hidden.unsqueeze(1), state)
        return hidden, context[:, 0], weights[:, 0]

    def step(self, y_prev: Tensor, state: dict) -> tuple[Tensor, dict, Tensor]:
        """One step: ``y_prev [B]`` -> ``(logits [B, V], new state, weights [B, S])``."""
        emb = self.embedding(y_prev)
        hidden, context, weights = self._advance(emb, state)
        logits = self.out(torch.cat([hidden, emb, context], dim=-1))
        return logits, {**state, "hidden": hidden}, weights

    def forward(self, tgt_in: Tensor, enc: Encoded) -> tuple[Tensor, Tensor]:
        """Teacher forcing: ``tgt_in [B, T]`` -> ``(logits [B, T, V], weights [B, T, S])``."""
        state = self.start(enc)
        emb = self.embedding(tgt_in)  # [B, T, E]
        if self.input_feeding:
            steps = []
            for i in range(tgt_in.shape[1]):
                hidden, context, weights = self._advance(emb[:, i], state)
                state["hidden"] = hidden
                steps.append((hidden, context, weights))
            hiddens, contexts, weights = (
                torch.stack(parts, 1) for parts in zip(*steps, strict=True)
            )
        else:  # all target positions in parallel: one GRU call, one attention call
            hiddens, _ = self.rnn(emb, state["hidden"].unsqueeze(0))  # [B, T, H]
            contexts, weights = self.attend(hiddens, state)
        return self.out(torch.cat([hiddens, emb, contexts], dim=-1)), weights


# --------------------------------------------------------------------------- the model


def coverage_penalty(weights: Tensor, tgt_mask: Tensor) -> Tensor:
    """Penalty for attending to a source word more than once in total (a fertility prior).

    Most source words translate into one target word (IBM Model 3 calls this *fertility*).
    The coverage of source word j is ``sum_i alpha_ij`` over the real target words i; every
    unit of coverage above 1 costs ``(coverage - 1)^2``. Words attended less (articles) cost
    nothing. Averaged over the sentences of the batch.

    Introduced in notebook 01.

    Args:
        weights: attention weights ``[B, T, S]``.
        tgt_mask: boolean ``[B, T]``, True for the target steps that produce real words
            (not padding, not ``<eos>``).

    Returns:
        Scalar tensor.
    """
    if weights.dim() != 3 or tgt_mask.shape != weights.shape[:2]:
        raise ValueError(
            f"weights must be [B, T, S] and tgt_mask [B, T], got {tuple(weights.shape)} and "
            f"{tuple(tgt_mask.shape)}"
        )
    coverage = (weights * tgt_mask.unsqueeze(-1)).sum(dim=1)  # [B, S]
    return F.relu(coverage - 1.0).pow(2).sum(dim=1).mean()


class Seq2Seq(nn.Module):
    """Encoder-decoder translation model, without (``attention=False``) or with attention.

    Both variants share the encoder, the embedding and GRU widths and the output layer, so they
    can be compared at an equal training budget. Introduced in notebook 01.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes.
        emb_dim: ``E``, word-embedding width (source and target).
        hidden_dim: ``H``, encoder GRU width per direction and decoder GRU width.
        attention: :class:`AttentionDecoder` (True) or :class:`Decoder` (False).
        attn_dim: additive attention hidden width (default ``hidden_dim``).
        value_dropout: see :class:`AttentionDecoder`.
        input_feeding: Bahdanau's original decoder wiring, see :class:`AttentionDecoder`.
        pad_id: padding id of both vocabularies.
        eos_id: end-of-sentence id of the target vocabulary (for the coverage penalty).
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        *,
        emb_dim: int = 64,
        hidden_dim: int = 64,
        attention: bool = True,
        attn_dim: int | None = None,
        value_dropout: float = 0.5,
        input_feeding: bool = False,
        pad_id: int = 0,
        eos_id: int = 2,
    ):
        super().__init__()
        self.pad_id, self.eos_id = pad_id, eos_id
        self.encoder = Encoder(src_vocab_size, emb_dim, hidden_dim, pad_id)
        if attention:
            self.decoder = AttentionDecoder(
                tgt_vocab_size,
                emb_dim,
                hidden_dim,
                2 * hidden_dim,
                emb_dim + 2 * hidden_dim,
                attn_dim=attn_dim,
                value_dropout=value_dropout,
                input_feeding=input_feeding,
                pad_id=pad_id,
            )
        else:
            self.decoder = Decoder(tgt_vocab_size, emb_dim, hidden_dim, 2 * hidden_dim, pad_id)

    @property
    def has_attention(self) -> bool:
        return self.decoder.has_attention

    def encode(self, src: Tensor, src_lengths: Tensor) -> Encoded:
        """Run the encoder: see :class:`Encoded`."""
        return self.encoder(src, src_lengths)

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, *, return_attention: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """Teacher-forced pass.

        Args:
            src: ``[B, S]`` source ids; src_lengths: ``[B]``.
            tgt_in: ``[B, T]`` target ids starting with ``<bos>``.
            return_attention: also return the attention weights (attention model only).

        Returns:
            ``(logits [B, T, V], weights [B, T, S] or None)``.
        """
        _check_ids("tgt_in", tgt_in)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"src and tgt_in must share the batch size, got {tuple(src.shape)} and "
                f"{tuple(tgt_in.shape)}"
            )
        logits, weights = self.decoder(tgt_in, self.encode(src, src_lengths))
        return logits, (weights if return_attention else None)

    def loss(self, batch: Batch, coverage_weight: float = 0.0) -> Tensor:
        """Mean cross-entropy per target token (padding ignored) of one :class:`Batch`, plus
        ``coverage_weight`` x :func:`coverage_penalty` of the attention weights (if any)."""
        want = coverage_weight > 0 and self.has_attention
        logits, weights = self(batch.src, batch.src_lengths, batch.tgt_in, return_attention=want)
        loss = F.cross_entropy(
            logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=self.pad_id
        )
        if want:
            words = (batch.tgt_out != self.pad_id) & (batch.tgt_out != self.eos_id)
            loss = loss + coverage_weight * coverage_penalty(weights, words)
        return loss

    @torch.no_grad()
    def greedy_decode(
        self,
        src: Tensor,
        src_lengths: Tensor,
        *,
        bos_id: int = 1,
        eos_id: int = 2,
        max_len: int | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Greedy decoding: the most probable word at every step, until ``<eos>`` or ``max_len``
        (default ``2 S + 2``).

        Returns:
            ``(ids [B, L], weights [B, L, S] or None)``; positions after ``<eos>`` are padding.
        """
        was_training = self.training
        self.eval()
        state = self.decoder.start(self.encode(src, src_lengths))
        max_len = max_len or 2 * src.shape[1] + 2
        y = torch.full((src.shape[0],), bos_id, dtype=torch.long, device=src.device)
        done = torch.zeros_like(y, dtype=torch.bool)
        outputs, all_weights = [], []
        for _ in range(max_len):
            logits, state, weights = self.decoder.step(y, state)
            y = logits.argmax(-1).masked_fill(done, self.pad_id)
            outputs.append(y)
            if weights is not None:
                all_weights.append(weights)
            done = done | (y == eos_id)
            if bool(done.all()):
                break
        self.train(was_training)
        return torch.stack(outputs, 1), (torch.stack(all_weights, 1) if all_weights else None)


# --------------------------------------------------------------------------- whole corpora


def translate(
    model: Seq2Seq,
    sentences: Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    batch_size: int = 128,
    max_len: int | None = None,
) -> list[list[str]]:
    """Greedy translations of tokenised ``sentences`` (unknown source words become ``<unk>``).

    Introduced in notebook 01.
    """
    src_ids = [src_vocab.encode(s, allow_unknown=True) for s in sentences]
    hyps: list[list[str]] = [[] for _ in sentences]
    for batch in make_batches(src_ids, [[] for _ in src_ids], batch_size, shuffle=False):
        ids, _ = model.greedy_decode(
            batch.src,
            batch.src_lengths,
            bos_id=tgt_vocab.bos_id,
            eos_id=tgt_vocab.eos_id,
            max_len=max_len,
        )
        for row, k in zip(ids.tolist(), batch.index, strict=True):
            hyps[k] = tgt_vocab.decode(row)
    return hyps


@torch.no_grad()
def attention_matrices(
    model: Seq2Seq,
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    batch_size: int = 128,
) -> list[np.ndarray]:
    """Attention weights while the model is fed the reference translation (teacher forcing).

    Row j is the attention used to predict reference word j, so the rows line up with the gold
    alignment of the reference. Introduced in notebook 01.

    Args:
        model: a :class:`Seq2Seq` with ``attention=True``.
        src_ids: source id lists; tgt_ids: reference target id lists (no ``<bos>``/``<eos>``).

    Returns:
        One array ``[len(tgt), len(src)]`` per sentence pair.
    """
    if not model.has_attention:
        raise ValueError("attention_matrices needs a Seq2Seq built with attention=True")
    was_training = model.training
    model.eval()
    result: list[np.ndarray] = [np.empty(0)] * len(src_ids)
    for batch in make_batches(src_ids, tgt_ids, batch_size, shuffle=False):
        _, weights = model(batch.src, batch.src_lengths, batch.tgt_in, return_attention=True)
        for row, k in enumerate(batch.index):
            result[k] = weights[row, : len(tgt_ids[k]), : len(src_ids[k])].cpu().numpy().copy()
    model.train(was_training)
    return result
