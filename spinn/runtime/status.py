"""A rank's status for the outside: the rank side of its watcher (spinn/runtime/watcher.py),
which names the rank and its last completed tick if it dies, and the status directory that
``spinn salvage`` reads (job.json, rank-<r>.json with the rank's spool)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np


def start_watcher(sim, job):
    """The status directory (every run; spinn salvage reads it) and, under MPI on several
    ranks, a watcher process per rank that names the rank and the last completed tick when
    a rank dies (kill -9, crash, OOM)."""
    if sim.comm.kind not in ("mpi", "local"):
        return
    from spinn.runtime import watcher

    base = os.environ.get("SPINN_STATUS_DIR") or os.environ.get("SPINN_CHECKPOINT_DIR") \
        or sim.out_dir or os.path.dirname(sim.spool.directory)
    status = os.path.join(base, f"spinn-status-{job}")
    try:
        os.makedirs(status, exist_ok=True)
        with open(os.path.join(status, f"rank-{sim.comm.rank}.json"), "w") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                       "spool": sim.spool.directory}, f)
        if sim.comm.rank == 0:
            with open(os.path.join(status, "job.json"), "w") as f:
                json.dump({"dt": sim.network.dt, "ranks": sim.comm.size,
                           "populations": [{"label": p.label, "index": p.index,
                                            "size": p.size, "recorded": "spikes" in
                                            p.recording}
                                           for p in sim.network.populations]}, f)
        # the last completed step and, while a real-time call runs, its pacing (the
        # watcher's reading of spinn.runtime.watcher.STATUS_WORDS)
        step = np.memmap(os.path.join(status, f"rank-{sim.comm.rank}.step"), np.int64,
                         mode="w+", shape=(4,))
        step[:] = (-1, 0, 0, 0)
        if sim.comm.size == 1 or os.environ.get("SPINN_WATCHER", "1") == "0":
            sim.watch = (status, None, step)     # for spinn salvage; no process
            sim.engine.status = step
            return
        rfd, wfd = os.pipe()
        subprocess.Popen([sys.executable, "-I", watcher.__file__, status,
                          str(sim.comm.rank), str(rfd), repr(sim.network.dt)],
                         pass_fds=(rfd,), start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        os.close(rfd)
    except OSError as exc:
        sim.say(f"note: no rank watcher ({exc}); a lost rank shows only MPI's message")
        return
    sim.watch = (status, wfd, step)
    sim.engine.status = step
    from spinn.runtime.comm import BEFORE_ABORT

    BEFORE_ABORT.append(lambda: stop_watcher(sim, remove=False))

def stop_watcher(sim, remove):
    if sim.watch is None:
        return
    status, wfd, step = sim.watch
    sim.watch = None
    try:
        if wfd is not None:
            os.write(wfd, b"bye")
            os.close(wfd)
    except OSError:
        pass
    if remove:
        for name in (f"rank-{sim.comm.rank}.json", f"rank-{sim.comm.rank}.step"):
            try:
                os.remove(os.path.join(status, name))
            except OSError:
                pass
        if sim.comm.rank == 0:
            try:
                os.remove(os.path.join(status, "job.json"))
            except OSError:
                pass
        try:
            os.rmdir(status)              # the last rank to leave removes it
        except OSError:
            pass                          # not empty yet (or already gone)
