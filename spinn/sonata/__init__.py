"""Run a SONATA circuit on spinn without PyNN's importer: ``spinn sonata
simulation_config.json --ranks N``, or from Python::

    import spinn, spinn.sonata
    circuit = spinn.sonata.load("simulation_config.json")   # after spinn.setup(...)
    spinn.run(circuit.tstop)
    circuit.write()                                         # the configured outputs

What is read: the simulation config and its circuit config (manifest variables, node sets,
``run.dt``/``tstop``, spike ``inputs``, ``reports``, ``output``); nodes files with their
node-types CSVs (``dynamics_params`` files and per-node dynamics in the groups), ``nest:`` and
``pynn:`` point-neuron templates, virtual nodes; edges files with their edge-types CSVs
(``syn_weight``, ``delay``, ``nsyns`` per edge or per type, static synapses).  Each node type
of a node population is one spinn population (spinn/sonata/nodes.py); each (source part,
target part, receptor) of an edge population one projection whose post cores read their own
edges (spinn/sonata/edges.py).  Nothing per node or per edge is held on every rank except
what a node set names (inputs, reports) and the spike times of the virtual nodes.

Outputs (``spinn sonata``; ``write()`` from Python): the spike file at
``output.spikes_file`` (SONATA node populations and node ids,
sorted by time), and one SONATA frame report per entry of ``reports`` (``variable_name``
``V_m``/``v`` or another recordable of the model; ``cells`` or ``node_set``; ``dt``
optional; ``file_name`` default ``<report name>.h5``) under ``output.output_dir``, and
``spinn sonata`` adds ``spinn_sonata.json`` there: the ranks, the seconds ``load`` took (the
slowest rank) and the run's totals (``spinn.provenance()``: build seconds, peak RSS per
rank, synapses, spikes, real-time factor).
"""

import os

import numpy as np

import spinn
from spinn import api
from spinn.errors import ConfigurationError
from spinn.sonata.config import SimulationConfig
from spinn.sonata.edges import EdgePopulation, SonataEdgesConnector, read_edge_types
from spinn.sonata.inputs import read_spike_input
from spinn.sonata.nodes import make_cell_type, population_names, read_nodes


def _match(values, want):
    if isinstance(want, list):
        return np.array([v in want for v in values], bool)
    return np.array([v == want for v in values], bool)


def node_set_members(cfg, nodes, spec, where):
    """{population name: sorted int64 node ids} of a node set (a name, a list, an object)."""
    spec = cfg.node_set(spec, where)
    conditions = spec if isinstance(spec, list) else [spec]
    out = {}
    for cond in conditions:
        pops = cond.get("population", list(nodes))
        pops = [pops] if isinstance(pops, str) else list(pops)
        for name in pops:
            if name not in nodes:
                raise ConfigurationError(
                    f"SONATA: {where}: node set names population {name!r}, which the circuit "
                    f"does not have ({', '.join(sorted(nodes))})")
            pop = nodes[name]
            ids = cond.get("node_id", cond.get("node_ids"))
            ids = np.arange(pop.size, dtype=np.int64) if ids is None else \
                np.unique(np.asarray(ids, np.int64))
            pop.locate(ids, where)                   # refuses ids outside the population
            for attr, want in cond.items():
                if attr in ("population", "node_id", "node_ids") or not ids.size:
                    continue
                values = pop.attribute(attr, ids)
                ids = ids[_match(values, want)] if values is not None else ids[:0]
            if ids.size:
                out[name] = np.union1d(out.get(name, np.empty(0, np.int64)), ids)
    return out


class Circuit:
    """A SONATA circuit built into the current spinn network."""

    def __init__(self, config):
        self.config = config
        self.tstop = float(config.run["tstop"])
        self.nodes = {}
        self.projections = []
        self.reports = {}

    def write(self):
        """Collective: the spike file and the reports the config asks for (rank 0
        writes).  Returns {what: path}."""
        return write(self)


