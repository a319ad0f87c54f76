"""The spatial, total-number and array connectors generate the pairs PyNN defines: connection
probability follows the distance expression, the total is exactly n however the post cores
split it, and the array's pairs exactly."""

import numpy as np
import pytest

import spinn as sim
from spinn.model import connectors as conn_mod
from spinn.model import distance as distance_mod
from spinn.model.connectors import ConnectContext
from spinn.runtime.build import PURPOSE_CONNECT, PURPOSE_SPLIT, stream


def generate(conn, pre_size, post_size, npc=64, same=False, seed=1, cores=None,
             positions=None, cache=None):
    """Run ``conn`` for the chosen post cores (default: all) the way build.py does.

    positions: (pre float64[3, pre_size], post float64[3, post_size]) or None.
    Returns pre int64[n], post int64[n] and the per-core post arrays.
    """
    bounds = np.append(np.arange(0, post_size, npc), post_size).astype(np.int64)
    cache = {} if cache is None else cache
    pres, posts = [], []
    for c in (range(bounds.size - 1) if cores is None else cores):
        ctx = ConnectContext("Projection 'test'", pre_size, post_size,
                             np.arange(bounds[c], bounds[c + 1], dtype=np.int64), c,
                             np.diff(bounds), stream(seed, PURPOSE_CONNECT, 0, c),
                             lambda *key: stream(seed, PURPOSE_SPLIT, 0, *key),
                             lambda: positions, cache,
                             self_pre=(lambda k: np.asarray(k, np.int64).copy()) if same
                             else None, post_core_of=lambda k: np.asarray(k) // npc)
        pre, post, columns = conn.connect(ctx)
        assert pre.dtype == np.int64 and post.dtype == np.int64 and pre.shape == post.shape
        assert columns == {}
        assert np.all((post >= bounds[c]) & (post < bounds[c + 1])), "target outside core"
        assert np.all((pre >= 0) & (pre < pre_size))
        pres.append(pre)
        posts.append(post)
    return np.concatenate(pres), np.concatenate(posts), posts


def distances(pre_pos, post_pos):
    """float64[n_pre, n_post] distances, computed independently of the connector."""
    return np.sqrt(((pre_pos[:, :, None] - post_pos[:, None, :]) ** 2).sum(axis=0))


def grid(n, **kw):
    return sim.Grid2D(**kw).generate_positions(n, np.random.default_rng(0))


def random_positions(n, seed, side=40.0):
    return sim.RandomStructure(sim.Cuboid(side, side, side / 4)).generate_positions(
        n, np.random.default_rng(seed))


# ---- DistanceDependentProbability --------------------------------------------------------


def test_distance_dependent_probability_follows_the_expression():
    """On a 30×30 grid with 'exp(-d/5)' the fraction of connected pairs at each grid distance
    lies within a 5σ binomial band of exp(-d/5), and the total within 5σ of Σ p."""
    pos = grid(900)
    pre, post, _ = generate(sim.DistanceDependentProbabilityConnector("exp(-d/5)"), 900, 900,
                            npc=128, positions=(pos, pos))
    d = distances(pos, pos)
    p = np.exp(-d / 5.0)
    connected = np.zeros((900, 900), bool)
    connected[pre, post] = True
    assert np.unique(pre * 900 + post).size == pre.size     # each pair at most once
    assert abs(pre.size - p.sum()) < 5 * np.sqrt((p * (1 - p)).sum())
    levels, inverse = np.unique(np.round(d, 6), return_inverse=True)
    tested = 0
    for k, level in enumerate(levels):
        sel = inverse.ravel() == k
        n, q = np.count_nonzero(sel), np.exp(-level / 5.0)
        if n < 400 or not 0.01 < q < 0.99:
            continue
        hits = np.count_nonzero(connected.ravel()[sel])
        assert abs(hits - n * q) < 5 * np.sqrt(n * q * (1 - q)) + 1, (level, hits, n * q)
        tested += 1
    assert tested >= 20


def test_step_expression_connects_exactly_the_pairs_in_range():
    """'d < 7' between two randomly placed populations connects exactly the pairs closer than
    7 µm; '0.5*(d<7)' never connects a pair beyond 7 µm and about half of those within."""
    pre_pos, post_pos = random_positions(150, 1), random_positions(200, 2)
    within = distances(pre_pos, post_pos) < 7.0
    pre, post, _ = generate(sim.DistanceDependentProbabilityConnector("d < 7"), 150, 200,
                            npc=32, positions=(pre_pos, post_pos))
    got = np.zeros_like(within)
    got[pre, post] = True
    assert pre.size == np.count_nonzero(within) > 100
    np.testing.assert_array_equal(got, within)
    pre, post, _ = generate(sim.DistanceDependentProbabilityConnector("0.5*(d<7)"), 150, 200,
                            npc=32, positions=(pre_pos, post_pos))
    n = np.count_nonzero(within)
    assert np.all(within[pre, post])
    assert abs(pre.size - n / 2) < 5 * np.sqrt(n / 4)


def test_distance_dependent_without_self_connections():
    """'d < 1.5' on one 20×20 grid with allow_self_connections=False connects exactly the
    neighbours within 1.5 µm (up to 8 each), never a neuron to itself."""
    pos = grid(400)
    pre, post, _ = generate(
        sim.DistanceDependentProbabilityConnector("d < 1.5", allow_self_connections=False),
        400, 400, npc=48, same=True, positions=(pos, pos))
    expect = distances(pos, pos) < 1.5
    np.fill_diagonal(expect, False)
    got = np.zeros_like(expect)
    got[pre, post] = True
    assert not np.any(pre == post)
    np.testing.assert_array_equal(got, expect)


def test_distance_dependent_chunking_does_not_change_the_network(monkeypatch):
    """Evaluating a core's pairs in small chunks gives exactly the pairs of one big chunk (the
    memory bound never changes the network)."""
    pos = grid(900)
    c = sim.DistanceDependentProbabilityConnector("exp(-d/3)")
    ref = generate(c, 900, 900, npc=200, positions=(pos, pos))[:2]
    monkeypatch.setattr(distance_mod, "PAIRS_PER_CHUNK", 1000)
    small = generate(c, 900, 900, npc=200, positions=(pos, pos))[:2]
    for a, b in zip(ref, small):
        np.testing.assert_array_equal(a, b)


def test_distance_dependent_out_of_range_probability_names_projection_and_value():
    """An expression that leaves [0, 1] at the network's distances raises ConfigurationError
    naming the projection, the expression and the offending value; one that does at d = 0 is
    already refused by check()."""
    pos = grid(100)
    with pytest.raises(sim.ConfigurationError, match=r"Projection 'test'.*'d/5' gives 1\.2"):
        generate(sim.DistanceDependentProbabilityConnector("d/5"), 100, 100,
                 positions=(pos, pos))
    with pytest.raises(sim.ConfigurationError, match=r"'1 - d' gives -"):
        generate(sim.DistanceDependentProbabilityConnector("1 - d"), 100, 100,
                 positions=(pos, pos))
    with pytest.raises(sim.ConfigurationError, match=r"Projection 'p'.*gives 2 at d = 0"):
        sim.DistanceDependentProbabilityConnector("2 - d").check("Projection 'p'", 5, 5)


@pytest.mark.parametrize("expr, fragment", [
    ("exp(-d", "not a valid expression"),
    ("d.real", "attribute"),
    ("__import__('os')", "unknown name '__import__'"),
    ("(lambda: 0).__globals__", "attribute"),
    ("gauss(d)", "valid names: abs, cos, d, exp"),
    (3, "not a string"),
])
def test_bad_distance_expressions_are_refused(expr, fragment):
    """Syntax errors, attribute access and names outside the safe namespace are
    ConfigurationErrors when the connector is created."""
    with pytest.raises(sim.ConfigurationError, match=fragment):
        sim.DistanceDependentProbabilityConnector(expr)


def _members(size, npc, view=None):
    """Members of a population of ``size`` neurons (npc per core), or of a view of it."""
    from spinn.model.cores import Members

    pop = sim.Population(size, sim.IF_curr_exp(), neurons_per_core=npc)
    return Members(pop if view is None else pop[view])


def test_distance_dependent_core_pairs():
    """core_pairs with positions gives each core pair's expected synapses — exactly the sum
    of p over its neuron pairs for blocks up to EXACT_PAIRS pairs, within 10 % of it for a
    larger block (sampled, and then always listed) — identical on repeated calls; a step
    expression lists exactly the core pairs within range."""
    sim.setup(timestep=0.1, seed=1, verbose=False)
    pos = grid(900)
    p = np.exp(-distances(pos, pos) / 5.0)
    c = sim.DistanceDependentProbabilityConnector("exp(-d/5)")
    small = _members(900, 60)
    i, j, w = c.core_pairs(small, small, positions=(pos, pos))
    assert i.size == 15 * 15                        # exp(...) > 0 for every pair
    want = p.reshape(15, 60, 15, 60).sum(axis=(1, 3))
    assert np.allclose(w, want[i, j], rtol=1e-12)
    big = _members(900, 300)                        # 300 x 300 pairs: sampled
    i, j, w = c.core_pairs(big, big, positions=lambda: (pos, pos))
    want = p.reshape(3, 300, 3, 300).sum(axis=(1, 3))
    assert i.size == 9 and np.all(np.abs(w - want[i, j]) < 0.1 * want[i, j])
    assert np.array_equal(w, c.core_pairs(big, big, positions=(pos, pos))[2])
    step = sim.DistanceDependentProbabilityConnector("1.0*(d < 3)")
    i, j, w = step.core_pairs(small, small, positions=(pos, pos))   # rows of 30: x = k // 30
    close = (distances(pos, pos) < 3).reshape(15, 60, 15, 60).any(axis=(1, 3))
    assert np.array_equal(np.sort(i * 15 + j), np.flatnonzero(close.ravel()))
    sim.end()


# ---- FixedTotalNumber --------------------------------------------------------------------


@pytest.mark.parametrize("with_replacement", [True, False])
@pytest.mark.parametrize("n_pre, n_post, npc, n", [(50, 300, 64, 4000), (7, 5, 2, 30),
                                                   (200, 100, 100, 1)])
def test_fixed_total_number_is_exact(with_replacement, n_pre, n_post, npc, n):
    """FixedTotalNumber generates exactly n synapses summed over all post cores, with and
    without replacement, whatever the core split."""
    pre, post, _ = generate(sim.FixedTotalNumberConnector(n, with_replacement=with_replacement),
                            n_pre, n_post, npc=npc)
    assert pre.size == n
    if not with_replacement:
        assert np.unique(pre * n_post + post).size == n


def test_fixed_total_number_without_replacement_can_take_every_pair():
    """Without replacement and without self connections, n = N(N-1) on one population gives
    every non-self pair exactly once."""
    N = 30
    c = sim.FixedTotalNumberConnector(N * (N - 1), allow_self_connections=False,
                                      with_replacement=False)
    pre, post, _ = generate(c, N, N, npc=7, same=True)
    assert pre.size == N * (N - 1) and not np.any(pre == post)
    assert np.unique(pre * N + post).size == N * (N - 1)


@pytest.mark.parametrize("with_replacement", [True, False])
def test_fixed_total_number_without_self_connections_keeps_total(with_replacement):
    """allow_self_connections=False on one population: no pair (i, i), total still exactly
    n, even when n is large enough that some self pairs would surely have been drawn."""
    c = sim.FixedTotalNumberConnector(1500, allow_self_connections=False,
                                      with_replacement=with_replacement)
    pre, post, _ = generate(c, 40, 40, npc=9, same=True)
    assert pre.size == 1500 and not np.any(pre == post)
    # with self connections the same draw would include some (i, i): ~1500/40 of them
    pre, post, _ = generate(sim.FixedTotalNumberConnector(
        1500, with_replacement=with_replacement), 40, 40, npc=9, same=True)
    assert np.count_nonzero(pre == post) > 10


def test_fixed_total_number_is_uniform_over_cores_and_neurons():
    """The synapses spread over post cores in proportion to the cores' sizes (5σ multinomial
    band) and uniformly over pre and post neurons (χ² below the 1e-4 quantile bound)."""
    n, n_pre, n_post = 20000, 100, 250
    pre, post, per_core = generate(sim.FixedTotalNumberConnector(n), n_pre, n_post, npc=64)
    sizes = np.array([64, 64, 64, 58])
    for k, s in zip([p.size for p in per_core], sizes):
        q = s / n_post
        assert abs(k - n * q) < 5 * np.sqrt(n * q * (1 - q)), (k, n * q)
    for ids, m in ((pre, n_pre), (post, n_post)):
        counts = np.bincount(ids, minlength=m)
        chi2 = ((counts - n / m) ** 2 / (n / m)).sum()
        # χ² with m-1 dof: mean m-1, sd √(2(m-1)); 5 sd is far beyond the 1e-4 quantile
        assert chi2 < (m - 1) + 5 * np.sqrt(2 * (m - 1)), chi2
        assert chi2 > (m - 1) - 5 * np.sqrt(2 * (m - 1)), chi2


def test_fixed_total_number_with_replacement_makes_multapses():
    """With replacement n = 400 on 10×10 pairs repeats pairs (as NEST's multapses), about
    100·(1 - e^-4) distinct pairs; without replacement n = 100 takes all 100 once."""
    pre, post, _ = generate(sim.FixedTotalNumberConnector(400), 10, 10, npc=3)
    distinct = np.unique(pre * 10 + post).size
    assert pre.size == 400 and abs(distinct - 100 * (1 - np.exp(-4))) < 6
    pre, post, _ = generate(sim.FixedTotalNumberConnector(100, with_replacement=False),
                            10, 10, npc=3)
    assert np.unique(pre * 10 + post).size == 100


def test_fixed_total_number_split_does_not_depend_on_which_cores_a_rank_builds():
    """A post core built alone (fresh cache, as on another rank) gets exactly the synapses it
    gets when every core is built in one pass."""
    for wr in (True, False):
        c = sim.FixedTotalNumberConnector(3000, allow_self_connections=False,
                                          with_replacement=wr)
        _, _, all_cores = generate(c, 80, 80, npc=16, same=True)
        for core in (4, 1):
            pre, post, _ = generate(c, 80, 80, npc=16, same=True, cores=[core])
            np.testing.assert_array_equal(post, all_cores[core])


def test_fixed_total_number_exact_beyond_numpy_hypergeometric_limit(monkeypatch):
    """The fallback split for more candidate pairs than numpy's hypergeometric sampler takes
    (and the sparse distinct-subset sampler) still gives exactly n distinct pairs, no self."""
    monkeypatch.setattr(conn_mod, "HYPERGEOMETRIC_LIMIT", 100)
    monkeypatch.setattr(conn_mod, "DENSE_SAMPLE_LIMIT", 0)
    c = sim.FixedTotalNumberConnector(1200, allow_self_connections=False,
                                      with_replacement=False)
    pre, post, per_core = generate(c, 50, 50, npc=12, same=True)
    assert pre.size == 1200 and not np.any(pre == post)
    assert np.unique(pre * 50 + post).size == 1200
    assert all(p.size > 0 for p in per_core)


def test_distinct_sample_is_uniform(monkeypatch):
    """The sparse sampler (draw, then redraw the shortfall) picks each of m values with
    probability k/m (5σ binomial band over 2000 draws) and never repeats a value in a draw."""
    monkeypatch.setattr(conn_mod, "DENSE_SAMPLE_LIMIT", 0)
    g = np.random.default_rng(3)
    m, k, reps = 40, 8, 2000
    counts = np.zeros(m)
    for _ in range(reps):
        s = conn_mod._distinct_sample(g, m, k)
        assert s.size == k and np.unique(s).size == k
        counts[s] += 1
    q = k / m
    assert np.all(np.abs(counts - reps * q) < 5 * np.sqrt(reps * q * (1 - q))), counts


def test_fixed_total_number_errors():
    """n < 0, and n above the available pairs without replacement, are ConfigurationErrors
    naming the projection and the fix."""
    with pytest.raises(sim.ConfigurationError, match=r"Projection 'p'.*n = -1 < 0"):
        sim.FixedTotalNumberConnector(-1).check("Projection 'p'", 5, 5)
    with pytest.raises(sim.ConfigurationError, match=r"n = 26 exceeds the 25 .*with_replacement"):
        sim.FixedTotalNumberConnector(26, with_replacement=False).check("Projection 'p'", 5, 5)
    sim.FixedTotalNumberConnector(26).check("Projection 'p'", 5, 5)
    with pytest.raises(sim.ConfigurationError, match="exceeds the 20 available"):
        generate(sim.FixedTotalNumberConnector(21, allow_self_connections=False,
                                               with_replacement=False), 5, 5, same=True)


def test_block_connectors_give_the_expected_synapses_per_pair():
    """The connectors whose pairs are alike answer block_factor — the expected synapses per
    (pre, post) pair — instead of listing core pairs: n shared over all pairs, p, or n per
    neuron of one side."""
    assert sim.FixedTotalNumberConnector(1000).block_factor(100, 200) == \
        pytest.approx(1000 / 20000)
    assert sim.FixedTotalNumberConnector(0).block_factor(5, 5) == 0
    assert sim.FixedProbabilityConnector(0.3).block_factor(7, 9) == 0.3
    assert sim.AllToAllConnector().block_factor(7, 9) == 1.0
    assert sim.FixedNumberPreConnector(5).block_factor(50, 9) == pytest.approx(0.1)
    assert sim.FixedNumberPostConnector(3).block_factor(7, 30) == pytest.approx(0.1)
    for c in (sim.OneToOneConnector(), sim.FromListConnector([(0, 1)]),
              sim.ArrayConnector(np.eye(2, dtype=bool))):
        assert c.block_factor(2, 2) is None


# ---- Array -------------------------------------------------------------------------------


def test_array_connector_generates_exactly_the_true_entries():
    """ArrayConnector connects pre i to post j exactly where array[i, j] is True, each post
    core only its own targets; 0/1 integers are accepted as booleans."""
    g = np.random.default_rng(7)
    array = g.random((23, 41)) < 0.2
    for arr in (array, array.astype(int)):
        pre, post, _ = generate(sim.ArrayConnector(arr), 23, 41, npc=8)
        got = np.zeros_like(array)
        got[pre, post] = True
        assert pre.size == np.count_nonzero(array)
        np.testing.assert_array_equal(got, array)
    sim.setup(timestep=0.1, seed=1, verbose=False)
    c = sim.ArrayConnector(array)
    pre, post = _members(23, 5), _members(41, 8)
    assert (pre.npc, post.npc) == (5, 7)       # 41 at most 8 per core: 6 cores of 7 or less
    i, j, w = c.core_pairs(pre, post)
    want = np.add.reduceat(np.add.reduceat(array.astype(int), np.arange(0, 23, 5), axis=0),
                           np.arange(0, 41, 7), axis=1)
    assert np.array_equal(np.sort(i * want.shape[1] + j), np.flatnonzero(want.ravel()))
    assert np.array_equal(w, want[i, j])
    i, j, w = sim.ArrayConnector(np.zeros((3, 3), bool)).core_pairs(_members(3, 2),
                                                                     _members(3, 2))
    assert i.size == 0
    sim.end()


def test_array_connector_shape_errors():
    """A matrix whose shape differs from (n_pre, n_post) is refused naming the shape and the
    expected one; a non-matrix or non-boolean array is refused when created."""
    with pytest.raises(sim.ConfigurationError,
                       match=r"Projection 'p'.*shape \(4, 5\).*shape \(5, 4\)"):
        sim.ArrayConnector(np.ones((4, 5), bool)).check("Projection 'p'", 5, 4)
    with pytest.raises(sim.ConfigurationError, match="n_pre, n_post"):
        sim.ArrayConnector(np.ones(5, bool))
    with pytest.raises(sim.ConfigurationError, match="True/False"):
        sim.ArrayConnector(np.full((2, 2), 0.5))


# ---- through the whole pipeline ----------------------------------------------------------


def test_new_connectors_in_a_network():
    """Projection.size() after a run equals n for FixedTotalNumber, the array's True count for
    ArrayConnector and the number of in-range pairs for a step DistanceDependent projection
    between structured populations."""
    sim.setup(timestep=0.1, seed=2, neurons_per_core=10, verbose=False)
    a = sim.Population(36, sim.IF_curr_exp(), structure=sim.Grid2D(dx=10.0, dy=10.0))
    b = sim.Population(25, sim.IF_curr_exp(),
                       structure=sim.RandomStructure(sim.Cuboid(60.0, 60.0, 0.0),
                                                     origin=(25.0, 25.0, 0.0)))
    array = np.random.default_rng(1).random((36, 25)) < 0.3
    syn = sim.StaticSynapse(0.1, 1.0)
    p1 = sim.Projection(a, b, sim.FixedTotalNumberConnector(321), syn)
    p2 = sim.Projection(a, b, sim.ArrayConnector(array), syn)
    p3 = sim.Projection(a, b, sim.DistanceDependentProbabilityConnector("d < 15"), syn)
    p4 = sim.Projection(b, b, sim.FixedTotalNumberConnector(
        600, allow_self_connections=False, with_replacement=False), syn)
    within = np.count_nonzero(distances(a.positions, b.positions) < 15.0)
    sim.run(1.0)
    assert (p1.size(), p2.size(), p3.size(), p4.size()) == \
        (321, np.count_nonzero(array), within, 600)
    assert within > 0
    sim.end()
