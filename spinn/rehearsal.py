"""Rank rehearsal: what rank R of an N-rank job maps and builds, in this one process.

``spinn rehearse --ranks N --rank R script.py -- ARGS`` (or ``rehearse(...)``) runs the script
with a stand-in communicator (spinn.runtime.comm.RehearsalComm, after Arbor's dry-run
context): every other rank is taken to be an identical copy of this one, nothing travels,
and the script's first run() stops once the rank is built, with the rank's report
(spinn.recording.provenance.rank_report): mapping and build time, peak RSS, neurons,
synapses, bytes of synaptic storage and of the row index, routing entries before and after
compression, the ranks it sends to and receives from, and the packets and synaptic events
per tick expected at a stated rate.  A real job reports the same figures for each rank
(``spinn run --rank-report DIR``); all but times and RSS are equal.  The run itself is not
simulated.
"""

import runpy
import sys

from spinn.api import simulation
from spinn.errors import ConfigurationError
from spinn.runtime.comm import RehearsalComm, use_world
from spinn.simulation import REPORT_RATE_HZ, Rehearsed


def rehearse(script, ranks, rank, args=(), rate_hz=REPORT_RATE_HZ):
    """Run ``script`` (a path) as rank ``rank`` of a ``ranks``-rank job up to the end of its
    first build; returns the rank report (a dict)."""
    comm = RehearsalComm(int(ranks), int(rank), rate_hz)
    argv = sys.argv
    sys.argv = [str(script), *map(str, args)]
    try:
        with use_world(comm):
            try:
                runpy.run_path(str(script), run_name="__main__")
            except Rehearsed as done:
                return done.report
            finally:
                _drop_current()
    finally:
        sys.argv = argv
    raise ConfigurationError(
        f"rehearse: {script} ended without calling run(); a rehearsal maps and builds the "
        f"network at its first run() (give the example --duration 0 if it runs nothing)")


def _drop_current():
    try:
        state = simulation()
    except ConfigurationError:
        return
    state.ended = True
    state.close()


def format_report(r):
    lines = [
        f"rehearsal of rank {r['rank']} of {r['ranks']} (traffic at {r['rate_hz']:g} Hz)",
        f"  mapping {r['map_seconds']:.2f} s, build {r['build_seconds']:.2f} s, peak RSS "
        f"{r['peak_rss_mb']:.0f} MB",
        f"  {r['cores']} cores, {r['neurons']:,} neurons, {r['synapses']:,} synapses; "
        f"synaptic storage {r['synapse_bytes'] / 2**20:.1f} MiB, row index "
        f"{r['row_index_bytes'] / 2**20:.1f} MiB ({r['known_cores']} known cores)",
        f"  routing entries {r['routing_entries_before']} → {r['routing_entries_after']}; "
        f"sends to {len(r['sends_to'])} rank(s), receives from {len(r['receives_from'])}",
        f"  expected per tick: {r['packets_out_per_tick']:,.1f} packets out, "
        f"{r['packets_in_per_tick']:,.1f} in, {r['synaptic_events_per_tick']:,.0f} synaptic "
        f"events",
        "  arrays over all cores: " + ", ".join(
            f"{k} {v / 1024:.1f} KiB" for k, v in r["arrays_over_all_cores_bytes"].items()),
    ]
    return "\n".join(lines)
