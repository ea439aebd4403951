"""Tests for course_utils.corpora.shakespeare (notebook 05)."""

from __future__ import annotations

import pytest
import torch

from course_utils.corpora.shakespeare import (
    SHAKESPEARE_PLAYS,
    load_shakespeare,
    sample_batch,
    shakespeare_texts_dir,
)
from course_utils.corpora.tokenization import BPETokenizer, CharTokenizer, make_tokenizer


@pytest.fixture(scope="module")
def corpus():
    return load_shakespeare()


def test_corpus_is_fixed_and_split_by_position(corpus):
    assert corpus.plays == SHAKESPEARE_PLAYS and len(SHAKESPEARE_PLAYS) == 12
    assert corpus == load_shakespeare()  # deterministic
    assert 1_350_000 < len(corpus.train) < 1_500_000
    assert 0.09 < len(corpus.val) / len(corpus.text) < 0.11
    assert corpus.train.startswith("HAMLET, PRINCE OF DENMARK\n")
    assert "\r" not in corpus.text and "\n\n\n" not in corpus.text
    # the validation text is the end of each play: Macbeth's last line is in val, not in train
    assert "Whom we invite to see us crown'd at Scone." in corpus.val
    assert "Whom we invite to see us crown'd at Scone." not in corpus.train


def test_one_play_split_by_hand():
    one = load_shakespeare(plays=["macbeth"], val_fraction=0.2)
    text = one.train + one.val
    assert one.train.endswith("\n") and len(one.train) >= 0.8 * len(text)
    assert len(one.train) - 0.8 * len(text) < 200  # cut at the next line start


def test_bad_corpus_arguments():
    with pytest.raises(ValueError, match="unknown play 'hamlett'"):
        load_shakespeare(plays=["hamlett"])
    with pytest.raises(ValueError, match="val_fraction"):
        load_shakespeare(val_fraction=0.0)
    with pytest.raises(ValueError, match="plays"):
        load_shakespeare(plays="hamlet")
    assert shakespeare_texts_dir().name == "texts"


def test_char_tokenizer_round_trip_and_unknown_characters(corpus):
    tok = CharTokenizer.build(corpus.text)
    assert tok.vocab_size == len(set(corpus.text))
    ids = tok.encode("To be, or not to be")
    assert tok.decode(ids) == "To be, or not to be"
    assert tok.decode(torch.tensor(ids)) == "To be, or not to be"
    small = CharTokenizer("abc ")
    assert small.encode("cab a") == [2, 0, 1, 3, 0]
    with pytest.raises(ValueError, match=r"unknown character 'é' at position 2"):
        small.encode("abé")
    with pytest.raises(ValueError, match="ids must lie in 0..3"):
        small.decode([4])
    with pytest.raises(TypeError):
        small.encode(5)
    with pytest.raises(ValueError):
        CharTokenizer("aa")


def test_bpe_switch():
    text = "to be or not to be, that is the question. " * 50
    tok = make_tokenizer("bpe", text, vocab_size=300)
    assert isinstance(tok, BPETokenizer) and tok.vocab_size <= 300
    ids = tok.encode("to be or not")
    assert len(ids) < len("to be or not")  # merges make tokens longer than a byte
    assert tok.decode(ids) == "to be or not"
    assert tok.decode(tok.encode("naïve ✓")) == "naïve ✓"  # byte-level: no unknown characters
    assert isinstance(make_tokenizer("char", text), CharTokenizer)
    with pytest.raises(ValueError, match="kind"):
        make_tokenizer("word", text)
    with pytest.raises(ValueError, match="vocab_size"):
        make_tokenizer("bpe", text, vocab_size=100)


def test_sample_batch_targets_are_shifted_inputs():
    data = torch.arange(100)
    x, y = sample_batch(data, 4, 8, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 8)
    assert torch.equal(y, x + 1)
    assert torch.equal(x[:, 1:], x[:, :-1] + 1)
    x2, _ = sample_batch(data, 4, 8, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    with pytest.raises(ValueError, match="context=100"):
        sample_batch(data, 4, 100)


def test_evaluate_windows_against_a_hand_loop():
    from course_utils.corpora.shakespeare import evaluate_windows
    from course_utils.models.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=7, d_model=8, num_heads=2, num_layers=1, d_ff=16, max_len=4))
    data = torch.randint(0, 7, (14,))  # windows 0..4, 4..8, 8..12; the tail 12..13 is dropped
    expected = []
    with torch.no_grad():
        for start in (0, 4, 8):
            logits = model(data[None, start : start + 4]).logits[0]
            expected.append(torch.nn.functional.cross_entropy(logits, data[start + 1 : start + 5]))
    got = evaluate_windows(model.train(), data, context=4, batch_size=2)
    assert got == pytest.approx(torch.stack(expected).mean().item(), rel=1e-6)
    assert model.training  # mode restored
    assert evaluate_windows(model, data, 4, max_windows=1) == pytest.approx(expected[0].item())
