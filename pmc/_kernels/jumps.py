"""Exact jumps of a continuous-time Markov chain over a time step (docs/design.md §1, "Collisions",
form 1: discrete states, paper eqs. 46-47).

A marker in state k leaves it after an exponential holding time of rate gamma_k = sum_{l != k}
Q_kl and lands in l with probability Q_kl / gamma_k (the direct method: D. T. Gillespie,
J. Comput. Phys. 22, 403 (1976)). Because the holding time is memoryless, restarting the clock at
each step boundary is exact: the state after dt is distributed as p @ expm(Q dt) for any dt, not
to first order in dt. The alternative, *uniformization* (A. Jensen, Skand. Aktuarietidskr. 36, 87
(1953); the sampler of BEAST's ``UniformizedMarkovJumpsCore`` after Rodrigue, Philippe & Lartillot
2008), runs a Poisson clock of the constant rate Lambda = max_k gamma_k and makes each tick a jump
of P = I + Q / Lambda, virtual (a self-jump) with probability 1 - gamma_k / Lambda; it draws the
same law with more random numbers, and is kept as a cross-check. QuTiP's ``mcsolve`` likewise
draws the *time* of a quantum jump from one random number against the decaying norm instead of a
first-order jump probability per step.

The rate matrix arrives as the CSR arrays of its off-diagonal part, ``indptr``, ``indices`` and
``cum`` (the running sum of the rates along each row, :func:`row_cumsum`), so that the target of a
jump is a binary search: O(log nnz) per jump whatever the row length. Every random number is a
counter-based draw keyed by (seed, step, mechanism) and then by the marker index, so results are
bitwise independent of the thread count.
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .cells import flat_cell
from .rng import stream_key, uniform, uniform_open

#: Sampling methods.
HOLDING, UNIFORMIZATION = 0, 1


@njit(**JIT)
def row_cumsum(indptr, data, cum, total):
    """Running sums of ``data`` along each CSR row into ``cum``; ``total[k]`` = the row's sum
    (0 for an empty row). Per-row, so a huge rate in one row costs no precision in another."""
    for k in range(indptr.shape[0] - 1):
        s = 0.0
        for j in range(indptr[k], indptr[k + 1]):
            s += data[j]
            cum[j] = s
        total[k] = s
    return cum, total


@njit(**JIT)
def jump_state(k, indptr, indices, cum, out_rate, lam, method, key, dt):
    """Evolve one marker from state ``k`` over a time ``dt`` [s].

    ``out_rate[k]`` [1/s] is the total rate out of k (the last ``cum`` of row k); ``lam`` [1/s]
    the uniformization rate (>= every out_rate, used when ``method == UNIFORMIZATION``).
    Draws 2j and 2j + 1 of stream ``key`` are the waiting time and the target of event j.

    Returns
    -------
    (int, int)
        The state at the end of the step and the number of real jumps (k -> l != k).
    """
    t = 0.0
    c = 0
    jumps = 0
    while True:
        gamma = out_rate[k]
        rate = lam if method == UNIFORMIZATION else gamma
        if not rate > 0.0:  # absorbing state (or no rates at all)
            break
        t += -math.log(uniform_open(key, c)) / rate
        if t >= dt:
            break
        u = uniform(key, c + 1) * rate
        c += 2
        if u >= gamma:  # a virtual jump of uniformization
            continue
        lo = indptr[k]
        hi = indptr[k + 1] - 1
        while lo < hi:  # first entry whose running sum exceeds u (zero rates are never hit)
            mid = (lo + hi) >> 1
            if cum[mid] > u:
                hi = mid
            else:
                lo = mid + 1
        k = indices[lo]
        jumps += 1
    return k, jumps


#: Relative margin of :func:`stay_thresholds`: far above the rounding of exp, log and the
#: division in :func:`jump_state` (a few 1e-16 relative to rate dt for rate dt < 745; beyond,
#: exp(-rate dt) underflows and no marker is cleared).
_STAY_MARGIN = 1.0 - 1e-12


@njit(**JIT)
def stay_thresholds(out_rate, lam, method, dt):
    """Per state k, a bound below exp(-rate_k dt) (rate_k = ``lam`` for uniformization, else
    ``out_rate[k]``): a marker whose first uniform u of the step lies below it certainly has
    -log(u) / rate_k >= dt as :func:`jump_state` computes it, i.e. no event. The kernels clear
    such markers with one comparison; the others go through :func:`jump_state`, so the results
    are bitwise those of calling it for every marker."""
    out = np.empty(out_rate.shape[0])
    for k in range(out.shape[0]):
        rate = lam if method == UNIFORMIZATION else out_rate[k]
        out[k] = math.exp(-rate * dt) * _STAY_MARGIN
    return out


@njit(**JIT_PARALLEL)
def jump_states(state, n, positions, lo, inv_h, shape, indptr, indices, cum, out_rate, lam,
                method, key, dt):
    """Jump the discrete ``state`` (int64, >= n entries) of markers 0..n-1 over ``dt``, in place.

    Markers outside the collision cells (:func:`pmc._kernels.cells.flat_cell` of ``positions``
    with ``lo``, ``inv_h``, ``shape``; located only for the few markers a first draw does not
    keep in their state) stay; pass an empty ``shape`` to jump every marker. ``key`` is the
    stream key of this step and mechanism; marker i draws from ``stream_key(key, i, 0)``.
    Returns (the number of real jumps, the number of markers whose state is not in 0 .. M-1, M
    = ``out_rate.shape[0]``: they do not jump, the others do; the caller's check, folded in
    here to spare a pass over the states)."""
    k_axes = shape.shape[0]
    m = out_rate.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    counts = np.zeros(nblock, np.int64)
    invalid = np.zeros(nblock, np.int64)
    stay = stay_thresholds(out_rate, lam, method, dt)
    for b in prange(nblock):
        s = 0
        bad = 0
        start = b * BLOCK
        stop = min(n, start + BLOCK)
        # every marker's first uniform in a loop of its own (straight-line hashing: it
        # vectorises), then the few not cleared by stay_thresholds one at a time
        first = np.empty(stop - start)
        for i in range(start, stop):
            first[i - start] = uniform_open(stream_key(key, i, 0), 0)
        for i in range(start, stop):
            k = state[i]
            if k < 0 or k >= m:
                bad += 1
                continue
            if first[i - start] < stay[k]:
                continue
            if k_axes and flat_cell(positions, i, k_axes, lo, inv_h, shape) < 0:
                continue
            k, j = jump_state(k, indptr, indices, cum, out_rate, lam, method,
                              stream_key(key, i, 0), dt)
            state[i] = k
            s += j
        counts[b] = s
        invalid[b] = bad
    return counts.sum(), invalid.sum()


@njit(**JIT)
def grid_bin(px, p0, inv_h, m):
    """Index of the momentum bin nearest to ``px`` on the uniform grid p0 + k h, k = 0..m-1;
    -1 outside [p0 - h/2, p0 + (m - 1/2) h) (and for NaN)."""
    s = (px - p0) * inv_h + 0.5
    if not (s >= 0.0 and s < m):
        return -1
    k = int(s)
    return k if k < m else m - 1


@njit(**JIT_PARALLEL)
def jump_momenta(px, n, positions, lo, inv_h, shape, grid, inv_dp, indptr, indices, cum,
                 out_rate, lam, method, key, dt):
    """Momentum-grid mode: the state of marker i is the bin of ``px[i]`` nearest on the uniform
    ``grid`` (spacing 1 / inv_dp); a jump k -> l shifts ``px[i]`` by grid[l] - grid[k], in
    place. The cells as in :func:`jump_states` (a marker located only where it matters).

    Returns (number of real jumps, number of markers inside the cells but outside the grid,
    which do not jump)."""
    k_axes = shape.shape[0]
    m = grid.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    counts = np.zeros(nblock, np.int64)
    outside = np.zeros(nblock, np.int64)
    stay = stay_thresholds(out_rate, lam, method, dt)
    for b in prange(nblock):
        s = 0
        o = 0
        start = b * BLOCK
        stop = min(n, start + BLOCK)
        first = np.empty(stop - start)  # as in jump_states
        for i in range(start, stop):
            first[i - start] = uniform_open(stream_key(key, i, 0), 0)
        for i in range(start, stop):
            k = grid_bin(px[i], grid[0], inv_dp, m)
            if k >= 0 and first[i - start] < stay[k]:
                continue
            if k_axes and flat_cell(positions, i, k_axes, lo, inv_h, shape) < 0:
                continue
            if k < 0:
                o += 1
                continue
            l, j = jump_state(k, indptr, indices, cum, out_rate, lam, method,
                              stream_key(key, i, 0), dt)
            if l != k:
                px[i] += grid[l] - grid[k]
            s += j
        counts[b] = s
        outside[b] = o
    return counts.sum(), outside.sum()
