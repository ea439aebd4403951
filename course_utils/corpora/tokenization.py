"""WordPiece tokenizers: one trained here on the course text (small models), MiniLM's for MiniLM.

Introduced in notebook 04. :func:`train_wordpiece` trains a BERT-style (lower-casing, WordPiece,
``[CLS] a [SEP] b [SEP]``) tokenizer with the Hugging Face ``tokenizers`` library and wraps it
as a ``transformers.PreTrainedTokenizerFast``, so the course's tokenizer and MiniLM's are called
the same way. :func:`encode_batch` is the one path from text to tensors used by the notebooks; it
refuses empty input with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

__all__ = ["SPECIAL_TOKENS", "encode_batch", "load_tokenizer", "train_wordpiece"]

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _wrap(tokenizer):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def train_wordpiece(texts: Iterable[str], vocab_size: int = 8000, min_frequency: int = 2):
    """Train a lower-casing BERT WordPiece tokenizer on ``texts``.

    Special tokens get ids ``[PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4``. Returns a
    ``transformers.PreTrainedTokenizerFast`` (call it like MiniLM's tokenizer, or use
    :func:`encode_batch`). Introduced in notebook 04.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer

    texts = list(texts)
    if not texts or not any(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError("texts must contain at least one non-empty string to train a tokenizer")
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed {len(SPECIAL_TOKENS)}, got {vocab_size}")
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return _wrap(tokenizer)


def load_tokenizer(path: str | Path):
    """Load a tokenizer saved with ``tokenizer.backend_tokenizer.save(path)`` (a JSON file)."""
    from tokenizers import Tokenizer

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no tokenizer file at {path}")
    return _wrap(Tokenizer.from_file(str(path)))


def _check_texts(name: str, texts: object) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, Sequence) or len(texts) == 0:
        raise ValueError(f"{name} must be a non-empty list of strings, got {texts!r}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(text).__name__}: {text!r}")
        if not text.strip():
            raise ValueError(f"{name}[{i}] is empty (or only whitespace): {text!r}")
    return list(texts)


def encode_batch(
    tokenizer,
    texts: str | Sequence[str],
    text_pairs: Sequence[str] | None = None,
    max_len: int = 128,
    return_offsets: bool = False,
) -> dict[str, torch.Tensor]:
    """Tokenize a batch, pad to the longest sequence, truncate to ``max_len``.

    Works with the course tokenizer (:func:`train_wordpiece`) and MiniLM's tokenizer.
    With ``text_pairs`` the input is ``[CLS] text [SEP] pair [SEP]`` and only the pair is
    truncated (extractive QA: question first, passage second).

    Returns ``input_ids``, ``attention_mask``, ``token_type_ids`` (each ``[B, T]`` int64) and,
    with ``return_offsets``, ``offset_mapping [B, T, 2]`` (character spans, ``(0, 0)`` for
    special tokens). Empty texts raise ``ValueError``. Introduced in notebook 04.
    """
    texts = _check_texts("texts", texts)
    if text_pairs is not None:
        text_pairs = _check_texts("text_pairs", text_pairs)
        if len(text_pairs) != len(texts):
            raise ValueError(
                f"text_pairs must have one entry per text: {len(texts)} texts, "
                f"{len(text_pairs)} pairs"
            )
    encoded = tokenizer(
        texts,
        text_pairs,
        padding=True,
        truncation="only_second" if text_pairs else True,
        max_length=max_len,
        return_tensors="pt",
        return_offsets_mapping=return_offsets,
        return_token_type_ids=True,
    )
    return dict(encoded)
