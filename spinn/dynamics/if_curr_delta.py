"""IF_curr_delta: leaky integrate-and-fire with delta synapses (a spike is a jump of v).

Equations (v in mV, weights in mV, cm in nF, i_offset in nA, times in ms)::

    cm dv/dt = cm (v_rest - v) / tau_m + i_offset + cm Σ w δ(t - t_spike)
    v >= v_thresh  →  spike, v = v_reset, clamped for tau_refrac

Integration: exact, as NEST's iaf_psc_delta.  Per step h: if not refractory,
v ← v_rest + (v - v_rest) P33 + i_offset P30 + (weights arriving this step), with
P33 = exp(-h/tau_m), P30 = tau_m/cm (1 - P33); input arriving while refractory is discarded
(NEST's default).  Then the threshold test: input arriving at step n can fire at step n.
Inhibitory weights are negative (PyNN's and NEST's convention).
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import (
    CellType,
    State,
    check_reset_below_threshold,
    lif_parameters,
)
from spinn.kernels.grid import refractory_steps
from spinn.kernels.packets import emit_threshold_spikes
from spinn.kernels.params import at
from spinn.kernels.record import record_state


class IF_curr_delta(CellType):
    refractory_grid = True     # tau_refrac rounds up to whole steps (kernels/grid.py)
    step_ns = 0.5
    parameters = lif_parameters()
    state = {
        "v": State("mV", "v_rest"),
        "refrac": State("steps", 0.0),
    }
    recordable = ("spikes", "v")
    receptors = ("excitatory", "inhibitory")
    weight_unit = "mV"

    def check_relations(self, owner):
        check_reset_below_threshold(owner, self.values)

    def prepare(self, P, dt):
        p33 = np.exp(-dt / P["tau_m"])
        return np.array([
            p33, P["tau_m"] / P["cm"] * (1.0 - p33),
            P["v_rest"], P["v_reset"], P["v_thresh"],
            refractory_steps(P["tau_refrac"], dt), P["i_offset"],
        ])

    def kernel(self):
        return _tick


@njit(cache=True, nogil=True)
def _tick(S, C, base, keys, rec_state, rec_lid, rec_buf, ring, step0, slot_mask, n_steps, out,
          n_out):
    v, ref = S[0], S[1]
    p33, p30, v_rest, v_reset, v_th, ref_steps, i_off = C[0], C[1], C[2], C[3], C[4], C[5], C[6]
    n = v.shape[0]
    nc = 2 if ring.shape[1] > 2 else 0       # the current channel, when there is one
    cs = 1.0 if nc else 0.0
    for k in range(n_steps):
        slot = (step0 + k) & slot_mask
        in_e = ring[slot, 0, base:base + n]
        in_i = ring[slot, 1, base:base + n]
        cur = ring[slot, nc, base:base + n]     # current sources (or unused)
        for i in range(n):  # branch-free, so that it vectorises
            free = ref[i] <= 0.0
            v_new = (at(v_rest, i) + (v[i] - at(v_rest, i)) * at(p33, i) + (at(i_off, i) + cs * cur[i]) * at(p30, i)
                     + in_e[i] + in_i[i])
            v[i] = v_new if free else v[i]
            ref[i] = ref[i] if free else ref[i] - 1.0
            in_e[i] = 0.0
            in_i[i] = 0.0
            cur[i] = 0.0
        n_out = emit_threshold_spikes(v, ref, v_th, v_reset, ref_steps, keys, k, out, n_out)
        record_state(S, rec_state, rec_lid, rec_buf, k)
    return n_out
