"""Per-population and per-projection figures for provenance.json, and who ran the job.

Collective (call on every rank, as write_results does): each rank computes from what it
holds and a few allreduces of one number per population or projection combine them —
nothing is gathered.  Every field is documented in docs/provenance.md.
"""

import getpass
import os
import platform
import socket
import subprocess
import sys

import numpy as np

DELAY_DECODE_LIMIT = 20_000_000   # synapses of a projection whose delays are read back


def population_table(state):
    """One dict per population: what it is, where it ran and what it did over the runs
    since the last reset (spikes and rates from the engine's own counters, every
    population; ISI CV from the recorded spikes, recorded populations only)."""
    net, plan, comm = state.network, state.plan, state.comm
    runs = state.runs[state.segment_run:]
    n = len(net.populations)
    spikes = np.zeros(n, np.int64)
    seconds = np.zeros(n)
    for run in runs:
        spikes += np.asarray(run["totals"]["populations"]["spikes"], np.int64)
        seconds += np.asarray(run["totals"]["populations"]["update_seconds"])
    sim_s = sum(run["totals"]["simulated_ms"] for run in runs) / 1000.0
    cv_sum, cv_n = np.zeros(n), np.zeros(n)
    for pop in net.populations:
        if "spikes" in pop.recording:
            stats = ISIStats(pop.size)            # streamed: the spool is in step order
            for _, rec in state.spool.spike_chunks(pop.index):
                stats.add(rec["step"], rec["id"])
            cv_sum[pop.index], cv_n[pop.index] = stats.parts()
    both = np.concatenate([cv_sum, cv_n])
    if comm.size > 1:
        both = comm.allreduce(both, "sum")
    cv_sum, cv_n = both[:n], both[n:]
    table = []
    for pop in net.populations:
        first, last = plan.pop_first_core[pop.index], plan.pop_first_core[pop.index + 1]
        ranks = np.unique(plan.core_rank[first:last])
        recorded = "spikes" in pop.recording
        table.append({
            "label": pop.label, "cell_type": pop.celltype.name, "neurons": int(pop.size),
            "cores": int(last - first), "ranks": int(ranks.size),
            "first_rank": int(ranks[0]) if ranks.size else None,
            "spikes": int(spikes[pop.index]),
            "rate_hz": float(spikes[pop.index] / (pop.size * sim_s)) if sim_s else 0.0,
            "isi_cv": float(cv_sum[pop.index] / cv_n[pop.index])
            if recorded and cv_n[pop.index] else None,
            "recorded": sorted(pop.recording),
            "spikes_recorded_from": _recorded_ids(pop),
            "update_seconds": float(seconds[pop.index]),
        })
    return table


RECORDED_IDS_LISTED = 10_000


def _recorded_ids(pop):
    """"all", the recorded neurons' indices (up to RECORDED_IDS_LISTED of them), their
    number beyond that, or None when spikes are not recorded."""
    if "spikes" not in pop.recording:
        return None
    ids = pop.recording["spikes"][0]
    if ids is None:
        return "all"
    return [int(i) for i in ids] if ids.size <= RECORDED_IDS_LISTED else int(ids.size)


class ISIStats:
    """Per-neuron ISI sums fed chunk by chunk, in time order (memory: 4 numbers per neuron
    of the population, whatever the number of spikes); ``parts()`` as isi_cv_parts."""

    def __init__(self, size):
        self.last = np.full(size, -np.inf)
        self.n = np.zeros(size, np.int64)
        self.s1 = np.zeros(size)
        self.s2 = np.zeros(size)

    def add(self, steps, ids):
        if not ids.size:
            return
        order = np.lexsort((steps, ids))
        t, i = steps[order].astype(np.float64), ids[order].astype(np.int64)
        first = np.ones(i.size, bool)
        first[1:] = i[1:] != i[:-1]
        prev = np.empty_like(t)
        prev[1:] = t[:-1]
        prev[first] = self.last[i[first]]
        ok = np.isfinite(prev)
        isi, owner = t[ok] - prev[ok], i[ok]
        self.n += np.bincount(owner, minlength=self.n.size)
        self.s1 += np.bincount(owner, isi, minlength=self.n.size)
        self.s2 += np.bincount(owner, isi * isi, minlength=self.n.size)
        final = np.ones(i.size, bool)
        final[:-1] = i[1:] != i[:-1]
        self.last[i[final]] = t[final]

    def parts(self):
        ok = self.n >= 2
        mean = self.s1[ok] / self.n[ok]
        var = np.maximum(self.s2[ok] / self.n[ok] - mean * mean, 0.0)
        good = mean > 0
        return float(np.sum(np.sqrt(var[good]) / mean[good])), int(good.sum())


