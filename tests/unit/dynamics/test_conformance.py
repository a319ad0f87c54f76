"""Every cell type in spinn.dynamics.REGISTRY keeps the cell-type contract (spinn/dynamics/
base.py): declared parameters, state, recordables and receptors; a docstring with its
equations; validation of unknown parameters; heterogeneous per-neuron parameters; and
results that do not depend on the number of ranks.  Parametrized over the registry, so a
model added later is covered without touching this file."""

import math
import sys

import numpy as np
import pytest

import spinn as sim
from spinn.dynamics import REGISTRY
from spinn.dynamics.base import CellType, Param, State
from spinn.runtime.comm import run_threads

MODELS = sorted(REGISTRY.items())
NEURONS = [(name, cls) for name, cls in MODELS if not cls.is_source]
IDS = [name for name, _ in MODELS]
NEURON_IDS = [name for name, _ in NEURONS]

# Input weights that make every kind of model fire, by the unit its weights are in.  A model
# with a new weight unit fails test_state_recordables_and_receptors_are_consistent until a
# value is added here.
DRIVE_WEIGHT = {"nA": 1.5, "mV": 4.0, "µS": 0.05}
PARAM_SCALES = (1.0, 1.02, 0.98)   # per-neuron multiples of each default (keeps orderings)
ARRAY_TIMES = [[1.0, 5.0], [2.0], []]  # SpikeSourceArray: one sequence per neuron


def module_doc(cls):
    return (sys.modules[cls.__module__].__doc__ or "") + (cls.__doc__ or "")


def heterogeneous_params(cls, n=3):
    """name → float64[n]: each default times PARAM_SCALES, or the default where a scaled
    value would leave the declared bounds (SpikeSourceArray: one spike sequence each)."""
    if cls.__name__ == "SpikeSourceArray":
        return {"spike_times": ARRAY_TIMES[:n]}
    out = {}
    for name, p in cls.parameters.items():
        values = p.default * np.array(PARAM_SCALES[:n])
        out[name] = values if p.admits(values.min(), values.max()) else np.full(n, p.default)
    return out


def poisson_drive(n=20, rate_hz=150.0):
    return sim.Population(n, sim.SpikeSourcePoisson(rate=rate_hz), label="drive")


def drive(src, pop, cls, connector=None):
    """Input from ``src`` onto every receptor of ``pop`` (inhibition at half the weight,
    negative on current-based cells: PyNN's and NEST's sign convention)."""
    w = DRIVE_WEIGHT[cls.weight_unit]
    inh_scale = 0.5 if cls.conductance_based else -0.5
    for receptor, scale in zip(cls.receptors, (1.0, inh_scale)):
        sim.Projection(src, pop, connector or sim.FixedProbabilityConnector(0.5),
                       sim.StaticSynapse(weight=w * scale, delay=1.0), receptor_type=receptor)


# ---- declarations ------------------------------------------------------------------------

@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_parameters_declare_default_within_bounds_and_unit(name, cls):
    """Every parameter is a Param whose default lies within its own bounds and whose unit is
    a string; the registry key is the class name and the class is a CellType."""
    assert issubclass(cls, CellType) and cls.__name__ == name
    assert cls.parameters, f"{name} declares no parameters"
    for pname, p in cls.parameters.items():
        assert isinstance(p, Param), (name, pname)
        assert isinstance(p.unit, str), (name, pname)
        assert math.isfinite(p.default) and p.admits(p.default, p.default), (
            f"{name}.{pname}: default {p.default} violates {p.constraint()}")


@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_state_recordables_and_receptors_are_consistent(name, cls):
    """State initial values are numbers or parameter names; 'spikes' is recordable and every
    other recordable is a state variable; receptors are a tuple, empty exactly for sources."""
    for sname, st in cls.state.items():
        assert isinstance(st, State) and isinstance(st.unit, str), (name, sname)
        init = st.initial
        assert (isinstance(init, (int, float)) and not isinstance(init, bool)) or (
            isinstance(init, str) and init in cls.parameters), (name, sname, init)
    assert "spikes" in cls.recordable
    assert len(set(cls.recordable)) == len(cls.recordable)
    for var in cls.recordable:
        assert var == "spikes" or var in cls.state, (name, var)
    assert isinstance(cls.receptors, tuple)
    assert (len(cls.receptors) == 0) == cls.is_source, (name, cls.receptors)
    if not cls.is_source:
        assert cls.weight_unit in DRIVE_WEIGHT, (
            f"{name}: weight unit {cls.weight_unit!r} has no drive weight in this test")


@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_docstring_states_equations_and_every_parameter(name, cls):
    """The module (or class) docstring names every parameter and spikes; a neuron model's
    docstring also gives a differential equation (d…/dt) and its integration scheme."""
    doc = module_doc(cls)
    missing = [p for p in cls.parameters if p not in doc]
    assert not missing, f"{name}: docstring does not mention {missing}"
    assert "spike" in doc.lower()
    if not cls.is_source:
        assert "/dt" in doc, f"{name}: docstring gives no differential equation"
        assert "integrat" in doc.lower(), f"{name}: docstring does not state the scheme"


# ---- construction and validation ---------------------------------------------------------

