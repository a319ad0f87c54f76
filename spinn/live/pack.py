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
def pack_live(out, bounds, groups, t0, buf, offs, first):
    """Packets of each live group's spikes this tick (out[bounds[g]:bounds[g+1]], sorted by
    step): into buf, packet i at buf[offs[i]:offs[i+1]]; group k's packets are
    first[k]:first[k+1].  Returns (packets, spikes), or (-needed bytes, 0) when buf is too
    small (the caller grows it and calls again)."""
    need = 0
    for k in range(groups.size):
        g = groups[k]
        n = 0
        for j in range(bounds[g], bounds[g + 1]):
            n += out[j] & 0xFFFF
        need += 8 * n + 8 * (n // TIMED_KEYS + 1)
    if need > buf.size or need // 4 + groups.size + 2 > offs.size:
        return -need, 0
    pos, n_pk, spikes = 0, 0, 0
    for k in range(groups.size):
        g = groups[k]
        lo, hi = bounds[g], bounds[g + 1]
        first[k] = n_pk
        if hi <= lo:
            continue
        s0 = out[lo] >> 48
        same = True
        for j in range(lo, hi):
            if (out[j] >> 48) != s0:
                same = False
                break
        per = PREFIX_KEYS if same else TIMED_KEYS
        in_packet = per
        head = 0
        for j in range(lo, hi):
            p = out[j]
            key = (p >> 16) & 0xFFFFFFFF
            t = t0 + (p >> 48)
            for _ in range(p & 0xFFFF):
                if in_packet == per:          # a new packet
                    if n_pk > first[k]:
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
    first[groups.size] = n_pk
    offs[n_pk] = pos
    return n_pk, spikes


def empty_buffers(n_groups):
    return (np.zeros(1 << 16, np.uint8), np.zeros(1 << 14, np.int64),
            np.zeros(n_groups + 1, np.int64))


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
def send_live(sendto, fd, out, bounds, groups, on, addr, t0, buf, offs, first, counts):
    """pack_live's packets of this tick, each sent with sendto(fd, …, addr[k]) for live
    group k where on[k] (its tag has an address).  counts (int64): 0 packets sent, 1 send
    errors, 2 spikes packed.  A tick with more spikes than buf holds packs into buffers made
    for it (not kept)."""
    if groups.shape[0] == 0:
        return
    n, spikes = pack_live(out, bounds, groups, t0, buf, offs, first)
    if n < 0:
        buf = np.empty(2 * -n, np.uint8)
        offs = np.empty(-n // 2 + 64, np.int64)
        n, spikes = pack_live(out, bounds, groups, t0, buf, offs, first)
    for k in range(groups.shape[0]):
        if not on[k]:
            continue
        for i in range(first[k], first[k + 1]):
            sent = sendto(np.int32(fd), buf[offs[i]:].ctypes.data,
                          np.uint64(offs[i + 1] - offs[i]), np.int32(0), addr[k].ctypes.data,
                          np.uint32(SOCKADDR_BYTES))
            if sent < 0:
                counts[1] += 1
            else:
                counts[0] += 1
    counts[2] += spikes
