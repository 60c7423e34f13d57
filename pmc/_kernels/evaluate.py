"""Array versions of the model functions, parallel over points (used by the physics layer and
by the moments): each loads a point, calls the scalar function of :mod:`.models`, stores."""
import math

from numba import njit, prange, uint64

from . import BLOCK, JIT_PARALLEL, stateful
from .models import column, energy, force, potential, velocity


@njit(**JIT_PARALLEL)
def energy_array(dkind, dprm, p, out):
    """out[i] = eps(p[:, i]); ``p`` is (dp, n) with dp <= 3."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        out[i] = energy(dkind, dprm, p0, p1, p2)
    return out


@njit(**JIT_PARALLEL)
def velocity_array(dkind, dprm, p, out):
    """out[:, i] = v(p[:, i]); ``out`` is (dp, n)."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        v0, v1, v2 = velocity(dkind, dprm, p0, p1, p2)
        out[0, i] = v0
        if dp > 1:
            out[1, i] = v1
        if dp > 2:
            out[2, i] = v2
    return out


@njit(**JIT_PARALLEL)
def state_energy_array(dkind, dprm, state, p, out):
    """out[i] = E(p[:, i]) in state ``state[i]`` (:mod:`.stateful`)."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        out[i] = stateful.energy(dkind, dprm, state[i], p0, p1, p2)
    return out


@njit(**JIT_PARALLEL)
def state_velocity_array(dkind, dprm, state, p, out):
    """out[:, i] = v(p[:, i]) in state ``state[i]``; ``out`` is (dp, n)."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        p0, p1, p2 = column(p, i, dp)
        v0, v1, v2 = stateful.velocity(dkind, dprm, state[i], p0, p1, p2)
        out[0, i] = v0
        if dp > 1:
            out[1, i] = v1
        if dp > 2:
            out[2, i] = v2
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
        out[0, i] = f0
        if dx > 1:
            out[1, i] = f1
        if dx > 2:
            out[2, i] = f2
    return out


@njit(**JIT_PARALLEL)
def marker_sums(dkind, dprm, terms, pprm, x, p, w, state, n, t, out):
    """One pass over markers 0..n-1 of the (dx, ·), (dp, ·) arrays ``x``, ``p``, weights
    ``w`` and states ``state`` (int64; empty if the markers have none), in blocks of BLOCK markers (in parallel), each block summed in index order into its
    row of ``out`` (nblock, 6): the number of markers with a non-finite x, p or w, then sum w,
    sum w H(x, p, t), sum w p_0, sum w p_1, sum w p_2. The caller sums the rows in order, so the
    totals do not depend on the number of threads."""
    dx = x.shape[0]
    dp = p.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    has_state = state.shape[0] > 0
    for b in prange(nblock):
        bad = 0.0
        sw = 0.0
        se = 0.0
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for i in range(uint64(b * BLOCK), uint64(min(n, (b + 1) * BLOCK))):
            x0, x1, x2 = column(x, i, dx)
            p0, p1, p2 = column(p, i, dp)
            wi = w[i]
            # 0 v is 0 for every finite v and NaN for inf or NaN
            check = 0.0 * x0 + 0.0 * x1 + 0.0 * x2 + 0.0 * p0 + 0.0 * p1 + 0.0 * p2 + 0.0 * wi
            if not math.isfinite(check):
                bad += 1.0
            sw += wi
            s = state[i] if has_state else 0
            se += wi * (stateful.energy(dkind, dprm, s, p0, p1, p2)
                        + potential(terms, pprm, x0, x1, x2, t))
            s0 += wi * p0
            s1 += wi * p1
            s2 += wi * p2
        out[b, 0] = bad
        out[b, 1] = sw
        out[b, 2] = se
        out[b, 3] = s0
        out[b, 4] = s1
        out[b, 5] = s2
