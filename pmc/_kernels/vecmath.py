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

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from . import JIT

#: Scalar functions here are inlined into their callers and never allocate (see models.SCALAR).
SCALAR = dict(JIT, forceinline=True, _nrt=False)


#: 2^(j/64) = _TWO_HI[j] + _TWO_LO[j], j = 0..63, to 2^-106 or better: the double nearest to
#: 2^(j/64) and the double nearest to its error (computed with 50 decimal digits).
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
_TWO_LO = np.array([float.fromhex(h) for h in (
    "0x0.0p+0", "-0x1.19083535b085dp-56", "0x1.d73e2a475b465p-55", "0x1.186be4bb284ffp-57",
    "0x1.8a62e4adc610bp-54", "0x1.03a1727c57b53p-59", "-0x1.6c51039449b3ap-54",
    "-0x1.32fbf9af1369ep-54", "-0x1.19041b9d78a76p-55", "0x1.e5b4c7b4968e4p-55",
    "0x1.e016e00a2643cp-54", "0x1.dc775814a8495p-55", "0x1.9b07eb6c70573p-54",
    "0x1.2bd339940e9d9p-55", "0x1.612e8afad1255p-55", "0x1.0024754db41d5p-54",
    "0x1.6f46ad23182e4p-55", "0x1.32721843659a6p-54", "-0x1.63aeabf42eae2p-54",
    "-0x1.5e436d661f5e3p-56", "0x1.ada0911f09ebcp-55", "-0x1.ef3691c309278p-58",
    "0x1.89b7a04ef80d0p-59", "0x1.3c1a3b69062f0p-56", "0x1.d4397afec42e2p-56",
    "-0x1.4b309d25957e3p-54", "-0x1.07abe1db13cadp-55", "0x1.9bb2c011d93adp-54",
    "0x1.6324c054647adp-54", "0x1.ba6f93080e65ep-54", "-0x1.383c17e40b497p-54",
    "-0x1.bb60987591c34p-54", "-0x1.bdd3413b26456p-54", "-0x1.bbe3a683c88abp-57",
    "-0x1.16e4786887a99p-55", "-0x1.0245957316dd3p-54", "-0x1.41577ee04992fp-55",
    "0x1.05d02ba15797ep-56", "-0x1.d4c1dd41532d8p-54", "-0x1.fc6f89bd4f6bap-54",
    "0x1.6e9f156864b27p-54", "0x1.5cc13a2e3976cp-55", "-0x1.75fc781b57ebcp-57",
    "-0x1.d185b7c1b85d1p-54", "0x1.c7c46b071f2bep-56", "-0x1.359495d1cd533p-54",
    "-0x1.d2f6edb8d41e1p-54", "0x1.0fac90ef7fd31p-54", "0x1.7a1cd345dcc81p-54",
    "-0x1.2805e3084d708p-57", "-0x1.5584f7e54ac3bp-56", "0x1.23dd07a2d9e84p-55",
    "0x1.11065895048ddp-55", "0x1.2884dff483cadp-54", "0x1.503cbd1e949dbp-56",
    "-0x1.cbc3743797a9cp-54", "0x1.2ed02d75b3707p-55", "0x1.c2300696db532p-54",
    "-0x1.1a5cd4f184b5cp-54", "0x1.39e8980a9cc8fp-55", "-0x1.e9c23179c2893p-54",
    "0x1.dc7f486a4b6b0p-54", "0x1.9d3e12dd8a18bp-54", "0x1.74853f3a5931ep-55",
)])
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
