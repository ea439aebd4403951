"""Training the GRU translators of notebook 01, train-or-load.

Introduced in notebook 01, which trains a translator without and one with additive attention
on the same budget; notebook 06 compares BART with the attention model, and gets it through the
same keyed call (:func:`gru_translator`), so it loads notebook 01's weights when they exist and
trains them when they do not.

The recipe: Adam, warm-up + cosine learning rate, ``num_steps`` batches of sentence pairs of
similar length (:func:`course_utils.corpora.batching.batch_stream`), the cross-entropy of every
target word (+ the coverage penalty for the attention model), the explicit loop of
:func:`course_utils.methods.train.train_loop`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import partial

import torch

from .. import cache
from ..corpora import batching
from ..corpora.tokenization import Vocab
from ..models import rnn_seq2seq
from . import train

__all__ = ["GRU_CONFIG", "GRU_TRAINING", "gru_translator"]

GRU_CONFIG = dict(emb_dim=64, hidden_dim=64, value_dropout=0.5)
GRU_TRAINING = dict(num_steps=1500, batch_size=64, lr=3e-3, warmup_steps=50, coverage_weight=0.5)


def _train(
    with_attention: bool,
    config: dict,
    settings: dict,
    vocab_sizes: tuple[int, int],
    train_src: list[list[int]],
    train_tgt: list[list[int]],
) -> dict:
    """Train one translator from seed 0; returns its weights and training history."""
    train.seed_everything(0)
    model = rnn_seq2seq.Seq2Seq(*vocab_sizes, attention=with_attention, **config)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    scheduler = train.warmup_cosine_schedule(
        optimizer, settings["num_steps"], settings["warmup_steps"]
    )
    history = train.train_loop(
        model,
        batching.batch_stream(train_src, train_tgt, settings["batch_size"], seed=0),
        lambda m, batch: m.loss(batch, coverage_weight=settings["coverage_weight"]),
        optimizer,
        settings["num_steps"],
        scheduler=scheduler,
        desc="with attention" if with_attention else "without attention",
    )
    return {"model": model.state_dict(), "losses": history.losses, "seconds": history.seconds}


def gru_translator(
    src_sentences: Sequence[Sequence[str]],
    tgt_sentences: Sequence[Sequence[str]],
    with_attention: bool,
    config: dict | None = None,
    settings: dict | None = None,
) -> tuple[rnn_seq2seq.Seq2Seq, Vocab, Vocab, train.TrainHistory]:
    """The GRU translator trained on these sentence pairs, train-or-load.

    Args:
        src_sentences, tgt_sentences: the training pairs as token lists (notebook 01's
            ``train`` split); the vocabularies are built from them.
        with_attention: additive attention (Bahdanau) or the fixed summary vector (Cho et al.).
        config: model sizes, default :data:`GRU_CONFIG`; settings: training, default
            :data:`GRU_TRAINING`.

    Returns:
        ``(model in eval mode, src_vocab, tgt_vocab, history)``; the history (loss per step,
        seconds) is the one of the training run, also when the weights were loaded.
        Introduced in notebook 01.
    """
    config = dict(GRU_CONFIG if config is None else config)
    settings = dict(GRU_TRAINING if settings is None else settings)
    src_vocab, tgt_vocab = Vocab.build(src_sentences), Vocab.build(tgt_sentences)
    train_src = [src_vocab.encode(s) for s in src_sentences]
    train_tgt = [tgt_vocab.encode(s) for s in tgt_sentences]
    vocab_sizes = (len(src_vocab), len(tgt_vocab))
    name = "attention" if with_attention else "no_attention"
    if config.get("input_feeding"):
        name += "_input_feeding"  # Bahdanau's wiring: its own entry, next to the default one
    saved, _ = cache.train_or_load(
        f"01_bahdanau/{name}",
        partial(_train, with_attention, config, settings, vocab_sizes, train_src, train_tgt),
        key={"data": cache.fingerprint(train_src, train_tgt, src_vocab.itos, tgt_vocab.itos)},
        code=[sys.modules[__name__]],
    )
    model = rnn_seq2seq.Seq2Seq(*vocab_sizes, attention=with_attention, **config)
    model.load_state_dict(saved["model"])
    return model.eval(), src_vocab, tgt_vocab, train.TrainHistory(saved["losses"], saved["seconds"])
