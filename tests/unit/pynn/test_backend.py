"""spinn.pynn: PyNN 0.13 scripts on spinn, built on PyNN's own classes.

The backend must be a faithful translation: a PyNN script gives exactly the spikes and
membrane traces of the same network written against spinn's native API with the same seed,
its Neo output has the structure pyNN.nest gives, and PyNN's random numbers and connector
RNGs mean what they mean in PyNN.
"""

import warnings

import neo
import numpy as np
import pytest
import quantities as pq
from pyNN import common

import spinn
import spinn.pynn as sim


def pynn_network(seed=11, conn_rng=None, weight_inh=-0.4):
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=seed)
    exc = sim.Population(60, sim.IF_curr_exp(tau_m=15.0, tau_refrac=2.0), label="exc",
                         initial_values={"v": sim.RandomDistribution("uniform", (-65, -55))})
    inh = sim.Population(20, sim.IF_cond_exp(tau_refrac=2.0), label="inh")
    noise = sim.Population(60, sim.SpikeSourcePoisson(rate=60.0), label="noise")
    sim.Projection(noise, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.5, delay=1.0))
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.3, rng=conn_rng),
                   sim.StaticSynapse(weight=0.01, delay=sim.RandomDistribution(
                       "uniform", (0.5, 2.0))), receptor_type="excitatory")
    sim.Projection(inh, exc, sim.FixedNumberPreConnector(6),
                   sim.StaticSynapse(weight=weight_inh, delay=1.5),
                   receptor_type="inhibitory")
    sim.Projection(exc, exc, sim.FixedTotalNumberConnector(300),
                   sim.StaticSynapse(weight=sim.RandomDistribution("normal_clipped",
                                                                   (0.2, 0.05, 0.0, 1.0)),
                                     delay=0.8))
    exc.record(["spikes", "v"])
    inh.record("spikes")
    return exc, inh


PYNN_DEFAULT_CONNECTOR_SEED = 151985012     # pyNN.connectors._get_rng(None)


def seeded(connector, seed=PYNN_DEFAULT_CONNECTOR_SEED):
    connector.seed = seed
    return connector


def native_network(seed=11):
    """pynn_network in the native API.  A PyNN connector given no rng draws from PyNN's
    default NumpyRNG(seed=151985012), so its native twin gets that seed."""
    spinn.setup(timestep=0.1, seed=seed, verbose=False)
    rd = spinn.RandomDistribution
    exc = spinn.Population(60, spinn.IF_curr_exp(tau_m=15.0, tau_refrac=2.0), label="exc",
                           initial_values={"v": rd("uniform", (-65, -55))})
    inh = spinn.Population(20, spinn.IF_cond_exp(tau_refrac=2.0), label="inh")
    noise = spinn.Population(60, spinn.SpikeSourcePoisson(rate=60.0), label="noise")
    spinn.Projection(noise, exc, spinn.OneToOneConnector(),
                     spinn.StaticSynapse(weight=2.5, delay=1.0))
    spinn.Projection(exc, inh, seeded(spinn.FixedProbabilityConnector(0.3)),
                     spinn.StaticSynapse(weight=0.01, delay=rd("uniform", (0.5, 2.0))),
                     receptor_type="excitatory")
    spinn.Projection(inh, exc, seeded(spinn.FixedNumberPreConnector(6)),
                     spinn.StaticSynapse(weight=-0.4, delay=1.5), receptor_type="inhibitory")
    spinn.Projection(exc, exc, seeded(spinn.FixedTotalNumberConnector(300)),
                     spinn.StaticSynapse(weight=rd("normal_clipped", (0.2, 0.05, 0.0, 1.0)),
                                         delay=0.8))
    exc.record(["spikes", "v"])
    inh.record("spikes")
    return exc, inh


def spikes_of(block):
    return [np.asarray(st.magnitude) for st in block.segments[0].spiketrains]


