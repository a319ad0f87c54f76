"""Connectors generate the right pairs: exact counts and degrees where the rule fixes them,
binomial bands where it is random, no self-connections or duplicates when they are excluded,
and the same pairs however the post population's cores are spread over ranks."""

import numpy as np
import pytest

import spinn as sim
from spinn.mapping import make_plan
from spinn.model.connectors import ConnectContext
from spinn.runtime.build import PURPOSE_CONNECT, PURPOSE_SPLIT, generate_core_synapses, stream


def core_bounds(post_size, npc):
    return np.append(np.arange(0, post_size, npc), post_size).astype(np.int64)


def generate(conn, pre_size, post_size, npc=256, same=False, seed=1, cores=None):
    """Run ``conn`` for the chosen post cores (default: all) as build.py does.

    Returns pre int64[n], post int64[n], columns dict, and a list of (lo, hi, post) per core.
    """
    bounds = core_bounds(post_size, npc)
    cache = {}
    pres, posts, cols, per_core = [], [], [], []
    chosen = range(bounds.size - 1) if cores is None else cores
    for c in chosen:
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        ctx = ConnectContext("Projection 'test'", pre_size, post_size,
                             np.arange(lo, hi, dtype=np.int64), c, np.diff(bounds),
                             stream(seed, PURPOSE_CONNECT, 0, c),
                             lambda *key: stream(seed, PURPOSE_SPLIT, 0, *key), None, cache,
                             self_pre=(lambda k: np.asarray(k, np.int64).copy()) if same
                             else None, post_core_of=lambda k: np.asarray(k) // npc)
        pre, post, columns = conn.connect(ctx)
        assert pre.dtype == np.int64 and post.dtype == np.int64 and pre.shape == post.shape
        pres.append(pre)
        posts.append(post)
        cols.append(columns)
        per_core.append((lo, hi, post))
    merged = {k: np.concatenate([c[k] for c in cols]) for k in cols[0]} if cols else {}
    return np.concatenate(pres), np.concatenate(posts), merged, per_core


def assert_targets_inside_cores(per_core):
    for lo, hi, post in per_core:
        assert post.size == 0 or (post.min() >= lo and post.max() < hi), (lo, hi)


def n_pairs_unique(pre, post, n_post):
    return np.unique(pre * n_post + post).size


# ---- AllToAll ---------------------------------------------------------------------------


def test_all_to_all_generates_every_pair_once():
    """AllToAll between different populations yields each (pre, post) pair exactly once."""
    pre, post, _, per_core = generate(sim.AllToAllConnector(), 7, 600, npc=256)
    assert pre.size == 7 * 600
    assert n_pairs_unique(pre, post, 600) == 7 * 600
    assert_targets_inside_cores(per_core)


def test_all_to_all_without_self_connections_drops_diagonal():
    """AllToAll on one population with allow_self_connections=False yields n(n-1) pairs, none
    with pre == post; with self connections allowed it yields n²."""
    n = 40
    pre, post, _, _ = generate(sim.AllToAllConnector(allow_self_connections=False), n, n,
                               npc=16, same=True)
    assert pre.size == n * (n - 1) and not np.any(pre == post)
    assert n_pairs_unique(pre, post, n) == n * (n - 1)
    pre, post, _, _ = generate(sim.AllToAllConnector(), n, n, npc=16, same=True)
    assert pre.size == n * n and np.count_nonzero(pre == post) == n


def test_all_to_all_projection_size_after_run():
    """Projection.size() after run(1.0) counts n_pre·n_post synapses, minus n for a recurrent
    AllToAll without self connections; allow_self_connections only matters on one population."""
    sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=8)
    a = sim.Population(20, sim.IF_curr_exp(), label="a")
    b = sim.Population(13, sim.IF_curr_exp(), label="b")
    p_ab = sim.Projection(a, b, sim.AllToAllConnector(allow_self_connections=False),
                          sim.StaticSynapse(0.01, 1.0))
    p_aa = sim.Projection(a, a, sim.AllToAllConnector(allow_self_connections=False),
                          sim.StaticSynapse(0.01, 1.0))
    p_bb = sim.Projection(b, b, sim.AllToAllConnector(), sim.StaticSynapse(0.01, 1.0))
    sim.run(1.0)
    assert (p_ab.size(), p_aa.size(), p_bb.size()) == (20 * 13, 20 * 19, 13 * 13)
    sim.end()


