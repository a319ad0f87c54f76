"""Per-neuron constants that are usually the same for every neuron of a group.

A cell type's ``prepare`` returns float64[n_const, n].  ``compact_constants`` turns it into a
tuple with one entry per constant: a float when every neuron shares the value, else the
float64[n] array.  Kernels read the constants through ``at(c, i)``; numba compiles one
specialisation per pattern, and a uniform constant then lives in a register instead of
being loaded for every neuron and step (IF_curr_exp: 1.15 → ~0.7 ns per neuron-step).
The arithmetic is the same either way, so results do not depend on the pattern.
"""

import numpy as np
from numba import types
from numba.extending import overload


def compact_constants(C):
    """tuple of float | float64[n] from float64[n_const, n] (arrays when n == 0)."""
    C = np.ascontiguousarray(C, dtype=np.float64)
    if C.shape[1] == 0:
        return tuple(C)
    return tuple(float(row[0]) if np.all(row == row[0]) else row.copy() for row in C)


def compact_index(a):
    """An int64 index array as ``at_index`` reads it: the int a[0] when a is a[0] + arange
    (one-to-one targets), else the array."""
    a = np.asarray(a, np.int64)
    if a.size and np.array_equal(a, a[0] + np.arange(a.size)):
        return int(a[0])
    return a


def compact_uniform(a):
    """A scalar of a's type when every element is equal, else the array."""
    a = np.asarray(a)
    if a.size and np.all(a == a[0]):
        return a.dtype.type(a[0]).item()
    return a


def at_index(c, i):
    """c[i] for an index array, c + i for the first index of a contiguous run."""
    return c[i] if np.ndim(c) else c + i


def at(c, i):
    """c[i] for a per-neuron array, c for a shared scalar (pure Python form)."""
    return c[i] if np.ndim(c) else c


@overload(at, inline="always")
def _at(c, i):
    if isinstance(c, types.Array):
        return lambda c, i: c[i]
    return lambda c, i: c


@overload(at_index, inline="always")
def _at_index(c, i):
    if isinstance(c, types.Array):
        return lambda c, i: c[i]
    return lambda c, i: c + i
