"""A closed loop in real time: a two-wheeled vehicle follows a circular line, steered by a
spiking network it talks to only through the live connection — sPyNNaker's own client in a
process of its own, as a robot's program would be.

    world (this file --world, plain numpy, its own process)
      two light sensors → spikes → SpynnakerLiveSpikesConnection.send_spikes
      → "sensors" (SpikeInjector, 2 × 10) → crossed excitation (Braitenberg's vehicle: the
      left sensor drives the right wheel) over a Poisson drive → "motors" (IF_curr_exp,
      2 × 10) → live output → the client's callback → wheel speeds → the vehicle moves.

The world steps every 10 ms of wall time; the network runs in real time (1 ms ticks).
Writes OUT/closed_loop.png (the trajectory on the line, the sensor and motor rasters, the
distance from the line over time) and OUT/trajectory.json.

    spinn run examples/closed_loop.py -- --duration 60000 --out out/closed_loop
    spinn run --ranks 2 examples/closed_loop.py -- --duration 60000

Watch it live (another terminal): python examples/live_raster.py motors sensors
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

PORT = 19980
N = 10                 # neurons per side
RADIUS = 1.0           # the line: a circle (m)
STEP_S = 0.01          # the world's step (s)


def world(a):
    """The vehicle and its line; talks to the network only through the live connection."""
    from spynnaker.pyNN.connections import SpynnakerLiveSpikesConnection

    lock, stopped, started = threading.Lock(), threading.Event(), threading.Event()
    counts = np.zeros(2)               # motor spikes per side since the last step

    def on_motor(label, t, ids):
        ids = np.asarray(ids)
        with lock:
            counts[0] += np.count_nonzero(ids < N)
            counts[1] += np.count_nonzero(ids >= N)

    conn = SpynnakerLiveSpikesConnection(receive_labels=["motors"], send_labels=["sensors"],
                                         local_port=PORT)
    conn.add_receive_callback("motors", on_motor)
    conn.add_start_resume_callback("sensors", lambda label, c: started.set())
    conn.add_pause_stop_callback("motors", lambda label, c: stopped.set())
    print("ready", flush=True)         # listening: the network may notify now
    started.wait(300)
    rng = np.random.default_rng(a.seed)
    x, y, heading = RADIUS + 0.15, 0.0, np.pi / 2      # beside the line, along it
    track, t0 = [], time.perf_counter()
    wheel_base, gain, sensor_ahead, sensor_side = 0.2, 0.1, 0.15, 0.08
    nxt = t0
    while not stopped.is_set():
        # the sensors: light from the line, falling off with the distance to it
        seen = []
        for side in (+1, -1):          # left, right
            sx = x + sensor_ahead * np.cos(heading) - side * sensor_side * np.sin(heading)
            sy = y + sensor_ahead * np.sin(heading) + side * sensor_side * np.cos(heading)
            d = abs(np.hypot(sx, sy) - RADIUS)
            seen.append(np.exp(-(d / 0.1) ** 2))
        ids = [i for side, s in enumerate(seen) for i in range(side * N, side * N + N)
               if rng.random() < 0.5 * s]
        if ids:
            conn.send_spikes("sensors", ids)
        with lock:
            left, right = counts.copy()
            counts[:] = 0
        # motor spikes → wheel speeds (m/s) → the vehicle's kinematics
        v_l, v_r = gain * left, gain * right
        v, w = (v_l + v_r) / 2, (v_r - v_l) / wheel_base
        heading += w * STEP_S
        x += v * np.cos(heading) * STEP_S
        y += v * np.sin(heading) * STEP_S
        track.append([time.perf_counter() - t0, x, y, abs(np.hypot(x, y) - RADIUS),
                      float(seen[0]), float(seen[1]), float(left), float(right)])
        nxt += STEP_S
        time.sleep(max(0.0, nxt - time.perf_counter()))
    with open(os.path.join(a.out, "trajectory.json"), "w") as f:
        json.dump(track, f)
    conn.close()


def network(a):
    import spinn as sim
    from spinn import external_devices as ex

    sim.setup(timestep=0.1, seed=a.seed, out_dir=a.out, verbose=True)
    sensors = sim.Population(2 * N, ex.SpikeInjector(database_notify_port_num=PORT),
                             label="sensors")
    drive = sim.Population(2 * N, sim.SpikeSourcePoisson(rate=40.0), label="drive")
    motors = sim.Population(2 * N, sim.IF_curr_exp(tau_refrac=2.0), label="motors")
    sim.Projection(drive, motors, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=4.0, delay=1.0), label="drive→motors")
    crossed = [(i, j) for i in range(2 * N) for j in range(2 * N) if (i < N) != (j < N)]
    sim.Projection(sensors, motors, sim.FromListConnector(crossed),
                   sim.StaticSynapse(weight=1.5, delay=1.0), label="sensors→motors")
    sensors.record("spikes")
    motors.record("spikes")
    ex.activate_live_output_for(motors, database_notify_port_num=PORT)
    client = None
    if sim.rank() == 0 and not os.environ.get("SPINN_REPLAY"):
        client = subprocess.Popen([sys.executable, __file__, "--world", "--out", a.out,
                                   "--seed", str(a.seed)], stdout=subprocess.PIPE, text=True)
        if client.stdout.readline().strip() != "ready":   # it listens before we notify
            raise SystemExit("closed_loop: the world process did not start")
    sim.run(a.duration, realtime=True)
    spikes = {p.label: p.get_spikes() for p in (sensors, motors)}
    if sim.rank() == 0:
        if client is not None:
            client.wait(timeout=60)
        plot(a, spikes)
    sim.end()


def plot(a, spikes):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = os.path.join(a.out, "trajectory.json")
    track = np.array(json.load(open(path))) if os.path.exists(path) else np.zeros((0, 8))
    fig = plt.figure(figsize=(12, 7))
    ax = fig.add_subplot(1, 2, 1)
    phi = np.linspace(0, 2 * np.pi, 400)
    ax.plot(RADIUS * np.cos(phi), RADIUS * np.sin(phi), color="0.7", lw=6, label="the line")
    if len(track):
        ax.plot(track[:, 1], track[:, 2], color="C3", lw=1, label="vehicle")
        ax.plot(track[0, 1], track[0, 2], "o", color="C3")
    ax.set_aspect("equal")
    ax.set_title("trajectory")
    ax.legend(loc="upper right")
    for k, (label, s) in enumerate(spikes.items()):
        axr = fig.add_subplot(3, 2, 2 + 2 * k)
        sel = s.times_ms >= max(0.0, a.duration - 2000.0)
        axr.plot(s.times_ms[sel] / 1000.0, s.ids[sel], "|", ms=3, color=f"C{k}")
        axr.set_ylabel(f"{label}\nneuron")
        axr.set_title(f"{label}: the last 2 s ({s.times_ms.size} spikes in all)", fontsize=9)
    axd = fig.add_subplot(3, 2, 6)
    if len(track):
        axd.plot(track[:, 0], track[:, 3], color="C2")
    axd.set_xlabel("wall time (s)")
    axd.set_ylabel("distance from\nthe line (m)")
    fig.tight_layout()
    out = os.path.join(a.out, "closed_loop.png")
    fig.savefig(out, dpi=90)
    if len(track):
        d = track[:, 3]
        print(f"closed loop: {len(track)} world steps over {track[-1, 0]:.1f} s; distance "
              f"from the line: median {np.median(d):.3f} m, 95th percentile "
              f"{np.percentile(d, 95):.3f} m; laps {laps(track):.2f}; figure {out}")


def laps(track):
    ang = np.unwrap(np.arctan2(track[:, 2], track[:, 1]))
    return abs(ang[-1] - ang[0]) / (2 * np.pi)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60000.0, help="ms of real time")
    ap.add_argument("--out", default="out/closed_loop")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--world", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    world(a) if a.world else network(a)


if __name__ == "__main__":
    main()