def isi_cv_parts(steps, ids):
    """(sum of the ISI coefficients of variation, number of neurons) over the neurons with
    at least 3 spikes — combined over ranks by summing (each neuron lives on one rank)."""
    if ids.size < 3:
        return 0.0, 0
    order = np.lexsort((steps, ids))
    t, i = steps[order].astype(np.float64), ids[order]
    same = i[1:] == i[:-1]
    isi, owner = np.diff(t)[same], i[1:][same]
    if isi.size == 0:
        return 0.0, 0
    _, inv, counts = np.unique(owner, return_inverse=True, return_counts=True)
    mean = np.bincount(inv, isi) / counts
    var = np.maximum(np.bincount(inv, isi * isi) / counts - mean * mean, 0.0)
    ok = (counts >= 2) & (mean > 0)
    return float(np.sum(np.sqrt(var[ok]) / mean[ok])), int(ok.sum())


def projection_table(state, populations):
    """One dict per projection: its synapses, their bytes, the delay range and the synaptic
    events it delivered (estimated from its presynaptic population's spikes)."""
    net, comm, engine = state.network, state.comm, state.engine
    sizes = state.results.projection_sizes
    direct = engine.direct_counts
    n = len(net.projections)
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    decoded = np.zeros(n, bool)
    for proj in net.projections:
        fixed = _constant_delay(proj, net.dt)
        if fixed is not None:
            lo[proj.index] = hi[proj.index] = fixed
        elif sizes[proj.index] <= DELAY_DECODE_LIMIT:      # the same choice on every rank
            decoded[proj.index] = True
            d = state.synapse_reader.local(proj)[3]
            if d.size:
                lo[proj.index], hi[proj.index] = float(d.min()), float(d.max())
        elif _declared_delay_range(proj, net.dt) is not None:
            lo[proj.index], hi[proj.index] = _declared_delay_range(proj, net.dt)
    direct_any = direct > 0
    if comm.size > 1:
        lo = comm.allreduce(lo, "min")
        hi = comm.allreduce(hi, "max")
        direct_any = comm.allreduce(direct.astype(np.int64), "sum") > 0
    by_label = {p["label"]: p for p in populations}
    table = []
    for proj in net.projections:
        k, syn = proj.index, int(sizes[proj.index])
        pre = by_label[proj.pre.parent.label]
        per_synapse = 0 if direct_any[k] else (12 if proj.plastic else 8)
        table.append({
            "label": proj.label, "pre": proj.pre.parent.label, "post": proj.post.parent.label,
            "pre_size": int(proj.pre.size), "post_size": int(proj.post.size),
            "connector": type(proj.connector).__name__,
            "synapse_type": type(proj.synapse).__name__, "receptor_type": proj.receptor_type,
            "plastic": bool(proj.plastic), "direct_input": bool(direct_any[k]),
            "synapses": syn, "synapse_bytes": syn * per_synapse,
            "delay_ms": [float(lo[k]), float(hi[k])] if np.isfinite(lo[k]) else None,
            "delay_range_from": "declared" if not decoded[k] else "synapses",
            "synaptic_events_estimated": float(
                pre["spikes"] * syn / max(proj.pre.parent.size, 1)),
        })
    return table


def _constant_delay(proj, dt):
    """The delay on the step grid (ms) when the projection declares one constant delay."""
    from spinn.kernels.grid import delay_steps_array

    d = getattr(proj.synapse, "delay", None)
    if d is None:
        return dt
    if isinstance(d, (int, float, np.integer, np.floating)):
        return float(delay_steps_array([float(d)], dt)[0] * dt)
    return None


def _declared_delay_range(proj, dt):
    """[low, high] on the step grid of a bounded delay distribution (uniform, clipped
    normal), or None."""
    from spinn.kernels.grid import delay_steps_array

    d = getattr(proj.synapse, "delay", None)
    params = getattr(d, "parameters", None) or {}
    if "low" in params and "high" in params:
        lo, hi = delay_steps_array([max(params["low"], dt), params["high"]], dt) * dt
        return float(lo), float(hi)
    return None


def job_facts(state):
    """Who ran what, where (rank 0's view; hosts come from the per-rank provenance)."""
    comm = state.comm
    facts = {
        "spinn_version": _version("spinn"), "spinn_commit": _commit(),
        "command": [sys.executable] + sys.argv, "cwd": os.getcwd(),
        "user": _user(), "host": socket.gethostname(), "platform": platform.platform(),
        "python": platform.python_version(), "numpy": np.__version__,
        "numba": _version("numba"), "mpi_library": _mpi_library(comm),
        "ranks": comm.size, "seed": state.network.seed, "dt_ms": state.network.dt,
    }
    return facts


def _commit():
    """The git commit of spinn's source tree ('+dirty' with uncommitted changes), or None
    when spinn is not installed from a checkout."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        sha = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--", "spinn"],
                               capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _mpi_library(comm):
    from spinn.runtime.comm import mpi_library

    return mpi_library() if comm.kind == "mpi" else None


def _version(name):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _user():
    try:
        return getpass.getuser()
    except Exception:           # no passwd entry (containers)
        return None
