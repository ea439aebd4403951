"""Tests for course_utils.corpora.batching."""

from __future__ import annotations

import pytest

from course_utils.corpora.batching import batch_stream, make_batches, pad_sequences


def test_pad_sequences():
    ids, lengths = pad_sequences([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="at least one"):
        pad_sequences([])
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        pad_sequences([[1], []])


def test_make_batches_teacher_forcing_layout_and_coverage():
    src = [[4, 5], [6], [7, 8, 9], [4]]
    tgt = [[10], [11, 12], [13], [14, 15, 16]]
    batches = make_batches(src, tgt, batch_size=3, shuffle=False)
    assert [b.index for b in batches] == [[0, 1, 2], [3]]
    first = batches[0]
    assert first.src.tolist() == [[4, 5, 0], [6, 0, 0], [7, 8, 9]]
    assert first.src_lengths.tolist() == [2, 1, 3]
    assert first.tgt_in.tolist() == [[1, 10, 0], [1, 11, 12], [1, 13, 0]]
    assert first.tgt_out.tolist() == [[10, 2, 0], [11, 12, 2], [13, 2, 0]]
    shuffled = make_batches(src, tgt, batch_size=2, seed=3)
    assert sorted(k for b in shuffled for k in b.index) == [0, 1, 2, 3]
    assert [b.index for b in shuffled] == [b.index for b in make_batches(src, tgt, 2, seed=3)]
    with pytest.raises(ValueError, match="same length"):
        make_batches(src, tgt[:2], 2)
    with pytest.raises(ValueError, match="batch_size"):
        make_batches(src, tgt, 0)


def test_batch_stream_reshuffles_every_epoch_deterministically():
    src = [[4 + k] for k in range(12)]
    stream_a, stream_b = batch_stream(src, src, 3, seed=0), batch_stream(src, src, 3, seed=0)
    epochs_a = [[b.index for b in stream_a()] for _ in range(3)]
    epochs_b = [[b.index for b in stream_b()] for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1]
