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
def route_packets(packets, n, index_bits, slot, route_ptr, route_dst, send, counts):
    """Multicast routing: each packet goes once to each destination of its source core.

    packets: uint64[n] sorted; slot: int32[n_cores] known-core number of a core id;
    route_ptr int64[n_known + 1], route_dst int64[...]: the destinations of known core k are
    route_dst[route_ptr[k]:route_ptr[k + 1]], as numbers 0 (this rank) .. n_dest (the rank's
    routing table, resolved once per core at build).  Fills send (uint64, grouped by
    destination number, each group in the input order, i.e. still sorted; grown when the
    tick needs more) and counts (int64[n_dest + 1]).  One packet per destination rank, not
    one per synapse; the cost per packet is its number of destinations, whatever the number
    of ranks.  Returns (spikes in the packets, packets without a destination — their source
    has no targets anywhere — and send).
    """
    n_dest = counts.shape[0]
    counts[:] = 0
    dropped = 0
    spikes = 0
    for i in range(n):
        spikes += packet_count(packets[i])
        k = slot[np.int64(packet_key(packets[i]) >> np.uint32(index_bits))]
        lo, hi = route_ptr[k], route_ptr[k + 1]
        if hi == lo:
            dropped += 1
        for q in range(lo, hi):
            counts[route_dst[q]] += 1
    offsets = np.zeros(n_dest, np.int64)
    for r in range(1, n_dest):
        offsets[r] = offsets[r - 1] + counts[r - 1]
    if n_dest and offsets[n_dest - 1] + counts[n_dest - 1] > send.shape[0]:
        send = np.empty(2 * (offsets[n_dest - 1] + counts[n_dest - 1]), np.uint64)
    for i in range(n):
        k = slot[np.int64(packet_key(packets[i]) >> np.uint32(index_bits))]
        for q in range(route_ptr[k], route_ptr[k + 1]):
            d = route_dst[q]
            send[offsets[d]] = packets[i]
            offsets[d] += 1
    return spikes, dropped, send
