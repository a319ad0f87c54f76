"""Live output packets of a tick, built by one compiled call (the per-tick cost of live
output is this call and one sendto per packet).  Formats: spinn.live.protocol.

The compiled tick loop (spinn.runtime.fused.run_ticks) sends them itself: send_live packs a
tick's packets and hands each to the C library's sendto, a first-class function
(sendto_function), with each tag's address as a struct sockaddr_in (sockaddr_in).
"""

import ctypes
import socket
import sys

import numpy as np
from numba import cfunc, njit, types

from spinn.runtime.comm import CFunction

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
def pack_live(out, bounds, groups, dest_lo, t0, buf, offs, first):
    """Packets of this tick's spikes of the live groups (out[bounds[g]:bounds[g+1]], sorted
    by step), one stream per destination — a tag, as SpiNNaker's live packet gatherer of a
    tag packs the spikes of every population routed to it: destination d gathers groups
    groups[dest_lo[d]:dest_lo[d + 1]], in that order.  Packet i is buf[offs[i]:offs[i+1]];
    destination d's packets are first[d]:first[d+1].  The time step is one prefix when
    every spike of the destination's tick has the same one, else each key's payload.
    Returns (packets, spikes), or (-needed bytes, 0) when buf is too small."""
    n_dest = dest_lo.shape[0] - 1
    need = 0
    for j in range(groups.shape[0]):
        g = groups[j]
        n = 0
        for q in range(bounds[g], bounds[g + 1]):
            n += out[q] & 0xFFFF
        need += 8 * n + 8 * (n // TIMED_KEYS + 1)
    if need > buf.size or need // 4 + n_dest + 2 > offs.size:
        return -need, 0
    pos, n_pk, spikes = 0, 0, 0
    for d in range(n_dest):
        first[d] = n_pk
        found, same, s0 = False, True, 0
        for j in range(dest_lo[d], dest_lo[d + 1]):
            g = groups[j]
            for q in range(bounds[g], bounds[g + 1]):
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
            g = groups[j]
            for q in range(bounds[g], bounds[g + 1]):
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
COMPILED_SEND = sys.platform.startswith("linux")   # sockaddr_in as Linux lays it out


def sendto_function():
    """The C library's sendto as a first-class function for compiled code."""
    return CFunction(ctypes.cast(ctypes.CDLL(None).sendto, ctypes.c_void_p).value, SENDTO)


@cfunc(SENDTO, cache=True)
def no_sendto(fd, buf, n, flags, to, to_len):
    """sendto's stand-in where nothing is sent (no live output on the rank)."""
    return -1


def sockaddr_in(host, port):
    """uint8[16]: struct sockaddr_in of (host, port) as Linux lays it out (family in host
    byte order, port and address in network order, eight zero bytes)."""
    a = np.zeros(SOCKADDR_BYTES, np.uint8)
    a[0:2] = np.frombuffer(np.uint16(socket.AF_INET).tobytes(), np.uint8)
    a[2:4] = np.frombuffer(int(port).to_bytes(2, "big"), np.uint8)
    a[4:8] = np.frombuffer(socket.inet_aton(socket.gethostbyname(host)), np.uint8)
    return a


@njit(cache=True, nogil=True)
def send_live(sendto, fd, out, bounds, groups, dest_lo, on, addr, t0, buf, offs, first,
              counts):
    """pack_live's packets of this tick, each sent with sendto(fd, …, addr[d]) for each
    destination d where on[d] (its tag has an address).  counts (int64): 0 packets sent,
    1 send errors, 2 spikes packed.  A tick with more spikes than buf holds packs into
    buffers made for it (not kept)."""
    if groups.shape[0] == 0:
        return
    n, spikes = pack_live(out, bounds, groups, dest_lo, t0, buf, offs, first)
    if n < 0:
        buf = np.empty(2 * -n, np.uint8)
        offs = np.empty(-n // 2 + 64, np.int64)
        n, spikes = pack_live(out, bounds, groups, dest_lo, t0, buf, offs, first)
    for d in range(dest_lo.shape[0] - 1):
        if not on[d]:
            continue
        for i in range(first[d], first[d + 1]):
            sent = sendto(np.int32(fd), buf[offs[i]:].ctypes.data,
                          np.uint64(offs[i + 1] - offs[i]), np.int32(0), addr[d].ctypes.data,
                          np.uint32(SOCKADDR_BYTES))
            if sent < 0:
                counts[1] += 1
            else:
                counts[0] += 1
    counts[2] += spikes
