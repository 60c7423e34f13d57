"""Array versions of the model functions, parallel over points (used by the physics layer and
by the moments): each loads a point, calls the scalar function of :mod:`.models`, stores."""

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL, stateful
from .vecmath import fma, stack_doubles
from .models import (ECKART, GAUSSIAN, GRIDDED, HARMONIC, KANE, PARABOLIC, PERIODIC, QUARTIC,
                     SCALAR, STEP, UNIFORM_FIELD, column, energy, force, modulation, potential,
                     set_column, term_potential)


@njit(**JIT_PARALLEL)
def energy_array(dkind, dprm, state, p, out):
    """out[i] = E(p[:, i]) [J] in state ``state[i]`` (:func:`.stateful.energy`); ``p`` is
    (dp, n) with dp <= 3. ``state`` (int64) empty: state 0 for every point, which for a
    stateless band is bitwise ``models.energy``."""
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        s = state[i] if has_state else 0
        out[i] = stateful.energy(dkind, dprm, s, p0, p1, p2)
    return out


@njit(**JIT_PARALLEL)
def velocity_array(dkind, dprm, state, p, out):
    """out[:, i] = v(p[:, i]) [m/s] in state ``state[i]`` (:func:`.stateful.velocity`);
    ``out`` is (dp, n); ``state`` as for :func:`energy_array`."""
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        s = state[i] if has_state else 0
        v0, v1, v2 = stateful.velocity(dkind, dprm, s, p0, p1, p2)
        set_column(out, i, dp, v0, v1, v2)
    return out


@njit(**JIT_PARALLEL)
def potential_array(terms, prm, x, t, out):
    """out[i] = U(x[:, i], t); ``x`` is (dx, n)."""
    dx = x.shape[0]
    for i in prange(x.shape[1]):
        x0, x1, x2 = column(x, i, dx)
        out[i] = potential(terms, prm, x0, x1, x2, t)
    return out


@njit(**JIT_PARALLEL)
def force_array(terms, prm, x, t, out):
    """out[:, i] = F(x[:, i], t) on the dx position components; ``out`` is (dx, n)."""
    dx = x.shape[0]
    for i in prange(x.shape[1]):
        x0, x1, x2 = column(x, i, dx)
        f0, f1, f2 = force(terms, prm, x0, x1, x2, t)
        set_column(out, i, dx, f0, f1, f2)
    return out


#: Markers per sub-block of :func:`marker_sums`: their energies held in L1 between the loops.
_SUB = 256


@njit(**SCALAR)
def _potential_term_loop(U, x, i0, m, dx, kind, prm, o, g):
    """U[i] += g U_k(x_{i0+i}) for i < m <= _SUB, ``dx`` and ``kind`` constants (a loop that
    vectorises); term by term in order, each marker gets bitwise models.potential. A gridded
    table's values are gathered into a stack buffer first (:func:`.vecmath.stack_doubles`: with
    U as the destination the gathering loop would stay scalar)."""
    if kind == GRIDDED:
        u = stack_doubles(_SUB)
        for i in range(m):
            u[i] = term_potential(kind, prm, o, x[0, i0 + i], 0.0, 0.0)
        for i in range(m):
            U[i] += g * u[i]
        return
    for i in range(m):
        j = i0 + i
        x1 = x[1, j] if dx > 1 else 0.0
        x2 = x[2, j] if dx > 2 else 0.0
        U[i] += g * term_potential(kind, prm, o, x[0, j], x1, x2)


@njit(**SCALAR)
def _potential_term(U, x, i0, m, dx, kind, prm, o, g):
    """:func:`_potential_term_loop` with ``kind`` constant, for ``dx`` constant."""
    if kind == HARMONIC:
        _potential_term_loop(U, x, i0, m, dx, HARMONIC, prm, o, g)
    elif kind == QUARTIC:
        _potential_term_loop(U, x, i0, m, dx, QUARTIC, prm, o, g)
    elif kind == GAUSSIAN:
        _potential_term_loop(U, x, i0, m, dx, GAUSSIAN, prm, o, g)
    elif kind == ECKART:
        _potential_term_loop(U, x, i0, m, dx, ECKART, prm, o, g)
    elif kind == STEP:
        _potential_term_loop(U, x, i0, m, dx, STEP, prm, o, g)
    elif kind == PERIODIC:
        _potential_term_loop(U, x, i0, m, dx, PERIODIC, prm, o, g)
    elif kind == UNIFORM_FIELD:
        _potential_term_loop(U, x, i0, m, dx, UNIFORM_FIELD, prm, o, g)
    else:
        _potential_term_loop(U, x, i0, m, dx, GRIDDED, prm, o, g)


