"""Live I/O figures (issue 12), with sPyNNaker's own client in a process of its own:

- latency: an event injected by SpynnakerLiveSpikesConnection.send_spike → a SpikeInjector
  → one synapse (1 ms) → a relay neuron that fires at once → live output → the client's
  receive callback; wall time from send to callback, median and 99th percentile over
  --events events (one every 8 ms, cycling over 100 neurons), on each rank count;
- throughput: a Poisson population (--rate-neurons × --rate Hz) with live output; spikes
  sent (spinn's provenance) against spikes the client received, and the run's late ticks.

JSON to benchmarks/results/live_io.json (or --json).

    python benchmarks/live_io.py [--ranks 1 2] [--events 1000] [--rate-neurons 2000]
        [--rate 100] [--seconds 5]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 19990


def sim_main(a):
    """The spinn job (run by spinn run --ranks N)."""
    import spinn as sim
    from spinn import external_devices as ex

    sim.setup(timestep=0.1, seed=1, out_dir=a.out, verbose=False)
    if a.sim == "latency":
        inj = sim.Population(100, ex.SpikeInjector(database_notify_port_num=PORT),
                             label="inj")
        relay = sim.Population(100, sim.IF_curr_exp(tau_syn_E=0.5, tau_refrac=1.0),
                               label="relay")
        sim.Projection(inj, relay, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=40.0, delay=1.0))
        ex.activate_live_output_for(relay, database_notify_port_num=PORT)
        duration = a.events * 8.0 + 3000.0
    else:
        src = sim.Population(a.rate_neurons, sim.SpikeSourcePoisson(rate=a.rate),
                             label="src")
        ex.activate_live_output_for(src, database_notify_port_num=PORT)
        duration = a.seconds * 1000.0
    sim.run(duration, realtime=True)
    if sim.rank() == 0:
        t = sim.simulation().runs[-1]["totals"]
        with open(os.path.join(a.out, "sim.json"), "w") as f:
            json.dump({"live": t["live"], "overruns": t["overruns"],
                       "ticks": sim.simulation().runs[-1]["mine"]["ticks"],
                       "worst_late_tick": t.get("worst_late_tick")}, f)
    sim.end()


def client_main(a):
    """sPyNNaker's client, as a user's closed-loop program would use it."""
    import numpy as np
    from spynnaker.pyNN.connections import SpynnakerLiveSpikesConnection

    lock, done = threading.Lock(), threading.Event()
    sent_at, lat, got = {}, [], [0]
    label = "relay" if a.client == "latency" else "src"
    conn = SpynnakerLiveSpikesConnection(
        receive_labels=[label], send_labels=["inj"] if a.client == "latency" else None,
        local_port=PORT)

    def on_receive(lbl, t, ids):
        now = time.perf_counter()
        with lock:
            got[0] += len(ids)
            for i in ids:
                if i in sent_at:
                    lat.append(now - sent_at.pop(i))

    def sender(lbl, c):
        def go():
            time.sleep(0.5)
            for k in range(a.events):
                i = k % 100
                with lock:
                    sent_at[i] = time.perf_counter()
                c.send_spike("inj", i)
                time.sleep(0.008)
        threading.Thread(target=go, daemon=True).start()

    conn.add_receive_callback(label, on_receive)
    if a.client == "latency":
        conn.add_start_resume_callback("inj", sender)
    conn.add_pause_stop_callback(label, lambda lbl, c: done.set())
    done.wait(a.seconds + a.events * 0.008 + 600)
    time.sleep(0.3)
    ms = np.array(lat) * 1000.0
    out = {"received": got[0], "events": a.events if a.client == "latency" else 0,
           "answered": int(ms.size)}
    if ms.size:
        out.update(median_ms=float(np.median(ms)), p99_ms=float(np.percentile(ms, 99)),
                   max_ms=float(ms.max()), min_ms=float(ms.min()),
                   quantiles_ms={q: float(np.percentile(ms, q)) for q in (10, 50, 90, 95, 98,
                                                                         99, 99.5)},
                   over_5ms=int((ms > 5.0).sum()))
    with open(os.path.join(a.out, "client.json"), "w") as f:
        json.dump(out, f)
    conn.close()


def raw_client_main(a):
    """A lean client: sPyNNaker's DatabaseConnection for the handshake, SpiNNMan's IPTagSet
    to point the tag at a plain socket (4 MiB receive buffer) that only counts the spikes
    of each packet — what spinn's side carries, without the Python client's per-spike cost."""
    import socket

    from spinn_front_end_common.utilities.database import DatabaseConnection
    from spinnman.messages.scp.impl import IPTagSet

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind(("127.0.0.1", 0))
    stopped, started = threading.Event(), threading.Event()

    def on_db(reader):
        _, _, _, board, tag, x, y = reader.get_live_output_details(a.labels[0],
                                                                   "LiveSpikeReceiver")
        req = IPTagSet(x, y, [0, 0, 0, 0], 0, tag, strip=True, use_sender=True)
        req.sdp_header.update_for_send(x, y)
        rx.settimeout(2.0)
        while True:
            rx.sendto(b"\0\0" + req.bytestring, (board, 17893))
            try:
                if len(rx.recv(64)) == 18:
                    break
            except socket.timeout:
                continue

    db = DatabaseConnection(started.set, stopped.set, local_port=PORT)
    db.add_database_callback(on_db)
    started.wait(600)
    rx.settimeout(0.5)
    buf = bytearray(4096)
    got = 0
    while True:
        try:
            n = rx.recv_into(buf)
        except socket.timeout:
            if stopped.is_set():
                break
            continue
        if n >= 2:
            got += buf[0]
    with open(os.path.join(a.out, "client.json"), "w") as f:
        json.dump({"received": got, "events": 0, "answered": 0}, f)
    db.close()
    rx.close()


def measure(kind, ranks, a):
    out = tempfile.mkdtemp(prefix=f"spinn-live-{kind}-")
    env = dict(os.environ)
    common = ["--out", out, "--events", str(a.events), "--rate-neurons", str(a.rate_neurons),
              "--rate", str(a.rate), "--seconds", str(a.seconds)]
    client = subprocess.Popen([sys.executable, __file__, "--client", kind, *common]
                              + (["--raw"] if kind == "throughput-raw" else []), env=env,
                              cwd=ROOT)
    time.sleep(2.0)        # the client listens before the job notifies
    job = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks),
                          __file__, "--", "--sim", kind.split("-")[0], *common], env=env,
                          cwd=ROOT,
                         capture_output=True, text=True)
    if job.returncode != 0:
        client.kill()
        sys.exit(f"job failed:\n{job.stdout[-3000:]}\n{job.stderr[-3000:]}")
    client.wait(timeout=120)
    with open(os.path.join(out, "client.json")) as f:
        c = json.load(f)
    with open(os.path.join(out, "sim.json")) as f:
        s = json.load(f)
    row = {"kind": kind, "ranks": ranks, **c, "spikes_sent": s["live"]["live_spikes_sent"],
           "packets_sent": s["live"]["live_packets_sent"], "late_ticks": s["overruns"],
           "ticks": s["ticks"], "worst_late_tick": s["worst_late_tick"]}
    if kind.startswith("throughput"):
        row["spikes_per_s"] = s["live"]["live_spikes_sent"] / a.seconds
        row["lost"] = s["live"]["live_spikes_sent"] - c["received"]
    print(json.dumps({k: v for k, v in row.items() if k != "worst_late_tick"}), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--rate-neurons", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results",
                                                   "live_io.json"))
    ap.add_argument("--sim", choices=("latency", "throughput"))
    ap.add_argument("--client", choices=("latency", "throughput", "throughput-raw"))
    ap.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--labels", nargs="+", default=["src"], help=argparse.SUPPRESS)
    ap.add_argument("--out")
    ap.add_argument("--only", choices=("latency", "throughput", "throughput-raw"))
    a = ap.parse_args()
    if a.sim:
        return sim_main(a)
    if a.client:
        return raw_client_main(a) if a.raw else client_main(a)
    rows = []
    for kind in ("latency", "throughput", "throughput-raw"):
        if a.only and kind != a.only:
            continue
        for ranks in a.ranks:
            rows.append(measure(kind, ranks, a))
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"benchmark": "live_io", "command": " ".join(sys.argv),
                   "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
