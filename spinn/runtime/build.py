"""Build one rank's state from the plan: neuron groups and the synaptic matrix.

Every random number drawn here comes from a stream keyed by what it describes —
(seed, purpose, population, core) or (seed, purpose, projection, post core) — never by rank,
so any rank count builds the same network.
"""

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.errors import ConfigurationError
from spinn.kernels.assemble import block_totals, compact_rows, source_rows
from spinn.kernels.deliver import MAX_CORE_SIZE, pack_words, unpack_words
from spinn.kernels.grid import delay_steps_array
from spinn.kernels.params import compact_constants
from spinn.kernels.rng import seed_state
from spinn.model.connectors import ConnectContext
from spinn.model.cores import Members, SelfMap
from spinn.runtime.memory import small_pages
from spinn.runtime.rows import RowAssembly, row_shift

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
    g = Group(pop, cores, *plan.core_bounds(cores), base)
    g.keys = keys
    ct = pop.celltype
    if ct.name == "SpikeInjector":
        from spinn.dynamics.spike_injector import build_injector_events

        build_injector_events(g)
        g.S = np.empty((0, g.n))
        g.C = np.empty((0, g.n))
        return g
    if ct.name == "SpikeSourceArray":
        build_array_events(g, dt)
        g.S = np.empty((0, g.n))
        g.C = np.empty((0, g.n))
        return g
    P = group_parameters(g, network)
    g.C = np.ascontiguousarray(ct.prepare(P, dt), dtype=np.float64)
    if ct.compact_constants:
        g.C = compact_constants(g.C)
    g.S = initial_state(g, network, P)
    if ct.name == "SpikeSourcePoisson":
        g.rng_state = np.stack([seed_state(seed, PURPOSE_POISSON, pop.index, int(c))
                                for c in g.cores]) if g.cores.size else np.zeros((0, 2),
                                                                                 np.uint64)
    return g


def group_parameters(g, network):
    """{name: float64[n]} of the group's neurons (the same draws as at the build)."""
    ct, pop = g.pop.celltype, g.pop
    return {name: per_core_values(ct.values[name], network.seed, PURPOSE_PARAM, pop.index, i,
                                  g.cores, g.core_lo, g.core_hi)
            for i, name in enumerate(ct.parameters)}


def initial_state(g, network, P=None):
    """float64[n_state, n]: the group's state at t = 0 (initial values, the same draws as
    at the build; refractory counters and synaptic currents 0)."""
    pop, ct = g.pop, g.pop.celltype
    P = group_parameters(g, network) if P is None else P
    S = np.zeros((len(ct.state), g.n))
    for i, (name, st) in enumerate(ct.state.items()):
        init = pop.initial_values.get(name, st.initial)
        if isinstance(init, str):
            S[i] = P[init]
        else:
            S[i] = per_core_values(init, network.seed, PURPOSE_INIT, pop.index, i, g.cores,
                                   g.core_lo, g.core_hi)
    return S


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


class RankCores:
    """The cores a rank knows: its own and those whose packets it receives (plan.incoming).

    slot     int32[n_cores]: position of a core id among the known cores, -1 for the others —
             the one array over every core of the network a rank's build holds (4 B per core)
    ids      int64[n_known] known core ids, ascending
    size     int64[n_known] neurons of each known core
    gid_lo   int64[n_known] global id of its first neuron
    base     int64[n_known] rank-local index of its first neuron, -1 when not local:
             neuron cores first (in core order), then spike-source cores, so that the ring
             buffer covers [0, n_ring) — sources receive no synaptic input
    """

    def __init__(self, plan, is_source):
        """is_source: bool per population."""
        local = plan.local_cores()
        self.ids = np.union1d(local, plan.incoming).astype(np.int64)
        self.slot = np.full(plan.n_cores, -1, np.int32)
        self.slot[self.ids] = np.arange(self.ids.size, dtype=np.int32)
        lo, hi = plan.core_bounds(self.ids)
        self.size = (hi - lo).astype(np.int64)
        self.gid_lo = plan.core_gid_lo(self.ids)
        self.base = np.full(self.ids.size, -1, np.int64)
        source = np.asarray(is_source, bool)[plan.population_of(local)]
        order = local[np.argsort(source, kind="stable")]        # neurons, then sources
        sizes = self.size[self.slot[order]]
        self.base[self.slot[order]] = np.concatenate([[0], np.cumsum(sizes)[:-1]]) \
            if order.size else np.empty(0, np.int64)
        self.local = order                     # local cores in rank-local index order
        self.n_local = int(sizes.sum())
        self.n_ring = int(self.size[self.slot[local[~source]]].sum())   # the neurons

    @property
    def n_known(self):
        return int(self.ids.size)

    def local_base(self, cores):
        return self.base[self.slot[cores]]


