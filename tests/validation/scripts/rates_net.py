"""Live rate control through a checkpoint, on any number of ranks
(tests/unit/runtime/test_checkpoint.py, which also builds its one-process case from
build() and write_log() here):

    rates_net.py MODE LOG CHECKPOINT [OUT.npz]

MODE "log" writes an input log into LOG as a client's set_rates would have made it (sources
0-9 of "drive" to 300 Hz at step 40, sources 0-4 back to 0 Hz at step 70); "full" replays
it for 30 ms; "first" replays it for 10 ms and checkpoints to CHECKPOINT; "second" restores
CHECKPOINT with no client and runs the remaining 20 ms.  full and second write the spikes of
the whole 30 ms to OUT.npz on rank 0.
"""

import os
import sys

import numpy as np

import spinn as sim
from spinn import external_devices as ex


def build():
    """The network: a live-controlled Poisson population "drive" (20 sources, 0 Hz) onto
    16 IF_curr_exp; both recorded.  Returns (drive, target)."""
    sim.setup(timestep=0.1, seed=5, neurons_per_core=8, verbose=False)
    ex.set_live_address("127.0.0.72")
    drive = sim.Population(20, sim.SpikeSourcePoisson(rate=0.0), label="drive")
    target = sim.Population(16, sim.IF_curr_exp(), label="target")
    sim.Projection(drive, target, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=2.0, delay=1.0))
    ex.add_poisson_live_rate_control(drive, notify=False)
    for p in (drive, target):
        p.record("spikes")
    return drive, target


def write_log(directory, drive):
    """An input log (spinn.live.inputlog's format) of the network built: a client set
    sources 0-9 of ``drive`` to 300 Hz at step 40 and sources 0-4 back to 0 Hz at step 70."""
    import msgpack

    from spinn.live import inputlog

    os.makedirs(directory, exist_ok=True)
    net = sim.simulation().network
    with open(os.path.join(directory, "input-rank-00000.log"), "wb") as f:
        f.write(msgpack.packb({"format": inputlog.FORMAT, "version": inputlog.VERSION,
                               "dt": 0.1, "rank": 0, "ranks": 1,
                               "network": [list(x) for x in net.description()]}))
        f.write(msgpack.packb([40, drive.index, list(range(10)), [300.0] * 10]))
        f.write(msgpack.packb([70, drive.index, list(range(5)), [0.0] * 5]))


def main(mode, log, path, out=None):
    if mode in ("full", "first"):
        os.environ["SPINN_REPLAY"] = log
    os.environ["SPINN_LIVE_LOG"] = os.path.join(os.path.dirname(path), "live-" + mode)
    drive, target = build()
    if mode == "log":
        write_log(log, drive)
        return
    if mode == "full":
        sim.run(30.0, realtime=False)
    elif mode == "first":
        sim.run(10.0, realtime=False)
        sim.checkpoint(path)
    else:
        sim.restore(path)
        sim.run(20.0, realtime=False)
    if out is not None:
        got = {}
        for p in (drive, target):
            s = p.get_spikes()
            got[p.label + "_t"], got[p.label + "_i"] = s.times_ms, s.ids
        if sim.rank() == 0:
            np.savez(out, **got)
    sim.end()


if __name__ == "__main__":
    main(*sys.argv[1:5])
