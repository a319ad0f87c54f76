"""Helpers for rank-symmetric assertions in MPI tests."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MPIEXEC = pathlib.Path(sys.executable).parent / "mpiexec"
LAUNCH_TIMEOUT_S = 60.0


def assert_all_ranks(ok: bool, msg: str) -> None:
    """Agree on ``ok`` across COMM_WORLD, then assert on every rank.

    Every rank must call this (it is collective). All ranks fail together, and the
    message names the ranks whose local check failed.
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    ok = bool(ok)
    if comm.allreduce(ok, op=MPI.LAND):
        return
    failed = [r for r, r_ok in enumerate(comm.allgather(ok)) if not r_ok]
    raise AssertionError(f"{msg} (failed on rank(s) {failed} of {comm.Get_size()})")


def error_on_every_rank(fn, cls=None):
    """Run fn on this rank; return (the message of the ConfigurationError it raised, or
    None; seconds).  Call it on every rank, then compare the ranks' answers."""
    from spinn.errors import ConfigurationError

    cls = cls or ConfigurationError
    t0 = time.perf_counter()
    try:
        fn()
        message = None
    except cls as exc:
        message = str(exc)
    return message, time.perf_counter() - t0


def _child_env():
    """This process's environment without the MPI launcher's variables (a nested mpiexec
    must start its own job, not join ours), with the repository importable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "HYDI_", "HYDRA_", "MPI_LOCAL", "MPIR_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("NUMBA_NUM_THREADS", "1")
    return env


def _launch(source, ranks=2, args=()):
    """Run ``source`` as a ``ranks``-rank MPI job; return (returncode or None on timeout,
    stdout, stderr, seconds)."""
    with tempfile.TemporaryDirectory(prefix="spinn_job_") as tmp:
        script = pathlib.Path(tmp) / "script.py"
        script.write_text(textwrap.dedent(source))
        t0 = time.perf_counter()
        try:
            done = subprocess.run([str(MPIEXEC), "-n", str(ranks), sys.executable,
                                   str(script), *args],
                                  capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S,
                                  cwd=tmp, env=_child_env())
            rc, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            rc = None
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return rc, out, err, time.perf_counter() - t0


def launch_from_rank0(source, ranks=2, args=()):
    """Rank 0 launches the job; every rank returns rank 0's (rc, stdout, stderr, seconds).
    The other ranks wait sleeping, not busy-polling, so that the child job gets the CPU."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    result = _launch(source, ranks, args) if comm.Get_rank() == 0 else None
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.05)
    return comm.bcast(result, root=0)
