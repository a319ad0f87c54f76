"""Real time that holds, with live output of every spike (issue 12): a model run paced to the
wall clock with --live-port, a lean client (benchmarks/live_io.py's: sPyNNaker's
DatabaseConnection for the handshake, a plain socket counting the spikes) receiving all of
them; the job's late ticks, worst lateness, and spikes sent against received.  JSON to
benchmarks/results/live_realtime.json (or --json).

    python benchmarks/live_realtime.py [--cases cuba brunel] [--seconds 60]
        [--without-live | --both] [--time-scale-factors 1 1.5 2 3]
      cuba:   examples/va_benchmark.py --variant cuba (4 000 neurons, dt 0.1), 1 rank
      brunel: examples/brunel.py --scale 0.25, 2 ranks

Each case also gets the machine's floor: an empty tick loop paced exactly as spinn's
compiled loop paces (each tick's deadline start + i × tick, spinning on the monotonic
clock, late when a tick ends after its deadline), for the same ticks, in one process.
Its late ticks are stalls of the process itself (the OS, or the hypervisor of a VM):
no simulator on this machine can have fewer, so they are the bound on what a target of
"0 late ticks" can mean here.  And the loaded floor: as many such loops as the case has
ranks, started together, each first busy for the case's own work per tick (its slowest
rank's update, delivery, routing and recording per tick, measured in the run just made)
— what the same ticks cost a program that computes nothing but takes the same cores for
as long; a tick is late when it is late in any of them (as a job's tick is when any rank
is late).  Each row also has the hypervisor's steal (/proc/stat) over it; with
--time-scale-factors each case and its floors run at each factor (the same ticks, longer
in wall time): how much headroom the job needs against the machine's stalls.  After a
stall, a loop with work catches up more slowly than an empty one, so a stall makes several
late ticks here as in spinn.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 19990
CASES = {"cuba": (1, ["examples/va_benchmark.py", "--variant", "cuba"]),
         "brunel": (2, ["examples/brunel.py", "--scale", "0.25"])}


def steal_seconds():
    """CPU time the hypervisor took from this VM's cores so far (/proc/stat's steal, summed
    over the cores; 0 where the kernel does not count it)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(case, seconds, with_live=True, tsf=1.0):
    ranks, script = CASES[case]
    out = tempfile.mkdtemp(prefix=f"spinn-rt-{case}-")
    client = subprocess.Popen([sys.executable, os.path.join(ROOT, "benchmarks", "live_io.py"),
                               "--client", "throughput", "--raw", "--labels", "E", "I",
                               "--out", out], cwd=ROOT) if with_live else None
    time.sleep(2.0 if with_live else 0.0)
    live = ["--live-port", str(PORT)] if with_live else ["--realtime"]
    steal0 = steal_seconds()
    job = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks),
                          "--time-scale-factor", repr(tsf),
                          *script[:1], "--", *script[1:], "--duration", str(seconds * 1000),
                          *live, "--out", out, "--quiet"],
                         cwd=ROOT, capture_output=True, text=True)
    steal = steal_seconds() - steal0
    if job.returncode != 0:
        if client is not None:
            client.kill()
        sys.exit(f"{case} failed:\n{job.stdout[-3000:]}\n{job.stderr[-3000:]}")
    got = None
    if client is not None:
        client.wait(timeout=120)
        with open(os.path.join(out, "client.json")) as f:
            got = json.load(f)["received"]
    with open(os.path.join(out, "provenance.json")) as f:
        prov = json.load(f)
    t = prov["runs"][-1]["totals"] if "runs" in prov else prov
    ticks = prov["runs"][-1]["ranks"][0]["ticks"]
    busy = max(sum(r["seconds"][k] for k in ("update", "deliver", "route", "record"))
               for r in prov["runs"][-1]["ranks"])
    live = t.get("live") or {"live_spikes_sent": None}
    row = {"case": case, "live_output": with_live, "ranks": ranks, "seconds": seconds,
           "time_scale_factor": tsf, "ticks": ticks,
           "late_ticks": t["overruns"], "late_fraction": t["overruns"] / max(ticks, 1),
           # of those: own work beyond the tick's budget on some rank / started behind
           "late_overworked": t.get("overruns_overworked"),
           "late_behind": t.get("overruns_behind"),
           "late_between_calls": t.get("overruns_between_calls"),
           "worst_lateness_ms": t.get("worst_lateness_ms"),
           "worst_late_tick": t.get("worst_late_tick"),
           "time_scale_factor_needed": t.get("time_scale_factor_needed"),
           "busy_ms_per_tick": busy / max(ticks, 1) * 1000.0,
           "spikes_sent": live["live_spikes_sent"], "spikes_received": got,
           "lost": None if got is None else live["live_spikes_sent"] - got,
           # the hypervisor's steal over the job (build and compilation included)
           "steal_seconds": steal}
    print(json.dumps({k: v for k, v in row.items() if k != "worst_late_tick"}), flush=True)
    return row


