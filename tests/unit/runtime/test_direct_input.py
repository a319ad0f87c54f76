"""Direct input (spinn/runtime/direct.py): one-to-one Poisson drive written straight into the
ring buffer gives exactly what the packet path gives, and is used only where it applies."""

import numpy as np
import pytest

import spinn as sim


def drive(record_source, n=40, npc=16, ranks_comm=None):
    sim.setup(timestep=0.1, seed=5, neurons_per_core=npc, verbose=False, comm=ranks_comm)
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=np.linspace(500.0, 20000.0, n)),
                         label="src")
    post = sim.Population(n, sim.IF_curr_delta(v_thresh=1e9, tau_m=1e9), label="post")
    proj = sim.Projection(src, post, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.1, 1)),
                                            delay=1.5))
    if record_source:
        src.record("spikes")
    post.record("v")
    sim.run(200.0)
    out = (post.get_data("v").values, sim.provenance(), proj.size(),
           any(g.direct is not None for g in sim.simulation().engine.groups),
           np.array(proj.get("weight")))
    sim.end()
    return out


def test_direct_input_equals_the_packet_path():
    """With the source's spikes recorded (packet path) and not (direct path), every neuron's
    v trace is bit-identical, and so are spike, event and synapse counts and the weights."""
    v_direct, prov_direct, size_direct, used_direct, w_direct = drive(record_source=False)
    v_packets, prov_packets, size_packets, used_packets, w_packets = drive(record_source=True)
    assert used_direct and not used_packets
    assert np.array_equal(v_direct, v_packets)
    assert v_direct[-1].min() > v_direct[0].max()         # input did arrive
    for key in ("spikes_emitted", "synaptic_events"):
        assert prov_direct[key] == prov_packets[key] > 0
    assert size_direct == size_packets == 40
    assert np.array_equal(w_direct, w_packets)
    assert prov_direct["packets_sent"] < prov_packets["packets_sent"]


@pytest.mark.parametrize("change", ["view", "two_projections", "core_size"])
def test_direct_input_only_where_it_applies(change):
    """Views, several projections from the source, or different core sizes keep the packet
    path (each source core would not feed exactly one local target core)."""
    sim.setup(timestep=0.1, seed=1, neurons_per_core=16, verbose=False)
    src = sim.Population(32, sim.SpikeSourcePoisson(rate=100.0), label="src")
    post = sim.Population(32, sim.IF_curr_exp(), label="post",
                          neurons_per_core=8 if change == "core_size" else None)
    syn = sim.StaticSynapse(weight=0.1, delay=1.0)
    if change == "view":
        sim.Projection(src[0:16], post[16:32], sim.OneToOneConnector(), syn)
    else:
        sim.Projection(src, post, sim.OneToOneConnector(), syn)
    if change == "two_projections":
        sim.Projection(src, post, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=-0.1, delay=1.0), receptor_type="inhibitory")
    sim.run(10.0)
    assert all(g.direct is None for g in sim.simulation().engine.groups)
    sim.end()
