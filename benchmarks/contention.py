"""How much two busy cores of this machine slow each other down: Brunel at half scale (the
per-rank share of scale 1 on 2 ranks) as one process alone, then two such processes side by
side, then scale 1 on 2 MPI ranks — per-phase seconds per 500 ms from the per-tick path
(a no-op callback makes the loop time each phase; no recording).

    python benchmarks/contention.py

It bounds the 2-rank speed-up: if two independent half networks slow down by x %, two
ranks of the whole one cannot run faster than 2 / (1 + x/100) times one rank.
"""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKER = """
import json, sys
sys.path.insert(0, {examples!r})
import spinn as sim, brunel
sim.setup(timestep=0.1, seed=12345, verbose=False)
brunel.build(float(sys.argv[1]), record=False)
tick = [lambda t: t + 1000.0]
sim.run(100.0, progress=False, callbacks=tick)
if len(sys.argv) > 2:             # side by side: start the measured run together
    print("READY", flush=True)
    sys.stdin.readline()
sim.run(500.0, progress=False, callbacks=tick)
for m in sim.simulation().runs[-1]["per_rank"] or []:     # every rank's, on rank 0
    print("RESULT " + json.dumps(dict(rank=m["rank"], wall=m["run_wall_seconds"],
          **{{k: m["seconds"][k] for k in ("update", "exchange", "deliver")}})), flush=True)
sim.end()
"""


def launch(scale, ranks=1, together=False):
    code = WORKER.format(examples=str(ROOT / "examples"))
    cmd = [sys.executable, "-c", code, str(scale), *(["together"] if together else [])]
    if ranks > 1:
        cmd = [str(pathlib.Path(sys.executable).parent / "mpiexec"), "-n", str(ranks), *cmd]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)


def results(proc):
    out = proc.communicate()[0]
    return [json.loads(x[7:]) for x in out.splitlines() if x.startswith("RESULT ")]


def main():
    alone = results(launch(0.5))
    pair = [launch(0.5, together=True), launch(0.5, together=True)]
    for p in pair:                     # both built and warmed up: go
        assert p.stdout.readline().strip() == "READY"
    for p in pair:
        p.stdin.write("\n")
        p.stdin.flush()
    side_by_side = [r for p in pair for r in results(p)]
    mpi = results(launch(1.0, 2))
    for name, rows in (("half network alone", alone), ("two half networks side by side",
                                                         side_by_side),
                       ("whole network on 2 MPI ranks", mpi)):
        for r in rows:
            print(f"{name:32s} wall {r['wall']:.2f} s  update {r['update']:.3f}  deliver "
                  f"{r['deliver']:.3f}  exchange {r['exchange']:.3f}", flush=True)


if __name__ == "__main__":
    main()