def load(simulation_config, record=True):
    """Build a SONATA simulation's circuit into the current network (after spinn.setup;
    its timestep must be the config's run.dt).  Collective: every rank calls it; each rank
    scans its share of every edge population (the core graph) and nothing more until the
    build reads each post core's edges.  record: record every non-virtual node's spikes
    and the configured reports."""
    cfg = simulation_config if isinstance(simulation_config, SimulationConfig) else \
        SimulationConfig(simulation_config)
    net = api.current()
    if abs(net.dt - float(cfg.run["dt"])) > 1e-12:
        raise ConfigurationError(
            f"SONATA: {cfg.path} has run.dt = {cfg.run['dt']} ms but the network's timestep "
            f"is {net.dt} ms; call spinn.setup(timestep={cfg.run['dt']})")
    circuit = Circuit(cfg)
    nodes = read_nodes(cfg.networks)
    circuit.nodes = nodes
    # spike inputs of virtual nodes: {population: (times, ids)}
    feeds = {}
    for name, inp in cfg.inputs.items():
        members = node_set_members(cfg, nodes, inp.get("node_set"), f"input {name!r}") \
            if inp.get("node_set") is not None else None
        if members is not None and len(members) != 1:
            raise ConfigurationError(
                f"SONATA: input {name!r}: its node set spans populations "
                f"{', '.join(sorted(members)) or '(none)'}; give one population of virtual "
                f"nodes")
        pop_name = next(iter(members)) if members else None
        if pop_name is None:
            raise ConfigurationError(f"SONATA: input {name!r} needs a node_set naming the "
                                     f"population of virtual nodes it feeds")
        times, ids = read_spike_input(name, inp, pop_name)
        keep = np.isin(ids, members[pop_name])
        t0, i0 = feeds.get(pop_name, (np.empty(0), np.empty(0, np.int64)))
        feeds[pop_name] = (np.concatenate([t0, times[keep]]), np.concatenate([i0, ids[keep]]))
    model_dir = cfg.components.get("point_neuron_models_dir")
    for pop in nodes.values():
        for part in pop.parts:
            where = f"node type {part.type_id} of population {pop.name!r}"
            params = {} if part.virtual else pop.dynamics(part, model_dir)
            ct, init, scale, cond = make_cell_type(part, params, where)
            part.weight_scale = 1.0 if scale is None else scale
            part.nest = scale is not None
            part.conductance = cond
            if part.virtual:
                ct = spinn.SpikeSourceArray(spike_times=_spike_trains(part, feeds.get(
                    pop.name)))
            part.native = api.Population(part.size, ct, label=net.free_label(
                "population", part.label), initial_values=init or None)
            if record and not part.virtual:
                part.native.record("spikes")
    edge_dir = cfg.components.get("synaptic_models_dir")
    comm = api.simulation().comm
    share = getattr(comm, "kind", "") != "rehearsal"
    for entry in cfg.networks["edges"]:
        types = read_edge_types(entry["edge_types_file"], edge_dir)
        for name in population_names(entry["edges_file"], "edges"):
            e = EdgePopulation(name, entry["edges_file"], types, nodes)
            npc = ([p.native.neurons_per_core for p in e.source.parts],
                   [p.native.neurons_per_core for p in e.target.parts])
            for (sp, tp, r), (pairs, spans) in sorted(e.scan(comm, npc, share).items()):
                src, tgt = e.source.parts[sp], e.target.parts[tp]
                if tgt.virtual:
                    raise ConfigurationError(
                        f"SONATA: {e.where()} has edges onto virtual nodes of population "
                        f"{tgt.population.name!r}; virtual nodes take no input")
                # conductances keep their magnitude; current weights keep PyNN's sign
                conn = SonataEdgesConnector(e, sp, tp, r, pairs, spans, tgt.weight_scale,
                                            magnitude=tgt.conductance)
                label = f"{name}:{src.label}->{tgt.label}:{'inh' if r else 'exc'}"
                synapse = _synapse(e, spans, tgt, label)
                proj = api.Projection(src.native, tgt.native, conn, synapse,
                                      receptor_type=conn.receptor,
                                      label=net.free_label("projection", label))
                circuit.projections.append(proj)
    if record:
        for rname, rep in cfg.reports.items():
            _declare_report(circuit, cfg, nodes, rname, rep)
    return circuit


_NEST_STDP = {"tau_plus": 20.0, "lambda": 0.01, "alpha": 1.0, "mu_plus": 1.0,
              "mu_minus": 1.0, "Wmax": 100.0}


def _synapse(edges, spans, target, where):
    """The synapse type of a projection whose edges have the edge types spans[4]: static,
    or NEST's stdp_synapse with its edge types' parameters (one set per projection) and
    the target's tau_minus."""
    from spinn.sonata.edges import STDP

    type_ids = spans[4]
    rows = [edges.types[t] for t in type_ids]
    plastic = [r.get("model_template") in STDP for r in rows]
    if not any(plastic):
        return spinn.StaticSynapse()
    if not all(plastic):
        raise ConfigurationError(
            f"SONATA: {edges.where()}: {where} mixes static and stdp_synapse edge types "
            f"({', '.join(map(str, type_ids))}); spinn makes one projection per synapse "
            f"model — give the plastic edges their own source or target node type")
    params = [{k: float(r.get(k) if r.get(k) is not None else d)
               for k, d in _NEST_STDP.items()} for r in rows]
    if any(p != params[0] for p in params):
        raise ConfigurationError(
            f"SONATA: {edges.where()}: {where}: stdp_synapse edge types "
            f"{', '.join(map(str, type_ids))} have different parameters; spinn takes one set "
            f"per projection")
    if not target.nest:
        raise ConfigurationError(
            f"SONATA: {edges.where()}: stdp_synapse onto {target.label}, which is not a NEST "
            f"model; NEST's stdp_synapse needs a nest: target (its tau_minus)")
    if spans[0] < 0:
        raise ConfigurationError(
            f"SONATA: {edges.where()}: {where}: stdp_synapse edges with negative weights "
            f"(down to {spans[0]:g}); spinn's plastic synapses take positive weights")
    from spinn.pynn.nest_models import nest_stdp

    return nest_stdp(dict(params[0], weight=0.0, delay=None), target.tau_minus,
                     target.weight_scale, f"SONATA: {edges.where()}: {where}")


