"""Where a projection endpoint's indices lie among the cores of its parent population.

A population is cut into consecutive cores of ``neurons_per_core`` neurons (the last one may
be smaller; spinn/mapping/partition.py), so the core of a parent index is an integer division
and nothing here is sized by the population unless the endpoint is a view (whose index array
the script already holds).
"""

import numpy as np

CHUNK = 1 << 20          # indices handled at once by the vectorised helpers (8 MiB per array)


class Members:
    """The indices of one projection endpoint (a Population or a PopulationView), by core of
    its parent population.

    npc       neurons per core of the parent
    n_cores   number of cores of the parent
    counts    int64[n_cores]: endpoint indices in each core
    whole     True when the endpoint is the whole population (index == parent index)
    """

    def __init__(self, endpoint):
        parent = endpoint.parent
        self.size = int(endpoint.size)
        self.npc = int(parent.neurons_per_core)
        self.n_cores = -(-int(parent.size) // self.npc)
        self.whole = endpoint is parent
        if self.whole:
            self._ids = None
            self.counts = np.full(self.n_cores, self.npc, np.int64)
            self.counts[-1] = parent.size - self.npc * (self.n_cores - 1)
        else:
            self._ids = endpoint.parent_ids
            self.counts = np.bincount(self._ids // self.npc, minlength=self.n_cores)
        self._order = None

    def parent_index(self, idx):
        """Parent indices of endpoint indices (int64 array)."""
        return idx if self.whole else self._ids[idx]

    def core_of(self, idx):
        """Core number (within the parent population) of endpoint indices."""
        return self.parent_index(np.asarray(idx, np.int64)) // self.npc

    def in_core(self, core):
        """int64[k] ascending: the endpoint indices whose neuron lies in core ``core``."""
        if self.whole:
            lo = core * self.npc
            return np.arange(lo, lo + self.counts[core], dtype=np.int64)
        if self._order is None:
            core_of = self._ids // self.npc
            self._order = (np.argsort(core_of, kind="stable"),
                           np.concatenate([[0], np.cumsum(self.counts)]))
        order, bounds = self._order
        return order[bounds[core]:bounds[core + 1]].astype(np.int64)

    def chunks(self):
        """(endpoint indices, their cores) in chunks of at most CHUNK indices."""
        for lo in range(0, self.size, CHUNK):
            idx = np.arange(lo, min(lo + CHUNK, self.size), dtype=np.int64)
            yield idx, self.core_of(idx)


class SelfMap:
    """Which pre index is the same neuron as a post index (self-connections)."""

    def __init__(self, pre, post):
        self.possible = pre.parent is post.parent and overlap(pre, post)
        self.identity = self.possible and pre is pre.parent and post is post.parent
        self._pre = pre
        self._post = post
        self._sorted = None

    def __call__(self, post_idx):
        """int64 like post_idx: the pre index of the same neuron, or -1."""
        post_idx = np.asarray(post_idx, np.int64)
        if not self.possible:
            return np.full(post_idx.shape, -1, np.int64)
        if self.identity:
            return post_idx.copy()
        parent = post_idx if self._post is self._post.parent else \
            self._post.parent_ids[post_idx]
        if self._pre is self._pre.parent:
            return parent.copy()
        if self._sorted is None:
            ids = self._pre.parent_ids
            order = np.argsort(ids, kind="stable")
            self._sorted = (ids[order], order.astype(np.int64))
        ids, order = self._sorted
        at = np.minimum(np.searchsorted(ids, parent), ids.size - 1)
        return np.where(ids[at] == parent, order[at], -1)


def overlap(pre, post):
    """Do two endpoints of the same parent population share a neuron?  (No index arrays
    are made unless both are views.)"""
    if pre is pre.parent or post is post.parent:
        return True
    return bool(np.intersect1d(pre.parent_ids, post.parent_ids).size)
