"""Population.set between runs (PyNN's set): new parameters from the next run on, the state
kept — the same as a network that had them from the start where that is the same thing, and
identical on any rank count; sources whose events are fixed at the build are refused."""

import numpy as np
import pytest

import spinn as sim
from spinn.errors import ConfigurationError
from spinn.runtime.comm import run_threads


def _run(comm=None, change=True):
    sim.setup(timestep=0.1, seed=4, verbose=False, comm=comm, neurons_per_core=16)
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=50.0), label="noise")
    cells = sim.Population(40, sim.IF_curr_exp(i_offset=0.0), label="cells")
    quiet = sim.Population(40, sim.IF_curr_exp(i_offset=0.0), label="quiet")   # no input
    quiet.record("spikes")
    sim.Projection(noise, cells, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=1.0, delay=1.0))
    noise.record("spikes")
    cells.record(["spikes", "v"])
    sim.run(200.0, progress=False)
    if change:
        noise.set(rate=400.0)
        quiet.set(i_offset=np.linspace(0.0, 1.5, 40))
    sim.run(200.0, progress=False)
    n = noise.get_spikes()
    c = quiet.get_spikes()
    _, _, v = cells.get_data("v")
    sim.end()
    return n.times_ms, n.ids, c.times_ms, c.ids, v


def test_set_between_runs_takes_effect_from_the_next_run():
    nt, _, ct, cid, v = _run()
    bt, _, bct, _, bv = _run(change=False)
    first, second = nt < 200.0, nt >= 200.0
    assert np.array_equal(nt[first], bt[bt < 200.0])          # the first run is untouched
    assert second.sum() > 5 * (bt >= 200.0).sum()              # 400 Hz against 50 Hz
    assert np.array_equal(v[:2000], bv[:2000])                 # state until the change kept
    # quiet: silent in the first run; then exactly those above the rheobase (15 mV / 20 MΩ
    # = 0.75 nA) fire
    assert ct.size and ct.min() > 200.0
    rheobase = np.linspace(0.0, 1.5, 40) > 0.75 + 1e-9
    assert set(np.unique(cid).tolist()) == set(np.flatnonzero(rheobase).tolist())


def test_identical_on_one_two_and_three_ranks():
    one = run_threads(1, _run)[0]
    for n in (2, 3):
        for r in run_threads(n, _run):
            assert all(np.array_equal(a, b) for a, b in zip(r, one))


def test_spike_source_array_times_are_fixed_after_the_build():
    sim.setup(timestep=0.1, verbose=False)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0, 2.0]))
    sim.run(5.0, progress=False)
    with pytest.raises(ConfigurationError, match="after the network was built"):
        src.set(spike_times=[10.0])
    sim.end()


def _weights_run(comm=None, change=True):
    sim.setup(timestep=0.1, seed=5, verbose=False, comm=comm, neurons_per_core=16)
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=80.0), label="noise")
    cells = sim.Population(40, sim.IF_curr_exp(), label="cells")
    direct = sim.Projection(noise, cells, sim.OneToOneConnector(),       # a direct source
                            sim.StaticSynapse(weight=0.5, delay=1.0))
    rec = sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2),
                         sim.StaticSynapse(weight=0.05, delay=1.5))
    cells.record(["spikes", "v"])
    sim.run(150.0, progress=False)
    if change:
        direct.set(weight=2.0)
        rec.set(weight=sim.RandomDistribution("uniform", (0.1, 0.3)))
    sim.run(150.0, progress=False)
    s = cells.get_spikes()
    _, _, v = cells.get_data("v")
    w_direct = [w for _, _, w in direct.get("weight")]
    w_rec = [w for _, _, w in rec.get("weight")]
    sim.end()
    return s.times_ms, s.ids, v, w_direct, w_rec


def test_projection_weights_set_between_runs():
    t, _, v, wd, wr = _weights_run()
    bt, _, bv, _, bwr = _weights_run(change=False)
    assert np.array_equal(v[:1500], bv[:1500])                 # until the change: the same
    assert np.allclose(wd, 2.0) and len(wr) == len(bwr)         # same synapses, new weights
    assert 0.1 <= min(wr) and max(wr) <= 0.3
    assert (t >= 150.0).sum() > 3 * (bt >= 150.0).sum() + 10   # stronger drive, more spikes
    one = run_threads(1, _weights_run)[0]
    for n in (2, 3):
        for r in run_threads(n, _weights_run):
            assert all(np.array_equal(a, b) for a, b in zip(r, one))


def test_set_after_the_build_refuses_delays_and_plastic_weights():
    sim.setup(timestep=0.1, verbose=False)
    a = sim.Population(4, sim.IF_curr_exp())
    p = sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    q = sim.Projection(a, a, sim.AllToAllConnector(), sim.STDPMechanism(weight=0.1))
    sim.run(5.0, progress=False)
    with pytest.raises(ConfigurationError, match="delay"):
        p.set(delay=2.0)
    with pytest.raises(ConfigurationError, match="plastic"):
        q.set(weight=0.2)
    sim.end()
