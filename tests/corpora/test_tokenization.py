"""Tests of the WordPiece tokenizer path (course_utils.corpora.tokenization)."""

import pytest

from course_utils.corpora.tokenization import (
    Vocab,
    WordVocab,
    encode_batch,
    load_tokenizer,
    split_words,
    train_wordpiece,
)

TEXTS = ["the movie was good", "the movie was bad", "a good film", "a bad film"] * 20


@pytest.fixture(scope="module")
def tok():
    return train_wordpiece(TEXTS, vocab_size=60, min_frequency=1)


def test_special_ids_and_pairs(tok):
    assert [
        tok.pad_token_id,
        tok.unk_token_id,
        tok.cls_token_id,
        tok.sep_token_id,
        tok.mask_token_id,
    ] == [0, 1, 2, 3, 4]
    enc = encode_batch(
        tok, ["The movie", "a good film was good"], ["was bad", "x"], return_offsets=True
    )
    ids = enc["input_ids"]
    assert ids.shape == enc["attention_mask"].shape == enc["token_type_ids"].shape
    assert tok.convert_ids_to_tokens(ids[0, :5].tolist()) == [
        "[CLS]",
        "the",
        "movie",
        "[SEP]",
        "was",
    ]
    assert enc["token_type_ids"][0].tolist()[:6] == [0, 0, 0, 0, 1, 1]
    assert enc["offset_mapping"].shape == (*ids.shape, 2)
    assert (
        enc["attention_mask"][0].sum() < ids.shape[1]
        or enc["attention_mask"][1].sum() < ids.shape[1]
    )


def test_truncation(tok):
    enc = encode_batch(tok, ["good " * 50], max_len=8)
    assert enc["input_ids"].shape == (1, 8)


def test_rejects_empty_input(tok):
    with pytest.raises(ValueError, match="non-empty list"):
        encode_batch(tok, [])
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        encode_batch(tok, ["good", "  "])
    with pytest.raises(TypeError, match=r"texts\[0\] must be a str"):
        encode_batch(tok, [3])
    with pytest.raises(ValueError, match="one entry per text"):
        encode_batch(tok, ["a", "b"], ["c"])
    with pytest.raises(ValueError, match="at least one non-empty"):
        train_wordpiece(["", " "])


def test_save_and_load(tok, tmp_path):
    path = tmp_path / "tok.json"
    tok.backend_tokenizer.save(str(path))
    again = load_tokenizer(path)
    assert again("a good film")["input_ids"] == tok("a good film")["input_ids"]


def test_split_words_and_vocab():
    assert split_words("The plot, I think, wasn't bad!") == [
        "the", "plot", ",", "i", "think", ",", "wasn't", "bad", "!",
    ]  # fmt: skip
    vocab = WordVocab.build(["a b b c", "b c"], size=5)
    assert vocab.itos == ["<pad>", "<bos>", "<unk>", "b", "c"]
    assert vocab.encode("b a", bos=True) == [1, 3, 2]
    assert vocab.decode([1, 3, 4]) == "b c"
    with pytest.raises(TypeError, match="text"):
        split_words(3)


def test_vocab_ids_are_frequency_then_alphabetical():
    vocab = Vocab.build([["b", "a", "c"], ["c", "a"], ["c"]])
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "c", "a", "b"]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.encode(["a", "c"], add_bos=True, add_eos=True) == [1, 5, 4, 2]
    assert vocab.decode([1, 5, 0, 4, 2, 6]) == ["a", "c"]  # stops at <eos>, drops <bos>/<pad>
    assert len(Vocab.build([["a", "b"]], min_count=2)) == 4


def test_vocab_bad_input():
    vocab = Vocab(["a", "b"])
    with pytest.raises(ValueError, match="unknown token 'z'.*allow_unknown=True"):
        vocab.encode(["a", "z"])
    assert vocab.encode(["a", "z"], allow_unknown=True) == [4, 3]
    with pytest.raises(TypeError, match="use .split"):
        vocab.encode("a b")
    with pytest.raises(ValueError, match="empty"):
        vocab.encode([])
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(["a", "a"])
    with pytest.raises(TypeError, match="use .split"):
        Vocab.build(["a b"])
