"""PyNN's current sources (pyNN.standardmodels.electrodes) on spinn's native ones.

Parameters are set on the PyNN object until it is injected; inject_into creates the native
source (spinn.model.electrodes) with PyNN's names, units and timing: the amplitude a source
has at the start of a step drives the neuron during that step, as pyNN.nest arranges it on
NEST.  Changing a parameter after the first run() is refused (spinn builds at the first run).
"""

import numpy as np
from pyNN import common
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

import spinn
from spinn.errors import ConfigurationError
from spinn.pynn import simulator

NEVER = 1e12       # PyNN's default stop: "until the end of the simulation"


def _plain(value):
    if isinstance(value, Sequence):
        return np.asarray(value.value, np.float64)
    if isinstance(value, np.ndarray) and value.dtype == object:
        return _plain(value.flat[0])
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.ravel()[0])
    return value


class _Source:
    """What the four sources share (mixed in before PyNN's classes)."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_native", None)
        electrodes.StandardCurrentSource.__init__(self, **parameters)
        self.set_native_parameters(self.translate(self.parameter_space))

    def set_native_parameters(self, parameters):
        if self._native is not None:
            raise ConfigurationError(
                f"{type(self).__name__}: parameters cannot change once the source is "
                f"injected (spinn builds the network at the first run); set them before")
        if parameters.shape is None:
            parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        for k, v in parameters.items():
            self._params[k] = _plain(v)

    def get_native_parameters(self):
        return ParameterSpace({k: (Sequence(v) if isinstance(v, np.ndarray) else v)
                               for k, v in self._params.items()})

    def _make_native(self):
        raise NotImplementedError

    def inject_into(self, cells):
        """Inject into a Population, PopulationView, Assembly or list of IDs (before the
        first run)."""
        if self._native is None:
            object.__setattr__(self, "_native", self._make_native())
        if isinstance(cells, common.Assembly):
            for p in cells.populations:
                self.inject_into(p)
            return
        if isinstance(cells, (common.Population, common.PopulationView)):
            self._native.inject_into(cells.native)
            return
        ids = list(cells)
        if not ids:
            return
        parents = sorted({id.parent for id in ids}, key=lambda q: int(q.first_id))
        for parent in parents:          # a stable order: the description lists targets
            mine = sorted(int(i) for i in ids if i.parent is parent)
            self.inject_into(parent[parent.id_to_index(np.asarray(mine))])

    def record(self):
        """Record the current this source injects (get_data() then gives it: nA, every dt,
        from t = 0 to now — the amplitude at each step's start, as pyNN.nest reports it)."""
        object.__setattr__(self, "_recorded", True)

    def _get_data(self):
        if not getattr(self, "_recorded", False):
            raise ConfigurationError(
                f"{type(self).__name__}: call record() before get_data()")
        if self._native is None:
            raise ConfigurationError(
                f"{type(self).__name__}: get_data() of a source never injected")
        from spinn import api
        dt = simulator.state.dt
        n = int(round(api.get_current_time() / dt)) + 1
        src = self._native
        if isinstance(src, spinn.NoisyCurrentSource):       # the first target's noise
            from spinn.runtime.currents import keyed_normals
            pop, idx = src.targets[0]
            steps = np.arange(n)
            _, on = src._window(0, n, dt)
            epoch = getattr(api.simulation(), "segments", 0)
            z = keyed_normals(pop.network.seed, src.index, steps // src.every(dt),
                              np.full(n, pop.gid_lo + (0 if idx is None else idx[0])), epoch)
            amp = np.where(on, src.mean + src.stdev * z, 0.0)
        else:
            amp = src.amplitudes(0, n, dt)
        return np.arange(n) * dt, amp

    def _stop(self):
        stop = float(self._params.get("stop", NEVER))
        return None if stop >= NEVER else stop


class DCSource(_Source, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))

    def _make_native(self):
        p = self._params
        return spinn.DCSource(amplitude=p["amplitude"], start=p["start"], stop=self._stop())


class ACSource(_Source, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop"),
        ("frequency", "frequency"), ("offset", "offset"), ("phase", "phase"))

    def _make_native(self):
        p = self._params
        return spinn.ACSource(start=p["start"], stop=self._stop(), amplitude=p["amplitude"],
                              offset=p["offset"], frequency=p["frequency"], phase=p["phase"])


class StepCurrentSource(_Source, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _make_native(self):
        p = self._params
        return spinn.StepCurrentSource(times=np.atleast_1d(p["times"]),
                                       amplitudes=np.atleast_1d(p["amplitudes"]))


class NoisyCurrentSource(_Source, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(("mean", "mean"), ("start", "start"), ("stop", "stop"),
                                      ("stdev", "stdev"), ("dt", "dt"))

    def _make_native(self):
        p = self._params
        return spinn.NoisyCurrentSource(mean=p["mean"], stdev=p["stdev"], start=p["start"],
                                        stop=self._stop(), dt=p.get("dt") or simulator.state.dt)
