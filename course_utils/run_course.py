"""Execute the course notebooks headless and print one table of run times and metrics.

Usage::

    python -m course_utils.run_course                 # all notebooks into build/notebooks/
    python -m course_utils.run_course 01 02           # only notebooks whose name starts so
    python -m course_utils.run_course --inplace 02    # re-execute and store outputs in notebooks/

Notebooks run one at a time (never two multi-threaded kernels on two cores), with
``HF_HUB_OFFLINE=1``. Widget state is not stored, so the saved notebooks stay small.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path

from .paths import build_dir, lesson_id, lesson_notebooks, repo_root
from .report import load_all, metrics_dir, metrics_table

__all__ = [
    "execute_notebook",
    "main",
    "notebook_paths",
]


def notebook_paths(selectors: list[str] | None = None, folder: Path | None = None) -> list[Path]:
    """Course notebooks in order; ``selectors`` keep those whose file name starts with one of them."""
    if folder is None:
        root = repo_root()
        if root is None:
            raise FileNotFoundError(
                "no course checkout found: run this from a clone of the course repository"
            )
        folder = root / "notebooks"
    paths = lesson_notebooks(folder)
    if selectors:
        paths = [p for p in paths if any(p.name.startswith(s) for s in selectors)]
        if not paths:
            raise ValueError(f"no notebook in {folder} starts with any of {selectors}")
    return paths


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PANEL_TEXT = "(an interactive panel: run this cell in Jupyter to use it)"


def _widget_text(model_id: str, models: dict) -> str:
    """What a stored widget output shows as text: a progress bar (tqdm's HBox of an HTML label,
    a progress bar and an HTML counter) in its final state, any other widget as a short note."""
    children = [
        models.get(child.removeprefix("IPY_MODEL_"), {})
        for child in models.get(model_id, {}).get("state", {}).get("children") or []
    ]
    kinds = [child.get("model_name") for child in children]
    if len(kinds) != 3 or kinds[0] != "HTMLModel" or not str(kinds[1]).endswith("ProgressModel"):
        return PANEL_TEXT
    left, bar, right = (child["state"] for child in children)
    share = bar["value"] / bar["max"] if bar.get("max") else 0.0
    filled = "█" * round(10 * min(max(share, 0.0), 1.0))
    text = f"{left.get('value', '')}|{filled:<10}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")


def _strip_widget_state(nb) -> None:
    """Drop the widgets' state and views (large, and blank without a kernel), keeping a text
    that says what each showed: a progress bar's final state (steps, time, last loss)."""
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).pop(WIDGET_VIEW, None)
            if view is not None:
                output["data"]["text/plain"] = _widget_text(view.get("model_id", ""), state)


def execute_notebook(path: Path, out_path: Path, timeout: int = 900) -> float:
    """Execute one notebook with its folder as working directory; return the wall time in s."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,  # read back by _strip_widget_state
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        seconds = time.perf_counter() - start
        _strip_widget_state(nb)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("selectors", nargs="*", help="notebook name prefixes, e.g. 01 02")
    parser.add_argument("--inplace", action="store_true", help="store outputs in notebooks/")
    parser.add_argument("--timeout", type=int, default=900, help="per-cell timeout in s")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # A non-interactive backend (e.g. MPLBACKEND=Agg) would leave the notebooks without figures:
    # the kernels use Jupyter's inline backend, whatever the calling shell set.
    os.environ.pop("MPLBACKEND", None)
    run_times: dict[str, float] = {}
    failed: list[str] = []
    for path in notebook_paths(args.selectors):
        out_path = path if args.inplace else build_dir() / "notebooks" / path.name
        print(f"executing {path.name} ...", flush=True)
        try:
            seconds = execute_notebook(path, out_path, timeout=args.timeout)
        except Exception as err:  # report and go on with the next notebook
            failed.append(path.name)
            print(f"  FAILED: {type(err).__name__}: {str(err)[-2000:]}", file=sys.stderr)
            continue
        run_times[path.stem] = seconds
        print(f"  done in {seconds:.0f} s -> {out_path}", flush=True)

    metrics = load_all()
    # key the table by the metric ids the notebooks record, matched to file names by number
    times_by_id = {}
    for stem, seconds in run_times.items():
        ids = [key for key in metrics if lesson_id(key) == lesson_id(stem)]
        times_by_id[ids[0] if ids else stem] = seconds
    print()
    print(metrics_table(metrics, times_by_id))
    print(f"\nmetrics folder: {metrics_dir()}  |  total run time: {sum(run_times.values()):.0f} s")
    if failed:
        print(f"FAILED notebooks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
