"""Tests for course_utils.methods.translation: notebook 01's translators, train-or-load."""

from __future__ import annotations

import torch

from course_utils.methods import translation

SRC = [s.split() for s in ["the cat sleeps .", "a dog runs .", "the dog sleeps ."] * 4]
TGT = [s.split() for s in ["кошка спит .", "собака бежит .", "собака спит ."] * 4]
CONFIG = dict(emb_dim=8, hidden_dim=8, value_dropout=0.5)
SETTINGS = dict(num_steps=3, batch_size=4, lr=3e-3, warmup_steps=1, coverage_weight=0.5)


def test_trains_once_then_loads_the_same_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    model, src_vocab, tgt_vocab, history = translation.gru_translator(
        SRC, TGT, True, CONFIG, SETTINGS
    )
    again, _, _, loaded_history = translation.gru_translator(SRC, TGT, True, CONFIG, SETTINGS)
    translation.gru_translator(SRC, TGT, True, CONFIG, {**SETTINGS, "num_steps": 4})
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained 01_bahdanau/attention (no cache)",
        "[cache] loaded 01_bahdanau/attention",
        "[cache] trained 01_bahdanau/attention (key changed)",
    ]
    assert history.steps == 3 and loaded_history.losses == history.losses
    assert len(src_vocab) == 4 + 7 and len(tgt_vocab) == 4 + 5
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert not model.training
