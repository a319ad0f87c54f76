"""Recording kernels: spikes out of packets, state samples out of state arrays."""

import numpy as np
from numba import njit

from spinn.kernels.packets import packet_count, packet_key, packet_step


@njit(cache=True, nogil=True)
def record_state(S, rec_state, rec_lid, rec_buf, k):
    """rec_buf[k, q, j] = S[rec_state[q], rec_lid[j]] (one sample of every recorded variable)."""
    for q in range(rec_state.shape[0]):
        row = rec_state[q]
        for j in range(rec_lid.shape[0]):
            rec_buf[k, q, j] = S[row, rec_lid[j]]


@njit(cache=True, nogil=True)
def record_spikes(packets, lo, hi, index_bits, slot, known_gid_lo, known_base, rec_mask,
                  tick_step0, out_step, out_gid, n_out):
    """Append (step, gid) for packets[lo:hi] whose neuron is recorded; a count of c appends c.

    Local packets only.  slot[core]: the core's known-core number (spinn.runtime.build.
    RankCores); known_gid_lo / known_base: its first neuron's gid and its offset in rec_mask
    (bool, rank-local).
    Returns the new n_out; when it exceeds len(out_step) the caller grows the buffers and
    calls again (nothing past the end is written).
    """
    idx_mask = np.uint32((1 << index_bits) - 1)
    for i in range(lo, hi):
        p = packets[i]
        key = packet_key(p)
        k = slot[np.int64(key >> np.uint32(index_bits))]
        j = np.int64(key & idx_mask)
        if rec_mask[known_base[k] + j]:
            for _ in range(packet_count(p)):
                if n_out < out_step.shape[0]:
                    out_step[n_out] = tick_step0 + packet_step(p)
                    out_gid[n_out] = known_gid_lo[k] + j
                n_out += 1
    return n_out


@njit(cache=True, nogil=True)
def split_by_population(steps, gids, gid_lo, size, out_steps, out_ids, counts):
    """(step, gid) records grouped by population, in order inside each (a stable counting
    split): population j's records, ids made relative to gid_lo[j], fill
    out[sum(counts[:j]) : sum(counts[:j + 1])].  gid_lo ascending; a gid in no population is
    dropped.  counts (int64, one per population) is filled; returns the records kept."""
    n_pop = gid_lo.shape[0]
    counts[:] = 0
    for i in range(gids.shape[0]):
        j = np.searchsorted(gid_lo, gids[i], side="right") - 1
        if j >= 0 and gids[i] < gid_lo[j] + size[j]:
            counts[j] += 1
    at = np.zeros(n_pop, np.int64)
    for j in range(1, n_pop):
        at[j] = at[j - 1] + counts[j - 1]
    for i in range(gids.shape[0]):
        j = np.searchsorted(gid_lo, gids[i], side="right") - 1
        if j >= 0 and gids[i] < gid_lo[j] + size[j]:
            out_steps[at[j]] = steps[i]
            out_ids[at[j]] = gids[i] - gid_lo[j]
            at[j] += 1
    total = 0
    for j in range(n_pop):
        total += counts[j]
    return total
