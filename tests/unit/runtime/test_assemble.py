"""The counting-sort assembly of synaptic rows (spinn/kernels/assemble.py) against a
reference made in numpy by a stable sort: same rows, same order inside every row; and a
second generation that differs from the counted one is refused, not written."""

import numpy as np
import pytest

from spinn.kernels.assemble import block_totals, compact_rows, source_rows, tally
from spinn.kernels.deliver import pack_words, unpack_words
from spinn.runtime.rows import RowAssembly, row_shift

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


def _assemble(parts, n_slots, stage_steps, n_stages, second=None, shift=0):
    """The two generations through RowAssembly (direct at shift 0, else staged by
    partitions of 2^shift rows): (ok, row_ptr, syn_word, syn_weight)."""
    row_base = _row_base(n_stages)
    assembly = RowAssembly(n_stages * N_SRC, shift)
    h1 = 0
    for p in parts:
        rows = np.empty(p["pre"].size, np.int64)
        h, missing = source_rows(p["pre"], p["pre_map"], NPC, 0, row_base, p["delay"], DT,
                                 n_slots, stage_steps, rows)
        assert missing == 0
        assembly.count(rows, rows.size)
        h1 += int(h)
    n_syn = assembly.allocate(np.float32)
    assert n_syn == assembly.total() == sum(p["pre"].size for p in parts)
    ok, h2, placed = True, 0, 0
    for p in (second or parts):
        rows = np.empty(p["pre"].size, np.int64)
        h, missing = source_rows(p["pre"], p["pre_map"], NPC, 0, row_base, p["delay"], DT,
                                 n_slots, stage_steps, rows)
        ok = ok and missing == 0 and assembly.place(
            rows, rows.size, (p["delay"], p["post"], p["post_map"], p["index_base"],
                              p["receptor"], p["weight"], p["sign"]), DT, n_slots,
            stage_steps)
        h2 += int(h)
        placed += rows.size
    ok = ok and placed == n_syn and assembly.full()
    if not ok:
        return False, None, assembly.syn_word, assembly.syn_weight
    row_ptr = assembly.finish()
    return (h1 % (1 << 64) == h2 % (1 << 64), row_ptr, assembly.syn_word,
            assembly.syn_weight)


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


SHIFTS = [0, 1, 2, 5, 16]      # direct; staged by partitions of 2, 4, 32 and 65 536 rows


@pytest.mark.parametrize("shift", SHIFTS)
def test_rows_match_a_stable_sort_reference(shift):
    """Counted on one generation and placed on a second — directly by row, or staged by
    partitions of rows and then settled — each row holds exactly its synapses, in generation
    order, with the residual delay of its stage: a stable sort by row, whatever the
    partition width."""
    rng = np.random.default_rng(3)
    n_slots, stage_steps, n_stages = 16, 8, 3
    parts = _parts(rng, n=12)
    ok, row_ptr, syn_word, syn_weight = _assemble(parts, n_slots, stage_steps, n_stages,
                                                  shift=shift)
    assert ok
    row, ref_words, ref_w = _reference(parts, n_slots, stage_steps)
    assert np.array_equal(syn_word, ref_words)
    assert np.array_equal(syn_weight, ref_w)
    assert np.array_equal(np.diff(row_ptr.astype(np.int64)),
                          np.bincount(row, minlength=n_stages * N_SRC))


@pytest.mark.parametrize("shift", [0, 2])
@pytest.mark.parametrize("change", ["extra synapse", "other source", "one fewer"])
def test_a_different_second_generation_is_refused_without_writing_past_the_arrays(change,
                                                                                  shift):
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
    elif change == "one fewer":
        other["pre"], other["post"] = parts[0]["pre"][:-1], parts[0]["post"][:-1]
    else:
        other["pre"] = parts[0]["pre"].copy()
        other["pre"][np.flatnonzero(other["pre"] != 7)[:3]] = 7
    ok, _, syn_word, _ = _assemble(parts, 16, 8, 1, second=[other], shift=shift)
    assert not ok and syn_word.size == 40


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


