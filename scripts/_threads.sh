# Sourced by course.sh and test.sh: offline hub, and threads fitted to the machine so that
# one kernel at a time uses all cores and nothing oversubscribes them.
CORES="$("${COURSE_VENV:-.venv}/bin/python" -c 'import os; print(os.cpu_count() or 1)')"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$CORES}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-$OMP_NUM_THREADS}"
export HF_HUB_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
# OpenMP's own default wait (spin 300 000 times, then sleep), written out so that the notebooks'
# setup keeps it: on a laptop it chooses OMP_WAIT_POLICY=PASSIVE instead (busy cores, see
# course_utils/notebook.py); these scripts own the machine and run one notebook at a time.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-ACTIVE}" GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-300000}"
