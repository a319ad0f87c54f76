"""The run state of one network on one rank, beside its description (as Nengo's Simulator
sits beside its Network).

A ``Network`` (spinn/model) is plain data: what the script declared, comparable and
serialisable, the same on every rank.  A ``Simulation`` holds what this rank made of it: the
communicator, the mapping plan, the built rank (spinn.runtime.simulator.RankSimulator), the
recordings and the provenance of each run.  Model objects reach it through
``spinn.model.network.run_state``, never through attributes of the description.

Every collective call — build, run, the collective getters, write_results, end — first
checks that all ranks are at the same call with the same arguments (``agree``): a script whose
ranks diverge stops on every rank with a message that says where, instead of hanging in MPI
or crashing on mismatched buffers.
"""

import hashlib
import json
import os
import sys
import time
import traceback
import warnings

import msgpack
import numpy as np

from spinn import live
from spinn.errors import ConfigurationError, number
from spinn.mapping import make_plan
from spinn.model.describe import first_difference  # noqa: F401 (also spinn.simulation's)
from spinn.model.network import attach_run_state
from spinn.progress import Progress
from spinn.recording import provenance as prov
from spinn.recording.recorder import DEFAULT_BUFFER_MB, Recorder
from spinn.recording.results import Recordings
from spinn.recording.store import Spool, spool_directory
from spinn.recording.synapses import SynapseReader
from spinn.runtime import compiling, longrun, memory, status
from spinn.runtime.clocks import fine_timer_slack, spare_core
from spinn.runtime.fused import module_key, ready_stamp
from spinn.runtime.lateness import CAUSE_NAMES, STALL
from spinn.runtime.refresh import refresh_parameters, refresh_weights
from spinn.runtime.simulator import LOCAL_TICKS, RankSimulator

AGREEMENT_RANKS_NAMED = 4    # ranks named per group in a disagreement message
REPORT_RATE_HZ = 5.0         # the rate rank reports assume unless told otherwise
FOREVER_MS = 1e9             # run_forever's duration: until request_stop(), in practice
COMPILE_NOTICE_S = 0.5       # compiling for longer than this is announced
WEIGHT_BINS = 40             # bins of the plastic weight distributions (weights.png)


class Rehearsed(BaseException):
    """Raised by run() in a rehearsal once the rank is built: it carries the rank report
    (a BaseException, so that a script's ``except Exception`` does not swallow it)."""

    def __init__(self, report):
        super().__init__("rehearsal done")
        self.report = report


