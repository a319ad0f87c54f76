"""What every cell type declares, and the checks that go with it.

A cell type is one small class: its parameters (PyNN name → default, unit, bounds), its state
variables and their initial values, what can be recorded, its receptor names, ``prepare(P, dt)``
which turns per-neuron parameters into per-neuron constants once, and ``tick(...)`` which runs
a compiled kernel over every step of one tick for one group of local neurons.

Kernel contract (all models)::

    S     float64[n_state, n]   state, updated in place (rows in ``state`` order)
    C     float64[n_const, n]   constants from prepare()
    ring  float64[n_slots, n_receptors, n_local]  synaptic input, slot = step & slot_mask;
          the kernel reads slot (step0 + k) for its neurons [base, base + n) and clears it
    keys  uint32[n]             multicast key of each neuron
    out   uint64[:]             emitted packets, appended from n_out on:
                                step offset in the tick << 48 | key << 16 | count
    returns the new n_out.  Packets come out sorted by (step, key): steps outer, neurons
    inner, and keys increase with the neuron index inside a group.
"""

import math
from dataclasses import dataclass

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.errors import ConfigurationError, numbers_array


@dataclass(frozen=True)
class Param:
    """A declared parameter: default, unit, and the open/closed bounds it must respect."""

    default: float
    unit: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False  # True: value must be > low (time constants, capacitance)
    doc: str = ""

    def constraint(self):
        parts = []
        if self.low > -math.inf:
            parts.append(f"{'>' if self.low_open else '≥'} {self.low:g} {self.unit}".strip())
        if self.high < math.inf:
            parts.append(f"≤ {self.high:g} {self.unit}".strip())
        return " and ".join(parts) or "any value"

    def admits(self, lo, hi):
        """True when every value in [lo, hi] satisfies the bounds."""
        ok_low = lo > self.low if self.low_open else lo >= self.low
        return bool(ok_low and hi <= self.high)


@dataclass(frozen=True)
class State:
    """A state variable: unit and initial value (a number, or the name of a parameter)."""

    unit: str
    initial: object


def time_constant(default):
    """A time constant (ms): must be > 0."""
    return Param(default, "ms", 0.0, low_open=True)


def lif_parameters(**synaptic):
    """PyNN's leaky integrate-and-fire parameters and defaults, with the model's synaptic
    parameters (in the order given) after tau_refrac, where PyNN lists them."""
    return {
        "cm": Param(1.0, "nF", 0.0, low_open=True),
        "tau_m": time_constant(20.0),
        "tau_refrac": Param(0.1, "ms", 0.0),
        **synaptic,
        "v_rest": Param(-65.0, "mV"),
        "v_reset": Param(-65.0, "mV"),
        "v_thresh": Param(-50.0, "mV"),
        "i_offset": Param(0.0, "nA"),
    }


def describe_value(value, unit):
    if isinstance(value, RandomDistribution):
        return repr(value)
    if np.ndim(value):
        return f"array of {np.size(value)} values in [{np.min(value):g}, {np.max(value):g}] {unit}"
    return f"{float(value):g} {unit}".strip()


class CellType:
    """Base of all cell types.  Subclasses declare the class attributes below; each
    subclass's help() is its module's text (equations, integration scheme) followed by its
    parameters with units and defaults, state variables, recordables and receptors."""

    refractory_grid = False    # True: tau_refrac rounds up to whole steps, as NEST's
    injectable = True          # its kernel reads the current sources' channel of the ring

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__doc__" in cls.__dict__ and cls.__dict__["__doc__"]:
            return                                  # a class that says it itself
        import sys

        module = sys.modules.get(cls.__module__)
        text = (module.__doc__ or "").strip() if module is not None else ""
        cls.__doc__ = (text + "\n\n" if text else "") + describe_class(cls)

    parameters: dict = {}
    state: dict = {}
    recordable: tuple = ("spikes",)
    receptors: tuple = ("excitatory", "inhibitory")
    conductance_based = False
    is_source = False
    weight_unit = "nA"
    # kernels read their constants through spinn.kernels.params.at, so the build passes a
    # value shared by every neuron as a scalar; a kernel indexing C as a 2-D array sets False
    compact_constants = True
    # measured cost of one neuron for one step, in ns (placement balances it; mapping.place)
    step_ns = 1.0

    def __init__(self, **params):
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise ConfigurationError(
                f"{self.name}: unknown parameter {', '.join(map(repr, unknown))}; "
                f"valid parameters: {', '.join(self.parameters)}"
            )
        self.values = {k: p.default for k, p in self.parameters.items()}
        for k, v in params.items():
            d = self.parameters[k]
            self.values[k] = normalise_value(v, self.name, k, d.unit,
                                             d.default if np.ndim(d.default) == 0 else None)

    @property
    def name(self):
        return type(self).__name__

    # ---- checks, run by Population with its label and size -------------------------------
    def check(self, owner, size):
        """Check every value against its declared bounds; ``owner`` names the population."""
        for k, v in self.values.items():
            check_value(owner, k, v, self.parameters[k], size)
        self.check_relations(owner)

    def check_relations(self, owner):
        """Constraints between parameters (e.g. reset below threshold); override."""

    def check_initial(self, owner, name, value, size):
        if name not in self.state:
            raise ConfigurationError(
                f"{owner}: {self.name} has no state variable {name!r}; "
                f"valid ones: {', '.join(self.state) or 'none'}"
            )
        check_value(owner, name, value, Param(0.0, self.state[name].unit), size)

    # ---- runtime interface ------------------------------------------------------------
    def prepare(self, P, dt):
        """float64[n_const, n] from the per-neuron parameter arrays P (dict name → array)."""
        raise NotImplementedError

    def kernel(self):
        """The compiled tick kernel of a neuron model (signature in the module docstring)."""
        raise NotImplementedError

    def kernel_args(self, g):
        """The group's own leading arguments of ``kernel()``; every kernel ends with the tick
        arguments (ring, step0, slot_mask, n_steps, out, n_out) and returns the new n_out.
        Spike sources override this."""
        return (g.S, g.C, g.base, g.keys, g.rec_state, g.rec_lid, g.rec_buf)

    def describe(self):
        return {"cell_type": self.name, "parameters": {
            k: (v.to_dict() if isinstance(v, RandomDistribution)
                else (np.asarray(v).tolist() if np.ndim(v) else float(v)))
            for k, v in self.values.items()}}


