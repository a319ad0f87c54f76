"""spinn.sonata: a SONATA circuit read without PyNN runs as the same network built by hand,
identically on 1, 2 and 3 ranks, and bad circuits are refused with the file and the fix."""

import json
import os
import shutil

import numpy as np
import pytest

import spinn
import spinn.sonata
from spinn.errors import ConfigurationError
from spinn.recording.sonata import read_frames, read_spikes
from spinn.runtime.comm import run_threads
from tests.unit.sonata import circuit

EXC_ROWS = np.flatnonzero(circuit.TYPES == 100)
INH_ROWS = np.flatnonzero(circuit.TYPES == 101)


def _pynn(nest, cls_rows, i_e):
    """NEST's iaf_psc_* parameters in spinn's (PyNN's) names and units, by hand."""
    return dict(cm=nest["C_m"] / 1000.0, tau_m=nest["tau_m"], tau_refrac=nest["t_ref"],
                v_rest=nest["E_L"], v_thresh=nest["V_th"], v_reset=nest["V_reset"],
                tau_syn_E=nest["tau_syn_ex"], tau_syn_I=nest["tau_syn_in"],
                i_offset=i_e[cls_rows] / 1000.0)


STDP = {"lambda": 0.02, "alpha": 1.05, "mu_plus": 0.5, "mu_minus": 0.3, "Wmax": 100.0,
        "tau_plus": 16.0}


def _by_hand(arrays, plastic=False):
    """The circuit built with spinn's own API: {node id: spike times} (and the final
    weights of the plastic projections, in edge order, with plastic=True: the circuit's
    excitatory cortical edges as NEST's stdp_synapse, tau_minus 18 ms)."""
    spinn.setup(timestep=0.1, seed=1, verbose=False)
    exc = spinn.Population(60, spinn.IF_curr_alpha(**_pynn(circuit.EXC, EXC_ROWS,
                                                           arrays["i_e"])),
                           initial_values={"v": -70.0})
    inh = spinn.Population(20, spinn.IF_curr_exp(**_pynn(circuit.INH, INH_ROWS,
                                                         arrays["i_e"])),
                           initial_values={"v": -70.0})
    trains = [arrays["spike_times"][arrays["spike_ids"] == k] for k in range(20)]
    inp = spinn.Population(20, spinn.SpikeSourceArray(spike_times=[np.sort(t)
                                                                   for t in trains]))
    plastic_projs = []
    part = {r: (exc, k) for k, r in enumerate(EXC_ROWS)}
    part.update({r: (inh, k) for k, r in enumerate(INH_ROWS)})
    src, tgt, w, d = arrays["src"], arrays["tgt"], arrays["weight"], arrays["delay"]
    for a in (exc, inh):
        for b in (exc, inh):
            for inh_side in (False, True):
                rows = [n for n in range(src.size) if part[src[n]][0] is a and
                        part[tgt[n]][0] is b and (w[n] < 0) == inh_side]
                if rows:
                    conn = [(part[src[n]][1], part[tgt[n]][1], w[n] / 1000.0, d[n])
                            for n in rows]
                    syn = spinn.StaticSynapse()
                    if plastic and not inh_side:
                        syn = spinn.STDPMechanism(
                            timing_dependence=spinn.SpikePairRule(
                                tau_plus=16.0, tau_minus=18.0, A_plus=0.02, A_minus=0.021),
                            weight_dependence=spinn.GutigWeightDependence(
                                w_min=0.0, w_max=0.1, mu_plus=0.5, mu_minus=0.3))
                    proj = spinn.Projection(
                        a, b, spinn.FromListConnector(conn), syn,
                        receptor_type="inhibitory" if inh_side else "excitatory")
                    if plastic and not inh_side:
                        plastic_projs.append((proj, a, b))
    for b in (exc, inh):
        rows = [n for n in range(arrays["input_src"].size) if part[arrays["input_tgt"][n]][0]
                is b]
        conn = [(arrays["input_src"][n], part[arrays["input_tgt"][n]][1], 0.15, 1.0)
                for n in rows]
        spinn.Projection(inp, b, spinn.FromListConnector(conn))
    exc.record("spikes")
    inh.record("spikes")
    spinn.run(200.0, progress=False)
    out = {}
    for pop, rows in ((exc, EXC_ROWS), (inh, INH_ROWS)):
        times, ids = pop.get_spikes()
        for t, i in zip(times, ids):
            out.setdefault(int(rows[i]), []).append(round(float(t), 6))
    weights = {}                       # (source node, target node) → final weight
    node = {id(exc): EXC_ROWS, id(inh): INH_ROWS}
    for proj, a, b in plastic_projs:
        for i, j, v in proj.get("weight"):
            weights[(int(node[id(a)][i]), int(node[id(b)][j]))] = v
    spinn.end()
    return (out, weights) if plastic else out


