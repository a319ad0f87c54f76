"""STDP is rank-independent: spikes and final plastic weights are identical on 1-4 ranks."""

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads


def plastic_network(comm, learn=True):
    sim.setup(timestep=0.1, seed=9, neurons_per_core=16, verbose=False, comm=comm)
    src = sim.Population(60, sim.SpikeSourcePoisson(rate=30.0), label="src")
    exc = sim.Population(50, sim.IF_curr_exp(i_offset=0.3, tau_refrac=2.0), label="exc",
                         initial_values={"v": sim.RandomDistribution("uniform", (-65, -55))})
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(A_plus=0.02 * learn, A_minus=0.022 * learn),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.5, 1.5)),
        delay=sim.RandomDistribution("uniform", (0.5, 3.0)))
    proj = sim.Projection(src, exc, sim.FixedProbabilityConnector(0.3), stdp)
    # inhibitory current weights are negative; w_max bounds their magnitude
    rec = sim.Projection(exc, exc, sim.FixedNumberPreConnector(5), sim.STDPMechanism(
        weight=-0.2, delay=1.0, weight_dependence=sim.AdditiveWeightDependence(w_max=0.5)),
        receptor_type="inhibitory")
    exc.record("spikes")
    sim.run(300.0)
    out = exc.get_spikes(), np.array(proj.get("weight")), np.array(rec.get("weight"))
    sim.end()
    return out


@pytest.mark.parametrize("n_ranks", [2, 3, 4])
def test_stdp_network_identical_on_any_rank_count(n_ranks):
    """Spikes and both projections' final weights on n thread-ranks equal the 1-rank run."""
    (s1, w1, r1), = run_threads(1, plastic_network)
    (_, w_frozen, _), = run_threads(1, lambda comm: plastic_network(comm, learn=False))
    assert s1.ids.size > 100
    assert np.count_nonzero(w1[:, 2] != w_frozen[:, 2]) > w1.shape[0] // 2   # learning happened
    for s, w, r in run_threads(n_ranks, plastic_network):
        assert np.array_equal(s.times_ms, s1.times_ms) and np.array_equal(s.ids, s1.ids)
        assert np.array_equal(w, w1) and np.array_equal(r, r1)
