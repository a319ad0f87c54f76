"""SIGTERM to the last rank alone during a real-time run with a checkpoint directory: the
ranks' vote inside their one call carries it, every rank leaves at the same vote step,
checkpoints there and exits 0 (SystemExit), and the run restored from it on the same ranks
ends with the spikes of an uninterrupted offline run."""

import os
import signal
import tempfile
import threading
import time

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.compiled_run import VOTE_TICKS
from tests.mpi_helpers import assert_all_ranks
from tests.unit.runtime.test_realtime_checkpoints import _network as _small_network
from tests.unit.runtime.test_realtime_checkpoints import _spikes

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]
T_MS = 2500.0


def _network():
    return _small_network(neurons_per_core=10)      # cores on every rank of 3


def test_sigterm_on_one_rank_checkpoints_every_rank_at_the_same_vote(compiled_calls):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    ck = comm.bcast(tempfile.mkdtemp(prefix="spinn-rtck-") if rank == 0 else None)
    a = _network()
    sim.run(T_MS, realtime=False)
    whole = _spikes(a)
    sim.end()
    a = _network()
    state = sim.simulation()

    def signal_later():
        while getattr(state, "engine", None) is None or state.engine.step == 0:
            time.sleep(0.001)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    if rank == size - 1:
        threading.Thread(target=signal_later, daemon=True).start()
    code = None
    compiled_calls.clear()
    try:
        sim.run(T_MS, realtime=True, checkpoint_dir=ck)
    except SystemExit as exc:
        code = exc.code
    step = sim.simulation().engine.step
    tick = sim.simulation().engine.plan.tick_steps
    steps = comm.allgather(step)
    names = sorted(p for p in os.listdir(ck) if p.startswith("t"))
    ticked = [c for c in compiled_calls if c > 0]
    sim.end()
    # one call to the vote (the signalled rank's also returned for its handler) after the
    # warm-up tick; before, a call every 250 ticks
    ok = (code == 0 and len(set(steps)) == 1 and step % (VOTE_TICKS * tick) == 0
          and names == [f"t{step * 0.1:012.3f}ms"] and step < T_MS * 10
          and len(ticked) <= (3 if rank == size - 1 else 2))
    assert_all_ranks(ok, f"rank {rank}: exit {code}, steps {steps}, checkpoints {names}, "
                         f"calls {compiled_calls}")
    a = _network()
    sim.restore(os.path.join(ck, names[0]))
    sim.run(T_MS - step * 0.1, realtime=False)
    again = _spikes(a)
    sim.end()
    assert_all_ranks(np.array_equal(again, whole),
                     f"rank {rank}: {len(again)} spikes after the restore, {len(whole)} "
                     f"uninterrupted")
