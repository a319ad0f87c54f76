"""Mapping stages: partition, keys, placement and routing (with compression) produce a plan
that is complete, consistent, balanced and independent of how it is serialised."""

import itertools

import msgpack
import numpy as np
import pytest

import spinn as sim
from spinn.mapping import make_plan
from spinn.mapping.keys import allocate_keys
from spinn.mapping.partition import partition_populations
from spinn.mapping.place import place_cores
from spinn.mapping.routing import build_table, compress_table, lookup


@pytest.fixture(autouse=True)
def _end():
    yield
    sim.end()


def small_network(npc=32):
    """Three neuron populations and two Poisson sources, recurrent and feed-forward."""
    net = sim.setup(timestep=0.1, seed=3, verbose=False, neurons_per_core=npc)
    exc = sim.Population(200, sim.IF_curr_exp(), label="exc")
    inh = sim.Population(50, sim.IF_cond_exp(), label="inh")
    out = sim.Population(70, sim.IF_curr_delta(), label="out", neurons_per_core=16)
    drive = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="drive")
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=5.0), label="noise")
    syn = sim.StaticSynapse(0.1, 1.0)
    sim.Projection(drive, exc, sim.OneToOneConnector(), syn)
    sim.Projection(noise, inh, sim.OneToOneConnector(), syn)
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.1), syn)
    sim.Projection(inh, exc, sim.FixedNumberPreConnector(5), sim.StaticSynapse(-0.1, 1.0),
                   receptor_type="inhibitory")
    sim.Projection(exc, out, sim.FixedNumberPostConnector(3), syn)
    return net, (exc, inh, out, drive, noise)


# ---- partition ------------------------------------------------------------------------


