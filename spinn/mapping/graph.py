"""The core graph: which cores each projection connects, and how many synapses it is expected
to make between them — never a dense cores x cores matrix.

A projection whose connector gives every (pre, post) pair the same expectation (all-to-all,
fixed probability, fixed numbers, fixed total; on whole populations or views) is one *dense
block*: the expected synapses between pre core i and post core j are ``factor * a[i] * b[j]``
with a, b the endpoint's members per core, and every pair with a[i] > 0 and b[j] > 0 may
connect.  It costs O(pre cores + post cores).  Any other connector lists its core pairs
sparsely (one-to-one, lists, arrays, distance-dependent), computed by the connector in
bounded memory.  Everything that needs the graph — placement, each rank's routing table, the
cores a rank receives from — reads it through the functions below, in O(cores x fan-out) at
most, and in O(cores) for dense blocks.
"""

from dataclasses import dataclass

import numpy as np

from spinn.model.cores import Members


@dataclass
class Edges:
    """The core-level edges of one projection (core numbers within each population).

    dense: factor (float), a float64[n_pre_cores], b float64[n_post_cores];
    sparse: i, j int64[m] sorted by (i, j) and w float64[m] (expected synapses)."""

    proj: int
    pre_pop: int
    post_pop: int
    factor: float = None
    a: np.ndarray = None
    b: np.ndarray = None
    i: np.ndarray = None
    j: np.ndarray = None
    w: np.ndarray = None

    @property
    def dense(self):
        return self.factor is not None

    def out_per_pre(self, n_pre_cores):
        """float64[n_pre_cores]: expected synapses leaving each pre core."""
        if self.dense:
            return self.factor * self.a * self.b.sum()
        return np.bincount(self.i, weights=self.w, minlength=n_pre_cores)

    def in_per_post(self, n_post_cores):
        """float64[n_post_cores]: expected synapses arriving at each post core."""
        if self.dense:
            return self.factor * self.a.sum() * self.b
        return np.bincount(self.j, weights=self.w, minlength=n_post_cores)

    @property
    def total(self):
        return float(self.factor * self.a.sum() * self.b.sum()) if self.dense \
            else float(self.w.sum())


def core_graph(network):
    """One Edges per projection, in projection order."""
    graph = []
    for proj in network.projections:
        pre, post = Members(proj.pre), Members(proj.post)
        conn = proj.connector
        factor = conn.block_factor(proj.pre.size, proj.post.size)
        e = Edges(proj.index, proj.pre.parent.index, proj.post.parent.index)
        if factor is not None:
            e.factor = float(factor) if factor > 0 else 0.0
            e.a = pre.counts.astype(np.float64) if factor > 0 else np.zeros(pre.n_cores)
            e.b = post.counts.astype(np.float64)
        else:
            if getattr(conn, "uses_positions", False):
                i, j, w = conn.core_pairs(pre, post, positions=lambda p=proj: (
                    p.pre.positions, p.post.positions))
            else:
                i, j, w = conn.core_pairs(pre, post)
            e.i, e.j, e.w = np.asarray(i, np.int64), np.asarray(j, np.int64), \
                np.asarray(w, np.float64)
        graph.append(e)
    return graph


def ranks_reached(e, post_rank):
    """Sorted int64 ranks holding a post core of a dense block's targets (b > 0).
    post_rank: int32[n_post_cores], the rank of each post core."""
    return np.unique(post_rank[e.b > 0])


def targets_of(e, core, post_rank):
    """Ranks the pre core number ``core`` may send to along edges e (sorted int64)."""
    if e.dense:
        return ranks_reached(e, post_rank) if e.factor > 0 and e.a[core] > 0 else _NONE
    lo, hi = np.searchsorted(e.i, [core, core + 1])
    return np.unique(post_rank[e.j[lo:hi]])


def sources_into(e, post_cores):
    """Sorted pre core numbers that may connect to any of the post core numbers given
    (sorted int64) along edges e."""
    if e.dense:
        if e.factor == 0 or not np.any(e.b[post_cores] > 0):
            return _NONE
        return np.flatnonzero(e.a > 0)
    hit = np.isin(e.j, post_cores)
    return np.unique(e.i[hit])


_NONE = np.empty(0, np.int64)
