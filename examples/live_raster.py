"""A live raster of a running spinn job, fed by live output through sPyNNaker's own client
(as sPyNNaker's visualisers are): start it, then the job (e.g. examples/closed_loop.py, whose
"motors" population has live output).  With a display, a matplotlib window scrolls the last
--window seconds; without one (or --text), a text raster in the terminal: a row every 100 ms
per population, a character per 10 neurons.

    python examples/live_raster.py motors [--port 19980] [--window 2] [--text]
"""

import argparse
import os
import threading
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels", nargs="+", help="live-output populations to show")
    ap.add_argument("--port", type=int, default=19980, help="the notification port the job "
                    "notifies (database_notify_port_num)")
    ap.add_argument("--window", type=float, default=2.0, help="seconds shown")
    ap.add_argument("--text", action="store_true", help="a text raster even with a display")
    a = ap.parse_args()
    from spynnaker.pyNN.connections import SpynnakerLiveSpikesConnection

    lock, stopped, info = threading.Lock(), threading.Event(), {}
    spikes = {label: [] for label in a.labels}      # (time step, neuron id)

    def on_init(label, n, run_ms, dt_ms):
        info[label] = (n, dt_ms)

    def on_spikes(label, t, ids):
        with lock:
            spikes[label].extend((t, i) for i in ids)

    conn = SpynnakerLiveSpikesConnection(receive_labels=a.labels, local_port=a.port)
    for label in a.labels:
        conn.add_init_callback(label, on_init)
        conn.add_receive_callback(label, on_spikes)
        conn.add_pause_stop_callback(label, lambda label, c: stopped.set())
    print(f"waiting for a job to notify port {a.port} …", flush=True)
    text = a.text or not os.environ.get("DISPLAY")
    try:
        (text_raster if text else window_raster)(a, spikes, lock, stopped, info)
    finally:
        conn.close()


def text_raster(a, spikes, lock, stopped, info):
    shades = " .:-=+*#%@"
    while not stopped.is_set():
        time.sleep(0.1)
        with lock:
            rows = {label: s[:] for label, s in spikes.items()}
            for s in spikes.values():
                s.clear()
        line = []
        for label, s in rows.items():
            n = info.get(label, (max([i for _, i in s] + [0]) + 1, 1.0))[0]
            counts = np.bincount([i // 10 for _, i in s], minlength=-(-n // 10))
            line.append(f"{label}: " + "".join(shades[min(c, 9)] for c in counts))
        print("  ".join(line), flush=True)


def window_raster(a, spikes, lock, stopped, info):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(a.labels), 1, sharex=True, squeeze=False)
    plt.ion()
    while not stopped.is_set() and plt.fignum_exists(fig.number):
        with lock:
            rows = {label: np.array(s[-50000:]).reshape(-1, 2) for label, s in spikes.items()}
        for ax, (label, s) in zip(axes[:, 0], rows.items()):
            ax.cla()
            dt = info.get(label, (0, 0.1))[1]
            if len(s):
                t = s[:, 0] * dt / 1000.0
                keep = t >= t.max() - a.window
                ax.plot(t[keep], s[keep, 1], "|", ms=3)
            ax.set_ylabel(label)
        axes[-1, 0].set_xlabel("simulated time (s)")
        plt.pause(0.1)


if __name__ == "__main__":
    main()
