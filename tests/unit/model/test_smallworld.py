"""SmallWorldConnector: a lattice of every pair closer than `degree`, each connection
rewired with probability `rewiring` to a uniform source, in-degrees kept; the same on any
rank count; reachable from PyNN's class through spinn.pynn."""

import numpy as np
import pytest

import spinn as sim
from spinn.errors import ConfigurationError
from spinn.model.distance import pair_distances
from spinn.runtime.comm import run_threads

N = 400         # a 20 × 20 grid, 1 µm apart, cut into cores of 64


def _net(rewiring, self_ok=True, comm=None):
    sim.setup(timestep=1.0, seed=11, verbose=False, neurons_per_core=64, comm=comm)
    p = sim.Population(N, sim.IF_curr_exp(), structure=sim.Grid2D(dx=1.0, dy=1.0))
    proj = sim.Projection(p, p, sim.SmallWorldConnector(1.5, rewiring,
                                                        allow_self_connections=self_ok),
                          sim.StaticSynapse(weight=0.1, delay=1.0))
    sim.run(1.0, progress=False)
    pairs = sorted((int(i), int(j)) for i, j, _ in proj.get("weight"))
    pos = p.positions
    sim.end()
    return pairs, pos


def test_without_rewiring_it_is_the_lattice():
    pairs, pos = _net(0.0)
    d = pair_distances(pos, pos)
    want = sorted(zip(*map(lambda a: a.tolist(), np.nonzero(d < 1.5))))
    assert pairs == want                          # self-pairs (d = 0) included
    pairs, _ = _net(0.0, self_ok=False)
    assert pairs == [(i, j) for i, j in want if i != j]


def test_rewiring_keeps_in_degrees_and_rewires_the_given_fraction():
    lattice, pos = _net(0.0, self_ok=False)
    pairs, _ = _net(0.3, self_ok=False)
    indeg = np.bincount([j for _, j in pairs], minlength=N)
    assert np.array_equal(indeg, np.bincount([j for _, j in lattice], minlength=N))
    assert all(i != j for i, j in pairs)
    d = pair_distances(pos, pos)
    far = np.mean([d[i, j] >= 1.5 for i, j in pairs])
    # a rewired source lands back in the lattice with probability ~8/400: far ≈ 0.3 × 0.98
    assert abs(far - 0.3 * 0.98) < 0.04, far


def test_identical_on_one_two_and_three_ranks():
    one = run_threads(1, lambda comm: _net(0.25, comm=comm)[0])[0]
    for n in (2, 3):
        assert all(r == one for r in run_threads(n, lambda comm: _net(0.25, comm=comm)[0]))


def test_bad_arguments_are_refused():
    for kw, match in (({"degree": 0.0, "rewiring": 0.1}, "degree"),
                      ({"degree": 2.0, "rewiring": 1.5}, "rewiring"),
                      ({"degree": 2.0, "rewiring": 0.1, "n_connections": 5}, "n_connections")):
        with pytest.raises(ConfigurationError, match=match):
            sim.SmallWorldConnector(**kw)


def test_pynn_smallworld_connector_reaches_it():
    import spinn.pynn as pnn

    pnn.setup(timestep=1.0)
    p = pnn.Population(100, pnn.IF_curr_exp(), structure=pnn.space.Grid2D(dx=1.0, dy=1.0))
    prj = pnn.Projection(p, p, pnn.SmallWorldConnector(degree=1.5, rewiring=0.2,
                                                      rng=pnn.NumpyRNG(seed=4)),
                         pnn.StaticSynapse(weight=0.1, delay=1.0))
    assert isinstance(prj.native.connector, sim.SmallWorldConnector)
    assert 400 < len(prj) < 1000
    pnn.end()
