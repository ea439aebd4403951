"""Train-or-load: keys, reasons, atomic writes, corrupt and foreign files, code fingerprints."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
import torch

from course_utils import cache
from course_utils.models import gpt


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    monkeypatch.delenv("COURSE_SEED", raising=False)
    return tmp_path / "checkpoints"


def counted(value):
    calls = []

    def train():
        calls.append(1)
        return value

    return train, calls


def test_trains_once_then_loads_with_one_line_each(capsys, empty_cache):
    train, calls = counted({"w": torch.arange(3.0), "losses": [1.0, 0.5]})
    first, info = cache.train_or_load("nb/model", train, key={"steps": 10})
    assert capsys.readouterr().out == "[cache] trained nb/model (no cache)\n"
    assert not info.loaded and info.reason == "no cache"
    second, info = cache.train_or_load("nb/model", train, key={"steps": 10})
    assert capsys.readouterr().out == "[cache] loaded nb/model\n"
    assert info.loaded and len(calls) == 1
    assert torch.equal(second["w"], first["w"]) and second["losses"] == [1.0, 0.5]
    assert (empty_cache / "nb" / "model.pt").is_file()
    assert str(empty_cache) not in capsys.readouterr().out  # no absolute path printed


def test_a_changed_setting_trains_again(capsys):
    train, calls = counted({"x": 1})
    cache.train_or_load("nb/m", train, key={"lr": 1e-3, "batch_size": 32})
    cache.train_or_load("nb/m", train, key={"lr": 1e-3, "batch_size": 64})
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (key changed)"
    assert len(calls) == 2


def test_the_training_function_source_is_part_of_the_key(capsys):
    cache.train_or_load("nb/m", lambda: {"x": 1})
    cache.train_or_load("nb/m", lambda: {"x": 2})  # another function: another key
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (key changed)"


def test_course_retrain_forces_training(capsys, monkeypatch):
    train, calls = counted({"x": 1})
    cache.train_or_load("nb/m", train)
    monkeypatch.setenv("COURSE_RETRAIN", "1")
    cache.train_or_load("nb/m", train)
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (COURSE_RETRAIN)"
    monkeypatch.setenv("COURSE_RETRAIN", "0")
    cache.train_or_load("nb/m", train)
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] loaded nb/m"
    assert len(calls) == 2


def test_truncated_and_foreign_files_are_reported_and_retrained(capsys, empty_cache):
    train, _ = counted({"w": torch.randn(64, 64)})
    cache.train_or_load("nb/m", train)
    path = empty_cache / "nb" / "m.pt"
    path.write_bytes(path.read_bytes()[:100])  # an interrupted save of an older version
    cache.train_or_load("nb/m", train)
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (corrupt file)"
    torch.save({"model": {}}, path)  # somebody else's checkpoint under this name
    cache.train_or_load("nb/m", train)
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (foreign file)"
    path.write_text("not a checkpoint")
    cache.train_or_load("nb/m", train)
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (corrupt file)"


def test_an_interrupted_save_leaves_the_old_entry(monkeypatch, empty_cache, capsys):
    cache.train_or_load("nb/m", lambda: {"x": 1})
    before = (empty_cache / "nb" / "m.pt").read_bytes()

    def broken_save(obj, f):
        with open(f, "wb") as handle:
            handle.write(b"half a fi")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        cache.train_or_load("nb/m", lambda: {"x": 2})
    assert (empty_cache / "nb" / "m.pt").read_bytes() == before
    assert [p.name for p in (empty_cache / "nb").iterdir()] == ["m.pt"]  # no temporary left


def test_results_that_cannot_be_loaded_safely_are_refused():
    import numpy as np

    with pytest.raises(TypeError, match=r"result\['acc'\] is a float64"):
        cache.train_or_load("nb/m", lambda: {"acc": np.float64(0.5)})


def test_bad_names_are_refused():
    for bad in ("", "/abs/m", "../up", "nb/../../x"):
        with pytest.raises(ValueError, match="relative name"):
            cache.train_or_load(bad, lambda: 1)


def test_fingerprint_follows_content():
    @dataclass
    class Config:
        d_model: int = 64

    assert cache.fingerprint(Config()) == cache.fingerprint(Config())
    assert cache.fingerprint(Config()) != cache.fingerprint(Config(d_model=128))
    assert cache.fingerprint(torch.ones(3)) != cache.fingerprint(torch.ones(4))
    assert cache.fingerprint(torch.ones(3)) != cache.fingerprint(torch.ones(3, dtype=torch.int64))
    assert cache.fingerprint(["a", "b"]) != cache.fingerprint(["b", "a"])
    assert cache.fingerprint({"a": 1, "b": 2}) == cache.fingerprint({"b": 2, "a": 1})
    assert cache.fingerprint(0.1) != cache.fingerprint(0.1000000001)
    with pytest.raises(TypeError, match="cannot fingerprint a generator"):
        cache.fingerprint(x for x in range(3))


def test_code_fingerprint_follows_imports(tmp_path, monkeypatch):
    """A function added to a module that gpt imports (nn.blocks) changes gpt's code key."""
    package = tmp_path / "course_utils"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    before = cache.code_fingerprint(gpt)
    assert before == cache.code_fingerprint("course_utils.models.gpt")
    with open(package / "nn" / "blocks.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef added_later():\n    return 1\n")
    assert cache.code_fingerprint(gpt) != before
    with open(package / "corpora" / "vader.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef unrelated():\n    return 1\n")  # gpt does not import vader
    after = cache.code_fingerprint(gpt)
    (package / "corpora" / "vader.py").write_text("")
    assert cache.code_fingerprint(gpt) == after


