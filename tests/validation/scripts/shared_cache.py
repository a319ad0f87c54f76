"""Two ranks with the same kernels: one population in two equal cores, one per rank."""
import sys

import spinn as sim

sim.setup(timestep=0.1, seed=3, neurons_per_core=200, verbose=True)
cells = sim.Population(400, sim.IF_curr_exp(i_offset=1.2, tau_refrac=2.0), label="cells",
                       initial_values={"v": sim.RandomDistribution("uniform", (-65.0, -50.0))})
sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.05),
               sim.StaticSynapse(weight=0.05, delay=1.0))
cells.record("spikes")
sim.run(200.0)
sim.write_results(sys.argv[1], title="shared cache")
sim.end()
