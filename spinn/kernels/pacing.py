"""A real-time tick's wait for its deadline in compiled code: asleep for most of a long
slack, then spinning on the clock for the rest.

Spinning through the whole slack keeps a rank's core busy all the time, so on a machine
with no core to spare (two ranks on two cores, a live client and the OS beside them) the
scheduler takes the core from a rank at a moment of its own choosing, often inside a
tick's work.  Asleep, the rank gives the core away while it has nothing to do.  A sleep
overshoots (nanosleep here: ~0.1 ms median, ~0.3 ms in the 99th percentile on this VM),
so it ends ``margin`` seconds before the deadline and the rest is spun; a slack shorter
than the margin (VA CUBA's 0.2 ms ticks) is spun whole, as before.  When the host has a
core beyond one per rank of the job (spinn.runtime.clocks.spare_core), the whole slack
is spun (margin 0): the sleep's own late wake-ups (0.5 ms sleeps here: over 0.3 ms late in
0.15-0.4 % of them, over 0.5-1.4 ms in 0.1 %) then cost more than the core it frees."""

import numpy as np
from numba import njit, types

# int nanosleep(const struct timespec *req, struct timespec *rem)
NANOSLEEP = types.int32(types.uint64, types.uint64)
NAP_MARGIN = 3e-4      # seconds of a tick's slack spun after its sleep (0: spin it all)
NAP_SHORTEST = 5e-5    # seconds: a shorter sleep is not worth its system call


@njit(cache=True)
def wait_until(wtime, nap, ts, deadline, margin):
    """Return at ``deadline`` (wtime seconds): asleep (nap: nanosleep, ts: an int64[2]
    timespec) until ``margin`` before it when that leaves a sleep worth making, spinning
    on wtime after.  margin <= 0: spin all the way."""
    if margin > 0.0:
        left = deadline - wtime() - margin
        if left > NAP_SHORTEST:
            ts[0] = np.int64(left)
            ts[1] = np.int64((left - ts[0]) * 1e9)
            nap(ts.ctypes.data, np.uint64(0))
    while wtime() < deadline:
        pass