def test_pynn_script_equals_the_native_network_spike_for_spike():
    """The same network through spinn.pynn and through the native API, same seed: identical
    spike times of every neuron and identical membrane traces (the translation adds and
    loses nothing: parameters, initial values, connectors, weight signs, delays)."""
    exc, inh = pynn_network()
    sim.run(300.0)
    blk_e, blk_i = exc.get_data(), inh.get_data()
    sim.end()
    nexc, ninh = native_network()
    spinn.run(300.0, progress=False)
    t, ids = nexc.get_spikes()
    vt, vids, v = nexc.get_data("v")
    ti, idi = ninh.get_spikes()
    spinn.end()
    got = spikes_of(blk_e)
    assert sum(map(len, got)) > 50                       # the network is active
    for k in range(60):
        np.testing.assert_array_equal(got[k], t[ids == k])
    for k, train in enumerate(spikes_of(blk_i)):
        np.testing.assert_array_equal(train, ti[idi == k])
    sig = blk_e.segments[0].analogsignals[0]
    np.testing.assert_array_equal(np.asarray(sig.magnitude), v)


def test_neo_block_has_pynn_structure():
    """get_data() gives a Neo Block as pyNN.nest does: one segment, a SpikeTrain per
    recorded neuron in ms with t_start/t_stop and PyNN's annotations, an AnalogSignal 'v' in
    mV with the time step as sampling period and channel ids/indices; write_data works."""
    exc, inh = pynn_network()
    view = exc[10:20]
    sim.run(100.0)
    blk = exc.get_data()
    vblk = view.get_data("spikes")
    counts = exc.get_spike_counts()
    sim.end()
    assert isinstance(blk, neo.Block) and len(blk.segments) == 1
    seg = blk.segments[0]
    assert len(seg.spiketrains) == 60
    st = seg.spiketrains[3]
    assert st.units == pq.ms and float(st.t_start) == 0.0 and float(st.t_stop) == 100.0
    assert st.annotations["source_population"] == "exc"
    assert st.annotations["source_index"] == 3
    assert int(st.annotations["channel_id"]) == int(exc[3])
    assert counts[int(exc[3])] == len(st)
    (v,) = seg.analogsignals
    assert v.name == "v" and v.units == pq.mV
    assert float(v.sampling_period.rescale(pq.ms)) == pytest.approx(0.1)
    assert v.shape[1] == 60
    np.testing.assert_array_equal(v.array_annotations["channel_index"], np.arange(60))
    assert len(vblk.segments[0].spiketrains) == 10
    assert [int(s.annotations["source_index"]) for s in vblk.segments[0].spiketrains] == \
        list(range(10, 20))
    assert blk.annotations["dt"] == 0.1 and blk.annotations["simulator"] == "spinn"


def test_seeded_numpy_rng_draws_what_pynn_draws():
    """A RandomDistribution on a seeded, parallel-safe NumpyRNG is evaluated by PyNN: the
    initial v equals what that RNG gives (as on pyNN.nest); one on no RNG is drawn from
    spinn's keyed streams instead (reproducible from setup's seed)."""
    sim.setup(timestep=0.1, rng_seed=3)
    dist = sim.RandomDistribution("uniform", (-70.0, -60.0), rng=sim.NumpyRNG(seed=1234))
    p = sim.Population(25, sim.IF_curr_exp(), initial_values={"v": dist}, label="p")
    p.set(tau_m=sim.RandomDistribution("normal", (20.0, 2.0), rng=sim.NumpyRNG(seed=99)))
    p.record("v")
    sim.run(0.1)
    v0 = p.get_data().segments[0].analogsignals[0].magnitude[0]
    tau_m = p.get("tau_m")
    sim.end()
    want = sim.NumpyRNG(seed=1234).next(25, "uniform", {"low": -70.0, "high": -60.0})
    np.testing.assert_array_equal(v0, want)
    np.testing.assert_array_equal(tau_m, sim.NumpyRNG(seed=99).next(
        25, "normal", {"mu": 20.0, "sigma": 2.0}))


def test_connector_rng_seeds_the_connections():
    """A connector's rng fixes its connections: the same NumpyRNG seed gives the same
    synapses under another setup seed; another rng seed gives others."""
    def conns(setup_seed, rng_seed):
        pynn_network(seed=setup_seed, conn_rng=sim.NumpyRNG(seed=rng_seed))
        proj = [p for p in spinn.current().projections if p.label == "exc→inh"][0]
        spinn.build()
        out = [(i, j) for i, j, _ in proj.get("weight")]
        sim.end()
        return out

    a = conns(1, 77)
    assert conns(2, 77) == a
    assert conns(1, 78) != a


