"""Continuous-momentum scattering of markers by the null-collision (self-scattering) technique.

A mechanism is encoded as ``(mkind, mprm)``:

==========  ====  ==============================================  ===========================
mechanism   kind  mprm                                            processes (rates [1/s])
==========  ====  ==============================================  ===========================
elastic     0     [rate]                                          0: rate
acoustic    1     [A = 2 pi D^2 kT / (hbar rho v_s^2)]            0: A g(eps)
optical     2     [B_abs, B_em, hbar w] (B = pi D_o^2 N / rho w)  0: B_abs g(eps + hbar w),
                                                                  1: B_em g(eps - hbar w)
impurity    3     [C = (2 pi / hbar) N_I (4 pi C_U)^2, beta^2]    0: C g(eps) I_d(k)
==========  ====  ==============================================  ===========================

g(eps) is the density of final states per unit volume of the ``d``-dimensional momentum space
and per spin (:func:`shell_dos`) of a parabolic or Kane band, eps (1 + alpha eps) = p^2 / 2m;
I_3(k) = 1 / (beta^2 (beta^2 + 4 k^2)) and I_1(k) = 1 / (2 (beta^2 + 4 k^2)^2) are the Brooks-
Herring angular averages (k = |p| / hbar). The band energy of a momentum is always the
Hamiltonian's own :func:`pmc._kernels.models.energy`, so energies before and after an event are
computed by the same function the push uses.

Null collisions (H. D. Rees, J. Phys. Chem. Solids 30, 643 (1969); C. Jacoboni and L. Reggiani,
Rev. Mod. Phys. 55, 645 (1983), section III.C; the same device as the "null collision" of the
DSMC and plasma codes, e.g. SPARTA's no-time-counter collision loop): the candidate events of a
marker form a Poisson process of a constant rate M, its cell's majorant; a candidate at state p
is the real process j with probability Gamma_j(p) / M and a self-scattering (nothing happens)
otherwise. This samples the jump process of the rates Gamma_j(p) exactly for any dt, because the
momentum does not change between events (the driver pushes before and after, Strang splitting).

The majorant of a cell is a table over energy bands, as the piecewise-constant majorants of
R. M. Yorston, J. Comput. Phys. 64, 177 (1986): at the start of the step, M_c(b) is the largest
total rate among the cell's markers whose energy lies in band b, the bands being octaves of a
reference energy of the mechanism (hbar w, kT, ...; :func:`energy_band`). A single number per
cell would be exact too, but in one dimension the density of states diverges at the band edge
(g_1 ~ 1 / |p|) and the largest rate among N markers grows like N; per octave the majorant is
within a factor sqrt(2) of the rates it bounds. After a real event the marker's majorant becomes that of its new band, or its own new
rate if larger (a state no marker had at the start of the step); this is exact as well, since
the Poisson process has no memory.

Random numbers: each candidate event uses :data:`STRIDE` consecutive counters of one stream,
keyed by (mechanism key, step, marker) for independent markers or (mechanism key, step, cell)
when the markers of a cell interact through Pauli blocking; so results are bitwise independent
of the number of threads.
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from . import models
from .cells import flat_cell
from .occupation import (momentum_bins, table_capacity, table_fill, table_find,
                         table_slot)
from .geometry import on_sphere
from .rng import stream_key, uniform, uniform_open
from .vecmath import double_to_bits

ELASTIC, ACOUSTIC, OPTICAL, IMPURITY = 0, 1, 2, 3
#: Counters reserved per candidate event.
STRIDE = 8
#: Energy bands of the majorant table per cell: band b >= 1 holds energies in
#: [2^(b - 1 - BAND0), 2^(b - BAND0)) times the reference energy; band 0 everything below.
NBAND = 64
BAND0 = 40
_BAND_LO = 2.0 ** -BAND0
_BAND_HI = 2.0 ** (NBAND - 1 - BAND0)
#: Columns of the tally: events of process 0 and 1, Pauli-blocked events, candidate events.
NTALLY = 4
_TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------- rates
@njit(**models.SCALAR)
def momentum_of_energy(mass, alpha, eps):
    """|p| [kg m/s] on the shell of energy ``eps`` [J] of a Kane band (alpha = 0: parabolic)."""
    if eps <= 0.0:
        return 0.0
    return math.sqrt(2.0 * mass * eps * (1.0 + alpha * eps))


@njit(**models.SCALAR)
def shell_dos(d, mass, alpha, hbar, eps):
    """Density of states per spin and per unit ``d``-volume at energy ``eps`` [1/(J m^d)]:
    g_d = S_d p^(d-1) / ((2 pi hbar)^d v) with v = p / (m (1 + 2 alpha eps)) and S_d = 2, 2 pi,
    4 pi. Zero for eps <= 0 (and at p = 0 in one dimension, where only the state itself is left).
    """
    if eps <= 0.0:
        return 0.0
    h = _TWO_PI * hbar
    fac = mass * (1.0 + 2.0 * alpha * eps)
    if d == 3:
        return 2.0 * _TWO_PI * momentum_of_energy(mass, alpha, eps) * fac / (h * h * h)
    elif d == 2:
        return _TWO_PI * fac / (h * h)
    p = momentum_of_energy(mass, alpha, eps)
    if p == 0.0:
        return 0.0
    return 2.0 * fac / (h * p)


@njit(**models.SCALAR)
def process_rates(mkind, mprm, d, mass, alpha, hbar, eps, pmag):
    """(Gamma_0, Gamma_1) [1/s] of a marker of energy ``eps`` [J] and momentum ``pmag``."""
    if mkind == ELASTIC:
        return mprm[0], 0.0
    elif mkind == ACOUSTIC:
        return mprm[0] * shell_dos(d, mass, alpha, hbar, eps), 0.0
    elif mkind == OPTICAL:
        hw = mprm[2]
        return (mprm[0] * shell_dos(d, mass, alpha, hbar, eps + hw),
                mprm[1] * shell_dos(d, mass, alpha, hbar, eps - hw))
    # IMPURITY
    k = pmag / hbar
    b2 = mprm[1]
    s = b2 + 4.0 * k * k
    g = shell_dos(d, mass, alpha, hbar, eps)
    if d == 3:
        return mprm[0] * g / (b2 * s), 0.0
    return mprm[0] * g * 0.5 / (s * s), 0.0  # d == 1: back-scattering only


@njit(**JIT)
def rates_of_energy(mkind, mprm, d, mass, alpha, hbar, eps, out):
    """out[j, i] = Gamma_j(eps[i]) on the shell |p| = p(eps) (array version, for the physics
    layer)."""
    for i in range(eps.shape[0]):
        pm = momentum_of_energy(mass, alpha, eps[i])
        r0, r1 = process_rates(mkind, mprm, d, mass, alpha, hbar, eps[i], pm)
        out[0, i] = r0
        out[1, i] = r1
    return out


# ----------------------------------------------------------------------------- the event step
@njit(**models.SCALAR)
def candidate_process(key, ctr, majorant, r0, r1):
    """What a candidate event of rate ``majorant`` is: process 0 or 1 with probabilities
    r0 / majorant and r1 / majorant, else -1 (a null collision). Draw ``ctr``. The one event
    step of every scattering loop."""
    u = uniform(key, ctr) * majorant
    if u < r0:
        return 0
    if u < r0 + r1:
        return 1
    return -1


# ----------------------------------------------------------------------------- final states
@njit(**models.SCALAR)
def isotropic(d, pmag, key, ctr):
    """A momentum of length ``pmag`` in a uniformly random direction of the d-sphere: a random
    sign (d = 1), a uniform angle (d = 2), cos(theta) uniform in [-1, 1] (d = 3). Draws
    ``ctr``, ``ctr + 1``."""
    if d == 1:
        return (pmag if uniform(key, ctr) < 0.5 else -pmag), 0.0, 0.0
    phi = _TWO_PI * uniform(key, ctr + 1)
    if d == 2:
        return pmag * math.cos(phi), pmag * math.sin(phi), 0.0
    return on_sphere(pmag, 2.0 * uniform(key, ctr) - 1.0, math.cos(phi), math.sin(phi))


@njit(**models.SCALAR)
def rotate(p0, p1, p2, c, phi, pmag):
    """The vector of length ``pmag`` at polar angle arccos(c) and azimuth ``phi`` about the
    direction of (p0, p1, p2) (non-zero)."""
    norm = math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
    n0, n1, n2 = p0 / norm, p1 / norm, p2 / norm
    # e1 = unit vector orthogonal to n, built from the axis least aligned with n
    if abs(n2) < 0.9:
        a0, a1, a2 = n1, -n0, 0.0  # n x z
    else:
        a0, a1, a2 = 0.0, n2, -n1  # n x x
    an = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    a0, a1, a2 = a0 / an, a1 / an, a2 / an
    b0 = n1 * a2 - n2 * a1  # e2 = n x e1
    b1 = n2 * a0 - n0 * a2
    b2 = n0 * a1 - n1 * a0
    s = math.sqrt(max(0.0, 1.0 - c * c))
    cp, sp = s * math.cos(phi), s * math.sin(phi)
    return (pmag * (c * n0 + cp * a0 + sp * b0), pmag * (c * n1 + cp * a1 + sp * b1),
            pmag * (c * n2 + cp * a2 + sp * b2))


@njit(**models.SCALAR)
def brooks_herring_cos(k, beta2, r):
    """cos(theta) of a Brooks-Herring event from a uniform ``r``: the density
    ~ 1 / (2 k^2 (1 - cos) + beta^2)^2 inverted exactly,
    cos = 1 - 2 r / (1 + 4 k^2 (1 - r) / beta^2) (Jacoboni and Reggiani 1983, section III.B)."""
    return 1.0 - 2.0 * r / (1.0 + 4.0 * k * k * (1.0 - r) / beta2)


@njit(**models.SCALAR)
def final_momentum(mkind, mprm, proc, d, mass, alpha, hbar, eps, p0, p1, p2, key, ctr):
    """Momentum after an event of process ``proc`` from (p0, p1, p2) of energy ``eps``. Uses
    draws ``ctr`` .. ``ctr + 2``."""
    pmag = math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
    if mkind == ELASTIC or mkind == ACOUSTIC:
        return isotropic(d, pmag, key, ctr)
    elif mkind == OPTICAL:
        e_new = eps + mprm[2] if proc == 0 else eps - mprm[2]
        return isotropic(d, momentum_of_energy(mass, alpha, e_new), key, ctr)
    # IMPURITY: elastic, screened-Coulomb angular distribution
    if d == 1:
        return -p0, 0.0, 0.0
    if pmag == 0.0:
        return 0.0, 0.0, 0.0
    c = brooks_herring_cos(pmag / hbar, mprm[1], uniform(key, ctr))
    return rotate(p0, p1, p2, c, _TWO_PI * uniform(key, ctr + 1), pmag)


@njit(**models.SCALAR)
def _store(momenta, i, d, q0, q1, q2):
    momenta[0, i] = q0
    if d > 1:
        momenta[1, i] = q1
    if d > 2:
        momenta[2, i] = q2


@njit(**models.SCALAR)
def rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2):
    """(eps, Gamma_0, Gamma_1) of the momentum (p0, p1, p2)."""
    eps = models.energy(bkind, bprm, p0, p1, p2)
    r0, r1 = process_rates(mkind, mprm, d, mass, alpha, hbar, eps,
                           math.sqrt(p0 * p0 + p1 * p1 + p2 * p2))
    return eps, r0, r1


# ----------------------------------------------------------------------------- majorants
@njit(**models.SCALAR)
def energy_band(eps, inv_ref):
    """Band of the majorant table holding energy ``eps``: 1 + BAND0 + floor(log2(eps / ref)),
    clamped to 0 .. NBAND - 1; band 0 also holds eps <= 0 (and NaN). ``inv_ref`` > 0."""
    x = eps * inv_ref
    # for a normal x = m 2^e (m in [0.5, 1)), floor(log2(x)) = e - 1 = its biased exponent
    # - 1023: read from the bits (as math.frexp would give it) and clamped by selects, so that
    # the loops calling this vectorise
    b = (double_to_bits(x) >> 52) - 1022 + BAND0
    b = b if x < _BAND_HI else NBAND - 1
    return b if (eps > 0.0) & (x >= _BAND_LO) else 0


@njit(**models.SCALAR)
def _rates_range(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, d, start, stop, inv_ref,
                 rate, band):
    """:func:`marker_rates` of markers start..stop-1; inlined into branches where the codes
    are constants, so that each such loop compiles without the others' branches and
    vectorises."""
    for i in range(start, stop):
        p0, p1, p2 = models.column(momenta, i, d)
        eps, r0, r1 = rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2)
        rate[i] = r0 + r1
        band[i] = energy_band(eps, inv_ref)


@njit(**JIT_PARALLEL)
def marker_rates(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, n, inv_ref, rate, band):
    """rate[i] = total rate of marker i [1/s], band[i] its energy band (parallel over blocks of
    markers; each marker's values depend on it alone)."""
    d = momenta.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        start = blk * BLOCK
        stop = min(n, start + BLOCK)
        # the common cases with constant codes (vectorised loops), then the general loop
        if mkind == ELASTIC and bkind == models.PARABOLIC and d == 3:
            _rates_range(ELASTIC, mprm, models.PARABOLIC, bprm, mass, alpha, hbar, momenta, 3,
                         start, stop, inv_ref, rate, band)
        elif mkind == ELASTIC and bkind == models.PARABOLIC and d == 1:
            _rates_range(ELASTIC, mprm, models.PARABOLIC, bprm, mass, alpha, hbar, momenta, 1,
                         start, stop, inv_ref, rate, band)
        else:
            _rates_range(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, d, start, stop,
                         inv_ref, rate, band)
    return rate


@njit(**JIT)
def cell_band_table(cell, band, rate, n, table):
    """table[c, b] = the largest ``rate`` among the markers of cell c in energy band b (0 where
    none): the cells' majorants. ``table`` (ncell, NBAND) is zeroed first. A max is exact in any
    order, so this one pass over the markers gives the same table for any thread count."""
    table[:, :] = 0.0
    for i in range(n):
        c = cell[i]
        if c >= 0 and rate[i] > table[c, band[i]]:
            table[c, band[i]] = rate[i]
    return table


@njit(**JIT)  # returns an array: compiled with reference counting
def _cell_table(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, members, inv_ref,
                table):
    """The majorant table (NBAND,) of one cell's markers ``members``."""
    d = momenta.shape[0]
    for b in range(NBAND):
        table[b] = 0.0
    for k in range(members.shape[0]):
        p0, p1, p2 = models.column(momenta, members[k], d)
        eps, r0, r1 = rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2)
        b = energy_band(eps, inv_ref)
        if r0 + r1 > table[b]:
            table[b] = r0 + r1
    return table


