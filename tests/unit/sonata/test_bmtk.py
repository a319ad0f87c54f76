"""`spinn sonata` on a circuit bmtk wrote (tests/data/bmtk_circuit) gives the spikes PyNN's
own SONATA importer gives on spinn.pynn — which are pyNN.nest's
(tests/validation/test_sonata_pynn.py)."""

import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np

from spinn.recording.sonata import read_spikes

ROOT = pathlib.Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "bmtk_circuit"
SCRIPT = ROOT / "tests" / "validation" / "scripts" / "sonata_through_pynn.py"


def test_spinn_sonata_on_a_bmtk_circuit_equals_pynns_importer(tmp_path):
    circuit = tmp_path / "circuit"
    shutil.copytree(DATA, circuit)
    ref_path = tmp_path / "pynn.json"
    subprocess.run([sys.executable, str(SCRIPT), "spinn", str(circuit), str(ref_path)],
                   check=True, capture_output=True, timeout=240)
    ref = json.loads(ref_path.read_text())
    done = subprocess.run([sys.executable, "-m", "spinn.cli", "sonata",
                           str(circuit / "simulation_config.json")],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wrote spikes" in done.stdout
    times, ids = read_spikes(circuit / "output" / "spikes.h5")["cortex"]
    ours = sorted(zip(ids.tolist(), times.tolist()))
    theirs = sorted((i, t) for i, t in ref["cortex"])
    assert len(ours) > 100
    assert [i for i, _ in ours] == [i for i, _ in theirs]
    assert np.max(np.abs(np.array([t for _, t in ours]) - [t for _, t in theirs])) < 1e-9
    assert np.all(np.diff(times) >= 0)                  # sorted by time, as the file says


def test_spinn_sonata_on_two_ranks_writes_the_same_file(tmp_path):
    from spinn.cli import find_mpiexec, probe_mpi

    mpiexec = find_mpiexec(None)
    if mpiexec is None or probe_mpi(mpiexec, 2) is not None:
        import os

        import pytest
        if os.environ.get("CI") == "true":
            pytest.fail("MPI does not work here under CI")
        pytest.skip("MPI does not work here")
    files = {}
    for n in (1, 2):
        circuit = tmp_path / f"c{n}"
        shutil.copytree(DATA, circuit)
        done = subprocess.run([sys.executable, "-m", "spinn.cli", "sonata", "--ranks", str(n),
                               str(circuit / "simulation_config.json")],
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "MPI is not available" not in done.stderr
        files[n] = read_spikes(circuit / "output" / "spikes.h5")["cortex"]
    assert files[1][0].size > 100
    assert np.array_equal(files[1][0], files[2][0]) and np.array_equal(files[1][1], files[2][1])
