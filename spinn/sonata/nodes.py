"""SONATA nodes → spinn populations.

A node population of an HDF5 nodes file (``/nodes/<name>/node_type_id``, ``node_group_id``,
``node_group_index``, groups ``/nodes/<name>/<g>/…`` with per-node attributes and
``dynamics_params``) becomes one spinn population per node type it holds (a "part"): a
node type fixes the model (``model_type``, ``model_template``) and its parameters
(``dynamics_params``, a JSON file in the circuit's ``point_neuron_models_dir``); per-node
``dynamics_params`` in the node's group override them.  Node ids are the rows of the
population (SONATA's default; a ``node_id`` dataset must equal them).

The map between a node id and (part, index in the part) is held as the runs of equal
``node_type_id`` in the file — one entry per run, a few per node type for the circuits
builders write (bmtk writes each node type as one run) — never as a per-node table.

Templates: ``nest:<model>`` (NEST's names, units and defaults: spinn.pynn.nest_models),
``pynn:<CellType>`` (spinn's own cell types, PyNN's names), ``model_type: virtual`` (spike
sources fed by the simulation config's inputs).
"""

import csv
import json
import os

import numpy as np

import spinn
from spinn.errors import ConfigurationError

CHUNK = 1 << 20


def _cell(text):
    if text is None or text.strip() in ("", "NONE", "NULL", "None", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_types_csv(path):
    """{type id: {column: value}} of a SONATA node- or edge-types file (space-separated)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=" ", quotechar='"', skipinitialspace=True))
    if not rows:
        raise ConfigurationError(f"SONATA: {path} is empty; it needs a header line")
    header = rows[0]
    key = next((k for k in header if k in ("node_type_id", "edge_type_id")), None)
    if key is None:
        raise ConfigurationError(f"SONATA: {path} has no node_type_id or edge_type_id column "
                                 f"(columns: {' '.join(header)})")
    out = {}
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ConfigurationError(f"SONATA: {path} line {n} has {len(row)} fields for "
                                     f"{len(header)} columns")
        values = {h: _cell(v) for h, v in zip(header, row)}
        out[int(values[key])] = values
    return out


def _runs(dataset):
    """(starts, lengths, values) of the runs of equal values of a 1-D dataset, read in
    chunks."""
    starts, values = [], []
    last = None
    n = dataset.shape[0]
    for lo in range(0, n, CHUNK):
        v = np.asarray(dataset[lo:lo + CHUNK], np.int64)
        change = np.flatnonzero(np.diff(v)) + 1
        firsts = np.concatenate([[0], change]) if last is None or v[0] != last \
            else change
        starts.extend((firsts + lo).tolist())
        values.extend(v[firsts].tolist())
        last = v[-1]
    starts = np.asarray(starts, np.int64)
    lengths = np.diff(np.append(starts, n))
    return starts, lengths, np.asarray(values, np.int64)


class Part:
    """The nodes of one node type in one node population: a spinn population."""

    def __init__(self, population, type_id, row, runs):
        self.population, self.type_id, self.row = population, type_id, row
        self.starts, self.lengths = runs               # this type's runs, in file order
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.size = int(self.lengths.sum())
        self.native = None                             # the spinn Population, once made
        self.virtual = (row.get("model_type") == "virtual")

    @property
    def label(self):
        name = self.row.get("pop_name")
        return f"{self.population.name}:{name if name is not None else self.type_id}"

    def node_ids(self, index):
        """SONATA node ids of indices into this part."""
        index = np.asarray(index, np.int64)
        r = np.searchsorted(self.offsets, index, side="right") - 1
        return self.starts[r] + index - self.offsets[r]

    def rows(self):
        """int64 file rows of this part's nodes, ascending (O(part size))."""
        return np.concatenate([np.arange(s, s + n) for s, n in
                               zip(self.starts, self.lengths)]) if self.size else \
            np.empty(0, np.int64)


class NodePopulation:
    """One node population of a nodes file."""

    def __init__(self, name, path, types):
        import h5py

        self.name, self.path, self.types = name, path, types
        with h5py.File(path, "r") as f:
            g = f["nodes"][name]
            if "node_type_id" not in g:
                raise ConfigurationError(
                    f"SONATA: node population {name!r} of {path} has no node_type_id dataset")
            self.size = int(g["node_type_id"].shape[0])
            if "node_id" in g:
                for lo in range(0, self.size, CHUNK):
                    ids = np.asarray(g["node_id"][lo:lo + CHUNK], np.int64)
                    if not np.array_equal(ids, np.arange(lo, lo + ids.size)):
                        raise ConfigurationError(
                            f"SONATA: node population {name!r} of {path}: node_id is not "
                            f"0, 1, 2, … in file order; spinn takes node ids as the rows of "
                            f"the population (SONATA's default)")
            starts, lengths, values = _runs(g["node_type_id"])
        self.run_starts, self.run_types = starts, values
        self.parts = []
        self._part_of_type = {}
        for t in sorted(set(values.tolist())):
            if t not in types:
                raise ConfigurationError(
                    f"SONATA: node population {name!r} of {path} uses node_type_id {t}, "
                    f"which its node types file does not define")
            sel = values == t
            part = Part(self, t, types[t], (starts[sel], lengths[sel]))
            self._part_of_type[t] = len(self.parts)
            self.parts.append(part)
        run_part = np.array([self._part_of_type[t] for t in values.tolist()], np.int64)
        self.run_part = run_part
        # the index in its part of each run's first node
        self.run_offset = np.zeros(values.size, np.int64)
        for k, part in enumerate(self.parts):
            self.run_offset[run_part == k] = part.offsets

    def locate(self, node_ids, where):
        """(part number int64[], index int64[]) of SONATA node ids of this population."""
        ids = np.asarray(node_ids, np.int64)
        bad = (ids < 0) | (ids >= self.size)
        if bad.any():
            raise ConfigurationError(
                f"SONATA: {where} refers to node {int(ids[bad][0])} of population "
                f"{self.name!r}, which has nodes 0 … {self.size - 1}")
        r = np.searchsorted(self.run_starts, ids, side="right") - 1
        return self.run_part[r], self.run_offset[r] + ids - self.run_starts[r]

    def attribute(self, name, rows):
        """Values of a node attribute (node types column or group dataset) at these rows,
        or None when the population has no such attribute."""
        import h5py

        rows = np.asarray(rows, np.int64)
        part, _ = self.locate(rows, f"attribute {name!r}")
        if any(name in row for row in self.types.values()):
            col = {k: self.parts[k].row.get(name) for k in range(len(self.parts))}
            return np.array([col[k] for k in part.tolist()], dtype=object)
        with h5py.File(self.path, "r") as f:
            g = f["nodes"][self.name]
            gid = np.asarray(g["node_group_id"][()], np.int64)[rows] if rows.size else rows
            gix = np.asarray(g["node_group_index"][()], np.int64)[rows] if rows.size else rows
            out = np.empty(rows.size, dtype=object)
            found = False
            for k in np.unique(gid).tolist():
                grp = g.get(str(k))
                if grp is not None and name in grp:
                    found = True
                    m = gid == k
                    vals = grp[name][()]
                    out[m] = [v.decode() if isinstance(v, bytes) else v for v in vals[gix[m]]]
            return out if found else None

    def dynamics(self, part, model_dir):
        """{name: value} of a part: its type's dynamics_params file, overridden per node by
        the group's dynamics_params (arrays over the part)."""
        import h5py

        params = {}
        dyn = part.row.get("dynamics_params")
        if isinstance(dyn, str):
            path = dyn if os.path.isabs(dyn) else os.path.join(model_dir or "", dyn)
            if not os.path.isfile(path):
                raise ConfigurationError(
                    f"SONATA: node type {part.type_id} of population {self.name!r} names "
                    f"dynamics_params {dyn!r}, not found at {path} (components."
                    f"point_neuron_models_dir = {model_dir!r})")
            with open(path) as f:
                params = json.load(f)
        with h5py.File(self.path, "r") as f:
            g = f["nodes"][self.name]
            if "node_group_id" not in g:
                return params
            rows = part.rows()
            gid = np.asarray(g["node_group_id"][()], np.int64)[rows]
            gix = np.asarray(g["node_group_index"][()], np.int64)[rows]
            for k in np.unique(gid).tolist():
                if str(k) not in g or "dynamics_params" not in g[str(k)]:
                    continue
                grp = g[str(k)]
                m = gid == k
                for name, ds in grp["dynamics_params"].items():
                    if name not in params or np.ndim(params[name]) == 0:
                        base = params.get(name, np.nan)
                        params[name] = np.full(part.size, base, np.float64)
                    params[name][m] = np.asarray(ds[()], np.float64)[gix[m]]
        for name, v in params.items():
            if isinstance(v, np.ndarray) and np.isnan(v).any():
                raise ConfigurationError(
                    f"SONATA: population {self.name!r}, node type {part.type_id}: "
                    f"dynamics_params {name!r} is given for some nodes only (in the group's "
                    f"dynamics_params) and not in the node type's file")
        return params


def population_names(path, kind):
    """The populations of a SONATA nodes or edges file (kind "nodes" or "edges")."""
    import h5py

    with h5py.File(path, "r") as f:
        if kind not in f:
            raise ConfigurationError(
                f"SONATA: {path} has no /{kind} group; is it a {kind} file?")
        return list(f[kind])


def read_nodes(networks):
    """{population name: NodePopulation} of every nodes file."""
    pops = {}
    for entry in networks["nodes"]:
        types = read_types_csv(entry["node_types_file"])
        for name in population_names(entry["nodes_file"], "nodes"):
            if name in pops:
                raise ConfigurationError(
                    f"SONATA: node population {name!r} is in {pops[name].path} and "
                    f"{entry['nodes_file']}; population names must be unique")
            pops[name] = NodePopulation(name, entry["nodes_file"], types)
    return pops


def make_cell_type(part, params, where):
    """(spinn cell type instance, initial values, NEST weight scale or None, conductance?)
    for a part's template and parameters; part.tau_minus is set (NEST's archiving-node
    parameter, for stdp_synapse edges onto the part)."""
    part.tau_minus = 20.0
    template = part.row.get("model_template")
    if part.virtual:
        return spinn.SpikeSourceArray(spike_times=[[]] * part.size), {}, None, False
    mtype = part.row.get("model_type")
    if mtype not in ("point_process", "point_neuron", None):
        raise ConfigurationError(
            f"SONATA: {where} has model_type {mtype!r}; spinn simulates point neurons "
            f"(point_process) and virtual nodes")
    if not isinstance(template, str) or ":" not in template:
        raise ConfigurationError(
            f"SONATA: {where} has model_template {template!r}; give 'nest:<model>' or "
            f"'pynn:<cell type>'")
    prefix, name = template.split(":", 1)
    prefix = prefix.lower()
    if prefix == "nest":
        from spinn.pynn.nest_models import MODELS, STATE_SCALE, native_cell_type
        from spinn.pynn.values import native_value

        cls = native_cell_type(name)
        _, _, _, initial, variables = MODELS[name]
        initial = dict(initial)
        given = {}
        for k, v in params.items():
            if k in variables:
                initial[k] = v
            else:
                given[k] = v
        unknown = sorted(set(given) - set(cls.default_parameters))
        if unknown:
            raise ConfigurationError(
                f"SONATA: {where}: NEST's {name} has no parameter "
                f"{', '.join(map(repr, unknown))} in spinn (parameters: "
                f"{', '.join(cls.default_parameters)}; state: {', '.join(variables)})")
        ct = cls(**given)
        ps = ct.native_parameters
        ps.shape = (part.size,)
        native = {k: native_value(ps[k], where, k, part.size) for k in ps.keys()}
        for k in cls.nest_extra:
            value = native.pop(k)
            if k == "tau_minus":
                if np.ndim(value) and np.unique(value).size > 1:
                    raise ConfigurationError(
                        f"SONATA: {where}: tau_minus differs between nodes; spinn takes one "
                        f"per node type")
                part.tau_minus = float(np.ravel(value)[0])
        init = {variables[k]: np.asarray(v, np.float64) / STATE_SCALE.get(k, 1.0)
                for k, v in initial.items()}
        return cls.native(**native), init, cls.nest_weight_scale, cls.conductance_based
    if prefix == "pynn":
        cls = getattr(spinn, name, None)
        if not isinstance(cls, type) or not hasattr(cls, "parameters") or \
                getattr(cls, "is_source", False):
            raise ConfigurationError(
                f"SONATA: {where}: model_template {template!r}: spinn has no cell type "
                f"{name!r}")
        return cls(**params), {}, None, name.startswith(("IF_cond", "EIF_cond"))
    raise ConfigurationError(
        f"SONATA: {where}: model_template {template!r}: spinn runs 'nest:' and 'pynn:' point "
        f"neuron templates (not {prefix!r})")
