"""Results held on every rank after run(): recorded spikes, state samples, provenance.

After each run() the recordings of all ranks are gathered to every rank (collectively, inside
run), so the getters below are local reads that never communicate and may be called on one
rank only.
"""

from collections import namedtuple

import numpy as np

SpikeData = namedtuple("SpikeData", "times_ms ids")
StateData = namedtuple("StateData", "times_ms ids values")


class Results:
    def __init__(self, network):
        self.network = network
        self.dt = network.dt
        self._steps, self._gids = [], []
        self._state = {}       # (pop index, var) → list of (ids, steps, values) per run
        self.provenance = []   # per run: list of per-rank dicts
        self.projection_sizes = []
        self.simulated_steps = 0

    def add(self, spike_steps, spike_gids, state_by_rank):
        self._steps.append(spike_steps)
        self._gids.append(spike_gids)
        for state in state_by_rank:
            for key, part in state.items():
                self._state.setdefault(key, []).append(part)

    def _all_spikes(self):
        if len(self._steps) > 1:
            self._steps = [np.concatenate(self._steps)]
            self._gids = [np.concatenate(self._gids)]
        if not self._steps:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return self._steps[0], self._gids[0]

    def spikes(self, pop, gather=True):
        steps, gids = self._all_spikes()
        mine = (gids >= pop.gid_lo) & (gids < pop.gid_lo + pop.size)
        steps, ids = steps[mine], gids[mine] - pop.gid_lo
        order = np.lexsort((ids, steps))
        # a spike in step s is stamped at the end of the step, as NEST does
        return SpikeData((steps[order] + 1) * self.dt, ids[order])

    def n_spikes(self, pop):
        return self.spikes(pop).ids.size

    def state(self, pop, var, gather=True):
        parts = self._state.get((pop.index, var))
        if not parts:
            raise KeyError(f"{pop}: {var!r} was not recorded; call record({var!r}) before run()")
        ids = np.unique(np.concatenate([p[0] for p in parts]))
        times = np.unique(np.concatenate([p[1] for p in parts]))
        values = np.full((times.size, ids.size), np.nan)
        for p_ids, p_steps, p_values in parts:
            rows = np.searchsorted(times, p_steps)
            cols = np.searchsorted(ids, p_ids)
            values[np.ix_(rows, cols)] = p_values
        return StateData(times * self.dt, ids, values)

    def mean_rate(self, pop, t_start=0.0, t_stop=None):
        t_stop = self.simulated_steps * self.dt if t_stop is None else t_stop
        rec = pop.recording.get("spikes")
        if rec is None:
            raise KeyError(f"{pop}: spikes were not recorded; call record('spikes') first")
        n = pop.size if rec[0] is None else rec[0].size
        t = self.spikes(pop).times_ms
        count = np.count_nonzero((t > t_start) & (t <= t_stop))
        span = (t_stop - t_start) / 1000.0
        return count / (n * span) if n and span > 0 else 0.0
