"""Compilation on a cold cache: a phase of its own before the run's clock, announced, left
out of the run's figures — and done once for the ranks that run the same kernels (rank 0
compiles, the other loads its kernels from the cache)."""

import json
import os
import subprocess
import sys

import pytest

from tests.mpi_helpers import MPIEXEC, ROOT

pytestmark = pytest.mark.validation


@pytest.mark.timeout(600)
def test_cold_cache_compiles_once_before_the_clock(tmp_path):
    if not MPIEXEC.exists():
        pytest.skip("no mpiexec in the venv")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    out = tmp_path / "out"
    proc = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable,
                           str(ROOT / "tests/validation/scripts/shared_cache.py"), str(out)],
                          env=env, capture_output=True, text=True, timeout=550, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "compiling kernels — first run on this machine only" in proc.stdout
    run = json.loads((out / "provenance.json").read_text())["runs"][0]
    r0, r1 = sorted(run["ranks"], key=lambda r: r["rank"])
    assert r0["warmup_compile_seconds"] > 2.0                  # rank 0 compiled the loop
    assert r1["warmup_compile_seconds"] < 0.1 * r0["warmup_compile_seconds"]   # rank 1 loaded it
    # the build kernels: rank 0 built (and compiled) first, rank 1 then loaded most of them
    build0 = r0["compile_seconds"] - r0["warmup_compile_seconds"]
    build1 = r1["compile_seconds"] - r1["warmup_compile_seconds"]
    assert build0 > 0.5 and build1 < 0.6 * build0, (build0, build1)
    t = run["totals"]
    assert t["compile_in_run_seconds"] == 0.0
    assert t["wall_seconds"] < t["warmup_seconds"]              # compilation is not in the run
    assert t["real_time_factor"] == pytest.approx(t["wall_seconds"] / 0.2)
