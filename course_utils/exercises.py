"""Checking a student's answer to an exercise, with a hint instead of the solution.

Two kinds of exercise:

* a short answer (a number, a word): ``check(answer, expected, hint=...)``;
* a function to write: ``check_function("02.causal_mask", causal_mask)`` runs the student's
  function on the reference cases of that exercise (kept here, in the package, not in the
  notebook) and compares each result with the course's own implementation. It says what is
  wrong (an exception, a shape, which case and by how much), never the expected values. A
  function that still raises ``NotImplementedError`` is reported as not solved yet.

The reference solutions are in ``solutions/`` (one notebook per lesson), which the test command
runs: every check accepts its reference solution. Introduced in notebook 01.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "CODING_EXERCISES",
    "CodingExercise",
    "SHORT_ANSWERS",
    "ShortAnswer",
    "check",
    "check_answer",
    "check_function",
]


def _to_array(value: object) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def check(answer: object, expected: object, *, tol: float = 1e-6, hint: str = "") -> bool:
    """Compare ``answer`` with ``expected`` and print a verdict (numbers within ``tol``).

    Works for numbers, sequences, NumPy arrays and tensors (compared element-wise, shapes must
    match) and for strings/other objects (compared with ``==``). Returns True when correct.
    ``None`` (the placeholder in an unanswered exercise) prints a reminder and returns False.
    """
    if answer is None or answer is Ellipsis:
        print("Not answered yet: replace the placeholder with your answer and run the cell again.")
        return False
    if isinstance(expected, str) or not isinstance(
        expected, (int, float, np.ndarray, torch.Tensor, Sequence, np.generic)
    ):
        correct = answer == expected
    else:
        got, want = _to_array(answer), _to_array(expected)
        if got.shape != want.shape:
            print(f"Not yet: expected shape {want.shape}, got {got.shape}. {hint}".rstrip())
            return False
        correct = bool(np.allclose(got.astype(float), want.astype(float), atol=tol, rtol=0.0))
        if not correct and got.size == 1:
            gap = abs(float(got.reshape(-1)[0]) - float(want.reshape(-1)[0]))
            if not math.isnan(gap):
                hint = f"(off by {gap:.3g}) {hint}"
    print("Correct!" if correct else f"Not yet. {hint}".rstrip())
    return bool(correct)


@dataclass(frozen=True)
class CodingExercise:
    """A function a student writes, checked against the course's implementation.

    ``cases()`` returns the argument tuples (fresh tensors each call); ``reference(*args)`` is
    the expected result; results are compared element-wise within ``tol``.
    """

    name: str
    signature: str
    cases: Callable[[], list[tuple]]
    reference: Callable[..., object]
    tol: float = 1e-5
    hint: str = ""


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor {tuple(value.shape)} {str(value.dtype).replace('torch.', '')}"
    if isinstance(value, (list, tuple)) and len(value) > 3:
        return f"{type(value).__name__} of {len(value)}"
    return repr(value) if isinstance(value, (int, float, str)) else type(value).__name__


def _compare(got: object, want: object, tol: float) -> str | None:
    """``None`` when ``got`` matches ``want``, else what differs (no expected values shown)."""
    if isinstance(want, tuple) and not isinstance(got, tuple | list):
        return f"expected a tuple of {len(want)}, got {type(got).__name__}"
    if isinstance(want, tuple):
        if len(got) != len(want):
            return f"expected a tuple of {len(want)} items, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = _compare(g, w, tol)
            if problem:
                return f"item {i} of the returned tuple: {problem}"
        return None
    if isinstance(want, torch.Tensor) and not isinstance(got, torch.Tensor):
        return f"expected a torch.Tensor, got {type(got).__name__}"
    if isinstance(want, torch.Tensor):
        if tuple(got.shape) != tuple(want.shape):
            return f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        if want.dtype == torch.bool and got.dtype != torch.bool:
            return f"dtype {got.dtype}, expected torch.bool"
        if want.dtype == torch.bool:
            wrong = (got != want).nonzero()
            return (
                f"{len(wrong)} wrong entries, first at index {tuple(wrong[0].tolist())}"
                if len(wrong)
                else None
            )
    if isinstance(want, (str, list)) or not isinstance(
        want, (int, float, np.ndarray, torch.Tensor, np.generic)
    ):
        return None if got == want else f"a different result ({_describe(got)})"
    g = _to_array(got).astype(float)
    w = _to_array(want).astype(float)
    if g.shape != w.shape:
        return f"shape {g.shape}, expected {w.shape}"
    finite_match = np.isinf(w) == np.isinf(g)
    if not finite_match.all():
        index = tuple(int(i) for i in np.argwhere(~finite_match)[0])
        return f"-inf/inf in the wrong places, first at index {index}"
    with np.errstate(invalid="ignore"):  # inf - inf where both are -inf
        diff = np.where(np.isinf(w), 0.0, np.abs(g - w))
    if np.isnan(g).any() or diff.max(initial=0.0) > tol:
        if np.isnan(g).any():
            return "NaN in your result"
        index = tuple(int(i) for i in np.unravel_index(diff.argmax(), diff.shape))
        where = f" at index {index}" if diff.size > 1 else ""
        return f"off by {diff.max():.3g}{where} (tolerance {tol:g})"
    return None


def check_function(name: str, function: Callable[..., object]) -> bool:
    """Run ``function`` on every reference case of exercise ``name`` and print a verdict.

    Prints ``Correct!`` when every case matches the course's implementation, ``Not solved yet``
    when the function raises ``NotImplementedError`` or returns ``None``, and otherwise the first
    case that fails, its inputs' shapes and what differs. Returns True when correct.
    """
    if name not in CODING_EXERCISES:
        raise KeyError(f"no coding exercise {name!r}; known: {sorted(CODING_EXERCISES)}")
    exercise = CODING_EXERCISES[name]
    if not callable(function):
        raise TypeError(f"pass the function itself, {exercise.signature}, not its result")
    cases = exercise.cases()
    for number, args in enumerate(cases, start=1):
        want = exercise.reference(*args)
        inputs = ", ".join(_describe(a) for a in args)
        try:
            got = function(*_fresh(args))
        except NotImplementedError:
            print(f"Not solved yet: write {exercise.signature} and run the cell again.")
            return False
        except Exception as error:  # noqa: BLE001 - the student's code may raise anything
            print(f"Not yet: case {number} ({inputs}) raised {type(error).__name__}: {error}")
            return False
        if got is None or got is Ellipsis:
            print("Not solved yet: your function returned None; return the result.")
            return False
        problem = _compare(got, want, exercise.tol)
        if problem:
            print(f"Not yet: case {number} of {len(cases)} ({inputs}): {problem}. {exercise.hint}")
            return False
    function_name = exercise.name.split(".", 1)[1]
    print(f"Correct! {function_name} matches the course's implementation on {len(cases)} cases.")
    return True


def _fresh(args: tuple) -> tuple:
    """Copies of tensor arguments, so that a function that edits its input in place cannot
    change the reference's view of the case."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------
