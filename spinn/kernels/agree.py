"""The ranks' agreements inside a compiled real-time call: whether to stop (run_forever's
request_stop() on some rank; on_overrun="stop" and a late tick on some rank), whether to
leave the call together for Python's collective work (a live-output tag rank 0 was asked
to reprogram, to reach the other ranks; a signal or a checkpoint due on some rank, in a run
with a checkpoint directory: spinn.runtime.longrun), and the job's spikes so far (the
progress display), agreed without leaving the call otherwise.

Every ``pace[13]`` steps from ``pace[14]`` (the same steps on every rank, whatever each
rank's calls) a rank completes the vote it posted at the last such step and posts its next:
five words, "asked to stop", "had a late tick", the spikes it emitted in the run so far,
"has new tags" and "asks to end the segment", summed over the ranks (MPI_Iallreduce, left
to travel for a whole period while the ticks go on; a sum of 0/1 votes is non-zero when
any rank's is).  Every rank reads the same outcome at the same step, so all stop (or
leave) there, or none do.
The stop comes one to two periods after the request; leaving the call for a collective
at other times cost a late tick with short ticks (~0.4 ms each time).

pace slots (spinn.runtime.compiled_run): 13 the period (steps; 0: no votes), 14 its origin,
15 the outcome that ended the call (1 asked to stop, 2 a late tick with on_overrun="stop",
3 leave together: Python reads why in votes[8:10]), 16 a vote in flight, 17 this
rank was asked to stop, 18 this rank had a late tick, 19 stop on a late tick, 20 several
ranks (else the outcome is the rank's own), 21 the step of the last completed vote and 22
the job's spikes at that step (read by the companion thread for the progress display:
spinn.runtime.companion; 21 is -1 while they change), 23 the step of the vote in flight,
24 this rank has new tags for the others and 25 this rank asks to end the segment (each a
reason to leave the call together; cleared by Python when they have).

votes: uint64[10], this rank's five words then their sums."""

import numpy as np
from numba import njit


@njit(cache=True)
def agree(iallreduce, waitall, comm, dtype, op, pace, votes, req, status, step, spikes,
          last):
    """At a vote step: the outcome of the vote in flight (votes[5:10]), then, unless ``last``
    (the run's last step) or the outcome ends the call, the next vote posted (votes[0:5]:
    this rank's words, ``spikes`` its spikes in the run so far).  Returns whether the ranks
    agreed to end the call here (the reason in pace[15])."""
    if pace[16] != 0.0:
        if pace[20] != 0.0:
            waitall(np.int32(1), req.ctypes.data, status.ctypes.data)
        pace[16] = 0.0
        # the companion reads 21, 22, 21 and keeps two equal readings ≥ 0
        pace[21] = -1.0
        pace[22] = float(votes[7])
        pace[21] = pace[23]
        if pace[19] != 0.0 and votes[6] != 0:
            pace[15] = 2.0
            return True
        if votes[5] != 0:
            pace[15] = 1.0
            return True
        if (votes[8] != 0 or votes[9] != 0) and not last:   # the last step: the run's end
            pace[15] = 3.0
            return True
    if last:
        return False
    votes[0] = np.uint64(1) if pace[17] != 0.0 else np.uint64(0)
    votes[1] = np.uint64(1) if pace[18] != 0.0 else np.uint64(0)
    votes[2] = np.uint64(spikes)
    votes[3] = np.uint64(1) if pace[24] != 0.0 else np.uint64(0)
    votes[4] = np.uint64(1) if pace[25] != 0.0 else np.uint64(0)
    if pace[20] != 0.0:
        iallreduce(votes.ctypes.data, votes[5:].ctypes.data, np.int32(5), dtype, op, comm,
                   req.ctypes.data)
    else:
        votes[5:10] = votes[0:5]
    pace[23] = step
    pace[16] = 1.0
    return False


@njit(cache=True)
def settle(waitall, pace, req, status):
    """The run's end: the vote still in flight completed (every rank posted it)."""
    if pace[16] != 0.0:
        if pace[20] != 0.0:
            waitall(np.int32(1), req.ctypes.data, status.ctypes.data)
        pace[16] = 0.0
