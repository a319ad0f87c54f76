"""Figures of a run, drawn from its output files (write_results draws them; ``spinn plot
OUT_DIR`` draws them again from the files alone):

* raster.png — spikes.h5 (spinn/recording/raster.py);
* <var>.png — each sampled state variable's frame report (v.h5, gsyn_exc.h5, ...): a few
  traces per population, one panel each, in the variable's units;
* weights.png — each plastic projection's weight distribution as built and at the end
  (weights_hist.json, written by write_results).

Every figure is drawn with matplotlib's object interface on an Agg canvas: the user's pyplot
state and backend are left alone.
"""

import json
import os

import numpy as np

from spinn.recording.raster import plot_raster

TRACES_PER_POPULATION = 5


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def plot_state(path, frame_file, var, traces=TRACES_PER_POPULATION, title=""):
    """One panel per population of at most ``traces`` neurons' traces (chosen evenly among
    the recorded ones, labelled with their ids)."""
    import h5py

    with h5py.File(frame_file, "r") as f:
        groups = list(f["report"].items())
        fig = _figure(9, 2.2 * max(len(groups), 1) + 0.6)
        axes = fig.subplots(max(len(groups), 1), 1, sharex=True, squeeze=False)[:, 0]
        for ax, (label, g) in zip(axes, groups):
            start, _, step = g["mapping"]["time"][()]
            ids = g["mapping"]["node_ids"][()].astype(np.int64)
            units = g["data"].attrs.get("units", "")
            units = units.decode() if isinstance(units, bytes) else str(units)
            pick = np.unique(np.linspace(0, ids.size - 1, min(ids.size, traces)).astype(int)) \
                if ids.size else np.empty(0, int)
            data = g["data"][:, pick] if pick.size else np.empty((0, 0))
            t = start + step * np.arange(data.shape[0])
            for j, col in enumerate(pick):
                ax.plot(t, data[:, j], lw=0.8, color=f"C{j % 10}", label=f"neuron {ids[col]}")
            shown = f"{pick.size} of {ids.size} recorded" if pick.size < ids.size \
                else f"{ids.size} recorded"
            ax.set_ylabel(f"{var} ({units})" if units else var)
            ax.set_title(f"{label}: {var}, {shown}", fontsize=9, loc="left")
            if pick.size:
                ax.legend(loc="upper right", fontsize=7, ncol=min(pick.size, 5))
        axes[-1].set_xlabel("time (ms)")
        if title:
            fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_weights(path, hists, title=""):
    """hists: {projection label: {"edges": [...], "before": [...], "after": [...],
    "units": str}} (weights_hist.json)."""
    fig = _figure(9, 2.6 * max(len(hists), 1) + 0.6)
    axes = fig.subplots(max(len(hists), 1), 1, squeeze=False)[:, 0]
    for ax, (label, h) in zip(axes, hists.items()):
        edges = np.asarray(h["edges"])
        width = np.diff(edges)
        for key, colour, offset in (("before", "C0", 0.0), ("after", "C3", 0.5)):
            counts = np.asarray(h[key], np.float64)
            ax.bar(edges[:-1] + offset * width / 2, counts, width=width / 2, align="edge",
                   color=colour, alpha=0.8,
                   label=f"{'as built' if key == 'before' else 'at the end'} "
                         f"({int(counts.sum()):,} synapses)")
        ax.set_xlabel(f"weight ({h.get('units', '')})")
        ax.set_ylabel("synapses")
        ax.set_title(f"{label}: weight distribution", fontsize=9, loc="left")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def draw_all(out_dir, per_population=200, title=None, raster=True):
    """Every figure the files in out_dir allow; returns {name: path} of those drawn
    (raster=False: all but the raster)."""
    prov_path = os.path.join(out_dir, "provenance.json")
    meta = {}
    if os.path.exists(prov_path):
        with open(prov_path) as f:
            meta = json.load(f)
    title = title if title is not None else meta.get("title", "")
    drawn = {}
    spikes = os.path.join(out_dir, "spikes.h5")
    if raster and os.path.exists(spikes):
        import h5py

        sizes = {p["label"]: p["neurons"] for p in meta.get("populations", [])}
        with h5py.File(spikes, "r") as f:
            labels = list(f["spikes"].keys()) if "spikes" in f else []
            order = [p["label"] for p in meta.get("populations", []) if p["label"] in labels]
            order += [x for x in labels if x not in order]
            for lb in order:
                if lb not in sizes:     # no provenance: the highest id seen
                    ids = f["spikes"][lb]["node_ids"]
                    sizes[lb] = int(np.max(ids[()])) + 1 if ids.shape[0] else 1
        duration = meta.get("simulated_ms")
        if duration is None:
            runs = meta.get("runs", [])
            duration = sum(r["totals"]["simulated_ms"] for r in runs) if runs else 0.0
        recorded = {p["label"]: p.get("spikes_recorded_from")
                    for p in meta.get("populations", [])
                    if isinstance(p.get("spikes_recorded_from"), list)}
        drawn["raster"] = os.path.join(out_dir, "raster.png")
        plot_raster(drawn["raster"], spikes, {lb: sizes[lb] for lb in order},
                    float(duration), title or "", per_population, recorded)
    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".h5") or name == "spikes.h5":
            continue
        path = os.path.join(out_dir, name)
        if _is_frame_report(path):
            var = name[:-3]
            drawn[var] = os.path.join(out_dir, f"{var}.png")
            plot_state(drawn[var], path, var, title=title or "")
    hist_path = os.path.join(out_dir, "weights_hist.json")
    if os.path.exists(hist_path):
        with open(hist_path) as f:
            hists = json.load(f)
        if hists:
            drawn["weights"] = os.path.join(out_dir, "weights.png")
            plot_weights(drawn["weights"], hists, title or "")
    return drawn


def _is_frame_report(path):
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "report" in f
    except OSError:
        return False


def plot_command(out_dir, per_population=200):
    """``spinn plot OUT_DIR``."""
    import sys

    if not os.path.isdir(out_dir):
        print(f"spinn plot: {out_dir} is not a directory (the --out of a run, or the directory "
              f"given to write_results)", file=sys.stderr)
        return 2
    try:
        drawn = draw_all(out_dir, per_population)
    except (OSError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        print(f"spinn plot: the files in {out_dir} are not spinn's or are damaged "
              f"({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    if not drawn:
        print(f"spinn plot: nothing to draw in {out_dir} (no spikes.h5, frame reports or "
              f"weights_hist.json)", file=sys.stderr)
        return 1
    for name, path in drawn.items():
        print(f"{name}: {path}")
    return 0
