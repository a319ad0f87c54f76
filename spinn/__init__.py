"""spinn: a SpiNNaker-style distributed spiking neural network simulator on MPI.

PyNN's names and units (mV, ms, nA, nF, µS)::

    import spinn as sim
    sim.setup(timestep=0.1, seed=42)
    exc = sim.Population(100, sim.IF_curr_exp(tau_m=10.0), label="exc")
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1),
                   sim.StaticSynapse(weight=0.05, delay=1.0), receptor_type="excitatory")
    exc.record("spikes")
    sim.run(1000.0)
    times, ids = exc.get_spikes()
"""

__version__ = "0.1.0"

import spinn._numba_cache  # noqa: E402,F401  (before any kernel is defined)
from spinn.api import (  # noqa: E402
    Population,
    Projection,
    build,
    checkpoint,
    current,
    end,
    get_current_time,
    num_processes,
    provenance,
    rank,
    reset,
    restore,
    run,
    setup,
    simulation,
    write_results,
)
from spinn.distributions import RandomDistribution  # noqa: E402
from spinn.dynamics import (  # noqa: E402
    EIF_cond_exp_isfa_ista,
    IF_cond_alpha,
    IF_cond_exp,
    IF_curr_alpha,
    IF_curr_delta,
    IF_curr_exp,
    Izhikevich,
    SpikeSourceArray,
    SpikeSourcePoisson,
)
from spinn.dynamics.stdp import (  # noqa: E402
    AdditiveWeightDependence,
    GutigWeightDependence,
    MultiplicativeWeightDependence,
    SpikePairRule,
)
from spinn.errors import ConfigurationError, SimulationError, SpinnError  # noqa: E402
from spinn.model.connectors import (  # noqa: E402
    AllToAllConnector,
    ArrayConnector,
    CloneConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    FromListConnector,
    OneToOneConnector,
)
from spinn.model.distance import (  # noqa: E402
    DistanceDependentProbabilityConnector,
    SmallWorldConnector,
)
from spinn.model.electrodes import (  # noqa: E402
    ACSource,
    DCSource,
    NoisyCurrentSource,
    StepCurrentSource,
)
from spinn.model.function import CSAConnector, IndexBasedProbabilityConnector  # noqa: E402
from spinn.model.space import Cuboid, Grid2D, Grid3D, Line, RandomStructure, Sphere  # noqa: E402
from spinn.model.synapses import StaticSynapse, STDPMechanism  # noqa: E402

__all__ = [
    "EIF_cond_exp_isfa_ista", "IF_cond_alpha", "IF_curr_alpha", "Izhikevich",
    "AdditiveWeightDependence", "MultiplicativeWeightDependence", "GutigWeightDependence",
    "SmallWorldConnector", "CSAConnector",
    "SpikePairRule",
    "STDPMechanism", "AllToAllConnector", "ConfigurationError", "FixedNumberPostConnector",
    "FixedNumberPreConnector", "FixedProbabilityConnector", "FromListConnector", "IF_cond_exp",
    "IF_curr_delta", "IF_curr_exp", "OneToOneConnector", "Population", "Projection",
    "RandomDistribution", "SimulationError", "SpikeSourceArray", "SpikeSourcePoisson",
    "SpinnError", "StaticSynapse", "build", "current", "end", "get_current_time",
    "num_processes", "provenance", "rank", "reset", "run", "setup", "simulation", "write_results",
]
__all__ += [
    "ArrayConnector", "DistanceDependentProbabilityConnector", "FixedTotalNumberConnector",
    "Cuboid", "Grid2D", "Grid3D", "Line", "RandomStructure", "Sphere",
    "ACSource", "DCSource", "NoisyCurrentSource", "StepCurrentSource",
    "CloneConnector", "IndexBasedProbabilityConnector", "checkpoint", "restore",
]

from spinn.kernels import initialise as _initialise_kernels  # noqa: E402

_initialise_kernels()
