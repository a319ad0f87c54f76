"""A network with everything a checkpoint must carry, run whole or in two halves with a
checkpoint between (tests/unit/runtime/test_checkpoint.py).

    checkpoint_net.py VARIANT MODE CHECKPOINT OUT.npz [T_MS]

VARIANT "plastic": STDP with delays over several delay-extension stages, conductance and
current cells, Poisson and spike-array sources, sampled v (the per-tick path); "static": static
synapses only with lag 2 and 14 delay stages (the compiled loop).  MODE "full" runs 2·T,
"first" runs T and checkpoints, "second" restores and runs T; full and second write the
spikes (and v, weights) of the whole 2·T to OUT.npz on rank 0.
"""

import sys

import numpy as np

import spinn as sim

variant, mode, path, out = sys.argv[1:5]
T = float(sys.argv[5]) if len(sys.argv) > 5 else 100.0
sim.setup(timestep=0.1, seed=7, neurons_per_core=30, verbose=False)
recorded, plastic = [], None
if variant == "plastic":
    exc = sim.Population(120, sim.IF_curr_exp(tau_refrac=2.0), label="exc")
    inh = sim.Population(30, sim.IF_cond_exp(), label="inh")
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=800.0), label="noise")
    arr = sim.Population(5, sim.SpikeSourceArray(spike_times=[[5.0, 60.0, 130.0]] * 5),
                         label="arr")
    sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=0.4, delay=1.5))
    sim.Projection(noise, inh, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=0.004, delay=0.8))
    sim.Projection(arr, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=3.0))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20, tau_minus=20, A_plus=0.01,
                                            A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=0.5), weight=0.2,
        delay=sim.RandomDistribution("uniform", (1.0, 30.0)))
    plastic = sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1), stdp)
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2), sim.StaticSynapse(
        weight=0.002, delay=sim.RandomDistribution("uniform", (0.5, 40.0))))
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=-0.6, delay=2.0), receptor_type="inhibitory")
    recorded = [exc, inh]
    exc.record("v", sampling_interval=1.0)
else:
    exc = sim.Population(200, sim.IF_curr_exp(tau_refrac=2.0), label="exc")
    noise = sim.Population(60, sim.SpikeSourcePoisson(rate=600.0), label="noise")
    sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=0.35, delay=2.0))
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(
        weight=0.05, delay=sim.RandomDistribution("uniform", (2.0, 60.0))))
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.05),
                   sim.StaticSynapse(weight=-0.2, delay=2.5), receptor_type="inhibitory")
    recorded = [exc]
for p in recorded:
    p.record("spikes")

if mode == "full":
    sim.run(2 * T)
elif mode == "first":
    sim.run(T)
    sim.checkpoint(path)
elif mode == "second":
    sim.restore(path)
    sim.run(T)
if mode != "first":
    result = {}
    for p in recorded:
        s = sim.simulation().results.spikes(p)
        result[p.label + "_t"], result[p.label + "_i"] = s.times_ms, s.ids
    if "v" in exc.recording:
        result["v"] = sim.simulation().results.state(exc, "v").values
    if plastic is not None:
        result["w"] = np.nan_to_num(plastic.get("weight", format="array"))
    if sim.rank() == 0:
        np.savez(out, **result)
sim.end()
