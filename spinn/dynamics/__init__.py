"""Cell types: one small file each.  Adding a model touches only its file and a line here."""

from spinn.dynamics.adex import EIF_cond_exp_isfa_ista
from spinn.dynamics.if_cond_alpha import IF_cond_alpha
from spinn.dynamics.if_cond_exp import IF_cond_exp
from spinn.dynamics.if_curr_alpha import IF_curr_alpha
from spinn.dynamics.if_curr_delta import IF_curr_delta
from spinn.dynamics.if_curr_exp import IF_curr_exp
from spinn.dynamics.izhikevich import Izhikevich
from spinn.dynamics.spike_source_array import SpikeSourceArray
from spinn.dynamics.spike_source_poisson import SpikeSourcePoisson

REGISTRY = {
    cls.__name__: cls
    for cls in (IF_curr_exp, IF_cond_exp, IF_curr_delta, SpikeSourcePoisson, SpikeSourceArray,
                IF_curr_alpha, IF_cond_alpha,
                Izhikevich, EIF_cond_exp_isfa_ista)
}

# SpikeInjector (spinn/dynamics/spike_injector.py) is a device, not a model: it has no
# parameters and is reached through spinn.external_devices, as in sPyNNaker
__all__ = list(REGISTRY) + ["REGISTRY"]
