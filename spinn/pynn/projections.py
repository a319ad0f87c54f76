"""PyNN's Projection (pyNN.common) over spinn's native projections.

The connectors that spinn generates natively (all-to-all, one-to-one, fixed probability,
fixed number pre/post, fixed total number, from list, array, distance-dependent) are mapped
onto them, so no rank builds a connection matrix and the result is the same on any number of
ranks; a connector's ``rng`` gives the seed of its streams.  Weights keep PyNN's signs
(current-based inhibitory weights negative), as spinn's native API does.
"""

import copy

import numpy as np
from pyNN import common
from pyNN import connectors as pc
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

import spinn
from spinn import api
from spinn.errors import ConfigurationError
from spinn.pynn import simulator
from spinn.pynn.nest_models import nest_stdp
from spinn.pynn.populations import Assembly, PopulationView
from spinn.pynn.standardmodels import StaticSynapse, STDPMechanism
from spinn.pynn.values import native_value


def _seed(connector):
    rng = getattr(connector, "rng", None)
    seed = getattr(rng, "seed", None)
    return None if seed is None else int(seed) % (1 << 32)


def native_connector(c, owner, projection=None):
    """The spinn connector that generates what the PyNN connector ``c`` describes
    (projection: the PyNN projection, which PyNN's index-based expressions read)."""
    self_ok = getattr(c, "allow_self_connections", True)
    if self_ok == "NoMutual":
        raise ConfigurationError(f"{owner}: allow_self_connections='NoMutual' is not supported")
    n = getattr(c, "n", None)
    if n is not None and not isinstance(n, (int, np.integer)):
        raise ConfigurationError(
            f"{owner}: {type(c).__name__}(n={n!r}): spinn takes a whole number n")
    if isinstance(c, pc.AllToAllConnector):
        out = spinn.AllToAllConnector(allow_self_connections=self_ok)
    elif isinstance(c, pc.OneToOneConnector):
        out = spinn.OneToOneConnector()
    elif isinstance(c, pc.FixedProbabilityConnector):
        out = spinn.FixedProbabilityConnector(c.p_connect, allow_self_connections=self_ok)
    elif isinstance(c, pc.FixedTotalNumberConnector):
        out = spinn.FixedTotalNumberConnector(int(n), allow_self_connections=self_ok,
                                              with_replacement=c.with_replacement)
    elif isinstance(c, pc.FixedNumberPreConnector):
        out = spinn.FixedNumberPreConnector(int(n), allow_self_connections=self_ok,
                                            with_replacement=c.with_replacement)
    elif isinstance(c, pc.FixedNumberPostConnector):
        out = spinn.FixedNumberPostConnector(int(n), allow_self_connections=self_ok,
                                             with_replacement=c.with_replacement)
    elif isinstance(c, pc.IndexBasedProbabilityConnector):    # incl. DisplacementDependent
        expr = copy.copy(c.index_expression)
        expr.projection = projection
        out = spinn.IndexBasedProbabilityConnector(expr, allow_self_connections=self_ok)
    elif isinstance(c, pc.CloneConnector):
        ref = getattr(c.reference_projection, "native", None)
        if ref is None:
            raise ConfigurationError(
                f"{owner}: CloneConnector's reference is not a spinn.pynn Projection")
        post = projection.post.native if projection is not None else None
        if post is not None and (post.parent is not ref.post.parent or not np.array_equal(
                post.parent_ids, ref.post.parent_ids)):
            raise ConfigurationError(
                f"{owner}: CloneConnector onto other neurons than its reference's "
                f"({ref.post}) is not supported yet: spinn draws connections per post core")
        return spinn.CloneConnector(ref)
    elif isinstance(c, pc.FromFileConnector):
        if c.distributed:
            raise ConfigurationError(
                f"{owner}: FromFileConnector(distributed=True) splits the file by PyNN's "
                f"ranks, which are not spinn's cores; give one file (every rank reads it)")
        columns = [n for n in c.file.get_metadata().get("columns", ("weight", "delay"))
                   if n not in ("i", "j")]
        out = spinn.FromListConnector(c.file.read(), column_names=columns)
    elif isinstance(c, pc.FromListConnector):
        out = spinn.FromListConnector(c.conn_list, column_names=list(c.column_names))
    elif isinstance(c, pc.ArrayConnector):
        out = spinn.ArrayConnector(np.asarray(c.array))
    elif type(c).__name__ == "CSAConnector" and hasattr(c, "cset"):
        return spinn.CSAConnector(c.cset)
    elif isinstance(c, pc.SmallWorldConnector):
        out = spinn.SmallWorldConnector(float(c.d_expression.split("<")[1]), c.rewiring,
                                        allow_self_connections=self_ok,
                                        n_connections=c.n_connections)
    elif isinstance(c, pc.DistanceDependentProbabilityConnector):
        if not isinstance(c.d_expression, str):
            raise ConfigurationError(
                f"{owner}: DistanceDependentProbabilityConnector with a function; give the "
                f"expression as a string of d")
        out = spinn.DistanceDependentProbabilityConnector(c.d_expression,
                                                          allow_self_connections=self_ok)
    else:
        raise ConfigurationError(
            f"{owner}: {type(c).__name__} is not supported by spinn.pynn yet; use one of "
            f"AllToAll, OneToOne, FixedProbability, FixedNumberPre/Post, FixedTotalNumber, "
            f"FromList, FromFile, Array, DistanceDependentProbability, IndexBasedProbability, "
            f"DisplacementDependentProbability, SmallWorld, CSA or Clone")
    seed = _seed(c)
    if seed is not None:
        out.seed = seed
    return out


