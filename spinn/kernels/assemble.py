"""Build-time kernels: a rank's synapses, generated post core by post core, counting-sorted
into rows (spinn/runtime/build.py, layout in spinn/kernels/deliver.py).

Blocks are keyed (delay stage, source core, local core group); a block holds one row per
neuron of its source core.  Three passes over each post core's synapses, in post-core order:
mark the blocks that exist, count the synapses of each row, then place each synapse at its
row's cursor.  A row therefore keeps post-core order, then projection and generation order
(what makes the sums rank-independent), with no comparison sort.
"""

import numpy as np
from numba import njit

from spinn.kernels.deliver import INDEX_BITS, RECEPTOR_BITS
from spinn.kernels.params import at as value_at

WORD_DELAY_SHIFT = np.uint32(INDEX_BITS + RECEPTOR_BITS)
WORD_LOW_MASK = np.uint32((1 << (INDEX_BITS + RECEPTOR_BITS)) - 1)   # receptor | index


@njit(inline="always")
def _stage(word, n_slots, stage_steps):
    d = np.int64(word >> WORD_DELAY_SHIFT)
    over = d - n_slots
    return (over + stage_steps - 1) // stage_steps if over > 0 else 0


@njit(cache=True, nogil=True)
def mark_blocks(pre_gid, words, g, gid_core, n_slots, stage_steps, exists):
    """exists[stage, source core, group] = True for every synapse's block."""
    for q in range(pre_gid.shape[0]):
        st = _stage(words[q], n_slots, stage_steps)
        exists[st, gid_core[pre_gid[q]], g] = True


@njit(cache=True, nogil=True)
def count_rows(pre_gid, words, g, gid_core, core_gid_lo, n_slots, stage_steps, block_id,
               blk_row_base, counts):
    """counts[row] += 1 per synapse; row = blk_row_base[block] + index in the source core."""
    for q in range(pre_gid.shape[0]):
        st = _stage(words[q], n_slots, stage_steps)
        c = gid_core[pre_gid[q]]
        b = block_id[st, c, g]
        counts[blk_row_base[b] + pre_gid[q] - core_gid_lo[c]] += 1


@njit(cache=True, nogil=True)
def place(pre_gid, words, weights, g, gid_core, core_gid_lo, n_slots, stage_steps, block_id,
          blk_row_base, cursor, syn_word, syn_weight):
    """Each synapse at its row's cursor, its delay made residual to its stage.  weights: an
    array, or one float shared by every synapse."""
    for q in range(pre_gid.shape[0]):
        w = words[q]
        st = _stage(w, n_slots, stage_steps)
        c = gid_core[pre_gid[q]]
        r = blk_row_base[block_id[st, c, g]] + pre_gid[q] - core_gid_lo[c]
        at = cursor[r]
        cursor[r] = at + 1
        d = np.int64(w >> WORD_DELAY_SHIFT) - st * stage_steps
        syn_word[at] = (np.uint32(d) << WORD_DELAY_SHIFT) | (w & WORD_LOW_MASK)
        syn_weight[at] = value_at(weights, q)


@njit(cache=True, nogil=True)
def row_pointers(counts, blk_row_base, blk_size, row_ptr):
    """row_ptr from per-row counts, blocks in order: block b's rows start at blk_row_base[b],
    and each block ends with one extra pointer, its end."""
    at = 0
    for b in range(blk_row_base.shape[0]):
        base = blk_row_base[b]
        for j in range(blk_size[b]):
            row_ptr[base + j] = at
            at += counts[base + j]
        row_ptr[base + blk_size[b]] = at
