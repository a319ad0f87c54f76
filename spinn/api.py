"""The script-level API (PyNN's names): setup, Population, Projection, run, end, results.

Every rank runs the same script (SPMD).  ``setup()`` creates the Network of this thread of
control; model objects register with it; the first ``run()`` maps and builds it, every
``run()`` advances it and gathers the new recordings to every rank.
"""

import contextvars
import json
import os
import sys
import time
import traceback

import numpy as np

from spinn.errors import ConfigurationError, SimulationError
from spinn.mapping import make_plan
from spinn.model import network as model
from spinn.recording import provenance as prov
from spinn.recording.raster import plot_raster
from spinn.recording.recorder import Recorder
from spinn.recording.results import Results
from spinn.recording.sonata import write_spikes
from spinn.recording.synapses import SynapseReader
from spinn.runtime.comm import world
from spinn.runtime.simulator import RankSimulator

_current = contextvars.ContextVar("spinn_network", default=None)


def setup(timestep=0.1, min_delay=None, max_delay=None, seed=None, neurons_per_core=256,
          time_scale_factor=1.0, comm=None, verbose=True):
    """Start a new network.  timestep: dt in ms.  min_delay/max_delay are accepted for PyNN
    compatibility: spinn derives the tick and the ring-buffer length from the projections.
    comm: a communicator (default: MPI's world when launched on several ranks, else local)."""
    net = model.Network(dt=timestep, seed=seed, neurons_per_core=neurons_per_core,
                        time_scale_factor=time_scale_factor)
    net.comm = comm if comm is not None else world()
    net.verbose = verbose
    net.sim = None
    net.runs = []
    _current.set(net)
    return net


def current():
    net = _current.get()
    if net is None:
        raise ConfigurationError("spinn: no network; call spinn.setup() first")
    return net


def rank():
    return current().comm.rank


def num_processes():
    return current().comm.size


def Population(size, cellclass, cellparams=None, initial_values=None, label=None,
               neurons_per_core=None, structure=None):
    return model.Population(current(), size, cellclass, cellparams, initial_values, label,
                            neurons_per_core, structure)


def Projection(presynaptic, postsynaptic, connector, synapse_type=None,
               receptor_type="excitatory", label=None):
    return model.Projection(current(), presynaptic, postsynaptic, connector, synapse_type,
                            receptor_type, label)


def say(net, text):
    if net.verbose and net.comm.rank == 0:
        print(text, flush=True)


def _guarded(net, what, fn):
    """Run fn(); an exception on one rank aborts all ranks with its message (never a hang)."""
    try:
        return fn()
    except Exception as exc:
        if net.comm.kind == "mpi":
            sys.stderr.write(f"[spinn rank {net.comm.rank}] error during {what}:\n"
                             + traceback.format_exc())
        net.comm.abort(f"{type(exc).__name__}: {exc}")   # returns only without MPI
        raise


def build(net):
    """Map and build the network on this rank (collective)."""
    if net.sim is not None:
        return net.sim
    plan = make_plan(net, net.comm.size, net.comm.rank)
    say(net, plan.summary())
    net.plan = plan

    def _build():
        sim = RankSimulator(net, plan, net.comm)
        sim.recorder = Recorder(sim)
        return sim

    net.sim = _guarded(net, "build", _build)
    net.frozen = True
    net.results = Results(net)
    net.synapse_reader = SynapseReader(net)
    net.results.projection_sizes = [int(x) for x in net.comm.allreduce(
        net.sim.projection_counts, "sum")] if net.projections else []
    return net.sim


