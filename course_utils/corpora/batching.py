"""Batches: padding id sequences, the length-sorted batches of notebook 01, shuffled batches.

- :func:`pad_sequences` right-pads id lists into one ``[B, T_max]`` tensor (every model of the
  course that reads padded sentences uses it, with the lengths for the padding mask);
- :class:`Batch`, :func:`make_batches` and :func:`batch_stream`: source/target sentence pairs
  grouped by length, so that little compute goes to padding (notebook 01's translators);
- :func:`shuffled_batches`: a factory of batches in a new order each epoch for
  :func:`course_utils.methods.train.train_loop` (notebooks 04, 07, 08).

The language models of notebook 05 read fixed windows of one long text instead
(:func:`course_utils.corpora.shakespeare.sample_batch`), and the dialogue batches mask the
prompt (:func:`course_utils.corpora.chatterbot.dialogue_batch`): different kinds of batch,
kept with their corpora.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..seeds import run_seed

__all__ = ["Batch", "batch_stream", "make_batches", "pad_sequences", "shuffled_batches"]


def pad_sequences(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[Tensor, Tensor]:
    """Right-pad id lists into ``ids [B, T_max]`` (long) and return ``lengths [B]`` with them.

    Introduced in notebook 01.
    """
    if len(sequences) == 0:
        raise ValueError("sequences is empty: need at least one sequence to pad")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError(f"sequence {int(lengths.argmin())} is empty")
    ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for k, seq in enumerate(sequences):
        ids[k, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return ids, lengths


@dataclass
class Batch:
    """One training batch. ``tgt_in`` = ``<bos> y``, ``tgt_out`` = ``y <eos>`` (teacher forcing).

    Attributes: ``src [B, S]``, ``src_lengths [B]``, ``tgt_in [B, T]``, ``tgt_out [B, T]``
    (padded with ``pad_id``), ``index`` (positions of the examples in the input lists).
    Introduced in notebook 01.
    """

    src: Tensor
    src_lengths: Tensor
    tgt_in: Tensor
    tgt_out: Tensor
    index: list[int]

    def __len__(self) -> int:
        return len(self.index)


def make_batches(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    batch_size: int,
    *,
    bos_id: int = 1,
    eos_id: int = 2,
    pad_id: int = 0,
    shuffle: bool = True,
    seed: int = 0,
) -> list[Batch]:
    """Group sentence pairs of similar source length into batches (less padding, faster RNNs).

    The examples are shuffled (with ``seed``), sorted by source length, cut into batches of
    ``batch_size`` and the batch order is shuffled again; ``shuffle=False`` keeps the input order.
    ``tgt_ids`` are target ids *without* ``<bos>``/``<eos>``; they are added here.
    Introduced in notebook 01.
    """
    if len(src_ids) != len(tgt_ids):
        raise ValueError(
            f"src_ids and tgt_ids must have the same length, got {len(src_ids)} and {len(tgt_ids)}"
        )
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    order = list(range(len(src_ids)))
    if shuffle:
        rng = random.Random(run_seed(seed))
        rng.shuffle(order)
        order.sort(key=lambda k: len(src_ids[k]))  # stable: equal lengths stay shuffled
    chunks = [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(chunks)
    batches = []
    for chunk in chunks:
        src, src_lengths = pad_sequences([src_ids[k] for k in chunk], pad_id)
        tgt_in, _ = pad_sequences([[bos_id, *tgt_ids[k]] for k in chunk], pad_id)
        tgt_out, _ = pad_sequences([[*tgt_ids[k], eos_id] for k in chunk], pad_id)
        batches.append(Batch(src, src_lengths, tgt_in, tgt_out, chunk))
    return batches


def batch_stream(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    batch_size: int,
    seed: int = 0,
    **kwargs,
) -> Callable[[], list[Batch]]:
    """A batch factory for :func:`course_utils.methods.train.train_loop`: every call is one epoch,
    reshuffled with seed ``seed + epoch``, so a run is the same on every machine.
    Introduced in notebook 01."""
    epoch = [0]

    def next_epoch() -> list[Batch]:
        batches = make_batches(src_ids, tgt_ids, batch_size, seed=seed + epoch[0], **kwargs)
        epoch[0] += 1
        return batches

    return next_epoch


def shuffled_batches(
    items: Sequence,
    batch_size: int,
    seed: int = 0,
    length: Callable[[object], int] | None = None,
    pool_batches: int = 50,
) -> Callable:
    """A factory of shuffled batches for :func:`~course_utils.methods.train.train_loop` (a new order each
    epoch, seeded; batches of exactly ``batch_size``, or all items if there are fewer).

    With ``length`` (e.g. ``len`` of a text), each epoch's shuffled order is cut into pools of
    ``pool_batches`` batches, every pool is sorted by length and cut into batches, and the
    batches are shuffled: a batch holds items of similar length, so little compute goes to
    padding (``group_by_length`` in Hugging Face's ``Trainer``), while every epoch still sees
    every item in a new order.

    Introduced in notebook 03 (the translator's batches); notebooks 04, 07 and 08 fine-tune
    with it.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if pool_batches <= 0:
        raise ValueError(f"pool_batches must be positive, got {pool_batches}")
    rng = random.Random(run_seed(seed))
    size = min(batch_size, len(items))

    def epoch():
        order = rng.sample(range(len(items)), len(items))
        chunks = [order[i : i + size] for i in range(0, len(order) - size + 1, size)]
        if length is not None:
            pool = size * pool_batches
            chunks = []
            for start in range(0, len(order), pool):
                by_length = sorted(order[start : start + pool], key=lambda j: length(items[j]))
                chunks += [
                    by_length[i : i + size] for i in range(0, len(by_length) - size + 1, size)
                ]
            rng.shuffle(chunks)
        for chunk in chunks:
            yield [items[j] for j in chunk]

    return epoch
