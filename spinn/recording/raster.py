"""Raster plot of recorded spikes (matplotlib, Agg backend)."""

import numpy as np


def plot_raster(path, spikes, duration_ms, title="", max_points=200_000):
    """spikes: dict label → (times_ms, ids). Populations are stacked bottom to top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax_rate) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    offset = 0
    bins = np.arange(0.0, duration_ms + 1.0, 1.0 if duration_ms <= 2000 else 10.0)
    for label, (times, ids) in spikes.items():
        n_ids = int(ids.max()) + 1 if ids.size else 0
        keep = np.arange(times.size)
        if times.size > max_points:
            keep = np.random.default_rng(0).choice(times.size, max_points, replace=False)
        ax.scatter(times[keep], ids[keep] + offset, s=0.5, marker=".", label=label,
                   rasterized=True)
        counts, _ = np.histogram(times, bins)
        ax_rate.plot(bins[:-1], counts, lw=0.8, label=label)
        offset += n_ids
    ax.set_ylabel("neuron")
    ax.set_title(title)
    if spikes:
        ax.legend(loc="upper right", markerscale=10, fontsize=8)
    ax_rate.set_xlabel("time (ms)")
    ax_rate.set_ylabel("spikes / bin")
    ax_rate.set_xlim(0, duration_ms)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
