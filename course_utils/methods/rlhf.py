"""Stages 3-4 of the toy RLHF loop: reward model, KL, PPO/RLOO, DPO.

Introduced in notebook 09 (toy RLHF). Everything a language-model policy needs is written
here in a few lines each:

- :func:`categorical_kl` (exact) and :func:`kl_estimate` (Schulman's k1/k2/k3 from samples);
- :func:`bradley_terry_loss` and :class:`RewardModel` (an LM backbone with a scalar head);
- :func:`sample_completions`, :func:`completion_logprobs` (a forward pass over prompt and
  completion), :func:`sequence_kl`;
- :func:`rloo_advantages`, :func:`ppo_clip_loss`, :class:`AdaptiveKLController` and the loop
  :func:`rl_train` (REINFORCE with a leave-one-out baseline, PPO's clipped ratio for extra
  epochs on a batch, a KL penalty to the frozen reference policy in the reward);
- :func:`dpo_loss` and :func:`dpo_implicit_reward` (direct preference optimisation);
- :func:`optimal_policy` and :func:`total_variation` for the categorical-bandit check: the
  KL-regularised objective ``E[r] - beta KL(pi || pi_ref)`` is maximised by
  ``pi* proportional to pi_ref * exp(r / beta)``.

A *policy* is any module with ``model(input_ids [B, T]) -> logits [B, T, V]`` or an output
with ``.logits`` (e.g. :class:`course_utils.models.gpt.GPT`). Completions here have a fixed length and
prompts within a batch the same length, so no padding is needed.

Notebook 09b runs DPO on a real chat model (SmolLM2, a Hugging Face causal LM) with LoRA, where
prompts and replies have every length and the reference is the same model with its adapters
switched off (:func:`course_utils.nn.lora.adapters_disabled`):

- :func:`chat_ids` (the tokenizer's chat template) and :func:`pack_replies` (right padding, a
  mask of the reply tokens: :class:`PackedReplies`);
- :func:`reply_token_logprobs` and :func:`reply_logprobs` (the log-probability of each reply
  token, and of each reply), :func:`stopped_reply_logprobs` (a reply cut short and closed, from
  the same forward pass), :func:`generate_replies` (greedy, batched, left padding) and
  :func:`reply_kl` (the sequence KL to the reference along the replies);
- :func:`dpo_train`: the DPO loop over preference pairs with :func:`dpo_loss` and the reference
  log-probabilities computed once beforehand.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from ..corpora.batching import pad_sequences, shuffled_batches
from ..nn.lora import adapters_disabled
from .train import TrainHistory, adamw, seed_everything, train_loop, warmup_cosine_schedule

if TYPE_CHECKING:  # only for the type hint: no transformers import when the module loads
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "AdaptiveKLController",
    "PackedReplies",
    "RLHistory",
    "RewardModel",
    "bradley_terry_loss",
    "categorical_kl",
    "chat_ids",
    "completion_logprobs",
    "dpo_implicit_reward",
    "dpo_loss",
    "dpo_train",
    "frozen_copy",
    "generate_replies",
    "grouped_bradley_terry_loss",
    "kl_estimate",
    "optimal_policy",
    "pack_replies",
    "ppo_clip_loss",
    "reply_kl",
    "reply_logprobs",
    "reply_token_logprobs",
    "rl_train",
    "rloo_advantages",
    "sample_completions",
    "sequence_kl",
    "stopped_reply_logprobs",
    "total_variation",
]


def _logits(output: object) -> Tensor:
    return output.logits if hasattr(output, "logits") else output


def _check_same_shape(**tensors: Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"expected tensors of the same shape, got {shapes}")


# --------------------------------------------------------------------------- KL


def categorical_kl(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    """Exact ``KL(p || q) = sum_v p_v (log p_v - log q_v)`` over the last dim, in nats.

    ``logits_p``, ``logits_q``: ``[..., V]`` (unnormalised); returns ``[...]``.
    Introduced in notebook 09.
    """
    _check_same_shape(logits_p=logits_p, logits_q=logits_q)
    log_p, log_q = F.log_softmax(logits_p, -1), F.log_softmax(logits_q, -1)
    return (log_p.exp() * (log_p - log_q)).sum(-1)


def kl_estimate(logp: Tensor, logp_ref: Tensor, kind: str = "k1") -> Tensor:
    """Per-sample estimators of ``KL(pi || pi_ref)`` from samples ``x ~ pi`` (Schulman, 2020).

    ``logp = log pi(x)``, ``logp_ref = log pi_ref(x)`` (any shape, same shape); with
    ``log_ratio = logp - logp_ref``: ``k1 = log_ratio`` (unbiased, can be negative),
    ``k2 = log_ratio^2 / 2`` (biased, low variance), ``k3 = (exp(-log_ratio) - 1) + log_ratio``
    (unbiased, never negative). Their mean over samples estimates the KL. Introduced in
    notebook 09.
    """
    _check_same_shape(logp=logp, logp_ref=logp_ref)
    log_ratio = logp - logp_ref
    if kind == "k1":
        return log_ratio
    if kind == "k2":
        return 0.5 * log_ratio**2
    if kind == "k3":
        return torch.expm1(-log_ratio) + log_ratio
    raise ValueError(f"kind must be 'k1', 'k2' or 'k3', got {kind!r}")


# --------------------------------------------------------------------------- reward model


def bradley_terry_loss(reward_chosen: Tensor, reward_rejected: Tensor) -> Tensor:
    """Mean ``-log sigmoid(r_chosen - r_rejected)``: the Bradley-Terry negative log-likelihood
    of the observed preferences. ``reward_*``: ``[num_pairs]``; returns a scalar.

    Equal rewards cost ``log 2``. Introduced in notebook 09.
    """
    _check_same_shape(reward_chosen=reward_chosen, reward_rejected=reward_rejected)
    return -F.logsigmoid(reward_chosen - reward_rejected).mean()


def grouped_bradley_terry_loss(scores: Tensor, labels: Tensor) -> Tensor:
    """Bradley-Terry loss over every labelled pair within groups of completions.

    ``scores [P, K]``: a score per completion (the reward model's reward, or DPO's implicit
    reward); ``labels [P, K(K-1)/2]`` bool for the pairs ``(i, j)``, ``i < j``, in the order of
    ``torch.triu_indices(K, K, 1)``, True where ``i`` was preferred. One forward pass over
    ``P * K`` completions yields ``P * K(K-1)/2`` comparisons. Introduced in notebook 09.
    """
    if scores.dim() != 2 or labels.shape != (
        scores.shape[0],
        scores.shape[1] * (scores.shape[1] - 1) // 2,
    ):
        raise ValueError(
            f"scores must be [P, K] and labels [P, K(K-1)/2], got {tuple(scores.shape)} and "
            f"{tuple(labels.shape)}"
        )
    i, j = torch.triu_indices(scores.shape[1], scores.shape[1], 1, device=scores.device)
    gap = scores[:, i] - scores[:, j]
    return bradley_terry_loss(torch.where(labels, gap, -gap), torch.zeros_like(gap))


class RewardModel(nn.Module):
    """A language model with a scalar head: the reward of a completion.

    ``backbone(input_ids) -> output with .hidden [B, T, d_model]`` (e.g. a copy of the
    pre-trained :class:`~course_utils.models.gpt.GPT`, as InstructGPT starts its reward model from the
    SFT model). The reward is a linear head on the mean of the hidden states over the
    completion's positions. ``forward(input_ids [B, T], prompt_len) -> [B]``.
    Introduced in notebook 09.
    """

    def __init__(self, backbone: nn.Module, d_model: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(d_model, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, input_ids: Tensor, prompt_len: int) -> Tensor:
        if not 0 < prompt_len < input_ids.shape[1]:
            raise ValueError(
                f"prompt_len must be in 1..{input_ids.shape[1] - 1} (input length "
                f"{input_ids.shape[1]}), got {prompt_len}"
            )
        hidden = self.backbone(input_ids).hidden[:, prompt_len:]  # [B, T_new, d_model]
        return self.head(hidden.mean(1)).squeeze(-1)


# --------------------------------------------------------------------------- policy utilities


def frozen_copy(model: nn.Module) -> nn.Module:
    """A deep copy in eval mode with ``requires_grad=False`` (the reference policy).

    Introduced in notebook 09.
    """
    ref = copy.deepcopy(model).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref


@torch.no_grad()
def sample_completions(
    model: nn.Module,
    prompt_ids: Tensor,
    num_new: int,
    *,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    banned_ids: tuple[int, ...] = (),
) -> Tensor:
    """Sample ``num_new`` tokens after each prompt: ``[B, T_p] -> [B, T_p + num_new]``.

    Plain ancestral sampling (``temperature`` 0 means greedy); ``banned_ids`` (e.g. padding and
    ``<bos>``) get probability 0. One full forward pass per new token: the sequences are short.
    Introduced in notebook 09.
    """
    if prompt_ids.dim() != 2:
        raise ValueError(f"prompt_ids must be [batch, T_p], got shape {tuple(prompt_ids.shape)}")
    if num_new < 1:
        raise ValueError(f"num_new must be >= 1, got {num_new}")
    was_training = model.training
    model.eval()
    ids = prompt_ids
    for _ in range(num_new):
        logits = _logits(model(ids))[:, -1].float()  # [B, V]
        if banned_ids:
            logits[:, list(banned_ids)] = float("-inf")
        if temperature == 0:
            nxt = logits.argmax(-1, keepdim=True)
        else:
            probs = F.softmax(logits / temperature, -1)
            nxt = torch.multinomial(probs, 1, generator=generator)
        ids = torch.cat([ids, nxt], dim=1)
    model.train(was_training)
    return ids


def completion_logprobs(model: nn.Module, input_ids: Tensor, prompt_len: int) -> Tensor:
    """Log-probability of every completion token under ``model``: ``[B, T] -> [B, T - prompt_len]``.

    One forward pass over prompt + completion; the logits at position ``t - 1`` score token
    ``t``. Sum over the last dim for the sequence log-probability. Introduced in notebook 09.
    """
    if not 0 < prompt_len < input_ids.shape[1]:
        raise ValueError(f"prompt_len must be in 1..{input_ids.shape[1] - 1}, got {prompt_len}")
    logits = _logits(model(input_ids))[:, prompt_len - 1 : -1]  # [B, T_new, V]
    targets = input_ids[:, prompt_len:]  # [B, T_new]
    return torch.gather(F.log_softmax(logits.float(), -1), 2, targets[..., None]).squeeze(-1)


@torch.no_grad()
def sequence_kl(
    policy: nn.Module, reference: nn.Module, input_ids: Tensor, prompt_len: int
) -> Tensor:
    """KL(policy || reference) per sequence ``[B]`` in nats, along sampled completions.

    At every completion position the exact categorical KL of the next-token distributions
    (given the same prefix) is summed over positions: an unbiased, low-variance estimate of the
    sequence-level KL when ``input_ids`` were sampled from ``policy``. Introduced in notebook 09.
    """
    p = _logits(policy(input_ids))[:, prompt_len - 1 : -1]
    q = _logits(reference(input_ids))[:, prompt_len - 1 : -1]
    return categorical_kl(p.float(), q.float()).sum(-1)


# --------------------------------------------------------------------------- policy gradient


def rloo_advantages(rewards: Tensor) -> Tensor:
    """REINFORCE leave-one-out advantages (Kool et al., 2019; Ahmadian et al., 2024).

    ``rewards [num_prompts, k]`` (k >= 2 samples per prompt) -> ``[num_prompts, k]``: each
    sample's reward minus the mean reward of the other ``k - 1`` samples of its prompt.
    Introduced in notebook 09.
    """
    if rewards.dim() != 2 or rewards.shape[1] < 2:
        raise ValueError(
            f"rewards must be [num_prompts, k] with k >= 2, got shape {tuple(rewards.shape)}"
        )
    k = rewards.shape[1]
    baseline = (rewards.sum(1, keepdim=True) - rewards) / (k - 1)
    return rewards - baseline


def ppo_clip_loss(
    logp: Tensor, old_logp: Tensor, advantages: Tensor, clip_eps: float = 0.2
) -> Tensor:
    """PPO's clipped surrogate loss (Schulman et al., 2017), to be minimised.

    ``ratio = exp(logp - old_logp)``; loss = ``-mean(min(ratio * A, clip(ratio, 1 - eps,
    1 + eps) * A))``. Inputs of one shape (per token or per sequence; broadcast the advantage
    first). At ``ratio = 1`` its gradient is the plain policy gradient ``-A grad log pi``;
    once the ratio has left the clip range in the advantage's direction the gradient is zero.
    Introduced in notebook 09.
    """
    _check_same_shape(logp=logp, old_logp=old_logp, advantages=advantages)
    if clip_eps <= 0:
        raise ValueError(f"clip_eps must be > 0, got {clip_eps}")
    ratio = torch.exp(logp - old_logp)
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps)
    return -torch.min(ratio * advantages, clipped * advantages).mean()


class AdaptiveKLController:
    """Ziegler et al. (2019)'s adaptive KL coefficient.

    After each batch with measured ``kl``: ``error = clip(kl / target - 1, -0.2, 0.2)`` and
    ``beta <- beta * (1 + error * n_steps / horizon)``: beta grows while the KL is above the
    target and shrinks while it is below. Introduced in notebook 09.
    """

    def __init__(self, init_beta: float, target: float, horizon: float):
        if init_beta <= 0 or target <= 0 or horizon <= 0:
            raise ValueError(
                f"init_beta, target and horizon must be > 0, got {init_beta}, {target}, {horizon}"
            )
        self.value, self.target, self.horizon = float(init_beta), float(target), float(horizon)

    def update(self, kl: float, n_steps: int = 1) -> float:
        error = min(max(kl / self.target - 1.0, -0.2), 0.2)
        self.value *= 1.0 + error * n_steps / self.horizon
        return self.value


@dataclass
class RLHistory:
    """Per-step means of what :func:`rl_train` measured (for the reward and KL curves).

    Introduced in notebook 09.
    """

    reward: list[float] = field(default_factory=list)  # learned reward of the samples
    kl: list[float] = field(default_factory=list)  # k1 estimate, nats per sequence
    beta: list[float] = field(default_factory=list)
    true_score: list[float] = field(default_factory=list)  # only with a true_score_fn
    seconds: float = 0.0


def rl_train(
    policy: nn.Module,
    reference: nn.Module,
    reward_fn: Callable[[Tensor, int], Tensor],
    prompt_ids: Tensor,
    *,
    num_steps: int,
    num_new: int,
    beta: float | AdaptiveKLController = 0.1,
    prompts_per_step: int = 16,
    k: int = 4,
    lr: float = 3e-4,
    ppo_epochs: int = 1,
    clip_eps: float = 0.2,
    generator: torch.Generator | None = None,
    banned_ids: tuple[int, ...] = (),
    true_score_fn: Callable[[Tensor], Tensor] | None = None,
    desc: str = "RL",
    progress: bool = True,
) -> RLHistory:
    """Optimise ``policy`` for ``reward - beta * KL(policy || reference)`` with RLOO + PPO clip.

    Each step: pick ``prompts_per_step`` prompts from ``prompt_ids [P, T_p]``, sample ``k``
    completions of ``num_new`` tokens each, score them with ``reward_fn(input_ids, T_p) -> [N]``
    and subtract ``beta`` times the sampled log-ratio summed over the completion (k1 KL
    estimate, nats per sequence); leave-one-out advantages (:func:`rloo_advantages`); then
    ``ppo_epochs`` Adam steps on :func:`ppo_clip_loss` per token (the first is the plain
    REINFORCE gradient). ``beta`` may be an :class:`AdaptiveKLController`.
    ``true_score_fn(input_ids) -> [N]`` (optional) logs a hidden score of the samples.
    Returns an :class:`RLHistory`. Introduced in notebook 09.
    """
    import time

    if num_steps < 1 or k < 2:
        raise ValueError(f"num_steps must be >= 1 and k >= 2, got {num_steps} and {k}")
    opt = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=lr)
    history, start, prompt_len = RLHistory(), time.perf_counter(), prompt_ids.shape[1]
    for _ in tqdm(range(num_steps), desc=desc, disable=not progress, mininterval=1.0):
        pick = torch.randint(len(prompt_ids), (prompts_per_step,), generator=generator)
        prompts = prompt_ids[pick].repeat_interleave(k, 0)  # [N = prompts_per_step * k, T_p]
        seqs = sample_completions(
            policy, prompts, num_new, generator=generator, banned_ids=banned_ids
        )
        with torch.no_grad():
            old_logp = completion_logprobs(policy, seqs, prompt_len)  # [N, T_new]
            ref_logp = completion_logprobs(reference, seqs, prompt_len)
            kl = (old_logp - ref_logp).sum(-1)  # [N]
            reward = reward_fn(seqs, prompt_len).float()
            coef = beta.value if isinstance(beta, AdaptiveKLController) else float(beta)
            adv = rloo_advantages((reward - coef * kl).view(prompts_per_step, k)).view(-1)
        policy.train()
        for _ in range(ppo_epochs):
            logp = completion_logprobs(policy, seqs, prompt_len)
            loss = ppo_clip_loss(logp, old_logp, adv[:, None].expand_as(logp), clip_eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
        policy.eval()
        history.reward.append(reward.mean().item())
        history.kl.append(kl.mean().item())
        history.beta.append(coef)
        if isinstance(beta, AdaptiveKLController):
            beta.update(kl.mean().item())
        if true_score_fn is not None:
            history.true_score.append(float(true_score_fn(seqs).float().mean()))
    history.seconds = time.perf_counter() - start
    return history


# --------------------------------------------------------------------------- DPO


def dpo_loss(
    policy_chosen: Tensor,
    policy_rejected: Tensor,
    ref_chosen: Tensor,
    ref_rejected: Tensor,
    beta: float = 0.1,
    reduction: str = "mean",
) -> Tensor:
    """Direct preference optimisation (Rafailov et al., 2023).

    Inputs: sequence log-probabilities ``[num_pairs]`` of the chosen and rejected completions
    under the policy and the frozen reference. Loss ``-log sigmoid(beta * ((pc - rc) -
    (pr - rr)))``: the Bradley-Terry loss of the implicit reward ``beta * log(pi / pi_ref)``.
    ``reduction``: ``"mean"`` or ``"none"`` (per pair). Introduced in notebook 09.
    """
    _check_same_shape(
        policy_chosen=policy_chosen,
        policy_rejected=policy_rejected,
        ref_chosen=ref_chosen,
        ref_rejected=ref_rejected,
    )
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    losses = -F.logsigmoid(margin)
    if reduction == "mean":
        return losses.mean()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def dpo_implicit_reward(policy_logp: Tensor, ref_logp: Tensor, beta: float = 0.1) -> Tensor:
    """DPO's implicit reward ``beta * (log pi(y|x) - log pi_ref(y|x))`` (same shape as inputs).

    Introduced in notebook 09.
    """
    _check_same_shape(policy_logp=policy_logp, ref_logp=ref_logp)
    return beta * (policy_logp - ref_logp)


# --------------------------------------------------------------------------- bandit helpers


def optimal_policy(pi_ref: Tensor, rewards: Tensor, beta: float) -> Tensor:
    """The maximiser of ``E_pi[r] - beta KL(pi || pi_ref)``: ``pi_ref * exp(r / beta)``,
    normalised. ``pi_ref``, ``rewards``: ``[K]`` -> ``[K]``. Introduced in notebook 09.
    """
    _check_same_shape(pi_ref=pi_ref, rewards=rewards)
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    return F.softmax(torch.log(pi_ref) + rewards / beta, -1)


def total_variation(p: Tensor, q: Tensor) -> Tensor:
    """Total-variation distance ``0.5 * sum |p - q|`` over the last dim: ``[..., K] -> [...]``.

    Introduced in notebook 09 (unit tests of the bandit optimum).
    """
    _check_same_shape(p=p, q=q)
    return 0.5 * (p - q).abs().sum(-1)


# --------------------------------------------------------------------------- a real chat model


def chat_ids(
    tokenizer: PreTrainedTokenizerBase,
    prompt: str,
    reply: str | None = None,
    system: str | None = "",
) -> tuple[list[int], list[int]]:
    """Token ids of one chat turn: ``(prompt_ids, reply_ids)``.

    ``prompt_ids``: the tokenizer's chat template (e.g. SmolLM2's ``<|im_start|>user ...``) with
    an optional ``system`` message (``None``: the template's default, which for SmolLM2 is a
    16-token introduction; ``""``: an empty system turn) and the assistant's generation prompt.
    ``reply_ids``: ``reply`` followed by the end-of-turn token ``tokenizer.eos_token``
    (``[]`` without a reply). Introduced in notebook 09b.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"prompt must be a non-empty string, got {prompt!r}")
    messages = [] if system is None else [{"role": "system", "content": system}]
    messages.append({"role": "user", "content": prompt})
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if reply is None:
        return prompt_ids, []
    reply_ids = tokenizer(reply + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    return prompt_ids, reply_ids


class PackedReplies(NamedTuple):
    """Prompt + reply sequences, right-padded: ``input_ids [B, T]`` (long), ``attention_mask
    [B, T]`` (long, 1 on the real tokens) and ``reply_mask [B, T]`` (bool, True on the reply
    tokens, the ones whose log-probability counts). Right padding keeps every real token at its
    own position, and a causal model never looks at the padding after it.
    Introduced in notebook 09b.
    """

    input_ids: Tensor
    attention_mask: Tensor
    reply_mask: Tensor

    def select(self, rows: Sequence[int] | Tensor | slice) -> PackedReplies:
        """The given rows, cut to the longest of them (no column of padding only)."""
        if isinstance(rows, slice):
            rows = torch.arange(len(self.input_ids))[rows]
        rows = torch.as_tensor(rows, dtype=torch.long)
        width = int(self.attention_mask[rows].sum(1).max())
        return PackedReplies(*(t[rows, :width] for t in self))


def pack_replies(
    prompt_ids: Sequence[Sequence[int]], reply_ids: Sequence[Sequence[int]], pad_id: int
) -> PackedReplies:
    """Right-pad ``prompt + reply`` for every row into a :class:`PackedReplies` ``[B, T_max]``.

    ``prompt_ids``, ``reply_ids``: ``B`` id lists each (every prompt and reply non-empty).
    Introduced in notebook 09b.
    """
    if len(prompt_ids) != len(reply_ids):
        raise ValueError(
            f"prompt_ids and reply_ids must have the same length, got {len(prompt_ids)} and "
            f"{len(reply_ids)}"
        )
    empty = [
        i for i, (p, r) in enumerate(zip(prompt_ids, reply_ids, strict=True)) if not p or not r
    ]
    if empty:
        raise ValueError(f"every prompt and reply needs at least one token; rows {empty} do not")
    ids, lengths = pad_sequences(
        [list(p) + list(r) for p, r in zip(prompt_ids, reply_ids, strict=True)], pad_id
    )
    positions = torch.arange(ids.shape[1])
    starts = torch.tensor([len(p) for p in prompt_ids])
    attention_mask = (positions < lengths[:, None]).long()
    reply_mask = (positions >= starts[:, None]) & attention_mask.bool()
    return PackedReplies(ids, attention_mask, reply_mask)


def _accepts(model: nn.Module, argument: str) -> bool:
    try:
        return argument in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _reply_logits(model: nn.Module, packed: PackedReplies) -> tuple[Tensor, int]:
    """``(logits [B, T - first, V], first)``: the logits that score the tokens ``first..T-1``,
    ``first`` being the earliest reply position in the batch (position ``t - 1`` scores ``t``)."""
    ids, mask, reply = packed
    first = int(reply.float().argmax(1).min())
    kwargs = {"attention_mask": mask} if _accepts(model, "attention_mask") else {}
    keep = ids.shape[1] - first + 1  # logits at positions first-1 .. T-1
    if _accepts(model, "logits_to_keep"):  # Hugging Face: the output layer only where needed
        logits = _logits(model(ids, logits_to_keep=keep, **kwargs))
    else:
        logits = _logits(model(ids, **kwargs))[:, -keep:]
    return logits[:, :-1].float(), first


def reply_token_logprobs(
    model: nn.Module, packed: PackedReplies, stop_id: int | None = None
) -> tuple[Tensor, Tensor | None]:
    """Per-token log-probabilities of the replies under ``model`` (one forward pass).

    Returns ``token_logp [B, T]``: ``log p(token_t | tokens before t)`` at the reply positions,
    0 elsewhere; and, with ``stop_id`` (e.g. the end-of-turn token), ``stop_logp [B, T]``:
    ``log p(stop_id | tokens before t)`` at the reply positions, the log-probability of ending
    the reply at ``t`` instead of writing token ``t`` (``None`` without ``stop_id``). Only
    positions from the earliest reply token on go through the output layer
    (``logits_to_keep`` of Hugging Face causal LMs). Gradients flow when enabled.
    Introduced in notebook 09b.
    """
    logits, first = _reply_logits(model, packed)  # [B, T - first, V]
    log_probs = F.log_softmax(logits, -1)
    mask = packed.reply_mask[:, first:]
    token_logp = log_probs.new_zeros(packed.input_ids.shape)
    picked = torch.gather(log_probs, 2, packed.input_ids[:, first:, None]).squeeze(-1)
    token_logp[:, first:] = picked * mask
    if stop_id is None:
        return token_logp, None
    stop_logp = torch.zeros_like(token_logp)
    stop_logp[:, first:] = log_probs[..., stop_id] * mask
    return token_logp, stop_logp


def reply_logprobs(
    model: nn.Module, packed: PackedReplies, batch_size: int | None = None
) -> Tensor:
    """The log-probability of each reply given its prompt: ``[B]``, the sum of
    :func:`reply_token_logprobs` over the reply (end-of-turn token included).

    One forward pass per batch of ``batch_size`` rows (all rows at once when ``None``). Wrap in
    ``torch.no_grad()`` for a reference. Introduced in notebook 09b.
    """
    if batch_size is not None and batch_size < len(packed.input_ids):
        return torch.cat(
            [
                reply_logprobs(model, packed.select(slice(i, i + batch_size)))
                for i in range(0, len(packed.input_ids), batch_size)
            ]
        )
    return reply_token_logprobs(model, packed)[0].sum(-1)


def stopped_reply_logprobs(
    token_logp: Tensor, stop_logp: Tensor, reply_mask: Tensor, num_kept: Tensor
) -> Tensor:
    """The log-probability of each reply cut after its first ``num_kept`` tokens and closed
    with the stop token: ``[B]``, from one forward pass over the whole reply.

    ``token_logp``, ``stop_logp`` ``[B, T]`` from :func:`reply_token_logprobs` (with
    ``stop_id``), ``reply_mask [B, T]``, ``num_kept [B]`` (0 ..reply length - 1). A causal LM
    scores each token from the tokens before it only, so the shorter reply's tokens have the
    same log-probabilities inside the longer one: ``sum(token_logp of the kept tokens) +
    stop_logp at the first dropped token``. Introduced in notebook 09b.
    """
    lengths = reply_mask.sum(1)
    if ((num_kept < 0) | (num_kept >= lengths)).any():
        raise ValueError(
            f"num_kept must lie in 0..reply length - 1 for every row, got {num_kept.tolist()} "
            f"for reply lengths {lengths.tolist()}"
        )
    rank = reply_mask.long().cumsum(1) - 1  # 0 at the first reply token, 1 at the second, ...
    kept = reply_mask & (rank < num_kept[:, None])
    stop_at = reply_mask & (rank == num_kept[:, None])
    return (token_logp * kept).sum(1) + (stop_logp * stop_at).sum(1)


@torch.no_grad()
def reply_kl(
    model: nn.Module,
    packed: PackedReplies,
    reference: nn.Module | None = None,
    batch_size: int | None = None,
) -> Tensor:
    """``KL(policy || reference)`` along each reply, in nats: ``[B]``.

    At every reply position the exact KL of the two next-token distributions given the same
    prefix (:func:`categorical_kl`), summed over the reply's tokens; on replies the policy wrote
    itself this estimates the sequence-level KL (as :func:`sequence_kl`). ``reference=None``:
    the same ``model`` with its LoRA adapters switched off
    (:func:`course_utils.nn.lora.adapters_disabled`), so no second copy is held in memory.
    Introduced in notebook 09b.
    """
    if batch_size is not None and batch_size < len(packed.input_ids):
        return torch.cat(
            [
                reply_kl(model, packed.select(slice(i, i + batch_size)), reference)
                for i in range(0, len(packed.input_ids), batch_size)
            ]
        )
    was_training = model.training
    model.eval()
    p, first = _reply_logits(model, packed)
    if reference is None:
        with adapters_disabled(model):
            q, _ = _reply_logits(model, packed)
    else:
        q, _ = _reply_logits(reference, packed)
    model.train(was_training)
    return (categorical_kl(p, q) * packed.reply_mask[:, first:]).sum(-1)


@torch.no_grad()
def generate_replies(
    model: nn.Module,
    prompt_ids: Sequence[Sequence[int]],
    *,
    eos_id: int,
    pad_id: int,
    max_new_tokens: int = 48,
    batch_size: int = 64,
) -> list[list[int]]:
    """Greedy replies of a Hugging Face causal LM to chat prompts, in batches.

    ``prompt_ids``: ``B`` id lists (e.g. from :func:`chat_ids`), left-padded within a batch
    (``model.generate`` with an attention mask and a key/value cache). Returns ``B`` lists of
    reply ids, each cut after its first ``eos_id`` (kept) or at ``max_new_tokens``.
    Introduced in notebook 09b.
    """
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    was_training = model.training
    model.eval()
    replies = []
    for start in range(0, len(prompt_ids), batch_size):
        chunk = prompt_ids[start : start + batch_size]
        width = max(len(p) for p in chunk)
        ids = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in chunk])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk])
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos_id,
            pad_token_id=pad_id,
        )
        for row in out[:, width:].tolist():
            replies.append(row[: row.index(eos_id) + 1] if eos_id in row else row)
    model.train(was_training)
    return replies


