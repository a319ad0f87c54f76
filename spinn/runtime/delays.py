"""Delay extension (SpiNNaker's delay-extension cores, in software).

Synapses whose delay exceeds the ring buffer sit in stage s ≥ 1 of the synaptic matrices with
a residual delay (mapping.plan.delay_stages).  A received spike whose source core has rows in
a later stage is queued, and re-delivered s·stage_steps steps after it was emitted, in the
delivery phase of the tick that contains that step — with its step offset recomputed so that
the emission step it presents is the original one plus s·stage_steps.  The queues and the
delivery of every stage run in one compiled call per tick (spinn.kernels.delays); memory grows
with the spikes in flight within one stage, not with neurons × delay.
"""

import numpy as np

from spinn.kernels.delays import deliver_stages

INITIAL_CAPACITY = 1024


class DelayExtension:
    def __init__(self, plan, slot, matrices, stage_has_rows):
        """slot: int32[n_cores] known-core number of each core id (build.RankCores);
        matrices: the rank's static matrices, one per stage; stage_has_rows: list over every
        stage of bool[n_known] (static or plastic rows in that stage here)."""
        self.plan = plan
        self.slot = slot
        n_queues = len(stage_has_rows) - 1
        # keep[q]: rows in a stage after q, so that queue q may hold the core's packets
        later = np.zeros((n_queues + 1, stage_has_rows[0].size), bool)
        for s in range(n_queues, 0, -1):
            later[s - 1] = later[s] | stage_has_rows[s]
        self.keep = later[:n_queues].copy()
        # a tuple (numba compiles, and caches, one deliver_stages per number of stages); a
        # typed List would cost ~0.4 s of compilation in every process
        self.matrices = tuple((m.mpt_lo, m.mpt_hi, m.blk_post_base, m.blk_row_base,
                               m.row_ptr, m.syn_word, m.syn_weight) for m in matrices)
        cap = INITIAL_CAPACITY if n_queues else 1
        self.q_step = np.zeros((n_queues, cap), np.int64)
        self.q_word = np.zeros((n_queues, cap), np.uint64)
        self.q_ptr = np.zeros((n_queues, 2), np.int64)
        self.released = np.empty(cap, np.uint64)
        self.bounds = np.zeros(n_queues + 1, np.int64)

    @property
    def in_flight(self):
        return int((self.q_ptr[:, 1] - self.q_ptr[:, 0]).sum())

    def deliver(self, packets, t0, k, ring, slot_mask, core_has_rows):
        """Deliver the tick's received packets through stage 0 and every due queued packet
        through its stage; returns (synaptic events, population-table misses).  The packets
        each later stage delivered are then ``stage_packets(s)``."""
        plan = self.plan
        events, misses, self.q_step, self.q_word, self.released = deliver_stages(
            packets, packets.size, t0, k, plan.stage_steps, plan.index_bits, self.slot,
            self.matrices,
            self.keep, self.q_step, self.q_word, self.q_ptr, self.released, self.bounds, ring,
            slot_mask, core_has_rows)
        return int(events), int(misses)

    def stage_packets(self, stage):
        """The packets stage (≥ 1) delivered in the last call, in canonical order."""
        return self.released[self.bounds[stage - 1]:self.bounds[stage]]
