"""Tests for course_utils.methods.transfer (subsets, fine-tuning, frozen features, linear probe)."""

from __future__ import annotations

import random
import time

import pytest
import torch
from torch import nn

from course_utils.corpora.batching import shuffled_batches
from course_utils.corpora.tokenization import encode_batch, train_wordpiece
from course_utils.methods.transfer import (
    LinearProbe,
    accuracy,
    finetune_classifier,
    sentence_features,
    subsample,
    train_probe,
)
from course_utils.models.bert import BertConfig, BertModel

POS = ["a great film", "wonderful acting", "i loved it", "a superb plot", "great fun"]
NEG = ["a dull film", "awful acting", "i hated it", "a boring plot", "dull and slow"]
TEXTS = POS + NEG
LABELS = [1] * 5 + [0] * 5


@pytest.fixture(scope="module")
def tok():
    return train_wordpiece(TEXTS * 3, vocab_size=80, min_frequency=1)


def test_subsample_balanced_and_seeded():
    texts = [f"t{i}" for i in range(100)]
    labels = [i % 2 for i in range(100)]
    x, y = subsample(texts, labels, 10, seed=0)
    assert len(x) == 10 and sum(y) == 5
    assert all(int(t[1:]) % 2 == lab for t, lab in zip(x, y, strict=True))
    assert subsample(texts, labels, 10, seed=0) == (x, y)
    assert subsample(texts, labels, 10, seed=1)[0] != x
    assert subsample(texts, labels, 11, seed=0)[1].count(0) == 6  # remainder to class 0
    assert subsample(texts, labels, None) == (texts, labels)
    assert subsample(texts, labels, 500) == (texts, labels)
    with pytest.raises(ValueError, match="n must be"):
        subsample(texts, labels, 0)
    with pytest.raises(ValueError, match="differ in length"):
        subsample(texts, labels[:5], 4)


def test_shuffled_batches_cover_each_epoch():
    factory = shuffled_batches(list(range(10)), 3, seed=0)
    epoch = list(factory())
    assert [len(b) for b in epoch] == [3, 3, 3]
    assert len({i for b in epoch for i in b}) == 9
    assert list(shuffled_batches([1, 2], 8)()) in ([[1, 2]], [[2, 1]])  # fewer items than a batch


def test_shuffled_batches_grouped_by_length():
    texts = ["x" * random.Random(k).randint(1, 60) for k in range(200)]
    grouped = list(shuffled_batches(texts, 8, seed=0, length=len, pool_batches=5)())
    plain = list(shuffled_batches(texts, 8, seed=0)())
    assert [len(b) for b in grouped] == [8] * 25  # every batch full, every item once
    assert sorted(t for b in grouped for t in b) == sorted(texts)

    def padding(batches):
        return sum(max(map(len, b)) * len(b) - sum(map(len, b)) for b in batches)

    assert padding(grouped) < padding(plain) / 3
    # batches come in shuffled order, not sorted by length
    longest = [max(map(len, b)) for b in grouped]
    assert longest != sorted(longest)
    with pytest.raises(ValueError, match="pool_batches"):
        shuffled_batches(texts, 8, length=len, pool_batches=0)


def test_probe_separates_and_is_deterministic():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    probe = train_probe(x * 10 + 3, y, weight_decay=1e-4)  # standardisation handles the scale
    assert isinstance(probe, LinearProbe)
    assert probe.accuracy(x * 10 + 3, y) >= 0.98
    again = train_probe(x * 10 + 3, y, weight_decay=1e-4)
    assert torch.equal(probe.linear.weight, again.linear.weight)
    w = probe.linear.weight[1] - probe.linear.weight[0]
    assert w[0] > 0 and w[1] > 0 and w[0] > w[2:].abs().max()  # the direction that matters
    with pytest.raises(ValueError, match=r"features must be \[N, d\]"):
        train_probe(x, y[:10])


def test_sentence_features_ignore_padding(tok):
    torch.manual_seed(0)
    bert = BertModel(
        BertConfig(vocab_size=len(tok), d_model=16, num_heads=2, num_layers=1, d_ff=32)
    )
    texts = ["a great film", "dull and slow , i hated it"]
    both = sentence_features(bert, texts, tok)
    alone = sentence_features(bert, texts[:1], tok)
    assert both.shape == (2, 16)
    assert torch.allclose(both[0], alone[0], atol=1e-5)
    enc = encode_batch(tok, texts[1:])
    with torch.no_grad():
        by_hand = bert(enc["input_ids"], enc["attention_mask"]).last_hidden_state.mean(1)[0]
    assert torch.allclose(both[1], by_hand, atol=1e-5)


