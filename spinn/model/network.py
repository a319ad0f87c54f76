"""Network, Population, PopulationView: the description a model script builds (projections:
spinn/model/projection.py).

Plain validated data.  Every check here runs identically on every rank before any
communication, so bad input fails everywhere at once with the same message.  The description
holds no run state: what a rank made of it (communicator, plan, built state, recordings)
lives in a spinn.simulation.Simulation, registered beside the Network (``run_state``) —
the Network stays comparable (``description()``) and serialisable.
"""

import math
import warnings
import weakref

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.dynamics import REGISTRY
from spinn.dynamics.base import CellType
from spinn.errors import ConfigurationError, numbers_array
from spinn.kernels.grid import off_grid, refractory_steps
from spinn.model.describe import value_text
from spinn.model.space import Line

MAX_DELAY_STEPS = (1 << 14) - 1   # synapse word: 14 bits of delay (kernels/deliver.py)
MAX_NEURONS_PER_CORE = 1 << 16    # synapse word: 16 bits of target index
PURPOSE_POSITIONS = 6             # random stream of a population's structure

_RUN_STATES = weakref.WeakKeyDictionary()    # Network → its Simulation (spinn.simulation)


def attach_run_state(network, state):
    """Register the run state (a spinn.simulation.Simulation) of a network."""
    _RUN_STATES[network] = state


def run_state(network, who):
    """The run state of a network; ``who`` names the caller in the error."""
    state = _RUN_STATES.get(network)
    if state is None or state.engine is None:
        raise ConfigurationError(f"{who}: no results yet; call run() first")
    if state.ended:
        raise ConfigurationError(f"{who}: the network was ended (end() or a new setup()); "
                                 f"its recordings are gone — read them before end()")
    return state


class Network:
    """Everything a script declares: settings, populations, projections, recording requests."""

    def __init__(self, dt=0.1, seed=None, neurons_per_core=256, time_scale_factor=1.0):
        if not (isinstance(dt, (int, float)) and dt > 0 and math.isfinite(dt)):
            raise ConfigurationError(f"setup: timestep {dt!r} ms must be a positive number")
        if not 1 <= int(neurons_per_core) <= MAX_NEURONS_PER_CORE:
            raise ConfigurationError(
                f"setup: neurons_per_core = {neurons_per_core} must be in [1, "
                f"{MAX_NEURONS_PER_CORE}]")
        if not time_scale_factor > 0:
            raise ConfigurationError(
                f"setup: time_scale_factor = {time_scale_factor} must be > 0")
        self.dt = float(dt)
        self.seed = int(np.random.SeedSequence().entropy % (1 << 32)) if seed is None \
            else int(seed)
        self.neurons_per_core = int(neurons_per_core)
        self.time_scale_factor = float(time_scale_factor)
        self.populations = []
        self.projections = []
        self.current_sources = []     # spinn.model.electrodes, in injection order
        self.frozen = False       # set once the network is built: no more populations
        self.changed_parameters = set()   # populations set() between runs, not yet applied
        self.changed_weights = set()      # projections set(weight=…) between runs, likewise

    # ---- bookkeeping ----------------------------------------------------------------
    def free_label(self, kind, label):
        """``label`` if no population (kind "population") or projection has it yet, else
        ``label (2)``, ``label (3)``, …: the PyNN backend's labels (PyNN allows repeats;
        spinn's own API refuses them, since outputs are keyed by label)."""
        taken = {o.label for o in (self.populations if kind == "population"
                                   else self.projections)}
        name, n = label, 2
        while name in taken:
            name, n = f"{label} ({n})", n + 1
        return name

    def _add(self, kind, obj):
        if self.frozen:
            raise ConfigurationError(
                f"{obj}: the network was already built by run(); declare every {kind} before "
                f"the first run()")
        objects = self.populations if kind == "population" else self.projections
        clash = next((o for o in objects if o.label == obj.label), None)
        if clash is not None:
            # outputs (spikes.h5 populations, provenance tables, Neo blocks) are keyed by label
            raise ConfigurationError(
                f"{obj}: label {obj.label!r} is already used by the {kind} declared as number "
                f"{clash.index}; every {kind} needs its own label (its recordings and tables "
                f"are keyed by it): give another label=")
        objects.append(obj)

    @property
    def n_neurons(self):
        return sum(p.size for p in self.populations)

    def description(self):
        """[(where, what, value)] strings: every declared setting, in declaration order
        (spinn/model/describe.py); equal lists mean the same network."""
        items = [("setup", "timestep", f"{self.dt!r} ms"), ("setup", "seed", str(self.seed)),
                 ("setup", "neurons_per_core", str(self.neurons_per_core)),
                 ("setup", "time_scale_factor", repr(self.time_scale_factor))]
        for pop in self.populations:
            items.extend(pop.description())
        for proj in self.projections:
            items.extend(proj.description())
        for source in self.current_sources:
            items.extend(source.description())
        for pop, req in sorted(self.__dict__.get("live_outputs", {}).items()):
            items.append(("live output", self.populations[pop].label,
                          f"{req['host']}:{req['port']}, listener {req['listener']}"))
        for pop in self.populations:
            if getattr(pop.celltype, "one_core", False):
                items.append(("live input", pop.label, f"listener {pop.celltype.listener}"))
        for pop, req in sorted(self.__dict__.get("live_rate_controls", {}).items()):
            items.append(("live rate control", self.populations[pop].label,
                          f"{req['label']}, listener {req['listener']}"))
        for who in self.__dict__.get("live_listeners", ()):
            items.append(("live", "listener", str(who)))
        return items

    def report_rounding(self, what, message):
        """Warn once per network and kind ('delay', 'tau_refrac') that values were rounded
        onto the grid (UserWarning; rank 0 prints it when verbose)."""
        done = self.__dict__.setdefault("_rounding_reported", set())
        if what not in done:
            done.add(what)
            warnings.warn(message, UserWarning, stacklevel=4)

    def steps(self, ms, what):
        """ms → integer steps, insisting on a multiple of dt."""
        n = round(ms / self.dt)
        if ms < 0 or not math.isclose(n * self.dt, ms, rel_tol=1e-9, abs_tol=1e-9):
            raise ConfigurationError(
                f"{what} {ms:g} ms is not a non-negative multiple of dt = {self.dt:g} ms; "
                f"use a multiple such as {max(n, 1) * self.dt:g} ms")
        return n



