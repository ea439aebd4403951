# Sourced by course.sh and test.sh: offline hub, and threads fitted to the machine so that
# one kernel at a time uses all cores and nothing oversubscribes them.
CORES="$("${COURSE_VENV:-.venv}/bin/python" -c 'import os; print(os.cpu_count() or 1)')"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$CORES}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-$OMP_NUM_THREADS}"
export HF_HUB_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
