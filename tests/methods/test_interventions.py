"""Tests of course_utils.methods.interventions: mean ablation and activation patching."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.methods import interventions
from course_utils.models.bart import BartConfig, BartModel
from course_utils.nn.attention import MultiHeadAttention


def tiny_bart() -> BartModel:
    torch.manual_seed(0)
    config = BartConfig(vocab_size=20, d_model=16, num_heads=4, num_encoder_layers=2,
                        num_decoder_layers=1, d_ff=32, max_len=12, dropout=0.0)  # fmt: skip
    return BartModel(config).eval()


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(4, 20, (3, 7), generator=g), torch.randint(4, 20, (3, 5), generator=g)


def test_attention_modules_are_named_in_model_order():
    names = list(interventions.attention_modules(tiny_bart()))
    assert names == [
        "encoder_layers.0.attention",
        "encoder_layers.1.attention",
        "decoder_layers.0.self_attention",
        "decoder_layers.0.cross_attention",
    ]
    with pytest.raises(ValueError, match="no course MultiHeadAttention"):
        interventions.attention_modules(nn.Linear(2, 2))


def test_head_means_average_each_heads_output_over_the_real_positions():
    attention = MultiHeadAttention(8, num_heads=2).eval()
    x = torch.randn(2, 3, 8)
    real = torch.tensor([[True, True, False], [True, False, False]])
    means = interventions.head_output_means(attention, lambda: attention(x), lambda name, inp: real)
    with torch.no_grad():
        heads = attention._split_heads(attention.v_proj(x))  # [B, H, T, d_k]
        weights = attention(x, return_attention=True)[1]  # [B, H, T, T]
        per_head = (weights @ heads).transpose(1, 2)  # [B, T, H, d_k]
    assert torch.allclose(means[""], per_head[real].mean(0), atol=1e-6)


def test_ablating_every_head_makes_the_output_independent_of_the_input():
    attention = MultiHeadAttention(8, num_heads=2).eval()
    means = {"": torch.randn(2, 4)}
    all_heads = [("", 0), ("", 1)]
    x1, x2 = torch.randn(1, 3, 8), torch.randn(1, 3, 8)
    with torch.no_grad(), interventions.mean_ablation(attention, all_heads, means):
        out1, out2 = attention(x1)[0], attention(x2)[0]
    assert torch.allclose(out1, out2)
    with torch.no_grad(), interventions.mean_ablation(attention, [("", 0)], means):
        partly = attention(x1)[0]
    with torch.no_grad():
        intact = attention(x1)[0]  # the hooks are gone after the block
    assert not torch.allclose(partly, intact) and not torch.allclose(out1, intact)


def test_ablation_refuses_unknown_heads():
    model = tiny_bart()
    with pytest.raises(KeyError, match="no attention module 'encoder_layers.5.attention'"):
        with interventions.mean_ablation(model, [("encoder_layers.5.attention", 0)], {}):
            pass
    with pytest.raises(ValueError, match="has 4 heads, got head 4"):
        with interventions.mean_ablation(model, [("encoder_layers.0.attention", 4)], {}):
            pass


def test_patching_every_position_reproduces_the_other_run_and_none_changes_nothing():
    model = tiny_bart()
    (src_a, tgt_a), (src_b, _) = batch(0), batch(1)
    module = model.encoder_embeddings
    store: dict = {}
    with torch.no_grad():
        with interventions.record_activation(module, store):
            model(src_b, tgt_a)
        run_b = model(src_b, tgt_a).logits
        run_a = model(src_a, tgt_a).logits
        everywhere = torch.ones(src_a.shape, dtype=torch.bool)
        with interventions.patch_activation(model.encoder_embeddings, store["output"], everywhere):
            patched_all = model(src_a, tgt_a).logits
        with interventions.patch_activation(module, store["output"], [[] for _ in range(3)]):
            patched_none = model(src_a, tgt_a).logits
        with interventions.patch_activation(module, store["output"], [[2]] * 3):
            patched_one = model(src_a, tgt_a).logits
    assert torch.allclose(patched_all, run_b, atol=1e-5)
    assert torch.equal(patched_none, run_a)
    assert not torch.allclose(patched_one, run_a) and not torch.allclose(patched_one, run_b)


def test_patching_a_tuple_returning_block_keeps_the_rest_of_its_output():
    model = tiny_bart()
    (src_a, tgt_a), (src_b, _) = batch(0), batch(1)
    block, store = model.encoder_layers[1], {}
    with torch.no_grad():
        with interventions.record_activation(block, store):
            model(src_b, tgt_a)
        everywhere = torch.ones(src_a.shape, dtype=torch.bool)
        with interventions.patch_activation(block, store["output"], everywhere):
            patched = model(src_a, tgt_a).logits
        with pytest.raises(ValueError, match="patched output"):
            with interventions.patch_activation(block, store["output"][:2], everywhere[:2]):
                model(src_a, tgt_a)
    assert torch.allclose(patched, model(src_b, tgt_a).logits.detach(), atol=1e-5)


def test_greedy_ablation_picks_the_only_head_that_matters_first():
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, num_heads=4).eval()
    with torch.no_grad():  # out_proj reads only head 2 (its d_k = 2 columns 4:6)
        attention.out_proj.weight[:, :4] = 0
        attention.out_proj.weight[:, 6:] = 0
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        reference = attention(x)[0]
    means = {"": torch.full((4, 2), 3.0)}

    def score() -> float:  # lower = further from the intact output
        with torch.no_grad():
            return -float((attention(x)[0] - reference).abs().sum())

    heads = [("", h) for h in range(4)]
    path = interventions.greedy_head_ablation(attention, heads, score, means, num_steps=2)
    assert path[0][0] == ("", 2) and path[0][1] < 0
    assert len(path) == 2 and path[1][0] != ("", 2)


def test_random_head_sets_are_distinct_and_seeded():
    heads = [("m", h) for h in range(6)]
    draws = interventions.random_head_sets(heads, 3, draws=5, seed=1)
    assert all(len(set(d)) == 3 for d in draws) and len(draws) == 5
    assert draws == interventions.random_head_sets(heads, 3, draws=5, seed=1)
