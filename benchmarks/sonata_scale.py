"""`spinn sonata` at scale: a random SONATA circuit (written here with h5py, sorted by target
with SONATA's target_to_source index, as bmtk writes them), run on 1 and 2 ranks in
alternating batches; per run the seconds `load` took on the slowest rank, the build, the
peak RSS per rank and the run.  With --pynn, the same circuit through PyNN's own importer
on spinn.pynn (one process: it builds every edge list in Python on every rank).

    python benchmarks/sonata_scale.py [--nodes 20000] [--indegree 500] [--repeat 2]
        [--pynn] [--out benchmarks/results/sonata_scale.json]
"""

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def write_circuit(out, n, k, n_ext, tstop, seed=7):
    rng = np.random.default_rng(seed)
    os.makedirs(f"{out}/network", exist_ok=True)
    os.makedirs(f"{out}/models", exist_ok=True)
    json.dump({"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0, "V_th": -55.0,
               "V_reset": -70.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "I_e": 300.0},
              open(f"{out}/models/lif.json", "w"))
    n_exc = int(0.8 * n)
    with h5py.File(f"{out}/network/net_nodes.h5", "w") as f:
        g = f.create_group("nodes/net")
        g.create_dataset("node_type_id", data=np.r_[np.zeros(n_exc), np.ones(n - n_exc)]
                         .astype(np.uint32))
        g.create_dataset("node_group_id", data=np.zeros(n, np.uint32))
        g.create_dataset("node_group_index", data=np.arange(n, dtype=np.uint64))
        g.create_dataset("node_id", data=np.arange(n, dtype=np.uint64))
        g.create_group("0")
    open(f"{out}/network/net_node_types.csv", "w").write(
        "node_type_id model_type model_template dynamics_params pop_name\n"
        "0 point_process nest:iaf_psc_exp lif.json exc\n"
        "1 point_process nest:iaf_psc_exp lif.json inh\n")
    with h5py.File(f"{out}/network/ext_nodes.h5", "w") as f:
        g = f.create_group("nodes/ext")
        g.create_dataset("node_type_id", data=np.full(n_ext, 2, np.uint32))
        g.create_dataset("node_id", data=np.arange(n_ext, dtype=np.uint64))
        g.create_dataset("node_group_id", data=np.zeros(n_ext, np.uint32))
        g.create_dataset("node_group_index", data=np.arange(n_ext, dtype=np.uint64))
        g.create_group("0")
    open(f"{out}/network/ext_node_types.csv", "w").write(
        "node_type_id model_type pop_name\n2 virtual ext\n")

    def edges(path, name, src_pop, n_src, src_types, k_in, weights, delay):
        src = rng.integers(0, n_src, n * k_in)
        tgt = np.repeat(np.arange(n), k_in)
        with h5py.File(path, "w") as f:
            g = f.create_group(f"edges/{name}")
            s = g.create_dataset("source_node_id", data=src.astype(np.uint64))
            s.attrs["node_population"] = src_pop
            t = g.create_dataset("target_node_id", data=tgt.astype(np.uint64))
            t.attrs["node_population"] = "net"
            g.create_dataset("edge_type_id", data=src_types(src).astype(np.uint32))
            g.create_dataset("edge_group_id", data=np.zeros(src.size, np.uint32))
            g.create_dataset("edge_group_index", data=np.arange(src.size, dtype=np.uint64))
            g.create_group("0")
            g.create_dataset("indices/target_to_source/node_id_to_range", data=np.stack(
                [np.arange(n), np.arange(1, n + 1)], 1).astype(np.uint64))
            g.create_dataset("indices/target_to_source/range_to_edge_id", data=np.stack(
                [np.arange(n) * k_in, np.arange(1, n + 1) * k_in], 1).astype(np.uint64))
        with open(path.replace("_edges.h5", "_edge_types.csv"), "w") as f:
            f.write("edge_type_id syn_weight delay model_template\n")
            for tid, w in weights.items():
                f.write(f"{tid} {w} {delay} nest:static_synapse\n")

    edges(f"{out}/network/net_net_edges.h5", "net_net", "net", n,
          lambda s: np.where(s < n_exc, 10, 11), k, {10: 20.0, 11: -100.0}, 1.5)
    edges(f"{out}/network/ext_net_edges.h5", "ext_net", "ext", n_ext,
          lambda s: np.full(s.size, 12), 20, {12: 60.0}, 1.0)
    n_spikes = int(n_ext * 10.0 * tstop / 1000.0)
    t = np.sort(rng.uniform(1.0, tstop, n_spikes))
    with h5py.File(f"{out}/spikes.h5", "w") as f:
        # bmtk's layout before SONATA 1.0: what PyNN 0.13's SonataIO reads
        f.create_dataset("spikes/timestamps", data=np.round(t, 1))
        # every input spikes at least once (PyNN's reader wants a train per node)
        f.create_dataset("spikes/gids", data=np.r_[np.arange(n_ext), rng.integers(
            0, n_ext, n_spikes - n_ext)][rng.permutation(n_spikes)].astype(np.uint64))
    json.dump({"manifest": {"$BASE_DIR": "."}, "networks": {
        "nodes": [{"nodes_file": f"network/{p}_nodes.h5",
                   "node_types_file": f"network/{p}_node_types.csv"} for p in ("net", "ext")],
        "edges": [{"edges_file": f"network/{p}_edges.h5",
                   "edge_types_file": f"network/{p}_edge_types.csv"}
                  for p in ("net_net", "ext_net")]},
        "components": {"point_neuron_models_dir": "models"}},
        open(f"{out}/circuit_config.json", "w"))
    json.dump({"ext": {"population": "ext"}}, open(f"{out}/node_sets.json", "w"))
    json.dump({"manifest": {"$BASE_DIR": "."}, "network": "circuit_config.json", "run": {"tstop": tstop, "dt": 0.1},
               "node_sets_file": "node_sets.json",
               "inputs": {"ext": {"input_type": "spikes", "module": "h5",
                                  "input_file": "spikes.h5", "node_set": "ext"}},
               "output": {"output_dir": "output"}},
              open(f"{out}/simulation_config.json", "w"))
    return n * k + n * 20