# The reference cases. Each lesson's exercises are named "NN.function"; the references are the
# course's own functions where it has them, otherwise a few lines written here.


def _additive_scores(query, keys, w_query, w_key, v):
    from .nn.attention import AdditiveAttention

    layer = AdditiveAttention(query.shape[-1], keys.shape[-1], w_query.shape[0])
    with torch.no_grad():
        layer.w_q.weight.copy_(w_query)
        layer.w_k.weight.copy_(w_key)
        layer.v.weight.copy_(v[None])
        projected = layer.w_q(query)[:, None, :] + layer.project_keys(keys)
        return layer.v(torch.tanh(projected)).squeeze(-1)


def _additive_cases() -> list[tuple]:
    return [
        (_randn(1, 4, seed=1), _randn(1, 3, 5, seed=2), _randn(6, 4, seed=3), _randn(6, 5, seed=4),
         _randn(6, seed=5)),
        (_randn(3, 8, seed=6), _randn(3, 7, 2, seed=7), _randn(4, 8, seed=8), _randn(4, 2, seed=9),
         _randn(4, seed=10)),
    ]  # fmt: skip


def _aer(predicted, sure, possible):
    from .methods.alignment import aer

    return aer(predicted, sure, possible)


def _aer_cases() -> list[tuple]:
    diagonal = [(0, 0), (1, 1), (2, 2), (3, 3)]
    return [
        ([(0, 0), (1, 1), (2, 2), (3, 3)], diagonal, []),
        ([(1, 0), (1, 1), (2, 2)], diagonal, []),
        ([(0, 0), (1, 2), (2, 1)], [(0, 0)], [(1, 2), (2, 1), (3, 3)]),
        ([(0, 1), (4, 4)], [(0, 0), (1, 1)], [(0, 1)]),
    ]


def _causal_mask(seq_len):
    from .nn.attention import causal_mask

    return causal_mask(seq_len)


def _attention(query, key, value, mask):
    from .nn.attention import scaled_dot_product_attention

    return scaled_dot_product_attention(query, key, value, mask, return_attention=True)


def _attention_cases() -> list[tuple]:
    square = torch.ones(5, 5, dtype=torch.bool).tril()
    return [
        (_randn(2, 3, 4, seed=1), _randn(2, 5, 4, seed=2), _randn(2, 5, 6, seed=3), None),
        (_randn(1, 5, 8, seed=4), _randn(1, 5, 8, seed=5), _randn(1, 5, 8, seed=6), square),
        (_randn(2, 2, 5, 3, seed=7), _randn(2, 2, 5, 3, seed=8), _randn(2, 2, 5, 3, seed=9), square),
    ]  # fmt: skip


def _causal_attention(q, k, v):
    from .nn.attention import causal_mask, scaled_dot_product_attention

    return scaled_dot_product_attention(q, k, v, causal_mask(q.shape[0]))[0]


