"""Alpha-synapse models (IF_curr_alpha, IF_cond_alpha) against closed forms, a tight ODE
reference, the LIF f–I formula, and their own homogeneous runs.

Timing convention (see test_delay.py): a SpikeSourceArray spike at t_s through a synapse of
delay d enters the synaptic state at t0 = t_s + d (di, resp. dg, jumps by w e/tau at the end
of the step ending at t0), so v first departs from rest at t0 + dt.
"""

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import spinn as sim
from spinn.dynamics import IF_cond_alpha, IF_curr_alpha
from spinn.dynamics.if_curr_alpha import alpha_propagators

T_SPIKE_MS = 5.0
DELAY_MS = 2.0  # a multiple of every dt used here (0.05, 0.1, 1.0)
T0_MS = T_SPIKE_MS + DELAY_MS

# IF_curr_alpha is integrated exactly: what is left is float64 rounding over ≤ 1000 steps
# (~1e-13 mV).  Weights are stored as float32, so they are exactly representable ones.
EXACT_ATOL_MV = 1e-9


def run_net(dt, celltype, t_run, exc_times=(), inh_times=(), w_exc=0.0, w_inh=0.0, n=1,
            record=("spikes", "v")):
    """Sources spiking at the given times (one list per source neuron) onto all n copies of
    ``celltype``; returns ({var: float64[T, n]}, t_ms[T] (None when only spikes are
    recorded), spike_times, spike_ids)."""
    sim.setup(timestep=dt, seed=1, verbose=False)
    post = sim.Population(n, celltype)
    for times, w, receptor in ((exc_times, w_exc, "excitatory"),
                               (inh_times, w_inh, "inhibitory")):
        if len(times):
            src = sim.Population(len(times), sim.SpikeSourceArray(spike_times=list(times)))
            sim.Projection(src, post, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=w, delay=DELAY_MS), receptor_type=receptor)
    post.record(list(record))
    sim.run(t_run)
    data, t = {}, None
    for var in record:
        if var != "spikes":
            t, ids, data[var] = post.get_data(var)
            assert np.array_equal(ids, np.arange(n))
            assert t[0] == 0.0 and np.allclose(np.diff(t), dt)
    spikes = post.get_spikes()
    sim.end()
    return data, t, spikes.times_ms, spikes.ids


# ---- IF_curr_alpha: exact propagators and PSP ---------------------------------------------

def alpha_current(t, t0, w, tau_s):
    """w (s/tau) e^{1 - s/tau}, s = t - t0 ≥ 0 (nA): peak w at s = tau."""
    s = np.maximum(t - t0, 0.0)
    return np.where(t >= t0, w * s / tau_s * np.exp(1.0 - s / tau_s), 0.0)


def alpha_psp(t, t0, w, cm, tau_m, tau_s):
    """v - v_rest (mV) for the current w (s/τs) e^{1-s/τs} (nA) into cm dv/ds = -cm v/τm + I:

        v(s) = w e/(τs cm) ∫_0^s u e^{-u/τs} e^{-(s-u)/τm} du
             = w e/(τs cm a²) (e^{-s/τm} - e^{-s/τs} (1 + a s)),   a = 1/τs - 1/τm
             = w e/(2 τ cm) s² e^{-s/τ}                             (τs = τm = τ)."""
    s = np.maximum(t - t0, 0.0)
    if tau_m == tau_s:
        out = w * np.e / (2.0 * tau_m * cm) * s * s * np.exp(-s / tau_m)
    else:
        a = 1.0 / tau_s - 1.0 / tau_m
        out = (w * np.e / (tau_s * cm * a * a)
               * (np.exp(-s / tau_m) - np.exp(-s / tau_s) * (1.0 + a * s)))
    return np.where(t >= t0, out, 0.0)


def exact_propagators(tau_m, tau_s, cm, h):
    """(P31, P32) to 60 digits: ∫_0^h (u, 1) e^{-u/τs} e^{-(h-u)/τm} du / cm, from the exact
    binary values of the float arguments."""
    getcontext().prec = 60
    tm, ts, c, h = (Decimal(float(x)) for x in (tau_m, tau_s, cm, h))
    em = (-h / tm).exp()
    a = 1 / ts - 1 / tm
    if a == 0:
        return float(h * h / 2 * em / c), float(h * em / c)
    p32 = em * (1 - (-a * h).exp()) / a / c
    p31 = em * (1 - (-a * h).exp() * (1 + a * h)) / (a * a) / c
    return float(p31), float(p32)


