"""One error on every rank: a check that may fail on some ranks only (a directory one node
cannot write, a damaged file one rank reads) becomes the same exception on all of them,
after one allreduce — never a hang, never ranks that disagree on what happened.  Such an
error is the script's to catch on every rank (it is not an abort: see ``_everywhere``)."""

import numpy as np

from spinn.errors import ConfigurationError


def raise_everywhere(comm, problem, cls=ConfigurationError):
    """Collective: ``problem`` is this rank's message or None.  When any rank has one, every
    rank raises ``cls`` with the lowest such rank's message, naming the ranks that had one
    (all of them when they all did).  Three small allreduces and a bcast, only on failure."""
    if comm.size == 1 or comm.kind == "rehearsal":
        if problem:
            raise _everywhere(cls(problem))
        return
    bad = int(comm.allreduce(np.array([problem is not None], np.int64), "sum")[0])
    if not bad:
        return
    first = int(comm.allreduce(np.array([comm.rank if problem else comm.size], np.int64),
                               "min")[0])
    last = int(comm.allreduce(np.array([comm.rank if problem else -1], np.int64), "max")[0])
    message = comm.bcast(problem if comm.rank == first else None, root=first)
    if bad == comm.size:
        raise _everywhere(cls(message))
    ranks = str(first) if bad == 1 else f"{first}, …, {last} ({bad} ranks)"
    raise _everywhere(cls(f"{message} (on rank(s) {ranks})"))


def _everywhere(exc):
    """Mark ``exc`` as raised on every rank at the same point: Simulation.guarded lets it
    through instead of aborting the job — the ranks agree, so a script may catch it."""
    exc.on_every_rank = True
    return exc
