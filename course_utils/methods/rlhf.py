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
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

__all__ = [
    "AdaptiveKLController",
    "RLHistory",
    "RewardModel",
    "bradley_terry_loss",
    "categorical_kl",
    "completion_logprobs",
    "dpo_implicit_reward",
    "dpo_loss",
    "frozen_copy",
    "grouped_bradley_terry_loss",
    "kl_estimate",
    "optimal_policy",
    "ppo_clip_loss",
    "rl_train",
    "rloo_advantages",
    "sample_completions",
    "sequence_kl",
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
