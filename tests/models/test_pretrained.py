"""The course BERT loads all-MiniLM-L6-v2 and matches Hugging Face transformers numerically."""

import pytest
import torch

from course_utils.models.bert import BertConfig, BertModel
from course_utils.models.pretrained import (
    WeightLoadingError,
    hf_to_course_key,
    load_hf_state_dict,
    load_minilm,
)

SENTENCES = [
    "The trophy didn't fit in the suitcase because it was too big.",
    "A surprisingly good film.",
]


@pytest.fixture(scope="module")
def both():
    course, tokenizer = load_minilm("course")
    hf, _ = load_minilm("hf")
    return course, hf, tokenizer


def test_course_bert_matches_hugging_face(both):
    course, hf, tokenizer = both
    enc = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        ours = course(
            enc["input_ids"],
            enc["attention_mask"],
            enc["token_type_ids"],
            return_attention=True,
            return_hidden_states=True,
        )
        ref = hf(**enc, output_attentions=True, output_hidden_states=True)
    assert len(ours.hidden_states) == len(ref.hidden_states) == 7
    assert len(ours.attentions) == len(ref.attentions) == 6
    real = enc["attention_mask"].bool()
    for a, b in zip(ours.hidden_states, ref.hidden_states, strict=True):
        assert (a - b)[real].abs().max() <= 1e-4
    for a, b in zip(ours.attentions, ref.attentions, strict=True):
        assert a.shape == (2, 12, enc["input_ids"].shape[1], enc["input_ids"].shape[1])
        assert (a - b).abs().max() <= 1e-5
    assert (ours.pooled - ref.pooler_output).abs().max() <= 1e-4


def test_key_mapping():
    assert (
        hf_to_course_key("encoder.layer.3.attention.self.query.weight")
        == "layers.3.attention.q_proj.weight"
    )
    assert hf_to_course_key("bert.encoder.layer.0.output.LayerNorm.bias") == "layers.0.norm2.bias"
    assert hf_to_course_key("cls.predictions.bias") is None


def test_mismatched_weights_list_the_keys():
    cfg = BertConfig(vocab_size=30, d_model=8, num_heads=2, num_layers=1, d_ff=16, max_len=10)
    model = BertModel(cfg, add_pooler=False)
    good = {"embeddings.word_embeddings.weight": torch.zeros(30, 8)}
    with pytest.raises(WeightLoadingError) as err:
        load_hf_state_dict(
            model,
            {
                **good,
                "cls.predictions.bias": torch.zeros(30),
                "embeddings.position_embeddings.weight": torch.zeros(5, 8),
            },
        )
    message = str(err.value)
    assert "missing keys" in message and "layers.0.attention.q_proj.weight" in message
    assert "unexpected keys (1): cls.predictions.bias" in message
    assert "embeddings.position.weight: checkpoint (5, 8) vs model (10, 8)" in message


def test_bad_implementation_name():
    with pytest.raises(ValueError, match="'course' or 'hf'"):
        load_minilm("tf")
