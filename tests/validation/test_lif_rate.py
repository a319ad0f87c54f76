"""f–I curves of the current-driven LIF models against the analytic LIF firing rate.

With a constant current I and no synaptic input, v relaxes towards v_rest + R I (R = tau_m/cm)
and, starting from v_reset = v_rest, reaches v_thresh after

    T(I) = tau_m ln(R I / (R I - (v_thresh - v_reset)))          (R I > v_thresh - v_rest)

so the rate is f = 1 / (t_ref + T(I)), and 0 Hz at or below the rheobase.

spinn integrates the subthreshold dynamics exactly but tests the threshold once per step
(NEST's grid-constrained convention), so the interval from the end of the refractory period to
the spike is T rounded *up* to a whole step.  The discrete prediction is therefore exact:

    first spike at  ceil(T/dt) dt,   every later ISI  t_ref + ceil(T/dt) dt

and the continuous formula is met within one step: ISI_cont ≤ ISI ≤ ISI_cont + dt.
"""

import math

import numpy as np
import pytest

import spinn as sim

T_RUN_MS = 2000.0

# Currents (nA) for R = 20 MΩ, v_thresh - v_rest = 15 mV → rheobase 0.75 nA.  They include 0,
# values below the rheobase (no spike ever), values just above it (long ISIs, up to ~180 ms)
# and strong drive (ISI of a few ms).
CURRENTS_NA = np.array([0.0, 0.3, 0.7, 0.7499, 0.7501, 0.76, 0.8, 1.0, 1.3, 2.0, 3.0, 5.0, 8.0])

# Two parameter sets: PyNN defaults with a 2 ms refractory period, and a faster membrane with a
# different rest/threshold and no refractory period (the spike step is followed at once by
# integration).  v_reset = v_rest in both, as the formula assumes.
PARAMS = {
    "default": dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                    tau_refrac=2.0),
    "fast": dict(tau_m=10.0, cm=0.5, v_rest=-70.0, v_reset=-70.0, v_thresh=-55.0,
                 tau_refrac=0.0),
}

MODELS = [sim.IF_curr_exp, sim.IF_curr_delta, sim.IF_cond_exp]

# Spike times are (step + 1) * dt: compare them with the prediction to float rounding only.
TIME_ATOL_MS = 1e-9


def time_to_threshold_ms(current_na, p):
    """Continuous time (ms) from v_reset = v_rest to v_thresh; inf at or below rheobase."""
    drive = p["tau_m"] / p["cm"] * current_na      # R I in mV (MΩ × nA)
    gap = p["v_thresh"] - p["v_reset"]
    if drive <= gap:
        return math.inf
    return p["tau_m"] * math.log(drive / (drive - gap))


def predicted_spike_times_ms(current_na, p, dt, t_run):
    """Exact discrete-time spike times: T rounded up to a step, then t_ref + that, repeated."""
    t_cont = time_to_threshold_ms(current_na, p)
    if math.isinf(t_cont):
        return np.empty(0)
    n_steps = t_cont / dt
    # The test is only well posed when T/dt is not within rounding of an integer.
    assert abs(n_steps - round(n_steps)) > 1e-6, (current_na, n_steps)
    first = math.ceil(n_steps) * dt
    isi = round(p["tau_refrac"] / dt) * dt + math.ceil(n_steps) * dt
    n = int(np.floor((t_run - first) / isi + 1e-9)) + 1 if first <= t_run else 0
    return first + isi * np.arange(n)


def run_fi(model, p, dt):
    sim.setup(timestep=dt, seed=1, verbose=False)
    pop = sim.Population(CURRENTS_NA.size, model(i_offset=CURRENTS_NA, **p))
    pop.record("spikes")
    sim.run(T_RUN_MS)
    times, ids = pop.get_spikes()
    sim.end()
    return [times[ids == i] for i in range(CURRENTS_NA.size)]


@pytest.mark.parametrize("dt", [0.1, 1.0])
@pytest.mark.parametrize("pname", list(PARAMS))
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_lif_spike_times_equal_formula_with_isi_rounded_up_to_a_step(model, pname, dt):
    """Every spike time under constant current equals the analytic LIF spike time with the
    time-to-threshold rounded up to a whole step (exact), and 0 spikes below rheobase."""
    p = PARAMS[pname]
    trains = run_fi(model, p, dt)
    for current, train in zip(CURRENTS_NA, trains, strict=True):
        expected = predicted_spike_times_ms(current, p, dt, T_RUN_MS)
        assert train.size == expected.size, (
            f"I = {current} nA: {train.size} spikes, expected {expected.size}")
        np.testing.assert_allclose(train, expected, rtol=0, atol=TIME_ATOL_MS,
                                   err_msg=f"I = {current} nA")


@pytest.mark.parametrize("dt", [0.1, 1.0])
@pytest.mark.parametrize("pname", list(PARAMS))
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_lif_rate_matches_continuous_formula_within_one_step(model, pname, dt):
    """The measured f–I curve matches f = 1/(t_ref + tau_m ln(RI/(RI - Δv))) within the
    one-step discretisation of the threshold test, and is 0 Hz below rheobase."""
    p = PARAMS[pname]
    trains = run_fi(model, p, dt)
    rheobase = (p["v_thresh"] - p["v_rest"]) * p["cm"] / p["tau_m"]
    n_firing = 0
    for current, train in zip(CURRENTS_NA, trains, strict=True):
        t_cont = time_to_threshold_ms(current, p)
        if current <= rheobase:
            assert train.size == 0, f"I = {current} nA ≤ rheobase {rheobase} nA fired"
            continue
        isi_cont = p["tau_refrac"] + t_cont
        f_cont = 1000.0 / isi_cont
        assert train.size >= 2, f"I = {current} nA: only {train.size} spikes in {T_RUN_MS} ms"
        n_firing += 1
        isi = np.diff(train)
        # Threshold checked once per step: each ISI exceeds the continuous one by [0, dt).
        # 1e-9 ms absorbs float rounding of the spike stamps.
        assert np.all(isi >= isi_cont - 1e-9), (current, isi.min(), isi_cont)
        assert np.all(isi < isi_cont + dt + 1e-9), (current, isi.max(), isi_cont)
        # The same statement about the rate (Hz): f ∈ (1/(ISI + dt), 1/ISI].
        f_meas = 1000.0 * (train.size - 1) / (train[-1] - train[0])
        assert 1000.0 / (isi_cont + dt) - 1e-9 < f_meas <= f_cont + 1e-9, (current, f_meas,
                                                                             f_cont)
        # The first spike (no refractory period before it) comes T rounded up to a step.
        assert t_cont - 1e-9 <= train[0] < t_cont + dt + 1e-9
    assert n_firing >= 7  # the test covers the suprathreshold part of the curve
