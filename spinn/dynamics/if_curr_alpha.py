"""IF_curr_alpha: leaky integrate-and-fire, alpha-function synaptic currents.

Equations (PyNN names; v in mV, currents in nA, cm in nF, times in ms)::

    cm dv/dt              = cm (v_rest - v) / tau_m + isyn_exc + isyn_inh + i_offset
    d(disyn_exc)/dt       = -disyn_exc / tau_syn_E   (a spike of weight w adds w e/tau_syn_E)
    d(isyn_exc)/dt        = disyn_exc - isyn_exc / tau_syn_E
    (the same for inh with tau_syn_I; inhibitory weights arrive negated, so isyn_inh ≤ 0)
    v >= v_thresh  →  spike, v = v_reset, clamped for tau_refrac

so one spike of weight w at t = 0 gives i(t) = w (t/tau) e^{1 - t/tau}, peaking at w when
t = tau (NEST's iaf_psc_alpha: disyn_x is its dI_x, isyn_x its I_x).

Integration: exact (Rotter & Diesmann 1999), in NEST's iaf_psc_alpha order.  Per step h: if
not refractory, v ← v_rest + (v - v_rest) P33 + i_offset P30 + Σ_x (disyn_x P31x + isyn_x P32x);
then isyn_x ← P11x isyn_x + h P11x disyn_x, disyn_x ← P11x disyn_x + (input this step) e/tau_x;
then the threshold test.  With P33 = e^{-h/tau_m}, P30 = tau_m/cm (1 - P33), P11 = e^{-h/tau}
and, writing x = h (1/tau - 1/tau_m), φ1(x) = (1 - e^{-x})/x, φ2(x) = (1 - e^{-x}(1 + x))/x²:

    P32 = h/cm  P33 φ1(x),            P31 = h²/cm P33 φ2(x)                      (x ≥ 0)
    P32 = h/cm  P11 φ1(-x),           P31 = h²/cm P11 (φ1(-x) - φ2(-x))          (x < 0)

(the two forms are the same integral with the factored exponential chosen so that nothing
overflows).  φ1, φ2 are evaluated with expm1 and, near 0, a Taylor series, so tau = tau_m
needs no special case and nearly equal time constants lose no precision.  Input arriving at
step n moves v from step n+1.  Inhibitory weights are negative (PyNN's
convention for current synapses; a positive one is refused).
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

# Taylor coefficients of φ2(x) = Σ_k (-1)^k (k+1)/(k+2)! x^k, used for x < 0.5 where the
# closed form cancels (its relative error there would reach ~eps/x); the first omitted term
# is < 1e-19 relative at x = 0.5, and the closed form is within ~10 eps above it.
_PHI2_SERIES = np.array([(-1) ** k * (k + 1) / np.prod(np.arange(1.0, k + 3)) for k in range(16)])
_PHI2_SWITCH = 0.5


def phi1(x):
    """(1 - e^{-x}) / x for x ≥ 0 (1 at x = 0): the mean of e^{-s} over s ∈ [0, x]."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0.0, -np.expm1(-x) / x, 1.0)


def phi2(x):
    """(1 - e^{-x}(1 + x)) / x² for x ≥ 0 (1/2 at x = 0): ∫_0^1 u e^{-u x} du."""
    x = np.asarray(x, np.float64)
    series = np.polynomial.polynomial.polyval(np.minimum(x, _PHI2_SWITCH), _PHI2_SERIES)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        closed = (-np.expm1(-x) - x * np.exp(-x)) / (x * x)
    return np.where(x < _PHI2_SWITCH, series, closed)


def alpha_propagators(tau_m, tau_s, cm, h):
    """(P31, P32): v (mV) at t+h from a unit di (nA/ms), resp. a unit i (nA), at t."""
    p33 = np.exp(-h / tau_m)
    p11 = np.exp(-h / tau_s)
    x = h * (1.0 / tau_s - 1.0 / tau_m)
    y = np.abs(x)
    p32 = np.where(x >= 0.0, p33 * phi1(y), p11 * phi1(y)) * (h / cm)
    p31 = np.where(x >= 0.0, p33 * phi2(y), p11 * (phi1(y) - phi2(y))) * (h * h / cm)
    return p31, p32


class IF_curr_alpha(CellType):
    refractory_grid = True     # tau_refrac rounds up to whole steps (kernels/grid.py)
    step_ns = 0.8
    parameters = lif_parameters(
        tau_syn_E=time_constant(0.5), tau_syn_I=time_constant(0.5))
    state = {
        "v": State("mV", "v_rest"),
        "isyn_exc": State("nA", 0.0),
        "isyn_inh": State("nA", 0.0),
        "refrac": State("steps", 0.0),
        "disyn_exc": State("nA/ms", 0.0),
        "disyn_inh": State("nA/ms", 0.0),
    }
    recordable = ("spikes", "v", "isyn_exc", "isyn_inh")
    receptors = ("excitatory", "inhibitory")
    weight_unit = "nA"

    def check_relations(self, owner):
        check_reset_below_threshold(owner, self.values)

    def prepare(self, P, dt):
        tau_m, cm, tau_e, tau_i = P["tau_m"], P["cm"], P["tau_syn_E"], P["tau_syn_I"]
        p11e, p11i = np.exp(-dt / tau_e), np.exp(-dt / tau_i)
        return np.array([
            np.exp(-dt / tau_m),
            -tau_m / cm * np.expm1(-dt / tau_m),        # P30
            *alpha_propagators(tau_m, tau_e, cm, dt),   # P31e, P32e
            *alpha_propagators(tau_m, tau_i, cm, dt),   # P31i, P32i
            p11e, dt * p11e, np.e / tau_e,               # P11e, P21e, jump of di per nA
            p11i, dt * p11i, np.e / tau_i,
            P["v_rest"], P["v_reset"], P["v_thresh"],
            refractory_steps(P["tau_refrac"], dt), P["i_offset"],
        ])

    def kernel(self):
        return _tick


@njit(cache=True, nogil=True)
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, ie, ii, ref, die, dii = S[0], S[1], S[2], S[3], S[4], S[5]
    p33, p30, p31e, p32e, p31i, p32i = C[0], C[1], C[2], C[3], C[4], C[5]
    p11e, p21e, jump_e, p11i, p21i, jump_i = C[6], C[7], C[8], C[9], C[10], C[11]
    v_rest, v_reset, v_th, ref_steps, i_off = C[12], C[13], C[14], C[15], C[16]
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
            v_new = (at(v_rest, i) + (v[i] - at(v_rest, i)) * at(p33, i) + (at(i_off, i) + cs * cur[i]) * at(p30, i)
                     + die[i] * at(p31e, i) + ie[i] * at(p32e, i)
                     + dii[i] * at(p31i, i) + ii[i] * at(p32i, i))
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            # (di, i) ← exp(h A) (di, i), A = [[-1/tau, 0], [1, -1/tau]]; i uses the old di
            ie[i] = ie[i] * at(p11e, i) + die[i] * at(p21e, i)
            ii[i] = ii[i] * at(p11i, i) + dii[i] * at(p21i, i)
            die[i] = die[i] * at(p11e, i) + in_e[i] * at(jump_e, i)
            dii[i] = dii[i] * at(p11i, i) + in_i[i] * at(jump_i, i)
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
