"""Current sources (PyNN's electrodes): DCSource, StepCurrentSource, ACSource,
NoisyCurrentSource — descriptions; the engine side is spinn/runtime/currents.py.

Timing, as PyNN's sources behave on NEST (pyNN.nest corrects NEST's device delay so that a
change "takes effect at the target" at the given time): the amplitude a source has at the
start t_k = k·dt of a step drives the neuron during that step, as i_offset does — so a
DCSource(start=10) first moves v at 10 + dt.  Start and stop round to the nearest step, halves up (as NEST's
times); StepCurrentSource times round as pyNN.nest rounds them (numpy's rint).  A change takes
effect at its own time even before min_delay (pyNN.nest cannot: NEST's device delay makes it
clamp such times to min_delay).
A source is on for start ≤ t_k < stop.  Currents are in nA, times in ms, frequencies in Hz,
phases in degrees.  NoisyCurrentSource draws a new value mean + stdev·N(0, 1) every ``dt``
ms (its own, a multiple of the time step), independently for every target neuron, from
spinn's keyed streams (the same on any rank count).
"""

import math
import zlib

import numpy as np

from spinn.errors import ConfigurationError, number

INF = math.inf


def _number(owner, name, value, low=-INF, strict=False):
    v = number(value, owner, name)
    if math.isnan(v) or (v <= low if strict else v < low):
        raise ConfigurationError(
            f"{owner}: {name} = {v:g} must be {'>' if strict else '≥'} {low:g}")
    return v


def _step(t_ms, dt):
    """The step of a start or stop time: the nearest, halves up (as NEST's times)."""
    return int(np.floor(t_ms * (1.0 / dt) + 0.5))


class CurrentSource:
    """What every source shares: its targets (population, indices) and its index."""

    kind = ""

    def __init__(self):
        self.targets = []        # [(Population, int64 indices in the parent, or None: all)]
        self.index = None
        self.network = None

    def inject_into(self, cells):
        """Inject this source's current into a Population or PopulationView (its neurons
        each receive the full amplitude).  Before the first run."""
        from spinn.model.network import Population, PopulationView
        if not isinstance(cells, (Population, PopulationView)):
            raise ConfigurationError(
                f"{self}: inject_into takes a Population or PopulationView, not "
                f"{type(cells).__name__}")
        parent = cells.parent
        if parent.celltype.is_source:
            raise ConfigurationError(
                f"{self}: cannot inject current into {parent}, a spike source")
        if not parent.celltype.injectable:
            raise ConfigurationError(
                f"{self}: current injection into {parent}'s {parent.celltype.name} is not "
                f"supported")
        net = parent.network
        if net.frozen:
            raise ConfigurationError(
                f"{self}: inject_into {parent} after the network was built; inject before "
                f"the first run()")
        self.check(net.dt)
        if self.network is None:
            self.network = net
            self.index = len(net.current_sources)
            net.current_sources.append(self)
        elif self.network is not net:
            raise ConfigurationError(f"{self}: belongs to another network")
        # a whole population is None, not an array over all its neurons on every rank
        self.targets.append((parent, None if cells is parent else
                             np.asarray(cells.parent_ids, np.int64)))

    def __str__(self):
        return f"{type(self).__name__}" + (f" #{self.index}" if self.index is not None else "")

    def parameters(self):
        """The source's parameters by PyNN's names (nA, ms, Hz)."""
        return {}

    def check(self, dt):
        """Raise ConfigurationError for settings the time step makes impossible."""

    def description(self):
        where = f"current source {self.index}"
        items = [(where, "type", type(self).__name__)]
        items += [(where, k, repr(v)) for k, v in self.parameters().items()]
        for pop, idx in self.targets:
            items.append((where, "target", f"{pop.label}" if idx is None else
                          f"{pop.label}[{idx.size} neurons, {zlib.crc32(idx.tobytes()):08x}]"))
        return items

    # ---- amplitudes on the step grid: float64[n] for steps step0 .. step0 + n - 1 --------
    def _window(self, step0, n, dt):
        k = step0 + np.arange(n)
        lo = _step(self.start, dt)
        hi = INF if self.stop == INF else _step(self.stop, dt)
        return k, (k >= lo) & (k < hi)


class DCSource(CurrentSource):
    """A constant current ``amplitude`` (nA) for start ≤ t < stop (ms)."""

    def __init__(self, amplitude=1.0, start=0.0, stop=None):
        super().__init__()
        self.amplitude = _number(self, "amplitude", amplitude)
        self.start = _number(self, "start", start, 0.0)
        self.stop = INF if stop is None else _number(self, "stop", stop, 0.0)

    def parameters(self):
        """The source's parameters by PyNN's names (nA, ms, Hz)."""
        return {"amplitude": self.amplitude, "start": self.start, "stop": self.stop}

    def amplitudes(self, step0, n, dt):
        """float64[n]: the amplitude in nA at the start of each step step0 .. step0+n-1."""
        _, on = self._window(step0, n, dt)
        return np.where(on, self.amplitude, 0.0)


