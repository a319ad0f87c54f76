"""PyNN values (lazy arrays, pyNN.random distributions) → spinn's native values.

A distribution drawn from a seeded, parallel-safe pyNN.random RNG is evaluated by PyNN
itself, so a population's parameters and initial values are the numbers pyNN.nest would
draw from that RNG — the whole population on every rank, as in PyNN.  Any other distribution
(an unseeded or parallel-unsafe RNG, and every per-synapse weight and delay) becomes spinn's
native RandomDistribution, drawn from spinn's keyed streams: the same on any rank count,
computed only where it is used.
"""

import numpy as np
from lazyarray import larray
from pyNN import random as pynn_random

import spinn
from spinn.errors import ConfigurationError


def native_distribution(dist, owner, name):
    """spinn.RandomDistribution with the same name and parameters."""
    try:
        return spinn.RandomDistribution(dist.name, dict(dist.parameters))
    except ConfigurationError as e:
        raise ConfigurationError(f"{owner}: {name}: {e}") from None


def seeded(dist):
    rng = getattr(dist, "rng", None)
    return (rng is not None and getattr(rng, "seed", None) is not None
            and getattr(rng, "parallel_safe", False))


def native_value(value, owner, name, size=None, per_synapse=False):
    """A float, a float64 array, a spinn.RandomDistribution, or (spike times) a list."""
    base = value.base_value if isinstance(value, larray) else value
    ops = value.operations if isinstance(value, larray) else []
    if isinstance(base, pynn_random.RandomDistribution) and not ops:
        if per_synapse or not seeded(base):
            return native_distribution(base, owner, name)
    if isinstance(value, larray) and not ops and not callable(base) and \
            not isinstance(base, pynn_random.RandomDistribution):
        if np.ndim(base) == 0 and not hasattr(base, "value"):
            return float(base)
        if per_synapse:
            return np.asarray(base, np.float64)
    if isinstance(value, larray) and ops and np.ndim(base) == 0 and not callable(base) and \
            not isinstance(base, pynn_random.RandomDistribution):
        value.shape = (1,)                  # a number with a unit translation applied
        return float(np.ravel(value.evaluate(simplify=True))[0])
    if isinstance(value, larray):
        if per_synapse and (callable(base) or ops):
            raise ConfigurationError(
                f"{owner}: {name} {base!r} (a function or an expression of the distance) is "
                f"not supported on synapses yet; give a number, an array or a "
                f"RandomDistribution")
        if size is not None:
            value.shape = (size,)
        if value.is_homogeneous:
            v = value.evaluate(simplify=True)
        else:
            v = value.evaluate(simplify=False)
    else:
        v = value
    if isinstance(v, np.ndarray) and v.dtype == object:       # Sequence (spike times)
        return [np.asarray(getattr(s, "value", s), np.float64) for s in v]
    if hasattr(v, "value") and not isinstance(v, np.ndarray):  # a Sequence
        return np.asarray(v.value, np.float64)
    if np.ndim(v) == 0:
        return float(v)
    return np.asarray(v, np.float64)
