"""spinn.sonata on several MPI ranks: each rank scans its share of the edges and builds its
own cores' synapses from the file, and the spike file and report equal one process's."""

import os
import shutil
import tempfile

import numpy as np
import pytest

from spinn.recording.sonata import read_frames, read_spikes
from spinn.runtime.comm import LocalComm
from tests.unit.sonata import circuit
from tests.unit.sonata.test_sonata_input import _load_run_write

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(180)]


def test_sonata_circuit_on_the_world_equals_one_process(mpi_comm):
    base = mpi_comm.bcast(tempfile.mkdtemp(prefix="spinn-sonata-") if mpi_comm.rank == 0
                          else None)
    if mpi_comm.rank == 0:
        circuit.write(os.path.join(base, "world"))
        shutil.copytree(os.path.join(base, "world"), os.path.join(base, "one"))
    mpi_comm.barrier()
    world = _load_run_write(os.path.join(base, "world", "simulation_config.json"))
    if mpi_comm.rank == 0:
        one = _load_run_write(os.path.join(base, "one", "simulation_config.json"), LocalComm())
        a, b = read_spikes(world["spikes"])["cortex"], read_spikes(one["spikes"])["cortex"]
        assert a[0].size > 200
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        fa, fb = read_frames(world["membrane"])["cortex"], read_frames(one["membrane"])["cortex"]
        assert all(np.array_equal(x, y) for x, y in zip(fa, fb))
        shutil.rmtree(base)
    mpi_comm.barrier()
