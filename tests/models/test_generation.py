"""Tests for course_utils.models.generation (notebook 05)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from course_utils.models.generation import context_window, filter_logits, generate, next_token
from course_utils.models.gpt import GPT, GPTConfig

NEG = float("-inf")


class Bigram(nn.Module):
    """A model whose next-token logits depend only on the last token: a fixed table."""

    def __init__(self, table: torch.Tensor, max_len: int | None = 6):
        super().__init__()
        self.table = nn.Parameter(table, requires_grad=False)
        self.config = SimpleNamespace(max_len=max_len)
        self.calls: list[tuple[int, ...]] = []

    def forward(self, input_ids, attention_mask=None):
        self.calls.append(tuple(input_ids.shape))
        return SimpleNamespace(logits=self.table[input_ids])


def cycle_table(vocab: int = 5) -> torch.Tensor:
    """Token i -> i + 1 (mod vocab) is by far the most likely."""
    table = torch.zeros(vocab, vocab)
    for i in range(vocab):
        table[i, (i + 1) % vocab] = 10.0
    return table


def test_filter_logits_top_k_by_hand():
    logits = torch.tensor([[1.0, 4.0, 3.0, 2.0], [0.0, -1.0, 5.0, 5.0]])
    out = filter_logits(logits, top_k=2)
    assert out.tolist() == [[NEG, 4.0, 3.0, NEG], [NEG, NEG, 5.0, 5.0]]
    assert torch.equal(filter_logits(logits, top_k=10), logits)
    assert logits[0, 0] == 1.0  # input unchanged


def test_filter_logits_top_p_by_hand():
    probs = torch.tensor([[0.05, 0.5, 0.15, 0.3]])
    logits = probs.log()
    # sorted: 0.5, 0.3, 0.15, 0.05; mass before each: 0, 0.5, 0.8, 0.95
    out = filter_logits(logits, top_p=0.75)
    assert torch.isinf(out[0, [0, 2]]).all() and torch.isfinite(out[0, [1, 3]]).all()
    out = filter_logits(logits, top_p=0.9)  # keeps 0.5, 0.3, 0.15
    assert torch.isinf(out[0, 0]) and torch.isfinite(out[0, 1:]).all()
    out = filter_logits(logits, top_p=0.1)  # the most likely token is always kept
    assert torch.isfinite(out).sum() == 1 and torch.isfinite(out[0, 1])
    assert torch.equal(filter_logits(logits, top_p=1.0), logits)


def test_filter_logits_matches_transformers_warpers():
    from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper

    torch.manual_seed(0)
    logits = torch.randn(4, 50)
    ours = filter_logits(logits, top_k=7)
    theirs = TopKLogitsWarper(top_k=7)(None, logits.clone())
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))
    ours = filter_logits(logits, top_p=0.6)
    theirs = TopPLogitsWarper(top_p=0.6)(None, logits.clone())
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))


@pytest.mark.parametrize("top_p", [0.0, -0.1, 1.5, True, "0.5"])
def test_top_p_outside_zero_one_is_refused(top_p):
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(torch.zeros(1, 3), top_p=top_p)
    with pytest.raises(ValueError, match="top_p"):
        generate(Bigram(cycle_table()), torch.tensor([[0]]), 2, do_sample=True, top_p=top_p)


@pytest.mark.parametrize("top_k", [0, -2, 1.5])
def test_bad_top_k_is_refused(top_k):
    with pytest.raises(ValueError, match="top_k"):
        filter_logits(torch.zeros(1, 3), top_k=top_k)


@pytest.mark.parametrize("temperature", [0, 0.0, -1.0])
def test_non_positive_temperature_with_sampling_is_refused(temperature):
    model = Bigram(cycle_table())
    with pytest.raises(ValueError, match="temperature must be > 0"):
        generate(model, torch.tensor([[0]]), 3, do_sample=True, temperature=temperature)
    # greedy decoding ignores the temperature
    out = generate(model, torch.tensor([[0]]), 3, temperature=temperature)
    assert out.tolist() == [[0, 1, 2, 3]]


def test_greedy_follows_the_argmax_and_batches():
    model = Bigram(cycle_table())
    out = generate(model, torch.tensor([[0, 1], [3, 4]]), 4)
    assert out.tolist() == [[0, 1, 2, 3, 4, 0], [3, 4, 0, 1, 2, 3]]


def test_prompt_longer_than_window_is_refused_or_cropped():
    model = Bigram(cycle_table(), max_len=6)
    prompt = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2]])
    with pytest.raises(ValueError, match="exceeds the model's context window of 6"):
        generate(model, prompt, 2)
    out = generate(model, prompt, 2, crop=True)
    assert out.tolist() == [[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]]
    assert max(shape[1] for shape in model.calls) == 6  # the model never saw more than 6


def test_sliding_window_past_the_context():
    model = GPT(GPTConfig(vocab_size=7, d_model=8, num_heads=2, num_layers=1, d_ff=16, max_len=4))
    out = generate(model, torch.tensor([[1, 2]]), 10)  # grows to 12 > max_len = 4
    assert out.shape == (1, 12)


def test_sampling_is_reproducible_and_respects_top_k():
    table = torch.zeros(5, 5)  # uniform next-token distribution
    model = Bigram(table, max_len=None)
    prompt = torch.zeros(3, 1, dtype=torch.long)
    a = generate(model, prompt, 30, do_sample=True, generator=torch.Generator().manual_seed(1))
    b = generate(model, prompt, 30, do_sample=True, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert len(set(a[:, 1:].flatten().tolist())) > 2
    table[:, 3] = 1.0  # token 3 is the single top-1 choice
    c = generate(model, prompt, 30, do_sample=True, top_k=1, generator=torch.Generator())
    assert (c[:, 1:] == 3).all()
    d = generate(model, prompt, 30, do_sample=True, top_p=0.01, generator=torch.Generator())
    assert (d[:, 1:] == 3).all()


def test_temperature_sharpens_the_distribution():
    logits = torch.tensor([[2.0, 1.0, 0.0]]).expand(4000, 3)
    gen = torch.Generator().manual_seed(0)
    cold = next_token(logits, do_sample=True, temperature=0.25, generator=gen)
    hot = next_token(logits, do_sample=True, temperature=4.0, generator=gen)
    p_cold = (cold == 0).float().mean().item()
    p_hot = (hot == 0).float().mean().item()
    expected_cold = 1 / (1 + math.exp(-4) + math.exp(-8))
    assert p_cold == pytest.approx(expected_cold, abs=0.02)
    assert p_hot == pytest.approx(1 / (1 + math.exp(-0.25) + math.exp(-0.5)), abs=0.03)


def test_eos_stops_and_pads():
    model = Bigram(cycle_table(), max_len=None)
    out = generate(model, torch.tensor([[0], [2]]), 6, eos_id=3)
    assert out.tolist() == [[0, 1, 2, 3, 3, 3, 3], [2, 3, 3, 3, 3, 3, 3]]
    assert len(model.calls) == 3  # stopped once both rows had produced eos


def test_left_padded_batch_matches_single_prompts():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=9, d_model=16, num_heads=2, num_layers=2, max_len=16))
    model.reset_parameters(std=0.5)  # a peaked, non-trivial distribution
    prompts = [[1, 2, 3, 4], [5, 6]]
    batch = torch.tensor([[1, 2, 3, 4], [0, 0, 5, 6]])
    mask = torch.tensor([[1, 1, 1, 1], [0, 0, 1, 1]])
    out = generate(model, batch, 5, attention_mask=mask)
    for row, prompt in zip(out, prompts, strict=True):
        alone = generate(model, torch.tensor([prompt]), 5)[0]
        assert row[-5:].tolist() == alone[-5:].tolist()


def test_mode_is_restored_and_bad_inputs():
    model = Bigram(cycle_table()).train()
    generate(model, torch.tensor([[0]]), 1)
    assert model.training
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(model, torch.tensor([[0]]), -1)
    with pytest.raises(ValueError, match=r"\[batch, T\]"):
        generate(model, torch.tensor([0]), 1)
    with pytest.raises(TypeError, match="integer ids"):
        generate(model, torch.tensor([[0.0]]), 1)
    with pytest.raises(ValueError, match="attention_mask"):
        generate(model, torch.tensor([[0]]), 1, attention_mask=torch.ones(1, 2))
    assert context_window(model) == 6
    assert context_window(nn.Linear(2, 2)) is None


def test_greedy_matches_transformers_generate_on_a_tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=40,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=32,
    )
    model = LlamaForCausalLM(config).eval()
    prompt = torch.tensor([[3, 7, 11, 5]])
    ours = generate(model, prompt, 8)
    theirs = model.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=8,
        do_sample=False,
        pad_token_id=0,
    )
    assert ours.tolist() == theirs.tolist()
    assert context_window(model) == 32


def test_load_smollm2_without_a_gguf_file_says_how_to_fetch(tmp_path):
    from course_utils.models.pretrained import load_smollm2

    with pytest.raises(FileNotFoundError, match="assets fetch smollm2"):
        load_smollm2(folder=tmp_path)
