"""A small SONATA circuit written with h5py, in the layouts the tests need, and the same
network as plain arrays (what a hand-built spinn network takes).

cortex: 80 point neurons, node types interleaved in four runs (exc nest:iaf_psc_alpha,
inh nest:iaf_psc_exp), I_e per node in the group's dynamics_params; input: 20 virtual nodes
with a spike file.  Edges: cortex→cortex (syn_weight per edge for excitatory sources, a
type-level negative weight with nsyns per edge for inhibitory ones; sorted by target with
SONATA's target_to_source index) and input→cortex (type-level weight and delay, no groups,
shuffled, no index).
"""

import json
import os

import h5py
import numpy as np

EXC = dict(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-65.0, V_th=-55.0, V_reset=-70.0,
           tau_syn_ex=2.0, tau_syn_in=2.0)
INH = dict(C_m=200.0, tau_m=8.0, t_ref=1.0, E_L=-70.0, V_th=-52.0, V_reset=-65.0,
           tau_syn_ex=1.5, tau_syn_in=3.0)
TYPES = np.array([100] * 30 + [101] * 10 + [100] * 30 + [101] * 10)


def _edges(f, name, src_pop, tgt_pop, src, tgt, etype, groups, index):
    g = f.create_group(f"edges/{name}")
    s = g.create_dataset("source_node_id", data=src.astype(np.uint64))
    s.attrs["node_population"] = src_pop
    t = g.create_dataset("target_node_id", data=tgt.astype(np.uint64))
    t.attrs["node_population"] = tgt_pop
    g.create_dataset("edge_type_id", data=etype.astype(np.uint32))
    if groups is not None:
        gid, gix, datasets = groups
        g.create_dataset("edge_group_id", data=gid.astype(np.uint32))
        g.create_dataset("edge_group_index", data=gix.astype(np.uint64))
        for k, cols in datasets.items():
            for col, values in cols.items():
                g.create_dataset(f"{k}/{col}", data=values)
    if index:
        n_nodes = int(tgt.max()) + 1
        n2r = np.zeros((n_nodes, 2), np.uint64)
        ranges = []
        for node in range(n_nodes):
            ids = np.flatnonzero(tgt == node)
            if ids.size:
                runs = np.split(ids, np.flatnonzero(np.diff(ids) > 1) + 1)
                n2r[node] = (len(ranges), len(ranges) + len(runs))
                ranges += [(r[0], r[-1] + 1) for r in runs]
        g.create_dataset("indices/target_to_source/node_id_to_ranges", data=n2r)
        g.create_dataset("indices/target_to_source/range_to_edge_id",
                         data=np.array(ranges, np.uint64).reshape(-1, 2))


