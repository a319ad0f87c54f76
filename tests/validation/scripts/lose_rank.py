"""A 2-rank run in which rank 1 is killed (SIGKILL, as the OOM killer or a failed node does)
at t = KILL_MS, recording spikes all the while (tests/unit/runtime/test_rank_loss.py).

    lose_rank.py KILL_MS OUT_DIR [sigint]

"sigint": rank 0 sends SIGINT to the whole job instead (Ctrl-C)."""

import os
import signal
import sys

import spinn as sim

kill_ms, out = float(sys.argv[1]), sys.argv[2]
how = sys.argv[3] if len(sys.argv) > 3 else "kill"
sim.setup(timestep=0.1, seed=5, neurons_per_core=50, verbose=True, out_dir=out,
          record_buffer_mb=0.05)
noise = sim.Population(100, sim.SpikeSourcePoisson(rate=400.0), label="noise")
a = sim.Population(200, sim.IF_curr_exp(), label="a")
sim.Projection(noise, a, sim.FixedProbabilityConnector(0.2),
               sim.StaticSynapse(weight=0.4, delay=1.0))
a.record("spikes")


def maybe_die(t):
    if t >= kill_ms:
        if how == "kill" and sim.rank() == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "sigint" and sim.rank() == 0:
            os.killpg(os.getpgid(0), signal.SIGINT)
        return None
    return t + 1.0


sim.run(2 * kill_ms, callbacks=[maybe_die])
sim.write_results()
sim.end()
