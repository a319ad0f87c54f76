"""An error on one rank ends the whole job promptly with its message, never a hang.

Each test writes a small spinn script and launches it as its own 2-rank MPI job with the
virtual environment's mpiexec.  Only rank 0 of the test job launches it; the other ranks wait
(sleeping, not busy-polling, so the child job gets the CPU) and then agree on rank 0's result.
"""

import os
import textwrap

import pytest

from tests.mpi_helpers import MPIEXEC, assert_all_ranks, launch_from_rank0

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]

PROMPT_S = 30.0  # an abort ends the job in seconds (start-up included); a hang takes 60 s

NETWORK = """
import spinn as sim

sim.setup(timestep=0.1, seed=3, neurons_per_core=8, verbose=False)
pop = sim.Population(32, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0), label="p")
sim.Projection(pop, pop, sim.FixedProbabilityConnector(0.2),
               sim.StaticSynapse(weight=0.1, delay=1.0))
pop.record("spikes")
"""


def _explain(rc, out, err, seconds):
    return (f"exit status {rc} after {seconds:.1f} s\n--- stdout ---\n{out[-2000:]}\n"
            f"--- stderr ---\n{err[-4000:]}")


def test_mpiexec_is_the_virtual_environments():
    """The launcher used below exists next to the running Python interpreter."""
    assert_all_ranks(MPIEXEC.is_file() and os.access(MPIEXEC, os.X_OK),
                     f"no executable mpiexec at {MPIEXEC}")


def test_a_clean_script_completes_with_exit_status_zero():
    """The launcher works: the same network without any error runs to the end on 2 ranks and
    exits 0 (so the failures below are caused by the errors, not by the launch)."""
    rc, out, err, seconds = launch_from_rank0(NETWORK + textwrap.dedent("""
        sim.run(20.0)
        print(f"rank {sim.rank()} of {sim.num_processes()}: completed", flush=True)
    """))
    ok = rc == 0 and "rank 0 of 2: completed" in out and "rank 1 of 2: completed" in out
    assert_all_ranks(ok, "clean 2-rank script failed:\n" + _explain(rc, out, err, seconds))


def test_exception_in_a_callback_on_one_rank_aborts_every_rank_with_its_message():
    """RuntimeError raised on rank 1 only, in a run() callback at t ≥ 5 ms: the job exits
    nonzero within seconds with "boom on rank 1" on stderr, and no rank completes the run."""
    rc, out, err, seconds = launch_from_rank0(NETWORK + textwrap.dedent("""
        def f(t_ms):
            if sim.rank() == 1 and t_ms >= 5.0:
                raise RuntimeError("boom on rank 1")
            return t_ms + 0.5

        sim.run(60000.0, callbacks=[f])  # minutes of work if the error did not end the job
        print(f"rank {sim.rank()}: completed", flush=True)
    """))
    ok = (rc not in (None, 0) and "boom on rank 1" in err and "completed" not in out
          and seconds < PROMPT_S)
    assert_all_ranks(ok, "one rank's callback error did not abort the job promptly:\n"
                     + _explain(rc, out, err, seconds))


def test_uncaught_exception_on_one_rank_between_runs_aborts_every_rank():
    """An uncaught exception in the script on rank 1 only, while rank 0 goes on to the next
    (collective) run(): the job ends nonzero with the message instead of hanging."""
    rc, out, err, seconds = launch_from_rank0(NETWORK + textwrap.dedent("""
        sim.run(5.0)
        if sim.rank() == 1:
            raise ValueError("script error on rank 1 only")
        sim.run(60000.0)
        print(f"rank {sim.rank()}: completed", flush=True)
    """))
    ok = (rc not in (None, 0) and "script error on rank 1 only" in err
          and "completed" not in out and seconds < PROMPT_S)
    assert_all_ranks(ok, "an uncaught error on one rank did not abort the job promptly:\n"
                     + _explain(rc, out, err, seconds))


def test_validation_error_exits_nonzero_with_its_message():
    """A negative tau_m is rejected on every rank before the run: the job exits nonzero
    promptly, stderr names the parameter and the constraint, and no rank runs."""
    rc, out, err, seconds = launch_from_rank0("""
        import spinn as sim

        sim.setup(timestep=0.1, seed=3, verbose=False)
        pop = sim.Population(10, sim.IF_curr_exp(tau_m=-5.0), label="bad")
        sim.run(60000.0)
        print(f"rank {sim.rank()}: completed", flush=True)
    """)
    ok = (rc not in (None, 0) and "ConfigurationError" in err
          and "tau_m = -5 ms must be > 0 ms" in err and "completed" not in out
          and seconds < PROMPT_S)
    assert_all_ranks(ok, "a validation error did not end the job promptly with its message:\n"
                     + _explain(rc, out, err, seconds))


def test_collective_getter_on_one_rank_while_the_other_ends_its_script():
    """Rank 0 asks for the gathered spikes (collective) while rank 1's script simply ends:
    instead of rank 0 waiting forever, the job ends nonzero within seconds and says that
    rank 0 was at get_spikes and rank 1 at the end of the script."""
    rc, out, err, seconds = launch_from_rank0(NETWORK + textwrap.dedent("""
        sim.run(10.0)
        if sim.rank() == 0:
            pop.get_spikes()
            print("rank 0: got spikes", flush=True)
    """))
    ok = (rc not in (None, 0) and "get_spikes" in err and "the end of the script" in err
          and "got spikes" not in out and seconds < PROMPT_S)
    assert_all_ranks(ok, "a one-rank collective call did not end the job with a message:\n"
                     + _explain(rc, out, err, seconds))


def test_population_size_depending_on_the_rank_fails_cleanly_not_with_a_segfault():
    """A population whose size depends on the rank (it once segfaulted in the delay
    extension): the job exits nonzero promptly with the ConfigurationError naming it."""
    rc, out, err, seconds = launch_from_rank0("""
        import spinn as sim

        sim.setup(timestep=0.1, seed=3, verbose=False)
        a = sim.Population(100 + 10 * sim.rank(), sim.IF_curr_exp(), label="a")
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.1),
                       sim.StaticSynapse(weight=0.1, delay=200.0))
        sim.run(50.0)
        print("completed", flush=True)
    """)
    ok = (rc not in (None, 0) and "population 'a': size 110 on rank 1, 100 on rank 0" in err
          and "Segmentation" not in err and "completed" not in out and seconds < PROMPT_S)
    assert_all_ranks(ok, "a rank-dependent size did not fail cleanly:\n"
                     + _explain(rc, out, err, seconds))