def _check_label(label, kind):
    """A label is a string (outputs, tables and Neo blocks are keyed by it)."""
    if label is not None and not isinstance(label, str):
        raise ConfigurationError(
            f"{kind}: label {label!r} ({type(label).__name__}) is not a string; give "
            f"label=\"…\" (outputs are keyed by it)")


class Population:
    """``Population(size, IF_curr_exp(tau_m=10.0), label="exc")`` (PyNN)."""

    def __init__(self, network, size, cellclass, cellparams=None, initial_values=None,
                 label=None, neurons_per_core=None, structure=None):
        self.network = network
        self.index = len(network.populations)
        _check_label(label, "Population")
        self.label = label if label is not None else f"population{self.index}"
        if isinstance(cellclass, str):
            cellclass = REGISTRY.get(cellclass, cellclass)
        if isinstance(cellclass, type) and issubclass(cellclass, CellType):
            cellclass = self._make_celltype(cellclass, cellparams or {})
        elif cellparams:
            raise ConfigurationError(
                f"{self}: cellparams given with an already-constructed cell type; pass the "
                f"parameters to the cell type")
        if not isinstance(cellclass, CellType):
            raise ConfigurationError(
                f"{self}: cell type {cellclass!r} is not one of {', '.join(REGISTRY)}")
        if not isinstance(size, (int, np.integer)) or size <= 0:
            raise ConfigurationError(
                f"{self}: size {size!r} must be a positive integer; a population needs at "
                f"least one neuron")
        self.size = int(size)
        self.celltype = cellclass
        self.celltype.check(str(self), self.size)
        self._report_refractory()
        npc = network.neurons_per_core if neurons_per_core is None else int(neurons_per_core)
        if getattr(self.celltype, "one_core", False):   # live input enters at one core
            if self.size > MAX_NEURONS_PER_CORE:
                raise ConfigurationError(
                    f"{self}: a {self.celltype.name} of {self.size} neurons; at most "
                    f"{MAX_NEURONS_PER_CORE} (one core takes the live input, as on "
                    f"SpiNNaker): use several injector populations")
            npc = self.size
        if not 1 <= npc <= MAX_NEURONS_PER_CORE:
            raise ConfigurationError(
                f"{self}: neurons_per_core = {npc} must be in [1, {MAX_NEURONS_PER_CORE}]")
        # at most npc per core, cut as evenly as whole cores allow: 10 000 neurons at 256 give
        # 40 cores of 250 rather than 39 of 256 and one of 16, so ranks split populations evenly
        self.max_neurons_per_core = npc
        self.neurons_per_core = -(-self.size // -(-self.size // npc))
        self.gid_lo = network.n_neurons
        self.structure = structure if structure is not None else Line()
        self.structure.check(str(self), self.size)
        self._positions = None
        self.initial_values = {}
        self.recording = {}       # variable → (indices int64[] or None for all, interval ms)
        if hasattr(self.celltype, "check_dt"):
            self.celltype.check_dt(str(self), network.dt)
        self.initialize(**(initial_values or {}))
        network._add("population", self)

    def __str__(self):
        return f"Population '{self.label}'"

    def _make_celltype(self, cls, params):
        """cls(**params), naming this population in a bad-parameter error."""
        try:
            return cls(**params)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{self}: {exc}") from None

    def __len__(self):
        return self.size

    # ---- what Population and PopulationView share --------------------------------------
    @property
    def parent(self):
        return self

    @property
    def parent_ids(self):
        """int64[size]: the indices in the parent population (here: 0 .. size-1)."""
        return np.arange(self.size, dtype=np.int64)

    @property
    def positions(self):
        """float64[3, size]: neuron positions (µm) from the structure; same on every rank."""
        if self._positions is None:
            rng = np.random.Generator(np.random.PCG64(
                np.random.SeedSequence([self.network.seed, PURPOSE_POSITIONS, self.index])))
            self._positions = np.asarray(
                self.structure.generate_positions(self.size, rng), np.float64)
        return self._positions

    def __getitem__(self, selector):
        return PopulationView(self, selector)

    def _check_not_built(self, what):
        if self.network.frozen:
            raise ConfigurationError(
                f"{self}: {what} after the network was built is not supported; do it before "
                f"the first run()")

    def initialize(self, **values):
        """Initial values of state variables (scalar, per-neuron array or distribution)."""
        self._check_not_built("initialize()")
        for name, value in values.items():
            if name in self.celltype.state and not isinstance(value, RandomDistribution):
                value = numbers_array(value, f"{self}: initialize()", name,
                                      self.celltype.state[name].unit)
            self.celltype.check_initial(str(self), name, value, self.size)
            self.initial_values[name] = value

    def set(self, **params):
        """Change parameter values — before the first run, or between runs (PyNN's
        ``set``): a neuron model's parameters or a Poisson source's rate, start and duration
        take effect from the next run on, on every rank (collective then: every rank calls
        it).  The state (v, synaptic currents) is kept.  After the build, spike times of a
        SpikeSourceArray and the sources of live I/O are fixed."""
        trial = self._make_celltype(type(self.celltype), {**self.celltype.values, **params})
        trial.check(str(self), self.size)
        if self.network.frozen:
            if self.celltype.name in ("SpikeSourceArray", "SpikeInjector") or \
                    self.index in getattr(self.network, "live_rate_controls", {}):
                raise ConfigurationError(
                    f"{self}: set({', '.join(params)}=…) after the network was built: the "
                    f"{self.celltype.name} sources' events are fixed at the build; set them "
                    f"before the first run()")
            self.network.changed_parameters.add(self.index)
        self.celltype = trial
        self._report_refractory()

    def _report_refractory(self):
        tau = self.celltype.values.get("tau_refrac")
        if not self.celltype.refractory_grid or tau is None or \
                isinstance(tau, RandomDistribution):
            return
        dt = self.network.dt
        if off_grid(tau, dt):
            values = np.ravel(np.asarray(tau, np.float64))
            t = float(next(v for v in values if off_grid(v, dt)))   # one that is off it
            self.network.report_rounding(
                "tau_refrac", f"{self}: tau_refrac {t:g} ms is off the grid of dt = {dt:g} ms "
                f"and lasts {refractory_steps(t, dt) * dt:g} ms: refractory periods round up "
                f"to whole steps, as NEST's do")

    def inject(self, current_source):
        """Inject a current source (spinn.DCSource, ACSource, StepCurrentSource,
        NoisyCurrentSource) into these neurons; before the first run."""
        current_source.inject_into(self)

    def record(self, variables, indices=None, sampling_interval=None):
        """Record "spikes" and/or state variables ("v", "gsyn_exc", …), of all neurons or of
        the given indices; sampling_interval (ms, multiple of dt) for state variables."""
        self._check_not_built("record()")
        if isinstance(variables, str):
            variables = [variables]
        valid = self.celltype.recordable
        for var in variables:
            if var not in valid:
                raise ConfigurationError(
                    f"{self}: {self.celltype.name} cannot record {var!r}; recordable: "
                    f"{', '.join(valid)}")
        if indices is not None:
            indices = np.unique(np.asarray(indices, dtype=np.int64).ravel())
            if indices.size and (indices[0] < 0 or indices[-1] >= self.size):
                bad = indices[0] if indices[0] < 0 else indices[-1]
                raise ConfigurationError(
                    f"{self}: record index {bad} is outside [0, {self.size})")
        interval = self.network.dt if sampling_interval is None else float(sampling_interval)
        every = self.network.steps(interval, f"{self}: sampling_interval")
        if every < 1:
            raise ConfigurationError(f"{self}: sampling_interval must be ≥ dt")
        for var in variables:
            self.recording[var] = (indices, every)

    # ---- results: read back from each rank's spool (spinn/recording/results.py) -----------
    def get_spikes(self, gather=True):
        """SpikeData(times_ms float64[n], ids int64[n]) sorted by time then id; ids are
        population indices.  gather=True (default) is COLLECTIVE — call it on every rank:
        every rank gets all the population's spikes; gather=False returns this rank's
        neurons' spikes, without communication (may be called on one rank alone)."""
        return self._results("get_spikes", gather).spikes(self, gather)

    def get_data(self, variable, gather=True):
        """StateData(times_ms float64[T], ids int64[k], values float64[T, k]) for a recorded
        state variable.  gather=True (default) is COLLECTIVE, as get_spikes; gather=False
        gives this rank's recorded neurons only."""
        return self._results("get_data", gather, variable=variable).state(self, variable,
                                                                           gather)

    def mean_rate(self, t_start=0.0, t_stop=None):
        """Mean firing rate (Hz) of the recorded neurons over (t_start, t_stop] ms.
        COLLECTIVE (call it on every rank)."""
        return self._results("mean_rate", True).mean_rate(self, t_start, t_stop)

    def _results(self, call, gather, **args):
        state = run_state(self.network, f"{self}: {call}()")
        if gather:
            state.agree(call, population=repr(self.label), **args)
        return state.results

    def description(self):
        where = f"population '{self.label}'"
        items = [("size", self.size), ("cell type", self.celltype.name),
                 *((f"parameter {k}", value_text(v)) for k, v in self.celltype.values.items()),
                 ("neurons_per_core", self.neurons_per_core),
                 ("structure", value_text(self.structure)),
                 *((f"initial {k}", value_text(v)) for k, v in self.initial_values.items()),
                 *((f"record {var}", f"{value_text(idx)} every {every} steps")
                   for var, (idx, every) in self.recording.items())]
        return [(where, what, str(value)) for what, value in items]

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"label": self.label, "size": self.size, "gid_lo": self.gid_lo,
                "neurons_per_core": self.neurons_per_core, **self.celltype.describe()}


