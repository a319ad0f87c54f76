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

import threading

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


_CSA_LOCK = threading.Lock()


class CSAConnector(Connector):
    """A connection set of the Connection Set Algebra (Djurfeldt 2012; the ``csa`` package,
    PyNN's CSAConnector): a mask (arity 0) or a connection set with (weight, delay) values
    (arity 2), over (pre index, post index).

    Generic path: each post core evaluates ``cross((0, n_pre − 1), (its first, its last post
    index)) * cset`` on the rank that owns it; the mapping does the same for every post core
    (the O(pre × post) exception).  A random mask (``csa.random(p)``) restarts its draws at
    each evaluation, so its connections are those of each post core's block — the same on
    any rank count, but not the draws of a whole-matrix evaluation (what pyNN.nest makes)."""

    def __init__(self, cset):
        try:
            import csa
        except ImportError:
            raise ConfigurationError(
                "CSAConnector needs the csa package (pip install csa)") from None
        arity = csa.arity(cset)
        if arity not in (0, 2):
            raise ConfigurationError(
                f"CSAConnector: a connection set of arity {arity}; give a mask (arity 0) or "
                f"a set with weight and delay values (arity 2)")
        self._cset = cset
        self.cset = repr(cset)
        self.arity = arity

    def _reseed(self, core):
        """Give every random part of the set a state keyed by (description, core)."""
        import random
        import zlib

        key = zlib.crc32(f"{self.cset}|{int(core)}".encode())
        py_state = random.Random(key).getstate()
        np_state = np.random.RandomState(key).get_state()
        seen, todo = set(), [self._cset]
        while todo:
            obj = todo.pop()
            if id(obj) in seen or not hasattr(obj, "__dict__"):
                continue
            seen.add(id(obj))
            for name, v in list(vars(obj).items()):
                if name in ("state", "randomState") and isinstance(v, tuple):
                    setattr(obj, name, py_state)
                elif name == "npRandomState":
                    setattr(obj, name, np_state)
                elif hasattr(v, "__dict__") and type(v).__module__.startswith("csa"):
                    todo.append(v)
                elif isinstance(v, (list, tuple)):
                    todo.extend(x for x in v if hasattr(x, "__dict__") and
                                type(x).__module__.startswith("csa"))

    def _block(self, n_pre, lo, hi, core=0):
        import csa

        with _CSA_LOCK:      # csa draws from the random module's one global state
            self._reseed(core)
            rows = list(csa.cross((0, n_pre - 1), (int(lo), int(hi))) * self._cset)
        if not rows:
            e = np.empty(0, np.int64)
            return e, e, {}
        arr = np.asarray(rows, np.float64).reshape(len(rows), -1)
        cols = {} if self.arity == 0 else {"weight": arr[:, 2], "delay": arr[:, 3]}
        return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), cols

    def core_pairs(self, pre, post):
        out_i, out_j, out_w = [], [], []
        for b in np.flatnonzero(post.counts):
            members = post.in_core(b)
            i, j, _ = self._block(pre.size, members[0], members[-1], b)
            keep = np.isin(j, members)
            if keep.any():
                cores, counts = np.unique(pre.core_of(i[keep]), return_counts=True)
                out_i.append(cores)
                out_j.append(np.full(cores.size, b, np.int64))
                out_w.append(counts.astype(np.float64))
        if not out_i:
            e = np.empty(0, np.int64)
            return e, e, np.empty(0)
        i, j, w = (np.concatenate(x) for x in (out_i, out_j, out_w))
        order = np.lexsort((j, i))
        return i[order], j[order], w[order]

    def check(self, owner, pre_size, post_size, same_population=False):
        """Arity 2: the set's weight and delay extremes (what the projection checks and the
        mapping's delay range needs), from one evaluation of the whole set."""
        self._extremes = {}
        if self.arity == 2:
            _, _, cols = self._block(pre_size, 0, post_size - 1, -1)
            self._extremes = {k: np.array([v.min(), v.max()]) for k, v in cols.items()}

    @property
    def columns(self):
        return getattr(self, "_extremes", {})

    def connect(self, ctx):
        posts = ctx.post_ids
        if not posts.size:
            e = np.empty(0, np.int64)
            return e, e, {}
        i, j, cols = self._block(ctx.pre_size, posts[0], posts[-1], ctx.post_core)
        keep = np.isin(j, posts)
        if self._excludes_self(ctx):
            keep &= ctx.self_pre(j) != i
        return i[keep], j[keep], {k: v[keep] for k, v in cols.items()}
