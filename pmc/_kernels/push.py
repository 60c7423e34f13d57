"""Symplectic push of markers along Hamiltonian characteristics (paper eqs. 15-17).

H(x, p, t) = eps(p) + U(x, t) is separable, so each sub-step is exact: a *kick*
p <- p + h F(x, t) and a *drift* x <- x + h v(p) with time advancing in the drifts. One step is

    kick(h/2) . drift(h) . walls . kick(h/2)                      (leapfrog, order 2)

or Yoshida's triple jump of it (H. Yoshida, Phys. Lett. A 150, 262 (1990); E. Forest and
R. D. Ruth, Physica D 43, 105 (1990)), order 4. Walls (periodic, reflecting, absorbing) act at the
end of the last drift, so the force at the end of a step is evaluated at the final position and is
reused, bitwise, as the force at the start of the next: one force evaluation per leapfrog step.

The per-marker functions (``kick``, ``drift``, ``wall``, ``step``, ``advance``) are written once as
scalar functions (the layout fbpic uses in ``particles/push/inline_functions.py``), always inlined
into the kernels that call them (see ``models.SCALAR``). Two ``prange`` kernels call them:

* :func:`push_markers`, for every configuration: load a marker, ``advance`` it ``nsteps`` steps in
  registers, store it;
* :func:`push_vectorised`, for one position axis, leapfrog, one static gridded potential, periodic
  or open walls and a parabolic or (dp = 3) Kane band: sub-blocks of markers that stay in L1, steps
  outer and markers inner, so that each ``step`` is a loop over independent markers that the
  compiler vectorises (with the model codes as constants). Several times faster; bitwise the same.

:func:`push` picks one. Nothing is reassociated (``fastmath`` is off throughout), so every marker
gets bitwise the same result from either kernel, on any number of threads.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL
from .models import GRIDDED, KANE, PARABOLIC, SCALAR, STATIC, force, velocity

# scheme codes
LEAPFROG, YOSHIDA4 = 2, 4
# wall codes per axis
OPEN, PERIODIC, REFLECTING, ABSORBING = 0, 1, 2, 3

_CBRT2 = 2.0 ** (1.0 / 3.0)
_W1 = 1.0 / (2.0 - _CBRT2)
_W0 = -_CBRT2 * _W1


@njit(**SCALAR)
def stages(scheme):
    """Number of kick-drift stages of one step: 1 (leapfrog) or 3 (Yoshida)."""
    return 1 if scheme == LEAPFROG else 3


@njit(**SCALAR)
def stage(scheme, j, dt):
    """(kick, drift) lengths of stage ``j`` of a step ``dt``: leapfrog's kick(dt/2) drift(dt);
    Yoshida's kick(h1/2) drift(h1), kick((h1+h0)/2) drift(h0), kick((h0+h1)/2) drift(h1) with
    h1 = w1 dt, h0 = w0 dt, w1 = 1 / (2 - 2^(1/3)), w0 = -2^(1/3) w1. The time advances in the
    drifts. The one statement of the composition: the marker push and the grid solver use it."""
    if scheme == LEAPFROG:
        return 0.5 * dt, dt
    h1 = _W1 * dt
    h0 = _W0 * dt
    if j == 0:
        return 0.5 * h1, h1
    if j == 1:
        return 0.5 * (h1 + h0), h0
    return 0.5 * (h0 + h1), h1


@njit(**SCALAR)
def last_kick(scheme, dt):
    """The closing kick of a step ``dt``, after the last drift (and the walls)."""
    return 0.5 * dt if scheme == LEAPFROG else 0.5 * _W1 * dt


@njit(**SCALAR)
def kick(p0, p1, p2, f0, f1, f2, h, dx):
    """p <- p + h F on the first ``dx`` momentum components (the ones conjugate to x)."""
    p0 += h * f0
    if dx > 1:
        p1 += h * f1
    if dx > 2:
        p2 += h * f2
    return p0, p1, p2


@njit(**SCALAR)
def drift(x0, x1, x2, p0, p1, p2, h, dx, dkind, dprm):
    """x <- x + h v(p) on the ``dx`` position components."""
    v0, v1, v2 = velocity(dkind, dprm, p0, p1, p2)
    x0 += h * v0
    if dx > 1:
        x1 += h * v1
    if dx > 2:
        x2 += h * v2
    return x0, x1, x2


@njit(**SCALAR)
def wrap_once(x, lo, hi, length):
    """The periodic image of ``x`` one box ``length`` back into [lo, hi) if it left by less
    than a box (selects only, so that a loop of it vectorises); still outside otherwise."""
    x = x - length if x >= hi else x
    return x + length if x < lo else x


@njit(**SCALAR)
def wrap_rest(x, lo, hi, length):
    """The periodic image in [lo, hi) of an ``x`` that :func:`wrap_once` left outside (more
    than a box away, or rounding at an edge; NaN stays NaN)."""
    x = x - length * math.floor((x - lo) / length)
    if x < lo:  # rounding of the line above
        x += length
    if x >= hi or x < lo:
        x = lo
    return x


@njit(**SCALAR)
def wall(klo, khi, lo, hi, x, p):
    """Apply one axis's walls (kinds ``klo`` at lo, ``khi`` at hi) to (x, p).
    Returns (x, p, side): side -1 kept, 0 absorbed at lo, 1 absorbed at hi."""
    if x >= lo and x < hi:
        return x, p, -1
    if klo == PERIODIC:
        length = hi - lo
        x = wrap_once(x, lo, hi, length)
        if not (x >= lo and x < hi):
            x = wrap_rest(x, lo, hi, length)
        return x, p, -1
    for _ in range(64):  # a marker never crosses the box many times in one step
        if x < lo:
            if klo == REFLECTING:
                x = 2.0 * lo - x
                p = -p
            elif klo == ABSORBING:
                return x, p, 0
            else:
                return x, p, -1
        elif x >= hi:
            if khi == REFLECTING:
                x = 2.0 * hi - x
                p = -p
                if x >= hi:
                    x = math.nextafter(hi, lo)
            elif khi == ABSORBING:
                return x, p, 1
            else:
                return x, p, -1
        else:
            break
    return x, p, -1


@njit(**SCALAR)
def walls(x0, x1, x2, p0, p1, p2, dx, wkind, lo, hi):
    """All walls; ``wkind`` is (3, 2): the kinds at (lo, hi) of each axis. Returns the marker
    and the absorbing side code 2*axis + side, or -1."""
    x0, p0, s = wall(wkind[0, 0], wkind[0, 1], lo[0], hi[0], x0, p0)
    if s >= 0:
        return x0, x1, x2, p0, p1, p2, s
    if dx > 1:
        x1, p1, s = wall(wkind[1, 0], wkind[1, 1], lo[1], hi[1], x1, p1)
        if s >= 0:
            return x0, x1, x2, p0, p1, p2, 2 + s
    if dx > 2:
        x2, p2, s = wall(wkind[2, 0], wkind[2, 1], lo[2], hi[2], x2, p2)
        if s >= 0:
            return x0, x1, x2, p0, p1, p2, 4 + s
    return x0, x1, x2, p0, p1, p2, -1


@njit(**SCALAR)
def step(x0, x1, x2, p0, p1, p2, f0, f1, f2, dx, scheme, dkind, dprm, terms, pprm, one, mone,
         t_start, k, dt, wkind, lo, hi):
    """Step ``k`` of one marker, from t_start + k dt to t_start + (k + 1) dt, given the force
    (f0, f1, f2) at its start. Returns the marker, the force at its end (reused by the next step)
    and the absorbing side code or -1 (then the force returned is the old one). ``one``, ``mone``:
    see :func:`pmc._kernels.models.force` (-1 and STATIC: any potential).

    The stages of :func:`stage` (leapfrog one, Yoshida three) with the force evaluated between
    them; then the walls, the force at the end and the :func:`last_kick`.
    """
    t = t_start + k * dt
    t_end = t_start + (k + 1) * dt
    free = terms.shape[0] == 0 and one < 0
    tau = t
    for j in range(stages(scheme)):
        c, d = stage(scheme, j, dt)
        if not free:  # with no potential, no kicks (by F = 0 they would only turn -0 into +0)
            if j > 0:
                f0, f1, f2 = force(terms, pprm, x0, x1, x2, tau, one, mone)
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, c, dx)
        x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, d, dx, dkind, dprm)
        tau = tau + d  # t + h1, then t + h1 + h0
    x0, x1, x2, p0, p1, p2, side = walls(x0, x1, x2, p0, p1, p2, dx, wkind, lo, hi)
    if side >= 0 or free:
        return x0, x1, x2, p0, p1, p2, f0, f1, f2, side
    f0, f1, f2 = force(terms, pprm, x0, x1, x2, t_end, one, mone)
    p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, last_kick(scheme, dt), dx)
    return x0, x1, x2, p0, p1, p2, f0, f1, f2, -1


@njit(**SCALAR)
def advance(x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
            t_start, step0, dt, nsteps, wkind, lo, hi):
    """Advance one marker by ``nsteps`` steps. Returns the marker and the absorbing side or -1.

    The time of step s is ``t_start + (step0 + s) * dt`` (computed, not accumulated), so a run
    split into several calls is bitwise equal to one call.
    """
    f0, f1, f2 = force(terms, pprm, x0, x1, x2, t_start + step0 * dt)
    for s in range(nsteps):
        x0, x1, x2, p0, p1, p2, f0, f1, f2, side = step(
            x0, x1, x2, p0, p1, p2, f0, f1, f2, dx, scheme, dkind, dprm, terms, pprm,
            -1, STATIC, t_start, step0 + s, dt, wkind, lo, hi)
        if side >= 0:
            return x0, x1, x2, p0, p1, p2, side
    return x0, x1, x2, p0, p1, p2, -1


# ----------------------------------------------------------------------------- kernels
#: Markers per sub-block of the vectorised kernel: x, p and F of a sub-block stay in L1 across
#: the steps of a call.
SUB = 256
#: The vectorised kernel runs the blocks in at most this many contiguous runs ("lanes"), each
#: with its own row of scratch memory for the force between steps.
LANES = 64
# the walls of the vectorised variants, frozen into their code as constants
_WALLS_PERIODIC = np.array([[PERIODIC, PERIODIC], [OPEN, OPEN], [OPEN, OPEN]], np.int64)
_WALLS_OPEN = np.array([[OPEN, OPEN], [OPEN, OPEN], [OPEN, OPEN]], np.int64)


def vectorised_variant(dx, dp, scheme, dkind, terms, wkind):
    """The variant of :func:`push_vectorised` that covers a configuration, or 0 for none.

    Covered: one position axis, leapfrog, a potential that is one static gridded table,
    periodic or open walls on x, and a parabolic band (any dp) or a Kane band with dp = 3.
    Variant 1 + 2 * band + walls, with band 0 parabolic, 1 Kane, and walls 0 periodic, 1 open.
    Each variant is compiled with these as constants; other configurations would need their own.
    """
    if not (dx == 1 and scheme == LEAPFROG and terms.shape[0] == 1
            and terms[0, 0] == GRIDDED and terms[0, 2] == STATIC):
        return 0
    kind = wkind[0, 0]
    if wkind[0, 1] != kind or kind not in (PERIODIC, OPEN):
        return 0
    if dkind == PARABOLIC:
        band = 0
    elif dkind == KANE and dp == 3:
        band = 1
    else:
        return 0
    return 1 + 2 * band + (0 if kind == PERIODIC else 1)


@njit(**SCALAR)
def sub_blocks(x, p, i0, i1, scratch, lane, dp, dkind, dprm, terms, pprm, t_start, step0, dt,
               nsteps, wkind, lo, hi):
    """Markers i0..i1-1 in sub-blocks of SUB, steps outer: each step is a loop over the
    independent markers of a sub-block, which the compiler vectorises when ``dp``, ``dkind`` and
    ``wkind`` are constants (and the configuration is one :func:`vectorised_variant` covers).
    Each marker gets bitwise what :func:`advance` gives it; the force between steps is kept in
    ``scratch[lane]``."""
    t = t_start + step0 * dt
    for a in range(i0, i1, SUB):
        # unsigned indices: a signed one is wrapped around when negative, which costs a select
        # per access and keeps the compiler from proving the iterations independent
        ua = uint64(a)
        ue = uint64(min(a + SUB, i1))
        for i in range(ua, ue):
            f0, _, _ = force(terms, pprm, x[0, i], 0.0, 0.0, t, GRIDDED, STATIC)
            scratch[lane, i - ua] = f0
        for s in range(nsteps):
            for i in range(ua, ue):
                p1 = p[1, i] if dp > 1 else 0.0
                p2 = p[2, i] if dp > 2 else 0.0
                x0, _, _, p0, _, _, f0, _, _, _ = step(
                    x[0, i], 0.0, 0.0, p[0, i], p1, p2, scratch[lane, i - ua], 0.0, 0.0, 1,
                    LEAPFROG, dkind, dprm, terms, pprm, GRIDDED, STATIC, t_start, step0 + s, dt,
                    wkind, lo, hi)
                x[0, i] = x0
                p[0, i] = p0
                scratch[lane, i - ua] = f0


@njit(**JIT_PARALLEL)
def push_vectorised(x, p, n, variant, dprm, terms, pprm, t_start, step0, dt, nsteps, lo, hi,
                    absorbed_weight, absorbed_count):
    """:func:`push` for the configurations :func:`vectorised_variant` covers (nothing is
    absorbed). Bitwise the same as :func:`push_markers`."""
    nblock = (n + BLOCK - 1) // BLOCK
    absorbed_weight[:nblock] = 0.0
    absorbed_count[:nblock] = 0
    nlane = min(nblock, LANES)
    # allocated out here, the compiler knows it aliases none of the other arrays
    scratch = np.empty((nlane, SUB))
    for lane in prange(nlane):
        i0 = min(n, (lane * nblock // nlane) * BLOCK)
        i1 = min(n, ((lane + 1) * nblock // nlane) * BLOCK)
        if variant == 1:
            sub_blocks(x, p, i0, i1, scratch, lane, 1, PARABOLIC, dprm, terms, pprm, t_start,
                       step0, dt, nsteps, _WALLS_PERIODIC, lo, hi)
        elif variant == 2:
            sub_blocks(x, p, i0, i1, scratch, lane, 1, PARABOLIC, dprm, terms, pprm, t_start,
                       step0, dt, nsteps, _WALLS_OPEN, lo, hi)
        elif variant == 3:
            sub_blocks(x, p, i0, i1, scratch, lane, 3, KANE, dprm, terms, pprm, t_start,
                       step0, dt, nsteps, _WALLS_PERIODIC, lo, hi)
        else:
            sub_blocks(x, p, i0, i1, scratch, lane, 3, KANE, dprm, terms, pprm, t_start,
                       step0, dt, nsteps, _WALLS_OPEN, lo, hi)


def free_flight(dx, scheme, dkind, terms, wkind):
    """Whether :func:`push_free` covers a configuration: no potential, leapfrog, a parabolic
    band, and no absorbing wall (each axis then moves on its own)."""
    return (terms.shape[0] == 0 and scheme == LEAPFROG and dkind == PARABOLIC
            and not (wkind[:dx] == ABSORBING).any())


@njit(**JIT_PARALLEL)
def push_free(x, p, n, dprm, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count):
    """:func:`push` for the configurations :func:`free_flight` covers: x <- x + dt p / m, then
    the walls, axis by axis over a block (a streaming loop per axis, as a plain C drift would
    be written; periodic axes wrap with :func:`wall`'s own :func:`wrap_once` and
    :func:`wrap_rest`, other walls leave the loop for :func:`wall`). Bitwise the same as
    :func:`push_markers`: with no force, the axes of a parabolic band never mix."""
    dx = x.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    inv_m = 1.0 / dprm[0]
    for b in prange(nblock):
        for k in range(6):
            absorbed_weight[b, k] = 0.0
        absorbed_count[b] = 0
        i0 = uint64(b * BLOCK)
        i1 = uint64(min(n, (b + 1) * BLOCK))
        for a in range(dx):
            klo = wkind[a, 0]
            khi = wkind[a, 1]
            xlo = lo[a]
            xhi = hi[a]
            length = xhi - xlo
            for _ in range(nsteps):
                if klo == OPEN and khi == OPEN:  # no walls on this axis
                    for i in range(i0, i1):
                        x[a, i] = x[a, i] + dt * (p[a, i] * inv_m)
                    continue
                if klo == PERIODIC:
                    # wall()'s periodic image in two passes: the one-box wrap for all (a loop
                    # that vectorises), the rest for the few it
                    # leaves outside
                    outside = 0
                    for i in range(i0, i1):
                        y = wrap_once(x[a, i] + dt * (p[a, i] * inv_m), xlo, xhi, length)
                        outside += not (y >= xlo and y < xhi)
                        x[a, i] = y
                    if outside:
                        for i in range(i0, i1):
                            y = x[a, i]
                            if not (y >= xlo and y < xhi):
                                x[a, i] = wrap_rest(y, xlo, xhi, length)
                    continue
                for i in range(i0, i1):
                    y = x[a, i] + dt * (p[a, i] * inv_m)
                    if y >= xlo and y < xhi:
                        x[a, i] = y
                    else:
                        x[a, i], p[a, i], _side = wall(klo, khi, xlo, xhi, y, p[a, i])


@njit(**JIT_PARALLEL)
def push_markers(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                 wkind, lo, hi, absorbed_weight, absorbed_count):
    """:func:`push` for any configuration: one marker at a time through :func:`advance`."""
    dx = x.shape[0]
    dp = p.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    for b in prange(nblock):
        for k in range(6):
            absorbed_weight[b, k] = 0.0
        absorbed_count[b] = 0
        # unsigned indices: no negative-index wraparound on every access
        for i in range(uint64(b * BLOCK), uint64(min(n, (b + 1) * BLOCK))):
            x0 = x[0, i]
            x1 = x[1, i] if dx > 1 else 0.0
            x2 = x[2, i] if dx > 2 else 0.0
            p0 = p[0, i]
            p1 = p[1, i] if dp > 1 else 0.0
            p2 = p[2, i] if dp > 2 else 0.0
            x0, x1, x2, p0, p1, p2, side = advance(
                x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
                t_start, step0, dt, nsteps, wkind, lo, hi)
            # the components of p beyond dx never change (kicks and walls act on the first dx)
            x[0, i] = x0
            p[0, i] = p0
            if dx > 1:
                x[1, i] = x1
                p[1, i] = p1
            if dx > 2:
                x[2, i] = x2
                p[2, i] = p2
            if side >= 0:
                absorbed_weight[b, side] += w[i]
                absorbed_count[b] += 1
                w[i] = -w[i]


def push(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
         wkind, lo, hi, absorbed_weight, absorbed_count):
    """Push markers 0..n-1 of the (dx, capacity) / (dp, capacity) arrays ``x``, ``p`` in place.

    A marker that leaves through an absorbing wall is frozen where it crossed and flagged by a
    negative weight; ``absorbed_weight[block, 2*axis + side]`` and ``absorbed_count[block]``
    receive the per-block tallies (summed by the caller in block order: deterministic).

    Runs :func:`push_free` or :func:`push_vectorised` where they apply, else
    :func:`push_markers`; the results are bitwise the same. (A Python function, so that each
    specialised kernel is compiled only when a configuration first needs it.)
    """
    variant = vectorised_variant(x.shape[0], p.shape[0], scheme, dkind, terms, wkind)
    if free_flight(x.shape[0], scheme, dkind, terms, wkind):
        push_free(x, p, n, dprm, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count)
    elif variant:
        push_vectorised(x, p, n, variant, dprm, terms, pprm, t_start, step0, dt, nsteps, lo, hi,
                        absorbed_weight, absorbed_count)
    else:
        push_markers(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                     wkind, lo, hi, absorbed_weight, absorbed_count)


@njit(**JIT)
def absorbed_indices(w, n, absorbed_count):
    """Ascending indices of flagged (negative-weight) markers, scanning only blocks with any."""
    total = 0
    for b in range(absorbed_count.shape[0]):
        total += absorbed_count[b]
    out = np.empty(total, np.int64)
    k = 0
    for b in range(absorbed_count.shape[0]):
        if absorbed_count[b] == 0:
            continue
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            if w[i] < 0.0:
                out[k] = i
                k += 1
    return out
