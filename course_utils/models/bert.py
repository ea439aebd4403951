"""Models built from the transformer blocks: BERT (encoder) and its task heads.

Introduced in notebook 04 (BERT, the encoder). GPT (05) and BART (06) join this module later.

BERT = :class:`~course_utils.nn.blocks.Embeddings` + a stack of post-LN
:class:`~course_utils.nn.blocks.EncoderBlock` s (+ a pooler). The parameter names are chosen
so that the real all-MiniLM-L6-v2 weights load through a short name mapping
(:mod:`course_utils.models.pretrained`). Heads:

- :class:`BertForMaskedLM`: transform (dense, GELU, LN) + decoder tied to the token embeddings;
- :class:`BertForSequenceClassification`: [CLS] (through the pooler) or mean pooling + linear;
- :class:`BertForQuestionAnswering`: a linear layer giving start and end logits per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn.blocks import Embeddings, EncoderBlock, TransformerConfig, key_padding_mask

__all__ = [
    "BertConfig",
    "BertForMaskedLM",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertModel",
    "BertOutput",
    "mask_tokens",
]


@dataclass
class BertConfig(TransformerConfig):
    """BERT sizes; the defaults are the course's small BERT (2 layers, 128 wide, 4 heads).

    Introduced in notebook 04. ``BertConfig(vocab_size=30522, d_model=384, num_heads=12,
    num_layers=6, d_ff=1536, max_len=512)`` is all-MiniLM-L6-v2.
    """


@dataclass
class BertOutput:
    """What :class:`BertModel` returns.

    ``last_hidden_state [B, T, d_model]``; ``hidden_states``: ``num_layers + 1`` tensors
    ``[B, T, d_model]`` (embeddings first) or ``None``; ``attentions``: ``num_layers`` tensors
    ``[B, H, T, T]`` or ``None``; ``pooled [B, d_model]`` (tanh(dense([CLS]))) or ``None``.
    """

    last_hidden_state: Tensor
    hidden_states: list[Tensor] | None = None
    attentions: list[Tensor] | None = None
    pooled: Tensor | None = None


class BertPooler(nn.Module):
    """``tanh(dense(h_[CLS]))``: ``[B, T, d_model] -> [B, d_model]`` (BERT's pooler)."""

    def __init__(self, d_model: int):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


class BertModel(nn.Module):
    """The BERT encoder: embeddings, ``num_layers`` post-LN encoder blocks, and a pooler.

    Introduced in notebook 04.
    """

    def __init__(self, config: BertConfig, add_pooler: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(
            config.vocab_size,
            config.d_model,
            config.max_len,
            config.type_vocab_size,
            config.dropout,
            layer_norm=True,
            layer_norm_eps=config.layer_norm_eps,
            pad_id=config.pad_id,
        )
        self.layers = nn.ModuleList(
            EncoderBlock(
                config.d_model,
                config.num_heads,
                config.d_ff,
                config.dropout,
                config.attention_dropout,
                config.norm_first,
                config.layer_norm_eps,
            )
            for _ in range(config.num_layers)
        )
        self.pooler = BertPooler(config.d_model) if add_pooler else None
        self.apply(init_bert_weights)

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        *,
        return_attention: bool = False,
        return_hidden_states: bool = False,
    ) -> BertOutput:
        """Encode ``input_ids [B, T]``.

        Args:
            attention_mask: ``[B, T]``, 1/True for real tokens, 0/False for padding
                (the Hugging Face convention); ``None`` = no padding.
            token_type_ids: ``[B, T]`` segment ids (0 or 1); default zeros.
            return_attention: also return every layer's weights ``[B, H, T, T]``.
            return_hidden_states: also return the embeddings and every layer's output.
        """
        if attention_mask is not None:
            if not isinstance(attention_mask, Tensor) or attention_mask.shape != input_ids.shape:
                shape = tuple(attention_mask.shape) if isinstance(attention_mask, Tensor) else None
                raise ValueError(
                    f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)} "
                    f"([batch, T]), got {shape}"
                )
            mask = key_padding_mask(attention_mask)
        else:
            mask = None
        x = self.embeddings(input_ids, token_type_ids)
        hidden_states = [x] if return_hidden_states else None
        attentions = [] if return_attention else None
        for layer in self.layers:
            x, weights = layer(x, mask, return_attention=return_attention)
            if return_hidden_states:
                hidden_states.append(x)
            if return_attention:
                attentions.append(weights)
        pooled = self.pooler(x) if self.pooler is not None else None
        return BertOutput(x, hidden_states, attentions, pooled)


