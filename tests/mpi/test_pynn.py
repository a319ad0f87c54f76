"""spinn.pynn on several MPI ranks: a PyNN script gives every rank the same Neo data, and the
same spikes as the whole network in one process (pyNN.random, connector RNGs and current
sources, noisy ones included)."""

import numpy as np
import pytest

import spinn.pynn as sim
from spinn.runtime.comm import LocalComm

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]


def script(comm=None):
    extra = {} if comm is None else {"comm": comm}
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=5, **extra)
    rng = sim.NumpyRNG(seed=2024)
    exc = sim.Population(120, sim.IF_curr_exp(tau_refrac=2.0), label="exc",
                         initial_values={"v": sim.RandomDistribution("uniform", (-65, -55),
                                                                     rng=rng)})
    inh = sim.Population(30, sim.IF_cond_alpha(tau_refrac=2.0), label="inh",
                         initial_values={"v": sim.RandomDistribution("normal", (-60, 2))})
    noise = sim.Population(120, sim.SpikeSourcePoisson(rate=80.0), label="noise")
    sim.Projection(noise, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.5, delay=1))
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=0.01, delay=sim.RandomDistribution(
                       "uniform", (0.5, 2.5))))
    sim.Projection(inh, exc, sim.FixedNumberPostConnector(12, rng=sim.NumpyRNG(seed=9)),
                   sim.StaticSynapse(weight=-0.5, delay=1.2), receptor_type="inhibitory")
    sim.Projection(exc, exc, sim.FixedTotalNumberConnector(600, rng=rng),
                   sim.StaticSynapse(weight=sim.RandomDistribution("exponential", (0.1,)),
                                     delay=0.7))
    sim.NoisyCurrentSource(mean=0.05, stdev=0.4, start=20.0, stop=150.0, dt=0.5).inject_into(
        exc[::2])
    inh.inject(sim.StepCurrentSource(times=[30.0, 90.0], amplitudes=[0.3, 0.0]))
    sim.Projection(exc, inh, sim.DisplacementDependentProbabilityConnector(
        lambda d: 0.3 * np.exp(-np.abs(d[0]) / 10.0), rng=sim.NumpyRNG(seed=3)),
        sim.StaticSynapse(weight=0.005, delay=1.0), label="displacement")
    exc.record(["spikes", "v"])
    inh[::3].record("spikes")
    sim.run(100.0)
    sim.run_until(200.0)
    e, i = exc.get_data(), inh.get_data()
    w = [p for p in sim.simulator.state.network.projections if p.label == "inh→exc"][0]
    weights = w.get("weight") + [p for p in sim.simulator.state.network.projections
                                 if p.label == "displacement"][0].get("weight")
    sim.end()
    return ([np.asarray(s) for s in e.segments[0].spiketrains],
            [np.asarray(s) for s in i.segments[0].spiketrains],
            np.asarray(e.segments[0].analogsignals[0]), weights)


def test_pynn_script_identical_on_the_world_and_in_one_process():
    e, i, v, w = script()
    e1, i1, v1, w1 = script(LocalComm())
    assert sum(map(len, e)) > 100 and len(i) == 10
    assert all(np.array_equal(a, b) for a, b in zip(e, e1, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(i, i1, strict=True))
    np.testing.assert_array_equal(v, v1)
    assert w == w1
