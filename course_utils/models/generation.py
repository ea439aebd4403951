"""Decoding a language model: greedy search, temperature, top-k and top-p (nucleus) sampling.

Introduced in notebook 05 (GPT); notebook 09 (RLHF) samples its responses with :func:`generate`.

Autoregressive generation repeats one step: run the model on the tokens so far, take the logits
of the last position ``[B, V]``, pick the next token, append it. The picking rule is the
decoding strategy:

- greedy: ``argmax`` (deterministic; tends to loop on the same phrase);
- temperature ``tau``: sample from ``softmax(logits / tau)``; ``tau < 1`` sharpens, ``> 1``
  flattens;
- top-k: sample only among the ``k`` most likely tokens;
- top-p (nucleus): sample only among the smallest set of most likely tokens whose probability
  adds up to at least ``p``.

:func:`generate` works with any model whose ``forward(input_ids [B, T], attention_mask=...)``
returns an object with ``.logits [B, T, V]``: the course's :class:`~course_utils.models.gpt.GPT` and
Hugging Face causal language models alike (it recomputes the whole context at each step, no
key/value cache: simple, and fast enough for the course's sizes).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["context_window", "filter_logits", "generate", "next_token"]


def _check_top_k(top_k: object) -> None:
    if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1):
        raise ValueError(f"top_k must be None or a positive int, got {top_k!r}")


def _check_top_p(top_p: object) -> None:
    if top_p is not None and (
        isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0.0 < top_p <= 1.0
    ):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}")


def _check_temperature(temperature: object) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number, got {type(temperature).__name__}")
    if not temperature > 0:
        raise ValueError(
            f"temperature must be > 0 when sampling, got {temperature!r} "
            f"(for deterministic decoding use do_sample=False, i.e. greedy)"
        )


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Keep the top-k and/or top-p (nucleus) tokens of each row; set the others to ``-inf``.

    Introduced in notebook 05.

    Args:
        logits: ``[B, V]`` scores (already divided by the temperature, if any).
        top_k: keep the ``k`` highest logits per row (ties with the k-th are kept too);
            ``None`` keeps all. Must be a positive int; ``k >= V`` keeps all.
        top_p: keep the smallest set of highest-probability tokens whose probabilities add up to
            at least ``top_p``, in ``(0, 1]``; the most likely token is always kept. ``None`` or
            1.0 keeps all.

    Returns:
        ``[B, V]`` logits, with filtered-out tokens at ``-inf`` (a copy; the input is unchanged).
    """
    _check_top_k(top_k)
    _check_top_p(top_p)
    if not isinstance(logits, Tensor) or logits.dim() != 2 or not logits.is_floating_point():
        shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"logits must be a floating-point [batch, vocab] tensor, got {shape}")
    logits = logits.clone()
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # [B, 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = probs.cumsum(dim=-1) - probs  # probability mass of the more likely tokens
        remove_sorted = before >= top_p  # the first token has before == 0 < top_p: always kept
        remove = torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)
        logits = logits.masked_fill(remove, float("-inf"))
    return logits


