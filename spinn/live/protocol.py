"""The host-visible bytes of a SpiNNaker board, as sPyNNaker's host tools speak them.

Read from the host code of sPyNNaker 7.4 (SpiNNMan's ``messages.eieio``, ``messages.sdp``,
``messages.scp``; SpiNNFrontEndCommon's ``LiveEventConnection``, ``DatabaseConnection``,
``NotificationProtocol``); written here from those formats, none of their code.

- EIEIO data packet: byte 0 the element count, byte 1 the flags — bit 7 key prefix (P), bit 6
  prefix format (F), bit 5 payload prefix (D), bit 4 payloads are time stamps (T), bits 3–2
  the type (0: 16-bit keys, 1: 16-bit key + payload, 2: 32-bit keys, 3: 32-bit key + payload),
  bits 1–0 a tag; then an optional 16-bit key prefix, an optional payload prefix (16 or 32
  bits, as the keys), then the elements, little-endian.
- EIEIO command: one little-endian 16-bit word 0b01 << 14 | command (1 database, 10 stop/pause,
  11 start/resume), for the notification protocol followed by the database path (UTF-8).
- SDP on UDP: two bytes of padding, then 8 bytes: flags, tag, destination port·cpu (3·5 bits),
  source port·cpu, destination chip y, x, source chip y, x; then the payload.
- SCP inside SDP: command (16 bits), sequence (16), three 32-bit arguments, data.  IP-tag set
  is command 26 with argument 1 = strip << 28 | use_sender << 30 | 1 << 16 | tag; SCAMP
  answers with flags 0x07, destination port·cpu 0xFF, result 0x80 (RC_OK), the sequence and
  one word.
"""

import struct

import numpy as np

SCAMP_PORT = 17893            # a board's SCP/SDP port (SpiNNMan's SCP_SCAMP_PORT)
LIVE_SPIKE_PORT = 17895       # live output's default port (sPyNNaker's live_spike_port)
MAX_PACKET = 256              # bytes of an EIEIO packet, as SpiNNaker's SDP payload

CMD_DATABASE, CMD_STOP_PAUSE, CMD_START_RESUME = 1, 10, 11
KEY_16, KEY_PAYLOAD_16, KEY_32, KEY_PAYLOAD_32 = 0, 1, 2, 3
SCP_IPTAG, IPTAG_SET, RC_OK = 26, 1, 0x80

_H = struct.Struct("<H")
_SDP = struct.Struct("<8B")
_SCP = struct.Struct("<HHIII")
_KEY_BYTES = {KEY_16: 2, KEY_PAYLOAD_16: 2, KEY_32: 4, KEY_PAYLOAD_32: 4}
_DTYPES = {2: np.dtype("<u2"), 4: np.dtype("<u4")}


class BadPacket(ValueError):
    """A packet this board does not take: malformed, truncated, oversized or unknown."""


def command(code, text=b""):
    """An EIEIO command packet."""
    return _H.pack((1 << 14) | code) + text


def read_command(data):
    """(command code, the bytes after it) of an EIEIO command packet."""
    if len(data) < 2:
        raise BadPacket(f"{len(data)} bytes: too short for an EIEIO command")
    word = _H.unpack_from(data)[0]
    if word >> 14 != 1:
        raise BadPacket(f"header 0x{word:04x} is not an EIEIO command")
    return word & 0x3FFF, bytes(data[2:])


def read_data(data):
    """(keys uint32[], payloads uint32[] or None, time stamped) of an EIEIO data packet."""
    n = len(data)
    if n < 2:
        raise BadPacket(f"{n} bytes: too short for an EIEIO header")
    count, flags = data[0], data[1]
    prefix_on, upper, payload_prefix_on = flags >> 7 & 1, flags >> 6 & 1, flags >> 5 & 1
    timed, kind = flags >> 4 & 1, flags >> 2 & 3
    if not prefix_on and upper:
        raise BadPacket("an EIEIO command where a data packet was expected")
    kb = _KEY_BYTES[kind]
    off = 2
    key_prefix = payload_base = None
    if prefix_on:
        if n < off + 2:
            raise BadPacket("truncated key prefix")
        key_prefix = _H.unpack_from(data, off)[0]
        off += 2
    if payload_prefix_on:
        if n < off + kb:
            raise BadPacket("truncated payload prefix")
        payload_base = int(np.frombuffer(data, _DTYPES[kb], 1, off)[0])
        off += kb
    with_payload = kind in (KEY_PAYLOAD_16, KEY_PAYLOAD_32)
    size = kb * (2 if with_payload else 1)
    if n != off + count * size:
        raise BadPacket(f"{n} bytes for {count} elements of {size} bytes after a {off}-byte "
                        f"header")
    words = np.frombuffer(data, _DTYPES[kb], count * (2 if with_payload else 1), off)
    keys = (words[0::2] if with_payload else words).astype(np.uint32)
    payloads = words[1::2].astype(np.uint32) if with_payload else None
    if key_prefix is not None:
        keys = keys | np.uint32(key_prefix << 16 if upper else key_prefix)
    if payload_base is not None:
        payloads = np.full(count, payload_base, np.uint32) if payloads is None \
            else payloads | np.uint32(payload_base)
    return keys, payloads, bool(timed)


def read_sdp(data):
    """(flags, destination cpu, chip x, chip y, payload) of an SDP packet on UDP."""
    if len(data) < 10:
        raise BadPacket(f"{len(data)} bytes: too short for SDP (2 padding + 8 header)")
    if len(data) > 10 + 16 + MAX_PACKET:
        raise BadPacket(f"{len(data)} bytes: larger than an SDP packet")
    flags, _tag, dest, _src, y, x, _sy, _sx = _SDP.unpack_from(data, 2)
    return flags, dest & 0x1F, dest >> 5, x, y, bytes(data[10:])


def read_scp(payload):
    """(command, sequence, arg1, arg2, arg3) of an SCP request."""
    if len(payload) < _SCP.size:
        raise BadPacket(f"{len(payload)} bytes: too short for an SCP request")
    return _SCP.unpack_from(payload)


def scp_ok(sequence, x, y, word=0):
    """SCAMP's "OK" answer to a request from the host (18 bytes with the padding)."""
    return b"\0\0" + _SDP.pack(0x07, 0xFF, 0xFF, 0, 0, 0, y, x) + \
        struct.pack("<HHI", RC_OK, sequence, word)
