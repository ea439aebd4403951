"""COURSE_SEED: one offset added to every training seed, with a clear error on a bad value."""

from __future__ import annotations

import pytest
import torch

from course_utils import seeds
from course_utils.corpora.batching import batch_stream, shuffled_batches
from course_utils.methods.train import seed_everything


@pytest.fixture(autouse=True)
def no_course_seed(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)


def draws(seed: int) -> torch.Tensor:
    seed_everything(seed)
    return torch.rand(4)


def test_unset_means_the_seed_itself():
    assert seeds.seed_offset() == 0 and seeds.run_seed(7) == 7
    assert torch.equal(draws(3), draws(3))


def test_the_offset_shifts_every_training_seed(monkeypatch):
    plain_seed_1 = draws(1)
    monkeypatch.setenv("COURSE_SEED", "1")
    assert seeds.run_seed(0) == 1
    assert torch.equal(draws(0), plain_seed_1)


def test_the_offset_changes_the_batch_order(monkeypatch):
    items = list(range(20))
    default = [batch for batch in shuffled_batches(items, 5, seed=0)()]
    monkeypatch.setenv("COURSE_SEED", "2")
    shifted = [batch for batch in shuffled_batches(items, 5, seed=0)()]
    assert default != shifted
    assert sorted(sum(shifted, [])) == items  # the same items, another order
    src = [[k + 3] * (1 + k % 4) for k in range(12)]
    shifted_order = [b.index for b in batch_stream(src, src, 3, seed=0)()]
    monkeypatch.delenv("COURSE_SEED")
    assert [b.index for b in batch_stream(src, src, 3, seed=0)()] != shifted_order


@pytest.mark.parametrize("text", ["one", "1.5", "seed"])
def test_a_bad_value_names_the_variable(monkeypatch, text):
    monkeypatch.setenv("COURSE_SEED", text)
    with pytest.raises(ValueError, match="COURSE_SEED"):
        seeds.run_seed(0)
