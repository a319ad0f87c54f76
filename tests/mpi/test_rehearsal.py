"""Rank rehearsal builds exactly what a real job's rank builds: the report of every rank of
a real 2- and 3-rank job (mpiexec, ``SPINN_RANK_REPORT``) equals the report of that rank
rehearsed alone in one process — every figure but times and RSS."""

import json
import os
import pathlib
import tempfile

import pytest

from tests.mpi_helpers import ROOT, assert_all_ranks, launch_from_rank0

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(300)]

UNTIMED = {"map_seconds", "build_seconds", "peak_rss_mb"}

# every connector kind, views, several delay stages, a plastic projection, Poisson drive
MIXED = """
import sys
import numpy as np
import spinn as sim

sim.setup(timestep=0.1, seed=int(sys.argv[1]), neurons_per_core=16, verbose=False)
rd = sim.RandomDistribution
src = sim.Population(40, sim.SpikeSourcePoisson(rate=30.0), label="src")
a = sim.Population(121, sim.IF_curr_exp(), label="a", structure=sim.Grid2D())
b = sim.Population(70, sim.IF_cond_exp(), label="b")
sim.Projection(src, a[:40], sim.OneToOneConnector(), sim.StaticSynapse(0.5, 1.0))
sim.Projection(a, a, sim.DistanceDependentProbabilityConnector("exp(-d/2)"),
               sim.StaticSynapse(0.1, rd("uniform", (0.5, 40.0))))
sim.Projection(a[10:90], b, sim.FixedNumberPostConnector(5), sim.StaticSynapse(0.002, 2.0))
sim.Projection(b, a, sim.FixedTotalNumberConnector(900), sim.StaticSynapse(-0.1, 1.5),
               receptor_type="inhibitory")
sim.Projection(b, b[::3], sim.FromListConnector([(i, (5 * i) % 24) for i in range(70)]),
               sim.STDPMechanism(weight=0.001, delay=1.0,
                                 weight_dependence=sim.AdditiveWeightDependence(w_max=0.01)))
sim.run(0.0)
"""


def _reports(directory):
    return {int(p.stem.split("-")[1]): json.loads(p.read_text())
            for p in pathlib.Path(directory).glob("rank-*.json")}


def _real_and_rehearsed(source, ranks, args):
    """Rank 0 of the test job: the real job's reports, and a rehearsal of each rank."""
    from mpi4py import MPI

    from spinn.rehearsal import rehearse

    with tempfile.TemporaryDirectory(prefix="spinn_rehearse_") as tmp:
        script = pathlib.Path(tmp) / "script.py"
        script.write_text(source)
        os.environ["SPINN_RANK_REPORT"] = str(pathlib.Path(tmp) / "real")
        try:
            rc, out, err, _ = launch_from_rank0(
                f"import runpy, sys\nsys.argv = [{str(script)!r}] + sys.argv[1:]\n"
                f"runpy.run_path({str(script)!r}, run_name='__main__')\n", ranks, args)
        finally:
            del os.environ["SPINN_RANK_REPORT"]
        real = _reports(pathlib.Path(tmp) / "real") if MPI.COMM_WORLD.Get_rank() == 0 else {}
        rehearsed = {r: rehearse(script, ranks, r, args) for r in range(ranks)} \
            if MPI.COMM_WORLD.Get_rank() == 0 else {}
    return rc, err, real, rehearsed


def _compare(rc, err, real, rehearsed, ranks):
    from mpi4py import MPI

    problems = []
    if MPI.COMM_WORLD.Get_rank() == 0:
        if rc != 0:
            problems.append(f"real job exited {rc}: {err[-2000:]}")
        elif sorted(real) != list(range(ranks)):
            problems.append(f"reports of ranks {sorted(real)}")
        else:
            for r in range(ranks):
                for key in sorted(set(real[r]) | set(rehearsed[r])):
                    if key not in UNTIMED and real[r].get(key) != rehearsed[r].get(key):
                        problems.append(f"rank {r} {key}: real {real[r].get(key)!r}, "
                                        f"rehearsed {rehearsed[r].get(key)!r}")
            if not any(real[r]["synapses"] for r in range(ranks)):
                problems.append("no synapses anywhere")
    return problems


@pytest.mark.parametrize("ranks", [2, 3])
def test_rehearsal_equals_the_real_job_for_brunel(ranks):
    """examples/brunel.py at scale 0.1 (--duration 0): every rank's report from mpiexec -n
    ranks equals the rehearsal of that rank."""
    brunel = (ROOT / "examples" / "brunel.py").read_text()
    args = ["--duration", "0", "--scale", "0.1", "--quiet"]
    rc, err, real, rehearsed = _real_and_rehearsed(brunel, ranks, args)
    problems = _compare(rc, err, real, rehearsed, ranks)
    assert_all_ranks(not problems, "; ".join(problems[:10]))


@pytest.mark.parametrize("ranks", [2, 3])
def test_rehearsal_equals_the_real_job_for_every_connector(ranks):
    """A network with every connector kind, views, delay stages and a plastic projection:
    rehearsed reports equal the real job's, rank by rank."""
    rc, err, real, rehearsed = _real_and_rehearsed(MIXED, ranks, ["7"])
    problems = _compare(rc, err, real, rehearsed, ranks)
    assert_all_ranks(not problems, "; ".join(problems[:10]))
