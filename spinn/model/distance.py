"""DistanceDependentProbabilityConnector: connection probability as a function of distance.

The probability is a numpy expression in the distance d (µm) between the neurons' positions
(population structures, spinn/model/space.py), evaluated per pair; periodic boundaries are not
modelled.
"""

import ast

import numpy as np

from spinn.errors import ConfigurationError
from spinn.model.connectors import Connector

# ---- distance-dependent probability ----------------------------------------------------

EXPRESSION_NAMES = {
    "exp": np.exp, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "abs": np.abs,
    "minimum": np.minimum, "maximum": np.maximum, "where": np.where, "pi": np.pi}
PAIRS_PER_CHUNK = 1 << 20        # distances evaluated at once in connect(): 8 MiB per array
EXACT_PAIRS = 1 << 16            # core pairs up to this many neuron pairs are evaluated exactly
SAMPLE_PAIRS = 4096              # by the mapping; larger ones on SAMPLE_PAIRS pairs (fixed seed)
PROBE_DISTANCES_UM = np.array([0.0, 0.5, 1.0, 10.0, 100.0, 1e3, 1e4, 1e6])


def pair_distances(a, b):
    """float64[m, n]: Euclidean distances (µm) between the columns of a [3, m] and b [3, n]."""
    sq = np.zeros((a.shape[1], b.shape[1]))
    for axis in range(3):
        sq += np.subtract.outer(a[axis], b[axis]) ** 2
    return np.sqrt(sq)


class DistanceDependentProbabilityConnector(Connector):
    """Each pair (i, j) independently with probability p(d), d the Euclidean distance in µm
    between the positions of pre neuron i and post neuron j (PyNN's connector; no periodic
    boundaries).

    d_expression is a string in d, evaluated with numpy on the distance matrix: e.g.
    "exp(-d/100)" or "0.5*(d<200)"; it may use exp, sqrt, sin, cos, abs, minimum, maximum,
    where and pi.  A value outside [0, 1] is an error (not clipped).  Generation goes over
    the post core's targets in chunks of at most PAIRS_PER_CHUNK pairs, drawing one uniform
    number per pair from the core's stream.
    """

    uses_positions = True

    def __init__(self, d_expression, allow_self_connections=True):
        self.d_expression = d_expression
        self.allow_self_connections = bool(allow_self_connections)
        self._code = _compile_expression(d_expression)

    def probability(self, d, owner, check_range=True):
        """float64 like d: p(d), checked to lie in [0, 1]."""
        name = f"{owner}: DistanceDependentProbabilityConnector d_expression " \
               f"{self.d_expression!r}"
        try:
            with np.errstate(all="ignore"):
                p = eval(self._code, {"__builtins__": {}}, {**EXPRESSION_NAMES, "d": d})
            p = np.broadcast_to(np.asarray(p, dtype=np.float64), d.shape)
        except Exception as exc:
            raise ConfigurationError(
                f"{name} cannot be evaluated on distances ({type(exc).__name__}: {exc}); "
                f"write a numpy expression in d, e.g. 'exp(-d/100)'") from None
        bad = ~((p >= 0.0) & (p <= 1.0))          # also catches NaN
        if check_range and bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            raise ConfigurationError(
                f"{name} gives {p.flat[k]:g} at d = {d.flat[k]:g} µm, outside [0, 1]; make "
                f"it a probability (e.g. wrap it in minimum(..., 1))")
        return p

    def check(self, owner, pre_size, post_size, same_population=False):
        # evaluation errors show at any distance; the range is checked here at d = 0 only
        # (as PyNN does) and at the network's own distances while connecting
        self.probability(PROBE_DISTANCES_UM, owner, check_range=False)
        self.probability(PROBE_DISTANCES_UM[:1], owner)

    def core_pairs(self, pre, post, positions):
        """Core pairs of pre/post (spinn.model.cores.Members) that may connect, with their
        expected synapses.  positions: (pre float64[3, pre_size], post float64[3, post_size])
        or a callable returning them.  A block of up to EXACT_PAIRS pairs is evaluated on
        every pair (it may connect when any p > 0); a larger one on SAMPLE_PAIRS pairs from a
        fixed-seed stream (the same on every rank), and is assumed to connect.  Vectorised
        over post cores, at most PAIRS_PER_CHUNK distances at once."""
        pre_pos, post_pos = positions() if callable(positions) else positions
        owner = type(self).__name__
        order = np.concatenate([post.in_core(j) for j in range(post.n_cores)])
        bounds = np.concatenate([[0], np.cumsum(post.counts)])
        out_i, out_j, out_w = [], [], []
        for i in np.flatnonzero(pre.counts):
            ids = pre.in_core(i)
            a = ids.size
            exact = np.flatnonzero((post.counts > 0) & (post.counts * a <= EXACT_PAIRS))
            step = max(1, PAIRS_PER_CHUNK // a)
            at = 0
            while at < exact.size:      # consecutive exact cores, ≤ step post neurons
                first = exact[at]
                stop = at + 1
                while stop < exact.size and exact[stop] == exact[stop - 1] + 1 and \
                        bounds[exact[stop] + 1] - bounds[first] <= step:
                    stop += 1
                cores = exact[at:stop]
                lo, hi = bounds[cores[0]], bounds[cores[-1] + 1]
                p = self.probability(pair_distances(pre_pos[:, ids], post_pos[:, order[lo:hi]]),
                                     owner)
                col = p.sum(axis=0)
                hit = (p > 0).any(axis=0)
                starts = bounds[cores] - lo
                total = np.add.reduceat(col, starts)
                may = np.maximum.reduceat(hit, starts)
                out_i.append(np.full(int(may.sum()), i, np.int64))
                out_j.append(cores[may])
                out_w.append(total[may])
                at = stop
            for j in np.flatnonzero(post.counts * a > EXACT_PAIRS):
                rng = np.random.default_rng([0, int(i), int(j)])
                members = order[bounds[j]:bounds[j + 1]]
                u = ids[rng.integers(0, a, SAMPLE_PAIRS)]
                v = members[rng.integers(0, members.size, SAMPLE_PAIRS)]
                d = np.sqrt(np.sum((pre_pos[:, u] - post_pos[:, v]) ** 2, axis=0))
                out_i.append(np.array([i], np.int64))
                out_j.append(np.array([j], np.int64))
                out_w.append(np.array([self.probability(d, owner).mean() * a * members.size]))
        if not out_i:
            e = np.empty(0, np.int64)
            return e, e, np.empty(0)
        i, j, w = (np.concatenate(x) for x in (out_i, out_j, out_w))
        order = np.lexsort((j, i))
        return i[order], j[order], w[order].astype(np.float64)

    def connect(self, ctx):
        if "positions" not in ctx.cache:
            ctx.cache["positions"] = ctx.positions()
        pre_pos, post_pos = ctx.cache["positions"]
        return self._draw_pairs(ctx, lambda chunk: self.probability(
            pair_distances(post_pos[:, chunk], pre_pos), ctx.owner), PAIRS_PER_CHUNK)

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": type(self).__name__, "d_expression": self.d_expression,
                "allow_self_connections": self.allow_self_connections}


