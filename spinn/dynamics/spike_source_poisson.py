"""SpikeSourcePoisson: independent Poisson spike trains.

Parameters (PyNN): rate (Hz), start (ms), duration (ms).  In each step h of [start,
start + duration) a source emits Poisson(rate·h) spikes (several spikes in one step travel as
one packet with a count, like NEST's spike multiplicity); spikes are stamped at the end of the
step, as a neuron's are.  Random numbers come from one stream per (seed, population, core).
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import CellType, Param
from spinn.kernels.packets import MAX_COUNT, make_packet
from spinn.kernels.rng import poisson


class SpikeSourcePoisson(CellType):
    parameters = {
        "rate": Param(1.0, "Hz", 0.0, 1e7),
        "start": Param(0.0, "ms", 0.0),
        "duration": Param(1e10, "ms", 0.0),
    }
    state = {}
    recordable = ("spikes",)
    receptors = ()
    is_source = True

    def prepare(self, P, dt):
        lam = P["rate"] * dt / 1000.0
        start = np.round(P["start"] / dt)
        stop = start + np.round(P["duration"] / dt)
        return np.array([lam, np.exp(-lam), start, stop])

    def tick(self, g, ring, step0, slot_mask, n_steps, out, n_out):
        return _tick(g.C, g.rng_state, g.core_bounds, g.keys, step0, n_steps, out, n_out)


@njit(cache=True, nogil=True)
def _tick(C, rng_state, core_bounds, keys, step0, n_steps, out, n_out):
    """rng_state: uint64[n_cores, 2]; core_bounds: int64[n_cores + 1] (neuron ranges)."""
    lam, e_lam, start, stop = C[0], C[1], C[2], C[3]
    n_cores = core_bounds.shape[0] - 1
    for k in range(n_steps):
        t = np.float64(step0 + k)
        for c in range(n_cores):
            st = rng_state[c]
            for i in range(core_bounds[c], core_bounds[c + 1]):
                if t >= start[i] and t < stop[i] and lam[i] > 0.0:
                    count = poisson(st, lam[i], e_lam[i])
                    while count > 0:
                        m = min(count, MAX_COUNT)
                        out[n_out] = make_packet(k, keys[i], m)
                        n_out += 1
                        count -= m
    return n_out