@njit(**models.SCALAR)
def _majorant(table, inv_ref, eps, rate):
    """The majorant of a marker of energy ``eps`` and total rate ``rate``: its band's entry, or
    its own rate if that is larger (a state no marker of the cell had at the start of the
    step)."""
    big = table[energy_band(eps, inv_ref)]
    return big if big >= rate else rate


@njit(**models.SCALAR)
def rates_and_majorant(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2, table,
                       inv_ref):
    """(eps, Gamma_0, Gamma_1, majorant) of the momentum (p0, p1, p2) in a cell of band
    majorants ``table``: a marker's rates and majorant after an event (memoryless: the majorant
    may change at an event, Yorston 1986)."""
    eps, r0, r1 = rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2)
    return eps, r0, r1, _majorant(table, inv_ref, eps, r0 + r1)


# ----------------------------------------------------------------------------- scattering
@njit(**JIT_PARALLEL)
def scatter_independent(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, n, cell, band,
                        table, quiet, inv_ref, dt, key, step, tally):
    """One step ``dt`` [s] of null-collision scattering of independent markers (classical
    statistics), parallel over blocks of markers. ``cell[i]`` is marker i's cell (-1: none),
    ``band[i]`` its energy band, ``table`` the cells' majorants (:func:`marker_rates`,
    :func:`cell_band_table`) and ``quiet`` = exp(-table dt), the probability of no candidate
    in the step; ``tally`` (nblock, NTALLY) int64 receives the counts per block. A marker's
    energy and rates are computed only if it has a candidate event in the step."""
    d = momenta.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    for blk in prange(nblock):
        e0 = 0
        e1 = 0
        cand = 0
        start = blk * BLOCK
        stop = min(n, start + BLOCK)
        # every marker's first draw in a loop of its own (straight-line integer hashing: it
        # vectorises), then the few with a candidate event in the step, one at a time
        first = np.empty(stop - start)
        for i in range(start, stop):
            first[i - start] = uniform_open(stream_key(key, step, i), 0)
        for i in range(start, stop):
            c = cell[i]
            if c < 0:
                continue
            u = first[i - start]
            if u <= quiet[c, band[i]]:  # the first candidate time -log(u) / M is past dt
                continue
            mk = stream_key(key, step, i)
            big = table[c, band[i]]
            t = -math.log(u) / big
            p0, p1, p2 = models.column(momenta, i, d)
            eps, r0, r1 = rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2)
            j = 0
            moved = False
            while t < dt:
                base = j * STRIDE
                j += 1
                cand += 1
                proc = candidate_process(mk, base + 1, big, r0, r1)
                if proc >= 0:
                    p0, p1, p2 = final_momentum(mkind, mprm, proc, d, mass, alpha, hbar, eps,
                                                p0, p1, p2, mk, base + 2)
                    moved = True
                    if proc == 0:
                        e0 += 1
                    else:
                        e1 += 1
                    eps, r0, r1, big = rates_and_majorant(mkind, mprm, bkind, bprm, mass,
                                                          alpha, hbar, d, p0, p1, p2, table[c],
                                                          inv_ref)
                    if not big > 0.0:
                        break
                t -= math.log(uniform_open(mk, j * STRIDE)) / big
            if moved:
                _store(momenta, i, d, p0, p1, p2)
        tally[blk, 0] = e0
        tally[blk, 1] = e1
        tally[blk, 3] = cand
    return tally


