"""Tests for course_utils.models.rnn_seq2seq: vocabulary, batches, padding invariance, teacher forcing equals
step-by-step decoding, a tiny model that learns, and bad input."""

from __future__ import annotations

import pytest
import torch

from course_utils.corpora.batching import make_batches
from course_utils.corpora.tokenization import Vocab
from course_utils.models.rnn_seq2seq import (
    AttentionDecoder,
    Decoder,
    Encoder,
    Seq2Seq,
    attention_matrices,
    coverage_penalty,
    translate,
)
from course_utils.nn.attention import AdditiveAttention

# ----------------------------------------------------------------- vocabulary


# ----------------------------------------------------------------- batches


# ----------------------------------------------------------------- model pieces


def tiny_model(attention: bool, seed: int = 0, **kwargs) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(12, 14, emb_dim=8, hidden_dim=16, attention=attention, **kwargs).eval()


def test_encoder_ignores_padding():
    torch.manual_seed(0)
    encoder = Encoder(10, 8, 16)
    alone = encoder(torch.tensor([[4, 5, 6]]), torch.tensor([3]))
    enc = encoder(torch.tensor([[7, 8, 9, 4, 5], [4, 5, 6, 0, 0]]), torch.tensor([5, 3]))
    assert enc.annotations.shape == (2, 5, 32) and enc.summary.shape == (2, 32)
    assert enc.embedded.shape == (2, 5, 8)
    assert enc.mask.tolist() == [[True] * 5, [True] * 3 + [False] * 2]
    torch.testing.assert_close(enc.annotations[1, :3], alone.annotations[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(enc.summary[1], alone.summary[0], atol=1e-6, rtol=0)
    assert enc.annotations[1, 3:].abs().max() == 0


@pytest.mark.parametrize(
    ("attention", "input_feeding"), [(False, False), (True, False), (True, True)]
)
def test_teacher_forcing_equals_step_by_step_decoding(attention, input_feeding):
    model = tiny_model(attention, input_feeding=input_feeding)
    assert isinstance(model.decoder, AttentionDecoder if attention else Decoder)
    src = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])
    src_lengths = torch.tensor([4, 2])
    tgt_in = torch.tensor([[1, 5, 6, 7], [1, 8, 9, 10]])
    logits, weights = model(src, src_lengths, tgt_in, return_attention=True)
    assert logits.shape == (2, 4, 14)
    state = model.decoder.start(model.encode(src, src_lengths))
    for i in range(4):
        step_logits, state, step_weights = model.decoder.step(tgt_in[:, i], state)
        torch.testing.assert_close(step_logits, logits[:, i], atol=1e-5, rtol=0)
        if attention:
            torch.testing.assert_close(step_weights, weights[:, i], atol=1e-6, rtol=0)
    if attention:
        assert weights.shape == (2, 4, 4)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4), atol=1e-6, rtol=0)
        assert weights[1, :, 2:].abs().max() == 0  # no attention to padding
    else:
        assert weights is None


def test_attention_decoder_uses_the_shared_additive_attention():
    model = tiny_model(True)
    assert isinstance(model.decoder.attention, AdditiveAttention)
    assert model.has_attention and not tiny_model(False).has_attention


def test_bad_input_is_named():
    model = tiny_model(True)
    src, lengths = torch.tensor([[4, 5]]), torch.tensor([2])
    with pytest.raises(TypeError, match="src must hold token ids as torch.long"):
        model(src.float(), lengths, torch.tensor([[1]]))
    with pytest.raises(ValueError, match="src_lengths must lie in 1..2"):
        model(src, torch.tensor([3]), torch.tensor([[1]]))
    with pytest.raises(ValueError, match=r"src_lengths must be a tensor of shape \[B\]=\(1,\)"):
        model(src, torch.tensor([2, 2]), torch.tensor([[1]]))
    with pytest.raises(ValueError, match="share the batch size"):
        model(src, lengths, torch.tensor([[1], [1]]))
    with pytest.raises(ValueError, match=r"tgt_in must have shape \[B, T\]"):
        model(src, lengths, torch.tensor([1]))
    with pytest.raises(ValueError, match="attention=True"):
        attention_matrices(tiny_model(False), [[4]], [[5]])
    with pytest.raises(ValueError, match="value_dropout"):
        tiny_model(True, value_dropout=1.0)


def test_coverage_penalty_hand_cases():
    weights = torch.tensor([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]])  # [B=1, T=2, S=3]
    # coverage = [1.5, 0.5, 0.0]: only the first source word is over-attended, (1.5 - 1)^2
    assert coverage_penalty(weights, torch.tensor([[True, True]])).item() == pytest.approx(0.25)
    # the second row is padding or <eos>: coverage [1, 0, 0], no penalty
    assert coverage_penalty(weights, torch.tensor([[True, False]])).item() == 0.0
    with pytest.raises(ValueError, match=r"tgt_mask \[B, T\]"):
        coverage_penalty(weights, torch.tensor([True, True]))


def test_loss_adds_the_coverage_penalty_only_for_attention():
    src, tgt = [[4, 5, 6], [7, 8]], [[5, 6, 7], [8]]
    batch = make_batches(src, tgt, batch_size=2, shuffle=False)[0]
    model = tiny_model(True)
    plain = model.loss(batch)
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt_in, return_attention=True)
    words = (batch.tgt_out != 0) & (batch.tgt_out != 2)
    expected = plain + 0.5 * coverage_penalty(weights, words)
    torch.testing.assert_close(model.loss(batch, coverage_weight=0.5), expected)
    no_attention = tiny_model(False)
    torch.testing.assert_close(
        no_attention.loss(batch, coverage_weight=0.5), no_attention.loss(batch)
    )


# ----------------------------------------------------------------- a tiny model learns


def test_tiny_attention_model_learns_to_translate_a_toy_corpus():
    src_sents = [["a", "b"], ["b", "a"], ["a", "c", "b"], ["c"], ["b", "c", "a"]]
    tgt_sents = [["A", "B"], ["B", "A"], ["A", "C", "B"], ["C"], ["B", "C", "A"]]
    sv, tv = Vocab.build(src_sents), Vocab.build(tgt_sents)
    src_ids = [sv.encode(s) for s in src_sents]
    tgt_ids = [tv.encode(s) for s in tgt_sents]
    torch.manual_seed(0)
    model = Seq2Seq(len(sv), len(tv), emb_dim=16, hidden_dim=32, attention=True, value_dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = make_batches(src_ids, tgt_ids, batch_size=5, shuffle=False)[0]
    for _ in range(150):
        loss = model.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert translate(model, src_sents, sv, tv) == tgt_sents
    matrices = attention_matrices(model, src_ids, tgt_ids)
    assert [m.shape for m in matrices] == [
        (len(t), len(s)) for s, t in zip(src_ids, tgt_ids, strict=True)
    ]
