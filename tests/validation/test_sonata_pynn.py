"""A SONATA circuit written by another tool (bmtk's NetworkBuilder, NEST models) loaded with
PyNN's own importer runs on spinn.pynn exactly as on pyNN.nest: the same spikes of every
node (NEST in the peers' environment of benchmarks/; bmtk installed here if missing)."""

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from tests.validation.test_vs_nest import nest_python

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "validation" / "scripts"

pytestmark = [pytest.mark.validation, pytest.mark.timeout(1800)]


def test_bmtk_circuit_through_pyNN_importer_equals_pynn_nest(tmp_path):
    if importlib.util.find_spec("bmtk") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "bmtk"], check=True)
    py = nest_python()
    subprocess.run([str(py), "-m", "pip", "install", "-q", "h5py"], check=True)
    circuit = tmp_path / "circuit"
    subprocess.run([sys.executable, str(SCRIPTS / "bmtk_circuit.py"), str(circuit)],
                   check=True, capture_output=True)
    runs = {}
    for name, python in (("spinn", sys.executable), ("nest", str(py))):
        out = tmp_path / f"{name}.json"
        subprocess.run([python, str(SCRIPTS / "sonata_through_pynn.py"), name, str(circuit),
                        str(out)], check=True, capture_output=True)
        runs[name] = json.loads(out.read_text())
    ours, nest = runs["spinn"], runs["nest"]
    assert set(ours) == set(nest) == {"cortex", "input"}
    assert len(ours["cortex"]) > 100 and len(ours["input"]) == 400
    for label in ours:
        assert [i for i, _ in ours[label]] == [i for i, _ in nest[label]]
        assert max(abs(a - b) for (_, a), (_, b) in zip(ours[label], nest[label],
                                                          strict=True)) < 1e-9
