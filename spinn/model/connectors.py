"""Connectors: which (pre, post) pairs a projection connects (PyNN names and options).

Indices are in the coordinates of the projection's endpoints (a Population, or a view of
one).  A connector generates the pairs whose target lies in one post-synaptic core — on the
rank that owns the core, from random streams keyed by (seed, projection, post core), never by
rank.  Every connector also answers two cheap questions the mapping asks without generating
anything: can the members of a pre core reach the members of a post core at all (routing),
and how many synapses are expected between them (placement load).
"""


import numpy as np

from spinn.errors import ConfigurationError, number
from spinn.kernels.sorting import sort_bounded
from spinn.model.cores import CHUNK


class ConnectContext:
    """What a connector sees when it generates the synapses of one post core.

    post_ids       int64[k]: post indices (endpoint coordinates) whose neuron is in this core,
                   ascending
    post_core      this core's number among the post parent population's cores
    post_counts    int64[n_post_cores]: post indices in each core of the post parent
    self_pre(idx)  int64 like idx: the pre index of the same neuron as each post index, or -1
                   (a "self-connection" joins a neuron to itself); ``may_self``: can any?
    post_core_of(idx)  core numbers of post indices
    rng            Generator keyed by (seed, projection, post core)
    stream(*key)   Generator keyed by (seed, projection, *key): the same on every rank
    positions()    (pre float64[3, pre_size], post float64[3, post_size]) in µm
    cache          dict shared by this projection's cores on this rank

    Nothing here is sized by the post population unless a connector asks for it.
    """

    def __init__(self, owner, pre_size, post_size, post_ids, post_core, post_counts, rng,
                 stream, positions, cache, self_pre=None, post_core_of=None):
        self.owner = owner
        self.pre_size, self.post_size = pre_size, post_size
        self.post_ids = post_ids
        self.post_core = post_core
        self.post_counts = np.asarray(post_counts, np.int64)
        self.rng, self.stream = rng, stream
        self.positions = positions
        self.cache = cache
        self._self_pre = self_pre
        self._post_core_of = post_core_of

    @property
    def n_post_cores(self):
        return int(self.post_counts.size)

    @property
    def may_self(self):
        return self._self_pre is not None and getattr(self._self_pre, "possible", True)

    def self_pre(self, post_idx):
        if self._self_pre is None:
            return np.full(np.shape(post_idx), -1, np.int64)
        return self._self_pre(post_idx)

    def post_core_of(self, post_idx):
        return self._post_core_of(post_idx)


