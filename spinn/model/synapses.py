"""Synapse types: what a projection's synapses carry."""

import numpy as np

from spinn.distributions import RandomDistribution
from spinn.dynamics.stdp import (
    AdditiveWeightDependence,
    MultiplicativeWeightDependence,
    SpikePairRule,
)
from spinn.errors import ConfigurationError, numbers_array


class StaticSynapse:
    """A fixed weight and delay (PyNN).  weight: nA (current), µS (conductance) or mV (delta):
    PyNN's signs — negative onto the inhibitory receptor of current-based cells, positive
    everywhere else (conductances are positive).  delay: ms, default dt.
    Each may be a scalar, a RandomDistribution, or an array of shape (n_pre, n_post)."""

    def __init__(self, weight=0.0, delay=None):
        self.weight = _value(weight, "StaticSynapse", "weight")
        self.delay = None if delay is None else _value(delay, "StaticSynapse", "delay", "ms")

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"synapse": "StaticSynapse", "weight": _describe(self.weight),
                "delay": _describe(self.delay)}


def _value(v, where="synapse", name="weight", unit=""):
    """A weight or delay as given: a distribution, a float or a float64 array (numbers
    only; spinn.errors.numbers_array names what is not)."""
    if isinstance(v, RandomDistribution):
        return v
    return numbers_array(v, where, name, unit)


def _describe(v):
    if isinstance(v, RandomDistribution):
        return v.to_dict()
    if v is None or np.ndim(v) == 0:
        return v
    return {"array_shape": list(np.shape(v))}


class STDPMechanism:
    """Plastic synapses (PyNN): a timing dependence and a weight dependence.

    ``STDPMechanism(timing_dependence=SpikePairRule(...), weight_dependence=
    AdditiveWeightDependence(w_min, w_max) | MultiplicativeWeightDependence(...) |
    GutigWeightDependence(w_min, w_max, mu_plus, mu_minus), weight,
    delay)``.  The delay is entirely dendritic (dendritic_delay_fraction = 1, as on NEST);
    rule semantics in spinn/dynamics/stdp.py.
    """

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        self.timing = timing_dependence if timing_dependence is not None else SpikePairRule()
        self.weights = weight_dependence if weight_dependence is not None \
            else AdditiveWeightDependence()
        if not isinstance(self.timing, SpikePairRule):
            raise ConfigurationError(
                f"STDPMechanism: timing_dependence {self.timing!r} is not supported; use "
                f"SpikePairRule")
        if not isinstance(self.weights, (AdditiveWeightDependence,
                                         MultiplicativeWeightDependence)):
            raise ConfigurationError(
                f"STDPMechanism: weight_dependence {self.weights!r} is not supported; use "
                f"AdditiveWeightDependence, MultiplicativeWeightDependence or "
                f"GutigWeightDependence")
        if voltage_dependence is not None:
            raise ConfigurationError("STDPMechanism: voltage_dependence is not supported")
        if dendritic_delay_fraction != 1.0:
            raise ConfigurationError(
                f"STDPMechanism: dendritic_delay_fraction = {dendritic_delay_fraction} is not "
                f"supported; spinn (like NEST) treats the whole delay as dendritic (1.0)")
        self.weight = _value(weight, "STDPMechanism", "weight")
        self.delay = None if delay is None else _value(delay, "STDPMechanism", "delay", "ms")

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"synapse": "STDPMechanism", "timing": self.timing.describe(),
                "weights": self.weights.describe(), "weight": _describe(self.weight),
                "delay": _describe(self.delay)}
