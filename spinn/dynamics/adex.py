"""EIF_cond_exp_isfa_ista: adaptive exponential integrate-and-fire (AdEx, Brette & Gerstner
2005) with exponentially decaying synaptic conductances — NEST's ``aeif_cond_exp``.

Equations (v in mV, w and currents in nA, conductances in µS, cm in nF, times in ms)::

    cm dv/dt  = -g_L (v - v_rest) + g_L delta_T exp((v - v_thresh)/delta_T)
                - g_exc (v - e_rev_E) - g_inh (v - e_rev_I) - w + i_offset
    tau_w dw/dt = a (v - v_rest) - w
    dg_exc/dt = -g_exc / tau_syn_E        (a spike of weight w_syn µS adds w_syn to g_exc)
    dg_inh/dt = -g_inh / tau_syn_I
    v >= v_spike  →  spike, v = v_reset, w = w + b, v clamped at v_reset for tau_refrac

with g_L = cm / tau_m.  PyNN's units are kept at the interface and converted once: ``a`` is
in nS (PyNN and NEST) and enters as a/1000 µS; ``b`` is in nA (PyNN; NEST's pA / 1000), as
is w.  PyNN maps v_spike to NEST's V_peak and v_thresh to V_th.  As in NEST, every term of
the right-hand side uses min(v, v_spike), so exp() is bounded by exp((v_spike -
v_thresh)/delta_T) (checked against overflow before the run); delta_T = 0 removes the
exponential term and the neuron fires at v_thresh (NEST's convention).  During the
refractory period dv/dt = 0 at v = v_reset while w keeps relaxing towards a (v_reset -
v_rest), exactly.

Integration scheme.  Each step h = dt is split into k = ceil(dt / 0.025 ms) equal substeps
of classical RK4 for (v, w); the conductances are not integrated but evaluated exactly,
g(t) = g(step start) exp(-t/tau), at the RK4 stage times.  When a substep ends with
v >= v_spike the crossing time inside it is located by regula falsi (Illinois) on the RK4
map to |v - v_spike| < 1e-9 mV, and the reset, the increment of w and the refractory clamp
(kept in continuous time, state ``refrac`` in ms) start there; the rest of the step is
integrated from the reset.  So the dynamics are resolved inside the step, and only the
emission is on the grid: a spike is stamped at the end of the step that contains the
crossing (several crossings in one step travel as one packet with a count).  Synaptic
input arriving in a step is added to g at its end (NEST's order), after which g is exact.

Accuracy at dt = 0.1 ms against solve_ivp (DOP853, rtol 1e-10, event detection and reset),
tests/validation/test_adex.py: below threshold under a 0.25 nA step or Poisson conductance
input max |Δv| < 1e-6 mV and |Δw| < 1e-8 nA over 1 s; under suprathreshold current every
spike of a 1 s train lies within one step after the reference crossing (the crossing times
themselves agree to < 1e-4 ms), and the f-I curve agrees to within 0.1 %.  The substep
length bounds the RK4 stability: it requires (g_L + g_syn)/cm · 0.025 ms ≲ 2.7 and
g_L/cm exp((v_spike - v_thresh)/delta_T) · 0.025 ms ≲ 2.7 (true for PyNN's defaults by a
factor of ~5); beyond that, use a smaller dt.
"""

import math

import numpy as np
from numba import njit

from spinn.distributions import RandomDistribution
from spinn.dynamics.base import CellType, Param, State
from spinn.errors import ConfigurationError
from spinn.kernels.packets import MAX_COUNT, make_packet
from spinn.kernels.record import record_state

TAU = dict(unit="ms", low=0.0, low_open=True)
SUBSTEP_MS = 0.025        # longest RK4 substep
CROSSING_TOL_MV = 1e-9    # |v - v_spike| at the located crossing
MAX_EXP_ARG = math.log(np.finfo(np.float64).max / 1e20)  # NEST's overflow guard (≈ 664)


