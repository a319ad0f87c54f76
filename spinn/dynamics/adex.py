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

Integration scheme.  Each step h = dt is cut into RK4 substeps (classical fourth order) for
(v, w) of length min(0.1 ms, 0.125/λ), λ = (g_L (1 + exp((v - v_thresh)/delta_T)) + g_exc
+ g_inh)/cm = |∂(dv/dt)/∂v|: below threshold that is one substep per 0.1 ms; the second
bound takes over on the upstroke of a spike, where λ grows exponentially (about
8 (v_spike - v)/delta_T extra substeps per spike), and under very large conductances, and
keeps RK4 accurate and stable however steep the exponential is.  The conductances are not
integrated but evaluated exactly, g(t) = g(step start) exp(-t/tau), at the RK4 stage times.
When a substep ends with v >= v_spike the crossing time inside it is located by regula
falsi (Illinois) on the RK4 map to |v - v_spike| < 1e-9 mV, and the reset, the increment of
w and the refractory clamp (kept in continuous time, state ``refrac`` in ms) start there;
the rest of the step is integrated from the reset.  So the dynamics are resolved inside the
step and only the emission is on the grid: a spike is stamped at the end of the step that
contains the crossing (several crossings in one step travel as one packet with a count).
Synaptic input arriving in a step is added to g at its end (NEST's order), after which g is
exact.  NEST (GSL RKF45) clamps for the rest of the spike step plus round(tau_refrac/dt)
steps; here the clamp lasts exactly tau_refrac.

Error bound, measured against solve_ivp (DOP853, rtol 1e-12, event detection and reset) in
tests/validation/test_adex.py, at dt = 0.1 ms: below threshold (1 s of step current or
0.5 s of Poisson conductance input) max |Δv| < 2e-7 mV and |Δw| < 1e-10 nA; while spiking
(PyNN's defaults, tau_refrac 2 ms, delta_T = 0, v_spike = -30 mV, a bursting set,
conductance drive; also at dt = 1 ms) |Δw| < 2e-7 nA, |Δv| < 1e-4 mV wherever v < v_thresh
and < 3e-3 mV on the upstroke; crossing times agree to ~1e-6 ms, so every spike is stamped
in the step that holds the exact crossing, and steady firing rates agree within 0.14 % (the
stamp quantisation).  Cost: ~70 ns per neuron and 0.1 ms step (IF_cond_exp: ~10 ns).
"""

import math

import numpy as np
from numba import njit

from spinn.distributions import RandomDistribution
from spinn.dynamics.base import CellType, Param, State, time_constant
from spinn.errors import ConfigurationError
from spinn.kernels.packets import MAX_COUNT, make_packet
from spinn.kernels.record import record_state

SUBSTEP_MS = 0.1          # longest RK4 substep
STIFFNESS_LIMIT = 0.125    # largest substep × λ (RK4 is stable to 2.8, accurate well below)
CROSSING_TOL_MV = 1e-9    # |v - v_spike| at the located crossing
MAX_EXP_ARG = math.log(np.finfo(np.float64).max / 1e20)  # NEST's overflow guard (≈ 664)


class EIF_cond_exp_isfa_ista(CellType):
    step_ns = 20.0  # adaptive substeps: 3-70 ns, more when firing fast
    parameters = {
        "cm": Param(0.281, "nF", 0.0, low_open=True),
        "tau_refrac": Param(0.1, "ms", 0.0),
        "v_spike": Param(-40.0, "mV", doc="spike detection (NEST's V_peak)"),
        "v_reset": Param(-70.6, "mV"),
        "v_rest": Param(-70.6, "mV"),
        "tau_m": time_constant(9.3667),
        "i_offset": Param(0.0, "nA"),
        "a": Param(4.0, "nS", doc="subthreshold adaptation conductance"),
        "b": Param(0.0805, "nA", doc="spike-triggered adaptation increment"),
        "delta_T": Param(2.0, "mV", 0.0),
        "tau_w": time_constant(144.0),
        "v_thresh": Param(-50.4, "mV", doc="spike initiation threshold (NEST's V_th)"),
        "e_rev_E": Param(0.0, "mV"),
        "tau_syn_E": time_constant(5.0),
        "e_rev_I": Param(-80.0, "mV"),
        "tau_syn_I": time_constant(5.0),
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
    compact_constants = False  # the kernel indexes C[j, i] directly

    def check_relations(self, owner):
        """Per neuron (a distribution: over its support): v_reset < v_spike, v_thresh ≤
        v_spike, v_reset < v_thresh where delta_T = 0, no exp() overflow at v_spike."""
        x = self.values
        reset, spike = _extreme(x["v_reset"], True), _extreme(x["v_spike"], False)
        thr_hi, thr_lo = _extreme(x["v_thresh"], True), _extreme(x["v_thresh"], False)
        dT_lo = _extreme(x["delta_T"], False)
        _require(owner, reset < spike, ("v_reset", reset), "below", ("v_spike", spike),
                 "mV", "lower v_reset or raise v_spike")
        _require(owner, thr_hi <= spike, ("v_thresh", thr_hi), "at most", ("v_spike", spike),
                 "mV", "raise v_spike (NEST requires V_th ≤ V_peak)")
        _require(owner, (dT_lo > 0.0) | (reset < thr_lo), ("v_reset", reset), "below",
                 ("v_thresh", thr_lo), "mV",
                 "with delta_T = 0 the neuron fires at v_thresh; lower v_reset or use "
                 "delta_T > 0")
        with np.errstate(divide="ignore", invalid="ignore"):
            arg = np.where(dT_lo > 0.0, (_extreme(x["v_spike"], True) - thr_lo)
                           / np.where(dT_lo > 0.0, dT_lo, 1.0), 0.0)
        _require(owner, arg < MAX_EXP_ARG, ("(v_spike - v_thresh)/delta_T", arg), "below",
                 ("the limit where exp() overflows,", MAX_EXP_ARG), "",
                 "increase delta_T or lower v_spike")

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

    def kernel(self):
        return _tick


def _extreme(value, highest):
    """float64 array (or scalar) of a parameter; a distribution: the end of its support."""
    if isinstance(value, RandomDistribution):
        return value.support()[1 if highest else 0]
    return np.asarray(value, np.float64)


def _require(owner, ok, lhs, relation, rhs, unit, fix):
    """Raise naming the first neuron where ``ok`` (bool array, broadcast) is False;
    lhs, rhs: (name, value) pairs."""
    ok, left, right = np.broadcast_arrays(ok, lhs[1], rhs[1])
    bad = np.flatnonzero(~ok.ravel())
    if bad.size:
        i = bad[0]
        where = f" (neuron {i})" if ok.ndim else ""
        u = f" {unit}" if unit else ""
        raise ConfigurationError(
            f"{owner}: {lhs[0]} {left.ravel()[i]:g}{u} must be {relation} {rhs[0]} "
            f"{right.ravel()[i]:g}{u}{where}; {fix}")


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


@njit(cache=True, nogil=True)
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
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, w, ge, gi, ref = S[0], S[1], S[2], S[3], S[4]
    n = v.shape[0]
    # Invariants: at the top of step k the state is that at the end of step k - 1; within
    # the step, s (ms) is the time integrated so far, (vv, ww) the state at s, ref the
    # refractory time left at s; g(s) = g(step start) exp(-s/tau) is exact.
    nc = 2 if ring.shape[1] > 2 else 0       # the current channel, when there is one
    cs = 1.0 if nc else 0.0
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0]
        in_i = ring[slot, 1]
        cur = ring[slot, nc]          # current sources (nA), or unused
        for i in range(n):
            # a current source adds to i_offset (row 14) for this step; restored exactly after
            i_own = C[14, i]
            C[14, i] = i_own + cs * cur[base + i]
            h, hs = C[16, i], C[17, i]
            eps = 1e-9 * h
            vv, ww, r = v[i], w[i], ref[i]
            ge_s, gi_s = ge[i], gi[i]
            s = 0.0
            n_spikes = 0
            while h - s > eps:
                full = False
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
                    # substep: ≤ hs, and ≤ STIFFNESS_LIMIT / λ with λ = |∂(dv/dt)/∂v|, which
                    # grows as exp((v - v_thresh)/delta_T) on the upstroke of a spike
                    vc, dT = min(vv, C[5, i]), C[3, i]
                    ex = math.exp((vc - C[4, i]) / dT) if dT > 0.0 else 0.0
                    lam = (C[1, i] * (1.0 + ex) + ge_s + gi_s) / C[0, i]
                    L = min(hs, h - s, STIFFNESS_LIMIT / lam)
                    full = abs(L - hs) <= 1e-12 * hs
                    if full:
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
                    full = False
                s += L
                if full:                       # the common case: one whole substep
                    ge_s *= C[21, i]
                    gi_s *= C[23, i]
                else:
                    ge_s = ge[i] * math.exp(-s / C[12, i])
                    gi_s = gi[i] * math.exp(-s / C[13, i])
            v[i], w[i], ref[i] = vv, ww, r
            # exact decay over the whole step, then the input arriving in it (NEST's order)
            ge[i] = ge[i] * C[18, i] + in_e[base + i]
            gi[i] = gi[i] * C[19, i] + in_i[base + i]
            in_e[base + i] = 0.0
            in_i[base + i] = 0.0
            cur[base + i] = 0.0
            C[14, i] = i_own
            if n_spikes > 0:
                out[n_out] = make_packet(k, keys[i], min(n_spikes, MAX_COUNT))
                n_out += 1
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
