"""Real-time pacing: run(realtime=True) follows the wall clock and counts overruns."""

import os
import time

import numpy as np
import pytest

import spinn as sim


def small_network(time_scale_factor=1.0, verbose=False):
    sim.setup(timestep=0.1, seed=3, time_scale_factor=time_scale_factor, verbose=verbose)
    src = sim.Population(50, sim.SpikeSourcePoisson(rate=100.0), label="src")
    pop = sim.Population(50, sim.IF_curr_exp(), label="pop")
    sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0, delay=1.0))
    return pop


def test_realtime_run_takes_at_least_the_biological_time():
    """A paced 200 ms run lasts at least 200 ms of wall time and keeps up with the clock."""
    small_network()
    sim.run(1.0)                      # build and compile outside the measured interval
    t0 = time.perf_counter()
    sim.run(200.0, realtime=True)
    wall = time.perf_counter() - t0
    total = sim.provenance()
    ticks = sim.simulation().runs[-1]["mine"]["ticks"]
    assert wall >= 0.2
    # this tiny network needs far less than a tick per tick; a loaded shared machine can still
    # deschedule us, so only a majority of late ticks counts as a failure
    assert total["overruns"] <= ticks // 2
    sim.end()


@pytest.mark.parametrize("spare", [False, True], ids=["no-core-to-spare", "a-core-to-spare"])
def test_a_tick_sleeps_through_a_long_slack_only_without_a_core_to_spare(spare):
    """A real-time tick that has far more time than work, on a host with no core beyond one
    per rank (here: this thread held to one core), sleeps until NAP_MARGIN before its
    deadline instead of spinning on the clock (spinn.kernels.pacing): this network's 1 ms
    ticks take microseconds, so a paced second costs the process a fraction of a second of
    CPU — spinning, it was the whole second.  With a core to spare it spins the whole
    slack (a sleep's late wake-ups made ticks late).  The ticks stay on time both ways."""
    from spinn.kernels.pacing import NAP_MARGIN

    cores = os.sched_getaffinity(0)
    if spare and len(cores) < 2:
        pytest.skip("one core: none to spare")
    try:
        if not spare:
            os.sched_setaffinity(0, {min(cores)})
        small_network()
        sim.run(1.0)
        cpu0, t0 = time.process_time(), time.perf_counter()
        sim.run(1000.0, realtime=True)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    finally:
        os.sched_setaffinity(0, cores)
    ticks = sim.simulation().runs[-1]["mine"]["ticks"]
    assert sim.simulation().engine.spare_core == spare
    assert wall >= 1.0
    # the spun part of each asleep tick is at most NAP_MARGIN of its 1 ms (0.3), the
    # sleeps' overshoot shortens it; setup and teardown of the run add a little
    asleep = (NAP_MARGIN / 1e-3 + 0.25) * wall
    if spare:        # spinning: all the CPU the machine gives it, beyond the asleep bound
        assert cpu > asleep, (cpu, wall)
    else:
        assert cpu < asleep, (cpu, wall)
    assert sim.provenance()["overruns"] <= ticks // 2
    sim.end()


def test_a_core_to_spare_counts_the_hosts_ranks_against_their_cpus():
    """spare_core: the host's ranks against the CPUs they may run on (one rank: this
    process's); threads of one process as ranks of one host; a communicator that cannot
    say has none to spare."""
    from spinn.runtime.clocks import spare_core
    from spinn.runtime.comm import LocalComm, run_threads

    cpus = len(os.sched_getaffinity(0))
    assert spare_core(LocalComm()) == (cpus > 1)
    assert run_threads(2, lambda comm: spare_core(comm)) == [cpus > 2] * 2

    class Bare:
        rank, size = 0, 1

    assert spare_core(Bare()) is False