def test_the_row_index_drops_empty_blocks_and_keeps_every_row_start():
    """Blocks left without synapses lose their rows from the index; the others keep their
    starts, and the last entry stays the end of the last row."""
    row_ptr = np.array([0, 2, 2, 2, 2, 5, 5, 9], np.uint32)    # 7 rows, 9 synapses
    blk_start = np.array([0, 2, 4, 6], np.int64)
    blk_size = np.array([2, 2, 2, 1], np.int64)
    totals = block_totals(row_ptr, blk_start, blk_size)
    assert list(totals) == [2, 0, 3, 4]
    n = compact_rows(row_ptr, blk_start, blk_size, totals > 0)
    assert n == 5 and list(row_ptr[:n + 1]) == [0, 2, 2, 5, 5, 9]


def test_the_partition_width_follows_the_expected_row_length():
    """Rows of DENSE_ROW synapses or more are placed directly; shorter rows are staged by
    the narrowest partitions of which there are at most MAX_PARTITIONS (at most 2^16 rows
    each: low is 16 bits), and the staging's bytes beyond the row index are foreseen."""
    from spinn.runtime.rows import DENSE_ROW, MAX_PARTITIONS, MAX_SHIFT, staging_bytes

    assert row_shift(620 * 25_000, 25_000) == 0          # Brunel on 2 ranks
    assert row_shift(DENSE_ROW * 1000, 1000) == 0
    assert row_shift(19 * 825_000, 825_000) == 11        # 64 ranks: 403 partitions
    s = row_shift(1.2 * 13_200_000, 13_200_000)          # 1 024 ranks
    assert s == 15 and 13_200_000 >> s < MAX_PARTITIONS <= 13_200_000 >> (s - 1)
    assert row_shift(1.0, 10) == 1 and row_shift(1e12, 1 << 40) == MAX_SHIFT
    assert staging_bytes(620 * 25_000, 25_000) == 0
    assert staging_bytes(19 * 825_000, 825_000) == 2 * 19 * 825_000 - 4 * 825_000
    assert staging_bytes(50 * 20_000, 20_000) == 50 * 20_000 - 4 * 20_000    # 1 B each
    assert staging_bytes(1.2 * 13_200_000, 13_200_000) == 0     # 2 B each < the index


def _built(monkeypatch, shift):
    """A network with two delay stages, a view, FixedNumberPre, random weights and an STDP
    projection, built with the partition width forced; its matrices' arrays and spikes."""
    import spinn as sim
    import spinn.runtime.build as build

    monkeypatch.setattr(build, "row_shift", lambda *a: shift)
    sim.setup(timestep=0.1, seed=7, verbose=False, max_delay=40.0)
    src = sim.Population(60, sim.SpikeSourcePoisson(rate=80.0), label="src")
    a = sim.Population(300, sim.IF_curr_exp(), label="a")
    b = sim.Population(70, sim.IF_cond_exp(), label="b")
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.5, 2.0)),
                                     delay=sim.RandomDistribution("uniform", (0.1, 30.0))))
    sim.Projection(a[10:200], b, sim.FixedNumberPreConnector(25),
                   sim.StaticSynapse(weight=0.004, delay=1.5),
                   receptor_type="inhibitory")
    sim.Projection(src, b, sim.AllToAllConnector(),
                   sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                     weight_dependence=sim.AdditiveWeightDependence(
                                         w_min=0.0, w_max=0.01),
                                     weight=0.002, delay=2.0))
    a.record("spikes")
    b.record("spikes")
    sim.run(100.0)
    engine = sim.simulation().engine
    arrays = [x.copy() for m in engine.static for x in m.arrays()]
    arrays += [x.copy() for pp in engine.plastic for m in pp.matrices for x in m.arrays()]
    spikes = [sim.simulation().results.spikes(p) for p in (a, b)]
    spikes = [(s.ids.copy(), s.times_ms.copy()) for s in spikes]
    sim.end()
    return arrays, spikes


def test_staged_and_direct_builds_give_the_same_matrices_and_spikes(monkeypatch):
    """Staging by partitions only changes how the rows are made: every array of every
    matrix (row index, words, weights; static and plastic, both delay stages) and the spikes
    are the same as when each synapse is placed at its row directly."""
    direct, direct_spikes = _built(monkeypatch, 0)
    assert sum(x.size for x in direct) > 10_000
    for shift in (1, 4):
        staged, staged_spikes = _built(monkeypatch, shift)
        assert len(staged) == len(direct)
        for x, y in zip(direct, staged):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        for (i, t), (j, u) in zip(direct_spikes, staged_spikes):
            assert np.array_equal(i, j) and np.array_equal(t, u)
    assert direct_spikes[0][0].size > 100