# ---- OneToOne ---------------------------------------------------------------------------


def test_one_to_one_connects_i_to_i():
    """OneToOne yields exactly the pairs (i, i), each post core only its own."""
    pre, post, _, per_core = generate(sim.OneToOneConnector(), 300, 300, npc=64)
    np.testing.assert_array_equal(np.sort(pre), np.arange(300))
    np.testing.assert_array_equal(pre, post)
    assert_targets_inside_cores(per_core)


def test_one_to_one_core_pairs_are_the_overlapping_slices():
    """OneToOne tells the mapping that exactly the cores whose index ranges overlap connect,
    with the overlap size — in closed form for whole populations and through the indices for
    a view, the same pairs either way."""
    from spinn.model.cores import Members

    sim.setup(timestep=0.1, seed=1, verbose=False)
    a = sim.Population(21, sim.IF_curr_exp(), neurons_per_core=11, label="a")
    b = sim.Population(21, sim.IF_curr_exp(), neurons_per_core=6, label="b")
    c = sim.OneToOneConnector()
    i, j, w = c.core_pairs(Members(a), Members(b))
    # a's cores [0,11) [11,21); b's [0,6) [6,12) [12,18) [18,21)
    assert list(zip(i.tolist(), j.tolist(), w.tolist())) == [
        (0, 0, 6.0), (0, 1, 5.0), (1, 1, 1.0), (1, 2, 6.0), (1, 3, 3.0)]
    vi, vj, vw = c.core_pairs(Members(a[0:21]), Members(b[0:21]))
    assert np.array_equal(vi, i) and np.array_equal(vj, j) and np.array_equal(vw, w)
    i, j, w = c.core_pairs(Members(a[12:18]), Members(b[0:6]))
    assert list(zip(i.tolist(), j.tolist(), w.tolist())) == [(1, 0, 6.0)]
    sim.end()


# ---- FixedProbability -------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.02, 0.1, 0.5])
def test_fixed_probability_count_within_binomial_band(p):
    """The number of FixedProbability synapses lies within 5 σ of n_pairs·p (binomial)."""
    n_pre, n_post = 300, 500
    pre, post, _, per_core = generate(sim.FixedProbabilityConnector(p), n_pre, n_post, npc=128)
    mean = n_pre * n_post * p
    sigma = np.sqrt(mean * (1 - p))
    assert abs(pre.size - mean) < 5 * sigma, (pre.size, mean, sigma)
    assert n_pairs_unique(pre, post, n_post) == pre.size  # no pair twice
    assert pre.min() >= 0 and pre.max() < n_pre
    assert_targets_inside_cores(per_core)


def test_fixed_probability_in_degrees_are_binomial():
    """Per-post in-degrees have the binomial mean and variance (each within a generous band)."""
    n_pre, n_post, p = 400, 1000, 0.1
    _, post, _, _ = generate(sim.FixedProbabilityConnector(p), n_pre, n_post, npc=256)
    deg = np.bincount(post, minlength=n_post)
    # mean of 1000 in-degrees: σ_mean = sqrt(40·0.9/1000) ≈ 0.19 → 5 σ ≈ 0.95
    assert abs(deg.mean() - n_pre * p) < 0.95
    # variance 36 estimated from 1000 samples: relative SE ≈ sqrt(2/999) ≈ 4.5 %; allow 25 %
    assert abs(deg.var() / (n_pre * p * (1 - p)) - 1) < 0.25