@njit(**JIT)
def block_potential(U, x, i0, m, terms, prm, t):
    """U[:m] = U(x, t) of markers i0..i0+m-1, term by term (bitwise models.potential)."""
    dx = x.shape[0]
    for i in range(m):
        U[i] = 0.0
    for k in range(terms.shape[0]):
        g = modulation(terms[k, 2], prm, terms[k, 3], t)
        if dx == 1:
            _potential_term(U, x, i0, m, 1, terms[k, 0], prm, terms[k, 1], g)
        elif dx == 2:
            _potential_term(U, x, i0, m, 2, terms[k, 0], prm, terms[k, 1], g)
        else:
            _potential_term(U, x, i0, m, 3, terms[k, 0], prm, terms[k, 1], g)


@njit(**SCALAR)
def _energy_loop(E, p, i0, m, dp, dkind, dprm):
    """E[i] = eps(p_{i0+i}) + E[i], ``dp`` and ``dkind`` (a stateless band) constants."""
    for i in range(m):
        j = i0 + i
        p1 = p[1, j] if dp > 1 else 0.0
        p2 = p[2, j] if dp > 2 else 0.0
        E[i] = energy(dkind, dprm, p[0, j], p1, p2) + E[i]


@njit(**JIT)
def block_energy(E, p, state, i0, m, dkind, dprm):
    """E[:m] = eps(p) + E[:m] (E holding U: the marker's H as stateful.energy + potential);
    ``state`` empty for markers without states (state 0)."""
    dp = p.shape[0]
    if dkind >= stateful.STATEFUL:
        has_state = state.shape[0] > 0
        for i in range(m):
            j = i0 + i
            p0, p1, p2 = column(p, j, dp)
            s = state[j] if has_state else 0
            E[i] = stateful.energy(dkind, dprm, s, p0, p1, p2) + E[i]
    elif dkind == PARABOLIC and dp == 1:
        _energy_loop(E, p, i0, m, 1, PARABOLIC, dprm)
    elif dkind == PARABOLIC and dp == 2:
        _energy_loop(E, p, i0, m, 2, PARABOLIC, dprm)
    elif dkind == PARABOLIC:
        _energy_loop(E, p, i0, m, 3, PARABOLIC, dprm)
    elif dkind == KANE and dp == 3:
        _energy_loop(E, p, i0, m, 3, KANE, dprm)
    else:
        _energy_loop(E, p, i0, m, dp, dkind, dprm)


#: How :func:`_products_loop` gets a marker's H: E[i] holds it; eps(p) + E[i] by
#: ``models.energy``; eps(p) + E[i] for a parabolic band by :func:`_quotient`.
_H_GIVEN, _H_BAND, _H_QUOTIENT = 0, 1, 2


@njit(**SCALAR)
def _quotient(a, b, y):
    """a / b rounded to nearest, bitwise the division, from y = 1 / b (rounded to nearest):
    q = a y corrected twice by the remainder a - q b (each an fma; the second remainder is
    exact and the second correction rounds correctly: P. Markstein, IBM J. Res. Dev. 34, 111
    (1990); J.-M. Muller et al., *Handbook of Floating-Point Arithmetic*, 2nd ed., Birkhäuser
    (2018), section 4.7). A mul and four fmas vectorise at several times the throughput of
    a vector division. Valid where :func:`_quotient_range` admits a (no underflow or
    overflow on the way)."""
    q = a * y
    r = fma(-q, b, a)
    q = fma(r, y, q)
    r = fma(-q, b, a)
    return fma(r, y, q)


@njit(**SCALAR)
def _quotient_range(b):
    """(lo, hi): :func:`_quotient` (a, b, 1 / b) is bitwise a / b for a = 0 and for
    lo <= a <= hi (conservative bounds: the remainders and a / b stay normal and finite); for
    a ``b`` whose reciprocal is not normal, hi = -1 (no a)."""
    if not (b >= 2.0 ** -1000 and b <= 2.0 ** 1000):
        return np.inf, -1.0
    return max(2.0 ** -960, b * 2.0 ** -1000), min(2.0 ** 1000, b * 2.0 ** 1000)


