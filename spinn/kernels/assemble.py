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
hash the rows they met: a second generation that differs from the counted one is detected
(and never writes outside the arrays).

A synapse finds its row through ``row_base[stage, k]``: the first row of the block of its
source core (number k within the source population) in the group being built, or -1.

Both passes first compute every synapse's row (``source_rows``, which also hashes the rows'
identities), then scatter with software prefetching (spinn/kernels/prefetch.py): once a
rank's rows outgrow the caches — sources spread over a large network — the scatter is
bound by memory latency, not arithmetic.
"""

import numpy as np
from numba import njit

from spinn.kernels.deliver import INDEX_BITS, RECEPTOR_BITS
from spinn.kernels.grid import delay_steps
from spinn.kernels.params import at as value_at
from spinn.kernels.prefetch import AHEAD, prefetch

WORD_DELAY_SHIFT = np.uint32(INDEX_BITS + RECEPTOR_BITS)
MIX = np.uint64(0x9E3779B97F4A7C15)


_delay_steps = delay_steps      # NEST's rounding: nearest step, halves up (spinn/kernels/grid.py)


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
def source_rows(pre, pre_map, npc, src_base, row_base, delay, dt, n_slots, stage_steps,
                rows_of):
    """rows_of[q] = the row of synapse q (its stage's block of its source core, then the
    source's place in the core), or -1 when that block does not exist here.  Returns (hash
    of the rows' identities, number of -1).  src_base: gid of the source population's
    first neuron."""
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
            rows_of[q] = -1
            continue
        rows_of[q] = base + s - k * npc
        h += _mix(st, src_base + s)
    return h, missing


@njit(cache=True, nogil=True)
def tally(rows_of, n, counts, shift=0):
    """counts[(row >> shift) + 1] += 1 for each of the n synapses (rows from source_rows; -1
    skipped): per row (shift 0) or per partition of 2^shift rows, prefetching the counter
    AHEAD synapses on."""
    for i in range(n):
        if i + AHEAD < n and rows_of[i + AHEAD] >= 0:
            prefetch(counts, (rows_of[i + AHEAD] >> shift) + 1)
        r = rows_of[i]
        if r >= 0:
            counts[(r >> shift) + 1] += 1


@njit(inline="always")
def _word(d, n_slots, stage_steps, i, index_base, rbits):
    """A synapse's word: residual delay of its stage | receptor bits | target index."""
    st = _stage(d, n_slots, stage_steps)
    return (np.uint32(d - st * stage_steps) << WORD_DELAY_SHIFT) | rbits | \
        np.uint32(i - index_base)


@njit(cache=True, nogil=True)
def place(rows_of, n, delay, post, post_map, index_base, receptor, weight, sign, dt, n_slots,
          stage_steps, row_ptr, syn_word, syn_weight):
    """Each synapse at its row's cursor row_ptr[row] (then advanced) as a word (residual delay
    of its stage | receptor | target index) and its weight × sign.  delay, weight: arrays or
    one float for all.  The cursor AHEAD synapses on, and the slot it points at half as far
    on, are prefetched.  Returns False when a synapse has no row or no room is left in the
    arrays (nothing is written out of bounds)."""
    rbits = np.uint32(receptor) << np.uint32(INDEX_BITS)
    mapped_post = post_map.shape[0] > 0
    n_syn = syn_word.shape[0]
    half = AHEAD // 2
    for q in range(n):       # arrays used inline only (see source_rows)
        if q + AHEAD < n and rows_of[q + AHEAD] >= 0:
            prefetch(row_ptr, rows_of[q + AHEAD])
        if q + half < n and rows_of[q + half] >= 0:
            ahead = np.int64(row_ptr[rows_of[q + half]])
            if ahead < n_syn:
                prefetch(syn_word, ahead)
                prefetch(syn_weight, ahead)
        r = rows_of[q]
        if r < 0:
            return False
        at = np.int64(row_ptr[r])
        if at >= n_syn:
            return False
        row_ptr[r] = at + 1
        i = post[q]
        if mapped_post:
            i = post_map[i]
        syn_word[at] = _word(_delay_steps(value_at(delay, q), dt), n_slots, stage_steps, i,
                             index_base, rbits)
        syn_weight[at] = sign * value_at(weight, q)
    return True


@njit(cache=True, nogil=True)
def stage(rows_of, n, delay, post, post_map, index_base, receptor, weight, sign, dt, n_slots,
          stage_steps, shift, cursor, end, syn_word, syn_weight, low):
    """place for sparse rows: each synapse appended at its partition's cursor (partition p:
    rows [p << shift, (p + 1) << shift), its synapses at [cursor[p], end[p]) of the final
    arrays), with its row's place in the partition in low; settle then orders every
    partition by row.  A few hundred partitions are a few hundred sequential streams, where
    placing by row directly is a cache miss per synapse when rows are shorter than a line.
    Returns False when a synapse has no row or its partition is full."""
    rbits = np.uint32(receptor) << np.uint32(INDEX_BITS)
    mapped_post = post_map.shape[0] > 0
    mask = (np.int64(1) << shift) - 1
    for q in range(n):
        r = rows_of[q]
        if r < 0:
            return False
        p = r >> shift
        at = cursor[p]
        if at >= end[p]:
            return False
        cursor[p] = at + 1
        i = post[q]
        if mapped_post:
            i = post_map[i]
        syn_word[at] = _word(_delay_steps(value_at(delay, q), dt), n_slots, stage_steps, i,
                             index_base, rbits)
        syn_weight[at] = sign * value_at(weight, q)
        low[at] = r & mask
    return True


@njit(cache=True, nogil=True)
def settle(start, p_lo, p_hi, shift, n_rows, syn_word, syn_weight, low, row_ptr, word_tmp,
           weight_tmp, counts):
    """Order partitions [p_lo, p_hi) by row, stably (a counting sort on low through the
    scratch word_tmp/weight_tmp, each as long as the largest partition; counts: int64[2^shift
    + 1]), and write the start of each of their rows into row_ptr (n_rows + 1; the last
    partition also writes row_ptr[n_rows]).  start: int64[n_partitions + 1], where each
    partition's synapses begin."""
    width = np.int64(1) << shift
    for p in range(p_lo, p_hi):
        s0, s1 = start[p], start[p + 1]
        r0 = p * width
        nr = min(width, n_rows - r0)
        counts[:nr + 1] = 0
        for j in range(s0, s1):
            counts[low[j] + 1] += 1
        for j in range(nr):
            counts[j + 1] += counts[j]
            row_ptr[r0 + j] = s0 + counts[j]
        m = s1 - s0
        for j in range(m):
            word_tmp[j] = syn_word[s0 + j]
            weight_tmp[j] = syn_weight[s0 + j]
        for j in range(m):
            k = low[s0 + j]
            at = s0 + counts[k]
            counts[k] += 1
            syn_word[at] = word_tmp[j]
            syn_weight[at] = weight_tmp[j]
        if p == start.shape[0] - 2:
            row_ptr[n_rows] = s1


@njit(cache=True, nogil=True)
def compact_rows(row_ptr, blk_start, blk_size, keep):
    """Drop the rows of the blocks not kept (all empty) from the row starts (in place): block
    b's rows start at row_ptr[blk_start[b] : blk_start[b] + blk_size[b]].  The kept rows'
    starts move forward in order and the end of the last row follows them.  Returns the
    number of rows kept."""
    end = row_ptr[row_ptr.shape[0] - 1]
    at = 0
    for b in range(blk_start.shape[0]):
        if keep[b]:
            lo = blk_start[b]
            for j in range(blk_size[b]):
                row_ptr[at + j] = row_ptr[lo + j]
            at += blk_size[b]
    row_ptr[at] = end
    return at


@njit(cache=True, nogil=True)
def block_totals(row_ptr, blk_start, blk_size):
    """int64[n_blocks]: synapses in each block's rows, from the row starts (row_ptr[n_rows]
    is the end of the last row)."""
    out = np.zeros(blk_start.shape[0], np.int64)
    for b in range(blk_start.shape[0]):
        out[b] = np.int64(row_ptr[blk_start[b] + blk_size[b]]) - np.int64(row_ptr[blk_start[b]])
    return out


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
