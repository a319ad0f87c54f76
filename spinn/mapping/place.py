"""Place cores on ranks, balancing the estimated cost per step, in O(cores x fan-out).

Neuron cores are spread so that every rank gets about 1/n_ranks of every population, as
NEST's round-robin distribution of neurons over its virtual processes does: each core's
position is where its middle lies in its own population's estimated cost (0 to 1), the cores
are ordered by position (then population, then core), and that order is cut into n_ranks
contiguous runs of about equal estimated cost.  The estimate cannot know the populations'
firing rates, and in lock-step ticks the slowest rank sets the pace; ranks that hold the same
share of every population carry the same load whatever the rates are (PD14 on 2 ranks with
each rank holding whole populations: its faster rank waited 0.61 s per 500 ms for the other,
whose delivery and update ran 20 % longer).  A population's cores on one rank stay
consecutive, and a population smaller than a rank's share lands on one or a few ranks, as
before.  Spike-source cores
go to a rank that holds most of their expected targets (among the ranks within SOURCE_TOLERANCE
of the best, the least loaded), so that one-to-one Poisson drive never crosses ranks and the
sources of a dense block spread over the ranks of its targets; their cost is counted with
those targets when the neuron cores are split, since that is where it will land.

Cost of a core per time step, in nanoseconds measured on the development machine (AMD EPYC,
one numba thread; ``benchmarks/bench.py microcircuit --scale 0.25 --ranks 2`` phase timers):

    n_neurons * CellType.step_ns  +  expected incoming events * EVENT_NS

with expected events = expected synapses * NOMINAL_RATE_HZ * dt.  Firing rates are not known
before the run, so every source is assumed to fire at NOMINAL_RATE_HZ; only the ratios matter.
"""

import numpy as np
from numba import njit

from spinn.mapping.graph import ranks_reached

EVENT_NS = 3.0          # delivering one synaptic event (row lookup, ring-buffer add)
NOMINAL_RATE_HZ = 5.0   # assumed mean rate of every presynaptic neuron
SOURCE_TOLERANCE = 0.05  # a source may go to any rank within 5 % of its best rank's targets


def estimate_load(n_neurons, step_ns, incoming_synapses, dt_ms):
    """Estimated nanoseconds per step of each core: float64 array."""
    events = incoming_synapses * NOMINAL_RATE_HZ * dt_ms * 1e-3
    return n_neurons * step_ns + events * EVENT_NS


def split_contiguous(cost, n_ranks):
    """int32 rank of each item: n_ranks contiguous runs of about equal total cost."""
    rank = np.zeros(cost.size, np.int32)
    if cost.size:
        cum = np.cumsum(cost)
        total = cum[-1] if cum[-1] > 0 else 1.0
        mid = cum - cost / 2.0
        rank[:] = np.minimum((mid / total * n_ranks).astype(np.int64), n_ranks - 1)
    return rank


def interleaved(cost, first_core, cores):
    """The order (indices into ``cores``) that interleaves populations: by the position of each
    core's middle in its own population's cost, in [0, 1]; ties by population, then core.
    cores: int64 ascending core ids (a population's cores consecutive), cost: their cost."""
    if cores.size == 0:
        return np.empty(0, np.int64)
    pop = np.searchsorted(first_core, cores, side="right") - 1
    start = np.flatnonzero(np.r_[True, pop[1:] != pop[:-1]])        # first of each population
    count = np.diff(np.r_[start, cores.size])
    cum = np.cumsum(cost)
    before = np.repeat(np.r_[0.0, cum[start[1:] - 1]], count)      # cost of earlier populations
    total = np.repeat(np.add.reduceat(cost, start), count)
    k = np.arange(cores.size) - np.repeat(start, count)
    n = np.repeat(count, count)
    # a population with no estimated cost is spread by its cores' count instead
    pos = np.where(total > 0, (cum - cost / 2.0 - before) / np.where(total > 0, total, 1.0),
                   (k + 0.5) / n)
    return np.lexsort((pop, pos))


def place_cores(load, is_source, graph, first_core, n_ranks):
    """Rank of every core: int32[n_cores].

    load: float64[n_cores] estimated ns per step; is_source: bool[n_cores];
    graph: list of spinn.mapping.graph.Edges; first_core: int64[n_pops + 1], the global id of
    each population's first core."""
    n = load.size
    rank = np.zeros(n, np.int32)
    neuron = np.flatnonzero(~is_source)
    src_pops = {int(p) for p in range(first_core.size - 1)
                if first_core[p + 1] > first_core[p] and is_source[first_core[p]]}
    from_sources = [e for e in graph if e.pre_pop in src_pops]
    out_total = np.zeros(n)
    for e in from_sources:
        lo, hi = first_core[e.pre_pop], first_core[e.pre_pop + 1]
        out_total[lo:hi] += e.out_per_pre(hi - lo)
    # each source core's cost lands with its targets, shared in proportion to its synapses
    effective = load.copy()
    for e in from_sources:
        lo, hi = first_core[e.pre_pop], first_core[e.pre_pop + 1]
        q = first_core[e.post_pop]
        share = np.divide(load[lo:hi], out_total[lo:hi], out=np.zeros(hi - lo),
                          where=out_total[lo:hi] > 0)
        if e.dense:
            b = e.b.sum()
            if e.factor > 0 and b > 0:
                effective[q:q + e.b.size] += np.sum(share * e.factor * e.a * b) * e.b / b
        else:
            np.add.at(effective, q + e.j, share[e.i] * e.w)
    order = neuron[interleaved(effective[neuron], first_core, neuron)]
    rank[order] = split_contiguous(effective[order], n_ranks)
    rank_load = np.bincount(rank[neuron], weights=load[neuron], minlength=n_ranks)
    args = source_candidates(graph, from_sources, first_core, rank, is_source)
    assign_sources(*args, load, rank_load, rank, SOURCE_TOLERANCE)
    return rank


