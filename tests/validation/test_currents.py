"""Current sources (DCSource, StepCurrentSource, ACSource, NoisyCurrentSource): the
amplitude a source has at the start of a step drives the neuron during that step, as i_offset
does (PyNN's timing on NEST) — checked against the exact recursion of IF_curr_exp."""

import numpy as np
import pytest

import spinn as sim

TAU_M, CM, V_REST = 20.0, 1.0, -65.0


def trace(dt, sources, n=1, t_run=60.0, celltype=None):
    sim.setup(timestep=dt, seed=3, verbose=False)
    p = sim.Population(n, celltype or sim.IF_curr_exp(tau_m=TAU_M, cm=CM, v_thresh=100.0),
                       label="p")
    for src, view in sources:
        src.inject_into(p if view is None else p[view])
    p.record("v")
    sim.run(t_run)
    t, _, v = p.get_data("v")
    sim.end()
    return t, v


def exact(dt, current):
    """v of IF_curr_exp under current[k] (nA) during step k, from v_rest."""
    p22 = np.exp(-dt / TAU_M)
    p20 = TAU_M / CM * (1.0 - p22)
    v = np.empty(current.size + 1)
    v[0] = V_REST
    for k, i in enumerate(current):
        v[k + 1] = V_REST + (v[k] - V_REST) * p22 + i * p20
    return v


@pytest.mark.parametrize("dt", [0.1, 1.0])
def test_dc_source_switches_on_at_start_and_off_at_stop(dt):
    t, v = trace(dt, [(sim.DCSource(amplitude=0.5, start=10.0, stop=30.0), None)])
    k = np.arange(t.size - 1) * dt
    want = exact(dt, np.where((k >= 10.0 - 1e-9) & (k < 30.0 - 1e-9), 0.5, 0.0))
    np.testing.assert_allclose(v[:, 0], want[:t.size], atol=1e-9)
    assert v[int(round(10.0 / dt)), 0] == V_REST and v[int(round(10.0 / dt)) + 1, 0] > V_REST


def test_step_and_ac_sources_follow_their_amplitudes_step_by_step():
    dt = 0.1
    step = sim.StepCurrentSource(times=[5.0, 12.3, 20.0, 20.04], amplitudes=[0.2, -0.1, 0.7, 0.4])
    ac = sim.ACSource(start=5.0, stop=40.0, amplitude=0.3, offset=0.1, frequency=50.0,
                      phase=30.0)
    t, v = trace(dt, [(step, [0]), (ac, [1])], n=2)
    tk = np.arange(t.size - 1) * dt
    i_step = np.select([tk >= 20.0 - 1e-9, tk >= 12.3 - 1e-9, tk >= 5.0 - 1e-9],
                       [0.4, -0.1, 0.2], 0.0)          # 20.04 rounds onto 20.0: it wins
    np.testing.assert_allclose(v[:, 0], exact(dt, i_step)[:t.size], atol=1e-9)
    on = (tk >= 5.0 - 1e-9) & (tk < 40.0 - 1e-9)
    i_ac = np.where(on, 0.1 + 0.3 * np.sin(2 * np.pi * 50.0 * (tk - 5.0) / 1000.0
                                           + np.deg2rad(30.0)), 0.0)
    np.testing.assert_allclose(v[:, 1], exact(dt, i_ac)[:t.size], atol=1e-9)


def test_two_sources_on_one_neuron_add_and_views_target_only_their_neurons():
    dt = 0.1
    t, v = trace(dt, [(sim.DCSource(amplitude=0.2, start=5.0), [0, 1]),
                      (sim.DCSource(amplitude=0.3, start=5.0), [1])], n=3)
    tk = np.arange(t.size - 1) * dt
    on = tk >= 5.0 - 1e-9
    np.testing.assert_allclose(v[:, 0], exact(dt, np.where(on, 0.2, 0.0))[:t.size], atol=1e-9)
    np.testing.assert_allclose(v[:, 1], exact(dt, np.where(on, 0.5, 0.0))[:t.size], atol=1e-9)
    assert np.all(v[:, 2] == V_REST)


