"""Scalar model functions: dispersions eps(p), v(p) and potentials U(x, t), F(x, t).

Models are encoded as integer codes and float64 parameter arrays so that one compiled (and
disk-cached) kernel serves every model and every sum of potentials. Every function takes up to
three components; unused components are passed as 0.0 and LLVM folds them away.

Dispersion (``kind``, ``prm``):

====================  ====  =====================================================
model                 kind  prm
====================  ====  =====================================================
parabolic             0     [mass]
Kane non-parabolic    1     [mass, alpha]           eps (1 + alpha eps) = p^2 / 2m
linear (massless)     2     [speed]                 eps = c |p|
tight binding         3     [hopping, a_over_hbar]  sum_i 2 J (1 - cos(p_i a / hbar))
relativistic          4     [mass, c]               sqrt(m^2 c^4 + p^2 c^2) - m c^2
====================  ====  =====================================================

Potential: ``terms`` int64 (nterm, 4) rows [kind, offset, modulation kind, modulation offset]
into the float64 array ``prm``; U(x, t) = sum over terms of g_k(t) U_k(x).
"""
import math

from numba import njit, uint64

from . import JIT, vecmath

#: Flags of the scalar functions here and in :mod:`.push`: LLVM always inlines them into their
#: callers (``forceinline``; numba's own ``inline="always"`` gives the same code but takes
#: far longer to compile the push), and they are compiled without reference counting
#: (``_nrt=False``: they take arrays but never allocate). Without both, the per-marker loops made
#: a call per function, marker and step, each with an atomic incref/decref of every array
#: argument, which slows the push several-fold. Inlining changes no arithmetic (``fastmath``
#: stays off): results are bitwise those of the calls.
SCALAR = dict(JIT, forceinline=True, _nrt=False)

# dispersion codes
PARABOLIC, KANE, LINEAR, TIGHT_BINDING, RELATIVISTIC = 0, 1, 2, 3, 4
# potential codes
HARMONIC, QUARTIC, GAUSSIAN, ECKART, STEP, PERIODIC, UNIFORM_FIELD, GRIDDED = range(8)
# time modulation codes
STATIC, SINUSOIDAL, RAMP, TIME_TABLE = 0, 1, 2, 3


@njit(**SCALAR)
def column(a, i, d):
    """The first ``d`` <= 3 rows of column ``i`` of a (d, n) array as three numbers, zeros beyond
    ``d``: a marker's position or momentum as the scalar functions take it."""
    return a[0, i], a[1, i] if d > 1 else 0.0, a[2, i] if d > 2 else 0.0


@njit(**SCALAR)
def set_column(a, i, d, v0, v1, v2):
    """a[:d, i] = (v0, v1, v2)[:d]: the inverse of :func:`column`, storing a vector (a
    velocity, a force) of which the scalar functions return three components."""
    a[0, i] = v0
    if d > 1:
        a[1, i] = v1
    if d > 2:
        a[2, i] = v2


# ----------------------------------------------------------------------------- dispersions
@njit(**SCALAR)
def energy(kind, prm, p0, p1, p2):
    """Band energy eps(p) [J]."""
    if kind == PARABOLIC:
        return (p0 * p0 + p1 * p1 + p2 * p2) / (2.0 * prm[0])
    elif kind == KANE:
        gamma = (p0 * p0 + p1 * p1 + p2 * p2) / (2.0 * prm[0])
        a = prm[1]
        if a == 0.0:
            return gamma
        # stable root of a eps^2 + eps - gamma = 0
        return 2.0 * gamma / (1.0 + math.sqrt(1.0 + 4.0 * a * gamma))
    elif kind == LINEAR:
        return prm[0] * math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
    elif kind == TIGHT_BINDING:
        j2 = 2.0 * prm[0]
        k = prm[1]
        # 1 - cos y = 2 sin^2(y/2): no cancellation near the band bottom
        s0 = vecmath.sin(0.5 * k * p0)
        s1 = vecmath.sin(0.5 * k * p1)
        s2 = vecmath.sin(0.5 * k * p2)
        return 2.0 * j2 * ((s0 * s0 + s1 * s1) + s2 * s2)
    else:  # RELATIVISTIC
        mc = prm[0] * prm[1]
        p2sum = p0 * p0 + p1 * p1 + p2 * p2
        # sqrt(m^2c^4 + p^2c^2) - mc^2 written without cancellation
        return prm[1] * p2sum / (math.sqrt(mc * mc + p2sum) + mc)


