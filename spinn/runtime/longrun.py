"""Long runs (issue 13): a Simulation's checkpoint and restore (the files:
spinn/runtime/checkpoint.py), runs cut into segments at common stops for periodic and
signalled checkpoints (SIGTERM/SIGUSR1 → checkpoint, exit 0), and the resume of a script from
a checkpoint ($SPINN_RESTORE, ``spinn run --restore``).  Functions of a Simulation ``sim``;
spinn.simulation.Simulation's methods of the same names call them."""

import os
import sys
import time

import numpy as np

from spinn.errors import ConfigurationError, number
from spinn.runtime import checkpoint as ckpt
from spinn.runtime.everywhere import raise_everywhere
from spinn.runtime.simulator import LOCAL_TICKS


def _simulation():
    """spinn.simulation the module (the package's ``spinn.simulation`` is a function)."""
    return sys.modules["spinn.simulation"]


PREEMPTED = "PREEMPTED"   # written into the checkpoint directory by a preempted job


class Preempted(SystemExit):
    """SIGTERM/SIGUSR1 during a run with a checkpoint directory: every rank checkpointed at
    the same tick boundary; the process exits 0 (a SystemExit) after saying how to resume."""

    def __init__(self, sim, path):
        t = sim.time_ms
        sim.say(f"checkpointed at t = {t:g} ms (signal received); resume with: "
                f"{resume_command(sim, path)}")
        sim.preempted = path
        if sim.comm.rank == 0:       # for a batch script that resubmits itself (cluster/)
            with open(os.path.join(os.path.dirname(path), PREEMPTED), "w") as f:
                f.write(path + "\n")
        super().__init__(0)


def checkpoint_policy(sim, every_ms, directory):
    """None (a plain run), or {"dir", "every" (steps or None), "wall" (s or None)}."""
    directory = directory if directory is not None else \
        os.environ.get("SPINN_CHECKPOINT_DIR") or None
    wall = os.environ.get("SPINN_CHECKPOINT_EVERY_S")
    if every_ms is not None and directory is None:
        raise ConfigurationError(
            f"run: checkpoint_every = {every_ms!r} ms but no checkpoint_dir; give "
            f"checkpoint_dir= (or set $SPINN_CHECKPOINT_DIR)")
    if directory is None:
        return None
    if every_ms is None and os.environ.get("SPINN_CHECKPOINT_EVERY_MS"):
        every_ms = float(os.environ["SPINN_CHECKPOINT_EVERY_MS"])
    every = None
    if every_ms is not None:
        ms = number(every_ms, "run", "checkpoint_every", "ms")
        if not ms > 0:
            raise ConfigurationError(
                f"run: checkpoint_every = {ms:g} ms must be > 0; give a period in ms")
        every = sim.network.steps(ms, "run: checkpoint_every")
    try:
        wall_s = None if not wall else number(float(wall), "$SPINN_CHECKPOINT_EVERY_S",
                                              "seconds", "s")
    except ValueError:
        raise ConfigurationError(
            f"$SPINN_CHECKPOINT_EVERY_S = {wall!r} is not a number of seconds") from None
    return {"dir": os.fspath(directory), "every": every, "wall": wall_s}

def resume(sim, n_steps, policy):
    """$SPINN_RESTORE: restore before the first run, then follow the script's own
    timeline — a run that ended before the checkpoint is skipped, the one in progress
    continues to its end.  Returns the steps to run, or None to skip this run."""
    target = sim.script_step + n_steps
    sim.script_step = target
    wanted = os.environ.get("SPINN_RESTORE")
    if wanted and not sim.auto_restore_done:
        sim.auto_restore_done = True
        path = wanted
        if wanted == "latest":
            directory = policy["dir"] if policy else None
            path = ckpt.latest(directory) if directory else None
            if path is None:
                sim.say(f"resume: no checkpoint in {directory!r} yet; starting from "
                         f"t = 0")
        if path is not None:
            sim.restore(path)
            sim.skip_until = sim.engine.step
    if sim.skip_until is None:
        return n_steps
    if target <= sim.skip_until:
        sim.say(f"resume: run to t = {target * sim.network.dt:g} ms was done before the "
                 f"checkpoint; skipped")
        return None
    steps = target - sim.engine.step
    sim.skip_until = None
    return steps

