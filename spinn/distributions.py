"""Random distributions for parameters, initial values, weights and delays.

PyNN's spelling: ``RandomDistribution("uniform", low=0.0, high=20.0)`` or positional
``RandomDistribution("uniform", (0.0, 20.0))``.  A distribution is a description; values are
drawn from a numpy ``Generator`` that the caller keys by what the values describe (never by
rank), so every rank count draws the same numbers.
"""

import math

import numpy as np

from spinn.errors import ConfigurationError

_SPECS = {
    # name: (parameter names in positional order, support(params) -> (low, high))
    "uniform": (("low", "high"), lambda p: (p["low"], p["high"])),
    "normal": (("mu", "sigma"), lambda p: (-math.inf, math.inf)),
    "normal_clipped": (
        ("mu", "sigma", "low", "high"),
        lambda p: (p["low"], p["high"]),
    ),
}


class RandomDistribution:
    """A named distribution with its parameters (PyNN names)."""

    def __init__(self, distribution, parameters=None, **kwargs):
        if distribution not in _SPECS:
            raise ConfigurationError(
                f"RandomDistribution: unknown distribution {distribution!r}; "
                f"use one of {sorted(_SPECS)}"
            )
        names, _ = _SPECS[distribution]
        params = {}
        if parameters is not None:
            if isinstance(parameters, dict):
                params.update(parameters)
            else:
                params.update(zip(names, parameters))
        params.update(kwargs)
        if distribution == "normal_clipped":
            params.setdefault("low", -math.inf)
            params.setdefault("high", math.inf)
        unknown = set(params) - set(names)
        missing = set(names) - set(params)
        if unknown or missing:
            raise ConfigurationError(
                f"RandomDistribution({distribution!r}): parameters {sorted(params)} given; "
                f"it takes exactly {list(names)}"
            )
        self.name = distribution
        self.parameters = {k: float(params[k]) for k in names}
        p = self.parameters
        if distribution == "uniform" and not p["low"] <= p["high"]:
            raise ConfigurationError(
                f"RandomDistribution('uniform'): low {p['low']} > high {p['high']}; swap them"
            )
        if distribution.startswith("normal") and p["sigma"] < 0:
            raise ConfigurationError(
                f"RandomDistribution({distribution!r}): sigma {p['sigma']} < 0; use sigma ≥ 0"
            )
        if distribution == "normal_clipped" and not p["low"] < p["high"]:
            raise ConfigurationError(
                f"RandomDistribution('normal_clipped'): low {p['low']} ≥ high {p['high']}"
            )

    def support(self):
        """(low, high): every drawn value lies in [low, high]."""
        return _SPECS[self.name][1](self.parameters)

    def draw(self, rng, n):
        """n values as float64 from ``rng`` (a numpy Generator)."""
        p = self.parameters
        if self.name == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        if self.name == "normal":
            return rng.normal(p["mu"], p["sigma"], n)
        # normal_clipped: redraw the values outside [low, high] (PyNN's semantics)
        out = rng.normal(p["mu"], p["sigma"], n)
        bad = np.flatnonzero((out < p["low"]) | (out > p["high"]))
        for _ in range(1000):
            if bad.size == 0:
                return out
            out[bad] = rng.normal(p["mu"], p["sigma"], bad.size)
            bad = bad[(out[bad] < p["low"]) | (out[bad] > p["high"])]
        raise ConfigurationError(
            f"RandomDistribution('normal_clipped', {p}): almost no mass inside "
            f"[{p['low']}, {p['high']}]; widen the bounds or move mu"
        )

    def to_dict(self):
        return {"distribution": self.name, "parameters": dict(self.parameters)}

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.parameters.items())
        return f"RandomDistribution({self.name!r}, {args})"
