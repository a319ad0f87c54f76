"""PyNN's Population, PopulationView and Assembly (pyNN.common) over spinn's native
populations.

Every rank holds the whole PyNN bookkeeping of a population (its IDs, what is recorded),
as with pyNN.nest; which rank simulates a neuron is decided by spinn's placement at the first
run(), so every cell counts as local here and the getters return the whole population on
every rank (they are collective, as spinn's native getters).
"""

import numpy as np
from pyNN import common
from pyNN import space as pynn_space
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

import spinn
from spinn import api
from spinn.errors import ConfigurationError
from spinn.model import space as native_space
from spinn.pynn import simulator
from spinn.pynn.recording import Recorder
from spinn.pynn.values import native_value


class Assembly(common.Assembly):
    """PyNN's Assembly (a group of populations and views) on spinn's engine."""

    _simulator = simulator

    def get_data(self, variables="all", gather=True, clear=False, annotations=None):
        return super().get_data(variables, False, clear, annotations)


def _native_structure(structure):
    """The native structure of the same name and parameters (positions drawn from spinn's
    streams for random structures)."""
    name = type(structure).__name__
    params = {k: v for k, v in structure.get_parameters().items() if k != "rng"}
    if "aspect_ratios" in params:                       # Grid3D keeps its two as one tuple
        params["aspect_ratioXY"], params["aspect_ratioXZ"] = params.pop("aspect_ratios")
    if isinstance(structure, pynn_space.RandomStructure):
        b = structure.boundary
        bparams = dict(b.get_parameters()) if hasattr(b, "get_parameters") else dict(vars(b))
        boundary = getattr(native_space, type(b).__name__)(**bparams)
        return native_space.RandomStructure(boundary, origin=tuple(structure.origin))
    native = getattr(native_space, name, None)
    if native is None:
        raise ConfigurationError(f"structure {name} is not supported by spinn")
    return native(**params)


class _NativeMixin:
    """What Population and PopulationView share: the native object and parameter access."""

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            return self.celltype.reverse_translate(self._get_native_parameters(*native_names))
        return self._get_native_parameters(*names)

    def _get_native_parameters(self, *names):
        root = self.grandparent if isinstance(self, PopulationView) else self
        values = {**root._native.celltype.values, **getattr(root, "_nest_extra", {})}
        out = {}
        for name in names:
            v = values[name]
            if isinstance(v, spinn.RandomDistribution):
                raise ConfigurationError(
                    f"{self}: get({name!r}): the values of {v} are drawn at the build on the "
                    f"ranks that own the neurons; give the distribution a seeded "
                    f"NumpyRNG(seed=…) to have PyNN draw them, then get() returns them")
            if isinstance(v, np.ndarray) and v.ndim == 1 and v.size == root.size:
                v = v[self._root_indices()] if root is not self else v
            out[name] = simplify(v) if not isinstance(v, list) else v
        return ParameterSpace(out, shape=(self.size,))

    def _root_indices(self):
        if isinstance(self, PopulationView):
            return np.asarray(self.index_in_grandparent(np.arange(self.size)), np.int64)
        return np.arange(self.size)

    def _set_parameters(self, parameter_space):
        root = self.grandparent if isinstance(self, PopulationView) else self
        idx = self._root_indices()
        new = {}
        current = {**root._native.celltype.values, **getattr(root, "_nest_extra", {})}
        for name, value in parameter_space.items():
            v = native_value(value, self, name, self.size)
            if root is not self and name == "spike_times":      # one sequence per neuron
                old = current[name]
                per = list(old) if len(old) == root.size and all(
                    np.ndim(x) == 1 for x in old) else [np.asarray(old, np.float64)] * root.size
                mine = v if isinstance(v, list) else [np.asarray(v, np.float64)] * self.size
                for k, seq in zip(idx, mine):
                    per[int(k)] = np.asarray(seq, np.float64)
                v = per
            elif root is not self:
                full = current[name]
                if isinstance(full, spinn.RandomDistribution):
                    raise ConfigurationError(
                        f"{self}: set({name}=…) on a view of a population whose {name} is a "
                        f"native distribution; set the whole population")
                full = np.broadcast_to(np.asarray(full, np.float64), (root.size,)).copy()
                full[idx] = v
                v = full
            new[name] = v
        extra = getattr(root, "_nest_extra", {})
        for name in list(new):
            if name in extra:
                if api.current().frozen:
                    raise ConfigurationError(
                        f"{self}: set({name}=…) after the build; set it before the first run")
                extra[name] = new.pop(name)
        if new:
            root._native.set(**new)

    def _set_initial_value_array(self, variable, initial_values):
        root = self.grandparent if isinstance(self, PopulationView) else self
        v = native_value(initial_values, self, variable, self.size)
        variable = getattr(root.celltype, "native_variables", {}).get(variable, variable)
        if root is not self:
            old = root._native.initial_values.get(variable, root.celltype.default_initial_values
                                                  .get(variable, 0.0))
            if isinstance(v, spinn.RandomDistribution) or \
                    isinstance(old, spinn.RandomDistribution):
                raise ConfigurationError(
                    f"{self}: initialize({variable}=…) with a native distribution on a view; "
                    f"initialise the whole population, or use a seeded NumpyRNG")
            full = np.broadcast_to(np.asarray(old, np.float64), (root.size,)).copy()
            full[self._root_indices()] = v
            v = full
        root._native.initialize(**{variable: v})

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def get_data(self, variables="all", gather=True, clear=False, locations=None):
        """Neo Block of what was recorded (COLLECTIVE on several ranks: every rank gets the
        whole population)."""
        return self.recorder.get(variables, gather, self._record_filter, clear,
                                 annotations=self.annotations)

    def get_spike_counts(self, gather=True):
        """{ID: spike count} of the recorded neurons (COLLECTIVE)."""
        return self.recorder.count("spikes", gather, self._record_filter)

    def inject(self, current_source):
        """Inject a spinn.pynn current source into these neurons (before the first run)."""
        current_source.inject_into(self)

    @property
    def native(self):
        """The spinn native Population or PopulationView underneath."""
        if isinstance(self, PopulationView):
            return self.grandparent._native[self._root_indices()]
        return self._native