def dpo_train(
    model: nn.Module,
    pair_logprobs: Callable[[nn.Module, list[int]], tuple[Tensor, Tensor]],
    ref_chosen: Tensor,
    ref_rejected: Tensor,
    *,
    num_steps: int,
    batch_size: int = 8,
    lr: float = 1e-3,
    beta: float = 0.1,
    seed: int = 0,
    desc: str = "DPO",
    progress: bool = True,
) -> TrainHistory:
    """Train ``model``'s trainable parameters (e.g. LoRA adapters) with DPO on ``N`` pairs.

    ``pair_logprobs(model, rows) -> (chosen [b], rejected [b])``: the log-probabilities of the
    chosen and rejected replies of the pairs ``rows`` under ``model`` (e.g. two
    :func:`reply_logprobs`, or one pass and :func:`stopped_reply_logprobs`); ``ref_chosen``,
    ``ref_rejected`` ``[N]``: the same under the reference, computed once beforehand. Each step
    draws ``batch_size`` pairs (shuffled epochs, seeded) and takes an AdamW step (no weight
    decay, warm-up + cosine schedule, gradient norm clipped at 1) on :func:`dpo_loss`. Returns
    the loss history (:class:`course_utils.methods.train.TrainHistory`).
    Introduced in notebook 09b.
    """
    if len(ref_chosen) != len(ref_rejected):
        raise ValueError(
            f"ref_chosen and ref_rejected must hold one value per pair, got {len(ref_chosen)} "
            f"and {len(ref_rejected)}"
        )
    seed_everything(seed)
    opt = adamw([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)

    def loss_fn(model: nn.Module, rows: list[int]) -> Tensor:
        policy_chosen, policy_rejected = pair_logprobs(model, rows)
        return dpo_loss(policy_chosen, policy_rejected, ref_chosen[rows], ref_rejected[rows], beta)

    return train_loop(
        model,
        shuffled_batches(list(range(len(ref_chosen))), batch_size, seed=seed),
        loss_fn,
        opt,
        num_steps,
        scheduler=warmup_cosine_schedule(opt, num_steps, num_steps // 10),
        desc=desc,
        progress=progress,
    )
