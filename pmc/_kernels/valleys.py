"""Multi-valley bands and their scattering, over flat arrays.

Band (``vband``, float64 (nvalley, NVPRM)), one row per valley v::

    [Delta, alpha, m_d, degeneracy, T (9, row-major), T^-1 (9, row-major)]

A marker in valley v (its discrete ``state``) has the crystal momentum p measured from the
valley's minimum. The Herring-Vogt transform p* = T p (T = diag(sqrt(m_d / m_i)) R^T, R the
principal axes as columns, m_d = (m_1 m_2 m_3)^(1/3) the density-of-states mass) makes the
ellipsoid spherical: gamma = sum_i (e_i . p)^2 / 2 m_i = |p*|^2 / 2 m_d, and the Kane energy
eps (1 + alpha eps) = gamma. The band energy is E = Delta + eps; the group velocity is
v = T^T p* / (m_d (1 + 2 alpha eps)) (C. Herring and E. Vogt, Phys. Rev. 101, 944 (1956);
C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983), section II.B). A parabolic or Kane
band is the one-valley case with T = 1.

Scattering by M mechanisms at once (``vkinds`` int64 (M,), ``tabs`` float64 (M, nvalley, NTAB),
``targets`` int64 (M, nvalley, nvalley), ``cum`` float64 (M, nvalley, nvalley)); below, tab and
targets are one mechanism's slices. Per initial valley v, rates of the two processes j = 0, 1:

==========  ====  ==============================================================================
kind        code  Gamma_j(eps), e_j = eps + tab[v, 2 + j]
==========  ====  ==============================================================================
isotropic   0     tab[v, j] g_f(e_j): acoustic (elastic), intra- and intervalley phonons; final
                  direction isotropic in the Herring-Vogt space of the final valley f
polar       1     tab[v, j] (1 + 2 alpha e_j) k_j I(eps, e_j): Froehlich, intravalley, hbar k_j the
                  final |p*|, I the angular integral of the Kane overlap over q^2
                  (:func:`polar_integral`)
impurity    2     tab[v, 0] g_v(eps) / (beta^2 (beta^2 + 4 k^2)), beta^2 = tab[v, 4]:
                  Brooks-Herring, elastic, intravalley, hbar k = |p*|
inelastic   3     (tab[v, 0] / k) int q^2 n_j(q) (1 + 2 alpha e_j(q)) dq over the q with
                  |k_j - k| <= q <= k + k_j, e_j(q) = eps + hbar u q (j = 0, absorption,
                  n_0 = N_q) or eps - hbar u q (j = 1, emission, n_1 = N_q + 1),
                  N_q = 1 / (exp(hbar u q / kT) - 1), hbar u = tab[v, 1], kT = tab[v, 4],
                  hbar k and hbar k_j the initial and final |p*|: acoustic deformation
                  potential with its linear dispersion, intravalley
                  (:func:`inelastic_acoustic_rate`)
==========  ====  ==============================================================================

The final valley of an event from v is ``targets[v, m]`` (``-1``-padded) with the cumulative
probabilities ``cum[v, :]`` (equivalent valleys: same Delta, m_d and alpha, so one g_f serves).
tab[v, 5] = 1 where the mechanism acts on valley v. g is :func:`pmc._kernels.scatter.shell_dos`
with the valley's m_d and alpha (per spin; the number of final valleys Z_f is in tab[v, j]).
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .geometry import on_sphere
from .models import SCALAR, column, set_column
from .rng import stream_key, uniform, uniform_open
from .scatter import BAND0, NBAND, STRIDE, brooks_herring_cos, energy_band, rotate, shell_dos

#: Dispersion code of a multi-valley band (beside :mod:`pmc._kernels.models`' codes 0-4).
MULTIVALLEY = 16
NVPRM = 22
DELTA, ALPHA, MD, DEG, T0, TI0 = 0, 1, 2, 3, 4, 13
ISOTROPIC, POLAR, IMPURITY, INELASTIC = 0, 1, 2, 3
NTAB = 6
_TWO_PI = 2.0 * math.pi
#: Gauss-Legendre nodes and weights on [-1, 1] for the inelastic acoustic q integral
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


# ----------------------------------------------------------------------------- the band
@njit(**SCALAR)
def to_spherical(vb, v, p0, p1, p2):
    """p* = T p: the Herring-Vogt momentum of valley ``v``."""
    return (vb[v, 4] * p0 + vb[v, 5] * p1 + vb[v, 6] * p2,
            vb[v, 7] * p0 + vb[v, 8] * p1 + vb[v, 9] * p2,
            vb[v, 10] * p0 + vb[v, 11] * p1 + vb[v, 12] * p2)


@njit(**SCALAR)
def from_spherical(vb, v, q0, q1, q2):
    """p = T^-1 p*."""
    return (vb[v, 13] * q0 + vb[v, 14] * q1 + vb[v, 15] * q2,
            vb[v, 16] * q0 + vb[v, 17] * q1 + vb[v, 18] * q2,
            vb[v, 19] * q0 + vb[v, 20] * q1 + vb[v, 21] * q2)


@njit(**SCALAR)
def kane(gamma, alpha):
    """eps with eps (1 + alpha eps) = gamma (the stable root)."""
    if alpha == 0.0:
        return gamma
    return 2.0 * gamma / (1.0 + math.sqrt(1.0 + 4.0 * alpha * gamma))


@njit(**SCALAR)
def kinetic_energy(vb, v, p0, p1, p2):
    """eps [J] above the minimum of valley ``v``."""
    q0, q1, q2 = to_spherical(vb, v, p0, p1, p2)
    return kane((q0 * q0 + q1 * q1 + q2 * q2) / (2.0 * vb[v, MD]), vb[v, ALPHA])


@njit(**SCALAR)
def energy(vb, v, p0, p1, p2):
    """Band energy E = Delta_v + eps [J]."""
    return vb[v, DELTA] + kinetic_energy(vb, v, p0, p1, p2)


@njit(**SCALAR)
def velocity(vb, v, p0, p1, p2):
    """v = T^T T p / (m_d (1 + 2 alpha eps)) [m/s]: what the multi-valley push needs."""
    q0, q1, q2 = to_spherical(vb, v, p0, p1, p2)
    eps = kane((q0 * q0 + q1 * q1 + q2 * q2) / (2.0 * vb[v, MD]), vb[v, ALPHA])
    s = 1.0 / (vb[v, MD] * (1.0 + 2.0 * vb[v, ALPHA] * eps))
    return ((vb[v, 4] * q0 + vb[v, 7] * q1 + vb[v, 10] * q2) * s,
            (vb[v, 5] * q0 + vb[v, 8] * q1 + vb[v, 11] * q2) * s,
            (vb[v, 6] * q0 + vb[v, 9] * q1 + vb[v, 12] * q2) * s)


@njit(**JIT)
def energy_velocity_array(vb, state, momenta, eps, vel):
    """eps[i] = E(p_i) and vel[:, i] = v(p_i) in valley state[i] (numpy-facing helper)."""
    d = momenta.shape[0]
    for i in range(momenta.shape[1]):
        p0, p1, p2 = column(momenta, i, d)
        v = state[i]
        eps[i] = energy(vb, v, p0, p1, p2)
        a, b, c = velocity(vb, v, p0, p1, p2)
        set_column(vel, i, d, a, b, c)
    return eps


# ----------------------------------------------------------------------------- rates
@njit(**SCALAR)
def polar_integral(ka, kb, aa, ab, ca, cb):
    """I = int_{-1}^{1} (a a' + c c' x)^2 / (k^2 + k'^2 - 2 k k' x) dx in closed form:
    with u = k^2 + k'^2, w = 2 k k', P = a a' + c c' u / w, Q = c c' / w,
    I = P^2 ln((u + w) / (u - w)) / w - 4 P Q + 2 Q^2 u (substitute s = u - w x)."""
    u = ka * ka + kb * kb
    w = 2.0 * ka * kb
    if w <= 0.0 or u <= w:
        return 0.0
    big_p = aa * ab + ca * cb * u / w
    big_q = ca * cb / w
    return big_p * big_p * math.log((u + w) / (u - w)) / w - 4.0 * big_p * big_q \
        + 2.0 * big_q * big_q * u


@njit(**SCALAR)
def kane_overlap(alpha, eps):
    """(a, c) of the Kane overlap (a a' + c c' cos theta)^2: a^2 = (1 + alpha eps) /
    (1 + 2 alpha eps), c^2 = alpha eps / (1 + 2 alpha eps) (W. Fawcett, A. D. Boardman and
    S. Swain, J. Phys. Chem. Solids 31, 1963 (1970))."""
    den = 1.0 + 2.0 * alpha * eps
    return math.sqrt((1.0 + alpha * eps) / den), math.sqrt(alpha * eps / den)


@njit(**SCALAR)
def _final_k(md, al, hbar, e):
    """k [1/m] of kinetic energy ``e`` [J] (0 below the minimum)."""
    if e <= 0.0:
        return 0.0
    return math.sqrt(2.0 * md * e * (1.0 + al * e)) / hbar


@njit(**SCALAR)
def acoustic_limits(md, al, hbar, hu, eps, k, j):
    """(q_lo, q_hi) [1/m]: the phonon wavenumbers allowed for absorption (j = 0) or emission
    (j = 1) of an acoustic phonon hbar u q from kinetic energy ``eps`` (wavenumber ``k``):
    those with |k' - k| <= q <= k + k', k' the final wavenumber at eps +- hbar u q (the cosine
    of the angle between k and q in [-1, 1]). q_hi solves q = k + k'(q) (bisection; k + k'(q) - q
    decreases once the electron outruns the sound); for absorption by an electron slower than
    sound q_lo solves q = k'(q) - k. (0, 0): no process (emission by an electron slower than
    sound: none, as in the parabolic band where it needs k > m u / hbar)."""
    sgn = 1.0 if j == 0 else -1.0
    vel = hbar * k / (md * (1.0 + 2.0 * al * eps))
    if j == 1:
        if vel <= hu / hbar:
            return 0.0, 0.0
        top = eps / hu  # the final energy reaches 0
        if k + _final_k(md, al, hbar, eps - hu * top) - top >= 0.0:
            return 0.0, top
        lo, hi = 0.0, top
    else:
        lo, hi = 0.0, 2.0 * k + 2.0 * md * hu / (hbar * hbar) + 1.0  # parabolic q_hi + 1
        while k + _final_k(md, al, hbar, eps + hu * hi) - hi > 0.0:
            hi *= 2.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if k + _final_k(md, al, hbar, eps + sgn * hu * mid) - mid > 0.0:
            lo = mid
        else:
            hi = mid
    q_hi = 0.5 * (lo + hi)
    q_lo = 0.0
    if j == 0 and vel < hu / hbar:
        lo, hi = 0.0, q_hi
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if mid - _final_k(md, al, hbar, eps + hu * mid) + k < 0.0:
                lo = mid
            else:
                hi = mid
        q_lo = 0.5 * (lo + hi)
    return q_lo, q_hi


@njit(**SCALAR)
def acoustic_weight(al, hu, kt, eps, q, j):
    """q^2 n_j(q) (1 + 2 alpha e_j): the integrand of the inelastic acoustic rate."""
    x = hu * q / kt
    n = 1.0 / math.expm1(x) if x > 0.0 else 0.0
    if j == 0:
        return q * q * n * (1.0 + 2.0 * al * (eps + hu * q))
    return q * q * (n + 1.0) * (1.0 + 2.0 * al * (eps - hu * q))


@njit(**SCALAR)
def inelastic_acoustic_rate(c, md, al, hbar, hu, kt, eps, j):
    """Gamma_j(eps) [1/s] of the inelastic acoustic mechanism (code 3 of the module table):
    Gauss-Legendre quadrature (24 nodes) of the q integral between
    :func:`acoustic_limits`."""
    if eps <= 0.0 or c == 0.0:
        return 0.0
    k = _final_k(md, al, hbar, eps)
    q_lo, q_hi = acoustic_limits(md, al, hbar, hu, eps, k, j)
    if q_hi <= q_lo:
        return 0.0
    h = 0.5 * (q_hi - q_lo)
    mid = 0.5 * (q_hi + q_lo)
    s = 0.0
    for i in range(_GL_X.shape[0]):
        s += _GL_W[i] * acoustic_weight(al, hu, kt, eps, mid + h * _GL_X[i], j)
    return c * s * h / k


@njit(**JIT)
def valley_rates(vkinds, tabs, targets, m, vb, v, d, hbar, eps):
    """(Gamma_0, Gamma_1) [1/s] of mechanism ``m`` for a marker of kinetic energy ``eps`` in
    valley ``v``."""
    if tabs[m, v, 5] == 0.0 or not eps >= 0.0:
        return 0.0, 0.0
    vkind = vkinds[m]
    if vkind == ISOTROPIC:
        f = targets[m, v, 0]
        md, al = vb[f, MD], vb[f, ALPHA]
        return (tabs[m, v, 0] * shell_dos(d, md, al, hbar, eps + tabs[m, v, 2]),
                tabs[m, v, 1] * shell_dos(d, md, al, hbar, eps + tabs[m, v, 3]))
    md, al = vb[v, MD], vb[v, ALPHA]
    if vkind == INELASTIC:
        c, hu, kt = tabs[m, v, 0], tabs[m, v, 1], tabs[m, v, 4]
        return (inelastic_acoustic_rate(c, md, al, hbar, hu, kt, eps, 0),
                inelastic_acoustic_rate(c, md, al, hbar, hu, kt, eps, 1))
    gamma = eps * (1.0 + al * eps)
    if gamma <= 0.0:
        return 0.0, 0.0
    k = math.sqrt(2.0 * md * gamma) / hbar
    if vkind == IMPURITY:
        b2 = tabs[m, v, 4]
        return tabs[m, v, 0] * shell_dos(d, md, al, hbar, eps) / (b2 * (b2 + 4.0 * k * k)), 0.0
    # POLAR
    a0, c0 = kane_overlap(al, eps)
    out0 = 0.0
    out1 = 0.0
    for j in range(2):
        e = eps + tabs[m, v, 2 + j]
        if e <= 0.0 or tabs[m, v, j] == 0.0:
            continue
        kf = math.sqrt(2.0 * md * e * (1.0 + al * e)) / hbar
        af, cf = kane_overlap(al, e)
        r = tabs[m, v, j] * (1.0 + 2.0 * al * e) * kf * polar_integral(k, kf, a0, af, c0, cf)
        if j == 0:
            out0 = r
        else:
            out1 = r
    return out0, out1


@njit(**JIT)
def all_rates(vkinds, tabs, targets, vb, v, d, hbar, eps, r):
    """r[2 m + j] = Gamma_j of mechanism m; returns their sum."""
    tot = 0.0
    for m in range(vkinds.shape[0]):
        a, b = valley_rates(vkinds, tabs, targets, m, vb, v, d, hbar, eps)
        r[2 * m] = a
        r[2 * m + 1] = b
        tot += a + b
    return tot


@njit(**JIT)
def rates_of_energy(vkinds, tabs, targets, m, vb, v, d, hbar, eps, out):
    """out[j, i] = Gamma_j(eps[i]) of mechanism ``m`` in valley ``v`` (array version, for the
    physics layer)."""
    for i in range(eps.shape[0]):
        r0, r1 = valley_rates(vkinds, tabs, targets, m, vb, v, d, hbar, eps[i])
        out[0, i] = r0
        out[1, i] = r1
    return out


# ----------------------------------------------------------------------------- final states
@njit(**JIT)
def _pick_valley(targets, cum, m, v, r):
    k = 0
    while k + 1 < targets.shape[2] and targets[m, v, k + 1] >= 0 and r >= cum[m, v, k]:
        k += 1
    return targets[m, v, k]


@njit(**JIT)
def final_state(vkinds, tabs, targets, cum, m, vb, v, proc, d, hbar, eps, p0, p1, p2, key, ctr):
    """(valley, p0, p1, p2) after an event of process ``proc`` of mechanism ``m`` from valley
    ``v`` at kinetic energy ``eps``. Draws ``ctr`` .. ``ctr + 3`` (and a sub-stream for the
    polar rejection)."""
    vkind = vkinds[m]
    if vkind == ISOTROPIC:
        f = _pick_valley(targets, cum, m, v, uniform(key, ctr + 3))
        e = eps + tabs[m, v, 2 + proc]
        md, al = vb[f, MD], vb[f, ALPHA]
        pm = math.sqrt(2.0 * md * e * (1.0 + al * e)) if e > 0.0 else 0.0
        if d == 1:
            return f, (pm if uniform(key, ctr) < 0.5 else -pm), 0.0, 0.0
        phi = _TWO_PI * uniform(key, ctr + 1)
        if d == 2:
            return f, pm * math.cos(phi), pm * math.sin(phi), 0.0
        q0, q1, q2 = on_sphere(pm, 2.0 * uniform(key, ctr) - 1.0, math.cos(phi), math.sin(phi))
        a, b, c = from_spherical(vb, f, q0, q1, q2)
        return f, a, b, c
    q0, q1, q2 = to_spherical(vb, v, p0, p1, p2)
    pm = math.sqrt(q0 * q0 + q1 * q1 + q2 * q2)
    if pm == 0.0:
        return v, p0, p1, p2
    md, al = vb[v, MD], vb[v, ALPHA]
    phi = _TWO_PI * uniform(key, ctr + 1)
    if vkind == INELASTIC:
        # q from q^2 n_j(q) (1 + 2 alpha e_j) on [q_lo, q_hi] by rejection under the bound
        # q_hi kT / (hbar u) (+ q_hi^2 for emission) times the largest 1 + 2 alpha e_j
        # (q^2 N_q <= q kT / (hbar u)); then |k'| from the energy and the angle between k and
        # k' from the triangle k' = k +- q
        hu, kt = tabs[m, v, 1], tabs[m, v, 4]
        k = pm / hbar
        q_lo, q_hi = acoustic_limits(md, al, hbar, hu, eps, k, proc)
        if q_hi <= q_lo:
            return v, p0, p1, p2
        bound = q_hi * kt / hu
        if proc == 0:
            bound *= 1.0 + 2.0 * al * (eps + hu * q_hi)
        else:
            bound = (bound + q_hi * q_hi) * (1.0 + 2.0 * al * eps)
        sub = stream_key(key, ctr, 1)
        q = q_lo
        for j in range(1 << 20):
            q = q_lo + (q_hi - q_lo) * uniform(sub, 2 * j)
            if uniform(sub, 2 * j + 1) * bound < acoustic_weight(al, hu, kt, eps, q, proc):
                break
        e = eps + hu * q if proc == 0 else eps - hu * q
        kf = _final_k(md, al, hbar, e)
        if kf == 0.0:
            return v, 0.0, 0.0, 0.0
        x = min(1.0, max(-1.0, (k * k + kf * kf - q * q) / (2.0 * k * kf)))
        r0, r1, r2 = rotate(q0, q1, q2, x, phi, hbar * kf)
        a, b, c = from_spherical(vb, v, r0, r1, r2)
        return v, a, b, c
    if vkind == IMPURITY:
        x = brooks_herring_cos(pm / hbar, tabs[m, v, 4], uniform(key, ctr))
        r0, r1, r2 = rotate(q0, q1, q2, x, phi, pm)
        a, b, c = from_spherical(vb, v, r0, r1, r2)
        return v, a, b, c
    # POLAR: x from 1 / (u - w x) exactly, then accepted with (a a' + c c' x)^2 / (a a' + c c')^2
    e = eps + tabs[m, v, 2 + proc]
    pf = math.sqrt(2.0 * md * e * (1.0 + al * e))
    a0, c0 = kane_overlap(al, eps)
    af, cf = kane_overlap(al, e)
    u = pm * pm + pf * pf
    w = 2.0 * pm * pf
    ratio = (u + w) / (u - w)
    sub = stream_key(key, ctr, 1)
    x = 1.0
    for j in range(1 << 20):
        s = (u - w) * ratio ** uniform(sub, 2 * j)
        x = min(1.0, max(-1.0, (u - s) / w))
        g = (a0 * af + c0 * cf * x) / (a0 * af + c0 * cf)
        if uniform(sub, 2 * j + 1) < g * g:
            break
    r0, r1, r2 = rotate(q0, q1, q2, x, phi, pf)
    a, b, c = from_spherical(vb, v, r0, r1, r2)
    return v, a, b, c


# ----------------------------------------------------------------------------- the loops
@njit(**JIT_PARALLEL)
def scatter_independent(vkinds, tabs, targets, cum, vb, hbar, momenta, state, write_state, n,
                        cell, band, table, quiet, inv_ref, dt, key, step, tally):
    """One step ``dt`` [s] of null-collision scattering of independent markers over valleys by
    M mechanisms at once (one jump process whose rate is the sum of theirs, so that forward
    and reverse intervalley processes balance at any dt): as
    :func:`pmc._kernels.scatter.scatter_independent`, with the marker's valley ``state[i]``
    (rewritten when ``write_state``) and a candidate that is process j of mechanism m with
    probability Gamma_mj / majorant. The majorant of marker i is ``table[cell[i], band[i]]``
    (``cell[i]`` < 0: the marker does not scatter; :class:`pmc.collisions.ValleyScattering`
    passes the marker's valley as its row and a bound tabulated per valley and energy band).
    ``tally`` (nblock, 2 M + 2): events per (m, j), then the events that changed the valley,
    then the candidates."""
    d = momenta.shape[0]
    nm = vkinds.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    for blk in prange(nblock):
        r = np.empty(2 * nm)
        hops = 0
        cand = 0
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            c = cell[i]
            if c < 0:
                continue
            mk = stream_key(key, step, i)
            u = uniform_open(mk, 0)
            if u <= quiet[c, band[i]]:
                continue
            big = table[c, band[i]]
            t = -math.log(u) / big
            p0, p1, p2 = column(momenta, i, d)
            v = state[i]
            eps = kinetic_energy(vb, v, p0, p1, p2)
            tot = all_rates(vkinds, tabs, targets, vb, v, d, hbar, eps, r)
            j = 0
            moved = False
            while t < dt:
                base = j * STRIDE
                j += 1
                cand += 1
                x = uniform(mk, base + 1) * big
                q = -1
                if x < tot:
                    acc = 0.0
                    for k in range(2 * nm):
                        acc += r[k]
                        if x < acc:
                            q = k
                            break
                if q >= 0:
                    m = q // 2
                    f, p0, p1, p2 = final_state(vkinds, tabs, targets, cum, m, vb, v, q - 2 * m,
                                                d, hbar, eps, p0, p1, p2, mk, base + 2)
                    moved = True
                    if f != v:
                        hops += 1
                        v = f
                    tally[blk, q] += 1
                    eps = kinetic_energy(vb, v, p0, p1, p2)
                    tot = all_rates(vkinds, tabs, targets, vb, v, d, hbar, eps, r)
                    big2 = table[c, energy_band(eps, inv_ref)]
                    big = big2 if big2 >= tot else tot
                    if not big > 0.0:
                        break
                t -= math.log(uniform_open(mk, j * STRIDE)) / big
            if moved:
                momenta[0, i] = p0
                if d > 1:
                    momenta[1, i] = p1
                if d > 2:
                    momenta[2, i] = p2
                if write_state:
                    state[i] = v
        tally[blk, 2 * nm] = hops
        tally[blk, 2 * nm + 1] = cand
    return tally


@njit(**JIT_PARALLEL)
def marker_bands(vb, momenta, state, n, inv_ref, band):
    """band[i] = the energy band (:func:`pmc._kernels.scatter.energy_band` with reference
    energy 1 / ``inv_ref``) of marker i's kinetic energy in its valley (parallel)."""
    d = momenta.shape[0]
    for i in prange(n):
        p0, p1, p2 = column(momenta, i, d)
        band[i] = energy_band(kinetic_energy(vb, state[i], p0, p1, p2), inv_ref)
    return band


@njit(**JIT)
def total_rates(vkinds, tabs, targets, vb, v, d, hbar, eps, out):
    """out[i] = the total rate [1/s] over every mechanism of a marker of kinetic energy
    ``eps[i]`` in valley ``v``."""
    r = np.empty(2 * vkinds.shape[0])
    for i in range(eps.shape[0]):
        out[i] = all_rates(vkinds, tabs, targets, vb, v, d, hbar, eps[i], r)
    return out


NBANDS = NBAND
