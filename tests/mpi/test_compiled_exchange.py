"""Whole ticks in one compiled call on several ranks, exchange included: spikes identical to
a 1-rank run and to the per-tick Python path, with the overflow messages of a busy tick,
with the exchange overlapping the next update (lag 2), and across run() boundaries."""

import numpy as np
import pytest

import spinn as sim
import spinn.runtime.simulator as simulator
from spinn.runtime.comm import LocalComm
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(180)]


def network(delay_ms):
    """Poisson-driven excitatory and inhibitory neurons; the smallest delay sets the lag."""
    e = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0), label="e",
                       initial_values={"v": sim.RandomDistribution("uniform", (-65.0, -52.0))})
    i = sim.Population(80, sim.IF_curr_exp(tau_refrac=2.0), label="i")
    drive = sim.Population(300, sim.SpikeSourcePoisson(rate=900.0), label="drive")
    kick = sim.Population(50, sim.SpikeSourcePoisson(rate=40.0), label="kick")
    d = sim.RandomDistribution("uniform", (delay_ms, delay_ms + 30.0))
    sim.Projection(drive, e, sim.OneToOneConnector(), sim.StaticSynapse(1.2, delay_ms))
    sim.Projection(kick, i, sim.FixedProbabilityConnector(0.3), sim.StaticSynapse(0.8, d))
    sim.Projection(e, i, sim.FixedNumberPreConnector(20), sim.StaticSynapse(0.2, d))
    sim.Projection(e, e, sim.FixedProbabilityConnector(0.05), sim.StaticSynapse(0.1, d))
    sim.Projection(i, e, sim.FixedTotalNumberConnector(3000), sim.StaticSynapse(-0.4, d),
                   receptor_type="inhibitory")
    for p in (e, i, kick):
        p.record("spikes")
    return e, i, kick


def simulate(delay_ms, durations, comm=None, python_path=False):
    sim.setup(timestep=0.1, seed=5, neurons_per_core=32, verbose=False, comm=comm)
    pops = network(delay_ms)
    callbacks = [lambda t: t + 1.0] if python_path else None
    for dur in durations:
        sim.run(dur, callbacks=callbacks)
    state = sim.simulation()
    out = {p.label: tuple(p.get_spikes()) for p in pops}
    lag = state.plan.lag
    sim.end()
    return out, lag


def same(a, b):
    return a.keys() == b.keys() and all(
        np.array_equal(x, y) for k in a for x, y in zip(a[k], b[k]))


@pytest.mark.parametrize("delay_ms,lag", [(1.0, 1), (2.0, 2)])
def test_compiled_ticks_on_several_ranks_equal_one_rank_and_the_python_path(delay_ms, lag):
    """The compiled multi-rank loop (no callback) gives the 1-rank spikes and the per-tick
    Python path's (a callback), for lag 1 and lag 2 — also when the run is split into
    pieces, so a tick pending between runs is delivered as if there were one run."""
    whole, got_lag = simulate(delay_ms, [120.0])
    split, _ = simulate(delay_ms, [37.0, 0.0, 50.0, 33.0])
    python, _ = simulate(delay_ms, [120.0], python_path=True)
    local, _ = simulate(delay_ms, [120.0], comm=LocalComm())
    n = sum(v[0].size for v in local.values())
    ok = got_lag == lag and n > 1000 and same(whole, local) and same(split, local) \
        and same(python, local)
    assert_all_ranks(ok, f"lag {got_lag}: compiled {same(whole, local)}, split "
                         f"{same(split, local)}, python {same(python, local)}, {n} spikes")


def test_busy_ticks_use_the_overflow_messages(monkeypatch):
    """With a first message of 4 words per neighbour every busy tick needs the second
    message: the spikes still equal the 1-rank run's."""
    monkeypatch.setattr(simulator, "WIRE_CAPACITY", 4)
    small, _ = simulate(2.0, [80.0])
    monkeypatch.undo()
    local, _ = simulate(2.0, [80.0], comm=LocalComm())
    assert_all_ranks(same(small, local), "overflow messages changed the spikes")
