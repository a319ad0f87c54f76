"""Live I/O's compiled parts: the live-output packets of a tick (pack_live; formats:
spinn.live.protocol), and what the compiled tick loop (spinn.runtime.fused.run_ticks) does
with them — gathers a tag's spikes (live_tick) and sends them (flush_live, send_packets)
through the C library's sendto, and peeks at the board socket (datagram_waiting) through
its recv, both first-class functions made by spinn.live.pack, with each tag's address as
a struct sockaddr_in.
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


@njit(cache=True, nogil=True)
def datagram_waiting(recv, fd, byte):
    """Whether a datagram waits at socket fd (fd < 0: none): a peek at it, without waiting
    and without taking it (byte: uint8[1] scratch)."""
    if fd < 0:
        return False
    return recv(np.int32(fd), byte.ctypes.data, np.uint64(1), np.int32(PEEK_NOW)) >= 0


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
    """run_ticks' live-input arguments of a rank with no board socket to read."""
    return by_address(no_recv), np.int64(-1), np.zeros(1, np.uint8)


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
