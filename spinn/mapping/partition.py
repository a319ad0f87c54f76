"""Cut populations into cores of at most neurons_per_core neurons (independent of ranks)."""

import numpy as np


def partition_populations(sizes, neurons_per_core):
    """Cores of every population, numbered globally in declaration order.

    sizes, neurons_per_core: int sequences, one per population.
    Returns dict of int64 arrays over cores: pop, lo, hi (population-relative) and gid_lo.
    """
    pops, los, his, gids = [], [], [], []
    gid = 0
    for p, (size, npc) in enumerate(zip(sizes, neurons_per_core)):
        lo = np.arange(0, size, npc, dtype=np.int64)
        hi = np.minimum(lo + npc, size)
        pops.append(np.full(lo.size, p, np.int64))
        los.append(lo)
        his.append(hi)
        gids.append(gid + lo)
        gid += size
    cat = lambda xs: np.concatenate(xs) if xs else np.empty(0, np.int64)  # noqa: E731
    return {"pop": cat(pops), "lo": cat(los), "hi": cat(his), "gid_lo": cat(gids)}
