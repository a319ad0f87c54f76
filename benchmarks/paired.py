"""Paired batches of spinn against itself: rank counts, and optionally another source tree
(an earlier commit), run alternately in one batch so that the machine's drift hits every
configuration alike.

    python benchmarks/paired.py brunel --scale 1 --ranks 1 2 --repeat 5
    git worktree add /tmp/before 7233a41
    python benchmarks/paired.py microcircuit --scale 0.25 --ranks 1 2 \\
        --tree now=. --tree before=/tmp/before --repeat 5

Each run is a fresh job of the tree's own benchmarks/bench.py (discarded warm-up, no
recording).  Prints per configuration the median RTF and build time and the median of the
paired ratios against the first configuration; appends every record with its tree to
benchmarks/results/paired.jsonl.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "paired.jsonl"


def run(tree, model, ranks, args):
    tree = pathlib.Path(tree).resolve()
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    cmd = [sys.executable, str(tree / "benchmarks" / "bench.py"), model, "--scale",
           str(args.scale), "--ranks", str(ranks), "--duration", str(args.duration),
           "--json-out", ""]
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True,
                         cwd=tree).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=500.0)
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--tree", action="append", default=None,
                   help="NAME=PATH of a source tree (default: now=.)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    trees = [t.split("=", 1) for t in (args.tree or ["now=."])]
    configs = [(name, path, r) for name, path in trees for r in args.ranks]
    records = {c[0::2]: [] for c in configs}
    for rep in range(args.repeat):
        order = configs if rep % 2 == 0 else configs[::-1]
        for name, path, ranks in order:
            rec = run(path, args.model, ranks, args)
            rec["tree"] = name
            records[(name, ranks)].append(rec)
            with open(OUT, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"  {name} {ranks} rank(s): RTF {rec['rtf']:.3f}, build "
                  f"{rec['build_s']:.2f} s", flush=True)
    first = records[configs[0][0::2]]
    summary = []
    for key, recs in records.items():
        ratios = [a["rtf"] / b["rtf"] for a, b in zip(recs, first)]
        row = {"model": args.model, "scale": args.scale, "tree": key[0], "ranks": key[1],
               "rtf_median": statistics.median(r["rtf"] for r in recs),
               "build_s_median": statistics.median(r["build_s"] for r in recs),
               "peak_rss_mb_max": max(max(r["peak_rss_mb"]) for r in recs),
               f"rtf_ratio_to_{configs[0][0]}_{configs[0][2]}r": statistics.median(ratios)}
        summary.append(row)
        print(json.dumps(row), flush=True)
    return summary


if __name__ == "__main__":
    main()
