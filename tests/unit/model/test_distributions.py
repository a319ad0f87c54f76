"""spinn.RandomDistribution knows every distribution PyNN names, with PyNN's parameter names
and meanings, draws within its stated support, and refuses impossible parameters."""

import numpy as np
import pytest
from pyNN.random import NumpyRNG, available_distributions

import spinn as sim

CASES = {
    "binomial": (10, 0.3), "gamma": (2.0, 3.0), "exponential": (2.0,),
    "lognormal": (0.0, 0.5), "normal": (1.0, 2.0), "normal_clipped": (0.0, 1.0, -0.5, 2.0),
    "normal_clipped_to_boundary": (0.0, 1.0, -0.5, 0.5), "poisson": (3.0,),
    "uniform": (-1.0, 2.0), "uniform_int": (2, 7), "vonmises": (0.5, 2.0),
}


def test_every_pynn_distribution_is_native():
    assert set(CASES) == set(available_distributions)


@pytest.mark.parametrize("name", sorted(CASES))
def test_draws_lie_in_the_support_and_match_pynns_numpy_rng_in_mean(name):
    """Values lie in support(); their mean agrees with PyNN's NumpyRNG for the same
    distribution within 5 standard errors (same meaning of every parameter)."""
    d = sim.RandomDistribution(name, CASES[name])
    x = d.draw(np.random.default_rng(1), 20000)
    lo, hi = d.support()
    assert x.min() >= lo and x.max() <= hi
    ref = NumpyRNG(seed=2).next(20000, name, dict(zip(available_distributions[name],
                                                      CASES[name])))
    se = np.sqrt(x.var() / x.size + ref.var() / ref.size)
    assert abs(x.mean() - ref.mean()) <= 5 * se + 1e-12
    if name == "uniform_int":                      # PyNN's randint: low ≤ x < high
        assert set(np.unique(x)) == {2, 3, 4, 5, 6}
    if name == "normal_clipped_to_boundary":
        assert np.mean(x == 0.5) > 0.2             # the tail is put on the boundary


@pytest.mark.parametrize("name,params,match", [
    ("exponential", (0.0,), "beta"), ("gamma", (2.0, -1.0), "theta"),
    ("poisson", (-1.0,), "lambda_"), ("binomial", (2.5, 0.5), "whole number"),
    ("binomial", (3, 1.5), "p = 1.5"), ("uniform_int", (3, 3), "low < high"),
    ("lognormal", (0.0, -1.0), "sigma"), ("vonmises", (0.0, 0.0), "kappa"),
])
def test_impossible_parameters_are_refused(name, params, match):
    with pytest.raises(sim.ConfigurationError, match=match):
        sim.RandomDistribution(name, params)
