"""Load a SONATA circuit with PyNN's own importer (pyNN.serialization) on spinn.pynn or
pyNN.nest, run its simulation config, write {assembly: [(index, spike time)]} as JSON.

    python sonata_through_pynn.py spinn|nest CONFIG_DIR OUT.json
"""
import os
import sys

backend, cfg_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
if backend == "nest":
    import pyNN.nest as sim
    extra = {"spike_precision": "on_grid"}
else:
    import spinn.pynn as sim
    extra = {}
from pyNN.serialization import import_from_sonata, load_sonata_simulation_plan

os.chdir(cfg_dir)
plan = load_sonata_simulation_plan("simulation_config.json")
sim.setup(timestep=plan.run_config["dt"], **extra)
plan.sim = sim          # what plan.setup(sim) does, with on-grid spikes on NEST
net = import_from_sonata("circuit_config.json", sim)
for a in net.assemblies:
    a.record("spikes")
# plan.execute(net) without its last step: PyNN 0.13's SonataIO.write calls np.hstack on a
# generator, which numpy >= 2 refuses (a PyNN bug); the rest is execute()'s own code
plan._calculate_node_set_map(net)
for name, config in plan.inputs.items():
    plan._set_input_spikes(config, net)
net.record("spikes", include_spike_source=False)
sim.run(plan.run_config["tstop"])
res = {}
for a in net.assemblies:
    blk = a.get_data("spikes")
    res[a.label] = sorted((int(st.annotations["source_index"]), float(t)) for st in blk.segments[0].spiketrains for t in st.magnitude)
import json; json.dump(res, open(out, "w"))
print({k: len(v) for k, v in res.items()})
