"""SONATA reports.  Spikes: /spikes/<population>/timestamps (ms) and node_ids, sorted by time
(then id), with ``sorting = "by_time"`` and ``units = "ms"``; frame reports of sampled state
(v, gsyn_exc, …): /report/<population>/data [time, node] with its units and
/report/<population>/mapping/{node_ids, index_pointers, element_ids, time = (start, stop,
dt)}, one element per point neuron.  Every file carries SONATA's root attributes ``magic``
(0x0A7A) and ``version`` (0, 1).

The file is assembled from every rank's spool without holding all spikes in one rank's
memory: the ranks agree on time windows of at most WINDOW_SPIKES spikes (from a histogram of
their spike steps, one allreduce), and for each window every rank sends its spikes to rank 0,
which sorts the window and writes it into the datasets.  h5py is imported when a file is
written or read, not with spinn: it adds 11 MB to every rank's resident memory (measured
here), and most runs never touch a SONATA file."""

import numpy as np

WINDOW_SPIKES = 1 << 22        # spikes per window on rank 0 (64 MiB as (step, id) pairs)
HISTOGRAM_STEPS = 100          # resolution of the windows, in steps


def spike_windows(comm, spool, pop_index, n_steps, budget=WINDOW_SPIKES):
    """(ends, total): window end steps, the same on every rank, and the spike total.
    pop_index: a population index, or a list of them (one group written together)."""
    members = pop_index if isinstance(pop_index, (list, tuple)) else [pop_index]
    n_bins = max(1, -(-int(n_steps) // HISTOGRAM_STEPS) + 1)
    counts = comm.allreduce(sum(spool.step_histogram(p, HISTOGRAM_STEPS, n_bins)
                                for p in members), "sum")
    ends, held = [], 0
    for b, c in enumerate(counts.tolist()):
        if held and held + c > budget:
            ends.append(b * HISTOGRAM_STEPS)
            held = 0
        held += c
    ends.append(n_bins * HISTOGRAM_STEPS + (1 << 62))
    return ends, int(counts.sum())


def write_spikes(path, comm, spool, populations, dt, n_steps, budget=WINDOW_SPIKES):
    """Collective: write the recorded spikes of these populations to a SONATA file on rank 0.
    populations: {label: population index}, or {label: [(population index, node_ids), …]}
    to write several populations as one SONATA population, node_ids(indices) giving each
    member's node ids (spinn.sonata's node populations).  Returns the number of spikes
    written (every rank)."""
    f = None
    if comm.rank == 0:
        import h5py

        f = h5py.File(path, "w")
        root_attributes(f)
        top = f.create_group("spikes")
    written = 0
    try:
        for label, members in populations.items():
            if not isinstance(members, (list, tuple)):
                members = [(members, None)]
            ends, total = spike_windows(comm, spool, [m for m, _ in members], n_steps, budget)
            if f is not None:
                g = top.create_group(label)
                g.attrs["sorting"] = "by_time"
                ts = g.create_dataset("timestamps", shape=(total,), dtype=np.float64)
                ts.attrs["units"] = "ms"
                node_ids = g.create_dataset("node_ids", shape=(total,), dtype=np.uint64)
            at = 0
            windows = zip(*(spool.spikes_by_window(m, ends) for m, _ in members))
            for parts in windows:
                steps_l, ids_l = [], []
                for (_index, mapper), (steps, ids) in zip(members, parts):
                    steps, ids = comm.gatherv(steps, 0), comm.gatherv(ids, 0)
                    if f is not None:
                        steps_l.append(steps)
                        ids_l.append(ids if mapper is None else
                                     mapper(np.asarray(ids, np.int64)))
                if f is None:
                    continue
                steps, ids = np.concatenate(steps_l), np.concatenate(ids_l)
                if steps.size:
                    order = np.lexsort((ids, steps))
                    # a spike in step s is stamped at the end of the step, as NEST does
                    ts[at:at + steps.size] = (steps[order] + 1) * dt
                    node_ids[at:at + steps.size] = ids[order].astype(np.uint64)
                at += steps.size
            written += total
    finally:
        if f is not None:
            f.close()
    return written


MAGIC = 0x0A7A
VERSION = (0, 1)


def root_attributes(f):
    f.attrs["magic"] = np.uint32(MAGIC)
    f.attrs["version"] = np.array(VERSION, np.uint32)


def write_frames(path, reports, dt):
    """A SONATA frame report (rank 0): reports = {population label: (times_ms float64[T],
    node_ids int64[k], values float64[T, k], units)}, samples every ``dt`` ms."""
    import h5py

    with h5py.File(path, "w") as f:
        root_attributes(f)
        top = f.create_group("report")
        for label, (times, ids, values, units) in reports.items():
            g = top.create_group(label)
            data = g.create_dataset("data", data=np.asarray(values, np.float32))
            data.attrs["units"] = units
            m = g.create_group("mapping")
            m.create_dataset("node_ids", data=np.asarray(ids, np.uint64))
            m.create_dataset("index_pointers", data=np.arange(len(ids) + 1, dtype=np.uint64))
            m.create_dataset("element_ids", data=np.zeros(len(ids), np.uint32))
            step = float(times[1] - times[0]) if len(times) > 1 else float(dt)
            stop = float(times[-1]) + step if len(times) else 0.0
            t = m.create_dataset("time", data=np.array(
                [float(times[0]) if len(times) else 0.0, stop, step]))
            t.attrs["units"] = "ms"


def read_frames(path):
    """dict label → (times_ms, node_ids, values float32[T, k]) from a SONATA frame report."""
    import h5py

    with h5py.File(path, "r") as f:
        out = {}
        for label, g in f["report"].items():
            start, stop, step = g["mapping"]["time"][()]
            values = g["data"][()]
            times = start + step * np.arange(values.shape[0])
            out[label] = (times, g["mapping"]["node_ids"][()].astype(np.int64), values)
        return out


def read_spikes(path):
    """dict label → (times_ms, node_ids) from a SONATA spike file."""
    import h5py

    with h5py.File(path, "r") as f:
        return {label: (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
                for label, g in f["spikes"].items()}
