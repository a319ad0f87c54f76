"""``spinn salvage STATUS_DIR OUT_DIR``: what the ranks of a job that did not finish (a lost
rank, Ctrl-C, an uncaught error) recorded up to their last flush, as OUT_DIR/spikes.h5.

A job keeps a status directory (spinn-status-<job>, beside the spool or in the checkpoint or
output directory) with job.json (dt, populations) and rank-<r>.json (each rank's spool
directory); spool directories of a job that failed are not removed.  The spike files of every
spool this machine can see are merged window by window into one SONATA file, by the same
writer as write_results (spinn/recording/sonata.py)."""

import glob
import json
import os

import numpy as np

from spinn.recording.sonata import write_spikes
from spinn.recording.store import SPIKE, Spool


class _One:
    """The communicator of a single reader: collectives are the identity."""
    rank, size, kind = 0, 1, "local"

    def allreduce(self, x, op="sum"):
        return x

    def gatherv(self, x, root=0):
        return x


class _Merged:
    """Several ranks' spools read as one (the subset of Spool that write_spikes uses)."""

    def __init__(self, spools):
        self.spools = spools

    def step_histogram(self, pop, bin_steps, n_bins):
        return sum(s.step_histogram(pop, bin_steps, n_bins) for s in self.spools)

    def spikes_by_window(self, pop, ends):
        for parts in zip(*(s.spikes_by_window(pop, ends) for s in self.spools)):
            yield (np.concatenate([p[0] for p in parts]),
                   np.concatenate([p[1] for p in parts]))

    def last_step(self, pop):
        last = -1
        for s in self.spools:
            n = s.spike_count(pop)
            if n:
                rec = np.fromfile(s._path(f"spikes_{pop}.bin"), SPIKE, count=1,
                                  offset=(n - 1) * SPIKE.itemsize)
                last = max(last, int(rec["step"][0]))
        return last


def _reader(directory):
    spool = object.__new__(Spool)       # read only: no directory made, nothing written
    spool.directory = directory
    return spool


def salvage(status_dir, out_dir):
    """Write out_dir/spikes.h5 from the spools of the job; returns (spikes, ranks read,
    ranks missing)."""
    with open(os.path.join(status_dir, "job.json")) as f:
        job = json.load(f)
    found, missing = [], []
    for r in range(job["ranks"]):
        try:
            with open(os.path.join(status_dir, f"rank-{r}.json")) as f:
                spool = json.load(f)["spool"]
        except (OSError, ValueError, KeyError):
            spool = None
        if spool and os.path.isdir(spool):
            found.append(_reader(spool))
        else:
            missing.append(r)
    merged = _Merged(found)
    pops = {p["label"]: p["index"] for p in job["populations"] if p["recorded"]}
    n_steps = max([merged.last_step(i) for i in pops.values()] + [0]) + 1
    os.makedirs(out_dir, exist_ok=True)
    written = write_spikes(os.path.join(out_dir, "spikes.h5"), _One(), merged, pops,
                           job["dt"], n_steps) if found else 0
    return written, len(found), missing


def salvage_command(status_dir, out_dir):
    if not os.path.isfile(os.path.join(status_dir, "job.json")):
        hits = sorted(glob.glob(os.path.join(status_dir, "spinn-status-*", "job.json")))
        if len(hits) == 1:
            status_dir = os.path.dirname(hits[0])
        else:
            print(f"spinn salvage: {status_dir} is not a job's status directory "
                  f"(spinn-status-<job> with job.json){'; several here' if hits else ''}")
            return 2
    written, ranks, missing = salvage(status_dir, out_dir)
    note = f"; rank(s) {', '.join(map(str, missing))} not readable here (another node's " \
           f"local storage?)" if missing else ""
    print(f"spinn salvage: {written} spikes from {ranks} rank(s) written to "
          f"{os.path.join(out_dir, 'spikes.h5')}{note}")
    return 0
