"""A small point-neuron SONATA circuit written with bmtk's NetworkBuilder (NEST models:
nest:iaf_psc_alpha cells, nest:static_synapse edges with NEST weights in pA, negative for
inhibition, multapses via nsyns), virtual input nodes with a spike file in the layout PyNN's
SonataIO reads (/spikes/gids, /spikes/timestamps), circuit and simulation configs.

    python bmtk_circuit.py OUT_DIR
"""

import json
import os
import sys

import h5py
import numpy as np
from bmtk.builder import NetworkBuilder

out = sys.argv[1]
for d in ("network", "components/point_neuron_models", "components/synaptic_models", "inputs"):
    os.makedirs(f"{out}/{d}", exist_ok=True)
json.dump({"I_e": 0.0, "tau_m": 10.0, "C_m": 250.0, "t_ref": 2.0, "V_th": -55.0,
           "V_reset": -70.0, "E_L": -70.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0},
          open(f"{out}/components/point_neuron_models/iaf_alpha.json", "w"))
json.dump({}, open(f"{out}/components/synaptic_models/static.json", "w"))
rng = np.random.default_rng(1)


def pick(source, target, p):
    return int(rng.random() < p) * int(rng.integers(1, 3))


net = NetworkBuilder("cortex")
net.add_nodes(N=40, pop_name="exc", ei="e", model_type="point_process",
              model_template="nest:iaf_psc_alpha", dynamics_params="iaf_alpha.json")
net.add_nodes(N=10, pop_name="inh", ei="i", model_type="point_process",
              model_template="nest:iaf_psc_alpha", dynamics_params="iaf_alpha.json")
net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=pick,
              connection_params={"p": 0.3}, syn_weight=40.0, delay=1.5,
              dynamics_params="static.json", model_template="nest:static_synapse")
net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=pick,
              connection_params={"p": 0.4}, syn_weight=-60.0, delay=1.0,
              dynamics_params="static.json", model_template="nest:static_synapse")
net.build()
net.save_nodes(output_dir=f"{out}/network")
net.save_edges(output_dir=f"{out}/network")
inp = NetworkBuilder("input")
inp.add_nodes(N=20, pop_name="drive", model_type="virtual")
inp.add_edges(target=net.nodes(ei="e"), connection_rule=lambda s, t: int(rng.random() < 0.5),
              syn_weight=120.0, delay=1.0, dynamics_params="static.json",
              model_template="nest:static_synapse")
inp.build()
inp.save_nodes(output_dir=f"{out}/network")
inp.save_edges(output_dir=f"{out}/network")

ids = np.concatenate([np.arange(20), rng.integers(0, 20, 380)])   # every input spikes
t = np.round(rng.uniform(2.0, 190.0, ids.size), 1)
o = np.argsort(t, kind="stable")
with h5py.File(f"{out}/inputs/spikes.h5", "w") as f:
    f.create_dataset("spikes/gids", data=ids[o].astype(np.uint64))
    f.create_dataset("spikes/timestamps", data=t[o])
json.dump({"manifest": {"$BASE_DIR": ".", "$NETWORK_DIR": "$BASE_DIR/network",
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
json.dump({"input": {"population": "input"}}, open(f"{out}/node_sets.json", "w"))
json.dump({"manifest": {"$BASE_DIR": ".", "$OUTPUT_DIR": "$BASE_DIR/output"},
           "run": {"tstop": 200.0, "dt": 0.1}, "network": "circuit_config.json",
           "node_sets_file": "$BASE_DIR/node_sets.json",
           "inputs": {"drive": {"input_type": "spikes", "module": "h5",
                                "input_file": "$BASE_DIR/inputs/spikes.h5",
                                "node_set": "input"}},
           "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5",
                      "spikes_sort_order": "time"}},
          open(f"{out}/simulation_config.json", "w"), indent=1)
