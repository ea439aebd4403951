"""Tests for course_utils.methods.extractive_qa (span targets, span head, answers, curves)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.corpora import qa
from course_utils.corpora.tokenization import train_wordpiece
from course_utils.methods import extractive_qa
from course_utils.metrics import normalize_answer
from course_utils.models.bert import BertConfig, BertModel


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("qa") / "passages.jsonl"
    return qa.load_qa(qa.write_passages(qa.generate_passages(30, seed=5), path))


@pytest.fixture(scope="module")
def tok(data):
    texts = list(data["train"]["context"]) + list(data["train"]["question"])
    texts += list(data["test"]["context"]) + list(data["test"]["question"])
    return train_wordpiece(texts, vocab_size=400, min_frequency=1)


@pytest.fixture(scope="module")
def config(tok):
    return BertConfig(vocab_size=len(tok), d_model=32, num_heads=2, num_layers=1, d_ff=64)


def test_spans_point_at_the_answers(data, tok):
    enc, spans = extractive_qa.qa_features(data["train"], tok)
    assert spans.shape == (len(data["train"]), 2)
    for i, row in enumerate(data["train"]):
        start, end = spans[i].tolist()
        assert enc["token_type_ids"][i, start] == 1 and start <= end
        offsets = enc["offset_mapping"][i]
        text = row["context"][int(offsets[start, 0]) : int(offsets[end, 1])]
        assert normalize_answer(text) == normalize_answer(row["answer"])


def test_an_answer_cut_off_by_max_len_is_an_error(data, tok):
    with pytest.raises(ValueError, match="truncated away at max_len=12"):
        extractive_qa.qa_features(data["train"], tok, max_len=12)


class _Oracle(nn.Module):
    """Start/end logits peaked at the gold spans of the rows it is shown, in order."""

    def __init__(self, spans: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.spans, self.seen = spans, 0

    def forward(self, input_ids, attention_mask, token_type_ids):
        rows = self.spans[self.seen : self.seen + len(input_ids)]
        self.seen += len(input_ids)
        start = torch.zeros(input_ids.shape).scatter(1, rows[:, :1], 10.0)
        end = torch.zeros(input_ids.shape).scatter(1, rows[:, 1:], 10.0)
        return start, end


def test_perfect_logits_give_the_gold_answers(data, tok):
    enc, spans = extractive_qa.qa_features(data["test"], tok)
    contexts = list(data["test"]["context"])
    predictions = extractive_qa.predict_answers(_Oracle(spans), enc, contexts, batch_size=4)
    assert extractive_qa.score_answers(predictions, data["test"]["answer"]) == {
        "em": 1.0,
        "f1": 1.0,
    }
    with pytest.raises(ValueError, match="contexts"):
        extractive_qa.predict_answers(_Oracle(spans), enc, contexts[:-1])


def test_score_answers_averages_exact_match_and_f1():
    scores = extractive_qa.score_answers(
        ["Green Farm", "the harp", "Oslo"], ["Green Farm", "harp", "Rome"]
    )
    assert scores["em"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    scores = extractive_qa.score_answers(["Farm"], ["Green Farm"])
    assert scores == {"em": 0.0, "f1": pytest.approx(2 / 3)}
    with pytest.raises(ValueError):
        extractive_qa.score_answers([], [])


def test_finetuning_lowers_the_span_loss_and_is_seeded(data, tok, config):
    enc, spans = extractive_qa.qa_features(data["train"], tok)
    model, history = extractive_qa.finetune_span_head(
        None, config, enc, spans, 40, lr=3e-3, batch_size=8, progress=False
    )
    assert history.steps == 40 and not model.training
    assert sum(history.losses[-5:]) / 5 < sum(history.losses[:5]) / 5 - 0.5
    again, _ = extractive_qa.finetune_span_head(
        None, config, enc, spans, 40, lr=3e-3, batch_size=8, progress=False
    )
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_the_encoder_starts_from_init_bert_and_must_fit(data, tok, config):
    enc, spans = extractive_qa.qa_features(data["train"], tok)
    init = BertModel(config)
    model, _ = extractive_qa.finetune_span_head(
        init, config, enc, spans, 1, lr=0.0, batch_size=4, progress=False
    )
    assert torch.equal(model.bert.embeddings.token.weight, init.embeddings.token.weight)
    wider = BertConfig(vocab_size=len(tok), d_model=48, num_heads=2, num_layers=1, d_ff=64)
    with pytest.raises(RuntimeError):
        extractive_qa.finetune_span_head(
            BertModel(wider), config, enc, spans, 1, lr=1e-3, progress=False
        )


def test_learning_curve_runs_every_size_and_is_cached(
    data, tok, config, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    plan = {10: (3, 4, 1e-3), 20: (2, 8, 1e-3)}

    def curve():
        return extractive_qa.qa_learning_curve(
            "test/qa_curve", None, config, tok, plan, data["train"], data["test"]
        )

    first, again = curve(), curve()
    assert list(first) == [10, 20] and again == first
    for n, run in first.items():
        assert run["steps"] == plan[n][0] and run["batch_size"] == plan[n][1]
        assert 0 <= run["em"] <= run["f1"] <= 1 and run["seconds"] > 0
        assert len(run["predictions"]) == len(data["test"])
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained test/qa_curve (no cache)",
        "[cache] loaded test/qa_curve",
    ]
    with pytest.raises(ValueError, match="asks for 10000 questions"):
        extractive_qa.qa_learning_curve(
            "test/qa_curve", None, config, tok, {10000: (1, 4, 1e-3)}, data["train"], data["test"]
        )


def test_small_bert_qa_is_train_or_load(data, tok, config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    first, history = extractive_qa.small_bert_qa(data, tok, config, 3)
    again, history_again = extractive_qa.small_bert_qa(data, tok, config, 3)
    assert history.steps == 3 and history_again.losses == history.losses
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    out = capsys.readouterr().out
    assert "[cache] trained 04b_bert/qa (no cache)" in out and "[cache] loaded 04b_bert/qa" in out