def write(out, seed=3):
    """Write the circuit and configs under out; return the arrays of the same network."""
    rng = np.random.default_rng(seed)
    for d in ("network", "components/point_neuron_models", "components/synaptic_models",
              "inputs"):
        os.makedirs(f"{out}/{d}", exist_ok=True)
    json.dump(EXC, open(f"{out}/components/point_neuron_models/exc.json", "w"))
    json.dump(INH, open(f"{out}/components/point_neuron_models/inh.json", "w"))
    json.dump({}, open(f"{out}/components/synaptic_models/static.json", "w"))
    i_e = np.where(TYPES == 100, rng.uniform(150.0, 280.0, 80), rng.uniform(0.0, 150.0, 80))
    with h5py.File(f"{out}/network/cortex_nodes.h5", "w") as f:
        g = f.create_group("nodes/cortex")
        g.create_dataset("node_id", data=np.arange(80, dtype=np.uint64))
        g.create_dataset("node_type_id", data=TYPES.astype(np.uint32))
        g.create_dataset("node_group_id", data=np.zeros(80, np.uint32))
        g.create_dataset("node_group_index", data=np.arange(80, dtype=np.uint64))
        g.create_dataset("0/dynamics_params/I_e", data=i_e)
        g.create_dataset("0/x", data=rng.uniform(0, 100, 80))
    with open(f"{out}/network/cortex_node_types.csv", "w") as f:
        f.write("node_type_id model_type model_template dynamics_params pop_name ei\n"
                "100 point_process nest:iaf_psc_alpha exc.json exc e\n"
                "101 point_process nest:iaf_psc_exp inh.json inh i\n")
    with h5py.File(f"{out}/network/input_nodes.h5", "w") as f:
        g = f.create_group("nodes/input")
        g.create_dataset("node_type_id", data=np.full(20, 200, np.uint32))
        g.create_dataset("node_group_id", data=np.zeros(20, np.uint32))
        g.create_dataset("node_group_index", data=np.arange(20, dtype=np.uint64))
    with open(f"{out}/network/input_node_types.csv", "w") as f:
        f.write("node_type_id model_type pop_name\n200 virtual drive\n")
    # cortex -> cortex, sorted by target, indexed
    pairs = np.argwhere(rng.random((80, 80)) < 0.12)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    src, tgt = pairs[:, 0], pairs[:, 1]
    order = np.lexsort((src, tgt))
    src, tgt = src[order], tgt[order]
    exc_src = TYPES[src] == 100
    etype = np.where(exc_src, 1, 2)
    gid = np.where(exc_src, 0, 1)
    gix = np.zeros(src.size, np.int64)
    gix[exc_src] = np.arange(exc_src.sum())
    gix[~exc_src] = np.arange((~exc_src).sum())
    w_exc = rng.uniform(20.0, 60.0, exc_src.sum())
    nsyns = rng.integers(1, 4, (~exc_src).sum())
    with h5py.File(f"{out}/network/cortex_cortex_edges.h5", "w") as f:
        _edges(f, "cortex_to_cortex", "cortex", "cortex", src, tgt, etype,
               (gid, gix, {0: {"syn_weight": w_exc}, 1: {"nsyns": nsyns.astype(np.uint32)}}),
               index=True)
    with open(f"{out}/network/cortex_cortex_edge_types.csv", "w") as f:
        f.write("edge_type_id syn_weight delay dynamics_params model_template\n"
                "1 NONE 1.5 static.json nest:static_synapse\n"
                "2 -80.0 0.8 static.json nest:static_synapse\n")
    weight = np.empty(src.size)
    weight[exc_src] = w_exc
    weight[~exc_src] = -80.0 * nsyns
    delay = np.where(exc_src, 1.5, 0.8)
    # input -> cortex, shuffled, no groups, no index
    ipairs = np.argwhere(rng.random((20, 80)) < 0.3)
    ipairs = ipairs[rng.permutation(len(ipairs))]
    with h5py.File(f"{out}/network/input_cortex_edges.h5", "w") as f:
        _edges(f, "input_to_cortex", "input", "cortex", ipairs[:, 0], ipairs[:, 1],
               np.full(len(ipairs), 3), None, index=False)
    with open(f"{out}/network/input_cortex_edge_types.csv", "w") as f:
        f.write("edge_type_id syn_weight delay model_template\n3 150.0 1.0 static_synapse\n")
    ids = np.concatenate([np.arange(20), rng.integers(0, 20, 300)])
    t = np.round(rng.uniform(1.0, 190.0, ids.size), 1)
    o = np.argsort(t, kind="stable")
    with h5py.File(f"{out}/inputs/spikes.h5", "w") as f:
        f.create_dataset("spikes/input/timestamps", data=t[o])
        f.create_dataset("spikes/input/node_ids", data=ids[o].astype(np.uint64))
    json.dump({"manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                            "$COMPONENT_DIR": "$BASE_DIR/components"},
               "components": {"point_neuron_models_dir": "$COMPONENT_DIR/point_neuron_models",
                              "synaptic_models_dir": "$COMPONENT_DIR/synaptic_models"},
               "networks": {
                   "nodes": [{"nodes_file": f"$NETWORK_DIR/{n}_nodes.h5",
                              "node_types_file": f"$NETWORK_DIR/{n}_node_types.csv"}
                             for n in ("cortex", "input")],
                   "edges": [{"edges_file": f"$NETWORK_DIR/{n}_edges.h5",
                              "edge_types_file": f"$NETWORK_DIR/{n}_edge_types.csv"}
                             for n in ("cortex_cortex", "input_cortex")]}},
              open(f"{out}/circuit_config.json", "w"), indent=1)
    json.dump({"input": {"population": "input"}, "inh": {"population": "cortex", "ei": "i"}},
              open(f"{out}/node_sets.json", "w"))
    json.dump({"manifest": {"$BASE_DIR": ".", "$OUTPUT_DIR": "$BASE_DIR/output"},
               "run": {"tstop": 200.0, "dt": 0.1}, "network": "circuit_config.json",
               "node_sets_file": "$BASE_DIR/node_sets.json",
               "inputs": {"drive": {"input_type": "spikes", "module": "sonata",
                                    "input_file": "$BASE_DIR/inputs/spikes.h5",
                                    "node_set": "input"}},
               "reports": {"membrane": {"cells": "inh", "variable_name": "V_m",
                                        "module": "multimeter_report", "sections": "soma"}},
               "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"}},
              open(f"{out}/simulation_config.json", "w"), indent=1)
    return {"i_e": i_e, "src": src, "tgt": tgt, "weight": weight, "delay": delay,
            "input_src": ipairs[:, 0], "input_tgt": ipairs[:, 1], "spike_ids": ids[o],
            "spike_times": t[o]}
