"""Property tests (hypothesis; issue 13): random valid networks — current and conductance
cells, sizes, cores, connectors, views, delays over the ring and the delay extension, STDP —
give identical spikes on 1 and 2
communicator ranks, and after a checkpoint on 2 ranks restored onto 1; random invalid input
raises ConfigurationError and nothing else; damaged checkpoint files are refused with
CheckpointError and nothing else.  SPINN_FUZZ_EXAMPLES scales the number of examples
(launch/test --all runs 10× more)."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import spinn as sim
from spinn.runtime import checkpoint as ckpt
from spinn.runtime.comm import run_threads

SCALE = float(os.environ.get("SPINN_FUZZ_EXAMPLES", "1"))
QUIET = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

CONNECTORS = st.one_of(
    st.builds(lambda p: ("prob", p), st.floats(0.02, 0.5)),
    st.builds(lambda n: ("pre", n), st.integers(1, 6)),
    st.builds(lambda n: ("post", n), st.integers(1, 6)),
    st.just(("all", None)),
    st.just(("one", None)),
    st.builds(lambda n: ("total", n), st.integers(1, 200)),
)


@st.composite
def networks(draw):
    n_pops = draw(st.integers(1, 3))
    pops = [{"size": draw(st.integers(5, 60)), "npc": draw(st.sampled_from([4, 7, 16, 64])),
             "i_offset": draw(st.floats(0.0, 1.2)),
             "cell": draw(st.sampled_from(["IF_curr_exp", "IF_cond_exp"]))}
            for _ in range(n_pops)]
    projections = []
    for _ in range(draw(st.integers(1, 5))):
        projections.append({
            "pre": draw(st.integers(-1, n_pops - 1)),          # -1: the Poisson source
            "post": draw(st.integers(0, n_pops - 1)),
            "view": draw(st.booleans()),
            "conn": draw(CONNECTORS),
            "w": draw(st.floats(-0.8, 1.5)),
            "d": draw(st.sampled_from([0.1, 0.5, 1.0, 2.3, 7.0, 25.0, "random"])),
            "stdp": draw(st.booleans()) and draw(st.booleans()),
        })
    return {"seed": draw(st.integers(0, 2**31 - 1)), "pops": pops,
            "rate": draw(st.floats(50.0, 800.0)), "projections": projections}


def _connector(conn, pre, post):
    kind, x = conn
    if kind == "prob":
        return sim.FixedProbabilityConnector(x)
    if kind == "pre":
        return sim.FixedNumberPreConnector(min(x, pre.size), with_replacement=True)
    if kind == "post":
        return sim.FixedNumberPostConnector(min(x, post.size), with_replacement=True)
    if kind == "all":
        return sim.AllToAllConnector()
    if kind == "total":
        return sim.FixedTotalNumberConnector(x)
    return sim.OneToOneConnector() if pre.size == post.size else sim.AllToAllConnector()


def build(spec, comm):
    sim.setup(timestep=0.1, seed=spec["seed"], neurons_per_core=16, comm=comm,
              verbose=False)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=spec["rate"]), label="src")
    pops = [sim.Population(p["size"], getattr(sim, p.get("cell", "IF_curr_exp"))(
        i_offset=p["i_offset"], tau_refrac=1.0), label=f"p{k}", neurons_per_core=p["npc"])
        for k, p in enumerate(spec["pops"])]
    for j in spec["projections"]:
        pre = src if j["pre"] < 0 else pops[j["pre"]]
        post = pops[j["post"]]
        if j["view"] and post.size > 3:
            post = post[1:post.size - 1]
        d = sim.RandomDistribution("uniform", (0.1, 30.0)) if j["d"] == "random" else j["d"]
        w = j["w"]
        receptor = "inhibitory" if w < 0 else "excitatory"
        if post.celltype.conductance_based:       # µS, positive on both receptors
            w = abs(w) * 0.01
        if j["stdp"] and w > 0:
            syn = sim.STDPMechanism(
                timing_dependence=sim.SpikePairRule(A_plus=0.02, A_minus=0.02),
                weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0 * w),
                weight=w, delay=d)
        else:
            syn = sim.StaticSynapse(weight=w, delay=d)
        sim.Projection(pre, post, _connector(j["conn"], pre, post), syn,
                       receptor_type=receptor)
    for p in pops:
        p.record("spikes")
    return pops


def spikes(pops):
    out = []
    for p in pops:
        s = sim.simulation().results.spikes(p)
        out.append((s.times_ms.tolist(), s.ids.tolist()))
    return out


def _whole(spec):
    def body(comm):
        pops = build(spec, comm)
        sim.run(30.0)
        sim.run(30.0)
        out = spikes(pops)
        sim.end()
        return out
    return body


@settings(max_examples=max(1, int(5 * SCALE)), **QUIET)
@given(networks())
def test_random_networks_run_identically_on_1_and_2_ranks(spec):
    one = run_threads(1, _whole(spec))[0]
    two = run_threads(2, _whole(spec))
    assert two[0] == two[1] == one


@settings(max_examples=max(1, int(3 * SCALE)), **QUIET)
@given(spec=networks())
def test_random_networks_restore_from_2_ranks_onto_1_identically(spec, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("prop") / "c")
    whole = run_threads(1, _whole(spec))[0]

    def first(comm):
        build(spec, comm)
        sim.run(30.0)
        sim.checkpoint(path)
        sim.end()

    def second(comm):
        pops = build(spec, comm)
        sim.restore(path)
        sim.run(30.0)
        out = spikes(pops)
        sim.end()
        return out

    run_threads(2, first)
    assert run_threads(1, second)[0] == whole


# ---- invalid input ------------------------------------------------------------------------

JUNK = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.just(float("nan")),
                 st.floats(allow_nan=False), st.integers(-10**12, 10**12),
                 st.lists(st.floats(-5, 5), max_size=3), st.just(object()))
PARAMS = ["tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset",
          "tau_syn_E", "tau_syn_I"]


@settings(max_examples=max(1, int(150 * SCALE)), **QUIET)
@given(kind=st.sampled_from(["cell", "size", "conn_p", "conn_n", "weight", "delay", "run",
                             "label", "initial", "poisson"]),
       name=st.sampled_from(PARAMS), value=JUNK)
def test_random_invalid_input_raises_configuration_error_only(kind, name, value):
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and ((kind == "run" and value > 1000) or (kind == "size" and 10**6 < value)):
        return        # valid, only long or large (the memory check has its own tests)
    sim.setup(timestep=0.1, seed=1, verbose=False)
    try:
        a = sim.Population(5, sim.IF_curr_exp(), label="a")
        if kind == "cell":
            sim.Population(5, sim.IF_curr_exp(**{name: value}), label="b")
        elif kind == "size":
            sim.Population(value, sim.IF_curr_exp(), label="b")
        elif kind == "conn_p":
            sim.Projection(a, a, sim.FixedProbabilityConnector(value))
        elif kind == "conn_n":
            sim.Projection(a, a, sim.FixedNumberPreConnector(value))
        elif kind == "weight":
            sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=value))
        elif kind == "delay":
            sim.Projection(a, a, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=0.1, delay=value))
        elif kind == "run":
            sim.run(value)
        elif kind == "label":
            sim.Population(5, sim.IF_curr_exp(), label="a" if value is None else value)
        elif kind == "initial":
            a.initialize(v=value)
        elif kind == "poisson":
            sim.Population(5, sim.SpikeSourcePoisson(rate=value), label="b")
        if kind not in ("run",):
            sim.run(1.0)              # whatever was accepted must also build and run
    except sim.ConfigurationError:
        pass
    finally:
        sim.end()


# ---- damaged checkpoints ------------------------------------------------------------------

def damaged(original, how, where, bit):
    """The bytes of a file after one kind of damage at the fraction ``where`` of it."""
    data = bytearray(original)
    at = min(int(where * len(data)), len(data) - 1)
    if how == "flip":
        data[at] ^= 1 << bit
    elif how == "truncate":
        data = data[:at]
    elif how == "random":
        data = bytearray(np.random.default_rng(at).bytes(len(data)))
    elif how == "empty":
        data = bytearray()
    else:                                     # "append"
        data += b"\0"
    return bytes(data)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("damage") / "c"
    spec = {"seed": 3, "rate": 300.0, "pops": [{"size": 30, "npc": 16, "i_offset": 0.5}],
            "projections": [{"pre": -1, "post": 0, "view": False, "conn": ("prob", 0.3),
                             "w": 0.5, "d": 1.0, "stdp": True}]}

    def body(comm):
        build(spec, comm)
        sim.run(10.0)
        sim.checkpoint(path)
        sim.end()
    run_threads(1, body)
    return path, spec, {n: (path / n).read_bytes() for n in os.listdir(path)}


@settings(max_examples=max(1, int(60 * SCALE)), **QUIET)
@given(which=st.sampled_from([ckpt.MANIFEST, ckpt.rank_file(0),
                              ckpt.rank_file(0) + ckpt.CHECKSUM]),
       how=st.sampled_from(["flip", "truncate", "random", "empty", "append"]),
       where=st.floats(0.0, 1.0), bit=st.integers(0, 7))
def test_damaged_checkpoint_files_are_refused_with_checkpoint_error(written, which, how,
                                                                    where, bit):
    path, spec, original = written
    bad = damaged(original[which], how, where, bit)
    # the checksum sidecar is text: its trailing newline turned into other white space
    # (a flip of bit 0: \n → \v) leaves the checksum itself whole — no damage to refuse
    assume(not (which.endswith(ckpt.CHECKSUM) and bad.strip() == original[which].strip()))
    (path / which).write_bytes(bad)
    try:
        def body(comm):
            build(spec, comm)
            try:
                with pytest.raises(ckpt.CheckpointError):
                    sim.restore(path)
            finally:
                sim.end()
        run_threads(1, body)
    finally:
        (path / which).write_bytes(original[which])


# ---- damaged result files --------------------------------------------------------------------

@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    spec = {"seed": 4, "rate": 300.0, "pops": [{"size": 30, "npc": 16, "i_offset": 0.5}],
            "projections": [{"pre": -1, "post": 0, "view": False, "conn": ("prob", 0.3),
                             "w": 0.5, "d": 1.0, "stdp": True}]}

    def body(comm):
        pops = build(spec, comm)
        pops[0].record("v")
        sim.run(20.0)
        sim.write_results(str(out))
        sim.end()
    run_threads(1, body)
    return out, {n: (out / n).read_bytes() for n in ("provenance.json", "spikes.h5", "v.h5",
                                                     "weights_hist.json")}


@settings(max_examples=max(1, int(40 * SCALE)), **QUIET)
@given(which=st.sampled_from(["provenance.json", "spikes.h5", "v.h5", "weights_hist.json"]),
       how=st.sampled_from(["flip", "truncate", "random", "empty"]),
       where=st.floats(0.0, 1.0), bit=st.integers(0, 7))
def test_spinn_report_and_plot_on_damaged_result_files_fail_cleanly(results, which, how,
                                                                     where, bit, capsys):
    from spinn.recording.figures import plot_command
    from spinn.recording.report import report_command

    out, original = results
    (out / which).write_bytes(damaged(original[which], how, where, bit))
    try:
        assert report_command(str(out)) in (0, 2)
        assert plot_command(str(out)) in (0, 1, 2)
    finally:
        (out / which).write_bytes(original[which])
