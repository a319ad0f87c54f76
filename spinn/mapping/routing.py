"""Per-rank multicast routing tables: (key, mask) → destination ranks, then compressed.

A rank's table has one entry per local core whose spikes have targets somewhere; the route is
the set of ranks that own a post core the source core may connect to.  Compression follows
PACMAN's pair compressor: entries with the same route merge into one key/mask (don't-care
bits where they differ) as long as the merged entry matches no key of a core outside the merged
set, so the table's meaning is unchanged whatever the entry order.
"""

import numpy as np


def build_table(local_cores, keys, masks, dest_ranks):
    """Uncompressed table of one rank.

    local_cores: int64[] core ids on the rank; keys, masks: uint32[n_cores] (all cores);
    dest_ranks: dict core id → sorted tuple of destination ranks.
    Returns list of (key, mask, route) with route a tuple of ranks, sorted by key.
    """
    return [(int(keys[c]), int(masks[c]), dest_ranks[c])
            for c in local_cores if dest_ranks.get(c)]


def compress_table(entries, all_keys):
    """Merge entries with identical routes while no foreign core key is captured.

    entries: list of (key, mask, route); all_keys: uint32[n_cores], every core's key.
    Returns the compressed list, sorted by key.
    """
    by_route = {}
    for key, mask, route in entries:
        by_route.setdefault(route, []).append((key, mask))
    all_keys = np.asarray(all_keys, np.uint32)
    out = []
    for route, group in by_route.items():
        members = [k for k, _ in group]
        foreign = np.setdiff1d(all_keys, np.asarray(members, np.uint32))
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
