"""Word alignment: links, IBM Model 1 with EM, alignments from attention, and AER.

Introduced in notebook 01, where the attention weights of a Bahdanau encoder-decoder are read as
a word alignment and scored against gold links, next to IBM Model 1, the classic alignment model
of statistical MT (Brown et al., 1993). Notebook 06 scores BART's cross-attention the same way.

Conventions: a link is ``(i, j)`` = (source index, target index), 0-based, as in the Pharaoh
``"i-j"`` format; for a heatmap with target words as rows, draw ``(j, i)``. Gold alignments have
*sure* links S and *possible* links P with S a subset of P (Och and Ney, 2003).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..metrics import check_parallel_sentences
from ..viz import as_numpy_2d

__all__ = [
    "IBMModel1",
    "aer",
    "attention_to_links",
    "corpus_aer",
    "links_to_matrix",
    "validate_links",
]

Link = tuple[int, int]


def validate_links(
    links: Iterable[Sequence[int]], src_len: int, tgt_len: int, name: str = "links"
) -> set[Link]:
    """Check that every link ``(i, j)`` lies inside a ``src_len`` x ``tgt_len`` sentence pair.

    Introduced in notebook 01.

    Args:
        links: pairs ``(source index, target index)`` (tuples or 2-element lists of ints).
        src_len: number of source tokens (> 0).
        tgt_len: number of target tokens (> 0).
        name: the argument's name, used in error messages.

    Returns:
        The links as a set of ``(int, int)`` tuples.

    Raises:
        TypeError: a link is not a pair of ints.
        ValueError: a link has a negative index or one at or beyond the sentence length.
    """
    for label, value in (("src_len", src_len), ("tgt_len", tgt_len)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}")
    result = _as_link_set(links, name)
    for i, j in sorted(result):
        if not (i < src_len and j < tgt_len):
            raise ValueError(
                f"{name}: link ({i}, {j}) lies outside the sentence pair: source indices must be "
                f"in 0..{src_len - 1} and target indices in 0..{tgt_len - 1}"
            )
    return result


def _as_link_set(links: Iterable[Sequence[int]], name: str) -> set[Link]:
    """Parse links into a set of int pairs; refuse non-pairs, non-ints and negative indices."""
    if isinstance(links, (str, bytes)):
        raise TypeError(
            f"{name} must be a collection of (i, j) pairs, got a string {links!r} "
            f"(parse Pharaoh text with course_utils.corpora.en_ru.parse_links)"
        )
    result: set[Link] = set()
    for link in links:
        if isinstance(link, np.ndarray) and link.ndim == 1:
            link = tuple(link.tolist())
        if isinstance(link, (str, bytes)) or not isinstance(link, Sequence) or len(link) != 2:
            raise TypeError(f"{name}: each link must be a pair (i, j) of ints, got {link!r}")
        i, j = link
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (i, j)):
            raise TypeError(f"{name}: link indices must be ints, got {link!r}")
        if i < 0 or j < 0:
            raise ValueError(f"{name}: link ({i}, {j}) has a negative index")
        result.add((int(i), int(j)))
    return result


def _counts(
    predicted: Iterable[Sequence[int]],
    sure: Iterable[Sequence[int]],
    possible: Iterable[Sequence[int]] | None,
    lengths: tuple[int, int] | None,
) -> tuple[int, int, int, int]:
    """``(|A & S|, |A & P|, |A|, |S|)`` for one sentence, with P = S | possible."""
    if lengths is not None:
        a = validate_links(predicted, *lengths, name="predicted")
        s = validate_links(sure, *lengths, name="sure")
        p = validate_links(possible or [], *lengths, name="possible")
    else:
        a = _as_link_set(predicted, "predicted")
        s = _as_link_set(sure, "sure")
        p = _as_link_set(possible or [], "possible")
    p = p | s  # Och and Ney: every sure link is also possible
    return len(a & s), len(a & p), len(a), len(s)


def aer(
    predicted: Iterable[Sequence[int]],
    sure: Iterable[Sequence[int]],
    possible: Iterable[Sequence[int]] | None = None,
    *,
    src_len: int | None = None,
    tgt_len: int | None = None,
) -> float:
    """Alignment error rate of one sentence pair (Och and Ney, 2003).

    ``AER = 1 - (|A & S| + |A & P|) / (|A| + |S|)`` with A the predicted links, S the sure links
    and P the possible links; P always includes S (``possible`` may list only the extra links).
    A predicted link that is merely possible costs nothing; a missing sure link lowers recall.

    Introduced in notebook 01.

    Args:
        predicted, sure, possible: links ``(source index, target index)``.
        src_len, tgt_len: if given (both), every link is checked to lie inside the sentence pair.

    Returns:
        AER in ``[0, 1]``; 0.0 when there is nothing to align (no predicted and no sure link).
    """
    lengths = _lengths_arg(src_len, tgt_len)
    a_s, a_p, n_a, n_s = _counts(predicted, sure, possible, lengths)
    return 0.0 if n_a + n_s == 0 else 1.0 - (a_s + a_p) / (n_a + n_s)


def _lengths_arg(src_len: int | None, tgt_len: int | None) -> tuple[int, int] | None:
    if (src_len is None) != (tgt_len is None):
        raise ValueError(
            f"give both src_len and tgt_len or neither, got src_len={src_len}, tgt_len={tgt_len}"
        )
    return None if src_len is None else (src_len, tgt_len)


def corpus_aer(
    predicted: Sequence[Iterable[Sequence[int]]],
    sure: Sequence[Iterable[Sequence[int]]],
    possible: Sequence[Iterable[Sequence[int]]] | None = None,
    lengths: Sequence[tuple[int, int]] | None = None,
) -> float:
    """AER over a corpus: the counts of every sentence are summed before the ratio is taken.

    Introduced in notebook 01.

    Args:
        predicted, sure, possible: one link collection per sentence pair (same number of each).
        lengths: optional ``(src_len, tgt_len)`` per sentence pair; links outside are refused.

    Returns:
        ``1 - (sum |A & S| + sum |A & P|) / (sum |A| + sum |S|)``.
    """
    n = len(predicted)
    others = {"sure": sure, "possible": possible, "lengths": lengths}
    for label, value in others.items():
        if value is not None and len(value) != n:
            raise ValueError(f"{label} has {len(value)} sentence pairs but predicted has {n}")
    if n == 0:
        raise ValueError("corpus_aer needs at least one sentence pair, got none")
    totals = np.zeros(4, dtype=np.int64)
    for k in range(n):
        try:
            totals += _counts(
                predicted[k],
                sure[k],
                None if possible is None else possible[k],
                None if lengths is None else tuple(lengths[k]),
            )
        except (TypeError, ValueError) as err:
            raise type(err)(f"sentence pair {k}: {err}") from err
    a_s, a_p, n_a, n_s = (int(v) for v in totals)
    return 0.0 if n_a + n_s == 0 else 1.0 - (a_s + a_p) / (n_a + n_s)


def attention_to_links(
    weights: torch.Tensor | np.ndarray,
    src_len: int | None = None,
    tgt_len: int | None = None,
    threshold: float | None = None,
) -> list[Link]:
    """Read an attention matrix ``[T_tgt, T_src]`` as word-alignment links ``(i_src, j_tgt)``.

    With ``threshold=None`` every target word is linked to the source word it attends to most
    (its argmax), so each target word gets exactly one link. With a threshold, every cell with
    weight ``>= threshold`` becomes a link (a target word may get none or several).

    Introduced in notebook 01.

    Args:
        weights: attention weights, shape ``[T_tgt, T_src]`` (rows = target words).
        src_len, tgt_len: real lengths; the matrix is cut to ``[:tgt_len, :src_len]`` (e.g. to
            drop padding or the end-of-sentence step). They must not exceed the matrix.
        threshold: optional weight threshold in ``(0, 1]``.

    Returns:
        Sorted list of links ``(source index, target index)``.
    """
    array = as_numpy_2d(weights, "weights")
    t_tgt, t_src = array.shape
    src_len = t_src if src_len is None else src_len
    tgt_len = t_tgt if tgt_len is None else tgt_len
    if not (1 <= src_len <= t_src and 0 <= tgt_len <= t_tgt):
        raise ValueError(
            f"src_len={src_len} and tgt_len={tgt_len} must fit the weights shape "
            f"{tuple(array.shape)} = [T_tgt, T_src] (1 <= src_len <= {t_src}, "
            f"0 <= tgt_len <= {t_tgt})"
        )
    array = array[:tgt_len, :src_len]
    if threshold is None:
        return [(int(i), j) for j, i in enumerate(array.argmax(axis=1))]
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    tgt_idx, src_idx = np.nonzero(array >= threshold)
    return sorted((int(i), int(j)) for j, i in zip(tgt_idx, src_idx, strict=True))


def links_to_matrix(links: Iterable[Sequence[int]], src_len: int, tgt_len: int) -> np.ndarray:
    """0/1 matrix ``[tgt_len, src_len]`` with a 1 at ``[j, i]`` for every link ``(i, j)``.

    Introduced in notebook 01 (gold alignments drawn like attention weights).
    """
    matrix = np.zeros((tgt_len, src_len))
    for i, j in validate_links(links, src_len, tgt_len):
        matrix[j, i] = 1.0
    return matrix


class IBMModel1:
    """IBM Model 1 (Brown et al., 1993): lexical translation probabilities ``t(f | e)`` by EM.

    Every target word ``f_j`` is generated by one source word ``e_i`` (or the NULL word, which
    stands for "no source word"), each position equally likely, so
    ``p(f | e) = prod_j sum_i t(f_j | e_i) / (l + 1)``. EM alternates the posterior of every link,
    ``t(f_j | e_i) / sum_i' t(f_j | e_i')`` (E-step), with re-estimating ``t`` from the expected
    link counts (M-step). Word order plays no role at all: two copies of the same source word get
    the same posterior.

    Introduced in notebook 01.

    Attributes (after :meth:`fit`):
        src_vocab: source words, ``src_vocab[0]`` is ``NULL``.
        tgt_vocab: target words.
        t: ``numpy`` array ``[len(tgt_vocab), len(src_vocab)]``, column ``e`` sums to 1.
        log_likelihoods: mean log-likelihood per target word after each EM iteration.
    """

    NULL = "<NULL>"

    def __init__(self) -> None:
        self.src_vocab: list[str] = []
        self.tgt_vocab: list[str] = []
        self.src_index: dict[str, int] = {}
        self.tgt_index: dict[str, int] = {}
        self.t: np.ndarray | None = None
        self.log_likelihoods: list[float] = []

    @staticmethod
    def _check_corpus(src_sentences: Sequence, tgt_sentences: Sequence) -> None:
        check_parallel_sentences(src_sentences, tgt_sentences, ("src_sentences", "tgt_sentences"))
        for name, sentences in (("src_sentences", src_sentences), ("tgt_sentences", tgt_sentences)):
            for k, sentence in enumerate(sentences):
                if len(sentence) == 0:
                    raise ValueError(f"{name}[{k}] is empty")

    def _ids(self, tokens: Sequence[str], index: dict[str, int], side: str) -> np.ndarray:
        unknown = [tok for tok in tokens if tok not in index]
        if unknown:
            raise ValueError(
                f"unknown {side} tokens {unknown[:5]} (not in the training corpus of this model)"
            )
        return np.array([index[tok] for tok in tokens], dtype=np.int64)

    def fit(
        self,
        src_sentences: Sequence[Sequence[str]],
        tgt_sentences: Sequence[Sequence[str]],
        num_iterations: int = 10,
        progress: bool = True,
    ) -> IBMModel1:
        """Train ``t(f | e)`` with ``num_iterations`` EM iterations from a uniform start.

        Args:
            src_sentences: source sentences (lists of tokens), e.g. English.
            tgt_sentences: target sentences (lists of tokens), e.g. Russian.
            num_iterations: EM iterations (> 0).
            progress: show a ``tqdm.auto`` bar with the log-likelihood per target word.

        Returns:
            ``self``.
        """
        self._check_corpus(src_sentences, tgt_sentences)
        if not isinstance(num_iterations, int) or num_iterations < 1:
            raise ValueError(f"num_iterations must be a positive int, got {num_iterations!r}")
        self.src_vocab = [self.NULL, *sorted({tok for s in src_sentences for tok in s})]
        self.tgt_vocab = sorted({tok for s in tgt_sentences for tok in s})
        self.src_index = {tok: k for k, tok in enumerate(self.src_vocab)}
        self.tgt_index = {tok: k for k, tok in enumerate(self.tgt_vocab)}
        pairs = [
            (
                np.concatenate([[0], self._ids(e, self.src_index, "source")]),
                self._ids(f, self.tgt_index, "target"),
            )
            for e, f in zip(src_sentences, tgt_sentences, strict=True)
        ]
        num_words = sum(len(f) for _, f in pairs)
        t = np.full((len(self.tgt_vocab), len(self.src_vocab)), 1.0 / len(self.tgt_vocab))
        self.log_likelihoods = []
        bar = tqdm(range(num_iterations), desc="IBM Model 1 EM", disable=not progress)
        for _ in bar:
            counts = np.zeros_like(t)
            log_likelihood = 0.0
            for e_ids, f_ids in pairs:
                probs = t[np.ix_(f_ids, e_ids)]  # [m, l + 1]
                total = probs.sum(axis=1, keepdims=True)  # [m, 1]
                log_likelihood += float(np.log(total / len(e_ids)).sum())
                np.add.at(counts, (f_ids[:, None], e_ids[None, :]), probs / total)  # E-step
            t = counts / counts.sum(axis=0, keepdims=True)  # M-step: normalise over f
            self.log_likelihoods.append(log_likelihood / num_words)
            bar.set_postfix(loglik_per_word=f"{self.log_likelihoods[-1]:.3f}")
        self.t = t
        return self

    def posteriors(self, src_tokens: Sequence[str], tgt_tokens: Sequence[str]) -> np.ndarray:
        """Link posteriors ``p(a_j = i | e, f)``: array ``[T_tgt, T_src + 1]``, column 0 = NULL.

        Rows sum to 1. Words not seen in training have no translation probabilities: an unseen
        source word gets probability 0, an unseen target word a uniform row (so :meth:`align`
        leaves it unaligned). Introduced in notebook 01.
        """
        if self.t is None:
            raise RuntimeError("IBMModel1 is not trained yet: call fit(...) first")
        self._check_corpus([src_tokens], [tgt_tokens])
        e_ids = np.array([0] + [self.src_index.get(tok, -1) for tok in src_tokens])
        f_ids = np.array([self.tgt_index.get(tok, -1) for tok in tgt_tokens])
        probs = self.t[np.ix_(np.maximum(f_ids, 0), np.maximum(e_ids, 0))]
        probs[:, e_ids < 0] = 0.0
        probs[f_ids < 0, :] = 1.0
        total = probs.sum(axis=1, keepdims=True)
        probs[total[:, 0] == 0, :] = 1.0  # a known word whose translations are all unseen here
        return probs / probs.sum(axis=1, keepdims=True)

    def align(self, src_tokens: Sequence[str], tgt_tokens: Sequence[str]) -> list[Link]:
        """Viterbi alignment: each target word links to its most probable source word.

        Target words whose best "source word" is NULL stay unaligned. Ties (repeated source
        words) go to the first occurrence, since Model 1 cannot tell the copies apart.
        Introduced in notebook 01.

        Returns:
            Sorted links ``(source index, target index)``, 0-based without the NULL word.
        """
        best = self.posteriors(src_tokens, tgt_tokens).argmax(axis=1)  # [T_tgt], 0 = NULL
        links = [(int(i) - 1, j) for j, i in enumerate(best) if i > 0]
        return sorted(validate_links(links, len(src_tokens), len(tgt_tokens)))

    def translation_table(self, src_word: str, top_k: int = 5) -> list[tuple[str, float]]:
        """The ``top_k`` most probable target words for ``src_word``: ``[(f, t(f | e)), ...]``."""
        if self.t is None:
            raise RuntimeError("IBMModel1 is not trained yet: call fit(...) first")
        if src_word not in self.src_index:
            raise ValueError(f"unknown source word {src_word!r}")
        column = self.t[:, self.src_index[src_word]]
        order = np.argsort(-column, kind="stable")[:top_k]
        return [(self.tgt_vocab[k], float(column[k])) for k in order if not math.isnan(column[k])]
