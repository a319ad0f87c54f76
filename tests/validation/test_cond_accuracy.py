"""IF_cond_exp against a tight ODE solve while its conductances change: |Δv| ≤ 1e-3 mV at dt
1.0 and 0.1 ms (NEST's iaf_cond_exp integrates adaptively with RKF45; spinn's exponential
integrator with 2-point Gauss quadrature matches the exact solution without sub-steps)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import spinn as sim

P = dict(cm=0.2, tau_m=20.0, v_rest=-60.0, v_reset=-60.0, v_thresh=100.0, e_rev_E=0.0,
         e_rev_I=-80.0, tau_syn_E=5.0, tau_syn_I=10.0, tau_refrac=1.0, i_offset=0.1)
# (spike time, delay, excitatory weight, inhibitory weight): strong inputs, several at once
INPUTS = [(5.0, 1.0, 0.05, 0.0), (11.0, 1.0, 0.0, 0.08), (19.0, 1.0, 0.03, 0.03),
          (20.0, 1.0, 0.04, 0.0), (30.0, 2.0, 0.1, 0.02)]
T = 60.0


def spinn_trace(dt):
    sim.setup(timestep=dt, seed=1, verbose=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=sorted({t for t, *_ in INPUTS})),
                         label="src")
    post = sim.Population(1, sim.IF_cond_exp(**P), label="post")
    times = sorted({t for t, *_ in INPUTS})
    for receptor, col in (("excitatory", 2), ("inhibitory", 3)):
        # one source neuron, its spikes at every input time: one projection per input
        for t, d, we, wi in INPUTS:
            w = (we, wi)[col - 2]
            if w > 0:
                s = sim.Population(1, sim.SpikeSourceArray(spike_times=[t]), label=f"s{t}{col}")
                sim.Projection(s, post, sim.OneToOneConnector(),
                               sim.StaticSynapse(weight=w, delay=d), receptor_type=receptor)
    del src, times
    post.record(["v", "gsyn_exc"])
    sim.run(T)
    t, _, v = post.get_data("v")
    sim.end()
    return t, v[:, 0]


def reference(dt):
    """Exact between steps (DOP853, rtol 1e-12); a spike at t with delay d raises the
    conductance at t + d, when spinn adds it (the step ending at t + d)."""
    gl, cm = P["cm"] / P["tau_m"], P["cm"]

    def f(_, y):
        v, ge, gi = y
        return [(gl * (P["v_rest"] - v) + ge * (P["e_rev_E"] - v) + gi * (P["e_rev_I"] - v)
                 + P["i_offset"]) / cm, -ge / P["tau_syn_E"], -gi / P["tau_syn_I"]]

    jumps = {}
    for t, d, we, wi in INPUTS:
        k = int(round((t + d) / dt))
        a = jumps.setdefault(k, [0.0, 0.0])
        a[0] += we
        a[1] += wi
    y = np.array([P["v_rest"], 0.0, 0.0])
    out = [y[0]]
    for k in range(int(round(T / dt))):
        y = solve_ivp(f, (k * dt, (k + 1) * dt), y, method="DOP853", rtol=1e-12,
                      atol=1e-12).y[:, -1].copy()
        if k + 1 in jumps:
            y[1:] += jumps[k + 1]
        out.append(y[0])
    return np.array(out)


@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_cond_exp_within_a_microvolt_of_the_exact_solution(dt):
    t, v = spinn_trace(dt)
    ref = reference(dt)[:v.size]
    assert np.ptp(v) > 5.0                     # the conductances move v a lot
    np.testing.assert_allclose(v, ref, atol=1e-3, rtol=0)
