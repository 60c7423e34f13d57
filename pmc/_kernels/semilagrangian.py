"""Semi-Lagrangian shifts of a phase-space grid along one axis (the deterministic grid solver,
docs/design.md §1, "Grid solver").

Under the split Liouville flow each sub-step is a constant shift along one axis: the drift moves
every row f[:, j] (fixed p_j) by v(p_j) h, the kick moves every column f[i, :] (fixed x_i) by
F(x_i, t) h. The new value at node i is the Lagrange interpolant of odd degree ``order`` (stencil
of ``order + 1`` nodes centred on the departure point i - s, s the shift in cells) of the old
values (backward semi-Lagrangian: C. Z. Cheng and G. Knorr, J. Comput. Phys. 22, 330 (1976);
E. Sonnendruecker et al., J. Comput. Phys. 149, 201 (1999)). Along a line the shift is constant,
so the weights are computed once per line, and with periodic wrap every old value is spread with
weights summing to one: mass is conserved to round-off. The same layout is used by SemiLagrangian.jl
(Lagrange interpolation of odd degree, periodic wrap) and by gyselalibxx's SplitVlasovSolver
(x-half, v, x-half); no code was taken from either.

Non-periodic lines: nodes beyond an end carry ghost values: on the side the flow comes *from*,
0 for an absorbing wall or the end of the momentum range and the reservoir's f for an inflow
contact (these contributions are tallied as injected); on the side the flow goes *to*, 0 (what
has left is gone). Centred stencils with ghost values keep the interior scheme's stability: a
Lagrange shift with as many nodes on each side of the departure interval amplifies no Fourier
mode (A. Iserles and G. Strang, Trans. Amer. Math. Soc. 277, 779 (1983)), and zeroing the values
beyond the ends is a projection; stencils moved inwards at an outflow end, tried first, grew the
last nodes' errors step after step. The caller gets the injected mass per side;
what left is ``old + injected - new``, attributed to the side the line moves to.

Layout: ``f`` is (nx, np), C order (x major), as the output's ``f(x, p)``.
"""
import math

import numpy as np
from numba import njit, prange

from . import JIT, JIT_PARALLEL
from .models import force

#: Columns gathered together by the x shift (one 64-byte cache line of float64).
COLUMN_BLOCK = 8


@njit(**JIT)
def lagrange_weights(a, w):
    """Weights of the Lagrange interpolant through nodes 0, 1, ..., S-1 (S = w.size) at the
    position ``a`` (in node units): value = sum_m w[m] f[m]."""
    S = w.shape[0]
    for m in range(S):
        num = 1.0
        den = 1.0
        for k in range(S):
            if k != m:
                num *= a - k
                den *= m - k
        w[m] = num / den
    return w


@njit(**JIT)
def shift_line(src, dst, s, periodic, g_lo, g_hi, w):
    """dst[i] = interpolant of ``src`` at index position i - s (a shift by ``s`` cells).

    Parameters
    ----------
    src, dst : float64 (n,)
        Old and new values; n >= w.size.
    s : float
        Shift in cells (displacement / spacing); any sign and size.
    periodic : bool
        Wrap around; otherwise nodes beyond the ends take ghost values: ``g_lo`` below the low
        end if the flow comes from there (s > 0), ``g_hi`` above the high end if s < 0, and 0
        beyond the end the flow goes to.
    g_lo, g_hi : float
        Inflow values.
    w : float64 (S,)
        Scratch for the weights; S = order + 1 (even).

    Returns
    -------
    (in_lo, in_hi) : the ghost contributions summed over the line (mass in units of value *
    cells) that entered through the low and the high end.
    """
    n = src.shape[0]
    S = w.shape[0]
    half = S // 2
    if s == 0.0:
        for i in range(n):
            dst[i] = src[i]
        return 0.0, 0.0
    t = -s
    K = math.floor(t)
    Ki = int(K)
    lagrange_weights(t - K + half - 1, w)
    glo = g_lo if s > 0.0 else 0.0
    ghi = g_hi if s < 0.0 else 0.0
    off = Ki - half + 1  # first stencil node of target i is i + off
    i_lo = min(n, max(0, -off))
    i_hi = max(i_lo, min(n, n - S - off + 1))
    _interior(src, dst, w, off, i_lo, i_hi)
    in_lo = 0.0
    in_hi = 0.0
    for part in range(2):
        start, stop = (0, i_lo) if part == 0 else (i_hi, n)
        for i in range(start, stop):
            q0 = i + off
            acc = 0.0
            if periodic:
                for m in range(S):
                    acc += w[m] * src[(q0 + m) % n]
            else:
                for m in range(S):
                    q = q0 + m
                    if q < 0:
                        acc += w[m] * glo
                        in_lo += w[m] * glo
                    elif q >= n:
                        acc += w[m] * ghi
                        in_hi += w[m] * ghi
                    else:
                        acc += w[m] * src[q]
            dst[i] = acc
    return in_lo, in_hi