def _spikes_by_node(path):
    times, ids = read_spikes(path)["cortex"]
    out = {}
    for t, i in zip(times, ids):
        out.setdefault(int(i), []).append(round(float(t), 6))
    return out


def _load_run_write(config, comm=None):
    spinn.setup(timestep=0.1, seed=1, verbose=False, comm=comm)
    c = spinn.sonata.load(config)
    spinn.run(c.tstop, progress=False)
    paths = c.write()
    spinn.end()
    return paths


def test_circuit_runs_as_the_same_network_built_by_hand(tmp_path):
    arrays = circuit.write(tmp_path)
    paths = _load_run_write(str(tmp_path / "simulation_config.json"))
    assert paths["spikes"] == str(tmp_path / "output" / "spikes.h5")
    ours = _spikes_by_node(paths["spikes"])
    ref = _by_hand(arrays)
    assert sum(map(len, ref.values())) > 200
    assert ours == ref
    # the report: V_m of the node set {"population": "cortex", "ei": "i"}, in node ids
    t, ids, v = read_frames(paths["membrane"])["cortex"]
    assert list(ids) == list(INH_ROWS)
    assert v.shape == (t.size, 20) and -80.0 < v.min() and v.max() <= -52.0
    assert np.allclose(v[0], -70.0)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return str(dst / "simulation_config.json")


def test_identical_on_one_two_and_three_ranks(tmp_path):
    circuit.write(tmp_path / "c")
    results = {}
    for n in (1, 2, 3):
        config = _copy(tmp_path / "c", tmp_path / f"r{n}")
        run_threads(n, lambda comm, _c=config: _load_run_write(_c, comm))
        spikes = read_spikes(tmp_path / f"r{n}" / "output" / "spikes.h5")["cortex"]
        frames = read_frames(tmp_path / f"r{n}" / "output" / "membrane.h5")["cortex"]
        results[n] = (spikes, frames)
    for n in (2, 3):
        for a, b in zip(results[1][0], results[n][0]):
            assert np.array_equal(a, b)
        for a, b in zip(results[1][1], results[n][1]):
            assert np.array_equal(a, b)
    assert results[1][0][0].size > 200


def test_each_rank_reads_a_share_of_the_edges_for_the_mapping(tmp_path, monkeypatch):
    """The scan of the edges is shared: rank r reads chunks r, r + N, …"""
    from spinn.sonata import edges

    circuit.write(tmp_path)
    monkeypatch.setattr(edges, "CHUNK", 64)          # several chunks per edge population
    reads = []
    orig = edges.EdgePopulation.read

    def spy(self, f, sel):
        if isinstance(sel, slice):
            reads.append((self.name, sel.start))
        return orig(self, f, sel)

    monkeypatch.setattr(edges.EdgePopulation, "read", spy)
    config = str(tmp_path / "simulation_config.json")

    def body(comm):
        spinn.setup(timestep=0.1, seed=1, verbose=False, comm=comm)
        spinn.sonata.load(config)
        spinn.end()

    run_threads(2, body)
    assert len(reads) == len(set(reads)) > 4          # each chunk scanned once, by one rank
    one = sorted(reads)
    reads.clear()
    run_threads(1, body)
    assert sorted(reads) == one                        # ... and all of them


def _break(tmp_path, edit):
    circuit.write(tmp_path)
    edit(tmp_path)
    spinn.setup(timestep=0.1, seed=1, verbose=False)
    with pytest.raises(ConfigurationError) as e:
        spinn.sonata.load(str(tmp_path / "simulation_config.json"))
    spinn.end()
    return str(e.value)


def _rewrite(path, old, new):
    text = open(path).read()
    assert old in text
    open(path, "w").write(text.replace(old, new))


