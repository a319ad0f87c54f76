"""Random and mutated packets for the live-I/O fuzz test: random bytes of any length (up to
1 500), valid injections (16-bit ids, 32-bit keys, with payloads, with prefixes) truncated,
extended, bit-flipped or with counts that lie, keys outside the injector, SDP to cores that
take no input, SCP commands other than IP-tag set, EIEIO commands, empty datagrams."""

import struct

import numpy as np


def sdp(payload, p=1, port=1, x=0, y=0, flags=0x07):
    return b"\0\0" + bytes((flags, 0, (port << 5) | p, 0, y, x, 0, 0)) + payload


def eieio(kind, keys, payloads=None, count=None, prefix=None, payload_prefix=None):
    flags = kind << 2
    head = b""
    if prefix is not None:
        flags |= 0x80
        head += struct.pack("<H", prefix)
    if payload_prefix is not None:
        flags |= 0x20
        head += struct.pack("<I" if kind >= 2 else "<H", payload_prefix)
    fmt = "<H" if kind < 2 else "<I"
    body = b"".join(struct.pack(fmt, k) + (struct.pack(fmt, v) if payloads is not None else b"")
                    for k, v in zip(keys, payloads if payloads is not None else keys))
    return bytes((len(keys) if count is None else count, flags)) + head + body


def fuzz_packets(n, seed=0, n_atoms=20):
    rng = np.random.default_rng(seed)
    for i in range(n):
        kind = i % 8
        if kind == 0:
            yield rng.integers(0, 256, int(rng.integers(0, 1500)), dtype=np.uint8).tobytes()
        elif kind == 1:           # a valid injection, truncated
            p = sdp(eieio(0, rng.integers(0, n_atoms, 5).tolist()))
            yield p[:int(rng.integers(0, len(p)))]
        elif kind == 2:           # bit flips in a valid injection
            p = bytearray(sdp(eieio(0, rng.integers(0, n_atoms, 4).tolist())))
            for _ in range(int(rng.integers(1, 4))):
                j = int(rng.integers(0, len(p)))
                p[j] ^= 1 << int(rng.integers(0, 8))
            yield bytes(p)
        elif kind == 3:           # a count that lies, or trailing bytes
            keys = rng.integers(0, n_atoms, 3).tolist()
            yield sdp(eieio(0, keys, count=int(rng.integers(4, 256)))) if i % 16 < 8 \
                else sdp(eieio(0, keys) + b"\xff" * int(rng.integers(1, 9)))
        elif kind == 4:           # 16-bit ids and 32-bit keys outside the injector
            yield sdp(eieio(0, rng.integers(n_atoms, 65536, 3).tolist())) if i % 16 < 8 \
                else sdp(eieio(2, rng.integers(0, 1 << 32, 3, dtype=np.uint64).tolist()))
        elif kind == 5:           # SDP to a core or chip without live input
            yield sdp(eieio(0, [1, 2]), p=int(rng.integers(2, 32)), x=int(rng.integers(0, 256)))
        elif kind == 6:           # SCP other than IP-tag set; an IP tag no output uses
            cmd = int(rng.integers(0, 65536))
            arg1 = (1 << 16) | 7 if cmd == 26 else int(rng.integers(0, 1 << 32))
            yield sdp(struct.pack("<HHIII", cmd, 1, arg1, 0, 0), p=0, port=0, flags=0x87)
        else:                     # EIEIO commands, oversized, empty, payload/prefix forms
            choice = i % 5
            if choice == 0:
                yield sdp(struct.pack("<H", 0x4000 | int(rng.integers(0, 1 << 14))))
            elif choice == 1:
                yield sdp(b"\0" * 2000)
            elif choice == 2:
                yield b""
            elif choice == 3:
                yield sdp(eieio(1, [1, 2], payloads=[5, 6], prefix=0))
            else:
                yield sdp(eieio(3, [3], payloads=[1], payload_prefix=7))


def send_fuzz(n, seed=5, address=("127.0.0.1", 17893), per_ms=8):
    """Send `n` fuzz packets at the board, about `per_ms` a millisecond (a client, not a flood
    the kernel drops). Run as its own process (`python -m tests.unit.live.packets N`), so the
    sender does not wait for the simulating process's interpreter lock."""
    import socket
    import time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for k, p in enumerate(fuzz_packets(n, seed=seed)):
        s.sendto(p, address)
        if k % per_ms == per_ms - 1:
            time.sleep(0.001)
    s.close()


if __name__ == "__main__":
    import sys
    send_fuzz(int(sys.argv[1]))
