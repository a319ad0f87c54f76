"""Place cores on ranks, balancing the estimated cost per step.

Neuron cores keep SpiNNaker's habit of keeping a population's cores together: they are split
in core order into n_ranks contiguous runs of about equal estimated cost.  Spike-source cores
go to the rank that holds most of their expected targets, so that e.g. one-to-one Poisson
drive never crosses ranks; their cost is counted with those targets when the neuron cores are
split, since that is where it will land.

Cost of a core per time step, in nanoseconds measured on the development machine (AMD EPYC,
one numba thread; ``benchmarks/bench.py microcircuit --scale 0.25 --ranks 2`` phase timers):

    n_neurons * CellType.step_ns  +  expected incoming events * EVENT_NS

with expected events = expected synapses * NOMINAL_RATE_HZ * dt.  Firing rates are not known
before the run, so every source is assumed to fire at NOMINAL_RATE_HZ; only the ratios matter.
"""

import numpy as np

EVENT_NS = 3.0          # delivering one synaptic event (row lookup, ring-buffer add)
NOMINAL_RATE_HZ = 5.0   # assumed mean rate of every presynaptic neuron


def estimate_load(n_neurons, step_ns, incoming_synapses, dt_ms):
    """Estimated nanoseconds per step of each core: float64 array."""
    events = incoming_synapses * NOMINAL_RATE_HZ * dt_ms * 1e-3
    return n_neurons * step_ns + events * EVENT_NS


def place_cores(load, is_source, affinity, n_ranks):
    """Rank of every core.

    load: float64[n_cores]; is_source: bool[n_cores]; affinity: float64[n_cores, n_cores],
    expected synapses from core i onto core j (only rows of source cores are read).
    Returns int64[n_cores].
    """
    n = load.size
    rank = np.zeros(n, np.int64)
    neuron = np.flatnonzero(~is_source)
    sources = np.flatnonzero(is_source)
    # each source core's cost, shared among the neuron cores it reaches
    reach = affinity[np.ix_(sources, neuron)]
    out = reach.sum(axis=1)
    share = np.divide(reach, out[:, None], out=np.zeros_like(reach), where=out[:, None] > 0)
    effective = load[neuron] + load[sources] @ share
    if neuron.size:
        cum = np.cumsum(effective)
        total = cum[-1] if cum[-1] > 0 else 1.0
        mid = cum - effective / 2.0
        rank[neuron] = np.minimum((mid / total * n_ranks).astype(np.int64), n_ranks - 1)
    rank_load = np.bincount(rank[neuron], weights=load[neuron], minlength=n_ranks)
    for c in sources:
        to_rank = np.bincount(rank[neuron], weights=affinity[c, neuron], minlength=n_ranks)
        r = int(np.argmax(to_rank)) if to_rank.max() > 0 else int(np.argmin(rank_load))
        rank[c] = r
        rank_load[r] += load[c]
    return rank
