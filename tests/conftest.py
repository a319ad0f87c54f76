"""Shared pytest configuration.

Under MPI a failure on one rank would hang the others at their next collective, so a
failed test on a multi-rank run aborts the whole job (see /work/shared/PLATFORM.md).
mpi4py is only imported when it is already loaded or --with-mpi was given, so plain
unit runs never initialise MPI.
"""

from __future__ import annotations

import sys

import pytest


def _mpi(config: pytest.Config | None = None):
    """Return mpi4py.MPI if MPI may be used here, else None (never forces MPI init)."""
    with_mpi = False
    if config is not None:
        try:
            with_mpi = bool(config.getoption("--with-mpi"))
        except ValueError:  # pytest-mpi not installed
            with_mpi = False
    if "mpi4py" not in sys.modules and not with_mpi:
        return None
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError):
        return None
    return MPI


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    MPI = _mpi(item.config)
    if MPI is None or not MPI.Is_initialized() or MPI.Is_finalized():
        return
    comm = MPI.COMM_WORLD
    if comm.Get_size() <= 1:
        return
    sys.stderr.write(f"[rank {comm.Get_rank()}] FAILED {item.nodeid}:\n{report.longrepr}\n")
    sys.stderr.flush()
    comm.Abort(1)


@pytest.fixture(scope="session")
def mpi_comm(request):
    """MPI.COMM_WORLD; skips the test when mpi4py/MPI is unavailable."""
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as exc:
        pytest.skip(f"MPI unavailable: {exc}")
    return MPI.COMM_WORLD


# Tests that launch MPI jobs of their own, bind the live-I/O ports or measure wall time:
# launch/test runs them alone in one process, after the rest has run on two pytest-xdist
# workers (two jobs' ranks busy-polling one another's cores, two boards on one address, or
# a clock read beside another worker's compilation would be flaky, not faster).
SERIAL = ("tests/unit/live/", "tests/unit/runtime/test_realtime.py",
          "tests/unit/runtime/test_realtime_checkpoints.py",
          "tests/unit/runtime/test_checkpoint.py", "tests/unit/runtime/test_preemption.py",
          "tests/unit/runtime/test_rank_loss.py", "tests/unit/runtime/test_memory.py",
          "tests/unit/test_progress.py", "tests/unit/test_cli.py",
          "tests/unit/sonata/test_bmtk.py")


@pytest.fixture
def compiled_calls(monkeypatch):
    """The steps asked of each compiled call (fused.run_ticks' entries) made from here on:
    end - step of each."""
    from spinn.runtime import fused

    calls = []
    made = fused.Fused.ticks_entry

    def ticks_entry(self, update_types, args):
        entry = made(self, update_types, args)

        def counted(*a):
            calls.append(a[3] - a[2])
            return entry(*a)
        return counted

    monkeypatch.setattr(fused.Fused, "ticks_entry", ticks_entry)
    return calls


@pytest.fixture
def progress_looks(monkeypatch):
    """Every (step, job's spikes, thread name) the progress display is handed from here on
    (spinn.progress.Progress.job: the run's collective marks, and rank 0's companion
    thread's looks at the ranks' votes in a real-time call), shown as usual."""
    import threading

    from spinn.progress import Progress

    looks = []
    show = Progress.job

    def job(self, step, spikes):
        looks.append((step, spikes, threading.current_thread().name))
        show(self, step, spikes)

    monkeypatch.setattr(Progress, "job", job)
    return looks


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
