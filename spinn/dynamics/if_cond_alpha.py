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

Integration scheme (IF_cond_exp's exponential integrator): over a step h the conductances
evolve exactly, g(s) = (g + s dg) e^{-s/tau}, so Λ(s) = ∫_0^s A is in closed form
(∫_0^s g = g s φ1(s/tau) + dg s² φ2(s/tau), φ1(x) = (1 - e^{-x})/x, φ2(x) = (1 - e^{-x}(1 + x))/x²)
and v(h) = v e^{-Λ(h)} + ∫_0^h e^{-(Λ(h) - Λ(s))} B(s) ds with the integral by 3-point
Gauss–Legendre quadrature (an alpha conductance rises and falls within a step: 2 points left
0.01 mV at dt 1.0).  Then g ← (g + h dg) e^{-h/tau}, dg ← dg e^{-h/tau} + (input
arriving this step) e/tau, then the threshold test (the order of IF_cond_exp; NEST integrates
iaf_cond_alpha with adaptive RKF45 and adds input after its threshold test, which is
equivalent since input enters dg).  Within 1e-3 mV of a tight solve_ivp reference at dt 1.0
and 0.1 ms while the conductances change (tests/validation/test_cond_accuracy.py).
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
from spinn.dynamics.if_cond_exp import gauss_nodes
from spinn.dynamics.if_curr_alpha import phi1, phi2
from spinn.kernels.grid import refractory_steps
from spinn.kernels.packets import emit_threshold_spikes
from spinn.kernels.params import at
from spinn.kernels.record import record_state
from spinn.kernels.vexp import vexp_short


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
        te, ti, cm = P["tau_syn_E"], P["tau_syn_I"], P["cm"]
        (s1, s2, s3), (w1, w2, w3) = gauss_nodes(dt, 3)
        rows = [dt / P["tau_m"], s1 / P["tau_m"], s2 / P["tau_m"], s3 / P["tau_m"]]   # 0-3
        for tau in (te, ti):            # 4-11 (exc), 12-19 (inh): Λ per µS of g and of dg
            for s in (dt, s1, s2, s3):
                rows += [s * phi1(s / tau) / cm, s * s * phi2(s / tau) / cm]
        for tau, e_rev in ((te, P["e_rev_E"]), (ti, P["e_rev_I"])):   # 20-25, 26-31: B
            for s in (s1, s2, s3):
                d = np.exp(-s / tau)
                rows += [d * e_rev / cm, s * d * e_rev / cm]
        g_l = cm / P["tau_m"]
        rows += [
            (g_l * P["v_rest"] + P["i_offset"]) / cm, 1.0 / cm,             # 32, 33
            np.exp(-dt / te), np.exp(-dt / ti),                              # 34, 35
            np.e / te, np.e / ti,                                            # 36, 37
            P["v_reset"], P["v_thresh"], refractory_steps(P["tau_refrac"], dt),  # 38-40
            np.full_like(te, dt), np.full_like(te, w1), np.full_like(te, w2),   # 41-43
            np.full_like(te, w3),                                            # 44
        ]
        return np.array([np.broadcast_to(np.asarray(r, np.float64), te.shape) for r in rows])

    def kernel(self):
        return _tick


# contract: LLVM may fuse a multiply and an add into one FMA (47 → 33 ns per neuron-step
# here); no reassociation, so vexp's shifter arithmetic and the sums keep their order, and
# the scalar and vector paths contract alike: identical on any rank count
@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, ge, gi, ref, dge, dgi = S[0], S[1], S[2], S[3], S[4], S[5]
    lh, l1, l2, l3 = C[0], C[1], C[2], C[3]
    ahe, bhe, a1e, b1e, a2e, b2e, a3e, b3e = C[4], C[5], C[6], C[7], C[8], C[9], C[10], C[11]
    ahi, bhi, a1i, b1i, a2i, b2i, a3i, b3i = (C[12], C[13], C[14], C[15], C[16], C[17],
                                              C[18], C[19])
    e10, e11, e20, e21, e30, e31 = C[20], C[21], C[22], C[23], C[24], C[25]
    i10, i11, i20, i21, i30, i31 = C[26], C[27], C[28], C[29], C[30], C[31]
    b0, inv_cm, pe, pi, jump_e, jump_i = C[32], C[33], C[34], C[35], C[36], C[37]
    v_reset, v_th, ref_steps, h, w1, w2, w3 = C[38], C[39], C[40], C[41], C[42], C[43], C[44]
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
            g_e, d_e, g_i, d_i = ge[i], dge[i], gi[i], dgi[i]
            lam_h = (at(lh, i) + g_e * at(ahe, i) + d_e * at(bhe, i) + g_i * at(ahi, i)
                     + d_i * at(bhi, i))
            lam_1 = (at(l1, i) + g_e * at(a1e, i) + d_e * at(b1e, i) + g_i * at(a1i, i)
                     + d_i * at(b1i, i))
            lam_2 = (at(l2, i) + g_e * at(a2e, i) + d_e * at(b2e, i) + g_i * at(a2i, i)
                     + d_i * at(b2i, i))
            lam_3 = (at(l3, i) + g_e * at(a3e, i) + d_e * at(b3e, i) + g_i * at(a3i, i)
                     + d_i * at(b3i, i))
            drive = at(b0, i) + cs * cur[i] * at(inv_cm, i)
            q_1 = drive + g_e * at(e10, i) + d_e * at(e11, i) + g_i * at(i10, i) + \
                d_i * at(i11, i)
            q_2 = drive + g_e * at(e20, i) + d_e * at(e21, i) + g_i * at(i20, i) + \
                d_i * at(i21, i)
            q_3 = drive + g_e * at(e30, i) + d_e * at(e31, i) + g_i * at(i30, i) + \
                d_i * at(i31, i)
            v_new = (v[i] * vexp_short(-lam_h)
                     + at(w1, i) * vexp_short(lam_1 - lam_h) * q_1
                     + at(w2, i) * vexp_short(lam_2 - lam_h) * q_2
                     + at(w3, i) * vexp_short(lam_3 - lam_h) * q_3)
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            # (dg, g) ← exp(h A) (dg, g), A = [[-1/tau, 0], [1, -1/tau]]; g uses the old dg
            ge[i] = (g_e + at(h, i) * d_e) * at(pe, i)
            gi[i] = (g_i + at(h, i) * d_i) * at(pi, i)
            dge[i] = d_e * at(pe, i) + in_e[i] * at(jump_e, i)
            dgi[i] = d_i * at(pi, i) + in_i[i] * at(jump_i, i)
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
