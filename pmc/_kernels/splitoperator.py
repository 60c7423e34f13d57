"""Kernels of the split-operator Schrödinger solver (:mod:`pmc.quantum`): the potential kick's
phase factors and the probability the absorbing layers remove."""
import math

from numba import njit

from . import JIT


@njit(**JIT)
def kick_phase(u, scale, mask, out):
    """out[i] = mask[i] exp(-i scale u[i]): the potential's phase factor times the absorber's
    damping. Serial: at the 10^4-10^5 points of a grid a parallel launch costs more than the
    loop on a loaded machine."""
    for i in range(u.shape[0]):
        a = scale * u[i]
        out[i] = mask[i] * complex(math.cos(a), -math.sin(a))
    return out


@njit(**JIT)
def kick_phase_terms(u_terms, g, scale, mask, out):
    """out[i] = mask[i] exp(-i scale sum_k g[k] u_terms[k, i]): the kick of a time-dependent
    potential sum_k g_k(t) U_k(x) from the static terms U_k tabulated once."""
    nterm = u_terms.shape[0]
    for i in range(u_terms.shape[1]):
        u = 0.0
        for k in range(nterm):
            u += g[k] * u_terms[k, i]
        a = scale * u
        out[i] = mask[i] * complex(math.cos(a), -math.sin(a))
    return out


@njit(**JIT)
def layer_loss(psi, index, factor, side, tally):
    """tally[side[j]] += |psi[index[j]]|^2 factor[j] over the absorbing layers' points, in a fixed
    order (sequential: bitwise repeatable). ``factor`` is (1 - |mask|^2) times the cell volume,
    so the tally is the probability the next kick removes at each wall."""
    for j in range(index.shape[0]):
        z = psi[index[j]]
        tally[side[j]] += (z.real * z.real + z.imag * z.imag) * factor[j]
    return tally