def test_setup_takes_its_time_scale_factor_from_spinn_run(monkeypatch):
    """``spinn run --time-scale-factor F`` ($SPINN_TIME_SCALE_FACTOR) is the default of a
    script's setup() (as sPyNNaker's configuration file): a 100 ms real-time run at 2.5
    lasts ≥ 250 ms of wall time; a factor given to setup() wins; a bad value is an error
    naming the variable."""
    from spinn.errors import ConfigurationError

    monkeypatch.setenv("SPINN_TIME_SCALE_FACTOR", "2.5")
    net = sim.setup(timestep=0.1, seed=3, verbose=False)
    assert net.time_scale_factor == 2.5
    pop = sim.Population(10, sim.IF_curr_exp(i_offset=1.0), label="pop")
    pop.record("spikes")
    sim.run(1.0)
    t0 = time.perf_counter()
    sim.run(100.0, realtime=True)
    assert time.perf_counter() - t0 >= 0.25
    assert sim.setup(timestep=0.1, seed=3, verbose=False,
                     time_scale_factor=1.5).time_scale_factor == 1.5
    for bad in ("fast", "0", "-2", "inf"):
        monkeypatch.setenv("SPINN_TIME_SCALE_FACTOR", bad)
        with pytest.raises(ConfigurationError, match=r"\$SPINN_TIME_SCALE_FACTOR = '"):
            sim.setup(timestep=0.1, seed=3, verbose=False)
    sim.end()


def test_a_real_time_run_sleeps_with_a_fine_timer_slack():
    """Linux lets a thread's sleep end up to its timer slack late (50 µs by default): a
    real-time run sets its thread's to 1 ns while it runs (its naps end when asked) and
    puts the old one back; an offline run keeps it."""
    import ctypes
    import sys


    if not sys.platform.startswith("linux"):
        pytest.skip("timer slack is Linux's")
    libc = ctypes.CDLL(None)

    def slack():
        return libc.prctl(30, 0, 0, 0, 0)        # PR_GET_TIMERSLACK

    before = slack()
    assert before > 1
    seen = []

    def look(t):
        seen.append(slack())
        return t + 10.0

    small_network()
    sim.run(30.0, realtime=True, callbacks=[look])
    sim.run(30.0, callbacks=[look])
    assert seen[:3] == [1, 1, 1] and seen[-1] == before, seen
    assert slack() == before
    sim.end()


def test_impossible_deadlines_are_counted_as_overruns():
    """With time_scale_factor 1e-4 every tick misses its deadline: overruns = ticks."""
    small_network(time_scale_factor=1e-4)
    sim.run(1.0)
    sim.run(50.0, realtime=True)
    total = sim.provenance()
    ticks = sim.simulation().runs[-1]["mine"]["ticks"]
    assert total["overruns"] >= ticks - 1 > 0  # the first tick warms up unpaced
    assert total["worst_lateness_ms"] > 0
    # each had more work of its own than its budget (0.1 µs): the load, not a stall
    assert total["overruns_overworked"] == total["overruns"]
    warned = "\n".join(sim.simulation().runs[-1]["warnings"])
    assert f"{total['overruns']} of them had more work of their own than the tick" in warned
    sim.end()


def test_a_stall_outside_the_ticks_work_is_late_but_not_overworked():
    """A late tick is told apart by its cause: a callback that sleeps 4 ms every 10 ms of
    a 1 ms-per-tick run makes those ticks late, but their own work (update, delivery,
    routing, recording) fits the tick many times over — late, not overworked."""
    small_network()
    sim.run(1.0)

    def stall(t):
        time.sleep(0.004)
        return t + 10.0

    sim.run(100.0, realtime=True, callbacks=[stall])
    total = sim.provenance()
    assert total["overruns"] >= 9
    assert total["overruns_overworked"] <= total["overruns"] // 4
    # the tick after a stall starts behind its schedule: carried, not a cause of its own
    assert total["overruns_behind"] >= 1
    assert total["overruns_behind"] + total["overruns_overworked"] < total["overruns"]
    sim.end()


def test_unpaced_run_counts_no_overruns():
    """Without realtime=True nothing is paced and no overrun is counted."""
    small_network(time_scale_factor=1e-4)
    sim.run(20.0)
    assert sim.provenance()["overruns"] == 0
    sim.end()


