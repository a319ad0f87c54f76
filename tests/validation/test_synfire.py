"""A synfire chain: a volley travels down groups with a constant, predictable per-link time.

N_GROUPS groups of GROUP_SIZE IF_curr_exp neurons; group k → k+1 all-to-all with delay D.
A volley of GROUP_SIZE SpikeSourceArray spikes at T_VOLLEY drives group 0 through the same
kind of link, so every link sees the same input: GROUP_SIZE simultaneous spikes of weight W.
Each neuron then receives a current GROUP_SIZE·W·e^{-s/τs} from the arrival t_arr and its v
follows the closed-form PSP; it spikes at the first step end where the PSP reaches
v_thresh - v_rest, i.e. the latency after t_arr is the continuous threshold-crossing time
rounded up to a step.  Group k therefore fires at T_VOLLEY + (k+1)(D + latency).
"""

import math

import numpy as np
from scipy.optimize import brentq

import spinn as sim

N_GROUPS = 10
GROUP_SIZE = 20
DT = 0.1
DELAY_MS = 2.0
T_VOLLEY_MS = 5.0
WEIGHT_NA = 2.0
# tau_syn_E = 1 ms and a 5 ms refractory period: when the neuron leaves refractoriness the
# input current (40 nA e^{-6}) is far too weak to fire it again, so each fires once.
CELL = dict(tau_m=20.0, cm=1.0, tau_syn_E=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
            tau_refrac=5.0)


def closed_form_latency_ms():
    """Continuous time for the summed PSP to reach threshold, rounded up to a step."""
    i0 = GROUP_SIZE * WEIGHT_NA
    tm, ts, cm = CELL["tau_m"], CELL["tau_syn_E"], CELL["cm"]
    gap = CELL["v_thresh"] - CELL["v_rest"]

    def psp_minus_gap(s):
        return i0 / cm * tm * ts / (tm - ts) * (math.exp(-s / tm) - math.exp(-s / ts)) - gap

    s_peak = tm * ts / (tm - ts) * math.log(tm / ts)
    assert psp_minus_gap(s_peak) > 0, "weights too weak for the chain to propagate"
    s_cross = brentq(psp_minus_gap, 1e-9, s_peak, xtol=1e-14)
    assert abs(s_cross / DT - round(s_cross / DT)) > 1e-6  # well posed
    return math.ceil(s_cross / DT) * DT


def test_synfire_chain_propagates_with_constant_closed_form_latency():
    """Every group fires exactly once, all its neurons in the same step, group k at
    T_VOLLEY + (k+1)(delay + latency) with one positive per-link latency equal to the
    closed-form threshold-crossing time rounded up to a step; nothing else spikes."""
    latency = closed_form_latency_ms()
    sim.setup(timestep=DT, seed=3, verbose=False)
    volley = sim.Population(GROUP_SIZE, sim.SpikeSourceArray(spike_times=[T_VOLLEY_MS]))
    groups = [sim.Population(GROUP_SIZE, sim.IF_curr_exp(**CELL), label=f"g{k}")
              for k in range(N_GROUPS)]
    syn = sim.StaticSynapse(weight=WEIGHT_NA, delay=DELAY_MS)
    for pre, post in zip([volley] + groups[:-1], groups, strict=True):
        sim.Projection(pre, post, sim.AllToAllConnector(), syn)
    for g in groups:
        g.record("spikes")
    t_run = T_VOLLEY_MS + N_GROUPS * 10.0 + 100.0  # long after the chain has finished
    sim.run(t_run)

    fire_times = []
    for k, g in enumerate(groups):
        t, ids = g.get_spikes()
        # exactly once per neuron, nothing else
        assert np.array_equal(np.sort(ids), np.arange(GROUP_SIZE)), (k, t, ids)
        # synchronous: identical inputs give identical trajectories
        assert np.ptp(t) == 0.0, (k, t)
        fire_times.append(t[0])
    sim.end()

    fire_times = np.array(fire_times)
    links = np.diff(np.r_[T_VOLLEY_MS, fire_times])          # volley→g0, g0→g1, …
    latencies = links - DELAY_MS
    # one latency for every link (float rounding of the stamps only)
    np.testing.assert_allclose(latencies, latencies[0], rtol=0, atol=1e-9)
    assert latencies[0] > 0.0
    assert abs(latencies[0] - latency) < 1e-9, (latencies[0], latency)
    expected = T_VOLLEY_MS + (np.arange(N_GROUPS) + 1) * (DELAY_MS + latency)
    np.testing.assert_allclose(fire_times, expected, rtol=0, atol=1e-9)
    assert fire_times[-1] < t_run - 50.0  # the last group fired well inside the run
