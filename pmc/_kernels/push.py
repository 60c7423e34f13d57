"""Symplectic push of markers along Hamiltonian characteristics (paper eqs. 15-17).

H(x, p, t) = eps(p) + U(x, t) is separable, so each sub-step is exact: a *kick*
p <- p + h F(x, t) and a *drift* x <- x + h v(p) with time advancing in the drifts. One step is

    kick(h/2) . drift(h) . walls . kick(h/2)                      (leapfrog, order 2)

or Yoshida's triple jump of it (H. Yoshida, Phys. Lett. A 150, 262 (1990); E. Forest and
R. D. Ruth, Physica D 43, 105 (1990)), order 4. Walls (periodic, reflecting, absorbing) act at the
end of the last drift, so the force at the end of a step is evaluated at the final position and is
reused, bitwise, as the force at the start of the next: one force evaluation per leapfrog step.

The per-marker functions (``kick``, ``drift``, ``wall``, ``advance``) are written once as scalar
functions; the ``prange`` kernel below only loads a marker, calls ``advance`` and stores it (the
layout fbpic uses in ``particles/push/inline_functions.py``).
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .models import force, velocity

# scheme codes
LEAPFROG, YOSHIDA4 = 2, 4
# wall codes per axis
OPEN, PERIODIC, REFLECTING, ABSORBING = 0, 1, 2, 3

_CBRT2 = 2.0 ** (1.0 / 3.0)
_W1 = 1.0 / (2.0 - _CBRT2)
_W0 = -_CBRT2 * _W1


@njit(**JIT)
def kick(p0, p1, p2, f0, f1, f2, h, dx):
    """p <- p + h F on the first ``dx`` momentum components (the ones conjugate to x)."""
    p0 += h * f0
    if dx > 1:
        p1 += h * f1
    if dx > 2:
        p2 += h * f2
    return p0, p1, p2


@njit(**JIT)
def drift(x0, x1, x2, p0, p1, p2, h, dx, dkind, dprm):
    """x <- x + h v(p) on the ``dx`` position components."""
    v0, v1, v2 = velocity(dkind, dprm, p0, p1, p2)
    x0 += h * v0
    if dx > 1:
        x1 += h * v1
    if dx > 2:
        x2 += h * v2
    return x0, x1, x2


@njit(**JIT)
def wall(klo, khi, lo, hi, x, p):
    """Apply one axis's walls (kinds ``klo`` at lo, ``khi`` at hi) to (x, p).
    Returns (x, p, side): side -1 kept, 0 absorbed at lo, 1 absorbed at hi."""
    if x >= lo and x < hi:
        return x, p, -1
    if klo == PERIODIC:
        length = hi - lo
        x = x - length * math.floor((x - lo) / length)
        if x < lo:  # rounding of the line above
            x += length
        if x >= hi or x < lo:
            x = lo
        return x, p, -1
    for _ in range(64):  # a marker never crosses the box many times in one step
        if x < lo:
            if klo == REFLECTING:
                x = 2.0 * lo - x
                p = -p
            elif klo == ABSORBING:
                return x, p, 0
            else:
                return x, p, -1
        elif x >= hi:
            if khi == REFLECTING:
                x = 2.0 * hi - x
                p = -p
                if x >= hi:
                    x = math.nextafter(hi, lo)
            elif khi == ABSORBING:
                return x, p, 1
            else:
                return x, p, -1
        else:
            break
    return x, p, -1


@njit(**JIT)
def walls(x0, x1, x2, p0, p1, p2, dx, wkind, lo, hi):
    """All walls; ``wkind`` is (3, 2): the kinds at (lo, hi) of each axis. Returns the marker
    and the absorbing side code 2*axis + side, or -1."""
    x0, p0, s = wall(wkind[0, 0], wkind[0, 1], lo[0], hi[0], x0, p0)
    if s >= 0:
        return x0, x1, x2, p0, p1, p2, s
    if dx > 1:
        x1, p1, s = wall(wkind[1, 0], wkind[1, 1], lo[1], hi[1], x1, p1)
        if s >= 0:
            return x0, x1, x2, p0, p1, p2, 2 + s
    if dx > 2:
        x2, p2, s = wall(wkind[2, 0], wkind[2, 1], lo[2], hi[2], x2, p2)
        if s >= 0:
            return x0, x1, x2, p0, p1, p2, 4 + s
    return x0, x1, x2, p0, p1, p2, -1


@njit(**JIT)
def advance(x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
            t_start, step0, dt, nsteps, wkind, lo, hi):
    """Advance one marker by ``nsteps`` steps. Returns the marker and the absorbing side or -1.

    The time of step s is ``t_start + (step0 + s) * dt`` (computed, not accumulated), so a run
    split into several calls is bitwise equal to one call.
    """
    t = t_start + step0 * dt
    f0, f1, f2 = force(terms, pprm, x0, x1, x2, t)
    for s in range(nsteps):
        t = t_start + (step0 + s) * dt
        t_end = t_start + (step0 + s + 1) * dt
        if scheme == LEAPFROG:
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, 0.5 * dt, dx)
            x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, dt, dx, dkind, dprm)
        else:
            h1 = _W1 * dt
            h0 = _W0 * dt
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, 0.5 * h1, dx)
            x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, h1, dx, dkind, dprm)
            f0, f1, f2 = force(terms, pprm, x0, x1, x2, t + h1)
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, 0.5 * (h1 + h0), dx)
            x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, h0, dx, dkind, dprm)
            f0, f1, f2 = force(terms, pprm, x0, x1, x2, t + h1 + h0)
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, 0.5 * (h0 + h1), dx)
            x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, h1, dx, dkind, dprm)
        x0, x1, x2, p0, p1, p2, side = walls(x0, x1, x2, p0, p1, p2, dx, wkind, lo, hi)
        if side >= 0:
            return x0, x1, x2, p0, p1, p2, side
        f0, f1, f2 = force(terms, pprm, x0, x1, x2, t_end)
        h = 0.5 * dt if scheme == LEAPFROG else 0.5 * _W1 * dt
        p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, h, dx)
    return x0, x1, x2, p0, p1, p2, -1


@njit(**JIT_PARALLEL)
def push(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
         wkind, lo, hi, absorbed_weight, absorbed_count):
    """Push markers 0..n-1 of the (dx, capacity) / (dp, capacity) arrays ``x``, ``p`` in place.

    A marker that leaves through an absorbing wall is frozen where it crossed and flagged by a
    negative weight; ``absorbed_weight[block, 2*axis + side]`` and ``absorbed_count[block]``
    receive the per-block tallies (summed by the caller in block order: deterministic).
    """
    dx = x.shape[0]
    dp = p.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    for b in prange(nblock):
        for k in range(6):
            absorbed_weight[b, k] = 0.0
        absorbed_count[b] = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            x0 = x[0, i]
            x1 = x[1, i] if dx > 1 else 0.0
            x2 = x[2, i] if dx > 2 else 0.0
            p0 = p[0, i]
            p1 = p[1, i] if dp > 1 else 0.0
            p2 = p[2, i] if dp > 2 else 0.0
            x0, x1, x2, p0, p1, p2, side = advance(
                x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
                t_start, step0, dt, nsteps, wkind, lo, hi)
            x[0, i] = x0
            p[0, i] = p0
            if dx > 1:
                x[1, i] = x1
            if dx > 2:
                x[2, i] = x2
            if dp > 1:
                p[1, i] = p1
            if dp > 2:
                p[2, i] = p2
            if side >= 0:
                absorbed_weight[b, side] += w[i]
                absorbed_count[b] += 1
                w[i] = -w[i]


@njit(**JIT)
def absorbed_indices(w, n, absorbed_count):
    """Ascending indices of flagged (negative-weight) markers, scanning only blocks with any."""
    total = 0
    for b in range(absorbed_count.shape[0]):
        total += absorbed_count[b]
    out = np.empty(total, np.int64)
    k = 0
    for b in range(absorbed_count.shape[0]):
        if absorbed_count[b] == 0:
            continue
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            if w[i] < 0.0:
                out[k] = i
                k += 1
    return out
