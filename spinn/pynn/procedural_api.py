"""PyNN's procedural API (create, connect, record) on spinn.pynn's classes."""

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector

from spinn.pynn.populations import Population
from spinn.pynn.projections import Projection
from spinn.pynn.standardmodels import StaticSynapse

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(__import__("spinn.pynn.simulator", fromlist=["state"]))


def record_v(source, filename):
    """PyNN 0.7's record_v: record the membrane potential of source into filename."""
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    """PyNN 0.7's record_gsyn: record the synaptic conductances of source into filename."""
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
