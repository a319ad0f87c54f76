"""spinn as a PyNN backend: ``import spinn.pynn as sim`` runs PyNN 0.13 scripts on spinn.

Built the way pyNN.nest is, on PyNN's own classes (pyNN.common, pyNN.standardmodels,
pyNN.recording with Neo, pyNN.random, pyNN.space, pyNN.connectors), with spinn's engine
underneath: spinn's mapping, build, tick loop and recording, identical on any rank count.
What works and what does not yet: README, "PyNN backend".
"""

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from spinn.pynn.control import (  # noqa: F401
    checkpoint,
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    restore,
    run,
    run_for,
    run_until,
    setup,
)
from spinn.pynn.electrodes import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource  # noqa
from spinn.pynn.nest_models import native_cell_type, native_synapse_type  # noqa: F401
from spinn.pynn.populations import Assembly, Population, PopulationView  # noqa: F401
from spinn.pynn.procedural_api import connect, create, record, record_gsyn, record_v  # noqa
from spinn.pynn.projections import Projection  # noqa: F401
from spinn.pynn.standardmodels import (  # noqa: F401
    AdditiveWeightDependence,
    EIF_cond_exp_isfa_ista,
    GutigWeightDependence,
    IF_cond_alpha,
    IF_cond_exp,
    IF_curr_alpha,
    IF_curr_delta,
    IF_curr_exp,
    Izhikevich,
    MultiplicativeWeightDependence,
    SpikePairRule,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
    STDPMechanism,
)


def list_standard_models():
    """The StandardCellType classes available in spinn.pynn."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and obj is not StandardCellType]
from spinn.pynn import external_devices  # noqa: E402,F401 (sPyNNaker's sim.external_devices)
