"""Injection of markers from a thermal reservoir through a wall (a device contact).

Arrivals through the wall during one step form a Poisson process of rate R = Gamma A / w (flux
Gamma per unit area, face area A, marker weight w): arrival times are drawn as exponential gaps, so
the count is exactly Poisson and each marker knows how long it has been inside. The normal
velocity follows the flux-weighted drifting Maxwellian s exp(-(s - a)^2 / 2), s > 0, in units of
sigma = sqrt(kT/m) with a = drift / sigma, drawn exactly by rejection from the envelope
(|s - a| + a) exp(-(s - a)^2 / 2) (two-sided Rayleigh plus normal mixture) for a >= 0 and from the
Rayleigh tail for a < 0 (cf. F. J. Garcia and W. Wagner, J. Comput. Phys. 217, 693 (2006)).

For a Kane band eps (1 + alpha eps) = p^2 / 2m (the parabolic band is alpha = 0) at rest, the
injected momenta are drawn exactly through the energy. In 3 momentum dimensions the flux through
a wall of the isotropic equilibrium exp(-eps/kT) is, per energy, p^2 (d p/d eps) v(p)
exp(-eps/kT) = 2m eps (1 + alpha eps) exp(-eps/kT): a mixture of the Gamma(2, kT) and
Gamma(3, kT) densities with weights 1 and 2 alpha kT, and the direction has density cos(theta)
about the wall normal (cos(theta) = sqrt(U)). In one momentum dimension the energy of the flux
is exponential. The equilibrium itself (markers created inside a contact cell) has the energy
density sqrt(gamma) (1 + 2 alpha eps) exp(-eps/kT) in 3D, gamma = eps (1 + alpha eps), drawn
by rejection from the envelope sqrt(eps) (1 + alpha eps / 2) (1 + 2 alpha eps) exp(-eps/kT) (a
mixture of Gamma(3/2), Gamma(5/2), Gamma(7/2); acceptance sqrt(1 + alpha eps) /
(1 + alpha eps / 2) > 0.97 for alpha eps < 1); in 1D it is (1 + 2 alpha eps) / sqrt(gamma)
exp(-eps/kT), from the envelope eps^(-1/2) (1 + 2 alpha eps) exp(-eps/kT) (Gamma(1/2),
Gamma(3/2)), acceptance 1 / sqrt(1 + alpha eps).

A multi-valley band (:class:`pmc.bands.MultiValley`) is a sum of such Kane valleys, each
ellipsoidal: the Herring-Vogt momentum p* = T p makes valley v spherical with mass m_d
(d^3 p = d^3 p*, det T = 1), and v_x = (T^T p*)_x / (m_d (1 + 2 alpha eps)) = |t| p*_n /
(m_d (1 + 2 alpha eps)), t = T^T e_x, n = t / |t|. So the flux out of valley v is |t| times
the flux of its spherical Kane band through a plane normal to n, and in p* it has the
isotropic Kane flux-weighted law about n, drawn as above; p = T^-1 p*. The valley of a crossing
marker is drawn by its share of the flux, d_v Z_v exp(-Delta_v / kT) |t| F_v / Z_v; that of a
marker of the equilibrium by its population d_v Z_v exp(-Delta_v / kT) (Z_v the partition
function of the valley's Kane band, d_v its degeneracy). A Kane band is the one-valley case with
T = 1 (no draw of the valley).
"""
import math

import numpy as np
from numba import njit

from . import JIT
from .rng import (INJECTION, INJECTION_MARKER, OHMIC, normal, stream_key, uniform,
                  uniform_open)

# counters of the direction and position draws of a marker, past those of its energy
_DIR = 1 << 30


