"""Group arguments by descriptor (spinn/kernels/handles.py): the compiled side sees the same
values and writes into the same memory; what cannot travel by descriptor is refused."""

import numpy as np
import pytest
from numba import njit

from spinn.kernels.handles import array, expression, layout, pack


def rebuild(G):
    src = ("def f(idesc, fdesc):\n    G = " + expression(layout(G), [0, 0]) + "\n"
           "    G[0][0][1, 2] += 100.0\n    G[0][4][1] = True\n"
           "    return (G[0][0].sum(), G[0][1][0], G[0][1][1].sum(), G[0][2], G[0][3],\n"
           "            G[1][0].shape[0], G[1][1])\n")
    ns = {"array": array, "np": np}
    exec(src, ns)
    return njit(ns["f"])


def test_values_and_writes_survive_the_round_trip():
    S = np.arange(6.0).reshape(2, 3)
    flags = np.array([False, False])
    G = ((S, (0.5, np.arange(3, dtype=np.float32)), np.int64(7), True, flags),
         (np.zeros(0, np.uint64), 2.25))
    total, half, f32, seven, yes, empty, quarter = rebuild(G)(*pack(G))
    assert (total, half, f32, seven, yes, empty, quarter) == (115.0, 0.5, 3.0, 7, True, 0, 2.25)
    assert S[1, 2] == 105.0 and flags[1]          # written through the views


def test_non_contiguous_arrays_and_objects_are_refused():
    with pytest.raises(ValueError, match="C-contiguous"):
        layout((np.zeros((3, 4))[:, 1],))
    with pytest.raises(TypeError, match="cannot pass str"):
        layout(("text",))
