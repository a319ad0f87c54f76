"""Helpers for rank-symmetric assertions in MPI tests."""

from __future__ import annotations


def assert_all_ranks(ok: bool, msg: str) -> None:
    """Agree on ``ok`` across COMM_WORLD, then assert on every rank.

    Every rank must call this (it is collective). All ranks fail together, and the
    message names the ranks whose local check failed.
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    ok = bool(ok)
    if comm.allreduce(ok, op=MPI.LAND):
        return
    failed = [r for r, r_ok in enumerate(comm.allgather(ok)) if not r_ok]
    raise AssertionError(f"{msg} (failed on rank(s) {failed} of {comm.Get_size()})")
