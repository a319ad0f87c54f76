"""IF_cond_alpha: leaky integrate-and-fire, alpha-function synaptic conductances.

Equations (v in mV, conductances in µS, cm in nF, currents in nA, times in ms)::

    cm dv/dt              = cm (v_rest - v) / tau_m + gsyn_exc (e_rev_E - v)
                            + gsyn_inh (e_rev_I - v) + i_offset
    d(dgsyn_exc)/dt       = -dgsyn_exc / tau_syn_E   (a spike of weight w adds w e/tau_syn_E)
    d(gsyn_exc)/dt        = dgsyn_exc - gsyn_exc / tau_syn_E
    (the same for inh with tau_syn_I; weights are positive conductances for both)
    v >= v_thresh  →  spike, v = v_reset, clamped for tau_refrac (conductances keep evolving)

so one spike of weight w at t = 0 gives g(t) = w (t/tau) e^{1 - t/tau}, peaking at w when
t = tau (NEST's iaf_cond_alpha: dgsyn_x is its dg_x, gsyn_x its g_x).

Integration scheme (second order, as IF_cond_exp's): over a step h the conductances evolve
exactly, g(s) = (g + s dg) e^{-s/tau}, and are replaced in the v equation by their exact
mean over the step, ḡ = g φ1(h/tau) + dg h φ2(h/tau) with φ1(x) = (1 - e^{-x})/x and
φ2(x) = (1 - e^{-x}(1 + x))/x² (see if_curr_alpha.py).  With ḡ fixed the v equation is
linear and v is advanced exactly:  a = (cm/tau_m + ḡe + ḡi)/cm,
v∞ = (cm/tau_m v_rest + ḡe e_rev_E + ḡi e_rev_I + i_offset) / (a cm),  v ← v∞ + (v - v∞) e^{-a h}.
Then g ← (g + h dg) e^{-h/tau}, dg ← dg e^{-h/tau} + (input arriving this step) e/tau, then
the threshold test (the order of IF_cond_exp; NEST integrates iaf_cond_alpha with adaptive
RKF45 and adds input after its threshold test, which is equivalent since input enters dg).

Error: ḡ differs from g(s) by a zero-mean O(h ġ) term, whose effect on v over the step is
O(h³ ġ (1/tau_m + g/cm)); the global error is second order, O(h²).  With the PyNN default
time constants (0.3 / 0.5 ms, so h/tau up to 1/3 at dt = 0.1 ms) a single 3 mV PSP stays
within 2e-4 mV, and a Poisson-driven trace spanning 7 mV within 3e-4 mV, of a tight solve_ivp
reference at dt = 0.1 ms, the error falling 4× when dt halves (tests/validation/test_alpha.py
asserts < 0.05 mV and the ratio).  With no synaptic input the scheme is exact (f–I curve).
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
from spinn.dynamics.if_curr_alpha import phi1, phi2
from spinn.kernels.grid import refractory_steps
from spinn.kernels.packets import emit_threshold_spikes
from spinn.kernels.params import at
from spinn.kernels.record import record_state
from spinn.kernels.vexp import vexp


class IF_cond_alpha(CellType):
    refractory_grid = True     # tau_refrac rounds up to whole steps (kernels/grid.py)
    step_ns = 1.8
    parameters = lif_parameters(
        tau_syn_E=time_constant(0.3), tau_syn_I=time_constant(0.5),
        e_rev_E=Param(0.0, "mV"), e_rev_I=Param(-70.0, "mV"))
    state = {
        "v": State("mV", "v_rest"),
        "gsyn_exc": State("µS", 0.0),
        "gsyn_inh": State("µS", 0.0),
        "refrac": State("steps", 0.0),
        "dgsyn_exc": State("µS/ms", 0.0),
        "dgsyn_inh": State("µS/ms", 0.0),
    }
    recordable = ("spikes", "v", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    conductance_based = True
    weight_unit = "µS"

    def check_relations(self, owner):
        check_reset_below_threshold(owner, self.values)

    def prepare(self, P, dt):
        tau_e, tau_i = P["tau_syn_E"], P["tau_syn_I"]
        return np.array([
            P["cm"] / P["tau_m"],                          # g_L (µS)
            P["cm"],
            np.exp(-dt / tau_e), np.exp(-dt / tau_i),
            phi1(dt / tau_e), dt * phi2(dt / tau_e),       # mean of g over the step per g, dg
            phi1(dt / tau_i), dt * phi2(dt / tau_i),
            np.e / tau_e, np.e / tau_i,                    # jump of dg per µS of weight
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
    v, ge, gi, ref, dge, dgi = S[0], S[1], S[2], S[3], S[4], S[5]
    g_l, cm, pe, pi, m0e, m1e, m0i, m1i = C[0], C[1], C[2], C[3], C[4], C[5], C[6], C[7]
    jump_e, jump_i, e_e, e_i = C[8], C[9], C[10], C[11]
    v_rest, v_reset, v_th, ref_steps, i_off, h = C[12], C[13], C[14], C[15], C[16], C[17]
    n = v.shape[0]
    # Invariant: at the top of step k the state holds the values at the start of the step
    # and ring slot (step0 + k) holds the weights arriving at its end.
    nc = 2 if ring.shape[1] > 2 else 0       # the current channel, when there is one
    cs = 1.0 if nc else 0.0
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0, base:base + n]
        in_i = ring[slot, 1, base:base + n]
        cur = ring[slot, nc, base:base + n]     # current sources (or unused)
        for i in range(n):  # branch-free, so that it vectorises
            free = ref[i] <= 0.0
            gbe = ge[i] * at(m0e, i) + dge[i] * at(m1e, i)
            gbi = gi[i] * at(m0i, i) + dgi[i] * at(m1i, i)
            gtot = at(g_l, i) + gbe + gbi
            v_inf = (at(g_l, i) * at(v_rest, i) + gbe * at(e_e, i) + gbi * at(e_i, i)
                     + (at(i_off, i) + cs * cur[i])) / gtot
            v_new = v_inf + (v[i] - v_inf) * vexp(-gtot / at(cm, i) * at(h, i))
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            # (dg, g) ← exp(h A) (dg, g), A = [[-1/tau, 0], [1, -1/tau]]; g uses the old dg
            ge[i] = (ge[i] + at(h, i) * dge[i]) * at(pe, i)
            gi[i] = (gi[i] + at(h, i) * dgi[i]) * at(pi, i)
            dge[i] = dge[i] * at(pe, i) + in_e[i] * at(jump_e, i)
            dgi[i] = dgi[i] * at(pi, i) + in_i[i] * at(jump_i, i)
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
