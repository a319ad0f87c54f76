"""Raster plot of recorded spikes, read from the SONATA file in chunks (never all at once).

At most ``per_population`` neurons of each population are drawn (chosen evenly, their true
ids kept on the axis), populations one above the other with their names and boundaries, a
colour each; the rate panel shows each population's mean rate in Hz with its bin width.
Drawn with matplotlib's object interface on an Agg canvas: the user's pyplot state and
backend are left alone.
"""

import numpy as np

READ_CHUNK = 1 << 20
MAX_POINTS = 200_000   # dots drawn per population: a long run's raster shows its beginning


def plot_raster(path, spike_file, sizes, duration_ms, title="", per_population=200,
                recorded=None):
    """path: PNG to write; spike_file: SONATA spikes (spinn.recording.sonata);
    sizes: dict label → population size (recorded populations, bottom to top);
    recorded: dict label → the ids whose spikes were recorded (absent or None: all) — the
    neurons drawn are chosen among them and the rate is per recorded neuron."""
    recorded = recorded or {}
    import h5py
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 6))
    FigureCanvasAgg(fig)
    ax, ax_rate = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    bin_ms = _bin_width(duration_ms)
    bins = np.arange(0.0, duration_ms + bin_ms, bin_ms)
    offset, ticks, names = 0, [], []
    cut_ms = duration_ms
    with h5py.File(spike_file, "r") as f:
        for k, (label, size) in enumerate(sizes.items()):
            colour = f"C{k % 10}"
            ids_rec = recorded.get(label)
            ids_rec = np.arange(size) if ids_rec is None else np.unique(np.asarray(ids_rec,
                                                                                   np.int64))
            n_rec = max(ids_rec.size, 1)
            pick = np.unique(np.linspace(0, ids_rec.size - 1,
                                         min(ids_rec.size, per_population)).astype(int)) \
                if ids_rec.size else np.empty(0, int)
            shown = ids_rec[pick]
            row = np.full(size, -1, np.int64)
            row[shown] = np.arange(shown.size)
            counts = np.zeros(bins.size - 1)
            g = f["spikes"].get(label)
            n = g["timestamps"].shape[0] if g is not None else 0
            # the dots of the drawn neurons, at most MAX_POINTS: the first t_cut ms when the
            # run has more (the rate panel still covers the whole run)
            expected = n * shown.size / n_rec
            t_cut = duration_ms if expected <= MAX_POINTS else \
                duration_ms * MAX_POINTS / expected
            cut_ms = min(cut_ms, t_cut)
            for lo in range(0, n, READ_CHUNK):
                t = g["timestamps"][lo:lo + READ_CHUNK]
                ids = g["node_ids"][lo:lo + READ_CHUNK].astype(np.int64)
                counts += np.histogram(t, bins)[0]
                keep = (row[ids] >= 0) & (t < t_cut)
                if keep.any():
                    ax.scatter(t[keep], offset + row[ids[keep]], s=0.5, marker=".",
                               color=colour, rasterized=True)
            ax_rate.plot(bins[:-1], counts / (n_rec * bin_ms * 1e-3), lw=0.8, color=colour,
                         label=label)
            ticks.append(offset + (max(shown.size, 1) - 1) / 2.0)
            span = f"ids 0–{size - 1}" if ids_rec.size == size else \
                f"{ids_rec.size} of {size} recorded"
            names.append(f"{label}\n{span}" + (f"\n({shown.size} drawn)"
                                               if shown.size < ids_rec.size else ""))
            offset += max(shown.size, 1) - shown.size      # an empty row for no neuron
            offset += shown.size
            ax.axhline(offset - 0.5, color="0.8", lw=0.5)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    ax.set_title(title if cut_ms >= duration_ms else
                 f"{title}{chr(10) if title else ''}(dots: the first {cut_ms:.4g} ms; "
                 f"rates: the whole run)")
    ax_rate.set_xlabel("time (ms)")
    ax_rate.set_ylabel(f"rate per recorded neuron\n(Hz, {bin_ms:g} ms bins)")
    ax_rate.set_xlim(0, duration_ms)
    if sizes:
        ax_rate.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _bin_width(duration_ms, bins=250):
    """A round bin width (1, 2 or 5 × 10^k ms, at least 1 ms) giving about ``bins`` bins."""
    target = max(duration_ms / bins, 1.0)
    k = 10.0 ** np.floor(np.log10(target))
    return float(next(m * k for m in (1, 2, 5, 10) if m * k >= target))