def test_key_includes_the_code(tmp_path, monkeypatch, capsys):
    package = tmp_path / "course_utils"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    train, calls = counted({"x": 1})
    cache.train_or_load("nb/m", train, code=[gpt])
    cache.train_or_load("nb/m", train, code=[gpt])
    with open(package / "models" / "gpt.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef added_later():\n    return 1\n")
    cache.train_or_load("nb/m", train, code=[gpt])
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained nb/m (no cache)",
        "[cache] loaded nb/m",
        "[cache] trained nb/m (key changed)",
    ]
    assert len(calls) == 2


def _make(value):
    return {"value": value}


def test_the_arguments_of_a_partial_are_part_of_the_key(capsys):
    from functools import partial

    first, _ = cache.train_or_load("nb/m", partial(_make, 1))
    second, _ = cache.train_or_load("nb/m", partial(_make, 2))
    assert (first, second) == ({"value": 1}, {"value": 2})
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (key changed)"


def test_course_seed_is_part_of_the_key(capsys, monkeypatch):
    train, calls = counted({"x": 1})
    cache.train_or_load("nb/m", train, key={"seed": 0})
    monkeypatch.setenv("COURSE_SEED", "1")
    cache.train_or_load("nb/m", train, key={"seed": 0})
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] trained nb/m (key changed)"
    monkeypatch.setenv("COURSE_SEED", "0")  # the default: the stored notebooks' key
    cache.train_or_load("nb/m", train, key={"seed": 0})
    cache.train_or_load("nb/m", train, key={"seed": 0})
    assert capsys.readouterr().out.splitlines()[-1] == "[cache] loaded nb/m"
    assert len(calls) == 3


def test_a_model_and_its_history_load_as_they_were_trained(capsys):
    from course_utils.methods.train import TrainHistory

    calls = []

    def fit():
        calls.append(1)
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        return model.train(), TrainHistory(losses=[1.0, 0.5], seconds=2.5)

    def build():
        return torch.nn.Linear(3, 2)

    trained, history, info = cache.train_or_load_model("nb/linear", fit, build, TrainHistory,
                                                       key={"steps": 2})  # fmt: skip
    assert not info.loaded and not trained.training and history.losses == [1.0, 0.5]
    loaded, history, info = cache.train_or_load_model("nb/linear", fit, build, TrainHistory,
                                                      key={"steps": 2})  # fmt: skip
    assert info.loaded and len(calls) == 1 and not loaded.training
    assert loaded is not trained and torch.equal(loaded.weight, trained.weight)
    assert history == TrainHistory(losses=[1.0, 0.5], seconds=2.5)
    _, _, info = cache.train_or_load_model("nb/linear", fit, build, TrainHistory,
                                           key={"steps": 3})  # fmt: skip
    assert info.reason == "key changed" and len(calls) == 2
    assert capsys.readouterr().out.splitlines() == [
        "[cache] trained nb/linear (no cache)",
        "[cache] loaded nb/linear",
        "[cache] trained nb/linear (key changed)",
    ]