@njit(**SCALAR)
def _summands(E, x, p, w, i, j, dx, dp, dkind, dprm, how, b, y, lo, hi):
    """((x, p, w of marker j not all finite, w, w H, w p_0, w p_1, w p_2), 1 where ``how`` is
    _H_QUOTIENT and the marker's p^2 is outside [lo, hi] and not 0, else 0), H as ``how``
    says (E[i] holding H or U); ``dx``, ``dp``, ``dkind`` and ``how`` constants."""
    x0, x1, x2 = column(x, j, dx)
    p0, p1, p2 = column(p, j, dp)
    wi = w[j]
    outside = 0
    if how == _H_QUOTIENT:  # models.energy's parabolic eps(p), bitwise
        a = p0 * p0 + p1 * p1 + p2 * p2
        outside = 0 if a <= hi and (a >= lo or a == 0.0) else 1
        e = _quotient(a, b, y) + E[i]
    elif how == _H_BAND:
        e = energy(dkind, dprm, p0, p1, p2) + E[i]
    else:
        e = E[i]
    # v - v is +0 for every finite v and NaN for inf or NaN
    check = (x0 - x0) + (p0 - p0) + (wi - wi)
    if dx > 1:
        check += x1 - x1
    if dx > 2:
        check += x2 - x2
    if dp > 1:
        check += p1 - p1
    if dp > 2:
        check += p2 - p2
    return (0.0 if check == 0.0 else 1.0, wi, wi * e, wi * p0, wi * p1, wi * p2), outside


@njit(**SCALAR)
def _store_pair(Q, i, dp, s, t):
    """Q[k, i] = s[k] + t[k] for the 3 + dp rows summed."""
    Q[0, i] = s[0] + t[0]
    Q[1, i] = s[1] + t[1]
    Q[2, i] = s[2] + t[2]
    Q[3, i] = s[3] + t[3]
    if dp > 1:
        Q[4, i] = s[4] + t[4]
    if dp > 2:
        Q[5, i] = s[5] + t[5]


