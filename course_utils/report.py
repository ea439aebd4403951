"""Recording each notebook's key results, and gathering them into one table.

Every notebook's last code cell calls :func:`record` (introduced in notebook 01).
The course runner (``python -m course_utils.run_course``) prints :func:`metrics_table`;
``python -m course_utils.report --cold DIR --warm DIR`` writes the README's run-time table
from two such runs (:func:`update_run_times`), so that its numbers are measured, never typed.
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
    "run_time_table",
    "update_run_times",
]

RUN_TIMES_BEGIN = "<!-- run-times: begin (written by python -m course_utils.report) -->"
RUN_TIMES_END = "<!-- run-times: end -->"


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


def _runtime(metrics: Mapping[str, Mapping[str, object]], name: str) -> str:
    value = metrics.get(name, {}).get("runtime_s")
    return "not run" if value is None else f"{float(value):.0f} s"


def run_time_table(
    cold: Mapping[str, Mapping[str, object]], warm: Mapping[str, Mapping[str, object]]
) -> str:
    """A Markdown table of each notebook's ``runtime_s``: cold (empty checkpoint cache) and warm
    (every entry loaded), with the course's total of each."""
    names = sorted(set(cold) | set(warm))
    lines = ["| notebook | cold: empty cache | warm: cache filled |", "|---|---:|---:|"]
    lines += [f"| {name} | {_runtime(cold, name)} | {_runtime(warm, name)} |" for name in names]
    totals = [
        sum(float(m[n]["runtime_s"]) for n in names if "runtime_s" in m.get(n, {}))
        for m in (cold, warm)
    ]
    lines.append(f"| all | {totals[0] / 60:.1f} min | {totals[1] / 60:.1f} min |")
    return "\n".join(lines)


def update_run_times(readme: Path, table: str) -> None:
    """Replace the text between the run-time markers of ``readme`` with ``table``."""
    text = readme.read_text(encoding="utf-8")
    begin, end = text.find(RUN_TIMES_BEGIN), text.find(RUN_TIMES_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{readme} has no run-time block ({RUN_TIMES_BEGIN} ... {RUN_TIMES_END})")
    head, tail = text[: begin + len(RUN_TIMES_BEGIN)], text[end:]
    readme.write_text(f"{head}\n{table}\n{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.report --cold DIR --warm DIR [--readme README.md]``."""
    import argparse

    from .paths import repo_root

    parser = argparse.ArgumentParser(description=update_run_times.__doc__)
    parser.add_argument(
        "--cold", type=Path, required=True, help="metrics of a run from an empty cache"
    )
    parser.add_argument("--warm", type=Path, required=True, help="metrics of the run after it")
    parser.add_argument(
        "--readme", type=Path, default=None, help="default: the checkout's README.md"
    )
    args = parser.parse_args(argv)
    cold, warm = load_all(args.cold), load_all(args.warm)
    if not cold or not warm:
        raise SystemExit(f"no metrics in {args.cold if not cold else args.warm}")
    readme = args.readme or repo_root() / "README.md"
    table = run_time_table(cold, warm)
    update_run_times(readme, table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