def test_partition_cores_cover_each_population_within_limit():
    """Cores tile each population exactly, in order, none larger than its neurons_per_core,
    with global ids continuing across populations."""
    sizes, npc = [600, 1, 256, 257], [256, 256, 256, 100]
    cores = partition_populations(sizes, npc)
    gid = 0
    for p, (size, limit) in enumerate(zip(sizes, npc, strict=True)):
        mine = cores["pop"] == p
        lo, hi = cores["lo"][mine], cores["hi"][mine]
        assert lo[0] == 0 and hi[-1] == size and np.array_equal(lo[1:], hi[:-1])
        assert np.all(hi - lo >= 1) and np.all(hi - lo <= limit)
        assert mine.sum() == -(-size // limit)
        np.testing.assert_array_equal(cores["gid_lo"][mine], gid + lo)
        gid += size


def test_populations_are_cut_as_evenly_as_whole_cores_allow():
    """neurons_per_core is a maximum: a population takes the fewest cores it allows, of sizes
    differing by less than the number of cores (10 000 at 256: 40 cores of 250, not 39 of 256
    and one of 16), so that a split of whole cores between ranks can be even."""
    sim.setup(timestep=0.1, seed=1, verbose=False)
    for size, limit, want in ((10000, 256, 250), (2500, 256, 250), (1001, 256, 251),
                              (256, 256, 256), (257, 256, 129), (7, 256, 7), (5, 1, 1)):
        pop = sim.Population(size, sim.IF_curr_exp(), neurons_per_core=limit)
        assert pop.neurons_per_core == want and pop.max_neurons_per_core == limit
        n_cores = -(-size // want)
        assert n_cores == -(-size // limit)
        assert size - want * (n_cores - 1) > want - n_cores
    sim.end()
    # Brunel's layout (E 10 000, I 2 500 and their one-to-one drive) on 2 ranks: 6 250 each
    sim.setup(timestep=0.1, seed=1, verbose=False)
    E = sim.Population(10000, sim.IF_curr_exp(), label="E")
    inh = sim.Population(2500, sim.IF_curr_exp(), label="I")
    for post in (E, inh):
        sim.Projection(sim.Population(post.size, sim.SpikeSourcePoisson(rate=20.0)), post,
                       sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1, delay=1.5))
        for pre in (E, inh):
            sim.Projection(pre, post, sim.FixedNumberPreConnector(25),
                           sim.StaticSynapse(weight=0.1 if pre is E else -0.1, delay=1.5),
                           receptor_type="excitatory" if pre is E else "inhibitory")
    plan = make_plan(sim.current(), 2)
    cores = np.arange(plan.n_cores)
    lo, hi = plan.core_bounds(cores)
    neuron = np.isin(plan.population_of(cores), [E.index, inh.index])
    per_rank = np.bincount(plan.core_rank[neuron], weights=(hi - lo)[neuron], minlength=2)
    assert per_rank.tolist() == [6250, 6250]
    sim.end()


def core_table(plan):
    """(population, lo, hi, gid_lo, key) of every core, derived from the plan."""
    cores = np.arange(plan.n_cores)
    return (plan.population_of(cores), *plan.core_bounds(cores), plan.core_gid_lo(cores),
            plan.core_key(cores))


def test_partition_independent_of_rank_count():
    """The plan's cores (population, bounds, keys) are the same for 1, 2, 3 and 7 ranks, and
    agree with partition_populations."""
    net, _ = small_network()
    plans = [make_plan(net, n) for n in (1, 2, 3, 7)]
    ref = core_table(plans[0])
    for plan in plans[1:]:
        for a, b in zip(core_table(plan), ref):
            np.testing.assert_array_equal(a, b)
    cores = partition_populations([p.size for p in net.populations],
                                  [p.neurons_per_core for p in net.populations])
    for name, got in zip(("pop", "lo", "hi", "gid_lo"), ref):
        np.testing.assert_array_equal(got, cores[name])
    assert (ref[2] - ref[1]).max() <= 32


# ---- keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[1], [256, 256, 88], [3, 1000, 17, 64, 65]])
def test_keys_unique_and_masks_cover_index_bits(sizes):
    """Each core's mask clears exactly the index bits, every neuron's key (key | index) is
    unique over all cores, and matches its own core's (key, mask) and no other core's."""
    sizes = np.array(sizes, np.int64)
    bits, keys, masks = allocate_keys(sizes)
    assert (1 << bits) >= sizes.max()
    index_mask = (1 << bits) - 1
    assert np.all((masks.astype(np.int64) & index_mask) == 0)
    assert np.all((masks.astype(np.int64) | index_mask) == 0xFFFFFFFF)
    assert np.all((keys.astype(np.int64) & index_mask) == 0)
    neuron_keys = np.concatenate([keys[c] + np.arange(s, dtype=np.uint32)
                                  for c, s in enumerate(sizes)])
    assert np.unique(neuron_keys).size == sizes.sum()
    owner = np.repeat(np.arange(sizes.size), sizes)
    match = (neuron_keys[:, None] & masks[None, :]) == keys[None, :]
    np.testing.assert_array_equal(np.argmax(match, axis=1), owner)
    assert np.all(match.sum(axis=1) == 1)


# ---- place ----------------------------------------------------------------------------


@pytest.mark.parametrize("n_ranks", [1, 2, 3, 5])
def test_every_core_placed_and_each_population_contiguous(n_ranks):
    """Every core gets a rank in [0, n_ranks) and, in core order, the ranks of a population's
    neuron cores never decrease (each rank holds one contiguous run of each population)."""
    net, _ = small_network()
    plan = make_plan(net, n_ranks)
    pop = plan.population_of(np.arange(plan.n_cores))
    assert plan.core_rank.shape == (plan.n_cores,) and plan.core_rank.dtype == np.int32
    assert plan.core_rank.min() >= 0 and plan.core_rank.max() < n_ranks
    is_source = np.array([net.populations[p].celltype.is_source for p in pop])
    for p in np.unique(pop[~is_source]):
        assert np.all(np.diff(plan.core_rank[pop == p]) >= 0)
    for r in range(n_ranks):
        assert set(plan.local_cores(r)) == set(np.flatnonzero(plan.core_rank == r))


@pytest.mark.parametrize("n_ranks", [2, 3, 4, 8])
def test_placement_balances_load(n_ranks):
    """With many equal cores, no rank carries more than the mean load plus one core."""
    n = 97
    load = np.full(n, 10.0)
    rank = place_cores(load, np.zeros(n, bool), [], np.array([0, n]), n_ranks)
    per_rank = np.bincount(rank, weights=load, minlength=n_ranks)
    assert per_rank.max() <= load.sum() / n_ranks + load.max()
    assert per_rank.min() >= load.sum() / n_ranks - load.max()


def test_placement_balances_unequal_loads():
    """With random core loads the heaviest rank is within one (largest) core of the mean."""
    rng = np.random.default_rng(5)
    for n_ranks in (2, 3, 6):
        load = rng.uniform(1.0, 20.0, 200)
        rank = place_cores(load, np.zeros(200, bool), [], np.array([0, 200]), n_ranks)
        per_rank = np.bincount(rank, weights=load, minlength=n_ranks)
        assert per_rank.max() - load.sum() / n_ranks <= load.max()


def test_real_plan_balances_load():
    """In a real plan on 3 ranks the load per rank (neuron cores and the source cores placed
    with them) is within one neuron core and one source core of the mean."""
    net, _ = small_network(npc=16)
    plan = make_plan(net, 3)
    is_source = np.array([net.populations[p].celltype.is_source
                          for p in plan.population_of(np.arange(plan.n_cores))])
    per_rank = np.bincount(plan.core_rank, weights=plan.core_load, minlength=3)
    slack = plan.core_load[~is_source].max() + plan.core_load[is_source].max()
    assert per_rank.max() - per_rank.mean() <= slack


def test_source_cost_counts_where_the_source_lands():
    """Two equal neuron populations, only the first half of the first driven one-to-one by
    costly sources: the split counts that cost with the driven cores, so the rank that gets
    them gets fewer of them, and the loads (sources included) balance."""
    from spinn.mapping.graph import Edges

    n, h = 20, 10
    load = np.array([1.0] * n + [1.0] * n + [9.0] * h)    # A cores, B cores, sources of A[:h]
    is_source = np.array([False] * 2 * n + [True] * h)
    one_to_one = Edges(0, pre_pop=2, post_pop=0, i=np.arange(h), j=np.arange(h),
                       w=np.ones(h))
    rank = place_cores(load, is_source, [one_to_one], np.array([0, n, 2 * n, 2 * n + h]), 2)
    assert np.all(rank[2 * n:] == rank[:h])                # sources sit with their targets
    per_rank = np.bincount(rank, weights=load, minlength=2)
    assert abs(per_rank[0] - per_rank[1]) <= 10.0          # one A core with its source
    assert np.count_nonzero(rank[:n] == 0) < h             # rank 0: driven cores, fewer
    assert np.count_nonzero(rank[n:2 * n] == 0) == h       # B: half on each rank


def test_every_rank_gets_its_share_of_every_population():
    """Populations of unequal cost per core (rates nobody knows): each of 2 or 3 ranks holds
    about 1/n of each population (within a core), not whole populations."""
    sizes = [30, 12, 45]
    first = np.concatenate([[0], np.cumsum(sizes)])
    load = np.concatenate([np.full(sizes[0], 1.0), np.full(sizes[1], 5.0),
                           np.full(sizes[2], 2.0)])
    for n_ranks in (2, 3):
        rank = place_cores(load, np.zeros(first[-1], bool), [], first, n_ranks)
        for p, size in enumerate(sizes):
            held = np.bincount(rank[first[p]:first[p + 1]], minlength=n_ranks)
            assert np.all(np.abs(held - size / n_ranks) <= 1), (p, held)


@pytest.mark.parametrize("n_ranks", [2, 3, 4])
def test_spike_sources_colocated_with_one_to_one_targets(n_ranks):
    """Each Poisson core driving a population one-to-one sits on the rank of its target core."""
    net, (exc, inh, out, drive, noise) = small_network()
    plan = make_plan(net, n_ranks)
    pop, lo, *_ = core_table(plan)
    for src, tgt in ((drive, exc), (noise, inh)):
        for c in np.flatnonzero(pop == src.index):
            t = np.flatnonzero((pop == tgt.index) & (lo == lo[c]))
            assert t.size == 1 and plan.core_rank[c] == plan.core_rank[t[0]]
    assert len(set(plan.core_rank[pop == exc.index])) > 1  # genuinely spread


def test_sources_of_a_dense_block_spread_over_their_targets_ranks():
    """Poisson sources projecting all-to-all onto a population spread over 4 ranks are not
    all put on one rank: among ranks with (nearly) as many of their targets, each goes to
    the least loaded."""
    net = sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=16)
    a = sim.Population(256, sim.IF_curr_exp(), label="a")
    s = sim.Population(128, sim.SpikeSourcePoisson(rate=5.0), label="s")
    sim.Projection(s, a, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(0.1, 1.0))
    plan = make_plan(net, 4)
    src_ranks = plan.core_rank[plan.pop_cores(s.index)]
    assert np.bincount(src_ranks, minlength=4).tolist() == [2, 2, 2, 2]


def test_more_ranks_than_cores_leaves_ranks_empty():
    """On more ranks than cores every core is still placed once; the spare ranks hold nothing
    and have empty routing tables; the summary lists every rank."""
    net = sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=64)
    a = sim.Population(100, sim.IF_curr_exp(), label="a")
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(0.1, 1.0))
    plan = make_plan(net, 6)
    assert plan.n_cores == 2
    used = set(plan.core_rank.tolist())
    assert len(used) == 2
    for r in set(range(6)) - used:
        spare = make_plan(net, 6, r)
        assert spare.local_cores().size == 0 and spare.table == ()
        assert spare.dests == () and spare.sources == () and spare.incoming.size == 0
    summary = plan.summary()
    for r in range(6):
        assert f"rank {r}:" in summary


