"""Checkpoints of a real-time run (spinn.runtime.longrun.run_segments): the run is one
compiled call per checkpoint period, not one per 250 ticks (each restarting the clock
after an unpaced warm-up tick); a signal, or the wall clock's checkpoint time
($SPINN_CHECKPOINT_EVERY_S), ends the call where the ranks' vote inside it agrees
(spinn.kernels.agree) — and the continuation from that checkpoint is bit-identical."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.compiled_run import VOTE_TICKS

T_MS = 2500.0


def _network(neurons_per_core=20):
    """A small recorded network (also tests/mpi/test_realtime_checkpoint.py's)."""
    sim.setup(timestep=0.1, seed=5, neurons_per_core=neurons_per_core, verbose=False)
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=400.0), label="src")
    a = sim.Population(40, sim.IF_curr_exp(), label="a")
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.4),
                   sim.StaticSynapse(weight=0.3, delay=1.0))
    a.record("spikes")
    return a


def _spikes(a):
    s = sim.simulation().results.spikes(a)      # every rank's, gathered
    return np.column_stack([s.times_ms, s.ids])


def _uninterrupted():
    a = _network()
    sim.run(T_MS, realtime=False)
    whole = _spikes(a)
    sim.end()
    return whole


def _vote_step(step):
    tick = sim.simulation().engine.plan.tick_steps
    return step % (VOTE_TICKS * tick) == 0


def _checkpoints(directory):
    return sorted(p for p in os.listdir(directory) if p.startswith("t"))


def _when_ticking(then):
    engine_of = sim.simulation       # the main thread's simulation, read from the thread
    state = engine_of()

    def wait():
        while getattr(state, "engine", None) is None or state.engine.step == 0:
            time.sleep(0.001)
        then()
    threading.Thread(target=wait, daemon=True).start()


def test_sigterm_checkpoints_a_real_time_run_at_a_vote_of_its_one_call(tmp_path,
                                                                       compiled_calls):
    whole = _uninterrupted()
    a = _network()
    _when_ticking(lambda: (time.sleep(0.5), os.kill(os.getpid(), signal.SIGTERM)))
    compiled_calls.clear()
    with pytest.raises(SystemExit) as out:
        sim.run(T_MS, realtime=True, checkpoint_dir=str(tmp_path))
    assert out.value.code == 0
    (name,) = _checkpoints(tmp_path)
    step = sim.simulation().engine.step
    assert name == f"t{step * 0.1:012.3f}ms" and _vote_step(step), (name, step)
    assert 3000 < step < 20000          # ~0.5 s into a 2.5 s run
    # the warm-up tick, the call the signal made return (its handler), the call to the
    # vote; before: a call (and a clock restarted) every 250 ticks
    ticked = [c for c in compiled_calls if c > 0]
    assert len(ticked) <= 3, compiled_calls
    sim.end()
    a = _network()
    sim.restore(tmp_path / name)
    sim.run(T_MS - step * 0.1, realtime=False)
    assert np.array_equal(_spikes(a), whole)
    sim.end()


def test_a_wall_clock_checkpoint_of_a_real_time_run_is_taken_at_a_vote(tmp_path,
                                                                        compiled_calls,
                                                                        monkeypatch):
    whole = _uninterrupted()
    monkeypatch.setenv("SPINN_CHECKPOINT_EVERY_S", "0.8")
    a = _network()
    compiled_calls.clear()
    sim.run(T_MS, realtime=True, checkpoint_dir=str(tmp_path))
    names = _checkpoints(tmp_path)
    steps = [round(float(n[1:-2]) * 10) for n in names]
    assert len(names) >= 1, names        # more when a loaded machine is slower than real time
    assert all(_vote_step(s) for s in steps), steps
    ticked = [c for c in compiled_calls if c > 0]
    assert len(ticked) <= 2 * (len(names) + 1), (names, compiled_calls)
    assert np.array_equal(_spikes(a), whole)
    sim.end()


def test_run_forever_with_a_checkpoint_directory_ends_at_request_stop(tmp_path, monkeypatch):
    """$SPINN_CHECKPOINT_DIR makes every run go in segments (spinn.runtime.longrun); after
    run_forever's stop the segments went on, one or two votes each, for its 10^9 ms."""
    from spinn import external_devices as ex

    monkeypatch.setenv("SPINN_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setenv("SPINN_LIVE_LOG", str(tmp_path / "live"))
    sim.setup(timestep=0.1, seed=1, verbose=False)
    ex.set_live_address("127.0.0.68")
    out = sim.Population(8, sim.SpikeSourcePoisson(rate=100.0), label="out")
    ex.activate_live_output_for(out, notify=False, host="127.0.0.1", port=9)
    _when_ticking(lambda: (time.sleep(0.5), ex.request_stop()))
    t0 = time.perf_counter()
    ran = ex.run_forever()
    wall = time.perf_counter() - t0
    assert 100 < ran < 5000 and wall < 20, (ran, wall)
    sim.end()
