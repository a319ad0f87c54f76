"""The same script on 1, 2, 3 and 4 ThreadComm ranks gives bit-identical spikes and state:
mapping, synapse generation, random streams and delivery order never depend on the rank
count (NEST's and Arbor's invariant)."""

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads

DURATION_MS = 100.0


def network_with_every_connector(comm, min_delay=0.1):
    """Every connector and the three neuron models, driven by Poisson and array sources;
    32 neurons per core so the populations span many cores (and ranks).  min_delay (ms) sets
    the tick: 0.1 ms exchanges every step, 0.5 ms every 5 steps."""
    sim.setup(timestep=0.1, seed=11, neurons_per_core=32, comm=comm, verbose=False)
    poisson = sim.Population(96, sim.SpikeSourcePoisson(rate=60.0), label="poisson")
    times = [[1.0 + 0.7 * i + 5.0 * k for k in range(15)] for i in range(40)]
    array = sim.Population(40, sim.SpikeSourceArray(spike_times=times), label="array")
    exc = sim.Population(96, sim.IF_curr_exp(tau_m=10.0, tau_refrac=2.0), label="exc",
                         initial_values={"v": sim.RandomDistribution("uniform", (-65.0, -55.0))})
    inh = sim.Population(50, sim.IF_cond_exp(tau_refrac=2.0), label="inh")
    delta = sim.Population(70, sim.IF_curr_delta(tau_refrac=2.0), label="delta")
    w = sim.RandomDistribution("uniform", (0.5, 1.5))
    d = sim.RandomDistribution("uniform", (0.5, 3.0))
    P = sim.Projection
    P(poisson, exc, sim.OneToOneConnector(), sim.StaticSynapse(4.0, 1.0))
    P(array, inh, sim.FixedProbabilityConnector(0.3), sim.StaticSynapse(0.006, d))
    P(exc, inh, sim.FixedNumberPreConnector(10), sim.StaticSynapse(0.01, 1.5))
    P(inh, exc, sim.FixedNumberPostConnector(12, allow_self_connections=False),
      sim.StaticSynapse(-0.05, d), receptor_type="inhibitory")
    P(exc, exc, sim.FixedProbabilityConnector(0.05, allow_self_connections=False),
      sim.StaticSynapse(w, d))
    P(exc, delta, sim.AllToAllConnector(), sim.StaticSynapse(0.12, 2.0))
    P(delta, delta, sim.FixedNumberPreConnector(5, allow_self_connections=False,
                                                with_replacement=True),
      sim.StaticSynapse(-0.5, min_delay), receptor_type="inhibitory")
    rows = [(i, (7 * i) % 70, 0.8 + 0.01 * i, 1.0 + 0.1 * (i % 9)) for i in range(40)]
    P(array, delta, sim.FromListConnector(rows))
    pops = (poisson, array, exc, inh, delta)
    for pop in pops:
        pop.record("spikes")
    exc.record("v", indices=[0, 33, 95], sampling_interval=1.0)
    inh.record("gsyn_exc", indices=[1, 49])
    return pops


def simulate(comm, min_delay):
    pops = network_with_every_connector(comm, min_delay)
    sim.run(DURATION_MS / 2)
    sim.run(DURATION_MS / 2)  # two runs: continuation must not depend on ranks either
    out = {p.label: tuple(p.get_spikes()) for p in pops}
    exc, inh = pops[2], pops[3]
    out["exc.v"] = tuple(exc.get_data("v"))
    out["inh.gsyn_exc"] = tuple(inh.get_data("gsyn_exc"))
    sizes = [proj.size() for proj in sim.current().projections]
    sim.end()
    return out, sizes


@pytest.fixture(scope="module", params=[0.1, 0.5], ids=["tick1step", "tick5steps"])
def results(request):
    """rank count → the list of per-rank results of the same script."""
    return {n: run_threads(n, lambda comm: simulate(comm, request.param)) for n in (1, 2, 3, 4)}


def test_every_rank_returns_the_whole_result(results):
    """Within one run every rank holds identical, complete recordings (gathered to all)."""
    for n, per_rank in results.items():
        first, sizes = per_rank[0]
        for out, s in per_rank[1:]:
            assert s == sizes
            for key in first:
                for a, b in zip(first[key], out[key], strict=True):
                    assert np.array_equal(a, b, equal_nan=True), (n, key)


@pytest.mark.parametrize("n_ranks", [2, 3, 4])
def test_spikes_and_state_bit_identical_to_one_rank(results, n_ranks):
    """Spike times/ids of every population, sampled v and gsyn and projection sizes on n ranks
    equal the 1-rank result exactly (np.array_equal, no tolerance)."""
    ref, ref_sizes = results[1][0]
    out, sizes = results[n_ranks][0]
    assert sizes == ref_sizes
    assert out.keys() == ref.keys()
    for key in ref:
        for a, b in zip(ref[key], out[key], strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), (key, n_ranks)


def test_network_actually_spikes(results):
    """The compared network is not silent: every population fires, at plausible rates, and the
    array source fires exactly its 600 listed spikes."""
    out, sizes = results[1][0]
    counts = {k: out[k][0].size for k in ("poisson", "array", "exc", "inh", "delta")}
    assert counts["array"] == 40 * 15
    # 96 sources at 60 Hz for 0.1 s: 576 expected, σ ≈ 24
    assert 450 < counts["poisson"] < 700
    for k in ("exc", "inh", "delta"):
        assert counts[k] > 50, counts
    assert all(s > 0 for s in sizes)
    assert np.all(np.diff(out["exc"][0]) >= 0)


def test_every_rank_simulates_neurons():
    """The 4-rank run genuinely splits the work: every rank simulates some neurons."""
    def fn(comm):
        network_with_every_connector(comm)
        sim.run(1.0)
        n = sim.simulation().engine.n_local
        sim.end()
        return n

    local = run_threads(4, fn)
    assert all(n > 0 for n in local) and sum(local) == 96 + 40 + 96 + 50 + 70
