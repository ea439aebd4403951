"""Every tokenizer of the course, behind one interface.

A tokenizer maps text to ids and back. The course uses four kinds, each where it teaches best:

======================  =========================  ===========  ====================================
kind                    class (or function)        notebooks    unit
======================  =========================  ===========  ====================================
word, pre-tokenized     :class:`Vocab`             01, 03, 06   a token of a space-separated sentence
word, from raw text     :class:`WordVocab`         09           a lower-cased word or punctuation
character               :class:`CharTokenizer`     05           one character
byte-level BPE          :class:`BPETokenizer`      05           a learned byte sequence (GPT-2 style)
WordPiece (BERT)        :func:`train_wordpiece`    04, 07, 08   a learned word piece, ``##`` inside
======================  =========================  ===========  ====================================

The interface they share:

- ``Kind.build(corpus, ...)``: a new tokenizer learned from a corpus (for WordPiece:
  :func:`train_wordpiece`, which returns a Hugging Face ``PreTrainedTokenizerFast``, the same
  type as MiniLM's tokenizer, so both are called the same way);
- ``encode(...)`` -> ``list[int]`` and ``decode(ids)``; ``len(tokenizer)`` the vocabulary
  size (also ``tokenizer.vocab_size``);
- ``pad_id``: the padding id, or ``None`` for the language-model tokenizers of notebook 05,
  which train on fixed windows and never pad (WordPiece: ``pad_token_id``).

:class:`Vocab` works on sentences already split into tokens (``encode(["the", "cat"])``, and
``decode`` gives tokens back), because notebook 01's gold alignments index those tokens; the
others take and give strings. :func:`encode_batch` is the one path from text to padded tensors
for the WordPiece models.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIAL_TOKENS",
    "UNK",
    "BPETokenizer",
    "CharTokenizer",
    "Vocab",
    "WordVocab",
    "encode_batch",
    "load_tokenizer",
    "make_tokenizer",
    "split_words",
    "train_wordpiece",
    "wordpiece_from_vocab",
    "wordpiece_vocab",
]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]")
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


def _bert_pipeline(model):
    """A ``tokenizers.Tokenizer`` around a WordPiece ``model`` with BERT's lower-casing,
    pre-tokenizer, decoder, and ``[CLS] a [SEP] b [SEP]`` template (the template needs the
    vocabulary, so it is added by the callers once the vocabulary exists)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers

    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def _add_template(tokenizer):
    from tokenizers import processors

    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return _wrap(tokenizer)


