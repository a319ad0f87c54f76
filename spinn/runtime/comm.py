"""Communicators: the only module that imports mpi4py.

Four implementations of one small interface, so the tick loop has a single code path:

- ``MPIComm``: MPI through mpi4py's buffer (capitalised) methods on numpy arrays;
- ``LocalComm``: one process, no MPI (mpi4py or its library missing, or a 1-rank run);
- ``ThreadComm``: several ranks as threads of one process, for unit tests (``run_threads``);
- ``RehearsalComm``: rank R of an N-rank job played alone (``spinn rehearse``): the other ranks
  are taken to be identical to this one on the control plane, and nothing travels.

Interface: ``rank``, ``size``, ``kind``;
control plane (small objects): ``bcast(obj, root)``, ``allgather(obj)``, ``gather(obj, root)``,
``allreduce(x, op)`` with op in {"sum", "max", "min"}, ``barrier()``, ``abort(message)``;
data: ``allgatherv(array)``, ``gatherv(array, root)``, ``alltoallv(send uint64[], counts
int64[size]) -> (recv, counts)`` (recv grouped by source rank, in rank order), and
``neighbourhood(sources, dests)`` → an object whose ``exchange(send, counts)`` sends the
consecutive runs send[...] of counts[i] packets to dests[i] and returns (recv, rcounts): the
runs received from sources[j], in that order — the spike exchange of the tick loop, between
the ranks the routing tables connect (no array over all ranks).
"""

import ctypes
import os
import sys
import threading
import time
import traceback
import zlib

import numba
import numba.experimental.function_type  # noqa: F401 - types function-pointer arguments
import numpy as np
from numba import types

from spinn.errors import SimulationError
from spinn.kernels.handles import CFunction, by_address
from spinn.runtime.clocks import _local_clock

_REDUCE = {"sum": np.sum, "max": np.max, "min": np.min}


class _NoNeighbours:
    """The neighbourhood of a single rank: nothing to send or receive."""

    sources, dests = (), ()

    def exchange(self, send, counts):
        return send[:0], np.zeros(0, np.int64)