def next_token(
    logits: Tensor,
    *,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Pick one token per row from last-position logits ``[B, V]`` -> ids ``[B]``.

    Greedy (``argmax``) unless ``do_sample``; then ``softmax(filter_logits(logits /
    temperature, top_k, top_p))`` is sampled with ``generator`` (fixed seed = same tokens).
    Introduced in notebook 05.
    """
    _check_top_k(top_k)
    _check_top_p(top_p)
    if not do_sample:
        return logits.argmax(dim=-1)
    _check_temperature(temperature)
    filtered = filter_logits(logits.float() / temperature, top_k=top_k, top_p=top_p)
    probs = torch.softmax(filtered, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)


def context_window(model: nn.Module) -> int | None:
    """The longest input ``model`` accepts: ``config.max_len`` (course GPT) or
    ``config.max_position_embeddings`` (Hugging Face), else ``None`` (unknown).

    Introduced in notebook 05.
    """
    config = getattr(model, "config", None)
    for name in ("max_len", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


@torch.no_grad()
def generate(
    model: nn.Module,
    input_ids: Tensor,
    max_new_tokens: int,
    *,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    crop: bool = False,
    attention_mask: Tensor | None = None,
    eos_id: int | None = None,
) -> Tensor:
    """Continue ``input_ids [B, T]`` by ``max_new_tokens`` tokens -> ``[B, T + max_new_tokens]``.

    Introduced in notebook 05.

    Args:
        model: returns an object with ``.logits [B, T, V]``; it runs in eval mode here (its
            previous mode is restored afterwards).
        input_ids: ``[B, T]`` prompt ids. Batched prompts of different lengths are left-padded
            and described by ``attention_mask``.
        max_new_tokens: number of tokens to add (>= 0).
        do_sample: sample (with ``temperature``, ``top_k``, ``top_p``) instead of greedy argmax.
        temperature: > 0 when sampling (``ValueError`` otherwise); ignored by greedy decoding.
        top_k, top_p: see :func:`filter_logits` (top_p in (0, 1], else ``ValueError``).
        generator: a seeded ``torch.Generator`` for reproducible sampling.
        crop: a prompt longer than the model's context window raises ``ValueError`` unless
            ``crop=True``, which explicitly keeps its last ``max_len`` tokens as context (the
            returned tensor still starts with the whole prompt). Once the text grows past the
            window, each step always reads the last ``max_len`` tokens (a sliding window).
        attention_mask: optional ``[B, T]``, 1 = real token (left padding = 0); extended with
            ones for the new tokens.
        eos_id: optional end token: a row that produced it is filled with ``eos_id`` afterwards,
            and generation stops early once every row has.

    Returns:
        ``[B, T + max_new_tokens]`` ids: the prompt followed by the new tokens.
    """
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2:
        shape = tuple(input_ids.shape) if isinstance(input_ids, Tensor) else type(input_ids)
        raise ValueError(f"input_ids must be a [batch, T] tensor, got {shape}")
    if input_ids.is_floating_point() or input_ids.dtype == torch.bool:
        raise TypeError(f"input_ids must be integer ids, got dtype {input_ids.dtype}")
    if input_ids.shape[1] < 1:
        raise ValueError("input_ids must hold at least one prompt token, got T=0")
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    _check_top_k(top_k)
    _check_top_p(top_p)
    if do_sample:
        _check_temperature(temperature)
    if attention_mask is not None and (
        not isinstance(attention_mask, Tensor) or attention_mask.shape != input_ids.shape
    ):
        shape = tuple(attention_mask.shape) if isinstance(attention_mask, Tensor) else None
        raise ValueError(
            f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, got {shape}"
        )
    window = context_window(model)
    if window is not None and input_ids.shape[1] > window and not crop:
        raise ValueError(
            f"prompt length {input_ids.shape[1]} exceeds the model's context window of {window} "
            f"tokens; shorten the prompt or pass crop=True to keep its last {window} tokens"
        )

    was_training = model.training
    model.eval()
    try:
        ids = input_ids
        mask = attention_mask.long() if attention_mask is not None else None
        finished = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        for _ in range(max_new_tokens):
            context = ids if window is None else ids[:, -window:]
            if mask is None:
                logits = model(context).logits[:, -1, :]  # [B, V]
            else:
                logits = model(context, attention_mask=mask[:, -context.shape[1] :]).logits
                logits = logits[:, -1, :]
            token = next_token(
                logits,
                do_sample=do_sample,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
            )
            if eos_id is not None:
                token = token.masked_fill(finished, eos_id)
                finished = finished | (token == eos_id)
            ids = torch.cat([ids, token[:, None].to(ids.dtype)], dim=1)
            if mask is not None:
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            if eos_id is not None and bool(finished.all()):
                break
        missing = input_ids.shape[1] + max_new_tokens - ids.shape[1]
        if missing > 0:  # stopped early at eos: pad with eos to the documented shape
            ids = torch.cat([ids, ids.new_full((ids.shape[0], missing), eos_id)], dim=1)
        return ids
    finally:
        model.train(was_training)
