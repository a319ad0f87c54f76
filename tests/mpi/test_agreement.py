"""Ranks that disagree are caught: a network, a run duration or a collective call that
differs between ranks stops every rank with a ConfigurationError naming the difference —
before anything is allocated, promptly, never a hang or a crash.  And seed=None gives every
rank rank 0's seed."""


import pytest

import spinn as sim
from tests.mpi_helpers import assert_all_ranks, error_on_every_rank

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]
PROMPT_S = 10.0


def _network(size=40, weight=0.1, seed=3):
    net = sim.setup(timestep=0.1, seed=seed, neurons_per_core=8, verbose=False)
    a = sim.Population(size, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0), label="a")
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=weight, delay=1.0))
    a.record("spikes")
    return net, a


def _finish():
    sim.end()      # every rank failed at the same call, so they all agree to end


def test_population_size_that_depends_on_the_rank_is_named_on_every_rank():
    """A population of 100 neurons on rank 0 and 110 elsewhere (it segfaulted once): every
    rank raises, before the build allocates anything, naming the population, the size on a
    differing rank and on rank 0."""
    from mpi4py import MPI

    r = MPI.COMM_WORLD.Get_rank()
    _network(size=100 if r == 0 else 110)
    message, seconds = error_on_every_rank(lambda: sim.run(10.0))
    ok = (message is not None and "population 'a': size 110 on rank 1, 100 on rank 0" in message
          and sim.simulation().engine is None and seconds < PROMPT_S)
    _finish()
    assert_all_ranks(ok, f"rank {r}: {message!r} after {seconds:.1f} s")


def test_weight_that_depends_on_the_rank_is_named():
    """A synaptic weight that differs on the last rank: the error names the projection and
    its synapse settings as seen on that rank and on rank 0."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    last = comm.Get_size() - 1
    _network(weight=0.2 if comm.Get_rank() == last else 0.1)
    message, _ = error_on_every_rank(lambda: sim.run(10.0))
    ok = (message is not None and "projection 'a→a': synapse" in message
          and f"on rank {last}" in message and "weight=0.2" in message
          and "weight=0.1" in message)
    _finish()
    assert_all_ranks(ok, f"got {message!r}")


def test_run_duration_that_depends_on_the_rank_stops_instead_of_hanging():
    """run(20) on rank 0 and run(30) elsewhere: every rank raises promptly, and the message
    says what each rank called."""
    from mpi4py import MPI

    r = MPI.COMM_WORLD.Get_rank()
    _network()
    sim.run(5.0)
    message, seconds = error_on_every_rank(lambda: sim.run(20.0 if r == 0 else 30.0))
    ok = (message is not None and "run(duration=20.0 ms" in message
          and "run(duration=30.0 ms" in message and "rank 0 at" in message
          and seconds < PROMPT_S)
    _finish()
    assert_all_ranks(ok, f"rank {r}: {message!r} after {seconds:.1f} s")


def test_a_collective_getter_called_on_one_rank_only_is_detected():
    """Rank 0 asks for the gathered spikes while the other ranks go on to end(): nobody
    hangs; every rank raises, naming get_spikes and end."""
    from mpi4py import MPI

    r = MPI.COMM_WORLD.Get_rank()
    _, a = _network()
    sim.run(10.0)
    message, seconds = error_on_every_rank(
        lambda: a.get_spikes() if r == 0 else sim.simulation().end())
    ok = (message is not None and "get_spikes" in message and "end()" in message
          and seconds < PROMPT_S)
    sim.end()
    assert_all_ranks(ok, f"rank {r}: {message!r}")


def test_seed_none_is_rank_zeros_seed_on_every_rank():
    """setup(seed=None): every rank uses the seed rank 0 drew, so a FixedTotalNumber
    projection still has exactly n synapses (independent draws per rank would not)."""
    net = sim.setup(timestep=0.1, seed=None, neurons_per_core=8, verbose=False)
    a = sim.Population(64, sim.IF_curr_exp(), label="a")
    p = sim.Projection(a, a, sim.FixedTotalNumberConnector(500), sim.StaticSynapse(0.1, 1.0))
    sim.run(1.0)
    from mpi4py import MPI

    seeds = MPI.COMM_WORLD.allgather(net.seed)
    total = len(p.get("weight", format="list"))
    sim.end()
    assert_all_ranks(len(set(seeds)) == 1 and total == 500, f"seeds {seeds}, {total} synapses")


def test_durations_that_differ_beyond_six_digits_are_caught():
    """run(123456.7) on rank 0 and run(123456.8) elsewhere differ by one step: caught (the
    agreement compares the exact step count), not left to hang in the exchange."""
    from mpi4py import MPI

    r = MPI.COMM_WORLD.Get_rank()
    _network()
    message, _ = error_on_every_rank(lambda: sim.run(123456.7 if r == 0 else 123456.8))
    ok = message is not None and "steps=1234567" in message and "steps=1234568" in message
    _finish()
    assert_all_ranks(ok, f"rank {r}: {message!r}")


def test_a_seed_given_on_some_ranks_only_is_named_not_a_hang():
    """seed=None on rank 0 and an explicit seed elsewhere: every rank still makes the same
    collective calls, and the build names the differing seed."""
    from mpi4py import MPI

    r = MPI.COMM_WORLD.Get_rank()
    _network(seed=None if r == 0 else 5)
    message, seconds = error_on_every_rank(lambda: sim.run(10.0))
    ok = message is not None and "setup: seed" in message and seconds < PROMPT_S
    _finish()
    assert_all_ranks(ok, f"rank {r}: {message!r}")