PYNN = """
import json, resource, sys, time
import spinn.pynn as sim
from pyNN.serialization import import_from_sonata, load_sonata_simulation_plan
import os
os.chdir(sys.argv[1])
plan = load_sonata_simulation_plan("simulation_config.json")
sim.setup(timestep=0.1)
t0 = time.perf_counter()
net = import_from_sonata("circuit_config.json", sim)
load = time.perf_counter() - t0
plan.sim = sim
plan._calculate_node_set_map(net)
for name, config in plan.inputs.items():
    plan._set_input_spikes(config, net)
t0 = time.perf_counter()
sim.run(plan.run_config["tstop"])
json.dump({"load_seconds": load, "run_seconds": time.perf_counter() - t0,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
          open(sys.argv[2], "w"))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=20000)
    ap.add_argument("--indegree", type=int, default=500)
    ap.add_argument("--tstop", type=float, default=200.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--pynn", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                         "sonata_scale.json"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="spinn-sonata-bench-")
    t0 = time.perf_counter()
    n_edges = write_circuit(work, args.nodes, args.indegree, args.nodes // 10, args.tstop)
    write_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in pathlib.Path(work).rglob("*.h5"))
    print(f"circuit: {args.nodes} nodes, {n_edges} edges, {size / 2**20:.0f} MiB of HDF5 "
          f"(written in {write_s:.1f} s)", flush=True)
    runs = []
    for rep in range(args.repeat):
        for ranks in [int(r) for r in args.ranks.split(",")]:
            shutil.rmtree(f"{work}/output", ignore_errors=True)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "spinn.cli", "sonata", "--ranks",
                                   str(ranks), f"{work}/simulation_config.json"],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if done.returncode:
                sys.exit(done.stderr[-3000:])
            s = json.load(open(f"{work}/output/spinn_sonata.json"))
            tot = s["totals"]
            rec = {"tool": "spinn sonata", "ranks": ranks, "repeat": rep, "wall_seconds": wall,
                   "load_seconds": s["load_seconds"], "build_seconds": tot["build_seconds"],
                   "run_wall_seconds": tot["run_wall_seconds"],
                   "peak_rss_mb_per_rank": tot["peak_rss_mb_max"], "synapses": tot["synapses"],
                   "spikes": tot["spikes_emitted"]}
            runs.append(rec)
            print(json.dumps(rec), flush=True)
        if args.pynn:
            out = f"{work}/pynn.json"
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", PYNN, work, out], capture_output=True,
                                  text=True)
            if done.returncode:
                sys.exit(done.stderr[-3000:])
            rec = {"tool": "PyNN import_from_sonata on spinn.pynn", "ranks": 1, "repeat": rep,
                   "wall_seconds": time.perf_counter() - t0, **json.load(open(out))}
            runs.append(rec)
            print(json.dumps(rec), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    result = {"benchmark": "sonata_scale", "nodes": args.nodes, "edges": n_edges,
              "hdf5_mib": size / 2**20, "tstop_ms": args.tstop, "runs": runs,
              "command": " ".join(["python", "benchmarks/sonata_scale.py"] + sys.argv[1:]),
              "peak_rss_mb_this_process": resource.getrusage(
                  resource.RUSAGE_SELF).ru_maxrss / 1024}
    pathlib.Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
