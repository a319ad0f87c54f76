"""Real time on several ranks in one compiled call each: a request_stop() on one rank stops
run_forever on every rank at the same tick, and on_overrun="stop" stops every rank at the
same tick with the same error — agreed by the ranks' votes inside the call (every 50 ticks,
spinn.kernels.agree), not by leaving it."""

import os
import tempfile
import threading

import pytest

import spinn as sim
from spinn import external_devices as ex
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(90)]


def test_request_stop_on_the_last_rank_stops_every_rank_at_the_same_tick(compiled_calls):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    log = comm.bcast(tempfile.mkdtemp(prefix="spinn-forever-") if rank == 0 else None)
    os.environ["SPINN_LIVE_LOG"] = log
    try:
        sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=4)
        ex.set_live_address("127.0.0.60")      # not the default board of other tests
        sim.Population(4, ex.SpikeInjector(notify=False), label="inj")
        out = sim.Population(8 * size, sim.SpikeSourcePoisson(rate=200.0), label="out")
        ex.activate_live_output_for(out, notify=False, host="127.0.0.1", port=9)
        if rank == size - 1:
            threading.Timer(0.5, ex.request_stop).start()
        ran = ex.run_forever()
        engine = sim.simulation().engine
        tick_ms = engine.plan.tick_steps * sim.simulation().network.dt
        everyone = comm.allgather(ran)
        # the warm-up tick, then one call to the agreed stop (at a vote: 50 ticks apart)
        ok = (len(set(everyone)) == 1 and 50 * tick_ms <= ran <= 5000
              and round(ran / tick_ms) % 50 == 0 and len(compiled_calls) == 2)
        assert_all_ranks(ok, f"rank {rank}: ran {ran} ms (all: {everyone}), tick {tick_ms} "
                             f"ms, compiled calls {compiled_calls}")
    finally:
        sim.end()


def test_on_overrun_stop_stops_every_rank_at_the_same_tick_with_one_error(compiled_calls):
    """Impossible deadlines (time_scale_factor 1e-4): every rank raises the same
    SimulationError at the same step — the vote at 100 ticks, which reads the one at 50 —
    from one compiled call after the warm-up tick, with no collective between calls."""
    from mpi4py import MPI

    from spinn.errors import SimulationError

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    try:
        sim.setup(timestep=0.1, seed=1, verbose=False, time_scale_factor=1e-4,
                  neurons_per_core=8)
        src = sim.Population(32, sim.SpikeSourcePoisson(rate=100.0), label="src")
        pop = sim.Population(32, sim.IF_curr_exp(), label="pop")
        sim.Projection(src, pop, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=1.0, delay=1.0))
        sim.run(1.0)
        compiled_calls.clear()
        try:
            sim.run(5000.0, realtime=True, on_overrun="stop")
            message = None
        except SimulationError as e:
            message = str(e)
        step = sim.simulation().engine.step
        every = comm.allgather((message, step, list(compiled_calls)))
        ok = (message is not None and "stopped (on_overrun=\"stop\") at t = 101 ms" in message
              and len(set(every[r][1] for r in range(len(every)))) == 1
              and len(set(every[r][0] for r in range(len(every)))) == 1
              and len(compiled_calls) == 2 and compiled_calls[0] == 10)
        assert_all_ranks(ok, f"rank {rank}: {every}")
    finally:
        sim.end()


def test_a_tag_reprogrammed_on_rank_0_while_a_stop_is_voted_does_not_hang(compiled_calls):
    """A client's IP-tag SET reaches rank 0's board alone; rank 0's call returns for it and
    a call of no tick sends the live output gathered so far.  That call once completed the
    vote in flight on rank 0 alone (it is the run's "end" for the call), so when the vote
    said stop the other ranks stopped and rank 0 ticked on, waiting for them: a hang.  Here
    rank 0 reprograms its tag every 2 ms around the last rank's request_stop()."""
    import socket
    import struct
    import time

    from mpi4py import MPI

    from spinn.live.protocol import SCAMP_PORT
    from tests.unit.live.packets import sdp

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    log = comm.bcast(tempfile.mkdtemp(prefix="spinn-forever-") if rank == 0 else None)
    os.environ["SPINN_LIVE_LOG"] = log
    board = "127.0.0.64"

    state = []           # the network (spinn.simulation() is the calling thread's)

    def started():       # the warm-up tick done: the clocks start together (a barrier)
        while True:
            engine = getattr(state[0], "engine", None) if state else None
            if engine is not None and engine.step > 0:
                return engine
            time.sleep(0.001)

    def ask_stop():
        started()
        time.sleep(0.2)
        ex.request_stop()

    def reprogram():
        engine = started()
        time.sleep(0.1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tag = engine.live.outputs[0].tag
        ip = int.from_bytes(socket.inet_aton("127.0.0.1"), "little")
        for k in range(150):                      # 0.1 to 0.4 s, the stop asked at 0.2 s
            arg1 = (1 << 16) | tag                # IP-tag SET, no reply asked
            s.sendto(sdp(struct.pack("<HHIII", 26, k, arg1, 9 + k % 2, ip), p=0, port=0,
                         flags=0x07), (board, SCAMP_PORT))
            time.sleep(0.002)
        s.close()

    try:
        sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=4)
        ex.set_live_address(board)
        out = sim.Population(8 * size, sim.SpikeSourcePoisson(rate=400.0), label="out")
        pop = sim.Population(8 * size, sim.IF_curr_exp(), label="pop")
        sim.Projection(out, pop, sim.OneToOneConnector(),           # ticks of 0.2 ms: the
                       sim.StaticSynapse(weight=0.1, delay=0.2))    # output is gathered
        ex.activate_live_output_for(out, notify=False, host="127.0.0.1", port=9)
        state.append(sim.simulation())
        if rank == size - 1:
            threading.Thread(target=ask_stop, daemon=True).start()
        if rank == 0:
            threading.Thread(target=reprogram, daemon=True).start()
        ran = ex.run_forever()
        everyone = comm.allgather(ran)
        requests = sim.simulation().engine.live.counters.get("live_iptag_requests", 0)
        ok = len(set(everyone)) == 1 and (rank != 0 or requests > 0)
        assert_all_ranks(ok, f"rank {rank}: ran {ran} ms (all: {everyone}), IP-tag "
                             f"requests {requests}, calls {len(compiled_calls)}")
    finally:
        sim.end()
