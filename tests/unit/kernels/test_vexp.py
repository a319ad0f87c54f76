"""vexp (spinn/kernels/vexp.py): libm's exp within 1 ulp over the whole clamped range, the
clamp at the ends, and exactness where exp is exact."""

import numpy as np
import pytest
from numba import njit

from spinn.kernels.vexp import vexp


@njit(cache=True)
def vexp_all(x):
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        y[i] = vexp(x[i])
    return y


@pytest.mark.parametrize("lo, hi", [(-708.0, 709.0), (-1.0, 0.0), (-1e-3, 1e-3), (-40.0, 40.0)])
def test_within_one_ulp_of_libm(lo, hi):
    x = np.random.default_rng(3).uniform(lo, hi, 400_000)
    ref = np.exp(x)
    ulps = np.abs(vexp_all(x) - ref) / np.spacing(ref)
    assert ulps.max() <= 1.0


def test_exact_points_and_clamp():
    y = vexp_all(np.array([0.0, np.log(2.0) * 10, -1000.0, 1000.0, -708.0, 709.0]))
    assert y[0] == 1.0
    assert y[1] == pytest.approx(1024.0, rel=2e-16)
    assert y[2] == y[4] == pytest.approx(np.exp(-708.0), rel=2e-16)
    assert y[3] == y[5] == pytest.approx(np.exp(709.0), rel=2e-16)
    assert np.all(np.isfinite(y))
