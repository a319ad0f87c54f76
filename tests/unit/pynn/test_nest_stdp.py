"""NEST's stdp_synapse through spinn.pynn (sim.native_synapse_type("stdp_synapse"), what
PyNN's SONATA importer asks for): NEST's names, units and defaults, the post cell's
tau_minus, learning as spinn's SpikePairRule with a Gütig weight dependence."""

import numpy as np
import pytest

import spinn
import spinn.pynn as sim
from spinn.errors import ConfigurationError

PARAMS = dict(weight=300.0, Wmax=600.0, mu_plus=0.5, mu_minus=0.4, alpha=1.1, delay=1.0,
              tau_plus=15.0, **{"lambda": 0.05})


def _pynn():
    sim.setup(timestep=0.1, rng_seed=3)
    iaf = sim.native_cell_type("iaf_psc_alpha")
    pre = sim.Population(10, sim.SpikeSourcePoisson(rate=40.0), label="pre")
    post = sim.Population(10, iaf(I_e=370.0, tau_minus=17.0), label="post")
    assert post.get("tau_minus") == 17.0
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.native_synapse_type("stdp_synapse")(**PARAMS))
    post.record("spikes")
    sim.run(1000.0)
    spikes = [np.asarray(st) for st in post.get_data().segments[0].spiketrains]
    w = prj.get("weight", format="array").diagonal().copy()
    sim.end()
    return spikes, w


def _native():
    spinn.setup(timestep=0.1, seed=3, verbose=False)
    pre = spinn.Population(10, spinn.SpikeSourcePoisson(rate=40.0), label="pre")
    post = spinn.Population(10, spinn.IF_curr_alpha(
        cm=0.25, tau_m=10.0, tau_refrac=2.0, v_rest=-70.0, v_thresh=-55.0, v_reset=-70.0,
        tau_syn_E=2.0, tau_syn_I=2.0, i_offset=0.37), initial_values={"v": -70.0},
        label="post")
    prj = spinn.Projection(pre, post, spinn.OneToOneConnector(), spinn.STDPMechanism(
        timing_dependence=spinn.SpikePairRule(tau_plus=15.0, tau_minus=17.0, A_plus=0.05,
                                              A_minus=1.1 * 0.05),
        weight_dependence=spinn.GutigWeightDependence(w_min=0.0, w_max=0.6, mu_plus=0.5,
                                                      mu_minus=0.4),
        weight=0.3, delay=1.0))
    post.record("spikes")
    spinn.run(1000.0, progress=False)
    s = post.get_spikes()
    spikes = [s.times_ms[s.ids == i] for i in range(10)]
    w = np.array([v for _, _, v in sorted(prj.get("weight"))]) * 1000.0
    spinn.end()
    return spikes, w


def test_nest_stdp_synapse_learns_as_the_native_gutig_rule():
    s1, w1 = _pynn()
    s2, w2 = _native()
    assert sum(map(len, s1)) > 50
    assert all(np.allclose(a, b) and len(a) == len(b) for a, b in zip(s1, s2, strict=True))
    assert np.max(np.abs(w1 - 300.0)) > 1.0                       # pA: it learned
    np.testing.assert_allclose(w1, w2, rtol=1e-6)


def test_nest_stdp_synapse_refuses_what_it_cannot_do():
    sim.setup(timestep=0.1)
    iaf = sim.native_cell_type("iaf_psc_exp")
    pre = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(2, iaf())
    stdp = sim.native_synapse_type("stdp_synapse")
    with pytest.raises(ConfigurationError, match="negative weight"):
        sim.Projection(pre, post, sim.AllToAllConnector(), stdp(weight=-5.0))
    with pytest.raises(ConfigurationError, match="tau_minus"):
        sim.Projection(pre, sim.Population(2, sim.IF_curr_exp()), sim.AllToAllConnector(),
                       stdp(weight=5.0))
    sim.end()