class ACSource(CurrentSource):
    """offset + amplitude · sin(2π frequency (t − start) / 1000 + phase°) for start ≤ t <
    stop (nA, Hz, degrees, ms)."""

    def __init__(self, start=0.0, stop=None, amplitude=1.0, offset=0.0, frequency=10.0,
                 phase=0.0):
        super().__init__()
        self.start = _number(self, "start", start, 0.0)
        self.stop = INF if stop is None else _number(self, "stop", stop, 0.0)
        self.amplitude = _number(self, "amplitude", amplitude)
        self.offset = _number(self, "offset", offset)
        self.frequency = _number(self, "frequency", frequency, 0.0)
        self.phase = _number(self, "phase", phase)

    def parameters(self):
        """The source's parameters by PyNN's names (nA, ms, Hz)."""
        return {k: getattr(self, k) for k in ("start", "stop", "amplitude", "offset",
                                              "frequency", "phase")}

    def amplitudes(self, step0, n, dt):
        """float64[n]: the amplitude in nA at the start of each step step0 .. step0+n-1."""
        k, on = self._window(step0, n, dt)
        t = k * dt - _step(self.start, dt) * dt
        value = self.offset + self.amplitude * np.sin(
            2.0 * np.pi * self.frequency * t / 1000.0 + np.deg2rad(self.phase))
        return np.where(on, value, 0.0)


class StepCurrentSource(CurrentSource):
    """amplitudes[i] (nA) from times[i] (ms) until the next time; 0 before the first."""

    def __init__(self, times=(), amplitudes=()):
        super().__init__()
        self.times = np.asarray(times, np.float64).ravel()
        self.values = np.asarray(amplitudes, np.float64).ravel()
        if self.times.size != self.values.size:
            raise ConfigurationError(
                f"{self}: {self.times.size} times but {self.values.size} amplitudes; give one "
                f"amplitude per time")
        if self.times.size and (np.any(~np.isfinite(self.times)) or self.times.min() < 0):
            raise ConfigurationError(f"{self}: times must be finite and ≥ 0 ms")
        if self.times.size > 1 and np.any(np.diff(self.times) <= 0):
            raise ConfigurationError(f"{self}: times must increase strictly")
        if np.any(~np.isfinite(self.values)):
            raise ConfigurationError(f"{self}: amplitudes must be finite numbers (nA)")
        self.start, self.stop = 0.0, INF

    def parameters(self):
        """The source's parameters by PyNN's names (nA, ms, Hz)."""
        return {"times": self.times.tolist(), "amplitudes": self.values.tolist()}

    def amplitudes(self, step0, n, dt):
        """float64[n]: the amplitude in nA at the start of each step step0 .. step0+n-1."""
        if not self.times.size:
            return np.zeros(n)
        k = step0 + np.arange(n)
        at = np.rint(self.times / dt).astype(np.int64)
        # several times on one step: the last one's amplitude (as pyNN.nest keeps it)
        last = np.searchsorted(at, k, side="right") - 1
        return np.where(last >= 0, self.values[np.maximum(last, 0)], 0.0)


class NoisyCurrentSource(CurrentSource):
    """mean + stdev · N(0, 1) (nA), a new value every ``dt`` ms (default: the time step),
    independent for every target, for start ≤ t < stop."""

    def __init__(self, mean=0.0, stdev=1.0, start=0.0, stop=None, dt=None):
        super().__init__()
        self.mean = _number(self, "mean", mean)
        self.stdev = _number(self, "stdev", stdev, 0.0)
        self.start = _number(self, "start", start, 0.0)
        self.stop = INF if stop is None else _number(self, "stop", stop, 0.0)
        self.dt = None if dt is None else _number(self, "dt", dt, 0.0, strict=True)

    def parameters(self):
        """The source's parameters by PyNN's names (nA, ms, Hz)."""
        return {k: getattr(self, k) for k in ("mean", "stdev", "start", "stop", "dt")}

    def check(self, dt):
        self.every(dt)

    def every(self, dt):
        """Steps per noise interval."""
        if self.dt is None:
            return 1
        m = self.dt / dt
        if abs(m - round(m)) > 1e-9 or round(m) < 1:
            raise ConfigurationError(
                f"{self}: dt = {self.dt:g} ms must be a whole multiple of the time step "
                f"{dt:g} ms")
        return int(round(m))
