"""Communicators: the only module that imports mpi4py.

Three implementations of one small interface, so the tick loop has a single code path:

- ``MPIComm``: MPI through mpi4py's buffer (capitalised) methods on numpy arrays;
- ``LocalComm``: one process, no MPI (mpi4py or its library missing, or a 1-rank run);
- ``ThreadComm``: several ranks as threads of one process, for unit tests (``run_threads``).

Interface: ``rank``, ``size``, ``alltoallv(send uint64[], counts int64[size]) -> (recv, counts)``
(recv grouped by source rank, in rank order), ``exchange(send, counts, dests, sources)`` (the
same result, told which ranks can send to and receive from this one: the spike exchange of the
tick loop), ``allgather(obj)`` (control plane, small
objects), ``allgatherv(array)``, ``allreduce(x, op)`` with op in {"sum", "max", "min"},
``barrier()``, ``abort(message)``.
"""

import os
import sys
import threading
import time
import traceback

import numpy as np

_REDUCE = {"sum": np.sum, "max": np.max, "min": np.min}
EXCHANGE_CAPACITY = 4096  # words per neighbour and tick in the first message (32 KiB)


class LocalComm:
    rank, size, kind = 0, 1, "local"

    def alltoallv(self, send, counts):
        return send[: int(counts.sum())], counts.copy()

    def exchange(self, send, counts, dests, sources):
        return self.alltoallv(send, counts)

    def allgather(self, obj):
        return [obj]

    def allgatherv(self, arr):
        return np.array(arr, copy=True)

    def allreduce(self, x, op="sum"):
        return x

    def barrier(self):
        pass

    def abort(self, message):
        """Nothing to abort in one process: the caller re-raises."""