def test_a_late_tick_counts_once_for_the_job_and_once_per_rank():
    """Issue 12: a tick is late for the job when any rank is late: on 2 ranks that are both
    late in every tick, the job's overruns are the ticks (not twice the ticks, as summed),
    and the time_scale_factor that would have held is reported."""
    from spinn.runtime.comm import run_threads

    def body(comm):
        sim.setup(timestep=0.1, seed=3, time_scale_factor=1e-4, verbose=False, comm=comm,
                  neurons_per_core=25)
        src = sim.Population(50, sim.SpikeSourcePoisson(rate=100.0), label="src")
        pop = sim.Population(50, sim.IF_curr_exp(), label="pop")
        sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(1.0, 1.0))
        sim.run(1.0)
        sim.run(30.0, realtime=True)
        run = sim.simulation().runs[-1]
        out = (run["totals"], run["mine"]["ticks"], run["mine"]["overruns"])
        sim.end()
        return out

    (t0, ticks, mine0), (t1, _, mine1) = run_threads(2, body)
    assert t0 == t1
    assert ticks - 1 <= t0["overruns"] <= ticks          # the union, counted once
    assert t0["overruns_summed_over_ranks"] == mine0 + mine1 >= 2 * (ticks - 1)
    assert t0["time_scale_factor_needed"] > 1e-4
    w = t0["worst_late_tick"]             # what the latest tick spent its time on
    assert w["rank"] in (0, 1) and w["late_ms"] > 0 and w["phase"] in (
        "update", "record", "route", "exchange", "deliver")
    assert w["slowest_population"] in ("src", "pop") and w["update_ms"] >= 0


def test_the_time_scale_factor_that_would_have_held():
    small_network(time_scale_factor=1.0)
    sim.run(1.0)
    sim.run(100.0, realtime=True)
    t = sim.simulation().runs[-1]["totals"]
    assert 0.0 < t["time_scale_factor_needed"]
    assert (t["overruns"] == 0) == (t["time_scale_factor_needed"] <= 1.0)
    sim.end()


def test_on_overrun_stop_ends_the_run_with_an_error_naming_the_late_tick():
    """on_overrun="stop": impossible deadlines end the run at the first vote that can see
    a late tick (spinn.kernels.agree: one every VOTE_TICKS = 50 ticks of 1 ms, read at the
    next; the run started at 1 ms), inside the one compiled call, with a SimulationError
    that names the late ticks and the time_scale_factor needed."""

    from spinn.errors import ConfigurationError, SimulationError

    small_network(time_scale_factor=1e-4)
    sim.run(1.0)
    with pytest.raises(ConfigurationError, match="on_overrun = 'later'"):
        sim.run(10.0, realtime=True, on_overrun="later")
    with pytest.raises(SimulationError, match=r"stopped \(on_overrun=\"stop\"\) at t = 101 ms: "
                                              r"\d+ tick\(s\) late.*time_scale_factor=\d"):
        sim.run(2500.0, realtime=True, on_overrun="stop")
    sim.end()


def test_a_real_time_run_is_one_compiled_call_unless_its_stops_are_needed(compiled_calls):
    """Each return to Python and back costs ~0.4 ms, a late tick when ticks are short: a
    real-time run is its warm-up tick and then one call (spinn.runtime.companion).
    on_overrun="stop" is one call too: the ranks vote on stopping inside it
    (spinn.kernels.agree); so is a shown run (the next test)."""
    small_network()
    sim.run(1.0)
    calls = compiled_calls
    calls.clear()                                # from here on
    sim.run(1500.0, realtime=True)
    assert calls == [10, 14990]                  # 1 ms ticks of 10 steps
    calls.clear()
    start = sim.simulation().engine.step
    try:
        sim.run(1500.0, realtime=True, on_overrun="stop")
    except sim.SimulationError:     # a stall of this shared machine: stopped at a vote
        pass
    assert calls == [10, 14990], calls           # the calls asked for (a vote may stop one)
    ran = sim.simulation().engine.step - start
    assert ran == 15000 or ran % (50 * 10) == 0, ran    # VOTE_TICKS ticks of 10 steps
    sim.end()


def shown_network():
    """small_network, verbose, every spike recorded, built and run 1 ms (10 steps)."""
    pop = small_network(verbose=True)
    src = sim.simulation().network.populations[0]
    src.record("spikes")
    pop.record("spikes")
    sim.run(1.0)
    return src, pop


