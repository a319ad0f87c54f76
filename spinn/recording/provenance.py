"""Provenance: what each rank did, counted during the run, reported after every run.

Every field of provenance.json is documented in docs/provenance.md (a test checks that none
is missing)."""

import json
import logging
import os
import resource
import socket
import warnings

import numpy as np

from spinn.errors import RunWarning
from spinn.runtime.simulator import PHASES

log = logging.getLogger("spinn")
log.addHandler(logging.NullHandler())     # a library: the application decides where logs go

# SpiNNaker's and NEST's published energy per synaptic event on the cortical microcircuit
# (Potjans & Diesmann 2014), full scale, the figures the run's estimate is printed beside
PUBLISHED_UJ_PER_EVENT = {
    "SpiNNaker-1": (0.6, "Rhodes et al. 2020, Phil. Trans. R. Soc. A 378: 20190160"),
    "NEST": (0.33, "Kurth et al. 2022, Neuromorph. Comput. Eng. 2: 021001"),
}
# watts per busy core when no energy counter can be read: a server core under load is
# ~4-7 W of package power (AMD EPYC 7763: 280 W / 64 cores = 4.4 W; Intel Xeon Platinum
# 8380: 270 W / 40 = 6.8 W); memory, network and the rest of the node are not in it
DEFAULT_CORE_WATTS = 5.0
RAPL_DIR = "/sys/class/powercap"


