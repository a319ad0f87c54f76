"""PopulationView selects neurons of a population (slice, index list, mask, view of a view),
refuses bad selections, and works as a projection endpoint and for recording — with the same
results on any rank count."""

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads

DELAY_MS = 1.0
DRIVE_MV = 20.0      # one spike lifts IF_curr_delta by 20 mV from rest -65 past threshold -50


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=4, neurons_per_core=8, verbose=False)
    yield sim.current()
    sim.end()


def source(n, first_ms=2.0, label="src"):
    """n array sources; source i fires once, at first_ms + i ms."""
    return sim.Population(n, sim.SpikeSourceArray(spike_times=[[first_ms + i] for i in range(n)]),
                          label=label)


# ---- selection ---------------------------------------------------------------------------


def test_views_select_the_given_neurons(net):
    """Slices (with step and negative bounds), index lists (in the given order, negative
    indices from the end), boolean masks and views of views have the right size, parent_ids
    and parent."""
    pop = sim.Population(40, sim.IF_curr_exp(), label="p")
    cases = [
        (pop[10:20], np.arange(10, 20)),
        (pop[::7], np.arange(0, 40, 7)),
        (pop[-5:], np.arange(35, 40)),
        (pop[[1, 5, 7]], [1, 5, 7]),
        (pop[[7, 1, -1]], [7, 1, 39]),
        (pop[np.arange(40) % 3 == 0], np.arange(0, 40, 3)),
        (pop[10:30][[0, 5, 19]], [10, 15, 29]),
        (pop[10:30][::2][2:4], [14, 16]),
        (pop[[30, 3, 12]][np.array([True, False, True])], [30, 12]),
    ]
    for view, ids in cases:
        assert view.size == len(view) == len(ids), view
        np.testing.assert_array_equal(view.parent_ids, ids)
        assert view.parent is pop and view.parent_ids.dtype == np.int64
    assert pop.parent is pop and pop[10:20].label == "p[10:20]"


@pytest.mark.parametrize("selector, fragment", [
    ([40], "index 40 is outside"),
    ([-41], "index -41 is outside"),
    (slice(40, 50), "selects no neuron"),
    ([], "selects no neuron"),
    ([1, 2, 1], "repeats neurons"),
    (np.ones(39, bool), "mask of shape"),
    (np.zeros(40, bool), "selects no neuron"),
    ([1.5, 2.0], "integer"),
])
def test_bad_selections_are_errors(net, selector, fragment):
    """Out-of-range, empty, repeated, fractional selections and masks of the wrong shape are
    ConfigurationErrors naming the population."""
    pop = sim.Population(40, sim.IF_curr_exp(), label="p")
    with pytest.raises(sim.ConfigurationError, match=fragment) as err:
        pop[selector]
    assert "Population 'p'" in str(err.value)


def test_view_of_view_checks_against_the_view(net):
    """A view of a view is indexed in the view's coordinates: index 10 of a 10-neuron view is
    out of range although the population has 40 neurons."""
    pop = sim.Population(40, sim.IF_curr_exp(), label="p")
    with pytest.raises(sim.ConfigurationError, match=r"index 10 is outside \[0, 10\)"):
        pop[0:10][[10]]


# ---- views as projection endpoints -------------------------------------------------------


def test_one_to_one_between_views_drives_exactly_the_mapped_neurons(net):
    """OneToOne from src[[3, 7, 11, 20]] to tgt[[10, 2, 33, 25]] makes 4 synapses, and exactly
    those targets fire, each DELAY_MS after its own source (which fires at 2 + i ms)."""
    src = source(30)
    tgt = sim.Population(40, sim.IF_curr_delta(), label="tgt")
    pre_ids, post_ids = [3, 7, 11, 20], [10, 2, 33, 25]
    proj = sim.Projection(src[pre_ids], tgt[post_ids], sim.OneToOneConnector(),
                          sim.StaticSynapse(DRIVE_MV, DELAY_MS))
    tgt.record("spikes")
    sim.run(30.0)
    assert proj.size() == 4
    s = tgt.get_spikes()
    order = np.argsort(pre_ids)
    np.testing.assert_array_equal(s.ids, np.array(post_ids)[order])
    np.testing.assert_allclose(s.times_ms, 2.0 + np.array(pre_ids)[order] + DELAY_MS,
                               atol=0.11)   # within one step of arrival


