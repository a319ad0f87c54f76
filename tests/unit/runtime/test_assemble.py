"""The counting-sort assembly of synaptic rows (spinn/kernels/assemble.py) against a
reference made in numpy by a stable sort: same rows, same order inside every row; and a
second generation that differs from the counted one is refused, not written."""

import numpy as np
import pytest

from spinn.kernels.assemble import place, prefix_sum, shift_back, source_rows, tally
from spinn.kernels.deliver import pack_words, unpack_words

DT = 0.1
EMPTY = np.empty(0, np.int64)
N_SRC, NPC = 19, 5                      # one source population: cores of 5, 5, 5 and 4


def _parts(rng, n=6):
    """Raw parts as Part would give them: one source population, endpoint indices through
    an optional view map, scalar or per-synapse delays and weights."""
    parts = []
    for _ in range(n):
        k = int(rng.integers(0, 60))
        pre_map = (np.sort(rng.choice(N_SRC, 7, replace=False)) if rng.random() < 0.5
                   else np.empty(0, np.int64))
        pre_size = pre_map.size or N_SRC
        post_map = (rng.permutation(300).astype(np.int64) if rng.random() < 0.5
                    else np.empty(0, np.int64))
        delay = (rng.integers(1, 16 + 2 * 8 + 1, k) * DT if rng.random() < 0.5
                 else float(rng.integers(1, 33)) * DT)
        weight = rng.random(k) if rng.random() < 0.5 else float(rng.random())
        parts.append(dict(pre=rng.integers(0, pre_size, k), pre_map=pre_map, delay=delay,
                          post=rng.integers(0, 300, k), post_map=post_map,
                          index_base=int(rng.integers(-5, 1)), receptor=int(rng.integers(0, 2)),
                          weight=weight, sign=float(rng.choice([-1.0, 1.0]))))
    return parts


def _row_base(n_stages):
    """Every (stage, source core) a block, rows numbered stage-major: row = st·N + parent."""
    k = np.arange(-(-N_SRC // NPC))
    return np.stack([st * N_SRC + k * NPC for st in range(n_stages)]).astype(np.int64)


def _assemble(parts, n_slots, stage_steps, n_stages, second=None):
    row_base = _row_base(n_stages)
    n_rows = n_stages * N_SRC
    row_ptr = np.zeros(n_rows + 1, np.uint32)
    h1 = 0
    for p in parts:
        rows = np.empty(p["pre"].size, np.int64)
        h, missing = source_rows(p["pre"], p["pre_map"], NPC, 0, row_base, p["delay"], DT,
                                 n_slots, stage_steps, rows)
        assert missing == 0
        tally(rows, rows.size, row_ptr)
        h1 += int(h)
    n_syn = prefix_sum(row_ptr, n_rows)
    syn_word = np.zeros(n_syn, np.uint32)
    syn_weight = np.zeros(n_syn, np.float32)
    ok, h2 = True, 0
    for p in (second or parts):
        rows = np.empty(p["pre"].size, np.int64)
        h, missing = source_rows(p["pre"], p["pre_map"], NPC, 0, row_base, p["delay"], DT,
                                 n_slots, stage_steps, rows)
        ok &= missing == 0 and bool(place(
            rows, rows.size, p["delay"], p["post"], p["post_map"], p["index_base"],
            p["receptor"], p["weight"], p["sign"], DT, n_slots, stage_steps, row_ptr,
            syn_word, syn_weight))
        h2 += int(h)
    shift_back(row_ptr, n_rows)
    return ok and h1 % (1 << 64) == h2 % (1 << 64), row_ptr, syn_word, syn_weight


def _reference(parts, n_slots, stage_steps):
    """Every synapse keyed by its row (stage, source neuron), stable-sorted."""
    src, words, w = [], [], []
    for p in parts:
        s = p["pre_map"][p["pre"]] if p["pre_map"].size else p["pre"]
        index = (p["post_map"][p["post"]] if p["post_map"].size else p["post"]) \
            - p["index_base"]
        d = np.maximum(np.rint(np.broadcast_to(p["delay"], p["pre"].shape) / DT), 1)
        src.append(s)
        words.append(pack_words(index, p["receptor"], d.astype(np.uint32)))
        w.append(p["sign"] * np.broadcast_to(p["weight"], p["pre"].shape))
    src, words = np.concatenate(src).astype(np.int64), np.concatenate(words)
    w = np.concatenate(w).astype(np.float32)
    idx, rec, d = unpack_words(words)
    stage = -(-np.maximum(d - n_slots, 0) // stage_steps)
    row = stage * N_SRC + src
    order = np.argsort(row, kind="stable")
    return row[order], pack_words(idx, rec, d - stage * stage_steps)[order], w[order]


def test_rows_match_a_stable_sort_reference():
    """source_rows + tally + prefix_sum + place + shift_back give each row exactly its
    synapses, in generation order, with the residual delay of its stage — as a stable sort
    by row."""
    rng = np.random.default_rng(3)
    n_slots, stage_steps, n_stages = 16, 8, 3
    parts = _parts(rng)
    ok, row_ptr, syn_word, syn_weight = _assemble(parts, n_slots, stage_steps, n_stages)
    assert ok
    row, ref_words, ref_w = _reference(parts, n_slots, stage_steps)
    assert np.array_equal(syn_word, ref_words)
    assert np.array_equal(syn_weight, ref_w)
    assert np.array_equal(np.diff(row_ptr.astype(np.int64)),
                          np.bincount(row, minlength=n_stages * N_SRC))


@pytest.mark.parametrize("change", ["extra synapse", "other source"])
def test_a_different_second_generation_is_refused_without_writing_past_the_arrays(change):
    """The rows are counted on a first generation and filled on a second: if the second
    differs (one synapse more, or the same number from other sources), the hashes or the
    bounds check say so — and nothing is written outside the synapse arrays."""
    rng = np.random.default_rng(5)
    parts = [dict(pre=rng.integers(0, N_SRC, 40), pre_map=np.empty(0, np.int64), delay=0.1,
                  post=rng.integers(0, 10, 40), post_map=np.empty(0, np.int64), index_base=0,
                  receptor=0, weight=1.0, sign=1.0)]
    other = dict(parts[0])
    if change == "extra synapse":
        other["pre"] = np.r_[parts[0]["pre"], parts[0]["pre"][0]]
        other["post"] = np.r_[parts[0]["post"], 0]
    else:
        other["pre"] = parts[0]["pre"].copy()
        other["pre"][np.flatnonzero(other["pre"] != 7)[:3]] = 7
    ok, *_ = _assemble(parts, 16, 8, 1, second=[other])
    assert not ok


def test_a_synapse_from_a_source_without_a_block_is_counted_as_missing():
    """A synapse whose (stage, source core) has no block on the rank (row_base -1) is not
    counted into any row but reported, so the build can say the mapping missed a route."""
    row_base = _row_base(1)
    row_base[0, 2] = -1
    row_ptr = np.zeros(N_SRC + 1, np.uint32)
    pre = np.array([0, 10, 11, 18], np.int64)         # 10 and 11 lie in core 2
    rows = np.empty(pre.size, np.int64)
    _, missing = source_rows(pre, EMPTY, NPC, 0, row_base, 0.1, DT, 16, 8, rows)
    tally(rows, rows.size, row_ptr)
    assert missing == 2 and row_ptr.sum() == 2 and list(rows[1:3]) == [-1, -1]


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
