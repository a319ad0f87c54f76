"""STDP: the weight change against Δt = t_post + d − t_pre follows the pair rule's formula
(additive and multiplicative, with clipping), and random spike trains give the final weights of
an independent event-driven implementation of NEST's stdp_synapse algorithm."""

import math

import numpy as np
import pytest

import spinn as sim

DT = 0.1
D = 1.0            # plastic (dendritic) delay, ms
TAU_P, TAU_M = 16.8, 33.7


def pair_network(pairs, rule, w0, t_probe):
    """One synapse per (t_pre, t_post) pair; a last pre spike at t_probe collects the
    facilitation.  Post neurons are forced to fire at t_post by a strong static input."""
    n = len(pairs)
    pre_times = [[t_pre, t_probe] for t_pre, _ in pairs]
    drive_times = [[t_post - 1.0] for _, t_post in pairs]       # static delay 1 ms
    pre = sim.Population(n, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    drive = sim.Population(n, sim.SpikeSourceArray(spike_times=drive_times), label="drive")
    post = sim.Population(n, sim.IF_curr_delta(v_rest=0.0, v_reset=0.0, v_thresh=10.0,
                                               tau_refrac=0.1), label="post")
    post.record("spikes")
    sim.Projection(drive, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=50.0, delay=1.0))
    proj = sim.Projection(pre, post, sim.OneToOneConnector(),
                          sim.STDPMechanism(timing_dependence=sim.SpikePairRule(
                              tau_plus=TAU_P, tau_minus=TAU_M, A_plus=0.05, A_minus=0.06),
                              weight_dependence=rule, weight=w0, delay=D))
    return post, proj


def expected_dw(dt_pair, w0, rule):
    """The rule's formula for one pair, Δt = t_post + d − t_pre."""
    a_plus, a_minus = 0.05, 0.06
    if dt_pair > 0:
        k = math.exp(-dt_pair / TAU_P)
        step = a_plus * (rule.w_max - w0 if rule.multiplicative else rule.w_max) * k
    elif dt_pair < 0:
        k = math.exp(dt_pair / TAU_M)
        step = -a_minus * (w0 - rule.w_min if rule.multiplicative else rule.w_max) * k
    else:
        step = 0.0
    return min(max(w0 + step, rule.w_min), rule.w_max) - w0


@pytest.mark.parametrize("rule", [
    sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
    sim.MultiplicativeWeightDependence(w_min=0.1, w_max=1.0),
], ids=["additive", "multiplicative"])
def test_stdp_window_matches_the_pair_rule(rule):
    """Δw(Δt) for Δt in −80 … 80 ms equals the rule's formula to 1e-12 (single pairs)."""
    sim.setup(timestep=DT, seed=1, verbose=False)
    grid = np.round(np.arange(-80.0, 80.1, 2.5), 1)
    t_pre = 100.0
    pairs = [(t_pre, t_pre + dt_pair - D) for dt_pair in grid]     # Δt = t_post + d − t_pre
    w0 = 0.5
    post, proj = pair_network(pairs, rule, w0, t_probe=1500.0)
    sim.run(1600.0)
    s = post.get_spikes()
    np.testing.assert_allclose(np.sort(s.times_ms), np.sort([p[1] for p in pairs]), atol=1e-9)
    w = np.array([v for _, _, v in proj.get("weight")])
    # the probe spike 1.4 s later adds a depression of A_minus·exp(-1.4 s/τ-) ≈ 5e-20: nil
    expected = np.array([expected_dw(x, w0, rule) for x in grid])
    np.testing.assert_allclose(w - w0, expected, rtol=0, atol=1e-12)
    # the window's shape: depression before, potentiation after, both strongest near Δt = 0
    assert np.all(w[grid < 0] < w0) and np.all(w[grid > 0] > w0)
    assert np.all(np.diff(w[grid > 0]) < 0) and np.all(np.diff(w[grid < 0]) < 0)
    sim.end()


@pytest.mark.parametrize("multiplicative", [False, True])
def test_stdp_clips_at_the_bounds(multiplicative):
    """Large steps clip the weight to w_max (potentiation) and w_min (depression)."""
    cls = sim.MultiplicativeWeightDependence if multiplicative else sim.AdditiveWeightDependence
    rule = cls(w_min=0.2, w_max=0.6)
    sim.setup(timestep=DT, seed=1, verbose=False)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[100.0, 3000.0], [100.0, 3000.0]]))
    drive = sim.Population(2, sim.SpikeSourceArray(spike_times=[[101.0], [97.0]]))
    post = sim.Population(2, sim.IF_curr_delta(v_rest=0.0, v_reset=0.0, v_thresh=10.0))
    sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=50.0,
                                                                           delay=1.0))
    a = 50.0  # huge amplitudes: one pair overshoots either bound
    proj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(A_plus=a, A_minus=a), weight_dependence=rule,
        weight=0.4, delay=D))
    sim.run(3100.0)   # the probe at 3 s collects facilitation; its depression is < 1e-60
    w = [v for _, _, v in proj.get("weight")]
    assert w[0] == pytest.approx(0.6, abs=1e-12)    # post at 102 ms: Δt = +3 ms
    assert w[1] == pytest.approx(0.2, abs=1e-12)    # post at 98 ms: Δt = −1 ms
    sim.end()


