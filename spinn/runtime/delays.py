"""Delay extension (SpiNNaker's delay-extension cores, in software).

Synapses whose delay exceeds the ring buffer sit in stage k ≥ 1 of the synaptic matrices with
a residual delay (mapping.plan.delay_stages).  A received spike with stage-k rows here is held
as a packet in stage k's queue and re-delivered k·stage_steps steps after it was emitted, in
the delivery phase of the tick that contains that step — with its step offset recomputed so
that the emission step it presents is the original one plus k·stage_steps.  Memory grows with
the spikes in flight on long delays, not with neurons × delay.
"""

import numpy as np

from spinn.kernels.packets import KEY_MASK, KEY_SHIFT, STEP_SHIFT

LOW48 = np.uint64((1 << 48) - 1)


class DelayExtension:
    def __init__(self, plan, stage_has_rows):
        """stage_has_rows: list over stages ≥ 1 of bool[n_cores] (rows in that stage here)."""
        self.plan = plan
        self.has_rows = stage_has_rows
        self.queues = [[] for _ in stage_has_rows]   # per stage: chunks (release steps, words)
        self.in_flight = 0

    def push(self, packets, t0):
        """Queue the packets (canonical order, emitted in the tick starting at t0) for every
        stage in which their source core has rows."""
        if packets.size == 0:
            return
        cores = ((packets >> KEY_SHIFT) & KEY_MASK) >> np.uint64(self.plan.index_bits)
        emitted = t0 + (packets >> STEP_SHIFT).astype(np.int64)
        for k, has in enumerate(self.has_rows, start=1):
            sel = has[cores.astype(np.int64)]
            if sel.any():
                self.queues[k - 1].append((emitted[sel] + k * self.plan.stage_steps,
                                           packets[sel] & LOW48))
                self.in_flight += int(sel.sum())

    def release(self, t0, k):
        """[(stage, packets)] due in the tick [t0, t0 + k), in canonical order, with step
        offsets relative to t0."""
        out = []
        for stage, queue in enumerate(self.queues, start=1):
            due = []
            while queue:
                steps, words = queue[0]
                n_due = int(np.searchsorted(steps, t0 + k, side="left"))
                if n_due == 0:
                    break
                due.append((steps[:n_due] - t0).astype(np.uint64) << STEP_SHIFT
                           | words[:n_due])
                if n_due == steps.size:
                    queue.pop(0)
                else:
                    queue[0] = (steps[n_due:], words[n_due:])
                    break
            if due:
                packets = np.concatenate(due)
                self.in_flight -= packets.size
                out.append((stage, packets))
        return out
