"""SONATA spike reports: /spikes/<population>/timestamps (ms) and node_ids, sorted by time
(then id), with ``sorting = "by_time"`` and ``units = "ms"``.

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
    """(ends, total): window end steps, the same on every rank, and the spike total."""
    n_bins = max(1, -(-int(n_steps) // HISTOGRAM_STEPS) + 1)
    counts = comm.allreduce(spool.step_histogram(pop_index, HISTOGRAM_STEPS, n_bins), "sum")
    ends, held = [], 0
    for b, c in enumerate(counts.tolist()):
        if held and held + c > budget:
            ends.append(b * HISTOGRAM_STEPS)
            held = 0
        held += c
    ends.append(n_bins * HISTOGRAM_STEPS + (1 << 62))
    return ends, int(counts.sum())


def write_spikes(path, comm, spool, populations, dt, n_steps, budget=WINDOW_SPIKES):
    """Collective: write the recorded spikes of these populations (label → population
    index) to a SONATA file on rank 0.  Returns the number of spikes written (every rank)."""
    f = None
    if comm.rank == 0:
        import h5py

        f = h5py.File(path, "w")
        top = f.create_group("spikes")
    written = 0
    try:
        for label, index in populations.items():
            ends, total = spike_windows(comm, spool, index, n_steps, budget)
            if f is not None:
                g = top.create_group(label)
                g.attrs["sorting"] = "by_time"
                ts = g.create_dataset("timestamps", shape=(total,), dtype=np.float64)
                ts.attrs["units"] = "ms"
                node_ids = g.create_dataset("node_ids", shape=(total,), dtype=np.uint64)
            at = 0
            for steps, ids in spool.spikes_by_window(index, ends):
                steps, ids = comm.gatherv(steps, 0), comm.gatherv(ids, 0)
                if f is not None and steps.size:
                    order = np.lexsort((ids, steps))
                    # a spike in step s is stamped at the end of the step, as NEST does
                    ts[at:at + steps.size] = (steps[order] + 1) * dt
                    node_ids[at:at + steps.size] = ids[order].astype(np.uint64)
                at += 0 if steps is None else steps.size
            written += total
    finally:
        if f is not None:
            f.close()
    return written


def read_spikes(path):
    """dict label → (times_ms, node_ids) from a SONATA spike file."""
    import h5py

    with h5py.File(path, "r") as f:
        return {label: (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
                for label, g in f["spikes"].items()}