class PopulationView(_NativeMixin, common.PopulationView):
    """PyNN's PopulationView (a subset of a population's neurons) on spinn's engine."""

    _assembly_class = Assembly
    _simulator = simulator


class Population(_NativeMixin, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        first = simulator.state.id_counter
        # one ID class per population, with the population as its class attribute `parent`:
        # no attribute set per cell (IDs are pyNN.common.IDMixin ints, as in pyNN.nest)
        cls = type("ID", (simulator.ID,), {"parent": self, "__slots__": ()})
        self.all_cells = np.empty(self.size, dtype=object)
        self.all_cells[:] = list(map(cls, range(first, first + self.size)))
        self._mask_local = np.ones(self.size, bool)
        simulator.state.id_counter += self.size
        ct = self.celltype
        if not isinstance(ct, StandardCellType) or not hasattr(ct, "native"):
            raise ConfigurationError(
                f"Population '{self.label}': cell type {type(ct).__name__} is not one of "
                f"spinn's ({', '.join(c.__name__ for c in _cell_types())})")
        ps = ct.native_parameters
        ps.shape = (self.size,)
        params = {name: native_value(ps[name], f"Population '{self.label}'", name, self.size)
                  for name in ps.keys()}
        # NEST's archiving-node parameters (tau_minus) live beside the native cell
        self._nest_extra = {k: params.pop(k) for k in getattr(ct, "nest_extra", ())}
        structure = _native_structure(self._structure)
        self._native = api.Population(
            self.size, ct.native(**params),
            label=api.current().free_label("population", self.label), structure=structure)

    def _get_positions(self):
        return self._native.positions

    def _set_positions(self, pos_array):
        raise ConfigurationError(
            f"Population '{self.label}': positions come from the structure in spinn; give "
            f"structure=… when creating the population")

    positions = property(_get_positions, _set_positions)

    def id_to_index(self, id):
        if isinstance(id, (int, np.integer)):
            if not self.first_id <= id <= self.last_id:
                raise IndexError(f"id {id} is not in Population '{self.label}'")
            return int(id) - int(self.first_id)
        ids = np.asarray(id, np.int64)
        if ids.size and (ids.min() < self.first_id or ids.max() > self.last_id):
            raise IndexError(f"some ids are not in Population '{self.label}'")
        return ids - int(self.first_id)


def _cell_types():
    from spinn.pynn.standardmodels import CELL_TYPES
    return CELL_TYPES