# ---- routing --------------------------------------------------------------------------


def random_routing_case(rng):
    sizes = rng.integers(1, 300, rng.integers(1, 40))
    _, keys, masks = allocate_keys(sizes)
    n_cores, n_ranks = sizes.size, int(rng.integers(1, 6))
    routes = [tuple(sorted(rng.choice(n_ranks, rng.integers(1, n_ranks + 1), replace=False)
                           .tolist())) for _ in range(int(rng.integers(1, 4)))]
    dest = {c: (routes[rng.integers(len(routes))] if rng.random() < 0.85 else ())
            for c in range(n_cores)}
    local = np.sort(rng.choice(n_cores, rng.integers(1, n_cores + 1), replace=False))
    return sizes, keys, masks, dest, local


def test_compression_preserves_every_lookup():
    """Randomised: for every key of every local core (its first, a random and its last
    neuron) the compressed table routes exactly as the uncompressed one, including 'no
    route' — the keys a rank's router sees are its own cores' only."""
    rng = np.random.default_rng(2024)
    shrunk = 0
    for _ in range(300):
        sizes, keys, masks, dest, local = random_routing_case(rng)
        table = build_table(local, keys[local], masks[local], dest)
        compressed = compress_table(table, keys[local])
        assert len(compressed) <= len(table)
        shrunk += len(compressed) < len(table)
        for c in local.tolist():
            key = int(keys[c])
            for i in {0, int(rng.integers(sizes[c])), int(sizes[c]) - 1}:
                assert lookup(compressed, key + i) == lookup(table, key + i), (c, i)
    assert shrunk > 30  # the property was exercised on tables that actually compressed


