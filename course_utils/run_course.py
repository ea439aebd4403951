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
import os
import sys
import time
from pathlib import Path

from .paths import build_dir, repo_root
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
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if selectors:
        paths = [p for p in paths if any(p.name.startswith(s) for s in selectors)]
        if not paths:
            raise ValueError(f"no notebook in {folder} starts with any of {selectors}")
    return paths


def _strip_widget_state(nb) -> None:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            data.pop("application/vnd.jupyter.widget-view+json", None)


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
        store_widget_state=False,
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
        ids = [key for key in metrics if key[:2] == stem[:2]]
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
