"""make_plan for a 1 024-rank job on one core: time and memory against the network's size.

    python benchmarks/plan_scaling.py           # JSON and a plot to benchmarks/results/

Brunel-style networks (examples/brunel.py: neurons and as many Poisson sources, in-degrees
1 000 / 250) from 10^5 to 10^7 neurons with sources, and PD14 at full scale, each in a fresh
process: the network is declared, then the plan of the rank holding the first core is made
for 1 024 ranks.  Recorded:
make_plan's seconds, the peak of memory allocated while it runs (tracemalloc: numpy arrays
included) and the process's peak RSS (Python, numpy, numba with its LLVM included, about
150 MB before anything is built), and the log-log slopes of time and memory against cores.
"""

import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
RANKS = 1024

WORKER = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {examples!r})
import spinn as sim
from spinn.mapping import make_plan
import brunel, microcircuit
model, scale, ranks = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
net = sim.setup(timestep=0.1, seed=1, verbose=False)
if model == "brunel":
    brunel.build(scale=scale, record=False)
else:
    microcircuit.build(scale, record=False)
# the rank holding the first core (small networks leave many of the 1024 ranks empty);
# this first call also compiles the placement kernel outside the clock
rank = int(make_plan(net, ranks, 0).core_rank[0])
tracemalloc.start()
t0 = time.perf_counter()
plan = make_plan(net, ranks, rank)
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print("RESULT " + json.dumps(dict(
    model=model, scale=scale, ranks=ranks, rank=rank, neurons=int(sum(plan.pop_sizes)),
    cores=plan.n_cores, make_plan_s=seconds, traced_peak_mb=peak / 2**20,
    peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    entries=[plan.entries_before, len(plan.table)], incoming=int(plan.incoming.size))))
"""


def measure(model, scale):
    code = WORKER.format(examples=str(ROOT / "examples"))
    out = subprocess.run([sys.executable, "-c", code, model, str(scale), str(RANKS)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])


def slope(xs, ys):
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main():
    rows = []
    for scale in (4, 10, 40, 100, 400):          # 10^5 ... 10^7 neurons with sources
        rows.append(measure("brunel", scale))
        print(json.dumps(rows[-1]), flush=True)
    pd14 = measure("microcircuit", 1.0)
    print(json.dumps(pd14), flush=True)
    cores = [r["cores"] for r in rows]
    result = {
        "ranks": RANKS, "brunel": rows, "pd14_full": pd14,
        "slope_time_vs_cores": slope(cores, [r["make_plan_s"] for r in rows]),
        "slope_traced_memory_vs_cores": slope(cores, [r["traced_peak_mb"] for r in rows]),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "plan_scaling.json").write_text(json.dumps(result, indent=1))
    print(f"log-log slopes against cores: time {result['slope_time_vs_cores']:.2f}, memory "
          f"{result['slope_traced_memory_vs_cores']:.2f}")
    plot(result)


def plot(result):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = result["brunel"]
    fig = Figure(figsize=(9, 3.6))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    n = [r["neurons"] for r in rows]
    ax1.loglog(n, [r["make_plan_s"] for r in rows], "o-", label="Brunel-style")
    ax1.loglog([result["pd14_full"]["neurons"]], [result["pd14_full"]["make_plan_s"]], "s",
               label="PD14 full")
    ax1.set_xlabel("neurons (incl. sources)")
    ax1.set_ylabel("make_plan (s)")
    ax1.set_title(f"rank 0's plan of a {result['ranks']}-rank job")
    ax1.legend(fontsize=8)
    ax2.loglog(n, [r["traced_peak_mb"] for r in rows], "o-", label="allocated by make_plan")
    ax2.loglog(n, [r["peak_rss_mb"] for r in rows], "o--", label="process peak RSS")
    ax2.set_xlabel("neurons (incl. sources)")
    ax2.set_ylabel("MB")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "plan_scaling.png", dpi=110)


if __name__ == "__main__":
    main()
