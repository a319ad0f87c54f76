"""SpikeSourceArray: spikes at given times.

Parameter (PyNN): spike_times (ms) — one sequence for every neuron, or one sequence per neuron.
Times are rounded to the nearest step, halves up (as NEST's spike_generator);
a spike at time t is emitted as if a neuron fired in the step ending at t, so it reaches a
target at exactly t + delay.  Times must be ≥ dt.  Several spikes of one source in one step
travel as one packet with a count.
"""

import numpy as np
from numba import njit

from spinn.dynamics.base import CellType, Param
from spinn.errors import ConfigurationError
from spinn.kernels.packets import make_packet


class SpikeSourceArray(CellType):
    step_ns = 0.05
    parameters = {"spike_times": Param(0.0, "ms")}
    state = {}
    recordable = ("spikes",)
    receptors = ()
    is_source = True

    def __init__(self, spike_times=(), **unknown):
        if unknown:
            super().__init__(**unknown)  # raises: unknown parameter, listing the valid ones
        self.values = {"spike_times": spike_times}

    def check(self, owner, size):
        times = self.values["spike_times"]
        per_neuron = _is_per_neuron(times)
        if per_neuron and len(times) != size:
            raise ConfigurationError(
                f"{owner}: spike_times has {len(times)} sequences for {size} neurons; give one "
                f"sequence per neuron or a single sequence for all"
            )
        seqs = times if per_neuron else [times]
        for seq in seqs:
            arr = np.asarray(seq, dtype=np.float64)
            if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
                raise ConfigurationError(
                    f"{owner}: spike_times contains {arr.min():g} ms; times must be finite "
                    f"and ≥ 0 ms"
                )

    def check_dt(self, owner, dt):
        """Refuse spike times before t = dt, the first time a source can spike."""
        seqs = self.values["spike_times"]
        seqs = seqs if _is_per_neuron(seqs) else [seqs]
        lows = [np.min(s) for s in seqs if np.size(s)]
        if lows and min(lows) < dt * (1 - 1e-9):
            raise ConfigurationError(
                f"{owner}: spike time {min(lows):g} ms is earlier than dt = {dt:g} ms; the "
                f"first time a source can spike is t = dt (shift the times by dt)"
            )

    def events(self, lo, hi, dt):
        """Emission steps and neuron indices (population-relative) for neurons [lo, hi),
        sorted by (step, index), with counts for repeated (step, index) pairs."""
        times = self.values["spike_times"]
        steps, ids = [], []
        for i in range(lo, hi):
            seq = times[i] if _is_per_neuron(times) else times
            # the nearest step, halves up (NEST's spike_generator; kernels/grid.py)
            s = np.floor(np.asarray(seq, np.float64) * (1.0 / dt) + 0.5).astype(np.int64) - 1
            steps.append(s)
            ids.append(np.full(s.size, i - lo, np.int64))
        steps = np.concatenate(steps) if steps else np.empty(0, np.int64)
        ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        pairs = np.unique(np.stack([steps, ids]), axis=1, return_counts=True)
        (u, counts) = pairs
        return u[0], u[1], counts

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        t = self.values["spike_times"]
        return {"cell_type": self.name,
                "parameters": {"spike_times": [np.asarray(s).tolist() for s in t]
                               if _is_per_neuron(t) else np.asarray(t).tolist()}}

    def kernel(self):
        return _tick

    def kernel_args(self, g):
        return (g.ev_step, g.ev_lid, g.ev_count, g.cursor, g.keys)


def _is_per_neuron(times):
    """True when spike_times holds one sequence per neuron."""
    if isinstance(times, np.ndarray):
        return times.dtype == object or times.ndim == 2
    return len(times) > 0 and np.ndim(times[0]) >= 1


@njit(cache=True, nogil=True)
def _tick(ev_step, ev_lid, ev_count, cursor, keys, ring, step0, slot_mask, n_steps, out,
          n_out):
    """Events sorted by (step, lid); cursor[0] is the next unsent event (ring unused)."""
    i = cursor[0]
    n = ev_step.shape[0]
    while i < n and ev_step[i] < step0:  # events before this tick (e.g. after a reset)
        i += 1
    while i < n and ev_step[i] < step0 + n_steps:
        out[n_out] = make_packet(ev_step[i] - step0, keys[ev_lid[i]], ev_count[i])
        n_out += 1
        i += 1
    cursor[0] = i
    return n_out
