"""Izhikevich: the quadratic spiking model of Izhikevich (2003), as PyNN maps it onto NEST.

Equations (v in mV, u in mV/ms, a and b in 1/ms, c in mV, d in mV/ms, t in ms)::

    dv/dt = 0.04 v² + 5 v + 140 - u + I + Σ w δ(t - t_spike)
    du/dt = a (b v - u)
    v >= 30 mV  →  spike, v = c, u = u + d          (no refractory period)

The model is dimensionless in the original paper; I is a rate of change of v (mV/ms).
``i_offset`` is in nA, as in every PyNN cell type, and becomes I = 1000 · i_offset mV/ms:
PyNN sends i_offset × 1000 to NEST's ``I_e`` (pA), which NEST's ``izhikevich`` adds to dv/dt
unchanged, and PyNN's NEURON mechanism gives the cell a capacitance of 0.001 nF, so that
1 nA also drives v at 1000 mV/ms.  Izhikevich's tonic drive I = 10 is i_offset = 0.01 nA.

Synapses are delta synapses (PyNN's ``voltage_based_synapses``): a spike of weight w (mV)
makes v jump by w; inhibitory weights are negative (PyNN's convention for current synapses).

Integration: forward Euler with step h = dt, NEST's ``consistent_integration`` variant — v and
u are both advanced from their values at the start of the step, and the weights arriving in
the step are added to v in the same update, before the threshold test::

    v' = v + h (0.04 v² + 5 v + 140 - u + I) + Σ w
    u' = u + h a (b v - u)
    if v' >= 30:  v' = c,  u' = u' + d,  spike at the end of the step

Forward Euler is first order: the spike times depend on dt (the published figures use
h = 1 ms or 0.5 ms).  PyNN's initial values are v = -70 mV and u = -14 mV/ms (= b v for the
default b).
"""

import numpy as np
from numba import njit

from spinn.distributions import RandomDistribution
from spinn.dynamics.base import CellType, Param, State
from spinn.errors import ConfigurationError
from spinn.kernels.packets import make_packet
from spinn.kernels.params import at
from spinn.kernels.record import record_state

V_PEAK_MV = 30.0  # spike cut-off of the model (fixed, not a parameter in PyNN)
MV_PER_MS_PER_NA = 1000.0  # i_offset (nA) → I (mV/ms), as PyNN's NEST and NEURON mappings


class Izhikevich(CellType):
    step_ns = 1.3
    parameters = {
        "a": Param(0.02, "1/ms", doc="time scale of the recovery variable u"),
        "b": Param(0.2, "1/ms", doc="sensitivity of u to v"),
        "c": Param(-65.0, "mV", doc="reset value of v after a spike"),
        "d": Param(2.0, "mV/ms", doc="increment of u after a spike"),
        "i_offset": Param(0.0, "nA", doc="constant input; 1 nA drives v at 1000 mV/ms"),
    }
    state = {
        "v": State("mV", -70.0),
        "u": State("mV/ms", -14.0),
    }
    recordable = ("spikes", "v", "u")
    receptors = ("excitatory", "inhibitory")
    weight_unit = "mV"

    def check_relations(self, owner):
        c = self.values["c"]
        hi = c.support()[1] if isinstance(c, RandomDistribution) else float(np.max(c))
        if hi >= V_PEAK_MV:
            raise ConfigurationError(
                f"{owner}: Izhikevich c = {hi:g} mV must be below the spike cut-off "
                f"{V_PEAK_MV:g} mV (the neuron would fire every step); lower c"
            )

    def prepare(self, P, dt):
        return np.array([
            P["a"], P["b"], P["c"], P["d"],
            P["i_offset"] * MV_PER_MS_PER_NA,
            np.full_like(P["a"], dt),
        ])

    def kernel(self):
        return _tick


@njit(cache=True, nogil=True)
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, u = S[0], S[1]
    a, b, c, d, i_drive, h = C[0], C[1], C[2], C[3], C[4], C[5]
    n = v.shape[0]
    # Invariant: at the top of step k, v and u hold the state at the end of step k - 1, and
    # ring slot (step0 + k) holds the weights arriving in step k.
    nc = 2 if ring.shape[1] > 2 else 0       # the current channel, when there is one
    cs = 1.0 if nc else 0.0
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0]
        in_i = ring[slot, 1]
        cur = ring[slot, nc]          # current sources (nA), or unused
        for i in range(n):
            v0 = v[i]
            u0 = u[i]
            # forward Euler from (v0, u0) for both variables (NEST consistent_integration)
            v[i] = (v0 + at(h, i) * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + at(i_drive, i)
                                   + cs * MV_PER_MS_PER_NA * cur[base + i])
                    + (in_e[base + i] + in_i[base + i]))
            u[i] = u0 + at(h, i) * at(a, i) * (at(b, i) * v0 - u0)
            in_e[base + i] = 0.0
            in_i[base + i] = 0.0
            cur[base + i] = 0.0
            if v[i] >= 30.0:
                v[i] = at(c, i)
                u[i] += at(d, i)
                out[n_out] = make_packet(k, keys[i], 1)
                n_out += 1
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
