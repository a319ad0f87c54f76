"""setup/run/end and the state queries, as pyNN.nest gives them."""

import warnings

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from spinn import api
from spinn.errors import ConfigurationError
from spinn.pynn import simulator

# keywords other backends take that mean nothing here (warned once each)
IGNORED = ("threads", "spike_precision", "verbosity", "spike_precision", "use_cvode",
           "rel_tol", "abs_tol", "default_maxstep", "use_multisynapse", "timer",
           "recording_precision", "allow_offgrid_spikes", "grng_seed", "min_delay_ms",
           "n_boards_required", "n_chips_required", "database_socket", "time_scale_factor_ok")
SEEDS = ("rng_seed", "seed", "rng_seeds", "rng_seeds_seed")


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new network (any previous one is ended).  timestep, min_delay and max_delay in
    ms ('auto': timestep and 10 ms).  spinn's own keywords: seed (or PyNN's rng_seed),
    neurons_per_core, time_scale_factor, comm, verbose, spool_dir, record_buffer_mb; other
    backends' keywords are accepted with a warning.  Returns the MPI rank."""
    max_delay = extra_params.pop("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, max_delay=max_delay, **extra_params)
    seed = None
    for k in SEEDS:
        if k in extra_params:
            v = extra_params.pop(k)
            seed = v[0] if isinstance(v, (list, tuple)) else v
    spike_precision = extra_params.pop("spike_precision", "on_grid")
    if spike_precision != "on_grid":
        warnings.warn(f"spinn.pynn: spike_precision={spike_precision!r} is not available: "
                      f"spikes are on the grid (NEST's 'on_grid')", stacklevel=2)
    for k in list(extra_params):
        if k in IGNORED:
            warnings.warn(f"spinn.pynn: setup({k}=…) means nothing here and is ignored",
                          stacklevel=2)
            extra_params.pop(k)
    own = {k: extra_params.pop(k) for k in ("neurons_per_core", "time_scale_factor", "comm",
                                            "verbose", "spool_dir", "record_buffer_mb")
           if k in extra_params}
    if extra_params:
        raise ConfigurationError(
            f"spinn.pynn: setup() does not take {', '.join(sorted(extra_params))}")
    own.setdefault("verbose", False)
    simulator.state.clear()
    net = api.setup(timestep=timestep, seed=seed, **own)
    sim = api.simulation()
    simulator.state.dt = timestep
    simulator.state.min_delay = timestep if min_delay == "auto" else float(min_delay)
    simulator.state.max_delay = 10.0 if max_delay == "auto" else float(max_delay)
    simulator.state.mpi_rank = sim.comm.rank
    simulator.state.num_processes = sim.comm.size
    simulator.state.network = net
    return simulator.state.mpi_rank


def end(compatible_output=True):
    """Write what record(to_file=…) asked for, then end the network (COLLECTIVE)."""
    for population, variables, filename in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []
    api.end()


run, run_until = common.build_run(simulator)
run_for = run


def checkpoint(path):
    """spinn.checkpoint: the run's whole future to the directory ``path`` (COLLECTIVE)."""
    return api.checkpoint(path)


def restore(path):
    """spinn.restore: continue from a checkpoint — after building the same network, before
    the first run() (COLLECTIVE); on any number of ranks."""
    return api.restore(path)


def reset(annotations=None):
    """t = 0 and a new segment (COLLECTIVE).  PyNN's own reset walks its recorders in set
    order, which differs between processes; here they go in population order, so that every
    rank caches the segments with the same collective calls."""
    for recorder in sorted(simulator.state.recorders,
                           key=lambda r: int(r.population.first_id)):
        recorder.store_to_cache(annotations)
    simulator.state.reset()


initialize = common.initialize

get_current_time, get_time_step, get_min_delay, get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)