def test_bad_circuits_are_refused_naming_the_file_and_the_fix(tmp_path):
    msg = _break(tmp_path / "a", lambda d: os.remove(d / "network" / "input_cortex_edges.h5"))
    assert "input_cortex_edges.h5" in msg and "does not exist" in msg
    msg = _break(tmp_path / "b", lambda d: _rewrite(
        d / "network" / "cortex_node_types.csv", "nest:iaf_psc_exp", "nest:hh_psc_alpha"))
    assert "hh_psc_alpha" in msg and "iaf_psc_exp" in msg      # names what spinn has
    msg = _break(tmp_path / "c", lambda d: json.dump(
        dict(circuit.INH, tau_minus=20.0, Delta=1.0),
        open(d / "components" / "point_neuron_models" / "inh.json", "w")))
    assert "'Delta'" in msg or "'tau_minus'" in msg
    msg = _break(tmp_path / "d", lambda d: _rewrite(
        d / "network" / "cortex_cortex_edge_types.csv", "2 -80.0 0.8 static.json "
        "nest:static_synapse", "2 -80.0 0.8 static.json nest:tsodyks_synapse"))
    assert "tsodyks_synapse" in msg and "edge type 2" in msg
    msg = _break(tmp_path / "e", lambda d: _rewrite(
        d / "simulation_config.json", '"node_set": "input"', '"node_set": "inputs"'))
    assert "'inputs'" in msg and "not defined" in msg
    msg = _break(tmp_path / "f", lambda d: _rewrite(
        d / "circuit_config.json", "$NETWORK_DIR/cortex_nodes.h5", "$NETDIR/cortex_nodes.h5"))
    assert "$NETDIR" in msg and "manifest" in msg
    msg = _break(tmp_path / "g", lambda d: _rewrite(
        d / "network" / "cortex_cortex_edge_types.csv", "1 NONE 1.5", "1 NONE NONE"))
    assert "edge type 1" in msg and "delay" in msg
    circuit.write(tmp_path / "h")
    spinn.setup(timestep=1.0, verbose=False)
    with pytest.raises(ConfigurationError, match=r"run.dt = 0.1 ms.*timestep=0.1"):
        spinn.sonata.load(str(tmp_path / "h" / "simulation_config.json"))
    spinn.end()


def test_old_bmtk_spike_layout_and_csv_inputs(tmp_path):
    """Spike inputs as /spikes/gids + /spikes/timestamps (bmtk before SONATA 1.0) and as
    bmtk's CSV give the same run as SONATA 1.0's layout."""
    import h5py

    arrays = circuit.write(tmp_path / "new")
    ref = _spikes_by_node(_load_run_write(str(tmp_path / "new" / "simulation_config.json"))[
        "spikes"])
    old = _copy(tmp_path / "new", tmp_path / "old")
    with h5py.File(tmp_path / "old" / "inputs" / "spikes.h5", "w") as f:
        f.create_dataset("spikes/gids", data=arrays["spike_ids"].astype(np.uint64))
        f.create_dataset("spikes/timestamps", data=arrays["spike_times"])
    assert _spikes_by_node(_load_run_write(old)["spikes"]) == ref
    csvc = _copy(tmp_path / "new", tmp_path / "csv")
    with open(tmp_path / "csv" / "inputs" / "spikes.csv", "w") as f:
        f.write("timestamps population node_ids\n")
        for t, i in zip(arrays["spike_times"], arrays["spike_ids"]):
            f.write(f"{float(t)!r} input {int(i)}\n")
    _rewrite(csvc, '"module": "sonata"', '"module": "csv"')
    _rewrite(csvc, "inputs/spikes.h5", "inputs/spikes.csv")
    assert _spikes_by_node(_load_run_write(csvc)["spikes"]) == ref


def test_nest_stdp_synapse_edges_are_plastic_as_by_hand(tmp_path):
    """Edge types with model_template nest:stdp_synapse (parameters in their dynamics_params
    file, tau_minus from the target's) learn as spinn's SpikePairRule with a Gütig weight
    dependence (NEST's update): the same spikes and final weights as by hand."""
    arrays = circuit.write(tmp_path)
    json.dump(STDP, open(tmp_path / "components" / "synaptic_models" / "stdp.json", "w"))
    _rewrite(tmp_path / "network" / "cortex_cortex_edge_types.csv",
             "1 NONE 1.5 static.json nest:static_synapse",
             "1 NONE 1.5 stdp.json nest:stdp_synapse")
    for name, params in (("exc", circuit.EXC), ("inh", circuit.INH)):
        json.dump(dict(params, tau_minus=18.0),
                  open(tmp_path / "components" / "point_neuron_models" / f"{name}.json", "w"))
    spinn.setup(timestep=0.1, seed=1, verbose=False)
    c = spinn.sonata.load(str(tmp_path / "simulation_config.json"))
    spinn.run(c.tstop, progress=False)
    paths = c.write()
    got = {}
    for proj in c.projections:
        if proj.plastic:
            e = proj.connector._edges
            tpart = e.target.parts[proj.connector._tp]
            spart = e.source.parts[proj.connector._sp]
            for i, j, v in proj.get("weight"):
                got[(int(spart.node_ids([i])[0]), int(tpart.node_ids([j])[0]))] = v
    spinn.end()
    ours = _spikes_by_node(paths["spikes"])
    ref, ref_w = _by_hand(arrays, plastic=True)
    assert ours == ref
    want = ref_w
    assert set(got) == set(want) and len(got) > 100
    initial = {(int(a), int(b)): w / 1000.0 for a, b, w in
               zip(arrays["src"], arrays["tgt"], arrays["weight"])}
    assert max(abs(got[k] - initial[k]) for k in got) > 1e-4      # they learned
    assert all(abs(got[k] - want[k]) < 1e-12 for k in got)