class Connector:
    allow_self_connections = True
    seed = None               # an int: the connection streams' seed instead of the network's
    uses_positions = False    # True: core_pairs takes positions=(pre, post) arrays or a callable

    def check(self, owner, pre_size, post_size, same_population=False):
        """Raise ConfigurationError for impossible settings (before any communication)."""

    def block_factor(self, pre_size, post_size):
        """Expected synapses per (pre, post) pair when every pair has the same expectation:
        the mapping then treats the projection as one dense block, expected synapses between
        two cores = factor x their members (spinn/mapping/graph.py).  None for connectors
        whose pairs differ; they answer core_pairs instead."""
        return None

    def core_pairs(self, pre, post):
        """The sparse core graph of a projection: (i, j, expected) — core numbers of the pre
        and post parent populations (int64) that may connect, and the expected synapses
        between them (float64).  pre, post: spinn.model.cores.Members of the endpoints.
        A pair that can connect must be listed (its spikes are routed along it)."""
        raise NotImplementedError

    def connect(self, ctx):
        """(pre int64[n], post int64[n], columns dict) for the targets ctx.post_ids."""
        raise NotImplementedError

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": type(self).__name__, **{
            k: v for k, v in vars(self).items()
            if not isinstance(v, np.ndarray) and not k.startswith("_")}}

    def _excludes_self(self, ctx):
        return not self.allow_self_connections and ctx.may_self

    def _draw_pairs(self, ctx, probability, pairs_per_chunk):
        """(pre, post, {}) for a connector that takes every (pre, post) pair independently:
        ``probability(chunk)`` gives p[len(chunk), pre_size] for a chunk of ctx.post_ids,
        evaluated in chunks of at most pairs_per_chunk pairs, one uniform draw per pair from
        the core's stream, self-connections dropped when excluded."""
        posts = ctx.post_ids.astype(np.int64)
        own = ctx.self_pre(posts) if self._excludes_self(ctx) else np.full(posts.size, -1)
        step = max(1, pairs_per_chunk // max(ctx.pre_size, 1))
        pres_out, posts_out = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for lo in range(0, posts.size, step):
            chunk = posts[lo:lo + step]
            p = probability(chunk)
            hit = ctx.rng.random(p.shape) < p                  # [chunk, pre_size]
            rows = np.flatnonzero(own[lo:lo + step] >= 0)
            hit[rows, own[lo:lo + step][rows]] = False
            r, c = np.nonzero(hit)
            pres_out.append(c.astype(np.int64))
            posts_out.append(chunk[r])
        return np.concatenate(pres_out), np.concatenate(posts_out), {}

    def _drop_self(self, ctx, pre, post):
        if self._excludes_self(ctx):
            keep = ctx.self_pre(post) != pre
            return pre[keep], post[keep]
        return pre, post


def count_core_pairs(chunks, n_post_cores):
    """(i, j, count) from an iterable of (pre core int64[], post core int64[]) chunks:
    every distinct pair with the number of times it occurs, sorted by (i, j)."""
    keys, counts = [], []
    for i, j in chunks:
        k, c = np.unique(i * n_post_cores + j, return_counts=True)
        keys.append(k)
        counts.append(c)
    if not keys:
        e = np.empty(0, np.int64)
        return e, e, np.empty(0)
    k, inv = np.unique(np.concatenate(keys), return_inverse=True)
    c = np.bincount(inv, weights=np.concatenate(counts).astype(np.float64))
    return k // n_post_cores, k % n_post_cores, c


def _check_probability(owner, name, p):
    if not 0.0 <= p <= 1.0:
        raise ConfigurationError(
            f"{owner}: {name} = {p:g} is outside [0, 1]; give a probability between 0 and 1"
        )


class AllToAllConnector(Connector):
    """Every presynaptic neuron to every postsynaptic one (PyNN); allow_self_connections=False
    leaves out i → i when both ends are the same population."""

    def __init__(self, allow_self_connections=True):
        self.allow_self_connections = bool(allow_self_connections)

    def block_factor(self, pre_size, post_size):
        return 1.0

    def connect(self, ctx):
        post, pre = np.meshgrid(ctx.post_ids, np.arange(ctx.pre_size, dtype=np.int64),
                                indexing="ij")
        pre, post = self._drop_self(ctx, pre.ravel(), post.ravel())
        return pre, post, {}


class OneToOneConnector(Connector):
    """Neuron i to neuron i (PyNN); both ends must have the same size."""

    def check(self, owner, pre_size, post_size, same_population=False):
        if pre_size != post_size:
            raise ConfigurationError(
                f"{owner}: OneToOneConnector needs populations of equal size, got "
                f"{pre_size} → {post_size}; use equal sizes or a population view"
            )

    def core_pairs(self, pre, post):
        """Index k joins pre k and post k: the core pairs of every k, in O(cores) when both
        endpoints are whole populations (the intervals of constant (pre core, post core))."""
        if pre.whole and post.whole:
            size = pre.size
            starts = np.union1d(np.arange(0, size, pre.npc), np.arange(0, size, post.npc))
            lengths = np.diff(np.append(starts, size)).astype(np.float64)
            return starts // pre.npc, starts // post.npc, lengths
        return count_core_pairs(((pre.core_of(k), c) for k, c in post.chunks()),
                                post.n_cores)

    def connect(self, ctx):
        idx = ctx.post_ids.astype(np.int64)
        return idx.copy(), idx, {}


class FixedProbabilityConnector(Connector):
    """Each pair independently with probability p_connect (NEST's pairwise_bernoulli)."""

    def __init__(self, p_connect, allow_self_connections=True):
        self.p_connect = number(p_connect, type(self).__name__, "p_connect")
        self.allow_self_connections = bool(allow_self_connections)

    def check(self, owner, pre_size, post_size, same_population=False):
        _check_probability(owner, "FixedProbabilityConnector.p_connect", self.p_connect)

    def block_factor(self, pre_size, post_size):
        return self.p_connect

    def connect(self, ctx):
        n_pairs = ctx.pre_size * ctx.post_ids.size
        # The number of pairs is Binomial(n_pairs, p); which pairs is a uniform subset.
        k = ctx.rng.binomial(n_pairs, self.p_connect)
        flat = sort_bounded(ctx.rng.choice(n_pairs, size=k, replace=False, shuffle=False), n_pairs)
        post = ctx.post_ids[flat // ctx.pre_size]
        pre = flat % ctx.pre_size
        pre, post = self._drop_self(ctx, pre.astype(np.int64), post.astype(np.int64))
        return pre, post, {}


class _FixedNumberConnector(Connector):
    """What FixedNumberPre and FixedNumberPost share: every neuron of one side gets n
    connections, drawn from the neurons of ``side``."""

    side = "pre"

    def __init__(self, n, allow_self_connections=True, with_replacement=False):
        self.n = number(n, type(self).__name__, "n", integer=True)
        self.allow_self_connections = bool(allow_self_connections)
        self.with_replacement = bool(with_replacement)

    def check(self, owner, pre_size, post_size, same_population=False):
        name = type(self).__name__
        if self.n < 0:
            raise ConfigurationError(f"{owner}: {name} n = {self.n} < 0")
        size = pre_size if self.side == "pre" else post_size
        available = size - (1 if same_population and not self.allow_self_connections else 0)
        if not self.with_replacement and self.n > available:
            raise ConfigurationError(
                f"{owner}: {name} n = {self.n} exceeds the {available} available "
                f"{self.side} neurons without replacement; lower n or set "
                f"with_replacement=True")



class FixedNumberPreConnector(_FixedNumberConnector):
    """Each post neuron receives exactly n connections from random pre neurons."""

    side = "pre"

    def block_factor(self, pre_size, post_size):
        return self.n / pre_size

    def connect(self, ctx):
        posts = ctx.post_ids.astype(np.int64)
        post = np.repeat(posts, self.n)
        if self.with_replacement and not self._excludes_self(ctx):
            # the same numbers as the general case below, drawn with a scalar bound (2x faster)
            return ctx.rng.integers(0, ctx.pre_size, size=post.size, dtype=np.int64), post, {}
        # a post neuron that is also a pre candidate draws from the others and skips itself
        own = ctx.self_pre(posts) if self._excludes_self(ctx) else np.full(posts.size, -1)
        n_choice = ctx.pre_size - (own >= 0)
        if self.with_replacement:
            pre = ctx.rng.integers(0, np.repeat(n_choice, self.n), dtype=np.int64)
        else:
            pre = np.concatenate([
                ctx.rng.choice(m, size=self.n, replace=False) for m in n_choice
            ]).astype(np.int64) if posts.size else np.empty(0, np.int64)
        skip = np.repeat(own, self.n)
        pre += (skip >= 0) & (pre >= skip)
        return pre, post, {}


class FixedNumberPostConnector(_FixedNumberConnector):
    """Each pre neuron makes exactly n connections onto random post neurons.

    Distributed generation: how many of a pre neuron's n targets fall in each post core is a
    multinomial (with replacement) or multivariate hypergeometric (without) split, drawn down
    a binary tree over the post cores — at each node a binomial (hypergeometric) draw divides
    every pre neuron's targets between the node's halves, from a stream keyed by (projection,
    node), the same on every rank — so a core's counts need only the log2(cores) nodes on
    its path; which targets inside a core is drawn from that core's own stream.
    """

    side = "post"

    def block_factor(self, pre_size, post_size):
        return self.n / post_size

    def _own_core(self, ctx):
        """(own post index, its core) int64[pre_size] of each pre neuron (-1: none), or None
        when self-connections are allowed."""
        if not self._excludes_self(ctx):
            return None
        if "own_post" not in ctx.cache:
            own = np.full(ctx.pre_size, -1, np.int64)
            for lo in range(0, ctx.post_size, CHUNK):
                k = np.arange(lo, min(lo + CHUNK, ctx.post_size), dtype=np.int64)
                sp = ctx.self_pre(k)
                own[sp[sp >= 0]] = k[sp >= 0]
            core = np.full(ctx.pre_size, -1, np.int64)
            core[own >= 0] = ctx.post_core_of(own[own >= 0])
            ctx.cache["own_post"] = (own, core)
        return ctx.cache["own_post"]

    def _core_counts(self, ctx):
        """int64[pre_size]: how many of each pre neuron's n targets lie in ctx.post_core.
        The node vectors of the last path walked are kept, so a rank's consecutive cores
        share most of the walk."""
        cum = np.concatenate([[0], np.cumsum(ctx.post_counts)])
        own = self._own_core(ctx)
        path = ctx.cache.setdefault("split_path", {})
        if 1 not in path:
            path[1] = np.full(ctx.pre_size, self.n, np.int64)
        lo, hi, node = 0, ctx.post_counts.size, 1
        keep = {1}
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if 2 * node not in path:
                left = np.full(ctx.pre_size, cum[mid] - cum[lo], np.int64)
                right = np.full(ctx.pre_size, cum[hi] - cum[mid], np.int64)
                if own is not None:
                    left -= (own[1] >= lo) & (own[1] < mid)
                    right -= (own[1] >= mid) & (own[1] < hi)
                rng, n = ctx.stream(node), path[node]
                if self.with_replacement:
                    k = rng.binomial(n, left / np.maximum(left + right, 1))
                else:
                    k = rng.hypergeometric(left, right, n) if n.size else n.copy()
                path[2 * node], path[2 * node + 1] = k.astype(np.int64), n - k
            keep |= {2 * node, 2 * node + 1}
            node, lo, hi = (2 * node, lo, mid) if ctx.post_core < mid else \
                (2 * node + 1, mid, hi)
        for stale in set(path) - keep:
            del path[stale]
        return path[node]

    def connect(self, ctx):
        counts = self._core_counts(ctx)
        members = ctx.post_ids.astype(np.int64)
        own = self._own_core(ctx)
        pres, posts = [], []
        for i in np.flatnonzero(counts):
            skip = int(np.searchsorted(members, own[0][i])) if own is not None and \
                own[1][i] == ctx.post_core else -1
            n_choice = members.size - (skip >= 0)
            if self.with_replacement:
                pos = ctx.rng.integers(0, n_choice, size=counts[i])
            else:
                pos = ctx.rng.choice(n_choice, size=counts[i], replace=False)
            if skip >= 0:
                pos += pos >= skip
            pres.append(np.full(counts[i], i, np.int64))
            posts.append(members[pos])
        if not pres:
            return np.empty(0, np.int64), np.empty(0, np.int64), {}
        return np.concatenate(pres), np.concatenate(posts), {}


class FromListConnector(Connector):
    """Explicit (pre, post[, weight[, delay]]) rows; extra columns named by column_names."""

    def __init__(self, conn_list, column_names=None, safe=True):
        arr = np.asarray(conn_list, dtype=np.float64)
        if arr.size == 0:
            arr = arr.reshape(0, 2)
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise ConfigurationError(
                f"FromListConnector: conn_list has shape {arr.shape}; give rows "
                f"(pre, post[, weight, delay])"
            )
        n_extra = arr.shape[1] - 2
        if column_names is None:
            column_names = ["weight", "delay"][:n_extra]
        column_names = list(column_names)
        if len(column_names) != n_extra or not set(column_names) <= {"weight", "delay"}:
            raise ConfigurationError(
                f"FromListConnector: {n_extra} extra columns with column_names "
                f"{column_names}; name each extra column 'weight' or 'delay'"
            )
        self.pre = arr[:, 0].astype(np.int64)
        self.post = arr[:, 1].astype(np.int64)
        if not (np.array_equal(self.pre, arr[:, 0]) and np.array_equal(self.post, arr[:, 1])):
            raise ConfigurationError("FromListConnector: pre and post indices must be integers")
        self.columns = {name: arr[:, 2 + i] for i, name in enumerate(column_names)}
        self.column_names = column_names

    def check(self, owner, pre_size, post_size, same_population=False):
        for name, idx, size in (("pre", self.pre, pre_size), ("post", self.post, post_size)):
            bad = np.flatnonzero((idx < 0) | (idx >= size))
            if bad.size:
                raise ConfigurationError(
                    f"{owner}: FromListConnector row {bad[0]} has {name} index {idx[bad[0]]}, "
                    f"outside [0, {size}); fix the list or the population size"
                )

    def core_pairs(self, pre, post):
        rows = range(0, self.pre.size, CHUNK)
        return count_core_pairs(((pre.core_of(self.pre[r:r + CHUNK]),
                                  post.core_of(self.post[r:r + CHUNK])) for r in rows),
                                post.n_cores)

    def connect(self, ctx):
        if "rows_by_core" not in ctx.cache:   # the list's rows by post core, in list order
            core = ctx.post_core_of(self.post)
            order = np.argsort(core, kind="stable")
            bounds = np.searchsorted(core[order], np.arange(ctx.n_post_cores + 1))
            ctx.cache["rows_by_core"] = (order, bounds)
        order, bounds = ctx.cache["rows_by_core"]
        sel = order[bounds[ctx.post_core]:bounds[ctx.post_core + 1]]
        return self.pre[sel], self.post[sel], {k: v[sel] for k, v in self.columns.items()}

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": "FromListConnector", "n_connections": int(self.pre.size),
                "column_names": self.column_names}


def _distinct_sample(rng, m, k):
    """int64[k] sorted: a uniformly random k-subset of range(m), in O(k) memory.

    For k ≪ m: draw with replacement and redraw the shortfall until k values are distinct —
    the procedure is symmetric under permutations of range(m), so the subset is uniform."""
    if 4 * k >= m and m <= DENSE_SAMPLE_LIMIT:
        return sort_bounded(rng.choice(m, size=k, replace=False), m)
    chosen = np.empty(0, np.int64)
    while chosen.size < k:
        chosen = np.union1d(chosen, rng.integers(0, m, size=k - chosen.size, dtype=np.int64))
    return chosen


def _skip_excluded(flat, excluded):
    """Map flat int64[k] in [0, m - e) onto [0, m) skipping the sorted values excluded[e]."""
    shifted = excluded - np.arange(excluded.size, dtype=np.int64)
    return flat + np.searchsorted(shifted, flat, side="right")


DENSE_SAMPLE_LIMIT = 1 << 26     # draw a subset by permutation only up to this many candidates


HYPERGEOMETRIC_LIMIT = 10 ** 9   # numpy's multivariate_hypergeometric needs fewer candidates


class FixedTotalNumberConnector(Connector):
    """Exactly n synapses in total between pre and post (PyNN's connector, NEST's
    fixed_total_number).  with_replacement=True draws each synapse uniformly among all
    candidate pairs (a pair may repeat: multapses); False draws n distinct pairs.
    Self-connections excluded by allow_self_connections=False are not candidates, so the
    total stays exactly n.

    Distributed generation: how many of the n fall in each post core is a multinomial (with
    replacement) or multivariate hypergeometric (without) split over the cores' numbers of
    candidate pairs, drawn from a stream keyed by the projection alone — the same on every
    rank; which pairs inside a core is drawn from that core's own stream.
    """

    def __init__(self, n, allow_self_connections=True, with_replacement=True):
        self.n = number(n, type(self).__name__, "n", integer=True)
        self.allow_self_connections = bool(allow_self_connections)
        self.with_replacement = bool(with_replacement)

    def check(self, owner, pre_size, post_size, same_population=False):
        if self.n < 0:
            raise ConfigurationError(
                f"{owner}: FixedTotalNumberConnector n = {self.n} < 0; give n ≥ 0")
        # pre and post share at least one neuron when same_population; the exact number of
        # excluded self pairs is checked again (identically on every rank) while connecting
        available = pre_size * post_size - (
            1 if same_population and not self.allow_self_connections else 0)
        if self.n > 0 and available == 0:
            raise ConfigurationError(
                f"{owner}: FixedTotalNumberConnector n = {self.n} but no pair can connect")
        if not self.with_replacement and self.n > available:
            self._too_many(owner, available)

    def _too_many(self, owner, available):
        raise ConfigurationError(
            f"{owner}: FixedTotalNumberConnector n = {self.n} exceeds the {available} "
            f"available (pre, post) pairs without replacement; lower n or set "
            f"with_replacement=True")

    def block_factor(self, pre_size, post_size):
        return self.n / (pre_size * post_size)

    def _candidates(self, ctx):
        """int64[n_post_cores]: candidate pairs whose post index lies in each post core."""
        if "total_candidates" in ctx.cache:
            return ctx.cache["total_candidates"]
        n_cores = ctx.n_post_cores
        pairs = ctx.post_counts * ctx.pre_size
        if self._excludes_self(ctx):
            for lo in range(0, ctx.post_size, CHUNK):
                k = np.arange(lo, min(lo + CHUNK, ctx.post_size), dtype=np.int64)
                own = k[ctx.self_pre(k) >= 0]
                pairs -= np.bincount(ctx.post_core_of(own), minlength=n_cores)
        ctx.cache["total_candidates"] = pairs
        return pairs

    def _splits(self, ctx):
        """int64[n_post_cores]: synapses in each post core (cached; same on every rank)."""
        if "total_splits" in ctx.cache:
            return ctx.cache["total_splits"]
        pairs = self._candidates(ctx)
        total = int(pairs.sum())
        if self.n > 0 and total == 0:
            raise ConfigurationError(
                f"{ctx.owner}: FixedTotalNumberConnector n = {self.n} but no pair can connect")
        if not self.with_replacement and self.n > total:
            self._too_many(ctx.owner, total)
        rng = ctx.stream()
        if self.n == 0:
            out = np.zeros(pairs.size, np.int64)
        elif self.with_replacement:
            out = rng.multinomial(self.n, pairs / total)
        elif total < HYPERGEOMETRIC_LIMIT:
            out = rng.multivariate_hypergeometric(pairs, self.n)
        else:
            # too many candidates for numpy: a uniform n-subset of all pairs, counted per core
            flat = _distinct_sample(rng, total, self.n)
            core = np.searchsorted(np.cumsum(pairs), flat, side="right")
            out = np.bincount(core, minlength=pairs.size)
        out = np.asarray(out, np.int64)
        ctx.cache["total_splits"] = out
        return out

    def connect(self, ctx):
        k = int(self._splits(ctx)[ctx.post_core])
        m = int(self._candidates(ctx)[ctx.post_core])
        posts = ctx.post_ids.astype(np.int64)
        if self.with_replacement:
            flat = sort_bounded(ctx.rng.integers(0, m, size=k, dtype=np.int64), m) if k else \
                np.empty(0, np.int64)
        else:
            flat = _distinct_sample(ctx.rng, m, k)
        # candidates are the pairs (posts[q], i) numbered q·pre_size + i, minus self pairs
        if self._excludes_self(ctx):
            own = ctx.self_pre(posts)
            q = np.flatnonzero(own >= 0)
            flat = _skip_excluded(flat, q * ctx.pre_size + own[q])
        return flat % ctx.pre_size, posts[flat // ctx.pre_size], {}


# ---- explicit boolean matrix -------------------------------------------------------------

class ArrayConnector(Connector):
    """An explicit boolean connection matrix of shape (n_pre, n_post): pre i connects to
    post j where array[i, j] is True (PyNN's connector)."""

    def __init__(self, array):
        arr = np.asarray(array)
        if arr.ndim != 2:
            raise ConfigurationError(
                f"ArrayConnector: array has shape {arr.shape}; give a boolean matrix of shape "
                f"(n_pre, n_post)")
        if arr.dtype != bool:
            if not np.all((arr == 0) | (arr == 1)):
                raise ConfigurationError(
                    "ArrayConnector: array holds values other than True/False (or 1/0); give "
                    "a boolean matrix")
            arr = arr.astype(bool)
        self.array = arr

    def check(self, owner, pre_size, post_size, same_population=False):
        if self.array.shape != (pre_size, post_size):
            raise ConfigurationError(
                f"{owner}: ArrayConnector array has shape {self.array.shape} but the "
                f"projection connects {pre_size} → {post_size} neurons; give a boolean array "
                f"of shape ({pre_size}, {post_size})")

    def core_pairs(self, pre, post):
        step = max(1, CHUNK // max(self.array.shape[1], 1))

        def chunks():
            for lo in range(0, self.array.shape[0], step):
                i, j = np.nonzero(self.array[lo:lo + step])
                yield pre.core_of(i + lo), post.core_of(j)

        return count_core_pairs(chunks(), post.n_cores)

    def connect(self, ctx):
        posts = ctx.post_ids.astype(np.int64)
        q, pre = np.nonzero(self.array[:, posts].T)
        return pre.astype(np.int64), posts[q], {}

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": "ArrayConnector", "shape": list(self.array.shape),
                "n_connections": int(np.count_nonzero(self.array))}


class CloneConnector(Connector):
    """The connections of another projection (PyNN's CloneConnector): the reference's
    connector, drawn from the reference's streams, so the same pairs on any rank count; this
    projection's own weights and delays."""

    def __init__(self, reference_projection):
        self._reference = reference_projection
        self.reference = str(reference_projection)      # what the description shows
        self.stream_index = reference_projection.index
        self.seed = getattr(reference_projection.connector, "seed", None)
        self.allow_self_connections = reference_projection.connector.allow_self_connections
        self.uses_positions = reference_projection.connector.uses_positions

    def check(self, owner, pre_size, post_size, same_population=False):
        ref = self._reference
        if (pre_size, post_size) != (ref.pre.size, ref.post.size):
            raise ConfigurationError(
                f"{owner}: CloneConnector of {ref} needs its shape ({ref.pre.size}, "
                f"{ref.post.size}), not ({pre_size}, {post_size})")

    def block_factor(self, pre_size, post_size):
        return self._reference.connector.block_factor(pre_size, post_size)

    def core_pairs(self, pre, post, *args, **kwargs):
        return self._reference.connector.core_pairs(pre, post, *args, **kwargs)

    def connect(self, ctx):
        pre, post, _ = self._reference.connector.connect(ctx)
        return pre, post, {}      # the pairs only: weights and delays are this projection's

    def describe(self):
        """Plain, comparable data for the network's description (the same on every rank)."""
        return {"connector": "CloneConnector", "reference": self.reference}