def run_segments(sim, engine, n_steps, realtime, callback, report, policy):
    """engine.run in segments that end at common stops: at each multiple of the checkpoint
    period, and where a signal or the wall clock may call for a checkpoint (one allreduce):
    every LOCAL_TICKS ticks; in a real-time run of the compiled loop from the main thread
    (one call: spinn.runtime.compiled_run), where the ranks' vote inside the call agrees
    to leave it (spinn.kernels.agree: within 100 ticks of the signal or the wall clock's
    time on any rank), so that the clock is started once a segment and no collective stop
    makes a late tick.  The ticks are those of one run; run_forever's agreed stop ends
    them."""
    import signal
    import threading

    plan = sim.plan
    start, end = engine.step, engine.step + n_steps
    # the per-tick loop, and a run off the main thread (no companion thread to wake at
    # the wall clock's time), still stop every LOCAL_TICKS ticks
    one_call = bool(realtime) and engine.whole_ticks_compiled(realtime, callback is not None) \
        and threading.current_thread() is threading.main_thread()
    unit = max(1, n_steps) if one_call else LOCAL_TICKS * plan.tick_steps
    # whole ticks, so that the run's ticks stay those of one uninterrupted run
    every = -(-policy["every"] // plan.tick_steps) * plan.tick_steps \
        if policy["every"] else None
    got = []
    previous = {}

    def note(signum, frame):
        got.append(signum)
        engine.leave_asked = True    # real time: the ranks leave the call at their vote

    for sig in (signal.SIGTERM, signal.SIGUSR1):
        try:
            previous[sig] = signal.signal(sig, note)
        except ValueError:        # not the main thread: no signal handling
            pass
    wall, last_ck = 0.0, time.perf_counter()
    engine.segmented, engine.leave_asked = one_call, False
    try:
        first = True
        while engine.step < end:
            stop = min(end, start + ((engine.step - start) // unit + 1) * unit)
            if every:
                stop = min(stop, (engine.step // every + 1) * every)
            offset = engine.counters["spikes_emitted"] if not first else 0
            job = offset    # the job's spikes before the segment, for the companion's looks
            if report is not None and not first and sim.comm.size > 1:   # collective
                job = int(sim.comm.allreduce(np.array([offset], np.int64), "sum")[0])
            engine.forever_done = False
            engine.leave_at = last_ck + policy["wall"] if policy["wall"] is not None \
                else None
            wall += engine.run(stop - engine.step, realtime, callback,
                               progress=_Shifted(report, offset, job) if report is not None
                               else None, keep_counters=not first)
            first = False
            engine.leave_asked = False      # a signal from here on: in `got` and asked again
            due_wall = policy["wall"] is not None and \
                time.perf_counter() - last_ck >= policy["wall"]
            flags = np.array([len(got) > 0, due_wall], np.int64)
            if sim.comm.size > 1:
                flags = sim.comm.allreduce(flags, "max")
            periodic = every is not None and engine.step % every == 0
            if periodic or flags.any():
                path = os.path.join(policy["dir"],
                                    f"t{engine.step * sim.network.dt:012.3f}ms")
                checkpoint(sim, path)
                ckpt.write_latest(policy["dir"], path, sim.comm.rank == 0)
                last_ck = time.perf_counter()
            if flags[0]:
                engine.recorder.flush()
                raise Preempted(sim, path)
            if engine.forever_done:    # run_forever's agreed stop: the same step on
                break                  # every rank (before, the segments went on)
    finally:
        engine.segmented, engine.leave_asked, engine.leave_at = False, False, None
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return wall


class _Shifted:
    """A segment's view of the run's progress display: the spikes the segment counts from
    0, plus those of the segments before it — this rank's (``offset``) in a call, which
    sums them over the ranks, and the job's (``job``) in a look of the companion thread
    at the votes, which are the job's sums already (spinn.progress.Progress.job)."""

    def __init__(self, report, offset, job):
        self.report, self.offset, self.job_offset = report, offset, job
        self.show = report.show

    def __call__(self, step, spikes):
        self.report(step, spikes + self.offset)

    def job(self, step, spikes):
        self.report.job(step, spikes + self.job_offset)


def resume_command(sim, path):
    """How to continue from a checkpoint, for the messages."""
    script = " ".join(sys.argv) if sys.argv and sys.argv[0] else "SCRIPT"
    ranks = f"--ranks {sim.comm.size} " if sim.comm.size > 1 else ""
    return (f"spinn run {ranks}--checkpoint-dir {os.path.dirname(path)} --restore "
            f"latest {script}  (or --restore {path}; any number of ranks)")

def checkpoint(sim, path):
    """Collective, between runs: write everything the rest of the run depends on to the
    directory ``path`` (replaced whole, atomically); returns (seconds, bytes)."""
    path = os.fspath(path)
    sim.agree("checkpoint", path=repr(path))
    engine = sim.build()
    if sim.comm.kind == "rehearsal":
        raise _simulation().Rehearsed(sim.rank_report())
    t0 = time.perf_counter()
    engine.recorder.flush()
    job = sim.comm.bcast(f"{os.getpid()}-{time.time_ns()}" if sim.comm.rank == 0
                          else None, root=0)
    tmp = f"{path}.tmp-{job}"
    problem = None
    if sim.comm.rank == 0:
        try:
            os.makedirs(tmp)
        except OSError as exc:
            problem = f"checkpoint: cannot create {tmp!r} ({exc.strerror or exc})"
    raise_everywhere(sim.comm, problem)
    live = engine.live
    if live is not None and live.log is not None:   # what the checkpoint carries the
        sim.guarded("checkpoint", live.log.sync)    # effect of is in the input log
    entry = sim.guarded("checkpoint", lambda: ckpt.write_rank(engine, sim.spool, tmp))
    mine = np.array([entry["bytes"]], np.int64)
    size = int(sim.comm.allreduce(mine, "sum")[0]) if sim.comm.size > 1 else int(mine[0])
    if sim.comm.rank == 0:
        plan = sim.plan
        body = {"kind": "spinn-checkpoint", "format": ckpt.FORMAT, "step": engine.step,
                "time_ms": engine.step * sim.network.dt, "n_ranks": sim.comm.size,
                "epoch": engine.currents.epoch, "seed": sim.network.seed,
                "description": [list(x) for x in sim.network.description()],
                "mapping": {k: getattr(plan, k) for k in (
                    "dt", "tick_steps", "n_slots", "stage_steps", "n_stages", "lag",
                    "index_bits")} | {"n_cores": plan.n_cores},
                "core_rank": plan.core_rank.astype(np.int32).tobytes(),
                "bytes": size}
        sim.guarded("checkpoint", lambda: (ckpt.write_manifest(tmp, body),
                                            ckpt.publish(tmp, path, job)))
    sim.comm.barrier()
    seconds = time.perf_counter() - t0
    sim.say(f"checkpointed at t = {engine.step * sim.network.dt:g} ms to {path} "
             f"({size / 2**20:.1f} MiB in {seconds:.2f} s)")
    sim.checkpoints.append({"path": path, "step": engine.step, "seconds": seconds,
                             "bytes": size})
    return seconds, size

def restore(sim, path):
    """Collective, after the script has described the network and before its first
    run(): continue from the checkpoint at ``path`` (written on any number of ranks)."""
    path = os.fspath(path)
    sim.agree("restore", path=repr(path))
    where = f"restore: checkpoint {path!r}"
    if sim.engine is not None and (sim.engine.step != 0 or sim.runs):
        raise ConfigurationError(
            f"{where}: the network has already run to t = {sim.time_ms:g} ms; call "
            f"restore() after describing the network and before the first run()")
    body, problem = None, None
    try:
        body = ckpt.read_manifest(path)
        mine = [list(x) for x in sim.network.description()]
        if mine != body["description"]:
            diff = _simulation().first_difference([tuple(x) for x in body["description"]],
                                    [tuple(x) for x in mine])
            what = f"{diff[0]} {diff[2]} now, {diff[1]} in the checkpoint" if diff \
                else "the descriptions differ"
            raise ckpt.CheckpointError(
                f"{where} is of another network: {what}; restore it with the script "
                f"(and seed) that wrote it")
    except ckpt.CheckpointError as exc:
        problem = str(exc)
    raise_everywhere(sim.comm, problem, ckpt.CheckpointError)
    engine = sim.build()
    if sim.comm.kind == "rehearsal":
        raise _simulation().Rehearsed(sim.rank_report())
    t0 = time.perf_counter()
    try:
        ckpt.check_mapping(body, sim.plan, where)
        ckpt.restore_rank(engine, sim.spool, path, body)
    except ckpt.CheckpointError as exc:
        problem = str(exc)
    except Exception as exc:      # an unreadable HDF5 file: damaged or foreign
        problem = (f"{where}: cannot be read ({type(exc).__name__}: {exc}); the files "
                   f"are damaged or not a spinn checkpoint's")
    raise_everywhere(sim.comm, problem, ckpt.CheckpointError)
    sim.results.simulated_steps = engine.step
    mine = sum(sim.spool.spike_count(p.index) for p in sim.network.populations
               if "spikes" in p.recording)
    restored_spikes = int(sim.comm.allreduce(np.array([mine], np.int64), "sum")[0]) \
        if sim.comm.size > 1 else mine
    seconds = time.perf_counter() - t0
    sim.say(f"restored t = {body['time_ms']:g} ms from {path} (written on "
             f"{body['n_ranks']} rank(s)) in {seconds:.2f} s")
    sim.restored = {"path": path, "step": engine.step, "seconds": seconds,
                     "written_on_ranks": body["n_ranks"],
                     "spikes_recorded": restored_spikes}
    return engine.step * sim.network.dt
