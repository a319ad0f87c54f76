"""Side by side: spinn against NEST 3.10 and Brian2 (C++ standalone) in one batch.

    python benchmarks/side_by_side.py brunel --scale 1 --repeat 3 --duration 500
    python benchmarks/side_by_side.py microcircuit --scale 0.25 --repeat 3

The peers are installed by this script into their own environment, benchmarks/.peers/venv
(nest-simulator 3.10, brian2, numpy < 2.4 — brian2 breaks with numpy 2.4), and run the
reference scripts of ../shared/anchors (copied into benchmarks/.peers/work, since they write
their Brian2 builds beside themselves).  Runs alternate A B C … A B C … so that background
load hits every configuration alike; the claim is the MEDIAN OF PAIRED RATIOS spinn/peer per
repetition, not absolute times.  Every record goes to benchmarks/results/side_by_side.jsonl.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ANCHORS = ROOT.parent / "shared" / "anchors"
PEERS = ROOT / "benchmarks" / ".peers"
OUT = ROOT / "benchmarks" / "results" / "side_by_side.jsonl"
PEER_PACKAGES = ["nest-simulator==3.10.*", "brian2", "numpy<2.4", "cython"]
ANCHOR_SCRIPT = {"brunel": "brunel", "microcircuit": "microcircuit", "va_coba": "va",
                 "va_cuba": "va"}
PEER_CONFIGS = {
    "nest_1t": ("nest", ["--threads", "1"]),
    "nest_2t": ("nest", ["--threads", "2"]),
    "brian2_1t": ("brian2", ["--mode", "standalone", "--threads", "1"]),
    "brian2_2t": ("brian2", ["--mode", "standalone", "--threads", "2"]),
}


def ensure_peers():
    """The peers' own environment and a writable copy of the anchor scripts."""
    py = PEERS / "venv" / "bin" / "python"
    stamp = PEERS / "venv" / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS / "venv")], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
        stamp.touch()
    work = PEERS / "work"
    work.mkdir(parents=True, exist_ok=True)
    for f in ANCHORS.glob("*.py"):
        shutil.copy(f, work / f.name)
    return py, work


def model_args(args):
    """(spinn bench args, anchor script args) for the same model and measured interval."""
    ms, warm = str(args.duration), str(args.warmup)
    spinn = [args.model, "--duration", ms, "--warmup", warm, "--scale", str(args.scale)]
    peer = ["--sim-time-ms", ms, "--presim-ms", warm]
    if args.model in ("va_coba", "va_cuba"):
        peer += ["--variant", args.model[3:]]
    else:
        peer += ["--scale", str(args.scale)]
    return spinn, peer


def run_json(cmd, cwd, env=None):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(f"no result from {' '.join(cmd)}:\n{out.stdout[-2000:]}"
                     f"{out.stderr[-2000:]}\n")
    return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=sorted(ANCHOR_SCRIPT))
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=1000.0)
    p.add_argument("--warmup", type=float, default=100.0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--ranks", default="1,2", help="spinn rank counts")
    p.add_argument("--peers", default=",".join(PEER_CONFIGS))
    args = p.parse_args(argv)
    peer_py, work = ensure_peers()
    spinn_args, peer_args = model_args(args)
    bench = ROOT / "benchmarks" / "bench.py"
    configs = [(f"spinn_{r}r", [sys.executable, str(bench), *spinn_args, "--ranks", r,
                                "--json-out", ""]) for r in args.ranks.split(",")]
    for name in args.peers.split(","):
        sim, extra = PEER_CONFIGS[name]
        script = f"{sim}_{ANCHOR_SCRIPT[args.model]}.py"
        configs.append((name, [str(peer_py), script, *peer_args, *extra]))
    env = dict(os.environ, OMP_NUM_THREADS="2")
    rows = {name: [] for name, _ in configs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for rep in range(args.repeat):
        for name, cmd in configs:        # A B C … in every repetition
            rec = run_json(cmd, work, env)
            rows[name].append(rec)
            if rec is not None:
                rec.update(config=name, batch_model=args.model, batch_scale=args.scale,
                           repetition=rep)
                with open(OUT, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                print(f"rep {rep} {name:12s} RTF {rec['rtf']:.3f}  build "
                      f"{rec.get('build_s', float('nan')):.2f} s", flush=True)
    summarise(args, rows)


def total_rss_mb(rec):
    """Peak RSS of the whole job: summed over spinn's ranks, a peer's single process."""
    rss = rec.get("peak_rss_mb")
    return float(sum(rss)) if isinstance(rss, list) else float(rss or "nan")


def total_pss_mb(rec):
    """The job's physical peak: spinn's ranks' peak PSS summed (shared library pages once,
    not once per rank); a peer's single process: its RSS."""
    pss = rec.get("peak_pss_mb")
    return float(sum(pss)) if isinstance(pss, list) else total_rss_mb(rec)


def summarise(args, rows):
    print(f"\n{args.model} scale {args.scale:g}: median over {args.repeat} paired runs")
    for name in rows:
        recs = [r for r in rows[name] if r]
        if recs:
            med = {k: statistics.median(f(r) for r in recs) for k, f in (
                ("rtf", lambda r: r["rtf"]), ("build", lambda r: r.get("build_s", 0.0)),
                ("rss", total_rss_mb), ("pss", total_pss_mb))}
            print(f"  {name:12s} RTF {med['rtf']:.3f}  build {med['build']:.2f} s  "
                  f"peak RSS {med['rss']:.0f} MB, PSS {med['pss']:.0f} MB (all ranks)")
    for mine in [n for n in rows if n.startswith("spinn")]:
        for peer in [n for n in rows if not n.startswith("spinn")]:
            both = [(a, b) for a, b in zip(rows[mine], rows[peer]) if a and b]
            if both:
                ratio = {k: statistics.median(f(a) / f(b) for a, b in both) for k, f in (
                    ("RTF", lambda r: r["rtf"]), ("build", lambda r: r["build_s"]),
                    ("peak RSS", total_rss_mb), ("peak PSS", total_pss_mb))}
                print(f"  {mine} / {peer}: median paired ratios " + ", ".join(
                    f"{k} {v:.3f}" for k, v in ratio.items()))


if __name__ == "__main__":
    main()