def test_projection_get_len_and_signs():
    """Projection.get before any run builds the network; weights keep PyNN's signs
    (inhibitory current weights negative), delays in ms; len() is the synapse count."""
    exc, inh = pynn_network()
    proj = sim.Projection(inh, exc, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=-0.25, delay=2.0),
                          receptor_type="inhibitory", label="all")
    w = proj.get("weight", format="array")
    d = proj.get(["weight", "delay"], format="list")
    assert w.shape == (20, 60) and np.all(w == -0.25)
    assert len(proj) == 1200 == len(d) and all(x[3] == 2.0 for x in d)
    assert proj.get("weight", format="list", with_address=False)[0] == -0.25
    sim.end()


def test_wrong_sign_and_unsupported_parts_are_refused_clearly():
    """A positive current-based inhibitory weight, a connector spinn does not generate: each
    a ConfigurationError naming what and how to fix, before any run."""
    with pytest.raises(spinn.ConfigurationError, match="inh→exc.*must be negative"):
        pynn_network(weight_inh=0.4)
    sim.end()
    pynn_network()
    with pytest.raises(spinn.ConfigurationError, match="SmallWorldConnector: n_connections"):
        exc = sim.Population(10, sim.IF_curr_exp(), label="x")
        sim.Projection(exc, exc, sim.SmallWorldConnector(0.5, 0.1, n_connections=3),
                       sim.StaticSynapse())
    sim.end()


def test_setup_takes_other_backends_keywords_with_a_warning():
    """threads=… (NEST) is accepted with a warning; spike_precision='on_grid' silently;
    unknown keywords are refused; state queries answer as PyNN's."""
    with pytest.warns(UserWarning, match="threads"):
        sim.setup(timestep=0.5, min_delay=1.0, max_delay=20.0, threads=4,
                  spike_precision="on_grid")
    assert (sim.get_time_step(), sim.get_min_delay(), sim.get_max_delay()) == (0.5, 1.0, 20.0)
    assert (sim.num_processes(), sim.rank(), sim.get_current_time()) == (1, 0, 0.0)
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="p")
    p.record("spikes")
    sim.run_until(50.0)
    sim.run_for(25.0)
    assert sim.get_current_time() == 75.0
    sim.end()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(spinn.ConfigurationError, match="frobnicate"):
            sim.setup(frobnicate=1)
    assert issubclass(sim.Population, common.Population)
    assert issubclass(sim.Projection, common.Projection)
    assert "IF_cond_alpha" in sim.list_standard_models()


def test_array_format_combines_multapses_as_pynn_says():
    """format='array' with two synapses on one pair: sum/min/max/first/last as PyNN defines
    them (first/last in the order the synapses were given), NaN where there is none."""
    sim.setup(timestep=0.1)
    a = sim.Population(5, sim.IF_curr_exp(), label="a")
    b = sim.Population(4, sim.IF_curr_exp(), label="b")
    rows = [(0, 1, 0.125, 1.0), (0, 1, 0.375, 2.0), (2, 3, 0.5, 1.0)]
    p = sim.Projection(a, b, sim.FromListConnector(rows, column_names=["weight", "delay"]),
                       sim.StaticSynapse())
    want = {"sum": 0.5, "min": 0.125, "max": 0.375, "first": 0.125, "last": 0.375}
    for how, value in want.items():
        w = p.get("weight", format="array", multiple_synapses=how)
        assert w[0, 1] == value and w[2, 3] == 0.5 and np.isnan(w).sum() == 18
    d = p.get("delay", format="array", multiple_synapses="first")
    assert d[0, 1] == 1.0
    sim.end()


