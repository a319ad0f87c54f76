"""Helpers shared by example scripts: the common command line and the common ending."""

import argparse

import numpy as np

from spinn.recording.tables import ISIStats, isi_cv_parts


def example_parser(description, duration_ms=1000.0):
    """--duration MS, --scale S, --seed N, --out DIR (plus whatever the example adds)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--duration", type=float, default=duration_ms, help="biological time (ms)")
    p.add_argument("--scale", type=float, default=1.0, help="scales the number of neurons")
    p.add_argument("--seed", type=int, default=12345, help="seed of every random stream")
    p.add_argument("--out", default=None, help="output directory (spikes.h5, provenance.json, "
                                                "raster.png)")
    p.add_argument("--quiet", action="store_true", help="no mapping/run summaries")
    p.add_argument("--live-port", type=int, default=None, metavar="PORT",
                   help="live output of every spike (spinn.external_devices) to a client "
                        "listening for the database notification on PORT; implies --realtime")
    return p


def live_output(sim, args, populations):
    """--live-port: activate live output for the populations (a client must listen)."""
    if getattr(args, "live_port", None) is None:
        return False
    from spinn import external_devices as ex

    for pop in populations:
        ex.activate_live_output_for(pop, database_notify_port_num=args.live_port)
    return True


def isi_cv(times_ms, ids):
    """Mean coefficient of variation of inter-spike intervals over neurons with ≥ 3 spikes."""
    total, n = isi_cv_parts(np.asarray(times_ms), np.asarray(ids))
    return total / n if n else float("nan")


def report_rates(sim, populations, duration_ms):
    """Print each population's mean rate and ISI CV on rank 0; return {label: rate}."""
    rates = {}
    state = sim.simulation()
    for pop in populations:
        rates[pop.label] = pop.mean_rate(0.0, duration_ms)
        # each rank streams its own spool; one allreduce (no spike is gathered)
        stats = ISIStats(pop.size)
        for _, rec in state.spool.spike_chunks(pop.index):
            stats.add(rec["step"], rec["id"])
        cv, n_cv = stats.parts()
        mine = np.array([cv, n_cv, state.spool.spike_count(pop.index)], np.float64)
        total = state.comm.allreduce(mine, "sum") if state.comm.size > 1 else mine
        if sim.rank() == 0:
            cv_text = f"{total[0] / total[1]:.2f}" if total[1] else "nan"
            print(f"  {pop.label:>8}: {rates[pop.label]:7.2f} Hz, ISI CV {cv_text}, "
                  f"{int(total[2])} spikes", flush=True)
    return rates


def finish(sim, args, populations, name, title, extra=""):
    """The common ending of an example: rates per population, one summary line, the output
    files when --out was given, end().  Returns {label: rate in Hz}."""
    rates = report_rates(sim, populations, args.duration)
    total = sim.provenance()
    if sim.rank() == 0:
        n = sum(p.size for p in populations)
        mean = sum(rates[p.label] * p.size for p in populations) / n
        print(f"{name}: {sim.num_processes()} rank(s), mean rate {mean:.2f} Hz, real-time "
              f"factor {total['real_time_factor']:.2f}, "
              f"{total['events_per_second'] / 1e6:.1f} M synaptic events/s{extra}", flush=True)
    if args.out:
        sim.write_results(args.out, title=title)
    sim.end()
    return rates
