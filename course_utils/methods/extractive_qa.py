"""Extractive question answering: span targets, fine-tuning a span head from a chosen start,
answering, and a learning curve over the number of training questions.

The model reads ``[CLS] question [SEP] passage [SEP]`` and scores every token as the answer's
first and last token (:class:`~course_utils.models.bert.BertForQuestionAnswering`); the answer
is the best span inside the passage (:func:`~course_utils.corpora.qa.best_span`).
Introduced in notebook 04b (a small BERT trained from scratch on the QA passages); notebook 07c
draws the learning curves, from scratch and from MiniLM, with the same functions.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from datasets import Dataset, DatasetDict
from torch import Tensor, nn
from tqdm.auto import tqdm

from .. import cache
from ..corpora.batching import shuffled_batches
from ..corpora.qa import best_span, char_to_token_span
from ..corpora.tokenization import encode_batch
from ..metrics import exact_match, f1_score
from ..models.bert import BertConfig, BertForQuestionAnswering
from .train import TrainHistory, adamw, seed_everything, train_loop, warmup_cosine_schedule

__all__ = [
    "finetune_span_head",
    "predict_answers",
    "qa_features",
    "qa_learning_curve",
    "score_answers",
    "small_bert_qa",
]


def qa_features(split: Dataset, tokenizer, max_len: int = 128) -> tuple[dict[str, Tensor], Tensor]:
    """Encode every question of ``split`` (columns ``question``, ``context``, ``answer``,
    ``answer_start``) as ``[CLS] question [SEP] passage [SEP]`` and find its answer's tokens.

    Returns ``(enc, spans)``: ``enc`` as :func:`encode_batch` with offsets (each ``[N, T]``,
    ``offset_mapping [N, T, 2]``), ``spans [N, 2]`` the inclusive first and last answer token.
    Raises ``ValueError`` when an answer was truncated away (raise ``max_len``).
    Introduced in notebook 04b.
    """
    enc = encode_batch(
        tokenizer, list(split["question"]), list(split["context"]), max_len, return_offsets=True
    )
    spans = torch.tensor(
        [
            char_to_token_span(
                enc["offset_mapping"][i], enc["token_type_ids"][i], start, start + len(answer)
            )
            for i, (start, answer) in enumerate(
                zip(split["answer_start"], split["answer"], strict=True)
            )
        ]
    )
    lost = int((spans[:, 0] == 0).sum())
    if lost:
        raise ValueError(f"{lost} answers were truncated away at max_len={max_len}")
    return enc, spans


def _inputs(enc: Mapping[str, Tensor], idx: Tensor, device: torch.device) -> list[Tensor]:
    """The model inputs of rows ``idx``, trimmed to their longest row (no all-padding columns)."""
    length = int(enc["attention_mask"][idx].sum(1).max())
    keys = ("input_ids", "attention_mask", "token_type_ids")
    return [enc[k][idx, :length].to(device) for k in keys]


def finetune_span_head(
    init_bert: nn.Module | None,
    config: BertConfig,
    enc: Mapping[str, Tensor],
    spans: Tensor,
    num_steps: int,
    *,
    lr: float,
    batch_size: int = 16,
    seed: int = 0,
    desc: str = "QA",
    progress: bool = True,
    device: torch.device | str | None = None,
) -> tuple[BertForQuestionAnswering, TrainHistory]:
    """Train a span head (and the encoder under it) for ``num_steps`` steps of ``batch_size``
    questions; the loss is the mean of the start and end cross-entropies.

    ``enc``, ``spans [N, 2]``: from :func:`qa_features`. The encoder starts from ``init_bert``'s
    weights (a ``BertModel`` that fits ``config``; ``None`` = random, i.e. from scratch); AdamW
    (weight decay 0.01), warm-up + cosine, ``seed`` for the head and the batch order.
    Returns ``(model in eval mode, history)``. Introduced in notebook 04b, in the package since
    notebook 07c.
    """
    if len(spans) != len(enc["input_ids"]):
        raise ValueError(f"spans has {len(spans)} rows for {len(enc['input_ids'])} questions")
    seed_everything(seed)
    model = BertForQuestionAnswering(config)
    if init_bert is not None:
        missing, unexpected = model.bert.load_state_dict(init_bert.state_dict(), strict=False)
        if missing or any(not k.startswith("pooler") for k in unexpected):
            raise ValueError(
                f"init_bert does not fit config: missing {missing}, unexpected {unexpected}"
            )
    model.to(device if device is not None else "cpu")
    device = next(model.parameters()).device

    def loss_fn(model: nn.Module, idx: list[int]) -> Tensor:
        idx = torch.tensor(idx)
        start, end = model(*_inputs(enc, idx, device))
        gold = spans[idx].to(device)
        return (F.cross_entropy(start, gold[:, 0]) + F.cross_entropy(end, gold[:, 1])) / 2

    opt = adamw(model.parameters(), lr=lr)
    history = train_loop(
        model,
        shuffled_batches(list(range(len(spans))), batch_size, seed=seed),
        loss_fn,
        opt,
        num_steps,
        scheduler=warmup_cosine_schedule(opt, num_steps, num_steps // 10),
        desc=desc,
        progress=progress,
    )
    return model.eval(), history


@torch.no_grad()
def predict_answers(
    model: BertForQuestionAnswering,
    enc: Mapping[str, Tensor],
    contexts: Sequence[str],
    max_answer_tokens: int = 8,
    batch_size: int = 64,
) -> list[str]:
    """The answer string of every question: the best span of at most ``max_answer_tokens``
    passage tokens (segment 1, not special), cut from its passage by the token offsets.

    ``enc``: from :func:`qa_features` (``offset_mapping`` needed); ``contexts``: one passage
    per question. Introduced in notebook 04b.
    """
    if len(contexts) != len(enc["input_ids"]):
        raise ValueError(f"{len(contexts)} contexts for {len(enc['input_ids'])} questions")
    model.eval()
    device = next(model.parameters()).device
    answers = []
    for first in range(0, len(contexts), batch_size):
        idx = torch.arange(first, min(first + batch_size, len(contexts)))
        start, end = model(*_inputs(enc, idx, device))
        for row, i in enumerate(idx.tolist()):
            offsets = enc["offset_mapping"][i, : start.shape[1]]
            allowed = (enc["token_type_ids"][i, : start.shape[1]] == 1) & (
                offsets[:, 1] > offsets[:, 0]
            )
            s, e = best_span(start[row].cpu(), end[row].cpu(), allowed, max_answer_tokens)
            answers.append(contexts[i][int(offsets[s, 0]) : int(offsets[e, 1])])
    return answers


def score_answers(predictions: Sequence[str], answers: Sequence[str]) -> dict[str, float]:
    """SQuAD's exact match and token F1, averaged over the questions: ``{"em", "f1"}``.

    Introduced in notebook 04b.
    """
    if len(predictions) != len(answers) or not answers:
        raise ValueError(
            f"need one prediction per answer, got {len(predictions)} and {len(answers)}"
        )
    pairs = list(zip(predictions, answers, strict=True))
    return {
        "em": float(np.mean([exact_match(p, t) for p, t in pairs])),
        "f1": float(np.mean([f1_score(p, t) for p, t in pairs])),
    }


def qa_learning_curve(
    name: str,
    init_bert: nn.Module | None,
    config: BertConfig,
    tokenizer,
    plan: Mapping[int, tuple[int, int, float]],
    train_split: Dataset,
    test_split: Dataset,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> dict[int, dict]:
    """Fine-tune a span head from one start on ``n`` training questions for every ``n`` of
        ``plan``, and score each run on every question of ``test_split``; train-or-load.

        ``plan[n] = (num_steps, batch_size, lr)``; the ``n`` questions are a random sample of
        ``train_split`` drawn with ``seed`` (the smaller samples are the start of the larger ones).
        Cached under ``name``, keyed by the starting weights, the plan, the data and this module's
        code. Returns ``{n: {"em", "f1", "steps", "batch_size", "seconds", "predictions"}}``
    (``predictions``: one answer string per test question).
        Introduced in notebook 07c.
    """
    if max(plan) > len(train_split):
        raise ValueError(f"plan asks for {max(plan)} questions; train_split has {len(train_split)}")
    order = random.Random(seed).sample(range(len(train_split)), len(train_split))

    def run_all() -> dict[int, dict]:
        enc, spans = qa_features(train_split, tokenizer)
        test_enc, _ = qa_features(test_split, tokenizer)
        results = {}
        for n in tqdm(sorted(plan), desc=name.rsplit("/", 1)[-1]):
            idx = torch.tensor(order[:n])
            num_steps, batch_size, lr = plan[n]
            model, history = finetune_span_head(
                init_bert, config, {k: v[idx] for k, v in enc.items()}, spans[idx], num_steps,
                lr=lr, batch_size=batch_size, seed=seed, progress=False, device=device,
            )  # fmt: skip
            predictions = predict_answers(model, test_enc, list(test_split["context"]))
            results[n] = {
                **score_answers(predictions, list(test_split["answer"])),
                "steps": num_steps,
                "batch_size": batch_size,
                "seconds": history.seconds,
                "predictions": predictions,
            }
        return results

    results, _ = cache.train_or_load(
        name,
        run_all,
        key={
            "init": None if init_bert is None else cache.fingerprint(init_bert.state_dict()),
            "config": config,
            "tokenizer": tokenizer,
            "plan": dict(plan),
            "seed": seed,
            "data": cache.fingerprint(train_split, test_split),
            "device": str(device),
        },
        code=[sys.modules[__name__]],
    )
    return {int(n): run for n, run in results.items()}


def small_bert_qa(
    qa_data: DatasetDict,
    tokenizer,
    config: BertConfig,
    num_steps: int,
    device: torch.device | str | None = None,
) -> tuple[BertForQuestionAnswering, TrainHistory]:
    """Notebook 04b's QA model: the small BERT from scratch with a span head, trained on every
    training question of ``qa_data`` for ``num_steps`` steps of 32 (lr ``1e-3``); train-or-load
    under ``04b_bert/qa``, so that notebook 07c loads what 04b trained.

    Returns ``(model in eval mode, history)``. Introduced in notebook 04b.
    """
    enc, spans = qa_features(qa_data["train"], tokenizer)
    model, history, _ = cache.train_or_load_model(
        "04b_bert/qa",
        lambda: finetune_span_head(
            None, config, enc, spans, num_steps, lr=1e-3, batch_size=32, device=device
        ),
        lambda: BertForQuestionAnswering(config),
        TrainHistory,
        key={
            "config": config,
            "num_steps": num_steps,
            "data": cache.fingerprint(enc["input_ids"], spans),
            "device": str(device),
        },
        code=[sys.modules[__name__]],
        device=device,
    )
    return model.eval(), history
