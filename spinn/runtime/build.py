"""Build one rank's state from the plan: neuron groups and the synaptic matrix.

Every random number drawn here comes from a stream keyed by what it describes —
(seed, purpose, population, core) or (seed, purpose, projection, post core) — never by rank,
so any rank count builds the same network.
"""

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.kernels.assemble import place, row_pointers, tally
from spinn.kernels.deliver import MAX_CORE_SIZE, pack_words, unpack_words
from spinn.kernels.params import compact_constants
from spinn.kernels.rng import seed_state
from spinn.model.connectors import ConnectContext

PURPOSE_CONNECT, PURPOSE_PARAM, PURPOSE_INIT, PURPOSE_POISSON, PURPOSE_SPLIT = 1, 2, 3, 4, 5
N_RECEPTORS = 2


def stream(seed, *key):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


class Group:
    """The local neurons of one population on this rank (rank-local [base, base + n))."""

    def __init__(self, pop, cores, core_lo, core_hi, base):
        self.pop, self.celltype = pop, pop.celltype
        self.cores = cores                                   # global core ids, ascending
        self.core_lo, self.core_hi = core_lo, core_hi        # population-relative bounds
        self.core_bounds = np.concatenate([[0], np.cumsum(core_hi - core_lo)]).astype(np.int64)
        self.base = int(base)
        self.n = int(self.core_bounds[-1])
        self.index = np.concatenate([np.arange(lo, hi) for lo, hi in zip(core_lo, core_hi)])
        self.rec_state = np.empty(0, np.int64)
        self.rec_lid = np.empty(0, np.int64)
        self.rec_buf = np.empty((1, 0, 0))
        self.rec_vars = []
        self.direct = None    # (target lid, weight, receptor, delay) of a direct input source


def per_core_values(value, seed, purpose, pop_index, name_index, cores, core_lo, core_hi):
    """float64[n] for the group's neurons from a scalar, a per-neuron array or a
    distribution (one stream per (population, core, variable))."""
    if isinstance(value, RandomDistribution):
        return np.concatenate([
            value.draw(stream(seed, purpose, pop_index, int(c), name_index), int(hi - lo))
            for c, lo, hi in zip(cores, core_lo, core_hi)])
    if np.ndim(value) == 0:
        return np.full(int(np.sum(core_hi - core_lo)), float(value))
    value = np.asarray(value, np.float64)
    return np.concatenate([value[lo:hi] for lo, hi in zip(core_lo, core_hi)])


def build_group(network, plan, pop, cores, base, keys):
    dt, seed = network.dt, network.seed
    g = Group(pop, cores, plan.core_lo[cores], plan.core_hi[cores], base)
    g.keys = keys
    ct = pop.celltype
    args = (seed, PURPOSE_PARAM, pop.index)
    if ct.name == "SpikeSourceArray":
        build_array_events(g, dt)
        g.S = np.empty((0, g.n))
        g.C = np.empty((0, g.n))
        return g
    P = {name: per_core_values(ct.values[name], *args, i, g.cores, g.core_lo, g.core_hi)
         for i, name in enumerate(ct.parameters)}
    g.C = np.ascontiguousarray(ct.prepare(P, dt), dtype=np.float64)
    if ct.compact_constants:
        g.C = compact_constants(g.C)
    g.S = np.zeros((len(ct.state), g.n))
    for i, (name, st) in enumerate(ct.state.items()):
        init = pop.initial_values.get(name, st.initial)
        if isinstance(init, str):
            g.S[i] = P[init]
        else:
            g.S[i] = per_core_values(init, seed, PURPOSE_INIT, pop.index, i, g.cores,
                                     g.core_lo, g.core_hi)
    if ct.name == "SpikeSourcePoisson":
        g.rng_state = np.stack([seed_state(seed, PURPOSE_POISSON, pop.index, int(c))
                                for c in g.cores]) if g.cores.size else np.zeros((0, 2),
                                                                                 np.uint64)
    return g


def build_array_events(g, dt):
    steps, lids, counts = [], [], []
    for k in range(g.cores.size):
        s, i, c = g.celltype.events(int(g.core_lo[k]), int(g.core_hi[k]), dt)
        steps.append(s)
        lids.append(i + g.core_bounds[k])
        counts.append(c)
    steps, lids, counts = (np.concatenate(x) for x in (steps, lids, counts))
    order = np.lexsort((lids, steps))
    g.ev_step = steps[order].astype(np.int64)
    g.ev_lid = lids[order].astype(np.int64)
    g.ev_count = np.minimum(counts[order], 0xFFFF).astype(np.int64)
    g.cursor = np.zeros(1, np.int64)


