"""The MPI communicator's collectives: alltoallv, the neighbourhood exchange, allgatherv,
allgather, allreduce.

Every check is computed locally, agreed across ranks with assert_all_ranks, then asserted.
"""

import numpy as np
import pytest

from spinn.runtime.comm import MPIComm, world
from tests.mpi_helpers import assert_all_ranks

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]


def _value(src, dst, i):
    """uint64 naming (source, destination, position); the top bit checks all 64 bits travel."""
    return np.uint64((1 << 63) | (src << 40) | (dst << 24) | i)


def _count(src, dst, size, scale):
    """Packets src sends to dst: differs per pair, zero for some pairs, and the last rank
    sends nothing at all."""
    if src == size - 1:
        return 0
    return ((src + 2 * dst) % 3) * scale + (src == dst)


def _send(rank, size, scale, spare=0):
    counts = np.array([_count(rank, d, size, scale) for d in range(size)], np.int64)
    values = [_value(rank, d, i) for d in range(size) for i in range(counts[d])]
    # the simulator hands over a buffer larger than sum(counts): the tail must be ignored
    send = np.concatenate([np.array(values, np.uint64),
                           np.full(spare, 0xDEAD, np.uint64)]).astype(np.uint64)
    return send, counts


def _expected(rank, size, scale):
    counts = np.array([_count(s, rank, size, scale) for s in range(size)], np.int64)
    values = [_value(s, rank, i) for s in range(size) for i in range(counts[s])]
    return np.array(values, np.uint64), counts


def test_world_is_mpi_comm_on_several_ranks():
    """world() is an MPIComm whose rank and size match COMM_WORLD when launched on ≥ 2 ranks."""
    from mpi4py import MPI

    comm = world()
    ok = (isinstance(comm, MPIComm) and comm.rank == MPI.COMM_WORLD.Get_rank()
          and comm.size == MPI.COMM_WORLD.Get_size() and comm.kind == "mpi")
    assert_all_ranks(ok, f"world() is {comm!r}, not an MPIComm of the world")


@pytest.mark.parametrize("scale", [1, 7, 900])  # 900: the receive buffer (1024) must grow
def test_alltoallv_delivers_each_rank_exactly_what_was_sent_grouped_by_source(scale):
    """alltoallv: every rank receives exactly the values addressed to it, grouped by source
    rank in rank order with per-source counts, including zero counts and a silent rank."""
    comm = world()
    send, counts = _send(comm.rank, comm.size, scale, spare=5)
    recv, rcounts = comm.alltoallv(send, counts)
    want, want_counts = _expected(comm.rank, comm.size, scale)
    ok = (recv.dtype == np.uint64 and np.array_equal(rcounts, want_counts)
          and np.array_equal(recv, want))
    assert_all_ranks(ok, f"alltoallv scale {scale}: rank {comm.rank} got counts "
                         f"{rcounts.tolist()} (want {want_counts.tolist()})")


def test_alltoallv_repeated_calls_with_changing_counts():
    """alltoallv stays correct over many calls whose counts change (as in the tick loop), and
    a copy of one call's result is not disturbed by the next call."""
    comm = world()
    kept, ok = [], True
    for scale in [3, 0, 1200, 2, 0, 50]:
        send, counts = _send(comm.rank, comm.size, scale)
        recv, rcounts = comm.alltoallv(send, counts)
        want, want_counts = _expected(comm.rank, comm.size, scale)
        ok &= np.array_equal(recv, want) and np.array_equal(rcounts, want_counts)
        kept.append((np.array(recv), want))
    ok &= all(np.array_equal(a, b) for a, b in kept)
    assert_all_ranks(ok, "alltoallv went wrong over repeated calls")


def test_alltoallv_with_nothing_sent_anywhere():
    """alltoallv with all counts zero returns an empty uint64 array and zero counts."""
    comm = world()
    recv, rcounts = comm.alltoallv(np.empty(0, np.uint64), np.zeros(comm.size, np.int64))
    ok = recv.size == 0 and recv.dtype == np.uint64 and not rcounts.any() \
        and rcounts.size == comm.size
    assert_all_ranks(ok, f"empty alltoallv returned {recv!r}, {rcounts!r}")


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.float64, np.int32])
def test_allgatherv_concatenates_in_rank_order_with_uneven_sizes(dtype):
    """allgatherv: every rank gets all ranks' arrays concatenated in rank order, dtype kept,
    with different sizes per rank and an empty contribution from rank 1."""
    comm = world()

    def part(r):
        n = 0 if r == 1 else 3 * r + 2
        return (np.arange(n) + 1000 * r).astype(dtype)

    got = comm.allgatherv(part(comm.rank))
    want = np.concatenate([part(r) for r in range(comm.size)])
    ok = got.dtype == np.dtype(dtype) and np.array_equal(got, want)
    assert_all_ranks(ok, f"allgatherv {np.dtype(dtype)} gave {got[:20]!r}")


def test_allgatherv_all_empty():
    """allgatherv of empty arrays on every rank is an empty array of the same dtype."""
    comm = world()
    got = comm.allgatherv(np.empty(0, np.int64))
    assert_all_ranks(got.size == 0 and got.dtype == np.int64, f"got {got!r}")


def test_allgather_returns_every_ranks_object_in_rank_order():
    """allgather (control plane): a list of every rank's object, indexed by rank."""
    comm = world()
    got = comm.allgather({"rank": comm.rank, "sq": comm.rank ** 2})
    ok = got == [{"rank": r, "sq": r * r} for r in range(comm.size)]
    assert_all_ranks(ok, f"allgather gave {got!r}")


