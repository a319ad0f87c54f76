"""Soak (issue 13): Brunel on 2 ranks for a wall-time budget with a checkpoint every minute
and every spike recorded; samples each rank's resident memory every 5 s (judged from the
first minute to the end of the run, before write_results); then restores from
the fifth checkpoint and finishes the script again.  Checks and reports: per-rank memory
after the first minute (min, max), spikes emitted == spikes written, and whether the
restored run's spikes.h5 equals the uninterrupted one's.  JSON to benchmarks/results/.

    python benchmarks/soak.py [--scale 0.5] [--duration-ms 250000] [--every 60s]
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_of_ranks(script):
    """{pid: rss bytes} of the running rank processes of this script."""
    out = {}
    for status in glob.glob("/proc/[0-9]*/status"):
        pid = status.split("/")[2]
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            if not any(script.encode() in c for c in cmd) or b"spinn.cli" in b" ".join(cmd) \
                    or b"mpiexec" in cmd[0]:
                continue
            with open(status) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out[int(pid)] = int(line.split()[1]) * 1024
        except OSError:
            continue
    return out


def same_spikes(a, b):
    with h5py.File(a) as fa, h5py.File(b) as fb:
        for pop in fa["spikes"]:
            for name in ("timestamps", "node_ids"):
                x, y = fa[f"spikes/{pop}/{name}"], fb[f"spikes/{pop}/{name}"]
                if x.shape != y.shape:
                    return False
                for at in range(0, x.shape[0], 1 << 24):
                    if not np.array_equal(x[at:at + (1 << 24)], y[at:at + (1 << 24)]):
                        return False
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.5)
    p.add_argument("--duration-ms", type=float, default=250000.0)
    p.add_argument("--every", default="60s")
    p.add_argument("--restore-from", type=int, default=5, help="which checkpoint (1-based)")
    p.add_argument("--work", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="spinn_soak_")
    env = dict(os.environ, PYTHONPATH=ROOT, NUMBA_NUM_THREADS="1")
    script = "examples/brunel.py"
    common = [script, "--scale", str(args.scale), "--duration", str(args.duration_ms)]
    ck = os.path.join(work, "ck")
    cmd = [sys.executable, "-m", "spinn.cli", "run", "--ranks", "2", "--checkpoint-dir", ck,
           "--checkpoint-every", args.every, *common, "--out", os.path.join(work, "a")]
    t0 = time.perf_counter()
    job = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    samples, lines, run_end = [], [], [None]

    def read():
        for line in job.stdout:
            lines.append(line)
            if line.startswith("run: ") and run_end[0] is None:
                run_end[0] = time.perf_counter() - t0     # the run is over: results next

    import threading

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while job.poll() is None:
        time.sleep(5.0)
        rss = rss_of_ranks(script)
        if rss:
            samples.append((time.perf_counter() - t0, sorted(rss.values())))
    reader.join()
    out = "".join(lines)
    wall = time.perf_counter() - t0
    if job.returncode != 0:
        sys.exit(out[-4000:])
    prov = json.load(open(os.path.join(work, "a", "provenance.json")))
    emitted = sum(pp["spikes"] for pp in prov["populations"] if pp["label"] in ("E", "I"))
    cks = sorted(n for n in os.listdir(ck) if n.startswith("t"))
    chosen = os.path.join(ck, cks[args.restore_from - 1])
    t1 = time.perf_counter()
    again = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", "2",
                            "--restore", chosen, *common, "--out", os.path.join(work, "b")],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    if again.returncode != 0:
        sys.exit(again.stdout[-3000:] + again.stderr[-3000:])
    end = run_end[0] if run_end[0] is not None else wall
    after_first = [s for t, s in samples if 60.0 < t < end]    # the run, not the results
    per_rank = list(zip(*after_first)) if after_first else []
    result = {
        "scale": args.scale, "duration_ms": args.duration_ms, "every": args.every,
        "wall_seconds": wall, "checkpoints": [
            {"t_ms": c["t_ms"], "seconds": c["seconds"], "bytes": c["bytes"]}
            for c in prov["checkpoints"]],
        "run_ended_at_s": end,
        "rss_after_first_minute_MiB": [
            {"min": min(r) / 2**20, "max": max(r) / 2**20} for r in per_rank],
        "rss_samples": [(round(t, 1), [round(x / 2**20) for x in s]) for t, s in samples],
        "spikes_emitted": emitted, "spikes_written": prov["spikes_written"],
        "emitted_equals_written": emitted == prov["spikes_written"],
        "restored_from": os.path.basename(chosen),
        "restore_seconds": json.load(open(os.path.join(work, "b", "provenance.json")))[
            "restored"]["seconds"],
        "restored_run_seconds": time.perf_counter() - t1,
        "restored_equals_uninterrupted": same_spikes(os.path.join(work, "a", "spikes.h5"),
                                                     os.path.join(work, "b", "spikes.h5")),
        "command": " ".join(["python", *sys.argv]),
    }
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    path = args.json or os.path.join(ROOT, "benchmarks", "results",
                                     f"soak_brunel_s{args.scale:g}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, indent=1))


if __name__ == "__main__":
    main()