class EIF_cond_exp_isfa_ista(CellType):
    parameters = {
        "cm": Param(0.281, "nF", 0.0, low_open=True),
        "tau_refrac": Param(0.1, "ms", 0.0),
        "v_spike": Param(-40.0, "mV", doc="spike detection (NEST's V_peak)"),
        "v_reset": Param(-70.6, "mV"),
        "v_rest": Param(-70.6, "mV"),
        "tau_m": Param(9.3667, **TAU),
        "i_offset": Param(0.0, "nA"),
        "a": Param(4.0, "nS", doc="subthreshold adaptation conductance"),
        "b": Param(0.0805, "nA", doc="spike-triggered adaptation increment"),
        "delta_T": Param(2.0, "mV", 0.0),
        "tau_w": Param(144.0, **TAU),
        "v_thresh": Param(-50.4, "mV", doc="spike initiation threshold (NEST's V_th)"),
        "e_rev_E": Param(0.0, "mV"),
        "tau_syn_E": Param(5.0, **TAU),
        "e_rev_I": Param(-80.0, "mV"),
        "tau_syn_I": Param(5.0, **TAU),
    }
    state = {
        "v": State("mV", "v_rest"),
        "w": State("nA", 0.0),
        "gsyn_exc": State("µS", 0.0),
        "gsyn_inh": State("µS", 0.0),
        "refrac": State("ms", 0.0),
    }
    recordable = ("spikes", "v", "w", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    conductance_based = True
    weight_unit = "µS"

    def check_relations(self, owner):
        b = {k: _bounds(self.values[k])
             for k in ("v_reset", "v_spike", "v_thresh", "delta_T")}
        if b["v_reset"][1] >= b["v_spike"][0]:
            raise ConfigurationError(
                f"{owner}: v_reset {b['v_reset'][1]:g} mV must be below v_spike "
                f"{b['v_spike'][0]:g} mV; lower v_reset or raise v_spike")
        if b["v_thresh"][1] > b["v_spike"][0]:
            raise ConfigurationError(
                f"{owner}: v_thresh {b['v_thresh'][1]:g} mV must not exceed v_spike "
                f"{b['v_spike'][0]:g} mV (NEST's V_th ≤ V_peak); raise v_spike")
        if b["delta_T"][0] == 0.0 and b["v_reset"][1] >= b["v_thresh"][0]:
            raise ConfigurationError(
                f"{owner}: with delta_T = 0 the neuron fires at v_thresh, so v_reset "
                f"{b['v_reset'][1]:g} mV must be below v_thresh {b['v_thresh'][0]:g} mV")
        if b["delta_T"][0] > 0.0:
            worst = (b["v_spike"][1] - b["v_thresh"][0]) / b["delta_T"][0]
            if worst >= MAX_EXP_ARG:
                raise ConfigurationError(
                    f"{owner}: (v_spike - v_thresh)/delta_T reaches {worst:g}; exp() of it "
                    f"overflows at the spike; increase delta_T or lower v_spike")

    def prepare(self, P, dt):
        k = max(1, math.ceil(dt / SUBSTEP_MS - 1e-9))
        hs = dt / k

        def decay(t, tau):
            return np.exp(-t / tau)

        return np.array([
            P["cm"], P["cm"] / P["tau_m"], P["v_rest"], P["delta_T"], P["v_thresh"],
            np.where(P["delta_T"] > 0.0, P["v_spike"], P["v_thresh"]),   # 5: v_peak
            P["v_reset"], P["a"] * 1e-3, P["b"], P["tau_w"],               # 7: a in µS
            P["e_rev_E"], P["e_rev_I"], P["tau_syn_E"], P["tau_syn_I"],
            P["i_offset"], P["tau_refrac"],
            np.full_like(P["cm"], dt), np.full_like(P["cm"], hs),          # 16, 17
            decay(dt, P["tau_syn_E"]), decay(dt, P["tau_syn_I"]),          # 18, 19
            decay(hs / 2, P["tau_syn_E"]), decay(hs, P["tau_syn_E"]),      # 20, 21
            decay(hs / 2, P["tau_syn_I"]), decay(hs, P["tau_syn_I"]),      # 22, 23
        ])

    def tick(self, g, ring, step0, slot_mask, n_steps, out, n_out):
        return _tick(g.S, g.C, ring, g.base, g.keys, step0, slot_mask, n_steps, out, n_out,
                     g.rec_state, g.rec_lid, g.rec_buf)


def _bounds(value):
    """(lowest, highest) value a parameter can take (a distribution: its support)."""
    if isinstance(value, RandomDistribution):
        return value.support()
    arr = np.asarray(value, np.float64)
    return float(arr.min()), float(arr.max())


# ---- kernel ---------------------------------------------------------------------------
# C rows: 0 cm, 1 g_L, 2 E_L, 3 delta_T, 4 V_T, 5 v_peak, 6 v_reset, 7 a (µS), 8 b, 9 tau_w,
# 10 e_E, 11 e_I, 12 tau_E, 13 tau_I, 14 i_offset, 15 tau_refrac, 16 h, 17 hs,
# 18-19 exp(-h/tau_E,I), 20-21 exp(-hs/2/tau_E), exp(-hs/tau_E), 22-23 the same for tau_I.

@njit(inline="always")
def _rhs(v, w, ge, gi, C, i):
    """(dv/dt, dw/dt); every term uses min(v, v_peak), as NEST does."""
    vc = min(v, C[5, i])
    g_l, dT = C[1, i], C[3, i]
    spike = g_l * dT * math.exp((vc - C[4, i]) / dT) if dT > 0.0 else 0.0
    dv = (-g_l * (vc - C[2, i]) + spike - ge * (vc - C[10, i]) - gi * (vc - C[11, i])
          - w + C[14, i]) / C[0, i]
    dw = (C[7, i] * (vc - C[2, i]) - w) / C[9, i]
    return dv, dw


@njit(inline="always")
def _rk4(v, w, L, ge0, gem, ge1, gi0, gim, gi1, C, i):
    """One RK4 step of length L; g at the start, middle and end of the step given."""
    k1v, k1w = _rhs(v, w, ge0, gi0, C, i)
    k2v, k2w = _rhs(v + 0.5 * L * k1v, w + 0.5 * L * k1w, gem, gim, C, i)
    k3v, k3w = _rhs(v + 0.5 * L * k2v, w + 0.5 * L * k2w, gem, gim, C, i)
    k4v, k4w = _rhs(v + L * k3v, w + L * k3w, ge1, gi1, C, i)
    return (v + L / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v),
            w + L / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w))


