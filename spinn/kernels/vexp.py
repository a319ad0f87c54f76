"""exp that vectorises inside numba loops.

numba lowers ``math.exp``/``np.exp`` to a scalar libm call unless llvmlite was built with
Intel's SVML, which the pip wheels are not ("LLVM SVML Patched: False" in ``numba -s``).  A
loop containing one exp per element therefore runs one element at a time.  ``vexp`` is plain
arithmetic that LLVM vectorises:

    x = n ln2 + r,  n = round(x / ln2),  |r| ≤ ln2 / 2     (Cody–Waite split of ln2)
    exp(r) by its Taylor polynomial of degree 13            (truncation < 5e-18 relative)
    2**n built in the exponent bits                         (the "shifter" trick: no
                                                             float→int conversion)

Accuracy: within 2 ulp of libm's exp for -708 ≤ x ≤ 709 (tests/unit/kernels/test_vexp.py).
Outside that range x is clamped, so vexp(-1000) is exp(-708) ≈ 3.3e-308 instead of 0 and
vexp(1000) is exp(709) ≈ 8.2e307 instead of inf — far from anything a neuron's propagator
reaches.  The result depends only on x, never on vector width or alignment, so spikes stay
identical on any number of ranks.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01   # ln 2 in 32 significant bits: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SHIFTER = 6755399441055744.0          # 1.5 * 2**52: y + _SHIFTER keeps round(y) in its low bits
_SHIFTER_BITS = int(np.float64(_SHIFTER).view(np.int64))
_C = tuple(1.0 / float(np.prod(np.arange(1, k + 1, dtype=np.float64))) for k in range(14))


@intrinsic
def _bits(typingctx, x):
    """The int64 with the same bits as float64 x."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 with the same bits as int64 i."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@njit(inline="always")
def vexp(x):
    x = -708.0 if x < -708.0 else (709.0 if x > 709.0 else x)
    t = x * _LOG2E + _SHIFTER
    n = t - _SHIFTER                                   # round(x / ln2), as a float
    r = (x - n * _LN2_HI) - n * _LN2_LO
    p = _C[13]
    for k in range(12, -1, -1):                        # Horner; unrolled by LLVM
        p = p * r + _C[k]
    scale = _from_bits((_bits(t) - _SHIFTER_BITS + 1023) << 52)   # 2**n
    return p * scale


@njit(inline="always")
def vexp_short(x):
    """vexp with a degree-9 polynomial: relative error < 1e-11 (|r| ≤ ln2/2 gives
    r^10/10! < 7e-12), for terms that are weighted small (quadrature nodes); as deterministic
    as vexp."""
    x = -708.0 if x < -708.0 else (709.0 if x > 709.0 else x)
    t = x * _LOG2E + _SHIFTER
    n = t - _SHIFTER
    r = (x - n * _LN2_HI) - n * _LN2_LO
    p = _C[9]
    for k in range(8, -1, -1):
        p = p * r + _C[k]
    scale = _from_bits((_bits(t) - _SHIFTER_BITS + 1023) << 52)
    return p * scale