def test_pynn_structures_become_the_native_ones():
    """PyNN's Line, Grid2D, Grid3D and RandomStructure give the positions of spinn's
    structure of the same name and parameters (what distance-dependent connectors use)."""
    cases = [(sim.space.Line(dx=2.0), spinn.Line(dx=2.0)),
             (sim.space.Grid2D(aspect_ratio=1.0, dx=10.0, dy=5.0),
              spinn.Grid2D(aspect_ratio=1.0, dx=10.0, dy=5.0)),
             (sim.space.Grid3D(1.0, 1.0, dx=2.0), spinn.Grid3D(1.0, 1.0, dx=2.0)),
             (sim.space.RandomStructure(sim.space.Cuboid(100, 100, 10)),
              spinn.RandomStructure(spinn.Cuboid(100, 100, 10)))]
    sim.setup(timestep=0.1, rng_seed=4)
    got = [sim.Population(64, sim.IF_curr_exp(), structure=s).positions for s, _ in cases]
    sim.end()
    spinn.setup(timestep=0.1, seed=4, verbose=False)
    want = [spinn.Population(64, spinn.IF_curr_exp(), structure=n).positions for _, n in cases]
    spinn.end()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_pynn_electrodes_drive_neurons_as_the_native_sources():
    """DCSource, StepCurrentSource, ACSource and NoisyCurrentSource from spinn.pynn, injected
    with inject_into (a view, a list of IDs) and Population.inject, give exactly the traces
    of the native sources with the same parameters."""
    def pynn():
        sim.setup(timestep=0.1, rng_seed=8)
        p = sim.Population(4, sim.IF_curr_exp(v_thresh=100.0), label="p")
        sim.DCSource(amplitude=0.5, start=10.0, stop=30.0).inject_into(p[0:1])
        p[1:2].inject(sim.StepCurrentSource(times=[5.0, 15.0], amplitudes=[0.2, -0.4]))
        sim.ACSource(start=2.0, stop=35.0, amplitude=0.3, offset=0.05, frequency=40.0,
                     phase=90.0).inject_into([p[2]])
        sim.NoisyCurrentSource(mean=0.1, stdev=0.3, start=5.0, dt=1.0).inject_into(p[3:4])
        p.record("v")
        sim.run(40.0)
        v = np.asarray(p.get_data().segments[0].analogsignals[0].magnitude)
        sim.end()
        return v

    def native():
        spinn.setup(timestep=0.1, seed=8, verbose=False)
        p = spinn.Population(4, spinn.IF_curr_exp(v_thresh=100.0), label="p")
        spinn.DCSource(amplitude=0.5, start=10.0, stop=30.0).inject_into(p[0:1])
        spinn.StepCurrentSource(times=[5.0, 15.0], amplitudes=[0.2, -0.4]).inject_into(p[1:2])
        spinn.ACSource(start=2.0, stop=35.0, amplitude=0.3, offset=0.05, frequency=40.0,
                       phase=90.0).inject_into(p[2:3])
        spinn.NoisyCurrentSource(mean=0.1, stdev=0.3, start=5.0, dt=1.0).inject_into(p[3:4])
        p.record("v")
        spinn.run(40.0, progress=False)
        v = p.get_data("v")[2]
        spinn.end()
        return v

    got, want = pynn(), native()
    np.testing.assert_array_equal(got, want)
    assert np.all(np.abs(got[-1] + 65.0) > 1e-6)         # every neuron was driven


def test_reset_starts_a_new_segment_that_replays_a_deterministic_network():
    """run, reset, run (PyNN's scenario): two Neo segments; with deterministic drive (a DC
    source, spike arrays) the second repeats the first exactly; t restarts at 0; Poisson
    drive gives a new trial."""
    sim.setup(timestep=0.1, rng_seed=2)
    src = sim.Population(5, sim.SpikeSourceArray(spike_times=[3.0, 9.0, 15.5]), label="src")
    p = sim.Population(10, sim.IF_curr_exp(tau_refrac=2.0), label="p")
    sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.6, delay=1.0))
    sim.DCSource(amplitude=0.8, start=5.0, stop=25.0).inject_into(p[0:5])
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=300.0), label="noise")
    q = sim.Population(10, sim.IF_curr_exp(), label="q")
    sim.Projection(noise, q, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1))
    p.record(["spikes", "v"])
    q.record("spikes")
    sim.run(30.0)
    sim.reset()
    assert sim.get_current_time() == 0.0
    sim.run(30.0)
    blk, qblk = p.get_data(), q.get_data()
    sim.end()
    assert len(blk.segments) == 2
    s0, s1 = blk.segments
    assert sum(len(st) for st in s0.spiketrains) > 5
    for a, b in zip(s0.spiketrains, s1.spiketrains, strict=True):
        np.testing.assert_array_equal(a.magnitude, b.magnitude)
        assert float(b.t_start) == 0.0 and float(b.t_stop) == 30.0
    np.testing.assert_array_equal(s0.analogsignals[0].magnitude, s1.analogsignals[0].magnitude)
    q0 = np.concatenate([st.magnitude for st in qblk.segments[0].spiketrains])
    q1 = np.concatenate([st.magnitude for st in qblk.segments[1].spiketrains])
    assert q0.size > 10 and q1.size > 10 and not np.array_equal(np.sort(q0), np.sort(q1))