@njit(**JIT)
def flux_normal_speed(key, a):
    """A speed s > 0 (units of sigma) from the density prop. to s exp(-(s - a)^2 / 2)."""
    c = 0
    if a >= 0.0:
        p_rayleigh = 2.0 / (2.0 + a * math.sqrt(2.0 * math.pi))
        while True:
            if uniform(key, c) < p_rayleigh:
                y = math.sqrt(-2.0 * math.log(uniform_open(key, c + 1)))
                if uniform(key, c + 2) < 0.5:
                    y = -y
            else:
                y = normal(key, (c + 1) // 2 + 1_000_000)
            s = y + a
            if s > 0.0 and uniform(key, c + 3) * (abs(y) + a) < s:
                return s
            c += 4
    else:
        while True:
            y = math.sqrt(a * a - 2.0 * math.log(uniform_open(key, c)))
            s = y + a
            if uniform(key, c + 1) * y < s:
                return s
            c += 2


@njit(**JIT)
def poisson_count(key, rate, dt):
    """Number of arrivals in one step of length dt [s] of a Poisson process of ``rate`` [1/s],
    its exponential gaps drawn from stream ``key`` at counters 0, 1, ..."""
    if rate <= 0.0:
        return 0
    t = 0.0
    k = 0
    while True:
        t += -math.log(uniform_open(key, k)) / rate
        if t >= dt:
            return k
        k += 1


@njit(**JIT)
def count_arrivals(seed, step, side, rate, dt):
    """Number of arrivals in one step of length dt [s] for a Poisson rate [1/s]."""
    return poisson_count(stream_key(seed, step, INJECTION + side), rate, dt)


@njit(**JIT)
def flux_velocity(mk, axis, direction, sigma, tangential_sigma, u0, u1, u2, a):
    """The velocity (v0, v1, v2) [m/s] of a molecule entering through a face normal to ``axis``
    (``direction`` +1: towards +axis, -1: towards -axis) from a drifting Maxwellian: the normal
    component direction sigma s, s from the flux-weighted density s exp(-(s - a)^2 / 2)
    (:func:`flux_normal_speed`, a = direction u_axis / sigma), the others u_j + tangential_sigma
    N(0, 1) (sigma and tangential_sigma [m/s] are equal for an isotropic mass). Draws from
    stream ``mk``: the normals at counters 10_000_000 + j, the normal speed from 0."""
    v0 = u0 + tangential_sigma * normal(mk, 10_000_000)
    v1 = u1 + tangential_sigma * normal(mk, 10_000_001)
    v2 = u2 + tangential_sigma * normal(mk, 10_000_002)
    vn = direction * sigma * flux_normal_speed(mk, a)
    if axis == 0:
        v0 = vn
    elif axis == 1:
        v1 = vn
    else:
        v2 = vn
    return v0, v1, v2


@njit(**JIT)
def inject(seed, step, side, rate, dt, wall, direction, sigma, a, tangential_sigma, mass, x, p):
    """Fill x (1, k) and p (dp, k) with the k arrivals of this step, streamed freely from the wall
    for the time left in the step. ``direction`` is +1 (entering towards +x) or -1."""
    key = stream_key(seed, step, INJECTION + side)
    dp = p.shape[0]
    t = 0.0
    for k in range(x.shape[1]):
        t += -math.log(uniform_open(key, k)) / rate
        mk = stream_key(seed, step, (side + 1) * INJECTION_MARKER + k)
        v = flux_velocity(mk, 0, direction, sigma, tangential_sigma, 0.0, 0.0, 0.0, a)
        x[0, k] = wall + v[0] * (dt - t)
        for j in range(dp):
            p[j, k] = mass * v[j]
    return x, p


@njit(**JIT)
def _gamma_int(key, c, k, scale):
    """A Gamma(k, scale) variate for integer k >= 1 (sum of k exponentials); uses counters
    c .. c + k - 1."""
    s = 0.0
    for j in range(k):
        s -= math.log(uniform_open(key, c + j))
    return scale * s


@njit(**JIT)
def _gamma_half(key, c, k, scale):
    """A Gamma(k + 1/2, scale) variate for integer k >= 0 (k exponentials plus half a squared
    normal); uses counters c .. c + k and the normal at counter 1_000_000 + c."""
    z = normal(key, 1_000_000 + c)
    return _gamma_int(key, c, k, scale) + 0.5 * scale * z * z if k else 0.5 * scale * z * z


@njit(**JIT)
def kane_flux_energy(key, kT, alpha, dp):
    """Energy [J] of a marker crossing a wall from a Kane-band equilibrium at rest (see the module
    docstring); dp = 1 or 3."""
    if dp == 1:
        return -kT * math.log(uniform_open(key, 0))
    if uniform(key, 0) * (1.0 + 2.0 * alpha * kT) < 1.0:
        return _gamma_int(key, 1, 2, kT)
    return _gamma_int(key, 1, 3, kT)


@njit(**JIT)
def kane_equilibrium_energy(key, kT, alpha, dp):
    """Energy [J] of a marker of a Kane-band equilibrium at rest, by rejection (module
    docstring); dp = 1 or 3."""
    c = 0
    while True:
        if dp == 1:
            # envelope eps^-1/2 (1 + 2 alpha eps) e^(-eps/kT): Gamma(1/2) and Gamma(3/2), weights
            # Gamma(1/2) kT^1/2 and 2 alpha Gamma(3/2) kT^3/2 (ratio 1 : alpha kT)
            if uniform(key, c) * (1.0 + alpha * kT) < 1.0:
                e = _gamma_half(key, c + 1, 0, kT)
            else:
                e = _gamma_half(key, c + 1, 1, kT)
            if uniform(key, c + 3) * math.sqrt(1.0 + alpha * e) < 1.0:
                return e
        else:
            # envelope (eps^1/2 + 5/2 alpha eps^3/2 + alpha^2 eps^5/2) e^(-eps/kT): weights
            # Gamma(3/2) kT^3/2 : 5/2 alpha Gamma(5/2) kT^5/2 : alpha^2 Gamma(7/2) kT^7/2
            # = 1 : 15/4 alpha kT : 15/4 (alpha kT)^2
            b = alpha * kT
            w1 = 1.0
            w2 = 3.75 * b
            w3 = 3.75 * b * b
            u = uniform(key, c) * (w1 + w2 + w3)
            if u < w1:
                e = _gamma_half(key, c + 1, 1, kT)
            elif u < w1 + w2:
                e = _gamma_half(key, c + 1, 2, kT)
            else:
                e = _gamma_half(key, c + 1, 3, kT)
            if uniform(key, c + 5) * (1.0 + 0.5 * alpha * e) < math.sqrt(1.0 + alpha * e):
                return e
        c += 8


@njit(**JIT)
def _kane_momentum(e, mass, alpha):
    return math.sqrt(2.0 * mass * e * (1.0 + alpha * e))


#: Columns of a band table row (one row per valley; a Kane band is one row with A = 1,
#: SPEED = 1): the cumulative probabilities of the valley for a marker crossing the wall (FLUX)
#: and for one of the equilibrium (POP), the density-of-states mass m_d [kg], alpha [1/J],
#: SPEED = |T^T e_x| = sqrt(m_d (M^-1)_xx) (v_x = SPEED p*_n / (m_d (1 + 2 alpha eps)) for the
#: Herring-Vogt momentum p* along the wall normal's image n = T^T e_x / SPEED) and the 3x3 matrix
#: A = T^-1 [n e1 e2] (row-major; e1, e2 complete n to an orthonormal frame), which maps the
#: momentum u drawn about the normal in the spherical frame back to the crystal momentum p = A u.
FLUX, POP, MD, ALPHA, SPEED, A0 = 0, 1, 2, 3, 4, 5
NCOL = 14


@njit(**JIT)
def _pick(table, col, key, counter):
    """A valley drawn with the cumulative probabilities ``table[:, col]`` (no draw for one)."""
    nv = table.shape[0]
    if nv == 1:
        return 0
    u = uniform(key, counter)
    for v in range(nv - 1):
        if u < table[v, col]:
            return v
    return nv - 1


@njit(**JIT)
def _momentum(table, v, u0, u1, u2, p, k):
    """p[:, k] = A_v (u0, u1, u2): the crystal momentum of spherical-frame components
    (u0 along the wall normal's image, u1, u2 across)."""
    for j in range(3):
        o = A0 + 3 * j
        p[j, k] = table[v, o] * u0 + table[v, o + 1] * u1 + table[v, o + 2] * u2


@njit(**JIT)
def inject_band(seed, step, side, rate, dt, wall, direction, kT, table, x, p, state):
    """As :func:`inject` for a Kane or multi-valley band at rest (``table``: one row of NCOL
    per valley, see :data:`FLUX`): fill x (1, k), p (dp, k) and the valleys ``state`` (k,) with
    the k arrivals of this step, streamed freely from the wall for the time left in the step.
    The valley is drawn by its share of the flux; in it, the energy of the flux and the
    direction cos(theta) = sqrt(U) about the wall normal's image in the Herring-Vogt frame
    (module docstring). dp = 1 (one Kane valley) or 3."""
    key = stream_key(seed, step, INJECTION + side)
    dp = p.shape[0]
    t = 0.0
    for k in range(x.shape[1]):
        t += -math.log(uniform_open(key, k)) / rate
        mk = stream_key(seed, step, (side + 1) * INJECTION_MARKER + k)
        v = _pick(table, FLUX, mk, _DIR + 3)
        alpha = table[v, ALPHA]
        e = kane_flux_energy(mk, kT, alpha, dp)
        pm = _kane_momentum(e, table[v, MD], alpha)
        if dp == 1:
            u0 = direction * pm
            p[0, k] = u0
        else:
            c = math.sqrt(uniform(mk, _DIR))
            s = math.sqrt(max(1.0 - c * c, 0.0))
            phi = 2.0 * math.pi * uniform(mk, _DIR + 1)
            u0 = direction * pm * c
            _momentum(table, v, u0, pm * s * math.cos(phi), pm * s * math.sin(phi), p, k)
        state[k] = v
        x[0, k] = wall + table[v, SPEED] * u0 / (table[v, MD] * (1.0 + 2.0 * alpha * e)) * (dt - t)
    return x, p


@njit(**JIT)
def count_refill(seed, step, side, deficit):
    """Markers to create for a contact cell short of ``deficit`` markers' weight (>= 0): the
    integer part plus one with the probability of the fraction (unbiased)."""
    key = stream_key(seed, step, OHMIC + side)
    k = int(math.floor(deficit))
    if uniform(key, 0) < deficit - k:
        k += 1
    return k


@njit(**JIT)
def refill_band(seed, step, side, lo, hi, kT, table, x, p, state):
    """Fill x (1, k) uniform in [lo, hi) [m], p (dp, k) and the valleys ``state`` (k,) from the
    equilibrium at rest of a Kane or multi-valley band (``table`` as for :func:`inject_band`;
    the valley drawn by its population, the Herring-Vogt momentum isotropic): the markers an
    ohmic contact creates in its cell. dp = 1 (one Kane valley) or 3."""
    base = stream_key(seed, step, OHMIC + side)
    dp = p.shape[0]
    for k in range(x.shape[1]):
        mk = stream_key(base, k + 1, 0)
        v = _pick(table, POP, mk, _DIR + 3)
        alpha = table[v, ALPHA]
        e = kane_equilibrium_energy(mk, kT, alpha, dp)
        pm = _kane_momentum(e, table[v, MD], alpha)
        if dp == 1:
            p[0, k] = pm if uniform(mk, _DIR) < 0.5 else -pm
        else:
            c = 2.0 * uniform(mk, _DIR) - 1.0
            s = math.sqrt(max(1.0 - c * c, 0.0))
            phi = 2.0 * math.pi * uniform(mk, _DIR + 1)
            _momentum(table, v, pm * c, pm * s * math.cos(phi), pm * s * math.sin(phi), p, k)
        state[k] = v
        x[0, k] = lo + (hi - lo) * uniform(mk, _DIR + 2)
    return x, p


@njit(**JIT)
def weight_in(x, w, n, lo, hi):
    """Sum of the weights w[:n] of the markers with lo <= x[0, i] < hi [m]."""
    total = 0.0
    for i in range(n):
        if lo <= x[0, i] < hi:
            total += w[i]
    return total


def flux_density(density, sigma, a):
    """One-sided particle flux [1/(m^(d-1) s)] of a drifting Maxwellian through a wall:
    n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2)."""
    return density * sigma * (math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)
                              + 0.5 * a * (1.0 + math.erf(a / math.sqrt(2.0))))


_ = np  # numpy is used by callers allocating the outputs
