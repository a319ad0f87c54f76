"""IndexBasedProbabilityConnector: each pair (i, j) independently with probability f(i, j),
for a Python function f of index arrays (PyNN's connector of that name; PyNN's
DisplacementDependentProbabilityConnector and other IndexBasedExpressions reach spinn this way
through spinn.pynn).

The generic path: f is evaluated only on the pairs of the post core being built, on the rank
that owns it — never on the whole matrix at once — in chunks of at most PAIRS_PER_CHUNK pairs,
with one uniform number per pair from the core's stream (the same on any rank count).  The
mapping evaluates f on every core pair to know which connect (the O(pre × post) exception of
a connector nothing is known about).
"""

import numpy as np

from spinn.errors import ConfigurationError
from spinn.model.connectors import Connector

PAIRS_PER_CHUNK = 1 << 20


class IndexBasedProbabilityConnector(Connector):
    """``f(i, j)`` → probabilities for 1-D integer arrays i (pre indices) and j (post indices,
    endpoint coordinates) of equal length, one entry per pair; values outside [0, 1] are an
    error."""

    def __init__(self, function, allow_self_connections=True):
        if not callable(function):
            raise ConfigurationError(
                f"IndexBasedProbabilityConnector: {function!r} is not callable; give f(i, j)")
        self._function = function
        self.function = _name(function)        # what the description shows and compares
        self.allow_self_connections = bool(allow_self_connections)

    def probability(self, i, j, owner):
        """p for index arrays i, j of one shape; f sees them flat (1-D, one entry per pair),
        which elementwise functions and PyNN's DisplacementExpression both handle (PyNN's own
        2-D evaluation transposes a displacement expression's result)."""
        try:
            p = np.broadcast_to(np.asarray(self._function(i.ravel(), j.ravel()), np.float64),
                                (i.size,)).reshape(i.shape)
        except Exception as exc:
            raise ConfigurationError(
                f"{owner}: IndexBasedProbabilityConnector's function {self.function} fails "
                f"on index arrays ({type(exc).__name__}: {exc}); it must take arrays i, j and "
                f"return an array of probabilities") from None
        bad = ~((p >= 0.0) & (p <= 1.0))
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            raise ConfigurationError(
                f"{owner}: IndexBasedProbabilityConnector gives {p.flat[k]:g} at (i, j) = "
                f"({i.flat[k]}, {j.flat[k]}), outside [0, 1]")
        return p

    def check(self, owner, pre_size, post_size, same_population=False):
        i = np.zeros((1, 1), np.int64)
        self.probability(i, i, owner)

    def core_pairs(self, pre, post):
        """Core pairs that may connect and their expected synapses, f evaluated on every
        pair of neurons (in chunks of PAIRS_PER_CHUNK)."""
        owner = type(self).__name__
        out_i, out_j, out_w = [], [], []
        for a in np.flatnonzero(pre.counts):
            ids = pre.in_core(a)
            for b in np.flatnonzero(post.counts):
                members = post.in_core(b)
                total, hit = 0.0, False
                step = max(1, PAIRS_PER_CHUNK // ids.size)
                for lo in range(0, members.size, step):
                    I, J = np.meshgrid(ids, members[lo:lo + step], indexing="ij")
                    p = self.probability(I, J, owner)
                    total += float(p.sum())
                    hit |= bool((p > 0).any())
                if hit:
                    out_i.append(a)
                    out_j.append(b)
                    out_w.append(total)
        return (np.asarray(out_i, np.int64), np.asarray(out_j, np.int64),
                np.asarray(out_w, np.float64))

    def connect(self, ctx):
        pres = np.arange(ctx.pre_size, dtype=np.int64)

        def probability(chunk):
            post, pre = np.meshgrid(chunk, pres, indexing="ij")      # [chunk, pre_size]
            return self.probability(pre, post, ctx.owner)

        return self._draw_pairs(ctx, probability, PAIRS_PER_CHUNK)

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": type(self).__name__, "function": self.function,
                "allow_self_connections": self.allow_self_connections}


def _name(f):
    return getattr(f, "__qualname__", None) or type(f).__qualname__