def shared_mb():
    """MB of this process's resident pages that it shares with other processes, counted
    once per process in RSS but once per job in physical memory: RSS − PSS (Linux
    /proc/self/smaps_rollup; 0 elsewhere).  Mostly the libraries every rank maps — numba's
    LLVM alone is about 100 MB."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return (int(fields["Rss"].split()[0]) - int(fields["Pss"].split()[0])) / 1024.0
    except (OSError, KeyError, ValueError):
        return 0.0


def rank_provenance(sim, recorder, wall_seconds, steps, warm=None):
    """Plain dict of one rank's counters for the run that just ended (cumulative); warm:
    {"warmup_seconds", "compile_seconds", "compile_in_run_seconds"} of this run."""
    warm = warm or {}
    local = sim.plan.local_cores()
    static = sim.static
    plastic = [m for pp in sim.plastic for m in pp.matrices]
    n_static = sum(x.n_synapses for x in static)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    static_bytes = sum(x.nbytes for x in static)
    return {
        "rank": sim.comm.rank,
        "host": socket.gethostname(),
        "cores": int(local.size),
        "neurons": int(sim.n_local),
        "synapses": n_static + sum(x.n_synapses for x in plastic) + int(sim.direct_counts.sum()),
        "direct_input_synapses": int(sim.direct_counts.sum()),
        "plastic_synapses": sum(x.n_synapses for x in plastic),
        "plastic_synapse_bytes": sum(x.nbytes for x in plastic),
        "synapse_bytes": static_bytes,
        "bytes_per_synapse": static_bytes / n_static if n_static else 0.0,  # stored rows
        "synapse_index_bytes": sum(x.index_nbytes for x in sim.matrices),
        "delayed_packets_in_flight": int(sim.delays.in_flight),
        "ring_buffer_bytes": int(sim.ring.nbytes),
        "routing_entries_before": int(sim.plan.entries_before),
        "routing_entries_after": len(sim.plan.table),
        **{k: int(v) for k, v in sim.counters.items()},
        "spikes_recorded": int(recorder.spikes_recorded),
        "worst_lateness_ms": float(sim.lateness.worst_ms),
        **{f"overruns_{k}": v for k, v in sim.lateness.counts().items() if k != "stall"},
        "seconds": {k: float(sim.timers[k]) for k in PHASES},
        "build_seconds": float(sim.build_seconds),
        "run_wall_seconds": float(wall_seconds),
        "cpu_seconds": float(warm.get("cpu_seconds", 0.0)),
        "rapl_joules": float(warm.get("rapl_joules", 0.0)),
        "warmup_seconds": float(warm.get("warmup_seconds", 0.0)),
        "compile_seconds": float(warm.get("compile_seconds", 0.0)
                                 + warm.get("compile_in_run_seconds", 0.0)),
        "compile_in_run_seconds": float(warm.get("compile_in_run_seconds", 0.0)),
        "warmup_compile_seconds": float(warm.get("warmup_compile_seconds", 0.0)),
        # the run's wall time less any compilation inside it: what the RTF is made of
        "run_seconds": float(wall_seconds - warm.get("compile_in_run_seconds", 0.0)),
        "simulated_ms": steps * sim.plan.dt,
        "peak_rss_mb": peak_rss,
        # the peak less the pages shared with the other ranks (measured now; the libraries
        # mapped at the peak are still mapped): this rank's share of the job's physical peak
        "peak_pss_mb": peak_rss - shared_mb(),
    }


SUM_KEYS = ("neurons", "synapses", "synapse_bytes", "synapse_index_bytes", "spikes_emitted",
            "spikes_recorded", "packets_sent", "packets_sent_remote", "packets_received",
            "synaptic_events", "unrouted_packets", "population_table_misses", "overruns",
            "plastic_synapses", "direct_input_synapses", "plastic_synapse_bytes",
            "stdp_history_overflows", "routing_entries_before", "routing_entries_after",
            "cores", "direct_input_events")
MAX_KEYS = ("run_wall_seconds", "build_seconds", "worst_lateness_ms", "peak_rss_mb",
            "run_seconds", "warmup_seconds", "compile_seconds", "compile_in_run_seconds")


FLOAT_SUM_KEYS = ("cpu_seconds", "rapl_joules")


def totals(per_rank):
    """Whole-job figures from the per-rank dicts of one run."""
    sums = {k: sum(p[k] for p in per_rank) for k in SUM_KEYS}
    fsums = {k: float(sum(p.get(k, 0.0) for p in per_rank)) for k in FLOAT_SUM_KEYS}
    maxima = {k: max(p.get(k, 0.0) for p in per_rank) for k in MAX_KEYS}
    phases = {k: max(p["seconds"][k] for p in per_rank) for k in PHASES}
    return _totals(sums, fsums, maxima, phases, per_rank[0]["simulated_ms"], len(per_rank))


def job_totals(comm, mine):
    """The same figures as totals(), from this rank's dict alone: one allreduce of the sums
    and one of the maxima (nothing gathered, every rank gets them)."""
    sums = comm.allreduce(np.array([mine[k] for k in SUM_KEYS + FLOAT_SUM_KEYS],
                                   np.float64), "sum")
    maxima = comm.allreduce(np.array([mine[k] for k in MAX_KEYS]
                                     + [mine["seconds"][k] for k in PHASES], np.float64), "max")
    return _totals({k: int(v) for k, v in zip(SUM_KEYS, sums)},
                   {k: float(v) for k, v in zip(FLOAT_SUM_KEYS, sums[len(SUM_KEYS):])},
                   dict(zip(MAX_KEYS, maxima[:len(MAX_KEYS)].tolist())),
                   dict(zip(PHASES, maxima[len(MAX_KEYS):].tolist())), mine["simulated_ms"],
                   comm.size)


def _totals(t, fsums, maxima, phases, sim_ms, ranks):
    wall = maxima["run_seconds"]
    stored = t["synapses"] - t["plastic_synapses"] - t["direct_input_synapses"]
    t.update(
        ranks=ranks, simulated_ms=sim_ms, wall_seconds=wall,
        run_wall_seconds=maxima["run_wall_seconds"],
        warmup_seconds=maxima["warmup_seconds"], compile_seconds=maxima["compile_seconds"],
        compile_in_run_seconds=maxima["compile_in_run_seconds"],
        build_seconds=maxima["build_seconds"],
        real_time_factor=wall / (sim_ms / 1000.0) if sim_ms else 0.0,
        events_per_second=t["synaptic_events"] / wall if wall else 0.0,
        worst_lateness_ms=maxima["worst_lateness_ms"],
        peak_rss_mb_max=maxima["peak_rss_mb"],
        bytes_per_synapse=t["synapse_bytes"] / stored if stored else 0.0,
        seconds_max=phases,
        cpu_seconds=fsums["cpu_seconds"],
        energy=energy_estimate(fsums["cpu_seconds"], fsums["rapl_joules"],
                               t["synaptic_events"],
                               t["synaptic_events"] - t["direct_input_events"]),
    )
    return t


def core_watts():
    """Watts per busy core of the estimate without energy counters: $SPINN_CORE_WATTS, else
    DEFAULT_CORE_WATTS."""
    try:
        return float(os.environ.get("SPINN_CORE_WATTS", DEFAULT_CORE_WATTS))
    except ValueError:
        return DEFAULT_CORE_WATTS


def rapl_microjoules():
    """Cumulative package energy (µJ) summed over the CPU packages, from Linux's RAPL
    counters (/sys/class/powercap/intel-rapl:N, also on AMD), or None when none is
    readable (most containers and VMs)."""
    base = os.environ.get("SPINN_RAPL_DIR", RAPL_DIR)
    try:
        zones = [z for z in os.listdir(base) if z.count(":") == 1 and "rapl" in z]
    except OSError:
        return None
    total, found = 0, False
    for z in zones:
        try:
            with open(os.path.join(base, z, "energy_uj")) as f:
                total += int(f.read())
            found = True
        except (OSError, ValueError):
            continue
    return total if found else None


def rapl_delta_joules(before, after, share):
    """Package energy between two readings (µJ), times this rank's share of the package's
    CPU time; 0 when the counters are unreadable (or wrapped)."""
    if before is None or after is None or after < before:
        return 0.0
    return (after - before) * 1e-6 * share


def energy_estimate(cpu_seconds, rapl_joules, events, recurrent_events=None):
    """The run's energy and energy per synaptic event — an estimate: RAPL's package energy
    (this job's share of it) where the kernel exposes it, else CPU seconds × watts per core.
    Beside it, the published figures on the cortical microcircuit."""
    if rapl_joules > 0:
        joules, method = rapl_joules, "RAPL package energy, this job's share of CPU time"
        watts = None
    else:
        watts = core_watts()
        joules, method = cpu_seconds * watts, "CPU seconds x watts per core"
    return {"estimate": True, "method": method, "watts_per_core": watts,
            "joules": joules, "cpu_seconds": cpu_seconds,
            "uJ_per_synaptic_event": joules / events * 1e6 if events else None,
            # without the events of direct input (Poisson sources one-to-one onto neurons)
            "uJ_per_recurrent_synaptic_event": joules / recurrent_events * 1e6
            if recurrent_events else None,
            "published_uJ_per_synaptic_event": {
                k: {"uJ": v, "source": src} for k, (v, src) in PUBLISHED_UJ_PER_EVENT.items()}}


def energy_line(t):
    e = t.get("energy")
    if not e or e["uJ_per_synaptic_event"] is None:
        return None
    how = f"{e['cpu_seconds']:.1f} CPU s x {e['watts_per_core']:g} W/core" \
        if e["watts_per_core"] is not None else "RAPL"
    peers = ", ".join(f"{k} {v['uJ']:g} µJ" for k, v in
                      e["published_uJ_per_synaptic_event"].items())
    recurrent = e.get("uJ_per_recurrent_synaptic_event")
    rec = f", {recurrent:.3f} µJ without direct input" \
        if recurrent is not None and recurrent != e["uJ_per_synaptic_event"] else ""
    return (f"  energy (estimate, {how}): {e['joules']:.1f} J, "
            f"{e['uJ_per_synaptic_event']:.3f} µJ per synaptic event{rec} (published on "
            f"the cortical microcircuit: {peers})")


def warn_about(t):
    """What a run's totals say the user should act on: through warnings (rank 0) and the
    'spinn' logger, each with its meaning and its fix."""
    found = []
    if t["overruns"]:
        found.append(
            f"{t['overruns']} ticks late on some rank (worst {t['worst_lateness_ms']:.2f} ms "
            f"late"
            + (f"; {t['overruns_overworked']} of them had more work of their own than the "
               f"tick" if t.get("overruns_overworked") else "")
            + (f", {t['overruns_behind']} started behind after a late one"
               if t.get("overruns_behind") else "")
            + (f", {t['overruns_between_calls']} started behind by the time between compiled "
               f"calls" if t.get("overruns_between_calls") else "")
            + "): the run fell behind the wall clock"
            + (f"; time_scale_factor={t['time_scale_factor_needed']:.2f} would have held"
               if t.get("time_scale_factor_needed") else "")
            + ". Use more ranks, a larger time_scale_factor in setup(), or a smaller "
            "network; check that nothing else loads the machine")
    if t["stdp_history_overflows"]:
        found.append(
            f"{t['stdp_history_overflows']} STDP post-spike history overflows: a neuron fired "
            f"more often within one maximum delay than its history holds, so some pairings "
            f"were missed. Lower the postsynaptic rates or the delays of plastic projections")
    unexplained = t["unrouted_packets"] - t.get("unrouted_without_targets", 0)
    if unexplained > 0:
        found.append(
            f"{unexplained:,} packets had no route although their population has outgoing "
            f"projections: those neurons' spikes reached no synapse. Expected when a "
            f"projection starts from a view or a connector leaves some neurons without "
            f"targets; otherwise a mapping bug to report with the plan (plan.msgpack)")
    for text in found:
        log.warning(text)
        warnings.warn(text, RunWarning, stacklevel=3)
    return found


def summary(t):
    """Printable lines of the job totals (totals() or job_totals())."""
    phase = ", ".join(f"{k} {v:.2f}" for k, v in t["seconds_max"].items())
    lines = [
        f"run: {t['simulated_ms']:g} ms on {t['ranks']} rank(s) in {t['wall_seconds']:.2f} s "
        f"(real-time factor {t['real_time_factor']:.2f}); build {t['build_seconds']:.2f} s"
        + _compile_note(t),
        f"  spikes {t['spikes_emitted']:,} emitted, {t['spikes_recorded']:,} recorded; "
        f"packets {t['packets_sent']:,} sent ({t['packets_sent_remote']:,} to other ranks); "
        f"synaptic events {t['synaptic_events']:,} ({t['events_per_second'] / 1e6:.1f} M/s)",
        f"  synapses {t['synapses']:,} in {t['synapse_bytes'] / 2**20:.1f} MiB "
        f"({t['bytes_per_synapse']:.2f} B/synapse, row index "
        f"{t['synapse_index_bytes'] / 2**20:.1f} MiB); routing entries "
        f"{t['routing_entries_before']} → {t['routing_entries_after']}; peak RSS "
        f"{t['peak_rss_mb_max']:.0f} MB/rank",
        f"  slowest rank's seconds: {phase}",
    ]
    if t["overruns"]:
        lines.append(f"  WARNING: {t['overruns']} ticks late (worst {t['worst_lateness_ms']:.2f}"
                     f" ms late; {t.get('overruns_overworked', 0)} with more work of their "
                     f"own than the tick, {t.get('overruns_behind', 0)} carried, "
                     f"{t.get('overruns_between_calls', 0)} between calls): the run fell "
                     f"behind real time")
        w = t.get("worst_late_tick")
        if w:
            who = f", population '{w['slowest_population']}' " \
                  f"{w['slowest_population_update_ms']:.2f} ms" \
                if "slowest_population" in w else ""
            lines.append(
                f"  latest tick: t = {w['t_ms']:g} ms on rank {w['rank']}, {w['late_ms']:.2f} ms"
                f" late; update {w['update_ms']:.2f} ms{who}, route {w['route_ms']:.2f}, "
                f"exchange wait {w['exchange_ms']:.2f}, deliver {w['deliver_ms']:.2f}, record "
                f"{w['record_ms']:.2f} ms")
        if t.get("time_scale_factor_needed"):
            lines.append(f"  time_scale_factor={t['time_scale_factor_needed']:.2f} would have "
                         f"held")
    lv = t.get("live")
    if lv:
        lines.append(f"  live: {lv['live_events_injected']:,} events injected, "
                     f"{lv['live_spikes_sent']:,} spikes sent in {lv['live_packets_sent']:,} "
                     f"packets; {lv['live_packets_dropped']:,} packets and "
                     f"{lv['live_events_dropped']:,} events dropped; "
                     + (f"{lv['live_packets_lost_by_os']:,} packets lost by the OS (the "
                        f"board socket's queue was full: the run fell behind its clients); "
                        if lv.get("live_packets_lost_by_os") else "")
                     + f"input log {lv['input_log']}")
    energy = energy_line(t)
    if energy:
        lines.append(energy)
    if t["plastic_synapses"]:
        lines.append(f"  plastic synapses {t['plastic_synapses']:,} "
                     f"({t['plastic_synapse_bytes'] / 2**20:.1f} MiB); STDP history overflows "
                     f"{t['stdp_history_overflows']}")
    if t["unrouted_packets"] or t["population_table_misses"]:
        lines.append(f"  note: {t['unrouted_packets']:,} packets had no route "
                     f"({t.get('unrouted_without_targets', 0):,} from populations nothing "
                     f"reads), {t['population_table_misses']} population-table misses")
    return "\n".join(lines)


def _compile_note(t):
    """Compilation is reported beside the run, never in it."""
    if t.get("compile_seconds", 0.0) < 0.05:
        return ""
    inside = t.get("compile_in_run_seconds", 0.0)
    more = f"; {inside:.1f} s of it during the run, left out of its time" \
        if inside >= 0.05 else ""
    return (f"; kernels compiled {t['compile_seconds']:.1f} s — first run on this machine "
            f"only{more}")


def write_provenance(path, runs):
    """runs: Simulation.runs (each with its job totals and, on rank 0, every rank's dict)."""
    with open(path, "w") as f:
        json.dump({"runs": [{"ranks": r["per_rank"], "totals": r["totals"],
                             "warnings": r.get("warnings", [])} for r in runs]}, f, indent=1)


def rank_report(plan, engine, map_seconds, rate_hz):
    """What one rank holds and is expected to exchange — the same figures whether the rank
    ran in a real N-rank job or was rehearsed alone (spinn/rehearsal.py).  Traffic assumes
    every neuron fires at rate_hz: a spike leaves as one packet per destination rank."""
    local = plan.local_cores()
    lo, hi = plan.core_bounds(local)
    routes = {int(c): [r for r in engine.route_dst[engine.route_ptr[k]:engine.route_ptr[k + 1]]
                       if r != 0]
              for c, k in zip(local, engine.cores.slot[local])}
    tick_s = plan.tick_steps * plan.dt * 1e-3
    per_neuron = rate_hz * tick_s
    incoming = plan.incoming[plan.core_rank[plan.incoming] != plan.rank]
    in_lo, in_hi = plan.core_bounds(incoming)
    static = engine.static
    plastic = [m for pp in engine.plastic for m in pp.matrices]
    return {
        "ranks": plan.n_ranks, "rank": plan.rank, "rate_hz": rate_hz,
        "cores": int(local.size), "neurons": int(engine.n_local),
        "synapses": sum(m.n_synapses for m in static + plastic)
        + int(engine.direct_counts.sum()),
        "synapse_bytes": sum(m.nbytes for m in static + plastic),
        "row_index_bytes": sum(m.index_nbytes for m in static + plastic),
        "known_cores": engine.cores.n_known,
        "routing_entries_before": int(plan.entries_before),
        "routing_entries_after": len(plan.table),
        "sends_to": list(plan.dests), "receives_from": list(plan.sources),
        "packets_out_per_tick": float(sum(
            (h - l) * len(routes[int(c)]) for c, l, h in zip(local, lo, hi)) * per_neuron),
        "packets_in_per_tick": float((in_hi - in_lo).sum() * per_neuron),
        "synaptic_events_per_tick": float(plan.expected_local_synapses * per_neuron),
        "expected_synapses": float(plan.expected_local_synapses),
        "arrays_over_all_cores_bytes": {
            "plan.core_rank": int(plan.core_rank.nbytes),
            "plan.core_load": int(plan.core_load.nbytes),
            "cores.slot": int(engine.cores.slot.nbytes)},
        "map_seconds": float(map_seconds),
        "build_seconds": float(engine.build_seconds),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
