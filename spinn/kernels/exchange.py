"""One tick's spike exchange inside compiled code: the routing neighbours only, point to
point, through MPI functions passed in as first-class functions (spinn.runtime.comm.Channel).

``post`` starts a tick's exchange: one message to each destination rank with the packet
count and up to cap - 1 packets (tag FIRST), the rest in a second message (tag REST) when
there are more, and a receive of cap words from each source rank.  Everything sent stays in
``stage`` until ``finish``, which waits for the first messages, receives the rest straight
into the inbox, waits for its own sends, and merges this rank's own run with the runs
received into canonical (step, key) order.  Between the two the caller may compute — the
update of the next tick, when the smallest delay spans two ticks (mapping.plan lag 2).
MPI keeps messages of one (source, tag) in order, so a tick's REST never meets another
tick's.  Buffers that must grow are returned.

Channel functions: isend/irecv(buffer address, count, datatype, peer, tag, comm, request
address) → int32; waitall(n, requests address, statuses address) → int32.
"""

import numpy as np
from numba import njit

from spinn.kernels.packets import merge_runs

FIRST = np.int32(1)
REST = np.int32(2)


@njit(cache=True, nogil=True)
def post(isend, irecv, comm, dtype, sources, dests, cap, send, counts, rbuf, stage, reqs):
    """Start a tick's exchange.  send/counts: routed packets grouped by destination number
    (0 = this rank, then dests); rbuf uint64[n_src, cap]; reqs: request handles (2 n_src +
    2 n_dest: the first receives, up to two sends per destination, the rest received).
    stage gets [own run | per destination: count, packets].  Returns (stage, number of send
    requests posted after the n_src receives)."""
    n_src, n_dest = sources.shape[0], dests.shape[0]
    total = 0
    for j in range(counts.shape[0]):
        total += counts[j]
    need = total + n_dest
    if stage.shape[0] < need:
        stage = np.empty(2 * need, np.uint64)
    for j in range(n_src):
        irecv(rbuf[j].ctypes.data, np.int32(cap), dtype, np.int32(sources[j]), FIRST, comm,
              reqs[j:].ctypes.data)
    n_self = counts[0]
    stage[:n_self] = send[:n_self]
    at, off, r = n_self, n_self, n_src
    for j in range(n_dest):
        n = counts[1 + j]
        stage[at] = np.uint64(n)
        stage[at + 1:at + 1 + n] = send[off:off + n]
        m = min(n, cap - 1)
        isend(stage[at:].ctypes.data, np.int32(1 + m), dtype, np.int32(dests[j]), FIRST, comm,
              reqs[r:].ctypes.data)
        r += 1
        if n > m:
            isend(stage[at + 1 + m:].ctypes.data, np.int32(n - m), dtype, np.int32(dests[j]),
                  REST, comm, reqs[r:].ctypes.data)
            r += 1
        at += 1 + n
        off += n
    return stage, r - n_src


@njit(cache=True, nogil=True)
def finish(irecv, waitall, comm, dtype, sources, cap, n_self, rbuf, stage, n_sends, reqs,
           statuses, inbox, inbox_tmp, bounds):
    """Complete a tick's exchange started by post.  Returns (packets in canonical order,
    their number, inbox, inbox_tmp) — the buffers grown when the tick needed more."""
    n_src = sources.shape[0]
    if n_src:
        waitall(np.int32(n_src), reqs.ctypes.data, statuses.ctypes.data)
    total = n_self
    for j in range(n_src):
        total += np.int64(rbuf[j, 0])
    if inbox.shape[0] < total:
        inbox = np.empty(2 * total, np.uint64)
        inbox_tmp = np.empty(2 * total, np.uint64)
    inbox[:n_self] = stage[:n_self]
    bounds[0] = 0
    bounds[1] = n_self
    at, n_rest = n_self, 0
    for j in range(n_src):
        n = np.int64(rbuf[j, 0])
        m = min(n, cap - 1)
        inbox[at:at + m] = rbuf[j, 1:1 + m]
        if n > m:
            irecv(inbox[at + m:].ctypes.data, np.int32(n - m), dtype, np.int32(sources[j]),
                  REST, comm, reqs[n_src + n_sends + n_rest:].ctypes.data)
            n_rest += 1
        at += n
        bounds[2 + j] = at
    # this tick's sends, and the rest received (requests after the first receives)
    if n_sends + n_rest:
        waitall(np.int32(n_sends + n_rest), reqs[n_src:].ctypes.data, statuses.ctypes.data)
    if n_src == 0:
        return inbox, total, inbox, inbox_tmp
    return merge_runs(inbox, bounds[:n_src + 2], inbox_tmp), total, inbox, inbox_tmp
