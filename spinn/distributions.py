"""Random distributions for parameters, initial values, weights and delays.

PyNN's spelling: ``RandomDistribution("uniform", low=0.0, high=20.0)`` or positional
``RandomDistribution("uniform", (0.0, 20.0))``.  A distribution is a description; values are
drawn from a numpy ``Generator`` that the caller keys by what the values describe (never by
rank), so every rank count draws the same numbers.
"""

import math

import numpy as np

from spinn.errors import ConfigurationError

_INF = math.inf
_SPECS = {
    # name: (parameter names in positional order, support(params) -> (low, high)); PyNN's
    # names and meanings (pyNN.random.available_distributions)
    "uniform": (("low", "high"), lambda p: (p["low"], p["high"])),
    "uniform_int": (("low", "high"), lambda p: (p["low"], p["high"] - 1)),   # [low, high)
    "normal": (("mu", "sigma"), lambda p: (-_INF, _INF)),
    "normal_clipped": (("mu", "sigma", "low", "high"), lambda p: (p["low"], p["high"])),
    "normal_clipped_to_boundary": (("mu", "sigma", "low", "high"),
                                   lambda p: (p["low"], p["high"])),
    "exponential": (("beta",), lambda p: (0.0, _INF)),
    "gamma": (("k", "theta"), lambda p: (0.0, _INF)),
    "lognormal": (("mu", "sigma"), lambda p: (0.0, _INF)),
    "poisson": (("lambda_",), lambda p: (0.0, _INF)),
    "binomial": (("n", "p"), lambda p: (0.0, p["n"])),
    "vonmises": (("mu", "kappa"), lambda p: (-math.pi, math.pi)),        # as numpy draws it
}
_CLIPPED = ("normal_clipped", "normal_clipped_to_boundary")
_POSITIVE = {"exponential": ("beta",), "gamma": ("k", "theta"), "poisson": (),
             "vonmises": ("kappa",)}


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
        if distribution in _CLIPPED:
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
        for k, v in p.items():
            if math.isnan(v):
                raise ConfigurationError(f"RandomDistribution({distribution!r}): {k} is NaN")
        if distribution == "uniform_int" and not (p["low"] == int(p["low"]) and p["high"] ==
                                                  int(p["high"]) and p["low"] < p["high"]):
            raise ConfigurationError(
                f"RandomDistribution('uniform_int'): low {p['low']:g}, high {p['high']:g} must "
                f"be whole numbers with low < high (values are low ≤ x < high)")
        if distribution.startswith("uniform") and not p["low"] <= p["high"]:
            raise ConfigurationError(
                f"RandomDistribution({distribution!r}): low {p['low']} > high {p['high']}; "
                f"swap them")
        if distribution in ("normal", "lognormal", *_CLIPPED) and p["sigma"] < 0:
            raise ConfigurationError(
                f"RandomDistribution({distribution!r}): sigma {p['sigma']} < 0; use sigma ≥ 0"
            )
        if distribution in _CLIPPED and not p["low"] < p["high"]:
            raise ConfigurationError(
                f"RandomDistribution({distribution!r}): low {p['low']} ≥ high {p['high']}"
            )
        for k in _POSITIVE.get(distribution, ()):
            if not p[k] > 0:
                raise ConfigurationError(
                    f"RandomDistribution({distribution!r}): {k} = {p[k]} must be > 0")
        if distribution == "poisson" and not p["lambda_"] >= 0:
            raise ConfigurationError(
                f"RandomDistribution('poisson'): lambda_ = {p['lambda_']} must be ≥ 0")
        if distribution == "binomial" and not (p["n"] >= 0 and p["n"] == int(p["n"])
                                               and 0 <= p["p"] <= 1):
            raise ConfigurationError(
                f"RandomDistribution('binomial'): n = {p['n']:g} must be a whole number ≥ 0 "
                f"and p = {p['p']:g} in [0, 1]")

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
        if self.name == "normal_clipped_to_boundary":
            return np.clip(rng.normal(p["mu"], p["sigma"], n), p["low"], p["high"])
        if self.name == "uniform_int":       # PyNN's NumpyRNG: randint, low ≤ x < high
            return rng.integers(int(p["low"]), int(p["high"]), n).astype(np.float64)
        if self.name == "exponential":
            return rng.exponential(p["beta"], n)
        if self.name == "gamma":
            return rng.gamma(p["k"], p["theta"], n)
        if self.name == "lognormal":
            return rng.lognormal(p["mu"], p["sigma"], n)
        if self.name == "poisson":
            return rng.poisson(p["lambda_"], n).astype(np.float64)
        if self.name == "binomial":
            return rng.binomial(int(p["n"]), p["p"], n).astype(np.float64)
        if self.name == "vonmises":
            return rng.vonmises(p["mu"], p["kappa"], n)
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
        """{'distribution': PyNN's name, 'parameters': {...}}: the distribution as data."""
        return {"distribution": self.name, "parameters": dict(self.parameters)}

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.parameters.items())
        return f"RandomDistribution({self.name!r}, {args})"