def test_finetune_learns_and_accuracy(tok):
    config = BertConfig(vocab_size=len(tok), d_model=32, num_heads=2, num_layers=1, d_ff=64)
    model, history = finetune_classifier(
        None, config, TEXTS, LABELS, 40, tok, lr=3e-3, batch_size=10, progress=False
    )
    assert history.steps == 40 and history.losses[-1] < history.losses[0]
    assert accuracy(model, TEXTS, LABELS, tok) >= 0.9
    frozen, _ = finetune_classifier(
        model.bert,
        config,
        TEXTS,
        LABELS,
        2,
        tok,
        prepare=lambda m: m.bert.requires_grad_(False),
        progress=False,
    )
    assert torch.equal(frozen.bert.embeddings.token.weight, model.bert.embeddings.token.weight)
    with pytest.raises(ValueError, match="init_bert does not fit"):
        finetune_classifier(nn.Linear(2, 2), config, TEXTS, LABELS, 1, tok, progress=False)


def test_small_bert_is_keyed_by_every_setting(tok, tmp_path, monkeypatch, capsys):
    from course_utils.methods import transfer

    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    monkeypatch.setattr(transfer, "pretraining_texts", lambda: TEXTS)
    monkeypatch.setattr(transfer.wordpiece_vocab, "load_course_tokenizer", lambda: tok)
    model, tokenizer, history = transfer.small_bert(num_steps=2, batch_size=4)
    again, _, _ = transfer.small_bert(num_steps=2, batch_size=4)
    transfer.small_bert(num_steps=2, batch_size=8)  # another batch size: trained again
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained 04_bert/small_bert_mlm (no cache)",
        "[cache] loaded 04_bert/small_bert_mlm",
        "[cache] trained 04_bert/small_bert_mlm (key changed)",
    ]
    assert tokenizer is tok and history.steps == 2
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_pretraining_is_deterministic(tok):
    from course_utils.methods.transfer import pretrain_mlm

    config = BertConfig(vocab_size=len(tok), d_model=16, num_heads=2, num_layers=1, d_ff=32)
    first, _ = pretrain_mlm(config, TEXTS, 3, tok, batch_size=4)
    second, _ = pretrain_mlm(config, TEXTS, 3, tok, batch_size=4)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_bad_training_data_gets_a_clear_error(tok):
    from course_utils.methods.transfer import pretrain_mlm

    config = BertConfig(vocab_size=len(tok), d_model=16, num_heads=2, num_layers=1, d_ff=32)
    with pytest.raises(ValueError, match="texts is empty: fine-tuning needs at least one text"):
        finetune_classifier(None, config, [], [], 2, tok)
    with pytest.raises(ValueError, match="texts is empty: masked-LM pre-training needs"):
        pretrain_mlm(config, [], 2, tok)
    with pytest.raises(ValueError, match=r"class ids 0..1 .*labels\[1\] is 2 \(2 bad labels"):
        finetune_classifier(None, config, TEXTS[:3], [0, 2, -1], 2, tok)
    with pytest.raises(ValueError, match="3 texts, 2 labels"):
        finetune_classifier(None, config, TEXTS[:3], [0, 1], 2, tok)
    with pytest.raises(TypeError, match="a single str"):
        finetune_classifier(None, config, "a great film", [1], 2, tok)


def test_on_step_sees_training_time_without_its_own(tok):
    config = BertConfig(vocab_size=len(tok), d_model=32, num_heads=2, num_layers=1, d_ff=64)
    seen = []

    def on_step(step, model, seconds):
        assert model.training
        model.eval()  # the loop puts it back in train mode
        seen.append((step, seconds))
        time.sleep(0.05)  # slow callbacks do not count as training time

    start = time.perf_counter()
    _, history = finetune_classifier(
        None, config, TEXTS, LABELS, 4, tok, batch_size=5, progress=False, on_step=on_step
    )
    wall = time.perf_counter() - start
    assert [step for step, _ in seen] == [1, 2, 3, 4]
    assert all(a < b for (_, a), (_, b) in zip(seen, seen[1:], strict=False))
    assert seen[-1][1] <= history.seconds < wall - 4 * 0.05  # the sleeps are left out


def test_learning_curve_runs_every_size_and_seed_and_is_cached(tok, tmp_path, monkeypatch, capsys):
    from course_utils.methods import transfer

    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    config = BertConfig(vocab_size=len(tok), d_model=32, num_heads=2, num_layers=1, d_ff=64)
    plan = {4: (3, 4, 1e-3), 10: (5, 5, 1e-3)}

    def curve():
        return transfer.learning_curve(
            "test/curve", None, config, tok, plan, {4: [0, 1]}, (TEXTS, LABELS), (TEXTS, LABELS)
        )

    first, again = curve(), curve()
    assert list(first) == ["4|0", "4|1", "10|0"]
    assert all(0 <= r["acc"] <= 1 and r["steps"] == plan[int(k.split("|")[0])][0]
               for k, r in first.items())  # fmt: skip
    assert again == first
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained test/curve (no cache)",
        "[cache] loaded test/curve",
    ]
