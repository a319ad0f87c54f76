"""The real-time wait's parts on the host: the monotonic clock and the C library's
nanosleep as first-class functions for compiled code (spinn.kernels.pacing waits with
them), the thread's timer slack while a real-time run sleeps, and whether a rank's ticks
spin through their slack or sleep most of it (spare_core)."""

import contextlib
import ctypes
import functools
import sys

import numba
import numpy as np
from numba import types

from spinn.kernels.handles import CFunction, by_address
from spinn.kernels.pacing import NANOSLEEP

_libc = ctypes.CDLL(None)
_clock_gettime = _libc.clock_gettime
_clock_gettime.argtypes = (ctypes.c_int, ctypes.c_void_p)
_clock_gettime.restype = ctypes.c_int
_CLOCK_MONOTONIC = 1


@numba.cfunc(types.float64())
def _local_clock():
    """The monotonic clock in seconds, callable from compiled code (as MPI_Wtime is).  Not
    cached: it calls C through an address known only in this process."""
    ts = np.empty(2, np.int64)            # struct timespec
    _clock_gettime(_CLOCK_MONOTONIC, ts.ctypes.data)
    return ts[0] + 1e-9 * ts[1]


def local_clock():
    """The monotonic clock as a first-class function for compiled code."""
    return by_address(_local_clock)


@functools.cache
def nap_function():
    """The C library's nanosleep as a first-class function for compiled code (the real-time
    wait's sleep: spinn.kernels.pacing)."""
    return CFunction(ctypes.cast(_libc.nanosleep, ctypes.c_void_p).value, NANOSLEEP)



PR_SET_TIMERSLACK, PR_GET_TIMERSLACK = 29, 30       # linux/prctl.h
FINE_SLACK_NS = 1


@contextlib.contextmanager
def fine_timer_slack(on=True):
    """While the block runs, this thread's timer slack is FINE_SLACK_NS (Linux lets a sleep
    of a thread end up to its slack late, 50 µs by default, to batch wake-ups): a real-time
    tick's nap (spinn.kernels.pacing, and the per-tick loop's sleep) ends when asked.  On
    this VM a 0.5 ms sleep overshot by a median of 84-88 µs with the default and 32-45 µs
    with 1 ns, and by more than the 0.3 ms nap margin in 0.28-0.40 % of sleeps against
    0.15-0.24 % (three batches of 20 000).  The old slack is put back after (threads
    started inside the block keep 1 ns: the companion's and the recorder's); elsewhere than
    Linux nothing changes."""
    prctl = getattr(_libc, "prctl", None) if on and sys.platform.startswith("linux") \
        else None
    old = -1
    if prctl is not None:
        prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        prctl.restype = ctypes.c_int
        old = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)
        if old < 0 or prctl(PR_SET_TIMERSLACK, FINE_SLACK_NS, 0, 0, 0) != 0:
            old = -1
    try:
        yield
    finally:
        if old >= 0:
            prctl(PR_SET_TIMERSLACK, old, 0, 0, 0)


def spare_core(comm):
    """Whether the job's ranks on this host have a CPU beyond one each among the CPUs they
    may run on (comm.host_cores, collective; a communicator without it: no).  With one, a
    real-time tick spins through its slack (the client and the OS have that core); without,
    it sleeps most of a long slack (spinn.kernels.pacing) to give its core away.  Ranks
    bound one to a core (Open MPI's default for 2 ranks, ``--bind-to core``) count as no
    CPU to spare, and sleep, however many the host has.  Measured on this 2-core VM,
    alternating, 20 s: VA CUBA on 1 rank at time_scale_factor 4 (0.8 ms ticks, a nap in
    each) 282 and 309 late ticks asleep, 33 and 33 spinning; Brunel 0.25 on 2 ranks (no
    core to spare) 621 / 479, 655 / 1 910, 1 052 / 866 asleep / spinning, and spinning
    took 19.9 s of CPU per rank against 12-13."""
    host_cores = getattr(comm, "host_cores", None)
    if host_cores is None:
        return False
    ranks, cpus = host_cores()
    return ranks < cpus
