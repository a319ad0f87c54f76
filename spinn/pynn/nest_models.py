"""NEST's model names, parameter names, units and defaults on spinn's models — what PyNN's
SONATA importer asks a backend for (``native_cell_type("iaf_psc_alpha")``,
``native_synapse_type("static_synapse")``) when a circuit was written for NEST.

Defaults are NEST 3.10's own (nest.GetDefaults), not PyNN's: iaf_psc_alpha's tau_syn is
2 ms, C_m 250 pF.  Units are NEST's — pF, pA, nS, and synaptic weights in pA (current
models) or nS (conductance models) — translated to spinn's nF, nA and µS.  As in NEST, a
static_synapse's negative weight is inhibitory: a projection of it is split by sign into an
excitatory and an inhibitory part (a conductance keeps its magnitude).
"""

import numpy as np
from pyNN.parameters import Sequence
from pyNN.standardmodels import StandardCellType, StandardSynapseType, build_translations

import spinn
from spinn.errors import ConfigurationError

_LIF = [("C_m", "cm", 0.001), ("tau_m", "tau_m"), ("t_ref", "tau_refrac"), ("E_L", "v_rest"),
        ("V_th", "v_thresh"), ("V_reset", "v_reset"), ("I_e", "i_offset", 0.001)]
_SYN = [("tau_syn_ex", "tau_syn_E"), ("tau_syn_in", "tau_syn_I")]
_G_L = [("C_m", "cm", 0.001), ("g_L", "tau_m", "C_m/g_L", "cm/tau_m*1000.0")]
_COND = [("t_ref", "tau_refrac"), ("E_L", "v_rest"), ("V_th", "v_thresh"),
         ("V_reset", "v_reset"), ("I_e", "i_offset", 0.001), ("E_ex", "e_rev_E"),
         ("E_in", "e_rev_I")] + _SYN
_PSC = dict(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-70.0, V_th=-55.0, V_reset=-70.0, I_e=0.0)
_CONDP = dict(C_m=250.0, g_L=16.6667, t_ref=2.0, E_L=-70.0, V_th=-55.0, V_reset=-60.0,
              I_e=0.0, tau_syn_ex=0.2, tau_syn_in=2.0, E_ex=0.0, E_in=-85.0)

MODELS = {
    # name: (spinn class, translations, NEST defaults, initial values, NEST → spinn state)
    "iaf_psc_exp": (spinn.IF_curr_exp, _LIF + _SYN, dict(_PSC, tau_syn_ex=2.0, tau_syn_in=2.0),
                    {"V_m": -70.0}, {"V_m": "v", "I_syn_ex": "isyn_exc",
                                     "I_syn_in": "isyn_inh"}),
    "iaf_psc_alpha": (spinn.IF_curr_alpha, _LIF + _SYN,
                      dict(_PSC, tau_syn_ex=2.0, tau_syn_in=2.0), {"V_m": -70.0},
                      {"V_m": "v", "I_syn_ex": "isyn_exc", "I_syn_in": "isyn_inh"}),
    "iaf_psc_delta": (spinn.IF_curr_delta, _LIF, dict(_PSC), {"V_m": -70.0}, {"V_m": "v"}),
    "iaf_cond_exp": (spinn.IF_cond_exp, _G_L + _COND, dict(_CONDP), {"V_m": -70.0},
                     {"V_m": "v", "g_ex": "gsyn_exc", "g_in": "gsyn_inh"}),
    "iaf_cond_alpha": (spinn.IF_cond_alpha, _G_L + _COND, dict(_CONDP), {"V_m": -70.0},
                       {"V_m": "v", "g_ex": "gsyn_exc", "g_in": "gsyn_inh"}),
    "izhikevich": (spinn.Izhikevich, [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"),
                                      ("I_e", "i_offset", 0.001)],
                   dict(a=0.02, b=0.2, c=-65.0, d=8.0, I_e=0.0), {"V_m": -65.0, "U_m": -13.0},
                   {"V_m": "v", "U_m": "u"}),
    "aeif_cond_exp": (spinn.EIF_cond_exp_isfa_ista,
                      _G_L + _COND + [("a", "a"), ("b", "b", 0.001), ("Delta_T", "delta_T"),
                                      ("tau_w", "tau_w"), ("V_peak", "v_spike")],
                      dict(_CONDP, C_m=281.0, g_L=30.0, t_ref=0.0, E_L=-70.6, V_th=-50.4,
                           a=4.0, b=80.5, Delta_T=2.0, tau_w=144.0, V_peak=0.0),
                      {"V_m": -70.6, "w": 0.0}, {"V_m": "v", "w": "w", "g_ex": "gsyn_exc",
                                                 "g_in": "gsyn_inh"}),
    "spike_generator": (spinn.SpikeSourceArray, [("spike_times", "spike_times")],
                        {"spike_times": Sequence([])}, {}, {}),
}
UNITS = {"V_m": "mV", "U_m": "mV", "I_syn_ex": "pA", "I_syn_in": "pA", "g_ex": "nS",
         "g_in": "nS", "w": "pA", "spikes": "ms"}
STATE_SCALE = {"I_syn_ex": 1000.0, "I_syn_in": 1000.0, "g_ex": 1000.0, "g_in": 1000.0,
               "w": 1000.0}          # spinn's nA / µS → NEST's pA / nS


