"""Translation metrics: token accuracy, accuracy by sentence-length bin, and BLEU (sacrebleu).

Introduced in notebook 01 (the Bahdanau long-sentence effect); reused by the translation parts of
notebooks 03 and 06. Alignment error rate lives in :mod:`course_utils.alignment`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["accuracy_by_length_bin", "bleu", "length_bins", "token_accuracy"]

BIN_NAMES = {3: ("shortest", "middle", "longest")}


def check_parallel_sentences(
    first: Sequence, second: Sequence, names: tuple[str, str] = ("hyps", "refs")
) -> None:
    """Check two equally long, non-empty lists of token lists (sentence pairs).

    Shared by the metrics here and by IBM Model 1 (``course_utils.alignment``); introduced in
    notebook 01. Raises ``ValueError`` for different lengths or no pairs, ``TypeError`` for an
    item that is not a list of tokens (a plain string gets the hint to ``.split()`` it).
    """
    if len(first) != len(second):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, got {len(first)} and {len(second)}"
        )
    if len(first) == 0:
        raise ValueError(f"need at least one {names[0]}/{names[1]} pair, got none")
    for name, sentences in zip(names, (first, second), strict=True):
        for k, sentence in enumerate(sentences):
            if isinstance(sentence, str) or not isinstance(sentence, Sequence):
                raise TypeError(
                    f"{name}[{k}] must be a list of tokens, got {type(sentence).__name__}"
                    + (" (use .split())" if isinstance(sentence, str) else "")
                )


def _check_pairs(hyps: Sequence, refs: Sequence) -> None:
    check_parallel_sentences(hyps, refs, ("hyps", "refs"))
    empty = [k for k, ref in enumerate(refs) if len(ref) == 0]
    if empty:
        raise ValueError(f"refs {empty[:5]} are empty: every reference needs at least one token")


def _correct_and_total(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> np.ndarray:
    """``[N, 2]``: position-wise matches and ``max(len(hyp), len(ref))`` per sentence."""
    return np.array(
        [
            (sum(h == r for h, r in zip(hyp, ref, strict=False)), max(len(hyp), len(ref)))
            for hyp, ref in zip(hyps, refs, strict=True)
        ],
        dtype=np.int64,
    ).reshape(-1, 2)


def token_accuracy(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> float:
    """Share of target positions where the hypothesis has the reference's token.

    Position ``k`` of a hypothesis is correct when it equals position ``k`` of the reference.
    Each sentence counts ``max(len(hyp), len(ref))`` positions, so missing words and extra words
    both cost; the counts are summed over the corpus before dividing.

    Introduced in notebook 01.

    Args:
        hyps: model outputs, lists of tokens.
        refs: references, lists of tokens (non-empty).

    Returns:
        Accuracy in ``[0, 1]``.
    """
    _check_pairs(hyps, refs)
    correct, total = _correct_and_total(hyps, refs).sum(axis=0)
    return float(correct / total)


def length_bins(lengths: Sequence[int], num_bins: int = 3) -> np.ndarray:
    """Bin index per example: sort by length and cut into ``num_bins`` equal-size groups.

    Bins are by rank (stable sort, so ties keep their order), not by fixed length thresholds,
    so each bin has ``len(lengths) / num_bins`` examples (give or take one).
    Introduced in notebook 01.

    Returns:
        ``int`` array ``[N]`` with values ``0`` (shortest) to ``num_bins - 1`` (longest).
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D sequence, got shape {lengths.shape}")
    if not isinstance(num_bins, int) or not 1 <= num_bins <= lengths.size:
        raise ValueError(f"num_bins must be an int in 1..{lengths.size}, got {num_bins!r}")
    order = np.argsort(lengths, kind="stable")
    bins = np.empty(lengths.size, dtype=np.int64)
    bins[order] = np.arange(lengths.size) * num_bins // lengths.size
    return bins


def accuracy_by_length_bin(
    hyps: Sequence[Sequence[str]],
    refs: Sequence[Sequence[str]],
    lengths: Sequence[int] | None = None,
    num_bins: int = 3,
) -> pd.DataFrame:
    """Token accuracy per sentence-length bin (the long-sentence effect of Bahdanau et al.).

    Introduced in notebook 01.

    Args:
        hyps, refs: as for :func:`token_accuracy`.
        lengths: length used for binning, one per pair (default: reference length); notebook 01
            bins by source length.
        num_bins: number of equal-size bins (3: shortest, middle, longest third).

    Returns:
        DataFrame with one row per bin: ``bin`` (name), ``min_len``, ``max_len``, ``sentences``,
        ``accuracy``.
    """
    _check_pairs(hyps, refs)
    lengths = [len(ref) for ref in refs] if lengths is None else list(lengths)
    if len(lengths) != len(refs):
        raise ValueError(f"lengths has {len(lengths)} entries but there are {len(refs)} pairs")
    bins = length_bins(lengths, num_bins)
    counts = _correct_and_total(hyps, refs)
    lengths_array = np.asarray(lengths)
    names = BIN_NAMES.get(num_bins, tuple(f"bin {k}" for k in range(num_bins)))
    rows = []
    for k in range(num_bins):
        in_bin = bins == k
        correct, total = counts[in_bin].sum(axis=0)
        rows.append(
            {
                "bin": names[k],
                "min_len": int(lengths_array[in_bin].min()),
                "max_len": int(lengths_array[in_bin].max()),
                "sentences": int(in_bin.sum()),
                "accuracy": float(correct / total),
            }
        )
    return pd.DataFrame(rows)


def bleu(hyps: Sequence[Sequence[str] | str], refs: Sequence[Sequence[str] | str]) -> float:
    """Corpus BLEU (0-100) with sacrebleu's defaults, one reference per sentence.

    Token lists are joined with spaces first (sacrebleu tokenises with its ``13a`` tokenizer).
    Introduced in notebook 01.
    """
    import sacrebleu

    if len(hyps) != len(refs):
        raise ValueError(
            f"hyps and refs must have the same length, got {len(hyps)} and {len(refs)}"
        )
    if len(refs) == 0:
        raise ValueError("need at least one hypothesis/reference pair, got none")

    def as_text(sentence: Sequence[str] | str) -> str:
        return sentence if isinstance(sentence, str) else " ".join(sentence)

    # force=True: our text is tokenised on purpose (" ." at the end); it only silences a warning
    result = sacrebleu.corpus_bleu(
        [as_text(h) for h in hyps], [[as_text(r) for r in refs]], force=True
    )
    return float(result.score)
