"""A run long enough to be preempted (tests/unit/runtime/test_preemption.py):

    preempt_net.py T_MS OUT.npz

Writes the recorded spikes of the whole run to OUT.npz on rank 0 when it ends."""

import sys

import numpy as np

import spinn as sim

sim.setup(timestep=0.1, seed=3, neurons_per_core=100, verbose=True)
noise = sim.Population(200, sim.SpikeSourcePoisson(rate=500.0), label="noise")
a = sim.Population(1000, sim.IF_curr_exp(), label="a")
sim.Projection(noise, a, sim.FixedProbabilityConnector(0.1),
               sim.StaticSynapse(weight=0.4, delay=1.0))
sim.Projection(a, a, sim.FixedProbabilityConnector(0.05),
               sim.StaticSynapse(weight=0.02, delay=sim.RandomDistribution("uniform", (1, 30))))
a.record("spikes")
sim.run(float(sys.argv[1]) / 2)
sim.run(float(sys.argv[1]) / 2)
s = sim.simulation().results.spikes(a)
if sim.rank() == 0:
    np.savez(sys.argv[2], t=s.times_ms, i=s.ids)
sim.end()