def _causal_loop_cases() -> list[tuple]:
    return [
        (_randn(6, 8, seed=1), _randn(6, 8, seed=2), _randn(6, 8, seed=3)),
        (_randn(3, 4, seed=4), _randn(3, 4, seed=5), _randn(3, 2, seed=6)),
    ]


def _attention_entropy(weights):
    logs = torch.where(weights > 0, weights.clamp_min(1e-30).log(), torch.zeros_like(weights))
    return -(weights * logs).sum(-1)


def _entropy_cases() -> list[tuple]:
    one_hot = torch.eye(4)[None]
    return [
        (torch.full((1, 3, 4), 0.25),),
        (one_hot,),
        (_randn(2, 3, 5, 5, seed=1).softmax(-1),),
    ]


def _head_accuracy(masses, answers):
    from .methods.anaphora import head_accuracy

    return head_accuracy(masses, answers)


def _head_accuracy_cases() -> list[tuple]:
    masses = _randn(6, 2, 3, 2, seed=1).abs()
    return [
        (masses, torch.tensor([0, 1, 0, 0, 1, 1])),
        (_randn(10, 1, 4, 3, seed=2).abs(), torch.tensor([0, 1, 2, 2, 1, 0, 0, 1, 2, 0])),
    ]


def _mlm_loss(logits, labels):
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
    )


def _mlm_cases() -> list[tuple]:
    labels = torch.full((2, 6), -100)
    labels[0, 1], labels[0, 4], labels[1, 0] = 3, 7, 2
    other = torch.tensor([[-100, 5, -100, -100, -100, -100, 1, -100]])
    return [(_randn(2, 6, 10, seed=1), labels), (_randn(1, 8, 9, seed=2), other)]


def _encoder_block(block, x):
    return block(x)[0]


def _encoder_block_cases() -> list[tuple]:
    from .nn.blocks import EncoderBlock

    cases = []
    for seed, (d_model, num_heads, d_ff, length) in enumerate([(16, 4, 64, 5), (8, 2, 32, 3)]):
        torch.manual_seed(seed)
        block = EncoderBlock(d_model=d_model, num_heads=num_heads, d_ff=d_ff).eval()
        cases.append((block, _randn(2, length, d_model, seed=seed + 10)))
    return cases


def _token_f1(prediction_tokens, truth_tokens):
    from .metrics import f1_score

    return f1_score(" ".join(prediction_tokens), " ".join(truth_tokens))


def _token_f1_cases() -> list[tuple]:
    return [
        (["oslo"], ["oslo"]),
        (["born", "in", "oslo"], ["oslo"]),
        (["1990"], ["1991"]),
        (["new", "york", "new"], ["new", "york"]),
        (["anna", "was", "born"], ["born", "anna", "smith", "was"]),
    ]


def _time_to_accuracy(timeline, threshold):
    from .methods.transfer import time_to_accuracy

    return time_to_accuracy(timeline, threshold)


def _time_to_accuracy_cases() -> list[tuple]:
    return [
        ([(1.0, 0.6), (2.0, 0.74), (3.0, 0.76), (4.0, 0.80)], 0.75),
        ([(0.5, 0.75), (1.5, 0.70)], 0.75),
        ([(2.0, 0.5), (4.0, 0.6), (8.0, 0.7)], 0.75),
        ([(1.0, 0.2), (2.5, 0.9), (3.0, 0.95)], 0.9),
    ]


def _standardize(train, test):
    mean, std = train.mean(0), train.std(0)
    return (train - mean) / std, (test - mean) / std


def _standardize_cases() -> list[tuple]:
    return [
        (_randn(6, 3, seed=1) * 3 + 2, _randn(4, 3, seed=2)),
        (_randn(10, 5, seed=3).exp(), _randn(2, 5, seed=4).exp()),
    ]


def _answer_tokens(offsets, segments, start_char, end_char):
    from .corpora.qa import char_to_token_span

    return tuple(
        char_to_token_span(torch.tensor(offsets), torch.tensor(segments), start_char, end_char)
    )


def _answer_tokens_cases() -> list[tuple]:
    # "Where was Anna born?" / "Anna was born in New York." with special tokens (0, 0)
    offsets = [
        (0, 0),
        (0, 5),
        (6, 9),
        (10, 14),
        (15, 19),
        (19, 20),
        (0, 0),
        (0, 4),
        (5, 8),
        (9, 13),
        (14, 16),
        (17, 20),
        (21, 25),
        (25, 26),
        (0, 0),
    ]
    segments = [0] * 7 + [1] * 8
    return [(offsets, segments, 17, 25), (offsets, segments, 0, 4), (offsets, segments, 21, 25),
            (offsets, segments, 30, 34)]  # fmt: skip


def _span_loss(start_logits, end_logits, gold):
    import torch.nn.functional as F

    return (F.cross_entropy(start_logits, gold[:, 0]) + F.cross_entropy(end_logits, gold[:, 1])) / 2


