"""Delay-extension queues (spinn/kernels/delays.py): FIFO release in canonical order with the
step offset recomputed, growth that keeps every queued packet, cores without later rows
skipped."""

import numpy as np

from spinn.kernels.delays import push, release
from spinn.kernels.packets import make_packet, packet_count, packet_key, packet_step

INDEX_BITS = 4


def packets(step_offsets, cores, idx):
    return np.array([make_packet(s, (c << INDEX_BITS) | i, 1 + i % 3)
                     for s, c, i in zip(step_offsets, cores, idx)], np.uint64)


def test_queue_grows_and_releases_in_order_with_new_offsets():
    rng = np.random.default_rng(1)
    q_step = np.zeros((2, 4), np.int64)
    q_word = np.zeros((2, 4), np.uint64)
    q_ptr = np.zeros((2, 2), np.int64)
    keep = np.array([True, False, True])
    pushed = []
    for t0 in range(0, 100, 10):   # ticks of 10 steps, stage_steps 30
        n = 7
        offs = np.sort(rng.integers(0, 10, n))
        cores = rng.choice([0, 1, 2], n)
        p = packets(offs, cores, rng.integers(0, 16, n))
        q_step, q_word = push(q_step, q_word, q_ptr, 1, p, 0, n, t0, 30, INDEX_BITS,
                              np.arange(3, dtype=np.int32), keep)
        pushed += [(t0 + packet_step(x) + 30, packet_key(x), packet_count(x)) for x in p
                   if keep[packet_key(x) >> INDEX_BITS]]
    assert q_step.shape[1] >= len(pushed) > 4          # grew past the first capacity
    assert q_ptr[0, 1] == q_ptr[0, 0] == 0             # the other queue untouched
    out = np.zeros(q_step.shape[1], np.uint64)
    got = []
    for t0 in range(0, 200, 10):
        n = release(q_step, q_word, q_ptr, 1, t0, t0 + 10, out, 0)
        for x in out[:n]:
            assert 0 <= packet_step(x) < 10
            got.append((t0 + packet_step(x), packet_key(x), packet_count(x)))
    assert got == pushed
    assert q_ptr[1, 0] == q_ptr[1, 1]
