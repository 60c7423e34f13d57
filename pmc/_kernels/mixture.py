"""Binary collisions in a gas mixture: Bird's no-time-counter scheme per pair of species, VHS/VSS
cross sections per pair, statistical weights per species, and Larsen-Borgnakke exchange of
rotational energy (the kernels of :class:`pmc.collisions.BinaryMixture`).

Per cell and per pair of species (p, q), p <= q, with N_p, N_q markers of weights w_p, w_q, a
step draws

    N_cand = P_pq max(w_p, w_q) (sigma g)_max,pq dt / V + remainder_pq

candidate pairs, P_pq = N_p (N_p - 1) / 2 (p = q) or N_p N_q (p != q) being the number of marker
pairs, each a uniform pick of one marker of each species (two distinct ones if p = q), accepted
with probability sigma_pq(g) g / (sigma g)_max,pq; the fractional candidate is carried to the
next step, and the majorant of each (cell, pair) is kept and raised whenever a candidate exceeds
it (as SPARTA's ``CollideVSS::attempt_collision(icell, igroup, jgroup, volume)`` with
``vremax[icell][igroup][jgroup]`` and ``remain``, src/collide_vss.cpp). Cross sections are power
laws sigma g = a g^beta of the relative speed g = |v_1 - v_2|.

An accepted pair (masses m_1, m_2, reduced mass mu) keeps its centre-of-mass velocity
V = (p_1 + p_2) / (m_1 + m_2). Its relative translational energy E_t = mu g^2 / 2 is first shared
with the rotational energy e of each diatomic partner in turn (Larsen-Borgnakke, serial as in
SPARTA's ``EEXCHANGE_NonReactingEDisposal``): with probability P the pool E = E_t + e is split as
e' = R E, E_t' = E - e', R drawn from the equilibrium distribution of the fraction of a pool
shared by 2 rotational and 2 (5/2 - omega) relative translational degrees of freedom,
R = 1 - u^(1 / (5/2 - omega)) (Borgnakke and Larsen, J. Comput. Phys. 18, 405 (1975); Bird 1994,
section 5.6). The relative velocity is then turned (isotropic, or VSS: cos chi = 2 u^(1/alpha) - 1
about its old direction) and scaled to |g'| = sqrt(2 E_t' / mu): p_1' = m_1 V + mu g',
p_2' = m_2 V - mu g'. Momentum and total energy are conserved pair by pair to round-off.

Unequal weights (Bird's species weighting factors, G. A. Bird 1994 and his DS2V program):
a collision of markers of weights w_L > w_S stands for w_S physical collisions, so the marker
of the smaller weight always takes its post-collision state and the marker of the larger one
only with probability f = w_S / w_L (both are candidates at the rate of w_L). The physical
momentum and energy are then conserved on average only: each collision changes them by
(w_L - w_S) dp_L (taken) or -w_S dp_L (kept), zero on average. Boyd's alternative (J. Spacecraft
Rockets 33, 58 (1996)), moving the larger-weight marker the fraction f of the way,
p_L <- p_L + f (p_L' - p_L), conserves the momentum pair by pair but loses the energy
w_L f (1 - f) |p_L' - p_L|^2 / (2 m_L); returned to the species by scaling its thermal
motion it left a He-Ar mixture with species temperatures 4 % apart at equilibrium (the
averaging makes the larger-weight species' velocities non-Maxwellian). pmc uses Bird's unbiased
scheme and then restores each cell's momentum and energy at the end of its step: every
momentum shifted by m dP / sum(w m) and then scaled about the cell's mass velocity u,
p <- m u + s (p - m u), s fixing the total energy (translation plus rotation) to its value
before the step. With unequal weights momentum and energy are so conserved per cell and step to
round-off (the corrections are zero-mean noise of order N^(-1/2)); with equal weights nothing
is corrected and both are conserved pair by pair.

Rotational relaxation: the probability P of a partner's exchange is set so that the
Landau-Teller relaxation time of the gas is Z tau_c, Z the relaxation number given (constant or
Parker's Z(T)). For the serial scheme above, a collision of two diatomic particles at
translational temperature T and rotational T_r changes the mean rotational energy of a partner
by P b (1 - c P) k (T - T_r) with b = a / (1 + a), c = 1 / (2 (1 + a)), a = 5/2 - omega
(the first partner: P b k (T - T_r); the second sees the pool its predecessor left), so
P b (1 - c P) = 1 / Z; against a partner without rotation, P b = 1 / Z. P is clipped at 1 below
the smallest Z the scheme reaches (1 / (b (1 - c)), 1.9 for nitrogen). The need for such a
correction: Lumpkin, Haas and Boyd, Phys. Fluids A 3, 2282 (1991).

Random numbers: cell c draws from stream_key(key, c, 0); candidate j of pair (p, q) of that cell
owns the draws DRAWS (j + offset_pq) .. + DRAWS - 1, offset_pq = pq * 2^40, whether it uses them
or not: the pick, the sigma g test, the polar angle, the azimuth (two), for each partner the
relaxation test and the fraction R, and the test of the larger-weight marker's update.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import JIT, JIT_PARALLEL
from .dsmc import azimuth, disc_point, scatter_pair
from .rng import draw_bits, stream_key, uniform

# species table columns
S_MASS, S_WEIGHT, S_ROT_DOF, S_RELAX, S_Z, S_T_STAR = range(6)
NSPECIES_PRM = 6
# relaxation models
NO_RELAXATION, CONSTANT_Z, PARKER = 0, 1, 2
# pair table columns
P_A, P_BETA, P_ALPHA, P_OMEGA, P_MU = range(5)
NPAIR_PRM = 5
# tally columns, per cell and pair p * S + q
T_CANDIDATES, T_EVENTS, T_CLIPPED, T_RELAXATIONS = 0, 1, 2, 3
NTALLY = 4
DRAWS = 10
_PAIR_STRIDE = 1 << 40
_LOW32 = uint64(0xFFFFFFFF)
_PARKER_1 = 0.5 * math.pi ** 1.5
_PARKER_2 = math.pi + 0.25 * math.pi * math.pi


@njit(**JIT)
def parker(z_inf, t_star, t):
    """Parker's rotational relaxation number Z(T) = Z_inf / (1 + (pi^(3/2) / 2) (T*/T)^(1/2)
    + (pi + pi^2 / 4) T*/T) (J. G. Parker, Phys. Fluids 2, 449 (1959)); ``t_star`` and ``t``
    as energies k T [J]."""
    r = t_star / t
    return z_inf / (1.0 + _PARKER_1 * math.sqrt(r) + _PARKER_2 * r)


@njit(**JIT)
def exchange_probability(z, omega, partner_rotates):
    """Probability of a partner's Larsen-Borgnakke exchange that gives the relaxation number
    ``z`` (see the module docstring), for a pair of VHS exponent ``omega``."""
    a = 2.5 - omega
    b = a / (1.0 + a)
    if not partner_rotates:
        return min(1.0, 1.0 / (b * z))
    c = 0.5 / (1.0 + a)
    disc = 1.0 - 4.0 * c / (b * z)
    if disc <= 0.0:
        return 1.0
    return min(1.0, (1.0 - math.sqrt(disc)) / (2.0 * c))


@njit(**JIT)
def _relax(sp, s, e, etrans, omega, partner_rotates, key, counter):
    """(e', E_t', relaxed) for a partner of species ``s`` with rotational energy ``e`` and the
    pair's relative translational energy ``etrans`` [J]."""
    if sp[s, S_ROT_DOF] == 0.0:
        return e, etrans, False
    mode = sp[s, S_RELAX]
    if mode == CONSTANT_Z:
        z = sp[s, S_Z]
    else:  # PARKER, at the temperature of the pool (Bird 2013 eq. 3.32; SPARTA rotrel())
        pool_t = (etrans + e) / (2.5 - omega + 0.5 * sp[s, S_ROT_DOF])
        z = parker(sp[s, S_Z], sp[s, S_T_STAR], pool_t) if pool_t > 0.0 else 1.0
    if not uniform(key, counter) < exchange_probability(z, omega, partner_rotates):
        return e, etrans, False
    pool = etrans + e
    r = 1.0 - uniform(key, counter + 1) ** (1.0 / (2.5 - omega))
    e_new = r * pool
    return e_new, pool - e_new, True