@njit(**JIT)
def _interior(src, dst, w, off, i_lo, i_hi):
    """dst[i] = sum_m w[m] src[i + off + m] for i_lo <= i < i_hi (every node inside): a
    branch-free loop, unrolled for the stencils of 4, 6 and 8 nodes so that it vectorises."""
    S = w.shape[0]
    if S == 6:
        w0, w1, w2, w3, w4, w5 = w[0], w[1], w[2], w[3], w[4], w[5]
        for i in range(i_lo, i_hi):
            q = i + off
            dst[i] = (w0 * src[q] + w1 * src[q + 1] + w2 * src[q + 2] + w3 * src[q + 3]
                      + w4 * src[q + 4] + w5 * src[q + 5])
    elif S == 4:
        w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
        for i in range(i_lo, i_hi):
            q = i + off
            dst[i] = w0 * src[q] + w1 * src[q + 1] + w2 * src[q + 2] + w3 * src[q + 3]
    elif S == 8:
        w0, w1, w2, w3, w4, w5, w6, w7 = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
        for i in range(i_lo, i_hi):
            q = i + off
            dst[i] = (w0 * src[q] + w1 * src[q + 1] + w2 * src[q + 2] + w3 * src[q + 3]
                      + w4 * src[q + 4] + w5 * src[q + 5] + w6 * src[q + 6] + w7 * src[q + 7])
    else:
        for i in range(i_lo, i_hi):
            q = i + off
            acc = 0.0
            for m in range(S):
                acc += w[m] * src[q + m]
            dst[i] = acc


@njit(**JIT)
def limit_line(v):
    """Conservative positivity limiter: negative values are set to zero and the positive ones
    scaled so that the line's sum is unchanged (a line whose sum is <= 0, round-off noise, is
    set to zero). Returns the sum removed (non-zero only in that case)."""
    n = v.shape[0]
    total = 0.0
    positive = 0.0
    negative = False
    for i in range(n):
        total += v[i]
        if v[i] > 0.0:
            positive += v[i]
        elif v[i] < 0.0:
            negative = True
    if not negative:
        return 0.0
    if total <= 0.0 or positive <= 0.0:
        for i in range(n):
            v[i] = 0.0
        return total
    scale = total / positive
    for i in range(n):
        v[i] = v[i] * scale if v[i] > 0.0 else 0.0
    return 0.0


@njit(**JIT)
def _line_sum(v):
    acc = 0.0
    for i in range(v.shape[0]):
        acc += v[i]
    return acc


@njit(**JIT_PARALLEL)
def shift_x(f, shifts, order, periodic, g_lo, g_hi, positivity, tally):
    """Shift every column f[:, j] along x by ``shifts[j]`` cells, in place.

    ``g_lo[j]``, ``g_hi[j]``: inflow values beyond x_lo / x_hi for column j. ``tally`` (np, 3)
    receives per column: [mass in through x_lo, mass in through x_hi, old sum - new sum], in
    units of f * cells (the caller multiplies by the cell area)."""
    nx = f.shape[0]
    npp = f.shape[1]
    S = order + 1
    nblock = (npp + COLUMN_BLOCK - 1) // COLUMN_BLOCK
    for b in prange(nblock):
        j0 = b * COLUMN_BLOCK
        j1 = min(npp, j0 + COLUMN_BLOCK)
        block = np.empty((nx, COLUMN_BLOCK))
        for i in range(nx):
            for j in range(j0, j1):
                block[i, j - j0] = f[i, j]
        src = np.empty(nx)
        dst = np.empty(nx)
        w = np.empty(S)
        for j in range(j0, j1):
            c = j - j0
            for i in range(nx):
                src[i] = block[i, c]
            in_lo, in_hi = shift_line(src, dst, shifts[j], periodic, g_lo[j], g_hi[j], w)
            if positivity:
                limit_line(dst)
            tally[j, 0] = in_lo
            tally[j, 1] = in_hi
            tally[j, 2] = _line_sum(src) - _line_sum(dst)
            for i in range(nx):
                block[i, c] = dst[i]
        for i in range(nx):
            for j in range(j0, j1):
                f[i, j] = block[i, j - j0]


