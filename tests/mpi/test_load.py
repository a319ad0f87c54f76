"""Uneven and degenerate distributions of work over ranks: ranks without neurons, ranks
without spikes, one huge and one tiny population; provenance totals add up and every rank
holds the complete recordings after run()."""

import hashlib

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import LocalComm, world
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]


def simulate(builder, duration, comm=None, seed=17, neurons_per_core=256):
    """Build with ``builder()`` on ``comm`` (None: the MPI world) and run; return
    ({label: (times, ids)}, {label: StateData of "v"}, per-rank provenance dicts)."""
    net = sim.setup(timestep=0.1, seed=seed, neurons_per_core=neurons_per_core,
                    verbose=False, comm=comm)
    builder()
    for pop in net.populations:
        pop.record("spikes")
    sim.run(duration)
    spikes = {p.label: tuple(p.get_spikes()) for p in net.populations}
    state = {p.label: p.get_data("v") for p in net.populations if "v" in p.recording}
    state_ = sim.simulation()
    per_rank = state_.comm.allgather(state_.runs[-1]["mine"])
    sim.end()
    return spikes, state, per_rank


def identical(a, b):
    """True when two simulate() results hold bit-identical spikes and state."""
    if a[0].keys() != b[0].keys() or a[1].keys() != b[1].keys():
        return False
    same_spikes = all(np.array_equal(x, y)
                      for k in a[0] for x, y in zip(a[0][k], b[0][k], strict=True))
    same_state = all(np.array_equal(x, y, equal_nan=True)
                     for k in a[1] for x, y in zip(a[1][k], b[1][k], strict=True))
    return same_spikes and same_state


def n_spikes(result):
    return sum(ids.size for _, ids in result[0].values())


def digest(result):
    """sha256 of every recording (spikes and state), in a fixed order."""
    h = hashlib.sha256()
    for label in sorted(result[0]):
        for arr in result[0][label]:
            h.update(label.encode())
            h.update(np.ascontiguousarray(arr).tobytes())
    for label in sorted(result[1]):
        for arr in result[1][label]:
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


# ---- networks --------------------------------------------------------------------------
def build_one_small_population():
    """10 self-driven neurons with recurrent synapses: a single core."""
    pop = sim.Population(10, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0),
                         initial_values={"v": np.linspace(-65.0, -52.0, 10)}, label="small")
    sim.Projection(pop, pop, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=-0.5, delay=1.0), receptor_type="inhibitory")
    pop.record("v", indices=[0, 9])


def build_activity_on_one_core():
    """64 neurons that never fire (npc 16: 4 cores) and one 16-neuron core that fires and
    sends them sub-threshold input."""
    quiet = sim.Population(64, sim.IF_curr_exp(), label="quiet")
    active = sim.Population(16, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0),
                            initial_values={"v": np.linspace(-65.0, -51.0, 16)},
                            label="active")
    sim.Projection(active, quiet, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=0.05, delay=1.0))
    quiet.record("v", indices=[0, 20, 40, 63])


def build_silent():
    """Nothing ever fires."""
    a = sim.Population(40, sim.IF_curr_exp(), label="a")
    b = sim.Population(40, sim.IF_cond_exp(), label="b")
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.Projection(b, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))


def build_huge_and_tiny():
    """4 000 Poisson-driven neurons (16 cores) and a 3-neuron population (1 core)."""
    huge = sim.Population(4000, sim.IF_curr_exp(tau_refrac=2.0),
                          initial_values={"v": sim.RandomDistribution("uniform", low=-65.0,
                                                                      high=-50.0)},
                          label="huge")
    tiny = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0), label="tiny")
    drive = sim.Population(4000, sim.SpikeSourcePoisson(rate=300.0), label="drive")
    sim.Projection(drive, huge, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0,
                                                                           delay=1.0))
    sim.Projection(huge, tiny, sim.FixedProbabilityConnector(0.05),
                   sim.StaticSynapse(weight=0.2, delay=1.0))
    sim.Projection(tiny, huge, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-0.5, delay=2.0), receptor_type="inhibitory")
    tiny.record("v")


