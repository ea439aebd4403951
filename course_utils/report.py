"""Recording each notebook's key results, and gathering them into one table.

Every notebook's last code cell calls :func:`record` (introduced in notebook 01).
The course runner (``python -m course_utils.run_course``) prints :func:`metrics_table`.
Metric names are stable once published: later notebooks and the README refer to them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from numbers import Real
from pathlib import Path

from .paths import build_dir

__all__ = [
    "load_all",
    "metrics_dir",
    "metrics_table",
    "record",
]


def metrics_dir() -> Path:
    """Folder of the metrics JSON files: ``COURSE_METRICS_DIR`` or ``build/metrics``."""
    env = os.environ.get("COURSE_METRICS_DIR")
    return Path(env) if env else build_dir() / "metrics"


def _clean_value(name: str, value: object) -> float | int | bool:
    """Check one metric value: a bool or a finite real number (numpy and 0-d tensors accepted)."""
    if hasattr(value, "item") and callable(value.item):  # numpy scalar or 0-d torch tensor
        try:
            value = value.item()
        except (ValueError, RuntimeError) as err:
            raise TypeError(
                f"metric {name!r} must be a scalar number or bool, got an array-like value"
            ) from err
    if isinstance(value, bool):
        return value
    if isinstance(value, Real):
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"metric {name!r} must be finite, got {value!r}")
        return number
    raise TypeError(
        f"metric {name!r} must be a number or bool, got {type(value).__name__}: {value!r}"
    )


def record(notebook: str, **metrics: object) -> Path:
    """Write ``<metrics_dir>/<notebook>.json`` with the notebook's key results.

    Args:
        notebook: the notebook's id, e.g. ``"01_bahdanau"`` (letters, digits, ``_`` and ``-``).
        **metrics: metric name to number or bool, e.g. ``aer_attention=0.07``.

    Returns:
        The path of the JSON file written.
    """
    if not notebook or not all(ch.isalnum() or ch in "_-" for ch in notebook):
        raise ValueError(
            f"notebook id must be non-empty letters, digits, '_' or '-', got {notebook!r}"
        )
    if not metrics:
        raise ValueError(f"record({notebook!r}) needs at least one metric, got none")
    cleaned = {name: _clean_value(name, value) for name, value in metrics.items()}
    folder = metrics_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    path.write_text(json.dumps(cleaned, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_all(folder: Path | None = None) -> dict[str, dict[str, float | int | bool]]:
    """Read every ``*.json`` in the metrics folder: ``{notebook: {metric: value}}``, sorted."""
    folder = Path(folder) if folder is not None else metrics_dir()
    if not folder.is_dir():
        return {}
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def metrics_table(
    metrics: Mapping[str, Mapping[str, object]],
    run_times: Mapping[str, float] | None = None,
) -> str:
    """Render ``{notebook: {metric: value}}`` (and optional run times in s) as a plain-text table."""
    rows = [("notebook", "run time", "metrics")]
    names = sorted(set(metrics) | set(run_times or {}))
    for name in names:
        values = metrics.get(name, {})
        run_time = (run_times or {}).get(name)
        shown = ", ".join(f"{key}={_format_value(val)}" for key, val in values.items())
        rows.append((name, "" if run_time is None else f"{run_time:.0f} s", shown or "(none)"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]}" for row in rows]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)
