"""Tests for course_utils.methods.annotator."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.methods.annotator import SimulatedAnnotator


def test_simulated_annotator():
    ann = SimulatedAnnotator({"great": 3.1, "bad": -2.5}, fluency_weight=2.0, temperature=0.25)
    assert ann.true_score(["a", "great", "film"]) == pytest.approx(math.tanh(3.1 / 4))
    assert ann.fluency(["great", "great", ".", "film"]) == pytest.approx(2 / 3 - 1)
    assert ann.true_score(["great", "great"]) == pytest.approx(math.tanh(6.2 / 4) - 1.0)
    p = ann.preference_prob(["great"], ["bad"])
    gap = (math.tanh(3.1 / 4) - math.tanh(-2.5 / 4)) / 0.25
    assert p == pytest.approx(1 / (1 + math.exp(-gap)))
    assert ann.expected_agreement([(["great"], ["great"])]) == pytest.approx(0.5)
    labels = ann.label([(["great"], ["bad"])] * 2000, torch.Generator().manual_seed(0))
    assert labels.float().mean().item() == pytest.approx(p, abs=0.02)
    with pytest.raises(TypeError, match="list of words"):
        ann.true_score("great")


def test_annotator_label_groups():
    ann = SimulatedAnnotator({}, temperature=0.5)
    scores = torch.tensor([[1.0, 0.0, 0.0]])
    labels, probs = ann.label_groups(scores, torch.Generator().manual_seed(0))
    assert labels.shape == probs.shape == (1, 3)
    s = 1 / (1 + math.exp(-2.0))
    assert torch.allclose(probs, torch.tensor([[s, s, 0.5]]))