class SynapticMatrix:
    """Rows of this rank's post cores, looked up by source core (see kernels/deliver.py)."""

    def __init__(self, n_cores):
        self.mpt_lo = np.zeros(n_cores, np.int64)
        self.mpt_hi = np.zeros(n_cores, np.int64)
        self.blk_post_base = np.empty(0, np.int64)
        self.blk_row_base = np.empty(0, np.int64)
        self.row_ptr = np.zeros(1, np.int64)
        self.syn_word = np.empty(0, np.uint32)
        self.syn_weight = np.empty(0, np.float32)   # float64 in plastic matrices
        self.projection_counts = None

    @property
    def n_synapses(self):
        return int(self.syn_word.size)

    @property
    def nbytes(self):
        """Bytes of the synapses themselves: 8 per static synapse, 12 per plastic one."""
        return int(self.syn_word.nbytes + self.syn_weight.nbytes)

    @property
    def index_nbytes(self):
        """Bytes of the row index (row pointers, blocks, master population table)."""
        return int(self.row_ptr.nbytes + self.blk_post_base.nbytes + self.blk_row_base.nbytes
                   + self.mpt_lo.nbytes + self.mpt_hi.nbytes)


def endpoint_cores(endpoint, plan):
    """Core number (0.. within the parent population) of each index of a projection endpoint,
    and for each core the endpoint indices in it: (core_of int64[size], members list)."""
    pop = endpoint.parent
    lows = plan.core_lo[plan.core_pop == pop.index]
    core_of = np.searchsorted(lows, endpoint.parent_ids, side="right") - 1
    order = np.argsort(core_of, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(core_of, minlength=lows.size))])
    return core_of, [order[bounds[k]:bounds[k + 1]] for k in range(lows.size)]


def self_pre_index(pre, post):
    """int64[post.size]: pre index of the same neuron as each post index, or -1."""
    if pre.parent is not post.parent:
        return np.full(post.size, -1, np.int64)
    inverse = np.full(pre.parent.size, -1, np.int64)
    inverse[pre.parent_ids] = np.arange(pre.size)
    return inverse[post.parent_ids]


class Part:
    """The synapses of one projection onto one post core, as the connector and the synapse
    parameters gave them — the per-synapse arithmetic (source gid, packed word, sign) is left
    to the kernels (spinn/kernels/assemble.py), so no temporaries are made for it.

    pre, post   int64[n]: endpoint indices
    pre_map     int64[pre size]: parent index of each pre index (empty: the whole population)
    post_map    the same for post
    src_base    gid of the pre parent's first neuron
    index_base  what is subtracted from a post parent index to give the target's index
    receptor    receptor number
    delay       float (ms) or float64[n]
    weight      float or float64[n], multiplied by sign (-1 for stored inhibitory currents)
    """

    __slots__ = ("pre", "post", "pre_map", "post_map", "src_base", "index_base",
                 "receptor", "delay", "weight", "sign")

    def __init__(self, proj, pre, post, index_base, delay, weight, sign):
        self.pre, self.post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
        self.pre_map = _EMPTY if proj.pre is proj.pre.parent else proj.pre.parent_ids
        self.post_map = _EMPTY if proj.post is proj.post.parent else proj.post.parent_ids
        self.src_base = int(proj.pre.parent.gid_lo)
        self.index_base = int(index_base)
        self.receptor = int(proj.receptor)
        self.delay, self.weight, self.sign = delay, weight, float(sign)

    @property
    def size(self):
        return self.pre.size

    def source_args(self):
        return self.pre, self.pre_map, self.src_base, self.delay

    def target_args(self):
        return (self.post, self.post_map, self.index_base, self.receptor, self.weight,
                self.sign)

    def arrays(self, dt):
        """(source gid int64, word uint32 with the full delay, signed weight float64) —
        what the kernels compute, in numpy."""
        src = self.src_base + (self.pre_map[self.pre] if self.pre_map.size else self.pre)
        index = (self.post_map[self.post] if self.post_map.size else self.post) - \
            self.index_base
        d_steps = np.maximum(np.rint(np.asarray(self.delay) / dt), 1).astype(np.uint32)
        words = pack_words(index, self.receptor, np.broadcast_to(d_steps, self.pre.shape))
        w = self.sign * np.broadcast_to(np.asarray(self.weight, np.float64), self.pre.shape)
        return src, words, w


_EMPTY = np.empty(0, np.int64)


def generate_core_synapses(network, plan, core, caches, projections=None, signed=True):
    """Synapses onto one post core from the projections (default: all) into its population,
    in projection order: (pre_gid int64, index int64, weight float64, delay int64, receptor).
    signed: inhibitory current weights negated (static storage); plastic storage keeps them
    positive and applies the sign when transmitting."""
    parts, counts = core_synapse_parts(network, plan, core, caches, projections, signed)
    arrays = [p.arrays(network.dt) for p in parts]
    pre, words, w = (tuple(np.concatenate(x) for x in zip(*arrays)) if arrays else
                     (np.empty(0, np.int64), np.empty(0, np.uint32), np.empty(0)))
    idx, rec, d = unpack_words(words)
    return (pre, idx, w, d, rec), counts


