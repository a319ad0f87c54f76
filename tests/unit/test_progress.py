"""The progress display and the compilation phase: a bar on a terminal, plain lines in a log,
nothing when quiet; compilation before the clock, reported beside the run, never in it."""

import io

import numpy as np
import pytest

import spinn as sim
from spinn.progress import Progress
from spinn.runtime.comm import LocalComm


def drive(progress, n_steps, every, spikes_per_step=3):
    for step in range(every, n_steps + 1, every):
        progress(step, step * spikes_per_step)
    progress.close()


def test_plain_lines_about_every_tenth_with_eta_rtf_and_spike_rate():
    out = io.StringIO()
    p = Progress(LocalComm(), 0.1, 0, 10000, 250, stream=out, tty=False)
    drive(p, 10000, 250)
    lines = out.getvalue().splitlines()
    assert 9 <= len(lines) <= 11
    assert lines[-1].lstrip().startswith("1000.0 ms (100%)")
    for word in ("ETA", "RTF", "spikes/s"):
        assert all(word in line for line in lines)


def test_terminal_gets_a_tqdm_bar():
    out = io.StringIO()
    p = Progress(LocalComm(), 0.1, 0, 1000, 250, stream=out, tty=True)
    drive(p, 1000, 250)
    text = out.getvalue()
    assert "simulating" in text and "100%" in text and "100/100 ms" in text
    assert "RTF" in text and "spikes/s" in text


class CountingComm(LocalComm):
    def __init__(self, rank=1, size=2):
        self.rank, self.size, self.calls = rank, size, 0

    def allreduce(self, x, op="sum"):
        self.calls += 1
        return 2 * x


def test_every_rank_takes_part_at_the_same_steps_and_only_rank_0_prints():
    """Collective at start + j·every and at the end, whatever steps it is called at."""
    out = io.StringIO()
    comm = CountingComm(rank=1)
    p = Progress(comm, 0.1, 0, 1000, 250, stream=out, tty=False)
    for step in range(10, 1001, 10):       # called every tick: 4 marks
        p(step, step)
    assert comm.calls == 4 and out.getvalue() == ""
    comm0 = CountingComm(rank=0)
    p0 = Progress(comm0, 0.1, 0, 1100, 250, stream=out, tty=False)
    for step in (250, 500, 750, 1000, 1100):   # the end is not a mark but is collective
        p0(step, step)
    assert comm0.calls == 5 and "spikes/s" in out.getvalue()


def small_network():
    sim.setup(timestep=0.1, seed=3, verbose=True)
    noise = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="noise")
    cells = sim.Population(200, sim.IF_curr_exp(), label="cells")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.1),
                   sim.StaticSynapse(weight=1.0, delay=1.0))
    cells.record("spikes")
    return cells


def test_a_quiet_run_prints_nothing(capsys):
    small_network()
    sim.run(100.0, progress=False)
    sim.end()
    sim.setup(timestep=0.1, seed=3, verbose=False)
    sim.Population(10, sim.IF_curr_exp(i_offset=1.0)).record("spikes")
    sim.run(100.0)
    sim.end()
    out = capsys.readouterr()
    assert "ms (" not in out.out + out.err


def test_run_reports_warm_up_and_compilation_beside_its_time():
    small_network()
    sim.run(300.0)
    t = sim.provenance()
    for key in ("warmup_seconds", "compile_seconds", "compile_in_run_seconds",
                "run_wall_seconds"):
        assert key in t and t[key] >= 0.0
    # the warm-up compiled or loaded everything the run calls: nothing compiles inside it
    assert t["compile_in_run_seconds"] == 0.0
    assert t["real_time_factor"] == pytest.approx(t["wall_seconds"] / 0.3)
    sim.end()


def test_compilation_inside_a_run_is_left_out_of_its_time(monkeypatch):
    """A run that compiles something after its warm-up (here: a new numba function inside a
    callback) has that time reported and subtracted from the run's wall time."""
    from numba import njit

    small_network()

    @njit
    def fresh(x):
        return np.sum(np.arange(x) ** 2)

    calls = []

    def callback(t_ms):
        if not calls:
            calls.append(fresh(10))
        return None

    sim.run(50.0, callbacks=[callback])
    t = sim.provenance()
    assert t["compile_in_run_seconds"] > 0.0
    assert t["wall_seconds"] == pytest.approx(t["run_wall_seconds"] - t["compile_in_run_seconds"])
    sim.end()
