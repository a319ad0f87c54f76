"""A rank lost mid-run (issue 13): kill -9 of one rank of a 2-rank job ends the job in under
10 s with spinn's message naming the lost rank and the last tick it completed; what was
recorded up to the last flush is on disk and ``spinn salvage`` writes it as spikes.h5.
Ctrl-C (SIGINT to the job) likewise keeps the recordings and says how to read them."""

import glob
import os
import subprocess
import sys
import time

import h5py
import pytest

from tests.mpi_helpers import MPIEXEC, ROOT, _child_env

SCRIPT = str(ROOT / "tests/validation/scripts/lose_rank.py")


def _mpi():
    if not MPIEXEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("no mpiexec in the venv under CI")
        pytest.skip("no mpiexec in the venv")


def _salvaged(out, tmp_path):
    (status,) = glob.glob(str(out / "spinn-status-*"))
    done = subprocess.run([sys.executable, "-m", "spinn.cli", "salvage", status,
                           str(tmp_path / "salvaged")], capture_output=True, text=True,
                          env=_child_env(), cwd=ROOT, timeout=60)
    assert done.returncode == 0 and "from 2 rank(s)" in done.stdout, done.stdout + done.stderr
    with h5py.File(tmp_path / "salvaged" / "spikes.h5") as f:
        return f["spikes/a/timestamps"][...]


@pytest.mark.timeout(120)
def test_a_rank_killed_mid_run_is_named_with_its_last_tick_and_recordings_are_kept(tmp_path):
    _mpi()
    out = tmp_path / "out"
    t0 = time.perf_counter()
    job = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, SCRIPT, "300", str(out)],
                         capture_output=True, text=True, env=_child_env(), cwd=ROOT,
                         timeout=60)
    seconds = time.perf_counter() - t0
    text = job.stdout + job.stderr
    assert job.returncode != 0
    assert "[spinn] rank 1 (pid" in text and "the last tick it completed ended at t = 300 ms" \
        in text, text[-3000:]
    assert "The launcher then stopped rank(s) 0" in text
    assert seconds < 10 + 5          # the job ends promptly (startup and build included)
    times = _salvaged(out, tmp_path)
    assert times.size > 1000 and 250.0 < times.max() <= 300.0 + 1.0


@pytest.mark.timeout(120)
def test_ctrl_c_keeps_the_recordings_and_says_how_to_read_them(tmp_path):
    _mpi()
    out = tmp_path / "out"
    job = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, SCRIPT, "300", str(out),
                          "sigint"], capture_output=True, text=True, env=_child_env(),
                         cwd=ROOT, timeout=60, start_new_session=True)
    text = job.stdout + job.stderr
    assert job.returncode != 0
    assert "interrupted (Ctrl-C) at t = 300 ms" in text and "spinn salvage" in text, text
    assert "died without finishing" not in text          # an interrupt, not a lost rank
    times = _salvaged(out, tmp_path)
    assert times.size > 1000 and times.max() <= 301.0
