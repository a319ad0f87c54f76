"""One rank's recordings on disk: append-only raw files, written during the run in bounded
memory and read back on request.

The Recorder (spinn/recording/recorder.py) buffers what the tick loop records and flushes it
here whenever its buffer passes a fixed size, and at the end of every run(): nothing a rank
recorded is held in memory between runs, and nothing is gathered to other ranks unless a
getter asks for it.  Files, per rank, in the rank's spool directory:

    spikes_<pop>.bin        (step int64, id int64) records, in (step, id) order
    state_<pop>_<var>.bin   float64 rows, one per sample, a column per recorded neuron
    state_<pop>_<var>.steps int64 sample steps
    state_<pop>_<var>.ids   int64 population indices of the columns

Raw numpy records, never pickle.  The spool directory is this rank's own (node-local
storage is fine: no rank reads another's), removed when the network ends.
"""

import os
import shutil
import tempfile

import numpy as np

SPIKE = np.dtype([("step", "<i8"), ("id", "<i8")])
READ_CHUNK = 1 << 20      # records read at once when streaming a file (16 MiB of spikes)


def spool_directory(base, job, rank):
    """The directory of one rank's spool: base (default $SPINN_SPOOL or the system's
    temporary directory) / spinn-<uid> / <job>-r<rank>."""
    base = base or os.environ.get("SPINN_SPOOL") or tempfile.gettempdir()
    return os.path.join(base, f"spinn-{os.getuid()}", f"{job}-r{rank}")


def check_writable(directory, what):
    """Create ``directory`` (and its parents) and write and remove a probe file in it;
    an error names the directory, what it is for, the reason and the fix.  Returns None
    or the message (spinn.api.setup makes every rank raise the same error)."""
    try:
        os.makedirs(directory, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".spinn-write-test-", dir=directory)
        os.write(fd, b"0")
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        return (f"setup: {what} {directory!r} cannot be written ({type(exc).__name__}: "
                f"{exc.strerror or exc}); choose a directory this user can write to, or "
                f"create it with the right permissions")
    return None


class Spool:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        probe = os.path.join(directory, ".write-test")
        with open(probe, "wb") as f:      # unwritable storage shows now, not after the run
            f.write(b"0")
        os.remove(probe)

    def _path(self, name):
        return os.path.join(self.directory, name)

    # ---- writing ----------------------------------------------------------------------
    def append_records(self, pop, records):
        """Append (step, id) records (dtype SPIKE) of a population."""
        with open(self._path(f"spikes_{pop}.bin"), "ab") as f:
            records.tofile(f)

    def append_samples(self, pop, var, steps, values):
        with open(self._path(f"state_{pop}_{var}.bin"), "ab") as f:
            np.ascontiguousarray(values, np.float64).tofile(f)
        with open(self._path(f"state_{pop}_{var}.steps"), "ab") as f:
            np.asarray(steps, np.int64).tofile(f)

    def set_sample_ids(self, pop, var, ids):
        np.asarray(ids, np.int64).tofile(self._path(f"state_{pop}_{var}.ids"))

    def replace_spikes(self, pop, steps, ids):
        """The population's spike file becomes these records (a restore's past)."""
        rec = np.empty(steps.size, SPIKE)
        rec["step"], rec["id"] = steps, ids
        rec.tofile(self._path(f"spikes_{pop}.bin"))

    def append_spikes(self, pop, steps, ids):
        rec = np.empty(steps.size, SPIKE)
        rec["step"], rec["id"] = steps, ids
        self.append_records(pop, rec)

    def sample_ids(self, pop, var):
        return np.fromfile(self._path(f"state_{pop}_{var}.ids"), np.int64)

    def replace_samples(self, pop, var, steps, values):
        """The variable's samples become these (a restore's past)."""
        np.ascontiguousarray(values, np.float64).tofile(self._path(f"state_{pop}_{var}.bin"))
        np.asarray(steps, np.int64).tofile(self._path(f"state_{pop}_{var}.steps"))

    def new_segment(self):
        """After a reset: what was recorded so far moves to segment<k>/ (kept until the end,
        no longer read); reading starts again from nothing."""
        self.segment = getattr(self, "segment", 0) + 1
        old = self._path(f"segment{self.segment - 1}")
        os.makedirs(old, exist_ok=True)
        for name in os.listdir(self.directory):
            path = self._path(name)
            if os.path.isfile(path) and (name.startswith("spikes_") or (
                    name.startswith("state_") and not name.endswith(".ids"))):
                os.replace(path, os.path.join(old, name))

    # ---- reading ----------------------------------------------------------------------
    def spike_count(self, pop):
        path = self._path(f"spikes_{pop}.bin")
        return os.path.getsize(path) // SPIKE.itemsize if os.path.exists(path) else 0

    def spike_chunks(self, pop):
        """Yield (offset, records) of the population's spike file, READ_CHUNK at a time."""
        path = self._path(f"spikes_{pop}.bin")
        n = self.spike_count(pop)
        for at in range(0, n, READ_CHUNK):
            yield at, np.fromfile(path, SPIKE, count=min(READ_CHUNK, n - at),
                                  offset=at * SPIKE.itemsize)

    def read_spikes(self, pop):
        """(steps int64, ids int64) of every spike of the population on this rank."""
        path = self._path(f"spikes_{pop}.bin")
        rec = np.fromfile(path, SPIKE) if os.path.exists(path) else np.empty(0, SPIKE)
        return rec["step"].copy(), rec["id"].copy()

    def spikes_by_window(self, pop, ends):
        """Yield (steps, ids) of the spikes with step < ends[w], window after window (ends
        increasing), reading the file in chunks: memory is one window plus one chunk."""
        path = self._path(f"spikes_{pop}.bin")
        n = self.spike_count(pop)
        at, held = 0, np.empty(0, SPIKE)
        for end in ends:
            parts = [held]
            while at < n and (parts[-1].size == 0 or parts[-1]["step"][-1] < end):
                chunk = np.fromfile(path, SPIKE, count=min(READ_CHUNK, n - at),
                                    offset=at * SPIKE.itemsize)
                at += chunk.size
                parts.append(chunk)
            rec = np.concatenate(parts)
            cut = int(np.searchsorted(rec["step"], end, side="left"))
            held = rec[cut:]
            yield rec["step"][:cut].copy(), rec["id"][:cut].copy()

    def step_histogram(self, pop, bin_steps, n_bins):
        """int64[n_bins]: this rank's spikes of the population per bin of bin_steps."""
        counts = np.zeros(n_bins, np.int64)
        path = self._path(f"spikes_{pop}.bin")
        n = self.spike_count(pop)
        for at in range(0, n, READ_CHUNK):
            chunk = np.fromfile(path, SPIKE, count=min(READ_CHUNK, n - at),
                                offset=at * SPIKE.itemsize)
            counts += np.bincount(np.minimum(chunk["step"] // bin_steps, n_bins - 1),
                                  minlength=n_bins)
        return counts

    def read_samples(self, pop, var):
        """(ids int64[k], steps int64[T], values float64[T, k]) on this rank, or None."""
        base = self._path(f"state_{pop}_{var}")
        if not os.path.exists(base + ".ids"):
            return None
        ids = np.fromfile(base + ".ids", np.int64)
        steps = np.fromfile(base + ".steps", np.int64) if os.path.exists(base + ".steps") \
            else np.empty(0, np.int64)
        values = np.fromfile(base + ".bin", np.float64) if os.path.exists(base + ".bin") \
            else np.empty(0)
        return ids, steps, values.reshape(steps.size, ids.size)

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
