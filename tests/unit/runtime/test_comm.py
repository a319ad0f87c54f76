"""ThreadComm (several ranks as threads of one process) implements the communicator interface
exactly: alltoallv routing and order, gathers, reductions, and failure propagation."""

import threading

import numpy as np
import pytest

from spinn.runtime.comm import LocalComm, run_threads


def run_with_deadline(n_ranks, fn, seconds=10.0):
    """run_threads in a watchdog thread: returns ('ok', results) or ('error', exc); fails the
    test if the ranks hang."""
    box = {}

    def target():
        try:
            box["ok"] = run_threads(n_ranks, fn)
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"run_threads({n_ranks}) hung for {seconds} s"
    return ("ok", box["ok"]) if "ok" in box else ("error", box["error"])


def encode(src, dst, i):
    return np.uint64(src * 1_000_000 + dst * 1_000 + i)


@pytest.mark.parametrize("n_ranks", [1, 2, 3, 5])
def test_alltoallv_delivers_segments_in_source_order(n_ranks):
    """Each rank receives, grouped by source rank in rank order, exactly the segment every
    source addressed to it (segment lengths differ per pair, some are zero)."""
    def length(src, dst):
        return (src * 3 + dst * 5) % 4  # includes zero-length segments

    def fn(comm):
        r = comm.rank
        counts = np.array([length(r, d) for d in range(comm.size)], np.int64)
        send = np.array([encode(r, d, i) for d in range(comm.size) for i in range(counts[d])],
                        np.uint64)
        send = np.concatenate([send, np.full(7, 999, np.uint64)])  # slack past counts.sum()
        recv, rcounts = comm.alltoallv(send, counts)
        return np.array(recv), rcounts

    status, results = run_with_deadline(n_ranks, fn)
    assert status == "ok", results
    for d, (recv, rcounts) in enumerate(results):
        want_counts = [length(s, d) for s in range(n_ranks)]
        want = [encode(s, d, i) for s in range(n_ranks) for i in range(length(s, d))]
        assert rcounts.tolist() == want_counts
        assert recv.dtype == np.uint64 and recv.tolist() == [int(x) for x in want]


def test_alltoallv_with_nothing_to_send():
    """All-zero counts work on every rank and yield an empty uint64 receive buffer."""
    def fn(comm):
        recv, rcounts = comm.alltoallv(np.empty(0, np.uint64), np.zeros(comm.size, np.int64))
        return recv.size, recv.dtype, rcounts.tolist()

    status, results = run_with_deadline(3, fn)
    assert status == "ok"
    assert results == [(0, np.dtype(np.uint64), [0, 0, 0])] * 3


def test_alltoallv_repeated_calls_do_not_mix_rounds():
    """Fifty consecutive exchanges each deliver only that round's data."""
    def fn(comm):
        seen = []
        for rnd in range(50):
            counts = np.ones(comm.size, np.int64)
            send = np.array([rnd * 100 + comm.rank * 10 + d for d in range(comm.size)],
                            np.uint64)
            recv, _ = comm.alltoallv(send, counts)
            seen.append(np.array(recv).tolist())
        return seen

    status, results = run_with_deadline(3, fn)
    assert status == "ok"
    for d, seen in enumerate(results):
        for rnd, got in enumerate(seen):
            assert got == [rnd * 100 + s * 10 + d for s in range(3)]


def test_allgatherv_concatenates_in_rank_order():
    """allgatherv returns every rank's array (different lengths, zero included) concatenated
    in rank order, on every rank, keeping the dtype."""
    def fn(comm):
        part = np.arange(comm.rank * 10, comm.rank * 10 + comm.rank, dtype=np.int64)
        return comm.allgatherv(part)

    status, results = run_with_deadline(4, fn)
    assert status == "ok"
    want = np.concatenate([np.arange(r * 10, r * 10 + r) for r in range(4)])
    for got in results:
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)


def test_allgather_returns_objects_by_rank():
    """allgather returns the list of every rank's object, indexed by rank."""
    status, results = run_with_deadline(3, lambda comm: comm.allgather({"r": comm.rank}))
    assert status == "ok"
    assert results == [[{"r": 0}, {"r": 1}, {"r": 2}]] * 3


@pytest.mark.parametrize("op,reduce", [("sum", sum), ("max", max), ("min", min)])
def test_allreduce_scalars_and_arrays(op, reduce):
    """allreduce sum/max/min gives the same reduction on every rank, for scalars (keeping
    int/float type) and elementwise for arrays."""
    values = [3, -7, 12, 5]

    def fn(comm):
        v = values[comm.rank]
        arr = np.array([v, -v, comm.rank], np.int64)
        return comm.allreduce(v, op), comm.allreduce(float(v) / 2, op), comm.allreduce(arr, op)

    status, results = run_with_deadline(4, fn)
    assert status == "ok"
    want_arr = [reduce(values), reduce(-v for v in values), reduce(range(4))]
    for i_red, f_red, a_red in results:
        assert type(i_red) is int and i_red == reduce(values)
        assert type(f_red) is float and f_red == reduce(v / 2 for v in values)
        assert a_red.tolist() == want_arr


@pytest.mark.parametrize("bad_rank", [0, 2])
def test_exception_on_one_rank_is_reraised_without_hanging(bad_rank):
    """An exception on one rank while the others wait in a collective is re-raised by
    run_threads (the original exception, not a broken barrier) within the deadline."""
    class Boom(RuntimeError):
        pass

    def fn(comm):
        comm.barrier()
        if comm.rank == bad_rank:
            raise Boom(f"rank {comm.rank} failed")
        comm.allgather(comm.rank)
        comm.alltoallv(np.zeros(3, np.uint64), np.ones(3, np.int64))
        return comm.rank

    status, exc = run_with_deadline(3, fn)
    assert status == "error" and isinstance(exc, Boom) and str(exc) == f"rank {bad_rank} failed"


def test_local_comm_is_the_one_rank_case():
    """LocalComm behaves as a 1-rank ThreadComm: alltoallv returns the counted prefix."""
    comm = LocalComm()
    recv, rcounts = comm.alltoallv(np.arange(5, dtype=np.uint64), np.array([3]))
    assert recv.tolist() == [0, 1, 2] and rcounts.tolist() == [3]
    assert comm.allreduce(4, "max") == 4 and comm.allgather("x") == ["x"]
    np.testing.assert_array_equal(comm.allgatherv(np.arange(3)), np.arange(3))


def test_one_process_of_n_launched_tasks_is_refused_with_the_fix():
    """srun python … with an MPI that does not speak Slurm's PMI gives N copies of rank 0
    of 1: refused, naming the launcher, N and the fix; a batch script itself is not a task."""
    import pytest

    from spinn.errors import SimulationError
    from spinn.runtime.comm import check_launch

    for env, who in (({"SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "2"}, "srun"),
                     ({"PMI_SIZE": "2"}, "MPICH"), ({"OMPI_COMM_WORLD_SIZE": "3"}, "Open MPI")):
        with pytest.raises(SimulationError) as err:
            check_launch(env)
        text = str(err.value)
        assert who in text and "srun --mpi=pmi2" in text and "independent copies" in text
    check_launch({"SLURM_NTASKS": "4", "SLURM_STEP_NUM_TASKS": "4"})   # the batch step
    check_launch({"SLURM_STEP_NUM_TASKS": "1", "SLURM_PROCID": "0", "PMI_SIZE": "1"})
    check_launch({"PMI_SIZE": "4", "SPINN_ALLOW_COPIES": "1"})
