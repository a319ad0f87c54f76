"""Live output packets of a tick, built by one compiled call (the per-tick cost of live
output is this call and one sendto per packet).  Formats: spinn.live.protocol."""

import numpy as np
from numba import njit

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