def test_compression_merges_population_with_one_route():
    """Eight cores sharing one route compress to a single entry that still routes all eight
    and none of the other cores."""
    sizes = np.full(12, 256)
    _, keys, masks = allocate_keys(sizes)
    dest = {c: (1, 2) for c in range(8)}
    dest.update({c: (0,) for c in range(8, 12)})
    table = build_table(np.arange(8), keys[:8], masks[:8], dest)
    compressed = compress_table(table, keys)
    assert len(table) == 8 and len(compressed) == 1
    for c in range(12):
        assert lookup(compressed, int(keys[c]) + 5) == ((1, 2) if c < 8 else None)


def test_compression_does_not_capture_foreign_core():
    """Cores 0 and 3 share a route, cores 1 and 2 (between them in key space) share another:
    merging either pair naively would capture the other pair's keys, so no merge may happen
    and every core keeps its own route."""
    _, keys, masks = allocate_keys(np.full(4, 16))
    dest = {0: (1,), 1: (0,), 2: (0,), 3: (1,)}
    table = build_table(np.arange(4), keys, masks, dest)
    compressed = compress_table(table, keys)
    for c in range(4):
        assert lookup(compressed, int(keys[c])) == dest[c]


def test_plan_routing_tables_compress_and_route_correctly():
    """In a real plan a rank whose population cores share one route has fewer entries after
    compression, and every core's route is the set of ranks holding a reachable post core."""
    net = sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=16)
    a = sim.Population(256, sim.IF_curr_exp(), label="a")
    b = sim.Population(256, sim.IF_curr_exp(), label="b")
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(0.01, 1.0))
    plans = [make_plan(net, 2, r) for r in range(2)]
    plan = plans[0]
    pop = plan.population_of(np.arange(plan.n_cores))
    b_ranks = tuple(sorted(set(plan.core_rank[pop == b.index].tolist())))
    a_on_0 = np.count_nonzero((pop == a.index) & (plan.core_rank == 0))
    assert a_on_0 >= 2
    assert plan.entries_before == a_on_0 and len(plan.table) < a_on_0
    for c in range(plan.n_cores):
        table = plans[int(plan.core_rank[c])].table
        want = b_ranks if pop[c] == a.index else None
        assert lookup(table, int(plan.core_key([c])[0]) + 3) == want


