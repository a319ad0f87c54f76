"""The same PyNN scripts on spinn.pynn and on pyNN.nest (NEST 3.10, on_grid) give the same
spikes and membrane traces: current sources (DC, step, AC) and synapses (excitatory,
negative inhibitory weights, delays on and off the grid) on IF_curr_exp and IF_curr_alpha at
dt 0.1 and 1.0, and a circuit written for NEST (native_cell_type iaf_psc_exp/alpha/delta and
native_synapse_type static_synapse: NEST's names, defaults, pA/mV weights, negative =
inhibitory), as PyNN's SONATA importer builds them.  v agrees to 1e-6 mV (weights are float32 in spinn: relative 6e-8), spike
times exactly.

NEST runs in the peers' environment of benchmarks/ (benchmarks/.peers/venv, created by
benchmarks/side_by_side.py's ensure_peers, with PyNN and neo added here); slow, so marked
'validation' (launch/test --all).
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "validation" / "scripts" / "pynn_scenarios.py"

pytestmark = [pytest.mark.validation, pytest.mark.timeout(1800)]


def nest_python():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import side_by_side
    py, _ = side_by_side.ensure_peers()
    if subprocess.run([str(py), "-c", "import pyNN.nest, neo"], capture_output=True).returncode:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "PyNN==0.13.*", "neo"],
                       check=True)
    return py


def test_pynn_scenarios_equal_pynn_nest(tmp_path):
    py = nest_python()
    subprocess.run([sys.executable, str(SCRIPT), "spinn", str(tmp_path / "spinn.npz")],
                   check=True, capture_output=True)
    subprocess.run([str(py), str(SCRIPT), "nest", str(tmp_path / "nest.npz")], check=True,
                   capture_output=True)
    ours, nest = np.load(tmp_path / "spinn.npz"), np.load(tmp_path / "nest.npz")
    assert sorted(ours) == sorted(nest) and len(ours) == 27
    # the Neo Block has pyNN.nest's structure: names, units, annotations, channel indices
    assert json.loads(str(ours["neo_structure"])) == json.loads(str(nest["neo_structure"]))
    n_spikes = 0
    for key in sorted(k for k in ours if k != "neo_structure"):
        a, b = ours[key], nest[key]
        assert a.shape == b.shape, key
        if "spikes" in key:
            np.testing.assert_allclose(a, b, atol=1e-9, err_msg=key)
            n_spikes += a.size
        else:
            np.testing.assert_allclose(a, b, atol=1e-6, err_msg=key)
            assert np.ptp(a) > 0.3, key                       # the neurons were driven
    assert n_spikes > 20
