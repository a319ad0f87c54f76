"""Build-time kernels: a rank's synapses, generated post core by post core, counting-sorted
into rows (spinn/runtime/build.py, layout in spinn/kernels/deliver.py).

Blocks are keyed (delay stage, source core, local core group); a block holds one row per
neuron of its source core, and the rows of all blocks are numbered consecutively, so one
pointer array ``row_ptr`` (uint32, n_rows + 1) delimits every row.  Only the source cores
whose packets reach the rank have blocks: nothing here is sized by the whole network.

Two passes over each post core's synapses, in post-core order, each generating them afresh
from the core's random streams (nothing is held between the passes): ``tally`` counts the
synapses of every row into row_ptr[row + 1]; once the counts are prefix-summed, ``place``
writes each synapse at row_ptr[row] and advances it — so after the second pass row_ptr[r]
holds the end of row r, and ``shift_back`` restores the starts.  A row therefore keeps
post-core order, then projection and generation order (what makes the sums
rank-independent), with no comparison sort and no cursor array beside row_ptr.  Both passes
return a hash of the rows they met: a second generation that differs from the counted one
is detected (and never writes outside the arrays).

A synapse finds its row through ``row_base[stage, k]``: the first row of the block of its
source core (number k within the source population) in the group being built, or -1.
"""

import numpy as np
from numba import njit

from spinn.kernels.deliver import INDEX_BITS, RECEPTOR_BITS
from spinn.kernels.params import at as value_at

WORD_DELAY_SHIFT = np.uint32(INDEX_BITS + RECEPTOR_BITS)
MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always")
def _delay_steps(delay_ms, dt):
    d = np.rint(delay_ms / dt)
    return np.int64(d) if d >= 1.0 else np.int64(1)


@njit(inline="always")
def _stage(d, n_slots, stage_steps):
    over = d - n_slots
    return (over + stage_steps - 1) // stage_steps if over > 0 else 0


@njit(inline="always")
def _mix(stage, gid):
    """A 64-bit mix of a row's identity, (stage, source gid), whatever its position: the
    hash of a pass sums these."""
    x = (np.uint64(stage) << np.uint64(48) ^ np.uint64(gid + 1)) * MIX
    return x ^ (x >> np.uint64(29))


@njit(cache=True, nogil=True)
def tally(pre, pre_map, npc, src_base, row_base, delay, dt, n_slots, stage_steps, row_ptr):
    """row_ptr[row + 1] += 1 for every synapse.  Returns (hash of the rows, synapses whose
    (stage, source core) has no block here: -1 in row_base).  src_base: gid of the source
    population's first neuron."""
    # no array is passed to an inlined helper: numba would reference-count it on every
    # synapse (an atomic increment and decrement, 3x the cost of the loop)
    mapped = pre_map.shape[0] > 0
    h = np.uint64(0)
    missing = 0
    for q in range(pre.shape[0]):
        s = pre[q]
        if mapped:
            s = pre_map[s]
        k = s // npc
        st = _stage(_delay_steps(value_at(delay, q), dt), n_slots, stage_steps)
        base = row_base[st, k]
        if base < 0:
            missing += 1
            continue
        r = base + s - k * npc
        row_ptr[r + 1] += 1
        h += _mix(st, src_base + s)
    return h, missing


@njit(cache=True, nogil=True)
def place(pre, pre_map, npc, src_base, row_base, delay, post, post_map, index_base, receptor,
          weight, sign, dt, n_slots, stage_steps, row_ptr, syn_word, syn_weight):
    """Each synapse at its row's cursor row_ptr[row] (then advanced) as a word (residual delay
    of its stage | receptor | target index) and its weight × sign.  delay, weight: arrays or
    one float for all.  Returns (hash of the rows, False when a synapse had no row or no room
    left in the arrays — nothing is written out of bounds)."""
    rbits = np.uint32(receptor) << np.uint32(INDEX_BITS)
    mapped_pre, mapped_post = pre_map.shape[0] > 0, post_map.shape[0] > 0
    n_syn = syn_word.shape[0]
    h = np.uint64(0)
    for q in range(pre.shape[0]):       # arrays used inline only (see tally)
        s = pre[q]
        if mapped_pre:
            s = pre_map[s]
        k = s // npc
        d = _delay_steps(value_at(delay, q), dt)
        st = _stage(d, n_slots, stage_steps)
        base = row_base[st, k]
        if base < 0:
            return h, False
        r = base + s - k * npc
        at = np.int64(row_ptr[r])
        if at >= n_syn:
            return h, False
        row_ptr[r] = at + 1
        h += _mix(st, src_base + s)
        i = post[q]
        if mapped_post:
            i = post_map[i]
        syn_word[at] = (np.uint32(d - st * stage_steps) << WORD_DELAY_SHIFT) | rbits | \
            np.uint32(i - index_base)
        syn_weight[at] = sign * value_at(weight, q)
    return h, True


@njit(cache=True, nogil=True)
def compact_rows(counts, blk_start, blk_size, keep):
    """Move the count rows of the kept blocks forward, in order (in place): block b's rows
    sit at counts[1 + blk_start[b] : 1 + blk_start[b] + blk_size[b]].  Returns the number of
    rows kept; counts[0] stays 0."""
    at = 1
    for b in range(blk_start.shape[0]):
        if keep[b]:
            lo = 1 + blk_start[b]
            for j in range(blk_size[b]):
                counts[at + j] = counts[lo + j]
            at += blk_size[b]
    return at - 1


@njit(cache=True, nogil=True)
def prefix_sum(row_ptr, n):
    """row_ptr[0..n] = cumulative sums of the counts in row_ptr[1..n] (row_ptr[0] = 0).
    Returns the total."""
    row_ptr[0] = 0
    total = np.int64(0)
    for r in range(1, n + 1):
        total += np.int64(row_ptr[r])
        row_ptr[r] = total
    return total


@njit(cache=True, nogil=True)
def shift_back(row_ptr, n):
    """After place: row_ptr[r] holds the end of row r; make it the start again."""
    for r in range(n, 0, -1):
        row_ptr[r] = row_ptr[r - 1]
    row_ptr[0] = 0