@njit(**JIT)
def _group_majorant(local, lo_a, hi_a, lo_b, hi_b, sp, s_a, s_b, a, beta):
    """A first (sigma g)_max for the pair of species groups [lo_a, hi_a), [lo_b, hi_b) of a
    block: sigma g at g0 = 3 sqrt(var_a + var_b + |<v_a> - <v_b>|^2), var the mean squared
    deviation of a group's velocities from their mean."""
    ma = sp[s_a, S_MASS]
    mb = sp[s_b, S_MASS]
    mean_a = np.zeros(3)
    mean_b = np.zeros(3)
    for k in range(lo_a, hi_a):
        for r in range(3):
            mean_a[r] += local[r, k] / ma
    for k in range(lo_b, hi_b):
        for r in range(3):
            mean_b[r] += local[r, k] / mb
    var = 0.0
    for r in range(3):
        mean_a[r] /= hi_a - lo_a
        mean_b[r] /= hi_b - lo_b
        var += (mean_a[r] - mean_b[r]) ** 2
    var_a = 0.0
    for k in range(lo_a, hi_a):
        for r in range(3):
            var_a += (local[r, k] / ma - mean_a[r]) ** 2
    var_b = 0.0
    for k in range(lo_b, hi_b):
        for r in range(3):
            var_b += (local[r, k] / mb - mean_b[r]) ** 2
    var += var_a / (hi_a - lo_a) + var_b / (hi_b - lo_b)
    g0 = 3.0 * math.sqrt(var)
    if g0 <= 0.0:
        return 0.0
    return a * g0 ** beta