def core_synapse_parts(network, plan, core, caches, projections, signed):
    """The synapses onto one post core, one Part per projection with synapses, in projection
    order; and {projection index: synapse count}.  Target indices are relative to the core."""
    pop = network.populations[plan.core_pop[core]]
    lo = int(plan.core_lo[core])
    core_number = int(core - np.flatnonzero(plan.core_pop == pop.index)[0])
    parts = []
    counts = {}
    for proj in network.projections if projections is None else projections:
        if proj.post.parent is not pop:
            continue
        cache = caches.setdefault(proj.index, {})
        if "post_cores" not in cache:
            cache["post_cores"] = endpoint_cores(proj.post, plan)
            cache["self_pre"] = self_pre_index(proj.pre, proj.post)
        post_core_of, members = cache["post_cores"]
        post_ids = members[core_number]
        if post_ids.size == 0:
            continue
        rng = stream(network.seed, PURPOSE_CONNECT, proj.index, int(core))
        ctx = ConnectContext(
            str(proj), proj.pre.size, proj.post.size, post_ids, cache["self_pre"],
            post_core_of, core_number, rng,
            lambda *key, _p=proj: stream(network.seed, PURPOSE_SPLIT, _p.index, *key),
            lambda _p=proj: (_p.pre.positions, _p.post.positions), cache)
        pre, post, columns = proj.connector.connect(ctx)
        counts[proj.index] = pre.size
        if pre.size == 0:
            continue
        w = synapse_values(proj, "weight", columns, rng, pre, post, 0.0, scalar=True)
        d = synapse_values(proj, "delay", columns, rng, pre, post, network.dt, scalar=True)
        sign = proj.sign if signed else 1
        parts.append(Part(proj, pre, post, lo, d, w, sign))
    return parts, counts


def synapse_values(proj, name, columns, rng, pre, post, default, scalar=False):
    """float64[n] values of one synapse parameter (a float when ``scalar`` allows it and the
    value is one number)."""
    if name in columns:
        return np.asarray(columns[name], np.float64)
    value = getattr(proj.synapse, name)
    if value is None:
        value = default
    if isinstance(value, RandomDistribution):
        return value.draw(rng, pre.size)
    if np.ndim(value) == 0:
        return float(value) if scalar else np.full(pre.size, float(value))
    return np.asarray(value, np.float64)[pre, post]


def core_groups(local_cores, plan, limit=MAX_CORE_SIZE):
    """Consecutive local cores grouped while a group holds at most ``limit`` neurons (the
    16-bit target index of a synapse word).  Returns int64[n_cores] group of each core (-1
    when not local) and the group count."""
    group = np.full(plan.n_cores, -1, np.int64)
    g, filled = -1, limit
    for core in local_cores:
        size = int(plan.core_hi[core] - plan.core_lo[core])
        if filled + size > limit:
            g, filled = g + 1, 0
        group[core] = g
        filled += size
    return group, g + 1


def _regenerated(cores):
    return (f"post core(s) {cores}: the synapses came out differently when generated a second "
            "time — a connector drawing from a random source not keyed by (projection, core)?")


