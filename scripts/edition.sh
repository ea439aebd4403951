#!/usr/bin/env bash
# Rebuild the Russian edition (notebooks/ru/) from the English notebooks and translations/ru/:
# `bash scripts/edition.sh` (write) or `bash scripts/edition.sh --check` (compare only).
# Nothing is executed: code cells and outputs are the English notebook's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh > /dev/null
exec .venv/bin/python scripts/build_edition.py ru "$@"
