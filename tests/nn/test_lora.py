"""Tests for course_utils.nn.lora: hand-computed cases and a peft reference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.metrics import count_trainable
from course_utils.nn.lora import (
    LoRALinear,
    adapters_disabled,
    apply_lora,
    linear_names,
    lora_state,
    merge_lora,
)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(6, 4)
        self.v_proj = nn.Linear(6, 4)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(torch.cat([self.q_proj(x), self.v_proj(x)], dim=-1))


def test_hand_computed_forward_and_merge():
    base = nn.Linear(2, 2)
    with torch.no_grad():
        base.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        base.bias.copy_(torch.tensor([0.5, -0.5]))
    layer = LoRALinear(base, rank=1, alpha=2.0)
    x = torch.tensor([[1.0, 2.0]])
    assert torch.equal(layer(x), base(x))  # B = 0 at the start
    with torch.no_grad():
        layer.lora_A.copy_(torch.tensor([[1.0, 1.0]]))
        layer.lora_B.copy_(torch.tensor([[1.0], [-1.0]]))
    # x A^T = 3; * B^T = [3, -3]; scaling alpha / r = 2 -> [6, -6]; base = [1.5, 1.5]
    assert torch.allclose(layer(x), torch.tensor([[7.5, -4.5]]))
    merged = layer.merge()
    assert isinstance(merged, nn.Linear)
    assert torch.allclose(merged.weight, torch.tensor([[3.0, 2.0], [-2.0, -1.0]]))
    assert torch.allclose(merged(x), layer(x))
    layer.enabled = False
    assert torch.equal(layer(x), base(x))


def test_init_counts_and_freezing():
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(10, 6), rank=3)
    assert layer.scaling == 1.0 and layer.alpha == 3.0
    assert torch.count_nonzero(layer.lora_B) == 0 and torch.count_nonzero(layer.lora_A) > 0
    assert count_trainable(layer) == (3 * (10 + 6), 10 * 6 + 6 + 3 * (10 + 6))
    assert not layer.base.weight.requires_grad


def test_apply_lora_replaces_targets_and_freezes_rest():
    torch.manual_seed(0)
    model = Tiny()
    x = torch.randn(3, 6)
    before = model(x)
    names = apply_lora(model, ["q_proj", "v_proj"], rank=2, trainable_names=["head"])
    assert names == ["q_proj", "v_proj"]
    assert isinstance(model.q_proj, LoRALinear) and isinstance(model.head, nn.Linear)
    assert torch.equal(model(x), before)
    head = 8 * 2 + 2
    assert count_trainable(model)[0] == 2 * 2 * (6 + 4) + head
    with torch.no_grad():
        model.q_proj.lora_B.normal_()
    assert not torch.allclose(model(x), before)
    with adapters_disabled(model):
        assert torch.equal(model(x), before)
    assert model.q_proj.enabled
    assert lora_state(model, False) == 2 and torch.equal(model(x), before)
    lora_state(model, True)
    after = model(x)
    merge_lora(model)
    assert type(model.q_proj) is nn.Linear
    assert (model(x) - after).abs().max() < 1e-5


def test_training_moves_only_adapters():
    torch.manual_seed(0)
    model = Tiny()
    apply_lora(model, ["q_proj"], rank=2)
    w0 = model.q_proj.base.weight.clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    loss = model(torch.randn(4, 6)).pow(2).sum()
    loss.backward()
    opt.step()
    assert torch.equal(model.q_proj.base.weight, w0)
    assert model.q_proj.lora_B.abs().sum() > 0


def test_bad_input():
    with pytest.raises(ValueError, match="rank must be"):
        LoRALinear(nn.Linear(4, 3), rank=0)
    with pytest.raises(ValueError, match=r"min\(d_in, d_out\) = 1..3"):
        LoRALinear(nn.Linear(4, 3), rank=4)
    with pytest.raises(TypeError, match="base must be"):
        LoRALinear(nn.Conv2d(1, 1, 1), rank=1)
    with pytest.raises(ValueError, match="positive"):
        apply_lora(Tiny(), ["q_proj"], rank=-1)
    with pytest.raises(ValueError, match="layer 'q_proj'"):
        apply_lora(Tiny(), ["q_proj"], rank=5)
    with pytest.raises(ValueError, match=r"match no linear layer.*'q_proj', 'v_proj', 'head'"):
        apply_lora(Tiny(), ["query"], rank=1)
    assert linear_names(Tiny()) == ["q_proj", "v_proj", "head"]


def _copy_into_peft(peft_model, ours, prefix="base_model.model."):
    for name, m in ours.named_modules():
        if isinstance(m, LoRALinear):
            target = peft_model.get_submodule(prefix + name)
            with torch.no_grad():
                target.lora_A["default"].weight.copy_(m.lora_A)
                target.lora_B["default"].weight.copy_(m.lora_B)


def test_matches_peft_on_hf_bert():
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    config = transformers.BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
    )
    torch.manual_seed(0)
    ours = transformers.BertModel(config).eval()
    reference = transformers.BertModel(config).eval()
    reference.load_state_dict(ours.state_dict())
    apply_lora(ours, ["query", "value"], rank=4, alpha=8)
    peft_model = peft.get_peft_model(
        reference, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"])
    )
    assert count_trainable(ours)[0] == peft_model.get_nb_trainable_parameters()[0]
    assert count_trainable(ours)[0] == 2 * 2 * 4 * (32 + 32)
    for m in ours.modules():
        if isinstance(m, LoRALinear):
            nn.init.normal_(m.lora_B)
    _copy_into_peft(peft_model, ours)
    ids = torch.randint(0, 50, (2, 7))
    with torch.no_grad():
        diff = (ours(ids).last_hidden_state - peft_model(ids).last_hidden_state).abs().max()
    assert diff < 1e-5


def test_gpt2_conv1d_and_peft():
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    config = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=40, n_positions=16)
    torch.manual_seed(0)
    ours = transformers.GPT2LMHeadModel(config).eval()
    reference = transformers.GPT2LMHeadModel(config).eval()
    reference.load_state_dict(ours.state_dict())
    names = apply_lora(ours, ["c_attn"], rank=8)
    assert names == ["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"]
    assert count_trainable(ours)[0] == 2 * 8 * (32 + 96)
    peft_model = peft.get_peft_model(
        reference,
        peft.LoraConfig(r=8, lora_alpha=8, target_modules=["c_attn"], fan_in_fan_out=True),
    )
    assert count_trainable(ours)[0] == peft_model.get_nb_trainable_parameters()[0]
    for m in ours.modules():
        if isinstance(m, LoRALinear):
            nn.init.normal_(m.lora_B, std=0.1)
    _copy_into_peft(peft_model, ours)
    ids = torch.randint(0, 40, (2, 6))
    with torch.no_grad():
        a = ours(ids).logits
        b = peft_model(ids).logits
        merged = merge_lora(ours)(ids).logits
    assert (a - b).abs().max() < 1e-5
    assert (a - merged).abs().max() < 1e-5
