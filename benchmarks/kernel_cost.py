"""Nanoseconds per neuron-step of one cell type's compiled tick kernel (no synapses, no
exchange): the kernel called directly on N neurons for 2 000 steps, best of 5, a fresh process
per source tree, trees alternating.

    python benchmarks/kernel_cost.py IF_cond_exp IF_cond_alpha
    git worktree add /tmp/before 80017ea^      # the step-mean conductance kernels
    python benchmarks/kernel_cost.py IF_cond_exp IF_cond_alpha --tree now=. --tree before=/tmp/before

Each tree uses its own numba cache directory (a fresh one per tree, under /tmp).
"""

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKER = r"""
import importlib, sys, time
import numpy as np
from spinn.kernels.params import compact_constants
name, n = sys.argv[1], int(sys.argv[2])
import spinn
assert spinn.__file__.startswith(sys.argv[3]), (spinn.__file__, sys.argv[3])
ct = getattr(spinn, name)(i_offset=0.3, tau_refrac=2.0)
P = {k: np.full(n, float(v)) for k, v in ct.values.items()}
C = np.ascontiguousarray(ct.prepare(P, 0.1))
if ct.compact_constants:
    C = compact_constants(C)
S = np.zeros((len(ct.state), n)); S[0] = -65.0; S[1] = 0.01
kernel = ct.kernel()
ring = np.zeros((16, 2, n)); out = np.zeros(1 << 20, np.uint64)
keys = np.arange(n, dtype=np.uint32)
e, b = np.empty(0, np.int64), np.empty((1, 0, 0))
kernel(S, C, 0, keys, e, e, b, ring, 0, 15, 10, out, 0)
best = 1e9
for _ in range(5):
    t = time.perf_counter()
    for j in range(200):
        kernel(S, C, 0, keys, e, e, b, ring, j * 10, 15, 10, out, 0)
    best = min(best, time.perf_counter() - t)
print(f"{best / (2000 * n) * 1e9:.2f}")
"""


def measure(tree, name, n):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(tree).resolve()),
               NUMBA_CACHE_DIR=f"/tmp/spinn-kernel-cost-{abs(hash(str(tree)))}",
               NUMBA_NUM_THREADS="1")
    # cwd = the tree: ``python -c`` puts the working directory first on sys.path
    out = subprocess.run([sys.executable, "-c", WORKER, name, str(n), str(pathlib.Path(tree).resolve())], env=env, check=True,
                         stdout=subprocess.PIPE, text=True, cwd=pathlib.Path(tree).resolve()
                         ).stdout
    return float(out.split()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cells", nargs="+")
    p.add_argument("--neurons", type=int, default=20000)
    p.add_argument("--tree", action="append", default=None, help="NAME=PATH (default now=.)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    trees = [t.split("=", 1) for t in (args.tree or ["now=."])]
    for name in args.cells:
        got = {t: [] for t, _ in trees}
        for _ in range(args.repeat):
            for t, path in trees:
                got[t].append(measure(path, name, args.neurons))
        line = ", ".join(f"{t} {min(v):.2f} ns (of {', '.join(f'{x:.1f}' for x in v)})"
                         for t, v in got.items())
        if len(trees) == 2:
            (a, va), (b, vb) = got.items()
            line += f"; {a}/{b} {min(va) / min(vb):.2f}"
        print(f"{name}: {line}", flush=True)


if __name__ == "__main__":
    main()