@njit(**JIT)
def collide_cell(momenta, state, w, internal, has_internal, members, key, dt_over_volume, sp,
                 pair, majorant, remainder, tally, unequal):
    """NTC collisions of one cell's markers ``members`` over one step (see the module
    docstring), momenta (3, *) [kg m/s] and internal energies [J] updated in place.

    ``majorant``, ``remainder`` (S * S,) this cell's (sigma g)_max [m^3/s] and fractional
    candidates of the pairs p * S + q, p <= q (updated); ``tally`` (S * S, NTALLY) receives the
    counts; ``unequal`` tells that the species' weights differ. Returns the number of markers whose weight differs from their species' (or whose
    state is not a species): nothing is collided then."""
    n = members.shape[0]
    nsp = sp.shape[0]
    counts = np.zeros(nsp + 1, np.int64)
    bad = 0
    for k in range(n):
        i = members[k]
        s = state[i]
        if s < 0 or s >= nsp or w[i] != sp[s, S_WEIGHT]:
            bad += 1
        else:
            counts[s + 1] += 1
    if bad or n < 2:
        return bad
    for s in range(nsp):  # group offsets
        counts[s + 1] += counts[s]
    local = np.empty((3, n))
    energy = np.zeros(n)
    index = np.empty(n, np.int64)
    fill = counts[:nsp].copy()
    for k in range(n):
        i = members[k]
        s = state[i]
        j = fill[s]
        fill[s] += 1
        index[j] = i
        for r in range(3):
            local[r, j] = momenta[r, i]
        if has_internal:
            energy[j] = internal[i]
    events = 0
    # the cell's momentum and energy before the step, for the correction of unequal weights
    momentum0 = np.zeros(3)
    energy0 = 0.0
    if unequal:
        momentum0, energy0 = _totals(local, energy, counts, sp)
    for p in range(nsp):
        np_ = counts[p + 1] - counts[p]
        if np_ == 0:
            continue
        for q in range(p, nsp):
            nq = counts[q + 1] - counts[q]
            pairs = 0.5 * np_ * (np_ - 1) if p == q else float(np_ * nq)
            if pairs <= 0.0:
                continue
            pq = p * nsp + q
            a = pair[p, q, P_A]
            beta = pair[p, q, P_BETA]
            alpha = pair[p, q, P_ALPHA]
            omega = pair[p, q, P_OMEGA]
            mu = pair[p, q, P_MU]
            ma = sp[p, S_MASS]
            mb = sp[q, S_MASS]
            wa = sp[p, S_WEIGHT]
            wb = sp[q, S_WEIGHT]
            rot_a = sp[p, S_ROT_DOF] > 0.0
            rot_b = sp[q, S_ROT_DOF] > 0.0
            lo_a = counts[p]
            lo_b = counts[q]
            maj = majorant[pq]
            if not maj > 0.0:
                maj = _group_majorant(local, lo_a, lo_a + np_, lo_b, lo_b + nq, sp, p, q, a,
                                      beta)
                if not maj > 0.0:
                    continue
            budget = remainder[pq] + pairs * max(wa, wb) * maj * dt_over_volume
            total_mass = ma + mb
            j = 0
            while budget >= 1.0:
                budget -= 1.0
                c = DRAWS * (j + pq * _PAIR_STRIDE)
                j += 1
                bits = draw_bits(key, c)
                if p == q:
                    ka = ((bits >> uint64(32)) * uint64(np_)) >> uint64(32)
                    kb = ((bits & _LOW32) * uint64(np_ - 1)) >> uint64(32)
                    kb += uint64(kb >= ka)
                else:
                    ka = ((bits >> uint64(32)) * uint64(np_)) >> uint64(32)
                    kb = ((bits & _LOW32) * uint64(nq)) >> uint64(32)
                ia = lo_a + np.int64(ka)
                ib = lo_b + np.int64(kb)
                a0 = local[0, ia]
                a1 = local[1, ia]
                a2 = local[2, ia]
                b0 = local[0, ib]
                b1 = local[1, ib]
                b2 = local[2, ib]
                g0 = a0 / ma - b0 / mb
                g1 = a1 / ma - b1 / mb
                g2 = a2 / ma - b2 / mb
                gsq = g0 * g0 + g1 * g1 + g2 * g2
                g = math.sqrt(gsq)
                if beta == 1.0:
                    sg = a * g
                elif beta == 0.0:
                    sg = a
                else:
                    sg = a * g ** beta if g > 0.0 else 0.0
                if sg > maj:
                    tally[pq, T_CLIPPED] += 1
                    budget *= sg / maj  # the rest of the step at the raised candidate rate
                    maj = sg
                elif not uniform(key, c + 1) * maj < sg:
                    continue
                # centre-of-mass velocity and relative translational energy
                u0 = (a0 + b0) / total_mass
                u1 = (a1 + b1) / total_mass
                u2 = (a2 + b2) / total_mass
                etrans = 0.5 * mu * gsq
                ea = energy[ia]
                eb = energy[ib]
                ea_new, etrans, relaxed_a = _relax(sp, p, ea, etrans, omega, rot_b, key, c + 5)
                eb_new, etrans, relaxed_b = _relax(sp, q, eb, etrans, omega, rot_a, key, c + 7)
                tally[pq, T_RELAXATIONS] += relaxed_a + relaxed_b
                x, y = disc_point(draw_bits(key, c + 3))
                ce, se = azimuth(x, y, key, c + 4)
                n0, n1, n2, _, _, _ = scatter_pair(g0, g1, g2, -g0, -g1, -g2,
                                                   uniform(key, c + 2), ce, se, alpha)
                scale = mu * math.sqrt(2.0 * etrans / mu) / g if g > 0.0 else 0.0
                n0 *= scale  # mu g'
                n1 *= scale
                n2 *= scale
                c0 = ma * u0 + n0
                c1 = ma * u1 + n1
                c2 = ma * u2 + n2
                e0 = mb * u0 - n0
                e1 = mb * u1 - n1
                e2 = mb * u2 - n2
                if wa > wb:  # the heavier marker takes its new state with probability f
                    if not uniform(key, c + 9) * wa < wb:
                        c0, c1, c2, ea_new = a0, a1, a2, ea
                elif wb > wa:
                    if not uniform(key, c + 9) * wb < wa:
                        e0, e1, e2, eb_new = b0, b1, b2, eb
                local[0, ia] = c0
                local[1, ia] = c1
                local[2, ia] = c2
                local[0, ib] = e0
                local[1, ib] = e1
                local[2, ib] = e2
                energy[ia] = ea_new
                energy[ib] = eb_new
                events += 1
                tally[pq, T_EVENTS] += 1
            tally[pq, T_CANDIDATES] += j
            majorant[pq] = maj
            remainder[pq] = budget
    if unequal and events:
        _conserve(local, energy, counts, sp, momentum0, energy0)
    if events:
        for k in range(n):
            i = index[k]
            for r in range(3):
                momenta[r, i] = local[r, k]
            if has_internal:
                internal[i] = energy[k]
    return 0


