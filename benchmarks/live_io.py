"""Live I/O figures (issue 12), with sPyNNaker's own client in a process of its own:

- latency: an event injected by SpynnakerLiveSpikesConnection.send_spike → a SpikeInjector
  → one synapse (1 ms) → a relay neuron that fires at once → live output → the client's
  receive callback; wall time from send to callback, median and 99th percentile over
  --events events (one every --every-ms, default 8 ms, cycling over 100 neurons), on each
  rank count; with where the time went (1 rank: sent → the tick that applied it → the
  relay's spike → the client, from the input log and the run's clock), beside a lean client
  (latency-lean: sPyNNaker's handshake, plain sockets) and the machine's floor (an echo
  paced as spinn paces, same client structure, no network), alternating in one batch;
- throughput: a Poisson population (--rate-neurons × --rate Hz) with live output; spikes
  sent (spinn's provenance) against spikes the client received, and the run's late ticks.

JSON to benchmarks/results/live_io.json (or --json).

    python benchmarks/live_io.py [--ranks 1 2] [--events 1000] [--every-ms 8]
        [--rate-neurons 2000] [--rate 100] [--seconds 5] [--only KIND ...] [--no-floor]
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
        duration = a.events * a.every_ms + 3000.0
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
                       "worst_late_tick": t.get("worst_late_tick"),
                       # the clock's origin on rank 0 (monotonic seconds at a step): with
                       # the input log it places each event's tick in wall time (--trace)
                       "clock_origin": getattr(sim.simulation().engine, "clock_origin",
                                               None), "dt_ms": 0.1,
                       "late_tick_list": list(map(int, sim.simulation().engine.lateness.ticks))}, f)
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

    trace = []       # (neuron, sent, received, step the relay fired)

    def on_receive(lbl, t, ids):
        now = time.perf_counter()
        with lock:
            got[0] += len(ids)
            for i in ids:
                if i in sent_at:
                    s = sent_at.pop(i)
                    lat.append(now - s)
                    trace.append((int(i), s, now, int(t)))

    def sender(lbl, c):
        def go():
            time.sleep(0.5)
            for k in range(a.events):
                i = k % 100
                with lock:
                    sent_at[i] = time.perf_counter()
                c.send_spike("inj", i)
                time.sleep(a.every_ms / 1000.0)
        threading.Thread(target=go, daemon=True).start()

    conn.add_receive_callback(label, on_receive)
    if a.client == "latency":
        conn.add_start_resume_callback("inj", sender)
    conn.add_pause_stop_callback(label, lambda lbl, c: done.set())
    done.wait(a.seconds + a.events * a.every_ms / 1000.0 + 600)
    time.sleep(0.3)
    ms = np.array(lat) * 1000.0
    out = {"received": got[0], "events": a.events if a.client == "latency" else 0,
           "answered": int(ms.size)}
    if ms.size:
        out.update(median_ms=float(np.median(ms)), p99_ms=float(np.percentile(ms, 99)),
                   max_ms=float(ms.max()), min_ms=float(ms.min()),
                   quantiles_ms={q: float(np.percentile(ms, q)) for q in (10, 50, 90, 95, 98,
                                                                         99, 99.5)},
                   over_5ms=int((ms > 5.0).sum()), trace=trace)
    with open(os.path.join(a.out, "client.json"), "w") as f:
        json.dump(out, f)
    conn.close()


def point_tag_here(rx, board, tag, x, y):
    """Point the board's live-output tag at socket rx with SpiNNMan's IP-tag set (as
    sPyNNaker's client does: again every 2 s until the board answers)."""
    import socket

    from spinnman.messages.scp.impl import IPTagSet

    req = IPTagSet(x, y, [0, 0, 0, 0], 0, tag, strip=True, use_sender=True)
    req.sdp_header.update_for_send(x, y)
    rx.settimeout(2.0)
    while True:
        rx.sendto(b"\0\0" + req.bytestring, (board, 17893))
        try:
            if len(rx.recv(64)) == 18:
                return
        except socket.timeout:
            continue


def raw_client_main(a):
    """A lean client: sPyNNaker's DatabaseConnection for the handshake, SpiNNMan's IPTagSet
    to point the tag at a plain socket (4 MiB receive buffer) that only counts the spikes
    of each packet — what spinn's side carries, without the Python client's per-spike cost."""
    import socket

    from spinn_front_end_common.utilities.database import DatabaseConnection

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind(("127.0.0.1", 0))
    stopped, started = threading.Event(), threading.Event()

    def on_db(reader):
        _, _, _, board, tag, x, y = reader.get_live_output_details(a.labels[0],
                                                                   "LiveSpikeReceiver")
        point_tag_here(rx, board, tag, x, y)

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


def lean_latency_client_main(a):
    """The round trip without sPyNNaker's connection classes on the traffic: its
    DatabaseConnection for the handshake and SpiNNMan's message classes to make the bytes
    once (an IP-tag set, the injection packets), then one thread sending an event every
    8 ms and one blocked on a plain socket — the floor client's structure, with spinn as
    the board."""
    import socket

    import numpy as np
    from spinn_front_end_common.utilities.database import DatabaseConnection
    from spinnman.messages.eieio import EIEIOType, read_eieio_data_message
    from spinnman.messages.eieio.data_messages import EIEIODataMessage
    from spinnman.messages.sdp import SDPFlag, SDPHeader, SDPMessage

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    stopped, started = threading.Event(), threading.Event()
    where = {}

    def on_db(reader):
        _, _, _, board, tag, x, y = reader.get_live_output_details("relay",
                                                                   "LiveSpikeReceiver")
        key_to_id = {k: i for i, k in reader.get_atom_id_to_key_mapping("relay").items()}
        ix, iy, ip = reader.get_placements("inj")[0]
        packets = []
        for i in range(100):
            m = EIEIODataMessage.create(EIEIOType.KEY_16_BIT)
            m.add_key(i)
            sdp = SDPMessage(SDPHeader(flags=SDPFlag.REPLY_NOT_EXPECTED, tag=0,
                                       destination_port=1, destination_cpu=ip,
                                       destination_chip_x=ix, destination_chip_y=iy,
                                       source_port=0, source_cpu=0, source_chip_x=0,
                                       source_chip_y=0), data=m.bytestring)
            packets.append(b"\0\0" + sdp.bytestring)
        where.update(board=(reader.get_ip_address(ix, iy), 17893), packets=packets,
                     key_to_id=key_to_id)
        point_tag_here(rx, board, tag, x, y)

    db = DatabaseConnection(started.set, stopped.set, local_port=PORT)
    db.add_database_callback(on_db)
    started.wait(600)
    sent_at, lat, lock = {}, [], threading.Lock()

    def receive():
        rx.settimeout(0.5)
        while True:
            try:
                data = rx.recv(4096)
            except socket.timeout:
                if stopped.is_set():
                    return
                continue
            now = time.perf_counter()
            msg = read_eieio_data_message(data, 0)
            with lock:
                while msg.is_next_element:
                    i = where["key_to_id"].get(msg.next_element.key)
                    if i in sent_at:
                        lat.append(now - sent_at.pop(i))

    r = threading.Thread(target=receive, daemon=True)
    r.start()
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    time.sleep(0.5)
    for k in range(a.events):
        with lock:
            sent_at[k % 100] = time.perf_counter()
        tx.sendto(where["packets"][k % 100], where["board"])
        time.sleep(a.every_ms / 1000.0)
    r.join(a.events * a.every_ms / 1000.0 + 600)
    ms = np.array(lat) * 1000.0
    out = {"received": int(ms.size), "events": a.events, "answered": int(ms.size),
           "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
           "max_ms": float(ms.max()), "min_ms": float(ms.min()),
           "over_5ms": int((ms > 5.0).sum())}
    with open(os.path.join(a.out, "client.json"), "w") as f:
        json.dump(out, f)
    db.close()
    rx.close()


def echo_main(a):
    """The latency floor's board: one process paced as spinn paces a run of 1 ms ticks
    (spinning on the monotonic clock), reading its socket at each tick boundary; what it
    read at boundary n is answered at boundary n + 1 — as spinn applies an event at the
    tick after it arrived and sends the relay's spike when it computes the next tick."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", PORT + 1))
    s.setblocking(False)
    tick, clock = 0.001, time.perf_counter
    t0 = clock()
    held, n = [], 0
    end = t0 + a.events * a.every_ms / 1000.0 + 3.0
    while True:
        n += 1
        while clock() < t0 + n * tick:
            pass
        for data, peer in held:
            s.sendto(data, peer)
        held = []
        while True:
            try:
                held.append(s.recvfrom(64))
            except BlockingIOError:
                break
        if clock() > end:
            return


def floor_client_main(a):
    """The latency floor's client: a sender thread (an event every --every-ms) and a receiving
    thread blocked on its socket, as sPyNNaker's connection has, without its protocol."""
    import socket

    import numpy as np

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    sent_at, lat = {}, []
    lock = threading.Lock()

    def receive():
        while len(lat) < a.events:
            data = s.recv(64)
            now = time.perf_counter()
            with lock:
                lat.append(now - sent_at.pop(int.from_bytes(data[:4], "little")))

    r = threading.Thread(target=receive, daemon=True)
    r.start()
    time.sleep(0.5)
    for k in range(a.events):
        with lock:
            sent_at[k] = time.perf_counter()
        s.sendto(k.to_bytes(4, "little"), ("127.0.0.1", PORT + 1))
        time.sleep(a.every_ms / 1000.0)
    r.join(5.0)
    ms = np.array(lat) * 1000.0
    return {"kind": "latency-floor", "ranks": 1, "events": a.events, "answered": int(ms.size),
            "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()), "over_5ms": int((ms > 5.0).sum())}


def measure_floor(a):
    echo = subprocess.Popen([sys.executable, __file__, "--echo", "--events", str(a.events),
                             "--every-ms", str(a.every_ms)], cwd=ROOT)
    time.sleep(0.5)
    row = floor_client_main(a)
    echo.wait(timeout=60)
    print(json.dumps(row), flush=True)
    return row


def measure(kind, ranks, a):
    out = tempfile.mkdtemp(prefix=f"spinn-live-{kind}-")
    env = dict(os.environ)
    common = ["--out", out, "--events", str(a.events), "--every-ms", str(a.every_ms),
              "--rate-neurons", str(a.rate_neurons), "--rate", str(a.rate), "--seconds",
              str(a.seconds)]
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
    trace = c.pop("trace", None)
    if trace and s.get("clock_origin") and ranks == 1:
        c["where_ms"] = where_time_went(trace, out, s)
    row = {"kind": kind, "ranks": ranks, **c, "spikes_sent": s["live"]["live_spikes_sent"],
           "packets_sent": s["live"]["live_packets_sent"], "late_ticks": s["overruns"],
           "ticks": s["ticks"], "worst_late_tick": s["worst_late_tick"]}
    if kind.startswith("throughput"):
        row["spikes_per_s"] = s["live"]["live_spikes_sent"] / a.seconds
        row["lost"] = s["live"]["live_spikes_sent"] - c["received"]
    print(json.dumps({k: v for k, v in row.items() if k != "worst_late_tick"}), flush=True)
    return row


def where_time_went(trace, out, s):
    """Quantiles of each part of the round trip (1 rank, whose clock is the monotonic
    clock the client reads): sent → the start of the tick that applied the event (from the
    input log and the clock's origin), that tick → the relay's spike (simulated), and the
    end of the spike's tick → the client's callback (the flush and the client)."""
    import glob

    import msgpack
    import numpy as np

    applied = []
    for path in glob.glob(os.path.join(out, "live_input", "input-rank-*.log")):
        with open(path, "rb") as f:
            for rec in list(msgpack.Unpacker(f, raw=False))[1:]:
                if len(rec) == 3:
                    applied.extend((rec[0], i) for i in rec[2])
    applied.sort()
    w0, s0 = s["clock_origin"]
    dt = s["dt_ms"] / 1000.0
    to_tick, in_sim, out_ = [], [], []
    for (i, sent, got, t), (step, j) in zip(trace, applied):
        if i != j:
            return {"error": "events and the input log disagree"}
        to_tick.append((w0 + (step - s0) * dt - sent) * 1e3)
        in_sim.append((t - step) * s["dt_ms"])
        out_.append((got - (w0 + (t + 1 - s0) * dt)) * 1e3)
    late = set(s.get("late_tick_list", []))     # ticks of 10 steps (1 ms) from step 0
    slow = [(step // 10 in late) or (t // 10 in late)
            for (i, sent, got, t), (step, j) in zip(trace, applied) if (got - sent) > 5e-3]
    q = (50, 90, 99, 100)
    return {"over_5ms": len(slow), "over_5ms_where_spinn_was_late": int(sum(slow)),
            **{name: {str(p): round(float(np.percentile(v, p)), 3) for p in q}
            for name, v in (("sent_to_tick", to_tick), ("tick_to_spike", in_sim),
                            ("spike_to_client", out_))}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--every-ms", type=float, default=8.0,
                    help="ms between the latency client's events (default 8)")
    ap.add_argument("--rate-neurons", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results",
                                                   "live_io.json"))
    ap.add_argument("--sim", choices=("latency", "throughput"))
    ap.add_argument("--client", choices=("latency", "latency-lean", "throughput",
                                         "throughput-raw"))
    ap.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--labels", nargs="+", default=["src"], help=argparse.SUPPRESS)
    ap.add_argument("--out")
    ap.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the latency floor (an echo paced as spinn, no network)")
    ap.add_argument("--only", nargs="+", choices=("latency", "latency-lean", "throughput",
                                                  "throughput-raw"))
    a = ap.parse_args()
    if a.sim:
        return sim_main(a)
    if a.echo:
        return echo_main(a)
    if a.client:
        if a.client == "latency-lean":
            return lean_latency_client_main(a)
        return raw_client_main(a) if a.raw else client_main(a)
    rows = []
    kinds = [k for k in ("latency", "latency-lean", "throughput", "throughput-raw")
             if not a.only or k in a.only]
    for ranks in a.ranks:      # the latency rows of a rank count side by side with the floor
        for kind in kinds:
            if kind.startswith("latency"):
                rows.append(measure(kind, ranks, a))
        if any(k.startswith("latency") for k in kinds) and not a.no_floor:
            rows.append(measure_floor(a))
    for kind in kinds:
        if not kind.startswith("latency"):
            for ranks in a.ranks:
                rows.append(measure(kind, ranks, a))
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"benchmark": "live_io", "command": " ".join(sys.argv),
                   "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