@pytest.mark.parametrize("h", [0.1, 1.0])
def test_curr_alpha_propagators_equal_exact_integrals_including_near_equal_taus(h):
    """IF_curr_alpha's P31, P32 equal the 60-digit integrals to 1e-14 relative for distinct,
    equal and nearly equal (relative gap 1e-4 … 1e-13) tau_syn/tau_m, and very different ones."""
    tau_m = 20.0
    gaps = [0.0, 1e-13, 1e-10, 1e-7, 1e-4]
    tau_s = np.array([tau_m * (1 + g) for g in gaps] + [tau_m * (1 - g) for g in gaps[1:]]
                     + [0.01, 0.5, 5.0, 19.0, 21.0, 200.0, 1e4])
    cm = np.full(tau_s.size, 0.25)
    p31, p32 = alpha_propagators(np.full(tau_s.size, tau_m), tau_s, cm, h)
    for j, ts in enumerate(tau_s):
        e31, e32 = exact_propagators(tau_m, ts, cm[j], h)
        assert abs(p31[j] - e31) <= 1e-14 * abs(e31), (ts, p31[j], e31)
        assert abs(p32[j] - e32) <= 1e-14 * abs(e32), (ts, p32[j], e32)


@pytest.mark.parametrize("dt", [0.1, 1.0])
@pytest.mark.parametrize("tau_e,tau_i", [(0.5, 0.5), (5.0, 2.0), (2.0, 7.5), (20.0, 20.0)],
                         ids=["pynn-default", "5-2", "2-7.5", "tau_m==tau_syn"])
def test_curr_alpha_psp_equals_closed_form(dt, tau_e, tau_i):
    """IF_curr_alpha: one spike's current is w (s/τ) e^{1-s/τ} and its PSP equals the
    closed-form alpha PSP at every step, to float rounding, for both receptors (the
    inhibitory weight, and so its current and PSP, negative: PyNN's convention); v first
    departs from rest at t0 + dt."""
    p = dict(tau_m=20.0, cm=0.5, v_rest=-65.0, v_thresh=-40.0, tau_syn_E=tau_e,
             tau_syn_I=tau_i)
    weights = [("excitatory", 0.5), ("inhibitory", -0.25), ("excitatory", 0.125)]
    sim.setup(timestep=dt, seed=1, verbose=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[T_SPIKE_MS]))
    post = sim.Population(len(weights), IF_curr_alpha(**p))
    for i, (receptor, w) in enumerate(weights):
        sim.Projection(src, post, sim.FromListConnector([(0, i, w, DELAY_MS)]),
                       receptor_type=receptor)
    post.record(["spikes", "v", "isyn_exc", "isyn_inh"])
    sim.run(100.0)
    t, _, v = post.get_data("v")
    i_exc, i_inh = post.get_data("isyn_exc").values, post.get_data("isyn_inh").values
    n_spikes = post.get_spikes().ids.size
    sim.end()
    assert n_spikes == 0
    k0 = int(round(T0_MS / dt))
    for i, (receptor, w) in enumerate(weights):
        tau_s, cur = (tau_e, i_exc) if receptor == "excitatory" else (tau_i, i_inh)
        expected = p["v_rest"] + alpha_psp(t, T0_MS, w, p["cm"], p["tau_m"], tau_s)
        np.testing.assert_allclose(v[:, i], expected, rtol=0, atol=EXACT_ATOL_MV,
                                   err_msg=f"{receptor} w={w}")
        np.testing.assert_allclose(cur[:, i], alpha_current(t, T0_MS, w, tau_s),
                                   rtol=0, atol=1e-12, err_msg=f"current {receptor} w={w}")
        # the PSP is not trivially zero (peaks at ≥ 0.1 mV) and starts one step after t0
        assert np.max(np.abs(v[:, i] - p["v_rest"])) > 0.1
        assert np.all(v[: k0 + 1, i] == p["v_rest"]) and v[k0 + 1, i] != p["v_rest"]