class SynapticMatrix:
    """Rows of this rank's post cores, looked up by source core (see kernels/deliver.py)."""

    def __init__(self, n_known):
        self.mpt_lo = np.zeros(n_known, np.int64)
        self.mpt_hi = np.zeros(n_known, np.int64)
        self.blk_post_base = np.empty(0, np.int64)
        self.blk_row_base = np.empty(0, np.int64)
        self.row_ptr = np.zeros(1, np.uint32)
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

    def arrays(self):
        return (self.mpt_lo, self.mpt_hi, self.blk_post_base, self.blk_row_base, self.row_ptr,
                self.syn_word, self.syn_weight)


class Endpoints:
    """What the build needs of one projection's endpoints, per rank, without arrays over the
    post population: its members per core, and which pre index is the same neuron as a post
    index."""

    def __init__(self, proj):
        self.pre = Members(proj.pre)
        self.post = Members(proj.post)
        self.self_map = SelfMap(proj.pre, proj.post)


class Part:
    """The synapses of one projection onto one post core, as the connector and the synapse
    parameters gave them — the per-synapse arithmetic (source row, packed word, sign) is left
    to the kernels (spinn/kernels/assemble.py), so no temporaries are made for it.

    proj        the projection's index
    pre, post   int64[n]: endpoint indices
    pre_map     int64[pre size]: parent index of each pre index (empty: the whole population)
    post_map    the same for post
    pre_pop     the pre parent population's index;  pre_npc its neurons per core
    src_base    gid of the pre parent's first neuron
    index_base  what is subtracted from a post parent index to give the target's index
    receptor    receptor number
    delay       float (ms) or float64[n]
    weight      float or float64[n] as given (negative for inhibitory currents), multiplied
                by sign (-1 there for the magnitudes that plastic storage keeps)
    """

    __slots__ = ("proj", "pre", "post", "pre_map", "post_map", "pre_pop", "pre_npc",
                 "src_base", "index_base", "receptor", "delay", "weight", "sign")

    def __init__(self, proj, pre, post, index_base, delay, weight, sign):
        self.proj = int(proj.index)
        self.pre, self.post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
        self.pre_map = _EMPTY if proj.pre is proj.pre.parent else proj.pre.parent_ids
        self.post_map = _EMPTY if proj.post is proj.post.parent else proj.post.parent_ids
        self.pre_pop = int(proj.pre.parent.index)
        self.pre_npc = int(proj.pre.parent.neurons_per_core)
        self.src_base = int(proj.pre.parent.gid_lo)
        self.index_base = int(index_base)
        self.receptor = int(proj.receptor)
        self.delay, self.weight, self.sign = delay, weight, float(sign)

    @property
    def size(self):
        return self.pre.size

    def source_args(self, row_base):
        return self.pre, self.pre_map, self.pre_npc, self.src_base, row_base, self.delay

    def target_args(self):
        return (self.delay, self.post, self.post_map, self.index_base, self.receptor,
                self.weight, self.sign)

    def arrays(self, dt):
        """(source gid int64, word uint32 with the full delay, signed weight float64) —
        what the kernels compute, in numpy."""
        src = self.src_base + (self.pre_map[self.pre] if self.pre_map.size else self.pre)
        index = (self.post_map[self.post] if self.post_map.size else self.post) - \
            self.index_base
        d_steps = delay_steps_array(self.delay, dt).astype(np.uint32)
        words = pack_words(index, self.receptor, np.broadcast_to(d_steps, self.pre.shape))
        w = self.sign * np.broadcast_to(np.asarray(self.weight, np.float64), self.pre.shape)
        return src, words, w


_EMPTY = np.empty(0, np.int64)


