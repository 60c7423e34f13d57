"""Elementary functions written so that a loop calling them vectorises.

numba compiles ``math.exp`` to a call of the C library's scalar ``exp``; LLVM cannot vectorise a
loop around an opaque call (pip's numba ships no vector math library), so a kick whose force
holds an exponential runs one marker at a time. The functions here are straight-line arithmetic,
table look-ups and selects (no branches, no calls), so the loops that inline them vectorise.

:func:`exp` is the table-driven method of Tang (P. T. P. Tang, ACM Trans. Math. Softw. 15, 144
(1989)), as the C libraries use it:

    x = (64 k + j) ln 2 / 64 + r,  0 <= j < 64,  |r| <= ln 2 / 128,
    exp(x) = 2^k 2^(j/64) exp(r)

with the reduction by Cody and Waite's split of ln 2 / 64 into a head and a tail (W. J. Cody and
W. Waite, *Software Manual for the Elementary Functions*, Prentice-Hall (1980)), 2^(j/64) from a
table of 64 values, each as a double and its rounding error, exp(r) - 1 by its Taylor polynomial
of degree 6 (truncation below 2e-19), and the scaling by 2^k as two multiplications by powers of
two built from their bits, so that subnormal results are rounded once. The multiply-adds are
fused (``llvm.fma``, one rounding each). Accuracy: within 1 ulp of the correctly rounded
result (the test holds it to 1 ulp of the C library on 10^6 arguments); exp(x) = +inf above
709.78, 0 below -745.13, NaN for NaN.
"""
import math
from decimal import Decimal, getcontext

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from . import JIT

#: Scalar functions here are inlined into their callers and never allocate (see models.SCALAR).
SCALAR = dict(JIT, forceinline=True, _nrt=False)


def _table():
    getcontext().prec = 50
    hi = np.empty(64)
    lo = np.empty(64)
    for j in range(64):
        exact = Decimal(2) ** (Decimal(j) / Decimal(64))
        hi[j] = float(exact)
        lo[j] = float(exact - Decimal(hi[j]))
    return hi, lo


#: 2^(j/64) = _TWO_HI[j] + _TWO_LO[j] to 2^-106 or better.
_TWO_HI, _TWO_LO = _table()
_N_OVER_LN2 = 64.0 / math.log(2.0)
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
def fma(typingctx, a, b, c):
    """a * b + c rounded once (``llvm.fma.f64``: one instruction on every x86-64 with FMA)."""
    if not all(isinstance(t, (types.Float, types.Integer)) for t in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (context.cast(builder, v, t, types.float64)
                      for v, t in zip(args, signature.args))
        return builder.fma(a_, b_, c_)

    return types.float64(a, b, c), codegen


@njit(**SCALAR)
def _pow2(k):
    """2.0 ** k for an integer -1022 <= k <= 1023, from its bits."""
    return _bits_to_double((k + 1023) << 52)


@njit(**SCALAR)
def exp(x):
    """e^x [dimensionless], vectorisable, within 1 ulp (see the module docstring)."""
    # clamp so that k stays in range; the clamped values still overflow / underflow as they must
    y = min(max(x, -746.0), 710.0)
    k = math.floor(y * _N_OVER_LN2 + 0.5)  # an integer
    kf = float(k)
    r = fma(-kf, _LN2N_HI, y)
    r = fma(-kf, _LN2N_LO, r)
    q = fma(r, _C6, _C5)
    q = fma(r, q, _C4)
    q = fma(r, q, _C3)
    q = fma(r, q, _C2)
    q = r + (r * r) * q  # exp(r) - 1
    j = k & 63
    t = _TWO_HI[j]
    e = t + fma(t, q, _TWO_LO[j])
    # 2^(k >> 6) as two factors, both normal for every k the clamp allows
    k = k >> 6
    k1 = k >> 1
    e = e * _pow2(k1) * _pow2(k - k1)
    return x if x != x else e
