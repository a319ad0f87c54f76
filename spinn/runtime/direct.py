"""Direct input: one-to-one spike sources that write straight into their targets' ring buffer.

A SpikeSourcePoisson population whose only projection is a static OneToOne projection onto a
whole population of the same size and core size, with every delay inside the ring buffer, and
whose spikes are not recorded, is the drive of a model (Brunel's and PD14's background): each
source core feeds exactly one target core, and placement always puts the two on the same rank.
Such a source skips packets, routing, exchange and delivery: its kernel adds weight × count
into slot (t + delay) of its target — the same sum the packet path would make.  Whether a
projection is direct depends on the network only, never on the rank count, so results stay
identical on any number of ranks.
"""

import numpy as np

from spinn.model.connectors import OneToOneConnector
from spinn.runtime.build import generate_core_synapses


def direct_projections(network, plan):
    """{source population index: projection} of the projections served directly."""
    out = {}
    for pop in network.populations:
        if pop.celltype.name != "SpikeSourcePoisson" or "spikes" in pop.recording:
            continue
        projs = [p for p in network.projections if p.pre.parent is pop]
        if len(projs) != 1:
            continue
        proj = projs[0]
        post = proj.post
        ok = (isinstance(proj.connector, OneToOneConnector) and not proj.plastic
              and proj.pre is pop and post is post.parent and post.size == pop.size
              and post.neurons_per_core == pop.neurons_per_core
              and proj.delay_steps_range[1] <= plan.n_slots)
        if ok:
            out[pop.index] = proj
    return out


def attach_direct_inputs(sim, network, plan, direct):
    """Give each direct source group its targets: rank-local target index, signed float32
    weight, receptor and delay per source neuron (from the projection's own streams)."""
    for g in sim.groups:
        proj = direct.get(g.pop.index)
        if proj is None:
            continue
        tgt = np.full(g.n, -1, np.int64)
        w = np.zeros(g.n, np.float32)
        delay = np.ones(g.n, np.int64)
        for k, core in enumerate(g.cores):
            # the target core of source core `core`: same position in the post population
            t_core = int(plan.pop_first_core[proj.post.index] + core
                         - plan.pop_first_core[g.pop.index])
            base = sim.cores.base[sim.cores.slot[t_core]] if sim.cores.slot[t_core] >= 0 else -1
            assert base >= 0, "a direct source core must sit with its target"
            (pre_gid, idx, wt, d, _), _ = generate_core_synapses(
                network, plan, t_core, {}, [proj], signed=True)
            lid = pre_gid - g.pop.gid_lo - g.core_lo[k] + g.core_bounds[k]
            tgt[lid] = base + idx
            w[lid] = wt.astype(np.float32)
            delay[lid] = d
        g.direct = (tgt, w, np.int64(proj.receptor), delay)