@njit(**JIT_PARALLEL)
def scatter_constant_isotropic(momenta, n, positions, lo, inv_h, shape, rate, quiet, dt, key,
                               step):
    """:func:`scatter_independent` for a mechanism of one process whose rate ``rate`` [1/s] is
    the same in every state and whose final state is isotropic on the shell |p'| = |p|
    (:data:`ELASTIC`). There every cell's majorant is ``rate``, every candidate event is real
    and ``quiet`` = exp(-rate dt) for every marker, so no rate, energy or majorant table is
    computed, and a marker's cell (:func:`pmc._kernels.cells.flat_cell` of ``positions`` with
    ``lo``, ``inv_h``, ``shape``; outside the cells: no event) is located only when it has a
    candidate event in the step. The same counters of the same streams as
    :func:`scatter_independent`, so bitwise its momenta where ``quiet`` is the value that
    function is given (the run's own ``np.exp``). Returns the number of events (each one real:
    that function's events and candidates)."""
    nblock = (n + BLOCK - 1) // BLOCK
    counts = np.zeros(nblock, np.int64)
    for blk in prange(nblock):
        start = blk * BLOCK
        stop = min(n, start + BLOCK)
        counts[blk] = scatter_constant_range(momenta, start, stop, positions, lo, inv_h, shape,
                                             rate, quiet, dt, key, step,
                                             np.empty(stop - start),
                                             np.empty(stop - start, np.int64))
    return counts.sum()


