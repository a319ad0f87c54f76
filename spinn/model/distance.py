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
EXACT_PAIRS = 1 << 16            # blocks up to this many pairs are evaluated exactly by the
SAMPLE_PAIRS = 4096              # mapping; larger ones on SAMPLE_PAIRS pairs (fixed seed)
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

    def may_connect(self, pre_ids, post_ids, positions=None):
        """positions: None, or (pre float64[3, pre_size], post float64[3, post_size]) or a
        callable returning them; without positions every block may connect."""
        if pre_ids.size == 0 or post_ids.size == 0:
            return False
        if positions is None or pre_ids.size * post_ids.size > EXACT_PAIRS:
            return True
        pre_pos, post_pos = positions() if callable(positions) else positions
        d = pair_distances(pre_pos[:, pre_ids], post_pos[:, post_ids])
        return bool(np.any(self.probability(d, type(self).__name__) > 0))

    def expected(self, pre_ids, post_ids, pre_size, post_size, positions=None):
        """Mean p over the block's pairs (exact up to EXACT_PAIRS pairs, else on SAMPLE_PAIRS
        pairs from a fixed-seed generator: the same on every rank) times the number of pairs.
        Without positions: p(0) per pair, an upper bound for a decreasing p(d)."""
        n_pairs = pre_ids.size * post_ids.size
        if n_pairs == 0:
            return 0.0
        owner = type(self).__name__
        if positions is None:
            return float(self.probability(np.zeros(1), owner)[0]) * n_pairs
        pre_pos, post_pos = positions() if callable(positions) else positions
        if n_pairs <= EXACT_PAIRS:
            d = pair_distances(pre_pos[:, pre_ids], post_pos[:, post_ids])
        else:
            rng = np.random.default_rng(0)
            i = pre_ids[rng.integers(0, pre_ids.size, SAMPLE_PAIRS)]
            j = post_ids[rng.integers(0, post_ids.size, SAMPLE_PAIRS)]
            d = np.sqrt(np.sum((pre_pos[:, i] - post_pos[:, j]) ** 2, axis=0))
        return float(self.probability(d, owner).mean()) * n_pairs

    def connect(self, ctx):
        if "positions" not in ctx.cache:
            ctx.cache["positions"] = ctx.positions()
        pre_pos, post_pos = ctx.cache["positions"]
        posts = ctx.post_ids.astype(np.int64)
        own = ctx.self_pre[posts] if self._excludes_self(ctx) else np.full(posts.size, -1)
        step = max(1, PAIRS_PER_CHUNK // max(ctx.pre_size, 1))
        pres_out, posts_out = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for lo in range(0, posts.size, step):
            chunk = posts[lo:lo + step]
            p = self.probability(pair_distances(post_pos[:, chunk], pre_pos), ctx.owner)
            hit = ctx.rng.random(p.shape) < p                  # [chunk, pre_size]
            rows = np.flatnonzero(own[lo:lo + step] >= 0)
            hit[rows, own[lo:lo + step][rows]] = False
            r, c = np.nonzero(hit)
            pres_out.append(c.astype(np.int64))
            posts_out.append(chunk[r])
        return np.concatenate(pres_out), np.concatenate(posts_out), {}

    def describe(self):
        return {"connector": type(self).__name__, "d_expression": self.d_expression,
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