class MPIComm:
    kind = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI

        self._MPI = MPI
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self._recv = np.empty(1024, np.uint64)
        self._rcounts = np.empty(self.size, np.int64)
        self._xbuf = None

    def alltoallv(self, send, counts):
        MPI = self._MPI
        counts = np.ascontiguousarray(counts, np.int64)
        self.comm.Alltoall([counts, MPI.INT64_T], [self._rcounts, MPI.INT64_T])
        total = int(self._rcounts.sum())
        if total > self._recv.size:
            self._recv = np.empty(max(total, 2 * self._recv.size), np.uint64)
        sdispl = np.zeros(self.size, np.int64)
        rdispl = np.zeros(self.size, np.int64)
        np.cumsum(counts[:-1], out=sdispl[1:])
        np.cumsum(self._rcounts[:-1], out=rdispl[1:])
        self.comm.Alltoallv([send, counts, sdispl, MPI.UINT64_T],
                            [self._recv, self._rcounts, rdispl, MPI.UINT64_T])
        return self._recv[:total], self._rcounts.copy()

    def exchange(self, send, counts, dests, sources):
        """Point-to-point spike exchange with the routing neighbours only (PLATFORM.md: the
        cheapest pattern measured here).  Every tick each rank sends each destination one
        message of at most EXCHANGE_CAPACITY words — a count, then packets — and the rest, if
        any, as a second message that the receiver expects from the count.  dests/sources:
        sorted ranks (without this one) this rank may send to / receive from; every rank
        derives them from the same plan, so they match pairwise."""
        MPI = self._MPI
        cap = EXCHANGE_CAPACITY
        if self._xbuf is None or self._xbuf[0].shape[0] != len(dests) \
                or self._xbuf[1].shape[0] != len(sources):
            self._xbuf = (np.empty((len(dests), cap), np.uint64),
                          np.empty((len(sources), cap), np.uint64))
        sbuf, rbuf = self._xbuf
        offsets = np.zeros(self.size + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        reqs = [self.comm.Irecv([rbuf[j], MPI.UINT64_T], source=src, tag=11)
                for j, src in enumerate(sources)]
        overflow = []
        for j, dst in enumerate(dests):
            n, lo = int(counts[dst]), int(offsets[dst])
            m = min(n, cap - 1)
            sbuf[j, 0] = n
            sbuf[j, 1:1 + m] = send[lo:lo + m]
            reqs.append(self.comm.Isend([sbuf[j, :1 + m], MPI.UINT64_T], dest=dst, tag=11))
            if n > m:
                overflow.append(self.comm.Isend([send[lo + m:lo + n], MPI.UINT64_T],
                                                dest=dst, tag=12))
        MPI.Request.Waitall(reqs)
        rcounts = np.zeros(self.size, np.int64)
        parts = {self.rank: send[offsets[self.rank]:offsets[self.rank + 1]]}
        rcounts[self.rank] = counts[self.rank]
        for j, src in enumerate(sources):
            n = int(rbuf[j, 0])
            m = min(n, cap - 1)
            rcounts[src] = n
            if n > m:
                extra = np.empty(n - m, np.uint64)
                self.comm.Recv([extra, MPI.UINT64_T], source=src, tag=12)
                parts[src] = np.concatenate([rbuf[j, 1:1 + m], extra])
            else:
                parts[src] = rbuf[j, 1:1 + m]
        MPI.Request.Waitall(overflow)
        total = int(rcounts.sum())
        if total > self._recv.size:
            self._recv = np.empty(max(total, 2 * self._recv.size), np.uint64)
        at = 0
        for src in sorted(parts):
            seg = parts[src]
            self._recv[at:at + seg.size] = seg
            at += seg.size
        return self._recv[:total], rcounts

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def allgatherv(self, arr):
        arr = np.ascontiguousarray(arr)
        counts = np.array(self.comm.allgather(arr.size), np.int64)
        out = np.empty(int(counts.sum()), arr.dtype)
        displ = np.concatenate([[0], np.cumsum(counts[:-1])]).astype(np.int64)
        mpi_type = self._MPI._typedict[arr.dtype.char]
        self.comm.Allgatherv([arr, mpi_type], [out, counts, displ, mpi_type])
        return out

    def allreduce(self, x, op="sum"):
        ops = {"sum": self._MPI.SUM, "max": self._MPI.MAX, "min": self._MPI.MIN}
        if isinstance(x, np.ndarray) and x.ndim:
            # element-wise, as LocalComm/ThreadComm do (the pickle-based lower-case call
            # cannot take max/min of arrays)
            x = np.ascontiguousarray(x)
            out = np.empty_like(x)
            self.comm.Allreduce(x, out, op=ops[op])
            return out
        return self.comm.allreduce(x, op=ops[op])

    def barrier(self):
        self.comm.Barrier()

    def abort(self, message):
        sys.stderr.write(f"[spinn rank {self.rank}/{self.size}] aborting all ranks: "
                         f"{message}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.3)  # let the process manager forward this rank's output before the kill
        self.comm.Abort(1)
        os._exit(1)  # MPI_Abort may return before the process manager kills this rank


class ThreadGroup:
    """Shared meeting point of the ThreadComm ranks of one run."""

    def __init__(self, size):
        self.size = size
        self.barrier = threading.Barrier(size)
        self.slots = [None] * size


class ThreadComm:
    kind = "threads"

    def __init__(self, group, rank):
        self.group, self.rank, self.size = group, rank, group.size

    def _swap(self, obj):
        self.group.slots[self.rank] = obj
        self.group.barrier.wait()
        everything = list(self.group.slots)
        self.group.barrier.wait()
        return everything

    def alltoallv(self, send, counts):
        parts = self._swap((np.array(send[: int(counts.sum())]), np.array(counts)))
        pieces, rcounts = [], np.zeros(self.size, np.int64)
        for src, (buf, cnt) in enumerate(parts):
            lo = int(cnt[: self.rank].sum())
            pieces.append(buf[lo: lo + int(cnt[self.rank])])
            rcounts[src] = cnt[self.rank]
        return np.concatenate(pieces), rcounts

    def allgather(self, obj):
        return self._swap(obj)

    def exchange(self, send, counts, dests, sources):
        return self.alltoallv(send, counts)

    def allgatherv(self, arr):
        return np.concatenate(self._swap(np.array(arr)))

    def allreduce(self, x, op="sum"):
        values = self._swap(x)
        return type(x)(_REDUCE[op](values)) if np.ndim(x) == 0 else _REDUCE[op](values, axis=0)

    def barrier(self):
        self._swap(None)

    def abort(self, message):
        self.group.barrier.abort()


def run_threads(n_ranks, fn):
    """Run ``fn(comm)`` on n_ranks ThreadComm ranks; return the list of results.

    An exception on any rank breaks the others' barriers and is re-raised here.
    """
    group = ThreadGroup(n_ranks)
    results, errors = [None] * n_ranks, [None] * n_ranks

    def body(rank):
        try:
            results[rank] = fn(ThreadComm(group, rank))
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors[rank] = exc
            group.barrier.abort()

    threads = [threading.Thread(target=body, args=(r,)) for r in range(n_ranks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = next((e for e in errors if e is not None
                  and not isinstance(e, threading.BrokenBarrierError)), None)
    if first is None:
        first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    return results


_WORLD = None


def world():
    """The communicator of this process: MPI when launched on several ranks, else local."""
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    if os.environ.get("SPINN_NO_MPI"):
        _WORLD = LocalComm()
        return _WORLD
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError):
        _WORLD = LocalComm()
        return _WORLD
    if MPI.COMM_WORLD.Get_size() == 1:
        _WORLD = LocalComm()
    else:
        _WORLD = MPIComm(MPI.COMM_WORLD)
        _install_abort_hook(_WORLD)
    return _WORLD


def _install_abort_hook(comm):
    """An uncaught exception on one rank aborts every rank with its message (never a hang)."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        sys.stderr.write(f"[spinn rank {comm.rank}] "
                         + "".join(traceback.format_exception(kind, value, tb)))
        sys.stderr.flush()
        comm.abort(f"{kind.__name__}: {value}")
        previous(kind, value, tb)

    sys.excepthook = hook
