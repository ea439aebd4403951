#!/usr/bin/env bash
# Build a reveal.js slide deck per notebook from its cells tagged `slide`, into build/slides/,
# for presenting offline: `bash scripts/slides.sh` (all) or `bash scripts/slides.sh 04 09`.
# The first run fetches reveal.js, require.js, jQuery and MathJax once from the npm registry (pinned,
# sha256-checked, cached in .cache/slides-vendor/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh > /dev/null
exec .venv/bin/python scripts/build_slides.py "$@"
