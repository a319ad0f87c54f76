"""Nanoseconds per synaptic event of the delivery kernel (spinn.kernels.deliver) on a
synthetic rank: rows of a fixed length, their targets in post-core order (random inside a
core, as the build lays them out), random delays and receptors; random source neurons spike
each tick, in canonical order.  A fresh process per source tree, trees alternating, best of
5 batches per process.

    python benchmarks/deliver_cost.py                       # PD14-like and Brunel-like shapes
    git worktree add /tmp/before HEAD~1
    python benchmarks/deliver_cost.py --tree now=. --tree before=/tmp/before

Shapes (targets, ring slots, row length, sources, packets per tick):
  pd14-rank     38 500, 16, 1 000, 77 000, 31   (PD14 full, one of 2 ranks: a 9.9 MB ring)
  brunel-1rank  12 500, 16, 1 250, 25 000, 47   (Brunel scale 1 on 1 rank: a 3.2 MB ring)
  brunel-2rank   6 250, 16,   625, 25 000, 47   (one of 2 ranks: a 1.6 MB ring)

Results are appended to benchmarks/results/deliver_cost.jsonl.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "deliver_cost.jsonl"
SHAPES = {
    "pd14-rank": (38_500, 16, 1_000, 77_000, 31),
    "brunel-1rank": (12_500, 16, 1_250, 25_000, 47),
    "brunel-2rank": (6_250, 16, 625, 25_000, 47),
}
WORKER = r"""
import sys, time
import numpy as np
import spinn
assert spinn.__file__.startswith(sys.argv[1]), (spinn.__file__, sys.argv[1])
from spinn.kernels.deliver import deliver_packets, pack_words
n_tgt, n_slots, L, n_src, per_tick = (int(x) for x in sys.argv[2:7])
rng = np.random.default_rng(1)
NPC, BITS = 256, 8
n_cores = -(-n_src // NPC)
tgt = rng.integers(0, n_tgt, (n_src, L))
tgt = np.take_along_axis(tgt, np.argsort(tgt // NPC, axis=1, kind="stable"), axis=1)
rec = np.repeat((np.arange(n_src) >= 0.8 * n_src).astype(np.int64), L).reshape(n_src, L)
d = rng.integers(1, n_slots, (n_src, L))
syn_word = pack_words(tgt.ravel(), rec.ravel(), d.ravel())
del tgt, rec, d
syn_weight = rng.random(syn_word.size).astype(np.float32)
row_ptr = (np.arange(n_src + 1, dtype=np.int64) * L).astype(np.uint32)
slot = np.arange(n_cores, dtype=np.int32)
mpt_lo = np.arange(n_cores, dtype=np.int64); mpt_hi = mpt_lo + 1
blk_post_base = np.zeros(n_cores, np.int64)
blk_row_base = np.arange(n_cores, dtype=np.int64) * NPC
has = np.ones(n_cores, bool)
ring = np.zeros((n_slots, 2, n_tgt))
n_ticks = 1000
src = np.sort(rng.integers(0, n_src, (n_ticks, per_tick)), axis=1)
keys = ((src // NPC) << BITS) | (src % NPC)
packets = ((keys.astype(np.uint64) << np.uint64(16)) | np.uint64(1))
def batch():
    ev = 0
    for t in range(n_ticks):
        e, _ = deliver_packets(packets[t], per_tick, t, BITS, slot, mpt_lo, mpt_hi,
                               blk_post_base, blk_row_base, row_ptr, syn_word, syn_weight,
                               ring, n_slots - 1, has)
        ev += e
    return ev
batch()
best = 1e9
for _ in range(5):
    t0 = time.perf_counter()
    ev = batch()
    best = min(best, time.perf_counter() - t0)
print(f"{best / ev * 1e9:.3f}")
"""


def measure(tree, shape, together=1):
    """ns per event of `together` workers started at once (each its own rank-sized copy:
    the two cores' shared L3 and memory, as on a 2-rank job); their mean."""
    tree = pathlib.Path(tree).resolve()
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1",
               NUMBA_CACHE_DIR=f"/tmp/spinn-deliver-cost-{abs(hash(str(tree)))}")
    cmd = [sys.executable, "-c", WORKER, str(tree)] + [str(x) for x in SHAPES[shape]]
    if together > 1:        # compile once before the workers race for the cache
        subprocess.run(cmd[:3] + [str(tree), "1000", "16", "10", "300", "1"], env=env,
                       stdout=subprocess.DEVNULL, check=True, cwd=tree)
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, cwd=tree)
             for _ in range(together)]
    got = []
    for proc in procs:
        out = proc.communicate()[0]
        if proc.returncode:
            raise RuntimeError(f"{tree}: deliver_cost worker failed ({proc.returncode})")
        got.append(float(out.split()[-1]))
    return sum(got) / len(got)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("shapes", nargs="*", metavar="SHAPE", help=", ".join(SHAPES))
    p.add_argument("--tree", action="append", default=None, help="NAME=PATH (default now=.)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--together", type=int, default=1,
                   help="workers run at once per measurement (2: as the ranks of a 2-rank job)")
    args = p.parse_args()
    trees = [t.split("=", 1) for t in (args.tree or ["now=."])]
    for shape in args.shapes or list(SHAPES):
        if shape not in SHAPES:
            p.error(f"shape {shape!r}: not one of {', '.join(SHAPES)}")
        got = {name: [] for name, _ in trees}
        for rep in range(args.repeat):
            for name, path in (trees if rep % 2 == 0 else trees[::-1]):
                got[name].append(measure(path, shape, args.together))
        rec = {"shape": shape, "params": SHAPES[shape], "together": args.together,
               "ns_per_event": {k: sorted(v) for k, v in got.items()}}
        print(json.dumps(rec))
        with open(OUT, "a") as f:
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
