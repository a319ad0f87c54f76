"""Times onto the step grid as NEST puts them: delays to the nearest step with halves up,
refractory periods up to whole steps — each rounding reported once per network."""

import warnings

import numpy as np
import pytest

import spinn as sim
from spinn.kernels.grid import delay_steps_array, refractory_steps


def test_grid_functions_follow_nest():
    assert delay_steps_array([2.5, 1.5, 0.25, 0.35, 1.0, 0.04], 1.0).tolist() == \
        [3, 2, 1, 1, 1, 1]
    assert delay_steps_array([0.25, 0.35, 1.5, 0.8], 0.1).tolist() == [3, 4, 15, 8]
    assert refractory_steps([0.1, 1.0, 2.0, 0.0, 1.2], 1.0).tolist() == [1, 1, 2, 0, 2]
    assert refractory_steps([2.0, 0.1, 0.15], 0.1).tolist() == [20, 1, 2]


def psp_onset(delay, dt=1.0):
    """Step at which one spike at 10 ms first moves v of an IF_curr_exp neuron."""
    sim.setup(timestep=dt, seed=1, verbose=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    post = sim.Population(1, sim.IF_curr_exp())
    sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0,
                                                                         delay=delay))
    post.record("v")
    sim.run(40.0)
    t, _, v = post.get_data("v")
    sim.end()
    return t[np.argmax(v[:, 0] > -65.0 + 1e-12)]


def test_half_step_delay_rounds_up_as_in_nest():
    """2.5 ms at dt 1.0 acts as 3 ms (NEST's ld_round), not as 2 ms (rint); 2 ms stays."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert psp_onset(2.5) == psp_onset(3.0) == psp_onset(2.0) + 1.0
        assert psp_onset(0.25, dt=0.1) == pytest.approx(psp_onset(0.3, dt=0.1))


def isi(tau_refrac, dt=1.0):
    sim.setup(timestep=dt, seed=1, verbose=False)
    p = sim.Population(1, sim.IF_curr_exp(i_offset=5.0, tau_refrac=tau_refrac, tau_m=5.0))
    p.record("spikes")
    sim.run(200.0)
    t = p.get_spikes()[0]
    sim.end()
    return np.diff(t)


def test_refractory_period_rounds_up_to_whole_steps():
    """PyNN's default tau_refrac 0.1 ms at dt 1.0 clamps for one step, as NEST's does (it
    clamped for none); 1.2 ms clamps for two."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(isi(0.1), isi(1.0))
        assert isi(0.1)[0] > isi(0.0)[0]
        np.testing.assert_array_equal(isi(1.2), isi(2.0))


def test_each_rounding_is_reported_once():
    sim.setup(timestep=0.1, seed=1, verbose=False)
    with pytest.warns(UserWarning) as record:
        a = sim.Population(3, sim.IF_curr_exp(tau_refrac=0.25), label="a")
        sim.Population(3, sim.IF_curr_exp(tau_refrac=0.35), label="b")
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1,
                                                                         delay=0.25))
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1,
                                                                         delay=0.45))
    texts = [str(w.message) for w in record]
    assert len(texts) == 2
    assert any("tau_refrac 0.25 ms" in t and "lasts 0.3 ms" in t for t in texts)
    assert any("delay 0.25 ms" in t and "becomes 0.3 ms" in t for t in texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0), label="c")    # on the grid: quiet
    sim.end()