@njit(inline="always")
def _rk4_span(v, w, L, ge, gi, C, i):
    """RK4 over a length L other than the substep: decay factors computed here."""
    eh_e, eh_i = math.exp(-0.5 * L / C[12, i]), math.exp(-0.5 * L / C[13, i])
    return _rk4(v, w, L, ge, ge * eh_e, ge * eh_e * eh_e, gi, gi * eh_i, gi * eh_i * eh_i,
                C, i)


@njit
def _crossing(v, w, L, ge, gi, C, i):
    """Time θ ∈ (0, L] at which the RK4 map from (v, w) reaches v_peak, and w there.

    Precondition: v < v_peak ≤ RK4(v, w, L).  Regula falsi with the Illinois modification
    keeps a bracket [lo, hi] with f(lo) < 0 ≤ f(hi), f(θ) = RK4(v, w, θ).v - v_peak."""
    v_peak = C[5, i]
    lo, f_lo = 0.0, v - v_peak
    v_hi, w_hi = _rk4_span(v, w, L, ge, gi, C, i)
    hi, f_hi = L, v_hi - v_peak
    side = 0
    for _ in range(100):
        t = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        vt, wt = _rk4_span(v, w, t, ge, gi, C, i)
        f = vt - v_peak
        if f >= 0.0:
            hi, f_hi, w_hi = t, f, wt
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = t, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        if abs(f) < CROSSING_TOL_MV:
            return t, wt
        if hi - lo < 1e-14 * L:
            break
    return hi, w_hi


@njit(cache=True, nogil=True)
def _tick(S, C, ring, base, keys, step0, slot_mask, n_steps, out, n_out,
          rec_state, rec_lid, rec_buf):
    v, w, ge, gi, ref = S[0], S[1], S[2], S[3], S[4]
    n = v.shape[0]
    # Invariants: at the top of step k the state is that at the end of step k - 1; within
    # the step, s (ms) is the time integrated so far, (vv, ww) the state at s, ref the
    # refractory time left at s; g(s) = g(step start) exp(-s/tau) is exact.
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0]
        in_i = ring[slot, 1]
        for i in range(n):
            h, hs = C[16, i], C[17, i]
            eps = 1e-9 * h
            vv, ww, r = v[i], w[i], ref[i]
            ge_s, gi_s = ge[i], gi[i]
            s = 0.0
            n_spikes = 0
            while h - s > eps:
                if r > 0.0:
                    # refractory: v held at v_reset, w relaxes exactly towards a(v_reset-E_L)
                    L = min(r, h - s)
                    w_inf = C[7, i] * (C[6, i] - C[2, i])
                    ww = w_inf + (ww - w_inf) * math.exp(-L / C[9, i])
                    vv = C[6, i]
                    r = r - L if r - L > eps else 0.0
                elif vv >= C[5, i]:
                    L = 0.0                    # at or above v_peak already: fire now
                else:
                    L = min(hs, h - s)
                    if abs(L - hs) <= 1e-12 * hs:
                        v1, w1 = _rk4(vv, ww, hs, ge_s, ge_s * C[20, i], ge_s * C[21, i],
                                      gi_s, gi_s * C[22, i], gi_s * C[23, i], C, i)
                    else:
                        v1, w1 = _rk4_span(vv, ww, L, ge_s, gi_s, C, i)
                    if v1 >= C[5, i]:
                        L, ww = _crossing(vv, ww, L, ge_s, gi_s, C, i)
                        vv = C[5, i]
                    else:
                        vv, ww = v1, w1
                if vv >= C[5, i] and r == 0.0:
                    vv = C[6, i]
                    ww += C[8, i]
                    r = C[15, i]
                    n_spikes += 1
                s += L
                ge_s = ge[i] * math.exp(-s / C[12, i])
                gi_s = gi[i] * math.exp(-s / C[13, i])
            v[i], w[i], ref[i] = vv, ww, r
            # exact decay over the whole step, then the input arriving in it (NEST's order)
            ge[i] = ge[i] * C[18, i] + in_e[base + i]
            gi[i] = gi[i] * C[19, i] + in_i[base + i]
            in_e[base + i] = 0.0
            in_i[base + i] = 0.0
            if n_spikes > 0:
                out[n_out] = make_packet(k, keys[i], min(n_spikes, MAX_COUNT))
                n_out += 1
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
