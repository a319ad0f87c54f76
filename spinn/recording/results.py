"""Reading recordings back: each rank reads its own spool (spinn/recording/store.py); the
getters with gather=True are collective and give every rank the whole population's data,
gather=False gives this rank's neurons only, without communication.  Nothing is gathered
unless a getter asks for it."""

from collections import namedtuple

import numpy as np

SpikeData = namedtuple("SpikeData", "times_ms ids")
StateData = namedtuple("StateData", "times_ms ids values")


class Recordings:
    def __init__(self, network, comm, spool):
        self.network = network
        self.comm = comm
        self.spool = spool
        self.dt = network.dt
        self.projection_sizes = []
        self.simulated_steps = 0

    def spike_arrays(self, pop, gather=True):
        """(steps, ids) int64 sorted by (step, id): this rank's, or every rank's."""
        steps, ids = self.spool.read_spikes(pop.index)
        if gather and self.comm.size > 1:
            steps, ids = self.comm.allgatherv(steps), self.comm.allgatherv(ids)
            order = np.lexsort((ids, steps))
            steps, ids = steps[order], ids[order]
        return steps, ids

    def spikes(self, pop, gather=True):
        _check_recorded(pop, "spikes")
        steps, ids = self.spike_arrays(pop, gather)
        # a spike in step s is stamped at the end of the step, as NEST does
        return SpikeData((steps + 1) * self.dt, ids)

    def state(self, pop, var, gather=True):
        _check_recorded(pop, var)
        part = self.spool.read_samples(pop.index, var)
        parts = [part] if part is not None else []
        if gather and self.comm.size > 1:
            parts = [p for p in self.comm.allgather(part) if p is not None]
        if not parts:
            return StateData(np.empty(0), np.empty(0, np.int64), np.empty((0, 0)))
        ids = np.unique(np.concatenate([p[0] for p in parts]))
        times = np.unique(np.concatenate([p[1] for p in parts]))
        values = np.full((times.size, ids.size), np.nan)
        for p_ids, p_steps, p_values in parts:
            rows = np.searchsorted(times, p_steps)
            cols = np.searchsorted(ids, p_ids)
            values[np.ix_(rows, cols)] = p_values
        return StateData(times * self.dt, ids, values)

    def mean_rate(self, pop, t_start=0.0, t_stop=None):
        """Collective: every rank counts its own spikes in the window, then one allreduce."""
        _check_recorded(pop, "spikes")
        t_stop = self.simulated_steps * self.dt if t_stop is None else t_stop
        rec = pop.recording["spikes"]
        n = pop.size if rec[0] is None else rec[0].size
        steps, _ = self.spool.read_spikes(pop.index)
        t = (steps + 1) * self.dt
        count = self.comm.allreduce(int(np.count_nonzero((t > t_start) & (t <= t_stop))),
                                    "sum")
        span = (t_stop - t_start) / 1000.0
        return count / (n * span) if n and span > 0 else 0.0


def _check_recorded(pop, var):
    """The same on every rank (the recording requests are part of the description)."""
    if var not in pop.recording:
        if var == "spikes":
            raise KeyError(f"{pop}: spikes were not recorded; call record('spikes') first")
        raise KeyError(f"{pop}: {var!r} was not recorded; call record({var!r}) before run()")
