"""CSAConnector (the csa package): masks and connection sets with weights and delays, each
post core evaluating its own block — the same on any rank count; through spinn.pynn too."""

import pytest

import spinn as sim
from spinn.errors import ConfigurationError
from spinn.runtime.comm import run_threads

csa = pytest.importorskip("csa")      # a test dependency (pyproject "test" extra)


def _net(cset, comm=None, n=150):
    sim.setup(timestep=0.1, seed=2, verbose=False, neurons_per_core=32, comm=comm)
    a = sim.Population(n, sim.IF_curr_exp())
    b = sim.Population(n, sim.IF_curr_exp())
    proj = sim.Projection(a, b, sim.CSAConnector(cset))
    sim.run(1.0, progress=False)
    rows = sorted((int(i), int(j), round(w, 9), round(d, 9)) for (i, j, w), (_, _, d)
                  in zip(proj.get("weight"), proj.get("delay")))
    sim.end()
    return rows


def test_masks_give_their_pairs():
    assert [(i, j) for i, j, _, _ in _net(csa.oneToOne)] == [(k, k) for k in range(150)]
    rows = _net(csa.full - csa.oneToOne, n=40)
    assert len(rows) == 40 * 39 and all(i != j for i, j, _, _ in rows)


def test_a_connection_set_carries_weights_and_delays():
    rows = _net(csa.cset(csa.oneToOne, 0.25, 2.5))
    assert {(w, d) for _, _, w, d in rows} == {(0.25, 2.5)} and len(rows) == 150


def test_random_mask_identical_on_one_two_and_three_ranks():
    one = run_threads(1, lambda comm: _net(csa.random(0.1), comm))[0]
    assert 0.07 < len(one) / 150 ** 2 < 0.13
    for n in (2, 3):
        assert all(r == one for r in run_threads(n, lambda comm: _net(csa.random(0.1), comm)))


def test_arity_one_is_refused():
    with pytest.raises(ConfigurationError, match="arity"):
        sim.CSAConnector(csa.cset(csa.oneToOne, 0.25))


def test_pynn_csa_connector_reaches_it():
    import spinn.pynn as pnn

    pnn.setup(timestep=0.1)
    a, b = pnn.Population(50, pnn.IF_curr_exp()), pnn.Population(50, pnn.IF_curr_exp())
    prj = pnn.Projection(a, b, pnn.CSAConnector(csa.oneToOne),
                         pnn.StaticSynapse(weight=0.1, delay=1.0))
    assert isinstance(prj.native.connector, sim.CSAConnector) and len(prj) == 50
    pnn.end()