def generate_core_synapses(network, plan, core, caches, projections=None, signed=True):
    """Synapses onto one post core from the projections (default: all) into its population,
    in projection order: (pre_gid int64, index int64, weight float64, delay int64, receptor).
    signed: the weights as given, inhibitory current weights negative (PyNN's convention;
    static storage); unsigned: their magnitudes (plastic storage keeps those and applies the
    sign when transmitting)."""
    parts, counts = core_synapse_parts(network, plan, core, caches, projections, signed)
    arrays = [p.arrays(network.dt) for p in parts]
    pre, words, w = (tuple(np.concatenate(x) for x in zip(*arrays)) if arrays else
                     (np.empty(0, np.int64), np.empty(0, np.uint32), np.empty(0)))
    idx, rec, d = unpack_words(words)
    return (pre, idx, w, d, rec), counts


def core_synapse_parts(network, plan, core, caches, projections, signed):
    """The synapses onto one post core, one Part per projection with synapses, in projection
    order; and {projection index: synapse count}.  Target indices are relative to the core."""
    pop_index = int(plan.population_of(core))
    pop = network.populations[pop_index]
    lo = int(plan.core_bounds([core])[0][0])
    core_number = int(core - plan.pop_first_core[pop_index])
    parts = []
    counts = {}
    for proj in network.projections if projections is None else projections:
        if proj.post.parent is not pop:
            continue
        cache = caches.setdefault(proj.index, {})
        if "endpoints" not in cache:
            cache["endpoints"] = Endpoints(proj)
        ends = cache["endpoints"]
        post_ids = ends.post.in_core(core_number)
        if post_ids.size == 0:
            continue
        seed = connection_seed(network, proj)
        index = getattr(proj.connector, "stream_index", proj.index)    # a clone: its reference's
        rng = stream(seed, PURPOSE_CONNECT, index, int(core))
        ctx = ConnectContext(
            str(proj), proj.pre.size, proj.post.size, post_ids, core_number, ends.post.counts,
            rng, lambda *key, _i=index, _s=seed: stream(_s, PURPOSE_SPLIT, _i, *key),
            lambda _p=proj: (_p.pre.positions, _p.post.positions), cache,
            self_pre=ends.self_map if ends.self_map.possible else None,
            post_core_of=ends.post.core_of)
        pre, post, columns = proj.connector.connect(ctx)
        counts[proj.index] = pre.size
        if pre.size == 0:
            continue
        w = synapse_values(proj, "weight", columns, rng, pre, post, 0.0, scalar=True)
        d = synapse_values(proj, "delay", columns, rng, pre, post, network.dt, scalar=True)
        sign = 1 if signed else proj.sign     # proj.sign * weight = its magnitude
        parts.append(Part(proj, pre, post, lo, d, w, sign))
    return parts, counts


