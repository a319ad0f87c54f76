"""Command-line entry point: ``spinn run``, ``spinn rehearse``, ``spinn bench``,
``spinn report``, ``spinn plot`` and ``spinn version`` (also ``spinn --version``).

Kept free of heavy imports (numpy, numba, mpi4py) so it starts instantly.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import Callable, Optional, Sequence

PROBE_TIMEOUT = 60.0


def find_mpiexec(explicit: Optional[str] = None) -> Optional[str]:
    """``--mpiexec``, else ``$SPINN_MPIEXEC``, else the mpiexec next to sys.executable."""
    chosen = explicit or os.environ.get("SPINN_MPIEXEC")
    if chosen:
        return shutil.which(chosen) or chosen  # allow a bare name such as "mpirun"
    # Not shutil.which("mpiexec"): a system mpiexec from another MPI would start
    # N unrelated single-rank processes.
    candidate = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return None


def probe_mpi(mpiexec: str, ranks: int, timeout: float = PROBE_TIMEOUT) -> Optional[str]:
    """Start ``ranks`` ranks of a trivial mpi4py program. Return None if it worked, else why not."""
    code = f"from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == {ranks}"
    try:
        proc = subprocess.run(
            [mpiexec, "-n", str(ranks), sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"{mpiexec} -n {ranks} probe timed out after {timeout:g} s"
    except OSError as exc:
        return f"cannot run {mpiexec}: {exc}"
    if proc.returncode != 0:
        lines = proc.stdout.strip().splitlines()
        last = lines[-1] if lines else "no output"
        return f"{mpiexec} -n {ranks} probe exited {proc.returncode}: {last}"
    return None


def plan_launch(
    ranks: int,
    script: str,
    script_args: Sequence[str],
    mpiexec: Optional[str],
    probe: Callable[[str, int], Optional[str]],
) -> tuple[list[str], Optional[str]]:
    """Decide what to exec. Returns (argv, message); message is set when falling back.

    ``probe(mpiexec, ranks)`` returns None when MPI works, else a reason string.
    It is only called when ranks > 1 and an mpiexec was found.
    """
    direct = [sys.executable, script, *script_args]
    if ranks <= 1:
        return direct, None
    if mpiexec is None:
        reason = "no mpiexec found; pass --mpiexec or set SPINN_MPIEXEC"
    else:
        reason = probe(mpiexec, ranks)
        if reason is None:
            return [mpiexec, "-n", str(ranks), *direct], None
    return direct, f"spinn: MPI is not available ({reason}); running {script} as a single process"


def checkpoint_period(text: str) -> tuple[str, float]:
    """'60s', '5min', '1h' (wall time: ("wall", seconds)) or '500ms' (simulated time:
    ("sim", ms))."""
    units = (("ms", "sim", 1.0), ("min", "wall", 60.0), ("s", "wall", 1.0),
             ("h", "wall", 3600.0))
    for suffix, kind, scale in units:
        if text.endswith(suffix):
            try:
                value = float(text[: -len(suffix)])
            except ValueError:
                break
            if value > 0:
                return kind, value * scale
            break
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a period; give a positive number with a unit: 60s, 5min, 1h of "
        f"wall time or 500ms of simulated time")


def time_scale_factor(text: str) -> float:
    """A time_scale_factor: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time_scale_factor; give a number > 0 (wall seconds per "
            f"simulated second: 2 runs at half real time)")
    return value


