"""The compiled tick loop's own reading of injection packets (spinn.kernels.live.
take_injections) against the Python reading every other packet goes to
(spinn.live.LiveIO._take, spinn.live.protocol): on a real loopback socket, the same events
from the same packets, and everything it does not take left waiting for Python."""

import socket

import numpy as np
import pytest

from spinn.kernels.live import INJ_COLS, NEVER, take_injections
from spinn.live import protocol as wire
from spinn.live.pack import COMPILED_SEND, recv_function
from tests.unit.live.packets import eieio, fuzz_packets, sdp

pytestmark = pytest.mark.skipif(not COMPILED_SEND, reason="the compiled loop's socket "
                                "calls are Linux's")

ROOM = 64                    # each injector's event arrays (EVENTS_PER_TICK in a run)
# two injectors: core (0, 0, 1) of 20 neurons (keys from 0x10000) and (0, 0, 2) of 8
INJECTORS = [(0, 0, 1, 0x10000, 20, 3), (0, 0, 2, 0x20000, 8, 5)]


class Board:
    """A board socket and take_injections' arguments for INJECTORS."""

    def __init__(self, log_rows=1 << 16):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.rx.bind(("127.0.0.1", 0))
        self.rx.setblocking(False)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rows, off = [], 0
        for r, (x, y, p, key0, size, pop) in enumerate(INJECTORS):
            rows.append((x, y, p, key0, size, pop, off, r * ROOM))
            off += size
        self.inj = np.array(rows, np.int64).reshape(-1, INJ_COLS)
        n_ev = ROOM * len(INJECTORS)
        self.ev = (np.full(n_ev, NEVER, np.int64), np.zeros(n_ev, np.int64),
                   np.ones(n_ev, np.int64), np.zeros(len(INJECTORS), np.int64))
        self.dense, self.touched = np.zeros(off, np.int64), np.zeros(off, np.int64)
        self.n_touched = np.zeros(len(INJECTORS), np.int64)
        self.log, self.log_n = np.zeros((log_rows, 4), np.int64), np.zeros(1, np.int64)
        self.counts = np.zeros(3, np.int64)
        self.buf = np.zeros(4096, np.uint8)

    def send(self, *packets):
        for p in packets:
            self.tx.sendto(p, self.rx.getsockname())

    def take(self, t0):
        return take_injections(recv_function(), np.int64(self.rx.fileno()), self.buf,
                               self.inj, self.dense, self.touched, self.n_touched, *self.ev,
                               t0, self.log, self.log_n, self.counts)

    def events(self, row):
        """(step, neuron, count) of injector row's event arrays, up to the sentinel."""
        step, lid, count, _ = self.ev
        out = []
        for j in range(row * ROOM, (row + 1) * ROOM):
            if step[j] == NEVER:
                return out
            out.append((int(step[j]), int(lid[j]), int(count[j])))
        return out

    def waiting(self):
        try:
            return self.rx.recv(4096)
        except BlockingIOError:
            return None

    def close(self):
        self.rx.close()
        self.tx.close()


def python_reading(p):
    """(row, neuron ids) when the Python path would inject every key of packet p into one
    of INJECTORS, with nothing dropped; None for anything else."""
    try:
        _flags, cpu, port, x, y, payload = wire.read_sdp(p)
        if port == 0 and cpu == 0:
            return None
        keys, _payloads, _ = wire.read_data(payload)
    except (wire.BadPacket, ValueError, IndexError):
        return None
    for row, (ix, iy, ip, key0, size, _pop) in enumerate(INJECTORS):
        if (ix, iy, ip) == (x, y, cpu):
            kind = payload[1] >> 2 & 3
            ids = keys.astype(np.int64) - (key0 if kind >= 2 else 0)
            if ((ids < 0) | (ids >= size)).any():
                return None
            return row, sorted(ids.tolist())
    return None


