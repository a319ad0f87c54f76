"""run_forever on several ranks, in the compiled tick loop: a request_stop() on one rank
stops every rank at the same tick (the ranks agree every 100 ticks)."""

import os
import tempfile
import threading

import pytest

import spinn as sim
from spinn import external_devices as ex
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(90)]


def test_request_stop_on_the_last_rank_stops_every_rank_at_the_same_tick():
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
        ok = (len(set(everyone)) == 1 and 100 * tick_ms <= ran <= 5000
              and round(ran / tick_ms) % 100 == 0 and engine.timers["local"] > 0)
        assert_all_ranks(ok, f"rank {rank}: ran {ran} ms (all: {everyone}), tick {tick_ms} "
                             f"ms, compiled loop {engine.timers['local']:.2f} s")
    finally:
        sim.end()
