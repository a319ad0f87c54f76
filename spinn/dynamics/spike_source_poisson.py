"""SpikeSourcePoisson: independent Poisson spike trains.

Parameters (PyNN): rate (Hz), start (ms), duration (ms).  In each step h of [start,
start + duration) a source emits Poisson(rate·h) spikes (several spikes in one step travel as
one packet with a count, like NEST's spike multiplicity); spikes are stamped at the end of the
step, as a neuron's are.  Random numbers come from one stream per (seed, population, core).

Counts are drawn by inversion of the Poisson CDF, tabulated once per distinct rate below
λ = rate·dt = TABLE_MAX_LAMBDA (one uniform number and a few comparisons per draw: ~4× faster
than Knuth's product method), and by PTRS rejection above.
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import CellType, Param
from spinn.kernels.packets import MAX_COUNT, make_packet
from spinn.kernels.params import at, at_index, compact_index, compact_uniform
from spinn.kernels.rng import poisson, step_pair

TABLE_MAX_LAMBDA = 30.0
TAIL_P = 1e-4  # branch-free comparisons cover all but this probability of the counts


def cdf_tables(lam):
    """(table index per neuron, -1 above TABLE_MAX_LAMBDA; float64[n_tables, K] CDFs P(X ≤ k)
    ending in a sentinel 2.0 so that inversion of u ∈ [0, 1) always stops; int64[n_tables]
    the number of entries compared without branching: the smallest m with P(X ≥ m) < TAIL_P,
    so the branchy tail runs for fewer than one draw in 10⁴)."""
    small = lam < TABLE_MAX_LAMBDA
    values, inverse = np.unique(lam[small], return_inverse=True)
    index = np.full(lam.size, -1, np.int64)
    index[small] = inverse
    rows = []
    for mu in values:
        k = np.arange(int(mu + 12 * np.sqrt(mu) + 40))
        log_pmf = k * np.log(mu) - mu - np.cumsum(np.log(np.maximum(k, 1))) if mu > 0 \
            else np.where(k == 0, 0.0, -np.inf)
        cdf = np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)
        rows.append(cdf)
    width = max([r.size for r in rows] + [1]) + 1
    table = np.full((len(rows), width), 2.0)
    n_cmp = np.ones(len(rows), np.int64)
    for j, r in enumerate(rows):
        table[j, :r.size] = r
        n_cmp[j] = 1 + int(np.argmax(1.0 - r < TAIL_P))
    return index, table, n_cmp


class SpikeSourcePoisson(CellType):
    step_ns = 3.0  # 2.5 driving one-to-one (PD14, Brunel); 2.4-8 emitting packets
    parameters = {
        "rate": Param(1.0, "Hz", 0.0, 1e7),
        "start": Param(0.0, "ms", 0.0),
        "duration": Param(1e10, "ms", 0.0),
    }
    state = {}
    recordable = ("spikes",)
    receptors = ()
    is_source = True

    def prepare(self, P, dt):
        lam = P["rate"] * dt / 1000.0
        start = np.round(P["start"] / dt)
        stop = start + np.round(P["duration"] / dt)
        return np.array([lam, np.exp(-lam), start, stop])

    def kernel(self):
        return _tick

    def kernel_args(self, g):
        if not hasattr(g, "cdf_index"):     # made again when the rates are set
            # a value shared by the whole group reaches the kernel as a scalar, and one-to-one
            # targets as their first index (PD14's and Brunel's drive: no per-source loads)
            index, g.cdf, g.cdf_cmp = cdf_tables(np.broadcast_to(g.C[0], g.n))
            g.cdf_index = compact_uniform(index)
        if not hasattr(g, "spikes_direct"):
            g.spikes_direct = np.zeros(1, np.int64)
        if not hasattr(g, "direct_args"):   # made again when the weights are set
            if g.direct is None:
                g.direct_args = (False, 0, 0.0, 0, 0)   # every source emits packets
            else:
                tgt, w, rec, delay = g.direct
                g.direct_args = (True, compact_index(tgt), compact_uniform(w), rec,
                                 compact_uniform(delay))
        return (g.C, g.cdf_index, g.cdf, g.cdf_cmp, g.rng_state, g.core_bounds, g.keys,
                *g.direct_args, g.spikes_direct)


@njit(cache=True, nogil=True)
def _tick(C, cdf_index, cdf, cdf_cmp, rng_state, core_bounds, keys, direct, d_tgt, d_weight,
          d_rec, d_delay, spikes_direct, ring, step0, slot_mask, n_steps, out, n_out):
    """rng_state: uint64[n_cores, 2]; core_bounds: int64[n_cores + 1] (neuron ranges);
    cdf_index int64[n], cdf float64[n_tables, K], cdf_cmp int64[n_tables] from cdf_tables().
    With ``direct`` every source has a target (spinn/runtime/direct.py) and adds d_weight·count
    into ring slot (t + d_delay) of neuron d_tgt instead of emitting a packet; spikes_direct[0]
    counts them.  C's rows, cdf_index, d_weight and d_delay are arrays or shared scalars (read
    with ``at``), d_tgt an array or the first of contiguous targets (``at_index``)."""
    lam, e_lam, start, stop = C[0], C[1], C[2], C[3]
    n_cores = core_bounds.shape[0] - 1
    n_direct = 0
    for k in range(n_steps):
        t = np.float64(step0 + k)
        for c in range(n_cores):
            st = rng_state[c]
            s0, s1 = st[0], st[1]   # the core's stream lives in registers over its neurons
            for i in range(core_bounds[c], core_bounds[c + 1]):
                if t >= at(start, i) and t < at(stop, i) and at(lam, i) > 0.0:
                    j = at(cdf_index, i)
                    if j >= 0:  # inversion: the smallest k with u < P(X <= k)
                        u, s0, s1 = step_pair(s0, s1)
                        count = 0
                        m = cdf_cmp[j]
                        for q in range(m):  # branch-free: no mispredicted jumps
                            count += u >= cdf[j, q]
                        if count == m:      # the rare tail
                            while u >= cdf[j, count]:
                                count += 1
                    else:
                        st[0], st[1] = s0, s1
                        count = poisson(st, at(lam, i), at(e_lam, i))
                        s0, s1 = st[0], st[1]
                    if direct:
                        # no test of count: adding 0.0 changes nothing, a mispredicted
                        # branch on count > 0 (P = 1 - e^-λ) costs more than the add
                        ring[(step0 + k + at(d_delay, i)) & slot_mask, d_rec,
                             at_index(d_tgt, i)] += \
                            at(d_weight, i) * count
                        n_direct += count
                        continue
                    while count > 0:
                        m = min(count, MAX_COUNT)
                        out[n_out] = make_packet(k, keys[i], m)
                        n_out += 1
                        count -= m
            st[0], st[1] = s0, s1
    spikes_direct[0] += n_direct
    return n_out