@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_defaults_construct_and_build(name, cls):
    """cls() works, holds a value for every parameter, and a 2-neuron population of it
    builds and runs one step."""
    cell = cls()
    assert set(cell.values) == set(cls.parameters)
    sim.setup(timestep=0.1, seed=1, verbose=False)
    try:
        pop = sim.Population(2, cell)
        pop.record("spikes")
        sim.run(0.1)
        assert np.all(pop.get_spikes().ids < 2)
    finally:
        sim.end()


@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_unknown_parameter_raises_listing_valid_ones(name, cls):
    """An unknown parameter raises ConfigurationError naming it and every valid parameter."""
    with pytest.raises(sim.ConfigurationError) as info:
        cls(no_such_parameter=1.0)
    msg = str(info.value)
    assert "no_such_parameter" in msg and name in msg
    for valid in cls.parameters:
        assert valid in msg, (valid, msg)


# ---- running ---------------------------------------------------------------------------

def record_everything(pop, cls):
    """{variable: values[T, n]} for every recordable state variable, plus the spikes."""
    out = {"spikes": tuple(pop.get_spikes())}
    for var in cls.recordable:
        if var != "spikes":
            out[var] = pop.get_data(var)
    return out


@pytest.mark.parametrize("name,cls", MODELS, ids=IDS)
def test_heterogeneous_population_runs_and_records_everything(name, cls):
    """3 neurons with per-neuron parameter arrays (defaults × 1, 1.02, 0.98) run 20 ms and
    record every recordable: 201 finite samples per state variable (t = 0 included).  A
    neuron model's 3 neurons, driven identically, behave exactly like 3 one-neuron
    populations given the same values as scalars, and not all alike (the arrays reach the
    kernel, neuron by neuron)."""
    params = heterogeneous_params(cls)
    sim.setup(timestep=0.1, seed=3, verbose=False)
    try:
        pop = sim.Population(3, cls(**params), label="het")
        singles = []
        if not cls.is_source:
            src = poisson_drive()
            singles = [sim.Population(1, cls(**{k: v[i] for k, v in params.items()}))
                       for i in range(3)]
            for target in [pop] + singles:
                drive(src, target, cls, sim.AllToAllConnector())
        for target in [pop] + singles:
            target.record(list(cls.recordable))
        sim.run(20.0)
        het = record_everything(pop, cls)
        single = [record_everything(p, cls) for p in singles]
    finally:
        sim.end()
    times, ids = het["spikes"]
    assert np.all((ids >= 0) & (ids < 3)) and np.all((times > 0) & (times <= 20.0))
    for var, (t, rec_ids, values) in ((k, v) for k, v in het.items() if k != "spikes"):
        assert values.shape == (201, 3) and np.array_equal(rec_ids, np.arange(3)), var
        assert t[0] == 0.0 and abs(t[-1] - 20.0) < 1e-9
        assert np.all(np.isfinite(values)), var
    if name == "SpikeSourceArray":
        expected = sorted((t, i) for i, seq in enumerate(ARRAY_TIMES) for t in seq)
        assert sorted(zip(np.round(times, 9).tolist(), ids.tolist())) == expected
    if cls.is_source:
        return
    states = [k for k in het if k != "spikes"]
    assert states, f"{name} records no state variable"
    for i, one in enumerate(single):
        assert np.array_equal(np.sort(times[ids == i]), np.sort(one["spikes"][0])), (name, i)
        for var in states:
            assert np.array_equal(het[var][2][:, i], one[var][2][:, 0]), (name, var, i)
    assert any(not np.array_equal(het[v][2][:, 0], het[v][2][:, 1]) for v in states), (
        f"{name}: heterogeneous parameters gave identical traces")


def small_network(comm, cls):
    """Poisson drive and sparse recurrence onto 24 neurons of ``cls``, 4 per core, so the
    population spans several cores (and ranks)."""
    sim.setup(timestep=0.1, seed=5, neurons_per_core=4, comm=comm, verbose=False)
    pop = sim.Population(24, cls(), label="pop")
    drive(poisson_drive(), pop, cls)
    w = DRIVE_WEIGHT[cls.weight_unit]
    sim.Projection(pop, pop, sim.FixedProbabilityConnector(0.2, allow_self_connections=False),
                   sim.StaticSynapse(weight=0.5 * w,
                                     delay=sim.RandomDistribution("uniform", (0.5, 2.0))))
    pop.record(list(cls.recordable))
    sim.run(30.0)
    out = {"spikes": tuple(pop.get_spikes())}
    for var in cls.recordable:
        if var != "spikes":
            out[var] = tuple(pop.get_data(var))
    sim.end()
    return out


@pytest.mark.parametrize("name,cls", NEURONS, ids=NEURON_IDS)
def test_same_spikes_and_state_on_one_and_two_ranks(name, cls):
    """The same small recurrent network on 1 and 2 ThreadComm ranks gives bit-identical
    spikes and recorded state (np.array_equal), and it does spike."""
    one = run_threads(1, lambda comm: small_network(comm, cls))[0]
    two = run_threads(2, lambda comm: small_network(comm, cls))
    assert one["spikes"][0].size > 0, f"{name}: the network is silent"
    for per_rank in two:
        assert per_rank.keys() == one.keys()
        for key in one:
            for a, b in zip(one[key], per_rank[key], strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b), (name, key)
