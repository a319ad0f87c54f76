"""One rank's multicast routing table — (key, mask) → destination ranks, compressed — and what
the rank must know of the others: whom it sends to and whom it receives from.

A rank derives its own table from the core graph, for its own cores only, without building
any other rank's: the route of a local core is the set of ranks that own a post core it may
connect to.  The cores a rank receives from are found the other way round, from the same
graph, so that c ∈ incoming(r) exactly when r is on c's route.

Compression follows PACMAN's pair compressor: entries with the same route merge into one
key/mask (don't-care bits where they differ) as long as the merged entry matches no key of
another core whose packets pass through this table.  A rank's router only sees the packets its
own cores emit, so only the rank's other local cores can be captured by mistake; keys of cores
elsewhere never reach it.  The table's meaning is unchanged whatever the entry order.
"""

import numpy as np

from spinn.mapping.graph import sources_into, targets_of


def rank_routes(local_cores, graph, first_core, core_rank):
    """{core id: sorted tuple of destination ranks} for the rank's local cores (sorted int64
    global ids); cores without targets get an empty tuple."""
    pop_of = np.searchsorted(first_core, local_cores, side="right") - 1
    by_pre = {}
    for e in graph:
        by_pre.setdefault(e.pre_pop, []).append(e)
    dense_cache = {}
    routes = {}
    for c, p in zip(local_cores.tolist(), pop_of.tolist()):
        k = c - int(first_core[p])
        parts = []
        for e in by_pre.get(p, ()):
            q = first_core[e.post_pop]
            post_rank = core_rank[q:first_core[e.post_pop + 1]]
            if e.dense:
                if e.factor > 0 and e.a[k] > 0:
                    if e.proj not in dense_cache:
                        dense_cache[e.proj] = targets_of(e, k, post_rank)
                    parts.append(dense_cache[e.proj])
            else:
                parts.append(targets_of(e, k, post_rank))
        routes[c] = tuple(np.unique(np.concatenate(parts)).tolist()) if parts else ()
    return routes


def incoming_cores(local_cores, graph, first_core):
    """Sorted int64 global ids of the cores that may connect to any local core (local ones
    included): the cores whose packets this rank receives."""
    pop_of = np.searchsorted(first_core, local_cores, side="right") - 1
    parts = []
    for e in graph:
        mine = local_cores[pop_of == e.post_pop] - first_core[e.post_pop]
        if mine.size:
            parts.append(first_core[e.pre_pop] + sources_into(e, mine))
    return np.unique(np.concatenate(parts)).astype(np.int64) if parts else \
        np.empty(0, np.int64)


def build_table(local_cores, keys, masks, dest_ranks):
    """Uncompressed table of one rank.

    local_cores: int64[] core ids on the rank; keys, masks: uint32 of those cores (same
    order); dest_ranks: dict core id → sorted tuple of destination ranks.
    Returns list of (key, mask, route) with route a tuple of ranks, sorted by key.
    """
    return sorted((int(k), int(m), dest_ranks[int(c)])
                  for c, k, m in zip(local_cores, keys, masks) if dest_ranks.get(int(c)))


def compress_table(entries, local_keys):
    """Merge entries with identical routes while no other local core's key is captured.

    entries: list of (key, mask, route); local_keys: uint32[], the key of every core whose
    packets this table routes (the rank's local cores, with or without an entry).
    Returns the compressed list, sorted by key.
    """
    by_route = {}
    for key, mask, route in entries:
        by_route.setdefault(route, []).append((key, mask))
    local_keys = np.asarray(local_keys, np.uint32)
    out = []
    for route, group in by_route.items():
        members = [k for k, _ in group]
        foreign = np.setdiff1d(local_keys, np.asarray(members, np.uint32))
        group = sorted(group)
        changed = True
        while changed and len(group) > 1:
            changed = False
            merged = []
            i = 0
            while i < len(group):
                if i + 1 < len(group):
                    (k1, m1), (k2, m2) = group[i], group[i + 1]
                    m = m1 & m2 & ~(k1 ^ k2) & 0xFFFFFFFF
                    k = k1 & m
                    if not np.any((foreign & np.uint32(m)) == np.uint32(k)):
                        merged.append((k, m))
                        i += 2
                        changed = True
                        continue
                merged.append(group[i])
                i += 1
            group = sorted(set(merged))
            # drop entries covered by another entry of the same route
            group = [(k, m) for k, m in group
                     if not any((k2, m2) != (k, m) and (k & m2) == k2 and (m & m2) == m2
                                for k2, m2 in group)]
        out.extend((k, m, route) for k, m in group)
    return sorted(out)


def lookup(table, key):
    """Route of ``key`` in ``table`` (first match), or None: the reference semantics."""
    for k, m, route in table:
        if key & m == k:
            return route
    return None
