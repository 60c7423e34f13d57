"""Elementary functions written so that a loop calling them vectorises.

numba compiles ``math.exp`` to a call of the C library's scalar ``exp``; LLVM cannot vectorise a
loop around an opaque call (pip's numba ships no vector math library), so a kick whose force
holds an exponential runs one marker at a time. The functions here are straight-line arithmetic,
table look-ups and selects (no branches, no calls), so the loops that inline them vectorise.

:func:`exp` is the table-driven method of Tang (P. T. P. Tang, ACM Trans. Math. Softw. 15, 144
(1989)), as the C libraries use it:

    x = (64 k + j) ln 2 / 64 + r,  0 <= j < 64,  |r| <= ln 2 / 128,
    exp(x) = 2^k 2^(j/64) exp(r)

with 64 k + j the integer nearest to 64 x / ln 2, read from the low bits of the sum
x 64 / ln 2 + 1.5 * 2^52 (one multiply-add rounds it to an integer: no conversions between
integers and doubles), the reduction by Cody and Waite's split of ln 2 / 64 into a head and a
tail (W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*, Prentice-Hall
(1980)), 2^(j/64) from a table of 64 doubles (one gather per vector), exp(r) - 1 by its Taylor
polynomial of degree 6 (truncation below 2e-19), and the scaling by 2^k as two multiplications
by powers of two built from their bits, so that subnormal results are rounded once. The
multiply-adds are fused (``llvm.fma``, one rounding each). Accuracy: the table's rounding
(relative 2^-53) and the final rounding bound the error by 1.5 ulp of the exact result (the test
holds it to 1.5 ulp of the C library on 10^6 arguments; measured at most 1 ulp); exp(x) = +inf
above 709.78, 0 below -745.13, NaN for NaN. (Tang's own method adds each entry's rounding
error from a second table, to about 0.54 ulp, at the cost of a second gather: about a fifth of
the time of this function in the push's loops.)
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import JIT

#: Scalar functions here are inlined into their callers and never allocate (see models.SCALAR).
SCALAR = dict(JIT, forceinline=True, _nrt=False)


#: 2^(j/64), j = 0..63: the double nearest to it (computed with 50 decimal digits).
_TWO_HI = np.array([float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "0x1.02c9a3e778061p+0", "0x1.059b0d3158574p+0",
    "0x1.0874518759bc8p+0", "0x1.0b5586cf9890fp+0", "0x1.0e3ec32d3d1a2p+0",
    "0x1.11301d0125b51p+0", "0x1.1429aaea92de0p+0", "0x1.172b83c7d517bp+0",
    "0x1.1a35beb6fcb75p+0", "0x1.1d4873168b9aap+0", "0x1.2063b88628cd6p+0",
    "0x1.2387a6e756238p+0", "0x1.26b4565e27cddp+0", "0x1.29e9df51fdee1p+0",
    "0x1.2d285a6e4030bp+0", "0x1.306fe0a31b715p+0", "0x1.33c08b26416ffp+0",
    "0x1.371a7373aa9cbp+0", "0x1.3a7db34e59ff7p+0", "0x1.3dea64c123422p+0",
    "0x1.4160a21f72e2ap+0", "0x1.44e086061892dp+0", "0x1.486a2b5c13cd0p+0",
    "0x1.4bfdad5362a27p+0", "0x1.4f9b2769d2ca7p+0", "0x1.5342b569d4f82p+0",
    "0x1.56f4736b527dap+0", "0x1.5ab07dd485429p+0", "0x1.5e76f15ad2148p+0",
    "0x1.6247eb03a5585p+0", "0x1.6623882552225p+0", "0x1.6a09e667f3bcdp+0",
    "0x1.6dfb23c651a2fp+0", "0x1.71f75e8ec5f74p+0", "0x1.75feb564267c9p+0",
    "0x1.7a11473eb0187p+0", "0x1.7e2f336cf4e62p+0", "0x1.82589994cce13p+0",
    "0x1.868d99b4492edp+0", "0x1.8ace5422aa0dbp+0", "0x1.8f1ae99157736p+0",
    "0x1.93737b0cdc5e5p+0", "0x1.97d829fde4e50p+0", "0x1.9c49182a3f090p+0",
    "0x1.a0c667b5de565p+0", "0x1.a5503b23e255dp+0", "0x1.a9e6b5579fdbfp+0",
    "0x1.ae89f995ad3adp+0", "0x1.b33a2b84f15fbp+0", "0x1.b7f76f2fb5e47p+0",
    "0x1.bcc1e904bc1d2p+0", "0x1.c199bdd85529cp+0", "0x1.c67f12e57d14bp+0",
    "0x1.cb720dcef9069p+0", "0x1.d072d4a07897cp+0", "0x1.d5818dcfba487p+0",
    "0x1.da9e603db3285p+0", "0x1.dfc97337b9b5fp+0", "0x1.e502ee78b3ff6p+0",
    "0x1.ea4afa2a490dap+0", "0x1.efa1bee615a27p+0", "0x1.f50765b6e4540p+0",
    "0x1.fa7c1819e90d8p+0",
)])
_N_OVER_LN2 = 64.0 / math.log(2.0)
# x 64 / ln 2 + _SHIFT is an integer k + _SHIFT held in the low bits of the double, for |k| < 2^51
_SHIFT = 1.5 * 2.0 ** 52
_SHIFT_BITS = 0x4338000000000000
# ln 2 / 64 = _LN2N_HI + _LN2N_LO, _LN2N_HI with 32 trailing zero bits: k * _LN2N_HI is exact
_LN2N_HI = 6.93147180369123816490e-01 / 64.0
_LN2N_LO = 1.90821492927058770002e-10 / 64.0
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0


@intrinsic
def _bits_to_double(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits`` (a register move)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@intrinsic
def double_to_bits(typingctx, x):
    """The IEEE-754 bit pattern of the float64 ``x`` as an int64 (a register move)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(context.cast(builder, args[0], signature.args[0], types.float64),
                               context.get_value_type(types.int64))

    return types.int64(x), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (``llvm.fma.f64``: one instruction on every x86-64 with FMA)."""
    if not all(isinstance(t, (types.Float, types.Integer)) for t in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (context.cast(builder, v, t, types.float64)
                      for v, t in zip(args, signature.args))
        return builder.fma(a_, b_, c_)

    return types.float64(a, b, c), codegen


@intrinsic
def stack_doubles(typingctx, size):
    """A pointer to ``size`` (a constant) float64 on the stack of the function that uses it.
    LLVM knows that no array argument aliases such memory, so a loop that gathers from an array
    argument (a table) and stores only there vectorises; with an argument as the destination it
    stays scalar (the stores might change the table). C gets the same from ``restrict`` or a
    local array (``benchmarks/push_ref.c``)."""
    if not isinstance(size, types.IntegerLiteral):
        return None

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_value_type(types.float64),
                                   size=context.get_constant(types.intp, size.literal_value))

    return types.CPointer(types.float64)(size), codegen


@intrinsic
def prefetch(typingctx, ary, i):
    """Ask the cache for the line holding flat element ``i`` of ``ary`` (``llvm.prefetch``,
    read, into all levels): it never faults, so ``i`` may lie beyond the array."""
    if not isinstance(ary, types.Array) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        idx = context.cast(builder, args[1], signature.args[1], types.int64)
        ptr = builder.bitcast(builder.gep(data, [idx]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(ary, i), codegen


@njit(**SCALAR)
def _pow2(k):
    """2.0 ** k for an integer -1022 <= k <= 1023, from its bits."""
    return _bits_to_double((k + 1023) << 52)


@njit(**SCALAR)
def exp(x):
    """e^x [dimensionless], vectorisable, within 1 ulp (see the module docstring)."""
    # clamp so that k stays in range; the clamped values still overflow / underflow as they must
    y = min(max(x, -746.0), 710.0)
    z = fma(y, _N_OVER_LN2, _SHIFT)  # _SHIFT + k, k the integer nearest to y 64 / ln 2
    kf = z - _SHIFT  # exact
    k = double_to_bits(z) - _SHIFT_BITS
    r = fma(-kf, _LN2N_HI, y)
    r = fma(-kf, _LN2N_LO, r)
    q = fma(r, _C6, _C5)
    q = fma(r, q, _C4)
    q = fma(r, q, _C3)
    q = fma(r, q, _C2)
    q = r + (r * r) * q  # exp(r) - 1
    j = k & 63
    t = _TWO_HI[j]
    e = fma(t, q, t)
    # 2^(k >> 6) as two factors, both normal for every k the clamp allows
    k = k >> 6
    k1 = k >> 1
    e = e * _pow2(k1) * _pow2(k - k1)
    return x if x != x else e
