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


def simulate(verbose, state_recorded, durations=(260.0, 137.0), realtime=False):
    sim.setup(timestep=0.1, seed=5, neurons_per_core=32, verbose=verbose)
    pops = network(1.0)
    drive = next(p for p in sim.simulation().network.populations if p.label == "drive")
    drive.record("spikes")        # 270 spikes per ms on the ranks holding it: buffers fill,
    pops = pops + (drive,)        # their compiled calls return early, the others' do not
    if state_recorded:                        # the per-tick path
        pops[0].record("v", indices=[0, 1])
    for d in durations:
        sim.run(d, realtime=realtime)
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


def test_a_shown_real_time_run_marks_progress_at_its_own_common_stops(capsys, monkeypatch):
    """In real time the compiled calls span REALTIME_CALL_MS (longer than LOCAL_TICKS ticks),
    and one rank's calls return early when its recording buffers fill: the progress marks
    (collective) follow the real-time calls' common stops, so the shown run neither hangs
    nor pairs one rank's allreduce with another's exchange — its spikes equal a quiet
    offline run's."""
    monkeypatch.setattr(simulator, "LOCAL_TICKS", 20)
    monkeypatch.setattr(sys.modules["spinn.simulation"], "LOCAL_TICKS", 20)
    monkeypatch.setattr(simulator, "REALTIME_CALL_MS", 60.0)
    quiet, _ = simulate(False, False)
    capsys.readouterr()
    shown, _ = simulate(True, False, realtime=True)
    out = capsys.readouterr().out
    from mpi4py import MPI

    rank = MPI.COMM_WORLD.Get_rank()
    assert_all_ranks(all(np.array_equal(a, b) for k in quiet
                         for a, b in zip(quiet[k], shown[k])), "spikes differ when shown")
    printed = "spikes/s" in out
    assert_all_ranks(printed == (rank == 0), f"rank {rank} printed={printed}")
