"""Table and plot of a scaling sweep's JSON lines (cluster/slurm_scaling.sbatch).

    python cluster/scaling_summary.py out/scaling_<jobid>.jsonl out/scaling_<jobid>.png
"""

import json
import sys

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def main(lines_path, png_path):
    rows = sorted((json.loads(line) for line in open(lines_path) if line.strip()),
                  key=lambda r: r["ranks"])
    base = rows[0]["sim_s"] * rows[0]["ranks"]
    print(f"{'ranks':>5} {'RTF':>7} {'sim s':>7} {'build s':>8} {'speed-up':>9} "
          f"{'efficiency':>10}")
    for r in rows:
        speedup = rows[0]["sim_s"] / r["sim_s"]
        print(f"{r['ranks']:>5} {r['rtf']:>7.3f} {r['sim_s']:>7.3f} {r['build_s']:>8.2f} "
              f"{speedup:>9.2f} {base / (r['sim_s'] * r['ranks']):>10.0%}")
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ranks = [r["ranks"] for r in rows]
    ax.plot(ranks, [r["rtf"] for r in rows], "o-", label="measured")
    ax.plot(ranks, [rows[0]["rtf"] * rows[0]["ranks"] / n for n in ranks], "--", color="0.5",
            label="ideal")
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("real-time factor (lower is faster)")
    ax.set_xticks(ranks)
    ax.set_title(f"{rows[0]['model']} scale {rows[0]['scale']:g}: strong scaling")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    print(f"plot: {png_path}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
