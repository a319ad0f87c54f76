"""Slurm preemption and time limits (issue 13): SIGTERM to a 2-rank job under mpiexec (what
Slurm sends, and what ``sbatch --signal`` sends as SIGUSR1) makes every rank checkpoint at the
same tick boundary and the job exit 0, saying how to resume; ``spinn run --restore latest``
then finishes the script — on another number of ranks — with exactly the spikes of an
uninterrupted run."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.mpi_helpers import MPIEXEC, ROOT, _child_env

SCRIPT = str(ROOT / "tests/validation/scripts/preempt_net.py")
T_MS = 16000


def _spinn(*args, ranks=1, env=None):
    return [sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks), *args]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("signum", [
    signal.SIGTERM,
    # what sbatch --signal sends; the same handler (and cluster/test-slurm sends it too)
    pytest.param(signal.SIGUSR1, marks=pytest.mark.validation)])
def test_signal_checkpoints_exits_0_and_the_resumed_run_is_identical(signum, tmp_path):
    if not MPIEXEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("no mpiexec in the venv under CI")
        pytest.skip("no mpiexec in the venv")
    env = _child_env()
    ck = tmp_path / "ck"
    job = subprocess.Popen(_spinn("--checkpoint-dir", str(ck), SCRIPT, str(T_MS),
                                  str(tmp_path / "never.npz"), ranks=2),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env, cwd=ROOT, start_new_session=True)
    lines = []
    for line in job.stdout:            # the second run() has started: signal the job
        lines.append(line)
        if "run: " in line and "rank(s) in" in line:
            time.sleep(0.5)
            os.killpg(job.pid, signum)   # as Slurm: every process of the job step
            break
    t0 = time.perf_counter()
    lines += job.stdout.readlines()
    rc = job.wait(timeout=120)
    text = "".join(lines)
    assert rc == 0, text[-3000:]
    assert time.perf_counter() - t0 < 30
    assert "(signal received); resume with: spinn run --ranks 2 --checkpoint-dir" in text, text
    assert not (tmp_path / "never.npz").exists()        # it stopped, it did not finish
    (name,) = [n for n in os.listdir(ck) if n.startswith("t")]
    t_ck = float(name[1:-2])
    assert T_MS / 2 < t_ck < T_MS
    # finish it on 1 rank from the newest checkpoint; and once, uninterrupted
    done = subprocess.run(_spinn("--checkpoint-dir", str(ck), "--restore", "latest", SCRIPT,
                                 str(T_MS), str(tmp_path / "resumed.npz")),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "was done before the checkpoint; skipped" in done.stdout
    whole = subprocess.run([sys.executable, SCRIPT, str(T_MS), str(tmp_path / "whole.npz")],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert whole.returncode == 0, whole.stderr[-2000:]
    a, b = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "resumed.npz")
    assert a["t"].size > 10000
    assert np.array_equal(a["t"], b["t"]) and np.array_equal(a["i"], b["i"])
