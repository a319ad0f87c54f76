"""A live relay for the live-I/O tests: injector (N) → IF_curr_exp relay (N), one to one,
over Poisson noise; live output of the relay.  On rank 0 (not in a replay) a real sPyNNaker
client — SpynnakerLiveSpikesConnection — sends a seeded schedule of spikes once the run
starts and collects what comes back.  Writes OUT/result-<ranks>.json: the recorded spikes of
both populations (as steps) and, on a live run, what the client sent and received.

    python tests/live_relay.py --out DIR [--full-keys] [--port 19996] [--duration 1500]
        [--output-only]

--output-only: no injector; live output of both the noise and the relay (one tag), which
the client receives — a run the compiled tick loop serves, live output included.
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
ap.add_argument("--n", type=int, default=20)
ap.add_argument("--duration", type=float, default=1500.0)
ap.add_argument("--port", type=int, default=19996)
ap.add_argument("--events", type=int, default=60)
ap.add_argument("--full-keys", action="store_true")
ap.add_argument("--fuzz", type=int, default=0, help="random and mutated packets to send too")
ap.add_argument("--no-client", action="store_true")
ap.add_argument("--output-only", action="store_true")
args = ap.parse_args()

replay = bool(os.environ.get("SPINN_REPLAY"))
sim.setup(timestep=0.1, seed=11, out_dir=args.out, verbose=False, neurons_per_core=16)
noise = sim.Population(args.n, sim.SpikeSourcePoisson(rate=30.0), label="noise")
relay = sim.Population(args.n, sim.IF_curr_exp(), label="relay")
sim.Projection(noise, relay, sim.FixedProbabilityConnector(0.3),
               sim.StaticSynapse(weight=0.6, delay=1.5), label="noise→relay")
relay.record("spikes")
ex.activate_live_output_for(relay, database_notify_port_num=args.port)
if args.output_only:
    inj = noise
    ex.activate_live_output_for(noise, database_notify_port_num=args.port)
else:
    inj = sim.Population(args.n, ex.SpikeInjector(database_notify_port_num=args.port),
                         label="inj")
    sim.Projection(inj, relay, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=12.0, delay=1.0), label="inj→relay")
inj.record("spikes")

sent, received, lock = [], [], threading.Lock()
conn = None
if sim.rank() == 0 and not replay and not args.no_client:
    from spynnaker.pyNN.connections import SpynnakerLiveSpikesConnection

    conn = SpynnakerLiveSpikesConnection(
        receive_labels=["relay"] + (["noise"] if args.output_only else []),
        send_labels=None if args.output_only else ["inj"], local_port=args.port)
    rng = np.random.default_rng(3)

    def on_receive(label, t, ids):
        with lock:
            received.extend([label, int(t), int(i)] for i in ids)

    def on_start(label, c):
        def go():
            time.sleep(0.05)
            for _ in range(args.events):
                ids = sorted(set(rng.integers(0, args.n, rng.integers(1, 4)).tolist()))
                c.send_spikes("inj", ids, send_full_keys=args.full_keys)
                with lock:
                    sent.extend(ids)
                time.sleep(0.012)
        threading.Thread(target=go, daemon=True).start()

    fuzzed = []
    fuzzing = []

    def fuzz():                 # random and mutated packets at the board, from the start
        import subprocess
        import sys
        done = subprocess.run([sys.executable, "-m", "tests.unit.live.packets",
                               str(args.fuzz)], timeout=120)
        if done.returncode == 0:
            fuzzed.append(args.fuzz)

    def start_fuzz(label, c):
        t = threading.Thread(target=fuzz, daemon=True)
        fuzzing.append(t)
        t.start()

    conn.add_receive_callback("relay", on_receive)
    if args.output_only:
        conn.add_receive_callback("noise", on_receive)
    else:
        if args.fuzz:
            conn.add_start_resume_callback("inj", start_fuzz)
        conn.add_start_resume_callback("inj", on_start)

sim.run(args.duration, realtime=not replay)
time.sleep(0.2)          # the last live packets reach the client
if conn is not None:     # a busy machine may not have sent every fuzz packet during the run
    for t in fuzzing:
        t.join(timeout=60)
dt = 0.1
out = {}
for pop in (inj, relay):
    s = pop.get_spikes()
    out[pop.label] = np.column_stack([np.round(s.times_ms / dt).astype(int) - 1,
                                      s.ids]).tolist()
compiled = sim.simulation().engine.whole_ticks_compiled(True)
if sim.rank() == 0:
    totals = sim.simulation().runs[-1]["totals"]
    out["compiled"] = compiled
    with lock:
        out.update(sent=list(sent), received=list(received), live=totals.get("live"),
                   fuzzed=sum(fuzzed) if conn is not None else 0,
                   overruns=totals.get("overruns"))
    with open(os.path.join(args.out, f"result-{sim.num_processes()}"
                           f"{'-replay' if replay else ''}.json"), "w") as f:
        json.dump(out, f)
sim.end()
if conn is not None:
    conn.close()
