"""reset(): back to t = 0 with the network as built — a deterministic network replays the
same spikes and traces, nothing of the previous run leaks into the next (ring buffer,
delay-extension queues, lag-2 ticks, plastic weights), Poisson sources and noisy currents
draw new values, and the getters give the new segment."""

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads


def network(poisson=False, stdp=False, comm=None):
    sim.setup(timestep=0.1, seed=5, verbose=False, neurons_per_core=16,
              **({} if comm is None else {"comm": comm}))
    times = [[2.0 + 3.0 * i + 0.7 * j for i in range(12)] for j in range(20)]
    src = sim.Population(20, sim.SpikeSourceArray(spike_times=times), label="src")
    a = sim.Population(40, sim.IF_curr_exp(tau_refrac=2.0),
                       initial_values={"v": sim.RandomDistribution("uniform", (-65, -55))},
                       label="a")
    b = sim.Population(30, sim.IF_cond_exp(tau_refrac=2.0), label="b")
    syn = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.05,
                                            A_minus=0.02),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=4.0),
        weight=2.0, delay=1.0) if stdp else sim.StaticSynapse(weight=2.0, delay=1.0)
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.4), syn)
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=0.02, delay=sim.RandomDistribution(
                       "uniform", (0.5, 30.0))))                 # long delays: stages
    sim.Projection(b, a, sim.FixedNumberPreConnector(3),
                   sim.StaticSynapse(weight=-0.5, delay=2.0), receptor_type="inhibitory")
    if poisson:
        noise = sim.Population(40, sim.SpikeSourcePoisson(rate=200.0), label="noise")
        sim.Projection(noise, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.5,
                                                                            delay=1.0))
    a.record(["spikes", "v"])
    b.record("spikes")
    return a, b


def segment(a, b):
    t, i = a.get_spikes()
    vt, _, v = a.get_data("v")
    tb, ib = b.get_spikes()
    return t, i, vt, v, tb, ib


def test_reset_replays_a_deterministic_network_exactly():
    a, b = network()
    sim.run(60.0)
    first = segment(a, b)
    sim.reset()
    assert sim.get_current_time() == 0.0
    sim.run(60.0)
    second = segment(a, b)
    sim.end()
    assert first[0].size > 20 and first[4].size > 0
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


def test_reset_mid_flight_leaves_nothing_behind_and_plastic_weights_restart():
    """Reset at 37 ms, with spikes still travelling on 30 ms delays and STDP changing the
    weights: the run after it equals a fresh run of the same network."""
    a, b = network(stdp=True)
    sim.run(37.0)
    sim.reset()
    sim.run(60.0)
    after = segment(a, b)
    w_after = [p for p in sim.current().projections if p.plastic][0].get("weight")
    sim.end()
    a, b = network(stdp=True)
    sim.run(60.0)
    fresh = segment(a, b)
    w_fresh = [p for p in sim.current().projections if p.plastic][0].get("weight")
    sim.end()
    for x, y in zip(after, fresh, strict=True):
        np.testing.assert_array_equal(x, y)
    assert w_after == w_fresh


def test_poisson_sources_draw_a_new_trial_after_reset():
    a, b = network(poisson=True)
    sim.run(50.0)
    t1, i1 = a.get_spikes()
    sim.reset()
    sim.run(50.0)
    t2, i2 = a.get_spikes()
    sim.end()
    assert t1.size > 50 and t2.size > 50
    assert t1.max() <= 50.0 and t2.max() <= 50.0         # the getters give the new segment
    assert not (t1.size == t2.size and np.array_equal(t1, t2))


@pytest.mark.parametrize("n_ranks", [2, 3])
def test_reset_is_rank_invariant(n_ranks):
    """run, reset, run on 1 and on n thread ranks: the second segment is identical."""
    def job(comm):
        a, b = network(poisson=True, comm=comm)
        sim.run(30.0)
        sim.reset()
        sim.run(40.0)
        out = segment(a, b)
        sim.end()
        return out

    want = run_threads(1, job)[0]
    for got in run_threads(n_ranks, job):
        for x, y in zip(want, got, strict=True):
            np.testing.assert_array_equal(x, y)
