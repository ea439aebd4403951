"""Train-or-load: one keyed cache for every trained model, tokenizer and slow result.

A notebook trains a model once and loads it on the next run, so a
lecturer can re-run it in class in seconds. The danger of such a cache is a result of code that
no longer exists; so every entry is stored with a **key**, a hash of everything that determines
it, and is used only while the key still matches:

- the settings passed in ``key`` (model config, training settings, seeds, ...);
- a fingerprint of the data and the tokenizer (:func:`fingerprint` of texts, tensors, a
  tokenizer's vocabulary, ...), also passed in ``key``;
- the source of the package code the training runs: the modules named in ``code`` and every
  ``course_utils`` module they import, at any depth (:func:`code_fingerprint`);
- the source of the ``train`` function itself, where Python can read it (a notebook's own
  training function is hashed too).

A change in any of them trains again. :func:`train_or_load` prints exactly one line per use::

    [cache] loaded 09_rlhf/policy_lm
    [cache] trained 09_rlhf/policy_lm (key changed)

the reason being ``no cache``, ``key changed``, ``corrupt file``, ``foreign file`` or
``COURSE_RETRAIN``. ``COURSE_RETRAIN=1`` forces training; a corrupt or foreign file is reported
and retrained, never a crash. Files are written to a temporary name and renamed into place, so an
interrupted save leaves the old entry or none, never half a file. Entries live in
:func:`checkpoint_dir` (``COURSE_CHECKPOINT_DIR``, default ``.cache/checkpoints``); the test
command empties it first, so tests always run the current training code.

What ``train`` returns is stored with ``torch.save`` and read back with ``weights_only=True``:
tensors, state dicts, numbers, strings, lists, tuples and dicts of them (a tokenizer travels as
its JSON string, next to the weights it belongs to).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import inspect
import json
import os
import tempfile
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch

from .paths import cache_dir
from .seeds import seed_offset

__all__ = [
    "CacheResult",
    "checkpoint_dir",
    "code_fingerprint",
    "fingerprint",
    "retrain_requested",
    "train_or_load",
    "train_or_load_model",
]

FORMAT = "course_utils.cache/1"
PACKAGE_DIR = Path(__file__).resolve().parent
T = TypeVar("T")
H = TypeVar("H")
M = TypeVar("M", bound=torch.nn.Module)


def checkpoint_dir() -> Path:
    """Folder of the train-or-load entries: ``COURSE_CHECKPOINT_DIR``, else
    ``<cache_dir>/checkpoints``. The fetched assets live beside it, not in it."""
    env = os.environ.get("COURSE_CHECKPOINT_DIR")
    return Path(env) if env else cache_dir() / "checkpoints"


def retrain_requested() -> bool:
    """True when ``COURSE_RETRAIN`` is set to anything but ``""``, ``0`` or ``false``."""
    return os.environ.get("COURSE_RETRAIN", "").strip().lower() not in ("", "0", "false", "no")


# --------------------------------------------------------------------------- fingerprints


def _canonical(obj: Any) -> Any:
    """A JSON-able stand-in for ``obj`` that changes exactly when ``obj``'s content changes."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return repr(obj)  # 0.1 and 0.1000000001 differ; repr is exact
    if isinstance(obj, bytes):
        return {"bytes": hashlib.sha256(obj).hexdigest()}
    if isinstance(obj, Path):
        return {"path": str(obj), "sha256": _file_sha(obj) if obj.is_file() else None}
    if isinstance(obj, torch.Tensor):
        data = obj.detach().cpu().contiguous()
        return {
            "tensor": str(data.dtype),
            "shape": list(data.shape),
            "sha256": hashlib.sha256(data.view(torch.uint8).numpy().tobytes()).hexdigest()
            if data.numel()
            else "",
        }
    if isinstance(obj, types.ModuleType):
        return {"module": obj.__name__, "code": code_fingerprint(obj)}
    if isinstance(obj, functools.partial):
        return {"partial": _canonical(obj.func), "args": _canonical(obj.args),
                "kwargs": _canonical(obj.keywords)}  # fmt: skip
    if callable(obj) and hasattr(obj, "__code__"):
        return {"function": _function_source(obj)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {type(obj).__name__: _canonical(dataclasses.asdict(obj))}
    if isinstance(obj, Mapping):
        return {"dict": sorted((str(k), _canonical(v)) for k, v in obj.items())}
    if isinstance(obj, (list, tuple)):
        return [_canonical(item) for item in obj]
    if isinstance(obj, (set, frozenset)):
        return {"set": sorted(json.dumps(_canonical(item)) for item in obj)}
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # numpy arrays and scalars
        return {"array": str(obj.dtype), "values": obj.tolist()}
    if hasattr(obj, "backend_tokenizer"):  # a Hugging Face fast tokenizer: its whole definition
        return {"tokenizer": hashlib.sha256(obj.backend_tokenizer.to_str().encode()).hexdigest()}
    if hasattr(obj, "to_str") and callable(obj.to_str):  # a `tokenizers.Tokenizer`
        return {"tokenizer": hashlib.sha256(obj.to_str().encode()).hexdigest()}
    if hasattr(obj, "_fingerprint") and hasattr(obj, "num_rows"):  # a `datasets.Dataset`
        return {"dataset": obj._fingerprint}
    if hasattr(obj, "__dict__"):  # the course's own small objects (vocabularies, configs)
        return {type(obj).__name__: _canonical(vars(obj))}
    raise TypeError(
        f"cannot fingerprint a {type(obj).__name__}: pass its settings as numbers, strings, "
        "lists or dicts, or its data as tensors or lists"
    )


def fingerprint(*objects: Any) -> str:
    """A 16-hex-digit hash of ``objects`` that changes exactly when their content changes.

    Works on numbers, strings, lists, tuples, dicts, sets, tensors, numpy arrays, dataclasses
    (configs), paths (the file's bytes), modules (their source and the course modules they
    import), functions (their source), tokenizers (their whole definition), ``datasets``
    datasets and the course's vocabularies. Introduced in notebook 01.
    """
    text = json.dumps(_canonical(list(objects)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _function_source(func: Callable) -> str:
    """The source of ``func`` (a notebook's function too: IPython keeps cell sources), or its
    qualified name where Python cannot read the source."""
    module = inspect.getmodule(func)
    if module is not None and module.__name__.startswith("course_utils."):
        return f"{module.__name__}.{func.__qualname__}:{code_fingerprint(module)}"
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"


def _module_file(name: str) -> Path | None:
    """The source file of the ``course_utils`` module ``name`` (a package: its ``__init__``)."""
    parts = name.split(".")[1:]
    candidate = PACKAGE_DIR.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def _course_imports(name: str, path: Path) -> set[str]:
    """The ``course_utils`` modules that the module ``name`` (file ``path``) imports anywhere."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("course_utils")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("course_utils"):
                submodules = {f"{target}.{a.name}" for a in node.names}
                submodules = {m for m in submodules if _module_file(m) is not None}
                # `from .. import cache` imports the module cache; a package's __init__ is a
                # namespace (docstrings only), so it counts only when names come from it
                found |= submodules if len(submodules) == len(node.names) else {target, *submodules}
    return {m for m in found if _module_file(m) is not None}


def code_fingerprint(*modules: types.ModuleType | str) -> str:
    """Hash of the source of ``modules`` and of every ``course_utils`` module they import, at
    any depth: adding a function to any of them changes the hash. Introduced in notebook 01."""
    todo = [m if isinstance(m, str) else m.__name__ for m in modules]
    for name in todo:
        if not name.startswith("course_utils"):
            raise ValueError(f"code_fingerprint takes course_utils modules, got {name!r}")
    seen: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            raise ValueError(f"no source file for module {name!r}")
        seen[name] = _file_sha(path)
        todo.extend(_course_imports(name, path) - set(seen))
    text = json.dumps(sorted(seen.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- train or load


@dataclasses.dataclass
class CacheResult:
    """What :func:`train_or_load` did: ``loaded`` (bool) and, when it trained, ``reason``."""

    name: str
    loaded: bool
    reason: str | None = None


def _entry_path(name: str) -> Path:
    if not name or name.startswith(("/", ".")) or ".." in Path(name).parts:
        raise ValueError(f"name must be a relative name like '09_rlhf/policy_lm', got {name!r}")
    return checkpoint_dir() / f"{name}.pt"


def _read_entry(path: Path, key: str) -> tuple[Any, str | None]:
    """``(payload, None)`` when ``path`` holds the entry for ``key``, else ``(None, reason)``."""
    if not path.is_file():
        return None, "no cache"
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # truncated zip, wrong pickle, unreadable: all mean "train again"
        return None, "corrupt file"
    if not isinstance(stored, dict) or stored.get("format") != FORMAT or "payload" not in stored:
        return None, "foreign file"
    if stored.get("key") != key:
        return None, "key changed"
    return stored["payload"], None


def _check_payload(obj: Any, where: str = "result") -> None:
    """Refuse what ``torch.load(weights_only=True)`` could not read back, naming where it is."""
    if obj is None or type(obj) in (bool, int, float, str) or isinstance(obj, torch.Tensor):
        return  # exact types: numpy's float64 is a float subclass that torch.load refuses
    if isinstance(obj, (list, tuple)):
        for k, item in enumerate(obj):
            _check_payload(item, f"{where}[{k}]")
        return
    if isinstance(obj, dict):
        for k, item in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"{where} has a key of type {type(k).__name__}; use str or int")
            _check_payload(item, f"{where}[{k!r}]")
        return
    raise TypeError(
        f"{where} is a {type(obj).__name__}: train() must return tensors, numbers, strings, "
        "lists, tuples and dicts of them (convert numpy values with float() or .tolist())"
    )


def _write_entry(path: Path, key: str, key_parts: str, payload: Any) -> None:
    """Save atomically: a temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        torch.save({"format": FORMAT, "key": key, "key_parts": key_parts, "payload": payload}, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def train_or_load(
    name: str,
    train: Callable[[], T],
    key: Mapping[str, Any] | None = None,
    code: Iterable[types.ModuleType | str] = (),
) -> tuple[T, CacheResult]:
    """Load the entry ``name`` when its key matches, else run ``train()`` and store its result.

    Args:
        name: a relative name, ``"<notebook>/<what>"`` (e.g. ``"09_rlhf/policy_lm"``); it is
            printed, and it names the file in :func:`checkpoint_dir`.
        train: makes the result: tensors, state dicts, numbers, strings, lists and dicts of them.
        key: everything else that determines the result: config, settings, seeds, data and
            tokenizer (as values or :func:`fingerprint` s).
        code: the ``course_utils`` modules the training runs (their imports are followed).

    Returns:
        ``(result, CacheResult)``. Prints exactly one line, ``[cache] loaded NAME`` or
        ``[cache] trained NAME (REASON)``. Introduced in notebook 01.
    """
    path = _entry_path(name)
    parts = {
        "key": key or {},
        "code": code_fingerprint(*code) if code else "",
        "train": _canonical(train),  # a function's source; a partial's arguments too
    }
    if seed_offset():  # COURSE_SEED draws other training randomness: another result
        parts["COURSE_SEED"] = seed_offset()
    key_parts = json.dumps(_canonical(parts), sort_keys=True)
    key_hash = hashlib.sha256(key_parts.encode()).hexdigest()
    if retrain_requested():
        payload, reason = None, "COURSE_RETRAIN"
    else:
        payload, reason = _read_entry(path, key_hash)
    if reason is None:
        print(f"[cache] loaded {name}")
        return payload, CacheResult(name, loaded=True)
    result = train()
    _check_payload(result)
    _write_entry(path, key_hash, key_parts, result)
    print(f"[cache] trained {name} ({reason})")
    return result, CacheResult(name, loaded=False, reason=reason)


def train_or_load_model(
    name: str,
    fit: Callable[[], tuple[M, H]],
    build: Callable[[], M],
    history_type: Callable[..., H],
    key: Mapping[str, Any] | None = None,
    code: Iterable[types.ModuleType | str] = (),
    device: torch.device | str | None = None,
) -> tuple[M, H, CacheResult]:
    """:func:`train_or_load` for a trained model and its training history.

    ``fit()`` trains and returns ``(model, history)``, the history a dataclass of lists and
    numbers (``TrainHistory``, ``RLHistory``). The entry stores the model's ``state_dict`` (on
    the CPU) and the history's fields; loading builds an untrained model with ``build()`` (the
    same architecture, LoRA wrappers included), fills in the weights and moves it to ``device``.
    ``key`` and ``code`` are as in :func:`train_or_load`; the source of ``fit`` is part of the key.

    Returns ``(model in eval mode, history_type(**fields), CacheResult)``, the same on both paths.
    Introduced in notebook 04.
    """
    trained: list = []

    def fit_and_save() -> dict:
        model, history = fit()
        trained.append(model)
        weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        return {"model": weights, "history": dataclasses.asdict(history)}

    saved, result = train_or_load(name, fit_and_save, key={"model_key": key or {}, "fit": fit},
                                  code=code)  # fmt: skip
    if trained:
        model = trained[0]
    else:
        model = build()
        model.load_state_dict(saved["model"])
    if device is not None:
        model.to(device)
    return model.eval(), history_type(**saved["history"]), result
