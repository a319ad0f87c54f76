"""Group arguments passed to compiled code as two flat arrays instead of a tuple of arrays.

numba unboxes every array of a tuple argument on every call, about 80 ns each: the fused
update of PD14 (16 groups, 160 arguments) spent 12.6 µs per tick doing only that.  ``pack``
flattens the groups' arguments into idesc (int64: each array's address and shape, each int
and bool) and fdesc (float64: each float); the generated code (spinn.runtime.fused) rebuilds
them as ``array(idesc[o], (idesc[o + 1], ...), dtype)`` views, in a code path chosen by
``layout`` (the types of the arguments).  Two arrays unbox in about 1 µs.

The views borrow the memory of the arrays in G: the caller keeps G alive for as long as the
descriptors are used.  Arrays must be C-contiguous.
"""

import functools

import numpy as np
from numba import carray, types
from numba.extending import intrinsic, overload


@intrinsic
def _pointer(typingctx, address, dtype):
    """A CPointer(dtype) from an int64 address."""
    if not isinstance(dtype, types.DTypeSpec):
        return None
    ptr = types.CPointer(dtype.dtype)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(ptr))
    return ptr(address, dtype), codegen


def array(address, shape, dtype):  # pragma: no cover - replaced by the overload in numba
    raise NotImplementedError("handles.array runs in compiled code only")


@overload(array, inline="always")
def _array(address, shape, dtype):
    def impl(address, shape, dtype):
        return carray(_pointer(address, dtype), shape)
    return impl


def layout(value):
    """Type code of one argument: 'f' float, 'i' int, 'b' bool, ('a', dtype name, ndim) array,
    or a tuple of codes for a tuple."""
    if isinstance(value, tuple):
        return tuple(layout(v) for v in value)
    if isinstance(value, np.ndarray):
        if not value.flags.c_contiguous:
            raise ValueError("handles: arrays passed by descriptor must be C-contiguous")
        return ("a", value.dtype.name, value.ndim)
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, np.floating)):
        return "f"
    raise TypeError(f"handles: cannot pass {type(value).__name__} by descriptor")


def pack(values):
    """(idesc int64[], fdesc float64[]) for the nested tuple ``values``, in ``expression``'s
    order."""
    ints, floats = [], []

    def walk(v):
        if isinstance(v, tuple):
            for x in v:
                walk(x)
        elif isinstance(v, np.ndarray):
            ints.append(v.ctypes.data)
            ints.extend(v.shape)
        elif isinstance(v, (bool, np.bool_, int, np.integer)):
            ints.append(int(v))
        else:
            floats.append(float(v))
    walk(values)
    return np.array(ints, np.int64), np.array(floats + [0.0], np.float64)


def expression(code, cursor):
    """Python source rebuilding one argument of type ``code`` from idesc/fdesc; cursor:
    [next int, next float], advanced."""
    if isinstance(code, tuple) and code and code[0] == "a":
        _, dtype, ndim = code
        o = cursor[0]
        cursor[0] += 1 + ndim
        shape = ", ".join(f"idesc[{o + 1 + d}]" for d in range(ndim))
        return f"array(idesc[{o}], ({shape},), np.{'bool_' if dtype == 'bool' else dtype})"
    if isinstance(code, tuple):
        parts = [expression(c, cursor) for c in code]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if code == "f":
        cursor[1] += 1
        return f"fdesc[{cursor[1] - 1}]"
    cursor[0] += 1
    return f"(idesc[{cursor[0] - 1}] != 0)" if code == "b" else f"idesc[{cursor[0] - 1}]"


class CFunction(types.WrapperAddressProtocol):
    """A C function as a numba first-class function: compiled code calls it through its
    address, a value passed at run time — so the code that calls it stays cacheable."""

    def __init__(self, address, signature):
        self._address, self._signature = address, signature

    def __wrapper_address__(self):
        return self._address

    def signature(self):
        return self._signature


@functools.cache
def by_address(cfunc):
    """A numba cfunc as a CFunction of the same address.  Passed as it is, numba asks
    for a cfunc's address on every call it is an argument of (``CFunc.address``); measured
    once here, a compiled entry point taking only the tick loop's five stand-ins cost
    32.6 µs a call with the cfuncs and 23.2 µs with these."""
    return CFunction(cfunc.address, cfunc._sig)