def _span_loss_cases() -> list[tuple]:
    return [
        (_randn(2, 6, seed=1), _randn(2, 6, seed=2), torch.tensor([[1, 3], [2, 2]])),
        (
            _randn(4, 9, seed=3) * 3,
            _randn(4, 9, seed=4) * 3,
            torch.tensor([[5, 6], [1, 1], [8, 8], [3, 7]]),
        ),
        (torch.zeros(1, 4), torch.zeros(1, 4), torch.tensor([[1, 2]])),
    ]


def _best_span(start_logits, end_logits, max_len):
    from .corpora.qa import best_span

    allowed = torch.ones(len(start_logits), dtype=torch.bool)
    allowed[0] = False  # [CLS]
    return tuple(best_span(start_logits, end_logits, allowed, max_len))


def _best_span_cases() -> list[tuple]:
    return [
        (torch.tensor([0.0, 2.0, 5.0, 1.0]), torch.tensor([0.0, 1.0, 0.0, 4.0]), 8),
        (torch.tensor([9.0, 0.0, 1.0, 0.0, 0.0]), torch.tensor([9.0, 3.0, 0.0, 0.0, 2.0]), 8),
        (_randn(12, seed=1), _randn(12, seed=2), 3),
        (torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 5.0]),
         2),
    ]  # fmt: skip


def _next_token_loss(logits, input_ids):
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), input_ids[:, 1:].reshape(-1)
    )


def _next_token_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(3)
    return [
        (_randn(2, 5, 11, seed=1), torch.randint(0, 11, (2, 5), generator=g)),
        (_randn(1, 9, 7, seed=2), torch.randint(0, 7, (1, 9), generator=g)),
    ]


def _top_k_filter(logits, k):
    from .models.generation import filter_logits

    return filter_logits(logits, top_k=k)


def _top_k_cases() -> list[tuple]:
    return [(_randn(1, 10, seed=1), 3), (_randn(2, 6, seed=2), 1), (_randn(3, 5, seed=3), 5)]


def _infill(tokens, spans, mask_token):
    covered = {}
    for start, length in spans:
        covered[start] = length
    out, i = [], 0
    while i <= len(tokens):
        if i in covered:
            out.append(mask_token)
            if covered[i] > 0:
                i += covered[i]
                continue
        if i < len(tokens):
            out.append(tokens[i])
        i += 1
    return out


def _infill_cases() -> list[tuple]:
    words = "the cat sat on the mat and looked at the dog".split()
    return [
        (words, [(1, 2)], "<mask>"),
        (words, [(0, 1), (5, 3)], "<mask>"),
        (words, [(4, 0)], "<mask>"),
        (list(range(6)), [(2, 0), (3, 2)], -1),
    ]


def _rouge_l_f1(candidate, reference):
    m, n = len(candidate), len(reference)
    table = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(m):
        for j in range(n):
            table[i + 1][j + 1] = (
                table[i][j] + 1
                if candidate[i] == reference[j]
                else max(table[i][j + 1], table[i + 1][j])
            )
    lcs = table[m][n]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / m, lcs / n
    return 2 * precision * recall / (precision + recall)


def _rouge_cases() -> list[tuple]:
    return [
        ("the cat sat on the mat".split(), "the cat is on the mat".split()),
        ("police killed the gunman".split(), "the gunman police kill".split()),
        ("a b c".split(), "d e".split()),
        ("one".split(), "one".split()),
    ]


def _mean_pool(hidden, attention_mask):
    weights = attention_mask.to(hidden.dtype)[..., None]
    return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0)


def _mean_pool_cases() -> list[tuple]:
    return [
        (_randn(2, 4, 3, seed=1), torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])),
        (_randn(3, 5, 8, seed=2), torch.tensor([[1, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1] * 5])),
    ]


def _wilson(successes, total):
    from .metrics import wilson_interval

    return tuple(wilson_interval(successes, total))


def _wilson_cases() -> list[tuple]:
    return [(160, 200), (0, 20), (50, 50), (517, 1000)]


def _lora_forward(x, weight, lora_a, lora_b, alpha):
    rank = lora_a.shape[0]
    return x @ weight.T + (alpha / rank) * (x @ lora_a.T) @ lora_b.T


def _lora_forward_cases() -> list[tuple]:
    return [
        (_randn(2, 6, seed=1), _randn(4, 6, seed=2), _randn(2, 6, seed=3), _randn(4, 2, seed=4),
         16.0),
        (_randn(3, 5, 8, seed=5), _randn(7, 8, seed=6), _randn(1, 8, seed=7), _randn(7, 1, seed=8),
         1.0),
    ]  # fmt: skip


def _merge_lora(weight, lora_a, lora_b, alpha):
    return weight + (alpha / lora_a.shape[0]) * lora_b @ lora_a


def _merge_cases() -> list[tuple]:
    return [case[1:] for case in _lora_forward_cases()]