def build_synapses(network, plan, local_cores, core_base, projections, plastic=False):
    """The synaptic matrices of these projections on this rank, one per delay stage (see
    mapping.plan.delay_stages): one row per (source neuron, local core group).  Static:
    float32 signed weights; plastic: float64 unsigned weights.  Delays in the words are the
    residual delays of their stage.

    Merging every local post core a source reaches into one row (per group of ≤ 65 536
    neurons) makes a spike's synapses one contiguous stream.  Inside a row the synapses stay
    in post-core order, then projection order, then generation order, so the synapses that
    share a target are summed in the same order on any rank count.  The rows are made by a
    counting sort (spinn/kernels/assemble.py) over two generations of every post core's
    synapses from the same streams: the first counts the rows, the second places each
    synapse.  Nothing is held between them, so the peak is the final rows plus one core's
    synapses — generating again costs less than holding them (fresh memory is slow to
    touch on the machines measured, README "Benchmarks") and halves the build's peak.
    """
    group, n_groups = core_groups(local_cores, plan)
    group_base = {int(group[c]): int(core_base[c]) for c in local_cores[::-1]}
    caches = {}
    proj_counts = np.zeros(len(network.projections), np.int64)
    gid_lo = plan.core_gid_lo
    gid_core = np.repeat(np.arange(plan.n_cores, dtype=np.int32),
                         (plan.core_hi - plan.core_lo).astype(np.int64))
    n_slots, stage_steps = int(plan.n_slots), int(plan.stage_steps)
    dt = float(network.dt)
    wdtype = np.float64 if plastic else np.float32

    def synapses(core):
        """The core's synapses, generated afresh, target indices in the group; and their
        counts per projection."""
        parts, counts = core_synapse_parts(network, plan, core, caches, projections,
                                           not plastic)
        for part in parts:
            part.index_base -= core_base[core] - group_base[int(group[core])]
        return parts, counts

    # pass 1, group by group: the synapses of each (stage, source) row, and the blocks
    exists = np.zeros((plan.n_stages, plan.n_cores, max(n_groups, 1)), bool)
    tallied = np.zeros((plan.n_stages, gid_core.size), np.int32)
    row_counts = {}                      # (stage, source core, group): int32 per source
    blk_sizes = (plan.core_hi - plan.core_lo).astype(np.int64)
    for g in range(n_groups):
        tallied.fill(0)
        for core in local_cores[group[local_cores] == g]:
            parts, counts = synapses(core)
            for part in parts:
                tally(*part.source_args(), dt, g, gid_core, n_slots, stage_steps, tallied,
                      exists)
            for k, v in counts.items():
                proj_counts[k] += v
        for st, c in zip(*np.nonzero(exists[:, :, g])):
            row_counts[st, c, g] = tallied[st, gid_lo[c]:gid_lo[c] + blk_sizes[c]].copy()
    del tallied
    # blocks in (stage, source core, group) order; a block has one row per source neuron
    blocks = np.flatnonzero(exists.ravel())
    blk_stage, blk_core, blk_group = np.unravel_index(blocks, exists.shape)
    blk_size = blk_sizes[blk_core]
    blk_row_base = np.zeros(blocks.size, np.int64)
    blk_row_base[1:] = np.cumsum(blk_size + 1)[:-1]
    n_rows = int((blk_size + 1).sum())
    counts = np.zeros(n_rows, np.int64)
    for b, key in enumerate(zip(blk_stage, blk_core, blk_group)):
        counts[blk_row_base[b]:blk_row_base[b] + blk_size[b]] = row_counts.pop(key)
    row_ptr = np.zeros(n_rows, np.int64)
    row_pointers(counts, blk_row_base, blk_size, row_ptr)
    del counts
    # pass 2, group by group: the same synapses again, each placed at its row's cursor
    n_syn = int(row_ptr[-1]) if n_rows else 0
    syn_word = np.empty(n_syn, np.uint32)
    syn_weight = np.empty(n_syn, wdtype)
    span = np.zeros((plan.n_stages, gid_core.size, 2), np.int64)   # [cursor, end) per row
    placed = 0
    for g in range(n_groups):
        span[:, :, 1] = 0        # rows of other groups are empty here
        for b in np.flatnonzero(blk_group == g):
            lo, base, size = gid_lo[blk_core[b]], blk_row_base[b], blk_size[b]
            span[blk_stage[b], lo:lo + size, 0] = row_ptr[base:base + size]
            span[blk_stage[b], lo:lo + size, 1] = row_ptr[base + 1:base + size + 1]
        for core in local_cores[group[local_cores] == g]:
            for part in synapses(core)[0]:
                placed += part.size
                # no row past its end, and as many synapses as counted: every row full
                if not place(*part.source_args(), *part.target_args(), dt, n_slots,
                             stage_steps, span, syn_word, syn_weight):
                    raise RuntimeError(_regenerated(core))
    if placed != n_syn:
        raise RuntimeError(_regenerated(local_cores))
    del span
    blk_post_base = np.array([group_base[g] for g in blk_group], np.int64)
    matrices = []
    for st in range(plan.n_stages):
        mat = SynapticMatrix(plan.n_cores)
        mat.syn_weight = np.empty(0, wdtype)
        b_lo, b_hi = np.searchsorted(blk_stage, [st, st + 1])
        if b_hi > b_lo:
            r_lo = blk_row_base[b_lo]
            r_hi = blk_row_base[b_hi - 1] + blk_size[b_hi - 1] + 1
            s_lo, s_hi = row_ptr[r_lo], row_ptr[r_hi - 1]
            mat.row_ptr = row_ptr[r_lo:r_hi] - s_lo
            mat.syn_word = syn_word[s_lo:s_hi]
            mat.syn_weight = syn_weight[s_lo:s_hi]
            mat.blk_row_base = blk_row_base[b_lo:b_hi] - r_lo
            mat.blk_post_base = blk_post_base[b_lo:b_hi]
            src = blk_core[b_lo:b_hi]
            cores = np.arange(plan.n_cores)
            mat.mpt_lo = np.searchsorted(src, cores, side="left").astype(np.int64)
            mat.mpt_hi = np.searchsorted(src, cores, side="right").astype(np.int64)
        matrices.append(mat)
    matrices[0].projection_counts = proj_counts
    return matrices
