"""Software prefetch for kernels that scatter into arrays far larger than the caches.

``prefetch(a, i)`` asks the CPU to bring the cache line holding a[i] in for writing (LLVM's
llvm.prefetch: rw = 1, locality = 3, data cache); it changes no value.  numba has no
prefetch of its own.  The build's scatter of synapses into rows is latency-bound once a
rank's rows no longer fit the caches (sources spread over a large network): prefetching the
counters and slots of the synapse AHEAD places on took the placing from 105 to 31 ns per
synapse on 12.8 M rows here.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

AHEAD = 32      # synapses between a prefetch and its use (best of 16/32/64 measured here)


@intrinsic
def prefetch(typingctx, arr, idx):
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]))
        builder.call(fn, [ptr, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen
