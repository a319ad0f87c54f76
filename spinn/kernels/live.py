"""Live I/O's compiled parts: the live-output packets of a tick (pack_live; formats:
spinn.live.protocol), and what the compiled tick loop (spinn.runtime.fused.run_ticks) does
with them — gathers a tag's spikes (live_tick) and sends them (flush_live, send_packets)
through the C library's sendto; and the injection packets it takes itself at a tick
boundary (take_injections) through its recv — both first-class functions made by
spinn.live.pack, with each tag's address as a struct sockaddr_in.
"""

import numpy as np
from numba import cfunc, njit, types

from spinn.kernels.handles import by_address

PREFIX_KEYS = 62      # (256 - 6) // 4: keys of one time step, the time as payload prefix
TIMED_KEYS = 31       # (256 - 2) // 8: keys each with its time step as payload
PREFIX_FLAGS = (1 << 5) | (1 << 4) | (2 << 2)
TIMED_FLAGS = (1 << 4) | (3 << 2)


@njit(cache=True, nogil=True)
def _put32(buf, pos, v):
    buf[pos] = v & 0xFF
    buf[pos + 1] = (v >> 8) & 0xFF
    buf[pos + 2] = (v >> 16) & 0xFF
    buf[pos + 3] = (v >> 24) & 0xFF


