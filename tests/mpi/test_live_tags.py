"""A client's IP-tag SET during a real-time run reaches rank 0's board alone (the database
names it for every live-output tag); the ranks' vote inside the call carries "rank 0 has new
tags", every rank leaves the call at the same vote step, rank 0's tags go to the others and
the run goes on.  Before, the other ranks' live output went to the old address until the
next run."""

import os
import socket
import struct
import tempfile
import threading
import time

import numpy as np
import pytest

import spinn as sim
from spinn import external_devices as ex
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(90)]


def _listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.05)
    got = []

    def loop():
        while s.fileno() >= 0:
            try:
                got.append((time.monotonic(), s.recv(4096)))
            except TimeoutError:
                continue
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return s, got


def _keys(packets):
    from spinn.live import protocol as wire

    out = []
    for _, data in packets:
        keys, _payloads, _ = wire.read_data(data)
        out.append(np.asarray(keys, np.int64))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


@pytest.mark.parametrize("checkpoints", [False, True])
def test_a_tag_reprogrammed_mid_run_redirects_every_ranks_live_output(compiled_calls,
                                                                      checkpoints):
    """Also with a checkpoint directory, whose real-time run is one call (a segment of
    spinn.runtime.longrun): the tags leave the call, not the segment."""
    from mpi4py import MPI

    from spinn.live.protocol import SCAMP_PORT
    from tests.unit.live.packets import sdp

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    log = comm.bcast(tempfile.mkdtemp(prefix="spinn-tags-") if rank == 0 else None)
    os.environ["SPINN_LIVE_LOG"] = log
    board = "127.0.0.66"
    old = new = None
    if rank == 0:
        (old, at_old), (new, at_new) = _listen(), _listen()
    port_old = comm.bcast(old.getsockname()[1] if rank == 0 else None)
    state, moved = [], []

    def reprogram():         # as a client that starts late: its tag SET, with a reply
        while not (state and getattr(state[0], "engine", None) is not None
                   and state[0].engine.step > 0):
            time.sleep(0.001)
        time.sleep(0.4)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2.0)
        tag = state[0].engine.live.outputs[0].tag
        ip = int.from_bytes(socket.inet_aton("127.0.0.1"), "little")
        arg1 = (1 << 16) | tag
        s.sendto(sdp(struct.pack("<HHIII", 26, 1, arg1, new.getsockname()[1], ip), p=0,
                     port=0, flags=0x87), (board, SCAMP_PORT))
        moved.append(time.monotonic())
        s.recv(64)                        # SCAMP's answer
        s.close()

    try:
        sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=4)
        ex.set_live_address(board)
        out = sim.Population(8 * size, sim.SpikeSourcePoisson(rate=300.0), label="out")
        ex.activate_live_output_for(out, notify=False, host="127.0.0.1", port=port_old)
        state.append(sim.simulation())
        if rank == 0:
            threading.Thread(target=reprogram, daemon=True).start()
        ck = comm.bcast(tempfile.mkdtemp(prefix="spinn-tags-ck-") if rank == 0 else None)
        sim.run(1500.0, checkpoint_dir=ck if checkpoints else None)   # real time: live I/O
        plan = sim.simulation().plan
        calls = comm.allgather(sum(1 for c in compiled_calls if c > 0))   # calls of ticks
        ok, why = True, ""
        if rank == 0:
            time.sleep(0.2)
            old.close()
            new.close()
            owner = plan.core_rank[_keys(at_new) >> plan.index_bits]
            late_old = [t for t, _ in at_old if moved and t > moved[0] + 0.3]
            ok = bool(moved) and set(owner.tolist()) == set(range(size)) and not late_old
            why = (f"ranks whose spikes reached the new address: {sorted(set(owner))}; "
                   f"packets at the old one 0.3 s after the SET: {len(late_old)}")
        # the other ranks left their call once, for the new tags: the warm-up tick, the
        # call to the agreed vote step, the rest (rank 0's returns for the SCP datagram)
        ok = ok and all(c == 3 for c in calls[1:])
        assert_all_ranks(ok, f"rank {rank}: {why} calls {calls}")
    finally:
        sim.end()