def test_noisy_source_draws_a_value_per_interval_and_neuron():
    """The current recovered from v is constant over each of the source's dt = 1 ms, has the
    source's mean and standard deviation, differs between neurons, and is 0 off [start, stop)."""
    dt = 0.1
    src = sim.NoisyCurrentSource(mean=0.2, stdev=0.5, start=10.0, stop=410.0, dt=1.0)
    t, v = trace(dt, [(src, None)], n=4, t_run=420.0)
    p22 = np.exp(-dt / TAU_M)
    p20 = TAU_M / CM * (1.0 - p22)
    i = (v[1:] - V_REST - (v[:-1] - V_REST) * p22) / p20          # [steps, neurons]
    tk = np.arange(i.shape[0]) * dt
    on = (tk >= 10.0 - 1e-9) & (tk < 410.0 - 1e-9)
    np.testing.assert_allclose(i[~on], 0.0, atol=1e-9)
    blocks = i[on].reshape(400, 10, 4)
    np.testing.assert_allclose(blocks, blocks[:, :1, :].repeat(10, axis=1), atol=1e-8)
    values = blocks[:, 0, :]
    assert abs(values.mean() - 0.2) < 5 * 0.5 / np.sqrt(values.size)
    assert abs(values.std() - 0.5) < 0.05
    assert not np.allclose(values[:, 0], values[:, 1])


def test_bad_current_sources_are_refused_clearly():
    sim.setup(timestep=0.1, seed=1, verbose=False)
    src = sim.Population(3, sim.SpikeSourcePoisson(rate=5.0), label="src")
    with pytest.raises(sim.ConfigurationError, match="spike source"):
        sim.DCSource(amplitude=1.0).inject_into(src)
    with pytest.raises(sim.ConfigurationError, match="increase strictly"):
        sim.StepCurrentSource(times=[5.0, 5.0], amplitudes=[1.0, 2.0])
    with pytest.raises(sim.ConfigurationError, match="one amplitude per time"):
        sim.StepCurrentSource(times=[5.0], amplitudes=[1.0, 2.0])
    with pytest.raises(sim.ConfigurationError,
                       match=r"amplitude = 'big' \(str\) is not a number"):
        sim.DCSource(amplitude="big")
    p = sim.Population(2, sim.IF_curr_exp(), label="p")
    with pytest.raises(sim.ConfigurationError, match="whole multiple"):
        p.inject(sim.NoisyCurrentSource(dt=0.25))          # refused at once, not in the run
    p.inject(sim.DCSource(amplitude=0.1))
    p.record("v")
    sim.run(1.0)
    with pytest.raises(sim.ConfigurationError, match="after the network was built"):
        p.inject(sim.DCSource(amplitude=0.1))
    sim.end()


def test_adex_takes_current_sources_as_its_i_offset():
    """EIF_cond_exp_isfa_ista: a DCSource of a from t = 0 gives exactly the trace (and
    spikes) of i_offset = a; a source switching on later changes nothing before."""
    def run(i_offset, source):
        sim.setup(timestep=0.1, seed=2, verbose=False)
        p = sim.Population(2, sim.EIF_cond_exp_isfa_ista(i_offset=i_offset), label="p")
        if source is not None:
            source.inject_into(p)
        p.record(["v", "spikes"])
        sim.run(200.0)
        t, _, v = p.get_data("v")
        n = p.get_spikes()[0].size
        sim.end()
        return t, v, n

    t, v_src, n_src = run(0.0, sim.DCSource(amplitude=0.8))
    _, v_off, n_off = run(0.8, None)
    np.testing.assert_array_equal(v_src, v_off)
    assert n_src == n_off > 3
    _, v_late, _ = run(0.0, sim.DCSource(amplitude=0.8, start=50.0))
    _, v_none, _ = run(0.0, None)
    before = t <= 50.0
    np.testing.assert_array_equal(v_late[before], v_none[before])
    assert not np.array_equal(v_late[~before], v_none[~before])