def build_mixed_sources():
    """Array and Poisson sources, duplicate spike times (packets with counts), three cell
    types, some sources without targets (unrouted packets)."""
    arr = sim.Population(12, sim.SpikeSourceArray(
        spike_times=[[1.0, 5.0, 5.0, 20.0 + i] for i in range(12)]), label="array")
    poi = sim.Population(30, sim.SpikeSourcePoisson(rate=150.0), label="poisson")
    lonely = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="lonely")
    a = sim.Population(30, sim.IF_curr_exp(i_offset=0.5, tau_refrac=2.0), label="a")
    b = sim.Population(25, sim.IF_cond_exp(i_offset=0.3, tau_refrac=2.0), label="b")
    c = sim.Population(20, sim.IF_curr_delta(i_offset=0.8, tau_refrac=2.0), label="c")
    syn = sim.StaticSynapse
    sim.Projection(poi, a, sim.OneToOneConnector(), syn(weight=1.0, delay=1.0))
    sim.Projection(arr, b, sim.AllToAllConnector(), syn(weight=0.01, delay=1.0))
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.3), syn(weight=0.005, delay=1.5))
    sim.Projection(b, c, sim.FixedNumberPreConnector(4), syn(weight=2.0, delay=1.0))
    sim.Projection(c, a, sim.FixedNumberPostConnector(3), syn(weight=-0.3, delay=2.0),
                   receptor_type="inhibitory")
    del lonely
    a.record("v", indices=[3])


def _ranks_with(per_rank, key):
    return [p["rank"] for p in per_rank if p[key] > 0]


# ---- tests -----------------------------------------------------------------------------
def test_fewer_cores_than_ranks_runs_and_matches_one_rank():
    """A single 10-neuron core on ≥ 2 ranks: the ranks without neurons take part in every
    exchange, the run completes, and results equal the 1-rank run."""
    mpi = simulate(build_one_small_population, 100.0)
    local = simulate(build_one_small_population, 100.0, comm=LocalComm())
    holders = _ranks_with(mpi[2], "neurons")
    assert_all_ranks(len(holders) == 1, f"expected one rank to hold the core, got {holders}")
    assert_all_ranks(all(p["ticks"] == local[2][0]["ticks"] for p in mpi[2]),
                     "ranks without neurons did not run every tick")
    assert_all_ranks(n_spikes(local) > 0, "the small population never fired")
    assert_all_ranks(identical(mpi, local), "MPI run differs from the 1-rank run")


def test_activity_on_one_rank_only_matches_one_rank():
    """All spikes come from one core: the other ranks emit nothing (but receive input), and
    spikes and membrane traces equal the 1-rank run."""
    mpi = simulate(build_activity_on_one_core, 100.0, neurons_per_core=16)
    local = simulate(build_activity_on_one_core, 100.0, comm=LocalComm(), neurons_per_core=16)
    emitting = _ranks_with(mpi[2], "spikes_emitted")
    assert_all_ranks(len(emitting) == 1, f"ranks emitting spikes: {emitting}, expected one")
    assert_all_ranks(mpi[0]["quiet"][1].size == 0 and mpi[0]["active"][1].size > 0,
                     "the quiet population fired or the active one did not")
    v = local[1]["quiet"].values
    assert_all_ranks(np.nanmax(v) > -65.0 + 1e-6, "the quiet population received no input")
    assert_all_ranks(identical(mpi, local), "MPI run differs from the 1-rank run")


