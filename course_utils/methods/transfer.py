"""Transfer learning helpers: labelled subsets, fine-tuning a classifier from a chosen start,
frozen features with a linear probe, and the small BERT pre-trained in notebook 04.

Introduced in notebook 04 (BERT: masked-LM pre-training; 04b fine-tunes for sentiment); notebook 07
(transfer learning) draws its learning curves with them and notebook 08 (LoRA) fine-tunes MiniLM
with the same functions. The fine-tuning recipe (mean-pooled
:class:`~course_utils.models.bert.BertForSequenceClassification`, AdamW, warm-up + cosine, a fixed
number of steps).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .. import cache
from ..corpora import vader, wordpiece_vocab
from ..corpora.batching import shuffled_batches
from ..corpora.tokenization import encode_batch
from ..models.bert import BertConfig, BertForMaskedLM, BertForSequenceClassification, mask_tokens
from ..seeds import run_seed
from .train import TrainHistory, adamw, seed_everything, train_loop, warmup_cosine_schedule

__all__ = [
    "SMALL_BERT",
    "LinearProbe",
    "accuracy",
    "curve_plans",
    "finetune_classifier",
    "learning_curve",
    "pretrain_mlm",
    "pretraining_texts",
    "sentence_features",
    "small_bert",
    "subsample",
    "time_to_accuracy",
    "train_probe",
]

SMALL_BERT = dict(d_model=128, num_heads=4, num_layers=2, d_ff=512, max_len=128)
"""The small BERT of notebook 04 (``BertConfig(vocab_size=len(tokenizer), **SMALL_BERT)``)."""


def subsample(
    texts: Sequence[str], labels: Sequence[int], n: int | None, seed: int = 0
) -> tuple[list[str], list[int]]:
    """A labelled subset of ``n`` examples drawn by ``seed``, balanced between the classes
    (``n // num_classes`` each, the remainder from the first classes); ``n=None`` or
    ``n >= len(texts)`` returns everything (in the original order).

    Same seed, same subset; a different seed gives another subset (the spread of a learning
    curve at small sizes). Introduced in notebook 07.
    """
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length: {len(texts)} vs {len(labels)}")
    if n is None or n >= len(texts):
        return list(texts), list(labels)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int or None, got {n!r}")
    rng = random.Random(seed)
    classes = sorted(set(labels))
    by_class = {c: [i for i, y in enumerate(labels) if y == c] for c in classes}
    picked: list[int] = []
    for k, c in enumerate(classes):
        want = n // len(classes) + (1 if k < n % len(classes) else 0)
        if want > len(by_class[c]):
            raise ValueError(f"n={n} needs {want} examples of class {c}, only {len(by_class[c])}")
        picked += rng.sample(by_class[c], want)
    rng.shuffle(picked)
    return [texts[i] for i in picked], [labels[i] for i in picked]


def finetune_classifier(
    init_bert: nn.Module | None,
    config: BertConfig,
    texts: Sequence[str],
    labels: Sequence[int],
    num_steps: int,
    tokenizer,
    *,
    lr: float = 5e-4,
    batch_size: int = 32,
    max_len: int = 64,
    seed: int = 0,
    prepare: Callable[[nn.Module], object] | None = None,
    desc: str = "fine-tune",
    progress: bool = True,
    device: torch.device | str | None = None,
    on_step: Callable[[int, nn.Module, float], None] | None = None,
) -> tuple[BertForSequenceClassification, TrainHistory]:
    """Train a 2-way mean-pooled classifier for ``num_steps`` steps of ``batch_size`` texts.

    The encoder starts from ``init_bert``'s weights (a ``BertModel``; ``None`` = random, i.e.
    from scratch). ``prepare(model)`` may change the model before training (e.g. freeze it or
    wrap layers with LoRA, notebook 08); only parameters with ``requires_grad`` are optimised.
    ``device`` (default CPU) is where the model trains; ``on_step`` is passed to
    :func:`~course_utils.methods.train.train_loop`. Returns ``(model in eval mode, history)``.
    Introduced in notebook 04b, in the package since notebook 07.
    """
    _check_labelled(texts, labels, num_labels=2)
    seed_everything(seed)
    model = BertForSequenceClassification(config, num_labels=2, pooling="mean")
    if init_bert is not None:
        missing, unexpected = model.bert.load_state_dict(init_bert.state_dict(), strict=False)
        if unexpected or not all(k.startswith("pooler") for k in missing):
            raise ValueError(
                f"init_bert does not fit config: missing {missing}, unexpected {unexpected}"
            )
    if prepare is not None:
        prepare(model)
    if device is not None:
        model.to(device)
    pairs = list(zip(texts, labels, strict=True))
    device = next(model.parameters()).device

    def loss_fn(model, batch):
        enc = encode_batch(tokenizer, [t for t, _ in batch], max_len=max_len)
        logits = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
        return F.cross_entropy(logits, torch.tensor([y for _, y in batch], device=device))

    params = [p for p in model.parameters() if p.requires_grad]
    opt = adamw(params, lr=lr)
    history = train_loop(
        model,
        shuffled_batches(pairs, batch_size, seed=seed, length=lambda pair: len(pair[0])),
        loss_fn,
        opt,
        num_steps,
        scheduler=warmup_cosine_schedule(opt, num_steps, num_steps // 10),
        desc=desc,
        progress=progress,
        on_step=on_step,
    )
    return model.eval(), history


def _check_texts(texts: Sequence[str], what: str) -> None:
    if isinstance(texts, str):
        raise TypeError(f"texts must be a list of strings, got a single str {texts[:40]!r}")
    if len(texts) == 0:
        raise ValueError(f"texts is empty: {what} needs at least one text")


def _check_labelled(texts: Sequence[str], labels: Sequence[int], num_labels: int) -> None:
    """Refuse empty data, a length mismatch and labels outside ``0..num_labels-1``."""
    _check_texts(texts, "fine-tuning")
    if len(labels) != len(texts):
        raise ValueError(
            f"texts and labels differ in length: {len(texts)} texts, {len(labels)} labels"
        )
    bad = [(i, y) for i, y in enumerate(labels) if int(y) != y or not 0 <= int(y) < num_labels]
    if bad:
        i, y = bad[0]
        raise ValueError(
            f"labels must be class ids 0..{num_labels - 1} for a {num_labels}-way classifier; "
            f"labels[{i}] is {y!r} ({len(bad)} bad labels in all)"
        )


def _length_order(texts: Sequence[str]) -> list[int]:
    return sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch well


@torch.no_grad()
def accuracy(
    model: nn.Module,
    texts: Sequence[str],
    labels: Sequence[int],
    tokenizer,
    max_len: int = 64,
    batch_size: int = 128,
) -> float:
    """Share of ``texts`` whose arg-max class (``model(input_ids, attention_mask)`` gives
    logits ``[B, C]``) equals the label. Introduced in notebook 04b, in the package since 07."""
    if len(texts) != len(labels) or not texts:
        raise ValueError(f"need as many labels as texts (> 0), got {len(texts)}, {len(labels)}")
    model.eval()
    device = next(model.parameters()).device
    order, correct = _length_order(texts), 0
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        enc = encode_batch(tokenizer, [texts[j] for j in idx], max_len=max_len)
        logits = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
        correct += (logits.argmax(-1).cpu() == torch.tensor([labels[j] for j in idx])).sum().item()
    return correct / len(texts)


def curve_plans(num_labelled: int, full: bool = False) -> dict[str, dict[int, tuple]]:
    """The fine-tuning plans of the learning curves of notebooks 07 and 07b.

    ``{"small BERT": plan, "MiniLM": plan}``, each ``{labels: (num_steps, batch_size, lr)}`` for
    50, 200, 1 000 and ``num_labelled`` (all) labels: a fixed number of steps per size. A MiniLM
    step costs about 20 small-BERT steps, so MiniLM gets fewer; its learning rate follows the
    linear scaling rule (``1e-4`` per 16 examples in a batch). ``full`` triples MiniLM's steps
    (for a GPU). Introduced in notebook 07.
    """
    small = {50: (40, 16), 200: (60, 16), 1000: (100, 32), num_labelled: (150, 32)}
    minilm = {50: (15, 16), 200: (25, 16), 1000: (20, 32), num_labelled: (40, 32)}
    if full:
        minilm = {n: (3 * steps, batch) for n, (steps, batch) in minilm.items()}
    return {
        "small BERT": {n: (steps, batch, 5e-4) for n, (steps, batch) in small.items()},
        "MiniLM": {n: (steps, batch, 1e-4 * batch / 16) for n, (steps, batch) in minilm.items()},
    }


def learning_curve(
    name: str,
    init_bert: nn.Module | None,
    config: BertConfig,
    tokenizer,
    plan: Mapping[int, tuple[int, int, float]],
    seeds: Mapping[int, Sequence[int]],
    train_data: tuple[Sequence[str], Sequence[int]],
    test_data: tuple[Sequence[str], Sequence[int]],
    device: torch.device | str | None = None,
) -> dict[str, dict]:
    """Fine-tune one start at every labelled-set size of ``plan``, test each run; train-or-load.

    ``plan[n] = (num_steps, batch_size, lr)`` for ``n`` labels (a balanced subset drawn by
    :func:`subsample`); ``seeds[n]`` lists the subsets drawn at size ``n`` (default ``[0]``; the
    seed also sets the initial head and the batch order). Every run is
    :func:`finetune_classifier` from ``init_bert`` (``None`` = from scratch), tested with
    :func:`accuracy` on ``test_data``. The results are cached under ``name``, keyed by the
    starting weights, the plan, the seeds, the data and this module's code, so notebook 07b
    loads the curves notebook 07 drew. Returns ``{"n|seed": {"acc", "steps", "batch_size",
    "seconds"}}``. Introduced in notebook 07.
    """
    (train_texts, train_labels), (test_texts, test_labels) = train_data, test_data

    def run_all() -> dict[str, dict]:
        runs = [(n, seed) for n in plan for seed in seeds.get(n, [0])]
        results = {}
        for n, seed in tqdm(runs, desc=name.rsplit("/", 1)[-1]):
            texts, labels = subsample(train_texts, train_labels, n, seed=seed)
            num_steps, batch_size, lr = plan[n]
            model, history = finetune_classifier(
                init_bert, config, texts, labels, num_steps, tokenizer, lr=lr,
                batch_size=batch_size, seed=seed, progress=False, device=device,
            )  # fmt: skip
            results[f"{n}|{seed}"] = {
                "acc": accuracy(model, test_texts, test_labels, tokenizer),
                "steps": num_steps,
                "batch_size": batch_size,
                "seconds": history.seconds,
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
            "seeds": {n: list(s) for n, s in seeds.items()},
            "data": cache.fingerprint(train_texts, train_labels, test_texts, test_labels),
            "device": str(device),
        },
        code=[sys.modules[__name__]],
    )
    return results


def time_to_accuracy(timeline: Sequence[tuple[float, float]], threshold: float) -> float:
    """Seconds of the first ``(seconds, accuracy)`` point of ``timeline`` at or above
    ``threshold``; the seconds of the last point (the whole budget) if none is.
    Introduced in notebook 07b."""
    if not timeline:
        raise ValueError("timeline is empty: test the model at least once")
    reached = [seconds for seconds, acc in timeline if acc >= threshold]
    return float(reached[0] if reached else timeline[-1][0])


@torch.no_grad()
def sentence_features(
    bert: nn.Module, texts: Sequence[str], tokenizer, max_len: int = 64, batch_size: int = 128
) -> Tensor:
    """Frozen sentence vectors: the mean of the last hidden states over the real tokens.

    ``bert`` is a course ``BertModel`` (returns ``.last_hidden_state [B, T, d]``). Returns
    ``[len(texts), d_model]`` in the order of ``texts``. Introduced in notebook 07.
    """
    bert.eval()
    device = next(bert.parameters()).device
    order = _length_order(texts)
    out = torch.empty(len(texts), bert.config.d_model)
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        enc = encode_batch(tokenizer, [texts[j] for j in idx], max_len=max_len)
        mask = enc["attention_mask"].to(device)
        hidden = bert(enc["input_ids"].to(device), mask).last_hidden_state
        weights = mask.to(hidden.dtype).unsqueeze(-1)
        out[idx] = ((hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)).cpu()
    return out


class LinearProbe(nn.Module):
    """Logistic regression on frozen features: standardise with the training mean and std, then
    ``Linear(d, num_classes)``. ``forward(features [N, d]) -> logits [N, C]``.

    Introduced in notebook 07.
    """

    def __init__(self, mean: Tensor, std: Tensor, num_classes: int = 2):
        super().__init__()
        self.register_buffer("mean", mean.clone())
        self.register_buffer("std", std.clone())
        self.linear = nn.Linear(mean.numel(), num_classes)

    def forward(self, features: Tensor) -> Tensor:
        return self.linear((features - self.mean) / self.std)

    @torch.no_grad()
    def accuracy(self, features: Tensor, labels: Sequence[int] | Tensor) -> float:
        """Share of rows of ``features [N, d]`` classified as ``labels [N]``."""
        labels = torch.as_tensor(labels)
        return (self(features).argmax(-1) == labels).float().mean().item()


def train_probe(
    features: Tensor,
    labels: Sequence[int] | Tensor,
    weight_decay: float = 1e-2,
    max_iter: int = 100,
) -> LinearProbe:
    """Fit a :class:`LinearProbe` by full-batch L-BFGS on cross-entropy +
    ``weight_decay / 2 * |W|^2`` (deterministic: the weights start at zero).

    ``features [N, d]``, ``labels [N]``. The larger ``weight_decay``, the smoother the probe
    (needed with few labels). Introduced in notebook 07.
    """
    labels = torch.as_tensor(labels, dtype=torch.long)
    if features.dim() != 2 or features.shape[0] != labels.shape[0]:
        raise ValueError(
            f"features must be [N, d] with N = len(labels) = {labels.shape[0]}, "
            f"got {tuple(features.shape)}"
        )
    features = features.float()
    mean, std = features.mean(0), features.std(0).clamp(min=1e-6)
    if features.shape[0] < 2:
        std = torch.ones_like(mean)
    probe = LinearProbe(mean, std, num_classes=int(labels.max()) + 1)
    nn.init.zeros_(probe.linear.weight)
    nn.init.zeros_(probe.linear.bias)
    opt = torch.optim.LBFGS(
        probe.linear.parameters(), max_iter=max_iter, line_search_fn="strong_wolfe"
    )

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(probe(features), labels)
        loss = loss + weight_decay / 2 * probe.linear.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return probe.eval()


def pretrain_mlm(
    config: BertConfig,
    texts: Sequence[str],
    num_steps: int,
    tokenizer,
    *,
    lr: float = 1e-3,
    batch_size: int = 64,
    max_len: int = 64,
    device: torch.device | str | None = None,
    desc: str = "masked-LM pre-training",
    seed: int = 0,
) -> tuple[BertForMaskedLM, TrainHistory]:
    """Masked-LM pre-training of a :class:`BertForMaskedLM` from ``seed`` (initialisation, data
    order and masks).

    15 % of the tokens picked with BERT's 80/10/10 rule (:func:`mask_tokens`), AdamW, warm-up +
    cosine, ``num_steps`` steps of ``batch_size`` texts (at most ``max_len`` pieces). Returns
    ``(model in eval mode, history)``; :func:`small_bert` is the train-or-load of notebook 04's
    model. Introduced in notebook 04.
    """
    _check_texts(texts, "masked-LM pre-training")
    seed_everything(seed)
    model = BertForMaskedLM(config).to(device or "cpu")
    device = next(model.parameters()).device
    special_ids = {tokenizer.pad_token_id, tokenizer.cls_token_id, tokenizer.sep_token_id}
    g = torch.Generator().manual_seed(run_seed(seed))

    def loss_fn(model, batch):
        enc = encode_batch(tokenizer, batch, max_len=max_len)
        ids, labels = mask_tokens(
            enc["input_ids"], tokenizer.mask_token_id, len(tokenizer), special_ids, generator=g
        )
        return model(ids.to(device), enc["attention_mask"].to(device), labels=labels.to(device))[0]

    opt = adamw(model.parameters(), lr=lr)
    history = train_loop(
        model,
        shuffled_batches(list(texts), batch_size, seed=seed, length=len),
        loss_fn,
        opt,
        num_steps,
        scheduler=warmup_cosine_schedule(opt, num_steps, num_steps // 10),
        desc=desc,
    )
    return model.eval(), history


def pretraining_texts() -> list[str]:
    """The small BERT's pre-training text: every VADER snippet except the movie-review sentiment
    test split of notebook 04 (``vader_sentiment("movie", test_size=0.2, seed=0)``)."""
    test = set(vader.vader_sentiment("movie", test_size=0.2, seed=0)["test"]["text"])
    return list(vader.vader_unlabelled(exclude=test)["train"]["text"])


def small_bert(
    num_steps: int = 300,
    lr: float = 1e-3,
    batch_size: int = 64,
    max_len: int = 64,
    device: torch.device | str | None = None,
) -> tuple[BertForMaskedLM, object, TrainHistory]:
    """Notebook 04's small BERT (:data:`SMALL_BERT`), masked-LM pre-trained, train-or-load.

    Its tokenizer is the committed course vocabulary
    (:func:`course_utils.corpora.wordpiece_vocab.load_course_tokenizer`), its text
    :func:`pretraining_texts`; the cache key holds both, the settings and the code, so notebook
    07 loads exactly the model notebook 04 trained, or trains it when missing.
    Returns ``(model in eval mode, tokenizer, history)``. Introduced in notebook 04.
    """
    tokenizer = wordpiece_vocab.load_course_tokenizer()
    texts = pretraining_texts()
    config = BertConfig(vocab_size=len(tokenizer), **SMALL_BERT)
    settings = {"num_steps": num_steps, "lr": lr, "batch_size": batch_size, "max_len": max_len}

    def fit() -> dict:
        model, history = pretrain_mlm(
            config, texts, num_steps, tokenizer, lr=lr, batch_size=batch_size, max_len=max_len,
            device=device, desc="small BERT, masked-LM",
        )  # fmt: skip
        weights = {name: value.cpu() for name, value in model.state_dict().items()}
        return {"model": weights, "losses": history.losses, "seconds": history.seconds}

    saved, _ = cache.train_or_load(
        "04_bert/small_bert_mlm",
        fit,
        key={
            "config": config,
            "settings": settings,
            "device": str(torch.device(device or "cpu").type),
            "tokenizer": tokenizer,
            "texts": cache.fingerprint(texts),
        },
        code=[sys.modules[__name__]],
    )
    model = BertForMaskedLM(config)
    model.load_state_dict(saved["model"])
    model.to(device or "cpu")
    return model.eval(), tokenizer, TrainHistory(saved["losses"], saved["seconds"])
