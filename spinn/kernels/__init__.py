"""Compiled numerical kernels (numba, one thread per rank).  Shapes, dtypes and units are
documented on each kernel; every kernel runs a whole tick (or a whole packet list) per call."""

import sys

from numba import njit


@njit(cache=True)
def _ready(x):
    return x + 1


class _WithoutScipyLinalg:
    """Import finder that refuses scipy.linalg while numba's CPU target loads.  numba probes
    for BLAS there (for np.dot, np.convolve in compiled code); spinn's kernels use none, and
    the probe costs every rank 26 MB (scipy.linalg's BLAS and LAPACK) and 0.1 s.  numba still
    imports scipy.linalg later if compiled code asks for np.dot."""

    def find_spec(self, name, path=None, target=None):
        if name == "scipy.linalg" or name.startswith("scipy.linalg."):
            raise ImportError(f"{name}: not loaded while spinn initialises numba")
        return None


def initialise():
    """Load numba's CPU target once per process (~0.25 s here, whatever the model: its typing
    and lowering registries), so that ``sim.build`` only loads the network's own kernels —
    as ``import nest`` loads NEST's kernel before any network is built."""
    finder = _WithoutScipyLinalg()
    sys.meta_path.insert(0, finder)
    try:
        _ready(1)
    finally:
        sys.meta_path.remove(finder)
