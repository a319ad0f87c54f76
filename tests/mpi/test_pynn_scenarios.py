"""PyNN system scenarios (in the style of PyNN's test/system/scenarios) on spinn.pynn: each
runs on the MPI world and again as the whole network in one process (LocalComm), and must
give identical results — balanced network with RNG-seeded connectors, recording and reset,
parameter handling, STDP."""

import numpy as np
import pytest

import spinn.pynn as sim
from spinn.runtime.comm import LocalComm

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(180)]


def both(fn):
    world = fn({})
    alone = fn({"comm": LocalComm()})
    return world, alone


def trains(block, seg=0):
    return [np.asarray(st.magnitude) for st in block.segments[seg].spiketrains]


def balanced(extra):
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=21, **extra)
    rng = sim.NumpyRNG(seed=1234, parallel_safe=True)
    cell = sim.IF_curr_exp(tau_m=20.0, tau_refrac=2.0, v_thresh=-50.0, v_reset=-65.0)
    init = {"v": sim.RandomDistribution("uniform", (-65.0, -50.0), rng=rng)}
    exc = sim.Population(320, cell, initial_values=init, label="exc")
    inh = sim.Population(80, cell, initial_values=init, label="inh")
    drive = sim.Population(400, sim.SpikeSourcePoisson(rate=900.0), label="drive")
    sim.Projection(drive[:320], exc, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.25, delay=1.0))
    sim.Projection(drive[320:], inh, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.25, delay=1.0))
    for post in (exc, inh):
        sim.Projection(exc, post, sim.FixedNumberPreConnector(32, rng=rng),
                       sim.StaticSynapse(weight=0.1, delay=1.5), receptor_type="excitatory")
        sim.Projection(inh, post, sim.FixedNumberPreConnector(8, rng=rng),
                       sim.StaticSynapse(weight=-0.5, delay=1.5), receptor_type="inhibitory")
    exc.sample(50, rng=sim.NumpyRNG(seed=7)).record("spikes")
    inh.record("spikes")
    sim.run(300.0)
    out = trains(exc.get_data()), trains(inh.get_data()), exc.mean_spike_count()
    sim.end()
    return out


def test_balanced_network_with_rng_seeded_connectors():
    (e, i, m), (e1, i1, m1) = both(balanced)
    assert len(e) == 50 and len(i) == 80
    assert all(np.array_equal(a, b) for a, b in zip(e + i, e1 + i1, strict=True))
    rate = sum(map(len, i)) / 80 / 0.3
    assert 1.0 < rate < 200.0                     # active, not saturated


def reset_scenario(extra):
    sim.setup(timestep=0.1, rng_seed=3, **extra)
    src = sim.Population(10, sim.SpikeSourceArray(spike_times=[5.0, 15.0, 25.0]), label="src")
    p = sim.Population(20, sim.IF_cond_exp(tau_refrac=2.0), label="p")
    sim.Projection(src, p, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=0.02, delay=1.0))
    sim.DCSource(amplitude=0.4, start=10.0, stop=40.0).inject_into(p[::2])
    q = sim.Population(15, sim.native_cell_type("iaf_cond_exp")(I_e=300.0), label="q")
    rows = [(i % 10, i, 2.0 if i % 2 else -3.0, 1.0) for i in range(15)] + \
        [(3, 0, 1.5, 2.0), (4, 0, -2.5, 2.0)]
    nest_prj = sim.Projection(src, q, sim.FromListConnector(rows, column_names=["weight",
                                                                               "delay"]),
                              sim.native_synapse_type("static_synapse")())
    q.record(["spikes", "V_m"])            # a second recorded population: reset's order
    p.record(["spikes", "v", "gsyn_exc"])
    sim.run(50.0)
    sim.reset()
    sim.run(50.0)
    blk, qblk = p.get_data(), q.get_data()
    weights = nest_prj.get("weight", "list")
    sim.end()
    return ([trains(blk, s) for s in (0, 1)] + [trains(qblk, s) for s in (0, 1)],
            [np.asarray(a.magnitude) for seg in blk.segments + qblk.segments
             for a in seg.analogsignals] + [np.array(weights)])


def test_recording_and_reset():
    (tr, sig), (tr1, sig1) = both(reset_scenario)
    assert len(sig) == 7 and all(np.array_equal(a, b) for a, b in zip(sig, sig1, strict=True))
    w = sig[-1]                      # NEST's nS, inhibitory negative, on every rank alike
    assert sorted(w[:, 2].round(6).tolist()) == sorted(
        [2.0 if i % 2 else -3.0 for i in range(15)] + [1.5, -2.5])
    assert all(np.array_equal(a, b) for s, s1 in zip(tr, tr1) for a, b in zip(s, s1))
    assert all(np.array_equal(a, b) for a, b in zip(tr[0], tr[1]))     # deterministic replay
    assert sum(map(len, tr[0])) > 0


def parameters(extra):
    sim.setup(timestep=0.1, rng_seed=4, **extra)
    p = sim.Population(30, sim.IF_curr_alpha(), label="p")
    p.set(tau_m=np.linspace(10.0, 30.0, 30),
          i_offset=sim.RandomDistribution("normal", (0.8, 0.2), rng=sim.NumpyRNG(seed=11)))
    p[0:10].set(v_thresh=-52.0)
    p.initialize(v=sim.RandomDistribution("uniform", (-70.0, -60.0), rng=sim.NumpyRNG(3)))
    got = (p.get("tau_m"), p.get("i_offset"), p.get("v_thresh"), p[5:8].get("tau_m"))
    p.record("spikes")
    sim.run(100.0)
    out = got, trains(p.get_data())
    sim.end()
    return out


def test_parameter_handling():
    ((tau, ioff, vth, view), t), ((tau1, ioff1, vth1, view1), t1) = both(parameters)
    np.testing.assert_array_equal(tau, np.linspace(10.0, 30.0, 30))
    np.testing.assert_array_equal(ioff, sim.NumpyRNG(seed=11).next(30, "normal",
                                                                   {"mu": 0.8, "sigma": 0.2}))
    assert list(vth[:10]) == [-52.0] * 10 and list(vth[10:]) == [-50.0] * 20
    np.testing.assert_array_equal(view, tau[5:8])
    for a, b in ((tau, tau1), (ioff, ioff1), (vth, vth1)):
        np.testing.assert_array_equal(a, b)
    assert all(np.array_equal(a, b) for a, b in zip(t, t1, strict=True))


def stdp(extra):
    sim.setup(timestep=0.1, rng_seed=6, **extra)
    pre = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="pre")
    post = sim.Population(10, sim.IF_curr_exp(i_offset=0.6, tau_refrac=2.0), label="post")
    rule = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02,
                                            A_minus=0.021),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        weight=0.3, delay=1.0)
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(8)),
                         rule)
    w0 = prj.get("weight", format="array")
    sim.run(500.0)
    w1 = prj.get("weight", format="array")
    sim.end()
    return w0, w1


def test_stdp_weights():
    (w0, w1), (v0, v1) = both(stdp)
    np.testing.assert_array_equal(w1, v1)
    changed = np.isfinite(w0) & (w0 != w1)
    assert changed.sum() > 10 and np.nanmax(w1) <= 1.0 and np.nanmin(w1) >= 0.0