def test_fixed_probability_edge_probabilities():
    """p = 0 yields no synapse and p = 1 yields every pair."""
    pre, _, _, _ = generate(sim.FixedProbabilityConnector(0.0), 50, 60, npc=16)
    assert pre.size == 0
    pre, post, _, _ = generate(sim.FixedProbabilityConnector(1.0), 50, 60, npc=16)
    assert pre.size == 3000 and n_pairs_unique(pre, post, 60) == 3000


def test_fixed_probability_no_self_connections_when_disallowed():
    """On one population with allow_self_connections=False no synapse has pre == post, yet
    the count stays in the binomial band over the n(n-1) other pairs."""
    n, p = 400, 0.2
    pre, post, _, _ = generate(sim.FixedProbabilityConnector(p, allow_self_connections=False),
                               n, n, npc=100, same=True)
    assert not np.any(pre == post)
    mean = n * (n - 1) * p
    assert abs(pre.size - mean) < 5 * np.sqrt(mean * (1 - p))
    pre, post, _, _ = generate(sim.FixedProbabilityConnector(0.5), n, n, npc=100, same=True)
    assert np.any(pre == post)  # allowed: about n/2 of them appear


# ---- FixedNumberPre ---------------------------------------------------------------------


@pytest.mark.parametrize("replace", [False, True])
def test_fixed_number_pre_exact_in_degree(replace):
    """Every post neuron receives exactly n synapses (with and without replacement), from
    valid pre indices, and only in its own core."""
    n_pre, n_post, n = 50, 600, 20
    pre, post, _, per_core = generate(sim.FixedNumberPreConnector(n, with_replacement=replace),
                                      n_pre, n_post, npc=256)
    np.testing.assert_array_equal(np.bincount(post, minlength=n_post), np.full(n_post, n))
    assert pre.min() >= 0 and pre.max() < n_pre
    assert_targets_inside_cores(per_core)


def test_fixed_number_pre_no_duplicates_without_replacement():
    """Without replacement no post neuron gets the same pre neuron twice, even at n = n_pre."""
    n_pre, n_post = 30, 200
    for n in (10, 30):
        pre, post, _, _ = generate(sim.FixedNumberPreConnector(n), n_pre, n_post, npc=64)
        assert n_pairs_unique(pre, post, n_post) == n * n_post


def test_fixed_number_pre_with_replacement_can_repeat():
    """With replacement duplicates occur (n = 20 draws from 10 pre neurons must repeat)."""
    pre, post, _, _ = generate(sim.FixedNumberPreConnector(20, with_replacement=True), 10, 5)
    assert n_pairs_unique(pre, post, 5) < pre.size


@pytest.mark.parametrize("replace", [False, True])
def test_fixed_number_pre_no_self_connection_when_disallowed(replace):
    """On one population with allow_self_connections=False no post neuron picks itself, the
    in-degree stays exactly n, and all other pre neurons remain reachable."""
    n_pop, n = 100, 99 if not replace else 30
    conn = sim.FixedNumberPreConnector(n, allow_self_connections=False, with_replacement=replace)
    pre, post, _, _ = generate(conn, n_pop, n_pop, npc=32, same=True)
    assert not np.any(pre == post)
    np.testing.assert_array_equal(np.bincount(post, minlength=n_pop), np.full(n_pop, n))
    if not replace:  # n = n_pop - 1: every other neuron exactly once
        assert n_pairs_unique(pre, post, n_pop) == n_pop * (n_pop - 1)
    assert set(np.unique(pre)) == set(range(n_pop))  # the last index is still drawn


def test_fixed_number_pre_draws_pre_uniformly():
    """Pre neurons are chosen uniformly: each pre's out-degree is within 5 σ of its mean."""
    n_pre, n_post, n = 100, 2000, 10
    pre, _, _, _ = generate(sim.FixedNumberPreConnector(n), n_pre, n_post, npc=256)
    out = np.bincount(pre, minlength=n_pre)
    q = n / n_pre  # each post picks a given pre with probability n / n_pre
    mean, sigma = n_post * q, np.sqrt(n_post * q * (1 - q))
    assert np.all(np.abs(out - mean) < 5 * sigma), (out.min(), out.max(), mean, sigma)