def test_projection_set_before_the_run():
    """proj.set(weight=…, delay=…) before the first run takes effect (numbers,
    distributions); a wrong sign is refused and changes nothing; after the build it is
    refused with the reason."""
    sim.setup(timestep=0.1, rng_seed=1)
    a = sim.Population(3, sim.IF_curr_exp(), label="a")
    b = sim.Population(2, sim.IF_curr_exp(), label="b")
    p = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1.0))
    p.set(weight=0.25, delay=sim.RandomDistribution("uniform", (1.0, 2.0)))
    with pytest.raises(spinn.ConfigurationError, match="must be positive"):
        p.set(weight=-1.0)
    w, d = p.get(["weight", "delay"], format="array")
    assert np.all(w == 0.25) and np.all((d >= 1.0) & (d <= 2.0)) and np.unique(d).size > 1
    with pytest.raises(spinn.ConfigurationError, match="after the network was built"):
        p.set(delay=1.5)                   # delays are fixed at the build
    p.set(weight=0.3)                      # weights of static synapses: between runs
    sim.run(1.0)
    assert np.all(p.get("weight", format="array") == np.float32(0.3))
    sim.end()


def test_generic_connectors_index_displacement_clone_and_file(tmp_path):
    """PyNN's IndexBasedProbability (an IndexBasedExpression), DisplacementDependent
    Probability (a function of the displacement), CloneConnector (the reference's pairs,
    its own weights) and FromFileConnector (reading what Projection.save wrote) through
    spinn's generic path."""
    from pyNN.core import IndexBasedExpression

    class Band(IndexBasedExpression):
        def __call__(self, i, j):
            return np.where(np.abs(i - j) <= 2, 0.8, 0.0)

    sim.setup(timestep=0.1, rng_seed=3)
    a = sim.Population(60, sim.IF_curr_exp(), label="a", structure=sim.space.Line(dx=10.0))
    b = sim.Population(60, sim.IF_curr_exp(), label="b", structure=sim.space.Line(dx=10.0))
    band = sim.Projection(a, b, sim.IndexBasedProbabilityConnector(
        Band(), rng=sim.NumpyRNG(seed=4)), sim.StaticSynapse(weight=0.1))
    disp = sim.Projection(a, b, sim.DisplacementDependentProbabilityConnector(
        lambda d: (np.abs(d[0]) <= 30.0) * 1.0), sim.StaticSynapse(weight=0.2))
    clone = sim.Projection(a, b, sim.CloneConnector(band),
                           sim.StaticSynapse(weight=0.3, delay=2.0))
    pairs = [(i, j) for i, j, _ in band.get("weight", "list")]
    n_possible = sum(1 for i in range(60) for j in range(60) if abs(i - j) <= 2)
    assert all(abs(i - j) <= 2 for i, j in pairs)
    assert abs(len(pairs) - 0.8 * n_possible) < 5 * np.sqrt(n_possible * 0.16)
    assert sorted((i, j) for i, j, _ in disp.get("weight", "list")) == \
        [(i, j) for i in range(60) for j in range(60) if abs(i - j) <= 3]
    assert [(i, j) for i, j, _ in clone.get("weight", "list")] == pairs
    assert {w for *_, w in clone.get("weight", "list")} == {np.float32(0.3)}
    band.save(["weight", "delay"], str(tmp_path / "band.txt"), format="list")
    sim.end()
    sim.setup(timestep=0.1, rng_seed=9)
    a = sim.Population(60, sim.IF_curr_exp(), label="a")
    b = sim.Population(60, sim.IF_curr_exp(), label="b")
    loaded = sim.Projection(a, b, sim.FromFileConnector(str(tmp_path / "band.txt")),
                            sim.StaticSynapse())
    assert [(i, j) for i, j, _ in loaded.get("weight", "list")] == pairs
    sim.end()


def test_displacement_expression_keeps_its_orientation_on_unequal_populations():
    """d = post position - pre position, as PyNN defines it, also when the populations differ
    in size (PyNN's own 2-D evaluation transposes the result there)."""
    sim.setup(timestep=0.1, rng_seed=3)
    a = sim.Population(20, sim.IF_curr_exp(), label="a", structure=sim.space.Line(dx=10.0))
    b = sim.Population(30, sim.IF_curr_exp(), label="b", structure=sim.space.Line(dx=10.0))
    p = sim.Projection(a, b, sim.DisplacementDependentProbabilityConnector(
        lambda d: ((d[0] >= 0.0) & (d[0] <= 20.0)) * 1.0), sim.StaticSynapse(weight=0.1))
    got = sorted((i, j) for i, j, _ in p.get("weight", "list"))
    sim.end()
    assert got == [(i, j) for i in range(20) for j in range(30) if 0 <= j - i <= 2]


