"""Sorting bounded non-negative integers in O(n): an LSD radix sort.

numpy's comparison sort costs 30–55 ns per int64 on this project's machine; the connectors
sort their random draws (candidate-pair numbers below a known bound) to generate synapses in
(post, pre) order, and this sort gives the same array at about 5 ns per element (3 digits).
"""

import numpy as np
from numba import njit

MAX_DIGIT_BITS = 11          # at most 2 048 counters and write streams per pass


@njit(cache=True, nogil=True)
def _radix_sort(x, bits, tmp):
    n = x.shape[0]
    passes = max(1, (bits + MAX_DIGIT_BITS - 1) // MAX_DIGIT_BITS)
    digit = max(1, (bits + passes - 1) // passes)
    mask = (1 << digit) - 1
    counts = np.empty(1 << digit, np.int64)
    src, dst = x, tmp
    for p in range(passes):
        shift = p * digit
        counts[:] = 0
        for i in range(n):
            counts[(src[i] >> shift) & mask] += 1
        at = 0
        for d in range(mask + 1):
            c = counts[d]
            counts[d] = at
            at += c
        for i in range(n):
            d = (src[i] >> shift) & mask
            dst[counts[d]] = src[i]
            counts[d] += 1
        src, dst = dst, src
    return src


def sort_bounded(x, bound):
    """x (int64, every value in [0, bound)) sorted ascending, as a new array."""
    x = np.array(x, dtype=np.int64)           # a copy: sorted through it and tmp
    if x.size < 2:
        return x
    return _radix_sort(x, max(int(bound) - 1, 1).bit_length(), np.empty_like(x))

