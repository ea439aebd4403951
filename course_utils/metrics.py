"""Every evaluation metric of the course, and the one parameter counter.

- translation (notebook 01; reused in 03 and 06): :func:`token_accuracy`,
  :func:`accuracy_by_length_bin` (the Bahdanau long-sentence effect), :func:`bleu` (sacrebleu);
- summarisation (notebook 06): :func:`rouge`, :func:`rouge_l` (``rouge-score``);
- extractive QA (notebook 04b): :func:`exact_match`, :func:`f1_score` (SQuAD's definitions);
- proportions (notebook 03): :func:`wilson_interval`, the 95 % interval of an accuracy;
- model size (notebook 04 on): :func:`count_parameters`, :func:`count_trainable` (notebook 08).

Alignment error rate stays with the alignment method it scores
(:mod:`course_utils.methods.alignment`).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from torch import nn

__all__ = [
    "accuracy_by_length_bin",
    "bleu",
    "check_parallel_sentences",
    "count_parameters",
    "count_trainable",
    "exact_match",
    "f1_score",
    "length_bins",
    "normalize_answer",
    "rouge",
    "rouge_l",
    "token_accuracy",
    "wilson_interval",
]

BIN_NAMES = {3: ("shortest", "middle", "longest")}


def check_parallel_sentences(
    first: Sequence, second: Sequence, names: tuple[str, str] = ("hyps", "refs")
) -> None:
    """Check two equally long, non-empty lists of token lists (sentence pairs).

    Shared by the metrics here and by IBM Model 1 (``course_utils.methods.alignment``); introduced in
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


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (tied weights counted once). Introduced in notebook 04."""
    seen, total = set(), 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % for ``z=1.96``). Introduced in notebook 03."""
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(f"need 0 <= successes <= total and total > 0, got {successes}/{total}")
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, truth: str) -> float:
    """1.0 if the normalised strings are equal, else 0.0 (SQuAD exact match)."""
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1_score(prediction: str, truth: str) -> float:
    """Token-overlap F1 between the normalised strings (SQuAD F1)."""
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def rouge(
    hyps: Sequence[str | Sequence[str]],
    refs: Sequence[str | Sequence[str]],
    rouge_types: Sequence[str] = ("rouge1", "rouge2", "rougeL"),
) -> dict[str, float]:
    """Mean ROUGE F1 (0-1) over sentence pairs, computed by Google's ``rouge-score`` package.

    ``hyps``/``refs``: equal-length lists of strings or token lists. Returns
    ``{rouge_type: mean F1}``. Introduced in notebook 06.
    """
    from rouge_score import rouge_scorer

    if isinstance(hyps, str) or isinstance(refs, str):
        raise TypeError("hyps and refs must be lists of texts, got a single str")
    if len(hyps) != len(refs):
        raise ValueError(
            f"hyps and refs must have the same length, got {len(hyps)} and {len(refs)}"
        )
    if len(refs) == 0:
        raise ValueError("need at least one hypothesis/reference pair, got none")
    scorer = rouge_scorer.RougeScorer(list(rouge_types))
    totals = dict.fromkeys(rouge_types, 0.0)
    for k, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
        scores = scorer.score(_as_text("refs", k, ref), _as_text("hyps", k, hyp))
        for name in rouge_types:
            totals[name] += scores[name].fmeasure
    return {name: total / len(refs) for name, total in totals.items()}


def rouge_l(hyps: Sequence[str | Sequence[str]], refs: Sequence[str | Sequence[str]]) -> float:
    """Mean ROUGE-L F1 (0-1, longest common subsequence). Introduced in notebook 06."""
    return rouge(hyps, refs, ("rougeL",))["rougeL"]


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` numbers of parameters (shared tensors counted once).

    Introduced in notebook 08.
    """
    return count_parameters(model, trainable_only=True), count_parameters(model)


def _as_text(name: str, k: int, text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, Sequence) and all(isinstance(t, str) for t in text):
        return " ".join(text)
    raise TypeError(f"{name}[{k}] must be a str or a list of str tokens, got {type(text).__name__}")
