"""spinn's benchmark runner: one model, one configuration, R repeats, one JSON line each.

    spinn bench brunel --scale 1 --ranks 2 --repeat 3
    python benchmarks/bench.py microcircuit --scale 0.25 --ranks 2 --duration 1000

Following the community's recipe for PD14: no spike recording during the measured run (spikes
are counted by provenance), a discarded warm-up (--warmup ms), the drive stated.  Each run is a
fresh `mpiexec -n RANKS` job (this file in --worker mode); it prints one line
`RESULT {json}` and appends it to --json-out.  Recorded per run: model, scale, ranks, dt,
build_s, simulated_ms, sim_s, rtf, spikes, synaptic_events, events_per_s, peak_rss_mb per
rank, bytes_per_synapse, share of each tick-loop phase, drive, spinn version, and per rank
its neurons, synapses and phase seconds.  peak_pss_mb
per rank is the peak RSS less the pages shared with the other ranks (numba's LLVM, numpy,
Python, MPI libraries: counted once per rank in RSS, present once in memory), so its sum is
the job's physical peak; a single-process peer's RSS is its PSS.

build_s is the network's definition plus sim.build (generation, placement, compiled-kernel
loading), the slowest rank's — as the anchors time NEST (Create + Connect + Prepare) and
Brian2 (definition + the binary's initialisation).  sim.setup, like their nest.ResetKernel /
set_device, comes before the clock starts: it is where MPI itself starts up.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = {
    "brunel": ("brunel.py", dict()),
    "microcircuit": ("microcircuit.py", dict()),
    "va_coba": ("va_benchmark.py", dict(variant="coba")),
    "va_cuba": ("va_benchmark.py", dict(variant="cuba")),
}
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "results.jsonl"


def parser():
    p = argparse.ArgumentParser(
        prog="spinn bench", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="models:\n"
               "  brunel        Brunel (2000) model A: 12 500 neurons x scale, CE 1 000\n"
               "  microcircuit  Potjans & Diesmann (2014) cortical microcircuit (PD14)\n"
               "  va_coba       Vogels & Abbott (2005) benchmark, conductance-based\n"
               "  va_cuba       Vogels & Abbott (2005) benchmark, current-based\n\n"
               "examples:\n"
               "  spinn bench brunel --ranks 2 --repeat 3\n"
               "  spinn bench microcircuit --scale 0.25 --ranks 2 --duration 1000\n\n"
               "Each repeat is a fresh mpiexec job; compilation is warmed up before the clock\n"
               "and never in sim_s.  For spinn beside NEST and Brian2 in paired, alternating\n"
               "batches use benchmarks/side_by_side.py; for scaling sweeps benchmarks/scaling.py.")
    p.add_argument("model", choices=sorted(MODELS), help="the network to run (see below)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="scales the number of neurons (default 1)")
    p.add_argument("--k-scale", type=float, default=None,
                   help="scales the in-degrees (microcircuit, brunel; default 1)")
    p.add_argument("--ranks", type=int, default=1, help="MPI ranks of each run (default 1)")
    p.add_argument("--repeat", type=int, default=1, help="runs, one JSON line each (default 1)")
    p.add_argument("--duration", type=float, default=1000.0,
                   help="measured biological time, ms (default 1000)")
    p.add_argument("--warmup", type=float, default=100.0,
                   help="biological time run and discarded before it, ms (default 100)")
    p.add_argument("--background", choices=["poisson", "dc"], default="poisson",
                   help="microcircuit drive: Poisson input or its DC equivalent")
    p.add_argument("--seed", type=int, default=12345, help="seed of every random stream")
    p.add_argument("--json-out", default=str(DEFAULT_OUT),
                   help="JSON-lines file each result is appended to "
                        "(default benchmarks/results/results.jsonl)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"spinn_bench_{name[:-3]}",
                                                  ROOT / "examples" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_model(args):
    file, fixed = MODELS[args.model]
    example = load_example(file)
    if args.model == "brunel":
        example.build(args.scale, args.k_scale or 1.0, record=False)
        return "poisson 20 kHz per neuron"
    if args.model == "microcircuit":
        example.build(args.scale, args.k_scale, args.background, record=False)
        return args.background
    example.build(fixed["variant"], args.scale, record=False)
    return "kick 20 Poisson sources, first 50 ms" if fixed["variant"] == "coba" else "self"


def worker(args):
    import spinn as sim

    net = sim.setup(timestep=0.1, seed=args.seed, verbose=False)
    t0 = time.perf_counter()
    drive = build_model(args)
    sim.build(net)
    comm = sim.simulation().comm
    build_s = comm.allreduce(time.perf_counter() - t0, "max")
    if args.warmup > 0:
        sim.run(args.warmup, progress=False)
    sim.run(args.duration, progress=False)
    per_rank = sim.simulation().runs[-1]["per_rank"]     # every rank's, on rank 0
    tot = sim.provenance()
    sim.end()
    if comm.rank != 0:
        return
    wall = tot["wall_seconds"]
    phases = {k: max(p["seconds"][k] for p in per_rank) for k in per_rank[0]["seconds"]}
    busy = sum(phases.values()) or 1.0
    rec = {
        "simulator": "spinn", "version": sim.__version__, "model": args.model,
        "scale": args.scale, "k_scale": args.k_scale, "ranks": comm.size, "dt": net.dt,
        "drive": drive, "build_s": build_s, "simulated_ms": args.duration, "sim_s": wall,
        "rtf": tot["real_time_factor"], "spikes": tot["spikes_emitted"],
        "synaptic_events": tot["synaptic_events"], "events_per_s": tot["events_per_second"],
        "synapses": tot["synapses"], "bytes_per_synapse": tot["bytes_per_synapse"],
        "peak_rss_mb": [p["peak_rss_mb"] for p in per_rank],
        "peak_pss_mb": [p["peak_pss_mb"] for p in per_rank],
        "peak_rss_bytes_per_synapse": (sum(p["peak_rss_mb"] for p in per_rank) * 2**20
                                       / max(tot["synapses"], 1)),
        "phase_share": {k: v / busy for k, v in phases.items()},
        # each rank's own: its neurons (sources included) and phase seconds (a faster
        # rank's exchange time is mostly waiting for the slower one)
        "per_rank": [{"neurons": p["neurons"], "synapses": p["synapses"],
                      "seconds": p["seconds"]} for p in per_rank],
        "overruns": tot["overruns"],
    }
    line = json.dumps(rec)
    print("RESULT " + line, flush=True)
    if args.json_out:
        os.makedirs(os.path.dirname(args.json_out) or ".", exist_ok=True)
        with open(args.json_out, "a") as f:
            f.write(line + "\n")


def launch(args, argv):
    """Run the worker R times as fresh jobs; return the result records."""
    mpiexec = pathlib.Path(sys.executable).parent / "mpiexec"
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), *argv, "--worker"]
    if args.ranks > 1:
        cmd = [str(mpiexec), "-n", str(args.ranks), *cmd]
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    records = []
    for _ in range(args.repeat):
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("RESULT "):
                records.append(json.loads(line[7:]))
                print(line, flush=True)
    return records


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.worker:
        worker(args)
    else:
        launch(args, [a for a in argv if a != "--worker"])


if __name__ == "__main__":
    main()
