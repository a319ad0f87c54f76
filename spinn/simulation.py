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
import os
import sys
import time
import traceback

import msgpack
import numpy as np

from spinn.errors import ConfigurationError
from spinn.mapping import make_plan
from spinn.model.network import attach_run_state
from spinn.recording import provenance as prov
from spinn.recording.recorder import DEFAULT_BUFFER_MB, Recorder
from spinn.recording.results import Recordings
from spinn.recording.store import Spool, spool_directory
from spinn.recording.synapses import SynapseReader
from spinn.runtime.simulator import RankSimulator

AGREEMENT_RANKS_NAMED = 4    # ranks named per group in a disagreement message
REPORT_RATE_HZ = 5.0         # the rate rank reports assume unless told otherwise


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
        self.results = None           # reads them back (spinn.recording.results)
        self.synapse_reader = None
        # per run: {"totals": job totals (every rank), "mine": this rank's provenance,
        # "per_rank": every rank's, on rank 0 only (None elsewhere)}
        self.runs = []
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
        hang)."""
        try:
            return fn()
        except Exception as exc:
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
        t0 = time.perf_counter()
        plan = self.guarded("mapping", lambda: make_plan(self.network, self.comm.size,
                                                         self.comm.rank))
        self.map_seconds = time.perf_counter() - t0
        self.agree_on_network(plan)      # and the plan's global part, before the build
        if self.verbose and self.comm.rank == 0:
            self.say(plan.summary())
        self.plan = plan

        job = self.comm.bcast(f"{os.getpid()}-{time.time_ns()}" if self.comm.rank == 0
                              else None, root=0) or f"rehearsal-{os.getpid()}-{time.time_ns()}"

        def _build():
            self.spool = Spool(spool_directory(self.spool_dir, job, self.comm.rank))
            engine = RankSimulator(self.network, plan, self.comm)
            engine.recorder = Recorder(engine, self.spool,
                                       int(self.record_buffer_mb * (1 << 20)))
            return engine

        self.engine = self.guarded("build", _build)
        self.network.frozen = True
        self.results = Recordings(self.network, self.comm, self.spool)
        self.synapse_reader = SynapseReader(self)
        self.results.projection_sizes = [int(x) for x in self.comm.allreduce(
            self.engine.projection_counts, "sum")] if self.network.projections else []
        report_dir = os.environ.get("SPINN_RANK_REPORT")
        if report_dir and self.comm.kind != "rehearsal":
            write_report(report_dir, self.rank_report())
        return self.engine

    def rank_report(self, rate_hz=None):
        """This rank's figures after the build (spinn.recording.provenance.rank_report)."""
        rate = rate_hz if rate_hz is not None else getattr(self.comm, "rate_hz",
                                                           REPORT_RATE_HZ)
        return prov.rank_report(self.plan, self.engine, self.map_seconds, rate)

    def run(self, duration, realtime=False, callbacks=None, progress=True):
        """Advance by ``duration`` ms on every rank (collective); returns the time in ms."""
        net = self.network
        n_steps = net.steps(float(duration), "run: duration")
        self.agree("run", duration=f"{float(duration)!r} ms", steps=n_steps,
                   realtime=bool(realtime), callbacks=len(callbacks or ()),
                   start=f"{0 if self.engine is None else self.engine.step} steps")
        engine = self.build()
        if self.comm.kind == "rehearsal":
            raise Rehearsed(self.rank_report())
        step0 = engine.step
        report = _progress(self, step0, n_steps) if progress and self.verbose else None
        calls = [[f, 0.0] for f in (callbacks or [])]

        def on_tick(step):
            t_ms = step * net.dt
            for entry in calls:
                if entry[0] is not None and t_ms >= entry[1]:
                    nxt = entry[0](t_ms)
                    entry[0], entry[1] = (None, 0.0) if nxt is None else (entry[0], nxt)

        engine.recorder.start_run()

        def _run():
            wall = engine.run(n_steps, realtime, on_tick if calls else None, progress=report)
            engine.recorder.flush()
            return wall

        wall = self.guarded("run", _run)
        mine = prov.rank_provenance(engine, engine.recorder, wall, n_steps)
        self.results.simulated_steps = engine.step
        totals = prov.job_totals(self.comm, mine)
        self.runs.append({"totals": totals, "mine": mine,
                          "per_rank": self.comm.gather(mine, root=0)})
        self.say(prov.summary(totals))
        return engine.step * net.dt

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
        net = self.network
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
        self.segment_run = len(self.runs)
        self.segments = getattr(self, "segments", 0) + 1

    def end(self):
        if not self.ended:
            self.agree("end")
            self.ended = True
        self.close()

    def close(self):
        """Remove this rank's spool (its recordings are gone with it)."""
        if self.spool is not None:
            self.spool.remove()


def _progress(simulation, step0, n_steps):
    """A progress line on rank 0 about every 10 % of the run."""
    marks = set(int(step0 + n_steps * q / 10) for q in range(1, 10))
    start = time.perf_counter()
    dt = simulation.network.dt

    def report(step):
        if simulation.comm.rank == 0 and any(m <= step for m in marks) \
                and time.perf_counter() - start > 2.0:
            for m in [m for m in marks if m <= step]:
                marks.discard(m)
            done = (step - step0) / n_steps
            wall = time.perf_counter() - start
            rtf = wall / ((step - step0) * dt / 1000.0)
            print(f"  progress: {step * dt:8.1f} ms ({done:4.0%}), {wall:6.1f} s wall, "
                  f"RTF {rtf:.2f}", flush=True)

    return report


def write_report(directory, report):
    """directory/rank-<r>.json (the format spinn rehearse --json writes)."""
    import json

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"rank-{report['rank']}.json"), "w") as f:
        json.dump(report, f, indent=1)


def first_difference(reference, items):
    """(where, reference value, this value) at the first item that differs, or None; the
    message reads "{where} {value} on rank r, {reference value} on rank 0"."""
    for k in range(max(len(reference), len(items))):
        ref = tuple(reference[k]) if k < len(reference) else None
        mine = tuple(items[k]) if k < len(items) else None
        if ref == mine:
            continue
        if ref is None:
            return (f"{mine[0]} {mine[1]} is", "absent", "present")
        if mine is None:
            return (f"{ref[0]} {ref[1]} is", "present", "absent")
        if ref[0] != mine[0] or ref[1] != mine[1]:
            return (f"declared setting #{k} is", f"{ref[0]} {ref[1]}", f"{mine[0]} {mine[1]}")
        return (f"{mine[0]}: {mine[1]}", ref[2], mine[2])
    return None


def _hash63(data):
    data = data.encode() if isinstance(data, str) else data
    return int.from_bytes(hashlib.sha1(data).digest()[:8], "little") >> 1


def _ranks(ranks):
    shown = ", ".join(map(str, ranks[:AGREEMENT_RANKS_NAMED]))
    more = f" and {len(ranks) - AGREEMENT_RANKS_NAMED} more" \
        if len(ranks) > AGREEMENT_RANKS_NAMED else ""
    return f"rank{'s' if len(ranks) > 1 else ''} {shown}{more}"
