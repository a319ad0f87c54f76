"""Spatial structures: where a population's neurons are (PyNN's Line, Grid2D, Grid3D,
RandomStructure with a Cuboid or Sphere boundary).

A structure answers ``generate_positions(n, rng) -> float64[3, n]`` (µm; row 0 x, 1 y, 2 z).
Random structures and random fill orders draw from ``rng``, a Generator keyed by
(seed, population), so every rank sees the same positions.  ``check(owner, n)`` raises a
ConfigurationError when n neurons do not fit the structure.
"""

import math

import numpy as np

from spinn.errors import ConfigurationError

FILL_ORDERS = ("sequential", "random")


class Structure:
    def check(self, owner, n):
        """Raise ConfigurationError if n neurons cannot take this structure."""

    def generate_positions(self, n, rng=None):
        """float64[3, n]: the positions of n neurons (µm), PyNN's layout."""
        raise NotImplementedError

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"structure": type(self).__name__, **vars(self)}


class Line(Structure):
    """Neurons on the x axis: x = x0 + dx * i (PyNN's default structure)."""

    def __init__(self, dx=1.0, x0=0.0, y=0.0, z=0.0):
        self.dx, self.x0, self.y, self.z = float(dx), float(x0), float(y), float(z)

    def generate_positions(self, n, rng=None):
        """float64[3, n]: the positions of n neurons (µm), PyNN's layout."""
        x = self.x0 + self.dx * np.arange(n, dtype=np.float64)
        return np.vstack([x, np.full(n, self.y), np.full(n, self.z)])


def _check_fill_order(name, fill_order):
    if fill_order not in FILL_ORDERS:
        raise ConfigurationError(
            f"{name}: fill_order {fill_order!r} is not one of {', '.join(map(repr, FILL_ORDERS))}")
    return fill_order


def _fill(positions, fill_order, rng):
    """Grid positions float64[3, n] in index order, or randomly permuted over the neurons."""
    if fill_order == "random":
        return positions[:, rng.permutation(positions.shape[1])]
    return positions


class Grid2D(Structure):
    """Neurons on an nx × ny grid in the plane z: neuron i is at
    (x0 + dx·(i // ny), y0 + dy·(i % ny), z) — y varies fastest (PyNN's order).

    aspect_ratio = nx / ny is the ratio of the numbers of grid points per side (not of the
    side lengths unless dx == dy), so nx = √(n·aspect_ratio) must be a whole number dividing
    n.  fill_order "random" assigns the grid points to the neurons in random order.
    """

    def __init__(self, aspect_ratio=1.0, dx=1.0, dy=1.0, x0=0.0, y0=0.0, z=0,
                 fill_order="sequential"):
        if not aspect_ratio > 0:
            raise ConfigurationError(f"Grid2D: aspect_ratio {aspect_ratio!r} must be > 0")
        self.aspect_ratio = float(aspect_ratio)
        self.dx, self.dy = float(dx), float(dy)
        self.x0, self.y0, self.z = float(x0), float(y0), float(z)
        self.fill_order = _check_fill_order("Grid2D", fill_order)

    def calculate_size(self, n, owner="Grid2D"):
        """(nx, ny) for n neurons."""
        nx_exact = math.sqrt(n * self.aspect_ratio)
        nx = max(1, round(nx_exact))
        if not math.isclose(nx, nx_exact, rel_tol=1e-9) or n % nx:
            raise ConfigurationError(
                f"{owner}: {n} neurons do not fill a Grid2D with aspect_ratio "
                f"{self.aspect_ratio:g}: nx = √(n·aspect_ratio) = {nx_exact:.4g} must be a "
                f"whole number dividing n; use nx·ny neurons with nx/ny = aspect_ratio "
                f"(e.g. {nx * max(1, round(nx / self.aspect_ratio))})")
        return nx, n // nx

    def check(self, owner, n):
        self.calculate_size(n, owner)

    def generate_positions(self, n, rng=None):
        """float64[3, n]: the positions of n neurons (µm), PyNN's layout."""
        nx, ny = self.calculate_size(n)
        ix, iy = np.divmod(np.arange(n, dtype=np.int64), ny)
        positions = np.vstack([self.x0 + self.dx * ix, self.y0 + self.dy * iy,
                               np.full(n, self.z)]).astype(np.float64)
        return _fill(positions, self.fill_order, rng)


