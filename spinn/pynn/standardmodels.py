"""PyNN's standard cell and synapse types, on spinn's native models.

spinn's native models already use PyNN's parameter names, units and defaults, so each
translation is the identity; what a class adds is the native class it builds.
"""

from pyNN.standardmodels import build_translations, cells, synapses

import spinn


def _identity(celltype):
    return build_translations(*[(n, n) for n in celltype.default_parameters])


def _cell(pynn_class, native, extra_recordable=()):
    cls = type(pynn_class.__name__, (pynn_class,), {
        "__doc__": pynn_class.__doc__,
        "translations": _identity(pynn_class),
        "native": native,
        "recordable": list(dict.fromkeys([*pynn_class.recordable, *extra_recordable])),
        "units": {**pynn_class.units, **{v: "nA" for v in extra_recordable}},
        "__module__": __name__,
    })
    return cls


IF_curr_exp = _cell(cells.IF_curr_exp, spinn.IF_curr_exp, ("isyn_exc", "isyn_inh"))
IF_curr_alpha = _cell(cells.IF_curr_alpha, spinn.IF_curr_alpha, ("isyn_exc", "isyn_inh"))
IF_curr_delta = _cell(cells.IF_curr_delta, spinn.IF_curr_delta)
IF_cond_exp = _cell(cells.IF_cond_exp, spinn.IF_cond_exp)
IF_cond_alpha = _cell(cells.IF_cond_alpha, spinn.IF_cond_alpha)
Izhikevich = _cell(cells.Izhikevich, spinn.Izhikevich)
EIF_cond_exp_isfa_ista = _cell(cells.EIF_cond_exp_isfa_ista, spinn.EIF_cond_exp_isfa_ista)
SpikeSourcePoisson = _cell(cells.SpikeSourcePoisson, spinn.SpikeSourcePoisson)
SpikeSourceArray = _cell(cells.SpikeSourceArray, spinn.SpikeSourceArray)


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        from spinn.pynn.simulator import state
        return state.min_delay


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(("tau_plus", "tau_plus"), ("tau_minus", "tau_minus"),
                                      ("A_plus", "A_plus"), ("A_minus", "A_minus"))
    native = spinn.SpikePairRule


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    native = spinn.AdditiveWeightDependence


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    native = spinn.MultiplicativeWeightDependence


class GutigWeightDependence(synapses.GutigWeightDependence):
    __doc__ = synapses.GutigWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"),
                                      ("mu_plus", "mu_plus"), ("mu_minus", "mu_minus"))
    native = spinn.GutigWeightDependence


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))

    def _get_minimum_delay(self):
        from spinn.pynn.simulator import state
        return state.min_delay


CELL_TYPES = [IF_curr_exp, IF_curr_alpha, IF_curr_delta, IF_cond_exp, IF_cond_alpha,
              Izhikevich, EIF_cond_exp_isfa_ista, SpikeSourcePoisson, SpikeSourceArray]
