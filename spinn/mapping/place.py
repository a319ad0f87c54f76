"""Place cores on ranks, balancing the estimated load.

Neuron cores keep SpiNNaker's habit of keeping a population's cores together: they are split
in core order into n_ranks contiguous runs of about equal estimated load (neurons plus incoming
synapses).  Spike-source cores go to the rank that holds most of their expected targets, so
that e.g. one-to-one Poisson drive never crosses ranks.
"""

import numpy as np

SYNAPSES_PER_NEURON_LOAD = 50.0  # one neuron update per step costs about 50 synaptic events


def estimate_load(n_neurons, incoming_synapses):
    """Relative cost of a core: float64 array."""
    return n_neurons + incoming_synapses / SYNAPSES_PER_NEURON_LOAD


def place_cores(load, is_source, affinity, n_ranks):
    """Rank of every core.

    load: float64[n_cores]; is_source: bool[n_cores]; affinity: float64[n_cores, n_cores],
    expected synapses from core i onto core j (only rows of source cores are read).
    Returns int64[n_cores].
    """
    n = load.size
    rank = np.zeros(n, np.int64)
    neuron = np.flatnonzero(~is_source)
    if neuron.size:
        cum = np.cumsum(load[neuron])
        total = cum[-1] if cum[-1] > 0 else 1.0
        mid = cum - load[neuron] / 2.0
        rank[neuron] = np.minimum((mid / total * n_ranks).astype(np.int64), n_ranks - 1)
    rank_load = np.bincount(rank[neuron], weights=load[neuron], minlength=n_ranks)
    for c in np.flatnonzero(is_source):
        to_rank = np.bincount(rank[neuron], weights=affinity[c, neuron], minlength=n_ranks)
        r = int(np.argmax(to_rank)) if to_rank.max() > 0 else int(np.argmin(rank_load))
        rank[c] = r
        rank_load[r] += load[c]
    return rank
