"""Anaphora and self-attention: how much attention a pronoun pays to each candidate antecedent.

Introduced in notebook 03. The tools work for any model that returns per-layer attention
weights ``[batch, heads, T, T]``: the small encoder-decoder trained in the notebook (Part A) and
all-MiniLM-L6-v2 in the course's :class:`~course_utils.models.bert.BertModel` or in Hugging Face
``transformers`` (Part B, both from :func:`course_utils.models.pretrained.load_minilm`).

- :func:`word_char_span` finds a word (a pronoun or a candidate) in a text, as a whole word;
  :func:`char_span_to_tokens` turns a character span into the word pieces that cover it.
- :func:`antecedent_attention` sums, per layer and head, the attention mass going from the
  pronoun's tokens to each candidate's tokens.
- :func:`evaluate_pairs` runs a model over a file of records ``{"text", "pronoun",
  "candidates", "answer"}`` and scores every head against two baselines (nearest candidate,
  first candidate), with a confidence interval and an honest split-half estimate of the best
  head (:func:`split_half_best_head`), plus the attention-sink shares of ``[CLS]``/``[SEP]``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from ..corpora import winograd
from ..metrics import wilson_interval

__all__ = [
    "antecedent_attention",
    "char_span_to_tokens",
    "correct_by_head",
    "evaluate_pairs",
    "head_accuracy",
    "load_records",
    "model_attentions",
    "nearest_candidate",
    "record_token_spans",
    "sink_shares",
    "split_half_best_head",
    "word_char_span",
]

Span = Sequence[int] | range


def word_char_span(text: str, word: str, occurrence: int | None = None) -> tuple[int, int]:
    """Character span ``(start, end)`` of ``word`` in ``text`` as a whole word, case-insensitive.

    ``occurrence`` (0-based) picks one of several occurrences; without it a word that occurs
    more than once raises ``ValueError``, as does a word that does not occur.
    Introduced in notebook 03.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    if not isinstance(word, str) or not word.strip():
        raise ValueError(f"word must be a non-empty string, got {word!r}")
    hits = winograd.whole_word_spans(text, word)
    if not hits:
        raise ValueError(f"{word!r} does not occur as a whole word in the text {text!r}")
    if occurrence is None:
        if len(hits) > 1:
            raise ValueError(
                f"{word!r} occurs {len(hits)} times in {text!r}; give its occurrence index "
                f"(0..{len(hits) - 1}), e.g. the record field 'pronoun_occurrence'"
            )
        return hits[0]
    if not isinstance(occurrence, int) or not 0 <= occurrence < len(hits):
        raise ValueError(
            f"occurrence must be an int in 0..{len(hits) - 1} for {word!r} in {text!r}, "
            f"got {occurrence!r}"
        )
    return hits[occurrence]


