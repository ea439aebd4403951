#!/usr/bin/env bash
# Set up the environment and execute every notebook headless into build/notebooks/,
# then print one table of run times and metrics. Arguments select notebooks: `course.sh 01 02`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
. scripts/_threads.sh
exec .venv/bin/python -m course_utils.run_course "$@"
