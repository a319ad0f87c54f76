"""IF_cond_exp and IF_cond_alpha against a tight ODE solve while their conductances change:
|Δv| ≤ 1e-3 mV at dt 1.0 and 0.1 ms (NEST's iaf_cond_exp/alpha integrate adaptively with
RKF45; spinn's exponential integrator with 2-point Gauss quadrature matches the exact solution
without sub-steps)."""

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


def spinn_trace(dt, celltype="IF_cond_exp"):
    sim.setup(timestep=dt, seed=1, verbose=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=sorted({t for t, *_ in INPUTS})),
                         label="src")
    post = sim.Population(1, getattr(sim, celltype)(**P), label="post")
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


def reference(dt, celltype="IF_cond_exp"):
    """Exact between steps (DOP853, rtol 1e-12); a spike at t with delay d raises the
    conductance (alpha: its derivative, by w e / tau) at t + d, when spinn adds it (the step
    ending at t + d)."""
    gl, cm, te, ti = P["cm"] / P["tau_m"], P["cm"], P["tau_syn_E"], P["tau_syn_I"]
    alpha = celltype == "IF_cond_alpha"

    def f(_, y):
        v, ge, gi, de, di = y
        dv = (gl * (P["v_rest"] - v) + ge * (P["e_rev_E"] - v) + gi * (P["e_rev_I"] - v)
              + P["i_offset"]) / cm
        if alpha:
            return [dv, de - ge / te, di - gi / ti, -de / te, -di / ti]
        return [dv, -ge / te, -gi / ti, 0.0, 0.0]

    jumps = {}
    for t, d, we, wi in INPUTS:
        k = int(round((t + d) / dt))
        a = jumps.setdefault(k, [0.0, 0.0])
        a[0] += we
        a[1] += wi
    y = np.array([P["v_rest"], 0.0, 0.0, 0.0, 0.0])
    out = [y[0]]
    for k in range(int(round(T / dt))):
        y = solve_ivp(f, (k * dt, (k + 1) * dt), y, method="DOP853", rtol=1e-12,
                      atol=1e-12).y[:, -1].copy()
        if k + 1 in jumps:
            we, wi = jumps[k + 1]
            if alpha:
                y[3:] += (we * np.e / te, wi * np.e / ti)
            else:
                y[1:3] += (we, wi)
        out.append(y[0])
    return np.array(out)


@pytest.mark.parametrize("celltype", ["IF_cond_exp", "IF_cond_alpha"])
@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_conductance_cells_within_a_microvolt_of_the_exact_solution(dt, celltype):
    t, v = spinn_trace(dt, celltype)
    ref = reference(dt, celltype)[:v.size]
    assert np.ptp(v) > 5.0                     # the conductances move v a lot
    np.testing.assert_allclose(v, ref, atol=1e-3, rtol=0)