def init_bert_weights(module: nn.Module, std: float = 0.02) -> None:
    """BERT's initialisation: normal(0, 0.02) weights, zero biases, unit layer norms."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, std)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class BertForMaskedLM(nn.Module):
    """BERT + masked-LM head: ``dense -> GELU -> LN -> decoder`` (decoder tied to the embeddings).

    ``forward`` returns logits ``[B, T, vocab_size]``; with ``labels [B, T]`` (``-100`` where no
    prediction is wanted) it returns ``(loss, logits)``. Introduced in notebook 04.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooler=False)
        self.transform = nn.Sequential(
            nn.Linear(config.d_model, config.d_model),
            nn.GELU(),
            nn.LayerNorm(config.d_model, eps=config.layer_norm_eps),
        )
        self.transform.apply(init_bert_weights)
        self.decoder_bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        if labels is not None:  # only the masked positions go through the (large) decoder
            selected = labels != -100
            logits = self._decode(hidden[selected])
            return F.cross_entropy(logits, labels[selected]), logits
        return self._decode(hidden)

    def _decode(self, hidden: Tensor) -> Tensor:
        return self.transform(hidden) @ self.bert.embeddings.token.weight.T + self.decoder_bias


class BertForSequenceClassification(nn.Module):
    """BERT + a linear classifier on the [CLS] token (through the pooler) or on the mean of the
    real tokens (``pooling="mean"``, how sentence-transformers such as MiniLM were trained).

    ``forward`` returns logits ``[B, num_labels]``. Introduced in notebook 04.
    """

    def __init__(self, config: BertConfig, num_labels: int = 2, pooling: str = "cls"):
        super().__init__()
        if pooling not in {"cls", "mean"}:
            raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
        self.config = config
        self.pooling = pooling
        self.bert = BertModel(config, add_pooler=True)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.d_model, num_labels)
        init_bert_weights(self.classifier)

    def features(self, input_ids, attention_mask=None, token_type_ids=None) -> Tensor:
        """The sentence vector fed to the classifier, ``[B, d_model]``."""
        out = self.bert(input_ids, attention_mask, token_type_ids)
        if self.pooling == "cls":
            return out.pooled
        if attention_mask is None:
            return out.last_hidden_state.mean(dim=1)
        weights = attention_mask.to(out.last_hidden_state.dtype).unsqueeze(-1)
        return (out.last_hidden_state * weights).sum(1) / weights.sum(1).clamp(min=1.0)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None) -> Tensor:
        return self.classifier(
            self.dropout(self.features(input_ids, attention_mask, token_type_ids))
        )


class BertForQuestionAnswering(nn.Module):
    """BERT + span head: ``Linear(d_model, 2)`` gives start and end logits for every token.

    Input is ``[CLS] question [SEP] passage [SEP]`` (segment ids 0 then 1). ``forward`` returns
    ``(start_logits [B, T], end_logits [B, T])``, padding positions set to a large negative.
    Introduced in notebook 04.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooler=False)
        self.qa_outputs = nn.Linear(config.d_model, 2)
        init_bert_weights(self.qa_outputs)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        start, end = self.qa_outputs(hidden).unbind(-1)
        if attention_mask is not None:
            pad = ~attention_mask.bool()
            start, end = start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4)
        return start, end


def mask_tokens(
    input_ids: Tensor,
    mask_id: int,
    vocab_size: int,
    special_ids: set[int] | list[int],
    mlm_probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """BERT's masking recipe: pick ``mlm_probability`` of the ordinary tokens; of those, 80 %
    become ``[MASK]``, 10 % a random token, 10 % stay unchanged.

    ``input_ids [B, T]`` -> ``(masked_ids [B, T], labels [B, T])``; ``labels`` holds the original
    id at picked positions and ``-100`` elsewhere (ignored by the loss). Special tokens
    (``[CLS]``, ``[SEP]``, ``[PAD]``) are never picked. Introduced in notebook 04.
    """
    if not 0.0 < mlm_probability < 1.0:
        raise ValueError(f"mlm_probability must be in (0, 1), got {mlm_probability!r}")
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for token_id in special_ids:
        special |= input_ids == token_id
    rand = torch.rand(input_ids.shape, generator=generator)
    picked = (rand < mlm_probability) & ~special
    labels = input_ids.masked_fill(~picked, -100)
    action = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    masked[picked & (action < 0.8)] = mask_id
    random_slot = picked & (action >= 0.8) & (action < 0.9)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked[random_slot] = random_ids[random_slot]
    return masked, labels