def test_nest_weights_in_nest_units_distributions_and_refused_clones():
    """native_synapse_type weights are NEST's (pA onto iaf_psc_*, nS onto iaf_cond_*, mV onto
    iaf_psc_delta and PyNN's IF_curr_delta), distributions included; get() reports them so,
    inhibitory ones negative (conductances too); a clone onto other neurons is refused."""
    sim.setup(timestep=0.1, rng_seed=5)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=10.0), label="src")
    cur = sim.Population(10, sim.native_cell_type("iaf_psc_exp")(), label="cur")
    cond = sim.Population(10, sim.native_cell_type("iaf_cond_exp")(), label="cond")
    delta = sim.Population(10, sim.IF_curr_delta(), label="delta")
    static = sim.native_synapse_type("static_synapse")
    p1 = sim.Projection(src, cur, sim.AllToAllConnector(), static(
        weight=sim.RandomDistribution("uniform", (100.0, 200.0)), delay=1.0))
    p2 = sim.Projection(src, cond, sim.AllToAllConnector(), static(
        weight=sim.RandomDistribution("normal_clipped", (-5.0, 1.0, -10.0, -1.0)), delay=1.0))
    p3 = sim.Projection(src, delta, sim.AllToAllConnector(), static(weight=0.5, delay=1.0))
    with pytest.raises(spinn.ConfigurationError, match="CloneConnector onto other neurons"):
        sim.Projection(src, cond, sim.CloneConnector(p1), sim.StaticSynapse(weight=0.01))
    w1 = np.array([w for *_, w in p1.get("weight", "list")])
    w2 = np.array([w for *_, w in p2.get("weight", "list")])
    w3 = np.array([w for *_, w in p3.get("weight", "list")])
    natives = [q.receptor_type for q in p2.native_parts]
    sim.end()
    assert w1.min() >= 100.0 - 1e-4 and w1.max() <= 200.0 + 1e-4 and w1.std() > 10.0
    assert w2.max() <= -1.0 + 1e-6 and w2.min() >= -10.0 - 1e-6 and natives == ["inhibitory"]
    np.testing.assert_allclose(w3, 0.5, rtol=1e-6)      # mV onto a delta cell: not ÷ 1000


def test_current_source_recording_gives_what_the_neuron_received():
    """source.record(); source.get_data() → an AnalogSignal in nA every dt from 0: the
    amplitude at each step's start — for the noisy source, the current its first target
    received (recovered from that neuron's v by the exact IF_curr_exp recursion)."""
    sim.setup(timestep=0.1, rng_seed=8)
    p = sim.Population(2, sim.IF_curr_exp(v_thresh=100.0, tau_m=20.0, cm=1.0), label="p")
    dc = sim.DCSource(amplitude=0.5, start=2.0, stop=6.0)
    noise = sim.NoisyCurrentSource(mean=0.1, stdev=0.3, start=1.0, dt=0.5)
    dc.inject_into(p[0:1])
    noise.inject_into(p[1:2])
    dc.record()
    noise.record()
    p.record("v")
    sim.run(10.0)
    i_dc, i_noise = dc.get_data(), noise.get_data()
    v = np.asarray(p.get_data().segments[0].analogsignals[0].magnitude)
    sim.end()
    assert str(i_dc.units.dimensionality) == "nA" and i_dc.shape[0] == 101
    assert float(i_dc.sampling_period) == pytest.approx(0.1)
    t = np.arange(101) * 0.1
    np.testing.assert_array_equal(i_dc.magnitude.ravel(),
                                  np.where((t >= 2.0 - 1e-9) & (t < 6.0 - 1e-9), 0.5, 0.0))
    p22 = np.exp(-0.1 / 20.0)
    got = (v[1:, 1] + 65.0 - (v[:-1, 1] + 65.0) * p22) / (20.0 * (1.0 - p22))
    np.testing.assert_allclose(i_noise.magnitude.ravel()[:100], got, atol=1e-9)
    assert np.unique(np.round(got[10:], 9)).size > 5
