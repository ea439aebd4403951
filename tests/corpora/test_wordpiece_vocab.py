"""The committed WordPiece vocabulary: trained on today's text, rebuilt the same every time."""

from __future__ import annotations

import json

from course_utils.corpora import tokenization, wordpiece_vocab
from course_utils.paths import data_dir


def test_committed_vocabulary_matches_its_training_text():
    assert wordpiece_vocab.check_vocab()


def test_the_rebuilt_tokenizer_is_always_the_same():
    first, second = wordpiece_vocab.load_course_tokenizer(), wordpiece_vocab.load_course_tokenizer()
    text = "The gorgeously elaborate continuation is unbelievably tedious."
    assert len(first) == wordpiece_vocab.VOCAB_SETTINGS["vocab_size"]
    assert first(text)["input_ids"] == second(text)["input_ids"]
    assert first.convert_ids_to_tokens(first(text)["input_ids"])[0] == "[CLS]"
    assert (first.pad_token_id, first.mask_token_id) == (0, 4)


def test_rebuilding_from_a_vocabulary_equals_the_trained_tokenizer():
    texts = ["the gorgeous film was unbelievably tedious", "a plot twist nobody saw"] * 3
    trained = tokenization.train_wordpiece(texts, vocab_size=70, min_frequency=1)
    rebuilt = tokenization.wordpiece_from_vocab(tokenization.wordpiece_vocab(trained))
    for text in ("The gorgeous plot, unbelievably tedious.", "nobody saw a film"):
        assert rebuilt(text, "a twist")["input_ids"] == trained(text, "a twist")["input_ids"]


def test_a_stale_vocabulary_fails_the_check(tmp_path):
    record = json.loads((data_dir() / wordpiece_vocab.VOCAB_FILE).read_text(encoding="utf-8"))
    record["trained_on"] = "0" * 16  # trained on some other text
    stale = tmp_path / "vocab.json"
    stale.write_text(json.dumps(record), encoding="utf-8")
    assert not wordpiece_vocab.check_vocab(stale)
    assert not wordpiece_vocab.check_vocab(tmp_path / "missing.json")
