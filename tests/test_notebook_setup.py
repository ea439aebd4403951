"""The setup cell: OpenMP's wait policy is chosen before torch starts, and a user's choice stays."""

import os
import subprocess
import sys

SCRIPT = (
    "import sys; from course_utils import notebook; "
    "assert 'torch' not in sys.modules, 'importing the setup module started torch'; "
    "notebook.setup_notebook(); import os; print(os.environ['OMP_WAIT_POLICY'])"
)


def run_setup(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    clean.update(env, MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=clean, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def test_setup_lets_idle_openmp_threads_sleep():
    assert run_setup() == "PASSIVE"


def test_setup_keeps_the_users_wait_policy():
    assert run_setup(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"
