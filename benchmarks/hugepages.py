"""What numpy's transparent-huge-page advice costs and gives on this machine, and why the
synaptic build allocates without it (spinn.runtime.memory.small_pages).

    python benchmarks/hugepages.py        # JSON to benchmarks/results/hugepages.json

numpy advises MADV_HUGEPAGE on every array of 4 MiB or more ($NUMPY_MADVISE_HUGEPAGE, 1 by
default on Linux).  Measured, each in a fresh process, alternating with the advice off and
on (REPEAT each):
  first_touch   zeros of 200 MB, one write per 4 KiB: the page faults
  scatter       15 M random increments into a 50 MB array already touched: the TLB
  build         Brunel scale 1 on 1 rank, its build (benchmarks/bench.py build_s; spinn
                itself turns the advice off inside build_synapses, so "on" here is
                measured with that disabled through $SPINN_HUGEPAGE_BUILD=1)
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "hugepages.json"
REPEAT = 3

FIRST_TOUCH = """
import time, numpy as np
t = time.perf_counter(); a = np.zeros(50_000_000, np.uint32); a[::1024] = 1
print(time.perf_counter() - t)
"""

SCATTER = """
import time, numpy as np, numba
@numba.njit
def scatter(a, idx):
    for i in idx:
        a[i] += 1
n = 12_800_000
a = np.zeros(n, np.uint32); a[:] = 0
idx = np.random.default_rng(1).integers(0, n, 15_000_000)
scatter(a, idx[:10])
t = time.perf_counter(); scatter(a, idx); print(time.perf_counter() - t)
"""


def timed(code, advice, extra_env=None):
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE=str(advice), **(extra_env or {}))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    return float(out.split()[-1])


def build_seconds(advice):
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE=str(advice),
               SPINN_HUGEPAGE_BUILD=str(advice))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "brunel",
                          "--scale", "1", "--ranks", "1", "--duration", "100", "--warmup",
                          "0", "--json-out", os.devnull], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    return json.loads(line.split("RESULT", 1)[1])["build_s"]


def main():
    result = {"benchmark": "hugepages", "date": time.strftime("%Y-%m-%d %H:%M"),
              "command": "python benchmarks/hugepages.py"}
    for name, run in (("first_touch_200MB_s", lambda a: timed(FIRST_TOUCH, a)),
                      ("scatter_15M_into_50MB_s", lambda a: timed(SCATTER, a)),
                      ("brunel_scale1_build_1rank_s", build_seconds)):
        runs = {"advice_off": [], "advice_on": []}
        for _ in range(REPEAT):
            for advice, key in ((0, "advice_off"), (1, "advice_on")):
                runs[key].append(run(advice))
        result[name] = {k: {"median": statistics.median(v), "all": v} for k, v in runs.items()}
        print(name, json.dumps(result[name]), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
