"""Real time that holds, with live output of every spike (issue 12): a model run paced to the
wall clock with --live-port, a lean client (benchmarks/live_io.py's: sPyNNaker's
DatabaseConnection for the handshake, a plain socket counting the spikes) receiving all of
them; the job's late ticks, worst lateness, and spikes sent against received.  JSON to
benchmarks/results/live_realtime.json (or --json).

    python benchmarks/live_realtime.py [--cases cuba brunel] [--seconds 60]
        [--without-live | --both]
      cuba:   examples/va_benchmark.py --variant cuba (4 000 neurons, dt 0.1), 1 rank
      brunel: examples/brunel.py --scale 0.25, 2 ranks

Each case also gets the machine's floor: an empty tick loop paced exactly as spinn's
compiled loop paces (each tick's deadline start + i × tick, spinning on the monotonic
clock, late when a tick ends after its deadline), for the same ticks, in one process.
Its late ticks are stalls of the process itself (the OS, or the hypervisor of a VM):
no simulator on this machine can have fewer, so they are the bound on what a target of
"0 late ticks" can mean here.
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


def measure(case, seconds, with_live=True):
    ranks, script = CASES[case]
    out = tempfile.mkdtemp(prefix=f"spinn-rt-{case}-")
    client = subprocess.Popen([sys.executable, os.path.join(ROOT, "benchmarks", "live_io.py"),
                               "--client", "throughput", "--raw", "--labels", "E", "I",
                               "--out", out], cwd=ROOT) if with_live else None
    time.sleep(2.0 if with_live else 0.0)
    live = ["--live-port", str(PORT)] if with_live else ["--realtime"]
    job = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks),
                          *script[:1], "--", *script[1:], "--duration", str(seconds * 1000),
                          *live, "--out", out, "--quiet"],
                         cwd=ROOT, capture_output=True, text=True)
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
    live = t.get("live") or {"live_spikes_sent": None}
    row = {"case": case, "live_output": with_live, "ranks": ranks, "seconds": seconds,
           "ticks": ticks,
           "late_ticks": t["overruns"], "late_fraction": t["overruns"] / max(ticks, 1),
           "worst_lateness_ms": t.get("worst_lateness_ms"),
           "worst_late_tick": t.get("worst_late_tick"),
           "time_scale_factor_needed": t.get("time_scale_factor_needed"),
           "spikes_sent": live["live_spikes_sent"], "spikes_received": got,
           "lost": None if got is None else live["live_spikes_sent"] - got}
    print(json.dumps({k: v for k, v in row.items() if k != "worst_late_tick"}), flush=True)
    return row


TICK_MS = {"cuba": 0.2, "brunel": 1.0}     # the cases' ticks (their smallest delays)


def floor(case, seconds):
    """Late ticks of an empty paced loop with the case's tick (see the module's doc)."""
    import numba

    from spinn.runtime.comm import local_clock

    @numba.njit
    def paced(clock, tick_s, n_ticks):
        t0 = clock()
        late, worst = 0, 0.0
        for i in range(1, n_ticks + 1):
            deadline = t0 + i * tick_s
            now = clock()
            if now > deadline:
                late += 1
                worst = max(worst, now - deadline)
            else:
                while clock() < deadline:
                    pass
        return late, worst

    tick_s = TICK_MS[case] / 1000.0
    paced(local_clock(), tick_s, 10)
    n = int(round(seconds / tick_s))
    late, worst = paced(local_clock(), tick_s, n)
    row = {"case": case, "floor": True, "ranks": 1, "seconds": seconds, "ticks": n,
           "tick_ms": TICK_MS[case], "late_ticks": int(late), "late_fraction": late / n,
           "worst_lateness_ms": worst * 1000.0}
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
    ap.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results",
                                                   "live_realtime.json"))
    a = ap.parse_args()
    rows = []
    for c in a.cases:
        for live in ((True, False) if a.both else (not a.without_live,)):
            rows.append(measure(c, a.seconds, live))
        if not a.no_floor:
            rows.append(floor(c, a.seconds))
    with open(a.json, "w") as f:
        json.dump({"benchmark": "live_realtime", "command": " ".join(sys.argv),
                   "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
