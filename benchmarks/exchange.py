"""Exchange cost per tick between ranks, over MPICH's shared-memory path and its network path
(MPIR_CVAR_NOLOCAL=1 makes every rank remote), at 2, 3 and 4 ranks.

Two mechanisms, as the tick loop uses them (every rank a neighbour of every other, P packets
to each per tick):
  neighbourhood  Neighbor_alltoall of the counts + Neighbor_alltoallv of the packets on a
                 distributed-graph topology, called from Python (the per-tick path);
  compiled       spinn.kernels.exchange post + finish inside one compiled loop of ticks,
                 point to point (the path of run_ticks).

    python benchmarks/exchange.py                 # every configuration, JSON to results/
    python benchmarks/exchange.py --ranks 2 --packets 300 --ticks 20000

Each configuration is its own mpiexec job; the figure is the slowest rank's mean per tick.
4 ranks on 2 cores busy-poll each other (shared/PLATFORM.md): read those as upper bounds.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "exchange.json"


def worker(args):
    import numpy as np
    from numba import njit

    from spinn.kernels.exchange import finish, post
    from spinn.runtime.comm import world

    comm = world()
    r, n = comm.rank, comm.size
    others = [q for q in range(n) if q != r]
    send = np.arange((1 + len(others)) * args.packets, dtype=np.uint64) + (r << 40)
    counts = np.full(1 + len(others), args.packets, np.int64)
    result = {}

    hood = comm.neighbourhood(others, others)
    out = send[args.packets:]
    for _ in range(200):
        hood.exchange(out, counts[1:])
    comm.barrier()
    t0 = time.perf_counter()
    for _ in range(args.ticks):
        hood.exchange(out, counts[1:])
    result["neighbourhood_us"] = (time.perf_counter() - t0) / args.ticks * 1e6

    ch = comm.channel()
    if ch is not None:
        @njit(cache=True)
        def loop(ticks, isend, irecv, waitall, c, d, src, dst, cap, send, counts, rbuf, stage,
                 reqs, statuses, inbox, inbox_tmp, bounds):
            total = 0
            for _ in range(ticks):
                stage, n_sends = post(isend, irecv, c, d, src, dst, cap, send, counts, rbuf,
                                      stage, reqs)
                got, n, inbox, inbox_tmp = finish(irecv, waitall, c, d, src, cap, counts[0],
                                                  rbuf, stage, n_sends, reqs, statuses, inbox,
                                                  inbox_tmp, bounds)
                total += n
            return total

        m = len(others)
        peers = np.array(others, np.int64)
        bufs = (512, np.zeros((m, 512), np.uint64), np.empty(1024, np.uint64),
                np.zeros(4 * m + 1, ch.request_dtype),
                np.zeros((4 * m + 1) * ch.status_words, np.int32), np.empty(1024, np.uint64),
                np.empty(1024, np.uint64), np.zeros(m + 2, np.int64))
        loop(200, *ch.functions(), peers, peers, bufs[0], send, counts, *bufs[1:])
        comm.barrier()
        t0 = time.perf_counter()
        loop(args.ticks, *ch.functions(), peers, peers, bufs[0], send, counts, *bufs[1:])
        result["compiled_us"] = (time.perf_counter() - t0) / args.ticks * 1e6
    slowest = {k: comm.allreduce(v, "max") for k, v in result.items()}
    if r == 0:
        print("RESULT " + json.dumps(slowest), flush=True)


def launch(ranks, packets, ticks, network):
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    env.pop("MPIR_CVAR_NOLOCAL", None)
    if network:
        env["MPIR_CVAR_NOLOCAL"] = "1"
    cmd = [str(pathlib.Path(sys.executable).parent / "mpiexec"), "-n", str(ranks),
           sys.executable, __file__, "--worker", "--packets", str(packets), "--ticks",
           str(ticks)]
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, nargs="*", default=[2, 3, 4])
    p.add_argument("--packets", type=int, nargs="*", default=[0, 300])
    p.add_argument("--ticks", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.packets = args.packets[0]
        worker(args)
        return
    rows = []
    for ranks in args.ranks:
        for packets in args.packets:
            for network in (False, True):
                reps = [launch(ranks, packets, args.ticks, network) for _ in range(args.repeat)]
                row = {"ranks": ranks, "packets_per_neighbour": packets,
                       "path": "network (MPIR_CVAR_NOLOCAL=1)" if network else "shared memory",
                       **{k: sorted(r[k] for r in reps)[len(reps) // 2] for k in reps[0]}}
                rows.append(row)
                print(json.dumps(row), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"ticks": args.ticks, "repeat": args.repeat, "rows": rows},
                              indent=1))


if __name__ == "__main__":
    main()
