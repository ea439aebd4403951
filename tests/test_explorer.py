"""Tests of course_utils.explorer: the attention explorer's callbacks, driven headless."""

from __future__ import annotations

import base64

import matplotlib
import pytest
import torch

from course_utils import explorer

matplotlib.use("Agg")


def shifted(num_layers: int, num_heads: int):
    """A fake model: in layer l, head h, token i attends only to token (i + l + h) mod T."""

    def run(sentence: str):
        tokens = sentence.split()
        n = len(tokens)
        attentions = [
            torch.stack([torch.eye(n).roll(layer + head, dims=1) for head in range(num_heads)])
            for layer in range(num_layers)
        ]
        return tokens, attentions

    return run


def make() -> explorer.AttentionExplorer:
    models = {"small": shifted(2, 3), "deep": shifted(4, 2)}
    return explorer.AttentionExplorer(models, "the trophy did not fit because it was big")


def test_the_first_pronoun_is_the_query_and_the_row_follows_layer_and_head():
    ex = make()
    assert ex.tokens[ex.query_index] == "it" and ex.query_index == 6
    assert int(ex.query_row().argmax()) == 6  # layer 1, head 0: itself
    ex.head.value = 2
    assert int(ex.query_row().argmax()) == 8
    ex.layer.value = 2
    assert int(ex.query_row().argmax()) == 0  # (6 + 1 + 2) mod 9
    ex.query.value = 1
    assert ex.query_index == 1 and int(ex.query_row().argmax()) == 4


def test_a_new_sentence_or_model_reruns_and_resets_the_controls():
    ex = make()
    ex.sentence.value = "she said he was late"
    assert ex.tokens == ["she", "said", "he", "was", "late"] and ex.query_index == 0
    ex.model.value = "deep"
    assert ex.layer.max == 4 and ex.head.max == 1 and len(ex.attentions) == 4
    ex.layer.value = 4
    assert int(ex.query_row().argmax()) == 3  # (0 + 3 + 0) mod 5


def test_the_picture_and_the_stored_fallback():
    ex = make()
    fig = ex.figure()
    heatmap, bars = fig.axes[:2]
    assert len(bars.patches) == len(ex.tokens) and "layer 1, head 0" in heatmap.get_title()
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_a_model_whose_attention_does_not_fit_its_tokens_is_refused():
    def broken(sentence):
        return sentence.split(), [torch.ones(1, 2, 2)]

    with pytest.raises(ValueError, match="does not fit"):
        explorer.AttentionExplorer({"broken": broken}, "three words here")
    with pytest.raises(ValueError, match="at least one model"):
        explorer.AttentionExplorer({}, "x")
