"""Brunel scale 0.2 with STDP (issue 13's target): checkpointed at 100 ms on 2 ranks and
continued on 1 and on 3 ranks, the whole run's spikes.h5 equals one uninterrupted run's."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from tests.mpi_helpers import MPIEXEC, ROOT, _child_env

pytestmark = pytest.mark.validation
ARGS = ["examples/brunel.py", "--scale", "0.2", "--stdp", "--quiet"]


def _spinn(ranks, *args):
    done = subprocess.run([sys.executable, "-m", "spinn.cli", "run", "--ranks", str(ranks),
                           *args], capture_output=True, text=True, env=_child_env(),
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _spikes(path):
    with h5py.File(path) as f:
        return {p: (f[f"spikes/{p}/timestamps"][...], f[f"spikes/{p}/node_ids"][...])
                for p in f["spikes"]}


@pytest.mark.timeout(900)
def test_brunel_stdp_restores_from_2_onto_1_and_3_ranks_bit_identically(tmp_path):
    if not MPIEXEC.exists():
        pytest.skip("no mpiexec in the venv")
    ck = str(tmp_path / "ck")
    _spinn(1, *ARGS, "--duration", "200", "--out", str(tmp_path / "whole"))
    _spinn(2, "--checkpoint-dir", ck, "--checkpoint-every", "100ms", *ARGS, "--duration",
           "100", "--out", str(tmp_path / "first"))
    whole = _spikes(tmp_path / "whole" / "spikes.h5")
    assert sum(t.size for t, _ in whole.values()) > 5000
    for ranks in (1, 3):
        out = tmp_path / f"on{ranks}"
        _spinn(ranks, "--checkpoint-dir", ck, "--restore", "latest", *ARGS, "--duration",
               "200", "--out", str(out))
        import json

        restored = json.loads((out / "provenance.json").read_text())["restored"]
        assert restored["t_ms"] == 100.0 and restored["written_on_ranks"] == 2
        again = _spikes(out / "spikes.h5")
        assert set(again) == set(whole)
        for p in whole:
            assert np.array_equal(whole[p][0], again[p][0]), (ranks, p)
            assert np.array_equal(whole[p][1], again[p][1]), (ranks, p)