def normalise_value(v, where="", name="", unit="", example=None):
    """A parameter's value as given: a distribution, a float or a float64 array; anything
    else (a string, None, …) is refused naming ``where`` and ``name``."""
    if isinstance(v, RandomDistribution):
        return v
    return numbers_array(v, where, name, unit, example)


def check_value(owner, name, value, param, size):
    """Raise ConfigurationError when ``value`` can violate ``param``'s bounds."""
    if isinstance(value, RandomDistribution):
        lo, hi = value.support()
        if not param.admits(lo, hi):
            raise ConfigurationError(
                f"{owner}: {name} = {value} can draw values in [{lo:g}, {hi:g}] but must be "
                f"{param.constraint()}; use a distribution whose support respects that "
                f"(e.g. normal_clipped with bounds)"
            )
        return
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != size):
        raise ConfigurationError(
            f"{owner}: {name} has shape {arr.shape}; give a scalar or one value per neuron "
            f"(shape ({size},))"
        )
    if arr.size and not np.all(np.isfinite(arr)):
        raise ConfigurationError(f"{owner}: {name} contains NaN or infinite values")
    if arr.size and not param.admits(arr.min(), arr.max()):
        raise ConfigurationError(
            f"{owner}: {name} = {describe_value(value, param.unit)} must be "
            f"{param.constraint()}; {fix_hint(name, param)}"
        )


def fix_hint(name, param):
    if param.low == 0 and param.low_open:
        return f"use a positive {name}"
    return f"give {name} within the allowed range"


def check_reset_below_threshold(owner, values):
    """v_reset < v_thresh for every neuron; a distribution is judged by its support."""
    reset, thresh = values["v_reset"], values["v_thresh"]
    drawn = isinstance(reset, RandomDistribution) or isinstance(thresh, RandomDistribution)
    if isinstance(reset, RandomDistribution):
        reset = reset.support()[1]
    if isinstance(thresh, RandomDistribution):
        thresh = thresh.support()[0]
    reset, thresh = np.broadcast_arrays(np.asarray(reset, np.float64),
                                        np.asarray(thresh, np.float64))
    bad = np.flatnonzero(reset.ravel() >= thresh.ravel())
    if bad.size:
        i = bad[0]
        where = f" (neuron {i})" if reset.ndim else (
            " (bounds of the distributions)" if drawn else "")
        raise ConfigurationError(
            f"{owner}: v_reset {reset.ravel()[i]:g} mV must be below v_thresh "
            f"{thresh.ravel()[i]:g} mV{where}; lower v_reset or raise v_thresh"
        )


def describe_class(cls):
    """Parameters (PyNN names, units, defaults, bounds), state, recordables, receptors."""
    lines = [f"{cls.__name__}(**parameters)", "", "Parameters (name: default unit):"]
    for name, p in cls.parameters.items():
        default = p.default if not isinstance(p.default, float) else f"{p.default:g}"
        bound = p.constraint()
        doc = f" — {p.doc}" if p.doc else ""
        lines.append(f"    {name}: {default} {p.unit}".rstrip()
                     + (f"   ({bound})" if bound != "any value" else "") + doc)
    if cls.state:
        lines += ["", "State variables (initial value; settable with initialize()):"]
        for name, st in cls.state.items():
            lines.append(f"    {name}: {st.unit}, initially {st.initial}")
    lines += ["", f"Recordable: {', '.join(cls.recordable)}",
              f"Receptor types: {', '.join(cls.receptors) or 'none (a source)'}",
              f"Weights in {cls.weight_unit}" + (" (conductance-based)"
                                                 if cls.conductance_based else "")]
    return "\n".join(lines)
