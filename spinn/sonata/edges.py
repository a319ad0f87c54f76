"""SONATA edges → spinn projections whose synapses each post core reads from the file itself.

An edge population (``/edges/<name>/source_node_id``, ``target_node_id`` with their
``node_population`` attributes, ``edge_type_id``, ``edge_group_id``, ``edge_group_index``,
groups ``/edges/<name>/<g>/syn_weight|delay|nsyns``) becomes one spinn projection per
(source part, target part, receptor) it connects.  An edge's weight is ``syn_weight ×
nsyns`` (group dataset, else the edge type's column or its dynamics_params file); its delay
likewise.  Onto NEST models the weight is in NEST's unit (pA, or nS for conductances), negative
for inhibition (the receptor follows the sign); onto ``pynn:`` cell types it is in PyNN's
units and the receptor is the edge type's ``receptor_type`` column, else the sign.

Reading, bounded per rank:
- the mapping needs which cores connect: the ranks share the edge population's chunks
  (rank r reads chunks r, r + N, …: source, target, weight, 16–24 bytes per edge, streamed) and
  combine the sparse core pairs they found (an allgather of the core graph, which every rank
  holds anyway), with a (min, max) target of every chunk for the build;
- the build of a post core reads only that core's edges: through the file's
  ``indices/target_to_source`` (SONATA's index: node → ranges → edge ids) where present,
  else the chunks whose target range meets the core's nodes (one chunk per core for files
  sorted by target, as bmtk writes them; every chunk for an unsorted file — slow, and said
  so in a warning).
"""

import json
import os
import warnings

import numpy as np

from spinn.errors import ConfigurationError
from spinn.model.connectors import Connector
from spinn.sonata.nodes import read_types_csv

CHUNK = 1 << 16          # edges per scan chunk (the build's unit of reading without an index)
GAP = 1 << 14            # a selective read merges rows closer than this into one slice
STATIC = (None, "static_synapse", "nest:static_synapse", "pynn:StaticSynapse",
          "pyNN:StaticSynapse")
STDP = ("stdp_synapse", "nest:stdp_synapse")


def _take(ds, ids):
    """ds[ids] for sorted int64 ids, read as a few slices."""
    ids = np.asarray(ids, np.int64)
    if ids.size == 0:
        return np.asarray(ds[0:0])
    breaks = np.flatnonzero(np.diff(ids) > GAP) + 1
    out = []
    for seg in np.split(ids, breaks):
        block = np.asarray(ds[int(seg[0]):int(seg[-1]) + 1])
        out.append(block[seg - seg[0]])
    return np.concatenate(out)


def _expand(lo, hi):
    """The integers of the ranges [lo[k], hi[k]), concatenated (int64)."""
    lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    n = np.maximum(hi - lo, 0)
    if not n.sum():
        return np.empty(0, np.int64)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return start + np.arange(int(n.sum()), dtype=np.int64)


def _attr(ds, name):
    v = ds.attrs.get(name)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.ndarray):
        v = v.item() if v.size == 1 else v
        v = v.decode() if isinstance(v, bytes) else v
    return v


def read_edge_types(path, syn_dir):
    """Edge types with their dynamics_params file merged in (columns win)."""
    types = read_types_csv(path)
    for tid, row in types.items():
        dyn = row.get("dynamics_params")
        if isinstance(dyn, str):
            p = dyn if os.path.isabs(dyn) else os.path.join(syn_dir or "", dyn)
            if not os.path.isfile(p):
                raise ConfigurationError(
                    f"SONATA: edge type {tid} of {path} names dynamics_params {dyn!r}, not "
                    f"found at {p} (components.synaptic_models_dir = {syn_dir!r})")
            with open(p) as f:
                for k, v in json.load(f).items():
                    if row.get(k) is None:
                        row[k] = v
        template = row.get("model_template")
        if template not in STATIC + STDP:
            raise ConfigurationError(
                f"SONATA: edge type {tid} of {path} has model_template {template!r}; spinn "
                f"reads static synapses (nest:static_synapse, pynn:StaticSynapse) and NEST's "
                f"stdp_synapse from SONATA")
    return types


