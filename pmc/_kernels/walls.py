"""Free flight of a gas between gas-surface walls (Maxwell diffuse / specular, Cercignani-Lampis-
Lord), with the momentum and energy each wall side receives tallied.

A marker of a parabolic band (v = p / m) flies straight; with walls that re-emit it with a new
velocity the axes mix, so the flight is traced per marker by time of flight: the earliest wall
crossing among the axes with walls, the marker moved there, the wall applied, the rest of the step
flown from there (as SPARTA's move does with surface collisions inside a step,
src/update.cpp, and Bird's DS1V). Periodic axes wrap at the end of the step.

Re-emission, in the frame of the wall (its velocity is tangential), with sigma^2 = kT_w / m:

* Maxwell's model (``DIFFUSE``, accommodation a): with probability a diffuse, the normal speed
  from the flux-weighted half-Maxwellian s exp(-s^2 / 2 sigma^2) (sigma sqrt(-2 ln u), exact),
  each tangential component normal(0, sigma); else specular (SPARTA src/surf_collide_diffuse.cpp).
* Cercignani-Lampis-Lord (``CLL``; C. Cercignani and M. Lampis, Transp. Theory Stat. Phys. 1,
  101 (1971); R. G. Lord, Phys. Fluids A 3, 706 (1991)), normal and tangential energy
  accommodation alpha_n, alpha_t: with v_m = sqrt(2 kT_w / m), the normal speed
  v_m sqrt(r^2 + b^2 + 2 r b cos theta), r = sqrt(-alpha_n ln u1), b = |v_n| / v_m
  sqrt(1 - alpha_n), theta = 2 pi u2 (an exact draw of the CL normal kernel); each tangential
  component sqrt(1 - alpha_t) c_t + sqrt(alpha_t) sigma N(0, 1) (as SPARTA's
  src/surf_collide_cll.cpp). alpha_n = alpha_t = 0 is specular, 1 and 1 is diffuse.

Randomness: the re-emissions of push ``step`` draw from stream_key(seed, step, label); marker
``i`` from stream_key(that, i, 0) (counter-based, so the thread count changes nothing).
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL
from .cells import accumulate_deferred, add_chunks, moment_chunk_bounds, sample_range, zero_rows
from .inject import flux_velocity
from .push import wrap_once, wrap_rest
from .rng import normal, stream_key, uniform, uniform_open

# wall codes beyond those of push.py (OPEN, PERIODIC, REFLECTING, ABSORBING = 0..3)
OPEN, PERIODIC, REFLECTING, ABSORBING, DIFFUSE, CLL = 0, 1, 2, 3, 4, 5
#: Parameters per wall side (wprm[axis, side, :]): kT [J], wall velocity (3) [m/s], then
#: accommodation (DIFFUSE) or alpha_n, alpha_t (CLL).
KT, U0, U1, U2, A0, A1 = 0, 1, 2, 3, 4, 5
NPRM = 6
#: Tally per wall side (tally[block, 2 axis + side, :]): momentum given to the wall (3) [kg m/s],
#: kinetic energy given (lab frame) [J], weight that hit.
NTALLY = 5
_MAX_HITS = 1000


@njit(**JIT)
def reemit(kind, prm, axis, side, mass, p0, p1, p2, key, c):
    """The momentum (p0, p1, p2) re-emitted by wall side (``axis``, ``side``) of kind ``kind``
    for the incident momentum; draws from stream ``key`` at counters c, c + 1, ...
    Returns (p0, p1, p2, c)."""
    if kind == DIFFUSE and uniform(key, c) >= prm[A0]:  # specular: the normal flipped
        if axis == 0:
            return -p0, p1, p2, c + 8
        if axis == 1:
            return p0, -p1, p2, c + 8
        return p0, p1, -p2, c + 8
    kT = prm[KT]
    sigma = math.sqrt(kT / mass)
    inward = 1.0 if side == 0 else -1.0  # the direction back into the gas
    # incident velocity in the wall frame
    c0 = p0 / mass - prm[U0]
    c1 = p1 / mass - prm[U1]
    c2 = p2 / mass - prm[U2]
    cv = (c0, c1, c2)
    vn = abs(cv[axis])
    # tangential axes t1, t2 (the other two, in order)
    t1 = 1 if axis == 0 else 0
    t2 = 1 if axis == 2 else 2
    ct1 = cv[t1]
    ct2 = cv[t2]
    if kind == DIFFUSE:  # (draws c, c + 1, then 2 (c + 2) .. 2 (c + 3) + 1 of the normals)
        vn = sigma * math.sqrt(-2.0 * math.log(uniform_open(key, c + 1)))
        ct1 = sigma * normal(key, c + 2)
        ct2 = sigma * normal(key, c + 3)
        c += 8
    else:  # CLL
        an = prm[A0]
        at = prm[A1]
        vm = math.sqrt(2.0) * sigma
        r = math.sqrt(-an * math.log(uniform_open(key, c)))
        b = vn / vm * math.sqrt(1.0 - an)
        th = 2.0 * math.pi * uniform(key, c + 1)
        vn = vm * math.sqrt(max(r * r + b * b + 2.0 * r * b * math.cos(th), 0.0))
        st = math.sqrt(1.0 - at)
        ct1 = st * ct1 + math.sqrt(at) * sigma * normal(key, c + 2)
        ct2 = st * ct2 + math.sqrt(at) * sigma * normal(key, c + 3)
        c += 8
    out0 = 0.0
    out1 = 0.0
    out2 = 0.0
    if axis == 0:
        out0, out1, out2 = inward * vn, ct1, ct2
    elif axis == 1:
        out0, out1, out2 = ct1, inward * vn, ct2
    else:
        out0, out1, out2 = ct1, ct2, inward * vn
    return (mass * (out0 + prm[U0]), mass * (out1 + prm[U1]), mass * (out2 + prm[U2]), c)


@njit(**JIT)
def _wrap(y, lo, hi):
    """The periodic image of ``y`` in [lo, hi) (as push.wrap_rest)."""
    if y >= lo and y < hi:
        return y
    length = hi - lo
    y = y - length * math.floor((y - lo) / length)
    if y < lo:
        y += length
    if y >= hi or y < lo:
        y = lo
    return y


@njit(**JIT)
def _capture(mid, slot, xs, v, r, p0, p1, p2, dx, wkind, lo, hi):
    """mid[:, slot] = the state ``r`` [s] into a straight leg from ``xs`` at velocity ``v``
    (position wrapped on periodic axes), momentum (p0, p1, p2), present (1)."""
    for a in range(dx):
        y = xs[a] + r * v[a]
        mid[a, slot] = _wrap(y, lo[a], hi[a]) if wkind[a, 0] == PERIODIC else y
    mid[3, slot] = p0
    mid[4, slot] = p1
    mid[5, slot] = p2
    mid[6, slot] = 1.0


@njit(**JIT)
def fly(x, p, i, wi, dx, mass, dt, wkind, lo, hi, wprm, key, tally, b, t_mid, mid, slot):
    """Fly marker ``i`` (weight ``wi``) for ``dt`` [s]: walls by time of flight, periodic axes
    wrapped at the end. Returns the absorbing side code 2 axis + side, or -1. Adds the weighted
    momentum and energy given to each wall side to tally[b]. With ``slot`` >= 0, the state at
    time ``t_mid`` [s] of the flight (position, wrapped on periodic axes, and momentum) goes to
    mid[0:6, slot] and mid[6, slot] = 1, unless the marker was absorbed before."""
    x0 = x[0, i]
    x1 = x[1, i] if dx > 1 else 0.0
    x2 = x[2, i] if dx > 2 else 0.0
    p0 = p[0, i]
    p1 = p[1, i]
    p2 = p[2, i]
    tau = dt
    c = 0
    inv_m = 1.0 / mass
    w_side = -1
    mkey = stream_key(key, i, 0)
    for _ in range(_MAX_HITS):
        v = (p0 * inv_m, p1 * inv_m, p2 * inv_m)
        xs = (x0, x1, x2)
        t_hit = tau
        a_hit = -1
        s_hit = 0
        for a in range(dx):
            klo = wkind[a, 0]
            khi = wkind[a, 1]
            if klo == PERIODIC or (klo == OPEN and khi == OPEN):
                continue
            va = v[a]
            if va > 0.0 and khi != OPEN:
                t = (hi[a] - xs[a]) / va
                if t < t_hit:
                    t_hit = max(t, 0.0)
                    a_hit = a
                    s_hit = 1
            elif va < 0.0 and klo != OPEN:
                t = (lo[a] - xs[a]) / va
                if t < t_hit:
                    t_hit = max(t, 0.0)
                    a_hit = a
                    s_hit = 0
        if slot >= 0 and dt - tau + t_hit >= t_mid:  # the leg holding mid-flight
            _capture(mid, slot, xs, v, t_mid - (dt - tau), p0, p1, p2, dx, wkind, lo, hi)
            slot = -1
        x0 += t_hit * v[0]
        if dx > 1:
            x1 += t_hit * v[1]
        if dx > 2:
            x2 += t_hit * v[2]
        if a_hit < 0:
            break
        tau -= t_hit
        # on the wall exactly (inside the half-open box [lo, hi))
        wall_x = lo[a_hit] if s_hit == 0 else math.nextafter(hi[a_hit], lo[a_hit])
        if a_hit == 0:
            x0 = wall_x
        elif a_hit == 1:
            x1 = wall_x
        else:
            x2 = wall_x
        kind = wkind[a_hit, s_hit]
        code = 2 * a_hit + s_hit
        if kind == ABSORBING:
            w_side = code
            break
        q0, q1, q2 = p0, p1, p2
        if kind == REFLECTING:
            if a_hit == 0:
                q0 = -p0
            elif a_hit == 1:
                q1 = -p1
            else:
                q2 = -p2
        else:
            q0, q1, q2, c = reemit(kind, wprm[a_hit, s_hit], a_hit, s_hit, mass, p0, p1, p2,
                                   mkey, c)
        tally[b, code, 0] += wi * (p0 - q0)
        tally[b, code, 1] += wi * (p1 - q1)
        tally[b, code, 2] += wi * (p2 - q2)
        tally[b, code, 3] += wi * 0.5 * inv_m * ((p0 * p0 + p1 * p1 + p2 * p2)
                                                 - (q0 * q0 + q1 * q1 + q2 * q2))
        tally[b, code, 4] += wi
        p0, p1, p2 = q0, q1, q2
    if dx > 0 and wkind[0, 0] == PERIODIC:
        x0 = _wrap(x0, lo[0], hi[0])
    if dx > 1 and wkind[1, 0] == PERIODIC:
        x1 = _wrap(x1, lo[1], hi[1])
    if dx > 2 and wkind[2, 0] == PERIODIC:
        x2 = _wrap(x2, lo[2], hi[2])
    x[0, i] = x0
    if dx > 1:
        x[1, i] = x1
    if dx > 2:
        x[2, i] = x2
    p[0, i] = p0
    p[1, i] = p1
    p[2, i] = p2
    return w_side


@njit(**JIT)
def _fly_block(x, p, w, state, n, b, masses, dt, wkind, lo, hi, wprm, key, absorbed_weight,
               absorbed_count, gone, absorbing, tally, flags, t_mid, mid, slot0):
    """One step of the markers of block ``b``; those absorbed (``gone``, read and written only
    when a wall is ``absorbing``) are skipped. The markers of the block with ``flags`` set
    (empty: none), in order, write their state at ``t_mid`` [s] into slots slot0, slot0 + 1, ...
    of ``mid`` (:func:`fly`; a flag on a marker that meets no wall leaves its slot absent).
    Streaming loops per axis find the few markers whose straight flight crosses a wall; the
    others move straight (and wrap on periodic axes), those few go through :func:`fly`.
    ``masses`` [kg]: one mass (``state`` empty) or one per marker state (species)."""
    dx = x.shape[0]
    # unsigned indices: no negative-index wraparound on every access (the loops vectorise)
    i0 = uint64(b * BLOCK)
    m = uint64(min(n, (b + 1) * BLOCK) - b * BLOCK)
    inv_m = np.empty(m)
    if state.shape[0] == 0:
        inv_m[:] = 1.0 / masses[0]
    else:
        for j in range(m):
            inv_m[j] = 1.0 / masses[state[i0 + j]]
    hit = np.zeros(m, np.uint8)
    if absorbing:
        for j in range(m):
            hit[j] = gone[i0 + j]
    for a in range(dx):  # loops of selects only: they vectorise
        klo = wkind[a, 0]
        khi = wkind[a, 1]
        if klo == PERIODIC or (klo == OPEN and khi == OPEN):
            continue
        xlo = lo[a] if klo != OPEN else -np.inf
        xhi = hi[a] if khi != OPEN else np.inf
        for j in range(m):
            y = x[a, i0 + j] + dt * (p[a, i0 + j] * inv_m[j])
            hit[j] |= (y < xlo) | (y >= xhi)
    for a in range(dx):
        xlo = lo[a]
        xhi = hi[a]
        if wkind[a, 0] == PERIODIC:
            length = xhi - xlo
            outside = 0
            for j in range(m):
                y = wrap_once(x[a, i0 + j] + dt * (p[a, i0 + j] * inv_m[j]), xlo, xhi, length)
                outside += not (y >= xlo and y < xhi)
                x[a, i0 + j] = y if hit[j] == 0 else x[a, i0 + j]
            if outside:
                for j in range(m):
                    y = x[a, i0 + j]
                    if hit[j] == 0 and not (y >= xlo and y < xhi):
                        x[a, i0 + j] = wrap_rest(y, xlo, xhi, length)
        else:
            for j in range(m):
                y = x[a, i0 + j] + dt * (p[a, i0 + j] * inv_m[j])
                x[a, i0 + j] = y if hit[j] == 0 else x[a, i0 + j]
    sampled = flags.shape[0] > 0
    k = slot0
    for j in range(m):
        slot = -1
        if sampled and flags[j]:
            slot = k
            k += 1
        if not hit[j]:
            continue
        i = i0 + j
        if absorbing and gone[i]:
            continue
        wi = w[i]
        mass = masses[0] if state.shape[0] == 0 else masses[state[i]]
        side = fly(x, p, i, wi, dx, mass, dt, wkind, lo, hi, wprm, key, tally, b, t_mid, mid,
                   slot)
        if side >= 0:
            absorbed_weight[b, side] += wi
            absorbed_count[b] += 1
            gone[i] = 1


@njit(**JIT)
def _clear_tallies(absorbed_weight, absorbed_count, tally, nblock):
    """Zero the per-block tallies of :func:`push_gas`."""
    for b in range(nblock):
        for k in range(6):
            absorbed_weight[b, k] = 0.0
            for j in range(NTALLY):
                tally[b, k, j] = 0.0
        absorbed_count[b] = 0


@njit(**JIT)
def _clear_gone(gone, n, wkind, dx):
    """Whether a wall of the first ``dx`` axes absorbs; if so gone[:n] = 0."""
    for a in range(dx):
        if wkind[a, 0] == ABSORBING or wkind[a, 1] == ABSORBING:
            gone[:n] = 0
            return True
    return False


@njit(**JIT_PARALLEL)
def push_gas(x, p, w, state, n, masses, dt, nsteps, seed, label, step0, wkind, lo, hi,
             wprm, absorbed_weight, absorbed_count, gone, tally):
    """Fly markers 0..n-1 for ``nsteps`` steps of ``dt`` [s] between the walls (blocks in
    parallel). A marker absorbed is frozen at the wall, skipped by the later steps of the call
    and flagged in ``gone`` (uint8 (capacity,), as for :func:`.push.kernels`: 1 absorbed, 0 not,
    written for markers 0..n-1 when a wall absorbs; may be empty when none does); its weight is
    left as it was;
    ``state`` (int64, empty for one mass) selects each marker's mass from ``masses`` [kg].
    absorbed_weight[b, side], absorbed_count[b] and tally[b, side, :] (:data:`NTALLY`) receive
    the per-block sums over the steps (summed by the caller in block order). The re-emissions
    of step s draw from stream_key(seed, step0 + s, label)."""
    nblock = (n + BLOCK - 1) // BLOCK
    _clear_tallies(absorbed_weight, absorbed_count, tally, nblock)
    absorbing = _clear_gone(gone, n, wkind, x.shape[0])
    no_flags = np.zeros(0, np.uint8)
    no_mid = np.zeros((7, 0))
    for s in range(nsteps):
        key = stream_key(seed, step0 + s, label)
        for b in prange(nblock):
            _fly_block(x, p, w, state, n, b, masses, dt, wkind, lo, hi, wprm, key,
                       absorbed_weight, absorbed_count, gone, absorbing, tally, no_flags,
                       0.0, no_mid, 0)


@njit(**JIT)
def push_gas_serial(x, p, w, state, n, masses, dt, nsteps, seed, label, step0, wkind, lo,
                    hi, wprm, absorbed_weight, absorbed_count, gone, tally):
    """:func:`push_gas` on the calling thread (few marker-steps): the same numbers."""
    nblock = (n + BLOCK - 1) // BLOCK
    _clear_tallies(absorbed_weight, absorbed_count, tally, nblock)
    absorbing = _clear_gone(gone, n, wkind, x.shape[0])
    no_flags = np.zeros(0, np.uint8)
    no_mid = np.zeros((7, 0))
    for s in range(nsteps):
        key = stream_key(seed, step0 + s, label)
        for b in range(nblock):
            _fly_block(x, p, w, state, n, b, masses, dt, wkind, lo, hi, wprm, key,
                       absorbed_weight, absorbed_count, gone, absorbing, tally, no_flags,
                       0.0, no_mid, 0)


@njit(**JIT_PARALLEL)
def push_gas_sampled(x, p, w, state, n, masses, dt, seed, label, step, wkind, lo, hi, wprm,
                     absorbed_weight, absorbed_count, gone, tally, group, clo, inv_h, shape,
                     wrap, t_mid, inv_mass, flags, deferred, ndeferred, mid, scratch, acc):
    """One step of :func:`push_gas` (the same numbers: positions, momenta, tallies) that adds
    the markers' cell sums at time ``t_mid`` [s] <= ``dt`` of the flight to ``acc`` in the same
    pass, block by block while the block is in cache: the sum of
    :func:`pmc._kernels.cells.accumulate_moments` (``shift`` = t_mid, its chunks: ``scratch``
    (chunks, G * cells, NMOMENTS), ``group`` its state array, ``clo``, ``inv_h``, ``shape``,
    ``wrap``, ``inv_mass`` the cells' and groups') and of
    :func:`pmc._kernels.cells.accumulate_deferred` for the flights that meet a wall before
    ``t_mid``, each binned at its state at t_mid traced through the walls (:func:`fly`): exact
    for any number of hits, and a marker absorbed before t_mid (a Freestream or absorbing face)
    is not counted. Buffers of the caller: ``flags`` uint8 (>= n,), ``deferred`` int64
    (>= n,), ``ndeferred`` int64 (chunks,), ``mid`` (7, >= n). Bitwise the separate pass's
    sums when no flight meets a wall before t_mid; independent of the thread count (fixed
    chunks of whole blocks, per-block wall tallies). SPARTA (``fix ave/grid`` over
    ``compute grid``, src/fix_ave_grid.cpp) and hyStrath's dsmcFoam (``dsmcCloud::evolve``:
    move, collide, then its fields' own loop) sample in a pass of their own after the step;
    here the block's markers are read once for both."""
    nblock = (n + BLOCK - 1) // BLOCK
    _clear_tallies(absorbed_weight, absorbed_count, tally, nblock)
    absorbing = _clear_gone(gone, n, wkind, x.shape[0])
    key = stream_key(seed, step, label)
    nchunk = scratch.shape[0]
    ncell = scratch.shape[1] // inv_mass.shape[0]
    for ch in prange(nchunk):
        zero_rows(scratch, ch)
        c0, c1 = moment_chunk_bounds(ch, nchunk, 0, n)
        held = 0
        for b in range(c0 // BLOCK, (c1 + BLOCK - 1) // BLOCK):
            i0 = b * BLOCK
            i1 = min(n, i0 + BLOCK)
            f = flags[i0:i1]
            f[:] = 0
            slot0 = c0 + held
            held = sample_range(x, p, w, group, i0, i1, clo, inv_h, shape, wrap, t_mid,
                                inv_mass, ncell, scratch[ch], deferred, c0, held, f, mid)
            _fly_block(x, p, w, state, n, b, masses, dt, wkind, lo, hi, wprm, key,
                       absorbed_weight, absorbed_count, gone, absorbing, tally, f, t_mid, mid,
                       slot0)
        ndeferred[ch] = held
    add_chunks(scratch, acc)
    accumulate_deferred(x, p, w, group, 0, n, clo, inv_h, shape, wrap, 0.0, inv_mass, deferred,
                        ndeferred, mid, acc)


#: Below this many marker-steps a call runs on the calling thread (as push.SERIAL_WORK).
SERIAL_WORK = 1 << 14


@njit(**JIT)
def inject_face(seed, step, label, marker_label, rate, dt, axis, wall, direction, lo, hi,
                sigma, u, mass, rotational_dof, x, p, internal):
    """Fill x (dx, k), p (3, k) and internal (k) with the k arrivals of this step through the face
    normal to ``axis`` at ``wall`` [m] (``direction`` +1: entering towards +axis, -1 towards
    -axis) from a drifting Maxwellian (thermal speed ``sigma`` [m/s], velocity ``u`` (3) [m/s]):
    arrival times from the Poisson process of ``rate`` [1/s], the point on the face uniform over
    the other axes of the box [lo, hi), the velocity from
    :func:`pmc._kernels.inject.flux_velocity` (the normal component from the flux-weighted
    drifting Maxwellian, exact); each marker streamed freely for the rest of the step. With
    ``rotational_dof`` 2 the rotational energy [J] is drawn from its equilibrium at
    kT = m sigma^2, exponential of mean kT (it is independent of the velocity, so the flux does
    not weight it); else 0."""
    key = stream_key(seed, step, label)
    dx = x.shape[0]
    a = direction * u[axis] / sigma
    kT = mass * sigma * sigma
    t = 0.0
    for k in range(x.shape[1]):
        t += -math.log(uniform_open(key, k)) / rate
        mk = stream_key(seed, step, marker_label + k)
        rest = dt - t
        vs = flux_velocity(mk, axis, direction, sigma, sigma, u[0], u[1], u[2], a)
        for b in range(dx):
            if b == axis:
                x[b, k] = wall + vs[b] * rest
            else:
                x[b, k] = lo[b] + (hi[b] - lo[b]) * uniform(mk, 20_000_000 + b) + vs[b] * rest
        p[0, k] = mass * vs[0]
        p[1, k] = mass * vs[1]
        p[2, k] = mass * vs[2]
        internal[k] = (-kT * math.log(uniform_open(mk, 30_000_000)) if rotational_dof == 2
                       else 0.0)
    return x, p
