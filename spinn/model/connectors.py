"""Connectors: which (pre, post) pairs a projection connects (PyNN names and options).

A connector generates, for one post-synaptic core ``[post_lo, post_hi)``, the pairs whose target
lies in that core — on the rank that owns the core, from random streams keyed by (seed,
projection, post core), never by rank.  Every connector also answers two cheap questions the
mapping asks without generating anything: can a pre slice reach a post slice at all (routing),
and how many synapses are expected between them (placement load).
"""

import numpy as np

from spinn.errors import ConfigurationError


class ConnectContext:
    """What a connector sees when it generates the synapses of one post core."""

    def __init__(self, owner, pre_size, post_size, post_lo, post_hi, same_population,
                 rng, stream, post_core_bounds, cache):
        self.owner = owner                  # "Projection 'E→I'" for messages
        self.pre_size, self.post_size = pre_size, post_size
        self.post_lo, self.post_hi = post_lo, post_hi
        self.same_population = same_population
        self.rng = rng                      # Generator keyed by (seed, projection, post core)
        self.stream = stream                # stream(*key): Generator of (seed, projection, *key)
        self.post_core_bounds = post_core_bounds  # int64[n_post_cores + 1], post population
        self.cache = cache                  # shared by this projection's cores on this rank


class Connector:
    allow_self_connections = True

    def check(self, owner, pre_size, post_size, same_population=False):
        """Raise ConfigurationError for impossible settings (before any communication)."""

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return True

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        raise NotImplementedError

    def connect(self, ctx):
        """(pre int64[n], post int64[n], columns dict) for targets in [ctx.post_lo, ctx.post_hi)."""
        raise NotImplementedError

    def describe(self):
        return {"connector": type(self).__name__, **{
            k: v for k, v in vars(self).items() if not isinstance(v, np.ndarray)}}

    def _drop_self(self, ctx, pre, post):
        if ctx.same_population and not self.allow_self_connections:
            keep = pre != post
            return pre[keep], post[keep]
        return pre, post


def _check_probability(owner, name, p):
    if not 0.0 <= p <= 1.0:
        raise ConfigurationError(
            f"{owner}: {name} = {p:g} is outside [0, 1]; give a probability between 0 and 1"
        )


class AllToAllConnector(Connector):
    def __init__(self, allow_self_connections=True):
        self.allow_self_connections = bool(allow_self_connections)

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return float((pre_hi - pre_lo) * (post_hi - post_lo))

    def connect(self, ctx):
        post, pre = np.meshgrid(np.arange(ctx.post_lo, ctx.post_hi, dtype=np.int64),
                                np.arange(ctx.pre_size, dtype=np.int64), indexing="ij")
        pre, post = self._drop_self(ctx, pre.ravel(), post.ravel())
        return pre, post, {}


class OneToOneConnector(Connector):
    def check(self, owner, pre_size, post_size, same_population=False):
        if pre_size != post_size:
            raise ConfigurationError(
                f"{owner}: OneToOneConnector needs populations of equal size, got "
                f"{pre_size} → {post_size}; use equal sizes or a population view"
            )

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return max(pre_lo, post_lo) < min(pre_hi, post_hi)

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return float(max(0, min(pre_hi, post_hi) - max(pre_lo, post_lo)))

    def connect(self, ctx):
        idx = np.arange(ctx.post_lo, ctx.post_hi, dtype=np.int64)
        return idx, idx.copy(), {}


class FixedProbabilityConnector(Connector):
    """Each pair independently with probability p_connect (NEST's pairwise_bernoulli)."""

    def __init__(self, p_connect, allow_self_connections=True):
        self.p_connect = float(p_connect)
        self.allow_self_connections = bool(allow_self_connections)

    def check(self, owner, pre_size, post_size, same_population=False):
        _check_probability(owner, "FixedProbabilityConnector.p_connect", self.p_connect)

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return self.p_connect > 0

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return self.p_connect * (pre_hi - pre_lo) * (post_hi - post_lo)

    def connect(self, ctx):
        n_post = ctx.post_hi - ctx.post_lo
        n_pairs = ctx.pre_size * n_post
        # The number of pairs is Binomial(n_pairs, p); which pairs is a uniform subset.
        k = ctx.rng.binomial(n_pairs, self.p_connect)
        flat = np.sort(ctx.rng.choice(n_pairs, size=k, replace=False, shuffle=False))
        post = ctx.post_lo + flat // ctx.pre_size
        pre = flat % ctx.pre_size
        pre, post = self._drop_self(ctx, pre.astype(np.int64), post.astype(np.int64))
        return pre, post, {}