def _components(p):
    """[(native population or view, offset in p)] — one entry unless p is an Assembly."""
    if not isinstance(p, Assembly):
        return [(p.native, 0)]
    out, at = [], 0
    for q in p.populations:
        out.append((q.native, at))
        at += q.size
    return out


def _split_connector(c, owner, pre_off, pre_n, post_off, post_n):
    """The part of a pairwise connector between one component of each side, or None when it
    has no synapses there."""
    if isinstance(c, pc.AllToAllConnector):
        return native_connector(c, owner)
    if isinstance(c, pc.FixedProbabilityConnector):
        return native_connector(c, owner)
    if isinstance(c, pc.FromListConnector) and not isinstance(c, pc.FromFileConnector):
        rows = np.asarray(c.conn_list, np.float64)
        if rows.size == 0:
            return None
        i, j = rows[:, 0], rows[:, 1]
        mine = (i >= pre_off) & (i < pre_off + pre_n) & (j >= post_off) & (j < post_off + post_n)
        if not mine.any():
            return None
        part = rows[mine].copy()
        part[:, 0] -= pre_off
        part[:, 1] -= post_off
        return spinn.FromListConnector(part, column_names=list(c.column_names))
    if isinstance(c, pc.ArrayConnector):
        block = np.asarray(c.array)[pre_off:pre_off + pre_n, post_off:post_off + post_n]
        return spinn.ArrayConnector(block) if block.any() else None
    raise ConfigurationError(
        f"{owner}: {type(c).__name__} between Assemblies is not supported; an Assembly "
        f"projection takes AllToAll, FixedProbability, FromList or Array (connectors whose "
        f"pairs are independent), or make one projection per population")


def _nest_scale(post):
    """NEST's weight unit on the target model → spinn's (pA → nA, nS → µS, mV → mV)."""
    cells = post.populations if isinstance(post, Assembly) else [post]
    scales = {getattr(c.celltype, "nest_weight_scale", None) or (
        1.0 if getattr(c.celltype.native, "weight_unit", "") == "mV" else 0.001) for c in cells}
    if len(scales) != 1:
        raise ConfigurationError(
            "a NEST static_synapse onto target models whose weight units differ: split the "
            "projection by target model")
    return scales.pop()


def _nest_tau_minus(post, owner):
    """The one tau_minus (ms) of NEST cells a stdp_synapse projection targets."""
    cells = post.populations if isinstance(post, Assembly) else [post]
    values = set()
    for c in cells:
        root = c.grandparent if isinstance(c, PopulationView) else c
        extra = getattr(root, "_nest_extra", None)
        if not extra or "tau_minus" not in extra:
            raise ConfigurationError(
                f"{owner}: a NEST stdp_synapse onto {root.celltype.__class__.__name__} cells; "
                f"it needs NEST cells (sim.native_cell_type(...)) whose tau_minus it uses")
        values.update(np.unique(np.ravel(extra["tau_minus"])).tolist())
    if len(values) != 1:
        raise ConfigurationError(
            f"{owner}: a NEST stdp_synapse onto cells of different tau_minus "
            f"({', '.join(f'{v:g}' for v in sorted(values))} ms); spinn takes one per "
            f"projection: split it by target")
    return values.pop()


