"""NEST reference rates of PD14 per population over several seeds, for the validation test
tests/validation/test_microcircuit_rates.py (which reads the JSON this writes).

    python benchmarks/nest_rates.py --scale 0.25 --seeds 1 2 3 4 5 --sim-time-ms 2000
    python benchmarks/nest_rates.py --scale 1.0 --seeds 1 2 --sim-time-ms 1000

Runs the anchor script ../shared/anchors/nest_microcircuit.py (NEST 3.10, 2 threads, Poisson
drive, 200 ms warm-up discarded) in the peers' environment that benchmarks/side_by_side.py
installs, one process per seed, and merges the per-population rates into
tests/validation/data/pd14_nest_rates.json under the key of the scale.
"""

import argparse
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from side_by_side import ensure_peers, run_json  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "validation" / "data" / "pd14_nest_rates.json"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--sim-time-ms", type=float, default=2000.0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    py, work = ensure_peers()
    runs = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "r.json"
            rec = run_json([str(py), "nest_microcircuit.py", "--scale", str(args.scale),
                            "--threads", str(args.threads), "--seed", str(seed),
                            "--presim-ms", "200", "--sim-time-ms", str(args.sim_time_ms),
                            "--json-out", str(out)], cwd=work)
        print(f"seed {seed}: " + " ".join(f"{k} {v:.3f}" for k, v in rec["rates_hz"].items()),
              flush=True)
        runs.append({"seed": seed, "rates_hz": rec["rates_hz"], "rtf": rec["rtf"],
                     "build_s": rec.get("build_s"), "peak_rss_mb": rec.get("peak_rss_mb")})
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data[f"{args.scale:g}"] = {
        "simulator": "NEST 3.10 (pip wheel), anchors/nest_microcircuit.py, Poisson drive",
        "sim_time_ms": args.sim_time_ms, "presim_ms": 200.0, "threads": args.threads,
        "runs": runs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