def test_allreduce_sum_max_min_of_scalars_and_arrays():
    """allreduce: sum, max and min over ranks, for Python scalars, floats and numpy arrays."""
    comm = world()
    r, n = comm.rank, comm.size
    arr = np.array([r, -r, 2 * r + 1], np.int64)
    checks = {
        "int sum": (comm.allreduce(r + 1, "sum"), n * (n + 1) // 2),
        "float max": (comm.allreduce(0.5 * r, "max"), 0.5 * (n - 1)),
        "int min": (comm.allreduce(r - 3, "min"), -3),
        "default op is sum": (comm.allreduce(2), 2 * n),
    }
    ok = all(got == want for got, want in checks.values())
    s = comm.allreduce(arr.copy(), "sum")
    ok &= np.array_equal(s, [n * (n - 1) // 2, -n * (n - 1) // 2, n * n])
    ok &= np.array_equal(comm.allreduce(arr.copy(), "max"), [n - 1, 0, 2 * n - 1])
    ok &= np.array_equal(comm.allreduce(arr.copy(), "min"), [0, -(n - 1), 1])
    assert_all_ranks(ok, f"allreduce results wrong: {checks}, array sum {s!r}")


def test_barrier_waits_for_the_slowest_rank():
    """barrier: no rank leaves it before every rank has entered it (rank 0 enters 0.3 s late;
    every other rank must spend about that long inside)."""
    import time

    comm = world()
    comm.barrier()
    if comm.rank == 0:
        time.sleep(0.3)
    t0 = time.perf_counter()
    comm.barrier()
    waited = time.perf_counter() - t0
    ok = comm.rank == 0 or waited > 0.25
    assert_all_ranks(ok, f"rank {comm.rank} left the barrier after {waited:.3f} s")


def _neighbour_runs(rank, size, scale, dests):
    """The send buffer and counts for ``dests`` (runs in dests order), from _count/_value."""
    counts = np.array([_count(rank, d, size, scale) for d in dests], np.int64)
    values = [_value(rank, d, i) for d, c in zip(dests, counts) for i in range(c)]
    return np.array(values, np.uint64), counts


@pytest.mark.parametrize("scale", [1, 900, 5000])  # 5000: the receive buffer grows
def test_neighbourhood_exchange_equals_alltoallv(scale):
    """With every other rank as neighbour, the neighbourhood exchange (MPI neighbourhood
    collectives on a distributed graph) returns exactly what alltoallv returns for the other
    ranks — same runs, same order — over repeated ticks that reuse the buffers."""
    comm = world()
    others = [r for r in range(comm.size) if r != comm.rank]
    hood = comm.neighbourhood(others, others)
    send, counts = _send(comm.rank, comm.size, scale)
    want, want_counts = comm.alltoallv(send, counts)
    keep = np.ones(want.size, bool)
    lo = int(want_counts[:comm.rank].sum())
    keep[lo:lo + int(want_counts[comm.rank])] = False
    want, want_counts = want[keep], np.delete(want_counts, comm.rank)
    ok = True
    for _ in range(3):
        s, c = _neighbour_runs(comm.rank, comm.size, scale, others)
        recv, rcounts = hood.exchange(s, c)
        ok &= np.array_equal(recv, want) and np.array_equal(rcounts, want_counts)
    assert_all_ranks(ok, f"neighbourhood exchange scale {scale}: rank {comm.rank} got counts "
                         f"{rcounts.tolist()} (want {want_counts.tolist()})")


def test_neighbourhood_exchange_along_a_ring_with_changing_counts():
    """A ring of neighbours (send to rank+1, receive from rank-1): each rank receives exactly
    its predecessor's packets, tick after tick, while the counts change (zero included)."""
    comm = world()
    nxt, prv = (comm.rank + 1) % comm.size, (comm.rank - 1) % comm.size
    hood = comm.neighbourhood([prv], [nxt])
    ok, kept = True, []
    for tick, n in enumerate([3, 0, 2000, 1, 0, 7]):
        mine = np.array([_value(comm.rank, nxt, tick * 10000 + i) for i in range(n + comm.rank)],
                        np.uint64)
        recv, rcounts = hood.exchange(mine, np.array([mine.size], np.int64))
        want = np.array([_value(prv, comm.rank, tick * 10000 + i) for i in range(n + prv)],
                        np.uint64)
        ok &= np.array_equal(recv, want) and rcounts.tolist() == [n + prv]
        kept.append((recv.copy(), want))
    ok &= all(np.array_equal(a, b) for a, b in kept)
    assert_all_ranks(ok, f"ring exchange went wrong on rank {comm.rank}")


def test_neighbourhood_exchange_with_ranks_that_have_no_neighbours():
    """The last rank talks to nobody (no sources, no dests) yet takes part in every tick;
    the others exchange along a chain 0 → 1 → … → size-2.  Nothing arrives from or goes to
    the silent rank, and the chain's packets arrive."""
    comm = world()
    last = comm.size - 1
    if comm.rank == last:
        sources, dests = [], []
    else:
        sources = [comm.rank - 1] if comm.rank > 0 else []
        dests = [comm.rank + 1] if comm.rank + 1 < last else []
    hood = comm.neighbourhood(sources, dests)
    ok = True
    for tick in range(4):
        s = np.array([_value(comm.rank, d, tick) for d in dests], np.uint64)
        recv, rcounts = hood.exchange(s, np.ones(len(dests), np.int64))
        want = np.array([_value(src, comm.rank, tick) for src in sources], np.uint64)
        ok &= np.array_equal(recv, want) and rcounts.tolist() == [1] * len(sources)
    assert_all_ranks(ok, f"rank {comm.rank} (sources {sources}, dests {dests}) got {recv}")
