"""Tests for course_utils.nn.attention: agreement with torch's SDPA, masks, modules, bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.nn.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)

ATOL = 1e-5


def qkv(*batch: int, t_q: int = 5, t_k: int = 7, d_k: int = 8, d_v: int = 6, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return (
        torch.randn(*batch, t_q, d_k, generator=gen),
        torch.randn(*batch, t_k, d_k, generator=gen),
        torch.randn(*batch, t_k, d_v, generator=gen),
    )


# ----------------------------------------------------------------- agreement with torch's SDPA


@pytest.mark.parametrize("batch", [(), (3,), (2, 4), (2, 1)])
@pytest.mark.parametrize("return_attention", [False, True])
def test_matches_torch_sdpa_without_mask(batch, return_attention):
    q, k, v = qkv(*batch)
    out, weights = scaled_dot_product_attention(q, k, v, return_attention=return_attention)
    ref = F.scaled_dot_product_attention(q, k, v)
    assert out.shape == (*batch, 5, 6)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    if return_attention:
        assert weights.shape == (*batch, 5, 7)
        torch.testing.assert_close(weights.sum(-1), torch.ones(*batch, 5), atol=1e-6, rtol=0)
    else:
        assert weights is None


def test_matches_hand_formula():
    q, k, v = qkv(2, d_k=16)
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(16), dim=-1)
    out, got = scaled_dot_product_attention(q, k, v, return_attention=True)
    torch.testing.assert_close(got, weights, atol=1e-6, rtol=0)
    torch.testing.assert_close(out, weights @ v, atol=1e-6, rtol=0)


@pytest.mark.parametrize("return_attention", [False, True])
def test_causal_matches_is_causal(return_attention):
    q, k, v = qkv(2, 4, t_q=6, t_k=6)
    out, weights = scaled_dot_product_attention(
        q, k, v, causal_mask(6), return_attention=return_attention
    )
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    if return_attention:
        assert torch.all(weights.triu(diagonal=1) == 0)


@pytest.mark.parametrize("return_attention", [False, True])
def test_padding_mask_matches_torch(return_attention):
    q, k, v = qkv(3, 4, t_q=7, t_k=7)
    mask = padding_mask(torch.tensor([7, 4, 1]), 7)
    out, weights = scaled_dot_product_attention(q, k, v, mask, return_attention=return_attention)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    if return_attention:
        assert torch.all(weights[1, :, :, 4:] == 0) and torch.all(weights[2, :, :, 1:] == 0)


def test_padding_and_causal_combined_with_scale():
    q, k, v = qkv(2, 3, t_q=5, t_k=5)
    mask = padding_mask([5, 3], 5) & causal_mask(5)
    fast, _ = scaled_dot_product_attention(q, k, v, mask, scale=0.3)
    slow, _ = scaled_dot_product_attention(q, k, v, mask, scale=0.3, return_attention=True)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.3)
    torch.testing.assert_close(fast, ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(slow, ref, atol=ATOL, rtol=0)


def test_broadcast_batch_dims_both_paths():
    q, _, _ = qkv(2, 4)
    _, k, v = qkv(2, 1, seed=1)  # one key/value set shared by 4 heads
    fast, _ = scaled_dot_product_attention(q, k, v)
    slow, _ = scaled_dot_product_attention(q, k, v, return_attention=True)
    ref = F.scaled_dot_product_attention(q, k.expand(2, 4, 7, 8), v.expand(2, 4, 7, 6))
    torch.testing.assert_close(fast, ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(slow, ref, atol=ATOL, rtol=0)


def test_gradients_agree_between_paths():
    q, k, v = qkv(2, 2)
    mask = padding_mask([7, 3], 7)
    grads = []
    for flag in (False, True):
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        out, _ = scaled_dot_product_attention(*leaves, mask, return_attention=flag)
        out.square().sum().backward()
        grads.append([t.grad for t in leaves])
    for fast, slow in zip(*grads, strict=True):
        torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)


# ----------------------------------------------------------------- fully masked rows


@pytest.mark.parametrize("return_attention", [False, True])
def test_fully_masked_rows_give_zeros(return_attention):
    q, k, v = qkv(2, t_q=4, t_k=5)
    mask = torch.ones(2, 4, 5, dtype=torch.bool)
    mask[0, 1] = False  # query 1 of example 0 may attend to nothing
    mask[1] = False  # example 1: nothing at all
    q.requires_grad_()
    out, weights = scaled_dot_product_attention(q, k, v, mask, return_attention=return_attention)
    assert not torch.isnan(out).any()
    assert torch.all(out[0, 1] == 0) and torch.all(out[1] == 0)
    ref = F.scaled_dot_product_attention(q[0:1], k[0:1], v[0:1], attn_mask=mask[0:1])
    torch.testing.assert_close(out[0, [0, 2, 3]], ref[0, [0, 2, 3]], atol=ATOL, rtol=0)
    if return_attention:
        assert torch.all(weights[0, 1] == 0) and torch.all(weights[1] == 0)
        torch.testing.assert_close(weights[0, 0].sum(), torch.tensor(1.0))
    out.sum().backward()
    assert torch.isfinite(q.grad).all() and torch.all(q.grad[1] == 0)


def test_zero_length_padding_gives_zero_output():
    q, k, v = qkv(2, 1, t_q=3, t_k=3)
    out, _ = scaled_dot_product_attention(q, k, v, padding_mask([3, 0], 3))
    assert torch.all(out[1] == 0) and not torch.all(out[0] == 0)


# ----------------------------------------------------------------- masks


def test_causal_mask_values():
    expected = torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    assert torch.equal(causal_mask(3), expected)
    # fewer queries than keys: aligned bottom-right (a decoder step with cached keys)
    assert torch.equal(causal_mask(1, 4), torch.ones(1, 4, dtype=torch.bool))
    assert torch.equal(causal_mask(2, 3), expected[1:])


def test_padding_mask_values():
    mask = padding_mask(torch.tensor([2, 0, 3]), 3)
    assert mask.shape == (3, 1, 1, 3) and mask.dtype == torch.bool
    assert mask[:, 0, 0].tolist() == [[True, True, False], [False] * 3, [True] * 3]


# ----------------------------------------------------------------- modules


def test_multi_head_shapes_and_weights():
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=32, num_heads=4).eval()
    x, memory = torch.randn(2, 5, 32), torch.randn(2, 9, 32)
    out, weights = mha(x, return_attention=True)
    assert out.shape == (2, 5, 32) and weights.shape == (2, 4, 5, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 5))
    out, weights = mha(x, memory, mask=padding_mask([9, 6], 9), return_attention=True)
    assert out.shape == (2, 5, 32) and weights.shape == (2, 4, 5, 9)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 5))
    assert torch.all(weights[1, :, :, 6:] == 0)
    fast, none = mha(x, memory, mask=padding_mask([9, 6], 9))
    assert none is None
    torch.testing.assert_close(fast, out, atol=ATOL, rtol=0)
    names = {name for name, _ in mha.named_children()}
    assert names == {"q_proj", "k_proj", "v_proj", "out_proj"}


def test_multi_head_matches_torch_multihead_attention():
    torch.manual_seed(0)
    ours = MultiHeadAttention(d_model=16, num_heads=2).eval()
    ref = torch.nn.MultiheadAttention(16, 2, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight])
        )
        ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    x = torch.randn(3, 6, 16)
    mask = causal_mask(6)
    out, weights = ours(x, mask=mask, return_attention=True)
    ref_out, ref_weights = ref(x, x, x, attn_mask=~mask, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=0)
    torch.testing.assert_close(weights, ref_weights, atol=ATOL, rtol=0)


def test_additive_attention_by_hand():
    attn = AdditiveAttention(query_dim=2, key_dim=2, attn_dim=2)
    with torch.no_grad():
        attn.w_q.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        attn.w_k.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, -1.0]]))
        attn.v.weight.copy_(torch.tensor([[2.0, -1.0]]))
    query = torch.tensor([[0.5, -0.5]])
    keys = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    # W_q q = (0.5, -0.5); W_k k_j = (1, 0), (1, -1), (2, -1)
    scores = [
        2 * math.tanh(1.5) - math.tanh(-0.5),
        2 * math.tanh(1.5) - math.tanh(-1.5),
        2 * math.tanh(2.5) - math.tanh(-1.5),
    ]
    expected = torch.softmax(torch.tensor([scores]), dim=-1)
    context, weights = attn(query, keys)
    torch.testing.assert_close(weights, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(context, expected @ keys[0], atol=1e-6, rtol=0)
    # masking the last key renormalises over the first two
    context, weights = attn(query, keys, key_mask=torch.tensor([[True, True, False]]))
    expected = torch.softmax(torch.tensor([scores[:2]]), dim=-1)
    torch.testing.assert_close(weights[:, :2], expected, atol=1e-6, rtol=0)
    assert weights[0, 2] == 0


def test_additive_attention_precomputed_keys_and_empty_rows():
    torch.manual_seed(0)
    attn = AdditiveAttention(query_dim=3, key_dim=4, attn_dim=5)
    query, keys = torch.randn(2, 3), torch.randn(2, 6, 4)
    mask = torch.tensor([[True] * 4 + [False] * 2, [False] * 6])
    context, weights = attn(query, keys, mask)
    context2, weights2 = attn(query, keys, mask, projected_keys=attn.project_keys(keys))
    assert torch.equal(context, context2) and torch.equal(weights, weights2)
    assert context.shape == (2, 4) and weights.shape == (2, 6)
    torch.testing.assert_close(weights[0].sum(), torch.tensor(1.0))
    assert torch.all(weights[1] == 0) and torch.all(context[1] == 0)


# ----------------------------------------------------------------- bad input


def _call(q, k, v, mask=None, **kwargs):
    return lambda: scaled_dot_product_attention(q, k, v, mask, **kwargs)


Q, K, V = qkv(2, 4)

BAD_INPUTS = [
    ("d_k of query vs key", _call(Q, K[..., :4], V), ValueError, "same last dimension d_k"),
    ("T_k of key vs value", _call(Q, K, V[..., :3, :]), ValueError, "same length T_k"),
    ("batch dims", _call(Q, K[:, :3], V[:, :3]), ValueError, "do not broadcast"),
    ("integer query", _call(Q.long(), K, V), TypeError, "query must be a floating-point"),
    ("integer value", _call(Q, K, V.int()), TypeError, "value must be a floating-point"),
    ("mixed dtypes", _call(Q, K.double(), V), TypeError, "share one dtype"),
    ("1-D query", _call(Q[0, 0, 0], K, V), ValueError, "at least 2 dimensions"),
    ("float mask", _call(Q, K, V, torch.ones(5, 7)), TypeError, "must be a boolean"),
    ("int mask", _call(Q, K, V, torch.ones(5, 7, dtype=torch.long)), TypeError, "torch.int64"),
    ("mask T_k", _call(Q, K, V, torch.ones(5, 6, dtype=torch.bool)), ValueError, "(5, 6)"),
    (
        "mask enlarges batch",
        _call(Q, K, V, torch.ones(3, 1, 5, 7, dtype=torch.bool)),
        ValueError,
        "does not broadcast to scores shape (2, 4, 5, 7)",
    ),
    (
        "mask with too many dims",
        _call(Q, K, V, torch.ones(1, 2, 4, 5, 7, dtype=torch.bool)),
        ValueError,
        "does not broadcast",
    ),
    ("dropout_p", _call(Q, K, V, dropout_p=1.5), ValueError, "dropout_p"),
    (
        "d_model % num_heads",
        lambda: MultiHeadAttention(10, 3),
        ValueError,
        "divisible by num_heads",
    ),
    (
        "MHA input width",
        lambda: MultiHeadAttention(8, 2)(torch.randn(2, 3, 6)),
        ValueError,
        "d_model=8",
    ),
    (
        "MHA 3-D mask",
        lambda: MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), mask=causal_mask(3)[None]),
        ValueError,
        "unsqueeze(1)",
    ),
    (
        "MHA padding mask of wrong length",
        lambda: MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), mask=padding_mask([2, 4], 4)),
        ValueError,
        "(2, 1, 1, 4)",
    ),
    (
        "MHA integer input",
        lambda: MultiHeadAttention(8, 2)(torch.ones(2, 3, 8, dtype=torch.long)),
        TypeError,
        "floating-point",
    ),
    (
        "additive key width",
        lambda: AdditiveAttention(3, 4, 5)(torch.randn(2, 3), torch.randn(2, 6, 5)),
        ValueError,
        "key_dim=4",
    ),
    (
        "additive key_mask length",
        lambda: AdditiveAttention(3, 4, 5)(
            torch.randn(2, 3), torch.randn(2, 6, 4), torch.ones(2, 5, dtype=torch.bool)
        ),
        ValueError,
        "key_mask shape (2, 5)",
    ),
    (
        "additive projected_keys",
        lambda: AdditiveAttention(3, 4, 5)(
            torch.randn(2, 3), torch.randn(2, 6, 4), projected_keys=torch.randn(2, 6, 4)
        ),
        ValueError,
        "project_keys",
    ),
    ("causal_mask size", lambda: causal_mask(0), ValueError, "t_q must be a positive int"),
    ("padding too long", lambda: padding_mask([2, 5], 4), ValueError, "0..max_len=4"),
    ("padding float lengths", lambda: padding_mask(torch.tensor([2.0]), 4), TypeError, "integers"),
]


@pytest.mark.parametrize(
    "fn, error, fragment", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_raises_clear_error(fn, error, fragment):
    with pytest.raises(error) as info:
        fn()
    assert fragment in str(info.value)
