"""Strong and weak scaling on this machine, and a scaling model fitted on what is measured.

    python benchmarks/scaling.py                # measure (1 and 2 ranks), fit, project, plot

Measured (spinn bench, no recording, warm-up discarded):
  strong: Brunel scale 1.0 (fixed network) on 1 and 2 ranks;
  weak:   Brunel with 6 250 neurons per rank (scale 0.5 on 1 rank, 1.0 on 2 ranks), K fixed.

Scaling model (per rank, per biological second), fitted on the phase times of the 2-rank run:
  T_compute = a · synaptic events on the rank + b · neuron steps on the rank
  T_exchange = ticks · (l0 + l1 · log2 R)      (a latency-bound collective per tick)
  RTF(R) = T_compute(R) + T_exchange(R)
Assumptions: work divides evenly over ranks (placement balances load); events and neuron
steps cost what they cost here (one core per rank, caches as here); the exchange per tick is
latency-bound (a few hundred packets per neighbour) and grows with log2 R, as a tree
collective does; l1 cannot be fitted on 2 ranks, so it is taken equal to l0 (one more
latency per doubling) — an assumption, stated, not measured.  l0 is the exchange phase per
tick measured on 2 ranks, which includes waiting for the slower rank (imbalance, jitter on a
shared 2-core machine); on a cluster with dedicated cores it would be smaller, so the
projections of tick-bound models (PD14's 0.1 ms tick) are pessimistic.  Printed projections: PD14
(77k neurons, 3·10^8 synapses, ~3 Hz, 0.1 ms tick) and a 1-million-neuron network (10^4
synapses per neuron, 5 Hz, 1 ms tick) on 16 … 1024 ranks.
"""

import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
BENCH = ROOT / "benchmarks" / "bench.py"


def bench(model, scale, ranks, duration=1000.0):
    cmd = [sys.executable, str(BENCH), model, "--scale", str(scale), "--ranks", str(ranks),
           "--duration", str(duration), "--json-out", str(OUT / "scaling_runs.jsonl")]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return next(json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT "))


def fit(runs):
    """a (s per event), b (s per neuron step), l0 (s per tick) from the phase times of the
    2-rank run (per rank: half the events and neuron steps).  A 1-rank run goes through the
    compiled local loop, whose time is not split into phases."""
    two = [r for r in runs if r["ranks"] == 2]
    a = sum(r["phase_share"]["deliver"] * r["sim_s"] / (r["synaptic_events"] / 2)
            for r in two) / len(two)
    b = sum(r["phase_share"]["update"] * r["sim_s"] / (r["neuron_steps"] / 2)
            for r in two) / len(two)
    ticks = [r["simulated_ms"] / 1.0 for r in two]   # Brunel: 1 ms tick
    l0 = sum(r["phase_share"]["exchange"] * r["sim_s"] / t for r, t in zip(two, ticks)) \
        / len(two)
    return a, b, l0


def project(a, b, l0, events_per_s, neurons, tick_ms, ranks):
    ticks = 1000.0 / tick_ms
    compute = (a * events_per_s + b * neurons * 1e4) / ranks    # dt 0.1 ms: 10^4 steps/s
    exchange = ticks * (l0 + l0 * math.log2(ranks))
    return compute + exchange, compute, exchange


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    runs = []
    for scale, ranks, kind in ((1.0, 1, "strong"), (1.0, 2, "strong"), (0.5, 1, "weak")):
        r = bench("brunel", scale, ranks)
        r["kind"] = kind
        r["neuron_steps"] = 25000 * scale * r["simulated_ms"] * 10   # incl. the sources
        runs.append(r)
        print(f"{kind:6s} brunel scale {scale:g} on {ranks} rank(s): RTF {r['rtf']:.3f}",
              flush=True)
    a, b, l0 = fit(runs)
    s1 = next(r for r in runs if r["ranks"] == 1 and r["scale"] == 1.0)
    s2 = next(r for r in runs if r["ranks"] == 2)
    w1 = next(r for r in runs if r["kind"] == "weak")
    table = {
        "strong_speedup_2_ranks": s1["rtf"] / s2["rtf"],
        "weak_efficiency_2_ranks": w1["rtf"] / s2["rtf"],
        "fit": {"s_per_event": a, "s_per_neuron_step": b, "s_per_tick_latency": l0},
        "projections": {},
    }
    for name, ev, n, tick in (("PD14 full", 3e8 * 3.0, 77169, 0.1),
                              ("1M neurons", 1e6 * 1e4 * 5.0, 1e6, 1.0)):
        table["projections"][name] = {
            str(R): dict(zip(("rtf", "compute", "exchange"),
                             project(a, b, l0, ev, n, tick, R)))
            for R in (16, 32, 64, 128, 256, 512, 1024)}
    (OUT / "scaling.json").write_text(json.dumps(table, indent=1))
    print(f"strong scaling 1→2 ranks: speed-up {table['strong_speedup_2_ranks']:.2f}; weak "
          f"scaling efficiency {table['weak_efficiency_2_ranks']:.2f}")
    print(f"fit: {a * 1e9:.2f} ns/event, {b * 1e9:.2f} ns/neuron step, "
          f"{l0 * 1e6:.1f} µs/tick exchange")
    for name, proj in table["projections"].items():
        print(f"{name}: " + ", ".join(f"{R} ranks RTF {p['rtf']:.2f}" for R, p in proj.items()))
    plot(table)


def plot(table):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, proj in table["projections"].items():
        ranks = [int(r) for r in proj]
        ax.plot(ranks, [p["rtf"] for p in proj.values()], "o-", label=f"{name} (model)")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ranks")
    ax.set_ylabel("real-time factor")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "scaling.png", dpi=110)


if __name__ == "__main__":
    main()
