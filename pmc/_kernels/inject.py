"""Injection of markers from a thermal reservoir through a wall (a device contact).

Arrivals through the wall during one step form a Poisson process of rate R = Gamma A / w (flux
Gamma per unit area, face area A, marker weight w): arrival times are drawn as exponential gaps, so
the count is exactly Poisson and each marker knows how long it has been inside. The normal
velocity follows the flux-weighted drifting Maxwellian s exp(-(s - a)^2 / 2), s > 0, in units of
sigma = sqrt(kT/m) with a = drift / sigma, drawn exactly by rejection from the envelope
(|s - a| + a) exp(-(s - a)^2 / 2) (two-sided Rayleigh plus normal mixture) for a >= 0 and from the
Rayleigh tail for a < 0 (cf. F. J. Garcia and W. Wagner, J. Comput. Phys. 217, 693 (2006)).
"""
import math

import numpy as np
from numba import njit

from . import JIT
from .rng import INJECTION, INJECTION_MARKER, normal, stream_key, uniform, uniform_open


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
def count_arrivals(seed, step, side, rate, dt):
    """Number of arrivals in one step of length dt [s] for a Poisson rate [1/s]."""
    if rate <= 0.0:
        return 0
    key = stream_key(seed, step, INJECTION + side)
    t = 0.0
    k = 0
    while True:
        t += -math.log(uniform_open(key, k)) / rate
        if t >= dt:
            return k
        k += 1


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
        vx = direction * sigma * flux_normal_speed(mk, a)
        x[0, k] = wall + vx * (dt - t)
        p[0, k] = mass * vx
        for j in range(1, dp):
            p[j, k] = mass * tangential_sigma * normal(mk, 10_000_000 + j)
    return x, p


def flux_density(density, sigma, a):
    """One-sided particle flux [1/(m^(d-1) s)] of a drifting Maxwellian through a wall:
    n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2)."""
    return density * sigma * (math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)
                              + 0.5 * a * (1.0 + math.erf(a / math.sqrt(2.0))))


_ = np  # numpy is used by callers allocating the outputs
