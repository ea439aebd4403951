"""Tests for course_utils.models.bart (notebook 06)."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.models.bart import (
    BartConfig,
    BartModel,
    Seq2SeqOutput,
    seq2seq_loss,
    shift_right,
    sinusoidal_positions,
)


def tiny(**overrides) -> BartModel:
    torch.manual_seed(0)
    kwargs = dict(vocab_size=20, d_model=16, num_heads=2, d_ff=32, max_len=16, dropout=0.0)
    kwargs.update(overrides)
    return BartModel(BartConfig(**kwargs)).eval()


def test_config_validation():
    with pytest.raises(ValueError, match="vocab_size"):
        BartConfig(vocab_size=0)
    with pytest.raises(ValueError, match="divisible"):
        BartConfig(vocab_size=10, d_model=10, num_heads=3)
    with pytest.raises(ValueError, match="dropout"):
        BartConfig(vocab_size=10, dropout=1.0)
    with pytest.raises(ValueError, match="distinct"):
        BartConfig(vocab_size=10, bos_id=0)
    with pytest.raises(ValueError, match="eos_id"):
        BartConfig(vocab_size=10, eos_id=10)
    with pytest.raises(TypeError, match="pad_id"):
        BartConfig(vocab_size=10, pad_id=0.0)
    assert BartConfig(vocab_size=10).to_dict()["d_model"] == 128


@torch.no_grad()
def test_shapes_and_attentions():
    model = tiny(num_encoder_layers=2, num_decoder_layers=3)
    src = torch.tensor([[5, 6, 7, 2, 0], [8, 9, 2, 0, 0]])
    tgt_in = torch.tensor([[1, 5, 6], [1, 8, 9]])
    out = model(src, tgt_in)
    assert isinstance(out, Seq2SeqOutput)
    assert out.logits.shape == (2, 3, 20)
    assert out.encoder_attentions is None and out.cross_attentions is None
    out = model(src, tgt_in, return_attention=True)
    assert len(out.encoder_attentions) == 2
    assert len(out.decoder_attentions) == 3 and len(out.cross_attentions) == 3
    assert out.encoder_attentions[0].shape == (2, 2, 5, 5)
    assert out.decoder_attentions[0].shape == (2, 2, 3, 3)
    assert out.cross_attentions[0].shape == (2, 2, 3, 5)
    # rows sum to one; padded source positions get no cross-attention
    torch.testing.assert_close(out.cross_attentions[1].sum(-1), torch.ones(2, 2, 3))
    assert float(out.cross_attentions[0][1, :, :, 3:].abs().max()) == 0.0
    assert float(out.encoder_attentions[0][0, :, :, 4].abs().max()) == 0.0
    # decoder self-attention is causal
    upper = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    assert float(out.decoder_attentions[0][..., upper].abs().max()) == 0.0
    memory, att = model.encode(src, return_attention=True)
    assert memory.shape == (2, 5, 16) and len(att) == 2
    assert model.encode(src).shape == (2, 5, 16)


def test_tied_embeddings():
    model = tiny()
    assert model.lm_head.weight is model.encoder_embeddings.token.weight
    assert model.decoder_embeddings.token is model.encoder_embeddings.token
    assert model.decoder_embeddings.position is not model.encoder_embeddings.position


@torch.no_grad()
def test_causal_and_padding_invariance():
    model = tiny()
    src = torch.tensor([[5, 6, 7, 2]])
    a = model(src, torch.tensor([[1, 5, 6, 7]])).logits
    b = model(src, torch.tensor([[1, 5, 9, 9]])).logits
    torch.testing.assert_close(a[:, :2], b[:, :2])  # future tokens do not leak
    assert not torch.allclose(a[:, 2:], b[:, 2:])
    padded = model(torch.tensor([[5, 6, 7, 2, 0, 0]]), torch.tensor([[1, 5, 6, 7]])).logits
    torch.testing.assert_close(a, padded, atol=1e-5, rtol=1e-5)
    # an explicit src_mask equals the default one
    explicit = model(src, torch.tensor([[1, 5, 6, 7]]), torch.ones(1, 4, dtype=torch.long))
    torch.testing.assert_close(a, explicit.logits)


@torch.no_grad()
def test_generate_matches_manual_greedy():
    model = tiny()
    src = torch.tensor([[5, 6, 7, 2], [8, 9, 2, 0]])
    out = model.generate(src, max_new_tokens=6)
    assert out.shape[0] == 2 and out.shape[1] <= 6
    for b in range(2):
        row = src[b : b + 1, : int((src[b] != 0).sum())]
        tokens = [1]
        for _ in range(6):
            logits = model(row, torch.tensor([tokens])).logits
            tokens.append(int(logits[0, -1].argmax()))
            if tokens[-1] == 2:
                break
        expected = tokens[1:]
        got = out[b].tolist()
        assert got[: len(expected)] == expected
        assert all(t == 0 for t in got[len(expected) :])


def test_generate_stops_at_eos_and_pads():
    model = tiny()
    with torch.no_grad():  # force EOS first for every input: huge bias on eos
        model.final_logits_bias[2] = 100.0
    out = model.generate(torch.tensor([[5, 6], [7, 8]]), max_new_tokens=10)
    assert out.tolist() == [[2], [2]]
    model.train()
    model.generate(torch.tensor([[5, 6]]), max_new_tokens=2)
    assert model.training  # mode restored


def test_bad_inputs():
    model = tiny()
    with pytest.raises(TypeError, match="src_ids"):
        model(torch.tensor([[1.0, 2.0]]), torch.tensor([[1]]))
    with pytest.raises(ValueError, match="batch size"):
        model(torch.tensor([[5, 6]]), torch.tensor([[1], [1]]))
    with pytest.raises(ValueError, match="src_mask"):
        model(torch.tensor([[5, 6]]), torch.tensor([[1]]), torch.ones(1, 3))
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(torch.tensor([[5, 6]]), max_new_tokens=17)
    with pytest.raises(TypeError, match="config"):
        BartModel({"vocab_size": 10})


def test_shift_right_and_loss_learns_copy():
    assert shift_right(torch.tensor([[5, 6, 2]]), 1).tolist() == [[1, 5, 6]]
    torch.manual_seed(0)
    model = tiny(d_model=32, d_ff=64)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    first = None
    for _ in range(150):
        body = torch.randint(3, 20, (16, 4), generator=gen)
        seq = torch.cat([body, torch.full((16, 1), 2)], dim=1)
        loss = seq2seq_loss(model, seq, seq)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first
    src = torch.tensor([[7, 4, 9, 12, 2]])
    assert model.generate(src, max_new_tokens=8).tolist()[0][:5] == [7, 4, 9, 12, 2]


def test_sinusoidal_positions_by_hand_and_init():
    table = sinusoidal_positions(4, 6)
    assert table.shape == (4, 6)
    assert table[0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    pos, i = 3, 1  # PE[3, 2] = sin(3 / 10000^(2/6)), PE[3, 3] = cos(...)
    assert float(table[pos, 2 * i]) == pytest.approx(math.sin(3 / 10000 ** (2 / 6)), abs=1e-6)
    assert float(table[pos, 2 * i + 1]) == pytest.approx(math.cos(3 / 10000 ** (2 / 6)), abs=1e-6)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 5)
    model = tiny()
    start = model.encoder_embeddings.position.weight.detach()
    torch.testing.assert_close(
        start / start.std(), sinusoidal_positions(16, 16) / sinusoidal_positions(16, 16).std()
    )
    assert float(start.std()) == pytest.approx(0.02, rel=1e-3)
