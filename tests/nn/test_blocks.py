"""Tests of the transformer blocks (course_utils.nn.blocks)."""

import pytest
import torch

from course_utils.nn.attention import causal_mask
from course_utils.nn.blocks import (
    DecoderBlock,
    Embeddings,
    EncoderBlock,
    FeedForward,
    TransformerConfig,
    key_padding_mask,
)


def test_feed_forward_is_linear_gelu_linear():
    torch.manual_seed(0)
    ffn = FeedForward(8, 16, dropout=0.0)
    x = torch.randn(2, 3, 8)
    expected = ffn.linear2(torch.nn.functional.gelu(ffn.linear1(x)))
    torch.testing.assert_close(ffn(x), expected)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_shapes_and_weights(norm_first):
    torch.manual_seed(0)
    block = EncoderBlock(16, 4, 32, dropout=0.0, attention_dropout=0.0, norm_first=norm_first)
    x = torch.randn(2, 5, 16)
    out, weights = block(x, return_attention=True)
    assert out.shape == (2, 5, 16) and weights.shape == (2, 4, 5, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 5))
    fast, none = block(x)
    assert none is None
    torch.testing.assert_close(fast, out, atol=1e-5, rtol=1e-5)


def test_post_ln_encoder_block_by_hand():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 16, dropout=0.0, attention_dropout=0.0).eval()
    x = torch.randn(1, 4, 8)
    attn, _ = block.attention(x)
    h = block.norm1(x + attn)
    expected = block.norm2(h + block.ffn(h))
    torch.testing.assert_close(block(x)[0], expected)


def test_padding_is_ignored():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 16, dropout=0.0, attention_dropout=0.0).eval()
    x = torch.randn(1, 3, 8)
    padded = torch.cat([x, torch.randn(1, 2, 8)], dim=1)
    mask = key_padding_mask(torch.tensor([[1, 1, 1, 0, 0]]))
    out, weights = block(padded, mask, return_attention=True)
    torch.testing.assert_close(out[:, :3], block(x)[0], atol=1e-5, rtol=1e-5)
    assert weights[..., 3:].abs().max() == 0


def test_decoder_block_causal_and_cross():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, 16, dropout=0.0, attention_dropout=0.0).eval()
    x, memory = torch.randn(2, 4, 8), torch.randn(2, 6, 8)
    out, self_w, cross_w = block(x, memory, causal_mask(4), return_attention=True)
    assert out.shape == (2, 4, 8) and self_w.shape == (2, 2, 4, 4) and cross_w.shape == (2, 2, 4, 6)
    assert self_w.triu(1).abs().max() == 0  # no peeking at later tokens
    # changing a later token leaves earlier outputs unchanged
    x2 = x.clone()
    x2[:, -1] += 1.0
    out2, _, _ = block(x2, memory, causal_mask(4))
    torch.testing.assert_close(out2[:, :3], out[:, :3])


def test_decoder_block_without_cross_attention_pre_ln():
    block = DecoderBlock(8, 2, 16, norm_first=True, cross_attention=False).eval()
    out, _, cross = block(torch.randn(1, 3, 8), self_mask=causal_mask(3))
    assert out.shape == (1, 3, 8) and cross is None
    with pytest.raises(ValueError, match="cross_attention=False"):
        block(torch.randn(1, 3, 8), torch.randn(1, 2, 8))


def test_embeddings_sum_and_position_table_limit():
    emb = Embeddings(20, 8, max_len=6, dropout=0.0, layer_norm=False)
    ids = torch.tensor([[2, 5, 7]])
    expected = emb.token(ids) + emb.position.weight[:3] + emb.segment.weight[0]
    torch.testing.assert_close(emb(ids), expected)
    with pytest.raises(ValueError, match="exceeds the position table"):
        emb(torch.ones(1, 7, dtype=torch.long))
    with pytest.raises(ValueError, match="token ids must lie in 0..19"):
        emb(torch.tensor([[25]]))
    with pytest.raises(TypeError, match="integer ids"):
        emb(torch.ones(1, 3))


def test_bad_dimensions_are_rejected():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        EncoderBlock(10, 3, 16)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        DecoderBlock(10, 4, 16)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerConfig(d_model=130, num_heads=4)
    block = EncoderBlock(8, 2, 16)
    with pytest.raises(ValueError, match="does not broadcast"):
        block(torch.randn(2, 5, 8), torch.ones(2, 1, 1, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="d_model=8"):
        block(torch.randn(2, 5, 6))


def test_config_round_trip():
    cfg = TransformerConfig(vocab_size=50, d_model=16, num_heads=2)
    assert TransformerConfig(**cfg.to_dict()) == cfg
