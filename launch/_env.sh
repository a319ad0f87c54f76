# shellcheck shell=bash
# Sourced by launch/* scripts: prepares .venv and the runtime environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.spinn-installed"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "spinn: creating $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi

if [[ ! -f "$STAMP" || "$ROOT/pyproject.toml" -nt "$STAMP" ]]; then
    echo "spinn: installing spinn into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[mpi,test,live]"
    touch "$STAMP"
fi

export NUMBA_NUM_THREADS=1
export OMP_NUM_THREADS=1
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$VENV/numba-cache}"
export PYTHONUNBUFFERED=1
export PATH="$VENV/bin:$PATH"

# spinn_mpi_ok N: succeed if the venv's mpiexec can start N ranks within 60 s.
# On failure SPINN_MPI_WHY holds a one-line reason.
SPINN_MPI_WHY=""
spinn_mpi_ok() {
    local n="$1" out rc=0
    if [[ ! -x "$VENV/bin/mpiexec" ]]; then
        SPINN_MPI_WHY="no mpiexec in $VENV/bin"
        return 1
    fi
    out="$(timeout 60 "$VENV/bin/mpiexec" -n "$n" "$VENV/bin/python" -c \
        "from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == $n" 2>&1)" || rc=$?
    case "$rc" in
        0) SPINN_MPI_WHY=""; return 0 ;;
        124) SPINN_MPI_WHY="mpiexec -n $n probe timed out after 60 s" ;;
        *) SPINN_MPI_WHY="mpiexec -n $n probe exited $rc: $(tail -n 1 <<<"$out")" ;;
    esac
    return 1
}