def test_all_to_all_from_a_view_uses_only_the_view(net):
    """AllToAll from src[0:3] onto a 5-neuron population makes 15 synapses; every target fires
    once for each of the three view sources and never for the other sources."""
    src = source(10)
    tgt = sim.Population(5, sim.IF_curr_delta(), label="tgt")
    proj = sim.Projection(src[0:3], tgt, sim.AllToAllConnector(),
                          sim.StaticSynapse(DRIVE_MV, DELAY_MS))
    tgt.record("spikes")
    sim.run(20.0)
    assert proj.size() == 15
    s = tgt.get_spikes()
    assert s.ids.size == 15
    np.testing.assert_array_equal(np.bincount(s.ids), [3] * 5)
    np.testing.assert_allclose(np.unique(s.times_ms), [3.0, 4.0, 5.0], atol=0.11)


def test_projection_checks_view_sizes(net):
    """Connector checks see the endpoint sizes: OneToOne between views of 3 and 4 neurons, and
    an ArrayConnector shaped for the parents, are refused."""
    a = sim.Population(10, sim.IF_curr_exp(), label="a")
    b = sim.Population(10, sim.IF_curr_exp(), label="b")
    with pytest.raises(sim.ConfigurationError, match="equal size"):
        sim.Projection(a[0:3], b[0:4], sim.OneToOneConnector())
    with pytest.raises(sim.ConfigurationError, match=r"shape \(10, 10\).*shape \(3, 4\)"):
        sim.Projection(a[0:3], b[0:4], sim.ArrayConnector(np.ones((10, 10), bool)))


def test_self_connections_between_overlapping_views(net):
    """allow_self_connections=False between overlapping views of one population excludes the
    pairs joining a neuron to itself (AllToAll p[0:6] → p[3:9]: 36 - 3 synapses)."""
    p = sim.Population(10, sim.IF_curr_exp(), label="p")
    proj = sim.Projection(p[0:6], p[3:9], sim.AllToAllConnector(allow_self_connections=False),
                          sim.StaticSynapse(0.1, 1.0))
    sim.run(0.1)
    assert proj.size() == 33


# ---- recording through views -------------------------------------------------------------


def test_recording_through_a_view(net):
    """tgt[[10, 2]].record('spikes') records only those two neurons: the population's spikes
    carry only ids 10 and 2, the view's spikes the view ids 0 (for 10) and 1 (for 2); the
    view's v is the parent's v for its neurons, in view order."""
    src = source(30)
    tgt = sim.Population(40, sim.IF_curr_delta(), label="tgt")
    sim.Projection(src[[3, 7, 11, 20]], tgt[[10, 2, 33, 25]], sim.OneToOneConnector(),
                   sim.StaticSynapse(DRIVE_MV, DELAY_MS))
    view = tgt[[10, 2]]
    view.record("spikes")
    tgt[[33, 2]].record("v")
    sim.run(30.0)
    s = tgt.get_spikes()
    np.testing.assert_array_equal(s.ids, [10, 2])
    v = view.get_spikes()
    np.testing.assert_array_equal(v.ids, [0, 1])
    np.testing.assert_array_equal(v.times_ms, s.times_ms)
    assert view.mean_rate() == pytest.approx(2 / (2 * 0.030))
    full = tgt.get_data("v")
    part = tgt[[33, 2]].get_data("v")
    np.testing.assert_array_equal(part.ids, [0, 1])
    np.testing.assert_array_equal(part.values, full.values[:, [1, 0]])
    with pytest.raises(KeyError):
        tgt[[33, 4]].get_data("v")


def test_view_mean_rate_needs_recorded_spikes(net):
    """mean_rate() of a view whose spikes were not recorded is an error (not a silent 0), and
    counts only the recorded neurons of the view."""
    src = source(4)
    tgt = sim.Population(4, sim.IF_curr_delta(), label="tgt")
    sim.Projection(src, tgt, sim.OneToOneConnector(), sim.StaticSynapse(DRIVE_MV, DELAY_MS))
    tgt[[0, 1]].record("spikes")
    sim.run(10.0)
    with pytest.raises(KeyError, match="not recorded"):
        src[0:2].mean_rate()
    # neurons 0 and 1 fire once each in 10 ms; neurons 2, 3 are not recorded
    assert tgt[0:4].mean_rate() == pytest.approx(2 / (2 * 0.010))
    assert tgt[[1]].mean_rate() == pytest.approx(100.0)


