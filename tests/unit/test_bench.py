"""The benchmark runner writes one complete JSON record per run."""

import importlib.util
import json
import pathlib

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


@pytest.mark.parametrize("model", ["va_cuba", "brunel", "microcircuit"])
def test_worker_appends_a_complete_record(model, tmp_path, capsys):
    """A tiny run of each model appends one JSON line with every promised field, and its
    figures are consistent (rtf = sim_s / simulated s, events/s = events / sim_s)."""
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "r.jsonl"
    bench.main([model, "--scale", "0.02", "--duration", "20", "--warmup", "5", "--worker",
                "--json-out", str(out)])
    rec = json.loads(out.read_text().splitlines()[-1])
    for key in ("model", "scale", "ranks", "dt", "build_s", "simulated_ms", "sim_s", "rtf",
                "spikes", "synaptic_events", "events_per_s", "peak_rss_mb",
                "bytes_per_synapse", "phase_share", "version", "drive"):
        assert key in rec, key
    assert rec["model"] == model and rec["simulated_ms"] == 20.0
    assert rec["rtf"] == pytest.approx(rec["sim_s"] / 0.02)
    assert rec["events_per_s"] == pytest.approx(rec["synaptic_events"] / rec["sim_s"])
    # the physical share: the peak less pages shared with other processes, never more
    assert all(0 < pss <= rss for pss, rss in zip(rec["peak_pss_mb"], rec["peak_rss_mb"]))
    assert sum(rec["phase_share"].values()) == pytest.approx(1.0)
    assert "RESULT " in capsys.readouterr().out