def test_a_tick_of_injections_merges_per_neuron_in_neuron_order_and_is_logged():
    b = Board()
    try:
        b.send(sdp(eieio(0, [3, 1, 3])), sdp(eieio(0, [1])),
               sdp(eieio(3, [0x20000, 0x20002], payloads=[9, 9]), p=2),
               sdp(eieio(2, [0x20000], prefix=2), p=2))
        assert not b.take(70)
        assert b.events(0) == [(70, 1, 2), (70, 3, 2)]
        assert b.events(1) == [(70, 0, 1), (70, 2, 2)]
        assert b.ev[3].tolist() == [0, 0]
        assert b.log[:b.log_n[0]].tolist() == [[70, 3, 1, 2], [70, 3, 3, 2], [70, 5, 0, 1],
                                               [70, 5, 2, 2]]
        assert b.counts.tolist() == [4, 7, 0]
        assert b.waiting() is None                   # every packet was taken
        assert not b.take(80)                        # nothing waiting: nothing changes
        assert b.events(0) == [(70, 1, 2), (70, 3, 2)] and b.log_n[0] == 4
        b.send(sdp(eieio(0, [5])))                   # the next tick's: fewer entries
        assert not b.take(90)
        assert b.events(0) == [(90, 5, 1)] and b.events(1)[0][0] == 70
    finally:
        b.close()


def test_what_python_must_read_is_left_waiting():
    b = Board()
    try:
        scp = sdp(b"\x1a\x00\x01\x00" + bytes(12), p=0, port=0, flags=0x87)
        b.send(scp, sdp(eieio(0, [2])))
        assert b.take(10)                            # Python's turn: nothing taken
        assert b.counts[0] == 0 and b.waiting() == scp
        assert not b.take(20)
        assert b.events(0) == [(20, 2, 1)]
        out_of_range = sdp(eieio(0, [4, 20]))        # neuron 20 of a 20-neuron injector
        b.send(sdp(eieio(0, [6])), out_of_range)
        assert not b.take(30)                        # the first taken, the second waits
        assert b.events(0) == [(30, 6, 1)] and b.waiting() == out_of_range
        full = Board(log_rows=20 + 8 + 3)            # no room for a tick of rows
        try:
            full.log_n[0] = 4
            full.send(sdp(eieio(0, [1])))
            assert full.take(40) and full.counts[0] == 0
        finally:
            full.close()
    finally:
        b.close()


def test_more_than_65535_events_of_one_neuron_in_a_tick_are_counted_dropped():
    b = Board()
    try:
        b.send(*[sdp(eieio(0, [5] * 255))] * 258)
        assert not b.take(0)
        assert b.events(0) == [(0, 5, 0xFFFF)]
        assert b.counts.tolist() == [258, 0xFFFF, 258 * 255 - 0xFFFF]
    finally:
        b.close()


def test_every_fuzzed_packet_is_read_as_python_reads_it_or_left_to_python():
    """4 000 random and mutated packets (tests.unit.live.packets) and valid ones, one a
    tick: each the compiled loop takes carries exactly the events the Python path would
    inject; each it leaves is one the Python path would answer, count or drop."""
    b = Board()
    try:
        packets = list(fuzz_packets(4000, seed=9))
        rng = np.random.default_rng(2)
        for _ in range(300):
            packets.append(sdp(eieio(0, rng.integers(0, 20, 3).tolist())))
            packets.append(sdp(eieio(2, (0x20000 + rng.integers(0, 8, 2)).tolist()), p=2))
            packets.append(sdp(eieio(1, [1, 2], payloads=[5, 6], prefix=0)))
        taken = left = 0
        for t, p in enumerate(packets):
            if len(p) > 4096:
                continue
            b.send(p)
            want = python_reading(p)
            before = b.log_n[0]
            python_turn = b.take(t)
            rows = b.log[before:b.log_n[0]]
            if want is None:
                assert python_turn and b.waiting() == p, p.hex()
                left += 1
                continue
            row, ids = want
            assert not python_turn and b.waiting() is None, p.hex()
            pop = INJECTORS[row][5]
            got = sorted(int(i) for _, q, i, c in rows.tolist() if q == pop for _ in range(c))
            assert got == ids and (rows[:, 0] == t).all(), p.hex()
            taken += 1
        assert taken > 1000 and left > 2000
    finally:
        b.close()
