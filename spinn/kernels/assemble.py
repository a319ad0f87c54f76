"""Build-time kernels: a rank's synapses, generated post core by post core, counting-sorted
into rows (spinn/runtime/build.py, layout in spinn/kernels/deliver.py).

Blocks are keyed (delay stage, source core, local core group); a block holds one row per
neuron of its source core.  Two passes over each post core's synapses, in post-core order,
each generating them afresh from the core's random streams (nothing is held between the
passes): tally the synapses of every row and mark the blocks that exist, then, once the row
pointers are known, place each synapse at its row's cursor.  A row therefore keeps post-core
order, then projection and generation order (what makes the sums rank-independent), with no
comparison sort.
"""

import numpy as np
from numba import njit

from spinn.kernels.deliver import INDEX_BITS, RECEPTOR_BITS
from spinn.kernels.params import at as value_at

WORD_DELAY_SHIFT = np.uint32(INDEX_BITS + RECEPTOR_BITS)


@njit(inline="always")
def _delay_steps(delay_ms, dt):
    d = np.rint(delay_ms / dt)
    return np.int64(d) if d >= 1.0 else np.int64(1)


@njit(inline="always")
def _stage(d, n_slots, stage_steps):
    over = d - n_slots
    return (over + stage_steps - 1) // stage_steps if over > 0 else 0


@njit(cache=True, nogil=True)
def tally(pre, pre_map, src_base, delay, dt, g, gid_core, n_slots, stage_steps, counts,
          exists):
    """counts[stage, source gid] += 1 per synapse (one group's rows, before its blocks are
    known); exists[stage, source core, g] = True for every synapse's block."""
    # no array is passed to an inlined helper: numba would reference-count it on every
    # synapse (an atomic increment and decrement, 3x the cost of the loop)
    mapped = pre_map.shape[0] > 0
    for q in range(pre.shape[0]):
        s = pre[q]
        if mapped:
            s = pre_map[s]
        s += src_base
        st = _stage(_delay_steps(value_at(delay, q), dt), n_slots, stage_steps)
        counts[st, s] += 1
        exists[st, gid_core[s], g] = True


@njit(cache=True, nogil=True)
def place(pre, pre_map, src_base, delay, post, post_map, index_base, receptor, weight, sign,
          dt, n_slots, stage_steps, span, syn_word, syn_weight):
    """Each synapse at its row's cursor as a word (residual delay of its stage | receptor |
    target index) and its weight × sign.  The rows of the post core's group: span[stage,
    source gid] = [cursor, end).  delay, weight: arrays or one float for all.  False (and
    nothing written past it) when a row would overflow: the synapses differ from those
    counted."""
    rbits = np.uint32(receptor) << np.uint32(INDEX_BITS)
    mapped_pre, mapped_post = pre_map.shape[0] > 0, post_map.shape[0] > 0
    for q in range(pre.shape[0]):       # arrays used inline only (see tally)
        s = pre[q]
        if mapped_pre:
            s = pre_map[s]
        s += src_base
        d = _delay_steps(value_at(delay, q), dt)
        st = _stage(d, n_slots, stage_steps)
        at = span[st, s, 0]
        if at >= span[st, s, 1]:
            return False
        span[st, s, 0] = at + 1
        i = post[q]
        if mapped_post:
            i = post_map[i]
        syn_word[at] = (np.uint32(d - st * stage_steps) << WORD_DELAY_SHIFT) | rbits | \
            np.uint32(i - index_base)
        syn_weight[at] = sign * value_at(weight, q)
    return True


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