def test_curr_alpha_psps_superpose_linearly():
    """IF_curr_alpha: two spikes (5 ms and 12.3 ms) give the sum of the two closed-form PSPs."""
    p = dict(tau_m=10.0, cm=0.25, tau_syn_E=3.0, v_rest=-70.0, v_thresh=-40.0)
    data, t, _, _ = run_net(0.1, IF_curr_alpha(**p), 60.0, exc_times=[[5.0, 12.3]], w_exc=0.5)
    expected = p["v_rest"] + sum(
        alpha_psp(t, ts + DELAY_MS, 0.5, p["cm"], p["tau_m"], p["tau_syn_E"])
        for ts in (5.0, 12.3))
    np.testing.assert_allclose(data["v"][:, 0], expected, rtol=0, atol=EXACT_ATOL_MV)


# ---- IF_cond_alpha: ODE reference ---------------------------------------------------------

COND = dict(cm=1.0, tau_m=20.0, tau_syn_E=0.3, tau_syn_I=0.5, e_rev_E=0.0, e_rev_I=-70.0,
            v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, i_offset=0.0)  # PyNN's defaults
COND_SLOW = dict(COND, tau_syn_E=2.0, tau_syn_I=5.0, e_rev_I=-80.0)

# IF_cond_alpha's exponential integrator (exact conductances, 3-point Gauss quadrature) is at
# the reference's own floor here; the step-mean scheme before it was second order (1.6e-4 mV
# for the single PSP at dt 0.1 ms).
COND_ATOL_MV = 1e-6


def cond_alpha_reference(t_eval, arrivals, p, t_end):
    """v(t) from solve_ivp (DOP853, rtol 1e-10) of the IF_cond_alpha ODE with no threshold.

    arrivals: sorted (t_ms, w_exc µS, w_inh µS); there dg jumps by w e/tau, and in between
    the alpha states evolve in closed form, g(t_a + s) = (g + s dg) e^{-s/tau},
    dg(t_a + s) = dg e^{-s/tau}, so the integration is split at every arrival and only v is
    solved."""
    gl, cm = p["cm"] / p["tau_m"], p["cm"]
    te, ti = p["tau_syn_E"], p["tau_syn_I"]
    t_eval = np.round(t_eval, 9)  # the sample times and the arrival times on the same grid
    v, ge, dge, gi, dgi, t_prev = p["v_rest"], 0.0, 0.0, 0.0, 0.0, 0.0
    out = np.full(t_eval.shape, np.nan)
    out[t_eval <= arrivals[0][0]] = p["v_rest"]
    bounds = [a[0] for a in arrivals] + [t_end]
    for j, (ta, we, wi) in enumerate(arrivals):
        dt_a = ta - t_prev
        ge, dge = (ge + dt_a * dge) * np.exp(-dt_a / te), dge * np.exp(-dt_a / te) + we * np.e / te
        gi, dgi = (gi + dt_a * dgi) * np.exp(-dt_a / ti), dgi * np.exp(-dt_a / ti) + wi * np.e / ti
        t_prev, t_next = ta, bounds[j + 1]
        if t_next <= ta:
            continue

        def rhs(t, y, g0=(ge, dge, gi, dgi), ta=ta):
            s = t - ta
            g_e = (g0[0] + s * g0[1]) * np.exp(-s / te)
            g_i = (g0[2] + s * g0[3]) * np.exp(-s / ti)
            return [(gl * (p["v_rest"] - y[0]) + g_e * (p["e_rev_E"] - y[0])
                     + g_i * (p["e_rev_I"] - y[0]) + p["i_offset"]) / cm]

        sol = solve_ivp(rhs, (ta, t_next), [v], method="DOP853", rtol=1e-10, atol=1e-10,
                        dense_output=True)
        sel = (t_eval > ta) & (t_eval <= t_next)
        if sel.any():
            out[sel] = sol.sol(t_eval[sel])[0]
        v = sol.y[0, -1]
    return out


def arrivals_of(exc_times, inh_times, w_exc, w_inh):
    events = {}
    for times, w, col in ((exc_times, w_exc, 0), (inh_times, w_inh, 1)):
        for seq in times:
            for ts in seq:
                events.setdefault(round(ts + DELAY_MS, 9), [0.0, 0.0])[col] += w
    return [(t, e[0], e[1]) for t, e in sorted(events.items())]


