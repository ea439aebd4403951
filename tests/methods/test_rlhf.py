"""Tests of course_utils.methods.rlhf: the toy loop of notebook 09 and the chat-model helpers of 09b."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.methods.rlhf import (
    AdaptiveKLController,
    RewardModel,
    bradley_terry_loss,
    categorical_kl,
    chat_ids,
    completion_logprobs,
    dpo_implicit_reward,
    dpo_loss,
    dpo_train,
    frozen_copy,
    generate_replies,
    grouped_bradley_terry_loss,
    kl_estimate,
    optimal_policy,
    pack_replies,
    ppo_clip_loss,
    reply_kl,
    reply_logprobs,
    reply_token_logprobs,
    rl_train,
    rloo_advantages,
    sample_completions,
    sequence_kl,
    stopped_reply_logprobs,
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


# ----------------------------------------------------------------------------- a real chat model
# (notebook 09b) on a tiny random Llama and a tiny word-level tokenizer with a chat template

CHAT_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + ' ' + m['content'] + ' <|im_end|> ' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant ' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<unk>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant"]
    words += "what is the capital of kenya ? nairobi . it is big".split()
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<|im_end|>"
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _tiny_llama(seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=24,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    return LlamaForCausalLM(config).eval()


def test_chat_ids_follow_the_template(tiny_tokenizer):
    tok = tiny_tokenizer
    prompt, reply = chat_ids(tok, "what is the capital of kenya ?", "nairobi .")
    words = tok.convert_ids_to_tokens(prompt)
    assert words[:3] == ["<|im_start|>", "system", "<|im_end|>"]  # system "" is an empty turn
    assert words[-2:] == ["<|im_start|>", "assistant"]
    assert tok.convert_ids_to_tokens(reply) == ["nairobi", ".", "<|im_end|>"]
    no_system, empty = chat_ids(tok, "what is the capital of kenya ?", system=None)
    assert empty == [] and no_system == prompt[3:]  # this template has no default system turn
    with pytest.raises(ValueError, match="prompt"):
        chat_ids(tok, " ")


def test_pack_replies_hand_case():
    packed = pack_replies([[1, 2], [3]], [[4], [5, 6, 7]], pad_id=0)
    assert packed.input_ids.tolist() == [[1, 2, 4, 0], [3, 5, 6, 7]]
    assert packed.attention_mask.tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert packed.reply_mask.tolist() == [[False, False, True, False], [False, True, True, True]]
    first = packed.select([0])  # cut to its own length
    assert first.input_ids.tolist() == [[1, 2, 4]] and first.reply_mask.tolist() == [[0, 0, 1]]
    with pytest.raises(ValueError, match="same length"):
        pack_replies([[1]], [[2], [3]], 0)
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        pack_replies([[1], [2]], [[3], []], 0)


def _unpadded_reply_logprob(model, prompt, reply):
    ids = torch.tensor([prompt + reply])
    logp = F.log_softmax(model(ids).logits[0, :-1], -1)  # position t - 1 scores token t
    targets = ids[0, 1:]
    return logp[torch.arange(len(targets)), targets][len(prompt) - 1 :].sum()


PROMPTS = [[1, 3, 2, 1, 4, 6, 7], [1, 4, 9, 10, 2, 1, 5], [1, 4, 6, 2, 1, 5]]
REPLIES = [[12, 13, 2], [14, 15, 16, 17, 2], [18, 2]]


def test_reply_logprobs_match_each_sequence_alone():
    model = _tiny_llama()
    packed = pack_replies(PROMPTS, REPLIES, pad_id=2)
    expected = torch.stack(
        [_unpadded_reply_logprob(model, p, r) for p, r in zip(PROMPTS, REPLIES, strict=True)]
    )
    with torch.no_grad():
        got = reply_logprobs(model, packed)
        in_batches = reply_logprobs(model, packed, batch_size=2)
    assert torch.allclose(got, expected, atol=1e-5)
    assert torch.allclose(in_batches, expected, atol=1e-5)
    token_logp, stop_logp = reply_token_logprobs(model, packed, stop_id=2)
    assert (token_logp[~packed.reply_mask] == 0).all() and (token_logp[packed.reply_mask] < 0).all()
    assert torch.allclose(token_logp.sum(-1), expected, atol=1e-5)
    # where the token is the stop token itself, both log-probabilities are the same number
    is_stop = packed.reply_mask & (packed.input_ids == 2)
    assert torch.allclose(token_logp[is_stop], stop_logp[is_stop])
    token_logp.sum().backward()  # gradients flow to the weights
    assert model.model.embed_tokens.weight.grad is not None


def test_stopped_reply_equals_the_short_reply_scored_alone():
    model = _tiny_llama()
    long = pack_replies(PROMPTS, REPLIES, pad_id=2)
    num_kept = torch.tensor([1, 3, 0])
    short = pack_replies(
        PROMPTS, [r[:k] + [2] for r, k in zip(REPLIES, num_kept.tolist(), strict=True)], 2
    )
    with torch.no_grad():
        token_logp, stop_logp = reply_token_logprobs(model, long, stop_id=2)
        got = stopped_reply_logprobs(token_logp, stop_logp, long.reply_mask, num_kept)
        assert torch.allclose(got, reply_logprobs(model, short), atol=1e-5)
        # keeping every token but the final stop token gives the whole reply back
        whole = stopped_reply_logprobs(
            token_logp, stop_logp, long.reply_mask, torch.tensor([2, 4, 1])
        )
        assert torch.allclose(whole, token_logp.sum(-1), atol=1e-6)
    with pytest.raises(ValueError, match="num_kept"):
        stopped_reply_logprobs(token_logp, stop_logp, long.reply_mask, torch.tensor([3, 0, 0]))


def test_generate_replies_batched_equals_one_by_one():
    model = _tiny_llama(seed=3)
    alone = [
        model.generate(torch.tensor([p]), max_new_tokens=6, do_sample=False, pad_token_id=0)[
            0, len(p) :
        ].tolist()
        for p in PROMPTS
    ]
    eos = alone[1][2]  # a token the second reply writes third: that reply stops there
    batched = generate_replies(model, PROMPTS, eos_id=eos, pad_id=0, max_new_tokens=6)
    for got, full in zip(batched, alone, strict=True):
        expected = full[: full.index(eos) + 1] if eos in full else full
        assert got == expected
    assert batched[1] == alone[1][:3]
    assert (
        generate_replies(model, PROMPTS, eos_id=eos, pad_id=0, max_new_tokens=6, batch_size=1)
        == batched
    )
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate_replies(model, PROMPTS, eos_id=eos, pad_id=0, max_new_tokens=0)


def test_reply_kl_against_the_adapters_off_reference():
    from course_utils.nn.lora import LoRALinear, adapters_disabled, apply_lora

    model = _tiny_llama()
    apply_lora(model, ["q_proj", "v_proj"], rank=2)
    packed = pack_replies(PROMPTS, REPLIES, pad_id=2)
    assert torch.allclose(reply_kl(model, packed), torch.zeros(3), atol=1e-6)  # B = 0 at start
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, LoRALinear):
            torch.nn.init.normal_(m.lora_B, std=0.5)
    kl = reply_kl(model, packed, batch_size=2)
    assert (kl > 0).all()
    # the same number from a separate frozen copy, taken while the adapters were off
    with adapters_disabled(model):
        reference = frozen_copy(model)
    assert torch.allclose(reply_kl(model, packed, reference=reference), kl, atol=1e-5)
    # by hand: the exact KL of the next-token distributions, summed over the reply positions
    with torch.no_grad():
        p = model(packed.input_ids, attention_mask=packed.attention_mask).logits
        with adapters_disabled(model):
            q = model(packed.input_ids, attention_mask=packed.attention_mask).logits
    per_position = categorical_kl(p[:, :-1], q[:, :-1])  # scores tokens 1..T-1
    by_hand = (per_position * packed.reply_mask[:, 1:]).sum(-1)
    assert torch.allclose(kl, by_hand, atol=1e-5)


def test_dpo_train_moves_only_the_adapters_and_learns_the_pairs():
    from course_utils.nn.lora import adapters_disabled, apply_lora

    model = _tiny_llama()
    apply_lora(model, ["q_proj", "v_proj"], rank=4)
    chosen = pack_replies(PROMPTS, [[12, 2], [14, 2], [18, 2]], pad_id=2)
    rejected = pack_replies(PROMPTS, [[12, 13, 2], [14, 15, 2], [18, 19, 2]], pad_id=2)

    def pair_logprobs(model, rows):
        return reply_logprobs(model, chosen.select(rows)), reply_logprobs(
            model, rejected.select(rows)
        )

    with torch.no_grad(), adapters_disabled(model):
        ref_chosen, ref_rejected = pair_logprobs(model, [0, 1, 2])
    frozen = {k: v.clone() for k, v in model.state_dict().items() if "lora_" not in k}
    history = dpo_train(
        model, pair_logprobs, ref_chosen, ref_rejected, num_steps=30, batch_size=3, lr=5e-2,
        beta=1.0, progress=False,
    )  # fmt: skip
    assert len(history.losses) == 30 and history.losses[0] == pytest.approx(math.log(2), abs=1e-5)
    assert history.losses[-1] < 0.55  # from log 2 = 0.69
    with torch.no_grad():
        policy_chosen, policy_rejected = pair_logprobs(model, [0, 1, 2])
    margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    assert (margin > 0).all()
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in frozen.items())  # the base model is untouched
    with pytest.raises(ValueError, match="one value per pair"):
        dpo_train(model, pair_logprobs, ref_chosen, ref_rejected[:2], num_steps=1)


def test_dpo_loss_agrees_with_trl():
    """The course's dpo_loss = TRL's DPOTrainer loss (loss_type "sigmoid") on the same
    log-probabilities, values and gradients. TRL computes its loss inside
    ``DPOTrainer._compute_loss``; we call that very method on a stand-in trainer that holds
    only the settings it reads, with pre-computed reference log-probabilities and a stand-in
    model whose per-token log-probabilities sum to the policy's sequence log-probabilities."""
    from collections import defaultdict
    from types import SimpleNamespace

    trl_dpo = pytest.importorskip("trl.trainer.dpo_trainer")

    class StandInTrainer:
        compute_loss = trl_dpo.DPOTrainer.compute_loss  # TRL's own code, called on this object
        _compute_loss = trl_dpo.DPOTrainer._compute_loss

        def __init__(self, beta):
            self.beta, self.loss_types, self.loss_weights = beta, ["sigmoid"], [1.0]
            self.f_divergence_type, self.ld_alpha, self.use_weighting = "reverse_kl", None, False
            self.precompute_ref_logps, self.aux_loss_enabled = True, False
            self.model = SimpleNamespace(training=True)
            self.accelerator = SimpleNamespace(
                device="cpu", gather=lambda t: t, gather_for_metrics=lambda t: t
            )
            self._metrics = defaultdict(lambda: defaultdict(list))
            self._total_train_tokens, self._tp_size = 0, 1

    def stand_in_model(policy_logps):
        # TRL's fused LM head returns per-token log-probabilities [2N, T - 1], chosen rows
        # first; one completion token per row makes them the sequence log-probabilities.
        def forward(**kwargs):
            n = len(policy_logps)
            return SimpleNamespace(
                log_probs=policy_logps[:, None],
                entropy=torch.zeros(n, 1),
                mean_logits=torch.zeros(n, 1),
                is_top1=torch.zeros(n, 1, dtype=torch.bool),
            )

        return forward

    g = torch.Generator().manual_seed(0)
    n = 6
    policy_chosen, policy_rejected, ref_chosen, ref_rejected = (
        -20 * torch.rand(n, generator=g) for _ in range(4)
    )
    for beta in (0.1, 0.5, 2.0):
        ours_c, ours_r = (
            policy_chosen.clone().requires_grad_(),
            policy_rejected.clone().requires_grad_(),
        )
        ours = dpo_loss(ours_c, ours_r, ref_chosen, ref_rejected, beta)
        ours.backward()
        trl_c, trl_r = (
            policy_chosen.clone().requires_grad_(),
            policy_rejected.clone().requires_grad_(),
        )
        inputs = {
            "input_ids": torch.zeros(2 * n, 2, dtype=torch.long),
            "attention_mask": torch.ones(2 * n, 2, dtype=torch.long),
            "completion_mask": torch.tensor([[0, 1]] * (2 * n)),
            "ref_chosen_logps": ref_chosen,
            "ref_rejected_logps": ref_rejected,
        }
        theirs = StandInTrainer(beta).compute_loss(
            stand_in_model(torch.cat([trl_c, trl_r])), inputs
        )
        theirs.backward()
        assert theirs.item() == pytest.approx(ours.item(), rel=1e-6)
        assert torch.allclose(trl_c.grad, ours_c.grad, atol=1e-7)
        assert torch.allclose(trl_r.grad, ours_r.grad, atol=1e-7)
