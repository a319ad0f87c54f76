"""``spinn report OUT_DIR``: provenance.json as a person reads it (docs/provenance.md says
what every field means)."""

import json
import os
import sys


def si(x):
    """x with a k/M/G suffix (x ≥ 1 000), else rounded to a whole number."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.1f} {suffix}"
    return f"{x:.0f}"


def format_report(data):
    job = data.get("job", {})
    lines = []
    title = data.get("title") or "(untitled)"
    lines.append(f"{title}")
    lines.append("=" * len(title))
    if job:
        commit = job.get("spinn_commit") or "not from a git checkout"
        lines.append(f"spinn {job.get('spinn_version')} ({commit}); Python {job.get('python')}, "
                     f"numpy {job.get('numpy')}, numba {job.get('numba')}")
        lines.append(f"ran on {job.get('ranks')} rank(s) on {', '.join(job.get('hosts') or [])}"
                     f" ({job.get('mpi_library') or 'no MPI'}); seed {job.get('seed')}, "
                     f"dt {job.get('dt_ms')} ms")
        lines.append(f"command: {' '.join(job.get('command', []))}")
    lines.append("")
    for k, run in enumerate(data.get("runs", [])):
        t = run["totals"]
        lines.append(
            f"run {k + 1}: {t['simulated_ms']:g} ms in {t['wall_seconds']:.2f} s — real-time "
            f"factor {t['real_time_factor']:.2f}; build {t['build_seconds']:.2f} s, warm-up "
            f"{t.get('warmup_seconds', 0.0):.2f} s (compiling {t.get('compile_seconds', 0.0):.1f}"
            f" s, not in the run's time)")
        lines.append(
            f"  {t['spikes_emitted']:,} spikes, {t['synaptic_events']:,} synaptic events "
            f"({si(t['events_per_second'])}/s), {t['packets_sent']:,} packets "
            f"({t['packets_sent_remote']:,} between ranks); peak RSS "
            f"{t['peak_rss_mb_max']:.0f} MB on the largest rank")
        e = t.get("energy")
        if e and e.get("uJ_per_synaptic_event") is not None:
            pub = ", ".join(f"{name} {v['uJ']:g} µJ ({v['source']})"
                            for name, v in e["published_uJ_per_synaptic_event"].items())
            how = (f"{e['cpu_seconds']:.1f} CPU s × {e['watts_per_core']:g} W per core"
                   if e.get("watts_per_core") is not None else e["method"])
            rec = e.get("uJ_per_recurrent_synaptic_event")
            rec = f" ({rec:.3f} µJ without direct input)" if rec is not None and \
                rec != e["uJ_per_synaptic_event"] else ""
            lines.append(f"  energy, estimated from {how}: {e['joules']:.2f} J = "
                         f"{e['uJ_per_synaptic_event']:.3f} µJ per synaptic event{rec} "
                         f"[published: {pub}]")
        for w in run.get("warnings", []):
            lines.append(f"  WARNING: {w}")
    pops = data.get("populations", [])
    if pops:
        lines.append("")
        lines.append(f"{'population':<16} {'cell type':<24} {'neurons':>9} {'cores':>6} "
                     f"{'ranks':>5} {'spikes':>12} {'rate Hz':>9} {'ISI CV':>7} "
                     f"{'update s':>9}")
        for p in pops:
            cv = f"{p['isi_cv']:.2f}" if p.get("isi_cv") is not None else "—"
            lines.append(f"{p['label'][:16]:<16} {p['cell_type'][:24]:<24} {p['neurons']:>9,} "
                         f"{p['cores']:>6} {p['ranks']:>5} {p['spikes']:>12,} "
                         f"{p['rate_hz']:>9.2f} {cv:>7} {p['update_seconds']:>9.3f}")
    projs = data.get("projections", [])
    if projs:
        lines.append("")
        lines.append(f"{'projection':<20} {'connector':<28} {'synapses':>13} {'MiB':>8} "
                     f"{'delay ms':>11} {'events (est.)':>15}")
        for p in projs:
            d = p.get("delay_ms")
            delay = "—" if d is None else (f"{d[0]:g}" if d[0] == d[1] else f"{d[0]:g}–{d[1]:g}")
            kind = p["connector"] + (" (plastic)" if p["plastic"] else "") + \
                (" (direct)" if p.get("direct_input") else "")
            lines.append(f"{p['label'][:20]:<20} {kind[:28]:<28} {p['synapses']:>13,} "
                         f"{p['synapse_bytes'] / 2**20:>8.1f} {delay:>11} "
                         f"{si(p['synaptic_events_estimated']):>15}")
    if "spikes_written" in data:
        lines.append("")
        lines.append(f"{data['spikes_written']:,} spikes in spikes.h5")
    return "\n".join(lines)


def report_command(out_dir):
    path = os.path.join(out_dir, "provenance.json")
    if not os.path.exists(path):
        print(f"spinn report: no provenance.json in {out_dir}; write_results(OUT_DIR) (or an "
              f"example's --out OUT_DIR) writes it", file=sys.stderr)
        return 2
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"spinn report: {path} is not readable JSON ({exc})", file=sys.stderr)
        return 2
    try:
        text = format_report(data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        print(f"spinn report: {path} is not a spinn provenance file, or it is damaged "
              f"({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    print(text)
    return 0