def char_span_to_tokens(offsets: Sequence[Sequence[int]], start: int, end: int) -> list[int]:
    """Indices of the tokens whose character offsets overlap ``[start, end)``.

    ``offsets``: ``[T, 2]`` (a fast tokenizer's ``offset_mapping``); special tokens have
    ``(0, 0)`` and never match. A word split into word pieces gives all its pieces, e.g.
    ``"suitcase"`` -> ``[5, 6]`` for ``suit ##case``. Introduced in notebook 03.
    """
    if end <= start:
        raise ValueError(f"span must have end > start, got ({start}, {end})")
    tokens = [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
    if not tokens:
        raise ValueError(f"no token covers the characters {start}..{end}")
    return tokens


def _as_indices(span: Span, length: int, name: str) -> list[int]:
    indices = list(span)
    if not indices or not all(isinstance(i, int) and 0 <= i < length for i in indices):
        raise ValueError(
            f"{name} must be a non-empty list of token indices in 0..{length - 1}, got {indices}"
        )
    return indices


def antecedent_attention(
    attentions: Sequence[Tensor], pronoun_span: Span, candidate_spans: Sequence[Span]
) -> Tensor:
    """Attention mass from the pronoun's tokens to each candidate's tokens, per layer and head.

    Args:
        attentions: one tensor ``[1, num_heads, T, T]`` per layer (rows: attending tokens);
            cross-attention ``[1, num_heads, T_q, T_k]`` works too (pronoun row in ``T_q``).
        pronoun_span: token indices of the pronoun (a ``range`` or list); a pronoun split into
            several pieces contributes the mean over its pieces (rows sum to 1 per piece).
        candidate_spans: for each candidate, its token indices; the mass is summed over them.

    Returns:
        ``[num_layers, num_heads, num_candidates]`` attention mass in [0, 1].
        Introduced in notebook 03.
    """
    if isinstance(attentions, Tensor) or not isinstance(attentions, Sequence) or not attentions:
        raise TypeError("attentions must be a non-empty list of per-layer tensors [1, H, T, T]")
    first = attentions[0]
    if not isinstance(first, Tensor) or first.dim() != 4 or first.shape[0] != 1:
        shape = tuple(first.shape) if isinstance(first, Tensor) else type(first).__name__
        raise ValueError(f"attentions must hold tensors of shape [1, heads, T, T], got {shape}")
    stacked = torch.stack([a[0] for a in attentions]).float()  # [L, H, T, T]
    length = stacked.shape[-1]
    rows = _as_indices(pronoun_span, stacked.shape[-2], "pronoun_span")
    if not candidate_spans:
        raise ValueError("candidate_spans must name at least one candidate")
    from_pronoun = stacked[:, :, rows, :].mean(dim=2)  # [L, H, T]
    masses = [
        from_pronoun[:, :, _as_indices(span, length, f"candidate_spans[{k}]")].sum(-1)
        for k, span in enumerate(candidate_spans)
    ]
    return torch.stack(masses, dim=-1)


def head_accuracy(masses: Tensor, answers: Tensor | Sequence[int]) -> Tensor:
    """Share of records where a head puts more mass on the right candidate than on any other.

    ``masses [N, L, H, C]``, ``answers [N]`` -> ``[L, H]`` accuracy. Introduced in notebook 03.
    """
    answers = torch.as_tensor(answers, dtype=torch.long)
    if masses.dim() != 4 or masses.shape[0] != answers.shape[0]:
        raise ValueError(
            f"masses must be [N, L, H, C] with N = len(answers) = {answers.shape[0]}, "
            f"got {tuple(masses.shape)}"
        )
    return correct_by_head(masses, answers).float().mean(0)


def correct_by_head(masses: Tensor, answers: Tensor) -> Tensor:
    """``[N, L, H]`` booleans from ``masses [N, L, H, C]`` and ``answers [N]``: the right
    candidate gets strictly the most mass (a tie counts as wrong). Introduced in notebook 03."""
    right = masses.gather(-1, answers[:, None, None, None].expand(*masses.shape[:3], 1))
    others = masses.clone()
    others.scatter_(-1, answers[:, None, None, None].expand(*masses.shape[:3], 1), -1.0)
    return right[..., 0] > others.max(-1).values


def nearest_candidate(pronoun_span: Span, candidate_spans: Sequence[Span]) -> int:
    """Index of the candidate closest to the pronoun in tokens (ties: the earlier one).

    The distance is between the nearest tokens of the two spans. Introduced in notebook 03.
    """
    pronoun = list(pronoun_span)

    def distance(span: Span) -> int:
        return min(abs(p - t) for p in pronoun for t in span)

    distances = [distance(span) for span in candidate_spans]
    return distances.index(min(distances))


def split_half_best_head(correct: Tensor, groups: Sequence[int], seed: int = 0) -> dict:
    """Honest estimate of the best head: choose it on one half of the groups, score on the other.

    Args:
        correct: ``[N, L, H]`` booleans (:func:`correct_by_head`).
        groups: ``N`` group ids (the ``pair_id`` of minimal pairs, kept together in one half).
        seed: seed of the random split of the groups.

    Returns:
        ``{"estimate": mean of the two held-out scores, "heads": [(layer, head) chosen on half A,
        on half B], "heldout": [score on B, score on A], "in_sample": [score on A, on B]}``.
        The in-sample maximum over 72 heads is biased upwards; the held-out score is not.
        Introduced in notebook 03.
    """
    if correct.dim() != 3 or correct.shape[0] != len(groups):
        raise ValueError(
            f"correct must be [N, L, H] with N = len(groups) = {len(groups)}, got {tuple(correct.shape)}"
        )
    unique = sorted(set(groups))
    if len(unique) < 2:
        raise ValueError(f"need at least 2 groups to split, got {len(unique)}")
    random.Random(seed).shuffle(unique)
    half = set(unique[: len(unique) // 2])
    in_a = torch.tensor([g in half for g in groups])
    halves = [in_a, ~in_a]
    num_heads = correct.shape[2]
    heads, heldout, in_sample = [], [], []
    for choose, score in (halves, halves[::-1]):
        acc = correct[choose].float().mean(0)
        flat = int(acc.flatten().argmax())
        layer, head = divmod(flat, num_heads)
        heads.append((layer, head))
        in_sample.append(float(acc[layer, head]))
        heldout.append(float(correct[score][:, layer, head].float().mean()))
    return {
        "estimate": sum(heldout) / 2,
        "heads": heads,
        "heldout": heldout,
        "in_sample": in_sample,
    }


def sink_shares(attentions: Sequence[Tensor], sink_positions: Sequence[int]) -> Tensor:
    """Per layer, the share of attention that goes to ``sink_positions`` (e.g. [CLS], [SEP]).

    ``attentions``: per-layer ``[1, H, T, T]`` of one unpadded sequence. Returns ``[L]``: the
    mass on the sink columns averaged over heads and attending tokens. Introduced in notebook 03.
    """
    stacked = torch.stack([a[0] for a in attentions]).float()  # [L, H, T, T]
    return stacked[..., list(sink_positions)].sum(-1).mean(dim=(1, 2))


def load_records(path_or_records: str | Path | Iterable[dict]) -> list[dict]:
    """A JSONL file (a path, or a file name in ``data/``) or an iterable of record dicts, as a
    list. Introduced in notebook 03."""
    if isinstance(path_or_records, (str, Path)):
        return winograd.load_records(path_or_records)
    records = list(path_or_records)
    if not records or not all(isinstance(r, dict) for r in records):
        raise TypeError("path_or_records must be a path or a non-empty iterable of dicts")
    return records


def record_token_spans(record: dict, tokenizer) -> tuple[dict, list[int], list[list[int]]]:
    """Tokenize one record and locate its pronoun and candidates in word pieces.

    Returns ``(encoding, pronoun_tokens, candidate_tokens)``: the tokenizer's output for
    ``record["text"]`` (tensors ``[1, T]``), the pronoun's token indices (optional record field
    ``pronoun_occurrence`` picks one of several occurrences) and each candidate's token indices.
    Raises ``ValueError`` for a missing field, a candidate that does not occur once, an answer
    outside 0..len(candidates)-1. Introduced in notebook 03.
    """
    missing = {"text", "pronoun", "candidates", "answer"} - set(record)
    if missing:
        raise ValueError(f"record lacks the fields {sorted(missing)}: {record}")
    candidates = record["candidates"]
    if not isinstance(candidates, (list, tuple)) or len(candidates) < 2:
        raise ValueError(f"candidates must be a list of at least two strings, got {candidates!r}")
    if record["answer"] not in range(len(candidates)):
        raise ValueError(f"answer must be in 0..{len(candidates) - 1}, got {record['answer']!r}")
    text = record["text"]
    encoding = tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    pronoun = char_span_to_tokens(
        offsets, *word_char_span(text, record["pronoun"], record.get("pronoun_occurrence"))
    )
    spans = [char_span_to_tokens(offsets, *word_char_span(text, c)) for c in candidates]
    return encoding, pronoun, spans


@torch.no_grad()
def model_attentions(model, encoding: dict) -> list[Tensor]:
    """Per-layer attention weights ``[1, H, T, T]`` of a course ``BertModel`` or a Hugging Face
    encoder (loaded with ``attn_implementation="eager"``). Introduced in notebook 03."""
    ids, mask = encoding["input_ids"], encoding.get("attention_mask")
    device = next(model.parameters()).device
    ids = ids.to(device)
    mask = mask.to(device) if mask is not None else None
    if hasattr(model, "layers"):  # the course BertModel
        out = model(ids, mask, return_attention=True)
    else:
        out = model(input_ids=ids, attention_mask=mask, output_attentions=True)
    attentions = out.attentions
    if not attentions or attentions[0] is None:
        raise ValueError(
            "the model returned no attention weights; load Hugging Face models with "
            'attn_implementation="eager"'
        )
    return [a.detach().cpu() for a in attentions]


QUERIES = ("pronoun", "last_word")


def _last_word_span(text: str) -> tuple[int, int]:
    """Character span of the last word of ``text`` (e.g. *hungry* in "... she was hungry.")."""
    words = list(re.finditer(r"[^\W\d_]+(?:'[^\W\d_]+)?", text))
    if not words:
        raise ValueError(f"no word in {text!r}")
    return words[-1].span()


def evaluate_pairs(
    path_or_records: str | Path | Iterable[dict],
    model,
    tokenizer,
    *,
    seed: int = 0,
    query: str = "pronoun",
) -> dict:
    """Score every attention head of ``model`` as an antecedent picker on a set of records.

    Args:
        path_or_records: a JSONL file (path or name in ``data/``) or records with the fields
            ``text``, ``pronoun``, ``candidates`` (strings occurring once in ``text``), ``answer``
            (index of the right candidate); optional ``pair_id`` (minimal pairs, kept together in
            the split-half estimate) and ``pronoun_occurrence``.
        model, tokenizer: e.g. both from :func:`course_utils.models.pretrained.load_minilm`
            (``"course"`` or ``"hf"``).
        seed: seed of the split-half estimate.
        query: the attending tokens: ``"pronoun"``, or ``"last_word"``, the sentence's last word
            (in a left-to-right decoder the pronoun cannot see a word that follows it; the last
            word sees the whole sentence). The baselines stay those of the pronoun.

    Returns:
        A dict with ``per_head_accuracy [L, H]``, ``nearest_baseline`` and ``first_baseline``
        (floats: always the candidate nearest to the pronoun / the first in the text),
        ``masses [N, L, H, C]``, ``answers [N]``, ``correct [N, L, H]``, ``best_head``
        ``(layer, head)`` and ``best_head_acc`` (in-sample), ``best_head_ci`` (Wilson 95 %),
        ``split_half`` (:func:`split_half_best_head`), ``sink_share [L]`` (mass on [CLS] and
        [SEP]) and ``n``. Introduced in notebook 03.
    """
    if query not in QUERIES:
        raise ValueError(f"query must be one of {QUERIES}, got {query!r}")
    records = load_records(path_or_records)
    special = {tokenizer.cls_token_id, tokenizer.sep_token_id} - {None}
    masses, answers, nearest, first, sinks, groups = [], [], [], [], [], []
    for k, record in enumerate(records):
        encoding, pronoun, spans = record_token_spans(record, tokenizer)
        attentions = model_attentions(model, encoding)
        source = pronoun
        if query == "last_word":
            offsets = tokenizer(record["text"], return_offsets_mapping=True)["offset_mapping"]
            source = char_span_to_tokens(offsets, *_last_word_span(record["text"]))
        masses.append(antecedent_attention(attentions, source, spans))
        answers.append(int(record["answer"]))
        nearest.append(nearest_candidate(pronoun, spans) == record["answer"])
        first.append(min(range(len(spans)), key=lambda c: spans[c][0]) == record["answer"])
        ids = encoding["input_ids"][0].tolist()
        sinks.append(sink_shares(attentions, [i for i, t in enumerate(ids) if t in special]))
        groups.append(record.get("pair_id", k))
    masses_t = torch.stack(masses)
    answers_t = torch.tensor(answers)
    correct = correct_by_head(masses_t, answers_t)
    per_head = correct.float().mean(0)
    num_heads = per_head.shape[1]
    layer, head = divmod(int(per_head.flatten().argmax()), num_heads)
    n = len(records)
    return {
        "per_head_accuracy": per_head,
        "nearest_baseline": sum(nearest) / n,
        "first_baseline": sum(first) / n,
        "masses": masses_t,
        "answers": answers_t,
        "correct": correct,
        "best_head": (layer, head),
        "best_head_acc": float(per_head[layer, head]),
        "best_head_ci": wilson_interval(int(correct[:, layer, head].sum()), n),
        "split_half": split_half_best_head(correct, groups, seed=seed),
        "sink_share": torch.stack(sinks).mean(0),
        "n": n,
    }
