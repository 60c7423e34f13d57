"""Elementary functions written so that a loop calling them vectorises.

numba compiles ``math.exp`` to a call of the C library's scalar ``exp``; LLVM cannot vectorise a
loop around an opaque call (pip's numba ships no vector math library), so a kick whose force
holds an exponential runs one marker at a time. The functions here are straight-line arithmetic
and selects (no branches, no calls), so the loops that inline them vectorise.

:func:`exp` is Cody and Waite's argument reduction followed by a polynomial:

    x = k ln 2 + r,  |r| <= ln 2 / 2,   exp(x) = 2^k exp(r)

with ln 2 split into a head whose product with any k in range is exact and a tail
(W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*, Prentice-Hall (1980)),
exp(r) by its Taylor polynomial of degree 13 in Horner form (truncation error below 5e-18
relative), and the scaling by 2^k as two multiplications by powers of two built from their bits,
so that results in the subnormal range are rounded once, correctly. Accuracy: within 1 ulp of
the correctly rounded result over the whole range (the test checks <= 2 ulp against the C
library on 10^6 arguments); exp(x) = +inf above 709.78, 0 below -745.13, NaN for NaN.
"""
import math

from numba import njit, types
from numba.extending import intrinsic

from . import JIT

#: Scalar functions here are inlined into their callers and never allocate (see models.SCALAR).
SCALAR = dict(JIT, forceinline=True, _nrt=False)

_INV_LN2 = 1.4426950408889634
# ln 2 = _LN2_HI + _LN2_LO; _LN2_HI has 32 trailing zero bits, so k * _LN2_HI is exact for |k| < 2^20
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/j! for j = 2..13
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0
_C7 = 1.0 / 5040.0
_C8 = 1.0 / 40320.0
_C9 = 1.0 / 362880.0
_C10 = 1.0 / 3628800.0
_C11 = 1.0 / 39916800.0
_C12 = 1.0 / 479001600.0
_C13 = 1.0 / 6227020800.0


@intrinsic
def _bits_to_double(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits`` (a register move)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@njit(**SCALAR)
def _pow2(k):
    """2.0 ** k for an integer -1022 <= k <= 1023, from its bits."""
    return _bits_to_double((k + 1023) << 52)


@njit(**SCALAR)
def exp(x):
    """e^x [dimensionless], vectorisable, within 1 ulp (see the module docstring)."""
    # clamp so that k stays in range; the clamped values still overflow / underflow as they must
    y = min(max(x, -746.0), 710.0)
    kf = math.floor(y * _INV_LN2 + 0.5)
    r = (y - kf * _LN2_HI) - kf * _LN2_LO
    q = _C13
    q = _C12 + r * q
    q = _C11 + r * q
    q = _C10 + r * q
    q = _C9 + r * q
    q = _C8 + r * q
    q = _C7 + r * q
    q = _C6 + r * q
    q = _C5 + r * q
    q = _C4 + r * q
    q = _C3 + r * q
    q = _C2 + r * q
    e = 1.0 + r * (1.0 + r * q)
    # 2^k as 2^(k/2) 2^(k - k/2): both factors normal for every k the clamp allows
    k = int(kf)
    k1 = k >> 1
    e = e * _pow2(k1) * _pow2(k - k1)
    return x if x != x else e
