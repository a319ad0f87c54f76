"""What set() between runs changes in a rank's built engine (spinn.simulation applies it
before the next run): a population's constants (Population.set) and the weights of static
projections (Projection.set(weight=…)); the state, the synapses and their order stay."""

import numpy as np

from spinn.kernels.params import compact_constants
from spinn.runtime.build import build_synapses, group_parameters
from spinn.runtime.direct import attach_direct_inputs, direct_projections


def refresh_parameters(g, network):
    """New constants of a group whose population's parameters were set between runs (the
    same draws per core as at the build); its state is kept."""
    ct = g.pop.celltype
    g.celltype = ct
    C = np.ascontiguousarray(ct.prepare(group_parameters(g, network), network.dt),
                             dtype=np.float64)
    g.C = compact_constants(C) if ct.compact_constants else C
    for cached in ("cdf_index", "cdf", "cdf_cmp"):        # a Poisson group's tables
        g.__dict__.pop(cached, None)


def refresh_weights(sim, network, plan, changed):
    """New weights of static projections set between runs: each post core's synapses
    generated again from the same streams (same synapses, same order) and their weights
    copied into the matrices in place; direct sources' weights likewise."""
    direct = direct_projections(network, plan)
    served = {p.index for p in direct.values()}
    if set(changed) - served:
        static = [p for p in network.projections if not p.plastic and p.index not in served]
        rebuilt = build_synapses(network, plan, sim.cores, static)
        for old, new in zip(sim.static, rebuilt, strict=True):
            if not np.array_equal(old.syn_word, new.syn_word):
                raise RuntimeError("the synapses came out differently when generated again "
                                   "for new weights (a connector not keyed by core?)")
            old.syn_weight[:] = new.syn_weight
    if set(changed) & served:
        attach_direct_inputs(sim, network, plan, direct)
        for g in sim.groups:
            if g.direct is not None and hasattr(g, "direct_args"):
                del g.direct_args                # the kernel's arguments, made again
