"""Projection: how a script connects two populations or views — connector, synapse type,
receptor — validated as data on every rank alike (spinn/model/network.py holds the rest of
the description)."""

import math

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.errors import ConfigurationError
from spinn.kernels.grid import delay_steps_array, off_grid
from spinn.model.connectors import Connector
from spinn.model.cores import overlap
from spinn.model.describe import endpoint_text, value_text
from spinn.model.network import (
    MAX_DELAY_STEPS,
    Population,
    PopulationView,
    _check_label,
    run_state,
)
from spinn.model.synapses import StaticSynapse, STDPMechanism
from spinn.model.synapses import _value as _synapse_value


class Projection:
    """``Projection(pre, post, connector, synapse_type, receptor_type="excitatory")`` (PyNN).

    pre and post are Populations or PopulationViews."""

    def __init__(self, network, presynaptic, postsynaptic, connector, synapse_type=None,
                 receptor_type="excitatory", label=None):
        self.network = network
        self.index = len(network.projections)
        self.pre, self.post = presynaptic, postsynaptic
        # pre→post by default, numbered from the second projection of the pair on
        _check_label(label, "Projection")
        self.label = label if label is not None else network.free_label(
            "projection", f"{self.pre.label}→{self.post.label}")
        for end, pop in (("presynaptic", self.pre), ("postsynaptic", self.post)):
            if not isinstance(pop, (Population, PopulationView)) or pop.network is not network:
                raise ConfigurationError(
                    f"{self}: {end} population {pop!r} is not a Population of this network")
        if not isinstance(connector, Connector):
            raise ConfigurationError(f"{self}: connector {connector!r} is not a Connector")
        self.connector = connector
        self.synapse = synapse_type if synapse_type is not None else StaticSynapse()
        if not isinstance(self.synapse, (StaticSynapse, STDPMechanism)):
            raise ConfigurationError(
                f"{self}: synapse_type {self.synapse!r} is not supported; use StaticSynapse or "
                f"STDPMechanism")
        self.plastic = isinstance(self.synapse, STDPMechanism)
        receptors = self.post.celltype.receptors
        if receptor_type not in receptors:
            raise ConfigurationError(
                f"{self}: receptor_type {receptor_type!r} does not exist on "
                f"{self.post.celltype.name}; valid receptor types: "
                f"{', '.join(map(repr, receptors)) or 'none (it is a spike source)'}")
        self.receptor_type = receptor_type
        self.receptor = receptors.index(receptor_type)
        connector.check(str(self), self.pre.size, self.post.size,
                        self.pre.parent is self.post.parent and overlap(self.pre, self.post))
        self.delay_steps_range = self._check_delays()
        self._check_weights()
        if self.plastic:
            self._check_plastic_weights()
        network._add("projection", self)

    def __str__(self):
        return f"Projection '{self.label}'"

    @property
    def sign(self):
        """-1 for inhibitory current (or delta) synapses, whose weights are negative (PyNN's
        and NEST's convention); +1 otherwise.  sign * weight is the weight's magnitude."""
        celltype = self.post.celltype
        return -1.0 if self.receptor_type == "inhibitory" and not celltype.conductance_based \
            else 1.0

    def _sign_rule(self):
        """The sign the weights must have, as PyNN words it, and how to fix a wrong one."""
        if self.sign < 0:
            return "negative", ("current-based inhibitory weights are negative (PyNN's and "
                                "NEST's convention): give -|w|")
        what = "conductances" if self.post.celltype.conductance_based else "excitatory weights"
        return "positive", (f"{what} are positive; receptor_type='inhibitory' makes a "
                            f"current-based synapse inhibitory, with a negative weight")

    def _values(self, name):
        value = getattr(self.synapse, name)
        cols = getattr(self.connector, "columns", {})
        return cols[name] if name in cols else value

    def _check_delays(self):
        dt = self.network.dt
        delay = self._values("delay")
        if delay is None:
            return 1, 1
        if isinstance(delay, RandomDistribution):
            lo, hi = delay.support()
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ConfigurationError(
                    f"{self}: delay {delay} is unbounded; use normal_clipped (low ≥ dt = "
                    f"{dt:g} ms) or uniform")
        else:
            arr = np.asarray(delay, np.float64)
            self._check_shape("delay", arr)
            if arr.size == 0:            # a FromList column without connections
                return 1, 1
            lo, hi = float(arr.min()), float(arr.max())
        if lo < dt * (1 - 1e-9):
            raise ConfigurationError(
                f"{self}: delay {lo:g} ms is shorter than dt = {dt:g} ms; use a delay ≥ dt or "
                f"a smaller dt")
        max_ms = MAX_DELAY_STEPS * dt
        if hi > max_ms * (1 + 1e-9):
            raise ConfigurationError(
                f"{self}: delay {hi:g} ms exceeds the supported maximum {max_ms:g} ms "
                f"({MAX_DELAY_STEPS} steps of dt = {dt:g} ms); use a shorter delay or a larger "
                f"dt")
        if not isinstance(delay, RandomDistribution) and off_grid(arr, dt):
            bad = arr.ravel()[np.argmax(np.abs(arr.ravel() / dt - np.rint(arr.ravel() / dt)))]
            self.network.report_rounding(
                "delay", f"{self}: delay {bad:g} ms is off the grid of dt = {dt:g} ms and "
                f"becomes {delay_steps_array(bad, dt) * dt:g} ms: delays round to the nearest "
                f"step, halves up, as NEST rounds them")
        return int(delay_steps_array(lo, dt)), int(delay_steps_array(hi, dt))

    def _check_weights(self):
        weight = self._values("weight")
        unit = self.post.celltype.weight_unit
        must, fix = self._sign_rule()
        if isinstance(weight, RandomDistribution):
            lo, hi = weight.support()
            bad = lo < 0 if self.sign > 0 else hi > 0
            if bad:
                bound = "below" if self.sign > 0 else "above"
                raise ConfigurationError(
                    f"{self}: weight {weight} can be {'negative' if self.sign > 0 else 'positive'}"
                    f" but must be {must} here ({fix}); use a distribution bounded {bound} by 0 "
                    f"(e.g. normal_clipped with {'low' if self.sign > 0 else 'high'}=0)")
            return
        arr = np.asarray(weight, np.float64)
        self._check_shape("weight", arr)
        if arr.size and not np.all(np.isfinite(arr)):
            raise ConfigurationError(f"{self}: weight contains NaN or infinite values")
        if arr.size and (self.sign * arr).min() < 0:
            wrong = arr.min() if self.sign > 0 else arr.max()
            raise ConfigurationError(
                f"{self}: weight {wrong:g} {unit} is {'negative' if wrong < 0 else 'positive'};"
                f" it must be {must} here: {fix}")

    def _check_plastic_weights(self):
        wd = self.synapse.weights
        weight = self._values("weight")
        if isinstance(weight, RandomDistribution):     # the magnitudes' largest value
            hi = max(self.sign * b for b in weight.support())
        else:
            hi = float(np.max(self.sign * np.asarray(weight, np.float64))) if np.size(weight) \
                else 0.0
        if hi > wd.w_max * (1 + 1e-12):
            raise ConfigurationError(
                f"{self}: initial weight up to {hi:g} {self.post.celltype.weight_unit} exceeds "
                f"the weight dependence's w_max = {wd.w_max:g}; lower the weight or raise w_max")

    def _check_shape(self, name, arr):
        cols = getattr(self.connector, "columns", {})
        if arr.ndim == 0 or name in cols:
            return
        if arr.shape != (self.pre.size, self.post.size):
            raise ConfigurationError(
                f"{self}: {name} array has shape {arr.shape}; give a scalar, a "
                f"RandomDistribution or an array of shape ({self.pre.size}, {self.post.size})")

    def set(self, weight=None, delay=None):
        """New weights and/or delays for every synapse (a number, an (n_pre, n_post) array or
        a RandomDistribution), checked as at creation.  Before the first run, or — weights of
        static synapses only — between runs (collective then: every rank calls it): the
        next run regenerates each post core's synapses from the same streams with the new
        weights, in place (a transient second copy of the rank's static synapses).  Delays
        are fixed at the build (the tick and the ring depend on them), and plastic weights
        are the synapses' own."""
        if self.network.frozen:
            if delay is not None:
                raise ConfigurationError(
                    f"{self}: set(delay=…) after the network was built is not supported: the "
                    f"exchange tick and the ring buffer are sized by the delays; set them "
                    f"before the first run()")
            if self.plastic:
                raise ConfigurationError(
                    f"{self}: set(weight=…) on plastic synapses after the build is not "
                    f"supported (their weights are learned); set them before the first run()")
            if isinstance(getattr(self.connector, "columns", {}).get("weight"), np.ndarray):
                raise ConfigurationError(
                    f"{self}: set(weight=…) on a projection whose connector lists its weights "
                    f"({type(self.connector).__name__}) after the build: the list wins; give "
                    f"the weights before the first run()")
        old = (self.synapse.weight, self.synapse.delay)
        if weight is not None:
            self.synapse.weight = _synapse_value(weight, f"{self}: set()", "weight")
        if delay is not None:
            self.synapse.delay = _synapse_value(delay, f"{self}: set()", "delay", "ms")
        try:
            self.delay_steps_range = self._check_delays()
            self._check_weights()
            if self.plastic:
                self._check_plastic_weights()
        except ConfigurationError:
            self.synapse.weight, self.synapse.delay = old
            raise
        if self.network.frozen:
            self.network.changed_weights.add(self.index)

    def get(self, attribute, format="list", gather=True, multiple_synapses="sum"):
        """Current synapses: "weight" (PyNN units and signs: inhibitory current weights are
        negative; stored as float32, relative error ≤ 6e-8) or "delay" (ms).

        format "list": [(pre, post, value), …] sorted by (pre, post); "array": float64
        [n_pre, n_post] with NaN where there is no synapse (multapse weights summed).
        gather=True is COLLECTIVE — call it on every rank, as run(); gather=False returns this
        rank's synapses only, without communication.  Indices are endpoint (view) indices."""
        state = run_state(self.network, f"{self}: get()")
        if gather:
            state.agree("Projection.get", projection=repr(self.label), attribute=attribute)
        return state.synapse_reader.get(self, attribute, format, gather, multiple_synapses)

    def save(self, attribute, path, gather=True):
        """Write "pre post value" lines (text) on rank 0; collective like get()."""
        rows = self.get(attribute, "list", gather)
        if run_state(self.network, f"{self}: save()").comm.rank == 0:
            with open(path, "w") as f:
                f.write(f"# {self}: pre post {attribute}\n")
                for i, j, v in rows:
                    f.write(f"{i} {j} {v!r}\n")

    def size(self):
        """Total number of synapses (known after the network is built; no communication)."""
        state = run_state(self.network, f"{self}: size() is known after the first run();")
        return state.results.projection_sizes[self.index]

    def description(self):
        where = f"projection '{self.label}'"
        items = [("pre", endpoint_text(self.pre)), ("post", endpoint_text(self.post)),
                 ("connector", value_text(self.connector)),
                 ("synapse", value_text(self.synapse)), ("receptor_type", self.receptor_type)]
        return [(where, what, str(value)) for what, value in items]

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"label": self.label, "pre": self.pre.label, "post": self.post.label,
                "receptor_type": self.receptor_type, **self.connector.describe(),
                **self.synapse.describe()}