def _cpus():
    """The CPUs this process may run on."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


class LocalComm:
    rank, size, kind = 0, 1, "local"

    def host_cores(self):
        """(ranks of the job on this host, CPUs they may run on) (collective)."""
        return 1, len(_cpus())

    def alltoallv(self, send, counts):
        return send[: int(counts.sum())], counts.copy()

    def neighbourhood(self, sources, dests):
        if sources or dests:
            raise ValueError(f"a single rank has no neighbours (got {sources}, {dests})")
        return _NoNeighbours()

    def bcast(self, obj, root=0):
        return obj

    def allgather(self, obj):
        return [obj]

    def gather(self, obj, root=0):
        return [obj]

    def allgatherv(self, arr):
        return np.array(arr, copy=True)

    def gatherv(self, arr, root=0):
        return np.array(arr, copy=True)

    def allreduce(self, x, op="sum"):
        return x

    def barrier(self):
        pass

    def abort(self, message):
        """Nothing to abort in one process: the caller re-raises."""


class MPINeighbourhood:
    """The spike exchange over MPI's neighbourhood collectives on a distributed-graph
    topology built from the routing tables (Create_dist_graph_adjacent): each tick one
    Neighbor_alltoall of the counts, then one Neighbor_alltoallv of the packets, with
    buffers allocated once (the receive buffer grows when a tick needs more)."""

    def __init__(self, MPI, comm, sources, dests):
        self._MPI = MPI
        self.sources, self.dests = tuple(sources), tuple(dests)
        self.graph = comm.Create_dist_graph_adjacent(list(sources), list(dests),
                                                     reorder=False)
        self.rcounts = np.zeros(len(sources), np.int64)
        self.sdispl = np.zeros(len(dests), np.int64)
        self.rdispl = np.zeros(len(sources), np.int64)
        self.recv = np.empty(1024, np.uint64)

    def exchange(self, send, counts):
        MPI = self._MPI
        counts = np.ascontiguousarray(counts, np.int64)
        self.graph.Neighbor_alltoall([counts, MPI.INT64_T], [self.rcounts, MPI.INT64_T])
        total = int(self.rcounts.sum())
        if total > self.recv.size:
            self.recv = np.empty(max(total, 2 * self.recv.size), np.uint64)
        if counts.size > 1:
            np.cumsum(counts[:-1], out=self.sdispl[1:])
        if self.rcounts.size > 1:
            np.cumsum(self.rcounts[:-1], out=self.rdispl[1:])
        self.graph.Neighbor_alltoallv([send, counts, self.sdispl, MPI.UINT64_T],
                                      [self.recv, self.rcounts, self.rdispl, MPI.UINT64_T])
        return self.recv[:total], self.rcounts.copy()

    def free(self):
        self.graph.Free()


class Channel:
    """MPI's point-to-point calls for compiled tick loops (spinn/kernels/exchange.py).

    numba-mpi finds the MPI library and its handle types; its own wrappers freeze library
    addresses into the compiled code, which numba then refuses to cache (about 5 s of
    compilation in every process, measured here), so the loop receives MPI_Isend, MPI_Irecv
    and MPI_Waitall as first-class functions instead, with the communicator (a duplicate of
    the job's, so no tag meets the script's messages) and the datatype as handle values.
    ``None`` from ``MPIComm.channel()`` when numba-mpi is missing: the tick loop then
    exchanges from Python."""

    def __init__(self, MPI, comm):
        from numba_mpi.common import RequestType, _MpiComm, _MpiDatatype, _MpiOp, libmpi

        def handle_types(ctype):   # an int handle (MPICH) or a pointer (Open MPI)
            return (types.int32, np.int32) if ctype is ctypes.c_int else (types.uint64,
                                                                          np.uint64)

        comm_t, comm_h = handle_types(_MpiComm)
        dtype_t, dtype_h = handle_types(_MpiDatatype)

        def function(name, signature):
            return CFunction(ctypes.cast(getattr(libmpi, name), ctypes.c_void_p).value,
                             signature)

        p2p = types.int32(types.uint64, types.int32, dtype_t, types.int32, types.int32, comm_t,
                          types.uint64)
        self.isend = function("MPI_Isend", p2p)
        self.irecv = function("MPI_Irecv", p2p)
        self.waitall = function("MPI_Waitall", types.int32(types.int32, types.uint64,
                                                           types.uint64))
        self.wtime = function("MPI_Wtime", types.float64())
        op_t, op_h = handle_types(_MpiOp)
        self.iallreduce = function("MPI_Iallreduce", types.int32(
            types.uint64, types.uint64, types.int32, dtype_t, op_t, comm_t, types.uint64))
        self.op_handle = _as(op_h, MPI._handleof(MPI.SUM))   # spinn.kernels.agree's
        self.comm = comm.Dup()
        self.comm_handle = _as(comm_h, MPI._handleof(self.comm))
        self.dtype_handle = _as(dtype_h, MPI._handleof(MPI.UINT64_T))
        self.request_dtype = RequestType
        self.status_words = 16          # int32 per MPI_Status: more than any MPI needs

    def functions(self):
        return (self.isend, self.irecv, self.waitall, self.wtime, self.comm_handle,
                self.dtype_handle, self.iallreduce, self.op_handle)


def _as(dtype, value):
    """A handle value as the C type (an int handle's bits, whatever its Python sign)."""
    if dtype is np.int32:
        return np.int32(np.uint32(value & 0xFFFFFFFF).view(np.int32))
    return np.uint64(value & 0xFFFFFFFFFFFFFFFF)


@numba.cfunc(types.int32(types.uint64, types.int32, types.int32, types.int32, types.int32,
                         types.int32, types.uint64), cache=True)
def _no_p2p(addr, count, dtype, peer, tag, comm, request):
    return 0


@numba.cfunc(types.int32(types.int32, types.uint64, types.uint64), cache=True)
def _no_waitall(n, requests, statuses):
    return 0


@numba.cfunc(types.int32(types.uint64, types.uint64, types.int32, types.int32, types.int32,
                         types.int32, types.uint64), cache=True)
def _no_iallreduce(send, recv, count, dtype, op, comm, request):
    return 0


class LocalChannel:
    """The channel of a single rank: point-to-point and reduction functions of the same
    types that are never called, and the monotonic clock."""

    request_dtype = np.int32
    status_words = 16

    def functions(self):
        return (by_address(_no_p2p), by_address(_no_p2p), by_address(_no_waitall),
                by_address(_local_clock), np.int32(0), np.int32(0), by_address(_no_iallreduce),
                np.int32(0))


class MPIComm:
    kind = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI

        self._MPI = MPI
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self._recv = np.empty(1024, np.uint64)
        self._channel = False
        self._host_cores = None

    def host_cores(self):
        """(ranks of the job on this host, CPUs any of them may run on): collective the first
        time — the ranks split by host name (MPI's processor name: MPI's shared-memory split
        took each rank for a host of its own under MPIR_CVAR_NOLOCAL=1) and the union of
        their CPU sets (a few numbers per rank of the host, not kept)."""
        if self._host_cores is None:
            name = self._MPI.Get_processor_name()
            mine = sorted(_cpus())
            local = self.comm.Split(zlib.crc32(name.encode()) & 0x7FFFFFFF, self.rank)
            same = [cpus for host, cpus in local.allgather((name, mine)) if host == name]
            local.Free()
            self._host_cores = (len(same), len(set().union(*same)))
        return self._host_cores

    def channel(self):
        """The Channel of compiled tick loops (created once, collectively), or None."""
        if self._channel is False:
            try:
                import numba_mpi.common  # noqa: F401
                ok = True
            except (ImportError, RuntimeError):
                ok = False
            self._channel = Channel(self._MPI, self.comm) if self.comm.allreduce(
                ok, op=self._MPI.LAND) else None
        return self._channel

    def alltoallv(self, send, counts):
        """Dense exchange with every rank (O(ranks) counts; the tick loop uses
        neighbourhood())."""
        MPI = self._MPI
        counts = np.ascontiguousarray(counts, np.int64)
        rcounts = np.empty(self.size, np.int64)
        self.comm.Alltoall([counts, MPI.INT64_T], [rcounts, MPI.INT64_T])
        total = int(rcounts.sum())
        if total > self._recv.size:
            self._recv = np.empty(max(total, 2 * self._recv.size), np.uint64)
        sdispl = np.zeros(self.size, np.int64)
        rdispl = np.zeros(self.size, np.int64)
        np.cumsum(counts[:-1], out=sdispl[1:])
        np.cumsum(rcounts[:-1], out=rdispl[1:])
        self.comm.Alltoallv([send, counts, sdispl, MPI.UINT64_T],
                            [self._recv, rcounts, rdispl, MPI.UINT64_T])
        return self._recv[:total], rcounts

    def neighbourhood(self, sources, dests):
        return MPINeighbourhood(self._MPI, self.comm, sources, dests)

    def bcast(self, obj, root=0):
        return self.comm.bcast(obj, root=root)

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def gather(self, obj, root=0):
        return self.comm.gather(obj, root=root)

    def allgatherv(self, arr):
        arr = np.ascontiguousarray(arr)
        counts = np.array(self.comm.allgather(arr.size), np.int64)
        out = np.empty(int(counts.sum()), arr.dtype)
        displ = np.concatenate([[0], np.cumsum(counts[:-1])]).astype(np.int64)
        mpi_type = self._MPI._typedict[arr.dtype.char]
        self.comm.Allgatherv([arr, mpi_type], [out, counts, displ, mpi_type])
        return out

    def gatherv(self, arr, root=0):
        """The ranks' arrays concatenated in rank order on root (None elsewhere); the counts
        array on root is the only thing sized by the rank count."""
        arr = np.ascontiguousarray(arr)
        counts = self.comm.gather(arr.size, root=root)
        mpi_type = self._MPI._typedict[arr.dtype.char]
        if self.rank == root:
            counts = np.array(counts, np.int64)
            out = np.empty(int(counts.sum()), arr.dtype)
            displ = np.concatenate([[0], np.cumsum(counts[:-1])]).astype(np.int64)
            self.comm.Gatherv([arr, mpi_type], [out, counts, displ, mpi_type], root=root)
            return out
        self.comm.Gatherv([arr, mpi_type], None, root=root)
        return None

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
        for hook in BEFORE_ABORT:        # e.g. tell the rank's watcher this is no crash
            try:
                hook()
            except Exception:  # noqa: BLE001 - aborting anyway
                pass
        sys.stderr.write(f"[spinn rank {self.rank}/{self.size}] aborting all ranks: "
                         f"{message}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.3)  # let the process manager forward this rank's output before the kill
        self.comm.Abort(1)
        os._exit(1)  # MPI_Abort may return before the process manager kills this rank


BEFORE_ABORT = []   # callables run by MPIComm.abort before MPI_Abort


class ThreadGroup:
    """Shared meeting point of the ThreadComm ranks of one run."""

    def __init__(self, size):
        self.size = size
        self.barrier = threading.Barrier(size)
        self.slots = [None] * size


class _ThreadNeighbourhood:
    def __init__(self, comm, sources, dests):
        self.comm, self.sources, self.dests = comm, tuple(sources), tuple(dests)

    def exchange(self, send, counts):
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        mine = {d: np.array(send[offsets[i]:offsets[i + 1]]) for i, d in enumerate(self.dests)}
        parts = self.comm._swap(mine)
        runs = []
        for src in self.sources:
            if self.comm.rank not in parts[src]:
                raise RuntimeError(f"rank {src} does not send to rank {self.comm.rank}")
            runs.append(parts[src][self.comm.rank])
        rcounts = np.array([r.size for r in runs], np.int64)
        recv = np.concatenate(runs) if runs else np.empty(0, np.uint64)
        return recv.astype(np.uint64), rcounts


class ThreadComm:
    kind = "threads"

    def __init__(self, group, rank):
        self.group, self.rank, self.size = group, rank, group.size

    def host_cores(self):
        return self.size, len(_cpus())            # threads of one process

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

    def neighbourhood(self, sources, dests):
        return _ThreadNeighbourhood(self, sources, dests)

    def bcast(self, obj, root=0):
        return self._swap(obj)[root]

    def allgather(self, obj):
        return self._swap(obj)

    def gather(self, obj, root=0):
        everything = self._swap(obj)
        return everything if self.rank == root else None

    def allgatherv(self, arr):
        return np.concatenate(self._swap(np.array(arr)))

    def gatherv(self, arr, root=0):
        everything = self._swap(np.array(arr))
        return np.concatenate(everything) if self.rank == root else None

    def allreduce(self, x, op="sum"):
        values = self._swap(x)
        return type(x)(_REDUCE[op](values)) if np.ndim(x) == 0 else _REDUCE[op](values, axis=0)

    def barrier(self):
        self._swap(None)

    def abort(self, message):
        self.group.barrier.abort()


class RehearsalError(RuntimeError):
    """Something tried to move data between ranks in a rehearsal (where no other rank runs)."""


class RehearsalComm:
    """Rank ``rank`` of a ``size``-rank job, played alone in this process (Arbor's dry-run
    context): every other rank is taken to be an identical copy of this one on the control
    plane (bcast returns this rank's object, allreduce "min"/"max" its value and "sum" size
    times it, allgather size copies), and the data plane is refused — a rehearsal maps and
    builds, it never runs."""

    kind = "rehearsal"

    def __init__(self, size, rank, rate_hz=5.0):
        if not (isinstance(size, int) and size >= 1 and isinstance(rank, int)
                and 0 <= rank < size):
            raise ValueError(f"rehearsal: rank {rank} of {size} ranks; need an integer "
                             f"0 ≤ rank < size")
        self.size, self.rank = size, rank
        self.rate_hz = float(rate_hz)     # the rate the rank report's traffic assumes

    def _refuse(self, what):
        raise RehearsalError(f"{what} moves data between ranks: not available in a rehearsal "
                             f"of rank {self.rank} of {self.size} (only mapping and build are "
                             f"rehearsed)")

    def alltoallv(self, send, counts):
        self._refuse("alltoallv")

    def neighbourhood(self, sources, dests):
        return _RehearsalNeighbourhood(self, sources, dests)

    def bcast(self, obj, root=0):
        return obj

    def allgather(self, obj):
        return [obj] * self.size

    def gather(self, obj, root=0):
        return [obj] * self.size if self.rank == root else None

    def allgatherv(self, arr):
        self._refuse("allgatherv")

    def gatherv(self, arr, root=0):
        self._refuse("gatherv")

    def allreduce(self, x, op="sum"):
        return x * self.size if op == "sum" else x

    def barrier(self):
        pass

    def abort(self, message):
        """Nothing to abort: the caller re-raises."""


class _RehearsalNeighbourhood:
    def __init__(self, comm, sources, dests):
        self.comm, self.sources, self.dests = comm, tuple(sources), tuple(dests)

    def exchange(self, send, counts):
        self.comm._refuse("the spike exchange")


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


class use_world:
    """``with use_world(comm):`` — world() returns comm inside the block (a rehearsal's
    stand-in communicator), and whatever it returned before afterwards."""

    def __init__(self, comm):
        self.comm = comm

    def __enter__(self):
        global _WORLD
        self.previous, _WORLD = _WORLD, self.comm
        return self.comm

    def __exit__(self, *exc):
        global _WORLD
        _WORLD = self.previous


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
        MPI = None
    size = MPI.COMM_WORLD.Get_size() if MPI is not None else 1
    if size == 1:
        check_launch(os.environ, MPI is not None)
    if MPI is None:
        _WORLD = LocalComm()
        return _WORLD
    if size == 1:
        _WORLD = LocalComm()
    else:
        _WORLD = MPIComm(MPI.COMM_WORLD)
        _install_abort_hook(_WORLD)
    return _WORLD


# (variable, launcher) that say a process was started as one of N tasks
LAUNCH_VARIABLES = (("SLURM_STEP_NUM_TASKS", "srun"), ("PMI_SIZE", "an MPICH/PMI mpiexec"),
                    ("OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun"),
                    ("PMIX_SIZE", "a PMIx launcher"), ("MPI_LOCALNRANKS", "an mpiexec"))


def check_launch(environ, have_mpi4py=True):
    """A process that its launcher started as one of N > 1 tasks but whose MPI sees one
    process would run N independent copies of the simulation into the same files: refuse,
    naming the fix (the duplicate-run trap of ``srun python ...`` with the mpich wheel)."""
    if environ.get("SPINN_ALLOW_COPIES"):
        return
    for var, launcher in LAUNCH_VARIABLES:
        try:
            n = int(environ.get(var, "1"))
        except ValueError:
            continue
        if var == "SLURM_STEP_NUM_TASKS" and "SLURM_PROCID" not in environ:
            continue      # the batch script itself, not a task of a step
        if n > 1:
            why = ("mpi4py is not installed" if not have_mpi4py else
                   "mpi4py's MPI library does not speak this launcher's process-management "
                   "interface")
            raise SimulationError(
                f"this process was started by {launcher} as one of {n} tasks ({var}={n}) "
                f"but MPI sees a single process ({why}): it would run {n} independent copies "
                f"of the simulation. With Slurm and the mpich wheel launch with "
                f"'srun --mpi=pmi2 ...' or with the wheel's own mpiexec inside the "
                f"allocation ('mpiexec -n $SLURM_NTASKS ...'); on a cluster with its own MPI "
                f"install mpi4py against it (pip install --no-binary mpi4py mpi4py) — see "
                f"cluster/README.md. Set SPINN_ALLOW_COPIES=1 to run the copies anyway.")


def mpi_library():
    """The MPI library's own version line (MPI_Get_library_version), None without MPI."""
    if not isinstance(_WORLD, MPIComm):
        return None
    from mpi4py import MPI

    return MPI.Get_library_version().strip().splitlines()[0]


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
