"""spinn.pynn.checkpoint / restore: an unchanged PyNN script continues from a checkpoint
with the same spike trains (Neo) and PyNN's clock at the restored time."""

import numpy as np

import spinn.pynn as sim


def _network():
    sim.setup(timestep=0.1, rng_seed=4)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=300.0), label="src")
    a = sim.Population(40, sim.IF_curr_exp(), label="a")
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.4),
                   sim.StaticSynapse(weight=0.5, delay=1.0))
    a.record(["spikes", "v"])
    return a


def _trains(a):
    seg = a.get_data().segments[0]
    return [np.asarray(s.magnitude) for s in seg.spiketrains], \
        np.asarray(seg.analogsignals[0].magnitude)


def test_pynn_checkpoint_and_restore(tmp_path):
    a = _network()
    sim.run(50.0)
    sim.checkpoint(str(tmp_path / "c"))
    sim.run(50.0)
    whole, v_whole = _trains(a)
    sim.end()
    a = _network()
    sim.restore(str(tmp_path / "c"))
    assert sim.get_current_time() == 50.0
    sim.run(50.0)
    again, v_again = _trains(a)
    sim.end()
    assert sum(t.size for t in whole) > 500
    assert all(np.array_equal(x, y) for x, y in zip(whole, again))
    assert np.array_equal(v_whole, v_again)