def connection_seed(network, proj):
    """The seed of a projection's connection streams: its connector's own (``seed``, e.g.
    from a PyNN connector's rng) or the network's."""
    seed = getattr(proj.connector, "seed", None)
    return network.seed if seed is None else int(seed)


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
    16-bit target index of a synapse word).  Returns int64[n_local] group of each local core
    and the group count."""
    group = np.empty(local_cores.size, np.int64)
    lo, hi = plan.core_bounds(local_cores)
    g, filled = -1, limit
    for k, size in enumerate((hi - lo).tolist()):
        if filled + size > limit:
            g, filled = g + 1, 0
        group[k] = g
        filled += size
    return group, g + 1


def _regenerated(cores):
    return (f"post core(s) {cores}: the synapses came out differently when generated a second "
            "time — a connector drawing from a random source not keyed by (projection, core)?")


def _stage_of(d, plan):
    over = d - plan.n_slots
    return -(-over // plan.stage_steps) if over > 0 else 0


def candidate_blocks(plan, cores, local_cores, group, n_groups, projections):
    """The blocks a rank may need, in (stage, source core, group) order: every incoming core
    whose population projects into a group's populations, at every stage the delays of those
    projections can reach.  Returns (stage, slot, group) int64 arrays."""
    pop_of_local = plan.population_of(local_cores)
    known_pop = plan.population_of(cores.ids)
    incoming = np.isin(cores.ids, plan.incoming)
    blk = []
    for g in range(n_groups):
        post_pops = set(pop_of_local[group == g].tolist())
        stages = {}
        for proj in projections:
            if proj.post.parent.index in post_pops:
                lo, hi = proj.delay_steps_range
                s = stages.setdefault(proj.pre.parent.index, np.zeros(plan.n_stages, bool))
                s[_stage_of(lo, plan):_stage_of(hi, plan) + 1] = True
        for pre_pop, mask in stages.items():
            slots = np.flatnonzero(incoming & (known_pop == pre_pop))
            for st in np.flatnonzero(mask):
                blk.append(np.stack([np.full(slots.size, st), slots, np.full(slots.size, g)]))
    if not blk:
        e = np.empty(0, np.int64)
        return e, e, e
    st, slot, g = np.concatenate(blk, axis=1).astype(np.int64)
    order = np.lexsort((g, slot, st))
    return st[order], slot[order], g[order]


def row_bases(plan, cores, blk_stage, blk_slot, blk_group, blk_row_base, g, pre_pop):
    """int64[n_stages, n_cores of pre_pop]: first row of each (stage, source core)'s block in
    group g, -1 where there is none."""
    first = int(plan.pop_first_core[pre_pop])
    n = int(plan.pop_first_core[pre_pop + 1]) - first
    out = np.full((plan.n_stages, n), -1, np.int64)
    mine = (blk_group == g) & (cores.ids[blk_slot] >= first) & (cores.ids[blk_slot] < first + n)
    out[blk_stage[mine], cores.ids[blk_slot[mine]] - first] = blk_row_base[mine]
    return out


MAX_ROW_SYNAPSES = (1 << 32) - 1   # row_ptr is uint32


@small_pages()
def build_synapses(network, plan, cores, projections, plastic=False, shift=None):
    """The synaptic matrices of these projections on this rank, one per delay stage (see
    mapping.plan.delay_stages): one row per (source neuron, local core group).  Static:
    float32 signed weights; plastic: float64 unsigned weights.  Delays in the words are the
    residual delays of their stage.

    Merging every local post core a source reaches into one row (per group of ≤ 65 536
    neurons) makes a spike's synapses one contiguous stream.  Inside a row the synapses stay
    in post-core order, then projection order, then generation order, so the synapses that
    share a target are summed in the same order on any rank count.  The rows are made by a
    counting sort (spinn/kernels/assemble.py) over two generations of every post core's
    synapses from the same streams: the first counts, the second places each synapse —
    directly at its row's cursor, or, when rows are short, staged by partitions of rows and
    then sorted partition by partition (spinn/runtime/rows.py; ``shift`` forces the
    partition width, 0 direct; the matrices are the same either way).  Nothing is held
    between the generations, so the peak is the final rows plus one core's synapses (staged:
    the larger of 1–2 bytes per synapse and the row index, the one given back as the other
    is written).  The row index covers the blocks of the source cores that reach this rank only
    (plan.incoming): 4 bytes per row of a source neuron, the only part of a rank's storage
    that grows with the network when its sources are spread over it.  Allocated in small
    pages (spinn.runtime.memory.small_pages: every page here is first touched at random).
    """
    local = cores.local       # rank-local index order: neuron cores, then sources
    group, n_groups = core_groups(local, plan)
    local_base = cores.local_base(local)
    group_base = {int(g): int(b) for g, b in zip(group[::-1], local_base[::-1])}
    caches = {}
    proj_counts = np.zeros(len(network.projections), np.int64)
    n_slots, stage_steps = int(plan.n_slots), int(plan.stage_steps)
    dt = float(network.dt)
    wdtype = np.float64 if plastic else np.float32

    def synapses(k):
        """Local core k's synapses, generated afresh, target indices in its group; and their
        counts per projection."""
        parts, counts = core_synapse_parts(network, plan, int(local[k]), caches, projections,
                                           not plastic)
        for part in parts:
            part.index_base -= local_base[k] - group_base[int(group[k])]
        return parts, counts

    # candidate blocks, then pass 1: every row's (or partition's) synapses counted
    blk_stage, blk_slot, blk_group = candidate_blocks(plan, cores, local, group, n_groups,
                                                      projections)
    blk_size = cores.size[blk_slot]
    blk_row_base = np.concatenate([[0], np.cumsum(blk_size)[:-1]]).astype(np.int64) \
        if blk_size.size else np.empty(0, np.int64)
    n_cand = int(blk_size.sum())
    if shift is None:
        shift = row_shift(plan.expected_local_synapses, n_cand)
    assembly = RowAssembly(n_cand, shift)
    scratch = [np.empty(0, np.int64)]       # each synapse's row, reused part after part

    def rows_of(part, base):
        """(rows int64[n], hash, missing) of a part's synapses."""
        if scratch[0].size < part.size:
            scratch[0] = np.empty(2 * part.size, np.int64)
        h, missing = source_rows(*part.source_args(base), dt, n_slots, stage_steps,
                                 scratch[0])
        return scratch[0], int(h), missing

    def generation(first):
        """(local core k, part, rows, hash, missing) of every part, group by group; the
        first generation also counts the synapses per projection."""
        for g in range(n_groups):
            bases = {}
            for k in np.flatnonzero(group == g):
                parts, counts = synapses(k)
                for part in parts:
                    if part.pre_pop not in bases:
                        bases[part.pre_pop] = row_bases(plan, cores, blk_stage, blk_slot,
                                                        blk_group, blk_row_base, g,
                                                        part.pre_pop)
                    yield (k, part, *rows_of(part, bases[part.pre_pop]))
                for j, v in counts.items() if first else ():
                    proj_counts[j] += v

    hashes = [0, 0]               # sums mod 2^64 of the rows each pass met
    for _k, part, r, h, missing in generation(True):
        assembly.count(r, part.size)
        if missing:
            raise RuntimeError(
                f"{network.projections[part.proj]}: {missing} synapse(s) "
                f"from a core the mapping did not route to rank {plan.rank} (a "
                f"connector generating pairs its core_pairs/block_factor excluded)")
        hashes[0] = (hashes[0] + h) % (1 << 64)
    n_syn = assembly.total()
    if n_syn > MAX_ROW_SYNAPSES:
        raise ConfigurationError(
            f"rank {plan.rank} would hold {n_syn:,} synapses, more than the 2^32 - 1 one rank "
            f"can index; run on more ranks")
    assembly.allocate(wdtype)
    # pass 2: the same synapses again, each placed where the counts put it
    placed_total = 0
    for k, part, r, h, missing in generation(False):
        placed_total += part.size
        if missing or not assembly.place(r, part.size, part.target_args(), dt, n_slots,
                                         stage_steps):
            raise RuntimeError(_regenerated(int(local[k])))
        hashes[1] = (hashes[1] + h) % (1 << 64)
    if placed_total != n_syn or hashes[0] != hashes[1] or not assembly.full():
        raise RuntimeError(_regenerated(local.tolist()))
    row_ptr = assembly.finish()
    syn_word, syn_weight = assembly.syn_word, assembly.syn_weight
    # drop the empty blocks' rows from the index
    keep = block_totals(row_ptr, blk_row_base, blk_size) > 0
    n_rows = compact_rows(row_ptr, blk_row_base, blk_size, keep)
    blk_stage, blk_slot, blk_group, blk_size = (x[keep] for x in (blk_stage, blk_slot,
                                                                  blk_group, blk_size))
    blk_row_base = np.concatenate([[0], np.cumsum(blk_size)[:-1]]).astype(np.int64) \
        if blk_size.size else np.empty(0, np.int64)
    row_ptr.resize(n_rows + 1, refcheck=False)      # shrinks in place (realloc), no copy
    blk_post_base = np.array([group_base[int(g)] for g in blk_group], np.int64)
    matrices = []
    for st in range(plan.n_stages):
        mat = SynapticMatrix(cores.n_known)
        mat.syn_weight = np.empty(0, wdtype)
        b_lo, b_hi = np.searchsorted(blk_stage, [st, st + 1])
        if b_hi > b_lo:
            r_lo = blk_row_base[b_lo]
            r_hi = blk_row_base[b_hi - 1] + blk_size[b_hi - 1]
            s_lo, s_hi = int(row_ptr[r_lo]), int(row_ptr[r_hi])
            # stage 0 starts at row 0 and synapse 0: a view, no copy of the row index
            mat.row_ptr = row_ptr[:r_hi + 1] if s_lo == 0 and r_lo == 0 else \
                (row_ptr[r_lo:r_hi + 1] - np.uint32(s_lo)).astype(np.uint32)
            mat.syn_word = syn_word[s_lo:s_hi]
            mat.syn_weight = syn_weight[s_lo:s_hi]
            mat.blk_row_base = blk_row_base[b_lo:b_hi] - r_lo
            mat.blk_post_base = blk_post_base[b_lo:b_hi]
            src = blk_slot[b_lo:b_hi]
            slots = np.arange(cores.n_known)
            mat.mpt_lo = np.searchsorted(src, slots, side="left").astype(np.int64)
            mat.mpt_hi = np.searchsorted(src, slots, side="right").astype(np.int64)
        matrices.append(mat)
    matrices[0].projection_counts = proj_counts
    return matrices

