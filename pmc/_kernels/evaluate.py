"""Array versions of the model functions, parallel over points (used by the physics layer and
by the moments): each loads a point, calls the scalar function of :mod:`.models`, stores."""

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL, stateful
from .vecmath import stack_doubles
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


@njit(**SCALAR)
def _products_loop(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm, add_energy):
    """Q[:, i] = (x, p, w of marker i0+i not all finite, w, w H, w p_0, w p_1, w p_2) for
    i < m, zeros for m <= i < _SUB in the rows summed (3 + dp: the rows of w p_a for a >= dp
    are neither written nor summed), with H = E[i], or (``add_energy``, a stateless band)
    H = eps(p) + E[i] as :func:`block_energy` adds it; ``dx``, ``dp``, ``dkind`` and
    ``add_energy`` constants (a loop that vectorises)."""
    for i in range(m):
        j = i0 + i
        x0, x1, x2 = column(x, j, dx)
        p0, p1, p2 = column(p, j, dp)
        wi = w[j]
        e = energy(dkind, dprm, p0, p1, p2) + E[i] if add_energy else E[i]
        # 0 v is 0 for every finite v and NaN for inf or NaN
        check = 0.0 * x0 + 0.0 * x1 + 0.0 * x2 + 0.0 * p0 + 0.0 * p1 + 0.0 * p2 + 0.0 * wi
        Q[0, i] = 0.0 if check == 0.0 else 1.0
        Q[1, i] = wi
        Q[2, i] = wi * e
        Q[3, i] = wi * p0
        if dp > 1:
            Q[4, i] = wi * p1
        if dp > 2:
            Q[5, i] = wi * p2
    for k in range(3 + dp):
        for i in range(m, _SUB):
            Q[k, i] = 0.0


@njit(**SCALAR)
def _band_products(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm):
    """:func:`_products_loop` adding eps(p) in the same loop, ``dkind`` (parabolic or Kane)
    constant, for ``dx`` and ``dp`` constants."""
    if dkind == PARABOLIC:
        _products_loop(Q, E, x, p, w, i0, m, dx, dp, PARABOLIC, dprm, True)
    else:
        _products_loop(Q, E, x, p, w, i0, m, dx, dp, KANE, dprm, True)


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
    _products_loop(Q, E, x, p, w, i0, m, dx, dp, dkind, dprm, False)


@njit(**SCALAR)
def pairwise_rows(Q, rows):
    """Q[k, 0] = the sum of row k < ``rows`` of the (·, 2^j) array ``Q`` (destroyed),
    pairwise: halves added elementwise, Q[k, i] += Q[k, i + h] for h = 2^(j-1), ..., 1 (a fixed
    order that vectorises: the sum of a row does not depend on the machine or the thread
    count)."""
    for k in range(rows):
        h = Q.shape[1] // 2
        while h > 0:
            for i in range(h):
                Q[k, i] += Q[k, i + h]
            h //= 2


@njit(**JIT)
def sub_block_sums(E, Q, acc, x, p, w, state, i0, m, dkind, dprm, terms, pprm, t, have_u):
    """acc[k] += the k-th sum of :func:`marker_sums` over markers i0..i0+m-1 (m <= _SUB), with
    ``E`` (_SUB,) and ``Q`` (6, _SUB) as scratch: the energies H(x, p, t) term by term, the six
    summands per marker, each row summed pairwise. Called on the sub-blocks of a block in order
    (by :func:`marker_sums`, and by the push at the end of a call while the sub-block is in
    cache), it gives bitwise the same block sums. ``have_u``: E[:m] holds U(x, t) already
    (bitwise :func:`block_potential`'s, computed by the push's last force evaluation)."""
    if not have_u:
        block_potential(E, x, i0, m, terms, pprm, t)
    _products(Q, E, x, p, w, state, i0, m, dkind, dprm)
    rows = 3 + p.shape[0]  # the sums of w p_a for a >= dp are zeros: not summed
    pairwise_rows(Q, rows)
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
    in loops that vectorise (the same numbers as stateful.energy + models.potential), the six
    summands of each marker stored, and each summed pairwise (:func:`pairwise_rows`, the
    sub-block padded with zeros); the sub-block sums are added in order. The caller sums the
    rows in order, so the totals do not depend on the number of threads. (Pairwise summation
    with fixed boundaries as numpy's sum uses it, N. J. Higham, *Accuracy and Stability of
    Numerical Algorithms*, 2nd ed., SIAM (2002), section 4.2: error O(eps log2 _SUB) per
    sub-block instead of O(eps _SUB) of a running sum.)"""
    nblock = (n + BLOCK - 1) // BLOCK
    for b in prange(nblock):
        E = np.empty(_SUB)
        Q = np.empty((6, _SUB))
        acc = np.zeros(6)
        end = min(n, (b + 1) * BLOCK)
        for a0 in range(b * BLOCK, end, _SUB):
            sub_block_sums(E, Q, acc, x, p, w, state, uint64(a0), uint64(min(_SUB, end - a0)),
                           dkind, dprm, terms, pprm, t, False)
        for k in range(6):
            out[b, k] = acc[k]
