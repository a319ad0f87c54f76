"""A small counter-free PRNG for compiled kernels: xoroshiro128+ seeded by splitmix64.

One stream per (seed, population, core): state is uint64[2] per core, so the numbers a core
draws never depend on which rank runs it.  Poisson counts use Knuth's product method below
λ = 30 and the PTRS transformed rejection (Hörmann 1993) above.
"""

import math

import numpy as np
from numba import njit

MASK64 = (1 << 64) - 1


def seed_state(*key):
    """uint64[2] initial state from integers ``key`` (splitmix64 over a mixed seed)."""
    x = 0x9E3779B97F4A7C15
    for k in key:
        x = (x ^ (int(k) & MASK64)) * 0xBF58476D1CE4E5B9 & MASK64
        x ^= x >> 31
    out = np.empty(2, np.uint64)
    for i in range(2):
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out[i] = z ^ (z >> 31)
    if out[0] == 0 and out[1] == 0:
        out[0] = 1
    return out


@njit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(inline="always")
def next_u64(state):
    s0 = state[0]
    s1 = state[1]
    result = s0 + s1
    s1 ^= s0
    state[0] = _rotl(s0, 24) ^ s1 ^ (s1 << np.uint64(16))
    state[1] = _rotl(s1, 37)
    return result


@njit(inline="always")
def step_pair(s0, s1):
    """xoroshiro128+ on a state held in two local variables: (uniform in [0, 1), s0, s1).
    The same sequence as uniform() on an array state, without memory traffic per draw."""
    result = s0 + s1
    s1 ^= s0
    s0 = _rotl(s0, 24) ^ s1 ^ (s1 << np.uint64(16))
    s1 = _rotl(s1, 37)
    return np.float64(result >> np.uint64(11)) * (1.0 / 9007199254740992.0), s0, s1


@njit(inline="always")
def uniform(state):
    """A float64 in [0, 1) with 53 random bits."""
    return np.float64(next_u64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def poisson(state, lam, exp_neg_lam):
    """A Poisson(λ) count; exp_neg_lam = exp(-λ) is precomputed by the caller."""
    if lam <= 0.0:
        return 0
    if lam < 30.0:
        k = 0
        p = uniform(state)
        while p > exp_neg_lam:
            k += 1
            p *= uniform(state)
        return k
    # PTRS (Hörmann 1993)
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(state) - 0.5
        v = uniform(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return int(k)
