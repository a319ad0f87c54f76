"""Spatial structures: where a population's neurons are (PyNN's Line, Grid2D, ...).

A structure answers ``generate_positions(n, rng) -> float64[3, n]`` (µm).  Random structures
draw from ``rng``, a Generator keyed by (seed, population), so every rank sees the same
positions.
"""

import numpy as np


class Line:
    """Neurons on the x axis: x = x0 + dx * i (PyNN's default structure)."""

    def __init__(self, dx=1.0, x0=0.0, y=0.0, z=0.0):
        self.dx, self.x0, self.y, self.z = float(dx), float(x0), float(y), float(z)

    def generate_positions(self, n, rng=None):
        x = self.x0 + self.dx * np.arange(n, dtype=np.float64)
        return np.vstack([x, np.full(n, self.y), np.full(n, self.z)])

    def describe(self):
        return {"structure": "Line", **vars(self)}