def the_jobs_count(steps, s, k):
    """Whether k is the count of the recorded spike steps before step s (from step 10,
    this run's start), to a step: a source's spike is recorded at the step before the
    tick that emits it."""
    lo = int(np.count_nonzero((steps >= 11) & (steps < s - 1)))
    hi = int(np.count_nonzero((steps >= 9) & (steps < s + 1)))
    return lo <= k <= hi


def test_a_shown_real_time_run_is_one_call_whose_marks_are_the_jobs_spikes(compiled_calls,
                                                                            progress_looks,
                                                                            capsys):
    """Progress shown (verbose, the default) no longer splits a real-time run into calls
    of a second each, with a collective between them: the ranks' votes inside the one call
    sum the job's spikes (spinn.kernels.agree) and the companion thread shows them on rank
    0 as the run goes (spinn.runtime.companion); the last mark is the run's end, shown by
    the run itself.  Each look during the run is at a vote's step, its spike count the
    job's count of spikes before that step, and a line is shown every second of it."""
    marks = progress_looks
    src, pop = shown_network()
    compiled_calls.clear()
    marks.clear()
    sim.run(3000.0, realtime=True)
    out = capsys.readouterr().out
    assert compiled_calls == [10, 29990]
    during = [(s, k) for s, k, name in marks if name == "spinn-companion"]
    assert during, f"no mark shown during the run: {marks}"
    steps = np.concatenate([np.round(p.get_spikes().times_ms / 0.1) for p in (src, pop)])
    for s, k in during:
        assert 10 < s < 30010 and (s - 10) % (50 * 10) == 0, s
        assert k > 0 and the_jobs_count(steps, s, k), (s, k)
    # the lines shown during the run (plain lines: not a terminal), at vote steps
    shown = [float(line.split()[0]) for line in out.splitlines() if "spikes/s" in line]
    assert shown[-1] == 3001.0 and len(shown) >= 2, out
    assert all(round(t / 0.1 - 10) % 500 == 0 for t in shown[:-1]), shown
    assert marks[-1][0] == 30010 and marks[-1][2] == "MainThread", marks
    sim.end()


def test_a_shown_real_time_run_in_checkpoint_segments_shows_the_whole_runs_spikes(
        tmp_path, progress_looks, capsys):
    """With periodic checkpoints a run goes in segments (spinn.runtime.longrun; in real
    time one per checkpoint period, shown at their ends), each one compiled call whose
    counts start at 0: the display adds the segments before, as a call and as the
    companion's looks (the first version handed the companion a bare function and
    failed)."""
    looks = progress_looks
    src, pop = shown_network()
    looks.clear()
    sim.run(3000.0, realtime=True, checkpoint_every=1500.0, checkpoint_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("t")) == \
        ["t00001500.000ms", "t00003000.000ms"], list(tmp_path.iterdir())
    steps = np.concatenate([np.round(p.get_spikes().times_ms / 0.1) for p in (src, pop)])
    later = [(s, k) for s, k, _ in looks if s > 15010]
    assert later, looks          # marks in the second segment, its counts shifted
    for s, k in later:
        assert the_jobs_count(steps, s, k), (s, k)
    assert "3001.0 ms" in out
    sim.end()


def test_ctrl_c_stops_a_real_time_run_within_a_tick_of_its_arrival():
    """SIGINT during the one long call of a real-time run: Python's handler runs only
    between calls, so the companion thread, woken by the signal, makes the call return
    after its tick; KeyboardInterrupt is raised at once, not at the run's end (20 s)."""
    import os
    import signal
    import threading


    small_network()
    sim.run(1.0)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        sim.run(20000.0, realtime=True)
    wall = time.perf_counter() - t0
    timer.join()
    assert wall < 5.0, f"SIGINT took {wall:.1f} s to stop a real-time run"
    assert signal.set_wakeup_fd(-1) == -1        # the companion put the old one back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # raised at a safe point: the interrupted call's state was kept, the next run goes on
    step = sim.simulation().engine.step
    assert 0 < step < 200000
    sim.run(10.0)
    assert sim.simulation().engine.step == step + 100
    sim.end()