def spinn_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return "unknown"
    try:
        return version("spinn")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinn", description="spinn: a SpiNNaker-style spiking neural network simulator "
                                  "on MPI — run scripts, rehearse ranks, benchmark, and read "
                                  "results (docs/guide.md)")
    parser.add_argument("--version", action="version", version=f"spinn {spinn_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run a script on N MPI ranks (single process if MPI is unavailable)",
        usage="spinn run [--ranks N] [--mpiexec PATH] [--checkpoint-dir DIR] "
              "[--checkpoint-every 60s|500ms] [--restore PATH|latest] SCRIPT "
              "[-- SCRIPT_ARGS...]",
        description="Run SCRIPT on N ranks.  With a checkpoint directory, SIGTERM or SIGUSR1 "
                    "(Slurm's preemption, sbatch --signal) checkpoint the run at the next "
                    "common stop and exit 0; --restore continues a script from a "
                    "checkpoint, skipping the runs that ended before it.",
    )
    run.add_argument("--ranks", "-n", type=int, default=1, help="number of MPI ranks (default 1)")
    run.add_argument(
        "--mpiexec",
        default=None,
        help="mpiexec to use (default: $SPINN_MPIEXEC, "
        "else the one next to the Python interpreter)",
    )
    run.add_argument("--rank-report", metavar="DIR", default=None,
                     help="write each rank's report (what spinn rehearse prints) to "
                          "DIR/rank-<r>.json once the network is built")
    run.add_argument("--checkpoint-dir", metavar="DIR", default=None,
                     help="where checkpoints go ($SPINN_CHECKPOINT_DIR); enables checkpoint "
                          "on SIGTERM/SIGUSR1")
    run.add_argument("--checkpoint-every", metavar="PERIOD", default=None,
                     type=checkpoint_period,
                     help="a checkpoint every PERIOD: '60s' or '5min' of wall time, '500ms' of "
                          "simulated time (needs --checkpoint-dir)")
    run.add_argument("--restore", metavar="PATH", default=None,
                     help="continue from this checkpoint ('latest': the newest in "
                          "--checkpoint-dir)")
    run.add_argument("--time-scale-factor", metavar="F", default=None, type=time_scale_factor,
                     help="wall seconds per simulated second of a real-time run, for a script "
                          "whose setup() gives none ($SPINN_TIME_SCALE_FACTOR; sPyNNaker's "
                          "configuration file's time_scale_factor)")
    run.add_argument("script", metavar="SCRIPT")
    run.add_argument("script_args", metavar="SCRIPT_ARGS", nargs=argparse.REMAINDER)

    rep = sub.add_parser(
        "replay",
        help="rerun a live script offline from its input log, on any number of ranks",
        usage="spinn replay [--ranks N] [--mpiexec PATH] LOG_DIR SCRIPT [-- SCRIPT_ARGS...]",
        description="Run SCRIPT as `spinn run` does, its SpikeInjector populations fed from "
                    "the input log a live run wrote (LOG_DIR: its live_input directory), at "
                    "the ticks the live run applied them: the same spikes, bit for bit, on "
                    "any number of ranks.  No sockets, no handshake, no real-time pacing.",
    )
    rep.add_argument("--ranks", "-n", type=int, default=1, help="number of MPI ranks (default 1)")
    rep.add_argument("--mpiexec", default=None, help="mpiexec to use (as spinn run)")
    rep.add_argument("log", metavar="LOG_DIR")
    rep.add_argument("script", metavar="SCRIPT")
    rep.add_argument("script_args", metavar="SCRIPT_ARGS", nargs=argparse.REMAINDER)

    son = sub.add_parser(
        "sonata",
        help="run a SONATA simulation config on N MPI ranks (each rank reads its own edges)",
        usage="spinn sonata [--ranks N] [--mpiexec PATH] [--seed S] SIMULATION_CONFIG",
        description="Read SIMULATION_CONFIG and its circuit (nodes, node types, edges, "
                    "node sets, spike inputs), run run.tstop ms at run.dt, and write the "
                    "spike file and reports it configures under its output directory "
                    "(spinn/sonata/__init__.py says what is read).")
    son.add_argument("--ranks", "-n", type=int, default=1, help="number of MPI ranks (default 1)")
    son.add_argument("--mpiexec", default=None, help="mpiexec to use (as spinn run)")
    son.add_argument("--seed", type=int, default=None,
                     help="the network's seed (default run.random_seed, else 1)")
    son.add_argument("config", metavar="SIMULATION_CONFIG")

    reh = sub.add_parser(
        "rehearse",
        help="map and build what one rank of an N-rank job would, in this process",
        usage="spinn rehearse --ranks N [--rank R] [--rate HZ] [--json PATH] SCRIPT "
              "[-- SCRIPT_ARGS...]",
        description="Run SCRIPT as rank R of an N-rank job, alone in this process, up to the "
                    "end of the build at its first run(), and print the rank's figures: "
                    "mapping and build time, peak RSS, neurons, synapses, synaptic storage "
                    "and row index bytes, routing entries, neighbour ranks and the traffic "
                    "expected per tick at --rate.  The run is not simulated.")
    reh.add_argument("--ranks", "-n", type=int, required=True, help="ranks of the job")
    reh.add_argument("--rank", "-r", type=int, default=0, help="the rank to rehearse")
    reh.add_argument("--rate", type=float, default=5.0,
                     help="firing rate (Hz) the expected traffic assumes (default 5)")
    reh.add_argument("--json", default=None, help="also write the report to this JSON file")
    reh.add_argument("script", metavar="SCRIPT")
    reh.add_argument("script_args", metavar="SCRIPT_ARGS", nargs=argparse.REMAINDER)

    # no help of its own: "spinn bench --help" is benchmarks/bench.py's full help
    bench = sub.add_parser(
        "bench", help="benchmark a model (spinn bench --help for the models and options)",
        usage="spinn bench MODEL [--scale S] [--ranks N] [--repeat R] ...", add_help=False)
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    report = sub.add_parser(
        "report", help="print a readable summary of a run's output directory",
        description="Summarise OUT_DIR/provenance.json (written by write_results): the job, "
                    "each run, each population and projection, warnings and the energy "
                    "estimate.")
    report.add_argument("out_dir", metavar="OUT_DIR")
    plot = sub.add_parser(
        "plot", help="draw the figures of a run's output directory",
        description="Draw OUT_DIR's figures from its files: raster.png (spikes.h5), "
                    "<var>.png for each recorded state variable (v.h5, gsyn_exc.h5, ...), "
                    "weights.png for plastic projections (weights_hist.json).")
    plot.add_argument("out_dir", metavar="OUT_DIR")
    plot.add_argument("--per-population", type=int, default=200,
                      help="neurons drawn per population in the raster (default 200)")
    salv = sub.add_parser(
        "salvage", help="write what a job that did not finish recorded, as spikes.h5",
        description="A job that lost a rank, was interrupted or failed keeps its ranks' "
                    "spools and a status directory (spinn-status-<job>); this merges what "
                    "they recorded up to their last flush into OUT_DIR/spikes.h5.")
    salv.add_argument("status_dir", metavar="STATUS_DIR")
    salv.add_argument("out_dir", metavar="OUT_DIR")
    sub.add_parser("version", help="print spinn's version")
    return parser