@pytest.mark.parametrize("n_ranks", [1, 2, 3, 5])
def test_each_ranks_view_is_consistent_with_the_others(n_ranks):
    """Every rank's plan has the same global part (digest); a rank receives from a core
    exactly when that core's route, in its owner's table, includes the rank; dests and
    sources match pairwise — each rank derived them without the others' tables."""
    net, _ = small_network(npc=16)
    sim.Projection(net.populations[2], net.populations[1][10:40],
                   sim.FromListConnector([(1, 3), (50, 29)]), sim.StaticSynapse(0.1, 1.0))
    plans = [make_plan(net, n_ranks, r) for r in range(n_ranks)]
    assert len({p.digest() for p in plans}) == 1
    for r, plan in enumerate(plans):
        for c in range(plan.n_cores):
            owner = plans[int(plan.core_rank[c])]
            route = lookup(owner.table, int(plan.core_key([c])[0])) or ()
            assert (r in route) == (c in set(plan.incoming.tolist())), (r, c, route)
        for d in plan.dests:
            assert r in plans[d].sources
        for s_ in plan.sources:
            assert r in plans[s_].dests


# ---- the plan as data -----------------------------------------------------------------


def test_plan_msgpack_round_trip():
    """plan.to_msgpack() unpacks with plain msgpack to the plan's fields: arrays as lists and
    routing tables as [key, mask, route] rows."""
    net, _ = small_network()
    plan = make_plan(net, 3, 1)
    d = msgpack.unpackb(plan.to_msgpack())
    assert set(d) == set(plan.__dataclass_fields__)
    for name in plan.__dataclass_fields__:
        value = getattr(plan, name)
        if isinstance(value, np.ndarray):
            assert d[name] == value.tolist(), name
        elif name == "table":
            assert d[name] == [[k, m, list(r)] for k, m, r in value]
        elif isinstance(value, tuple):
            assert d[name] == list(value), name
        else:
            assert d[name] == value, name


def test_plan_summary_mentions_every_rank_and_population():
    """plan.summary() has a line per rank and names each population placed there."""
    net, pops = small_network()
    plan = make_plan(net, 4)
    summary = plan.summary()
    for r in range(4):
        assert f"rank {r}:" in summary
    for pop in pops:
        assert pop.label in summary
    assert f"{plan.n_cores} cores on 4 rank(s)" in summary


def test_plan_is_deterministic():
    """Two plans of the same network on the same rank count serialise identically."""
    net, _ = small_network()
    assert make_plan(net, 3).to_msgpack() == make_plan(net, 3).to_msgpack()


def test_keys_match_over_all_plan_cores():
    """In a real plan no two cores share a key and each core's neurons fit under its mask."""
    net, _ = small_network()
    plan = make_plan(net, 2)
    _, lo, hi, _, keys = core_table(plan)
    mask = int(plan.core_mask)
    assert np.unique(keys).size == plan.n_cores
    span = (~mask) & 0xFFFFFFFF
    assert np.all(hi - lo - 1 <= span)
    for a, b in itertools.combinations(range(plan.n_cores), 2):
        assert (int(keys[a]) & mask) != int(keys[b])
