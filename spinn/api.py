"""The script-level API (PyNN's names): setup, Population, Projection, run, end, results.

Every rank runs the same script (SPMD).  ``setup()`` creates the Network (the description)
and its Simulation (this rank's run state, spinn/simulation.py) in this thread of control;
model objects register with the network; the first ``run()`` maps and builds it, every
``run()`` advances it.  Collective calls are checked to be the same on every rank.
"""

import atexit
import contextvars
import json
import math
import os
import sys
import tempfile

import numpy as np

from spinn.errors import ConfigurationError, SimulationError
from spinn.model import network as model
from spinn.model.projection import Projection as _Projection
from spinn.recording import provenance as prov
from spinn.recording import tables
from spinn.recording.figures import draw_all
from spinn.recording.raster import plot_raster
from spinn.recording.recorder import DEFAULT_BUFFER_MB
from spinn.recording.sonata import write_frames, write_spikes
from spinn.recording.store import check_writable
from spinn.runtime.comm import world
from spinn.runtime.everywhere import raise_everywhere
from spinn.simulation import Simulation

PROVENANCE_FORMAT = 2   # provenance.json layout version (docs/provenance.md)

_current = contextvars.ContextVar("spinn_simulation", default=None)


def setup(timestep=0.1, min_delay=None, max_delay=None, seed=None, neurons_per_core=256,
          time_scale_factor=None, comm=None, verbose=True, spool_dir=None,
          record_buffer_mb=DEFAULT_BUFFER_MB, out_dir=None):
    """Start a new network.  timestep: dt in ms.  min_delay/max_delay are accepted for PyNN
    compatibility: spinn derives the tick and the ring-buffer length from the projections.
    seed=None: rank 0 draws a seed and every rank uses it.  comm: a communicator (default:
    MPI's world when launched on several ranks, else local).  Recordings stream to each
    rank's spool directory (spool_dir, default $SPINN_SPOOL or the system's temporary
    directory) through a buffer of record_buffer_mb MB per rank.  out_dir: where
    write_results() writes by default.  The spool and output directories are created and
    checked for writing here, on every rank, before anything runs.  time_scale_factor: wall
    seconds per simulated second of a real-time run (default $SPINN_TIME_SCALE_FACTOR, which
    ``spinn run --time-scale-factor`` sets, as sPyNNaker's configuration file does, else 1).
    Returns the Network."""
    if time_scale_factor is None:
        time_scale_factor = _default_time_scale_factor()
    model.Network(dt=timestep, seed=0, neurons_per_core=neurons_per_core,
                  time_scale_factor=time_scale_factor)       # settings checked everywhere first
    comm = comm if comm is not None else world()
    _check_directories(comm, spool_dir, out_dir)
    _register_exit_check()
    # always broadcast (a collective every rank makes): rank 0's fresh seed serves the ranks
    # given seed=None; a seed given explicitly stays, and must agree (build checks it)
    drawn = comm.bcast(int(np.random.SeedSequence().entropy % (1 << 32))
                       if comm.rank == 0 else None, root=0)
    if seed is None:
        # a rehearsal of rank R > 0 never sees rank 0's draw: it draws its own
        seed = drawn if drawn is not None else int(np.random.SeedSequence().entropy % (1 << 32))
    net = model.Network(dt=timestep, seed=seed, neurons_per_core=neurons_per_core,
                        time_scale_factor=time_scale_factor)
    previous = _current.get()
    if previous is not None:
        previous.ended = True         # a new setup() replaces the old network on every rank
        previous.close()
        _ACTIVE.pop(previous, None)
    if not record_buffer_mb > 0:
        raise ConfigurationError(f"setup: record_buffer_mb = {record_buffer_mb} must be > 0")
    _current.set(Simulation(net, comm, verbose, spool_dir, record_buffer_mb))
    _current.get().out_dir = None if out_dir is None else os.fspath(out_dir)
    _ACTIVE[_current.get()] = None
    return net


