"""Results do not depend on the number of ranks: the same script and seed give bit-identical
spike trains (and state recordings) on the MPI world and in a single process.

Each rank first runs the network on COMM_WORLD, then builds it again on its own with
``comm=LocalComm()`` (a 1-rank run of the whole network) and compares.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import LocalComm
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]

BRUNEL = pathlib.Path(__file__).resolve().parents[2] / "examples" / "brunel.py"


def _brunel_module():
    spec = importlib.util.spec_from_file_location("spinn_example_brunel", BRUNEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_brunel():
    _brunel_module().build(scale=0.05, k_scale=0.1)


def build_every_connector():
    """Every connector, every cell type, random weights/delays, npc 16 (14 cores)."""
    rd = sim.RandomDistribution
    syn = sim.StaticSynapse
    rng = np.random.default_rng(3)
    # per-neuron times, with a repeated time (two spikes in one step travel as one packet)
    times = [np.round(np.sort(rng.uniform(0.1, 150.0, 12)), 1).tolist() + [40.0, 40.0]
             for _ in range(20)]
    arr = sim.Population(20, sim.SpikeSourceArray(spike_times=times), label="array")
    poi = sim.Population(48, sim.SpikeSourcePoisson(rate=np.linspace(20.0, 200.0, 48)),
                         label="poisson")
    a = sim.Population(48, sim.IF_curr_exp(i_offset=0.7, tau_refrac=2.0),
                       initial_values={"v": rd("uniform", low=-65.0, high=-52.0)},
                       label="curr_exp")
    b = sim.Population(40, sim.IF_cond_exp(i_offset=0.2, tau_refrac=2.0), label="cond_exp")
    c = sim.Population(36, sim.IF_curr_delta(i_offset=0.7, tau_refrac=2.0),
                       initial_values={"v": rd("uniform", low=-65.0, high=-51.0)},
                       label="curr_delta")
    sim.Projection(poi, a, sim.OneToOneConnector(), syn(weight=1.0, delay=1.0))
    sim.Projection(arr, b, sim.AllToAllConnector(), syn(weight=0.004, delay=1.0))
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.2),
                   syn(weight=rd("uniform", low=0.002, high=0.01),
                       delay=rd("uniform", low=0.5, high=3.0)))
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.1, allow_self_connections=False),
                   syn(weight=-0.3, delay=0.8), receptor_type="inhibitory")
    sim.Projection(b, c, sim.FixedNumberPreConnector(6),
                   syn(weight=1.5, delay=rd("normal_clipped", mu=1.5, sigma=0.5, low=0.5,
                                            high=4.0)))
    sim.Projection(c, b, sim.FixedNumberPreConnector(3, with_replacement=True),
                   syn(weight=0.005, delay=1.2), receptor_type="inhibitory")
    sim.Projection(c, a, sim.FixedNumberPostConnector(5), syn(weight=-0.4, delay=2.0),
                   receptor_type="inhibitory")
    sim.Projection(b, b, sim.FixedNumberPostConnector(4, with_replacement=True,
                                                      allow_self_connections=False),
                   syn(weight=0.002, delay=0.6))
    rows = [(i, (7 * i) % 36, 0.5 + 0.1 * (i % 5), 0.5 + 0.3 * (i % 7)) for i in range(48)]
    sim.Projection(a, c, sim.FromListConnector(rows, column_names=["weight", "delay"]), syn())
    a.record("v", indices=[0, 17, 33])
    b.record("gsyn_exc", indices=[1, 39], sampling_interval=0.5)
    c.record("v", indices=np.arange(0, 36, 5))


STATE = {"curr_exp": "v", "cond_exp": "gsyn_exc", "curr_delta": "v"}


def simulate(builder, seed, durations, comm=None, neurons_per_core=256):
    """Run ``builder`` on ``comm`` (None: the MPI world); return ({label: (times, ids)},
    {label: StateData}, per-rank provenance of the last run)."""
    net = sim.setup(timestep=0.1, seed=seed, neurons_per_core=neurons_per_core,
                    verbose=False, comm=comm)
    builder()
    for pop in net.populations:
        pop.record("spikes")
    for d in durations:
        sim.run(d)
    spikes = {p.label: p.get_spikes() for p in net.populations}
    state = {p.label: p.get_data(STATE[p.label]) for p in net.populations
             if p.label in STATE and STATE[p.label] in p.recording}
    state_ = sim.simulation()
    per_rank = state_.comm.allgather(state_.runs[-1]["mine"])
    sim.end()
    return spikes, state, per_rank


def differences(got, want):
    """Names of the recordings that are not bit-identical (empty when all are)."""
    bad = []
    spikes, state = got[0], got[1]
    spikes_ref, state_ref = want[0], want[1]
    if spikes.keys() != spikes_ref.keys() or state.keys() != state_ref.keys():
        return ["population sets differ"]
    for label, (t, i) in spikes.items():
        t_ref, i_ref = spikes_ref[label]
        if not (np.array_equal(t, t_ref) and np.array_equal(i, i_ref)):
            bad.append(f"{label} spikes ({i.size} vs {i_ref.size} in 1-rank run)")
    for label, s in state.items():
        r = state_ref[label]
        if not all(np.array_equal(x, y, equal_nan=True) for x, y in zip(s, r, strict=True)):
            bad.append(f"{label} state")
    return bad


def _check_invariance(builder, seed, durations, npc, what):
    mpi = simulate(builder, seed, durations, neurons_per_core=npc)
    local = simulate(builder, seed, [sum(durations)], comm=LocalComm(), neurons_per_core=npc)
    bad = differences(mpi, local)
    assert_all_ranks(not bad, f"{what}: MPI run differs from the 1-rank run in {bad}")
    silent = [label for label, (t, _) in local[0].items() if t.size == 0]
    assert_all_ranks(not silent, f"{what}: populations {silent} never spiked; the comparison "
                                 f"would not test anything")
    busy_ranks = sum(1 for p in mpi[2] if p["neurons"] > 0)
    assert_all_ranks(busy_ranks >= 2, f"{what}: only {busy_ranks} rank(s) held neurons; the "
                                      f"network was not distributed")
    remote = sum(p["packets_sent_remote"] for p in mpi[2])
    assert_all_ranks(remote > 0, f"{what}: no packet crossed ranks")


def test_brunel_spikes_identical_on_mpi_world_and_one_rank():
    """Brunel model A (scale 0.05, k_scale 0.1, 200 ms, Poisson drive): every population's
    spike train on the MPI world is bit-identical to the single-process run."""
    _check_invariance(build_brunel, 2024, [200.0], 256, "Brunel")


@pytest.mark.parametrize("seed", [11, 98765])
def test_every_connector_and_cell_type_identical_on_mpi_world_and_one_rank(seed):
    """A network with every connector and cell type, 16 neurons per core spread over the
    ranks: spikes and recorded state on the MPI world are bit-identical to one process."""
    _check_invariance(build_every_connector, seed, [150.0], 16, "every-connector network")


def test_split_runs_on_mpi_world_identical_to_one_run_on_one_rank():
    """run(30.3) + run(70) + run(49.7) on the MPI world gives the same spikes and state as a
    single run(150) in one process (tick boundaries and run boundaries do not matter)."""
    _check_invariance(build_every_connector, 5, [30.3, 70.0, 49.7], 16, "split runs")


def test_different_seeds_give_different_spikes():
    """The comparison can tell networks apart: another seed changes the spike trains."""
    a = simulate(build_every_connector, 1, [50.0], comm=LocalComm(), neurons_per_core=16)
    b = simulate(build_every_connector, 2, [50.0], comm=LocalComm(), neurons_per_core=16)
    assert_all_ranks(bool(differences(a, b)), "seeds 1 and 2 gave identical recordings")


def build_brunel_stdp():
    _brunel_module().build(scale=0.05, k_scale=0.1, stdp=True)


def test_brunel_with_stdp_identical_on_mpi_world_and_one_rank():
    """Brunel with plastic E→E synapses: spikes and the final plastic weights on the MPI world
    are bit-identical to the single-process run."""
    _check_invariance(build_brunel_stdp, 77, [200.0], 256, "Brunel with STDP")
    weights = []
    for comm in (None, LocalComm()):
        net = sim.setup(timestep=0.1, seed=77, verbose=False, comm=comm)
        build_brunel_stdp()
        sim.run(200.0)
        proj = next(p for p in net.projections if p.plastic)
        weights.append(np.array(proj.get("weight")))
        sim.end()
    same = weights[0].shape == weights[1].shape and np.array_equal(weights[0], weights[1])
    moved = np.any(weights[1][:, 2] != 0.1)
    assert_all_ranks(same and moved, "plastic weights differ between the MPI world and one "
                                     "rank, or never changed")