def test_silent_network_runs_with_no_packets_at_all():
    """A network in which nothing fires completes on every rank with empty recordings and
    zero packets, as on 1 rank."""
    mpi = simulate(build_silent, 50.0, neurons_per_core=16)
    local = simulate(build_silent, 50.0, comm=LocalComm(), neurons_per_core=16)
    sent = sum(p["packets_sent"] + p["packets_received"] for p in mpi[2])
    assert_all_ranks(n_spikes(mpi) == 0 and sent == 0, f"{n_spikes(mpi)} spikes, {sent} "
                                                       f"packets in a silent network")
    assert_all_ranks(identical(mpi, local), "MPI run differs from the 1-rank run")


def test_huge_and_tiny_population_matches_one_rank():
    """One 4 000-neuron population and one of 3 neurons: the huge one is split over the
    ranks, and spikes and the tiny population's traces equal the 1-rank run."""
    mpi = simulate(build_huge_and_tiny, 100.0)
    local = simulate(build_huge_and_tiny, 100.0, comm=LocalComm())
    holders = _ranks_with(mpi[2], "neurons")
    size = world().size
    assert_all_ranks(len(holders) == min(size, 17), f"neurons on ranks {holders} only")
    counts = {k: ids.size for k, (_, ids) in local[0].items()}
    assert_all_ranks(counts["huge"] > 0 and counts["tiny"] > 0, f"spike counts {counts}")
    assert_all_ranks(identical(mpi, local), "MPI run differs from the 1-rank run")


@pytest.mark.parametrize("builder,npc", [(build_mixed_sources, 8), (build_huge_and_tiny, 256)])
def test_provenance_totals_are_consistent(builder, npc):
    """Provenance: packets sent == packets received over all ranks; spikes recorded ==
    spikes emitted == spikes returned by get_spikes; spike and synaptic-event totals equal
    the 1-rank run's; provenance() totals are the same on every rank."""
    mpi = simulate(builder, 80.0, neurons_per_core=npc)
    local = simulate(builder, 80.0, comm=LocalComm(), neurons_per_core=npc)
    t = {k: sum(p[k] for p in mpi[2]) for k in mpi[2][0] if isinstance(mpi[2][0][k], int)}
    t1 = local[2][0]
    recorded = n_spikes(mpi)
    checks = {
        "packets sent == received": t["packets_sent"] == t["packets_received"],
        "remote ≤ sent": t["packets_sent_remote"] <= t["packets_sent"],
        "some packets crossed ranks": t["packets_sent_remote"] > 0,
        "spikes_recorded == get_spikes": t["spikes_recorded"] == recorded > 0,
        "spikes_emitted == spikes_recorded": t["spikes_emitted"] == t["spikes_recorded"],
        "spikes_emitted as on 1 rank": t["spikes_emitted"] == t1["spikes_emitted"],
        "synaptic_events as on 1 rank": t["synaptic_events"] == t1["synaptic_events"] > 0,
        "synapses as on 1 rank": t["synapses"] == t1["synapses"],
        "neurons as on 1 rank": t["neurons"] == t1["neurons"],
        # routes follow the connectors' may_connect (a superset), so a rank may receive a
        # packet it has no synapses for: counted as a miss, but only among received packets
        "misses ≤ received": t["population_table_misses"] <= t["packets_received"],
        "unrouted as on 1 rank": t["unrouted_packets"] == t1["unrouted_packets"],
    }
    failed = [k for k, ok in checks.items() if not ok]
    assert_all_ranks(not failed, f"provenance inconsistent: {failed}; totals {t}")


def test_every_rank_holds_the_complete_recordings_after_run():
    """After run(), get_spikes and get_data return the same complete recordings on every
    rank (sha256 of all recordings compared via allgather), equal to the 1-rank run's."""
    comm = world()
    mpi = simulate(build_mixed_sources, 80.0, neurons_per_core=8)
    local = simulate(build_mixed_sources, 80.0, comm=LocalComm(), neurons_per_core=8)
    digests = comm.allgather(digest(mpi))
    assert_all_ranks(len(set(digests)) == 1, f"ranks hold different recordings: {digests}")
    assert_all_ranks(digest(mpi) == digest(local) and n_spikes(local) > 0,
                     "recordings differ from the 1-rank run")
