"""Tests for course_utils.models.gpt (notebook 05)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.models.gpt import (
    GPT,
    GPTConfig,
    GPTOutput,
    language_model_loss,
    load_gpt,
    position_ids_from_mask,
    save_gpt,
)


def small(**kw) -> GPT:
    torch.manual_seed(0)
    cfg = dict(vocab_size=11, d_model=16, num_heads=2, num_layers=2, d_ff=32, max_len=8)
    cfg.update(kw)
    return GPT(GPTConfig(**cfg)).eval()


def reference_forward(model: GPT, ids: torch.Tensor) -> torch.Tensor:
    """The same network written directly with torch's SDPA (is_causal=True)."""
    cfg = model.config
    heads, d_k = cfg.num_heads, cfg.d_model // cfg.num_heads
    x = model.token.weight[ids] + model.position.weight[: ids.shape[1]]
    for layer in model.layers:
        h = F.layer_norm(x, (cfg.d_model,), layer.norm1.weight, layer.norm1.bias, 1e-5)
        att = layer.self_attention

        def split(t):
            return t.view(ids.shape[0], ids.shape[1], heads, d_k).transpose(1, 2)

        q, k, v = split(att.q_proj(h)), split(att.k_proj(h)), split(att.v_proj(h))
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + att.out_proj(o.transpose(1, 2).reshape(*ids.shape, cfg.d_model))
        h = F.layer_norm(x, (cfg.d_model,), layer.norm2.weight, layer.norm2.bias, 1e-5)
        x = x + layer.ffn.linear2(F.gelu(layer.ffn.linear1(h)))
    x = F.layer_norm(x, (cfg.d_model,), model.norm.weight, model.norm.bias, 1e-5)
    return x @ model.token.weight.T


@pytest.mark.parametrize(
    "kw",
    [
        dict(vocab_size=0),
        dict(vocab_size=10, d_model=10, num_heads=3),
        dict(vocab_size=10, num_layers=0),
        dict(vocab_size=10, dropout=1.0),
        dict(vocab_size=10, pad_id=10),
        dict(vocab_size=10, max_len=True),
    ],
)
def test_config_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        GPTConfig(**kw)


def test_shapes_and_tied_head():
    model = small()
    out = model(torch.randint(0, 11, (3, 5)))
    assert isinstance(out, GPTOutput)
    assert out.logits.shape == (3, 5, 11)
    assert out.hidden.shape == (3, 5, 16)
    assert out.attentions is None
    assert model.lm_head.weight is model.token.weight
    # the tied head: logits are hidden @ E^T
    torch.testing.assert_close(out.logits, out.hidden @ model.token.weight.T)
    # parameters counted once: 11*16 + 8*16 + 2 blocks + final norm
    block = 4 * (16 * 16 + 16) + (16 * 32 + 32) + (32 * 16 + 16) + 2 * 2 * 16
    expected = 11 * 16 + 8 * 16 + 2 * block + 2 * 16
    assert sum(p.numel() for p in model.parameters()) == expected


def test_matches_sdpa_reference_and_explicit_path():
    model = small()
    ids = torch.randint(0, 11, (2, 8))
    with torch.no_grad():
        fast = model(ids).logits
        slow = model(ids, return_attention=True)
        ref = reference_forward(model, ids)
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(slow.logits, fast, atol=1e-5, rtol=1e-5)
    assert len(slow.attentions) == 2
    for weights in slow.attentions:
        assert weights.shape == (2, 2, 8, 8)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 8))
        assert torch.all(weights.triu(diagonal=1) == 0)  # causal: nothing from the future


def test_causality_future_tokens_do_not_change_the_past():
    model = small()
    ids = torch.randint(0, 11, (1, 8))
    changed = ids.clone()
    changed[0, 5] = (ids[0, 5] + 1) % 11
    with torch.no_grad():
        a, b = model(ids).logits, model(changed).logits
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_left_padding_gives_the_unpadded_logits():
    model = small(pad_id=0)
    ids = torch.tensor([[3, 4, 5, 6, 7], [0, 0, 8, 9, 10]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    with torch.no_grad():
        batch = model(ids, attention_mask=mask)
        alone = model(torch.tensor([[8, 9, 10]]))
        weights = model(ids, attention_mask=mask, return_attention=True).attentions[0]
    torch.testing.assert_close(batch.logits[1, 2:], alone.logits[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch.logits[0], model(ids[:1]).logits[0].detach())
    assert torch.all(weights[1, :, 2:, :2] == 0)  # real tokens never attend to padding
    assert position_ids_from_mask(mask).tolist() == [[0, 1, 2, 3, 4], [0, 0, 0, 1, 2]]


def test_pad_row_starts_at_zero():
    model = small(pad_id=3)
    assert torch.all(model.token.weight[3] == 0)


def test_bad_inputs():
    model = small()
    with pytest.raises(ValueError, match="context window max_len=8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match=r"0..vocab_size-1=10"):
        model(torch.tensor([[1, 11]]))
    with pytest.raises(TypeError, match="integer ids"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"\[batch, T\]"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[1, 2]])
    with pytest.raises(ValueError, match="shape of input_ids"):
        model(torch.zeros(1, 3, dtype=torch.long), attention_mask=torch.ones(1, 4))
    with pytest.raises(TypeError, match="GPTConfig"):
        GPT({"vocab_size": 3})


def test_language_model_loss():
    logits = torch.zeros(2, 3, 5)
    targets = torch.tensor([[1, 2, -100], [0, 4, 3]])
    assert language_model_loss(logits, targets).item() == pytest.approx(math.log(5))
    with pytest.raises(ValueError, match="targets"):
        language_model_loss(logits, targets[:, :2])


def test_training_step_lowers_loss():
    model = small().train()
    ids = torch.randint(0, 11, (4, 8))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        loss = language_model_loss(model(ids[:, :-1]).logits, ids[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_save_and_load_round_trip(tmp_path):
    model = small()
    path = save_gpt(model, tmp_path / "m.pt", vocab="abc")
    loaded, extra = load_gpt(path)
    assert extra == {"vocab": "abc"}
    assert loaded.config == model.config
    ids = torch.randint(0, 11, (2, 6))
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids).logits, model(ids).logits)
    assert loaded.lm_head.weight is loaded.token.weight
    with pytest.raises(FileNotFoundError):
        load_gpt(tmp_path / "missing.pt")


def test_load_gpt_explains_foreign_and_truncated_files(tmp_path):
    foreign = tmp_path / "bert.pt"
    torch.save({"model": {}}, foreign)
    with pytest.raises(ValueError, match="not a GPT checkpoint written by save_gpt"):
        load_gpt(foreign)
    good = save_gpt(small(), tmp_path / "gpt.pt")
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated by an interrupted save; delete it"):
        load_gpt(truncated)
