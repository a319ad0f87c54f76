"""A per-rank scaling model fitted on what this machine measures, projected to 1 024 ranks.

    python benchmarks/scaling.py        # fit, rehearse, project; JSON + plot to results/

Measured here:
  compute   Brunel scale 1 on 2 ranks (spinn bench, no recording, warm-up discarded): the
            compiled loop's phase times give a = seconds per synaptic event delivered and
            b = seconds per neuron (or source) step updated;
  exchange  benchmarks/exchange.py (run first; results/exchange.json): the compiled
            point-to-point exchange per tick over MPICH's shared-memory path and its
            network path (MPIR_CVAR_NOLOCAL=1) on 2 ranks, as c1 per neighbour (the empty
            exchange; neighbours served one after another) plus c2 per packet (3 and 4
            ranks on 2 cores busy-poll each other and are left out);
  per rank  rank rehearsal (spinn rehearse) of rank 0, or of the first rank holding neurons:
            neurons, expected synapses and the packets in and out per tick at the model's
            rate, neighbour count, peak RSS.
Model, per rank and biological second:
  RTF(R) = a · events + b · neuron steps + ticks · (c0 + c1 · k + c2 · (packets in + out))
Assumptions, stated: the rehearsed rank 0 is typical (placement balances estimated load);
events and steps cost what they cost here, one core per rank; the exchange per neighbour
costs what a loopback message costs here — on a cluster the network path is slower per
message and there is no core sharing; no waiting for slower ranks (imbalance and jitter are
not modelled); firing rates as measured (PD14 3.23 Hz, Brunel's asynchronous irregular
state ~37 Hz).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
BENCH = ROOT / "benchmarks" / "bench.py"
MODELS = {   # name: (example, args, rate Hz, tick ms, rank counts rehearsed)
    "PD14 full": ("microcircuit.py", ["--scale", "1"], 3.23, 0.1, (16, 64, 256, 1024)),
    "Brunel 10^7": ("brunel.py", ["--scale", "400"], 37.5, 1.0, (256, 1024)),
}


def bench(model, scale, ranks, duration=500.0):
    cmd = [sys.executable, str(BENCH), model, "--scale", str(scale), "--ranks", str(ranks),
           "--duration", str(duration), "--json-out", str(OUT / "scaling_runs.jsonl")]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return next(json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT "))


def rehearse_busy(example, args, ranks, rate):
    """The report of the first rank holding neurons (rank 0, unless a network of few cores
    leaves it empty)."""
    for rank in range(ranks):
        r = rehearse(example, args, ranks, rate, rank)
        if r["neurons"]:
            return r
    raise RuntimeError(f"{example}: no rank holds neurons on {ranks} ranks")


def rehearse(example, args, ranks, rate, rank=0):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "r.json")
        subprocess.run([sys.executable, "-m", "spinn.cli", "rehearse", "--ranks", str(ranks),
                        "--rank", str(rank), "--rate", str(rate), "--json", path,
                        str(ROOT / "examples" / example),
                        "--", "--duration", "0", "--quiet", *args], check=True,
                       stdout=subprocess.DEVNULL)
        return json.load(open(path))


def fit_compute(run):
    """a (s per event), b (s per neuron step) from a 2-rank run's slowest phases."""
    per_rank_events = run["synaptic_events"] / run["ranks"]
    steps = 25000 * run["scale"] * run["simulated_ms"] * 10 / run["ranks"]  # incl. sources
    return (run["phase_share"]["deliver"] * run["sim_s"] / per_rank_events,
            run["phase_share"]["update"] * run["sim_s"] / steps)


def fit_exchange(rows, path):
    """(c0, c1, c2) in seconds from the 2-rank rows of exchange.json (one neighbour): a
    message to each neighbour costs what the empty exchange costs (c1; neighbours are taken
    to be served one after the other, c0 = 0), and each packet what 300 more packets add
    (c2).  3 and 4 ranks on this 2-core machine are oversubscribed and not used."""
    t = {r["packets_per_neighbour"]: r["compiled_us"] * 1e-6
         for r in rows if r["path"].startswith(path) and r["ranks"] == 2}
    return 0.0, t[0], (t[300] - t[0]) / 300


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    exchange = json.loads((OUT / "exchange.json").read_text())["rows"]
    run = bench("brunel", 1.0, 2)
    a, b = fit_compute(run)
    costs = {"shared memory": fit_exchange(exchange, "shared"),
             "network": fit_exchange(exchange, "network")}
    result = {"fit": {"s_per_event": a, "s_per_neuron_step": b,
                      "exchange_s": {k: dict(zip(("c0", "c1_per_neighbour",
                                                  "c2_per_packet"), v))
                                     for k, v in costs.items()}},
              "brunel_2_ranks_rtf": run["rtf"], "projections": {}}
    for name, (example, args, rate, tick, ranks) in MODELS.items():
        rows = {}
        for R in ranks:
            r = rehearse_busy(example, args, R, rate)
            ticks = 1000.0 / tick
            k = len(set(r["sends_to"]) | set(r["receives_from"]))
            packets = (r["packets_out_per_tick"] + r["packets_in_per_tick"])
            compute = a * r["expected_synapses"] * rate + b * r["neurons"] * 1e4
            row = {"neurons_per_rank": r["neurons"], "synapses_per_rank": r["synapses"],
                   "neighbours": k, "packets_per_tick": packets,
                   "peak_rss_mb": r["peak_rss_mb"], "build_s": r["build_seconds"],
                   "compute_rtf": compute}
            for path, (c0, c1, c2) in costs.items():
                row[f"rtf_{path}"] = compute + ticks * (c0 + c1 * k + c2 * packets)
            rows[str(R)] = row
            print(name, R, json.dumps(row), flush=True)
        result["projections"][name] = rows
    (OUT / "scaling.json").write_text(json.dumps(result, indent=1))
    print(f"fit: {a * 1e9:.2f} ns/event, {b * 1e9:.2f} ns/neuron step; exchange "
          + "; ".join(f"{p}: {c0 * 1e6:.1f} µs + {c1 * 1e6:.2f} µs/neighbour + "
                      f"{c2 * 1e9:.1f} ns/packet" for p, (c0, c1, c2) in costs.items()))
    plot(result)


def plot(result):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    for k, (name, rows) in enumerate(result["projections"].items()):
        ranks = [int(r) for r in rows]
        for path, style in (("shared memory", "o-"), ("network", "s--")):
            ax1.loglog(ranks, [rows[r][f"rtf_{path}"] for r in rows], style, color=f"C{k}",
                       label=f"{name}, {path}")
        ax1.loglog(ranks, [rows[r]["compute_rtf"] for r in rows], ":", color=f"C{k}",
                   label=f"{name}, compute only")
        ax2.loglog(ranks, [rows[r]["peak_rss_mb"] for r in rows], "o-", color=f"C{k}",
                   label=name)
    ax1.axhline(1.0, color="grey", lw=0.8)
    ax1.set_xlabel("ranks")
    ax1.set_ylabel("projected real-time factor")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("ranks")
    ax2.set_ylabel("rehearsed peak RSS of rank 0 (MB)")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "scaling.png", dpi=110)


if __name__ == "__main__":
    main()