def source_candidates(graph, from_sources, first_core, rank, is_source):
    """The ranks each source core's expected synapses go to, as CSR arrays for
    assign_sources: dense blocks share one (rank, weight) vector each, scaled per core."""
    src = np.flatnonzero(is_source)
    pos = np.full(is_source.size, -1, np.int64)
    pos[src] = np.arange(src.size)
    dense = [e for e in from_sources if e.dense and e.factor > 0]
    edge_rank, edge_val, edge_ptr = [], [], [0]
    d_src, d_edge, d_coef = [], [], []
    for k, e in enumerate(dense):
        q = first_core[e.post_pop]
        post_rank = rank[q:q + e.b.size]
        ranks = ranks_reached(e, post_rank)
        edge_rank.append(ranks)
        edge_val.append(np.bincount(post_rank, weights=e.b, minlength=int(rank.max()) + 1)[ranks])
        edge_ptr.append(edge_ptr[-1] + ranks.size)
        cores = np.flatnonzero(e.a > 0)
        d_src.append(pos[first_core[e.pre_pop] + cores])
        d_edge.append(np.full(cores.size, k, np.int64))
        d_coef.append(e.factor * e.a[cores])
    s_src, s_rank, s_val = [], [], []
    for e in from_sources:
        if not e.dense:
            q = first_core[e.post_pop]
            s_src.append(pos[first_core[e.pre_pop] + e.i])
            s_rank.append(rank[q + e.j].astype(np.int64))
            s_val.append(e.w)
    d_ptr, (d_edge, d_coef) = _csr(src.size, d_src, d_edge, d_coef)
    s_ptr, (s_rank, s_val) = _csr(src.size, s_src, s_rank, s_val)
    return (src, d_ptr, d_edge, d_coef, np.asarray(edge_ptr, np.int64), _cat(edge_rank),
            _cat(edge_val, np.float64), s_ptr, s_rank, s_val)


def _cat(parts, dtype=np.int64):
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)


def _csr(n_rows, rows, *columns):
    """Row pointers int64[n_rows + 1] and the columns (int64, then float64) sorted by row
    (stable)."""
    row = _cat(rows)
    order = np.argsort(row, kind="stable")
    ptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=ptr[1:])
    return ptr, [_cat(c, np.int64 if k == 0 else np.float64)[order]
                 for k, c in enumerate(columns)]


@njit(cache=True, nogil=True)
def _add(score, touched, nt, r, value):
    """score[r] += value (> 0 only), listing r in touched the first time; returns nt."""
    if value > 0.0:
        if score[r] == 0.0:
            touched[nt] = r
            nt += 1
        score[r] += value
    return nt


@njit(cache=True, nogil=True)
def assign_sources(src, d_ptr, d_edge, d_coef, edge_ptr, edge_rank, edge_val, s_ptr, s_rank,
                   s_val, load, rank_load, rank, tolerance):
    """rank[src[s]] for every source core s, in order: among the ranks holding at least
    (1 - tolerance) of its best rank's expected synapses, the least loaded so far (ties: the
    lowest rank); a source without targets goes to the least loaded rank.  rank_load is
    updated as it goes.  O(entries) per core, with a scratch array over the ranks: a rank
    enters ``touched`` when its score leaves zero (only positive contributions count)."""
    n_ranks = rank_load.shape[0]
    score = np.zeros(n_ranks)
    touched = np.empty(n_ranks, np.int64)
    for s in range(src.shape[0]):
        nt = 0
        for q in range(d_ptr[s], d_ptr[s + 1]):
            e = d_edge[q]
            for t in range(edge_ptr[e], edge_ptr[e + 1]):
                nt = _add(score, touched, nt, edge_rank[t], d_coef[q] * edge_val[t])
        for q in range(s_ptr[s], s_ptr[s + 1]):
            nt = _add(score, touched, nt, s_rank[q], s_val[q])
        best = -1
        top = 0.0
        for k in range(nt):
            top = max(top, score[touched[k]])
        if top > 0:
            for k in range(nt):
                r = touched[k]
                if score[r] >= (1.0 - tolerance) * top and (
                        best < 0 or rank_load[r] < rank_load[best]
                        or (rank_load[r] == rank_load[best] and r < best)):
                    best = r
        else:
            best = 0
            for r in range(1, n_ranks):
                if rank_load[r] < rank_load[best]:
                    best = r
        for k in range(nt):
            score[touched[k]] = 0.0
        c = src[s]
        rank[c] = best
        rank_load[best] += load[c]