def train_wordpiece(texts: Iterable[str], vocab_size: int = 8000, min_frequency: int = 2):
    """Train a lower-casing BERT WordPiece tokenizer on ``texts``.

    Special tokens get ids ``[PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4``. Returns a
    ``transformers.PreTrainedTokenizerFast`` (call it like MiniLM's tokenizer, or use
    :func:`encode_batch`). The trainer of ``tokenizers`` breaks ties between equally frequent
    merges in an order that changes from process to process, so two trainings on the same
    text can give vocabularies that differ at the margin: the course's own vocabulary is
    therefore trained once and committed (:mod:`course_utils.corpora.wordpiece_vocab`) and
    rebuilt with :func:`wordpiece_from_vocab`. Introduced in notebook 04.
    """
    from tokenizers import models
    from tokenizers.trainers import WordPieceTrainer

    texts = list(texts)
    if not texts or not any(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError("texts must contain at least one non-empty string to train a tokenizer")
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed {len(SPECIAL_TOKENS)}, got {vocab_size}")
    tokenizer = _bert_pipeline(models.WordPiece(unk_token="[UNK]"))
    trainer = WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return _add_template(tokenizer)


def wordpiece_from_vocab(vocab: Sequence[str]):
    """The BERT WordPiece tokenizer whose vocabulary is ``vocab`` (tokens in id order, the five
    :data:`SPECIAL_TOKENS` first), built without training, so always the same. Introduced in
    notebook 04."""
    from tokenizers import models

    vocab = list(vocab)
    if vocab[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
        raise ValueError(f"vocab must start with {SPECIAL_TOKENS}, got {vocab[:5]}")
    if len(set(vocab)) != len(vocab):
        raise ValueError("vocab has repeated tokens")
    model = models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[UNK]")
    return _add_template(_bert_pipeline(model))


def wordpiece_vocab(tokenizer) -> list[str]:
    """The tokens of a WordPiece tokenizer in id order (what :func:`wordpiece_from_vocab` takes)."""
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("the tokenizer's ids are not 0..n-1")
    return [token for token, _ in by_id]


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


class WordVocab:
    """A word-level vocabulary: ids ``0..size-1``; ``<pad>`` 0, ``<bos>`` 1, ``<unk>`` 2.

    Introduced in notebook 09. ``encode("the plot was")`` -> ``[ids]`` (no ``<bos>``; add it
    with ``bos=True``), ``decode(ids)`` -> a string with punctuation attached to the word before.
    """

    specials = ("<pad>", "<bos>", "<unk>")

    def __init__(self, words: Sequence[str]):
        words = list(words)
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        self.itos = list(self.specials) + [w for w in words if w not in self.specials]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.unk_id = 0, 1, 2

    @classmethod
    def build(cls, texts: Iterable[str], size: int = 2000) -> WordVocab:
        """The ``size - 3`` most frequent words of ``texts`` (ties broken alphabetically)."""
        if size <= len(cls.specials):
            raise ValueError(f"size must be > {len(cls.specials)}, got {size}")
        counts = Counter(w for t in texts for w in split_words(t))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls([w for w, _ in ranked[: size - len(cls.specials)]])

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str, bos: bool = False) -> list[int]:
        ids = [self.stoi.get(w, self.unk_id) for w in split_words(text)]
        return [self.bos_id, *ids] if bos else ids

    def words(self, ids: Iterable[int]) -> list[str]:
        """Ids -> words, ``<pad>`` and ``<bos>`` dropped."""
        return [self.itos[int(i)] for i in ids if int(i) not in (self.pad_id, self.bos_id)]

    def decode(self, ids: Iterable[int]) -> str:
        text = " ".join(self.words(ids))
        return re.sub(r" ([.,!?;:])", r"\1", text)


class Vocab:
    """Token <-> id mapping with the specials ``<pad>=0, <bos>=1, <eos>=2, <unk>=3``.

    Introduced in notebook 01.

    Args:
        tokens: the words (after the specials), in id order; duplicates are refused.
    """

    SPECIALS = (PAD, BOS, EOS, UNK)

    def __init__(self, tokens: Iterable[str]):
        self.itos: list[str] = list(self.SPECIALS)
        for token in tokens:
            if not isinstance(token, str) or not token:
                raise TypeError(f"vocabulary tokens must be non-empty strings, got {token!r}")
            self.itos.append(token)
        self.stoi = {tok: k for k, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dupes = sorted(tok for tok, n in Counter(self.itos).items() if n > 1)
            raise ValueError(f"duplicate vocabulary tokens: {dupes[:5]}")
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = 0, 1, 2, 3

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1) -> Vocab:
        """Vocabulary of the tokens seen at least ``min_count`` times, most frequent first
        (ties alphabetical, so the ids are the same on every machine)."""
        counts: Counter[str] = Counter()
        for k, sentence in enumerate(sentences):
            if isinstance(sentence, str):
                raise TypeError(
                    f"sentences[{k}] must be a list of tokens, got a str (use .split())"
                )
            counts.update(sentence)
        words = sorted(
            (w for w, n in counts.items() if n >= min_count and w not in cls.SPECIALS),
            key=lambda w: (-counts[w], w),
        )
        return cls(words)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(
        self,
        tokens: Sequence[str],
        *,
        add_bos: bool = False,
        add_eos: bool = False,
        allow_unknown: bool = False,
    ) -> list[int]:
        """Token ids of ``tokens``; unknown tokens raise ``ValueError`` unless ``allow_unknown``
        (then they become ``<unk>``)."""
        if isinstance(tokens, str):
            raise TypeError(
                f"tokens must be a list of str, got a str {tokens[:40]!r} (use .split())"
            )
        if len(tokens) == 0:
            raise ValueError("tokens is empty: cannot encode an empty sentence")
        ids = []
        for token in tokens:
            index = self.stoi.get(token)
            if index is None:
                if not allow_unknown:
                    raise ValueError(
                        f"unknown token {token!r} (not in the {len(self)}-word vocabulary); "
                        f"pass allow_unknown=True to map it to {UNK}"
                    )
                index = self.unk_id
            ids.append(index)
        return ([self.bos_id] if add_bos else []) + ids + ([self.eos_id] if add_eos else [])

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` up to the first ``<eos>``, without ``<pad>``/``<bos>``."""
        tokens = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if index in (self.pad_id, self.bos_id):
                continue
            tokens.append(self.itos[index])
        return tokens


class CharTokenizer:
    """Character-level tokenizer: one id per character of a fixed vocabulary.

    Introduced in notebook 05. Build it with :meth:`build` (the sorted set of characters of
    a text). ``encode`` raises ``ValueError`` on a character outside the vocabulary, naming it
    and its position.
    """

    kind = "char"
    pad_id = None  # fixed-length training windows: nothing to pad

    def __init__(self, chars: str):
        if not isinstance(chars, str) or not chars:
            raise ValueError(f"chars must be a non-empty string, got {chars!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("chars must not repeat a character")
        self.chars = chars
        self.stoi = {c: i for i, c in enumerate(chars)}

    @classmethod
    def build(cls, text: str) -> CharTokenizer:
        """The tokenizer whose vocabulary is the sorted set of characters of ``text``."""
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """``text`` -> ids, one per character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return [self.stoi[c] for c in text]
        except KeyError as err:
            char = err.args[0]
            raise ValueError(
                f"unknown character {char!r} at position {text.index(char)} of the text: the "
                f"character tokenizer knows only the {self.vocab_size} characters of its "
                f"training corpus"
            ) from None

    def decode(self, ids: list[int] | Tensor) -> str:
        """ids -> text."""
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        bad = [i for i in ids if not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"ids must lie in 0..{self.vocab_size - 1}, got {bad[:5]}")
        return "".join(self.chars[i] for i in ids)


class BPETokenizer:
    """Byte-level BPE (GPT-2 style) trained with Hugging Face ``tokenizers``.

    Introduced in notebook 05 as the alternative to characters: any text can be encoded (bytes
    are the fallback), and frequent character sequences become single tokens, so a context of
    the same length covers more text.
    """

    kind = "bpe"
    pad_id = None  # fixed-length training windows: nothing to pad

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    @classmethod
    def build(cls, text: str, vocab_size: int = 512) -> BPETokenizer:
        """Train a byte-level BPE with ``vocab_size`` tokens (>= 257) on ``text`` (deterministic)."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        if not isinstance(vocab_size, int) or vocab_size < 257:
            raise ValueError(f"vocab_size must be an int >= 257 (256 bytes + 1), got {vocab_size}")
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator([text], trainer=trainer)
        return cls(tok)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return self.tokenizer.encode(text).ids

    def decode(self, ids: list[int] | Tensor) -> str:
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return self.tokenizer.decode(ids)


def make_tokenizer(kind: str, text: str, vocab_size: int = 512) -> CharTokenizer | BPETokenizer:
    """``"char"`` -> :class:`CharTokenizer` over ``text``'s characters; ``"bpe"`` ->
    :class:`BPETokenizer` with ``vocab_size`` tokens trained on ``text``. Introduced in notebook 05.
    """
    if kind == "char":
        return CharTokenizer.build(text)
    if kind == "bpe":
        return BPETokenizer.build(text, vocab_size=vocab_size)
    raise ValueError(f"kind must be 'char' or 'bpe', got {kind!r}")


def split_words(text: str) -> list[str]:
    """Lower-case words (with an apostrophe part, ``don't``) and punctuation marks.

    ``split_words("The plot, I think, wasn't bad!")`` ->
    ``['the', 'plot', ',', 'i', 'think', ',', "wasn't", 'bad', '!']``. Introduced in notebook 09.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower())
