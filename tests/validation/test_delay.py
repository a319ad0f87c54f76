"""Spike arrival exactly at t_s + delay, for short, odd, tick-crossing and long delays.

Convention (NEST's): a source spike at t_s is emitted as if in the step ending at t_s; with a
delay d it enters the target's input in the step ending at t0 = t_s + d.  A delta synapse adds
to v in that step and the threshold is tested at its end, so a suprathreshold weight makes the
target spike stamped exactly t0.  An exponential current synapse adds to the current at the
end of that step, so v first departs from rest in the next step, at t0 + dt.
"""

import numpy as np
import pytest

import spinn as sim

# dt (the exchange tick shrinks to one step), 1.5 ms (arrival in the middle of the next 1 ms
# tick), 1 ms + dt (just past one tick), 10 ms, 144 ms.  Each delay gets its own network,
# since the tick is min(1 ms, smallest delay); 1.5 ms only where it is a multiple of dt.
DELAY_CASES = [(dt, d) for dt in (0.1, 1.0) for d in (dt, 1.5, 1.0 + dt, 10.0, 144.0)
               if abs(d / dt - round(d / dt)) < 1e-9]
CASE_IDS = [f"dt{dt:g}-d{d:g}" for dt, d in DELAY_CASES]

# Spike times exactly representable on the 0.1 ms comparison grid (errors ≤ float rounding).
TIME_ATOL_MS = 1e-9


def source_times_ms(dt):
    """On a tick boundary, mid-tick (50.3 ms where dt allows), and after a 144 ms delay has
    wrapped the ring buffer (2048 slots = 204.8 ms at dt = 0.1 ms): slots are reused."""
    return [2.0, 50.3, 230.0] if dt < 1.0 else [2.0, 50.0, 230.0]


def run_one_delay(dt, delay, celltype, weight, t_run):
    """One SpikeSourceArray onto one neuron through one synapse of the given delay."""
    sim.setup(timestep=dt, seed=1, verbose=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=source_times_ms(dt)))
    post = sim.Population(1, celltype)
    sim.Projection(src, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=weight, delay=delay))
    post.record(["spikes", "v"])
    src.record("spikes")
    sim.run(t_run)
    out = src.get_spikes().times_ms, post.get_spikes().times_ms, post.get_data("v")
    sim.end()
    return out


@pytest.mark.parametrize("dt,delay", DELAY_CASES, ids=CASE_IDS)
def test_delta_target_spikes_exactly_at_source_time_plus_delay(dt, delay):
    """IF_curr_delta with a suprathreshold weight: every target spike is stamped exactly
    t_s + d (the step in which the input arrives), for every source spike."""
    # weight 20 mV > v_thresh - v_rest = 15 mV: a single input fires the neuron
    src_t, post_t, _ = run_one_delay(dt, delay, sim.IF_curr_delta(), 20.0, 400.0)
    np.testing.assert_allclose(src_t, source_times_ms(dt), rtol=0, atol=TIME_ATOL_MS)
    expected = np.array(source_times_ms(dt)) + delay
    assert post_t.size == expected.size, post_t
    np.testing.assert_allclose(post_t, expected, rtol=0, atol=TIME_ATOL_MS)
    # in integer steps it is equality
    assert np.array_equal(np.round(post_t / dt), np.round(expected / dt))


@pytest.mark.parametrize("dt,delay", DELAY_CASES, ids=CASE_IDS)
def test_exp_target_v_departs_from_rest_exactly_one_step_after_arrival(dt, delay):
    """IF_curr_exp: v equals v_rest at every sample up to t_s + d and departs from it at
    exactly t_s + d + dt (first source spike)."""
    t_first = source_times_ms(dt)[0]
    # 0.5 nA: a subthreshold PSP (< 3 mV), so v is never reset and the departure is clean
    _, post_t, (t, _, v) = run_one_delay(dt, delay, sim.IF_curr_exp(), 0.5, 40.0 + delay)
    assert post_t.size == 0
    moved = np.flatnonzero(v[:, 0] != -65.0)
    assert moved.size, "v never moved"
    assert abs(t[moved[0]] - (t_first + delay + dt)) < TIME_ATOL_MS, t[moved[0]]
    assert v[moved[0], 0] > -65.0  # excitatory: moves up