@njit(**JIT)
def scatter_constant_range(momenta, start, stop, positions, lo, inv_h, shape, rate, quiet, dt,
                           key, step, first, hit):
    """The markers start .. stop-1 of :func:`scatter_constant_isotropic` (each marker's
    draws and result depend on it alone), with the caller's scratch ``first`` (float64) and
    ``hit`` (int64), each at least stop - start long; returns the number of events. Every
    marker's first draw (vectorised hashing), then the indices of the few with a candidate
    event in the step gathered without a branch, then those one at a time."""
    d = momenta.shape[0]
    k = shape.shape[0]
    events = 0
    for i in range(start, stop):
        first[i - start] = uniform_open(stream_key(key, step, i), 0)
    m = 0
    for i in range(start, stop):
        hit[m] = i
        m += first[i - start] > quiet
    for h in range(m):
        i = hit[h]
        if flat_cell(positions, i, k, lo, inv_h, shape) < 0:
            continue
        mk = stream_key(key, step, i)
        t = -math.log(first[i - start]) / rate
        p0, p1, p2 = models.column(momenta, i, d)
        j = 0
        while t < dt:
            base = j * STRIDE
            j += 1
            p0, p1, p2 = isotropic(d, math.sqrt(p0 * p0 + p1 * p1 + p2 * p2), mk, base + 2)
            t -= math.log(uniform_open(mk, j * STRIDE)) / rate
        events += j
        _store(momenta, i, d, p0, p1, p2)
    return events