def _default_time_scale_factor():
    """$SPINN_TIME_SCALE_FACTOR (checked: a number > 0), else 1.0."""
    text = os.environ.get("SPINN_TIME_SCALE_FACTOR", "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and math.isfinite(value)):
        raise ConfigurationError(
            f"setup: $SPINN_TIME_SCALE_FACTOR = {text!r} must be a number > 0 (wall seconds "
            f"per simulated second); unset it or give e.g. 2 to run at half real time")
    return value


def _check_directories(comm, spool_dir, out_dir):
    """Every rank checks the directories it will write (the spool base; out_dir on rank 0,
    which writes the results); one allreduce, then every rank raises the same error if
    any rank cannot write, naming the ranks."""
    base = spool_dir or os.environ.get("SPINN_SPOOL") or tempfile.gettempdir()
    problem = check_writable(os.path.join(base, f"spinn-{os.getuid()}"),
                             "spool directory (spool_dir or $SPINN_SPOOL)")
    if problem is None and out_dir is not None and comm.rank == 0:
        problem = check_writable(os.fspath(out_dir), "out_dir")
    raise_everywhere(comm, problem)


def simulation():
    """This rank's run state of the current network (spinn.simulation.Simulation)."""
    state = _current.get()
    if state is None:
        raise ConfigurationError("spinn: no network; call spinn.setup() first")
    return state


def current():
    """The current network (its description)."""
    return simulation().network


def rank():
    """This process's MPI rank (0 without MPI)."""
    return simulation().comm.rank


def num_processes():
    """The number of MPI ranks of the job (1 without MPI)."""
    return simulation().comm.size


def Population(size, cellclass, cellparams=None, initial_values=None, label=None,
               neurons_per_core=None, structure=None):
    """A population of ``size`` neurons of one cell type (PyNN's Population).

    cellclass: a cell type, as a class (parameters from cellparams) or an instance
    (``sim.IF_curr_exp(tau_m=10.0)``); parameters take numbers, arrays of ``size`` or a
    RandomDistribution.  initial_values: {state variable: value} (e.g. ``{"v": ...}``).
    label: a unique name (default "population<k>").  neurons_per_core: the most neurons a
    core holds (default setup's, 256): the population is cut into as few, equal cores as that
    allows.  structure: Grid2D, Grid3D, Line or RandomStructure, for positions.
    Methods: record, get_data/get_spikes, initialize, set, get, mean_rate, inject, and
    views ``pop[10:20]``.  help(spinn.model.network.Population) lists them all."""
    return model.Population(current(), size, cellclass, cellparams, initial_values, label,
                            neurons_per_core, structure)


def Projection(presynaptic, postsynaptic, connector, synapse_type=None,
               receptor_type="excitatory", label=None):
    """Synapses from ``presynaptic`` to ``postsynaptic`` (populations or views) made by
    ``connector`` with ``synapse_type`` (StaticSynapse or STDPMechanism; default a
    StaticSynapse of weight 0 and delay dt) onto ``receptor_type`` ("excitatory" or
    "inhibitory").  Weights follow PyNN's signs (negative onto the inhibitory receptor of
    current-based cells); delays in ms, rounded onto the step grid as NEST does.  Methods:
    get/set/save of weights and delays, size().  help(spinn.model.projection.Projection)."""
    return _Projection(current(), presynaptic, postsynaptic, connector, synapse_type,
                            receptor_type, label)


def build(net=None):
    """Map and build the network on this rank (collective)."""
    state = simulation()
    if net is not None and net is not state.network:
        raise ConfigurationError("build: that network is not the current one (setup() again?)")
    return state.build()


def run(duration, realtime=None, callbacks=None, progress=True, checkpoint_every=None,
        checkpoint_dir=None, on_overrun="count"):
    """Advance the network by ``duration`` ms on every rank (collective).

    realtime: pace each tick to the wall clock (times time_scale_factor) and count overruns;
    None (default): in real time when the network has live input or output
    (spinn.external_devices, as on SpiNNaker), else as fast as it goes.
    callbacks: callables f(t_ms) → next t_ms (or None to stop calling), run on every rank.
    checkpoint_every: ms of simulated time between checkpoints, written to
    checkpoint_dir/t<ms>ms (checkpoint_dir default $SPINN_CHECKPOINT_DIR); with a checkpoint
    directory, SIGTERM or SIGUSR1 checkpoints every rank at the next common stop and exits
    0 (spinn.simulation.Simulation.run has the details).
    on_overrun (real time): "count" (default) counts late ticks and goes on; "stop" ends the
    run with a SimulationError on every rank, at the same tick, at most 100 ticks after the
    first late tick (checked every 100 ticks on the per-tick path; in the compiled loop
    the ranks vote every 50 ticks inside the call), naming it, its phase and the
    time_scale_factor that would have held; every rank may catch it.
    Returns the simulated time in ms.
    """
    return simulation().run(duration, realtime, callbacks, progress, checkpoint_every,
                            checkpoint_dir, on_overrun)


def checkpoint(path):
    """Write the run's whole future to the directory ``path`` (collective, between runs):
    neuron state, spikes in flight, random streams, plastic weights and traces, what was
    recorded so far.  Atomic: a checkpoint killed half-way leaves the one before whole.
    Returns (seconds, bytes)."""
    return simulation().checkpoint(path)


def restore(path):
    """Continue from the checkpoint at ``path`` (collective; after describing the same
    network, before the first run()), on this job's number of ranks whatever the number
    that wrote it.  Returns the restored time in ms."""
    return simulation().restore(path)


def get_current_time():
    """Simulated time so far, in ms."""
    return simulation().time_ms


def provenance():
    """Whole-job totals of the last run (every rank)."""
    state = simulation()
    if not state.runs:
        raise ConfigurationError("provenance: no run yet; call run() first")
    return state.runs[-1]["totals"]


def write_results(out_dir=None, title=None):
    """Write out_dir/spikes.h5 (SONATA), a SONATA frame report <var>.h5 per sampled state
    variable (v.h5, gsyn_exc.h5, …: every population recording it), provenance.json
    (docs/provenance.md), the figures (raster.png, <var>.png, weights.png:
    spinn.recording.figures), the mapping plan of rank 0 (plan.msgpack), and for plastic
    projections their final weights (weights_<label>.txt) and weight distributions as built
    and now (weights_hist.json).

    Collective (call it on every rank, as run()): the spike file is assembled on rank 0 from
    every rank's spool window by window (spinn/recording/sonata.py), never holding all
    spikes; the plastic weights are gathered; rank 0 writes.  Raises SimulationError if the
    file would hold fewer spikes than were recorded.
    """
    state = simulation()
    net = state.network
    if state.results is None:
        raise ConfigurationError("write_results: nothing to write; call run() first")
    out_dir = out_dir if out_dir is not None else state.out_dir
    if out_dir is None:
        raise ConfigurationError("write_results: no out_dir; give write_results(out_dir) or "
                                 "setup(out_dir=...)")
    state.agree("write_results", out_dir=repr(str(out_dir)))
    if state.comm.rank == 0:
        os.makedirs(out_dir, exist_ok=True)
    for proj in net.projections:
        if proj.plastic:
            proj.save("weight", os.path.join(out_dir, f"weights_{_safe(proj.label)}.txt"))
    paths = {"spikes": os.path.join(out_dir, "spikes.h5"),
             "provenance": os.path.join(out_dir, "provenance.json"),
             "raster": os.path.join(out_dir, "raster.png"),
             "plan": os.path.join(out_dir, "plan.msgpack")}
    recorded_pops = {p.label: p.index for p in net.populations if "spikes" in p.recording}
    written = write_spikes(paths["spikes"], state.comm, state.spool, recorded_pops, net.dt,
                           state.engine.step)
    recorded = sum(r["totals"]["spikes_recorded"] for r in state.runs[state.segment_run:])
    if state.restored is not None and state.segment_run == 0:
        recorded += state.restored["spikes_recorded"]     # recorded before the checkpoint
    frames = {}
    for pop in net.populations:          # sampled state: one frame report per variable
        for var in pop.recording:
            if var != "spikes":
                t, ids, values = pop.get_data(var)       # collective, as every getter
                unit = pop.celltype.state[var].unit if var in pop.celltype.state else ""
                frames.setdefault(var, {})[pop.label] = (t, ids, values, unit)
    if state.comm.rank == 0:
        for var, reports in frames.items():
            paths[var] = os.path.join(out_dir, f"{_safe(var)}.h5")
            write_frames(paths[var], reports, net.dt)
    if written != recorded:
        raise SimulationError(f"write_results: {written} spikes to write but {recorded} were "
                              f"recorded; recording lost data")
    populations = tables.population_table(state)            # collective, as the getters
    projections = tables.projection_table(state, populations)
    hists = _weight_histograms(state)
    if state.comm.rank != 0:
        return None
    paths["weights_hist"] = os.path.join(out_dir, "weights_hist.json")
    with open(paths["weights_hist"], "w") as f:
        json.dump(hists, f, indent=1)
    with open(paths["plan"], "wb") as f:
        f.write(state.plan.to_msgpack())
    prov.write_provenance(paths["provenance"], state.runs)
    with open(paths["provenance"]) as f:
        data = json.load(f)
    data["format"] = PROVENANCE_FORMAT
    data["job"] = tables.job_facts(state)
    data["job"]["hosts"] = sorted({r.get("host") for run in state.runs
                                   for r in run["per_rank"]} - {None})
    data["title"] = title or ""
    data["simulated_ms"] = get_current_time()
    data["spikes_written"] = written
    dt = net.dt
    data["checkpoints"] = [{"path": c["path"], "t_ms": c["step"] * dt, "seconds": c["seconds"],
                            "bytes": c["bytes"]} for c in state.checkpoints]
    r = state.restored
    data["restored"] = None if r is None else {
        "path": r["path"], "t_ms": r["step"] * dt, "seconds": r["seconds"],
        "written_on_ranks": r["written_on_ranks"], "spikes_recorded": r["spikes_recorded"]}
    data["populations"] = populations
    data["projections"] = projections
    data["network"] = {"dt": net.dt, "seed": net.seed, "ranks": state.comm.size,
                       "populations": [p.describe() for p in net.populations
                                       if p.celltype.name != "SpikeSourceArray"],
                       "mapping": state.plan.summary()}
    with open(paths["provenance"], "w") as f:
        json.dump(data, f, indent=1, default=_jsonable)
    spiking = [p for p in net.populations if "spikes" in p.recording]
    plot_raster(paths["raster"], paths["spikes"], {p.label: p.size for p in spiking},
                get_current_time(), title or "",
                recorded={p.label: p.recording["spikes"][0] for p in spiking})
    figures = draw_all(out_dir, title=title or "", raster=False)
    paths.update({k: v for k, v in figures.items() if k not in paths})
    return paths


def _weight_histograms(state):
    """Collective: {label: {"edges", "before", "after", "units"}} of every plastic
    projection's weights, as built and now (summed over ranks)."""
    now = state.weight_histograms()
    out = {}
    for proj in state.network.projections:
        if not proj.plastic:
            continue
        edges, before = state.initial_weights[proj.index]
        after = now[proj.index][1]
        both = np.concatenate([before, after])
        if state.comm.size > 1:
            both = state.comm.allreduce(both, "sum")
        n = edges.size - 1
        out[proj.label] = {"edges": edges.tolist(), "before": both[:n].tolist(),
                           "after": both[n:].tolist(),
                           "units": proj.post.celltype.weight_unit}
    return out


def _safe(label):
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def reset():
    """Back to t = 0 (COLLECTIVE): neurons at their initial values, nothing in flight,
    plastic weights as built, a new recording segment; Poisson sources and noisy currents
    continue their streams (a new trial).  The network's structure, parameters and
    recording requests stay."""
    simulation().reset()


def end():
    """Finish (collective): every rank must reach it; drops the network."""
    state = _current.get()
    if state is not None:
        _current.set(None)
        _ACTIVE.pop(state, None)
        state.end()


_ACTIVE = {}     # simulations not ended yet in this process (insertion order: every rank alike)
_EXIT_CHECK = []


def _register_exit_check():
    """After MPI is imported (world()), so that this runs before mpi4py finalises MPI."""
    if not _EXIT_CHECK:
        atexit.register(_at_exit)
        _EXIT_CHECK.append(True)


def _at_exit():
    """A script that ends while another rank still waits at a collective call meets it
    here: the other rank learns where this one went instead of hanging."""
    failed = hasattr(sys, "last_value")       # an uncaught exception ended the script
    for state in list(_ACTIVE):
        keep = failed or state.interrupted
        if state.comm.kind == "mpi" and not state.ended and not keep:
            try:
                state.agree("the end of the script")
            except ConfigurationError as exc:
                state.comm.abort(str(exc))
        state.ended = True
        state.close(keep=keep)  # the spool of a script that never called end(): kept when
        #                         it failed, for spinn salvage
    _ACTIVE.clear()