# ---- FixedNumberPost --------------------------------------------------------------------


@pytest.mark.parametrize("replace", [False, True])
def test_fixed_number_post_exact_out_degree_over_all_cores(replace):
    """Summed over every post core of a 3-core post population, each pre neuron makes
    exactly n synapses; each core gets only its own targets."""
    n_pre, n_post, n = 80, 600, 50
    conn = sim.FixedNumberPostConnector(n, with_replacement=replace)
    pre, post, _, per_core = generate(conn, n_pre, n_post, npc=256)
    assert len(per_core) == 3
    np.testing.assert_array_equal(np.bincount(pre, minlength=n_pre), np.full(n_pre, n))
    assert post.min() >= 0 and post.max() < n_post
    assert_targets_inside_cores(per_core)
    if not replace:
        assert n_pairs_unique(pre, post, n_post) == n_pre * n


def test_fixed_number_post_all_targets_without_replacement():
    """n = n_post without replacement connects every pre neuron to every post neuron."""
    pre, post, _, _ = generate(sim.FixedNumberPostConnector(600), 5, 600, npc=256)
    assert n_pairs_unique(pre, post, 600) == 5 * 600


def test_fixed_number_post_no_self_connection_when_disallowed():
    """On one multi-core population with allow_self_connections=False no pre neuron targets
    itself and each still makes exactly n synapses (n = n_pop - 1: all the others)."""
    n_pop = 300
    for n in (n_pop - 1, 40):
        conn = sim.FixedNumberPostConnector(n, allow_self_connections=False)
        pre, post, _, _ = generate(conn, n_pop, n_pop, npc=128, same=True)
        assert not np.any(pre == post)
        np.testing.assert_array_equal(np.bincount(pre, minlength=n_pop), np.full(n_pop, n))
        assert n_pairs_unique(pre, post, n_pop) == n_pop * n


def test_fixed_number_post_same_pairs_whatever_cores_are_generated():
    """Generating one post core alone (as a rank owning only that core does) yields exactly
    the synapses that core gets when every core is generated."""
    conn = sim.FixedNumberPostConnector(40)
    _, _, _, all_cores = generate(conn, 70, 600, npc=256)
    for c in range(3):
        pre_c, post_c, _, _ = generate(conn, 70, 600, npc=256, cores=[c])
        np.testing.assert_array_equal(post_c, all_cores[c][2])


# ---- FromList ---------------------------------------------------------------------------


def test_from_list_exact_pairs_and_columns():
    """FromList yields exactly the listed pairs, each core its own rows, with the weight and
    delay columns attached to the right rows."""
    rows = [(0, 5, 0.1, 1.0), (3, 300, 0.2, 2.5), (3, 5, 0.3, 0.1), (9, 599, 0.4, 7.0)]
    conn = sim.FromListConnector(rows)
    pre, post, cols, per_core = generate(conn, 10, 600, npc=256)
    assert_targets_inside_cores(per_core)
    got = sorted(zip(pre.tolist(), post.tolist(), cols["weight"].tolist(),
                     cols["delay"].tolist(), strict=True))
    assert got == sorted(rows)


def test_from_list_custom_column_order():
    """column_names=['delay', 'weight'] assigns the columns by name, not by position."""
    conn = sim.FromListConnector([(1, 2, 3.0, 0.5)], column_names=["delay", "weight"])
    _, _, cols, _ = generate(conn, 4, 4)
    assert cols["delay"].tolist() == [3.0] and cols["weight"].tolist() == [0.5]