_NONE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@njit(**SCALAR)
def _products_loop(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm, how):
    """The first level of the pairwise sums of the sub-block's summands (:func:`_summands` of
    markers i0..i0+m-1, m <= _SUB, padded with zeros to _SUB): Q[k, i] = s_k(i) + s_k(i +
    _SUB/2) for i < _SUB/2, the additions :func:`pairwise_rows` would make first over the
    padded rows (s_k(i) + 0 where only i < m), without storing the summands; the rows of
    w p_a for a >= dp are neither written nor summed. ``dx``, ``dp``, ``dkind`` and ``how``
    constants (loops that vectorise). Returns how many markers :func:`_quotient` could not
    take (then the caller repeats with _H_BAND)."""
    half = uint64(_SUB // 2)
    both = m - half if m > half else uint64(0)
    one = min(m, half)
    b = 2.0 * dprm[0] if how == _H_QUOTIENT else 1.0  # models.energy's divisor
    y = 1.0 / b
    lo, hi = _quotient_range(b)
    outside = 0
    for i in range(both):
        s, u = _summands(E, x, p, w, i, i0 + i, dx, dp, dkind, dprm, how, b, y, lo, hi)
        t, v = _summands(E, x, p, w, i + half, i0 + i + half, dx, dp, dkind, dprm, how, b, y,
                         lo, hi)
        _store_pair(Q, i, dp, s, t)
        outside += u + v
    for i in range(both, one):
        s, u = _summands(E, x, p, w, i, i0 + i, dx, dp, dkind, dprm, how, b, y, lo, hi)
        _store_pair(Q, i, dp, s, _NONE)
        outside += u
    for i in range(one, half):
        _store_pair(Q, i, dp, _NONE, _NONE)
    return outside


@njit(**SCALAR)
def _band_products(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm):
    """:func:`_products_loop` adding eps(p) in the same loop, ``dkind`` (parabolic or Kane)
    constant, for ``dx`` and ``dp`` constants; a parabolic band's eps by :func:`_quotient`
    (by the division for a sub-block where it cannot)."""
    if dkind == PARABOLIC:
        if _products_loop(Q, E, x, p, w, i0, m, dx, dp, PARABOLIC, dprm, _H_QUOTIENT):
            _products_loop(Q, E, x, p, w, i0, m, dx, dp, PARABOLIC, dprm, _H_BAND)
    else:
        _products_loop(Q, E, x, p, w, i0, m, dx, dp, KANE, dprm, _H_BAND)


@njit(**SCALAR)
def _products(Q, E, x, p, w, state, i0, m, dkind, dprm):
    """Q of :func:`_products_loop` with H = eps(p) + E (E holding U): for a parabolic or Kane
    band in the layouts runs use, in one loop with ``dx`` and ``dp`` constants; else
    :func:`block_energy`, then the products."""
    dx = x.shape[0]
    dp = p.shape[0]
    if dkind == PARABOLIC or dkind == KANE:
        if dx == 1 and dp == 1:
            _band_products(Q, E, x, p, w, i0, m, 1, 1, dkind, dprm)
            return
        elif dx == 1 and dp == 3:
            _band_products(Q, E, x, p, w, i0, m, 1, 3, dkind, dprm)
            return
        elif dx == 2 and dp == 2:
            _band_products(Q, E, x, p, w, i0, m, 2, 2, dkind, dprm)
            return
        elif dx == 3 and dp == 3:
            _band_products(Q, E, x, p, w, i0, m, 3, 3, dkind, dprm)
            return
    block_energy(E, p, state, i0, m, dkind, dprm)
    _products_loop(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm, _H_GIVEN)


@njit(**SCALAR)
def pairwise_rows(Q, rows, width):
    """Q[k, 0] = the sum of the first ``width`` = 2^j >= 8 entries of row k < ``rows`` of
    ``Q`` (destroyed), pairwise: halves added elementwise, Q[k, i] += Q[k, i + h] for
    h = 2^(j-1), ..., 1, the last three levels (h = 4, 2, 1) written out (too short to
    vectorise as loops): a fixed order, so the sum of a row does not depend on the machine or
    the thread count."""
    for k in range(rows):
        h = width // 2
        while h >= 8:
            for i in range(h):
                Q[k, i] += Q[k, i + h]
            h //= 2
        Q[k, 0] = (((Q[k, 0] + Q[k, 4]) + (Q[k, 2] + Q[k, 6]))
                   + ((Q[k, 1] + Q[k, 5]) + (Q[k, 3] + Q[k, 7])))


@njit(**JIT)
def sub_block_sums(E, Q, acc, x, p, w, state, i0, m, dkind, dprm, terms, pprm, t, have_u):
    """acc[k] += the k-th sum of :func:`marker_sums` over markers i0..i0+m-1 (m <= _SUB), with
    ``E`` (_SUB,) and ``Q`` (6, >= _SUB/2) as scratch: the energies H(x, p, t) term by term, the
    six summands per marker, each row summed pairwise (its first level as the summands are
    made). Called on the sub-blocks of a block in order
    (by :func:`marker_sums`, and by the push at the end of a call while the sub-block is in
    cache), it gives bitwise the same block sums. ``have_u``: E[:m] holds U(x, t) already
    (bitwise :func:`block_potential`'s, computed by the push's last force evaluation)."""
    if not have_u:
        block_potential(E, x, i0, m, terms, pprm, t)
    _products(Q, E, x, p, w, state, i0, m, dkind, dprm)
    rows = 3 + p.shape[0]  # the sums of w p_a for a >= dp are zeros: not summed
    pairwise_rows(Q, rows, _SUB // 2)
    for k in range(rows):
        acc[k] += Q[k, 0]


@njit(**JIT_PARALLEL)
def marker_sums(dkind, dprm, terms, pprm, x, p, w, state, n, t, out):
    """One pass over markers 0..n-1 of the (dx, ·), (dp, ·) arrays ``x``, ``p``, weights ``w``
    and states ``state`` (int64; empty if the markers have none), in blocks of BLOCK markers (in
    parallel), into the block's row of ``out`` (nblock, 6): the number of markers with a
    non-finite x, p or w, then sum w, sum w H(x, p, t), sum w p_0, sum w p_1, sum w p_2 (0
    beyond dp).

    A block is taken in sub-blocks of _SUB markers: their energies H are computed term by term
    in loops that vectorise (the same numbers as stateful.energy + models.potential), and each
    of the six summands summed pairwise over the sub-block padded with zeros (the first level
    in the loop that makes them, :func:`_products_loop`, the others by
    :func:`pairwise_rows`); the sub-block sums are added in order. The caller sums the
    rows in order, so the totals do not depend on the number of threads. (Pairwise summation
    with fixed boundaries as numpy's sum uses it, N. J. Higham, *Accuracy and Stability of
    Numerical Algorithms*, 2nd ed., SIAM (2002), section 4.2: error O(eps log2 _SUB) per
    sub-block instead of O(eps _SUB) of a running sum.)"""
    nblock = (n + BLOCK - 1) // BLOCK
    for b in prange(nblock):
        E = np.empty(_SUB)
        Q = np.empty((6, _SUB // 2))
        acc = np.zeros(6)
        end = min(n, (b + 1) * BLOCK)
        for a0 in range(b * BLOCK, end, _SUB):
            sub_block_sums(E, Q, acc, x, p, w, state, uint64(a0), uint64(min(_SUB, end - a0)),
                           dkind, dprm, terms, pprm, t, False)
        for k in range(6):
            out[b, k] = acc[k]
