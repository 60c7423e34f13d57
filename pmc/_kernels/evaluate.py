"""Array versions of the model functions, parallel over points (used by the physics layer and
by the moments): each loads a point, calls the scalar function of :mod:`.models`, stores."""
from numba import njit, prange

from . import JIT_PARALLEL
from .models import energy, force, potential, velocity


@njit(**JIT_PARALLEL)
def energy_array(dkind, dprm, p, out):
    """out[i] = eps(p[:, i]); ``p`` is (dp, n) with dp <= 3."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        out[i] = energy(dkind, dprm, p[0, i], p[1, i] if dp > 1 else 0.0,
                        p[2, i] if dp > 2 else 0.0)
    return out


@njit(**JIT_PARALLEL)
def velocity_array(dkind, dprm, p, out):
    """out[:, i] = v(p[:, i]); ``out`` is (dp, n)."""
    dp = p.shape[0]
    for i in prange(p.shape[1]):
        v0, v1, v2 = velocity(dkind, dprm, p[0, i], p[1, i] if dp > 1 else 0.0,
                              p[2, i] if dp > 2 else 0.0)
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
        out[i] = potential(terms, prm, x[0, i], x[1, i] if dx > 1 else 0.0,
                           x[2, i] if dx > 2 else 0.0, t)
    return out


@njit(**JIT_PARALLEL)
def force_array(terms, prm, x, t, out):
    """out[:, i] = F(x[:, i], t) on the dx position components; ``out`` is (dx, n)."""
    dx = x.shape[0]
    for i in prange(x.shape[1]):
        f0, f1, f2 = force(terms, prm, x[0, i], x[1, i] if dx > 1 else 0.0,
                           x[2, i] if dx > 2 else 0.0, t)
        out[0, i] = f0
        if dx > 1:
            out[1, i] = f1
        if dx > 2:
            out[2, i] = f2
    return out