def test_from_list_weights_and_delays_reach_the_synapses():
    """Through the builder, FromList weights (negative, as given, for the inhibitory current
    receptor) and delays (in steps) end up on exactly the listed synapses."""
    sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=4)
    net = sim.current()
    a = sim.Population(6, sim.IF_curr_exp(), label="a")
    b = sim.Population(10, sim.IF_curr_exp(), label="b")
    rows = [(0, 1, -0.5, 1.0), (5, 9, -0.25, 2.3), (2, 4, -1.5, 0.1), (2, 1, -0.75, 16.0)]
    sim.Projection(a, b, sim.FromListConnector(rows), receptor_type="inhibitory")
    plan = make_plan(net, 1)
    got = []
    for core in plan.pop_cores(b.index):
        (pre_gid, idx, w, d, rec), counts = generate_core_synapses(net, plan, core, {})
        post = idx + plan.core_bounds([core])[0][0]
        got += [(int(p - a.gid_lo), int(q), float(x), int(s), int(r))
                for p, q, x, s, r in zip(pre_gid, post, w, d, rec, strict=True)]
    expected = [(p, q, np.float32(wt), round(dl / 0.1), 1) for p, q, wt, dl in rows]
    assert sorted(got) == sorted(expected)
    sim.end()


def test_self_connection_rule_does_not_shrink_a_different_population():
    """allow_self_connections=False only matters within one population: n = pre size is
    accepted between two different populations (no replacement)."""
    sim.setup(timestep=0.1, seed=1, verbose=False)
    a = sim.Population(10, sim.IF_curr_exp(), label="a")
    b = sim.Population(10, sim.IF_curr_exp(), label="b")
    proj = sim.Projection(a, b, sim.FixedNumberPreConnector(10, allow_self_connections=False),
                          sim.StaticSynapse(weight=0.1, delay=1.0))
    with pytest.raises(sim.ConfigurationError, match="exceeds the 9 available"):
        sim.Projection(a, a, sim.FixedNumberPreConnector(10, allow_self_connections=False),
                       sim.StaticSynapse(weight=0.1, delay=1.0))
    sim.run(1.0)
    assert proj.size() == 100
    sim.end()


def test_get_weight_returns_the_signed_weights():
    """After a run, Projection.get('weight') returns the weights as given, with PyNN's and
    NEST's signs: negative for an inhibitory IF_curr_exp projection (static, and plastic with
    learning off), positive for an inhibitory IF_cond_exp (conductance) projection."""
    sim.setup(timestep=0.1, seed=1, verbose=False, neurons_per_core=4)
    src = sim.Population(3, sim.SpikeSourcePoisson(rate=50.0), label="src")
    curr = sim.Population(5, sim.IF_curr_exp(), label="curr")
    cond = sim.Population(5, sim.IF_cond_exp(), label="cond")
    # exactly representable in float32, distinct per synapse
    w_curr = -np.outer([1.0, 2.0, 0.5], [0.5, 0.25, 0.125, 1.5, 0.75])
    w_cond = np.outer([1.0, 2.0, 0.5], [2.0 ** -6, 2.0 ** -7, 2.0 ** -5, 2.0 ** -8, 2.0 ** -4])
    inh_curr = sim.Projection(src, curr, sim.AllToAllConnector(),
                              sim.StaticSynapse(weight=w_curr, delay=1.0),
                              receptor_type="inhibitory", label="inh_curr")
    inh_cond = sim.Projection(src, cond, sim.AllToAllConnector(),
                              sim.StaticSynapse(weight=w_cond, delay=1.0),
                              receptor_type="inhibitory", label="inh_cond")
    plastic = sim.Projection(src, curr, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(A_plus=0.0, A_minus=0.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        weight=-0.375, delay=1.0), receptor_type="inhibitory", label="inh_plastic")
    sim.run(20.0)
    got_curr = inh_curr.get("weight", format="array")
    np.testing.assert_array_equal(got_curr, w_curr)
    assert np.all(got_curr < 0)
    assert inh_curr.get("weight") == [(i, j, w_curr[i, j]) for i in range(3) for j in range(5)]
    got_cond = inh_cond.get("weight", format="array")
    np.testing.assert_array_equal(got_cond, w_cond)
    assert np.all(got_cond > 0)
    np.testing.assert_array_equal(plastic.get("weight", format="array"), np.full((3, 5), -0.375))
    sim.end()
