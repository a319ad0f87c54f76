"""Structures place neurons as PyNN defines them: grids in PyNN's index order and spacing,
random structures uniformly inside their boundary, and the same positions for the same seed on
any rank count."""

import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads


def rng(seed=0):
    return np.random.default_rng(seed)


# ---- grids -------------------------------------------------------------------------------


def test_grid2d_places_neurons_row_by_row_with_y_fastest():
    """Grid2D(dx=2, dy=3, x0=1, y0=-1, z=5) on 12 neurons with aspect_ratio 3 is a 6×2 grid:
    neuron i at (1 + 2·(i // 2), -1 + 3·(i % 2), 5)."""
    pos = sim.Grid2D(aspect_ratio=3.0, dx=2.0, dy=3.0, x0=1.0, y0=-1.0, z=5.0) \
        .generate_positions(12, rng())
    assert pos.shape == (3, 12) and pos.dtype == np.float64
    i = np.arange(12)
    np.testing.assert_array_equal(pos[0], 1.0 + 2.0 * (i // 2))
    np.testing.assert_array_equal(pos[1], -1.0 + 3.0 * (i % 2))
    np.testing.assert_array_equal(pos[2], np.full(12, 5.0))


def test_grid2d_square_grid_spacing():
    """A 30×30 Grid2D with dx = dy = 1 has 900 distinct positions whose nearest neighbour is
    exactly 1 µm away."""
    pos = sim.Grid2D().generate_positions(900, rng())
    assert np.unique(pos.T, axis=0).shape[0] == 900
    assert (pos[0].min(), pos[0].max(), pos[1].min(), pos[1].max()) == (0, 29, 0, 29)
    d = np.sqrt(((pos[:2, :, None] - pos[:2, None, :]) ** 2).sum(axis=0))
    np.fill_diagonal(d, np.inf)
    np.testing.assert_array_equal(d.min(axis=1), np.ones(900))


def test_grid3d_fills_z_then_y_then_x():
    """Grid3D with aspect ratios XY = XZ = 2 on 16 neurons is 4×2×2: the first neuron is at
    (x0, y0, z0), the second at (x0, y0, z0 + dz), the third at (x0, y0 + dy, z0)."""
    pos = sim.Grid3D(2.0, 2.0, dx=1.0, dy=10.0, dz=100.0, x0=0.5, y0=0.0, z0=-1.0) \
        .generate_positions(16, rng())
    assert pos.shape == (3, 16)
    i = np.arange(16)
    np.testing.assert_array_equal(pos[0], 0.5 + (i // 4))
    np.testing.assert_array_equal(pos[1], 10.0 * ((i // 2) % 2))
    np.testing.assert_array_equal(pos[2], -1.0 + 100.0 * (i % 2))


def test_random_fill_order_permutes_the_grid_points():
    """fill_order='random' uses the same grid points as 'sequential', in a different order
    that depends on the generator and is reproducible for the same one."""
    seq = sim.Grid2D().generate_positions(100, rng())
    shuffled = sim.Grid2D(fill_order="random").generate_positions(100, rng(1))
    again = sim.Grid2D(fill_order="random").generate_positions(100, rng(1))
    other = sim.Grid2D(fill_order="random").generate_positions(100, rng(2))
    key = lambda p: np.lexsort(p)  # noqa: E731
    np.testing.assert_array_equal(seq[:, key(seq)], shuffled[:, key(shuffled)])
    assert not np.array_equal(seq, shuffled)
    np.testing.assert_array_equal(shuffled, again)
    assert not np.array_equal(shuffled, other)
    pos3 = sim.Grid3D(fill_order="random").generate_positions(27, rng(3))
    assert np.unique(pos3.T, axis=0).shape[0] == 27


@pytest.mark.parametrize("structure, n, fragment", [
    (sim.Grid2D(), 10, "do not fill a Grid2D"),
    (sim.Grid2D(aspect_ratio=2.0), 9, "do not fill a Grid2D"),
    (sim.Grid3D(), 10, "do not fill a Grid3D"),
])
def test_grid_size_mismatch_is_an_error(structure, n, fragment):
    """A neuron count that does not fill the grid raises ConfigurationError naming the owner
    and the constraint (check) and when generating positions."""
    with pytest.raises(sim.ConfigurationError, match=fragment) as err:
        structure.check("Population 'x'", n)
    assert "Population 'x'" in str(err.value)
    with pytest.raises(sim.ConfigurationError, match=fragment):
        structure.generate_positions(n, rng())


def test_bad_structure_parameters_are_errors():
    """Unknown fill_order, non-positive sphere radius, negative cuboid side, a boundary that is
    not a Shape and an origin without three coordinates are ConfigurationErrors."""
    with pytest.raises(sim.ConfigurationError, match="fill_order 'spiral'"):
        sim.Grid2D(fill_order="spiral")
    with pytest.raises(sim.ConfigurationError, match="radius"):
        sim.Sphere(0.0)
    with pytest.raises(sim.ConfigurationError, match="depth"):
        sim.Cuboid(1.0, 1.0, -2.0)
    with pytest.raises(sim.ConfigurationError, match="Cuboid"):
        sim.RandomStructure("box")
    with pytest.raises(sim.ConfigurationError, match="origin"):
        sim.RandomStructure(sim.Sphere(1.0), origin=(0.0, 1.0))


# ---- random structures -------------------------------------------------------------------


def test_cuboid_positions_fill_the_box_around_the_origin():
    """RandomStructure(Cuboid(w, h, d), origin) puts every neuron inside origin ± (w, h, d)/2,
    reaching close to every face, with the mean near the origin."""
    origin = np.array([100.0, -50.0, 7.0])
    size = np.array([40.0, 20.0, 10.0])
    pos = sim.RandomStructure(sim.Cuboid(*size), origin=origin).generate_positions(5000, rng())
    assert pos.shape == (3, 5000)
    lo, hi = (origin - size / 2)[:, None], (origin + size / 2)[:, None]
    assert np.all((pos >= lo) & (pos <= hi))
    # 5000 uniform points: the extreme is within 0.2 % of the side of each face (p ≈ e^-10)
    assert np.all(pos.min(axis=1) - lo[:, 0] < 0.002 * size)
    assert np.all(hi[:, 0] - pos.max(axis=1) < 0.002 * size)
    # mean of a uniform coordinate: σ = side/√(12·5000) ≈ 0.004·side
    assert np.all(np.abs(pos.mean(axis=1) - origin) < 0.02 * size)


def test_sphere_positions_are_uniform_in_the_ball():
    """RandomStructure(Sphere(r)) puts every neuron within r of the origin, uniformly in
    volume: the fraction within r/2 is 1/8 (binomial band) and within 0.9 r is 0.729."""
    r, n = 50.0, 8000
    origin = np.array([1.0, 2.0, 3.0])
    pos = sim.RandomStructure(sim.Sphere(r), origin=tuple(origin)).generate_positions(n, rng())
    dist = np.linalg.norm(pos - origin[:, None], axis=0)
    assert pos.shape == (3, n) and dist.max() < r
    for frac, p in ((0.5, 0.125), (0.9, 0.729)):
        k = np.count_nonzero(dist < frac * r)
        assert abs(k - n * p) < 5 * np.sqrt(n * p * (1 - p)), (frac, k)


def test_random_structure_draws_from_the_given_generator():
    """The same generator seed gives the same positions, a different one different ones."""
    s = sim.RandomStructure(sim.Cuboid(10.0, 10.0, 10.0))
    np.testing.assert_array_equal(s.generate_positions(50, rng(4)),
                                  s.generate_positions(50, rng(4)))
    assert not np.array_equal(s.generate_positions(50, rng(4)), s.generate_positions(50, rng(5)))


# ---- populations -------------------------------------------------------------------------


def population_positions(comm, seed):
    """Positions of three structured populations (and of a view) on this rank."""
    sim.setup(timestep=0.1, seed=seed, neurons_per_core=7, comm=comm, verbose=False)
    a = sim.Population(25, sim.IF_curr_exp(), structure=sim.Grid2D(fill_order="random"))
    b = sim.Population(40, sim.IF_curr_exp(),
                       structure=sim.RandomStructure(sim.Sphere(100.0)))
    c = sim.Population(40, sim.IF_curr_exp(),
                       structure=sim.RandomStructure(sim.Sphere(100.0)))
    out = [a.positions, b.positions, c.positions, b[[3, 1, 7]].positions]
    sim.end()
    return out


def test_population_positions_depend_on_seed_not_on_ranks():
    """A structured population's positions are the same in two separate networks with the same
    seed, on every rank of 1 and 3 thread-ranks; a different seed, or another population with
    the same structure, gives different positions; a view's positions are its neurons'."""
    ref = run_threads(1, lambda comm: population_positions(comm, 5))[0]
    for per_rank in (run_threads(3, lambda comm: population_positions(comm, 5)),
                     [population_positions(None, 5)]):
        for out in per_rank:
            for x, y in zip(ref, out, strict=True):
                np.testing.assert_array_equal(x, y)
    other = population_positions(None, 6)
    assert not np.array_equal(ref[1], other[1])
    assert not np.array_equal(ref[1], ref[2])
    np.testing.assert_array_equal(ref[3], ref[1][:, [3, 1, 7]])


def test_default_structure_is_a_line():
    """Without a structure a population lies on the x axis at x = 0, 1, 2, ... µm."""
    sim.setup(timestep=0.1, seed=1, verbose=False)
    pop = sim.Population(5, sim.IF_curr_exp())
    np.testing.assert_array_equal(pop.positions, [np.arange(5.0), np.zeros(5), np.zeros(5)])
    sim.end()
