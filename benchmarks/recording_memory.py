"""What recording every spike costs in memory: Brunel scale 1 for 20 s on 2 ranks, recording
all spikes of E and I against recording nothing, alternately in one batch.

    python benchmarks/recording_memory.py [--duration MS] [--repeat R]

Each run is a fresh 2-rank job; the figure is each rank's peak RSS (provenance), and the
difference of the medians per rank.  The spikes stream to each rank's spool through its
recording buffer (setup(record_buffer_mb=...), 16 MB by default), so the difference stays
bounded whatever the duration.  JSON to benchmarks/results/recording_memory.json.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "recording_memory.json"

WORKER = """
import json, sys
sys.path.insert(0, {examples!r})
import spinn as sim
import brunel
record, duration = sys.argv[1] == "1", float(sys.argv[2])
sim.setup(timestep=0.1, seed=12345, verbose=False)
E, I = brunel.build(1.0, record=record)
sim.run(duration, progress=False)
state = sim.simulation()
per_rank = state.runs[-1]["per_rank"]
total = sim.provenance()
if state.comm.rank == 0:
    print("RESULT " + json.dumps(dict(record=record, duration_ms=duration,
          peak_rss_mb=[p["peak_rss_mb"] for p in per_rank],
          spikes_recorded=total["spikes_recorded"], rtf=total["real_time_factor"])))
sim.end()
"""


def run(record, duration):
    code = WORKER.format(examples=str(ROOT / "examples"))
    cmd = [str(pathlib.Path(sys.executable).parent / "mpiexec"), "-n", "2", sys.executable,
           "-c", code, "1" if record else "0", str(duration)]
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=20000.0)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    runs = {True: [], False: []}
    for rep in range(args.repeat):
        for record in ((False, True) if rep % 2 == 0 else (True, False)):
            r = run(record, args.duration)
            runs[record].append(r)
            print(json.dumps(r), flush=True)
    med = {k: [statistics.median(r["peak_rss_mb"][i] for r in v) for i in range(2)]
           for k, v in runs.items()}
    result = {"duration_ms": args.duration, "runs": runs[True] + runs[False],
              "peak_rss_mb_recording": med[True], "peak_rss_mb_not_recording": med[False],
              "added_mb_per_rank": [a - b for a, b in zip(med[True], med[False])]}
    OUT.write_text(json.dumps(result, indent=1))
    print(f"recording every spike adds {result['added_mb_per_rank']} MB peak RSS per rank")


if __name__ == "__main__":
    main()
