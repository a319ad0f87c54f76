"""A rank's watcher: a tiny process (this file run by the interpreter alone, no spinn, no MPI)
that outlives its rank and says what happened when the rank dies without saying goodbye
(kill -9, a crash, the OOM killer, or the launcher stopping it because another rank died).

    python watcher.py STATUS_DIR RANK FD

The rank holds the write end of a pipe (FD in the watcher) and writes "bye" before a normal
exit; the rank also keeps its last completed step in STATUS_DIR/rank-<r>.step (STATUS_WORDS:
int64 the tick loop updates between its compiled calls; while a real-time call runs, which
may be the whole run, the wall time it started at, its nanoseconds per step and its last
step, from which the step at the rank's death follows, as the run is paced).  On EOF
without "bye" the watcher writes STATUS_DIR/dead-<r>.json (time, step, pid, host), waits
a moment for the other ranks' watchers, and the watcher of the rank that died first
prints, on the job's stderr, which rank died and the last tick it completed.  An MPI
launcher stops every other rank within a fraction of a second of the first death, so
the earliest death is the lost rank.  STATUS_DIR should be on storage every node sees (the
checkpoint or output directory when given); otherwise each node names its first loss.
"""

import json
import os
import socket
import struct
import sys
import time

SETTLE_S = 1.0
# rank-<r>.step: last completed step; a paced call's start (time.time_ns(), 0 when none),
# its nanoseconds per step, its end step
STATUS_WORDS = 4


def main(status_dir, rank, fd, dt_ms):
    data = b""
    while True:
        try:
            chunk = os.read(fd, 64)
        except OSError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    if data.endswith(b"bye"):
        return 0
    died = time.time()
    step = -1
    try:
        with open(os.path.join(status_dir, f"rank-{rank}.step"), "rb") as f:
            words = struct.unpack(f"<{STATUS_WORDS}q", f.read(8 * STATUS_WORDS))
        step, since_ns, ns_per_step, end = words
        if since_ns > 0 and ns_per_step > 0:       # inside a paced call: by the clock
            step = min(end, step + max(0, int(died * 1e9) - since_ns) // ns_per_step)
    except (OSError, struct.error):
        pass
    try:
        with open(os.path.join(status_dir, f"rank-{rank}.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        info = {}
    record = {"rank": rank, "time": died, "step": step, "pid": info.get("pid"),
              "host": info.get("host", socket.gethostname()), "spool": info.get("spool")}
    tmp = os.path.join(status_dir, f".dead-{rank}.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, os.path.join(status_dir, f"dead-{rank}.json"))
    time.sleep(SETTLE_S)
    deaths = []
    for name in os.listdir(status_dir):
        if name.startswith("dead-") and name.endswith(".json"):
            try:
                with open(os.path.join(status_dir, name)) as f:
                    deaths.append(json.load(f))
            except (OSError, ValueError):
                continue
    first = min(deaths, key=lambda d: (d["time"], d["rank"])) if deaths else record
    if first["rank"] != rank:
        return 0
    t = f"t = {first['step'] * dt_ms:g} ms" if first["step"] >= 0 else "the build (no tick yet)"
    others = sorted(d["rank"] for d in deaths if d["rank"] != rank)
    message = (
        f"[spinn] rank {rank} (pid {first['pid']} on {first['host']}) died without finishing "
        f"(killed, crashed or out of memory); the last tick it completed ended at {t}.  "
        + (f"The launcher then stopped rank(s) {', '.join(map(str, others))}.  " if others
           else "")
        + f"What was recorded up to each rank's last flush is on disk: "
        f"spinn salvage {status_dir} OUT_DIR writes it as OUT_DIR/spikes.h5.\n")
    try:
        os.write(2, message.encode())
    except OSError:
        pass
    with open(os.path.join(status_dir, "LOST"), "w") as f:
        f.write(message)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
