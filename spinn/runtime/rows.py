"""A rank's synapses sorted into rows: the driver of the counting sort of
spinn/kernels/assemble.py (which see for the layout and the two generations).

Each synapse is generated twice from the same streams.  The first generation counts, the
second writes each synapse where the counts put it — in one of two ways, chosen by how long
the rows are expected to be, with the same result byte for byte:

direct (shift 0)   the counts are per row, and each synapse is written at its row's cursor.
                   Rows of many synapses (a rank whose sources are few: 2 ranks, 620 synapses
                   per row in Brunel) are streams that the caches follow.
staged (shift k)   the counts are per partition of 2^k consecutive rows, and each synapse is
                   appended to its partition's part of the final arrays with its place in
                   the partition (1 or 2 bytes, ``low``); then every partition, a few hundred
                   kilobytes, is counting-sorted by row in the caches (``settle``), writing
                   the row index on the way.  Rows of about one synapse (a rank of a
                   1 024-rank job: its sources are spread over 12.8 M neurons) make the
                   direct way a cache miss in the row index and two in the synapses for
                   every synapse, 31 ns each with prefetching; staged, those become a few
                   hundred sequential streams and a sort in L2.  The staging bytes are given
                   back while the row index is written (spinn.runtime.memory.Releasable), so
                   the peak is the larger of the two, not their sum.

The choice (``row_shift``) comes from the plan's expected synapses per candidate row; a
wrong guess costs time, never a different matrix.  Measured (rank 0 by rehearsal,
benchmarks/rehearsal_scaling.py): Brunel's weak scaling at 1 024 ranks (13.2 M rows of 1.2
synapses) builds in 0.69 s staged against 1.50 s direct at the same peak; at 64 ranks (19
synapses per row) 0.59 against 1.0 s, 27 MB more at the peak; at 2 ranks (620 per row)
0.56 against 0.62 s but 14 MB more, and PD14 on 2 ranks (510 per row) 18.5 against 19.5 s
but 134 MB more — so long rows stay direct.
"""

import math

import numpy as np

from spinn.kernels.assemble import place, prefix_sum, settle, shift_back, stage, tally
from spinn.runtime.memory import Releasable

DENSE_ROW = 64           # expected synapses per row from which rows are placed directly
MAX_PARTITIONS = 512     # staged: at most this many partitions (measured best of 256–4 096:
                         # 3 streams each, whose pages stay in the TLB)
MAX_SHIFT = 16           # low is at most 16 bits
SETTLE_CHUNKS = 64       # the staging is given back in this many steps


def row_shift(expected_synapses, n_rows):
    """log2 of the rows per partition: 0 (direct) when rows are expected to hold DENSE_ROW
    synapses or more — long rows are streams the caches follow, and staging them would only
    add its bytes — else the narrowest partitions of which there are at most
    MAX_PARTITIONS."""
    n_rows = max(int(n_rows), 1)
    if float(expected_synapses) >= DENSE_ROW * n_rows:
        return 0
    return int(min(MAX_SHIFT, max(1, math.ceil(math.log2(n_rows / MAX_PARTITIONS)))))


def staging_bytes(expected_synapses, n_rows):
    """Bytes the staging adds to the build's peak over the row index (4 per row) it is
    given back into: 1 or 2 per synapse, 0 when direct."""
    shift = row_shift(expected_synapses, n_rows)
    if shift == 0:
        return 0.0
    low = (1.0 if shift <= 8 else 2.0) * float(expected_synapses)
    return max(0.0, low - 4.0 * float(n_rows))


class RowAssembly:
    """count() every part of the first generation, allocate(), place() every part of the
    second in the same order, finish() → row_ptr: uint32[n_rows + 1], the start of every
    row and the end of the last; syn_word / syn_weight hold the synapses row by row."""

    def __init__(self, n_rows, shift):
        self.n_rows, self.shift = int(n_rows), int(shift)
        self.n_syn = None              # counted: set by allocate()
        if self.shift == 0:
            self.counts = np.zeros(self.n_rows + 1, np.uint32)
        else:
            self.n_parts = (self.n_rows + (1 << self.shift) - 1) >> self.shift
            self.counts = np.zeros(self.n_parts + 1, np.int64)

    def count(self, rows, n):
        tally(rows, n, self.counts, self.shift)

    def total(self):
        """Synapses counted."""
        if self.n_syn is None:        # before allocate() turns the counts into positions
            return int(self.counts.sum(dtype=np.int64))
        return self.n_syn

    def allocate(self, wdtype):
        """Arrays for the counted synapses; returns their number."""
        if self.shift == 0:
            n_syn = int(prefix_sum(self.counts, self.n_rows))
            self.row_ptr = self.counts            # cursors, then the starts (shift_back)
        else:
            self.start = np.cumsum(self.counts)   # counts[0] is 0: start[p] of partition p
            n_syn = int(self.start[-1])
            self.cursor = self.start[:-1].copy()
            self.end = self.start[1:]
            self.low = Releasable(n_syn, np.uint8 if self.shift <= 8 else np.uint16)
        self.syn_word = np.empty(n_syn, np.uint32)
        self.syn_weight = np.empty(n_syn, wdtype)
        self.n_syn = n_syn
        return n_syn

    def place(self, rows, n, target_args, dt, n_slots, stage_steps):
        """The part's n synapses (rows from source_rows) written; False when one has no row
        or no room is left (a second generation unlike the first; nothing is written out of
        bounds)."""
        if self.shift == 0:
            return bool(place(rows, n, *target_args, dt, n_slots, stage_steps, self.row_ptr,
                              self.syn_word, self.syn_weight))
        return bool(stage(rows, n, *target_args, dt, n_slots, stage_steps, self.shift,
                          self.cursor, self.end, self.syn_word, self.syn_weight,
                          self.low.array))

    def full(self):
        """Every counted place filled (with place() never refused: as many synapses as the
        first generation had in every partition)."""
        if self.shift == 0:
            return True          # the caller compares the totals
        return bool(np.array_equal(self.cursor, self.end))

    def finish(self):
        if self.shift == 0:
            shift_back(self.row_ptr, self.n_rows)
            return self.row_ptr
        row_ptr = np.empty(self.n_rows + 1, np.uint32)
        sizes = np.diff(self.start)
        m = int(sizes.max()) if sizes.size else 0
        word_tmp = np.empty(m, np.uint32)
        weight_tmp = np.empty(m, self.syn_weight.dtype)
        counts = np.empty((1 << self.shift) + 1, np.int64)
        step = max(1, -(-self.n_parts // SETTLE_CHUNKS))
        for lo in range(0, self.n_parts, step):
            hi = min(self.n_parts, lo + step)
            settle(self.start, lo, hi, self.shift, self.n_rows, self.syn_word,
                   self.syn_weight, self.low.array, row_ptr, word_tmp, weight_tmp, counts)
            self.low.release(self.start[hi])
        row_ptr[self.n_rows] = self.start[-1]
        del self.low
        return row_ptr
