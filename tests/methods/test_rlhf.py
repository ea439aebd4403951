"""Tests of course_utils.methods.rlhf and course_utils.corpora.rlhf_prompts (notebook 09)."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.methods.rlhf import (
    AdaptiveKLController,
    RewardModel,
    bradley_terry_loss,
    categorical_kl,
    completion_logprobs,
    dpo_implicit_reward,
    dpo_loss,
    frozen_copy,
    grouped_bradley_terry_loss,
    kl_estimate,
    optimal_policy,
    ppo_clip_loss,
    rl_train,
    rloo_advantages,
    sample_completions,
    sequence_kl,
    total_variation,
)
from course_utils.models.gpt import GPT, GPTConfig

# ----------------------------------------------------------------------------- KL


def test_categorical_kl_closed_form():
    p = torch.tensor([0.5, 0.25, 0.25])
    q = torch.tensor([0.25, 0.25, 0.5])
    expected = 0.5 * math.log(2) + 0.25 * math.log(0.5)  # = 0.25 log 2
    assert categorical_kl(p.log(), q.log()).item() == pytest.approx(expected, abs=1e-6)
    assert categorical_kl(p.log(), p.log()).item() == pytest.approx(0.0, abs=1e-7)
    # unnormalised logits give the same answer
    assert categorical_kl(p.log() + 3.0, q.log() - 1.0).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("kind", ["k1", "k3"])
def test_kl_estimators_unbiased_on_categorical(kind):
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([0.6, 0.2, 0.1, 0.1])
    q = torch.tensor([0.25, 0.25, 0.25, 0.25])
    exact = categorical_kl(p.log(), q.log()).item()
    x = torch.multinomial(p, 200_000, replacement=True, generator=g)
    estimate = kl_estimate(p.log()[x], q.log()[x], kind).mean().item()
    assert estimate == pytest.approx(exact, abs=0.01)
    # exact expectations of k1 and k3 under p equal the KL
    ratio = p.log() - q.log()
    expected = (p * kl_estimate(p.log(), q.log(), kind)).sum().item()
    assert expected == pytest.approx(exact, abs=1e-6)
    assert (p * ratio).sum().item() == pytest.approx(exact, abs=1e-6)


def test_k3_never_negative_and_bad_kind():
    lp = torch.randn(100)
    assert (kl_estimate(lp, torch.randn(100), "k3") >= 0).all()
    with pytest.raises(ValueError, match="kind"):
        kl_estimate(lp, lp, "k4")
    with pytest.raises(ValueError, match="same shape"):
        kl_estimate(lp, lp[:3])


# ----------------------------------------------------------------------------- Bradley-Terry


def test_bradley_terry_loss_hand_cases():
    zero = torch.zeros(3)
    assert bradley_terry_loss(zero, zero).item() == pytest.approx(math.log(2))
    # margin 1 -> log(1 + e^-1); margin -1 -> log(1 + e)
    assert bradley_terry_loss(torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(
        math.log(1 + math.exp(-1))
    )
    assert bradley_terry_loss(torch.tensor([2.0]), torch.tensor([3.0])).item() == pytest.approx(
        math.log(1 + math.e)
    )
    got = bradley_terry_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 3.0])).item()
    assert got == pytest.approx((math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2)


# ----------------------------------------------------------------------------- PPO and RLOO


def test_ppo_clip_values_and_gradients():
    old = torch.zeros(4)
    logp = torch.log(torch.tensor([1.0, 1.5, 0.5, 1.1])).requires_grad_()
    adv = torch.tensor([1.0, 1.0, -1.0, -1.0])
    loss = ppo_clip_loss(logp, old, adv, clip_eps=0.2)
    # per sample: min(r A, clip(r) A) = 1, 1.2 (clipped), -0.8 (clipped), -1.1
    assert loss.item() == pytest.approx(-(1.0 + 1.2 - 0.8 - 1.1) / 4)
    loss.backward()
    # gradient d/dlogp of -r*A/4 where unclipped, zero where clipped
    expected = torch.tensor([-1.0 / 4, 0.0, 0.0, 1.1 / 4])
    assert torch.allclose(logp.grad, expected, atol=1e-6)


def test_ppo_clip_at_ratio_one_is_policy_gradient():
    logits = torch.randn(5, requires_grad=True)
    logp = F.log_softmax(logits, -1)
    adv = torch.randn(5)
    ppo_clip_loss(logp, logp.detach(), adv).backward()
    g1 = logits.grad.clone()
    logits.grad = None
    (-(F.log_softmax(logits, -1) * adv).mean()).backward()
    assert torch.allclose(g1, logits.grad, atol=1e-6)


def test_rloo_advantages():
    rewards = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
    expected = torch.tensor([[1 - 2.5, 2 - 2.0, 3 - 1.5], [0 - 3.0, 0 - 3.0, 6.0]])
    assert torch.allclose(rloo_advantages(rewards), expected)
    with pytest.raises(ValueError, match="k >= 2"):
        rloo_advantages(torch.ones(3, 1))


def test_adaptive_kl_controller():
    ctl = AdaptiveKLController(0.1, target=6.0, horizon=10)
    assert ctl.update(12.0) == pytest.approx(0.1 * 1.02)  # error clipped at +0.2
    assert ctl.update(6.0) == pytest.approx(0.1 * 1.02)  # on target: unchanged
    assert ctl.update(3.0) == pytest.approx(0.1 * 1.02 * 0.98)
    with pytest.raises(ValueError, match="horizon"):
        AdaptiveKLController(0.1, 6.0, 0)


# ----------------------------------------------------------------------------- bandit optimum

PI_REF = torch.tensor([0.4, 0.3, 0.2, 0.1])
REWARDS = torch.tensor([0.0, 0.5, 1.0, -0.5])
BETA = 0.5


def test_optimal_policy_closed_form():
    pi_star = optimal_policy(PI_REF, REWARDS, BETA)
    unnorm = PI_REF * torch.exp(REWARDS / BETA)
    assert torch.allclose(pi_star, unnorm / unnorm.sum())
    assert total_variation(pi_star, pi_star).item() == 0.0
    assert total_variation(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])).item() == 1.0


def test_rl_update_reaches_kl_regularised_optimum_on_bandit():
    # RLOO with the KL penalty in the reward, PPO clip loss, sampled actions.
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    logits = PI_REF.log().clone().requires_grad_()
    opt = torch.optim.Adam([logits], lr=0.05)
    num_prompts, k = 64, 8
    for step in range(400):
        for group in opt.param_groups:
            group["lr"] = 0.05 * (1 - step / 400) + 0.002
        with torch.no_grad():
            probs = F.softmax(logits, -1)
            a = torch.multinomial(probs, num_prompts * k, replacement=True, generator=g)
            old_logp = probs.log()[a]
            reward = REWARDS[a] - BETA * kl_estimate(old_logp, PI_REF.log()[a])
            adv = rloo_advantages(reward.view(num_prompts, k)).view(-1)
        for _ in range(2):  # two PPO epochs on each batch
            loss = ppo_clip_loss(F.log_softmax(logits, -1)[a], old_logp, adv)
            opt.zero_grad()
            loss.backward()
            opt.step()
    tv = total_variation(F.softmax(logits, -1).detach(), optimal_policy(PI_REF, REWARDS, BETA))
    assert tv.item() <= 0.02, tv


def test_dpo_reaches_kl_regularised_optimum_on_bandit():
    # Preferences from Bradley-Terry with the true rewards, every ordered pair weighted by how
    # often it is shown (pi_ref x pi_ref) and labelled with P(i > j) = sigmoid(r_i - r_j).
    logits = PI_REF.log().clone().requires_grad_()
    i, j = torch.meshgrid(torch.arange(4), torch.arange(4), indexing="ij")
    i, j = i.reshape(-1), j.reshape(-1)
    weight = PI_REF[i] * PI_REF[j] * torch.sigmoid(REWARDS[i] - REWARDS[j])  # i chosen over j
    opt = torch.optim.Adam([logits], lr=0.05)
    for _ in range(1500):
        logp = F.log_softmax(logits, -1)
        losses = dpo_loss(
            logp[i], logp[j], PI_REF.log()[i], PI_REF.log()[j], beta=BETA, reduction="none"
        )
        loss = (weight * losses).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    pi = F.softmax(logits, -1).detach()
    tv = total_variation(pi, optimal_policy(PI_REF, REWARDS, BETA))
    assert tv.item() <= 0.02, tv
    # the implicit reward recovers the true reward differences
    implicit = dpo_implicit_reward(pi.log(), PI_REF.log(), BETA)
    assert torch.allclose(implicit - implicit[0], REWARDS - REWARDS[0], atol=0.05)


def test_dpo_loss_hand_case_and_errors():
    z = torch.zeros(2)
    assert dpo_loss(z, z, z, z).item() == pytest.approx(math.log(2))
    one = torch.ones(1)
    got = dpo_loss(one * 2, one * 0, one * 0, one * 0, beta=0.5).item()
    assert got == pytest.approx(math.log(1 + math.exp(-1)))
    with pytest.raises(ValueError, match="reduction"):
        dpo_loss(z, z, z, z, reduction="sum")


# ----------------------------------------------------------------------------- with a tiny GPT


def _tiny_gpt(seed=0):
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=11, d_model=16, num_heads=2, num_layers=1, d_ff=32, max_len=12))


def test_completion_logprobs_match_step_by_step():
    model = _tiny_gpt().eval()
    ids = torch.tensor([[1, 4, 5, 6, 7, 8], [1, 3, 3, 9, 2, 10]])
    got = completion_logprobs(model, ids, prompt_len=3)
    assert got.shape == (2, 3)
    for t in range(3, 6):
        logp = F.log_softmax(model(ids[:, :t]).logits[:, -1], -1)
        assert torch.allclose(got[:, t - 3], logp[torch.arange(2), ids[:, t]], atol=1e-5)
    with pytest.raises(ValueError, match="prompt_len"):
        completion_logprobs(model, ids, prompt_len=6)


def test_sampling_and_sequence_kl():
    model = _tiny_gpt()
    ref = frozen_copy(model)
    assert not any(p.requires_grad for p in ref.parameters())
    prompts = torch.tensor([[1, 4, 5]] * 3)
    g = torch.Generator().manual_seed(0)
    seqs = sample_completions(model, prompts, 5, generator=g, banned_ids=(0, 1))
    assert seqs.shape == (3, 8) and torch.equal(seqs[:, :3], prompts)
    assert not torch.isin(seqs[:, 3:], torch.tensor([0, 1])).any()
    assert torch.allclose(sequence_kl(model, ref, seqs, 3), torch.zeros(3), atol=1e-6)
    other = _tiny_gpt(seed=1)
    assert (sequence_kl(other, ref, seqs, 3) > 0).all()


def test_reward_model_and_rl_train_smoke():
    torch.manual_seed(0)
    rm = RewardModel(_tiny_gpt(), d_model=16)
    ids = torch.tensor([[1, 4, 5, 6, 7]])
    assert rm(ids, 2).shape == (1,) and rm(ids, 2).item() == 0.0  # zero-initialised head
    policy, ref = _tiny_gpt(), frozen_copy(_tiny_gpt())
    prompts = torch.tensor([[1, 4], [1, 5]])

    def reward_fn(seqs, prompt_len):  # likes token 7
        return (seqs[:, prompt_len:] == 7).float().sum(-1)

    history = rl_train(
        policy,
        ref,
        reward_fn,
        prompts,
        num_steps=3,
        num_new=4,
        beta=AdaptiveKLController(0.1, 1.0, 10),
        prompts_per_step=2,
        k=3,
        generator=torch.Generator().manual_seed(0),
        true_score_fn=lambda s: s[:, 2:].float().mean(-1),
        progress=False,
    )
    assert len(history.reward) == len(history.kl) == len(history.true_score) == 3
    assert history.beta[0] == 0.1


# ----------------------------------------------------------------------------- preferences


def test_grouped_bradley_terry_loss_matches_pairwise():
    scores = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.3, 0.1]])
    labels = torch.tensor([[True, False, True], [False, False, True]])  # pairs (0,1) (0,2) (1,2)
    chosen = torch.tensor([0.5, 2.0, -1.0, 0.3, 0.1, 0.3])
    rejected = torch.tensor([-1.0, 0.5, 2.0, 0.0, 0.0, 0.1])
    assert grouped_bradley_terry_loss(scores, labels).item() == pytest.approx(
        bradley_terry_loss(chosen, rejected).item()
    )
    with pytest.raises(ValueError, match="labels"):
        grouped_bradley_terry_loss(scores, labels[:, :2])
