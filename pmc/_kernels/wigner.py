"""Signed-particle Wigner transport: pair generation from a tabulated Wigner potential and the
annihilation of opposite signs on a phase-space grid (see :mod:`pmc.collisions.wigner` for the
physics and the references).

Generation. A marker of weight w at x in table cell i creates pairs at the rate
gamma_i = sum_j |W[i, j]| (j = 1..nq, the positive lattice momenta q_j = j dq); an event picks j
with probability |W[i, j]| / gamma_i and appends (p + q_j, s w) and (p - q_j, -s w), s the sign of
W[i, j]; the parent stays. Over a step of length dt the branching process is sampled exactly
(positions are frozen inside the collision step of the Strang splitting): a source of remaining
time r draws exponential holding times at rate gamma_i until they pass r, and each child starts
with the time left after its event, so children generate too, generation after generation,
until none is left. Each generation is two parallel passes over its sources that draw the same
numbers (count, then write at offsets from a prefix sum), so the output does not depend on the
thread count. Source i of generation g at step t draws from stream_key(key_step, g, 0),
counters (i << 24) + 2e (holding time of event e) and (i << 24) + 2e + 1 (its lattice
momentum).

Annihilation. Markers are sorted by phase-space cell (:func:`pmc._kernels.cells.sort_by_cell`,
a stable parallel counting sort); per cell (in parallel) the signed weights are summed in marker
order, and k_c markers of the majority sign, a uniform random subset (selection sampling, Knuth,
TAOCP vol. 2, 3.4.2, Algorithm S), are kept with weight net_c / k_c each; the rest are removed.
The signed weight of each cell is kept (up to the rounding of net_c / k_c), the kept markers keep
their exact positions and momenta (no regeneration inside the cell).
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .rng import stream_key, uniform, uniform_open


@njit(**JIT)
def _cell(x, x0, inv_dx, nx):
    s = (x - x0) * inv_dx
    if not (s >= 0.0 and s < nx):  # also NaN
        return -1
    return int(s)


@njit(**JIT)
def _pick(cum, i, r):
    """First j with cum[i, j] > r (binary search in the row's cumulative |W|)."""
    lo = 0
    hi = cum.shape[1] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[i, mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return lo


#: Draws of one source lie in counters [i << SOURCE_BITS, (i + 1) << SOURCE_BITS) of its
#: generation's stream.
SOURCE_BITS = 24


@njit(**JIT)
def _events(key, base, gamma, remaining):
    """Number of events of a source with rate ``gamma`` over ``remaining`` (its draws base,
    base + 2, ...)."""
    if gamma <= 0.0:
        return 0
    t = 0.0
    e = 0
    while True:
        t += -math.log(uniform_open(key, base + 2 * e)) / gamma
        if t >= remaining:
            return e
        e += 1


@njit(**JIT_PARALLEL)
def count_events(x, n, x0, inv_dx, gamma, remaining, step_key, generation, none, counts):
    """counts[i] = pair events of source i (position x[i], time left remaining[i] [s], or
    remaining[0] for all if it has one element) over its remaining time; ``gamma`` (nx,) [1/s] the rate per table cell. ``none`` (nx,) is
    exp(-gamma dt), the probability of no event over a whole step, when every remaining time
    is the step dt (generation 0), else a (0,) array: most markers have no event, which the
    first draw then tells without a logarithm (the holding times of
    :func:`write_pairs` are only drawn for the counted events)."""
    nx = gamma.shape[0]
    whole = none.shape[0] > 0
    key = stream_key(step_key, generation, 0)
    for i in prange(n):
        c = _cell(x[i], x0, inv_dx, nx)
        if c < 0:
            counts[i] = 0
        else:
            base = i << SOURCE_BITS
            if whole and uniform_open(key, base) <= none[c]:
                counts[i] = 0
            else:
                counts[i] = _events(key, base, gamma[c],
                                    remaining[i] if remaining.shape[0] > 1 else remaining[0])
    return counts


@njit(**JIT_PARALLEL)
def write_pairs(x, p, w, state, active, x0, inv_dx, gamma, cum, sign, dq, p_max, remaining,
                step_key, generation, counts, offsets, cx, cp, cw, cstate, crem):
    """Write the children of the sources ``active`` (int64 indices of those with events;
    ``counts`` their counts from :func:`count_events`, ``offsets`` the exclusive prefix sum of
    ``counts``): event e of the k-th active source fills children 2 (offsets[k] + e) and
    2 (offsets[k] + e) + 1. ``x`` (n,), ``p`` (dp, >= n) (component 0
    along the table's axis), ``w`` (n,), ``state`` (n,) int64 or a (0,) array; the children's
    arrays alike (``cp`` (dp, capacity)), ``crem`` their remaining times [s]. ``cum`` (nx, nq)
    is the cumulative |W| of each cell's row, ``sign`` (nx, nq) the sign of W (+1, -1),
    ``dq`` [kg m/s] the lattice spacing. A pair with a marker at |p_x| >= ``p_max`` (outside
    the momentum domain) is written with zero weights (the caller drops them; it still
    counts as an event, and its children generate nothing)."""
    nx = gamma.shape[0]
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    key = stream_key(step_key, generation, 0)
    for a_ in prange(active.shape[0]):
        i = active[a_]
        c = _cell(x[i], x0, inv_dx, nx)
        if c < 0:
            continue
        g = gamma[c]
        if g <= 0.0:
            continue
        base = i << SOURCE_BITS
        r = remaining[i] if remaining.shape[0] > 1 else remaining[0]
        t = 0.0
        for e in range(counts[a_]):  # the draws of count_events, event by event
            t += -math.log(uniform_open(key, base + 2 * e)) / g
            j = _pick(cum, c, uniform(key, base + 2 * e + 1) * g)
            q = (j + 1) * dq
            s = sign[c, j] * w[i]
            a = 2 * (offsets[a_] + e)
            for k in (a, a + 1):
                cx[k] = x[i]
                for d in range(1, dp):
                    cp[d, k] = p[d, i]
                crem[k] = r - t
                if has_state:
                    cstate[k] = state[i]
            cp[0, a] = p[0, i] + q
            cw[a] = s
            cp[0, a + 1] = p[0, i] - q
            cw[a + 1] = -s
            if not (abs(p[0, i] + q) < p_max and abs(p[0, i] - q) < p_max):
                cw[a] = 0.0  # a pair leaving the momentum domain is dropped (both markers)
                cw[a + 1] = 0.0


@njit(**JIT_PARALLEL)
def annihilation_cells(x, p, n, x0, inv_dx, nx, inv_dp, ip_min, npc, index):
    """index[i] = flat cell (ix * npc + ip) of marker i on the annihilation grid
    (ip = floor(p / dp + 1/2) - ip_min: cells centred on the multiples of dp, so that momenta
    on the lattice sit at cell centres), -1 outside the grid's x range or ip outside
    0..npc-1."""
    for i in prange(n):
        ix = _cell(x[i], x0, inv_dx, nx)
        f = math.floor(p[0, i] * inv_dp + 0.5) - ip_min
        if ix < 0 or not (f >= 0.0 and f < npc):
            index[i] = -1
        else:
            index[i] = ix * npc + int(f)
    return index


@njit(**JIT_PARALLEL)
def cell_sums(w, order, start, net, majority):
    """Per cell c: net[c] = sum of the signed weights (in marker order; 0 where it is below
    the rounding of the sum of |w|), majority[c] = the number of markers of net's sign."""
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        s = 0.0
        for a in range(start[c], start[c + 1]):
            s += w[order[a]]
        npos = 0
        nneg = 0
        total = 0.0
        for a in range(start[c], start[c + 1]):
            v = w[order[a]]
            total += abs(v)
            if v > 0.0:
                npos += 1
            else:
                nneg += 1
        if abs(s) <= 1e-13 * total:  # cancelled up to the rounding of the sum
            s = 0.0
        net[c] = s
        majority[c] = npos if s > 0.0 else (nneg if s < 0.0 else 0)


@njit(**JIT_PARALLEL)
def annihilate(w, order, start, net, majority, quantum, key, keep):
    """Keep k_c = min(majority, max(1, ceil(|net| / quantum))) markers of net's sign in each
    cell, a uniform random subset drawn from stream_key(key, c, 0), each with weight net / k_c
    (written into ``w``); keep[i] = 1 for kept markers, 0 for the rest (cells with net = 0
    keep none). Markers outside every cell are not touched (keep them: the caller sets
    keep = 1 first). Returns nothing; the caller compacts."""
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        a0 = start[c]
        a1 = start[c + 1]
        if a1 == a0:
            continue
        s = net[c]
        m = majority[c]
        k = 0
        if s != 0.0:
            k = int(math.ceil(abs(s) / quantum * (1.0 - 1e-12)))
            k = min(max(k, 1), m)
        ck = stream_key(key, c, 0)
        need = k
        left = m  # majority markers not yet seen
        wk = s / k if k > 0 else 0.0
        d = 0
        for a in range(a0, a1):
            i = order[a]
            if (w[i] > 0.0) == (s > 0.0) and s != 0.0:
                # selection sampling: keep with probability need / left
                if need > 0 and uniform(ck, d) * left < need:
                    keep[i] = 1
                    w[i] = wk
                    need -= 1
                else:
                    keep[i] = 0
                left -= 1
                d += 1
            else:
                keep[i] = 0


@njit(**JIT_PARALLEL)
def signed_sums(w, n, out):
    """out[b] = (markers > 0, markers < 0, sum of the negative weights, sum |w|) per block of
    4096 markers, for a thread-count independent total."""
    nb = out.shape[0]
    for b in prange(nb):
        i0 = b * BLOCK
        i1 = min(n, i0 + BLOCK)
        npos = 0
        nneg = 0
        sneg = 0.0
        sabs = 0.0
        for i in range(i0, i1):
            v = w[i]
            if v > 0.0:
                npos += 1
            else:
                nneg += 1
                sneg += v
            sabs += abs(v)
        out[b, 0] = npos
        out[b, 1] = nneg
        out[b, 2] = sneg
        out[b, 3] = sabs
    return out