def _scaled(dist, factor, owner):
    """factor × a native distribution, for the families closed under it (uniform, normal and
    the clipped normals for any factor; exponential, gamma and lognormal for factor > 0)."""
    p, name = dict(dist.parameters), dist.name
    if name in ("uniform", "normal", "normal_clipped", "normal_clipped_to_boundary"):
        for k in ("mu", "sigma", "low", "high"):
            if k in p:
                p[k] *= factor
        if factor < 0:
            if "sigma" in p:
                p["sigma"] = -p["sigma"]
            if "low" in p:
                p["low"], p["high"] = p["high"], p["low"]
        return spinn.RandomDistribution(name, p)
    if factor > 0 and name in ("exponential", "gamma"):
        p["beta" if name == "exponential" else "theta"] *= factor
        return spinn.RandomDistribution(name, p)
    if factor > 0 and name == "lognormal":
        p["mu"] += np.log(factor)
        return spinn.RandomDistribution(name, p)
    raise ConfigurationError(
        f"{owner}: a NEST weight distribution {name!r} cannot be converted to spinn's units "
        f"(× {factor:g}); use uniform, normal or normal_clipped")


def _nest_units(connector, owner, scale):
    """A FromList connector's weight column in spinn's units (× scale)."""
    if isinstance(connector, pc.FromListConnector) and "weight" in list(
            getattr(connector, "column_names", ())):
        rows = np.array(connector.conn_list, np.float64, copy=True)
        k = 2 + list(connector.column_names).index("weight")
        rows[:, k] *= scale
        out = pc.FromListConnector.__new__(pc.FromListConnector)
        out.__dict__.update(connector.__dict__)
        out.conn_list = rows
        return out
    return connector


