"""Times onto the step grid, as NEST puts them there (NEST is the reference for semantics).

- Delays: the nearest step, halves up — NEST's ``ld_round(delay × steps per ms)`` with steps
  per ms from its 1 µs tics (2.5 ms at dt 1.0 → 3 steps; numpy's rint would give 2).
- Refractory periods: whole steps, rounded up — NEST's ``Time(Time::ms(t_ref)).get_steps()``
  (PyNN's default 0.1 ms at dt 1.0 is 1 step, not 0).

The numpy functions and the compiled ``delay_steps`` give the same steps for the same values.
"""

import math

import numpy as np
from numba import njit

TICS_PER_MS = 1000.0      # NEST's default: a tic is 1 µs


@njit(inline="always")
def delay_steps(delay_ms, dt):
    """Steps of one delay (at least 1): floor(delay × steps per ms + 0.5), steps per ms =
    1/dt (NEST's tics per ms over tics per step give the same float for dt in whole µs)."""
    d = math.floor(delay_ms * (1.0 / dt) + 0.5)
    return np.int64(d) if d >= 1.0 else np.int64(1)


def delay_steps_array(delay_ms, dt):
    """int64 steps of delays (numpy; at least 1), as delay_steps."""
    d = np.floor(np.asarray(delay_ms, np.float64) * (1.0 / dt) + 0.5)
    return np.maximum(d, 1).astype(np.int64)


def refractory_steps(tau_ms, dt):
    """float64 whole steps of refractory periods, rounded up on NEST's tic grid."""
    tics = np.rint(np.asarray(tau_ms, np.float64) * TICS_PER_MS)
    per = round(dt * TICS_PER_MS)
    if per and abs(dt * TICS_PER_MS - per) < 1e-9:
        return np.ceil(tics / per)
    return np.ceil(np.asarray(tau_ms, np.float64) / dt - 1e-9)


def off_grid(values_ms, dt):
    """True when some value is not a whole number of steps."""
    x = np.asarray(values_ms, np.float64) / dt
    return bool(np.any(np.abs(x - np.rint(x)) > 1e-9 * np.maximum(1.0, np.abs(x))))
