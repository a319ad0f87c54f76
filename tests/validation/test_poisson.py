"""SpikeSourcePoisson: counts, interval statistics, the start/duration window, multiple spikes
per step, and seed reproducibility.

In every step h of [start, start + duration) a source emits Poisson(rate·h) spikes, so the
count of n sources over a window T is Poisson with mean n·rate·T exactly (no dead time, no
thinning).  Tolerances are 5 standard deviations of the estimator, so a correct generator
fails once in ~3.5 million runs; the seeds are fixed, so the tests are deterministic.
"""

import numpy as np

import spinn as sim


def run_sources(n, rate_hz, t_run, dt=0.1, seed=7, start=0.0, duration=1e10):
    sim.setup(timestep=dt, seed=seed, verbose=False)
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=rate_hz, start=start,
                                                   duration=duration))
    src.record("spikes")
    sim.run(t_run)
    t, ids = src.get_spikes()
    sim.end()
    return t, ids


def assert_poisson_count(count, mean, what):
    # a Poisson count: sd = sqrt(mean); 5 sigma
    assert abs(count - mean) < 5.0 * np.sqrt(mean), (
        f"{what}: {count} spikes, expected {mean:.0f} ± {5 * np.sqrt(mean):.0f} (5σ)")


def test_poisson_count_interval_cv_and_fano_match_a_poisson_process():
    """1000 sources at 20 Hz for 10 s: total count within 5σ of 200 000, the ISI CV is 1
    (±0.05), the Fano factor of per-source counts is 1 (±5σ of its estimator), and the
    pooled count in 1 ms bins has Fano factor 1 (the sources are independent)."""
    n, rate, t_run = 1000, 20.0, 10_000.0
    t, ids = run_sources(n, rate, t_run)
    assert_poisson_count(t.size, n * rate * t_run / 1000.0, "total")

    order = np.lexsort((t, ids))
    t_sorted, id_sorted = t[order], ids[order]
    same = id_sorted[1:] == id_sorted[:-1]
    isi = np.diff(t_sorted)[same]
    # ~2e5 intervals: the sampling sd of the CV is ~0.003; ±0.05 also covers the geometric
    # (discrete-time) correction, CV = sqrt(1 - p) with p = rate·dt = 0.002 → 0.999.
    cv = isi.std() / isi.mean()
    assert abs(cv - 1.0) < 0.05, cv
    # mean ISI is 1/rate: 50 ms, sd of the mean of ~2e5 exponentials ~0.11 ms; 5σ
    assert abs(isi.mean() - 1000.0 / rate) < 5 * (1000.0 / rate) / np.sqrt(isi.size)

    counts = np.bincount(ids, minlength=n)
    fano = counts.var(ddof=1) / counts.mean()
    # sample variance of n = 1000 values: relative sd ≈ sqrt(2/(n-1)) ≈ 0.045; 5σ ≈ 0.22
    assert abs(fano - 1.0) < 5 * np.sqrt(2.0 / (n - 1)), fano
    # every source is active (200 expected each; P(0) = e^-200)
    assert counts.min() > 0

    # Independence: the pooled count per 1 ms bin is Poisson(20) only if the sources are
    # independent (k identical streams would multiply its Fano factor by ~k).  Relative sd
    # of the variance estimate over 10 000 bins: sqrt(2/N + 1/(N·20)) ≈ 0.0143; 5σ.
    pooled = np.bincount(np.ceil(t - 1e-9).astype(np.int64) - 1, minlength=int(t_run))
    n_bins = pooled.size
    assert n_bins == int(t_run)
    pooled_fano = pooled.var(ddof=1) / pooled.mean()
    assert abs(pooled_fano - 1.0) < 5 * np.sqrt(2.0 / n_bins + 1.0 / (n_bins * 20.0)), \
        pooled_fano


def test_poisson_spikes_respect_start_and_duration_window():
    """start = 100 ms, duration = 200 ms: every spike lies in (100, 300] ms (stamped at
    the end of its step), both window edges are reached, and the count is Poisson."""
    n, rate, start, duration = 100, 1000.0, 100.0, 200.0
    t, ids = run_sources(n, rate, 500.0, start=start, duration=duration)
    assert t.size > 0
    assert t.min() > start - 1e-9 and t.max() <= start + duration + 1e-9, (t.min(), t.max())
    # at 100 kHz of total input a step is empty with probability e^-10: edges are hit
    assert abs(t.min() - (start + 0.1)) < 1e-9 and abs(t.max() - (start + duration)) < 1e-9
    assert_poisson_count(t.size, n * rate * duration / 1000.0, "window")


def test_poisson_rate_above_one_spike_per_step_keeps_the_mean_count():
    """50 kHz at dt = 0.1 ms (5 spikes per step on average, sent with a count): the count
    is still Poisson with mean rate·T, and steps with several spikes of one source occur."""
    n, rate, t_run = 20, 50_000.0, 500.0
    t, ids = run_sources(n, rate, t_run)
    assert_poisson_count(t.size, n * rate * t_run / 1000.0, "50 kHz")
    steps = np.round(t / 0.1).astype(np.int64)
    pairs, mult = np.unique(np.stack([steps, ids]), axis=1, return_counts=True)
    assert mult.max() > 1                      # multiple spikes per step are kept
    # per (source, step) the count is Poisson(5): its mean and variance are both 5;
    # steps with no spike are missing from `pairs`, so add them back as zeros
    n_slots = n * round(t_run / 0.1)
    m = np.zeros(n_slots)
    m[: mult.size] = mult
    # mean: sd 5/sqrt(n_slots · 5); variance: sd of a sample variance ≈ sqrt(2·25 + 5)/sqrt(N)
    assert abs(m.mean() - 5.0) < 5 * np.sqrt(5.0 / n_slots)
    assert abs(m.var() - 5.0) < 5 * np.sqrt(55.0 / n_slots)


def test_poisson_same_seed_identical_different_seed_differs():
    """Two runs with the same seed give identical spikes; a different seed gives others."""
    a = run_sources(50, 100.0, 1000.0, seed=11)
    b = run_sources(50, 100.0, 1000.0, seed=11)
    c = run_sources(50, 100.0, 1000.0, seed=12)
    assert a[0].size > 0
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (a[0].size == c[0].size and np.array_equal(a[0], c[0])
                and np.array_equal(a[1], c[1]))