class PopulationView:
    """A subset of a Population: ``pop[10:20]``, ``pop[[1, 5, 7]]``, ``pop[mask]``.

    Usable as a projection endpoint and for recording.  Indices of a view are its own
    (0 .. size-1, in the order given); ``parent_ids`` maps them to the parent population.
    """

    def __init__(self, parent, selector, label=None):
        self._parent = parent.parent
        base = parent.parent_ids
        if isinstance(selector, slice):
            ids = base[selector]
        else:
            sel = np.asarray(selector)
            if sel.dtype == bool:
                if sel.shape != (base.size,):
                    raise ConfigurationError(
                        f"{parent}: boolean mask of shape {sel.shape} for {base.size} neurons; "
                        f"give one entry per neuron")
                ids = base[sel]
            else:
                if sel.size and sel.dtype.kind not in "iu":
                    raise ConfigurationError(
                        f"{parent}: view indices {selector!r} are not integers; give integer "
                        f"indices, a slice or a boolean mask")
                sel = sel.astype(np.int64).ravel()
                bad = sel[(sel < -base.size) | (sel >= base.size)]
                if bad.size:
                    raise ConfigurationError(
                        f"{parent}: view index {bad[0]} is outside [0, {base.size})")
                ids = base[sel]
        if ids.size == 0:
            raise ConfigurationError(f"{parent}: the view {selector!r} selects no neuron")
        if np.unique(ids).size != ids.size:
            raise ConfigurationError(f"{parent}: the view {selector!r} repeats neurons")
        self._ids = ids.astype(np.int64)
        self.size = int(ids.size)
        self.network = self._parent.network
        self.celltype = self._parent.celltype
        self.label = label or f"{self._parent.label}[{_describe_selector(selector)}]"

    def __str__(self):
        return f"PopulationView '{self.label}'"

    def __len__(self):
        return self.size

    @property
    def parent(self):
        return self._parent

    @property
    def parent_ids(self):
        return self._ids

    @property
    def positions(self):
        return self._parent.positions[:, self._ids]

    def __getitem__(self, selector):
        return PopulationView(self, selector)

    def inject(self, current_source):
        """Inject a current source (spinn.DCSource, ACSource, StepCurrentSource,
        NoisyCurrentSource) into these neurons; before the first run."""
        current_source.inject_into(self)

    def record(self, variables, sampling_interval=None):
        """Record these neurons (added to whatever the parent already records)."""
        if isinstance(variables, str):
            variables = [variables]
        for var in variables:
            old = self._parent.recording.get(var, (np.empty(0, np.int64), None))[0]
            indices = None if old is None else np.union1d(old, self._ids)
            self._parent.record(var, indices=indices, sampling_interval=sampling_interval)

    def get_spikes(self, gather=True):
        """SpikeData with ids in view coordinates (0 .. size-1), sorted by time then id;
        collective unless gather=False (as Population.get_spikes)."""
        s = self._parent.get_spikes(gather)
        local = np.full(self._parent.size, -1, np.int64)
        local[self._ids] = np.arange(self.size)
        view_ids = local[s.ids]
        keep = view_ids >= 0
        times, ids = s.times_ms[keep], view_ids[keep]
        order = np.lexsort((ids, times))
        return type(s)(times[order], ids[order])

    def get_data(self, variable, gather=True):
        d = self._parent.get_data(variable, gather)
        cols = np.searchsorted(d.ids, self._ids)
        ok = (cols < d.ids.size) & (d.ids[np.minimum(cols, d.ids.size - 1)] == self._ids)
        if not ok.all():
            raise KeyError(f"{self}: {variable!r} was not recorded for every neuron of the view")
        return type(d)(d.times_ms, np.arange(self.size), d.values[:, cols])

    def mean_rate(self, t_start=0.0, t_stop=None):
        """Mean firing rate (Hz) of the view's recorded neurons over (t_start, t_stop] ms.
        COLLECTIVE (call it on every rank)."""
        res = self._parent._results("mean_rate", True)
        rec = self._parent.recording.get("spikes")
        if rec is None:
            raise KeyError(f"{self}: spikes were not recorded; call record('spikes') first")
        n = self.size if rec[0] is None else np.intersect1d(rec[0], self._ids).size
        t_stop = res.simulated_steps * res.dt if t_stop is None else t_stop
        s = self._parent.get_spikes(gather=False)          # this rank's, then one allreduce
        mine = np.isin(s.ids, self._ids)
        t = s.times_ms[mine]
        count = res.comm.allreduce(int(np.count_nonzero((t > t_start) & (t <= t_stop))),
                                   "sum")
        span = (t_stop - t_start) / 1000.0
        return count / (n * span) if n and span > 0 else 0.0

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"view_of": self._parent.label, "size": self.size}


def _describe_selector(selector):
    if isinstance(selector, slice):
        return f"{'' if selector.start is None else selector.start}:" \
               f"{'' if selector.stop is None else selector.stop}" \
               + ("" if selector.step is None else f":{selector.step}")
    return f"{np.size(selector)} selected"
