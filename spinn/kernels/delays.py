"""Delay-extension queues and the delivery of every delay stage in one compiled call.

Stage s ≥ 1 of the synaptic matrices holds the synapses whose delay is s·stage_steps plus a
residual that fits the ring buffer (mapping.plan.delay_stages).  Queue q = s - 1 holds the
packets that stage s will deliver, with their release step (emission step + s·stage_steps):

    packets received this tick ─ deliver stage 0 ─ push ─▶ queue 0
    queue s-1 ─ release (due this tick) ─ deliver stage s ─ push ─▶ queue s    (s ≥ 1)

A packet travels down the chain only while its source core has rows in a later stage, and
sits in one queue at a time: a queue holds at most one stage's worth of packets (stage_steps
steps), however long the longest delay.  Pushes arrive in release order (every queue is fed in
canonical order, tick after tick), so each queue is a FIFO and what it releases in a tick is in
canonical (step, key) order: the same sums on any number of ranks.

Queues: q_step int64[n_queues, cap], q_word uint64[n_queues, cap] (key and count, the low 48
bits of the packet), q_ptr int64[n_queues, 2] (head and tail counters; entry c sits at
c & (cap - 1)).  cap is a power of two; ``push`` returns grown arrays when a queue is full.
"""

import numpy as np
from numba import njit

from spinn.kernels.deliver import deliver_packets
from spinn.kernels.packets import packet_key, packet_step

LOW48 = np.uint64((1 << 48) - 1)


@njit(cache=True, nogil=True)
def _grow(q_step, q_word, q_ptr, need):
    """Arrays with a capacity ≥ need, every live entry kept at its counter's new position."""
    cap = q_step.shape[1]
    new_cap = cap
    while new_cap < need:
        new_cap *= 2
    new_step = np.empty((q_step.shape[0], new_cap), np.int64)
    new_word = np.empty((q_step.shape[0], new_cap), np.uint64)
    for q in range(q_step.shape[0]):
        for c in range(q_ptr[q, 0], q_ptr[q, 1]):
            new_step[q, c & (new_cap - 1)] = q_step[q, c & (cap - 1)]
            new_word[q, c & (new_cap - 1)] = q_word[q, c & (cap - 1)]
    return new_step, new_word


@njit(cache=True, nogil=True)
def push(q_step, q_word, q_ptr, q, packets, lo, hi, t0, after, index_bits, slot, keep):
    """Append packets[lo:hi] (step offsets relative to t0) whose source core has keep[k]
    (k its known-core number, slot[core]) to queue q, released at t0 + offset + after.
    Returns (q_step, q_word), grown when the queue might not hold all hi - lo packets."""
    if q_ptr[q, 1] - q_ptr[q, 0] + hi - lo > q_step.shape[1]:
        q_step, q_word = _grow(q_step, q_word, q_ptr, q_ptr[q, 1] - q_ptr[q, 0] + hi - lo)
    mask = q_step.shape[1] - 1
    tail = q_ptr[q, 1]
    for i in range(lo, hi):
        p = packets[i]
        k = slot[np.int64(packet_key(p) >> np.uint32(index_bits))]
        if k >= 0 and keep[k]:
            q_step[q, tail & mask] = t0 + packet_step(p) + after
            q_word[q, tail & mask] = p & LOW48
            tail += 1
    q_ptr[q, 1] = tail
    return q_step, q_word


@njit(cache=True, nogil=True)
def release(q_step, q_word, q_ptr, q, t0, t_end, out, at):
    """Move the packets of queue q due before step t_end to out[at:], with step offsets
    relative to t0.  out must hold them (the caller sizes it to the queue capacity).
    Returns the new end of out."""
    mask = q_step.shape[1] - 1
    head, tail = q_ptr[q, 0], q_ptr[q, 1]
    while head < tail and q_step[q, head & mask] < t_end:
        out[at] = (np.uint64(q_step[q, head & mask] - t0) << np.uint64(48)) \
            | q_word[q, head & mask]
        at += 1
        head += 1
    q_ptr[q, 0] = head
    return at


@njit(cache=True, nogil=True)
def deliver_stages(packets, n, t0, k, stage_steps, index_bits, slot, matrices, keep, q_step,
                   q_word, q_ptr, released, bounds, ring, slot_mask, core_has_rows):
    """One tick's delivery of the received packets[:n] (canonical order, emitted in the tick
    [t0, t0 + k)) through stage 0 and of every queued packet due in the tick through its stage.

    matrices: per stage (mpt_lo, mpt_hi, blk_post_base, blk_row_base, row_ptr, syn_word,
    syn_weight); keep[s]: bool[n_known], rows in a stage ≥ s + 1 (queue s may hold the core's
    packets); slot: known-core number of each core id.  The packets of stage s are left in
    released[bounds[s - 1]:bounds[s]] (s ≥ 1), for the plastic rows (released grows to hold
    them).
    Returns (synaptic events, population-table misses, q_step, q_word, released)."""
    m = matrices[0]
    events, misses = deliver_packets(packets, n, t0, index_bits, slot, m[0], m[1], m[2], m[3],
                                     m[4], m[5], m[6], ring, slot_mask, core_has_rows)
    n_queues = q_ptr.shape[0]
    if n_queues == 0:
        return events, misses, q_step, q_word, released
    live = 0   # an upper bound of what is released: this tick's pushes are due later
    for q in range(n_queues):
        live += q_ptr[q, 1] - q_ptr[q, 0]
    if live > released.shape[0]:
        released = np.empty(2 * live, np.uint64)
    q_step, q_word = push(q_step, q_word, q_ptr, 0, packets, 0, n, t0, stage_steps,
                          index_bits, slot, keep[0])
    at = 0
    bounds[0] = 0
    for q in range(n_queues):
        lo = at
        at = release(q_step, q_word, q_ptr, q, t0, t0 + k, released, at)
        bounds[q + 1] = at
        if at > lo:
            m = matrices[q + 1]
            ev, _ = deliver_packets(released[lo:at], at - lo, t0, index_bits, slot, m[0],
                                    m[1], m[2], m[3], m[4], m[5], m[6], ring, slot_mask,
                                    core_has_rows)
            events += ev
            if q + 1 < n_queues:
                q_step, q_word = push(q_step, q_word, q_ptr, q + 1, released, lo, at, t0,
                                      stage_steps, index_bits, slot, keep[q + 1])
    return events, misses, q_step, q_word, released
