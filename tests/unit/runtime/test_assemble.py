"""The counting-sort assembly of synaptic rows (spinn/kernels/assemble.py) against a
reference made in numpy by a stable lexsort: same blocks, same rows, same order inside every
row; and a second generation that differs from the counted one is refused, not written."""

import numpy as np
import pytest

from spinn.kernels.assemble import place, row_pointers, tally
from spinn.kernels.deliver import pack_words, unpack_words

DT = 0.1


def _parts(rng, gid_lo, core_size):
    """Per post core (in order, each in a group): raw parts as Part.arrays would see them."""
    parts = []
    n_gid = int(core_size.sum())
    for post_core in range(5):
        for _ in range(2):                    # two projections onto the core
            n = int(rng.integers(0, 60))
            pre_size = int(rng.integers(1, 9))
            pre_map = (np.sort(rng.choice(n_gid, pre_size, replace=False))
                       if rng.random() < 0.5 else np.empty(0, np.int64))
            src_base = 0 if pre_map.size else int(rng.integers(0, n_gid - pre_size + 1))
            post_map = (rng.permutation(300).astype(np.int64) if rng.random() < 0.5
                        else np.empty(0, np.int64))
            delay = (rng.integers(1, 16 + 2 * 8 + 1, n) * DT if rng.random() < 0.5
                     else float(rng.integers(1, 33)) * DT)
            weight = rng.random(n) if rng.random() < 0.5 else float(rng.random())
            parts.append(dict(pre=rng.integers(0, pre_size, n), pre_map=pre_map,
                              src_base=src_base, delay=delay, post=rng.integers(0, 300, n),
                              post_map=post_map, index_base=int(rng.integers(-5, 1)),
                              receptor=int(rng.integers(0, 2)), weight=weight,
                              sign=float(rng.choice([-1.0, 1.0])), g=post_core // 3))
    return parts


def _arrays(p):
    src = p["src_base"] + (p["pre_map"][p["pre"]] if p["pre_map"].size else p["pre"])
    index = (p["post_map"][p["post"]] if p["post_map"].size else p["post"]) - p["index_base"]
    d = np.maximum(np.rint(np.broadcast_to(p["delay"], p["pre"].shape) / DT), 1)
    w = p["sign"] * np.broadcast_to(p["weight"], p["pre"].shape)
    return src, pack_words(index, p["receptor"], d.astype(np.uint32)), w


def _assemble(parts, gid_lo, core_size, n_slots, stage_steps, n_stages, n_groups,
              second=None):
    gid_core = np.repeat(np.arange(core_size.size, dtype=np.int32), core_size)
    exists = np.zeros((n_stages, core_size.size, n_groups), bool)
    counts = np.zeros((n_groups, n_stages, gid_core.size), np.int32)
    for p in parts:
        tally(p["pre"], p["pre_map"], p["src_base"], p["delay"], DT, p["g"], gid_core,
              n_slots, stage_steps, counts[p["g"]], exists)
    blocks = np.flatnonzero(exists.ravel())
    blk_stage, blk_core, blk_group = np.unravel_index(blocks, exists.shape)
    blk_size = core_size[blk_core].astype(np.int64)
    blk_row_base = np.r_[0, np.cumsum(blk_size + 1)[:-1]].astype(np.int64)
    row_counts = np.zeros(int((blk_size + 1).sum()), np.int64)
    for b in range(blocks.size):
        lo = gid_lo[blk_core[b]]
        row_counts[blk_row_base[b]:blk_row_base[b] + blk_size[b]] = \
            counts[blk_group[b], blk_stage[b], lo:lo + blk_size[b]]
    row_ptr = np.zeros(row_counts.size, np.int64)
    row_pointers(row_counts, blk_row_base, blk_size, row_ptr)
    syn_word = np.zeros(int(row_ptr[-1]), np.uint32)
    syn_weight = np.zeros(syn_word.size, np.float32)
    ok = True
    for g in range(n_groups):
        span = np.zeros((n_stages, gid_core.size, 2), np.int64)
        for b in np.flatnonzero(blk_group == g):
            lo, base, size = gid_lo[blk_core[b]], blk_row_base[b], blk_size[b]
            span[blk_stage[b], lo:lo + size, 0] = row_ptr[base:base + size]
            span[blk_stage[b], lo:lo + size, 1] = row_ptr[base + 1:base + size + 1]
        for p in (second or parts):
            if p["g"] == g:
                ok &= place(p["pre"], p["pre_map"], p["src_base"], p["delay"], p["post"],
                            p["post_map"], p["index_base"], p["receptor"], p["weight"],
                            p["sign"], DT, n_slots, stage_steps, span, syn_word, syn_weight)
    return ok, blocks, exists.shape, blk_row_base, row_ptr, syn_word, syn_weight, gid_core


def test_rows_match_a_stable_sort_reference():
    rng = np.random.default_rng(3)
    core_size = np.array([5, 3, 7, 4])
    gid_lo = np.r_[0, np.cumsum(core_size)[:-1]]
    n_slots, stage_steps, n_stages, n_groups = 16, 8, 3, 2
    parts = _parts(rng, gid_lo, core_size)
    ok, blocks, shape, blk_row_base, row_ptr, syn_word, syn_weight, gid_core = _assemble(
        parts, gid_lo, core_size, n_slots, stage_steps, n_stages, n_groups)
    assert ok

    # reference: every synapse keyed (stage, source core, group, source index), stable
    arrays = [_arrays(p) for p in parts]
    pre = np.concatenate([a[0] for a in arrays]).astype(np.int64)
    words = np.concatenate([a[1] for a in arrays])
    w = np.concatenate([a[2] for a in arrays]).astype(np.float32)
    g = np.concatenate([np.full(p["pre"].size, p["g"]) for p in parts])
    idx, rec, d = unpack_words(words)
    stage = -(-np.maximum(d - n_slots, 0) // stage_steps)
    core = gid_core[pre]
    order = np.lexsort((pre - gid_lo[core], g, core, stage))
    ref_words = pack_words(idx, rec, d - stage * stage_steps)[order]
    assert syn_word.size == pre.size
    assert np.array_equal(syn_word, ref_words)
    assert np.array_equal(syn_weight, w[order])
    # each row holds exactly its synapses
    for b, key in enumerate(blocks):
        st, c, grp = np.unravel_index(key, shape)
        for j in range(core_size[c]):
            r = blk_row_base[b] + j
            mine = (stage == st) & (core == c) & (g == grp) & (pre - gid_lo[c] == j)
            assert row_ptr[r + 1] - row_ptr[r] == np.count_nonzero(mine)


@pytest.mark.parametrize("change", ["extra synapse", "other source"])
def test_a_different_second_generation_is_refused_without_writing_past_a_row(change):
    """The rows are counted on a first generation and filled on a second: if the second
    differs, place reports it before a row overflows (the build raises)."""
    rng = np.random.default_rng(5)
    core_size = np.array([4, 4])
    gid_lo = np.array([0, 4])
    parts = [dict(pre=rng.integers(0, 8, 40), pre_map=np.empty(0, np.int64), src_base=0,
                  delay=0.1, post=rng.integers(0, 10, 40), post_map=np.empty(0, np.int64),
                  index_base=0, receptor=0, weight=1.0, sign=1.0, g=0)]
    other = dict(parts[0])
    if change == "extra synapse":
        other["pre"] = np.r_[parts[0]["pre"], parts[0]["pre"][0]]
        other["post"] = np.r_[parts[0]["post"], 0]
    else:
        other["pre"] = parts[0]["pre"].copy()
        other["pre"][np.flatnonzero(other["pre"] != 7)[:3]] = 7
    ok, *_, syn_word, _, _ = _assemble(parts, gid_lo, core_size, 16, 8, 1, 1, second=[other])
    assert not ok


def test_build_refuses_a_connector_whose_second_generation_differs():
    """A user connector drawing from an unkeyed source (here a counter) would make the rows
    counted on the first generation differ from those filled on the second: sim.build says
    so instead of writing wrong rows."""
    import spinn as sim

    class Drifting(sim.FixedProbabilityConnector):
        calls = 0

        def connect(self, ctx):
            Drifting.calls += 1
            pre, post, columns = super().connect(ctx)
            return (pre + Drifting.calls) % ctx.pre_size, post, columns

    net = sim.setup(timestep=0.1, seed=1, verbose=False)
    a = sim.Population(40, sim.IF_curr_exp(), label="a")
    sim.Projection(a, a, Drifting(0.3), sim.StaticSynapse(0.1, 1.0))
    with pytest.raises(RuntimeError, match="differently when generated a second time"):
        sim.build(net)
    sim.end()
