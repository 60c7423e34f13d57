"""Strang steps in one pass: the half push, a constant-rate isotropic scattering and the half
push of ``Simulation.step`` done sub-block by sub-block, so that the markers cross memory once
per call instead of once per push and once per collision step.

Each marker's push and scattering depend on that marker alone (the push of
:func:`.push.advance_block`; the draws of :func:`.scatter.scatter_constant_range`, keyed by the
marker's index and the step), so doing a sub-block's whole call before the next sub-block gives
bitwise what the separate passes give, on any number of threads. The split into blocks of
:data:`BLOCK` and sub-blocks of :data:`.push.SUB` markers is :func:`.push.push_block`'s: this is
the same loop with the scattering between its pushes, the way the push computes a frame's sums
in its last pass (:func:`.push.push_blocks_sums`).
"""
import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL
from .push import SUB, advance_block
from .scatter import scatter_constant_range


@njit(**JIT)
def strang_block(x, p, n, b, scheme, dkind, dprm, terms, pprm, t0, first, nsteps, dt, wkind,
                 lo, hi, clo, inv_h, shape, rate, quiet, key):
    """Block ``b`` of :func:`strang_blocks`: per sub-block the push of dt/2 from step index
    2 first (time t0 + first dt), then for each step s the scattering of step s followed by
    the push of dt from t0 + dt/2 + s dt (the trailing half push of step s composed with the
    leading one of s + 1) or, after the last step, the push of dt/2 from step index 2 s + 1.
    Returns (events, events of the last step)."""
    half = 0.5 * dt
    last = first + nsteps - 1
    state = np.empty(0, np.int64)  # a stateless dispersion
    mirror = np.empty((0, 3), np.int64)
    none = np.empty(0)
    F = np.empty((3, SUB))
    S = np.empty(SUB)
    Q = np.empty((3, SUB))
    side = np.empty(SUB, np.int64)
    draws = np.empty(SUB)
    hit = np.empty(SUB, np.int64)
    total = 0
    final = 0
    end = min(n, (b + 1) * BLOCK)
    for a0 in range(b * BLOCK, end, SUB):
        a1 = min(end, a0 + SUB)
        i0 = uint64(a0)
        m = uint64(a1 - a0)
        advance_block(x, p, state, mirror, i0, m, F, S, Q, side, scheme, dkind, dprm, terms,
                      pprm, t0, 2 * first, half, 1, wkind, lo, hi, False, False, none)
        for s in range(first, last + 1):
            e = scatter_constant_range(p, a0, a1, x, clo, inv_h, shape, rate, quiet, dt, key, s,
                                       draws, hit)
            total += e
            if s < last:
                advance_block(x, p, state, mirror, i0, m, F, S, Q, side, scheme, dkind, dprm,
                              terms, pprm, t0 + half, s, dt, 1, wkind, lo, hi, False, False,
                              none)
            else:
                final += e
                advance_block(x, p, state, mirror, i0, m, F, S, Q, side, scheme, dkind, dprm,
                              terms, pprm, t0, 2 * s + 1, half, 1, wkind, lo, hi, False, False,
                              none)
    return total, final


@njit(**JIT_PARALLEL)
def strang_blocks(x, p, n, scheme, dkind, dprm, terms, pprm, t0, first, nsteps, dt, wkind, lo,
                  hi, clo, inv_h, shape, rate, quiet, key):
    """``nsteps`` >= 1 Strang steps from step ``first`` of ``n`` stateless markers (x, p) with
    no absorbing wall: the push of :func:`.push.push_blocks` (arguments scheme .. pprm, wkind,
    lo, hi as there) and between its half pushes the scattering of
    :func:`.scatter.scatter_constant_isotropic` (cells ``clo``, ``inv_h``, ``shape``; ``rate``
    [1/s], ``quiet`` = exp(-rate dt), ``key``), blocks in parallel. Bitwise the separate
    passes (push, scatter, push, ... as ``Simulation.step`` composes them). Returns (events,
    events of the last step)."""
    total = 0
    final = 0
    for b in prange((n + BLOCK - 1) // BLOCK):
        e, f = strang_block(x, p, n, b, scheme, dkind, dprm, terms, pprm, t0, first, nsteps, dt,
                            wkind, lo, hi, clo, inv_h, shape, rate, quiet, key)
        total += e
        final += f
    return total, final


@njit(**JIT)
def strang_blocks_serial(x, p, n, scheme, dkind, dprm, terms, pprm, t0, first, nsteps, dt,
                         wkind, lo, hi, clo, inv_h, shape, rate, quiet, key):
    """:func:`strang_blocks` on the calling thread: for a few blocks, where waking the thread
    pool costs more than the work."""
    total = 0
    final = 0
    for b in range((n + BLOCK - 1) // BLOCK):
        e, f = strang_block(x, p, n, b, scheme, dkind, dprm, terms, pprm, t0, first, nsteps, dt,
                            wkind, lo, hi, clo, inv_h, shape, rate, quiet, key)
        total += e
        final += f
    return total, final
