"""Real time that holds, with live output of every spike (issue 12): a model run paced to the
wall clock with --live-port, a lean client (benchmarks/live_io.py's: sPyNNaker's
DatabaseConnection for the handshake, a plain socket counting the spikes) receiving all of
them; the job's late ticks, worst lateness, and spikes sent against received.  JSON to
benchmarks/results/live_realtime.json (or --json).

    python benchmarks/live_realtime.py [--cases cuba brunel] [--seconds 60]
      cuba:   examples/va_benchmark.py --variant cuba (4 000 neurons, dt 0.1), 1 rank
      brunel: examples/brunel.py --scale 0.25, 2 ranks
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


def measure(case, seconds):
    ranks, script = CASES[case]
    out = tempfile.mkdtemp(prefix=f"spinn-rt-{case}-")
    client = subprocess.Popen([sys.executable, os.path.join(ROOT, "benchmarks", "live_io.py"),
                               "--client", "throughput", "--raw", "--labels", "E", "I",
                               "--out", out], cwd=ROOT)
    time.sleep(2.0)
    job = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks),
                          *script[:1], "--", *script[1:], "--duration", str(seconds * 1000),
                          "--live-port", str(PORT), "--out", out, "--quiet"],
                         cwd=ROOT, capture_output=True, text=True)
    if job.returncode != 0:
        client.kill()
        sys.exit(f"{case} failed:\n{job.stdout[-3000:]}\n{job.stderr[-3000:]}")
    client.wait(timeout=120)
    with open(os.path.join(out, "client.json")) as f:
        got = json.load(f)["received"]
    with open(os.path.join(out, "provenance.json")) as f:
        prov = json.load(f)
    t = prov["runs"][-1]["totals"] if "runs" in prov else prov
    ticks = prov["runs"][-1]["ranks"][0]["ticks"]
    row = {"case": case, "ranks": ranks, "seconds": seconds, "ticks": ticks,
           "late_ticks": t["overruns"], "late_fraction": t["overruns"] / max(ticks, 1),
           "worst_lateness_ms": t.get("worst_lateness_ms"),
           "worst_late_tick": t.get("worst_late_tick"),
           "time_scale_factor_needed": t.get("time_scale_factor_needed"),
           "spikes_sent": t["live"]["live_spikes_sent"], "spikes_received": got,
           "lost": t["live"]["live_spikes_sent"] - got}
    print(json.dumps({k: v for k, v in row.items() if k != "worst_late_tick"}), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results",
                                                   "live_realtime.json"))
    a = ap.parse_args()
    rows = [measure(c, a.seconds) for c in a.cases]
    with open(a.json, "w") as f:
        json.dump({"benchmark": "live_realtime", "command": " ".join(sys.argv),
                   "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
