"""The progress display on several ranks: one allreduce per fixed step on every rank, whatever
each rank's compiled calls return early for (recording buffers full), so a shown run never
hangs and its spikes equal a quiet run's; rank 0 alone prints; the compile phase and the
population tables are reported the same on every rank."""

import sys

import numpy as np
import pytest

import spinn as sim
import spinn.runtime.simulator as simulator
from tests.mpi.test_compiled_exchange import network
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(180)]


def simulate(verbose, state_recorded, durations=(260.0, 137.0), realtime=False, **run):
    sim.setup(timestep=0.1, seed=5, neurons_per_core=32, verbose=verbose)
    pops = network(1.0)
    drive = next(p for p in sim.simulation().network.populations if p.label == "drive")
    drive.record("spikes")        # 270 spikes per ms on the ranks holding it: buffers fill,
    pops = pops + (drive,)        # their compiled calls return early, the others' do not
    if state_recorded:                        # the per-tick path
        pops[0].record("v", indices=[0, 1])
    for d in durations:
        sim.run(d, realtime=realtime, **run)
    out = {p.label: tuple(p.get_spikes()) for p in pops}
    t = sim.provenance()
    sim.end()
    return out, t


@pytest.mark.parametrize("state_recorded", [False, True])
def test_a_shown_run_equals_a_quiet_one_and_only_rank_0_prints(capsys, monkeypatch,
                                                               state_recorded):
    # many collective marks: compiled calls of 20 ticks, progress every 20 ticks
    monkeypatch.setattr(simulator, "LOCAL_TICKS", 20)
    monkeypatch.setattr(sys.modules["spinn.simulation"], "LOCAL_TICKS", 20)
    quiet, _ = simulate(False, state_recorded)
    capsys.readouterr()
    shown, t = simulate(True, state_recorded)
    out = capsys.readouterr().out
    from mpi4py import MPI

    rank = MPI.COMM_WORLD.Get_rank()
    assert_all_ranks(all(np.array_equal(a, b) for k in quiet
                         for a, b in zip(quiet[k], shown[k])), "spikes differ when shown")
    printed = "spikes/s" in out and "ETA" in out
    assert_all_ranks(printed == (rank == 0), f"rank {rank} printed={printed}")
    spikes = t["populations"]["spikes"]
    all_spikes = MPI.COMM_WORLD.allgather(spikes)
    assert_all_ranks(all(s == spikes for s in all_spikes), "tables differ between ranks")
    assert_all_ranks(sum(spikes) > 0 and t["compile_in_run_seconds"] == 0.0,
                     f"compiled inside the run: {t['compile_in_run_seconds']}")


@pytest.mark.parametrize("checkpoints", [False, True])
def test_a_shown_real_time_run_shows_the_jobs_spikes_from_the_votes_in_its_call(
        capsys, monkeypatch, progress_looks, tmp_path_factory, checkpoints):
    """With checkpoints every 700 ms, the run goes in segments of one call each
    (spinn.runtime.longrun), and each look adds the job's spikes of the segments before
    (the first version added rank 0's alone: the rate shown went negative).  In real time the progress display leaves the compiled call for nothing: the ranks'
    votes inside it sum the job's spikes (spinn.kernels.agree) and rank 0's companion
    thread shows them (spinn.runtime.companion).  One rank's calls return early when its
    recording buffers fill; the votes keep to common steps regardless, so the shown run
    neither hangs nor pairs one rank's reduction with another's exchange — its spikes
    equal a quiet offline run's, and each look's count is the job's, to a step."""
    monkeypatch.setattr(simulator, "REALTIME_CALL_MS", 200.0)    # a mark every 200 ms
    looks = progress_looks
    quiet, _ = simulate(False, False, durations=(2000.0,))
    capsys.readouterr()
    looks.clear()
    from mpi4py import MPI

    run = {}
    if checkpoints:
        ck = MPI.COMM_WORLD.bcast(str(tmp_path_factory.mktemp("ck"))
                                  if MPI.COMM_WORLD.Get_rank() == 0 else None)
        run = {"checkpoint_every": 700.0, "checkpoint_dir": ck}
    shown, _ = simulate(True, False, durations=(2000.0,), realtime=True, **run)
    out = capsys.readouterr().out

    rank = MPI.COMM_WORLD.Get_rank()
    assert_all_ranks(all(np.array_equal(a, b) for k in quiet
                         for a, b in zip(quiet[k], shown[k])), "spikes differ when shown")
    printed = "spikes/s" in out
    assert_all_ranks(printed == (rank == 0), f"rank {rank} printed={printed}")
    steps = np.round(np.concatenate([t for t, _ in shown.values()]) / 0.1)
    during = [(s, k) for s, k, name in looks if name == "spinn-companion"]
    bad = [(s, k, int(np.count_nonzero(steps < s - 1)), int(np.count_nonzero(steps < s + 1)))
           for s, k in during]
    bad = [b for b in bad if not b[2] <= b[1] <= b[3] or b[0] % 500 != 0]
    assert_all_ranks(bool(during) == (rank == 0) and not bad,
                     f"rank {rank}: looks {looks[:5]}…, off the job's count: {bad}")