def cond_errors(p, exc_times, inh_times, w_exc, w_inh, t_run, dts=(0.1, 0.05)):
    """Max |v - v_ref| (mV) and the span of v (mV) at each dt."""
    arrivals = arrivals_of(exc_times, inh_times, w_exc, w_inh)
    errors, spans = [], []
    for dt in dts:
        data, t, spike_t, _ = run_net(dt, IF_cond_alpha(**p), t_run, exc_times, inh_times,
                                      w_exc, w_inh)
        assert spike_t.size == 0, "the reference has no threshold: stay below it"
        v = data["v"][:, 0]
        errors.append(np.max(np.abs(v - cond_alpha_reference(t, arrivals, p, t_run))))
        spans.append(np.ptp(v))
    return errors, spans


def poisson_times(rng, n, rate_hz, t_run):
    """n trains on the 0.1 ms grid (so that both dt values see the same input)."""
    out = []
    for _ in range(n):
        k = rng.poisson(rate_hz * (t_run - 10.0) / 1000.0)
        ticks = np.unique(rng.integers(1, int((t_run - 10.0) * 10), size=k))
        out.append(list(np.round(ticks * 0.1, 1)))
    return out


@pytest.mark.parametrize("p", [COND, COND_SLOW], ids=["pynn-default", "slow-syn"])
def test_cond_alpha_single_psp_matches_ode_reference(p):
    """IF_cond_alpha: one excitatory spike; v stays within 1e-6 mV of solve_ivp (rtol 1e-10)
    at dt = 0.1 and 0.05 ms (the exponential integrator is at the reference's floor)."""
    w = 2.0 ** -4 if p["tau_syn_E"] < 1.0 else 2.0 ** -6
    errors, spans = cond_errors(p, [[T_SPIKE_MS]], [], w, 0.0, 60.0)
    print(f"single PSP {p['tau_syn_E']} ms: span {spans[0]:.3f} mV, errors {errors}")
    assert spans[0] > 2.0  # a PSP of a few mV: the comparison is not trivial
    assert max(errors) < COND_ATOL_MV, errors


# (parameters, w_exc µS, w_inh µS): about the same charge per spike for either set, exactly
# representable in float32 (the reference uses the same values in float64).
POISSON_CASES = [(COND, 2.0 ** -7, 2.0 ** -4), (COND_SLOW, 2.0 ** -10, 2.0 ** -8)]


@pytest.mark.parametrize("p,w_exc,w_inh", POISSON_CASES, ids=["pynn-default", "slow-syn"])
def test_cond_alpha_poisson_driven_trace_matches_ode_reference(p, w_exc, w_inh):
    """IF_cond_alpha driven by Poisson excitation and inhibition (below threshold): v stays
    within 1e-6 mV of solve_ivp (rtol 1e-10) at dt = 0.1 and 0.05 ms."""
    rng = np.random.default_rng(12345)
    t_run = 500.0
    exc = poisson_times(rng, 40, 25.0, t_run)   # ~1000 Hz of excitation in total
    inh = poisson_times(rng, 10, 25.0, t_run)   # ~250 Hz of inhibition
    errors, spans = cond_errors(p, exc, inh, w_exc, w_inh, t_run)
    print(f"Poisson {p['tau_syn_E']} ms: span {spans[0]:.3f} mV, errors {errors}")
    assert spans[0] > 3.0  # the trace fluctuates by several mV
    assert max(errors) < COND_ATOL_MV, errors


# ---- f–I: both models with constant current -----------------------------------------------

# As tests/validation/test_lif_rate.py: from v_reset = v_rest a constant current I reaches
# threshold after T = tau_m ln(RI / (RI - Δv)); spinn tests the threshold once per step, so
# the first spike is at ceil(T/dt) dt and every ISI is t_ref + ceil(T/dt) dt, exactly.
FI_CURRENTS_NA = np.array([0.0, 0.7, 0.7501, 0.8, 1.0, 2.0, 5.0])
FI_PARAMS = {
    "default": dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                    tau_refrac=2.0),
    "fast": dict(tau_m=10.0, cm=0.5, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0,
                 tau_refrac=0.0),
}
FI_T_RUN_MS = 1000.0


