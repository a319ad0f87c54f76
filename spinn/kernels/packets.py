"""Spike packets: one uint64 per (source, step) —  step_offset:16 | key:32 | count:16.

Sorting packets as unsigned integers sorts them by (step offset, key): the canonical delivery
order that makes floating-point sums identical on any number of ranks.
"""

import numpy as np
from numba import njit

from spinn.kernels.params import at

STEP_SHIFT = np.uint64(48)
KEY_SHIFT = np.uint64(16)
COUNT_MASK = np.uint64(0xFFFF)
KEY_MASK = np.uint64(0xFFFFFFFF)
MAX_COUNT = 0xFFFF


@njit(inline="always")
def make_packet(step_offset, key, count):
    return (
        (np.uint64(step_offset) << np.uint64(48))
        | (np.uint64(key) << np.uint64(16))
        | np.uint64(count)
    )


@njit(inline="always")
def emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out):
    """The LIF spike test at the end of step k: v ≥ v_th → v = v_reset, refractory for
    ref_steps, one packet (step k, key, count 1).  Neurons in index order, so the packets
    stay sorted by key.  Returns the new n_out."""
    for i in range(v.shape[0]):
        if v[i] >= at(v_th, i):
            v[i] = at(v_reset, i)
            ref[i] = at(ref_steps, i)
            out[n_out] = make_packet(k, keys[i], 1)
            n_out += 1
    return n_out


@njit(inline="always")
def packet_key(p):
    return np.uint32((p >> np.uint64(16)) & np.uint64(0xFFFFFFFF))


@njit(inline="always")
def packet_step(p):
    return np.int64(p >> np.uint64(48))


@njit(inline="always")
def packet_count(p):
    return np.int64(p & np.uint64(0xFFFF))


@njit(cache=True, nogil=True)
def merge_runs(buf, bounds, tmp):
    """Merge the sorted runs buf[bounds[i]:bounds[i+1]] into one sorted sequence.

    buf, tmp: uint64[>= bounds[-1]]; bounds: int64[n_runs + 1], non-decreasing.
    Pairwise rounds, O(n log n_runs).  Returns the array holding the result (buf or tmp).
    """
    runs = bounds.copy()
    n_runs = runs.shape[0] - 1
    src, dst = buf, tmp
    while n_runs > 1:
        new_runs = np.empty(n_runs // 2 + 2, np.int64)
        m = 0
        for r in range(0, n_runs, 2):
            lo, mid = runs[r], runs[r + 1]
            hi = runs[r + 2] if r + 2 <= n_runs else mid
            i, j, o = lo, mid, lo
            while i < mid and j < hi:
                if src[j] < src[i]:
                    dst[o] = src[j]
                    j += 1
                else:
                    dst[o] = src[i]
                    i += 1
                o += 1
            while i < mid:
                dst[o] = src[i]
                i += 1
                o += 1
            while j < hi:
                dst[o] = src[j]
                j += 1
                o += 1
            new_runs[m] = lo
            m += 1
        new_runs[m] = runs[n_runs]
        runs = new_runs[: m + 1]
        n_runs = m
        src, dst = dst, src
    return src


@njit(cache=True, nogil=True)
def route_packets(packets, n, t_keys, t_masks, t_routes, send, counts):
    """Multicast routing: match each packet's key against the table, in entry order.

    packets: uint64[n] sorted; t_keys, t_masks: uint32[E]; t_routes: uint8[E, n_ranks]
    (1 = send to that rank).  Fills send (uint64, grouped by destination rank, each group in
    the input order, i.e. still sorted) and counts (int64[n_ranks]).  One packet per
    destination rank, not one per synapse.  Returns (spikes in the packets, packets no entry
    matched: their source has no targets anywhere).
    """
    n_ranks = counts.shape[0]
    n_entries = t_keys.shape[0]
    entry = np.empty(n, np.int64)
    counts[:] = 0
    dropped = 0
    spikes = 0
    for i in range(n):
        spikes += packet_count(packets[i])
        key = packet_key(packets[i])
        e = -1
        for j in range(n_entries):
            if (key & t_masks[j]) == t_keys[j]:
                e = j
                break
        entry[i] = e
        if e < 0:
            dropped += 1
        else:
            for r in range(n_ranks):
                counts[r] += t_routes[e, r]
    offsets = np.zeros(n_ranks, np.int64)
    for r in range(1, n_ranks):
        offsets[r] = offsets[r - 1] + counts[r - 1]
    for i in range(n):
        e = entry[i]
        if e >= 0:
            for r in range(n_ranks):
                if t_routes[e, r]:
                    send[offsets[r]] = packets[i]
                    offsets[r] += 1
    return spikes, dropped
