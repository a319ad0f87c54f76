"""Per-rank recorder: attached to a RankSimulator, it copies recorded spikes and state samples
out of every tick into a buffer, and writes the buffer to the rank's spool
(spinn/recording/store.py) whenever it holds more than ``buffer_bytes`` and at the end of
every run() — so a rank's recording memory is bounded whatever the run's length.

In a real-time run (``background``) a full buffer is written by a thread while the tick loop
goes on with a second buffer (the compiled loop holds no GIL): a 16 MB flush took 60–90 ms
here, a stall that made hundreds of ticks late.  One write at a time, in order, so the
spool's files are the same; every synchronous flush, and close, waits for it first."""

import threading
import time

import numpy as np

from spinn.kernels.record import record_spikes, split_by_population
from spinn.recording.store import SPIKE
from spinn.runtime.memory import small_pages

DEFAULT_BUFFER_MB = 16
WRITE_RECORDS = 1 << 14     # spikes per piece of a write (256 KiB)
WRITE_PAUSE_S = 0.002      # a background write's pause after each piece


class Recorder:
    def __init__(self, sim, spool, buffer_bytes=DEFAULT_BUFFER_MB << 20):
        self.sim = sim
        self.spool = spool
        self.buffer_bytes = int(buffer_bytes)
        self.rec_mask = np.zeros(sim.n_local, bool)
        # recorded spikes waiting for the spool: (step, gid), filled up to n_held; the tick
        # loops record straight into their free tails (tail())
        cap = max(1, self.buffer_bytes // SPIKE.itemsize)
        self.held_step, self.held_id = _buffers(cap)
        self.n_held = 0
        self.samples = {}  # (pop index, var) → list of float64[T, k] blocks
        self.sample_steps = {}  # (pop index, var) → list of int64[T] (sample time in steps)
        self.buffered = 0        # bytes held in the lists above
        self.spikes_recorded = 0  # in the current run
        self.flushes = 0
        self.background = False   # set for a real-time run: flushes of a full buffer by a thread
        self.background_flushes = 0
        self._writer = None       # the thread writing the previous buffer
        self._spare = None        # the second buffer (allocated at the first background flush)
        self._error = None
        self.spike_pops = []     # (pop index, gid_lo, size) of the local groups recording spikes
        for g in sim.groups:
            rec = g.pop.recording
            if "spikes" in rec:
                self.rec_mask[g.base: g.base + g.n] = _selected(g.index, rec["spikes"][0])
                self.spike_pops.append((g.pop.index, g.pop.gid_lo, g.pop.size))
            variables = [v for v in rec if v != "spikes"]
            if not variables:
                continue
            chosen = np.zeros(g.n, bool)
            for v in variables:
                chosen |= _selected(g.index, rec[v][0])
            state_names = list(g.celltype.state)
            g.rec_vars = variables
            g.rec_state = np.array([state_names.index(v) for v in variables], np.int64)
            g.rec_lid = np.flatnonzero(chosen).astype(np.int64)
            g.rec_buf = np.zeros((sim.plan.tick_steps, len(variables), g.rec_lid.size))
            ids_all = g.index[g.rec_lid]
            g.rec_columns = []
            for v in variables:
                wanted = np.flatnonzero(_selected(ids_all, g.pop.recording[v][0]))
                g.rec_columns.append(wanted)
                self.spool.set_sample_ids(g.pop.index, v, ids_all[wanted])
        self.sample_initial(sim)
        self.spike_pops.sort(key=lambda p: p[1])
        # nothing to copy out of the loop when no spike and no state is recorded here
        self.active = bool(self.rec_mask.any() or any(g.rec_vars for g in sim.groups))

    def tail(self):
        """The free ends of the held spike arrays, (steps, gids): the tick loops record into
        them (fused.run_ticks, fill_spikes) and took() keeps what they wrote — no copy
        between calls (copying a second of recorded spikes took 0.17 ms between real-time
        calls, half of the gap the next tick allows)."""
        return self.held_step[self.n_held:], self.held_id[self.n_held:]

    def took(self, n):
        """Keep the n spikes just recorded into tail() (flushing when the buffer is full)."""
        if not n:
            return
        self.spikes_recorded += n
        self.n_held += n
        self._held(SPIKE.itemsize * n)
        if self.n_held == self.held_step.size:
            self.flush(self.background)

    def fill_spikes(self, sim, packets, n, t0):
        """Record the recorded spikes of packets[:n] (a tick starting at t0) into tail() and
        keep them: flushing first when they do not fit, growing the buffer when a tick alone
        holds more."""
        args = (packets, 0, n, sim.plan.index_bits, sim.cores.slot, sim.cores.gid_lo,
                sim.cores.base, self.rec_mask, t0)
        end = record_spikes(*args, *self.tail(), 0)
        if end > self.held_step.size - self.n_held:
            if self.n_held:
                self.flush(self.background)
            if end > self.held_step.size:
                self.held_step, self.held_id = _buffers(end)
                self._spare = None
            end = record_spikes(*args, *self.tail(), 0)
        self.took(end)
        return end

    def collect(self, sim, t0, k, n_out):
        if self.rec_mask.any() and n_out:
            self.fill_spikes(sim, sim.out, n_out, t0)
        for g in sim.groups:
            for q, v in enumerate(g.rec_vars):
                every = g.pop.recording[v][1]
                steps = t0 + np.arange(1, k + 1)
                rows = np.flatnonzero(steps % every == 0)
                if rows.size:
                    key = (g.pop.index, v)
                    block = g.rec_buf[rows, q, :][:, g.rec_columns[q]]
                    self.samples[key].append(block)
                    self.sample_steps[key].append(steps[rows])
                    self._held(block.nbytes + 8 * rows.size)

    def _held(self, nbytes):
        self.buffered += nbytes
        if self.buffered >= self.buffer_bytes:
            self.flush(self.background)

    def flush(self, background=False):
        """Write everything buffered to the spool, split by population (a population's
        records at a time: the flush adds at most one buffer's worth of memory).  With
        ``background``, by a thread, the spikes from a buffer the recorder no longer fills
        (the second buffer takes its place); otherwise here and now, after any write still
        going on."""
        self.wait()
        held = (self.held_step[:self.n_held], self.held_id[:self.n_held])
        samples = []
        for key, blocks in self.samples.items():
            if blocks:
                samples.append((key, self.sample_steps[key], blocks))
                self.samples[key], self.sample_steps[key] = [], []
        self.n_held = 0
        self.buffered = 0
        self.flushes += 1
        if not background:
            self._write(held, samples)
            return
        full = (self.held_step, self.held_id)
        spare = self._spare if self._spare is not None else _buffers(full[0].size)
        self.held_step, self.held_id = spare
        self._spare = None
        self.background_flushes += 1

        def write():
            try:
                self._write(held, samples, paced=True)
            except BaseException as e:    # raised again by wait(), in the tick loop's thread
                self._error = e
            if full[0].size == self.held_step.size:   # not after a grown buffer
                self._spare = full

        self._writer = threading.Thread(target=write, name="spinn-recorder", daemon=True)
        self._writer.start()

    def wait(self):
        """Until the background write (if any) is done; its error, if it had one."""
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def _write(self, held, samples, paced=False):
        """Append the held spikes to each population's spool file, WRITE_RECORDS at a time
        (split by population in compiled code: the files get each population's records in
        order, as one split of the whole would give), then the samples.  ``paced`` (the
        background writer of a real-time run): a pause of WRITE_PAUSE_S after each piece.
        With no core to spare the writer takes the tick loop's, and one 16 MB write at once
        took 60–90 ms here — tens of late ticks in a row; in pieces of ~0.2 ms with pauses,
        each steals less than a tick's slack."""
        if self.spike_pops:
            gid_lo = np.array([p[1] for p in self.spike_pops], np.int64)
            size = np.array([p[2] for p in self.spike_pops], np.int64)
            counts = np.zeros(gid_lo.size, np.int64)
            steps, ids = held
            out = np.empty(min(WRITE_RECORDS, steps.size), SPIKE)
            for lo in range(0, steps.size, WRITE_RECORDS):
                split_by_population(steps[lo:lo + WRITE_RECORDS], ids[lo:lo + WRITE_RECORDS],
                                    gid_lo, size, out["step"], out["id"], counts)
                at = 0
                for (pop, _, _), n in zip(self.spike_pops, counts.tolist()):
                    if n:
                        self.spool.append_records(pop, out[at:at + n])
                        at += n
                if paced:
                    time.sleep(WRITE_PAUSE_S)
        for key, steps, blocks in samples:
            self.spool.append_samples(*key, np.concatenate(steps), np.concatenate(blocks))

    def warm_up(self):
        """Compile (or load) the writer's split for the types _write passes it."""
        none = np.empty(0, SPIKE)
        split_by_population(self.held_step[:0], self.held_id[:0], np.zeros(1, np.int64),
                            np.zeros(1, np.int64), none["step"], none["id"],
                            np.zeros(1, np.int64))

    def sample_initial(self, sim):
        """The initial values are the samples at t = 0 (as PyNN reports them): at the build
        and after a reset."""
        for g in sim.groups:
            for q, v in enumerate(g.rec_vars):
                wanted = g.rec_columns[q]
                key = (g.pop.index, v)
                self.samples[key] = [g.S[g.rec_state[q], g.rec_lid[wanted]][None, :].copy()]
                self.sample_steps[key] = [np.zeros(1, np.int64)]

    def start_run(self):
        self.spikes_recorded = 0


def _selected(pop_index, indices):
    """bool mask over pop_index: which are in ``indices`` (None = all)."""
    if indices is None:
        return np.ones(pop_index.size, bool)
    return np.isin(pop_index, indices)


def _buffers(n):
    """The (step, id) arrays of n recorded spikes, in small pages: with numpy's huge-page
    advice (arrays of 4 MiB or more) the tick loop, filling them, met a 2 MiB page fault
    (the kernel compacting and zeroing) every 262 144 spikes in each — an overworked tick
    in a real-time run, in pairs at the same ticks from run to run (VA CUBA, 1 rank)."""
    with small_pages():
        return np.empty(n, np.int64), np.empty(n, np.int64)