def _spike_trains(part, feed):
    """One spike-time array per node of a virtual part."""
    trains = [np.empty(0)] * part.size
    if feed is None:
        return trains
    times, ids = feed
    parts, idx = part.population.locate(ids, f"spike input of {part.label}")
    mine = parts == part.population.parts.index(part)
    order = np.lexsort((times[mine], idx[mine]))
    t, k = times[mine][order], idx[mine][order]
    bounds = np.searchsorted(k, np.arange(part.size + 1))
    return [t[bounds[n]:bounds[n + 1]] for n in range(part.size)]


def _declare_report(circuit, cfg, nodes, name, rep):
    var = rep.get("variable_name")
    if not isinstance(var, str):
        raise ConfigurationError(f"SONATA: report {name!r} has no variable_name")
    cells = rep.get("cells", rep.get("node_set"))
    if cells is None:
        raise ConfigurationError(f"SONATA: report {name!r} names no cells (node set)")
    members = node_set_members(cfg, nodes, cells, f"report {name!r}")
    dt = rep.get("dt")
    entries = []
    for pop_name, ids in members.items():
        pop = nodes[pop_name]
        parts, idx = pop.locate(ids, f"report {name!r}")
        for k in np.unique(parts).tolist():
            part = pop.parts[k]
            if part.virtual:
                raise ConfigurationError(
                    f"SONATA: report {name!r} of {var!r} includes virtual nodes of "
                    f"{pop_name!r}, which have no state")
            native_var = var
            if part.nest:
                from spinn.pynn.nest_models import MODELS
                native_var = MODELS[part.row["model_template"].split(":", 1)[1]][4].get(
                    var, var)
            elif var == "V_m":
                native_var = "v"
            part.native.record(native_var, indices=idx[parts == k], sampling_interval=dt)
            entries.append((pop_name, part, native_var, var))
    circuit.reports[name] = (rep, entries)


def write(circuit):
    """Collective: the spike file and the reports the config asks for (rank 0 writes).
    Returns {what: path}."""
    from spinn.recording.sonata import write_frames, write_spikes

    state = api.simulation()
    cfg = circuit.config
    out_dir = cfg.output["output_dir"]
    if state.comm.rank == 0:
        os.makedirs(out_dir, exist_ok=True)
    groups = {}
    for name, pop in circuit.nodes.items():
        members = [(p.native.index, p.node_ids) for p in pop.parts if not p.virtual]
        if members:
            groups[name] = members
    paths = {"spikes": cfg.output["spikes_file"]}
    if state.comm.rank == 0:
        os.makedirs(os.path.dirname(paths["spikes"]) or ".", exist_ok=True)
    write_spikes(paths["spikes"], state.comm, state.spool, groups, state.network.dt,
                 state.engine.step)
    for name, (rep, entries) in circuit.reports.items():
        frames = {}
        for pop_name, part, native_var, _var in entries:
            t, ids, values = part.native.get_data(native_var)        # collective
            unit = part.native.celltype.state[native_var].unit \
                if native_var in part.native.celltype.state else ""
            prev = frames.get(pop_name)
            node_ids = part.node_ids(ids)
            if prev is None:
                frames[pop_name] = (t, node_ids, np.asarray(values), unit)
            else:
                frames[pop_name] = (t, np.concatenate([prev[1], node_ids]),
                                    np.concatenate([prev[2], values], axis=1), unit)
        for pop_name, (t, ids, values, unit) in list(frames.items()):
            order = np.argsort(ids, kind="stable")
            frames[pop_name] = (t, ids[order], values[:, order], unit)
        path = os.path.join(out_dir, rep.get("file_name", f"{name}.h5"))
        if state.comm.rank == 0:
            write_frames(path, frames, state.network.dt)
        paths[name] = path
    return paths



def main(argv=None):
    """``python -m spinn.sonata CONFIG`` (what ``spinn sonata`` runs on each rank)."""
    import argparse

    p = argparse.ArgumentParser(prog="spinn sonata", description=__doc__.split("\n\n")[0])
    p.add_argument("config")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    cfg = SimulationConfig(args.config)
    seed = args.seed if args.seed is not None else cfg.run.get("random_seed", 1)
    spinn.setup(timestep=float(cfg.run["dt"]), seed=int(seed),
                out_dir=cfg.output["output_dir"])
    import json
    import time

    t0 = time.perf_counter()
    circuit = load(cfg)
    comm = api.simulation().comm
    load_s = comm.allreduce(time.perf_counter() - t0, "max")
    spinn.run(circuit.tstop)
    paths = circuit.write()
    totals = spinn.provenance()
    if spinn.rank() == 0:
        paths["run summary"] = os.path.join(cfg.output["output_dir"], "spinn_sonata.json")
        with open(paths["run summary"], "w") as f:
            json.dump({"config": cfg.path, "ranks": comm.size, "load_seconds": load_s,
                       "totals": totals}, f, indent=1, default=float)
        for what, path in paths.items():
            print(f"spinn sonata: wrote {what}: {path}", flush=True)
    spinn.end()
    return 0