@njit(**SCALAR)
def speed_factor(kind, prm, p0, p1, p2):
    """The factor s(|p|) [1/kg] with v(p) = s p, for the isotropic bands (all but tight
    binding): 1/m (parabolic), 1 / (m (1 + 2 alpha eps)) (Kane), c/|p| (linear; 0 at p = 0),
    c / sqrt(m^2 c^2 + p^2) (relativistic)."""
    if kind == PARABOLIC:
        return 1.0 / prm[0]
    elif kind == KANE:
        eps = energy(kind, prm, p0, p1, p2)
        return 1.0 / (prm[0] * (1.0 + 2.0 * prm[1] * eps))
    elif kind == LINEAR:
        pm = math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
        return prm[0] / pm if pm != 0.0 else 0.0
    else:  # RELATIVISTIC
        mc = prm[0] * prm[1]
        return prm[1] / math.sqrt(mc * mc + p0 * p0 + p1 * p1 + p2 * p2)


@njit(**SCALAR)
def velocity(kind, prm, p0, p1, p2):
    """Group velocity v(p) = d eps / dp [m/s], three components."""
    if kind == TIGHT_BINDING:
        c = 2.0 * prm[0] * prm[1]
        k = prm[1]
        return c * vecmath.sin(k * p0), c * vecmath.sin(k * p1), c * vecmath.sin(k * p2)
    s = speed_factor(kind, prm, p0, p1, p2)
    return p0 * s, p1 * s, p2 * s


# ----------------------------------------------------------------------------- potentials
@njit(**SCALAR)
def modulation(mkind, prm, off, t):
    """Time factor g(t) of a potential term (dimensionless)."""
    if mkind == STATIC:
        return 1.0
    elif mkind == SINUSOIDAL:  # [amplitude, angular frequency, phase]
        return 1.0 + prm[off] * math.sin(prm[off + 1] * t + prm[off + 2])
    elif mkind == RAMP:  # [duration]
        if t >= prm[off]:
            return 1.0
        return max(t, 0.0) / prm[off]
    else:  # TIME_TABLE [t0, 1/h, npoint, g_0 ... g_{n-1}], linear, held at the ends
        s = (t - prm[off]) * prm[off + 1]
        n = int(prm[off + 2])
        if s <= 0.0:
            return prm[off + 3]
        if s >= n - 1:
            return prm[off + 3 + n - 1]
        i = int(s)
        f = s - i
        return prm[off + 3 + i] * (1.0 - f) + prm[off + 4 + i] * f


@njit(**SCALAR)
def _gridded_cell(prm, off, x):
    """(inside, i, f, s) of a point in a gridded table: whether it lies in the table, its cell
    (0 outside: a valid index, so that every point may load its cell's coefficients), the
    local coordinate in the cell, and s = (x - x0) / h. Branch-free (selects), so that loops over
    points vectorise; the callers select the value outside by ``inside``."""
    s = (x - prm[off]) * prm[off + 1]
    ncell = int(prm[off + 2])  # read before the test: a load outside the loops over points
    inside = s >= 0.0 and s < ncell
    i = int(s) if inside else 0
    return inside, i, s - i, s


@njit(**SCALAR)
def term_potential(kind, prm, o, x0, x1, x2):
    """U_k(x) [J] of one term."""
    if kind == HARMONIC:  # [k, c0, c1, c2]: k/2 |x - c|^2
        d0 = x0 - prm[o + 1]
        d1 = x1 - prm[o + 2]
        d2 = x2 - prm[o + 3]
        return 0.5 * prm[o] * (d0 * d0 + d1 * d1 + d2 * d2)
    elif kind == QUARTIC:  # [a4, a2, c0, c1, c2]: a4 r^4 + a2 r^2
        d0 = x0 - prm[o + 2]
        d1 = x1 - prm[o + 3]
        d2 = x2 - prm[o + 4]
        r2 = d0 * d0 + d1 * d1 + d2 * d2
        return prm[o] * r2 * r2 + prm[o + 1] * r2
    elif kind == GAUSSIAN:  # [height, width, center] along x
        # s as term_force forms it: 1 / width is computed once per loop, no division per point
        s = (x0 - prm[o + 2]) * (1.0 / prm[o + 1])
        return prm[o] * vecmath.exp_nonpositive(-0.5 * s * s)
    elif kind == ECKART:  # [height, width, center]: height / cosh^2
        return prm[o] * vecmath.sech2((x0 - prm[o + 2]) * (1.0 / prm[o + 1]))
    elif kind == STEP:  # [height, width, center]: height (1 + tanh) / 2
        return prm[o] * vecmath.logistic2((x0 - prm[o + 2]) * (1.0 / prm[o + 1]))
    elif kind == PERIODIC:  # [amplitude, wavenumber, phase]: A cos(k x + phi)
        return prm[o] * vecmath.cos(prm[o + 1] * x0 + prm[o + 2])
    elif kind == UNIFORM_FIELD:  # [F0, F1, F2]: -F.x
        return -(prm[o] * x0 + prm[o + 1] * x1 + prm[o + 2] * x2)
    else:  # GRIDDED [x0, 1/h, ncell, c0_0, c1_0, c2_0, c3_0, c0_1, ...] cubic per cell
        inside, i, f, s = _gridded_cell(prm, o, x0)
        b = uint64(o + 3 + 4 * i)  # unsigned: indexing skips the negative wraparound
        u = prm[b] + f * (prm[b + uint64(1)] + f * (prm[b + uint64(2)] + f * prm[b + uint64(3)]))
        if inside:
            return u
        if s < 0.0:  # left of the table: the first cell's value at its left end
            return prm[o + 3]
        e = o + 3 + 4 * (int(prm[o + 2]) - 1)  # right (or NaN): the last cell's at its right end
        return prm[e] + prm[e + 1] + prm[e + 2] + prm[e + 3]