def predicted_spike_times_ms(current_na, p, dt, t_run):
    drive = p["tau_m"] / p["cm"] * current_na      # R I in mV
    gap = p["v_thresh"] - p["v_reset"]
    if drive <= gap:
        return np.empty(0)
    n_steps = p["tau_m"] * math.log(drive / (drive - gap)) / dt
    assert abs(n_steps - round(n_steps)) > 1e-6, (current_na, n_steps)  # well posed
    first = math.ceil(n_steps) * dt
    isi = round(p["tau_refrac"] / dt) * dt + math.ceil(n_steps) * dt
    n = int(np.floor((t_run - first) / isi + 1e-9)) + 1 if first <= t_run else 0
    return first + isi * np.arange(n)


@pytest.mark.parametrize("dt", [0.1, 1.0])
@pytest.mark.parametrize("pname", list(FI_PARAMS))
@pytest.mark.parametrize("model", [IF_curr_alpha, IF_cond_alpha], ids=lambda m: m.__name__)
def test_alpha_models_fi_spike_times_equal_lif_formula_rounded_up_to_a_step(model, pname, dt):
    """With constant i_offset and no synaptic input, every spike time equals the analytic LIF
    spike time with the time-to-threshold rounded up to a whole step (exact), none below
    rheobase."""
    p = FI_PARAMS[pname]
    _, _, times, ids = run_net(dt, model(i_offset=FI_CURRENTS_NA, **p), FI_T_RUN_MS,
                               n=FI_CURRENTS_NA.size, record=("spikes",))
    n_firing = 0
    for i, current in enumerate(FI_CURRENTS_NA):
        train = times[ids == i]
        expected = predicted_spike_times_ms(current, p, dt, FI_T_RUN_MS)
        assert train.size == expected.size, f"I = {current} nA: {train.size} vs {expected.size}"
        np.testing.assert_allclose(train, expected, rtol=0, atol=1e-9, err_msg=f"I={current}")
        n_firing += train.size > 1
    assert n_firing >= 4


# ---- heterogeneous parameters -------------------------------------------------------------

HETERO = {
    IF_curr_alpha: dict(tau_m=np.array([10.0, 20.0, 20.0, 35.0]),
                        tau_syn_E=np.array([0.5, 2.0, 20.0, 5.0]),  # neuron 2: tau_syn = tau_m
                        i_offset=0.6, tau_refrac=2.0, w_exc=0.25, w_inh=-0.5),  # nA
    IF_cond_alpha: dict(tau_m=np.array([10.0, 20.0, 20.0, 35.0]),
                        tau_syn_E=np.array([0.3, 2.0, 20.0, 5.0]),
                        i_offset=0.6, tau_refrac=2.0, w_exc=2.0 ** -7, w_inh=2.0 ** -6),
}


@pytest.mark.parametrize("dt", [0.1, 1.0])
@pytest.mark.parametrize("model", list(HETERO), ids=lambda m: m.__name__)
def test_heterogeneous_parameters_give_each_neuron_its_homogeneous_trace(model, dt):
    """Per-neuron arrays of tau_m and tau_syn_E: each neuron's v trace and spike times are
    bit-identical to a run where every neuron has that neuron's parameters."""
    spec = dict(HETERO[model])
    w_exc, w_inh = spec.pop("w_exc"), spec.pop("w_inh")
    rng = np.random.default_rng(7)
    exc = poisson_times(rng, 20, 40.0, 300.0)
    inh = poisson_times(rng, 5, 40.0, 300.0)
    n = spec["tau_m"].size

    def run(params):
        data, _, times, ids = run_net(dt, model(**params), 300.0, exc, inh, w_exc, w_inh, n=n)
        return data["v"], times, ids

    v_het, t_het, id_het = run(spec)
    for i in range(n):
        own = {k: (val[i] if np.ndim(val) else val) for k, val in spec.items()}
        v_hom, t_hom, id_hom = run(own)
        assert np.array_equal(v_het[:, i], v_hom[:, i]), f"neuron {i}"
        assert np.array_equal(t_het[id_het == i], t_hom[id_hom == i]), f"neuron {i}"
    # not trivial: the neurons differ from one another and some of them fire
    assert all(not np.array_equal(v_het[:, 0], v_het[:, i]) for i in range(1, n))
    assert t_het.size > 0