def reference_stdp(pre_times, post_times, d, w0, rule, a_plus, a_minus):
    """NEST's stdp_synapse, event by event (all-to-all traces, dendritic delay d)."""
    w, k_plus, t_last = w0, 0.0, None
    post_times = np.asarray(post_times)

    mu_plus, mu_minus = rule.exponents
    gutig = isinstance(rule, sim.GutigWeightDependence)

    def facilitate(w, k):
        if gutig:       # NEST's stdp_synapse::facilitate_, as written there (w_min = 0)
            norm = w / rule.w_max + a_plus * (1.0 - w / rule.w_max) ** mu_plus * k
            return min(norm, 1.0) * rule.w_max
        step = a_plus * ((rule.w_max - w) if rule.multiplicative else rule.w_max) * k
        return min(max(w + step, rule.w_min), rule.w_max)

    def depress(w, k):
        if gutig:       # NEST's stdp_synapse::depress_
            norm = w / rule.w_max - a_minus * (w / rule.w_max) ** mu_minus * k
            return max(norm, 0.0) * rule.w_max
        step = a_minus * ((w - rule.w_min) if rule.multiplicative else rule.w_max) * k
        return min(max(w - step, rule.w_min), rule.w_max)

    for t_pre in pre_times:
        if t_last is not None:
            for tp in post_times[(post_times + d > t_last + 1e-9) &
                                 (post_times + d <= t_pre + 1e-9)]:
                w = facilitate(w, k_plus * math.exp(-(tp + d - t_last) / TAU_P))
        before = post_times[post_times < t_pre - d - 1e-9]
        k_minus = sum(math.exp(-(t_pre - d - tp) / TAU_M) for tp in before)
        if before.size:
            w = depress(w, k_minus)
        k_plus = (k_plus * math.exp(-(t_pre - t_last) / TAU_P) if t_last is not None
                  else 0.0) + 1.0
        t_last = t_pre
    return w


@pytest.mark.parametrize("delay", [2.3, 37.1])
@pytest.mark.parametrize("kind", ["additive", "multiplicative", "gutig"])
def test_random_trains_match_an_event_driven_reference(kind, delay):
    """20 synapses driven by random pre and post trains (~20 Hz, 2 s, on-grid) end at the
    weights of an independent implementation of the algorithm (to 1e-9) — also with a delay
    long enough to go through the delay extension (37.1 ms = 371 steps > 64 ring slots)."""
    rng = np.random.default_rng(7)
    n, T = 20, 2000.0

    def train():
        t = np.unique(np.round(rng.uniform(1.0, T - 50, rng.poisson(40)), 1))
        return t[np.concatenate([[True], np.diff(t) > 2.0])]   # ≥ 2 ms apart

    pre_times = [train() for _ in range(n)]
    post_times = [train() + 1.0 for _ in range(n)]             # driven with a 1 ms delay
    rule = {"additive": sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
            "multiplicative": sim.MultiplicativeWeightDependence(w_min=0.0, w_max=1.0),
            "gutig": sim.GutigWeightDependence(w_min=0.0, w_max=1.0, mu_plus=0.4,
                                               mu_minus=0.7)}[kind]
    sim.setup(timestep=DT, seed=1, verbose=False)
    pre = sim.Population(n, sim.SpikeSourceArray(spike_times=pre_times))
    drive = sim.Population(n, sim.SpikeSourceArray(spike_times=[t - 1.0 for t in post_times]))
    post = sim.Population(n, sim.IF_curr_delta(v_rest=0.0, v_reset=0.0, v_thresh=10.0))
    post.record("spikes")
    sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=50.0,
                                                                           delay=1.0))
    proj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=TAU_P, tau_minus=TAU_M, A_plus=0.02,
                                            A_minus=0.021),
        weight_dependence=rule, weight=0.5, delay=delay))
    sim.run(T)
    s = post.get_spikes()
    got = np.array([v for _, _, v in proj.get("weight")])
    want = np.array([reference_stdp(pre_times[i], s.times_ms[s.ids == i], delay, 0.5, rule,
                                    0.02, 0.021) for i in range(n)])
    assert np.all(np.abs(got - 0.5) > 1e-3)          # the weights did move
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    sim.end()


@pytest.mark.parametrize("tau_plus, lost", [(100.0, True), (20.0, False)])
def test_history_overflow_is_counted_when_it_matters(tau_plus, lost):
    """A post neuron firing ~500 Hz between two pre spikes 800 ms apart pushes early post
    spikes out of the history ring: with tau_plus = 100 ms they still mattered and the loss is
    counted; with 20 ms their factor is < e^-15 and nothing is reported."""
    sim.setup(timestep=DT, seed=1, verbose=False)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[[10.0, 810.0]]))
    post = sim.Population(1, sim.IF_curr_exp(i_offset=20.0, tau_refrac=1.0))
    sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus), weight=0.1, delay=D))
    sim.run(900.0)
    assert (sim.provenance()["stdp_history_overflows"] > 0) == lost
    sim.end()