def run(duration, realtime=False, callbacks=None, progress=True):
    """Advance the network by ``duration`` ms on every rank (collective).

    realtime: pace each tick to the wall clock (times time_scale_factor) and count overruns.
    callbacks: callables f(t_ms) → next t_ms (or None to stop calling), run on every rank.
    Returns the simulated time in ms.
    """
    net = current()
    n_steps = net.steps(float(duration), "run: duration")
    sim = build(net)
    step0 = sim.step
    report = _progress(net, step0, n_steps) if progress and net.verbose else None
    calls = [[f, 0.0] for f in (callbacks or [])]

    def on_tick(step):
        t_ms = step * net.dt
        for entry in calls:
            if entry[0] is not None and t_ms >= entry[1]:
                nxt = entry[0](t_ms)
                entry[0], entry[1] = (None, 0.0) if nxt is None else (entry[0], nxt)

    wall = _guarded(net, "run", lambda: sim.run(
        n_steps, realtime, on_tick if calls else None, progress=report))
    mine = prov.rank_provenance(sim, sim.recorder, wall, n_steps)
    new = sim.recorder.take()
    steps = net.comm.allgatherv(new[0])
    gids = net.comm.allgatherv(new[1])
    net.results.add(steps, gids, net.comm.allgather(new[2]))
    net.results.simulated_steps = sim.step
    per_rank = net.comm.allgather(mine)
    net.runs.append(per_rank)
    net.results.provenance = net.runs
    say(net, prov.summary(per_rank))
    return sim.step * net.dt


def _progress(net, step0, n_steps):
    """A progress line on rank 0 about every 10 % of the run."""
    marks = set(int(step0 + n_steps * q / 10) for q in range(1, 10))
    start = time.perf_counter()

    def report(step):
        if net.comm.rank == 0 and any(m <= step for m in marks) \
                and time.perf_counter() - start > 2.0:
            for m in [m for m in marks if m <= step]:
                marks.discard(m)
            done = (step - step0) / n_steps
            wall = time.perf_counter() - start
            rtf = wall / ((step - step0) * net.dt / 1000.0)
            print(f"  progress: {step * net.dt:8.1f} ms ({done:4.0%}), {wall:6.1f} s wall, "
                  f"RTF {rtf:.2f}", flush=True)

    return report


def get_current_time():
    net = current()
    return 0.0 if net.sim is None else net.sim.step * net.dt


def provenance():
    """Whole-job totals of the last run (every rank)."""
    net = current()
    if not net.runs:
        raise ConfigurationError("provenance: no run yet; call run() first")
    return prov.totals(net.runs[-1])


def write_results(out_dir, title=None):
    """Write out_dir/spikes.h5 (SONATA), provenance.json, raster.png, the mapping plan
    (plan.msgpack) and the final weights of plastic projections (weights_<label>.txt).

    Collective (call it on every rank, as run()): the plastic weights are gathered, then
    rank 0 writes.  Raises SimulationError if the file would hold fewer spikes than were
    recorded.
    """
    net = current()
    if net.results is None:
        raise ConfigurationError("write_results: nothing to write; call run() first")
    if net.comm.rank == 0:
        os.makedirs(out_dir, exist_ok=True)
    for proj in net.projections:
        if proj.plastic:
            proj.save("weight", os.path.join(out_dir, f"weights_{_safe(proj.label)}.txt"))
    if net.comm.rank != 0:
        return None
    spikes = {p.label: tuple(net.results.spikes(p)) for p in net.populations
              if "spikes" in p.recording}
    written = sum(t.size for t, _ in spikes.values())
    recorded = sum(p["spikes_recorded"] for run_ in net.runs for p in run_)
    if written != recorded:
        raise SimulationError(f"write_results: {written} spikes to write but {recorded} were "
                              f"recorded; recording lost data")
    paths = {"spikes": os.path.join(out_dir, "spikes.h5"),
             "provenance": os.path.join(out_dir, "provenance.json"),
             "raster": os.path.join(out_dir, "raster.png"),
             "plan": os.path.join(out_dir, "plan.msgpack")}
    write_spikes(paths["spikes"], spikes)
    with open(paths["plan"], "wb") as f:
        f.write(net.plan.to_msgpack())
    prov.write_provenance(paths["provenance"], net.runs)
    with open(paths["provenance"]) as f:
        data = json.load(f)
    data["spikes_written"] = written
    data["network"] = {"dt": net.dt, "seed": net.seed, "ranks": net.comm.size,
                       "populations": [p.describe() for p in net.populations
                                       if p.celltype.name != "SpikeSourceArray"],
                       "mapping": net.plan.summary()}
    with open(paths["provenance"], "w") as f:
        json.dump(data, f, indent=1, default=_jsonable)
    plot_raster(paths["raster"], spikes, get_current_time(), title or "")
    return paths


def _safe(label):
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def end():
    """Finish: nothing to flush (results were gathered by run()); drops the network."""
    _current.set(None)
