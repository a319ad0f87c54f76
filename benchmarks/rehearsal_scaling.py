"""Per-rank memory and build time by rank rehearsal (spinn rehearse), up to 1 024 ranks.

    python benchmarks/rehearsal_scaling.py      # JSON and a plot to benchmarks/results/

weak:  Brunel with 12 500 neurons and 12 500 Poisson sources per rank (scale = N), in-degrees
       1 000 / 250: rank 0 of N = 2, 8, 64, 256, 1 024 ranks.  The row index of the sources
       spread over the network is what grows (4 bytes per source neuron whose core reaches
       the rank); reported beside the RSS.
big:   rank 0 of a 1 024-rank job of Brunel at scale 400 (10^7 neurons with sources).
Each rehearsal is a fresh process (`spinn rehearse --json`), REPEAT per point (the median
build is reported, with all of them); times are the rank's own mapping and build, memory
its peak RSS (Python, numpy and numba's LLVM included).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
BRUNEL = ROOT / "examples" / "brunel.py"


REPEAT = 3     # rehearsals per point; times are their median (this machine is noisy)


def median_of(ranks, scale):
    runs = [rehearse(ranks, scale) for _ in range(REPEAT)]
    runs.sort(key=lambda r: r["build_seconds"])
    best = runs[len(runs) // 2]
    best["build_seconds_all"] = [r["build_seconds"] for r in runs]
    return best


def rehearse(ranks, scale, rank=0):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "r.json")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spinn.cli", "rehearse", "--ranks", str(ranks),
                        "--rank", str(rank), "--json", path, str(BRUNEL), "--",
                        "--duration", "0", "--scale", str(scale), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        report = json.load(open(path))
        report["wall_s"] = time.perf_counter() - t0
        return report


def main():
    keys = ("ranks", "neurons", "synapses", "synapse_bytes", "row_index_bytes", "known_cores",
            "map_seconds", "build_seconds", "build_seconds_all", "peak_rss_mb", "wall_s",
            "sends_to")
    weak = []
    for n in (2, 8, 64, 256, 1024):
        r = median_of(n, n)
        r["sends_to"] = len(r["sends_to"])
        weak.append({k: r[k] for k in keys})
        print(json.dumps(weak[-1]), flush=True)
    big = median_of(1024, 400)
    big["sends_to"] = len(big["sends_to"])
    big = {k: big[k] for k in keys}
    print(json.dumps(big), flush=True)
    base = weak[0]
    result = {"weak": weak, "big_brunel_400_on_1024": big,
              "weak_rss_ratio_1024_vs_2": weak[-1]["peak_rss_mb"] / base["peak_rss_mb"],
              "weak_build_ratio_1024_vs_2": weak[-1]["build_seconds"] / base["build_seconds"]}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rehearsal_scaling.json").write_text(json.dumps(result, indent=1))
    print(f"weak scaling, rank 0 at 1024 ranks vs 2: RSS x{result['weak_rss_ratio_1024_vs_2']:.2f}"
          f", build x{result['weak_build_ratio_1024_vs_2']:.2f}")
    plot(result)


def plot(result):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w = result["weak"]
    n = [r["ranks"] for r in w]
    fig = Figure(figsize=(9, 3.6))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.semilogx(n, [r["peak_rss_mb"] for r in w], "o-", base=2, label="peak RSS")
    ax1.semilogx(n, [r["synapse_bytes"] / 2**20 for r in w], "s--", base=2,
                 label="synapses")
    ax1.semilogx(n, [r["row_index_bytes"] / 2**20 for r in w], "^--", base=2,
                 label="row index")
    ax1.set_xlabel("ranks (12 500 neurons + 12 500 sources each)")
    ax1.set_ylabel("MB on rank 0")
    ax1.set_ylim(bottom=0)
    ax1.legend(fontsize=8)
    ax2.semilogx(n, [r["build_seconds"] for r in w], "o-", base=2, label="build")
    ax2.semilogx(n, [r["map_seconds"] for r in w], "s-", base=2, label="mapping")
    ax2.set_xlabel("ranks")
    ax2.set_ylabel("s on rank 0")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8)
    fig.suptitle("weak scaling by rehearsal (Brunel)")
    fig.tight_layout()
    fig.savefig(OUT / "rehearsal_scaling.png", dpi=110)


if __name__ == "__main__":
    main()
