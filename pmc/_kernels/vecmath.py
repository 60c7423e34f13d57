"""Elementary functions written so that a loop calling them vectorises: :func:`exp`,
:func:`sin`, :func:`cos`, :func:`tanh_sech2` (tanh and 1/cosh^2), :func:`logistic2`
((1 + tanh)/2), the potentials' and the tight-binding band's functions.

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
above 709.78, 0 below -745.13, NaN for NaN. Tang's own method adds each entry's rounding
error from a second table, to about 0.51 ulp (measured), at the cost of a second gather (about a
fifth of the time of this function in the push's loops): the hyperbolic functions here use it
(``_exp(x, True, True)``), so that they stay within 2 ulp. Where the argument is never
positive (the Gaussian -s^2/2, the hyperbolic functions' -2|x|), :func:`exp_nonpositive` scales by
2^k with two fewer operations and gives the same numbers.
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
#: 2^(j/64) - _TWO_HI[j]: the rounding error of each entry (computed with 60 decimal digits),
#: for :func:`exp_pair`'s more accurate exponential.
_TWO_LO = np.array([float.fromhex(h) for h in (
    "0x0.0p+0", "-0x1.19083535b085dp-56", "0x1.d73e2a475b465p-55",
    "0x1.186be4bb284ffp-57", "0x1.8a62e4adc610bp-54", "0x1.03a1727c57b53p-59",
    "-0x1.6c51039449b3ap-54", "-0x1.32fbf9af1369ep-54", "-0x1.19041b9d78a76p-55",
    "0x1.e5b4c7b4968e4p-55", "0x1.e016e00a2643cp-54", "0x1.dc775814a8495p-55",
    "0x1.9b07eb6c70573p-54", "0x1.2bd339940e9d9p-55", "0x1.612e8afad1255p-55",
    "0x1.0024754db41d5p-54", "0x1.6f46ad23182e4p-55", "0x1.32721843659a6p-54",
    "-0x1.63aeabf42eae2p-54", "-0x1.5e436d661f5e3p-56", "0x1.ada0911f09ebcp-55",
    "-0x1.ef3691c309278p-58", "0x1.89b7a04ef80d0p-59", "0x1.3c1a3b69062f0p-56",
    "0x1.d4397afec42e2p-56", "-0x1.4b309d25957e3p-54", "-0x1.07abe1db13cadp-55",
    "0x1.9bb2c011d93adp-54", "0x1.6324c054647adp-54", "0x1.ba6f93080e65ep-54",
    "-0x1.383c17e40b497p-54", "-0x1.bb60987591c34p-54", "-0x1.bdd3413b26456p-54",
    "-0x1.bbe3a683c88abp-57", "-0x1.16e4786887a99p-55", "-0x1.0245957316dd3p-54",
    "-0x1.41577ee04992fp-55", "0x1.05d02ba15797ep-56", "-0x1.d4c1dd41532d8p-54",
    "-0x1.fc6f89bd4f6bap-54", "0x1.6e9f156864b27p-54", "0x1.5cc13a2e3976cp-55",
    "-0x1.75fc781b57ebcp-57", "-0x1.d185b7c1b85d1p-54", "0x1.c7c46b071f2bep-56",
    "-0x1.359495d1cd533p-54", "-0x1.d2f6edb8d41e1p-54", "0x1.0fac90ef7fd31p-54",
    "0x1.7a1cd345dcc81p-54", "-0x1.2805e3084d708p-57", "-0x1.5584f7e54ac3bp-56",
    "0x1.23dd07a2d9e84p-55", "0x1.11065895048ddp-55", "0x1.2884dff483cadp-54",
    "0x1.503cbd1e949dbp-56", "-0x1.cbc3743797a9cp-54", "0x1.2ed02d75b3707p-55",
    "0x1.c2300696db532p-54", "-0x1.1a5cd4f184b5cp-54", "0x1.39e8980a9cc8fp-55",
    "-0x1.e9c23179c2893p-54", "0x1.dc7f486a4b6b0p-54", "0x1.9d3e12dd8a18bp-54",
    "0x1.74853f3a5931ep-55",
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


#: 2^-64, the second factor of the scaling of :func:`_exp` with ``nonpositive``.
_TWO_M64 = 2.0 ** -64


@njit(**SCALAR)
def _exp(x, precise, nonpositive):
    """e^x by Tang's method (module docstring); ``precise`` (a constant): with the table's
    rounding errors added back (one more gather), within about 0.55 ulp. ``nonpositive`` (a
    constant): for x <= 0 only (exact up to x = 664, wrong beyond), with a cheaper scaling
    that gives the same numbers."""
    # clamp so that k stays in range; the clamped values still overflow / underflow as they must.
    # Written as selects that pass NaN through (a comparison with NaN is false; each compiles to
    # one max / min instruction): a NaN argument makes every step below NaN, the result too
    y = -746.0 if x < -746.0 else x
    if not nonpositive:
        y = 710.0 if y > 710.0 else y
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
    if precise:
        e = t + fma(t, q, _TWO_LO[j])
    else:
        e = fma(t, q, t)
    # 2^(k >> 6) as two factors, both normal for every k the clamp allows: the first product
    # is exact, the second rounds once (into the subnormals where the result is one), so the
    # result is e 2^(k >> 6) rounded once, whichever split. For x <= 0 (k >> 6 >= -1077):
    # 2^((k >> 6) + 64) 2^-64, a second factor that needs no arithmetic
    if nonpositive:
        return e * _pow2((k >> 6) + 64) * _TWO_M64
    k = k >> 6
    k1 = k >> 1
    return e * _pow2(k1) * _pow2(k - k1)


@njit(**SCALAR)
def exp(x):
    """e^x [dimensionless], vectorisable, within 1.5 ulp (see the module docstring)."""
    return _exp(x, False, False)


@njit(**SCALAR)
def exp_nonpositive(x):
    """e^x [dimensionless] for x <= 0 (and NaN): bitwise :func:`exp`, with fewer operations
    (no upper clamp, a scaling by a constant). Wrong for x > 664: the caller guarantees
    x <= 0 (an argument such as -s^2 / 2)."""
    return _exp(x, False, True)


# ----------------------------------------------------------------------------- sin, cos
#: sin and cos are accurate (within 1 ulp, see :func:`sin`) for |x| <= TRIG_MAX; NaN beyond.
TRIG_MAX = 2.0 ** 40
_TWO_OVER_PI = float.fromhex("0x1.45f306dc9c883p-1")
# pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 + (5.6e-50): each part the double nearest to what the parts
# before it leave (computed with 80 decimal digits of pi)
_PIO2_1 = float.fromhex("0x1.921fb54442d18p+0")
_PIO2_2 = float.fromhex("0x1.1a62633145c07p-54")
_PIO2_3 = -float.fromhex("0x1.f1976b7ed8fbcp-110")
# Taylor coefficients: sin r = r + r^3 (S3 + r^2 S5 + ... + r^14 S17), truncation below
# 1.2e-19 relative for |r| <= pi/4; cos r = 1 - r^2/2 + r^4 (K4 + ... + r^12 K16), below 2.9e-18
_S3, _S5, _S7, _S9 = -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0
_S11, _S13 = -1.0 / 39916800.0, 1.0 / 6227020800.0
_S15, _S17 = -1.0 / 1307674368000.0, 1.0 / 355687428096000.0
_K4, _K6, _K8, _K10 = 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0
_K12, _K14, _K16 = 1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0


@njit(**SCALAR)
def _sin_or_cos(x, quarter):
    """sin(x) (``quarter`` 0) or cos(x) = sin(x + pi/2) (``quarter`` 1): see :func:`sin`."""
    z = fma(x, _TWO_OVER_PI, _SHIFT)  # _SHIFT + n, n the integer nearest to x 2 / pi
    nf = z - _SHIFT  # exact
    q = double_to_bits(z) - _SHIFT_BITS + quarter
    # r + t = x - n pi/2: x - n _PIO2_1 is exact (fused, and a multiple of 2^-53 below 1 in
    # magnitude); its difference with n _PIO2_2 as an unevaluated sum by Knuth's two-sum, the
    # product's rounding error (fma) and n _PIO2_3 folded into the tail t
    r1 = fma(-nf, _PIO2_1, x)
    w = nf * _PIO2_2
    wl = fma(nf, _PIO2_2, -w)
    r = r1 - w
    bb = r - r1
    t = (r1 - (r - bb)) + (-w - bb)
    t = t - fma(nf, _PIO2_3, wl)
    zz = r * r
    # sin(r + t) = sin r + t cos r, cos r ~ 1 - r^2/2 at the tail's size
    ps = fma(zz, _S17, _S15)
    ps = fma(zz, ps, _S13)
    ps = fma(zz, ps, _S11)
    ps = fma(zz, ps, _S9)
    ps = fma(zz, ps, _S7)
    ps = fma(zz, ps, _S5)
    ps = fma(zz, ps, _S3)
    hz = 0.5 * zz
    s = r + fma(r * zz, ps, fma(-hz, t, t))
    # cos(r + t) = cos r - t sin r; 1 - r^2/2 as one_minus + its rounding error (that of
    # r^2 from a fused multiply-add as well), so that the sum carries the bits 1 - hz loses
    pc = fma(zz, _K16, _K14)
    pc = fma(zz, pc, _K12)
    pc = fma(zz, pc, _K10)
    pc = fma(zz, pc, _K8)
    pc = fma(zz, pc, _K6)
    pc = fma(zz, pc, _K4)
    zl = fma(r, r, -zz)
    one_minus = 1.0 - hz
    c = one_minus + ((((1.0 - one_minus) - hz) - 0.5 * zl) + fma(zz * zz, pc, -r * t))
    v = c if q & 1 else s
    v = -v if q & 2 else v
    return v if abs(x) <= TRIG_MAX else math.nan


@njit(**SCALAR)
def sin(x):
    """sin(x) [dimensionless] of x [rad], vectorisable, within 1 ulp for |x| <= TRIG_MAX
    (2^40; measured at most 0.74 ulp); NaN beyond, and for +-inf and NaN; sin(-0.0) = -0.0.

    Cody and Waite's reduction x = n pi/2 + r, n the integer nearest to 2 x / pi (read from the
    low bits of a shifted sum as in :func:`exp`), with pi/2 split into three doubles and the
    remainder kept as an unevaluated sum r + t (|r| <= pi/4; the fused multiply-add makes
    x - n pi/2_1 exact without trailing zero bits in the first part). Both sin r and cos r are
    evaluated (Taylor polynomials of degree 17 and 16: a term or two more than minimax ones,
    truncation below 3e-18 relative; cos r = 1 - r^2/2 + ... with the rounding error of
    1 - r^2/2 carried, as in fdlibm's ``__kernel_cos``) and n mod 4 selects one and its sign:
    no branches. Over |x| <= 2^40 the remainder is never much smaller than 2^-61 (the closest
    a double of that size comes to a multiple of pi/2) and the three-part pi/2 is exact to
    2^-120 there; the test checks the doubles next to multiples of pi/2.

    SLEEF (``sleefsimddp.c``, ``xsin_u1``) and Arm's optimized-routines (``v_sin``) reduce by
    pi instead (one odd polynomial on [-pi/2, pi/2], the sign from n's parity; 1.6 ulp) and
    switch to a slower reduction for a whole vector (SLEEF: Payne and Hanek's, from a table of
    the bits of 2/pi) or for the lanes beyond their range (Arm: the scalar call). A loop that
    numba vectorises cannot branch per vector, so large arguments give NaN here instead of a
    second path in every call: 2^40 rad is 1.7e11 periods of a periodic potential or Bloch
    oscillations of a tight-binding band, and a NaN marker stops a run at its next frame
    (:meth:`pmc.Simulation.observe`).
    """
    v = _sin_or_cos(x, 0)
    return x if abs(x) < 2.0 ** -27 else v  # keeps sin(+-0) = +-0 and subnormal arguments


@njit(**SCALAR)
def cos(x):
    """cos(x) [dimensionless] of x [rad], vectorisable, within 1 ulp for |x| <= TRIG_MAX
    (2^40); NaN beyond, and for +-inf and NaN. As :func:`sin` (cos x = sin(x + pi/2): the
    quadrant advanced by one)."""
    return _sin_or_cos(x, 1)


# ----------------------------------------------------------------------------- tanh, sech^2
# 1 - e^-y = -expm1(-y) for 0 <= y <= ln 2 by its Taylor polynomial of degree 17 (truncation
# below 2.2e-19 relative); beyond, 1 - exp(-y) loses no more than one bit (exp(-y) <= 1/2)
_LN2 = math.log(2.0)
_E2, _E3, _E4, _E5, _E6, _E7 = (1.0 / math.factorial(k) for k in range(2, 8))
_E8, _E9, _E10, _E11, _E12 = (1.0 / math.factorial(k) for k in range(8, 13))
_E13, _E14, _E15, _E16, _E17 = (1.0 / math.factorial(k) for k in range(13, 18))


@njit(**SCALAR)
def exp_pair(y):
    """(e^-y, 1 - e^-y) [dimensionless] for y >= 0, each to within 1.5 ulp: what tanh, sech^2
    and the logistic function are built from without cancellation (e^-y from :func:`exp`,
    1 - e^-y from a polynomial for y <= ln 2 and from e^-y beyond, selected: no branches)."""
    e = _exp(-y, True, True)
    x = -y
    p = fma(x, _E17, _E16)
    p = fma(x, p, _E15)
    p = fma(x, p, _E14)
    p = fma(x, p, _E13)
    p = fma(x, p, _E12)
    p = fma(x, p, _E11)
    p = fma(x, p, _E10)
    p = fma(x, p, _E9)
    p = fma(x, p, _E8)
    p = fma(x, p, _E7)
    p = fma(x, p, _E6)
    p = fma(x, p, _E5)
    p = fma(x, p, _E4)
    p = fma(x, p, _E3)
    p = fma(x, p, _E2)
    m = -fma(x * x, p, x)  # 1 - e^-y = -(x + x^2/2 + ...), x = -y
    return e, (m if y <= _LN2 else 1.0 - e)


@njit(**SCALAR)
def _quotient(a, d, dl, inv):
    """a / (d + dl) for |dl| <= ulp(d), within about 0.5 ulp beyond the errors of a, d and dl,
    given inv ~ 1 / d to a few ulp: the quotient a inv corrected by the exact residual
    a - q d (fused) over d (Newton's step; the corrections of the libraries' division-free
    kernels have the same form)."""
    q0 = a * inv
    res = fma(-q0, d, a) - q0 * dl
    return fma(res, inv, q0)


@njit(**SCALAR)
def _sum_one(e):
    """1 + e for 0 <= e <= 1 as an unevaluated sum d + dl (exact), and 1 / d."""
    d = 1.0 + e
    dl = (1.0 - d) + e
    return d, dl, 1.0 / d


@njit(**SCALAR)
def tanh_sech2(x):
    """(tanh x, 1 / cosh^2 x) [dimensionless], vectorisable, each within 2 ulp (1.5 where
    sech^2 x is a normal number, |x| < 354): sign(x) (1 - E) / (1 + E) and 4 E / (1 + E)^2 with
    E = e^-2|x| to about 0.55 ulp and 1 - E from :func:`exp_pair`, 1 + E as an exact two-term
    sum, one division, the quotients corrected (:func:`_quotient`). +-1 and 0 at +-inf, NaN
    for NaN. Where only one of the two is used, LLVM drops the other's arithmetic."""
    e, m = exp_pair(2.0 * abs(x))
    d, dl, inv = _sum_one(e)
    th = math.copysign(_quotient(m, d, dl, inv), x)
    dd = d * d
    ddl = fma(d, d, -dd) + 2.0 * d * dl
    return th, _quotient(4.0 * e, dd, ddl, inv * inv)


@njit(**SCALAR)
def tanh(x):
    """tanh(x) [dimensionless], vectorisable, within 2 ulp (:func:`tanh_sech2`)."""
    return tanh_sech2(x)[0]


@njit(**SCALAR)
def sech2(x):
    """1 / cosh^2(x) [dimensionless], vectorisable, within 2 ulp (:func:`tanh_sech2`)."""
    return tanh_sech2(x)[1]


@njit(**SCALAR)
def logistic2(x):
    """(1 + tanh x) / 2 = 1 / (1 + e^-2x) [dimensionless], vectorisable, within 1.5 ulp:
    1 / (1 + E) for x >= 0 and E / (1 + E) below, E = e^-2|x| (no cancellation for x << 0,
    where the result is E); 0 at -inf, 1 at +inf, NaN for NaN."""
    e = _exp(-2.0 * abs(x), True, True)
    d, dl, inv = _sum_one(e)
    return _quotient(1.0 if x >= 0.0 else e, d, dl, inv)
