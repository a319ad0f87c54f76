"""Provenance people read: per-population and per-projection figures that agree with what
the run did, job facts, every field documented, `spinn report` and `spinn plot` from the
files, warnings through `warnings` with a fix, and the user's matplotlib left alone."""

import json
import pathlib
import re
import warnings

import pytest

import spinn as sim
from spinn.errors import RunWarning

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "provenance.md"


def leaf_paths(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from leaf_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(x, list) and x and isinstance(x[0], dict):
        yield from leaf_paths(x[0], path + "[]")
    else:
        yield path


def network(stdp=False, record_v=True):
    sim.setup(timestep=0.1, seed=7, verbose=False)
    noise = sim.Population(100, sim.SpikeSourcePoisson(rate=30.0), label="noise")
    exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0), label="exc",
                         neurons_per_core=100)
    inh = sim.Population(60, sim.IF_curr_exp(), label="inh")
    syn = sim.StaticSynapse(weight=0.4, delay=sim.RandomDistribution("uniform", (1.0, 3.0)))
    if stdp:
        syn = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                                A_minus=0.012),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.8),
            weight=0.4, delay=1.0)
    sim.Projection(noise, exc, sim.FixedNumberPreConnector(20), syn, label="noise→exc")
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.1),
                   sim.StaticSynapse(weight=0.3, delay=1.5), label="exc→inh")
    exc.record(["spikes", "v"] if record_v else "spikes")
    return noise, exc, inh


def test_tables_agree_with_the_run_and_every_field_is_documented(tmp_path):
    noise, exc, inh = network()
    sim.run(200.0)
    sim.run(100.0)
    t_exc, ids_exc = exc.get_spikes()
    sim.write_results(str(tmp_path), title="tables")
    sim.end()
    data = json.loads((tmp_path / "provenance.json").read_text())
    pops = {p["label"]: p for p in data["populations"]}
    assert pops["exc"]["spikes"] == ids_exc.size > 0          # engine counter = recorded
    assert pops["exc"]["rate_hz"] == pytest.approx(ids_exc.size / (300 * 0.3))
    assert pops["exc"]["cores"] == 3 and pops["exc"]["ranks"] == 1
    assert pops["exc"]["isi_cv"] is not None and 0.0 <= pops["exc"]["isi_cv"] < 2.0
    assert pops["inh"]["isi_cv"] is None                       # not recorded
    assert pops["noise"]["rate_hz"] == pytest.approx(30.0, rel=0.1)
    assert all(p["update_seconds"] > 0 for p in data["populations"])
    projs = {p["label"]: p for p in data["projections"]}
    assert projs["noise→exc"]["synapses"] == 300 * 20
    assert projs["noise→exc"]["synapse_bytes"] == 8 * 300 * 20
    lo, hi = projs["noise→exc"]["delay_ms"]
    assert projs["noise→exc"]["delay_range_from"] == "synapses" and 1.0 <= lo < hi <= 3.0
    assert projs["exc→inh"]["delay_ms"] == [1.5, 1.5]
    assert projs["noise→exc"]["synaptic_events_estimated"] == pytest.approx(
        pops["noise"]["spikes"] * 20 * 300 / 100)
    job = data["job"]
    assert job["ranks"] == 1 and job["seed"] == 7 and job["spinn_version"]
    assert job["hosts"] == [job["host"]] and job["command"]
    energy = data["runs"][-1]["totals"]["energy"]
    assert energy["estimate"] is True and energy["joules"] > 0
    assert set(energy["published_uJ_per_synaptic_event"]) == {"SpiNNaker-1", "NEST"}
    text = DOCS.read_text()
    documented = set(re.findall(r"`([a-z_A-Z0-9\[\].\-]+)`", text))
    missing = [p for p in leaf_paths(data)
               if not any(p == d or p.startswith(d + ".") or p.startswith(d + "[")
                          for d in documented)]
    assert not missing, f"fields of provenance.json not in docs/provenance.md: {missing}"


def test_spinn_report_and_plot_read_the_files(tmp_path, capsys):
    from spinn.cli import main

    network(stdp=True)
    sim.run(300.0)
    sim.write_results(str(tmp_path), title="report")
    sim.end()
    for name in ("raster.png", "v.png", "weights.png"):
        (tmp_path / name).unlink()
    assert main(["plot", str(tmp_path)]) == 0
    for name in ("raster.png", "v.png", "weights.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for text in ("report", "real-time factor", "exc", "noise→exc", "ISI CV", "µJ per synaptic "
                 "event", "SpiNNaker-1 0.6 µJ", "NEST 0.33 µJ"):
        assert text in out
    hist = json.loads((tmp_path / "weights_hist.json").read_text())["noise→exc"]
    assert sum(hist["before"]) == sum(hist["after"]) == 300 * 20
    assert hist["before"] != hist["after"]                 # STDP moved the weights
    assert main(["report", str(tmp_path / "nothing")]) == 2


def test_write_results_leaves_pyplot_alone(tmp_path):
    import matplotlib

    backend = matplotlib.get_backend()
    import matplotlib.pyplot as plt

    fig = plt.figure()
    network()
    sim.run(50.0)
    sim.write_results(str(tmp_path))
    sim.end()
    assert matplotlib.get_backend() == backend
    assert plt.gcf() is fig and plt.get_fignums() == [fig.number]
    plt.close(fig)


def test_unexplained_unrouted_packets_warn_with_a_fix_and_expected_ones_do_not():
    network()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(50.0)         # inh projects nowhere: its spikes have no route, as expected
    sim.end()
    assert not [w for w in caught if issubclass(w.category, RunWarning)]
    from spinn.recording.provenance import warn_about

    t = {"overruns": 3, "worst_lateness_ms": 2.5, "stdp_history_overflows": 2,
         "unrouted_packets": 10, "unrouted_without_targets": 4}
    with pytest.warns(RunWarning) as got:
        found = warn_about(t)
    assert len(found) == 3 and len(got) == 3
    assert "time_scale_factor" in found[0] and "Lower the postsynaptic rates" in found[1]
    assert found[2].startswith("6 packets had no route")


def test_energy_from_rapl_counters_when_the_kernel_has_them(tmp_path, monkeypatch):
    from spinn.recording import provenance as prov

    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (zone / "energy_uj").write_text("1000000\n")
    monkeypatch.setenv("SPINN_RAPL_DIR", str(tmp_path))
    assert prov.rapl_microjoules() == 1_000_000
    assert prov.rapl_delta_joules(1_000_000, 3_000_000, 0.5) == pytest.approx(1.0)
    e = prov.energy_estimate(10.0, 1.0, 1_000_000)
    assert e["method"].startswith("RAPL") and e["uJ_per_synaptic_event"] == pytest.approx(1.0)
    monkeypatch.setenv("SPINN_CORE_WATTS", "8")
    e = prov.energy_estimate(10.0, 0.0, 1_000_000)
    assert e["watts_per_core"] == 8.0 and e["joules"] == pytest.approx(80.0)
    monkeypatch.setenv("SPINN_RAPL_DIR", str(tmp_path / "none"))
    assert prov.rapl_microjoules() is None
