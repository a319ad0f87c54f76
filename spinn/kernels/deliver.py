"""Synaptic delivery: packets → rows → ring buffer.

Synaptic storage on a rank (SpiNNaker's master population table + synaptic matrix):

    slot            int32[n_cores]         known-core number of a core id (-1: not known);
                                           spinn.runtime.build.RankCores
    mpt_lo, mpt_hi  int64[n_known]         blocks of known core k: mpt_lo[k] .. mpt_hi[k]
    blk_post_base   int64[n_blocks]        rank-local index of the first neuron of the block's
                                           core group (local cores, ≤ 65 536 neurons)
    blk_row_base    int64[n_blocks]        the block's first row; rows of consecutive blocks
                                           are consecutive
    row_ptr         uint32[n_rows + 1]     row r: syn[row_ptr[r] .. row_ptr[r + 1]]; row of
                                           source neuron j of block b: blk_row_base[b] + j
    syn_word        uint32[n_syn]          delay_steps:14 | receptor:2 | index in the group:16
    syn_weight      float32[n_syn]         signed weight (nA, µS or mV by cell type)

8 bytes per synapse, and 4 per row of a source neuron whose core reaches the rank.  A row holds
every synapse of one source neuron onto one core group, in post-core order, then projection
order, then generation order: synapses sharing a target are summed in the same order on any rank
count.
"""

import numpy as np
from numba import njit

from spinn.kernels.packets import packet_count, packet_key, packet_step
from spinn.kernels.prefetch import AHEAD, prefetch

INDEX_BITS = 16
RECEPTOR_BITS = 2
DELAY_BITS = 14
MAX_DELAY_STEPS = (1 << DELAY_BITS) - 1
MAX_CORE_SIZE = 1 << INDEX_BITS
MAX_RECEPTORS = 1 << RECEPTOR_BITS
# rings of at least this many cells (float64: 8 MiB, a quarter of this machine's L3) have the
# cell of the synapse AHEAD on in the row prefetched: a ring outside the caches makes every
# addition a wait for memory
PREFETCH_CELLS = 1 << 20


def pack_words(index, receptor, delay_steps):
    """uint32 synapse words from target index (< 2**16), receptor (< 4), delay (< 2**14)."""
    return (
        (np.asarray(delay_steps, np.uint32) << np.uint32(INDEX_BITS + RECEPTOR_BITS))
        | (np.asarray(receptor, np.uint32) << np.uint32(INDEX_BITS))
        | np.asarray(index, np.uint32)
    )


def unpack_words(words):
    words = np.asarray(words, np.uint32)
    return (
        (words & np.uint32(0xFFFF)).astype(np.int64),
        ((words >> np.uint32(INDEX_BITS)) & np.uint32(3)).astype(np.int64),
        (words >> np.uint32(INDEX_BITS + RECEPTOR_BITS)).astype(np.int64),
    )


@njit(cache=True, nogil=True)
def deliver_packets(packets, n, tick_step0, index_bits, slot, mpt_lo, mpt_hi, blk_post_base,
                    blk_row_base, row_ptr, syn_word, syn_weight, ring, slot_mask,
                    core_has_rows):
    """Add every synapse of every packet into the ring buffer, in packet order.

    packets: uint64[n] in canonical (step, key) order, emitted during the tick that started at
    step tick_step0.  A synapse with delay d of a spike emitted at step s lands in slot
    (s + d) & slot_mask.  core_has_rows: bool[n_known], rows of the known core in any matrix
    of the rank (static or plastic).  Returns (synaptic events, population-table misses:
    packets whose core has no rows here at all).
    """
    idx_mask = np.uint32((1 << index_bits) - 1)
    n_rec, n_tgt = np.int64(ring.shape[1]), np.int64(ring.shape[2])
    far = ring.size >= PREFETCH_CELLS
    flat = ring.reshape(ring.size)
    events = 0
    misses = 0
    for i in range(n):
        p = packets[i]
        key = packet_key(p)
        k = slot[np.int64(key >> np.uint32(index_bits))]
        j = np.int64(key & idx_mask)
        s = tick_step0 + packet_step(p)
        count = packet_count(p)
        if k < 0 or not core_has_rows[k]:
            misses += 1
            continue
        for b in range(mpt_lo[k], mpt_hi[k]):
            base = blk_post_base[b]
            r = blk_row_base[b] + j
            q_hi = np.int64(row_ptr[r + 1])
            for q in range(np.int64(row_ptr[r]), q_hi):
                if far and q + AHEAD < q_hi:
                    a = syn_word[q + AHEAD]
                    prefetch(flat, ((((s + np.int64(a >> np.uint32(18))) & slot_mask) * n_rec
                                     + np.int64((a >> np.uint32(16)) & np.uint32(3))) * n_tgt
                                    + base + np.int64(a & np.uint32(0xFFFF))))
                w = syn_word[q]
                tgt = base + np.int64(w & np.uint32(0xFFFF))
                rec = np.int64((w >> np.uint32(16)) & np.uint32(3))
                d = np.int64(w >> np.uint32(18))
                ring[(s + d) & slot_mask, rec, tgt] += syn_weight[q] * count
            events += (q_hi - np.int64(row_ptr[r])) * count
    return events, misses
