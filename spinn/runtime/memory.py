"""Memory foreseen: before a rank allocates its synapses, an estimate of what its build will
need (from the plan: the synapses expected onto its cores, its neurons, the row index of the
cores that reach it) against what the machine has left for it; a build that cannot fit is
refused on every rank with the figures and the number of ranks that would fit, instead of
growing until the kernel's OOM killer ends the job.

The estimate (bytes) of one rank:

    now              the process's resident memory before the build (interpreter, numba, the
                     description)
    synapses         expected synapses onto its cores × (8 static, 12 plastic) × 1.05
                     (rows are exact; the expectation of a random connector is not)
    row index        4 per source neuron per delay stage of the cores that reach it
    neurons          per neuron: state and constants (~24 float64), ring slots × channels
    build peak       the largest core's synapses generated at once (~48 per synapse), and
                     the staging of short rows beyond the row index (spinn/runtime/rows.py:
                     up to 2 per synapse while the rows are sorted)
    recording        the recording buffer (setup(record_buffer_mb=))

Available: MemAvailable of /proc/meminfo, or the cgroup's limit when lower (Slurm's
--mem), shared evenly by the ranks of the node.  $SPINN_MEMORY_CHECK=0 turns it off.
"""

import contextlib
import math
import mmap
import os

import numpy as np

GIB = float(1 << 30)
SAFETY = 1.05
BUILD_BYTES_PER_SYNAPSE = 48.0
NEURON_FLOATS = 24


def resident_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def available_bytes():
    """Memory this node can still give (MemAvailable, or the cgroup's room when lower)."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
    except OSError:
        pass
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit) as f:
                text = f.read().strip()
            if text == "max":
                continue
            with open(used) as f:
                room = int(text) - int(f.read().strip())
            avail = room if avail is None else min(avail, room)
        except (OSError, ValueError):
            continue
    return avail


def ranks_on_node():
    """How many ranks share this node (the launchers' variables; 1 when unknown)."""
    for name in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE",
                 "PALS_LOCAL_SIZE"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def estimate(network, plan, record_buffer_mb):
    """{"total", parts…} bytes this rank's build and run are expected to hold."""
    from spinn.runtime.rows import staging_bytes  # rows.py allocates through this module

    local = plan.local_cores()
    lo, hi = plan.core_bounds(local)
    n_local = int((hi - lo).sum())
    plastic = any(p.plastic for p in network.projections)
    synapses = float(plan.expected_local_synapses) * (12.0 if plastic else 8.0) * SAFETY
    if plan.incoming.size:
        ilo, ihi = plan.core_bounds(plan.incoming)
        rows = float((ihi - ilo).sum()) * plan.n_stages * 4.0
    else:
        rows = 0.0
    neurons = n_local * 8.0 * (NEURON_FLOATS + plan.n_slots * 3)
    per_core = float(plan.expected_local_synapses) / max(local.size, 1)
    build = per_core * BUILD_BYTES_PER_SYNAPSE + staging_bytes(plan.expected_local_synapses,
                                                               rows / 4.0)
    parts = {"now": float(resident_bytes()), "synapses": synapses, "row_index": rows,
             "neurons": neurons, "build_peak": build,
             # two buffers: a real-time run fills one while a thread writes the other
             "recording": 2.0 * float(record_buffer_mb) * (1 << 20)}
    parts["total"] = sum(parts.values())
    return parts


def check(network, plan, comm, record_buffer_mb):
    """Collective: every rank raises the same ConfigurationError when any rank's estimate
    exceeds what it has; returns this rank's estimate (bytes) otherwise."""
    from spinn.errors import ConfigurationError

    parts = estimate(network, plan, record_buffer_mb)
    if os.environ.get("SPINN_MEMORY_CHECK", "1") == "0" or comm.kind == "rehearsal":
        return parts
    avail = available_bytes()
    room = (avail / ranks_on_node() + parts["now"]) if avail is not None else math.inf
    short = parts["total"] - room
    mine = np.array([short, parts["total"]], np.float64)
    worst = comm.allreduce(mine, "max") if comm.size > 1 else mine
    if worst[0] <= 0:
        return parts
    # the first rank that is short, and its figures (two small allreduces)
    bad = comm.allreduce(np.array([comm.rank if short > 0 else comm.size], np.int64),
                         "min")[0] if comm.size > 1 else 0
    fig = np.array([parts["total"], room, parts["synapses"]]) if comm.rank == bad \
        else np.zeros(3)
    fig = comm.allreduce(fig, "sum") if comm.size > 1 else fig
    # what shrinks with more ranks (synapses, neurons, row index, build peak) against the
    # room left beside what does not (the interpreter, the recording buffer)
    fixed = parts["now"] + float(record_buffer_mb) * (1 << 20)
    k = max(comm.size + 1, int(math.ceil(comm.size * (fig[0] - fixed) /
                                         max(fig[1] - fixed, 1.0))))
    raise ConfigurationError(
        f"build: needs ≈ {fig[0] / GIB:.1f} GiB on rank {bad} ({fig[2] / GIB:.1f} GiB of it "
        f"synapses: {plan.expected_synapses:,.0f} expected in the network), "
        f"{fig[1] / GIB:.1f} GiB available to it; use ≥ {k} ranks with as much each (or fewer "
        f"synapses); SPINN_MEMORY_CHECK=0 skips this check")


@contextlib.contextmanager
def small_pages():
    """numpy allocations in this block without its transparent-huge-page advice.

    numpy asks Linux for 2 MiB pages (madvise MADV_HUGEPAGE) on every array of 4 MiB or
    more; with the kernel's THP defrag set to "madvise" (the common default) each first
    touch of such a page then waits for the kernel to find — compact — and zero 2 MiB.
    Measured on this project's machine (a Firecracker VM; benchmarks/hugepages.py): first
    touch of a 200 MB array 2.2–3.1 s with the advice (once 0.10 s), 0.15 s without, while
    a random scatter into a touched 50 MB array took 0.13 s with huge pages, 0.20 s
    without.  The synaptic build writes each synapse and row pointer once, at random: there
    the faults dominate (Brunel scale 1 on 1 rank builds in 0.80 s instead of 2.32 s).  Outside
    numpy ≥ 1.20 on Linux this does nothing; $SPINN_HUGEPAGE_BUILD=1 keeps numpy's advice
    (a machine whose huge pages fault cheaply; the benchmark's comparison)."""
    if os.environ.get("SPINN_HUGEPAGE_BUILD") == "1":
        yield
        return
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None) or \
        getattr(getattr(np, "core", None), "multiarray", None)
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)


class Releasable:
    """A numpy array in an anonymous private mapping of its own whose pages are given back to
    the kernel, front to back, while the array is still in use (madvise MADV_DONTNEED: a
    released page reads as zeros if touched again).  The build's staging array (the rows of
    sparse synapses, spinn/runtime/rows.py) is consumed in order while the row index it
    becomes is written: releasing one as the other grows keeps the peak at the larger of
    the two instead of their sum."""

    def __init__(self, n, dtype):
        dtype = np.dtype(dtype)
        self._map = mmap.mmap(-1, max(int(n) * dtype.itemsize, 1),
                              flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.array = np.frombuffer(self._map, dtype, count=int(n))
        self._released = 0          # bytes given back, a multiple of the page size

    def release(self, upto):
        """Give back the whole pages before element ``upto``."""
        end = (int(upto) * self.array.itemsize) // mmap.PAGESIZE * mmap.PAGESIZE
        if end > self._released and hasattr(self._map, "madvise"):
            self._map.madvise(mmap.MADV_DONTNEED, self._released, end - self._released)
            self._released = end
