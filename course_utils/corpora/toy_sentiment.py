"""A small generated sentiment corpus on which masked-LM pre-training can help.

Introduced in notebook 04. It is not a real corpus: it is built from a seed, from the word lists
below, to show the mechanism by which pre-training transfers (Harris' distributional
hypothesis): words that share contexts in unlabelled text get similar representations.
"""

from __future__ import annotations

import random

from datasets import Dataset, DatasetDict

from .tokenization import SPECIAL_TOKENS, wordpiece_from_vocab

__all__ = ["TOY_NEGATIVE", "TOY_POSITIVE", "transfer_toy_corpus", "word_tokenizer"]

TOY_POSITIVE = [
    "good",
    "great",
    "superb",
    "lovely",
    "brilliant",
    "wonderful",
    "excellent",
    "fine",
    "splendid",
    "charming",
    "delightful",
    "pleasant",
    "terrific",
    "marvelous",
    "fantastic",
    "gorgeous",
    "stunning",
    "enjoyable",
    "admirable",
    "sublime",
]
TOY_NEGATIVE = [
    "bad",
    "awful",
    "terrible",
    "dreadful",
    "boring",
    "horrible",
    "poor",
    "dull",
    "lousy",
    "weak",
    "tedious",
    "clumsy",
    "painful",
    "mediocre",
    "atrocious",
    "bland",
    "messy",
    "shoddy",
    "dismal",
    "pathetic",
]
_NOUNS = [
    "film",
    "movie",
    "plot",
    "cast",
    "story",
    "script",
    "ending",
    "score",
    "acting",
    "dialogue",
    "soundtrack",
    "camera",
    "pacing",
    "director",
    "sequel",
    "scene",
]
_POS_CONTEXT = [
    "i loved it",
    "i will watch it again",
    "i recommend it",
    "a real joy",
    "we all smiled",
    "worth every penny",
]
_NEG_CONTEXT = [
    "i hated it",
    "i walked out",
    "avoid it",
    "a waste of time",
    "we all groaned",
    "i want my money back",
]


def transfer_toy_corpus(
    num_unlabelled: int = 20000,
    num_labelled: int = 200,
    num_test: int = 1000,
    num_seen_words: int = 6,
    adjectives_per_sentence: int = 4,
    seed: int = 0,
) -> DatasetDict:
    """A generated corpus on which pre-training measurably helps a small labelled set.

    Sentiment here hangs on one adjective ("the plot was superb ."). The *unlabelled* split
    lists ``adjectives_per_sentence`` adjectives of the same polarity per sentence, next to a
    cue ("the plot was superb , lovely , brilliant and sublime , i loved it ."), so that the
    distribution of words alone (no labels) reveals which adjectives go together; the
    *labelled* ``train`` split (``num_labelled`` examples) uses only ``num_seen_words`` positive
    and ``num_seen_words`` negative adjectives, without cues; the ``test`` split uses the other,
    unseen adjectives. A model trained from scratch knows nothing about an adjective it never
    saw with a label; a model pre-trained with masked-LM has placed it next to the adjectives
    that share its contexts (Harris' distributional hypothesis). With one adjective per
    unlabelled sentence the signal is too weak for a few hundred steps of pre-training; four
    make it the main thing the masked-LM has to learn.

    Returns ``DatasetDict(unlabelled[text], train[text, label], test[text, label])``.
    Introduced in notebook 04.
    """
    if not 1 <= num_seen_words < len(TOY_POSITIVE):
        raise ValueError(
            f"num_seen_words must be in 1..{len(TOY_POSITIVE) - 1}, got {num_seen_words}"
        )
    if not 1 <= adjectives_per_sentence <= len(TOY_POSITIVE):
        raise ValueError(
            f"adjectives_per_sentence must be in 1..{len(TOY_POSITIVE)}, "
            f"got {adjectives_per_sentence}"
        )
    rng = random.Random(seed)

    def sentence(adjective: str) -> str:
        noun = rng.choice(_NOUNS)
        form = rng.randrange(3)
        if form == 0:
            return f"the {noun} was {adjective} ."
        return f"a {adjective} {noun} ." if form == 1 else f"what a {adjective} {noun} ."

    unlabelled = []
    for _ in range(num_unlabelled):
        positive = rng.random() < 0.5
        words, cues = (TOY_POSITIVE, _POS_CONTEXT) if positive else (TOY_NEGATIVE, _NEG_CONTEXT)
        adjectives = rng.sample(words, adjectives_per_sentence)
        listed = " , ".join(adjectives[:-1]) + " and " if len(adjectives) > 1 else ""
        unlabelled.append(
            f"the {rng.choice(_NOUNS)} was {listed}{adjectives[-1]} , {rng.choice(cues)} ."
        )

    def labelled(count: int, seen: bool) -> dict:
        texts, labels = [], []
        for i in range(count):
            positive = i % 2 == 0
            words = TOY_POSITIVE if positive else TOY_NEGATIVE
            pool = words[:num_seen_words] if seen else words[num_seen_words:]
            texts.append(sentence(rng.choice(pool)))
            labels.append(int(positive))
        return {"text": texts, "label": labels}

    return DatasetDict(
        unlabelled=Dataset.from_dict({"text": unlabelled}),
        train=Dataset.from_dict(labelled(num_labelled, True)),
        test=Dataset.from_dict(labelled(num_test, False)),
    )


def word_tokenizer(corpus: DatasetDict):
    """A WordPiece tokenizer with one token per word of ``corpus`` (all splits), built without
    training, so the same on every run (the trained one breaks ties differently in every
    process). Introduced in notebook 04."""
    words = sorted({w for split in corpus.values() for text in split["text"] for w in text.split()})
    return wordpiece_from_vocab(SPECIAL_TOKENS + words)
