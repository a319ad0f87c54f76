"""What spinn.pynn costs over the native API: PD14 (examples/microcircuit.py's build, the
same code with ``sim`` bound to spinn or to spinn.pynn) — build time (definition + build,
as benchmarks/bench.py times it) and the run's real-time factor, alternating fresh
processes in one batch.

    python benchmarks/pynn_overhead.py --scale 0.25 --repeat 3 [--ranks 2]

Prints the medians and the median paired ratios pynn/native; appends to
benchmarks/results/pynn_overhead.jsonl.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "pynn_overhead.jsonl"
WORKER = r"""
import importlib.util, json, sys, time
api, scale, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
spec = importlib.util.spec_from_file_location("mc", {example!r})
mc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mc)
if api == "pynn":
    import spinn.pynn as sim
    sim.setup(timestep=0.1, rng_seed=1)
else:
    import spinn as sim
    sim.setup(timestep=0.1, seed=1, verbose=False)
import spinn
mc.sim = sim
comm = spinn.simulation().comm
t0 = time.perf_counter()
mc.build(scale, record=False)
spinn.build()
build_s = comm.allreduce(time.perf_counter() - t0, "max")
spinn.run(100.0, progress=False)                       # warm-up, discarded
t1 = time.perf_counter()
spinn.run(duration, progress=False)
sim_s = comm.allreduce(time.perf_counter() - t1, "max")
if comm.rank == 0:
    print("RESULT " + json.dumps(dict(api=api, scale=scale, ranks=comm.size, build_s=build_s,
                                      rtf=sim_s / (duration / 1000.0))), flush=True)
spinn.end()
"""


def run(api, args):
    code = WORKER.format(example=str(ROOT / "examples" / "microcircuit.py"))
    cmd = [sys.executable, "-c", code, api, str(args.scale), str(args.duration)]
    if args.ranks > 1:
        cmd = [str(pathlib.Path(sys.executable).parent / "mpiexec"), "-n", str(args.ranks), *cmd]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.25)
    p.add_argument("--duration", type=float, default=500.0)
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    rows = []
    for k in range(args.repeat):
        order = ("native", "pynn") if k % 2 == 0 else ("pynn", "native")
        pair = {api: run(api, args) for api in order}
        rows.append(pair)
        for api in order:
            print(f"  {api:6s}: build {pair[api]['build_s']:.2f} s, RTF {pair[api]['rtf']:.3f}",
                  flush=True)
    summary = {"scale": args.scale, "ranks": args.ranks, "duration_ms": args.duration,
               "repeat": args.repeat}
    for key in ("build_s", "rtf"):
        for api in ("native", "pynn"):
            summary[f"{key}_{api}_median"] = statistics.median(r[api][key] for r in rows)
        summary[f"{key}_ratio_median"] = statistics.median(
            r["pynn"][key] / r["native"][key] for r in rows)
    print(json.dumps(summary))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "a") as f:
        f.write(json.dumps({**summary, "runs": rows}) + "\n")


if __name__ == "__main__":
    main()