TICK_MS = {"cuba": 0.2, "brunel": 1.0}     # the cases' ticks (their smallest delays)


def _paced():
    import numba

    @numba.njit
    def paced(clock, tick_s, n_ticks, work_s, t0, late):
        """n_ticks ticks from t0 (monotonic seconds): each busy work_s, then waiting for its
        deadline; the indices of the late ticks into ``late``.  Returns (late, worst s)."""
        while clock() < t0:
            pass
        n_late, worst = 0, 0.0
        for i in range(1, n_ticks + 1):
            done = clock() + work_s
            while clock() < done:
                pass
            deadline = t0 + i * tick_s
            now = clock()
            if now > deadline:
                late[n_late] = i
                n_late += 1
                worst = max(worst, now - deadline)
            else:
                while clock() < deadline:
                    pass
        return n_late, worst

    return paced


def floor_worker(tick_ms, n_ticks, work_ms, t0, out):
    """One loop of the floor (a process of its own); its late ticks to the file ``out``."""
    import numpy as np

    from spinn.runtime.clocks import local_clock

    paced = _paced()
    late = np.zeros(n_ticks + 1, np.int64)
    paced(local_clock(), 1e-4, 10, 0.0, 0.0, late)            # compiled before t0
    n, worst = paced(local_clock(), tick_ms / 1000.0, n_ticks, work_ms / 1000.0, t0, late)
    np.save(out, np.append(late[:n], int(round(worst * 1e9))))


def floor(case, seconds, ranks=1, work_ms=0.0, tsf=1.0):
    """Late ticks of ``ranks`` loops paced together, each busy ``work_ms`` per tick of
    TICK_MS × tsf (see the module's doc); ranks=1, work_ms=0: the empty loop."""
    import numpy as np

    tick_ms = TICK_MS[case] * tsf
    n = int(round(seconds * 1000.0 / TICK_MS[case]))
    t0 = time.monotonic() + 3.0          # after every loop's compilation
    with tempfile.TemporaryDirectory() as tmp:
        outs = [os.path.join(tmp, f"floor{k}.npy") for k in range(ranks)]
        steal0 = steal_seconds()
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--floor-worker",
                                   str(tick_ms), str(n), str(work_ms), repr(t0), out],
                                  cwd=ROOT) for out in outs]
        for p in procs:
            if p.wait() != 0:
                sys.exit(f"{case}: a floor loop failed")
        steal = steal_seconds() - steal0
        got = [np.load(out) for out in outs]
    late = np.unique(np.concatenate([g[:-1] for g in got]))
    row = {"case": case, "floor": True, "ranks": ranks, "seconds": seconds, "ticks": n,
           "time_scale_factor": tsf, "tick_ms": tick_ms, "work_ms_per_tick": work_ms,
           "late_ticks": int(late.size), "late_fraction": late.size / n,
           "late_ticks_per_loop": [int(g.size - 1) for g in got],
           "worst_lateness_ms": max(int(g[-1]) for g in got) / 1e6,
           "steal_seconds": steal}
    print(json.dumps(row), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--without-live", action="store_true",
                    help="real time without live output (the compiled loop paces the ticks)")
    ap.add_argument("--both", action="store_true", help="with and without live output")
    ap.add_argument("--no-floor", action="store_true", help="skip the empty loop's floor")
    ap.add_argument("--time-scale-factors", nargs="+", type=float, default=[1.0],
                    metavar="F", help="run each case (and its floors) at each of these "
                    "time_scale_factors: the headroom a case needs against the machine's")
    ap.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results",
                                                   "live_realtime.json"))
    ap.add_argument("--floor-worker", nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.floor_worker:
        tick_ms, n, work_ms, t0, out = a.floor_worker
        floor_worker(float(tick_ms), int(n), float(work_ms), float(t0), out)
        return
    rows = []
    for c in a.cases:
        for tsf in a.time_scale_factors:
            runs = [measure(c, a.seconds, live, tsf)
                    for live in ((True, False) if a.both else (not a.without_live,))]
            rows += runs
            if not a.no_floor:
                rows.append(floor(c, a.seconds, tsf=tsf))
                rows.append(floor(c, a.seconds, CASES[c][0],
                                  max(r["busy_ms_per_tick"] for r in runs), tsf))
    with open(a.json, "w") as f:
        json.dump({"benchmark": "live_realtime", "command": " ".join(sys.argv),
                   "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