@njit(**SCALAR)
def term_force(kind, prm, o, x0, x1, x2):
    """F_k(x) = -grad U_k [N] of one term, three components."""
    if kind == HARMONIC:
        k = prm[o]
        return -k * (x0 - prm[o + 1]), -k * (x1 - prm[o + 2]), -k * (x2 - prm[o + 3])
    elif kind == QUARTIC:
        d0 = x0 - prm[o + 2]
        d1 = x1 - prm[o + 3]
        d2 = x2 - prm[o + 4]
        r2 = d0 * d0 + d1 * d1 + d2 * d2
        g = -(4.0 * prm[o] * r2 + 2.0 * prm[o + 1])
        return g * d0, g * d1, g * d2
    elif kind == GAUSSIAN:
        inv_w = 1.0 / prm[o + 1]
        s = (x0 - prm[o + 2]) * inv_w
        return prm[o] * s * inv_w * vecmath.exp_nonpositive(-0.5 * s * s), 0.0, 0.0
    elif kind == ECKART:
        inv_w = 1.0 / prm[o + 1]
        u = (x0 - prm[o + 2]) * inv_w
        th, s2 = vecmath.tanh_sech2(u)
        return 2.0 * prm[o] * inv_w * (th * s2), 0.0, 0.0
    elif kind == STEP:
        inv_w = 1.0 / prm[o + 1]
        return -0.5 * prm[o] * inv_w * vecmath.sech2((x0 - prm[o + 2]) * inv_w), 0.0, 0.0
    elif kind == PERIODIC:
        return prm[o] * prm[o + 1] * vecmath.sin(prm[o + 1] * x0 + prm[o + 2]), 0.0, 0.0
    elif kind == UNIFORM_FIELD:
        return prm[o], prm[o + 1], prm[o + 2]
    else:  # GRIDDED: derivative of the cubic, zero outside the table
        inside, i, f, _ = _gridded_cell(prm, o, x0)
        b = uint64(o + 4 + 4 * i)  # unsigned: indexing skips the negative wraparound
        c1, c2, c3 = prm[b], prm[b + uint64(1)], prm[b + uint64(2)]
        g = -prm[o + 1] * (c1 + f * (2.0 * c2 + f * 3.0 * c3))
        return g if inside else 0.0, 0.0, 0.0


@njit(**SCALAR)
def potential(terms, prm, x0, x1, x2, t):
    """U(x, t) [J]: the sum of all terms."""
    u = 0.0
    for k in range(terms.shape[0]):
        g = modulation(terms[k, 2], prm, terms[k, 3], t)
        u += g * term_potential(terms[k, 0], prm, terms[k, 1], x0, x1, x2)
    return u


@njit(**SCALAR)
def force(terms, prm, x0, x1, x2, t):
    """F(x, t) = -grad U [N]: the sum of all terms, three components."""
    f0 = 0.0
    f1 = 0.0
    f2 = 0.0
    for k in range(terms.shape[0]):
        g = modulation(terms[k, 2], prm, terms[k, 3], t)
        a, b, c = term_force(terms[k, 0], prm, terms[k, 1], x0, x1, x2)
        f0 += g * a
        f1 += g * b
        f2 += g * c
    return f0, f1, f2