@njit(**JIT)
def _totals(local, energy, counts, sp):
    """(momentum (3,) [kg m/s], energy [J]) of the physical molecules of a block."""
    momentum = np.zeros(3)
    total = 0.0
    for s in range(sp.shape[0]):
        w = sp[s, S_WEIGHT]
        half_inv_m = 0.5 / sp[s, S_MASS]
        for k in range(counts[s], counts[s + 1]):
            p0 = local[0, k]
            p1 = local[1, k]
            p2 = local[2, k]
            momentum[0] += w * p0
            momentum[1] += w * p1
            momentum[2] += w * p2
            total += w * ((p0 * p0 + p1 * p1 + p2 * p2) * half_inv_m + energy[k])
    return momentum, total


@njit(**JIT)
def _conserve(local, energy, counts, sp, momentum0, energy0):
    """Give a block back its momentum ``momentum0`` and energy ``energy0`` (see the module
    docstring): shift, then scale about the mass velocity (and, if the thermal energy cannot
    take the whole correction, the rotational energies by the same factor squared)."""
    nsp = sp.shape[0]
    momentum, _ = _totals(local, energy, counts, sp)
    wm = 0.0
    internal = 0.0
    for s in range(nsp):
        w = sp[s, S_WEIGHT]
        wm += w * sp[s, S_MASS] * (counts[s + 1] - counts[s])
        for k in range(counts[s], counts[s + 1]):
            internal += w * energy[k]
    u = np.empty(3)
    shift = np.empty(3)
    for r in range(3):
        u[r] = momentum0[r] / wm
        shift[r] = (momentum0[r] - momentum[r]) / wm
    thermal = 0.0
    for s in range(nsp):
        w = sp[s, S_WEIGHT]
        m = sp[s, S_MASS]
        for k in range(counts[s], counts[s + 1]):
            for r in range(3):
                local[r, k] += m * shift[r]
                d = local[r, k] - m * u[r]
                thermal += w * d * d / (2.0 * m)
    target = energy0 - internal - 0.5 * (momentum0[0] ** 2 + momentum0[1] ** 2
                                         + momentum0[2] ** 2) / wm
    scale_internal = 1.0
    if not target > 0.0:  # (a small cell) the rotational energies share the scaling
        target += internal
        thermal += internal
        if not (target > 0.0 and thermal > 0.0):
            return
        scale_internal = target / thermal
    elif not thermal > 0.0:
        return
    f = math.sqrt(target / thermal)
    for s in range(nsp):
        m = sp[s, S_MASS]
        for k in range(counts[s], counts[s + 1]):
            for r in range(3):
                local[r, k] = m * u[r] + f * (local[r, k] - m * u[r])
            energy[k] *= scale_internal


@njit(**JIT_PARALLEL)
def collide(momenta, state, w, internal, has_internal, order, start, key, dt_over_volume, sp,
            pair, majorant, remainder, tally, bad):
    """Mixture collisions in every cell (parallel over cells): the markers of cell c are
    ``order[start[c]:start[c + 1]]``; ``majorant``, ``remainder`` (ncell, S * S) are updated,
    ``tally`` (ncell, S * S, NTALLY) and ``bad`` (ncell,) overwritten. See
    :func:`collide_cell`."""
    ncell = start.shape[0] - 1
    unequal = sp[:, S_WEIGHT].min() != sp[:, S_WEIGHT].max()
    for c in prange(ncell):
        tally[c, :, :] = 0
        bad[c] = collide_cell(momenta, state, w, internal, has_internal,
                              order[start[c]:start[c + 1]], stream_key(key, c, 0),
                              dt_over_volume, sp, pair, majorant[c], remainder[c], tally[c],
                              unequal)
