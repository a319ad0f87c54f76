"""PyNN's Recorder over spinn's recordings: Neo Blocks built by pyNN.recording from the
spikes and samples that spinn's native getters read back from each rank's spool.

The native getters are collective and give every rank the whole population, so the Block
is complete on every rank and PyNN's own MPI gather is not used (it would duplicate it).
"""

import numpy as np
from pyNN import recording

from spinn.pynn import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def _native(self):
        return self.population._native

    def _native_name(self, name):
        """spinn's name of a variable (NEST-named cell types call v 'V_m')."""
        return getattr(self.population.celltype, "native_variables", {}).get(name, name)

    def _record(self, variable, new_ids, sampling_interval=None):
        ids = np.array(sorted(int(i) for i in self.recorded[variable]), np.int64)
        index = ids - int(self.population.first_id)
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        interval = None if variable.name == "spikes" else self.sampling_interval
        self._native().record([self._native_name(variable.name)], indices=index,
                              sampling_interval=interval)

    def _fetch(self, name):
        """The native getter's result for one variable — COLLECTIVE; within get() it comes
        from the prefetch, made in the same (sorted) order on every rank, since PyNN walks its
        recorded variables in set order, which differs between processes."""
        cache = getattr(self, "_prefetched", None)
        if cache is not None and name in cache:
            return cache[name]
        native = self._native()
        if name == "spikes":
            return native.get_spikes(gather=True)
        t, ids, values = native.get_data(self._native_name(name), gather=True)
        scale = getattr(self.population.celltype, "state_scale", {}).get(name, 1.0)
        return t, ids, values * scale if scale != 1.0 else values

    def _get_spiketimes(self, ids, clear=False):
        data = self._fetch("spikes")
        times, index = np.asarray(data[0], np.float64), np.asarray(data[1], np.int64)
        first = int(self.population.first_id)
        wanted = np.asarray(sorted(int(i) for i in ids), np.int64) - first
        keep = np.isin(index, wanted)
        t0 = float(self._recording_start_time)
        keep &= times >= t0 - 1e-9
        return index[keep] + first, times[keep].copy()

    def _get_all_signals(self, variable, ids, clear=False):
        t, index, values = self._fetch(variable.name)
        first = int(self.population.first_id)
        col = {int(j): k for k, j in enumerate(np.asarray(index, np.int64))}
        cols = [col[int(i) - first] for i in ids]
        t = np.asarray(t, np.float64)
        keep = t >= float(self._recording_start_time) - 1e-9
        return np.asarray(values, np.float64)[keep][:, cols], None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        first = int(self.population.first_id)
        index, _ = self._get_spiketimes(ids)
        counts = np.bincount(index - first, minlength=self.population.size)
        return {int(i): int(counts[int(i) - first]) for i in ids}

    def _clear_simulator(self):
        pass

    def _reset(self):
        pass

    def _get_current_segment(self, filter_ids=None, variables="all", clear=False):
        # PyNN walks the recorded variables in set order, which differs between processes:
        # fetch them first, sorted, so that every rank makes the same collective calls
        names = sorted({v.name for v in self.recorded if self.recorded[v]})
        if variables != "all":
            wanted = {getattr(v, "name", v) for v in variables}
            names = [n for n in names if n in wanted]
        self._prefetched = {}
        for name in names:
            self._prefetched[name] = self._fetch(name)
        try:
            return super()._get_current_segment(filter_ids, variables, clear)
        finally:
            self._prefetched = None

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        # every rank already holds the whole population: no MPI gather of Blocks
        return super().get(variables, False, filter_ids, clear, annotations, locations)

    def count(self, variable, gather=True, filter_ids=None):
        return self._local_count(recording.Variable(variable, None, None)
                                 if isinstance(variable, str) else variable, filter_ids)