# NEST's archiving nodes carry the post-synaptic STDP trace's time constant; spinn keeps it
# beside the cell (it is not a parameter of spinn's models) for stdp_synapse projections
NEST_EXTRA = {"tau_minus": 20.0}


def native_cell_type(model_name):
    """A PyNN cell type with NEST's name, parameters, units and defaults, on spinn's model."""
    if model_name not in MODELS:
        raise ConfigurationError(
            f"native_cell_type({model_name!r}): spinn implements the NEST models "
            f"{', '.join(sorted(MODELS))}")
    native, translations, defaults, initial, variables = MODELS[model_name]
    source = native.is_source
    extra = {} if source else dict(NEST_EXTRA)
    defaults = dict(defaults, **extra)
    translations = list(translations) + [(k, k) for k in extra]
    recordable = ["spikes"] + list(variables)
    return type(model_name, (StandardCellType,), {
        "__doc__": f"NEST's {model_name} (names, units and defaults) on spinn's "
                   f"{native.__name__}.",
        "__module__": __name__,
        "nest_model": model_name,
        "default_parameters": defaults,
        "default_initial_values": dict(initial),
        "translations": build_translations(*translations),
        "native": native,
        "native_variables": variables,
        "state_scale": STATE_SCALE,
        "recordable": recordable,
        "units": {v: UNITS[v] for v in recordable},
        "receptor_types": () if source else ("excitatory", "inhibitory"),
        "conductance_based": "cond" in model_name,
        "injectable": not source and native.injectable,
        "nest_signed_weights": True,
        "nest_extra": tuple(extra),
        # NEST's weight unit on this model → spinn's: pA → nA, nS → µS; mV (delta) stays
        "nest_weight_scale": 1.0 if model_name == "iaf_psc_delta" else 0.001,
    })


class _NestStatic(StandardSynapseType):
    """NEST's static_synapse: weight in NEST's unit of the target model (pA for current
    models, nS for conductance models, mV for iaf_psc_delta), negative for inhibition; delay
    in ms.  The unit is converted where the target is known (spinn.pynn.projections)."""
    default_parameters = {"weight": 1.0, "delay": 1.0}
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    nest_signed_weights = True

    def _get_minimum_delay(self):
        from spinn.pynn.simulator import state
        return state.min_delay


class _NestSTDP(StandardSynapseType):
    """NEST's stdp_synapse (names, units and defaults of NEST 3.10): weight and Wmax in NEST's
    unit of the target model, delay in ms (all dendritic), tau_plus in ms, lambda, alpha,
    mu_plus, mu_minus; the post trace's tau_minus is the target neuron's (NEST's archiving
    node parameter, 20 ms by default).  On spinn: SpikePairRule(tau_plus, tau_minus,
    A_plus = lambda, A_minus = alpha·lambda) with GutigWeightDependence(0, Wmax, mu_plus,
    mu_minus) — NEST's update, all-to-all pairs, clipped to [0, Wmax]."""
    default_parameters = {"weight": 1.0, "delay": 1.0, "tau_plus": 20.0, "lambda": 0.01,
                          "alpha": 1.0, "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": 100.0}
    # "lambda" is a Python keyword: PyNN would eval() it as a transform, so it is given as
    # functions
    translations = build_translations(
        *[(k, k) for k in default_parameters if k != "lambda"],
        ("lambda", "lambda", lambda **p: p["lambda"], lambda **p: p["lambda"]))
    nest_signed_weights = True
    nest_stdp = True

    def _get_minimum_delay(self):
        from spinn.pynn.simulator import state
        return state.min_delay


def nest_stdp(params, tau_minus, scale, owner):
    """spinn.STDPMechanism of NEST's stdp_synapse parameters (numbers; ``weight`` already in
    spinn's units) onto targets whose tau_minus is given; Wmax × scale (NEST's unit →
    spinn's)."""
    w = params.get("weight", 1.0)
    lo = w.support()[0] if isinstance(w, spinn.RandomDistribution) else float(np.min(w))
    if lo < 0 or float(params["Wmax"]) < 0:
        raise ConfigurationError(
            f"{owner}: a NEST stdp_synapse with negative weight or Wmax (weight "
            f"{lo:g}, Wmax {params['Wmax']:g}); spinn's plastic synapses are "
            f"excitatory or inhibitory by receptor with positive magnitudes: give positive "
            f"weights")
    lam = float(params["lambda"])
    return spinn.STDPMechanism(
        timing_dependence=spinn.SpikePairRule(
            tau_plus=float(params["tau_plus"]), tau_minus=float(tau_minus), A_plus=lam,
            A_minus=float(params["alpha"]) * lam),
        weight_dependence=spinn.GutigWeightDependence(
            w_min=0.0, w_max=float(params["Wmax"]) * scale,
            mu_plus=float(params["mu_plus"]), mu_minus=float(params["mu_minus"])),
        weight=w, delay=params.get("delay"))


SYNAPSES = {"static_synapse": _NestStatic, "stdp_synapse": _NestSTDP}


def native_synapse_type(model_name):
    """A PyNN synapse type with NEST's name, units and sign convention."""
    if model_name not in SYNAPSES:
        raise ConfigurationError(
            f"native_synapse_type({model_name!r}): spinn implements the NEST synapse models "
            f"{', '.join(sorted(SYNAPSES))}")
    return type(model_name, (SYNAPSES[model_name],), {"__module__": __name__})
