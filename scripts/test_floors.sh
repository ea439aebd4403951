#!/usr/bin/env bash
# The whole test suite on the lowest declared versions (constraints/floors.txt), in its own
# environment .venv-floors/, so that the lower bounds in pyproject.toml stay ones that work.
set -euo pipefail
cd "$(dirname "$0")/.."
export COURSE_VENV=.venv-floors COURSE_REQUIREMENTS=constraints/floors.txt
export COURSE_METRICS_DIR="${COURSE_METRICS_DIR:-$PWD/build/floors-metrics}"
exec bash scripts/test.sh "$@"
