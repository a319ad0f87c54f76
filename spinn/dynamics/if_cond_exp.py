"""IF_cond_exp: leaky integrate-and-fire, exponentially decaying synaptic conductances.

Equations (v in mV, conductances in µS, cm in nF, currents in nA, times in ms)::

    cm dv/dt     = cm (v_rest - v) / tau_m + g_exc (e_rev_E - v) + g_inh (e_rev_I - v) + i_offset
    dg_exc/dt    = -g_exc / tau_syn_E      (a spike of weight w adds w to g_exc)
    dg_inh/dt    = -g_inh / tau_syn_I
    v >= v_thresh  →  spike, v = v_reset, clamped for tau_refrac (conductances keep decaying)

Integration scheme (documented, second order): over a step h the conductances are replaced by
their exact mean over the step, ḡ = g tau/h (1 - exp(-h/tau)); with ḡ fixed the v equation is
linear, and v is advanced exactly:  a = (cm/tau_m + ḡe + ḡi)/cm,
v∞ = (cm/tau_m v_rest + ḡe e_rev_E + ḡi e_rev_I + i_offset) / (a cm),  v ← v∞ + (v - v∞) e^{-a h}.
Then g ← g exp(-h/tau) + input arriving this step, then the threshold test (NEST's order for
iaf_cond_exp, whose reference integrator is adaptive RKF45).  The local error is O(h²·ġ):
at dt = 0.1 ms and the Vogels–Abbott parameters the trace stays within ~0.05 mV of a tight
solve_ivp reference (tests/validation).
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import (
    CellType,
    Param,
    State,
    check_reset_below_threshold,
    lif_parameters,
    time_constant,
)
from spinn.kernels.grid import refractory_steps
from spinn.kernels.packets import emit_threshold_spikes
from spinn.kernels.params import at
from spinn.kernels.record import record_state
from spinn.kernels.vexp import vexp


class IF_cond_exp(CellType):
    refractory_grid = True     # tau_refrac rounds up to whole steps (kernels/grid.py)
    step_ns = 1.7
    parameters = lif_parameters(
        tau_syn_E=time_constant(5.0), tau_syn_I=time_constant(5.0),
        e_rev_E=Param(0.0, "mV"), e_rev_I=Param(-70.0, "mV"))
    state = {
        "v": State("mV", "v_rest"),
        "gsyn_exc": State("µS", 0.0),
        "gsyn_inh": State("µS", 0.0),
        "refrac": State("steps", 0.0),
    }
    recordable = ("spikes", "v", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    conductance_based = True
    weight_unit = "µS"

    def check_relations(self, owner):
        check_reset_below_threshold(owner, self.values)

    def prepare(self, P, dt):
        pe = np.exp(-dt / P["tau_syn_E"])
        pi = np.exp(-dt / P["tau_syn_I"])
        return np.array([
            P["cm"] / P["tau_m"],                 # g_L (µS)
            P["cm"],
            pe, pi,
            P["tau_syn_E"] / dt * (1.0 - pe),     # mean of exp decay over the step
            P["tau_syn_I"] / dt * (1.0 - pi),
            P["e_rev_E"], P["e_rev_I"],
            P["v_rest"], P["v_reset"], P["v_thresh"],
            refractory_steps(P["tau_refrac"], dt), P["i_offset"],
            np.full_like(P["cm"], dt),
        ])

    def kernel(self):
        return _tick


# error_model="numpy": no zero-division check on / gtot (gtot ≥ g_L > 0), whose branch would
# stop the loop from vectorising (8.9 → 1.4 ns per neuron-step with vexp)
@njit(cache=True, nogil=True, error_model="numpy")
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, ge, gi, ref = S[0], S[1], S[2], S[3]
    g_l, cm, pe, pi, me, mi = C[0], C[1], C[2], C[3], C[4], C[5]
    e_e, e_i, v_rest, v_reset, v_th, ref_steps, i_off, h = (
        C[6], C[7], C[8], C[9], C[10], C[11], C[12], C[13])
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
            gbe = ge[i] * at(me, i)
            gbi = gi[i] * at(mi, i)
            gtot = at(g_l, i) + gbe + gbi
            v_inf = (at(g_l, i) * at(v_rest, i) + gbe * at(e_e, i) + gbi * at(e_i, i)
                     + (at(i_off, i) + cs * cur[i])) / gtot
            v_new = v_inf + (v[i] - v_inf) * vexp(-gtot / at(cm, i) * at(h, i))
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            ge[i] = ge[i] * at(pe, i) + in_e[i]
            gi[i] = gi[i] * at(pi, i) + in_i[i]
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
