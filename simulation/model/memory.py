"""A cache prefetch hint for the kernels (LLVM's `llvm.prefetch`): `prefetch(arr, row)`.

Kernels that read other people's rows at random (a protege's mentors) ask for the rows of the
person a few places ahead, so the memory waits overlap with work instead of adding up. A
hint changes no result; without the JIT it does nothing.
"""

from __future__ import annotations

from llvmlite import ir
from numba import config as numba_config
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _prefetch(typingctx, arr, row):
    if not isinstance(arr, types.Array) or not isinstance(row, types.Integer):
        return None
    sig = types.void(arr, row)

    def codegen(context, builder, signature, args):
        aryty, rowty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        index = context.cast(builder, args[1], rowty, types.intp)
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [index] + [zero] * (aryty.ndim - 1),
                                       wraparound=False)
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(fn, [i8p, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


def _no_prefetch(arr, row):
    return None


prefetch = _no_prefetch if numba_config.DISABLE_JIT else _prefetch