class Simulation:
    def __init__(self, network, comm, verbose=True, spool_dir=None,
                 record_buffer_mb=DEFAULT_BUFFER_MB):
        self.network, self.comm, self.verbose = network, comm, verbose
        self.spool_dir, self.record_buffer_mb = spool_dir, float(record_buffer_mb)
        self.plan = None
        self.engine = None            # RankSimulator, once built
        self.spool = None             # this rank's recordings on disk
        self.out_dir = None           # setup(out_dir=...): write_results' default
        self.results = None           # reads them back (spinn.recording.results)
        self.synapse_reader = None
        # per run: {"totals": job totals (every rank), "mine": this rank's provenance,
        # "per_rank": every rank's, on rank 0 only (None elsewhere)}
        self.runs = []
        self.checkpoints = []         # {"path", "step", "seconds", "bytes"} written so far
        self.restored = None          # what restore() loaded
        self.script_step = 0          # the script's own timeline: sum of its run() lengths
        self.skip_until = None        # $SPINN_RESTORE: runs ending before this step skip
        self.auto_restore_done = False
        self.preempted = None
        self.watch = None             # (status dir, pipe fd, step memmap): spinn.runtime.status
        self.interrupted = False
        self.segment_run = 0          # index in runs of the first run since the last reset
        self.calls = 0                # collective calls made so far (every rank the same)
        self.ended = False
        attach_run_state(network, self)

    # ---- ranks that disagree are caught -----------------------------------------------
    def agree(self, call, **args):
        """Collective: every rank must be at the same call, with the same arguments.  On a
        mismatch every rank raises the same ConfigurationError naming what each rank was
        doing; one allreduce of four int64 when all agree."""
        self.calls += 1
        text = call + "(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"
        code = _hash63(text)
        mine = np.array([self.calls, code, -self.calls, -code], np.int64)
        low = self.comm.allreduce(mine, "min")
        if low[0] == -low[2] and low[1] == -low[3]:
            return
        doing = self.comm.allgather((self.calls, text))
        groups = {}
        for r, entry in enumerate(doing):
            groups.setdefault(entry, []).append(r)
        parts = [f"{_ranks(rs)} at {t} (collective call #{n})"
                 for (n, t), rs in sorted(groups.items(), key=lambda kv: kv[1][0])]
        raise ConfigurationError(
            f"the ranks are not at the same collective call: {'; '.join(parts)}; every rank "
            f"must make the same collective calls (run, build, write_results, end, and the "
            f"getters with gather=True) in the same order with the same arguments")

    def agree_on_network(self, plan=None):
        """Collective, before anything is allocated: the description (and, given a plan, the
        plan's global part) must be the same on every rank; otherwise every rank raises a
        ConfigurationError naming the first difference."""
        items = self.network.description()
        codes = np.array([_hash63(msgpack.packb(items)),
                          _hash63(plan.digest() if plan is not None else "")], np.int64)
        low = self.comm.allreduce(np.concatenate([codes, -codes]), "min")
        if np.array_equal(low[:2], -low[2:]):
            return
        reference = self.comm.bcast(items if self.comm.rank == 0 else None, root=0)
        mine = first_difference(reference, items)
        found = self.comm.allgather(mine)
        differing = [(r, d) for r, d in enumerate(found) if d is not None]
        if not differing:
            raise ConfigurationError(
                "the mapping differs between ranks although the network description is the "
                "same (different numpy or spinn versions on the ranks?)")
        r, (where, theirs, ours) = differing[0]
        more = f" (and on {len(differing) - 1} other rank(s))" if len(differing) > 1 else ""
        raise ConfigurationError(
            f"the network differs between ranks: {where} {ours} on rank {r}, {theirs} on "
            f"rank 0{more}; every rank must describe the same network (a size, parameter or "
            f"seed that depends on the rank?)")

    # ---- build and run ----------------------------------------------------------------
    def guarded(self, what, fn):
        """Run fn(); an exception on one rank aborts all ranks with its message (never a
        hang).  One that every rank raised together (raise_everywhere: an agreed stop on
        overrun, a checkpoint every rank failed) is raised as it is, for the script to
        catch."""
        try:
            return fn()
        except Exception as exc:
            if getattr(exc, "on_every_rank", False):
                raise
            if self.comm.kind == "mpi":
                sys.stderr.write(f"[spinn rank {self.comm.rank}] error during {what}:\n"
                                 + traceback.format_exc())
            self.comm.abort(f"{type(exc).__name__}: {exc}")   # returns only without MPI
            raise

    def build(self):
        """Map and build the network on this rank (collective)."""
        if self.engine is not None:
            return self.engine
        self.agree("build")
        self.agree_on_network()          # the description, before anything is mapped
        self.compile_mark = compiling.seconds()
        t0 = time.perf_counter()
        plan = self.guarded("mapping", lambda: make_plan(self.network, self.comm.size,
                                                         self.comm.rank))
        self.map_seconds = time.perf_counter() - t0
        self.agree_on_network(plan)      # and the plan's global part, before the build
        if self.verbose and self.comm.rank == 0:
            self.say(plan.summary())
        self.plan = plan
        # memory foreseen: refuse a build that cannot fit, on every rank, before allocating
        self.memory_estimate = memory.check(self.network, plan, self.comm,
                                            self.record_buffer_mb)

        job = self.comm.bcast(f"{os.getpid()}-{time.time_ns()}" if self.comm.rank == 0
                              else None, root=0) or f"rehearsal-{os.getpid()}-{time.time_ns()}"

        def _build():
            self.spool = Spool(spool_directory(self.spool_dir, job, self.comm.rank))
            engine = RankSimulator(self.network, plan, self.comm, order)
            engine.recorder = Recorder(engine, self.spool,
                                       int(self.record_buffer_mb * (1 << 20)))
            return engine

        # a cache without this tree's kernels: rank 0 builds its synapses first, compiling
        # the build kernels once; the others then load them (one barrier, decided by rank 0)
        cold = self.comm.size > 1 and self.comm.kind != "rehearsal" and self.comm.bcast(
            not ready_stamp().exists() if self.comm.rank == 0 else None, root=0)
        order = None if not cold else ("lead" if self.comm.rank == 0 else "follow")
        self.engine = self.guarded("build", _build)
        if live.declared(self.network) and self.comm.kind != "rehearsal":
            # collective: every rank raises a socket problem (a rehearsal opens none)
            self.engine.live = live.LiveIO(self, self.engine)
        status.start_watcher(self, job)
        self.build_compile_seconds = compiling.seconds() - self.compile_mark
        self.initial_weights = self.weight_histograms()   # this rank's, as built
        self.network.frozen = True
        self.results = Recordings(self.network, self.comm, self.spool)
        self.synapse_reader = SynapseReader(self)
        self.results.projection_sizes = [int(x) for x in self.comm.allreduce(
            self.engine.projection_counts, "sum")] if self.network.projections else []
        report_dir = os.environ.get("SPINN_RANK_REPORT")
        if report_dir and self.comm.kind != "rehearsal":
            write_report(report_dir, self.rank_report())
        return self.engine

    def weight_histograms(self):
        """{projection index: (edges, counts)} of this rank's plastic weights (magnitudes,
        WEIGHT_BINS bins over [w_min, w_max]); no communication."""
        out = {}
        for pp in self.engine.plastic:
            w = pp.proj.synapse.weights
            edges = np.linspace(w.w_min, w.w_max if w.w_max > w.w_min else w.w_min + 1.0,
                                WEIGHT_BINS + 1)
            counts = np.zeros(WEIGHT_BINS)
            for m in pp.matrices:
                counts += np.histogram(np.clip(m.syn_weight, edges[0], edges[-1]), edges)[0]
            out[pp.proj.index] = (edges, counts)
        return out

    def rank_report(self, rate_hz=None):
        """This rank's figures after the build (spinn.recording.provenance.rank_report)."""
        rate = rate_hz if rate_hz is not None else getattr(self.comm, "rate_hz",
                                                           REPORT_RATE_HZ)
        return prov.rank_report(self.plan, self.engine, self.map_seconds, rate)

    def run_forever(self):
        """Run until request_stop() on any rank (spinn.external_devices.run_forever)."""
        if not live.declared(self.network):
            raise ConfigurationError("run_forever: the network has no live input or output, "
                                     "so nothing could ask it to stop; use run(duration)")
        start = self.time_ms
        self._forever, self._stop_requested = True, False
        try:
            self.run(FOREVER_MS, realtime=True, progress=False)
        finally:
            self._forever = self._stop_requested = False
        self.script_step = self.engine.step
        return self.time_ms - start

    def request_stop(self):
        """Stop the run_forever in progress — also when asked during its build, warm-up or
        handshake (kept until its clock starts); outside a run_forever, nothing."""
        if not getattr(self, "_forever", False):
            return
        self._stop_requested = True
        engine = self.engine
        if engine is not None and engine.live is not None:
            engine.live.stop_requested = True
            wake = engine.live.wake
            if wake is not None:
                wake()

    def run(self, duration, realtime=None, callbacks=None, progress=True,
            checkpoint_every=None, checkpoint_dir=None, on_overrun="count"):
        """Advance by ``duration`` ms on every rank (collective); returns the time in ms.

        Before the clock starts, the kernels this run calls are compiled or loaded from
        numba's cache (rank 0 first, then the others from the cache it wrote): a phase of
        its own, reported beside the run and never counted in its real-time factor.

        checkpoint_every (ms of simulated time, rounded up to whole ticks): a checkpoint at
        every multiple of it, to checkpoint_dir/t<ms>ms (checkpoint_dir, default
        $SPINN_CHECKPOINT_DIR).  With a checkpoint directory, SIGTERM and SIGUSR1 (Slurm's
        preemption and ``sbatch --signal``) make every rank checkpoint at the next common
        stop (every LOCAL_TICKS ticks; in real time, the ranks' next vote inside the call,
        within 100 ticks) and exit 0 (spinn.runtime.longrun.Preempted);
        $SPINN_CHECKPOINT_EVERY_S (``spinn run --checkpoint-every 60s``) adds one every so
        many seconds of wall time.  $SPINN_RESTORE (``spinn run --restore PATH``; "latest":
        the newest in the checkpoint directory) restores before the first run and skips the
        script's runs that ended before it."""
        net = self.network
        if realtime is None:        # live I/O runs in real time, as on SpiNNaker
            realtime = live.declared(net)
        if on_overrun not in ("count", "stop"):
            raise ConfigurationError(f"run: on_overrun = {on_overrun!r}; give \"count\" "
                                     f"(count late ticks and go on) or \"stop\"")
        duration = number(duration, "run", "duration", "ms")
        n_steps = net.steps(duration, "run: duration")
        policy = longrun.checkpoint_policy(self, checkpoint_every, checkpoint_dir)
        n_steps = longrun.resume(self, n_steps, policy)
        if n_steps is None:
            return self.time_ms
        shown = bool(progress and self.verbose)
        self.agree("run", duration=f"{float(duration)!r} ms", steps=n_steps,
                   realtime=bool(realtime), callbacks=len(callbacks or ()),
                   on_overrun=on_overrun,
                   progress=shown,
                   start=f"{0 if self.engine is None else self.engine.step} steps")
        engine = self.build()
        if self.comm.kind == "rehearsal":
            raise Rehearsed(self.rank_report())
        if net.changed_parameters:          # set() between runs: new constants, same state
            for g in engine.groups:
                if g.pop.index in net.changed_parameters:
                    refresh_parameters(g, net)
            net.changed_parameters.clear()
        if net.changed_weights:             # Projection.set(weight=…) between runs
            refresh_weights(engine, net, self.plan, net.changed_weights)
            net.changed_weights.clear()
        if engine.live is not None:     # which tick loop serves it depends on the run's kind
            engine.live.forever = getattr(self, "_forever", False)
        warm = self.guarded("warm-up", lambda: self._warm_up(realtime, bool(callbacks)))
        step0 = engine.step
        # collective at the common stops of the compiled calls: longer calls in real time
        per_call = engine.call_ticks(realtime) if policy is None else LOCAL_TICKS
        report = Progress(self.comm, net.dt, step0, n_steps,
                          per_call * self.plan.tick_steps) if shown else None
        calls = [[f, 0.0] for f in (callbacks or [])]

        def on_tick(step):
            t_ms = step * net.dt
            for entry in calls:
                if entry[0] is not None and t_ms >= entry[1]:
                    nxt = entry[0](t_ms)
                    entry[0], entry[1] = (None, 0.0) if nxt is None else (entry[0], nxt)

        engine.recorder.start_run()
        engine.stop_on_overrun = realtime and on_overrun == "stop"
        if engine.live is not None:
            engine.live.start_run(n_steps, forever=getattr(self, "_forever", False),
                                  stop=getattr(self, "_stop_requested", False))
            if engine.live.replay:
                realtime = False      # a replay runs offline, as fast as it can

        def _run():
            # a real-time run's full buffers are written by a thread (spinn.recording.recorder)
            engine.recorder.background = bool(realtime)
            try:
                if realtime:      # (collective the first time) sleep or spin the slack
                    engine.spare_core = spare_core(self.comm)
                # a real-time tick's nap ends when asked, not up to 50 µs later
                with fine_timer_slack(bool(realtime)):
                    if policy is None:
                        wall = engine.run(n_steps, realtime, on_tick if calls else None,
                                          progress=report)
                    else:
                        wall = longrun.run_segments(self, engine, n_steps, realtime,
                                                  on_tick if calls else None, report, policy)
            finally:
                if report is not None:
                    report.close()
                if engine.live is not None:
                    engine.live.end_run()
                engine.recorder.background = False
                if sys.exc_info()[0] is not None:
                    try:                # a failed run: its background write ends first
                        engine.recorder.wait()
                    except Exception as e:
                        warnings.warn(f"rank {self.comm.rank}: writing the recording "
                                      f"failed too: {e}", RuntimeWarning, stacklevel=2)
            engine.recorder.flush()
            return wall

        c0, cpu0, uj0 = compiling.seconds(), time.process_time(), prov.rapl_microjoules()
        t_run = time.perf_counter()
        try:
            wall = self.guarded("run", _run)
        except KeyboardInterrupt:
            self.interrupted = True
            engine.recorder.flush()           # what this rank recorded so far, on disk
            where = self.watch[0] if self.watch is not None else "the spool"
            self.say(f"\ninterrupted (Ctrl-C) at t = {self.time_ms:g} ms, the last tick "
                     f"completed; what was recorded is kept: spinn salvage {where} OUT_DIR "
                     f"writes it as OUT_DIR/spikes.h5")
            raise
        warm["compile_in_run_seconds"] = compiling.seconds() - c0
        warm["cpu_seconds"] = time.process_time() - cpu0
        warm["rapl_joules"] = prov.rapl_delta_joules(
            uj0, prov.rapl_microjoules(),
            warm["cpu_seconds"] / max((time.perf_counter() - t_run) * (os.cpu_count() or 1),
                                      1e-9))
        self.compile_mark = compiling.seconds()
        mine = prov.rank_provenance(engine, engine.recorder, wall, n_steps, warm)
        self.results.simulated_steps = engine.step
        totals = prov.job_totals(self.comm, mine)
        if realtime:
            totals.update(self._late_ticks(engine))
        totals["populations"] = self._population_counts()
        if engine.live is not None:
            totals["live"] = self._live_counts(engine.live)
            mine["live"] = engine.live.report()
        projecting = {p.pre.parent.index for p in net.projections}
        # spikes of populations that nothing reads: routed nowhere, as they should be
        totals["unrouted_without_targets"] = sum(
            n for i, n in enumerate(totals["populations"]["spikes"]) if i not in projecting)
        self.runs.append({"totals": totals, "mine": mine,
                          "per_rank": self.comm.gather(mine, root=0)})
        self.say(prov.summary(totals))
        if self.comm.rank == 0:
            self.runs[-1]["warnings"] = prov.warn_about(totals)
        return engine.step * net.dt

    def _late_ticks(self, engine):
        """Collective: a tick is late for the job when any rank was late in it, with the
        strongest of the ranks' causes (spinn.runtime.lateness; one allreduce of a number
        per tick of the run); and the time_scale_factor that would have held (the largest
        over ranks)."""
        n = int(engine.counters["ticks"])
        lateness = engine.lateness
        mask = np.zeros(n + 1, np.float64)       # 1 + the tick's strongest cause, 0 on time
        np.maximum.at(mask, np.asarray(lateness.ticks, np.int64),
                      1.0 + np.asarray(lateness.causes, np.float64))
        mask[n] = lateness.scale_needed
        if self.comm.size > 1:
            mask = self.comm.allreduce(mask, "max")
        mine = np.array([engine.counters["overruns"]], np.int64)
        summed = self.comm.allreduce(mine, "sum") if self.comm.size > 1 else mine
        # the job's latest tick: the rank with the largest lateness says what took the time
        worst = lateness.worst
        record = worst
        if self.comm.size > 1:
            late = np.array([worst["late_ms"] if worst else -1.0])
            top = self.comm.allreduce(late, "max")[0]
            who = self.comm.allreduce(np.array([self.comm.rank if worst and late[0] == top
                                                else self.comm.size], np.int64), "min")[0]
            record = self.comm.bcast(worst if self.comm.rank == who else None,
                                     root=int(who)) if top >= 0 else None
        return {"overruns_summed_over_ranks": int(summed[0]),
                "worst_late_tick": record,
                "overruns": int(np.count_nonzero(mask[:n])),
                # by cause (spinn.runtime.lateness): its own work beyond the tick on some
                # rank; else behind after a late tick; else behind by the time between
                # compiled calls; the rest are stalls (or waits for a stalled rank)
                **{f"overruns_{name}": int(np.count_nonzero(mask[:n] == 1.0 + cause))
                   for cause, name in enumerate(CAUSE_NAMES) if cause != STALL},
                "time_scale_factor_needed": float(mask[n])}

    def _live_counts(self, io):
        """Collective: the live counters summed over ranks, with where the log went."""
        names = sorted(io.counters)
        v = np.array([io.counters[n] for n in names], np.int64)
        if self.comm.size > 1:
            v = self.comm.allreduce(v, "sum")
        return {**{n: int(x) for n, x in zip(names, v)}, "input_log": io.log_dir}

    def _population_counts(self):
        """Collective: each population's spikes and update seconds (summed over ranks) in
        the run that just ended — two allreduces of one number per population."""
        n = len(self.network.populations)
        spikes, seconds = np.zeros(n), np.zeros(n)
        for i, g in enumerate(self.engine.groups):
            spikes[g.pop.index] += self.engine.group_spikes[i]
            seconds[g.pop.index] += self.engine.group_seconds[i]
        both = self.comm.allreduce(np.concatenate([spikes, seconds]), "sum") \
            if self.comm.size > 1 else np.concatenate([spikes, seconds])
        return {"spikes": [int(x) for x in both[:n]],
                "update_seconds": [float(x) for x in both[n:]]}

    def _warm_up(self, realtime, callbacks):
        """Collective: compile or load this run's kernels: the lowest rank running each
        generated module (spinn.runtime.fused.module_key) compiles it, the ranks with the
        same module then find it in the cache instead of compiling it again.  Returns
        this rank's {"warmup_seconds", "compile_seconds"} (compile: build and warm-up)."""
        t0, c0 = time.perf_counter(), compiling.seconds()
        engine = self.engine
        key = module_key(engine.kernels, tuple(g.celltype.kernel_args(g) for g in engine.groups))
        first = True
        if self.comm.size > 1:
            # the lowest rank of each generated module compiles it, the others load it from
            # the cache after one barrier (a transient int64 per rank, on this call only)
            keys = self.comm.allgather(int(key, 16) >> 1)
            first = keys.index(int(key, 16) >> 1) == self.comm.rank
        if first:
            engine.warm_up(realtime, callbacks)
        if self.comm.size > 1:
            self.comm.barrier()
        if not first:
            engine.warm_up(realtime, callbacks)
        if self.comm.rank == 0:
            _touch(ready_stamp())
        seconds = time.perf_counter() - t0
        compiled = compiling.seconds() - self.compile_mark
        self.compile_mark = compiling.seconds()
        worst = self.comm.allreduce(np.array([seconds, compiled]), "max") \
            if self.comm.size > 1 else np.array([seconds, compiled])
        if worst[1] >= COMPILE_NOTICE_S:
            self.say(f"compiling kernels — first run on this machine only (cached in "
                     f"{compiling.cache_directory()}): {worst[1]:.1f} s, not counted in the "
                     f"run's figures")
        return {"warmup_seconds": seconds, "compile_seconds": compiled,
                "warmup_compile_seconds": compiling.seconds() - c0}

    # ---- long runs (spinn/runtime/longrun.py) -----------------------------------------
    def checkpoint(self, path):
        """Collective, between runs: spinn.runtime.longrun.checkpoint."""
        return longrun.checkpoint(self, path)

    def restore(self, path):
        """Collective, before the first run(): spinn.runtime.longrun.restore."""
        return longrun.restore(self, path)

    @property
    def time_ms(self):
        return 0.0 if self.engine is None else self.engine.step * self.network.dt

    def say(self, text):
        if self.verbose and self.comm.rank == 0:
            print(text, flush=True)

    def reset(self):
        """Back to t = 0 (COLLECTIVE): the network as built, every neuron at its initial
        values, nothing in flight, plastic weights as built; a new recording segment — the
        getters and write_results give what was recorded since (spinn.runtime.simulator
        RankSimulator.reset says what continues)."""
        self.agree("reset", step=f"{0 if self.engine is None else self.engine.step} steps")
        if self.engine is None:
            return                       # nothing run yet: already at t = 0
        if self.engine.recorder is not None:
            self.engine.recorder.flush()
        self.spool.new_segment()
        self.engine.reset()
        if self.engine.recorder is not None:
            self.engine.recorder.sample_initial(self.engine)
        self.results.simulated_steps = 0
        self.script_step = 0
        self.segment_run = len(self.runs)
        self.segments = getattr(self, "segments", 0) + 1

    def end(self):
        if not self.ended:
            self.agree("end")
            self.ended = True
        self.close()

    def close(self, keep=False):
        """Remove this rank's spool (its recordings are gone with it) — unless ``keep`` (the
        script failed or was interrupted: spinn salvage can still read it)."""
        if self.engine is not None and self.engine.live is not None:
            self.engine.live.close()
        status.stop_watcher(self, remove=not keep)
        if self.engine is not None and self.engine.recorder is not None:
            try:
                self.engine.recorder.wait()     # a background write still going on
            except Exception as e:
                warnings.warn(f"rank {self.comm.rank}: writing the recording failed: {e}; "
                              f"the spool may lack the last spikes", RuntimeWarning,
                              stacklevel=2)
        if self.spool is not None and not keep:
            self.spool.remove()


def _touch(path):
    try:
        path.touch()
    except OSError:
        pass          # a read-only cache: the ranks compile on their own, nothing breaks


def write_report(directory, report):
    """directory/rank-<r>.json (the format spinn rehearse --json writes)."""

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"rank-{report['rank']}.json"), "w") as f:
        json.dump(report, f, indent=1)


def _hash63(data):
    data = data.encode() if isinstance(data, str) else data
    return int.from_bytes(hashlib.sha1(data).digest()[:8], "little") >> 1


def _ranks(ranks):
    shown = ", ".join(map(str, ranks[:AGREEMENT_RANKS_NAMED]))
    more = f" and {len(ranks) - AGREEMENT_RANKS_NAMED} more" \
        if len(ranks) > AGREEMENT_RANKS_NAMED else ""
    return f"rank{'s' if len(ranks) > 1 else ''} {shown}{more}"