def _by_sign(conn, native_syn, post, owner):
    """NEST's convention: a negative weight is inhibitory.  [(connector, synapse, receptor,
    label)]: the excitatory and the inhibitory part (a conductance keeps its magnitude, a
    current its negative sign — spinn's and PyNN's convention)."""
    cond = post.parent.celltype.conductance_based
    w = native_syn.weight
    if isinstance(conn, spinn.FromListConnector) and "weight" in conn.columns:
        col = np.asarray(conn.columns["weight"], np.float64)
        out = []
        rows = np.column_stack([conn.pre, conn.post,
                                *[conn.columns[n] for n in conn.column_names]])
        for receptor, mask in (("excitatory", col >= 0), ("inhibitory", col < 0)):
            if mask.any():
                part = rows[mask].copy()
                if receptor == "inhibitory" and cond:
                    k = 2 + conn.column_names.index("weight")
                    part[:, k] = np.abs(part[:, k])
                out.append((spinn.FromListConnector(part, column_names=conn.column_names),
                            native_syn, receptor, None))
        return out
    if isinstance(w, spinn.RandomDistribution):
        lo, hi = w.support()
        if lo < 0 < hi:
            raise ConfigurationError(
                f"{owner}: a NEST weight distribution of both signs; give one sign")
        negative = hi <= 0
    else:
        negative = float(np.min(w)) < 0
    if negative and cond:
        native_syn = spinn.StaticSynapse(weight=_scaled(w, -1.0, owner) if isinstance(
            w, spinn.RandomDistribution) else -np.asarray(w), delay=native_syn.delay)
    return [(conn, native_syn, "inhibitory" if negative else "excitatory", None)]


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space,
                                   label)
        owner = f"Projection '{self.label}'"
        if space is not None and getattr(space, "axes", None) is not None and \
                tuple(np.atleast_1d(space.axes)) not in ((0, 1, 2), ()) or \
                getattr(space, "periodic_boundaries", None) is not None:
            raise ConfigurationError(f"{owner}: a Space with axes or periodic boundaries is "
                                     f"not supported yet")
        syn = self.synapse_type
        if not isinstance(syn, StandardSynapseType):
            raise ConfigurationError(f"{owner}: synapse type {syn!r} is not spinn's")
        ps = syn.native_parameters
        values = {k: native_value(ps[k], owner, k, per_synapse=True)
                  for k in ("weight", "delay")}
        if isinstance(syn, STDPMechanism):
            td, wd = syn.timing_dependence, syn.weight_dependence
            if not hasattr(td, "native") or not hasattr(wd, "native"):
                raise ConfigurationError(
                    f"{owner}: {type(td).__name__}/{type(wd).__name__} is not supported; use "
                    f"SpikePairRule with Additive, Multiplicative or GutigWeightDependence")
            tn = {k: native_value(td.native_parameters[k], owner, k)
                  for k in td.native_parameters.keys()}
            wn = {k: native_value(wd.native_parameters[k], owner, k)
                  for k in wd.native_parameters.keys()}
            native_syn = spinn.STDPMechanism(
                timing_dependence=td.native(**tn), weight_dependence=wd.native(**wn),
                weight=values["weight"], delay=values["delay"])
        else:
            native_syn = spinn.StaticSynapse(weight=values["weight"], delay=values["delay"])
        pres = _components(presynaptic_population)
        posts = _components(postsynaptic_population)
        self._parts = []        # (native projection, pre offset, post offset)
        signed = getattr(syn, "nest_signed_weights", False)
        if signed:
            scale = _nest_scale(postsynaptic_population)
            connector = _nest_units(connector, owner, scale)
            w = native_syn.weight
            w = _scaled(w, scale, owner) if isinstance(w, spinn.RandomDistribution) \
                else w * scale
            if getattr(syn, "nest_stdp", False):
                if isinstance(connector, pc.FromListConnector) and "weight" in list(
                        getattr(connector, "column_names", ())) and np.min(np.asarray(
                            connector.conn_list, np.float64)[:, 2 + list(
                                connector.column_names).index("weight")]) < 0:
                    raise ConfigurationError(
                        f"{owner}: a NEST stdp_synapse with negative weights in its list; "
                        f"spinn's plastic synapses take positive weights (excitatory)")
                params = {k: native_value(ps[k], owner, k) for k in ps.keys()
                          if k not in ("weight", "delay")}
                native_syn = nest_stdp(dict(params, weight=w, delay=native_syn.delay),
                                       _nest_tau_minus(postsynaptic_population, owner),
                                       scale, owner)
            else:
                native_syn = spinn.StaticSynapse(weight=w, delay=native_syn.delay)
        if len(pres) == 1 and len(posts) == 1 and not (
                signed and isinstance(connector, pc.FromListConnector)):
            conn = native_connector(connector, owner, self)
            pieces = _by_sign(conn, native_syn, posts[0][0], owner) if signed else \
                [(conn, native_syn, self.receptor_type, None)]
            for c, syn_part, receptor, _ in pieces:
                label = f"{self.label} ({receptor})" if signed else self.label
                self._parts.append((api.Projection(
                    pres[0][0], posts[0][0], c, syn_part, receptor_type=receptor,
                    label=api.current().free_label("projection", label)), 0, 0))
            return
        if any(np.ndim(v) > 0 for v in values.values() if not isinstance(
                v, spinn.RandomDistribution)):
            raise ConfigurationError(
                f"{owner}: weight or delay arrays on an Assembly projection are not supported; "
                f"give numbers, distributions or FromList columns")
        for a, (pre, po) in enumerate(pres):
            for b, (post, qo) in enumerate(posts):
                part = _split_connector(connector, owner, po, pre.size, qo, post.size)
                if part is None:
                    continue
                name = self.label if len(pres) == len(posts) == 1 else \
                    f"{self.label} [{a}, {b}]"
                pieces = _by_sign(part, native_syn, post, owner) if signed else \
                    [(part, native_syn, self.receptor_type, name)]
                for conn, syn_part, receptor, label in pieces:
                    if signed:
                        label = f"{name} ({receptor})"
                    self._parts.append((api.Projection(
                        pre, post, conn, syn_part, receptor_type=receptor,
                        label=api.current().free_label("projection", label)), po, qo))

    @property
    def native(self):
        """The spinn native Projection underneath (one; an Assembly projection has a part
        per pair of populations: ``native_parts``)."""
        if len(self._parts) != 1:
            raise ConfigurationError(
                f"Projection '{self.label}' connects Assemblies: it has {len(self._parts)} "
                f"native parts (native_parts), not one")
        return self._parts[0][0]

    @property
    def native_parts(self):
        return [p for p, _, _ in self._parts]

    def _built(self):
        net = api.current()
        if not net.frozen:
            api.build()

    def __len__(self):
        return self.size(gather=False)

    def size(self, gather=True):
        """Number of synapses (builds the network first if needed: COLLECTIVE then)."""
        self._built()
        return int(sum(p.size() for p, _, _ in self._parts))

    def __iter__(self):
        for i, j, w, d in self.get(["weight", "delay"], format="list", with_address=True):
            yield common.projections.Connection(self, i, j, weight=w, delay=d) \
                if hasattr(common.projections, "Connection") else (i, j, w, d)

    def set(self, **attributes):
        """New weight and/or delay of every synapse (number, array, RandomDistribution):
        before the first run, or weights of static synapses between runs (spinn's
        Projection.set); in NEST's units and signs for NEST's synapse types."""
        unknown = set(attributes) - {"weight", "delay"}
        if unknown:
            raise ConfigurationError(
                f"Projection '{self.label}': set({', '.join(sorted(unknown))}=…): spinn sets "
                f"'weight' and 'delay' (the STDP parameters are fixed at creation)")
        owner = f"Projection '{self.label}'"
        values = {}
        for k, v in attributes.items():
            if callable(v) or isinstance(v, str):
                raise ConfigurationError(
                    f"{owner}: set({k}=…) with a function or an expression is not supported "
                    f"yet; give a number, an array or a RandomDistribution")
            values[k] = native_value(v, owner, k, per_synapse=True)
        nest = getattr(self.synapse_type, "nest_signed_weights", False)
        if nest and "weight" in values:           # NEST's unit and sign → spinn's
            scale = _nest_scale(self.post)
            w = values["weight"]
            values["weight"] = _scaled(w, scale, owner) if isinstance(
                w, spinn.RandomDistribution) else np.asarray(w, np.float64) * scale
        for p, _, _ in self._parts:
            part = dict(values)
            if nest and "weight" in part and p.receptor_type == "inhibitory" and \
                    p.post.celltype.conductance_based and \
                    not isinstance(part["weight"], spinn.RandomDistribution):
                part["weight"] = np.abs(part["weight"])     # a conductance's magnitude
            p.set(**part)

    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum"):
        """Weights (PyNN's signs) and delays of every synapse, as PyNN returns them.  The
        network is built first if it is not yet.  COLLECTIVE on several ranks: every rank
        gets all synapses (gather=False: this rank's)."""
        single = isinstance(attribute_names, str)
        names = [attribute_names] if single else list(attribute_names)
        for n in names:
            if n not in ("weight", "delay"):
                raise ConfigurationError(
                    f"Projection '{self.label}': get({n!r}): spinn gives 'weight' and 'delay'")
        self._built()
        gather = bool(gather)
        nest = getattr(self.synapse_type, "nest_signed_weights", False)
        back = 1.0 / _nest_scale(self.post) if nest else 1.0
        cols = []
        for n in names:
            rows = [(i + po, j + qo, v, p.receptor_type == "inhibitory")
                    for p, po, qo in self._parts for i, j, v in p.get(n, "list", gather)]
            if len(self._parts) > 1:
                rows.sort(key=lambda r: (r[0], r[1]))      # stable: a multapse keeps its order
            if n == "weight" and nest:     # NEST's units; inhibitory negative, conductances too
                rows = [(i, j, -abs(v) * back if inh else v * back) for i, j, v, inh in rows]
            else:
                rows = [(i, j, v) for i, j, v, _ in rows]
            cols.append(rows)
        if format == "list":
            rows = [(i, j, *[c[k][2] for c in cols]) for k, (i, j, _) in enumerate(cols[0])]
            if not with_address:
                rows = [r[2:] for r in rows]
                if single:
                    rows = [r[0] for r in rows]
            return rows
        if format == "array":
            if multiple_synapses not in common.Projection.MULTI_SYNAPSE_OPERATIONS:
                raise ValueError("`multiple_synapses` argument must be one of {}".format(
                    list(common.Projection.MULTI_SYNAPSE_OPERATIONS)))
            out = []
            for c in cols:
                a = np.full((self.pre.size, self.post.size), np.nan)
                if c:
                    i, j, v = (np.asarray(x) for x in zip(*c))
                    i, j = i.astype(np.int64), j.astype(np.int64)
                    if multiple_synapses == "sum":
                        a[i, j] = 0.0
                        np.add.at(a, (i, j), v)
                    elif multiple_synapses in ("min", "max"):
                        a[i, j] = -np.inf if multiple_synapses == "max" else np.inf
                        (np.maximum if multiple_synapses == "max" else np.minimum).at(
                            a, (i, j), v)
                    else:                 # "first"/"last" of the synapses of a pair
                        flat = i * self.post.size + j
                        if multiple_synapses == "last":
                            flat, v = flat[::-1], v[::-1]
                        _, at = np.unique(flat, return_index=True)
                        a.flat[flat[at]] = v[at]
                out.append(a)
            return out[0] if single else out
        raise ValueError("format must be 'list' or 'array'")
