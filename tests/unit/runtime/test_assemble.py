"""The counting-sort assembly of synaptic rows (spinn/kernels/assemble.py) against a
reference made by a stable lexsort: same blocks, same rows, same order inside every row."""

import numpy as np

from spinn.kernels.assemble import count_rows, mark_blocks, place, row_pointers
from spinn.kernels.deliver import pack_words, unpack_words


def test_rows_match_a_stable_sort_reference():
    rng = np.random.default_rng(3)
    core_size = np.array([5, 3, 7, 4])
    gid_lo = np.r_[0, np.cumsum(core_size)[:-1]]
    gid_core = np.repeat(np.arange(4, dtype=np.int32), core_size)
    n_slots, stage_steps, n_stages, n_groups = 16, 8, 3, 2
    held = []
    for post_core in range(5):            # post cores in order, each in one group
        n = int(rng.integers(0, 60))
        pre = rng.integers(0, core_size.sum(), n).astype(np.int32)
        delay = rng.integers(1, n_slots + 2 * stage_steps + 1, n)
        words = pack_words(rng.integers(0, 300, n), rng.integers(0, 2, n), delay)
        held.append((pre, words, rng.random(n).astype(np.float32), post_core // 3))
    exists = np.zeros((n_stages, 4, n_groups), bool)
    for pre, words, _, g in held:
        mark_blocks(pre, words, g, gid_core, n_slots, stage_steps, exists)
    blocks = np.flatnonzero(exists.ravel())
    block_id = np.full(exists.shape, -1, np.int64)
    block_id.ravel()[blocks] = np.arange(blocks.size)
    _, blk_core, _ = np.unravel_index(blocks, exists.shape)
    blk_size = core_size[blk_core].astype(np.int64)
    blk_row_base = np.r_[0, np.cumsum(blk_size + 1)[:-1]].astype(np.int64)
    counts = np.zeros(int((blk_size + 1).sum()), np.int64)
    for pre, words, _, g in held:
        count_rows(pre, words, g, gid_core, gid_lo, n_slots, stage_steps, block_id,
                   blk_row_base, counts)
    row_ptr = np.zeros(counts.size, np.int64)
    row_pointers(counts, blk_row_base, blk_size, row_ptr)
    syn_word = np.empty(int(row_ptr[-1]), np.uint32)
    syn_weight = np.empty(syn_word.size, np.float32)
    cursor = row_ptr.copy()
    for pre, words, w, g in held:
        place(pre, words, w, g, gid_core, gid_lo, n_slots, stage_steps, block_id,
              blk_row_base, cursor, syn_word, syn_weight)

    # reference: every synapse keyed (stage, source core, group, source index), stable
    pre = np.concatenate([h[0] for h in held]).astype(np.int64)
    words = np.concatenate([h[1] for h in held])
    w = np.concatenate([h[2] for h in held])
    g = np.concatenate([np.full(h[0].size, h[3]) for h in held])
    idx, rec, d = unpack_words(words)
    stage = -(-np.maximum(d - n_slots, 0) // stage_steps)
    core = gid_core[pre]
    order = np.lexsort((pre - gid_lo[core], g, core, stage))
    ref_words = pack_words(idx, rec, d - stage * stage_steps)[order]
    assert np.array_equal(syn_word, ref_words)
    assert np.array_equal(syn_weight, w[order])
    # each row holds exactly its synapses
    for b, key in enumerate(blocks):
        st, c, grp = np.unravel_index(key, exists.shape)
        for j in range(core_size[c]):
            r = blk_row_base[b] + j
            mine = (stage == st) & (core == c) & (g == grp) & (pre - gid_lo[c] == j)
            assert row_ptr[r + 1] - row_ptr[r] == np.count_nonzero(mine)
