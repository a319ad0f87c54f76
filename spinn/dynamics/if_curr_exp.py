"""IF_curr_exp: leaky integrate-and-fire, exponentially decaying synaptic currents.

Equations (PyNN names; v in mV, currents in nA, cm in nF, times in ms)::

    cm dv/dt   = cm (v_rest - v) / tau_m + i_exc - i_inh + i_offset
    di_exc/dt  = -i_exc / tau_syn_E        (a spike of weight w adds w to i_exc)
    di_inh/dt  = -i_inh / tau_syn_I
    v >= v_thresh  →  spike, v = v_reset, clamped for tau_refrac

Integration: exact (Rotter & Diesmann 1999), as NEST's iaf_psc_exp.  Per step h: if not
refractory, v ← v_rest + (v - v_rest) P22 + i_exc P21e + i_inh P21i + i_offset P20, with
P22 = exp(-h/tau_m), P20 = tau_m/cm (1 - P22), P21x = tau_m tau_x / (cm (tau_x - tau_m))
(exp(-h/tau_x) - P22) (h/cm P22 when tau_x = tau_m); then i_x ← i_x exp(-h/tau_x) + input
arriving this step; then the threshold test.  Input arriving at step n moves v from step n+1.
Inhibitory weights are negative (PyNN's convention for current synapses; a positive one is
refused).
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import (
    CellType,
    State,
    check_reset_below_threshold,
    lif_parameters,
    time_constant,
)
from spinn.kernels.grid import refractory_steps
from spinn.kernels.packets import emit_threshold_spikes
from spinn.kernels.params import at
from spinn.kernels.record import record_state


def psc_propagator(tau_m, tau_s, cm, h):
    """Effect on v (mV) at t+h of a unit current (nA) at t decaying with tau_s."""
    p22 = np.exp(-h / tau_m)
    same = np.isclose(tau_m, tau_s, rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        general = tau_m * tau_s / (cm * (tau_s - tau_m)) * (np.exp(-h / tau_s) - p22)
    return np.where(same, h / cm * p22, general)


class IF_curr_exp(CellType):
    refractory_grid = True     # tau_refrac rounds up to whole steps (kernels/grid.py)
    step_ns = 0.5
    parameters = lif_parameters(
        tau_syn_E=time_constant(5.0), tau_syn_I=time_constant(5.0))
    state = {
        "v": State("mV", "v_rest"),
        "isyn_exc": State("nA", 0.0),
        "isyn_inh": State("nA", 0.0),
        "refrac": State("steps", 0.0),
    }
    recordable = ("spikes", "v", "isyn_exc", "isyn_inh")
    receptors = ("excitatory", "inhibitory")
    weight_unit = "nA"

    def check_relations(self, owner):
        check_reset_below_threshold(owner, self.values)

    def prepare(self, P, dt):
        p22 = np.exp(-dt / P["tau_m"])
        return np.array([
            p22,
            psc_propagator(P["tau_m"], P["tau_syn_E"], P["cm"], dt),
            psc_propagator(P["tau_m"], P["tau_syn_I"], P["cm"], dt),
            P["tau_m"] / P["cm"] * (1.0 - p22),
            np.exp(-dt / P["tau_syn_E"]),
            np.exp(-dt / P["tau_syn_I"]),
            P["v_rest"], P["v_reset"], P["v_thresh"],
            refractory_steps(P["tau_refrac"], dt), P["i_offset"],
        ])

    def kernel(self):
        return _tick


@njit(cache=True, nogil=True)
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, ie, ii, ref = S[0], S[1], S[2], S[3]
    p22, p21e, p21i, p20, pe, pi = C[0], C[1], C[2], C[3], C[4], C[5]
    v_rest, v_reset, v_th, ref_steps, i_off = C[6], C[7], C[8], C[9], C[10]
    n = v.shape[0]
    nc = 2 if ring.shape[1] > 2 else 0       # the current channel, when there is one
    cs = 1.0 if nc else 0.0
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0, base:base + n]
        in_i = ring[slot, 1, base:base + n]
        cur = ring[slot, nc, base:base + n]     # current sources (or unused)
        for i in range(n):  # branch-free, so that it vectorises
            free = ref[i] <= 0.0
            v_new = (at(v_rest, i) + (v[i] - at(v_rest, i)) * at(p22, i) + ie[i] * at(p21e, i)
                     + ii[i] * at(p21i, i) + (at(i_off, i) + cs * cur[i]) * at(p20, i))
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            ie[i] = ie[i] * at(pe, i) + in_e[i]
            ii[i] = ii[i] * at(pi, i) + in_i[i]
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
