"""The bounded radix sort gives numpy's sorted array for every bound and size (the
connectors rely on it for the same synapses as a comparison sort would give)."""

import numpy as np
import pytest

from spinn.kernels.sorting import sort_bounded


@pytest.mark.parametrize("bound", [1, 2, 7, 2048, 2049, 5_000_000, 2**40, 2**62])
@pytest.mark.parametrize("n", [0, 1, 2, 1000, 100_001])
def test_matches_numpy_sort(bound, n):
    x = np.random.default_rng(bound % 1000 + n).integers(0, bound, size=n)
    y = sort_bounded(x, bound)
    assert y.dtype == np.int64
    assert np.array_equal(y, np.sort(x))


def test_leaves_its_input_alone():
    x = np.array([5, 3, 9, 0, 3], np.int64)
    sort_bounded(x, 10)
    assert list(x) == [5, 3, 9, 0, 3]

