"""Provenance: what each rank did, counted during the run, reported after every run."""

import json
import resource

import numpy as np

from spinn.runtime.simulator import PHASES


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


def rank_provenance(sim, recorder, wall_seconds, steps):
    """Plain dict of one rank's counters for the run that just ended (cumulative)."""
    local = sim.plan.local_cores()
    static = sim.static
    plastic = [m for pp in sim.plastic for m in pp.matrices]
    n_static = sum(x.n_synapses for x in static)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    static_bytes = sum(x.nbytes for x in static)
    return {
        "rank": sim.comm.rank,
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
        "worst_lateness_ms": float(sim.worst_lateness_ms),
        "seconds": {k: float(sim.timers[k]) for k in PHASES},
        "build_seconds": float(sim.build_seconds),
        "run_wall_seconds": float(wall_seconds),
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
            "cores")
MAX_KEYS = ("run_wall_seconds", "build_seconds", "worst_lateness_ms", "peak_rss_mb")


def totals(per_rank):
    """Whole-job figures from the per-rank dicts of one run."""
    sums = {k: sum(p[k] for p in per_rank) for k in SUM_KEYS}
    maxima = {k: max(p[k] for p in per_rank) for k in MAX_KEYS}
    phases = {k: max(p["seconds"][k] for p in per_rank) for k in PHASES}
    return _totals(sums, maxima, phases, per_rank[0]["simulated_ms"], len(per_rank))


def job_totals(comm, mine):
    """The same figures as totals(), from this rank's dict alone: one allreduce of the sums
    and one of the maxima (nothing gathered, every rank gets them)."""
    sums = comm.allreduce(np.array([mine[k] for k in SUM_KEYS], np.float64), "sum")
    maxima = comm.allreduce(np.array([mine[k] for k in MAX_KEYS]
                                     + [mine["seconds"][k] for k in PHASES], np.float64), "max")
    return _totals({k: int(v) for k, v in zip(SUM_KEYS, sums)},
                   dict(zip(MAX_KEYS, maxima[:len(MAX_KEYS)].tolist())),
                   dict(zip(PHASES, maxima[len(MAX_KEYS):].tolist())), mine["simulated_ms"],
                   comm.size)


def _totals(t, maxima, phases, sim_ms, ranks):
    wall = maxima["run_wall_seconds"]
    stored = t["synapses"] - t["plastic_synapses"] - t["direct_input_synapses"]
    t.update(
        ranks=ranks, simulated_ms=sim_ms, wall_seconds=wall,
        build_seconds=maxima["build_seconds"],
        real_time_factor=wall / (sim_ms / 1000.0) if sim_ms else 0.0,
        events_per_second=t["synaptic_events"] / wall if wall else 0.0,
        worst_lateness_ms=maxima["worst_lateness_ms"],
        peak_rss_mb_max=maxima["peak_rss_mb"],
        bytes_per_synapse=t["synapse_bytes"] / stored if stored else 0.0,
        seconds_max=phases,
    )
    return t


def summary(t):
    """Printable lines of the job totals (totals() or job_totals())."""
    phase = ", ".join(f"{k} {v:.2f}" for k, v in t["seconds_max"].items())
    lines = [
        f"run: {t['simulated_ms']:g} ms on {t['ranks']} rank(s) in {t['wall_seconds']:.2f} s "
        f"(real-time factor {t['real_time_factor']:.2f}); build {t['build_seconds']:.2f} s",
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
        lines.append(f"  WARNING: {t['overruns']} tick overruns (worst {t['worst_lateness_ms']:.2f}"
                     f" ms late): the run fell behind real time")
    if t["plastic_synapses"]:
        lines.append(f"  plastic synapses {t['plastic_synapses']:,} "
                     f"({t['plastic_synapse_bytes'] / 2**20:.1f} MiB); STDP history overflows "
                     f"{t['stdp_history_overflows']}")
    if t["unrouted_packets"] or t["population_table_misses"]:
        lines.append(f"  note: {t['unrouted_packets']} packets had no route (sources without "
                     f"targets), {t['population_table_misses']} population-table misses")
    return "\n".join(lines)


def write_provenance(path, runs):
    """runs: list of per-run lists of per-rank dicts."""
    with open(path, "w") as f:
        json.dump({"runs": [{"ranks": r, "totals": totals(r)} for r in runs]}, f, indent=1)


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
