"""Bad input and resources on several ranks (issue 13): every rank raises the same
ConfigurationError, promptly, before anything is allocated — a build too large for the
memory, a non-number, a duplicate label, an output directory one rank cannot write; and a
checkpoint written here restores on this number of ranks."""

import os

import numpy as np
import pytest

import spinn as sim
from tests.mpi_helpers import assert_all_ranks, error_on_every_rank

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]


def _same_error_everywhere(fn, *fragments):
    from mpi4py import MPI

    message, seconds = error_on_every_rank(fn)
    everyone = MPI.COMM_WORLD.allgather(message)
    ok = message is not None and len(set(everyone)) == 1 and seconds < 20 and \
        all(f in message for f in fragments)
    return ok, f"{message!r} ({seconds:.1f} s); all: {everyone}"


def test_a_build_too_large_for_memory_is_refused_on_every_rank():
    sim.setup(timestep=0.1, verbose=False)
    a = sim.Population(200_000, sim.IF_curr_exp(), label="a")
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=0.1, delay=1.0))
    ok, why = _same_error_everywhere(lambda: sim.run(10.0), "GiB on rank", "use ≥ ")
    ok = ok and sim.simulation().engine is None
    sim.end()
    assert_all_ranks(ok, why)


def test_non_numbers_and_duplicate_labels_are_refused_on_every_rank():
    sim.setup(timestep=0.1, verbose=False)
    ok1, why1 = _same_error_everywhere(lambda: sim.IF_curr_exp(tau_m="twenty"), "tau_m")
    sim.Population(5, sim.IF_curr_exp(), label="exc")
    ok2, why2 = _same_error_everywhere(
        lambda: sim.Population(5, sim.IF_curr_exp(), label="exc"), "already used")
    sim.end()
    assert_all_ranks(ok1 and ok2, f"{why1}; {why2}")


def test_an_out_dir_one_rank_cannot_write_stops_every_rank_at_setup(tmp_path_factory):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("faults")) if comm.rank == 0 else None)
    spool = os.path.join(base, f"spool{comm.rank}")
    if comm.rank == comm.size - 1:           # this rank's spool base is a file
        with open(spool, "w") as f:
            f.write("x")
    ok, why = _same_error_everywhere(lambda: sim.setup(spool_dir=spool, verbose=False),
                                     "cannot be written", f"on rank(s) {comm.size - 1}")
    assert_all_ranks(ok, why)


def test_checkpoint_and_restore_on_these_ranks(tmp_path_factory):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("ck")) if comm.rank == 0 else None)

    def network():
        sim.setup(timestep=0.1, seed=2, neurons_per_core=10, verbose=False)
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=300.0), label="src")
        a = sim.Population(40, sim.IF_curr_exp(), label="a")
        sim.Projection(src, a, sim.FixedProbabilityConnector(0.5),
                       sim.StaticSynapse(weight=0.3, delay=1.0))
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.1),
                       sim.StaticSynapse(weight=0.1, delay=sim.RandomDistribution(
                           "uniform", (1.0, 20.0))))
        a.record("spikes")
        return a

    a = network()
    sim.run(40.0)
    sim.checkpoint(os.path.join(base, "c"))
    sim.run(40.0)
    whole = sim.simulation().results.spikes(a)
    sim.end()
    a = network()
    sim.restore(os.path.join(base, "c"))
    sim.run(40.0)
    again = sim.simulation().results.spikes(a)
    sim.end()
    ok = whole.ids.size > 100 and np.array_equal(whole.times_ms, again.times_ms) and \
        np.array_equal(whole.ids, again.ids)
    assert_all_ranks(ok, f"{whole.ids.size} vs {again.ids.size} spikes")
