"""Compiled numerical kernels (numba, one thread per rank).  Shapes, dtypes and units are
documented on each kernel; every kernel runs a whole tick (or a whole packet list) per call."""

from numba import njit


@njit(cache=True)
def _ready(x):
    return x + 1


def initialise():
    """Load numba's CPU target once per process (~0.25 s here, whatever the model: its typing
    and lowering registries), so that ``sim.build`` only loads the network's own kernels —
    as ``import nest`` loads NEST's kernel before any network is built."""
    _ready(1)
