"""Checkpoint and restore figures (issue 13): a model run on N ranks to T ms with a
checkpoint at T (spinn run --checkpoint-every), then continued from it on M ranks to 2·T
(spinn run --restore latest); the seconds of each, the files' bytes against the synaptic
storage, from the two jobs' provenance.json.  JSON to benchmarks/results/ (or --json).

    python benchmarks/checkpoint.py [--model microcircuit|brunel] [--scale 1] [--ranks 2]
        [--restore-ranks 2] [--t-ms 100] [--stdp]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spinn_run(ranks, args, env):
    cmd = [sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks), *args]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0, done.stdout


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["microcircuit", "brunel"], default="microcircuit")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--restore-ranks", type=int, default=None)
    p.add_argument("--t-ms", type=float, default=100.0)
    p.add_argument("--stdp", action="store_true", help="brunel only: plastic E→E")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    m = args.restore_ranks or args.ranks
    work = tempfile.mkdtemp(prefix="spinn_ckbench_")
    env = dict(os.environ, PYTHONPATH=ROOT)
    script = [f"examples/{args.model}.py", "--scale", str(args.scale), "--quiet"] + \
        (["--stdp"] if args.stdp else [])
    ck = os.path.join(work, "ck")
    try:
        wall_w, _ = spinn_run(args.ranks, ["--checkpoint-dir", ck, "--checkpoint-every",
                                           f"{args.t_ms:g}ms", *script, "--duration",
                                           str(args.t_ms), "--out", os.path.join(work, "a")],
                              env)
        wall_r, _ = spinn_run(m, ["--checkpoint-dir", ck, "--restore", "latest", *script,
                                  "--duration", str(2 * args.t_ms), "--out",
                                  os.path.join(work, "b")], env)
        a = json.load(open(os.path.join(work, "a", "provenance.json")))
        b = json.load(open(os.path.join(work, "b", "provenance.json")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c = a["checkpoints"][-1]
    syn_bytes = sum(pr["synapse_bytes"] for pr in a["projections"])
    result = {
        "model": args.model, "scale": args.scale, "stdp": args.stdp, "ranks": args.ranks,
        "restore_ranks": m, "t_ms": args.t_ms,
        "checkpoint_seconds": c["seconds"], "checkpoint_bytes": c["bytes"],
        "synapse_bytes": syn_bytes, "bytes_over_synapses": c["bytes"] / max(syn_bytes, 1),
        "restore_seconds": b["restored"]["seconds"],
        "spikes_written_whole": b["spikes_written"],
        "job_wall_seconds": {"write": wall_w, "restore_and_continue": wall_r},
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }
    out = args.json or os.path.join(
        ROOT, "benchmarks", "results",
        f"checkpoint_{args.model}_s{args.scale:g}_{args.ranks}to{m}"
        f"{'_stdp' if args.stdp else ''}.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