@njit(**models.SCALAR)
def _heap_push(ht, hk, size, t, k):
    """Push (t, k) on the binary min-heap (ht, hk) of ``size`` entries; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if ht[parent] <= t:
            break
        ht[i] = ht[parent]
        hk[i] = hk[parent]
        i = parent
    ht[i] = t
    hk[i] = k
    return size + 1


@njit(**models.SCALAR)
def _heap_pop(ht, hk, size):
    """Remove the earliest entry; returns (t, k, new size)."""
    t0 = ht[0]
    k0 = hk[0]
    size -= 1
    t = ht[size]
    k = hk[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and ht[child + 1] < ht[child]:
            child += 1
        if ht[child] >= t:
            break
        ht[i] = ht[child]
        hk[i] = hk[child]
        i = child
    if size > 0:
        ht[i] = t
        hk[i] = k
    return t0, k0, size


@njit(**JIT_PARALLEL)
def scatter_pauli(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, order, start, inv_ref,
                  dt, key, step, inv_bin, capacity, tally, top_count):
    """One step of null-collision scattering with Pauli blocking, parallel over cells.

    The markers of a cell interact through the occupations, so the candidate events of all of
    them are processed in time order: every marker has its own Poisson clock (rate: its energy
    band's majorant, as in :func:`scatter_independent`, and its own random stream), and the next
    candidate of the cell is taken from a binary heap of the markers' next candidate times (the
    next-reaction method, M. A. Gibson and J. Bruck, J. Phys. Chem. A 104, 1876 (2000)).

    Markers have equal weights; ``capacity`` K of them fill a momentum bin (a cube of side
    1 / inv_bin, counted in a hash table per cell), so a bin of n markers has occupation
    f = n / K. A real event into a bin holding n other markers is accepted with probability
    1 - n / K: never into a full bin, so f <= 1 holds exactly; the bin counts are updated after
    every event (the rejection technique of P. Lugli and D. K. Ferry, IEEE Trans. Electron
    Devices 32, 2431 (1985)). With K markers per bin this is an exclusion process whose
    stationary bin occupations are Fermi-Dirac when the rates obey detailed balance.
    ``tally`` (ncell, NTALLY); ``top_count[c]`` receives the largest bin count seen in cell c
    during the step."""
    d = momenta.shape[0]
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        members = order[start[c]:start[c + 1]]
        m = members.shape[0]
        if m == 0:
            continue
        table = np.empty(NBAND)
        _cell_table(mkind, mprm, bkind, bprm, mass, alpha, hbar, momenta, members, inv_ref,
                    table)
        cap = table_capacity(m)
        keys = np.empty((cap, 3), np.int64)
        counts = np.empty(cap, np.int64)
        slot_of = np.empty(m, np.int64)
        used, top = table_fill(momenta, members, inv_bin, keys, counts, slot_of)
        big = np.empty(m)
        draws = np.zeros(m, np.int64)
        ht = np.empty(m)
        hk = np.empty(m, np.int64)
        size = 0
        for k in range(m):
            p0, p1, p2 = models.column(momenta, members[k], d)
            eps, r0, r1, big[k] = rates_and_majorant(mkind, mprm, bkind, bprm, mass, alpha,
                                                     hbar, d, p0, p1, p2, table, inv_ref)
            if big[k] > 0.0:
                t = -math.log(uniform_open(stream_key(key, step, members[k]), 0)) / big[k]
                if t < dt:
                    size = _heap_push(ht, hk, size, t, k)
        e0 = 0
        e1 = 0
        blocked = 0
        cand = 0
        while size > 0:
            t, k, size = _heap_pop(ht, hk, size)
            i = members[k]
            mk = stream_key(key, step, i)
            base = draws[k] * STRIDE
            draws[k] += 1
            cand += 1
            p0, p1, p2 = models.column(momenta, i, d)
            eps, r0, r1 = rates_at(mkind, mprm, bkind, bprm, mass, alpha, hbar, d, p0, p1, p2)
            proc = candidate_process(mk, base + 1, big[k], r0, r1)
            if proc >= 0:
                q0, q1, q2 = final_momentum(mkind, mprm, proc, d, mass, alpha, hbar, eps,
                                            p0, p1, p2, mk, base + 2)
                bx, by, bz = momentum_bins(d, inv_bin, q0, q1, q2)
                s_old = slot_of[k]
                s_new = table_find(keys, counts, bx, by, bz)
                if s_new < 0:
                    others = 0
                elif s_new == s_old:
                    others = counts[s_new] - 1
                else:
                    others = counts[s_new]
                # accept with probability 1 - others / K (zero for a full bin)
                if uniform(mk, base + 5) * capacity < others:
                    blocked += 1
                else:
                    if s_new != s_old:
                        if s_new < 0:
                            if 2 * (used + 1) > cap:  # keep the table at most half full
                                used, _ = table_fill(momenta, members, inv_bin, keys, counts,
                                                     slot_of)
                                s_old = slot_of[k]
                            s_new, new = table_slot(keys, counts, bx, by, bz)
                            used += new
                        counts[s_old] -= 1
                        counts[s_new] += 1
                        slot_of[k] = s_new
                        if counts[s_new] > top:
                            top = counts[s_new]
                    _store(momenta, i, d, q0, q1, q2)
                    if proc == 0:
                        e0 += 1
                    else:
                        e1 += 1
                    eps, r0, r1, big[k] = rates_and_majorant(mkind, mprm, bkind, bprm, mass,
                                                             alpha, hbar, d, q0, q1, q2, table,
                                                             inv_ref)
            # the marker's next candidate (draw 0 of the next stride)
            if big[k] > 0.0:
                t -= math.log(uniform_open(mk, draws[k] * STRIDE)) / big[k]
                if t < dt:
                    size = _heap_push(ht, hk, size, t, k)
        tally[c, 0] = e0
        tally[c, 1] = e1
        tally[c, 2] = blocked
        tally[c, 3] = cand
        top_count[c] = top
    return tally