class FixedNumberPreConnector(Connector):
    """Each post neuron receives exactly n connections from random pre neurons."""

    def __init__(self, n, allow_self_connections=True, with_replacement=False):
        self.n = int(n)
        self.allow_self_connections = bool(allow_self_connections)
        self.with_replacement = bool(with_replacement)

    def check(self, owner, pre_size, post_size, same_population=False):
        if self.n < 0:
            raise ConfigurationError(f"{owner}: FixedNumberPreConnector n = {self.n} < 0")
        available = pre_size - (1 if same_population and not self.allow_self_connections else 0)
        if not self.with_replacement and self.n > available:
            raise ConfigurationError(
                f"{owner}: FixedNumberPreConnector n = {self.n} exceeds the {available} "
                f"available pre neurons without replacement; lower n or set "
                f"with_replacement=True"
            )

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return self.n > 0

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return self.n * (post_hi - post_lo) * (pre_hi - pre_lo) / pre_size

    def connect(self, ctx):
        n_post = ctx.post_hi - ctx.post_lo
        post = np.repeat(np.arange(ctx.post_lo, ctx.post_hi, dtype=np.int64), self.n)
        exclude_self = ctx.same_population and not self.allow_self_connections
        n_choice = ctx.pre_size - (1 if exclude_self else 0)
        if self.with_replacement:
            pre = ctx.rng.integers(0, n_choice, size=n_post * self.n, dtype=np.int64)
        else:
            pre = np.concatenate([
                ctx.rng.choice(n_choice, size=self.n, replace=False)
                for _ in range(n_post)]).astype(np.int64) if n_post else np.empty(0, np.int64)
        if exclude_self:  # draw from pre_size - 1 candidates and skip over the post itself
            pre += pre >= post
        return pre, post, {}


class FixedNumberPostConnector(Connector):
    """Each pre neuron makes exactly n connections onto random post neurons.

    Distributed generation: how many of a pre neuron's n targets fall in each post core is a
    multinomial (with replacement) or multivariate hypergeometric (without) split, drawn from a
    stream keyed by the projection alone — the same on every rank; which targets inside a
    core is drawn from that core's own stream.
    """

    def __init__(self, n, allow_self_connections=True, with_replacement=False):
        self.n = int(n)
        self.allow_self_connections = bool(allow_self_connections)
        self.with_replacement = bool(with_replacement)

    def check(self, owner, pre_size, post_size, same_population=False):
        if self.n < 0:
            raise ConfigurationError(f"{owner}: FixedNumberPostConnector n = {self.n} < 0")
        available = post_size - (1 if same_population and not self.allow_self_connections else 0)
        if not self.with_replacement and self.n > available:
            raise ConfigurationError(
                f"{owner}: FixedNumberPostConnector n = {self.n} exceeds the {available} "
                f"available post neurons without replacement; lower n or set "
                f"with_replacement=True"
            )

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return self.n > 0

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return self.n * (pre_hi - pre_lo) * (post_hi - post_lo) / post_size

    def _splits(self, ctx):
        """int64[pre_size, n_post_cores]: targets of each pre neuron in each post core."""
        if "splits" in ctx.cache:
            return ctx.cache["splits"]
        bounds = ctx.post_core_bounds
        sizes = np.diff(bounds)
        rng = ctx.stream()
        exclude_self = ctx.same_population and not self.allow_self_connections
        out = np.empty((ctx.pre_size, sizes.size), np.int64)
        core_of = np.searchsorted(bounds, np.arange(ctx.pre_size), side="right") - 1
        for i in range(ctx.pre_size):
            colors = sizes.copy()
            if exclude_self:
                colors[core_of[i]] -= 1
            if self.with_replacement:
                out[i] = rng.multinomial(self.n, colors / colors.sum())
            else:
                out[i] = rng.multivariate_hypergeometric(colors, self.n)
        ctx.cache["splits"] = out
        return out

    def connect(self, ctx):
        splits = self._splits(ctx)
        core = int(np.searchsorted(ctx.post_core_bounds, ctx.post_lo, side="right") - 1)
        counts = splits[:, core]
        size = ctx.post_hi - ctx.post_lo
        exclude_self = ctx.same_population and not self.allow_self_connections
        pres, posts = [], []
        for i in np.flatnonzero(counts):
            own = exclude_self and ctx.post_lo <= i < ctx.post_hi
            n_choice = size - (1 if own else 0)
            if self.with_replacement:
                tgt = ctx.rng.integers(0, n_choice, size=counts[i])
            else:
                tgt = ctx.rng.choice(n_choice, size=counts[i], replace=False)
            tgt = tgt + ctx.post_lo
            if own:
                tgt += tgt >= i
            pres.append(np.full(counts[i], i, np.int64))
            posts.append(tgt.astype(np.int64))
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

    def may_connect(self, pre_lo, pre_hi, post_lo, post_hi):
        return self.expected(pre_lo, pre_hi, post_lo, post_hi, 0, 0) > 0

    def expected(self, pre_lo, pre_hi, post_lo, post_hi, pre_size, post_size):
        return float(np.count_nonzero((self.pre >= pre_lo) & (self.pre < pre_hi)
                                      & (self.post >= post_lo) & (self.post < post_hi)))

    def connect(self, ctx):
        sel = np.flatnonzero((self.post >= ctx.post_lo) & (self.post < ctx.post_hi))
        return self.pre[sel], self.post[sel], {k: v[sel] for k, v in self.columns.items()}

    def describe(self):
        return {"connector": "FromListConnector", "n_connections": int(self.pre.size),
                "column_names": self.column_names}


CONNECTORS = {c.__name__: c for c in (
    AllToAllConnector, OneToOneConnector, FixedProbabilityConnector, FixedNumberPreConnector,
    FixedNumberPostConnector, FromListConnector)}
