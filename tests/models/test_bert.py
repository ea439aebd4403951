"""Tests of the BERT model and heads (course_utils.models)."""

import pytest
import torch

from course_utils.metrics import count_parameters
from course_utils.models.bert import (
    BertConfig,
    BertForMaskedLM,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertModel,
    mask_tokens,
)

CFG = BertConfig(
    vocab_size=50,
    d_model=16,
    num_heads=2,
    num_layers=2,
    d_ff=32,
    max_len=12,
    dropout=0.0,
    attention_dropout=0.0,
)


def batch():
    ids = torch.tensor([[2, 10, 11, 12, 3, 0], [2, 13, 3, 0, 0, 0]])
    return ids, (ids != 0).long()


def test_bert_outputs_shapes():
    torch.manual_seed(0)
    model = BertModel(CFG).eval()
    ids, mask = batch()
    out = model(ids, mask, return_attention=True, return_hidden_states=True)
    assert out.last_hidden_state.shape == (2, 6, 16)
    assert len(out.hidden_states) == 3 and len(out.attentions) == 2
    assert out.attentions[0].shape == (2, 2, 6, 6)
    assert out.pooled.shape == (2, 16)
    assert out.attentions[1][1, :, :, 3:].abs().max() == 0  # padding gets no attention
    # padding does not change the real tokens' states
    alone = model(ids[1:, :3]).last_hidden_state
    torch.testing.assert_close(out.last_hidden_state[1:, :3], alone, atol=1e-5, rtol=1e-5)


def test_bad_mask_and_length():
    model = BertModel(CFG)
    ids, mask = batch()
    with pytest.raises(ValueError, match="attention_mask must have the shape"):
        model(ids, mask[:, :4])
    with pytest.raises(ValueError, match="exceeds the position table"):
        model(torch.ones(1, 13, dtype=torch.long))


def test_heads():
    torch.manual_seed(0)
    ids, mask = batch()
    mlm = BertForMaskedLM(CFG)
    assert mlm(ids, mask).shape == (2, 6, 50)
    labels = torch.full_like(ids, -100)
    labels[0, 2] = 11
    loss, logits = mlm(ids, mask, labels=labels)
    assert logits.shape == (1, 50) and loss.item() > 0
    assert mlm.bert.embeddings.token.weight.data_ptr() in {p.data_ptr() for p in mlm.parameters()}
    clf = BertForSequenceClassification(CFG, num_labels=3, pooling="mean")
    assert clf(ids, mask).shape == (2, 3)
    qa = BertForQuestionAnswering(CFG)
    start, end = qa(ids, mask)
    assert start.shape == end.shape == (2, 6) and start[1, 3] < -1e3
    with pytest.raises(ValueError, match="pooling"):
        BertForSequenceClassification(CFG, pooling="max")
    assert count_parameters(clf) > count_parameters(BertModel(CFG, add_pooler=False))


def test_mask_tokens_80_10_10():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 1000, (200, 100))
    ids[:, 0] = 2
    masked, labels = mask_tokens(
        ids, mask_id=4, vocab_size=1000, special_ids={0, 2, 3}, generator=g
    )
    picked = labels != -100
    assert not picked[:, 0].any()  # [CLS] never picked
    assert abs(picked.float().mean().item() - 0.15 * 0.99) < 0.01
    assert torch.equal(labels[picked], ids[picked])
    as_mask = (masked[picked] == 4).float().mean().item()
    unchanged = (masked[picked] == ids[picked]).float().mean().item()
    assert abs(as_mask - 0.8) < 0.02 and abs(unchanged - 0.1) < 0.02
    assert torch.equal(masked[~picked], ids[~picked])
