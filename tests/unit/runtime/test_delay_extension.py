"""Delays beyond the ring buffer go through the delay extension: exact arrival, memory that
does not grow with the delay, identical results on any rank count."""

import numpy as np
import pytest

import spinn as sim
from spinn.mapping.plan import delay_stages
from spinn.runtime.comm import run_threads


@pytest.mark.parametrize("tick", [1, 2, 10])
def test_delay_stages_tile_every_delay(tick):
    """Every delay from one tick to 16 383 steps maps to a stage whose residual delay lies in
    [tick, n_slots]: nothing lands in a slot already read or beyond the ring."""
    n_slots, stage, n_stages = delay_stages(tick, 16383)
    d = np.arange(tick, 16384)
    k = np.maximum(0, -(-(d - n_slots) // stage))
    residual = d - k * stage
    assert residual.min() >= tick and residual.max() <= n_slots and k.max() == n_stages - 1
    assert stage % tick == 0 and n_slots <= max(16, 4 * 16 * tick)


def long_delay_network(comm, dt=0.1):
    sim.setup(timestep=dt, seed=4, neurons_per_core=8, verbose=False, comm=comm)
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="src")
    a = sim.Population(30, sim.IF_curr_exp(tau_refrac=2.0), label="a")
    b = sim.Population(20, sim.IF_cond_exp(tau_refrac=2.0), label="b")
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.5), sim.StaticSynapse(
        weight=1.0, delay=sim.RandomDistribution("uniform", (1.0, 144.0))))
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.5), sim.STDPMechanism(
        weight=0.01, delay=sim.RandomDistribution("uniform", (1.0, 144.0)),
        weight_dependence=sim.AdditiveWeightDependence(w_max=0.05)))
    sim.Projection(b, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.5, delay=100.0),
                   receptor_type="inhibitory")
    for p in (a, b):
        p.record("spikes")
    sim.run(400.0)
    net = sim.current()
    out = ({p.label: p.get_spikes() for p in (a, b)},
           np.array(net.projections[1].get("weight")), sim.simulation().runs[-1],
           sim.simulation().plan)
    sim.end()
    return out


def test_long_delays_identical_on_any_rank_count_with_small_ring():
    """With delays up to 144 ms (static and plastic) spikes and weights are identical on 1, 2
    and 3 ranks; the ring buffer stays at 64 slots instead of 2048, for the neurons only."""
    (s1, w1, prov1, plan), = run_threads(1, long_delay_network)
    assert plan.n_slots == 64 and plan.n_stages > 20
    # the ring covers the 50 neurons that take synaptic input, not the 30 Poisson sources
    assert prov1["mine"]["ring_buffer_bytes"] == 64 * 2 * 8 * (prov1["mine"]["neurons"] - 30)
    assert all(s.ids.size > 20 for s in s1.values())
    for n in (2, 3):
        for s, w, _, _ in run_threads(n, long_delay_network):
            for label in s1:
                assert np.array_equal(s[label].times_ms, s1[label].times_ms)
                assert np.array_equal(s[label].ids, s1[label].ids)
            assert np.array_equal(w, w1)


def test_delays_round_trip_through_get():
    """Projection.get('delay') returns the full delays, also those stored in later stages."""
    sim.setup(timestep=0.1, seed=2, verbose=False)
    a = sim.Population(5, sim.SpikeSourcePoisson(rate=1.0))
    b = sim.Population(5, sim.IF_curr_exp())
    delays = np.array([[0.1, 6.4, 6.5, 50.0, 144.0]] * 5)
    p = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1,
                                                                        delay=delays))
    q = sim.Projection(a, b, sim.AllToAllConnector(), sim.STDPMechanism(weight=0.1,
                                                                        delay=delays))
    sim.run(1.0)
    for proj in (p, q):
        np.testing.assert_allclose(proj.get("delay", format="array"), delays, atol=1e-12)
    sim.end()


def test_lag_two_stages_leave_at_least_two_ticks(tick=10):
    """With lag 2 (a tick's packets delivered after the next update) every residual delay
    is at least two ticks, so no stage re-delivers into a slot already read."""
    n_slots, stage, n_stages = delay_stages(tick, 16383, lag=2)
    d = np.arange(2 * tick, 16384)
    k = np.maximum(0, -(-(d - n_slots) // stage))
    residual = d - k * stage
    assert residual.min() >= 2 * tick and residual.max() <= n_slots and stage % tick == 0


def test_lag_two_long_delays_identical_on_any_rank_count():
    """Delays from 2 to 144 ms (lag 2: the exchange overlaps the next update, through the
    delay extension) give the same spikes on 1, 2 and 3 ranks."""
    def net(comm):
        sim.setup(timestep=0.1, seed=4, neurons_per_core=8, verbose=False, comm=comm)
        src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="src")
        a = sim.Population(30, sim.IF_curr_exp(tau_refrac=2.0), label="a")
        d = sim.RandomDistribution("uniform", (2.0, 144.0))
        sim.Projection(src, a, sim.FixedProbabilityConnector(0.5), sim.StaticSynapse(1.0, d))
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.3), sim.StaticSynapse(-0.3, d),
                       receptor_type="inhibitory")
        a.record("spikes")
        sim.run(150.0)
        sim.run(150.0)
        out = (sim.simulation().plan.lag, a.get_spikes())
        sim.end()
        return out

    (lag, ref), = run_threads(1, net)
    assert lag == 2 and ref.ids.size > 50
    for n in (2, 3):
        for lag_n, s in run_threads(n, net):
            assert lag_n == 2
            assert np.array_equal(s.times_ms, ref.times_ms) and np.array_equal(s.ids, ref.ids)