@njit(**JIT_PARALLEL)
def shift_p(f, x, inv_hp, h, t, terms, pprm, order, positivity, tally):
    """Kick: shift every row f[i, :] along p by F(x_i, t) h / hp cells, in place; mass leaving
    the momentum range is lost. ``tally`` (nx, 3) receives per row [0, 0, old sum - new sum]
    (units of f * cells), the loss attributed by the caller to the end the row moves to (the
    sign of the force, returned in ``tally[:, 0]`` as +1 / -1 / 0)."""
    nx = f.shape[0]
    npp = f.shape[1]
    S = order + 1
    for i in prange(nx):
        src = np.empty(npp)
        dst = f[i]
        w = np.empty(S)
        for j in range(npp):
            src[j] = f[i, j]
        F, _, _ = force(terms, pprm, x[i], 0.0, 0.0, t)
        s = F * h * inv_hp
        shift_line(src, dst, s, False, 0.0, 0.0, w)
        if positivity:
            limit_line(dst)
        tally[i, 0] = 1.0 if s > 0.0 else (-1.0 if s < 0.0 else 0.0)
        tally[i, 1] = 0.0
        tally[i, 2] = _line_sum(src) - _line_sum(dst)


@njit(**JIT_PARALLEL)
def shift_p_extra(f, x, inv_hp, h, t, terms, pprm, extra, order, positivity, tally):
    """:func:`shift_p` with the force ``extra[i]`` [N] (a self-consistent field on the x nodes)
    added to the potential's force on row i."""
    nx = f.shape[0]
    npp = f.shape[1]
    S = order + 1
    for i in prange(nx):
        src = np.empty(npp)
        dst = f[i]
        w = np.empty(S)
        for j in range(npp):
            src[j] = f[i, j]
        F, _, _ = force(terms, pprm, x[i], 0.0, 0.0, t)
        s = (F + extra[i]) * h * inv_hp
        shift_line(src, dst, s, False, 0.0, 0.0, w)
        if positivity:
            limit_line(dst)
        tally[i, 0] = 1.0 if s > 0.0 else (-1.0 if s < 0.0 else 0.0)
        tally[i, 1] = 0.0
        tally[i, 2] = _line_sum(src) - _line_sum(dst)


@njit(**JIT)
def _neighbour(k, n, periodic):
    """Index of node k of a line of n nodes continued periodically or by reflection about the
    end faces (k = -1 -> 0, -2 -> 1, n -> n-1, n+1 -> n-2)."""
    if periodic:
        return k % n
    if k < 0:
        return -k - 1
    if k >= n:
        return 2 * n - k - 1
    return k


#: Coefficients of the 6th-order cell average (1 + C2 D2 + C4 D4) of node values:
#: A = f + h^2 f2 / 24 + h^4 f4 / 1920 + O(h^6) (f2, f4 the 2nd and 4th derivatives), with
#: h^2 f2 = D2 - D4 / 12 + O(h^6) and h^4 f4 = D4 + O(h^6): C2 = 1/24, C4 = 1/1920 - 1/288.
C2 = 1.0 / 24.0
C4 = -17.0 / 5760.0


@njit(**JIT_PARALLEL)
def average_x(f, out, periodic):
    """out = (1 + C2 D2 + C4 D4) f along x (axis 0): the x cell averages of the smooth function
    through the node values, to 6th order. D2, D4 are the second and fourth central
    differences; beyond the ends a line is continued periodically, or by reflection about the
    end face (f[-1] = f[0], f[-2] = f[1]), which keeps every line's sum."""
    nx = f.shape[0]
    npp = f.shape[1]
    for i in prange(nx):
        im1 = _neighbour(i - 1, nx, periodic)
        im2 = _neighbour(i - 2, nx, periodic)
        ip1 = _neighbour(i + 1, nx, periodic)
        ip2 = _neighbour(i + 2, nx, periodic)
        for j in range(npp):
            d2 = f[ip1, j] - 2.0 * f[i, j] + f[im1, j]
            d4 = f[ip2, j] - 4.0 * f[ip1, j] + 6.0 * f[i, j] - 4.0 * f[im1, j] + f[im2, j]
            out[i, j] = f[i, j] + C2 * d2 + C4 * d4
    return out


@njit(**JIT_PARALLEL)
def average_p(f, out):
    """out = (1 + C2 D2 + C4 D4) f along p (axis 1), lines continued by reflection (see
    :func:`average_x`)."""
    nx = f.shape[0]
    npp = f.shape[1]
    for i in prange(nx):
        for j in range(npp):
            jm1 = _neighbour(j - 1, npp, False)
            jm2 = _neighbour(j - 2, npp, False)
            jp1 = _neighbour(j + 1, npp, False)
            jp2 = _neighbour(j + 2, npp, False)
            d2 = f[i, jp1] - 2.0 * f[i, j] + f[i, jm1]
            d4 = f[i, jp2] - 4.0 * f[i, jp1] + 6.0 * f[i, j] - 4.0 * f[i, jm1] + f[i, jm2]
            out[i, j] = f[i, j] + C2 * d2 + C4 * d4
    return out
