"""Tests of course_utils.methods.train, course_utils.exercises and course_utils.viz basics."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from course_utils import exercises, viz
from course_utils.methods import train


def test_seed_everything_makes_torch_repeatable():
    train.seed_everything(123)
    first = torch.randn(4)
    train.seed_everything(123)
    assert torch.equal(first, torch.randn(4))
    with pytest.raises(TypeError, match="seed must be an int"):
        train.seed_everything(1.5)


def test_get_device_honours_preference(monkeypatch):
    assert train.get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert train.get_device() == torch.device("cpu")


def test_train_loop_fits_a_line():
    train.seed_everything(0)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    y = 3 * x - 0.5
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    history = train.train_loop(
        model,
        [(x, y)],
        lambda m, batch: torch.nn.functional.mse_loss(m(batch[0]), batch[1]),
        optimizer,
        num_steps=200,
        progress=False,
    )
    assert history.steps == 200
    assert history.losses[-1] < 1e-4 < history.losses[0]
    assert model.weight.item() == pytest.approx(3.0, abs=1e-2)
    assert len(history.smoothed(5)) == 200


def test_train_loop_rejects_bad_arguments():
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="num_steps must be > 0"):
        train.train_loop(model, [1], lambda m, b: m.weight.sum(), optimizer, num_steps=0)
    with pytest.raises(ValueError, match="produced no batch"):
        train.train_loop(
            model, [], lambda m, b: m.weight.sum(), optimizer, num_steps=1, progress=False
        )
    with pytest.raises(ValueError, match="scalar tensor"):
        train.train_loop(model, [1], lambda m, b: m.weight, optimizer, num_steps=1, progress=False)


def test_warmup_cosine_schedule_shape():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = train.warmup_cosine_schedule(optimizer, num_steps=10, warmup_steps=2, min_factor=0.1)
    lrs = []
    for _ in range(10):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert lrs[0] == pytest.approx(0.5) and lrs[1] == pytest.approx(1.0)
    assert lrs[-1] < lrs[2] and min(lrs) >= 0.1 - 1e-9


def test_check_answers(capsys):
    assert exercises.check(0.5, 0.5)
    assert not exercises.check(None, 1.0)
    assert "Not answered yet" in capsys.readouterr().out
    assert not exercises.check(0.4, 0.5, hint="look at the mask")
    assert "off by 0.1" in capsys.readouterr().out
    assert not exercises.check(torch.ones(2), torch.ones(3))
    assert "expected shape (3,)" in capsys.readouterr().out
    assert exercises.check("она", "она")


def test_heatmap_validates_labels_and_gold():
    weights = torch.softmax(torch.randn(2, 3), dim=-1)
    ax = viz.attention_heatmap(weights, ["я", "вижу"], ["I", "see", "it"], gold=[(0, 0), (1, 1)])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["I", "see", "it"]
    with pytest.raises(ValueError, match="does not match 3 query tokens x 3 key tokens"):
        viz.attention_heatmap(weights, ["a", "b", "c"], ["I", "see", "it"])
    with pytest.raises(ValueError, match=r"gold link \(5, 0\) lies outside"):
        viz.attention_heatmap(weights, ["a", "b"], ["I", "see", "it"], gold=[(5, 0)])
    fig = viz.attention_grid(torch.rand(2, 3, 4, 4), ["a", "b", "c", "d"])
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="4-D"):
        viz.attention_grid(torch.rand(3, 4, 4))
    matplotlib.pyplot.close("all")


def test_a_misspelt_course_device_gets_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpuu")
    with pytest.raises(ValueError, match=r"COURSE_DEVICE='cpuu' is not a device: use 'cpu'"):
        train.get_device()
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert train.get_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            train.get_device("cuda")


def test_adamw_is_fused_on_cpu_and_matches_the_plain_update():
    torch.manual_seed(0)
    plain_model = torch.nn.Linear(6, 3)
    fused_model = torch.nn.Linear(6, 3)
    fused_model.load_state_dict(plain_model.state_dict())
    plain = torch.optim.AdamW(plain_model.parameters(), lr=1e-2, weight_decay=0.01)
    fused = train.adamw(fused_model.parameters(), lr=1e-2)
    assert fused.defaults["fused"] is True
    x = torch.randn(8, 6)
    for model, opt in ((plain_model, plain), (fused_model, fused)):
        for _ in range(5):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    for a, b in zip(plain_model.parameters(), fused_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="nothing to optimise"):
        train.adamw([], lr=1e-3)