def _bradley_terry(reward_chosen, reward_rejected):
    from .methods.rlhf import bradley_terry_loss

    return bradley_terry_loss(reward_chosen, reward_rejected)


def _bt_cases() -> list[tuple]:
    return [
        (torch.tensor([1.5]), torch.tensor([0.5])),
        (torch.zeros(4), torch.zeros(4)),
        (_randn(8, seed=1) * 3, _randn(8, seed=2) * 3),
    ]


def _dpo(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    from .methods.rlhf import dpo_loss

    return dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)


def _reply_mask(attention_mask, prompt_lengths):
    positions = torch.arange(attention_mask.shape[1])
    return (positions[None, :] >= torch.as_tensor(prompt_lengths)[:, None]) & attention_mask.bool()


def _reply_mask_cases() -> list[tuple]:
    return [
        (torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]), [3, 2]),
        (torch.tensor([[1, 1, 1, 0, 0, 0, 0]]), [1]),
        (torch.ones(3, 4, dtype=torch.long), [3, 1, 2]),
    ]


def _implicit_reward_accuracy(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen = beta * (policy_chosen - ref_chosen)
    rejected = beta * (policy_rejected - ref_rejected)
    return float(((chosen > rejected).float() + 0.5 * (chosen == rejected).float()).mean())


def _implicit_reward_cases() -> list[tuple]:
    logps = [_randn(8, seed=s) * 3 - 20 for s in range(5, 9)]
    more = [_randn(20, seed=s) * 5 - 30 for s in range(9, 13)]
    equal = torch.tensor([-5.0, -7.0])
    return [(*logps, 1.0), (*more, 0.1), (equal, equal, equal, equal, 1.0)]


def _dpo_cases() -> list[tuple]:
    logps = [_randn(5, seed=s) * 4 - 20 for s in range(4)]
    return [(*logps, 0.1), (*logps, 1.0), (torch.tensor([-3.0]), torch.tensor([-3.0]),
                                           torch.tensor([-3.0]), torch.tensor([-3.0]), 0.5)]  # fmt: skip


CODING_EXERCISES: dict[str, CodingExercise] = {
    exercise.name: exercise
    for exercise in [
        CodingExercise(
            "01.additive_scores",
            "additive_scores(query, keys, w_query, w_key, v) -> scores [batch, src_len]",
            _additive_cases,
            _additive_scores,
            hint="score(q, k_j) = v . tanh(W_q q + W_k k_j); W x for a batch of rows is x @ W.T.",
        ),
        CodingExercise(
            "01.aer",
            "aer(predicted, sure, possible) -> float",
            _aer_cases,
            _aer,
            hint="AER = 1 - (|A & S| + |A & P|) / (|A| + |S|), where P also contains S.",
        ),
        CodingExercise(
            "02.causal_mask",
            "causal_mask(seq_len) -> bool [seq_len, seq_len]",
            lambda: [(1,), (4,), (7,)],
            _causal_mask,
            hint="True where query i may look at key j, i.e. j <= i.",
        ),
        CodingExercise(
            "02.attention",
            "attention(query, key, value, mask) -> (output, weights)",
            _attention_cases,
            _attention,
            tol=1e-5,
            hint="softmax(Q K^T / sqrt(d_k)) V; masked-out scores become -inf before the softmax.",
        ),
        CodingExercise(
            "02.causal_attention_loop",
            "causal_attention_loop(q [T, d_k], k [T, d_k], v [T, d_v]) -> [T, d_v]",
            _causal_loop_cases,
            _causal_attention,
            hint="query i attends to k[: i + 1] and v[: i + 1]; scale the scores by sqrt(d_k).",
        ),
        CodingExercise(
            "03.attention_entropy",
            "attention_entropy(weights) -> entropy of every row, in nats",
            _entropy_cases,
            _attention_entropy,
            hint="-sum_j w_j log w_j over the last axis, with 0 log 0 = 0.",
        ),
        CodingExercise(
            "03.head_accuracy",
            "head_accuracy(masses [N, L, H, C], answers [N]) -> accuracy [L, H]",
            _head_accuracy_cases,
            _head_accuracy,
            hint="a head is right on a record when its largest candidate mass is the answer's.",
        ),
        CodingExercise(
            "04.mlm_loss",
            "mlm_loss(logits [B, T, V], labels [B, T]) -> scalar",
            _mlm_cases,
            _mlm_loss,
            hint="average the cross-entropy over the positions whose label is not -100 only.",
        ),
        CodingExercise(
            "04.encoder_block",
            "encoder_block(block, x [B, T, d_model]) -> [B, T, d_model]",
            _encoder_block_cases,
            _encoder_block,
            hint="post-LN: h = norm1(x + attention(x)), then norm2(h + linear2(gelu(linear1(h)))).",
        ),
        CodingExercise(
            "04b.best_span",
            "best_span(start_logits [T], end_logits [T], max_len) -> (start, end)",
            _best_span_cases,
            _best_span,
            hint="maximise start[s] + end[e] with 1 <= s <= e < s + max_len (position 0 is [CLS]).",
        ),
        CodingExercise(
            "04b.token_f1",
            "token_f1(prediction_tokens, truth_tokens) -> float in [0, 1]",
            _token_f1_cases,
            _token_f1,
            hint="count the shared tokens (with repeats, as a multiset); precision = shared / "
            "predicted, recall = shared / true, F1 = their harmonic mean; 0 when nothing is shared.",
        ),
        CodingExercise(
            "05.next_token_loss",
            "next_token_loss(logits [B, T, V], input_ids [B, T]) -> scalar",
            _next_token_cases,
            _next_token_loss,
            hint="the logits at position t predict the token at t + 1: shift by one.",
        ),
        CodingExercise(
            "05.top_k_filter",
            "top_k_filter(logits [..., V], k) -> logits with -inf outside the k largest",
            _top_k_cases,
            _top_k_filter,
            hint="torch.topk(logits, k).values[..., -1:] is the k-th largest value of each row.",
        ),
        CodingExercise(
            "06.infill",
            "infill(tokens, spans, mask_token) -> list",
            _infill_cases,
            _infill,
            hint="each (start, length) span becomes ONE mask token; length 0 inserts a mask.",
        ),
        CodingExercise(
            "06.rouge_l_f1",
            "rouge_l_f1(candidate, reference) -> float",
            _rouge_cases,
            _rouge_l_f1,
            hint="LCS by dynamic programming; P = LCS / len(candidate), R = LCS / len(reference).",
        ),
        CodingExercise(
            "07.mean_pool",
            "mean_pool(hidden [B, T, D], attention_mask [B, T]) -> [B, D]",
            _mean_pool_cases,
            _mean_pool,
            hint="average only the positions where the mask is 1.",
        ),
        CodingExercise(
            "07.wilson_interval",
            "wilson_interval(successes, total) -> (low, high), 95 %",
            _wilson_cases,
            _wilson,
            tol=1e-6,
            hint="centre (p + z^2/2n) / (1 + z^2/n), z = 1.96; see Wilson (1927).",
        ),
        CodingExercise(
            "07b.time_to_accuracy",
            "time_to_accuracy(timeline, threshold) -> seconds (float)",
            _time_to_accuracy_cases,
            _time_to_accuracy,
            hint="the seconds of the first point whose accuracy reaches the threshold; if none "
            "does, the seconds of the last point (the whole budget).",
        ),
        CodingExercise(
            "07b.standardize",
            "standardize(train [N, D], test [M, D]) -> (train_z [N, D], test_z [M, D])",
            _standardize_cases,
            _standardize,
            hint="the mean and std (torch's default) of every feature over the TRAINING rows only, "
            "applied to both sets.",
        ),
        CodingExercise(
            "07c.answer_tokens",
            "answer_tokens(offsets, segments, start_char, end_char) -> (start, end)",
            _answer_tokens_cases,
            _answer_tokens,
            hint="only passage tokens (segment 1, not (0, 0)); the first token whose characters "
            "contain start_char, the token whose end reaches end_char; (0, 0) if none.",
        ),
        CodingExercise(
            "07c.span_loss",
            "span_loss(start_logits [B, T], end_logits [B, T], gold [B, 2]) -> scalar",
            _span_loss_cases,
            _span_loss,
            tol=1e-5,
            hint="cross-entropy of the start logits with the gold starts, the same for the ends, "
            "then the mean of the two.",
        ),
        CodingExercise(
            "08.lora_forward",
            "lora_forward(x, weight, lora_a, lora_b, alpha) -> x W^T + (alpha / r) x A^T B^T",
            _lora_forward_cases,
            _lora_forward,
            tol=1e-4,
            hint="r is lora_a.shape[0]; A is [r, d_in], B is [d_out, r].",
        ),
        CodingExercise(
            "08.merge_lora",
            "merge_lora(weight, lora_a, lora_b, alpha) -> merged weight [d_out, d_in]",
            _merge_cases,
            _merge_lora,
            tol=1e-4,
            hint="W + (alpha / r) B A has the shape of W.",
        ),
        CodingExercise(
            "09.bradley_terry_loss",
            "bradley_terry_loss(reward_chosen, reward_rejected) -> scalar",
            _bt_cases,
            _bradley_terry,
            hint="mean of -log sigmoid(r_chosen - r_rejected); F.logsigmoid is stable.",
        ),
        CodingExercise(
            "09.dpo_loss",
            "dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta) -> scalar",
            _dpo_cases,
            _dpo,
            hint="-log sigmoid(beta * ((pc - rc) - (pr - rr))), averaged over pairs.",
        ),
        CodingExercise(
            "09b.reply_mask",
            "reply_mask(attention_mask [B, T], prompt_lengths) -> bool [B, T]",
            _reply_mask_cases,
            _reply_mask,
            hint="True at positions >= the row's prompt length that are also real tokens "
            "(attention_mask 1); right padding is 0 in attention_mask.",
        ),
        CodingExercise(
            "09b.implicit_reward_accuracy",
            "implicit_reward_accuracy(pc, pr, rc, rr, beta) -> float",
            _implicit_reward_cases,
            _implicit_reward_accuracy,
            tol=1e-6,
            hint="the implicit reward is beta * (log pi - log pi_ref); a pair counts 1 where the "
            "chosen reply's is larger, 0.5 where the two are equal; divide by the number of pairs.",
        ),
    ]
}


# ---------------------------------------------------------------------------------------------
# Short answers: the expected value is computed here (from the course's code, or from data the
# notebook passes in), so that the notebook cell shows the question, not the answer.


@dataclass(frozen=True)
class ShortAnswer:
    """A number, word or small tuple; ``expected(**data)`` computes the right answer."""

    expected: Callable[..., object]
    tol: float = 1e-6
    hint: str = ""


def check_answer(name: str, answer: object, **data: object) -> bool:
    """Check the answer to short question ``name`` (e.g. ``"01.q1"``) and print a verdict.

    ``data``: what the question is about, when it comes from the notebook (e.g. the training
    set); the expected value is computed from it here and never printed. A wrong answer gets the
    question's hint. Returns True when correct.
    """
    if name not in SHORT_ANSWERS:
        raise KeyError(f"no short question {name!r}; known: {sorted(SHORT_ANSWERS)}")
    question = SHORT_ANSWERS[name]
    if answer is None or answer is Ellipsis:
        return check(answer, None)
    return check(answer, question.expected(**data), tol=question.tol, hint=question.hint)


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _additive_params() -> int:
    from .nn.attention import AdditiveAttention

    return _params(AdditiveAttention(64, 128, 64))


def _multihead_params() -> int:
    from .nn.attention import MultiHeadAttention

    return _params(MultiHeadAttention(64, 8))


def _teacher_after_to(train_set) -> str:
    from collections import Counter

    after_to = Counter(
        row["ru_tokens"][j]
        for row in train_set
        for i, j in row["sure"]
        if row["en_tokens"][i] == "teacher" and "to" in row["en_tokens"][max(0, i - 3) : i]
    )
    return after_to.most_common(1)[0][0]


def _toy_em_book() -> float:
    from .methods.alignment import IBMModel1

    toy_en = [["the", "old", "house"], ["the", "book"], ["an", "old", "book"]]
    toy_ru = [["старый", "дом"], ["книга"], ["старая", "книга"]]
    model = IBMModel1().fit(toy_en, toy_ru, num_iterations=1, progress=False)
    return dict(model.translation_table("book", top_k=9))["книга"]


def _padded_causal_count() -> int:
    from .nn.attention import causal_mask, padding_mask

    return int((padding_mask([5, 2], 5) & causal_mask(5))[1].sum())


def _antecedent_mass() -> float:
    from .methods.anaphora import antecedent_attention

    att = torch.zeros(1, 1, 5, 5)
    att[0, 0, 3, :3], att[0, 0, 4, :3] = (
        torch.tensor([0.1, 0.05, 0.05]),
        torch.tensor([0.2, 0.1, 0.0]),
    )
    return float(antecedent_attention([att], [3, 4], [[0, 1, 2]])[0, 0, 0])


def _wilson_includes_half() -> bool:
    from .metrics import wilson_interval

    return wilson_interval(70, 126)[0] <= 0.5


def _gpt_params(config, context) -> int:
    d, ff, layers = config.d_model, config.d_ff, config.num_layers
    per_layer = 4 * (d * d + d) + 4 * d + d * ff + ff + ff * d + d
    return config.vocab_size * d + context * d + layers * per_layer + 2 * d


def _infilling_kept() -> int:
    from .methods.noising import text_infilling

    return sum(t != -1 for t in text_infilling(list(range(40)), -1, mask_ratio=0.3, rng=0))


def _optimal_policy() -> torch.Tensor:
    from .methods.rlhf import optimal_policy

    return optimal_policy(torch.tensor([0.5, 0.3, 0.2]), torch.tensor([0.0, 1.0, 2.0]), 1.0)


def _rloo_last() -> float:
    from .methods.rlhf import rloo_advantages

    return float(rloo_advantages(torch.tensor([[1.0, 2.0, 3.0, 6.0]]))[0, 3])


SHORT_ANSWERS: dict[str, ShortAnswer] = {
    "01.q1": ShortAnswer(
        lambda: _aer([(1, 0), (1, 1), (2, 2)], [(0, 0), (1, 1), (2, 2), (3, 3)], []),
        tol=1e-3,
        hint="count |A & S|, |A & P|, |A| and |S|; P contains S.",
    ),
    "01.q2": ShortAnswer(
        _toy_em_book,
        tol=1e-3,
        hint="add up the expected counts c(книга, book) over the sentence pairs, then divide by "
        "the total expected count of 'book'.",
    ),
    "01.q3": ShortAnswer(
        _teacher_after_to, hint="the dative case; see ibm1.translation_table('teacher', top_k=5)."
    ),
    "01.q4": ShortAnswer(
        _additive_params, hint="W_q is 64 x 64, W_k is 64 x 128, v has 64 entries."
    ),
    "02.q1": ShortAnswer(
        lambda: 16.0,
        tol=0.5,
        hint="the variance of a sum of independent terms is the sum of their variances.",
    ),
    "02.q2": ShortAnswer(
        _multihead_params, hint="four d_model x d_model matrices plus four bias vectors."
    ),
    "02.q3": ShortAnswer(
        _padded_causal_count, hint="row i may see the keys j <= i that are also real tokens."
    ),
    "03.q1": ShortAnswer(
        lambda: 0.5,
        hint="in each pair, the nearest candidate is the right one in exactly one sentence.",
    ),
    "03.q2": ShortAnswer(
        _antecedent_mass, hint="sum over the candidate's pieces, mean over the pronoun's pieces."
    ),
    "03.q3": ShortAnswer(_wilson_includes_half, hint="compute metrics.wilson_interval(70, 126)."),
    "04.q1": ShortAnswer(
        lambda: 30522 * 384 + 512 * 384 + 2 * 384 + 2 * 384,
        hint="token + position + segment tables, then the norm's weight and bias.",
    ),
    "04.q2": ShortAnswer(
        lambda: 40 * 0.15 * 0.8, hint="15 % of the tokens are picked, 80 % of those become [MASK]."
    ),
    "04b.q1": ShortAnswer(
        lambda: (2, 3), hint="maximise start[s] + end[e] with 1 <= s <= e; try every pair."
    ),
    "05.q1": ShortAnswer(
        _gpt_params, hint="embeddings + layers x (attention + 2 norms + feed-forward) + final norm."
    ),
    "05.q2": ShortAnswer(
        lambda: round(math.exp(2.0), 3), tol=1e-3, hint="perplexity = exp(loss per character)."
    ),
    "05.q3": ShortAnswer(
        lambda: [1, 3], hint="sort by probability; keep tokens until their mass reaches 0.75."
    ),
    "06.q1": ShortAnswer(
        lambda config: config.vocab_size * config.d_model,
        hint="one matrix of vocab_size x d_model.",
    ),
    "06.q2": ShortAnswer(_infilling_kept, hint="round(0.3 * 40) tokens are covered by spans."),
    "06.q3": ShortAnswer(lambda: math.exp(-3.0), tol=1e-3, hint="P(k) = exp(-λ) λ^k / k!"),
    "06.q4": ShortAnswer(
        lambda: 10, hint="query i may attend to i + 1 keys; add up over the 4 queries."
    ),
    "07.q1": ShortAnswer(
        lambda: round((0.75 * 0.25 / 1000) ** 0.5, 4),
        tol=1e-4,
        hint="the standard error of a proportion is sqrt(p (1 - p) / n).",
    ),
    "07.q2": ShortAnswer(
        lambda minilm_plan: minilm_plan[50][0] * minilm_plan[50][1] / 50,
        hint="steps x batch size / number of examples.",
    ),
    "07b.q1": ShortAnswer(
        lambda: 384 * 2 + 2, hint="a weight per feature and class, plus a bias per class."
    ),
    "07c.q1": ShortAnswer(
        lambda plan: plan[50][0] * plan[50][1] / 50,
        hint="steps x batch size / number of questions.",
    ),
    "08.q1": ShortAnswer(
        lambda: 6 * 3 * 4 * (384 + 384), hint="layers x matrices x r x (d_in + d_out)."
    ),
    "08.q2": ShortAnswer(
        lambda: round(100 * 294_912 / 124_734_720, 2), tol=1e-9, hint="trainable / total x 100."
    ),
    "08.q3": ShortAnswer(lambda: 0, hint="after merging, where does the update live?"),
    "08.q4": ShortAnswer(lambda: (2.0, 2.0), hint="the update is scaled by alpha / r."),
    "09.q1": ShortAnswer(
        lambda: float(-torch.nn.functional.logsigmoid(torch.tensor(1.0))),
        tol=1e-4,
        hint="-log sigmoid(r_chosen - r_rejected).",
    ),
    "09.q2": ShortAnswer(
        _optimal_policy, tol=1e-3, hint="pi_ref * exp(r / beta), then normalise to sum 1."
    ),
    "09.q3": ShortAnswer(_rloo_last, hint="a sample's reward minus the mean of the OTHER samples."),
    "09.q4": ShortAnswer(
        lambda: -0.8, hint="PPO takes the smaller (more pessimistic) of the two objectives."
    ),
    "09b.q1": ShortAnswer(
        lambda: 30 * 8 * ((576 + 576) + (576 + 192)),
        hint="layers x rank x ((d_in + d_out) of q_proj + (d_in + d_out) of v_proj); v_proj is "
        "576 -> 192 (3 key/value heads of 64).",
    ),
}
