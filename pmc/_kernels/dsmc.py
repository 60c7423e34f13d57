"""Binary collisions per cell: Bird's no-time-counter (NTC) scheme with Uehling-Uhlenbeck
final-state factors (docs/design.md §1, "Collisions", form 3).

In a cell of volume V holding N markers of weight w, the candidate pairs of a step dt number

    N_cand = N (N - 1) / 2 * w (sigma g)_max B dt / V + remainder,

each drawn uniformly among the N (N - 1) / 2 pairs and accepted with probability
sigma(g) g / (sigma g)_max times, for quantum statistics, F / B with the final-state factor
F = (1 - f3)(1 - f4) (fermions, B = 1) or (1 + f3)(1 + f4) (bosons, B a bound of F). The
integer part of N_cand is attempted and the fractional remainder carried to the next step
(G. A. Bird, *Molecular Gas Dynamics and the Direct Simulation of Gas Flows*, Clarendon 1994,
section 11.1; SPARTA's ``collide_modify remain yes`` does the same in
``CollideVSS::attempt_collision``). The per-cell majorant (sigma g)_max is kept between steps and
raised whenever a candidate exceeds it (SPARTA's ``vremax``); when it is raised mid-step (or,
for bosons, when B must grow because a bin filled up), the candidates still to be drawn are
rescaled by new/old, so that the rest of the step is covered at the new candidate rate.

An accepted pair (p1, p2) keeps its centre-of-mass momentum P = p1 + p2 and the length of its
relative momentum q = (p1 - p2) / 2, whose direction is redrawn (isotropic, or VSS with
cos(chi) = 2 u^(1/alpha) - 1 about the old direction; Bird 1994 eq. 2.22 for the rotation):
p1' = P/2 + q', p2' = P/2 - q'. Momentum and energy are conserved pair by pair to round-off.

Quantum statistics follow A. L. Garcia and W. Wagner (Phys. Rev. E 68, 056703 (2003), DSMC for
the Uehling-Uhlenbeck-Boltzmann equation): f3 and f4 are the occupations of the final momentum
bins counted from the cell's markers (:mod:`pmc._kernels.occupation`), with the two
colliding markers taken out of their bins first (and marker 3 put into its bin before f4 is
read), which is the exclusion (fermions) or bunching (bosons) rule of K slots per bin, for which
the stationary state is exactly Fermi-Dirac or Bose-Einstein over the bins. Counts are updated
after every accepted collision, so a fermion bin never holds more than K markers.

Random numbers: cell c of step s draws from stream_key(key_s, c, 0) (key_s already keyed by the
run's seed, the step and the mechanism), so results do not depend on the thread count. Candidate j
of a cell owns the draws 6j .. 6j + 5 of that stream (the pair, the sigma g test, the polar
angle, the azimuth, a second azimuth draw, the final-state test), whether it uses them or not;
the first four of a batch of candidates are made in one loop before the candidates are tried (a
loop of independent hashes that vectorises: ~30% of the collision arithmetic on the SPARTA deck
of ``bench_dsmc.py``, against a hash of each draw where it is used). The azimuth comes from von
Neumann's polar method (no libm call; see :func:`azimuth`), which saved another quarter.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import JIT, JIT_PARALLEL
from .geometry import on_sphere
from .occupation import (momentum_bin, table_capacity, table_count, table_fill,
                         table_slot)
from .rng import bits_to_uniform, draw_bits, stream_key, uniform

CLASSICAL, FERMI, BOSE = 0, 1, 2

_LOW32 = uint64(0xFFFFFFFF)

# per-cell tally columns
T_CANDIDATES, T_EVENTS, T_CLIPPED, T_ACCEPTED_CLASSICALLY = 0, 1, 2, 3
NTALLY = 4


@njit(**JIT)
def sigma_g(g, a, beta):
    """sigma(g) g = a g^beta [m^3/s] for relative speed g [m/s] (beta = 1: hard spheres,
    2 - 2 omega: VHS, 0: Maxwell molecules)."""
    if beta == 1.0:
        return a * g
    if beta == 0.0:
        return a
    if g <= 0.0:
        return 0.0
    return a * g ** beta


@njit(**JIT)
def initial_majorant(momenta, members, inv_mass, a, beta):
    """A first (sigma g)_max for a cell: sigma g at three times the rms relative speed of its
    markers, g0 = 3 sqrt(2 <|v - <v>|^2>) (7.3 sqrt(kT/m) in a Maxwellian gas, where a pair
    exceeds it with probability 6e-6; raised later whenever a pair exceeds it)."""
    n = members.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    for k in range(n):
        i = members[k]
        m0 += momenta[0, i]
        m1 += momenta[1, i]
        m2 += momenta[2, i]
    m0 /= n
    m1 /= n
    m2 /= n
    for k in range(n):
        i = members[k]
        d0 = momenta[0, i] - m0
        d1 = momenta[1, i] - m1
        d2 = momenta[2, i] - m2
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
    var = (s0 + s1 + s2) / n * inv_mass * inv_mass
    return sigma_g(3.0 * math.sqrt(2.0 * var), a, beta)


@njit(**JIT)
def scatter_pair(a0, a1, a2, b0, b1, b2, u, ce, se, alpha):
    """Post-collision momenta of the pair (a, b): P = a + b kept, q = (a - b) / 2 turned to a
    new direction of the same length, isotropic (alpha = 1) or VSS-deflected by chi with
    cos(chi) = 2 u^(1/alpha) - 1 (``u`` uniform in [0, 1)), at the azimuth whose cosine and
    sine are ``ce``, ``se`` (:func:`azimuth`). Returns the six new components
    (a0', a1', a2', b0', b1', b2')."""
    h0 = 0.5 * (a0 + b0)
    h1 = 0.5 * (a1 + b1)
    h2 = 0.5 * (a2 + b2)
    q0 = 0.5 * (a0 - b0)
    q1 = 0.5 * (a1 - b1)
    q2 = 0.5 * (a2 - b2)
    q = math.sqrt(q0 * q0 + q1 * q1 + q2 * q2)
    if alpha == 1.0:  # the polar axis along the first component
        n1, n2, n0 = on_sphere(q, 2.0 * u - 1.0, ce, se)
    else:
        c = 2.0 * u ** (1.0 / alpha) - 1.0
        s = math.sqrt(max(0.0, 1.0 - c * c))
        d = math.sqrt(q1 * q1 + q2 * q2)
        if d > 1e-12 * q:
            n0 = c * q0 + s * se * d
            n1 = c * q1 + s * (q * q2 * ce - q0 * q1 * se) / d
            n2 = c * q2 - s * (q * q1 * ce + q0 * q2 * se) / d
        else:
            n0 = c * q0
            n1 = s * q0 * ce
            n2 = s * q0 * se
    return h0 + n0, h1 + n1, h2 + n2, h0 - n0, h1 - n1, h2 - n2


@njit(**JIT)
def disc_point(bits):
    """(x, y): the two 32-bit halves of ``bits`` as coordinates uniform in (-1, 1), on a
    grid symmetric about 0 (never exactly 0)."""
    x = (float(bits >> uint64(32)) + 0.5) * _INV31 - 1.0
    y = (float(bits & _LOW32) + 0.5) * _INV31 - 1.0
    return x, y


@njit(**JIT)
def azimuth(x, y, key, counter):
    """(cos, sin) of an azimuth uniform on [0, 2 pi). Von Neumann's polar method (J. von
    Neumann, NBS Appl. Math. Ser. 12, 36 (1951)): a point (x, y) uniform in the square
    (:func:`disc_point`) falls in the unit disc with probability pi/4; its polar angle is then
    uniform, and so is twice that angle, whose cosine and sine are (x^2 - y^2) / r^2 and
    2 x y / r^2, no libm call. Outside the disc, cos and sin of 2 pi v with v the draw
    ``counter`` of stream ``key`` (independent of x, y)."""
    r2 = x * x + y * y
    if r2 < 1.0:
        return (x * x - y * y) / r2, 2.0 * x * y / r2
    phi = 2.0 * math.pi * uniform(key, counter)
    return math.cos(phi), math.sin(phi)


@njit(**JIT)
def scatter(p1, p2, out, key, counter, alpha):
    """:func:`scatter_pair` on 3-vectors ``p1``, ``p2``, into ``out[0:6]``, with the draws
    ``counter`` .. ``counter + 2`` of stream ``key`` (the polar angle, the azimuth and its
    second draw, as the collision kernel uses them); returns the next counter
    (``counter + 3``)."""
    x, y = disc_point(draw_bits(key, counter + 1))
    ce, se = azimuth(x, y, key, counter + 2)
    r = scatter_pair(p1[0], p1[1], p1[2], p2[0], p2[1], p2[2], uniform(key, counter), ce, se,
                     alpha)
    for k in range(6):
        out[k] = r[k]
    return counter + 3


#: Candidates whose draws are made together (see the module's note on random numbers).
BATCH = 64
#: Draws per candidate: the pair, the sigma g test, the polar angle, the azimuth (two draws),
#: the final state.
DRAWS = 6
_INV31 = 1.0 / 2147483648.0  # 2**-31


@njit(**JIT)
def draw_batch(key, first, count, n, pick_a, pick_b, draws):
    """The draws of candidates ``first`` .. ``first + count - 1`` of a cell of ``n`` markers:
    ``pick_a[t]``, ``pick_b[t]``, two distinct uniform positions in 0..n-1 from the 64 bits of
    draw 6j (the high and low 32 bits scaled by multiplication, D. Lemire, ACM TOMACS 29, 3
    (2019), bias below n / 2^32), ``draws[0, t]``, ``draws[1, t]`` uniform in [0, 1) from draws
    6j + 1, 6j + 2, and ``draws[2:4, t]`` the point of :func:`disc_point` from draw 6j + 3;
    j = first + t. The loop is over independent hashes and vectorises."""
    for t in range(count):
        c = DRAWS * (first + t)
        bits = draw_bits(key, c)
        a = ((bits >> uint64(32)) * uint64(n)) >> uint64(32)
        b = ((bits & _LOW32) * uint64(n - 1)) >> uint64(32)
        pick_a[t] = a
        pick_b[t] = b + uint64(b >= a)
        draws[0, t] = bits_to_uniform(draw_bits(key, c + 1))
        draws[1, t] = bits_to_uniform(draw_bits(key, c + 2))
        draws[2, t], draws[3, t] = disc_point(draw_bits(key, c + 3))


@njit(**JIT)
def _factor(statistics, count, inv_k):
    """Final-state factor of a bin holding ``count`` markers (K = 1 / inv_k fill it)."""
    if statistics == FERMI:
        return max(0.0, 1.0 - count * inv_k)
    return 1.0 + count * inv_k


@njit(**JIT)
def _bose_bound(largest, inv_k):
    """Bound of (1 + f3)(1 + f4) when no bin holds more than ``largest`` markers (f4 may see
    marker 3 in the same bin, hence the + 1)."""
    b = 1.0 + (largest + 1) * inv_k
    return b * b


@njit(**JIT)
def collide_block(local, key, pair_rate, inv_mass, a, beta, alpha, statistics, inv_dp, inv_k,
                  majorant, remainder, tally):
    """NTC collisions among the markers of one cell over one step, their momenta the columns of
    ``local`` (3, n), changed in place: a contiguous block that stays in cache while the
    candidates are drawn (each draw reads two random markers of the cell).

    ``pair_rate`` = w dt / V [s/m^3] (so a pair is a candidate at rate w (sigma g)_max B / V);
    ``majorant`` and ``remainder`` are this cell's (sigma g)_max [m^3/s] and fractional
    candidate; ``tally`` (NTALLY,) int64 receives the counts. Returns (majorant, remainder)."""
    n = local.shape[1]
    if n < 2:
        return majorant, remainder
    quantum = statistics != CLASSICAL
    # the columns of the block, for the functions that take a member list (only where they are
    # called: filling it for every cell of every step would cost a pass of 8 bytes per marker)
    slots = np.arange(n if quantum or not majorant > 0.0 else 0)
    maj = majorant
    if not maj > 0.0:
        maj = initial_majorant(local, slots, inv_mass, a, beta)
        if not maj > 0.0:  # all markers at one velocity: no pair can collide
            return 0.0, remainder
    if quantum:
        cap = table_capacity(n)
        keys = np.empty((cap, 3), np.int64)
        counts = np.empty(cap, np.int64)
        slot_of = np.empty(n, np.int64)
        used, largest = table_fill(local, slots, inv_dp, keys, counts, slot_of)
    else:
        cap = 0
        keys = np.empty((0, 3), np.int64)
        counts = np.empty(0, np.int64)
        slot_of = np.empty(0, np.int64)
        used = 0
        largest = 0
    bound = 1.0
    if statistics == BOSE:
        bound = _bose_bound(largest, inv_k)
    budget = remainder + 0.5 * n * (n - 1) * pair_rate * maj * bound
    candidates = 0
    events = 0
    clipped = 0
    accepted = 0
    pick_a = np.empty(BATCH, np.uint64)  # unsigned: no wraparound test on the loads
    pick_b = np.empty(BATCH, np.uint64)
    draws = np.empty((4, BATCH))
    first = 0
    while budget >= 1.0:
        # the budget never falls below 1 inside a batch: it shrinks by 1 per candidate at most
        count = min(int(budget), BATCH)
        draw_batch(key, first, count, n, pick_a, pick_b, draws)
        for t in range(count):
            budget -= 1.0
            candidates += 1
            ka = pick_a[t]
            kb = pick_b[t]
            u = draws[0, t]
            a0 = local[0, ka]
            a1 = local[1, ka]
            a2 = local[2, ka]
            b0 = local[0, kb]
            b1 = local[1, kb]
            b2 = local[2, kb]
            d0 = a0 - b0
            d1 = a1 - b1
            d2 = a2 - b2
            g2 = (d0 * d0 + d1 * d1 + d2 * d2) * (inv_mass * inv_mass)
            if beta == 1.0:
                # hard spheres: compare g^2 with (u (sigma g)_max / a)^2, no square root unless
                # the pair exceeds the majorant
                tm = maj / a
                if g2 > tm * tm:
                    sg = a * math.sqrt(g2)
                elif not g2 > (u * tm) * (u * tm):
                    continue
                else:
                    sg = 0.0
            else:
                sg = sigma_g(math.sqrt(g2), a, beta)
                if not sg > maj and not u * maj < sg:
                    continue
            if sg > maj:
                clipped += 1
                budget *= sg / maj  # the rest of the step at the raised candidate rate
                maj = sg
            accepted += 1
            ce, se = azimuth(draws[2, t], draws[3, t], key, DRAWS * (first + t) + 4)
            c0, c1, c2, e0, e1, e2 = scatter_pair(a0, a1, a2, b0, b1, b2, draws[1, t], ce, se,
                                                  alpha)
            if quantum:
                sa = slot_of[ka]
                sb = slot_of[kb]
                x0, x1, x2 = keys[sa, 0], keys[sa, 1], keys[sa, 2]
                y0, y1, y2 = keys[sb, 0], keys[sb, 1], keys[sb, 2]
                m0 = momentum_bin(c0, inv_dp)
                m1 = momentum_bin(c1, inv_dp)
                m2 = momentum_bin(c2, inv_dp)
                r0 = momentum_bin(e0, inv_dp)
                r1 = momentum_bin(e1, inv_dp)
                r2 = momentum_bin(e2, inv_dp)
                same_ma = m0 == x0 and m1 == x1 and m2 == x2
                same_mb = m0 == y0 and m1 == y1 and m2 == y2
                same_ra = r0 == x0 and r1 == x1 and r2 == x2
                same_rb = r0 == y0 and r1 == y1 and r2 == y2
                same_rm = r0 == m0 and r1 == m1 and r2 == m2
                n3 = table_count(keys, counts, m0, m1, m2) - same_ma - same_mb
                n4 = table_count(keys, counts, r0, r1, r2) - same_ra - same_rb + same_rm
                f = _factor(statistics, n3, inv_k) * _factor(statistics, n4, inv_k)
                if statistics == BOSE:
                    f /= bound
                if not uniform(key, DRAWS * (first + t) + 5) < f:
                    continue
                counts[sa] -= 1
                counts[sb] -= 1
                s3, new3 = table_slot(keys, counts, m0, m1, m2)
                counts[s3] += 1
                s4, new4 = table_slot(keys, counts, r0, r1, r2)
                counts[s4] += 1
                slot_of[ka] = s3
                slot_of[kb] = s4
                used += new3 + new4
                largest = max(largest, counts[s3], counts[s4])
                if statistics == BOSE:
                    b = _bose_bound(largest, inv_k)
                    if b > bound:
                        budget *= b / bound
                        bound = b
            local[0, ka] = c0
            local[1, ka] = c1
            local[2, ka] = c2
            local[0, kb] = e0
            local[1, kb] = e1
            local[2, kb] = e2
            events += 1
            if quantum and 2 * used > cap:
                # drop the empty slots: recount the cell (the bound B may stay as it is: it only
                # has to be an upper bound)
                used, largest = table_fill(local, slots, inv_dp, keys, counts, slot_of)
        first += count
    tally[T_CANDIDATES] += candidates
    tally[T_EVENTS] += events
    tally[T_CLIPPED] += clipped
    tally[T_ACCEPTED_CLASSICALLY] += accepted
    return maj, budget


@njit(**JIT)
def collide_cell(momenta, members, key, pair_rate, inv_mass, a, beta, alpha, statistics,
                 inv_dp, inv_k, majorant, remainder, tally, out, offset):
    """:func:`collide_block` on the markers ``members`` (indices into the columns of
    ``momenta``): their momenta gathered into a block, collided, and written to ``out`` (3, *):
    at ``members`` (``out`` may be ``momenta``) if ``offset`` < 0, else to the columns
    ``offset``, ``offset + 1``, ... (the cell's slots in cell order)."""
    n = members.shape[0]
    local = np.empty((3, n))
    for r in range(3):  # a row at a time: independent loads, many in flight
        for k in range(n):
            local[r, k] = momenta[r, uint64(members[k])]
    events = tally[T_EVENTS]
    majorant, remainder = collide_block(local, key, pair_rate, inv_mass, a, beta, alpha,
                                        statistics, inv_dp, inv_k, majorant, remainder, tally)
    if offset >= 0:
        for r in range(3):
            for k in range(n):
                out[r, offset + k] = local[r, k]
    elif tally[T_EVENTS] > events:
        for r in range(3):
            for k in range(n):
                out[r, uint64(members[k])] = local[r, k]
    return majorant, remainder


@njit(**JIT_PARALLEL)
def collide(momenta, order, start, key, pair_rate, inv_mass, a, beta, alpha, statistics,
            inv_dp, inv_k, majorant, remainder, tally, out, in_cell_order):
    """NTC binary collisions in every cell (parallel over cells).

    ``momenta`` (3, capacity); the markers of cell c are ``order[start[c]:start[c+1]]``;
    ``key`` the step's stream key; ``majorant``, ``remainder`` (ncell,) are updated;
    ``tally`` (ncell, NTALLY) int64 is overwritten. The new momenta go to ``out``: in place
    (``out`` may be ``momenta``) or, if ``in_cell_order``, in the order of ``order`` (column j
    of ``out`` is marker ``order[j]``, also for the markers of no cell listed after the cells).
    See :func:`collide_cell`."""
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        for k in range(NTALLY):
            tally[c, k] = 0
        members = order[start[c]:start[c + 1]]
        majorant[c], remainder[c] = collide_cell(
            momenta, members, stream_key(key, c, 0), pair_rate, inv_mass, a, beta, alpha,
            statistics, inv_dp, inv_k, majorant[c], remainder[c], tally[c], out,
            start[c] if in_cell_order else -1)
    if in_cell_order:
        for r in range(3):
            for j in prange(start[ncell], order.shape[0]):
                out[r, j] = momenta[r, uint64(order[j])]
    return tally


@njit(**JIT_PARALLEL)
def weight_range(w, n):
    """(min, max) of the first ``n`` weights (n >= 1). First a count of the weights unlike the
    first, a loop that vectorises (the min/max reduction does not, without fastmath); the
    min/max pass only if that count is not zero, as in :func:`pmc._kernels.cells.sort_markers`
    (min and max reductions are exact, so the result does not depend on the threads)."""
    w0 = w[0]
    unequal = 0
    for i in prange(n):
        unequal += w[i] != w0
    if unequal == 0:
        return w0, w0
    lo = np.inf
    hi = -np.inf
    for i in prange(n):
        lo = min(lo, w[i])
        hi = max(hi, w[i])
    return lo, hi
