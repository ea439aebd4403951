#!/usr/bin/env bash
# Set up the environment and run all tests: lint, the unit tests of course_utils, and every
# notebook under nbval (stored outputs compared on cells marked NBVAL_CHECK_OUTPUT).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k attention`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export COURSE_VENV="${COURSE_VENV:-.venv}"  # scripts/test_floors.sh sets .venv-floors
# Two threads whatever the core count, so that every run computes the same numbers.
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
. scripts/_threads.sh
export MPLBACKEND=Agg  # the tests compare text outputs; figures are not drawn
export COURSE_METRICS_DIR="${COURSE_METRICS_DIR:-$PWD/build/test-metrics}"
# An empty checkpoint cache for every run (the fetched assets stay cached): the tests always
# run the current training code, never weights an older version left behind.
export COURSE_CHECKPOINT_DIR="$PWD/build/test-checkpoints"
rm -rf "$COURSE_CHECKPOINT_DIR"
"$COURSE_VENV/bin/ruff" check .
exec "$COURSE_VENV/bin/python" -m pytest tests notebooks solutions --ignore=notebooks/ru \
    --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 900 \
    -p no:cacheprovider --durations 15 "$@"