class EdgePopulation:
    """One edge population of an edges file."""

    def __init__(self, name, path, types, nodes):
        import h5py

        self.name, self.path, self.types = name, path, types
        with h5py.File(path, "r") as f:
            g = f["edges"][name]
            for ds in ("source_node_id", "target_node_id", "edge_type_id"):
                if ds not in g:
                    raise ConfigurationError(
                        f"SONATA: edge population {name!r} of {path} has no {ds} dataset")
            ends = {}
            for end in ("source", "target"):
                pop = _attr(g[f"{end}_node_id"], "node_population")
                if pop not in nodes:
                    raise ConfigurationError(
                        f"SONATA: edge population {name!r} of {path}: its {end} node "
                        f"population {pop!r} is not among the circuit's nodes "
                        f"({', '.join(sorted(nodes))})")
                ends[end] = nodes[pop]
            self.source, self.target = ends["source"], ends["target"]
            self.size = int(g["source_node_id"].shape[0])
            self.grouped = "edge_group_id" in g
            idx = g.get("indices/target_to_source")
            self.index = None
            if idx is not None:
                n2r = next((k for k in ("node_id_to_ranges", "node_id_to_range") if k in idx),
                           None)
                if n2r is not None and "range_to_edge_id" in idx:
                    self.index = (f"indices/target_to_source/{n2r}",
                                  "indices/target_to_source/range_to_edge_id")
        self.receptor_column = any(r.get("receptor_type") is not None
                                   for r in types.values())
        self._tids = np.array(sorted(types), np.int64)
        self.chunk_lo = self.chunk_hi = None
        self.warned = False
        self.last = None          # (key, the values of the last post core's edges, …)

    def where(self):
        return f"edge population {self.name!r} of {self.path}"

    # -- per-edge values -----------------------------------------------------------------
    def _type_column(self, etype, name):
        k = np.searchsorted(self._tids, etype)
        bad = (k >= self._tids.size) | (self._tids[np.minimum(k, self._tids.size - 1)] != etype)
        if bad.any():
            raise ConfigurationError(
                f"SONATA: {self.where()} uses edge_type_id {int(etype[bad][0])}, which its "
                f"edge types file does not define")
        col = [self.types[t].get(name) for t in self._tids.tolist()]
        if all(isinstance(v, (int, float)) or v is None for v in col):
            arr = np.array([np.nan if v is None else float(v) for v in col], np.float64)
        else:
            arr = np.array(col, dtype=object)
        return arr[k]

    def read(self, f, sel):
        """{source, target, weight, delay, receptor?} of the edges sel (a slice, or sorted
        int64 edge ids)."""
        g = f["edges"][self.name]

        def col(ds):
            return np.asarray(ds[sel]) if isinstance(sel, slice) else _take(ds, sel)

        out = {"source": col(g["source_node_id"]).astype(np.int64),
               "target": col(g["target_node_id"]).astype(np.int64)}
        etype = col(g["edge_type_id"]).astype(np.int64)
        n = etype.size
        values = {}
        for name in ("syn_weight", "delay", "nsyns"):
            values[name] = self._type_column(etype, name).astype(np.float64) if n else \
                np.empty(0)
        if self.grouped and n:
            gid = col(g["edge_group_id"]).astype(np.int64)
            gix = col(g["edge_group_index"]).astype(np.int64)
            for k in np.unique(gid).tolist():
                if str(k) not in g:
                    continue
                grp = g[str(k)]
                m = gid == k
                uniq, inv = np.unique(gix[m], return_inverse=True)
                for name in ("syn_weight", "delay", "nsyns"):
                    if name in grp:
                        values[name][m] = _take(grp[name], uniq).astype(np.float64)[inv]
        for name in ("syn_weight", "delay"):
            bad = np.isnan(values[name])
            if bad.any():
                raise ConfigurationError(
                    f"SONATA: {self.where()}: edge type "
                    f"{int(etype[bad][0])} gives no {name} (neither a column of the edge "
                    f"types file, its dynamics_params, nor a dataset of the edge's group)")
        nsyns = np.where(np.isnan(values["nsyns"]), 1.0, values["nsyns"])
        out["weight"] = values["syn_weight"] * nsyns
        out["delay"] = values["delay"]
        if self.receptor_column and n:
            out["receptor"] = self._type_column(etype, "receptor_type")
        out["etype"] = etype
        return out

    def receptor(self, values):
        """int8 per edge: 0 excitatory, 1 inhibitory."""
        inh = values["weight"] < 0
        if "receptor" in values:
            rec = values["receptor"]
            named = np.array([r is not None for r in rec], bool)
            inh = np.where(named, np.array([r == "inhibitory" for r in rec], bool), inh)
            bad = named & ~np.array([r in ("excitatory", "inhibitory") for r in rec], bool)
            if bad.any():
                raise ConfigurationError(
                    f"SONATA: {self.where()}: receptor_type {rec[bad][0]!r}; spinn's "
                    f"receptors are 'excitatory' and 'inhibitory'")
        return inh.astype(np.int8)

    # -- the mapping's scan --------------------------------------------------------------
    def scan(self, comm, npc, share=True):
        """The core pairs of every (source part, target part, receptor) this population
        connects, the extremes of its weights and delays and its edge types: {(sp, tp, r):
        ((i, j, count), (w_min, w_max, d_min, d_max, edge type ids))}, the same on every
        rank.  npc: (source
        neurons per core of each part, target ones).  Rank r reads chunks r, r + N, …
        (share=False: every chunk, as a rehearsal must)."""
        import h5py

        n_chunks = -(-self.size // CHUNK)
        mine = range(comm.rank, n_chunks, comm.size) if share else range(n_chunks)
        src_npc, tgt_npc = (np.asarray(n, np.int64) for n in npc)
        # core numbers are below these (parts of the source / target population)
        ci = int(max(-(-p.size // n) for p, n in zip(self.source.parts, src_npc)))
        cj = int(max(-(-p.size // n) for p, n in zip(self.target.parts, tgt_npc)))
        nt = len(self.target.parts)
        keys, lo_hi, ranges = [], {}, []
        with h5py.File(self.path, "r") as f:
            for c in mine:
                v = self.read(f, slice(c * CHUNK, min(self.size, (c + 1) * CHUNK)))
                lo_hi[c] = (int(v["target"].min()), int(v["target"].max()))
                sp, si = self.source.locate(v["source"], self.where())
                tp, ti = self.target.locate(v["target"], self.where())
                r = self.receptor(v)
                combo = (sp * nt + tp) * 2 + r
                i = si // src_npc[sp]
                j = ti // tgt_npc[tp]
                # one int64 key per edge: (combo, pre core, post core)
                flat, cnt = np.unique((combo * ci + i) * cj + j, return_counts=True)
                keys.append((np.stack([flat // (ci * cj), flat // cj % ci, flat % cj]), cnt))
                for c_ in np.unique(combo).tolist():
                    m = combo == c_
                    w, d = v["weight"][m], v["delay"][m]
                    ranges.append((c_, float(w.min()), float(w.max()), float(d.min()),
                                   float(d.max()), tuple(np.unique(v["etype"][m]).tolist())))
        parts = comm.allgather(keys) if share else [keys]
        lo_hi_all = comm.allgather(lo_hi) if share else [lo_hi]
        spans = {}
        for rank_ranges in (comm.allgather(ranges) if share else [ranges]):
            for c_, wlo, whi, dlo, dhi, et in rank_ranges:
                a = spans.get(c_, (np.inf, -np.inf, np.inf, -np.inf, ()))
                spans[c_] = (min(a[0], wlo), max(a[1], whi), min(a[2], dlo), max(a[3], dhi),
                             tuple(sorted(set(a[4]) | set(et))))
        cols, counts = [], []
        for rank_keys in parts:
            for k, cnt in rank_keys:
                cols.append(k)
                counts.append(cnt)
        self.chunk_lo = np.full(n_chunks, -1, np.int64)
        self.chunk_hi = np.full(n_chunks, -1, np.int64)
        for d in lo_hi_all:
            for c, (a, b) in d.items():
                self.chunk_lo[c], self.chunk_hi[c] = a, b
        if not cols:
            return {}
        k = np.concatenate(cols, axis=1)
        cnt = np.concatenate(counts)
        uniq, inv = np.unique(k, axis=1, return_inverse=True)
        total = np.bincount(inv.ravel(), weights=cnt, minlength=uniq.shape[1])
        out = {}
        for combo in np.unique(uniq[0]).tolist():
            m = uniq[0] == combo
            sp, rest = divmod(combo, 2 * nt)
            tp, r = divmod(rest, 2)
            out[(int(sp), int(tp), int(r))] = ((uniq[1][m].astype(np.int64),
                                                uniq[2][m].astype(np.int64),
                                                total[m].astype(np.float64)), spans[combo])
        return out

    # -- the build's reads ---------------------------------------------------------------
    def edges_into(self, f, node_ids):
        """Sorted int64 ids of the edges whose target is one of node_ids (sorted)."""
        if node_ids.size == 0:
            return np.empty(0, np.int64)
        g = f["edges"][self.name]
        lo, hi = int(node_ids[0]), int(node_ids[-1])
        if self.index is not None:
            n2r = np.asarray(g[self.index[0]][lo:hi + 1], np.int64)[node_ids - lo]
            n2r = n2r[n2r[:, 1] > n2r[:, 0]]
            if not n2r.size:
                return np.empty(0, np.int64)
            rows = np.unique(_expand(n2r[:, 0], n2r[:, 1]))
            ranges = _take(g[self.index[1]], rows).astype(np.int64).reshape(-1, 2)
            return np.unique(_expand(ranges[:, 0], ranges[:, 1]))
        hit = np.flatnonzero((self.chunk_hi >= lo) & (self.chunk_lo <= hi))
        if hit.size > 4 and not self.warned:
            self.warned = True
            warnings.warn(
                f"SONATA: {self.where()} has no indices/target_to_source and is not sorted "
                f"by target: each post core reads {hit.size} of its {self.chunk_lo.size} "
                f"chunks (bmtk's save_edges writes the index)", stacklevel=2)
        out = []
        tgt = g["target_node_id"]
        for c in hit.tolist():
            a = c * CHUNK
            t = np.asarray(tgt[a:min(self.size, a + CHUNK)], np.int64)
            k = np.flatnonzero(np.isin(t, node_ids))
            out.append(k + a)
        return np.concatenate(out) if out else np.empty(0, np.int64)


class SonataEdgesConnector(Connector):
    """The synapses of one (source part, target part, receptor) of a SONATA edge population;
    made by spinn.sonata, which knows its core pairs from the file's scan."""

    def __init__(self, edges, source_part, target_part, receptor, pairs, spans, weight_scale,
                 magnitude):
        self._edges = edges
        self._sp, self._tp, self._r = source_part, target_part, receptor
        self._pairs = pairs
        self._scale, self._magnitude = weight_scale, magnitude
        self.n_connections = int(round(float(pairs[2].sum())))
        self.edges = f"{os.path.basename(edges.path)}:{edges.name}"
        self.receptor = "inhibitory" if receptor else "excitatory"
        # the extremes of the weights and delays, for the projection's checks and the
        # mapping's delay range (the synapses themselves are read at the build)
        w = np.array(spans[:2]) * weight_scale
        self._columns = {"weight": np.abs(w) if magnitude else w,
                         "delay": np.array(spans[2:4], np.float64)}

    @property
    def columns(self):
        return self._columns

    def core_pairs(self, pre, post):
        return self._pairs

    def connect(self, ctx):
        import h5py

        e = self._edges
        tpart = e.target.parts[self._tp]
        node_ids = tpart.node_ids(ctx.post_ids)
        key = (self._tp, ctx.post_core)
        if e.last is None or e.last[0] != key:
            # the core's edges, read once for every projection of this edge population
            # onto it (the build asks projection after projection for the same core)
            with h5py.File(e.path, "r") as f:
                v = e.read(f, e.edges_into(f, node_ids))
            sp, si = e.source.locate(v["source"], e.where())
            tp, ti = e.target.locate(v["target"], e.where())
            e.last = (key, v, sp, si, tp, ti, e.receptor(v))
        _, v, sp, si, tp, ti, rec = e.last
        keep = (sp == self._sp) & (tp == self._tp) & (rec == self._r)
        w = v["weight"][keep] * self._scale
        if self._magnitude:
            w = np.abs(w)
        return si[keep], ti[keep], {"weight": w, "delay": v["delay"][keep]}
