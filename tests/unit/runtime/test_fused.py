"""Fused ticks (spinn/runtime/fused.py): the generated update and the single-rank compiled
tick loop give exactly what the per-tick path gives, spike recording included."""

import numpy as np
import pytest
from numba import njit

import spinn as sim
from spinn.kernels.params import compact_constants
from spinn.runtime import fused


def network(per_tick):
    sim.setup(timestep=0.1, seed=11, neurons_per_core=64, verbose=False)
    src = sim.Population(50, sim.SpikeSourcePoisson(rate=800.0), label="src")
    exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=0.5), label="exc",
                         initial_values={"v": sim.RandomDistribution("uniform", (-65, -50))})
    inh = sim.Population(100, sim.IF_cond_exp(), label="inh")
    sim.Projection(src, exc, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=1.2, delay=0.5))
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.1),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=-0.5, delay=0.8), receptor_type="inhibitory")
    # delays beyond the ring buffer: the delay-extension queues run inside the local loop
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.05), sim.StaticSynapse(
        weight=0.4, delay=sim.RandomDistribution("uniform", (2.0, 40.0))))
    for p in (src, exc, inh):
        p.record("spikes")
    # a callback needs Python after every tick, so it keeps the per-tick path
    sim.run(300.0, callbacks=[lambda t: t + 0.1] if per_tick else None)
    s = sim.simulation().engine
    assert sim.simulation().plan.n_stages > 2
    out = ([p.get_spikes() for p in (exc, inh, src)], sim.provenance(), dict(s.timers))
    sim.end()
    return out


def test_local_loop_equals_per_tick_path():
    spikes_local, prov_local, timers_local = network(per_tick=False)
    spikes_tick, prov_tick, timers_tick = network(per_tick=True)
    # the compiled loop times its phases by the monotonic clock on one rank too; "local"
    # keeps the Python side of its calls
    assert timers_local["update"] > 0 and timers_local["deliver"] > 0
    assert timers_tick["local"] == 0 and timers_tick["update"] > 0
    total = 0
    for a, b in zip(spikes_local, spikes_tick):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        total += a[0].size
    assert total > 4000   # more than the recorder's first buffer: the regrow path ran
    for key in ("spikes_emitted", "synaptic_events", "packets_sent", "packets_received",
                "spikes_recorded", "unrouted_packets", "population_table_misses"):
        assert prov_local[key] == prov_tick[key], key
    assert prov_local["synaptic_events"] > 0


def test_generated_module_calls_every_kernel_in_order():
    from spinn.dynamics.if_cond_exp import _tick as cond
    from spinn.dynamics.if_curr_exp import _tick as curr
    S, C = np.zeros((4, 3)), (1.0, np.ones(3))
    args = (S, C, 0, np.zeros(3, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64),
            np.zeros((1, 0, 0)))
    text = fused.source([curr, cond, curr], (args, args, args))
    calls = [line for line in text.splitlines() if "n_out = k" in line]
    assert [c.split("(")[0].split()[-1] for c in calls] == ["k0", "k1", "k0"]
    assert "G[2][6]" in calls[2]
    assert fused.compiled([curr, cond], (args, args)) is fused.compiled([curr, cond], (args, args))


def test_a_kernel_with_the_wrong_arguments_is_refused():
    @njit
    def bad(S, ring, step0, n_steps, out, n_out):
        return n_out

    with pytest.raises(TypeError, match=r"bad: a tick kernel must end with the arguments"):
        fused.source([bad], ((np.zeros(1),),))


def test_compact_constants_keep_per_neuron_values_as_arrays():
    C = np.array([[1.0, 1.0, 1.0], [0.5, 0.25, 0.5]])
    a, b = compact_constants(C)
    assert a == 1.0 and isinstance(a, float)
    assert np.array_equal(b, [0.5, 0.25, 0.5])
    empty = compact_constants(np.zeros((2, 0)))
    assert all(x.shape == (0,) for x in empty)


def test_generated_module_changes_when_a_compiled_in_source_changes(tmp_path, monkeypatch):
    """numba caches the generated module by its own file; the kernels it links in must be part
    of its text, or an edited kernel would keep running its old compiled code."""
    (tmp_path / "user_kernel.py").write_text(
        "from numba import njit\n\n@njit\n"
        "def tick(S, ring, step0, slot_mask, n_steps, out, n_out):\n    return n_out\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_kernel
    G = ((np.zeros(1),),)
    before = fused.source([user_kernel.tick], G)
    assert fused.source([user_kernel.tick], G) == before
    (tmp_path / "user_kernel.py").write_text(
        "from numba import njit\n\n@njit\n"
        "def tick(S, ring, step0, slot_mask, n_steps, out, n_out):\n    return n_out + 0\n")
    assert fused.source([user_kernel.tick], G) != before


def test_one_compiled_tick_loop_serves_every_kernel_sequence():
    """The whole-tick loop is compiled once per source tree: networks of other kernel
    sequences reuse it (their own update is passed in as a first-class function)."""
    loops, counts = set(), []
    for cell in (sim.IF_curr_exp(), sim.IF_cond_exp(), sim.IF_curr_alpha()):
        sim.setup(timestep=0.1, seed=3, verbose=False)
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        pop = sim.Population(30, cell)
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
        pop.record("spikes")
        sim.run(20.0)
        s = sim.simulation().engine
        f = fused.compiled(s.kernels, tuple(g.celltype.kernel_args(g) for g in s.groups))
        assert s.whole_ticks_compiled()
        loops.add(id(f.ticks.run_ticks))
        counts.append(len(f.ticks.run_ticks.signatures))
        sim.end()
    assert len(loops) == 1
    assert counts[1] == counts[0] and counts[2] == counts[0]   # nothing compiled again