class SmallWorldConnector(DistanceDependentProbabilityConnector):
    """A small-world network (PyNN's SmallWorldConnector, whose ``connect`` PyNN leaves
    unimplemented — so no backend defines it; this is spinn's, after Watts and Strogatz):
    every pair closer than ``degree`` µm connects (a spatial lattice, from the populations'
    structures), then each of those connections is rewired with probability ``rewiring`` to
    a source drawn uniformly from the whole pre population (redrawn while it is the target
    itself, unless allow_self_connections).  Rewiring keeps each neuron's in-degree, so
    every post core draws its own synapses from its stream, on any rank count.  The
    mapping lists the lattice's core pairs and, when rewiring > 0, every pre core onto each
    post core that has lattice synapses."""

    def __init__(self, degree, rewiring, allow_self_connections=True, n_connections=None):
        degree = float(degree)
        if not degree > 0:
            raise ConfigurationError(f"SmallWorldConnector: degree = {degree:g} µm must be > 0")
        if not 0.0 <= float(rewiring) <= 1.0:
            raise ConfigurationError(
                f"SmallWorldConnector: rewiring = {rewiring!r} must be a probability in "
                f"[0, 1]")
        if n_connections is not None:
            raise ConfigurationError(
                "SmallWorldConnector: n_connections is not supported (PyNN leaves its meaning "
                "undefined); connect by degree")
        super().__init__(f"d < {degree!r}", allow_self_connections)
        self.degree, self.rewiring = degree, float(rewiring)

    def core_pairs(self, pre, post, positions):
        i, j, w = super().core_pairs(pre, post, positions)
        if self.rewiring == 0.0 or not i.size:
            return i, j, w
        lattice = np.bincount(j, weights=w, minlength=post.n_cores)     # per post core
        share = pre.counts / max(pre.size, 1)
        ii, jj = np.meshgrid(np.flatnonzero(pre.counts), np.flatnonzero(lattice),
                             indexing="ij")
        ii, jj = ii.ravel(), jj.ravel()
        ww = self.rewiring * lattice[jj] * share[ii]
        kept = dict(zip(zip(i.tolist(), j.tolist()), ((1.0 - self.rewiring) * w).tolist()))
        ww = ww + np.array([kept.get(k, 0.0) for k in zip(ii.tolist(), jj.tolist())])
        order = np.lexsort((jj, ii))
        return ii[order].astype(np.int64), jj[order].astype(np.int64), ww[order]

    def connect(self, ctx):
        pre, post, cols = super().connect(ctx)
        if self.rewiring == 0.0 or not pre.size:
            return pre, post, cols
        rewire = np.flatnonzero(ctx.rng.random(pre.size) < self.rewiring)
        new = ctx.rng.integers(0, ctx.pre_size, rewire.size)
        if self._excludes_self(ctx):
            own = ctx.self_pre(post[rewire])
            for _ in range(64):
                again = np.flatnonzero(new == own)
                if not again.size or ctx.pre_size < 2:
                    break
                new[again] = ctx.rng.integers(0, ctx.pre_size, again.size)
        pre = pre.copy()
        pre[rewire] = new
        return pre, post, cols

    def describe(self):
        return {"connector": "SmallWorldConnector", "degree": self.degree,
                "rewiring": self.rewiring,
                "allow_self_connections": self.allow_self_connections}


def _compile_expression(text):
    """Compile a d_expression, allowing only d and EXPRESSION_NAMES (no attributes)."""
    what = f"DistanceDependentProbabilityConnector: d_expression {text!r}"
    if not isinstance(text, str):
        raise ConfigurationError(f"{what} is not a string; write it in d, e.g. 'exp(-d/100)'")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConfigurationError(
            f"{what} is not a valid expression ({exc.msg}); write it in d, e.g. "
            f"'exp(-d/100)'") from None
    allowed = {"d", *EXPRESSION_NAMES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            raise ConfigurationError(f"{what} uses an attribute ({node.attr}); use plain names")
        if isinstance(node, ast.Name) and node.id not in allowed:
            raise ConfigurationError(
                f"{what} uses the unknown name {node.id!r}; valid names: "
                f"{', '.join(sorted(allowed))}")
    return compile(tree, "<d_expression>", "eval")


# ---- fixed total number ------------------------------------------------------------------