# ---- rank invariance ---------------------------------------------------------------------


def network_with_views(comm):
    """Views as endpoints of every new connector, structured populations, 8 neurons per core
    so that every population spans several cores (and ranks)."""
    sim.setup(timestep=0.1, seed=21, neurons_per_core=8, comm=comm, verbose=False)
    poisson = sim.Population(60, sim.SpikeSourcePoisson(rate=80.0), label="poisson")
    exc = sim.Population(64, sim.IF_curr_exp(tau_refrac=2.0), label="exc",
                         structure=sim.Grid2D(dx=20.0, dy=20.0))
    inh = sim.Population(30, sim.IF_curr_exp(tau_refrac=2.0), label="inh",
                         structure=sim.RandomStructure(sim.Sphere(80.0), origin=(70, 70, 0)))
    P, S = sim.Projection, sim.StaticSynapse
    d = sim.RandomDistribution("uniform", (0.5, 2.5))
    P(poisson[::2], exc[10:40], sim.OneToOneConnector(), S(3.0, 1.0))
    P(poisson, exc, sim.FixedTotalNumberConnector(500), S(1.0, d))
    P(exc, exc, sim.DistanceDependentProbabilityConnector(
        "0.6*exp(-d/30)", allow_self_connections=False), S(0.3, d))
    P(exc[np.arange(64) % 2 == 0], inh, sim.DistanceDependentProbabilityConnector(
        "exp(-d/60)"), S(0.8, 1.0))
    array = np.random.default_rng(0).random((30, 20)) < 0.3
    P(inh, exc[[5, 63, 0, 17, 30, 41, 22, 8, 9, 50, 12, 13, 44, 45, 46, 2, 3, 33, 34, 60]],
      sim.ArrayConnector(array), S(-0.5, 1.5), receptor_type="inhibitory")
    P(inh[5:25], inh[0:20], sim.FixedTotalNumberConnector(
        150, allow_self_connections=False, with_replacement=False), S(-0.2, d),
      receptor_type="inhibitory")
    P(exc[0:32][::3], inh[::2], sim.AllToAllConnector(), S(0.05, 2.0))
    exc.record("spikes")
    inh[::3].record("spikes")
    exc[[0, 9, 63]].record("v")
    return poisson, exc, inh


def simulate_with_views(comm):
    poisson, exc, inh = network_with_views(comm)
    sim.run(40.0)
    out = {"exc": tuple(exc.get_spikes()), "inh": tuple(inh.get_spikes()),
           "inh[::3]": tuple(inh[::3].get_spikes()), "v": tuple(exc[[63, 0]].get_data("v")),
           "sizes": tuple(p.size() for p in sim.current().projections)}
    sim.end()
    return out


@pytest.fixture(scope="module")
def view_results():
    return {n: run_threads(n, simulate_with_views) for n in (1, 2, 3)}


@pytest.mark.parametrize("n_ranks", [2, 3])
def test_views_and_new_connectors_are_rank_invariant(view_results, n_ranks):
    """Spikes, sampled v and projection sizes of a network with views as endpoints and the
    distance-dependent, total-number and array connectors are bit-identical on 1, 2 and 3
    thread-ranks, and identical on every rank of a run."""
    ref = view_results[1][0]
    for out in view_results[n_ranks]:
        assert out["sizes"] == ref["sizes"]
        for key in ("exc", "inh", "inh[::3]", "v"):
            for a, b in zip(ref[key], out[key], strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b), (key, n_ranks)


def test_rank_invariance_network_is_active(view_results):
    """The compared network is not trivial: both populations fire, the FixedTotalNumber
    projections have exactly 500 and 150 synapses, and the view of inh records a third."""
    out = view_results[1][0]
    assert out["exc"][0].size > 50 and out["inh"][0].size > 10
    assert out["sizes"][1] == 500 and out["sizes"][5] == 150
    assert all(s > 0 for s in out["sizes"])
    assert set(np.unique(out["inh"][1])) <= set(range(0, 30, 3))
    np.testing.assert_array_equal(out["inh[::3]"][1] * 3, out["inh"][1])
