"""Synapse types: what a projection's synapses carry."""

import numpy as np

from spinn.distributions import RandomDistribution


class StaticSynapse:
    """A fixed weight and delay (PyNN).  weight: nA (current), µS (conductance) or mV (delta);
    positive — the receptor type decides excitation or inhibition.  delay: ms, default dt.
    Each may be a scalar, a RandomDistribution, or an array of shape (n_pre, n_post)."""

    def __init__(self, weight=0.0, delay=None):
        self.weight = _value(weight)
        self.delay = None if delay is None else _value(delay)

    def describe(self):
        return {"synapse": "StaticSynapse", "weight": _describe(self.weight),
                "delay": _describe(self.delay)}


def _value(v):
    if isinstance(v, RandomDistribution) or np.ndim(v) == 0:
        return v if isinstance(v, RandomDistribution) else float(v)
    return np.asarray(v, dtype=np.float64)


def _describe(v):
    if isinstance(v, RandomDistribution):
        return v.to_dict()
    if v is None or np.ndim(v) == 0:
        return v
    return {"array_shape": list(np.shape(v))}