def bench_script() -> Optional[str]:
    """benchmarks/bench.py of the source tree this spinn was installed from (editable)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(here, "benchmarks", "bench.py")
    return path if os.path.isfile(path) else None


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:     # everything after it, --help included, is bench.py's
        return argparse.Namespace(command="bench", bench_args=argv[1:])
    # Split at the first "--" ourselves: argparse's handling of "--" differs between
    # Python versions.
    rest: list[str] = []
    has_sep = "--" in argv
    if has_sep:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sonata" and args.ranks < 1:
        parser.error("--ranks must be >= 1")
    if args.command in ("run", "rehearse", "replay"):
        if args.ranks < 1:
            parser.error("--ranks must be >= 1")
        if args.command == "rehearse" and not 0 <= args.rank < args.ranks:
            parser.error(f"--rank {args.rank} must be in [0, {args.ranks})")
        # "SCRIPT a -- b" keeps its "--"; "SCRIPT -- a b" passes just "a b".
        if has_sep:
            args.script_args = args.script_args + ["--"] + rest if args.script_args else rest
    elif rest:
        parser.error(f"unexpected arguments after --: {' '.join(rest)}")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.command == "version":
        print(spinn_version())
        return 0
    if args.command == "bench":
        script = bench_script()
        if script is None:
            print("spinn bench: benchmarks/bench.py not found; run it from a source checkout "
                  "(pip install -e .)", file=sys.stderr)
            return 2
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, script, *args.bench_args])

    if args.command == "rehearse":
        return rehearse_command(args)
    if args.command == "report":
        from spinn.recording.report import report_command

        return report_command(args.out_dir)
    if args.command == "salvage":
        from spinn.recording.salvage import salvage_command

        return salvage_command(args.status_dir, args.out_dir)
    if args.command == "plot":
        from spinn.recording.figures import plot_command

        return plot_command(args.out_dir, args.per_population)
    if args.command == "sonata":
        if not os.path.isfile(args.config):
            print(f"spinn sonata: {args.config} does not exist; give a SONATA simulation "
                  f"config (JSON)", file=sys.stderr)
            return 2
        args.script = "-m"               # python -m spinn.sonata CONFIG, on every rank
        args.script_args = ["spinn.sonata", os.path.abspath(args.config)] + (
            ["--seed", str(args.seed)] if args.seed is not None else [])
        args.rank_report = args.checkpoint_every = args.checkpoint_dir = args.restore = None
    if args.command == "replay":
        if not os.path.isdir(args.log):
            print(f"spinn replay: {args.log} is not a directory; give the live_input "
                  f"directory the live run wrote (it holds input-rank-*.log)", file=sys.stderr)
            return 2
        os.environ["SPINN_REPLAY"] = os.path.abspath(args.log)
        args.rank_report = args.checkpoint_every = args.checkpoint_dir = args.restore = None
    if args.rank_report:
        os.environ["SPINN_RANK_REPORT"] = os.path.abspath(args.rank_report)
    if args.checkpoint_every and not args.checkpoint_dir and \
            not os.environ.get("SPINN_CHECKPOINT_DIR"):
        print("spinn run: --checkpoint-every needs --checkpoint-dir DIR", file=sys.stderr)
        return 2
    if args.restore == "latest" and not args.checkpoint_dir and \
            not os.environ.get("SPINN_CHECKPOINT_DIR"):
        print("spinn run: --restore latest needs --checkpoint-dir DIR", file=sys.stderr)
        return 2
    if getattr(args, "time_scale_factor", None) is not None:
        os.environ["SPINN_TIME_SCALE_FACTOR"] = repr(args.time_scale_factor)
    if args.checkpoint_dir:
        os.environ["SPINN_CHECKPOINT_DIR"] = os.path.abspath(args.checkpoint_dir)
    if args.checkpoint_every:
        kind, value = args.checkpoint_every
        os.environ["SPINN_CHECKPOINT_EVERY_S" if kind == "wall" else
                   "SPINN_CHECKPOINT_EVERY_MS"] = repr(value)
    if args.restore:
        os.environ["SPINN_RESTORE"] = args.restore if args.restore == "latest" else \
            os.path.abspath(args.restore)
    mpiexec = find_mpiexec(args.mpiexec)
    cmd, message = plan_launch(args.ranks, args.script, args.script_args, mpiexec, probe_mpi)
    if message:
        print(message, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
    return 1  # not reached


def rehearse_command(args) -> int:
    import json

    from spinn.rehearsal import format_report, rehearse

    report = rehearse(args.script, args.ranks, args.rank, args.script_args, args.rate)
    print(format_report(report), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