class Grid3D(Structure):
    """Neurons on an nx × ny × nz grid: neuron i is at (x0 + dx·ix, y0 + dy·iy, z0 + dz·iz)
    with z varying fastest, then y, then x (PyNN's order: the first neuron at (x0, y0, z0),
    the second at (x0, y0, z0 + dz)).

    aspect_ratioXY = nx / ny and aspect_ratioXZ = nx / nz (ratios of the numbers of grid
    points per side): nx = round(∛(n·XY·XZ)), ny = round(nx / XY), nz = round(nx / XZ), and
    nx·ny·nz must equal n.
    """

    def __init__(self, aspect_ratioXY=1.0, aspect_ratioXZ=1.0, dx=1.0, dy=1.0, dz=1.0,
                 x0=0.0, y0=0.0, z0=0, fill_order="sequential"):
        for name, value in (("aspect_ratioXY", aspect_ratioXY),
                            ("aspect_ratioXZ", aspect_ratioXZ)):
            if not value > 0:
                raise ConfigurationError(f"Grid3D: {name} {value!r} must be > 0")
        self.aspect_ratioXY, self.aspect_ratioXZ = float(aspect_ratioXY), float(aspect_ratioXZ)
        self.dx, self.dy, self.dz = float(dx), float(dy), float(dz)
        self.x0, self.y0, self.z0 = float(x0), float(y0), float(z0)
        self.fill_order = _check_fill_order("Grid3D", fill_order)

    def calculate_size(self, n, owner="Grid3D"):
        """(nx, ny, nz) for n neurons."""
        a, b = self.aspect_ratioXY, self.aspect_ratioXZ
        nx = max(1, round((n * a * b) ** (1.0 / 3.0)))
        ny, nz = max(1, round(nx / a)), max(1, round(nx / b))
        if nx * ny * nz != n:
            raise ConfigurationError(
                f"{owner}: {n} neurons do not fill a Grid3D with aspect_ratioXY {a:g} and "
                f"aspect_ratioXZ {b:g} (nearest grid {nx}×{ny}×{nz} = {nx * ny * nz}); use "
                f"nx·ny·nz neurons with nx/ny = aspect_ratioXY and nx/nz = aspect_ratioXZ")
        return nx, ny, nz

    def check(self, owner, n):
        self.calculate_size(n, owner)

    def generate_positions(self, n, rng=None):
        """float64[3, n]: the positions of n neurons (µm), PyNN's layout."""
        nx, ny, nz = self.calculate_size(n)
        ix, rest = np.divmod(np.arange(n, dtype=np.int64), ny * nz)
        iy, iz = np.divmod(rest, nz)
        positions = np.vstack([self.x0 + self.dx * ix, self.y0 + self.dy * iy,
                               self.z0 + self.dz * iz]).astype(np.float64)
        return _fill(positions, self.fill_order, rng)


class Shape:
    """A volume that RandomStructure fills uniformly, centred on the origin."""

    def sample(self, n, rng):
        """float64[n, 3]: n points drawn uniformly inside the volume."""
        raise NotImplementedError

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"shape": type(self).__name__, **vars(self)}


class Cuboid(Shape):
    """A box of extent width (x) × height (y) × depth (z) µm centred on the origin."""

    def __init__(self, width, height, depth):
        for name, value in (("width", width), ("height", height), ("depth", depth)):
            if not (value >= 0 and math.isfinite(value)):
                raise ConfigurationError(f"Cuboid: {name} {value!r} µm must be ≥ 0 and finite")
        self.width, self.height, self.depth = float(width), float(height), float(depth)

    def sample(self, n, rng):
        return 0.5 * rng.uniform(-1.0, 1.0, size=(n, 3)) * (self.width, self.height,
                                                              self.depth)


class Sphere(Shape):
    """A ball of the given radius (µm) centred on the origin."""

    def __init__(self, radius):
        if not (radius > 0 and math.isfinite(radius)):
            raise ConfigurationError(f"Sphere: radius {radius!r} µm must be > 0 and finite")
        self.radius = float(radius)

    def sample(self, n, rng):
        # rejection from the enclosing cube (acceptance π/6 ≈ 52%), in batches, keeping the
        # accepted candidates in draw order
        out = np.empty((0, 3))
        while out.shape[0] < n:
            batch = rng.uniform(-1.0, 1.0, size=(2 * (n - out.shape[0]) + 16, 3))
            out = np.vstack([out, batch[np.einsum("ij,ij->i", batch, batch) < 1.0]])
        return self.radius * out[:n]


class RandomStructure(Structure):
    """Neurons drawn uniformly inside ``boundary`` (a Cuboid or Sphere) centred on ``origin``
    (x, y, z in µm)."""

    def __init__(self, boundary, origin=(0.0, 0.0, 0.0)):
        if not isinstance(boundary, Shape):
            raise ConfigurationError(
                f"RandomStructure: boundary {boundary!r} is not a Shape; use Cuboid(width, "
                f"height, depth) or Sphere(radius)")
        origin = np.asarray(origin, np.float64)
        if origin.shape != (3,):
            raise ConfigurationError(
                f"RandomStructure: origin {origin.tolist()} must be three coordinates (x, y, z)")
        self.boundary = boundary
        self.origin = tuple(float(v) for v in origin)

    def generate_positions(self, n, rng=None):
        """float64[3, n]: the positions of n neurons (µm), PyNN's layout."""
        if rng is None:
            raise ConfigurationError(
                "RandomStructure: generate_positions needs a random Generator")
        return (np.asarray(self.origin) + self.boundary.sample(n, rng)).T.astype(np.float64)

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"structure": "RandomStructure", "origin": self.origin,
                **self.boundary.describe()}


STRUCTURES = {c.__name__: c for c in (Line, Grid2D, Grid3D, RandomStructure)}
