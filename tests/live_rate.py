"""Live rate control for the live-I/O tests: a SpikeSourcePoisson population "drive" (20
sources, 0 Hz) under add_poisson_live_rate_control; on rank 0 (not in a replay) sPyNNaker's
SpynnakerPoissonControlConnection sets sources 0–9 to 200 Hz once the run starts, then
sources 0–4 back to 0 Hz.  Writes OUT/rate-<ranks>[-replay].json: the recorded spikes (as
steps) and when the client sent each change (the job's step clock is not the client's).

    python tests/live_rate.py --out DIR [--port 19995] [--duration 2000]
"""

import argparse
import json
import os
import threading
import time

import numpy as np

import spinn as sim
from spinn import external_devices as ex

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--duration", type=float, default=2000.0)
ap.add_argument("--port", type=int, default=19995)
args = ap.parse_args()

replay = bool(os.environ.get("SPINN_REPLAY"))
sim.setup(timestep=0.1, seed=5, out_dir=args.out, verbose=False, neurons_per_core=8)
drive = sim.Population(20, sim.SpikeSourcePoisson(rate=0.0), label="drive")
other = sim.Population(16, sim.SpikeSourcePoisson(rate=50.0), label="other")
target = sim.Population(16, sim.IF_curr_exp(), label="target")
sim.Projection(drive, target, sim.FixedProbabilityConnector(0.5),
               sim.StaticSynapse(weight=2.0, delay=1.0))
sim.Projection(other, target, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0, delay=2.0))
ex.add_poisson_live_rate_control(drive, database_notify_port_num=args.port)
for p in (drive, target):
    p.record("spikes")

marks = []
conn = None
if sim.rank() == 0 and not replay:
    from spynnaker.pyNN.connections import SpynnakerPoissonControlConnection

    conn = SpynnakerPoissonControlConnection(poisson_labels=["drive"], local_port=args.port)

    def on_start(label, c):
        def go():
            t0 = time.perf_counter()
            time.sleep(0.5)
            c.set_rates("drive", [(i, 200.0) for i in range(10)])
            marks.append(time.perf_counter() - t0)
            time.sleep(0.7)
            c.set_rates("drive", [(i, 0.0) for i in range(5)])
            marks.append(time.perf_counter() - t0)
        threading.Thread(target=go, daemon=True).start()

    conn.add_start_resume_callback("drive", on_start)

sim.run(args.duration, realtime=not replay)
out = {}
for pop in (drive, target):
    s = pop.get_spikes()
    out[pop.label] = np.column_stack([np.round(s.times_ms / 0.1).astype(int) - 1,
                                      s.ids]).tolist()
if sim.rank() == 0:
    totals = sim.simulation().runs[-1]["totals"]
    out.update(marks=marks, live=totals.get("live"))
    with open(os.path.join(args.out, f"rate-{sim.num_processes()}"
                           f"{'-replay' if replay else ''}.json"), "w") as f:
        json.dump(out, f)
sim.end()
if conn is not None:
    conn.close()