@njit(cache=True, nogil=True)
def pack_live(out, lo, hi, dest_lo, t0, buf, offs, first):
    """Packets of spikes (out entries: step after t0 << 48 | key << 16 | count), one stream
    per destination — a tag, as SpiNNaker's live packet gatherer of a tag packs the spikes
    of every population routed to it: destination d gathers the runs j in
    dest_lo[d]:dest_lo[d + 1], run j being out[lo[j]:hi[j]] (a live group's spikes of a
    tick, sorted by step; or a destination's spikes of several ticks).  Packet i is
    buf[offs[i]:offs[i+1]]; destination d's packets are first[d]:first[d+1].  The time step
    is one prefix when every spike of the destination has the same one, else each key's
    payload.  Returns (packets, spikes), or (-needed bytes, 0) when buf is too small."""
    n_dest = dest_lo.shape[0] - 1
    need = 0
    for j in range(lo.shape[0]):
        n = 0
        for q in range(lo[j], hi[j]):
            n += out[q] & 0xFFFF
        need += 8 * n + 8 * (n // TIMED_KEYS + 1)
    if need > buf.size or need // 4 + n_dest + 2 > offs.size:
        return -need, 0
    pos, n_pk, spikes = 0, 0, 0
    for d in range(n_dest):
        first[d] = n_pk
        found, same, s0 = False, True, 0
        for j in range(dest_lo[d], dest_lo[d + 1]):
            for q in range(lo[j], hi[j]):
                if not found:
                    found, s0 = True, out[q] >> 48
                elif (out[q] >> 48) != s0:
                    same = False
        if not found:
            continue
        per = PREFIX_KEYS if same else TIMED_KEYS
        in_packet = per
        head = 0
        for j in range(dest_lo[d], dest_lo[d + 1]):
            for q in range(lo[j], hi[j]):
                p = out[q]
                key = (p >> 16) & 0xFFFFFFFF
                t = t0 + (p >> 48)
                for _ in range(p & 0xFFFF):
                    if in_packet == per:          # a new packet
                        if n_pk > first[d]:
                            buf[head] = per
                        offs[n_pk] = pos
                        n_pk += 1
                        head = pos
                        buf[pos + 1] = PREFIX_FLAGS if same else TIMED_FLAGS
                        pos += 2
                        if same:
                            _put32(buf, pos, t)
                            pos += 4
                        in_packet = 0
                    _put32(buf, pos, key)
                    pos += 4
                    if not same:
                        _put32(buf, pos, t)
                        pos += 4
                    in_packet += 1
                    spikes += 1
        buf[head] = in_packet
    first[n_dest] = n_pk
    offs[n_pk] = pos
    return n_pk, spikes


def empty_buffers(n_dest):
    return (np.zeros(1 << 16, np.uint8), np.zeros(1 << 14, np.int64),
            np.zeros(n_dest + 1, np.int64))


# ssize_t sendto(int fd, const void *buf, size_t n, int flags, const sockaddr *to, socklen_t)
SENDTO = types.int64(types.int32, types.uint64, types.uint64, types.int32, types.uint64,
                     types.uint32)
SOCKADDR_BYTES = 16
FLUSH_MS = 1.0     # the compiled loop sends live output once per this much simulated time


# ssize_t recv(int fd, void *buf, size_t n, int flags)
RECV = types.int64(types.int32, types.uint64, types.uint64, types.int32)
PEEK_NOW = 0x02 | 0x40      # Linux MSG_PEEK | MSG_DONTWAIT


@cfunc(RECV, cache=True)
def no_recv(fd, buf, n, flags):
    """recv's stand-in where no socket is read: nothing is ever waiting."""
    return -1


RECV_NOW = 0x40              # Linux MSG_DONTWAIT
IN_BYTES = 4096              # the largest datagram read (a longer one is Python's to drop)
NEVER = np.iinfo(np.int64).max
# the columns of take_injections' table, one row per spike injector on the rank: its core
# (chip x, y, core p), first key, neurons, population, offset in the per-neuron arrays and
# in the event arrays (its own are views of them: spinn.live.LiveIO)
INJ_X, INJ_Y, INJ_P, INJ_KEY0, INJ_SIZE, INJ_POP, INJ_OFF, INJ_EV, INJ_COLS = range(9)


@njit(cache=True, nogil=True)
def _word(buf, pos, nbytes):
    v = np.int64(0)
    for b in range(nbytes):
        v |= np.int64(buf[pos + b]) << (8 * b)
    return v


@njit(cache=True, nogil=True)
def _injection(buf, n, inj):
    """(row of inj, first element's byte, elements, bytes per element, bytes per key, key
    prefix, what a key less is its neuron) when datagram buf[:n] is an SDP-wrapped EIEIO
    data packet for one of the spike injectors in inj whose every key is in its range
    (_neuron); row -1 for anything else — SCP,
    rate control, another core, a malformed packet, keys outside the range: Python reads
    those (spinn.live.LiveIO._take), to answer, count and drop them by reason."""
    if n < 12 or n >= IN_BYTES:
        return -1, 0, 0, 0, 0, 0, 0
    dest = np.int64(buf[4])
    cpu, port, y, x = dest & 0x1F, dest >> 5, np.int64(buf[6]), np.int64(buf[7])
    if port == 0 and cpu == 0:
        return -1, 0, 0, 0, 0, 0, 0
    row = -1
    for i in range(inj.shape[0]):
        if inj[i, INJ_X] == x and inj[i, INJ_Y] == y and inj[i, INJ_P] == cpu:
            row = i
    if row < 0:
        return -1, 0, 0, 0, 0, 0, 0
    count, flags = np.int64(buf[10]), np.int64(buf[11])
    prefix_on, upper = (flags >> 7) & 1, (flags >> 6) & 1
    payload_prefix, kind = (flags >> 5) & 1, (flags >> 2) & 3
    if upper and not prefix_on:                 # an EIEIO command
        return -1, 0, 0, 0, 0, 0, 0
    kb = 2 if kind < 2 else 4
    off = 12
    prefix = np.int64(0)
    if prefix_on:
        prefix = _word(buf, off, 2) << (16 if upper else 0)
        off += 2
    if payload_prefix:
        off += kb
    size = kb * (2 if kind == 1 or kind == 3 else 1)
    if n != off + count * size:
        return -1, 0, 0, 0, 0, 0, 0
    sub = inj[row, INJ_KEY0] if kind >= 2 else 0     # 16-bit kinds carry neuron ids
    for e in range(count):
        i = _neuron(buf, off + e * size, kb, prefix, sub)
        if i < 0 or i >= inj[row, INJ_SIZE]:
            return -1, 0, 0, 0, 0, 0, 0
    return row, off, count, size, kb, prefix, sub


@njit(cache=True, nogil=True)
def _neuron(buf, pos, kb, prefix, sub):
    """The injector neuron of the element at buf[pos:]: its key (kb bytes) with the
    packet's prefix, less sub (the injector's first key for 32-bit keys, else 0)."""
    return (_word(buf, pos, kb) | prefix) - sub


@njit(cache=True, nogil=True)
def take_injections(recv, fd, buf, inj, dense, touched, n_touched, ev_step, ev_lid, ev_count,
                    cursors, t0, log, log_n, counts):
    """At a tick boundary of the compiled loop: the injection packets waiting at the
    board socket fd become spikes of the tick starting at step t0, as
    spinn.live.LiveIO.before_update makes them — each injector's events merged per neuron
    (its count ≤ 65 535, the rest counted dropped: counts[2]), in neuron order, into its
    event arrays (ev_*[inj[row, INJ_EV]:], cursors[row]), and logged as (t0, population,
    neuron, count) rows in log[log_n[0]:].  counts[0] packets taken, counts[1] events
    injected.  True when Python must read the socket first (the first waiting datagram is
    anything else, left waiting) or the log has no room for a tick; a datagram for Python
    after some were taken waits for the next boundary, so each boundary is the compiled
    loop's or Python's.  Each rank's injectors' events arrays are views of ev_* (spinn.live.
    LiveIO._share_injector_events), passed as arrays: a first version wrote the groups'
    arrays through their addresses, and in some runs the update read entries without the
    new end marker (stale events sent again; cause not found)."""
    if fd < 0:
        return False
    if log_n[0] + dense.shape[0] > log.shape[0]:
        return True
    taken = 0
    while True:
        n = recv(np.int32(fd), buf.ctypes.data, np.uint64(IN_BYTES), np.int32(PEEK_NOW))
        if n < 0:
            break
        row, off, count, size, kb, prefix, sub = _injection(buf, n, inj)
        if row < 0:
            if taken == 0:
                return True
            break
        recv(np.int32(fd), buf.ctypes.data, np.uint64(IN_BYTES), np.int32(RECV_NOW))
        taken += 1
        base = inj[row, INJ_OFF]
        for e in range(count):
            i = _neuron(buf, off + e * size, kb, prefix, sub)
            if dense[base + i] == 0:
                touched[base + n_touched[row]] = i
                n_touched[row] += 1
            if dense[base + i] < 0xFFFF:
                dense[base + i] += 1
            else:
                counts[2] += 1
    counts[0] += taken
    if taken == 0:
        return False
    for row in range(inj.shape[0]):
        m = n_touched[row]
        if m == 0:
            continue
        base, ev = inj[row, INJ_OFF], inj[row, INJ_EV]
        ids = np.sort(touched[base:base + m])
        for j in range(m):
            i = ids[j]
            c = dense[base + i]
            ev_step[ev + j] = t0
            ev_lid[ev + j] = i
            ev_count[ev + j] = c
            r = log_n[0]
            log[r, 0], log[r, 1], log[r, 2], log[r, 3] = t0, inj[row, INJ_POP], i, c
            log_n[0] = r + 1
            counts[1] += c
            dense[base + i] = 0
        ev_step[ev + m] = NEVER
        cursors[row] = 0
        n_touched[row] = 0
    return False


@cfunc(SENDTO, cache=True)
def no_sendto(fd, buf, n, flags, to, to_len):
    """sendto's stand-in where nothing is sent (no live output on the rank)."""
    return -1


def idle_output():
    """run_ticks' live-output arguments (spinn.live.LiveIO.compiled_output) of a rank that
    sends nothing: no groups, so live_tick and flush_live return at once."""
    e = np.zeros(0, np.int64)
    return (by_address(no_sendto), np.int64(-1), e, np.zeros(1, np.int64), np.zeros(0, np.bool_),
            np.zeros((0, SOCKADDR_BYTES), np.uint8), np.int64(1), np.zeros(0, np.uint64),
            np.zeros(1, np.int64), e, np.full(1, -1, np.int64), np.zeros(0, np.uint8), e,
            np.zeros(1, np.int64), np.zeros(3, np.int64))


def idle_input():
    """run_ticks' live-input arguments (spinn.live.LiveIO.compiled_input) of a rank with
    no board socket to read."""
    e = np.zeros(0, np.int64)
    return (by_address(no_recv), np.int64(-1), np.zeros(IN_BYTES, np.uint8),
            np.zeros((0, INJ_COLS), np.int64), e, e, e, e, e, e, e,
            np.zeros((0, 4), np.int64), np.zeros(1, np.int64), np.zeros(4, np.int64))


@njit(cache=True, nogil=True)
def send_packets(sendto, fd, n_dest, on, addr, buf, offs, first, counts):
    """Each destination d's packets (pack_live) with sendto(fd, …, addr[d]) where on[d]
    (its tag has an address); counts[0] packets sent, counts[1] send errors."""
    for d in range(n_dest):
        if not on[d]:
            continue
        for i in range(first[d], first[d + 1]):
            sent = -1
            for _ in range(2):        # once more after a failure: a signal may interrupt it
                sent = sendto(np.int32(fd), buf[offs[i]:].ctypes.data,
                              np.uint64(offs[i + 1] - offs[i]), np.int32(0),
                              addr[d].ctypes.data, np.uint32(SOCKADDR_BYTES))
                if sent >= 0:
                    break
            if sent < 0:
                counts[1] += 1
            else:
                counts[0] += 1


@njit(cache=True, nogil=True)
def flush_live(sendto, fd, acc, region, fill, acc_t0, on, addr, buf, offs, first, counts):
    """Pack and send what live_tick gathered (destination d's spikes in
    acc[region[d]:region[d] + fill[d]]) and empty it.  counts[2] += the spikes packed.  More
    spikes than buf holds are packed into buffers made for them (not kept)."""
    n_dest = fill.shape[0]
    if acc_t0[0] < 0:
        return
    lo = region[:n_dest].copy()
    hi = lo + fill
    ident = np.arange(n_dest + 1)
    n, spikes = pack_live(acc, lo, hi, ident, acc_t0[0], buf, offs, first)
    if n < 0:
        buf = np.empty(2 * -n, np.uint8)
        offs = np.empty(-n // 2 + 64, np.int64)
        n, spikes = pack_live(acc, lo, hi, ident, acc_t0[0], buf, offs, first)
    send_packets(sendto, fd, n_dest, on, addr, buf, offs, first, counts)
    counts[2] += spikes
    fill[:] = 0
    acc_t0[0] = -1


@njit(cache=True, nogil=True)
def live_tick(sendto, fd, out, bounds, groups, dest_lo, on, addr, t0, k, flush_steps, acc,
              region, fill, acc_t0, buf, offs, first, counts):
    """After a tick's update in the compiled loop: the live groups' spikes of the tick
    (groups[dest_lo[d]:dest_lo[d+1]] go to destination d) gathered into acc, each
    destination's in its region (region[d]:region[d+1]), their steps counted from acc_t0[0];
    sent (flush_live) at the end of the tick that completes flush_steps steps since then —
    or first, when a region has no room for the tick.  With ticks of less than a
    millisecond a client is then woken once a millisecond, not once a tick (on this
    project's VM each wake-up cost the sender 35–63 µs)."""
    if groups.shape[0] == 0:
        return
    n_dest = fill.shape[0]
    full = False
    for d in range(n_dest):
        need = 0
        for j in range(dest_lo[d], dest_lo[d + 1]):
            need += bounds[groups[j] + 1] - bounds[groups[j]]
        if fill[d] + need > region[d + 1] - region[d]:
            full = True
    if full:
        flush_live(sendto, fd, acc, region, fill, acc_t0, on, addr, buf, offs, first, counts)
    if acc_t0[0] < 0:
        acc_t0[0] = t0
    shift = np.uint64(t0 - acc_t0[0]) << np.uint64(48)
    low = np.uint64(0xFFFFFFFFFFFF)
    for d in range(n_dest):
        at = region[d] + fill[d]
        for j in range(dest_lo[d], dest_lo[d + 1]):
            g = groups[j]
            for q in range(bounds[g], bounds[g + 1]):
                p = out[q]
                acc[at] = ((p & ~low) + shift) | (p & low)
                at += 1
        fill[d] = at - region[d]
    if t0 + k - acc_t0[0] >= flush_steps:
        flush_live(sendto, fd, acc, region, fill, acc_t0, on, addr, buf, offs, first, counts)
