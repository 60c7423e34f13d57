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
into the kernels that call them (see ``models.SCALAR``):

* :func:`push_markers`, the per-marker reference: load a marker, ``advance`` it ``nsteps`` steps
  in registers, store it;
* :func:`push_blocks`, what runs use: sub-blocks of markers that stay in L1, steps outer and
  markers inner, each operation a loop over independent markers with the model codes constant,
  so the compiler vectorises it;
* :func:`push_free`, free flight (no potential, parabolic band): a streaming loop per axis;
* :func:`push_states`, for a dispersion whose velocity depends on the marker's ``state``
  (:mod:`.stateful`: the valley of a multi-valley band): :func:`push_markers` with the state read
  by the drift and mapped to the mirror state at reflecting walls.

:func:`kernels` picks one. Nothing is reassociated (``fastmath`` is off throughout), so every
marker gets bitwise the same result from any kernel, on any number of threads (the tests hold
them to :func:`push_markers`), with one exception: for a static uniform field or harmonic term
(parabolic band, one axis) a call of k >= 2 steps is one affine map M^k (:func:`linear_steps`),
the same map as k steps with other roundings, bitwise the same on any number of threads.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL, stateful
from .models import (ECKART, GAUSSIAN, GRIDDED, HARMONIC, KANE, LINEAR, PARABOLIC, QUARTIC,
                     RELATIVISTIC, SCALAR, STATIC, STEP, TIGHT_BINDING, UNIFORM_FIELD, column,
                     force, modulation, speed_factor, term_force, term_potential, velocity)
from .evaluate import _SUB as _SUMS_SUB
from .evaluate import sub_block_sums
from .models import PERIODIC as PERIODIC_POTENTIAL
from . import vecmath
from .threads import start as start_threads
from .vecmath import prefetch, stack_doubles

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
def drift(x0, x1, x2, p0, p1, p2, h, dx, dkind, dprm, s):
    """x <- x + h v(p) on the ``dx`` position components; ``s`` is the marker's state (read by
    the stateful dispersions of :mod:`.stateful` only)."""
    v0, v1, v2 = stateful.velocity(dkind, dprm, s, p0, p1, p2)
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
def reflect_state(mirror, s, flip0, flip1, flip2):
    """The state of a marker in state ``s`` whose momentum components flagged ``flip*`` were
    reversed by reflecting walls: ``mirror[s, axis]`` per reversed axis (the mirror valley of
    an ellipsoidal valley); ``s`` if ``mirror`` is empty (stateless dispersions)."""
    if mirror.shape[0] == 0:
        return s
    if flip0:
        s = mirror[s, 0]
    if flip1:
        s = mirror[s, 1]
    if flip2:
        s = mirror[s, 2]
    return s


@njit(**SCALAR)
def step(x0, x1, x2, p0, p1, p2, f0, f1, f2, dx, scheme, dkind, dprm, terms, pprm, t_start, k,
         dt, wkind, lo, hi, s, mirror):
    """Step ``k`` of one marker in state ``s``, from t_start + k dt to t_start + (k + 1) dt,
    given the force (f0, f1, f2) at its start. Returns the marker, the force at its end (reused
    by the next step), the absorbing side code or -1 (then the force returned is the old one)
    and the state (changed by :func:`reflect_state` when a wall reversed a momentum component).

    The stages of :func:`stage` (leapfrog one, Yoshida three) with the force evaluated between
    them; then the walls, the force at the end and the :func:`last_kick`.
    """
    t = t_start + k * dt
    t_end = t_start + (k + 1) * dt
    free = terms.shape[0] == 0
    tau = t
    for j in range(stages(scheme)):
        c, d = stage(scheme, j, dt)
        if not free:  # with no potential, no kicks (by F = 0 they would only turn -0 into +0)
            if j > 0:
                f0, f1, f2 = force(terms, pprm, x0, x1, x2, tau)
            p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, c, dx)
        x0, x1, x2 = drift(x0, x1, x2, p0, p1, p2, d, dx, dkind, dprm, s)
        tau = tau + d  # t + h1, then t + h1 + h0
    q0, q1, q2 = p0, p1, p2
    x0, x1, x2, p0, p1, p2, side = walls(x0, x1, x2, p0, p1, p2, dx, wkind, lo, hi)
    s = reflect_state(mirror, s, p0 != q0, p1 != q1, p2 != q2)
    if side >= 0 or free:
        return x0, x1, x2, p0, p1, p2, f0, f1, f2, side, s
    f0, f1, f2 = force(terms, pprm, x0, x1, x2, t_end)
    p0, p1, p2 = kick(p0, p1, p2, f0, f1, f2, last_kick(scheme, dt), dx)
    return x0, x1, x2, p0, p1, p2, f0, f1, f2, -1, s


@njit(**SCALAR)
def advance(x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
            t_start, step0, dt, nsteps, wkind, lo, hi, state, mirror):
    """Advance one marker in state ``state`` by ``nsteps`` steps. Returns the marker, the
    absorbing side or -1, and its state (see :func:`step`).

    The time of step s is ``t_start + (step0 + s) * dt`` (computed, not accumulated), so a run
    split into several calls is bitwise equal to one call.
    """
    f0, f1, f2 = force(terms, pprm, x0, x1, x2, t_start + step0 * dt)
    for s in range(nsteps):
        x0, x1, x2, p0, p1, p2, f0, f1, f2, side, state = step(
            x0, x1, x2, p0, p1, p2, f0, f1, f2, dx, scheme, dkind, dprm, terms, pprm,
            t_start, step0 + s, dt, wkind, lo, hi, state, mirror)
        if side >= 0:
            return x0, x1, x2, p0, p1, p2, side, state
    return x0, x1, x2, p0, p1, p2, -1, state


# ----------------------------------------------------------------------------- kernels
#: Below this many marker-steps a call runs on the calling thread (:func:`push_blocks_serial`):
#: a parallel loop's start and barrier cost more than the work.
SERIAL_WORK = 1 << 14
#: Markers per sub-block of :func:`push_blocks`: their x, p, force and speed factors stay in L1
#: across the steps of a call.
SUB = 256
assert SUB == _SUMS_SUB  # the sub-blocks of evaluate.marker_sums: push_block's frame sums
#: Markers per sub-block of the one-axis leapfrog (:func:`leapfrog_block_1d`): x, p and the
#: force of SUB_1D markers (24 KB) still stay in L1, and each step's loops (two calls, their
#: argument passing, alias checks and constants) run over four times as many markers. A
#: multiple of SUB: the frame sums still go by SUB markers.
SUB_1D = 4 * SUB
assert BLOCK % SUB_1D == 0
# kinds of the potential terms that act along x only
_ALONG_X = (GAUSSIAN, ECKART, STEP, PERIODIC_POTENTIAL, GRIDDED)


@njit(**SCALAR)
def _term_loop(F, x, i0, m, dx, kind, pprm, o, g):
    """F[:, i] += g F_k(x_{i0+i}) for i < m: one term of :func:`models.force` over a sub-block.
    Inlined with ``dx`` and ``kind`` constants, so the loop vectorises. A gridded table's force
    is first gathered into a stack buffer (the stores to ``F`` could otherwise change the
    table: see :func:`.vecmath.stack_doubles`), then added: the same numbers."""
    if kind == GRIDDED:
        f = stack_doubles(SUB_1D)
        for i in range(m):
            a, _, _ = term_force(kind, pprm, o, x[0, i0 + i], 0.0, 0.0)
            f[i] = a
        for i in range(m):
            F[0, i] += g * f[i]
        return
    for i in range(m):
        j = i0 + i
        x1 = x[1, j] if dx > 1 else 0.0
        x2 = x[2, j] if dx > 2 else 0.0
        a, b, c = term_force(kind, pprm, o, x[0, j], x1, x2)
        F[0, i] += g * a
        if dx > 1:
            F[1, i] += g * b
        if dx > 2:
            F[2, i] += g * c


@njit(**SCALAR)
def _vector_term(F, x, i0, m, dx, kind, pprm, o, g):
    """:func:`_term_loop` for the terms with a force along every axis, ``dx`` constant."""
    if kind == HARMONIC:
        _term_loop(F, x, i0, m, dx, HARMONIC, pprm, o, g)
    elif kind == QUARTIC:
        _term_loop(F, x, i0, m, dx, QUARTIC, pprm, o, g)
    else:
        _term_loop(F, x, i0, m, dx, UNIFORM_FIELD, pprm, o, g)


@njit(**JIT)
def block_force(F, x, i0, m, dx, terms, pprm, t):
    """F[:dx, :m] = F(x, t) of the markers i0..i0+m-1, term by term: the sum of
    :func:`models.force` in the same order, so each marker gets bitwise the same force."""
    for a in range(dx):
        for i in range(m):
            F[a, i] = 0.0
    for k in range(terms.shape[0]):
        kind = terms[k, 0]
        o = terms[k, 1]
        g = modulation(terms[k, 2], pprm, terms[k, 3], t)
        # a term along x adds g * 0.0 to the other components in models.force: F never holds
        # -0.0 (it starts at +0.0), so leaving those additions out changes no bit
        if kind == GAUSSIAN:
            _term_loop(F, x, i0, m, 1, GAUSSIAN, pprm, o, g)
        elif kind == GRIDDED:
            _term_loop(F, x, i0, m, 1, GRIDDED, pprm, o, g)
        elif kind == ECKART:
            _term_loop(F, x, i0, m, 1, ECKART, pprm, o, g)
        elif kind == STEP:
            _term_loop(F, x, i0, m, 1, STEP, pprm, o, g)
        elif kind == PERIODIC_POTENTIAL:
            _term_loop(F, x, i0, m, 1, PERIODIC_POTENTIAL, pprm, o, g)
        elif dx == 1:
            _vector_term(F, x, i0, m, 1, kind, pprm, o, g)
        elif dx == 2:
            _vector_term(F, x, i0, m, 2, kind, pprm, o, g)
        else:
            _vector_term(F, x, i0, m, 3, kind, pprm, o, g)


@njit(**JIT)
def block_kick(p, F, i0, m, dx, h, side, masked):
    """p <- p + h F on the first ``dx`` components of markers i0..i0+m-1 (:func:`kick`);
    ``masked``: only where ``side`` < 0 (not absorbed)."""
    for a in range(dx):
        if masked:
            for i in range(m):
                q = p[a, i0 + i] + h * F[a, i]
                p[a, i0 + i] = q if side[i] < 0 else p[a, i0 + i]
        else:
            for i in range(m):
                p[a, i0 + i] = p[a, i0 + i] + h * F[a, i]


@njit(**SCALAR)
def _speed_loop(S, p, i0, m, dp, dkind, dprm):
    """S[i] = the factor s of v = s p (:func:`models.speed_factor`), ``dp`` and ``dkind``
    constants."""
    for i in range(m):
        j = i0 + i
        p1 = p[1, j] if dp > 1 else 0.0
        p2 = p[2, j] if dp > 2 else 0.0
        S[i] = speed_factor(dkind, dprm, p[0, j], p1, p2)


@njit(**SCALAR)
def _speeds(S, p, i0, m, dp, dkind, dprm):
    """:func:`_speed_loop` with ``dkind`` (Kane, linear or relativistic) as a constant."""
    if dkind == KANE:
        _speed_loop(S, p, i0, m, dp, KANE, dprm)
    elif dkind == LINEAR:
        _speed_loop(S, p, i0, m, dp, LINEAR, dprm)
    else:
        _speed_loop(S, p, i0, m, dp, RELATIVISTIC, dprm)


# how block_drift gets v_a from p: p_a / m, 2 J (a/hbar) sin(p_a a/hbar), or s(p) p_a
_BY_MASS, _BY_SINE, _BY_FACTOR = 0, 1, 2


@njit(**SCALAR)
def _drift_loop(x, p, S, i0, m, a, how, masked, h, inv_m, dprm, side):
    """x_a <- x_a + h v_a over a sub-block, ``how`` and ``masked`` constants."""
    for i in range(m):
        j = i0 + i
        if how == _BY_MASS:
            v = p[a, j] * inv_m
        elif how == _BY_SINE:
            v = 2.0 * dprm[0] * dprm[1] * vecmath.sin(dprm[1] * p[a, j])
        else:
            v = p[a, j] * S[i]
        y = x[a, j] + h * v
        if masked:
            x[a, j] = y if side[i] < 0 else x[a, j]
        else:
            x[a, j] = y


@njit(**JIT)
def block_drift(x, p, S, i0, m, dx, dkind, dprm, h, side, masked):
    """x <- x + h v(p) on the first ``dx`` components of markers i0..i0+m-1 (:func:`drift`);
    ``masked``: only where ``side`` < 0. ``S`` is scratch for the speed factors."""
    dp = p.shape[0]
    if dkind == PARABOLIC:
        how = _BY_MASS
    elif dkind == TIGHT_BINDING:
        how = _BY_SINE
    else:
        how = _BY_FACTOR
        if dp == 1:
            _speeds(S, p, i0, m, 1, dkind, dprm)
        elif dp == 2:
            _speeds(S, p, i0, m, 2, dkind, dprm)
        else:
            _speeds(S, p, i0, m, 3, dkind, dprm)
    inv_m = 1.0 / dprm[0]
    for a in range(dx):
        if how == _BY_MASS:
            if masked:
                _drift_loop(x, p, S, i0, m, a, _BY_MASS, True, h, inv_m, dprm, side)
            else:
                _drift_loop(x, p, S, i0, m, a, _BY_MASS, False, h, inv_m, dprm, side)
        elif how == _BY_SINE:
            if masked:
                _drift_loop(x, p, S, i0, m, a, _BY_SINE, True, h, inv_m, dprm, side)
            else:
                _drift_loop(x, p, S, i0, m, a, _BY_SINE, False, h, inv_m, dprm, side)
        elif masked:
            _drift_loop(x, p, S, i0, m, a, _BY_FACTOR, True, h, inv_m, dprm, side)
        else:
            _drift_loop(x, p, S, i0, m, a, _BY_FACTOR, False, h, inv_m, dprm, side)


@njit(**JIT)
def block_walls(x, p, i0, m, dx, wkind, lo, hi, side):
    """:func:`walls` for markers i0..i0+m-1 not yet absorbed, axis by axis: a pass that
    vectorises (the periodic one-box wrap, a count of markers outside), then :func:`wall` for
    the few outside. Records the absorbing side code 2*axis + side in ``side``."""
    for a in range(dx):
        klo = wkind[a, 0]
        khi = wkind[a, 1]
        if klo == OPEN and khi == OPEN:
            continue
        xlo = lo[a]
        xhi = hi[a]
        length = xhi - xlo
        outside = 0
        if klo == PERIODIC:
            for i in range(m):
                y = x[a, i0 + i]
                z = wrap_once(y, xlo, xhi, length)
                z = z if side[i] < 0 else y
                x[a, i0 + i] = z
                outside += not (z >= xlo and z < xhi)
        else:
            for i in range(m):
                y = x[a, i0 + i]
                outside += not (y >= xlo and y < xhi)
        if outside == 0:
            continue
        for i in range(m):
            y = x[a, i0 + i]
            if side[i] >= 0 or (y >= xlo and y < xhi):
                continue
            if klo == PERIODIC:
                x[a, i0 + i] = wrap_rest(y, xlo, xhi, length)
            else:
                y, q, s = wall(klo, khi, xlo, xhi, y, p[a, i0 + i])
                x[a, i0 + i] = y
                p[a, i0 + i] = q
                if s >= 0:
                    side[i] = 2 * a + s


# walls on x in the fused leapfrog pass: none (open both ways), the periodic one-box wrap, or a
# range check that sends the markers outside to wall()
_NO_WALLS, _WRAP, _CHECK = 0, 1, 2


@njit(**SCALAR)
def _kick_drift_loop(x, p, F, i0, m, dp, dkind, walls, c, d, dprm, lo, hi):
    """The first half of a leapfrog step on one axis over a sub-block, in one loop: p0 += c F0,
    x0 += d v(p), the one-box periodic wrap; ``dp``, ``dkind`` and ``walls`` constants. Returns
    how many markers are outside [lo, hi) after it."""
    outside = 0
    inv_m = 1.0 / dprm[0]
    length = hi - lo
    for i in range(m):
        j = i0 + i
        q = p[0, j] + c * F[0, i]
        p[0, j] = q
        if dkind == PARABOLIC:
            v = q * inv_m
        else:
            p1 = p[1, j] if dp > 1 else 0.0
            p2 = p[2, j] if dp > 2 else 0.0
            v = q * speed_factor(dkind, dprm, q, p1, p2)
        y = x[0, j] + d * v
        if walls == _WRAP:
            y = wrap_once(y, lo, hi, length)
        if walls != _NO_WALLS:
            outside += not (y >= lo and y < hi)
        x[0, j] = y
    return outside


@njit(**SCALAR)
def _kick_drift_walls(x, p, F, i0, m, dp, dkind, walls, c, d, dprm, lo, hi):
    """:func:`_kick_drift_loop` with ``walls`` constant, for a band and ``dp`` constant."""
    if walls == _NO_WALLS:
        return _kick_drift_loop(x, p, F, i0, m, dp, dkind, _NO_WALLS, c, d, dprm, lo, hi)
    elif walls == _WRAP:
        return _kick_drift_loop(x, p, F, i0, m, dp, dkind, _WRAP, c, d, dprm, lo, hi)
    return _kick_drift_loop(x, p, F, i0, m, dp, dkind, _CHECK, c, d, dprm, lo, hi)


@njit(**JIT)
def kick_drift(x, p, F, i0, m, dkind, walls, c, d, dprm, lo, hi):
    """:func:`_kick_drift_loop` for a parabolic or Kane band (any dp) with the constants it
    needs. Returns the count of markers outside."""
    dp = p.shape[0]
    if dkind == PARABOLIC:  # v_x = p_x / m: the other components are not read
        return _kick_drift_walls(x, p, F, i0, m, 1, PARABOLIC, walls, c, d, dprm, lo, hi)
    elif dp == 1:
        return _kick_drift_walls(x, p, F, i0, m, 1, KANE, walls, c, d, dprm, lo, hi)
    elif dp == 2:
        return _kick_drift_walls(x, p, F, i0, m, 2, KANE, walls, c, d, dprm, lo, hi)
    return _kick_drift_walls(x, p, F, i0, m, 3, KANE, walls, c, d, dprm, lo, hi)


@njit(**SCALAR)
def _force_kick_loop(x, p, F, i0, m, kind, pprm, o, g, h, U, with_u):
    """The second half of a leapfrog step on one axis for a one-term potential, in one loop:
    F0 = g F_k(x0) (as :func:`models.force` sums it: 0 + g F_k), p0 += h F0; ``kind``
    constant. A gridded table's force is first gathered into a stack buffer (see
    :func:`.vecmath.stack_doubles`), then stored and kicked: the same numbers. ``with_u``
    (constant): also U[i] = 0 + g U_k(x0), bitwise :func:`.evaluate.block_potential`'s, from
    the same exponential or table cell as the force (the compiler evaluates the shared
    subexpressions of ``term_force`` and ``term_potential`` once)."""
    if kind == GRIDDED:
        f = stack_doubles(SUB_1D)  # f[i]: the i-th double
        u = stack_doubles(SUB_1D)
        for i in range(m):
            a, _, _ = term_force(kind, pprm, o, x[0, i0 + i], 0.0, 0.0)
            f[i] = 0.0 + g * a
            if with_u:
                u[i] = term_potential(kind, pprm, o, x[0, i0 + i], 0.0, 0.0)
        for i in range(m):
            F[0, i] = f[i]
            p[0, i0 + i] = p[0, i0 + i] + h * f[i]
            if with_u:
                U[i] = 0.0 + g * u[i]
        return
    for i in range(m):
        j = i0 + i
        a, _, _ = term_force(kind, pprm, o, x[0, j], 0.0, 0.0)
        f = 0.0 + g * a
        F[0, i] = f
        p[0, j] = p[0, j] + h * f
        if with_u:
            U[i] = 0.0 + g * term_potential(kind, pprm, o, x[0, j], 0.0, 0.0)


@njit(**JIT)
def force_kick(x, p, F, i0, m, terms, pprm, t, h, side):
    """F = F(x, t) and p += h F on one axis over a sub-block: one loop for a one-term potential
    (:func:`_force_kick_loop`), else :func:`block_force` and :func:`block_kick`."""
    if terms.shape[0] != 1:
        block_force(F, x, i0, m, 1, terms, pprm, t)
        block_kick(p, F, i0, m, 1, h, side, False)
        return
    kind = terms[0, 0]
    o = terms[0, 1]
    g = modulation(terms[0, 2], pprm, terms[0, 3], t)
    if kind == GAUSSIAN and terms[0, 2] == STATIC:  # g = 1: its product folds away (1 a = a)
        _force_kick_loop(x, p, F, i0, m, GAUSSIAN, pprm, o, 1.0, h, F, False)
    elif kind == GAUSSIAN:
        _force_kick_loop(x, p, F, i0, m, GAUSSIAN, pprm, o, g, h, F, False)
    elif kind == GRIDDED:
        _force_kick_loop(x, p, F, i0, m, GRIDDED, pprm, o, g, h, F, False)
    elif kind == HARMONIC:
        _force_kick_loop(x, p, F, i0, m, HARMONIC, pprm, o, g, h, F, False)
    elif kind == UNIFORM_FIELD:
        _force_kick_loop(x, p, F, i0, m, UNIFORM_FIELD, pprm, o, g, h, F, False)
    elif kind == QUARTIC:
        _force_kick_loop(x, p, F, i0, m, QUARTIC, pprm, o, g, h, F, False)
    elif kind == ECKART:
        _force_kick_loop(x, p, F, i0, m, ECKART, pprm, o, g, h, F, False)
    elif kind == STEP:
        _force_kick_loop(x, p, F, i0, m, STEP, pprm, o, g, h, F, False)
    else:
        _force_kick_loop(x, p, F, i0, m, PERIODIC_POTENTIAL, pprm, o, g, h, F, False)


@njit(**JIT)
def force_kick_potential(x, p, F, i0, m, terms, pprm, t, h, U):
    """:func:`force_kick` for a one-term Gaussian or gridded potential, and U[:m] = U(x, t)
    from the same evaluation (bitwise :func:`.evaluate.block_potential`'s); returns whether
    it did (False, and nothing done, for another potential)."""
    if terms.shape[0] != 1 or (terms[0, 0] != GAUSSIAN and terms[0, 0] != GRIDDED):
        return False
    o = terms[0, 1]
    g = modulation(terms[0, 2], pprm, terms[0, 3], t)
    if terms[0, 0] == GAUSSIAN and terms[0, 2] == STATIC:  # as in force_kick
        _force_kick_loop(x, p, F, i0, m, GAUSSIAN, pprm, o, 1.0, h, U, True)
    elif terms[0, 0] == GAUSSIAN:
        _force_kick_loop(x, p, F, i0, m, GAUSSIAN, pprm, o, g, h, U, True)
    else:
        _force_kick_loop(x, p, F, i0, m, GRIDDED, pprm, o, g, h, U, True)
    return True


@njit(**SCALAR)
def _step_loop(x, p, F, i0, m, walls, kind, pprm, o, g, c, d, h, inv_m, lo, hi):
    """A whole leapfrog step on one axis over a sub-block in one loop, for a parabolic band and
    a one-term potential (``walls`` and ``kind`` constants): q = p0 + c F0, x0 += d q / m, the
    one-box periodic wrap, F0 = 0 + g F_k(x0), p0 = q + h F0; per marker the operations of
    :func:`kick_drift` and then :func:`force_kick`, in their order (bitwise the same). A marker
    still outside [lo, hi) after the wrap keeps p0 = q (its force not yet known): the caller
    moves it into the box and kicks it (:func:`_kick_outside`). Returns how many there are.
    For a uniform field only F[0, 0] is read and written (every marker's force)."""
    outside = 0
    length = hi - lo
    # a uniform field's force is the same for every marker: kept in F[0, 0] alone, and
    # f0 = F[0, 0] read once (a load and a store less per marker)
    f0 = F[0, 0]
    for i in range(m):
        j = i0 + i
        q = p[0, j] + c * (f0 if kind == UNIFORM_FIELD else F[0, i])
        y = x[0, j] + d * (q * inv_m)
        if walls == _WRAP:
            y = wrap_once(y, lo, hi, length)
        x[0, j] = y
        a, _, _ = term_force(kind, pprm, o, y, 0.0, 0.0)
        f = 0.0 + g * a
        if kind != UNIFORM_FIELD:
            F[0, i] = f
        if walls == _NO_WALLS:
            p[0, j] = q + h * f
        else:
            out = not (y >= lo and y < hi)
            outside += out
            p[0, j] = q if out else q + h * f
    if kind == UNIFORM_FIELD:
        a, _, _ = term_force(kind, pprm, o, 0.0, 0.0, 0.0)
        F[0, 0] = 0.0 + g * a
    return outside


@njit(**SCALAR)
def _step_walls(x, p, F, i0, m, walls, kind, pprm, o, g, c, d, h, inv_m, lo, hi):
    """:func:`_step_loop` with ``walls`` constant, for ``kind`` constant."""
    if walls == _NO_WALLS:
        return _step_loop(x, p, F, i0, m, _NO_WALLS, kind, pprm, o, g, c, d, h, inv_m, lo, hi)
    elif walls == _WRAP:
        return _step_loop(x, p, F, i0, m, _WRAP, kind, pprm, o, g, c, d, h, inv_m, lo, hi)
    return _step_loop(x, p, F, i0, m, _CHECK, kind, pprm, o, g, c, d, h, inv_m, lo, hi)


#: Potential kinds with a one-loop leapfrog step (:func:`fused_step`): those whose force costs
#: a few flops (the Gaussian's exp and the table's gather are as fast in two loops).
_FUSED = (UNIFORM_FIELD, HARMONIC)


@njit(**JIT)
def fused_step(x, p, F, i0, m, walls, kind, pprm, o, g, c, d, h, inv_m, lo, hi):
    """:func:`_step_loop` for a potential kind of :data:`_FUSED`, with the constants it
    needs. Returns the count of markers outside."""
    if kind == UNIFORM_FIELD:
        return _step_walls(x, p, F, i0, m, walls, UNIFORM_FIELD, pprm, o, g, c, d, h, inv_m,
                           lo, hi)
    return _step_walls(x, p, F, i0, m, walls, HARMONIC, pprm, o, g, c, d, h, inv_m, lo, hi)


@njit(**JIT)
def _kick_outside(x, p, F, i0, m, walls, klo, khi, kind, pprm, o, g, h, lo, hi):
    """After :func:`fused_step`: the markers outside [lo, hi) moved into the box by
    :func:`wall` (or the rest of the periodic wrap), then given their force and last kick."""
    for i in range(m):
        j = i0 + i
        y = x[0, j]
        if y >= lo and y < hi:
            continue
        if walls == _WRAP:
            x[0, j] = wrap_rest(y, lo, hi, hi - lo)
        else:
            x[0, j], p[0, j], _ = wall(klo, khi, lo, hi, y, p[0, j])
        a, _, _ = term_force(kind, pprm, o, x[0, j], 0.0, 0.0)
        f = 0.0 + g * a
        F[0, i] = f
        p[0, j] = p[0, j] + h * f


@njit(**SCALAR)
def linear_map(kind, pprm, o, dt, inv_m):
    """Whether :func:`linear_steps` takes a static term of a :data:`_FUSED` kind: a uniform
    field always; a harmonic term when it is stable under the leapfrog (0 < dt^2 K / m < 4),
    where the energy bound of the wall test holds."""
    if kind == UNIFORM_FIELD:
        return True
    r = dt * dt * pprm[o] * inv_m
    return r > 0.0 and r < 4.0


def linear_closed_form(dx, scheme, dkind, dprm, terms, pprm, wkind, dt, nsteps):
    """Whether :func:`push_blocks` pushes a call by :func:`linear_steps` (one axis, leapfrog,
    parabolic band, one static uniform-field or stable harmonic term, no absorbing wall,
    ``nsteps`` >= 2): then its results are :func:`push_markers`' up to roundings (the same map
    composed differently), still bitwise the same on any thread count."""
    return bool(dx == 1 and scheme == LEAPFROG and dkind == PARABOLIC and nsteps >= 2
                and terms.shape[0] == 1 and terms[0, 0] in _FUSED and terms[0, 2] == STATIC
                and not (wkind[:1] == ABSORBING).any()
                and linear_map(terms[0, 0], pprm, terms[0, 1], dt, 1.0 / dprm[0]))


@njit(**SCALAR)
def _matrix_power(a11, a12, a21, a22, k):
    """M^k (k >= 1) of the 2x2 matrix M = [[a11, a12], [a21, a22]] by binary powers (about
    2 log2 k products): four numbers, row by row."""
    r11, r12, r21, r22 = a11, a12, a21, a22
    k -= 1
    while k > 0:
        if k & 1:
            r11, r12, r21, r22 = (r11 * a11 + r12 * a21, r11 * a12 + r12 * a22,
                                  r21 * a11 + r22 * a21, r21 * a12 + r22 * a22)
        a11, a12, a21, a22 = (a11 * a11 + a12 * a21, a11 * a12 + a12 * a22,
                              a21 * a11 + a22 * a21, a21 * a12 + a22 * a22)
        k >>= 1
    return r11, r12, r21, r22


@njit(**SCALAR)
def _linear_loop(x, p, i0, m, ok, kind, walls, c0, m11, m12, m21, m22, e1, e2, reach, k_dt_k,
                 inv_beta_m, lo, hi, slack):
    """k leapfrog steps of a linear force (:func:`linear_steps`) in one pass over markers
    i0..i0+m-1 (``kind`` and ``walls`` constants). With walls only the markers that cannot
    reach lo or hi within the k steps are moved (ok[i] = 1); the others are left as they were
    (ok[i] = 0) for the per-step path. Returns how many were left."""
    left = 0
    for i in range(m):
        j = i0 + i
        y = x[0, j]
        q = p[0, j]
        if kind == HARMONIC:
            u = y - c0
            xn = c0 + (m11 * u + m12 * q)
            pn = m21 * u + m22 * q
        else:
            xn = y + (m12 * q + e1)
            pn = q + e2
        if walls == _NO_WALLS:
            x[0, j] = xn
            p[0, j] = pn
            continue
        if kind == HARMONIC:
            # the leapfrog map conserves E~ = q^2/2m + beta u^2/2 exactly (beta = K (1 -
            # dt^2 K / 4m) > 0), so |u_j| <= sqrt(2 E~ / beta) <= A = |u| + |q| / sqrt(m beta)
            # at every step j (A without a square root: vectorises better); then |F_j| <= K A,
            # every drift momentum is below |q_0| + k dt K A, and
            # |x_j - x_0| <= (k dt / m) (|q_0| + k dt K A)
            a = abs(u) + abs(q) * inv_beta_m
            r = reach * (abs(q) + k_dt_k * a)
            low = c0 - a if c0 - a > y - r else y - r
            up = c0 + a if c0 + a < y + r else y + r
        else:
            # x_j = x_0 + j dt q / m + j^2 dt^2 F / 2m: within D of x_0 for j <= k
            r = reach * abs(q) + abs(e1)
            low = y - r
            up = y + r
        safe = low - slack >= lo and up + slack < hi  # False for NaN
        ok[i] = safe
        left += not safe
        x[0, j] = xn if safe else y
        p[0, j] = pn if safe else q
    return left


@njit(**JIT)
def linear_steps(x, p, i0, m, F, side, buf, walls, klo, khi, kind, pprm, o, dt, inv_m, nsteps,
                 lo, hi):
    """``nsteps`` >= 2 leapfrog steps (parabolic band, one static uniform-field or harmonic
    term, one axis) of markers i0..i0+m-1 as one map. The force is linear in x, so k steps are
    the affine map M^k: for a uniform field F, x_k = x + k dt p / m + k^2 dt^2 F / 2m and
    p_k = p + k dt F; for a harmonic term K (u = x - c), (u, p)_k = M^k (u, p)_0 with
    M = [[1 - dt^2 K / 2m, dt / m], [-dt K (1 - dt^2 K / 4m), 1 - dt^2 K / 2m]]. The same map
    as the per-step path (:func:`fused_step`), with other roundings (relative ~k eps).

    With walls, a marker goes through the per-step path instead unless it provably stays at
    least ``slack`` inside [lo, hi) for the k steps (``_linear_loop``): those markers are
    gathered into ``buf`` (3, SUB), pushed by :func:`fused_step` and scattered back; ``side``
    serves as the index list and is -1 again on return. Each marker's result thus depends only
    on itself and ``nsteps``. (Accelerator tracking codes treat linear sections alike: one
    transfer matrix for a stretch of linear elements applied to a block of particles, e.g.
    the Accelerator Toolbox's ``findm44`` and trackcpp's ``matrix_pass``. The energy bound is
    the leapfrog's exactly conserved modified energy: Hairer, Lubich and Wanner, *Geometric
    Numerical Integration*, sec. I.5 and IX.)"""
    c, d = stage(LEAPFROG, 0, dt)
    h = last_kick(LEAPFROG, dt)
    a, _, _ = term_force(kind, pprm, o, 0.0, 0.0, 0.0)
    k = nsteps
    reach = k * dt * inv_m
    c0 = 0.0
    m11 = m22 = 1.0
    m21 = 0.0
    m12 = reach
    e1 = 0.5 * (k * dt) * (k * dt) * a * inv_m
    e2 = (k * dt) * a
    k_dt_k = inv_beta_m = 0.0
    if kind == HARMONIC:
        kk = pprm[o]
        c0 = pprm[o + 1]
        beta = kk * (1.0 - 0.25 * dt * dt * kk * inv_m)
        m11, m12, m21, m22 = _matrix_power(1.0 - 0.5 * dt * dt * kk * inv_m, dt * inv_m,
                                           -dt * beta, 1.0 - 0.5 * dt * dt * kk * inv_m, k)
        k_dt_k = k * dt * kk
        inv_beta_m = math.sqrt(inv_m / beta)
    # far above the roundings by which the per-step positions differ from the exact map's
    # (~k eps |x|), far below any physical distance to a wall
    slack = 1e-9 * ((abs(lo) if math.isfinite(lo) else 0.0)
                    + (abs(hi) if math.isfinite(hi) else 0.0))
    if kind == HARMONIC:
        if walls == _NO_WALLS:
            _linear_loop(x, p, i0, m, side, HARMONIC, _NO_WALLS, c0, m11, m12, m21, m22, e1, e2,
                         reach, k_dt_k, inv_beta_m, lo, hi, slack)
            return
        left = _linear_loop(x, p, i0, m, side, HARMONIC, _CHECK, c0, m11, m12, m21, m22, e1, e2,
                            reach, k_dt_k, inv_beta_m, lo, hi, slack)
    else:
        if walls == _NO_WALLS:
            _linear_loop(x, p, i0, m, side, UNIFORM_FIELD, _NO_WALLS, c0, m11, m12, m21, m22, e1,
                         e2, reach, k_dt_k, inv_beta_m, lo, hi, slack)
            return
        left = _linear_loop(x, p, i0, m, side, UNIFORM_FIELD, _CHECK, c0, m11, m12, m21, m22,
                            e1, e2, reach, k_dt_k, inv_beta_m, lo, hi, slack)
    if left:
        n = 0
        for i in range(m):  # the markers left, compacted in place (n <= i)
            if side[i] == 0:
                side[n] = i
                n += 1
        X = buf[0:1]
        P = buf[1:2]
        for r in range(n):
            X[0, r] = x[0, i0 + side[r]]
            P[0, r] = p[0, i0 + side[r]]
        z = uint64(0)
        cnt = uint64(n)
        for r in range(n):
            a, _, _ = term_force(kind, pprm, o, X[0, r], 0.0, 0.0)
            F[0, r] = 0.0 + a
        for s in range(nsteps):
            if fused_step(X, P, F, z, cnt, walls, kind, pprm, o, 1.0, c, d, h, inv_m, lo, hi):
                _kick_outside(X, P, F, z, cnt, walls, klo, khi, kind, pprm, o, 1.0, h, lo, hi)
        for r in range(n):
            x[0, i0 + side[r]] = X[0, r]
            p[0, i0 + side[r]] = P[0, r]
    for i in range(m):
        side[i] = -1


@njit(**JIT)
def leapfrog_block_1d(x, p, i0, m, F, side, buf, dkind, dprm, terms, pprm, t_start, step0, dt,
                      nsteps, wkind, lo, hi, U):
    """:func:`advance_block` for one position axis, leapfrog, a parabolic or Kane band, a
    potential and no absorbing wall: two loops per step (kick-drift-wrap, then force-kick)
    instead of one per operation. Bitwise the same, except for a static uniform field or
    harmonic term (parabolic band) and ``nsteps`` >= 2: :func:`linear_steps`, the same map
    with other roundings. Returns whether U[:m] holds U(x) at the end (:func:`force_kick`
    of the last step, ``U`` not empty)."""
    klo = wkind[0, 0]
    khi = wkind[0, 1]
    if klo == OPEN and khi == OPEN:
        walls = _NO_WALLS
    elif klo == PERIODIC:
        walls = _WRAP
    else:
        walls = _CHECK
    xlo = lo[0]
    xhi = hi[0]
    c, d = stage(LEAPFROG, 0, dt)
    h = last_kick(LEAPFROG, dt)
    if dkind == PARABOLIC and terms.shape[0] == 1 and terms[0, 0] in _FUSED:
        kind = terms[0, 0]
        o = terms[0, 1]
        inv_m = 1.0 / dprm[0]
        if nsteps >= 2 and terms[0, 2] == STATIC and linear_map(kind, pprm, o, dt, inv_m):
            linear_steps(x, p, i0, m, F, side, buf, walls, klo, khi, kind, pprm, o, dt, inv_m,
                         nsteps, xlo, xhi)
            return False
    block_force(F, x, i0, m, 1, terms, pprm, t_start + step0 * dt)
    if dkind == PARABOLIC and terms.shape[0] == 1 and terms[0, 0] in _FUSED:
        kind = terms[0, 0]
        o = terms[0, 1]
        inv_m = 1.0 / dprm[0]
        for s in range(nsteps):
            g = modulation(terms[0, 2], pprm, terms[0, 3], t_start + (step0 + s + 1) * dt)
            if fused_step(x, p, F, i0, m, walls, kind, pprm, o, g, c, d, h, inv_m, xlo, xhi):
                _kick_outside(x, p, F, i0, m, walls, klo, khi, kind, pprm, o, g, h, xlo, xhi)
        return False
    have_u = False
    for s in range(nsteps):
        k = step0 + s
        t_end = t_start + (k + 1) * dt
        outside = kick_drift(x, p, F, i0, m, dkind, walls, c, d, dprm, xlo, xhi)
        if outside:
            for i in range(m):
                y = x[0, i0 + i]
                if y >= xlo and y < xhi:
                    continue
                if walls == _WRAP:
                    x[0, i0 + i] = wrap_rest(y, xlo, xhi, xhi - xlo)
                else:
                    x[0, i0 + i], p[0, i0 + i], _ = wall(klo, khi, xlo, xhi, y, p[0, i0 + i])
        if s == nsteps - 1 and U.shape[0] > 0:
            have_u = force_kick_potential(x, p, F, i0, m, terms, pprm, t_end, h, U)
            if have_u:
                break
        force_kick(x, p, F, i0, m, terms, pprm, t_end, h, side)
    return have_u


@njit(**SCALAR)
def one_axis_leapfrog(dx, scheme, dkind, terms, state, absorbing):
    """Whether :func:`advance_block` takes :func:`leapfrog_block_1d` (in sub-blocks of
    :data:`SUB_1D` markers): one position axis, leapfrog, a potential, a parabolic or Kane
    band, no marker states, no absorbing wall."""
    return (dx == 1 and scheme == LEAPFROG and not absorbing and terms.shape[0] > 0
            and state.shape[0] == 0 and (dkind == PARABOLIC or dkind == KANE))


@njit(**JIT)
def advance_block(x, p, state, mirror, i0, m, F, S, Q, side, scheme, dkind, dprm, terms, pprm,
                  t_start, step0, dt, nsteps, wkind, lo, hi, absorbing, reflecting, U):
    """:func:`advance` for the markers i0..i0+m-1 (m <= F.shape[1]) at once, steps outer and markers
    inner: every stage is a loop over independent markers that vectorises. Each marker gets
    bitwise what :func:`advance` gives it; ``side[i]`` is its absorbing side code or -1.

    ``state`` is empty for a stateless dispersion; for a stateful one (:mod:`.stateful`) the
    drift reads each marker's state, and after the walls a marker whose momentum component a
    was reversed takes the state ``mirror[state, a]`` (:func:`reflect_state`; ``Q`` keeps the
    momenta from before the walls when ``reflecting``). ``U`` (_SUB,) or empty: where the last
    force evaluation can give it (:func:`leapfrog_block_1d`), U[:m] = U(x) at the end; returns
    whether it did."""
    dx = x.shape[0]
    free = terms.shape[0] == 0
    has_state = state.shape[0] > 0
    for i in range(m):
        side[i] = -1
    if one_axis_leapfrog(dx, scheme, dkind, terms, state, absorbing):
        return leapfrog_block_1d(x, p, i0, m, F, side, Q, dkind, dprm, terms, pprm, t_start,
                                 step0, dt, nsteps, wkind, lo, hi, U)
    if not free:
        block_force(F, x, i0, m, dx, terms, pprm, t_start + step0 * dt)
    for s in range(nsteps):
        k = step0 + s
        t = t_start + k * dt
        t_end = t_start + (k + 1) * dt
        tau = t
        for j in range(stages(scheme)):
            c, d = stage(scheme, j, dt)
            if not free:
                if j > 0:
                    block_force(F, x, i0, m, dx, terms, pprm, tau)
                block_kick(p, F, i0, m, dx, c, side, absorbing)
            if has_state:
                block_drift_states(x, p, state, i0, m, dkind, dprm, d, side, absorbing)
            else:
                block_drift(x, p, S, i0, m, dx, dkind, dprm, d, side, absorbing)
            tau = tau + d
        if reflecting:
            for a in range(dx):
                for i in range(m):
                    Q[a, i] = p[a, i0 + i]
        block_walls(x, p, i0, m, dx, wkind, lo, hi, side)
        if reflecting:
            for i in range(m):
                j = i0 + i
                state[j] = reflect_state(mirror, state[j], p[0, j] != Q[0, i],
                                         dx > 1 and p[1, j] != Q[1, i],
                                         dx > 2 and p[2, j] != Q[2, i])
        if not free:
            block_force(F, x, i0, m, dx, terms, pprm, t_end)
            block_kick(p, F, i0, m, dx, last_kick(scheme, dt), side, absorbing)
    return False


@njit(**SCALAR)
def tally_absorbed(w, i0, m, side, b, absorbed_weight, absorbed_count, gone):
    """Markers i0..i0+m-1 of block ``b``: gone[i0 + i] = 1 where ``side[i]`` >= 0 (absorbed
    there), else 0; the absorbed ones' weights added to absorbed_weight[b, side] in index
    order and counted in absorbed_count[b]."""
    for i in range(m):
        out = side[i] >= 0
        gone[i0 + i] = out
        if out:
            absorbed_weight[b, side[i]] += w[i0 + i]
            absorbed_count[b] += 1


#: Doubles per cache line.
_LINE = 8


@njit(**SCALAR)
def prefetch_markers(x, p, w, i0, m, coordinates):
    """Ask the cache for the weights of markers i0..i0+m-1 (and with ``coordinates`` their x
    and p rows): a frame's sums read them at the end of a sub-block's steps (or at once, before
    them), after the hardware prefetcher has stopped (the way :mod:`.fieldmesh` prefetches the
    next sub-block)."""
    for k in range(0, m, _LINE):
        prefetch(w, i0 + k)
        if coordinates:
            for a in range(x.shape[0]):
                prefetch(x, a * x.shape[1] + i0 + k)
            for a in range(p.shape[0]):
                prefetch(p, a * p.shape[1] + i0 + k)


@njit(**JIT)
def push_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start, step0,
               dt, nsteps, wkind, lo, hi, absorbing, absorbed_weight, absorbed_count, gone, sums,
               start_sums):
    """Block ``b`` (markers b BLOCK .. (b + 1) BLOCK - 1) of :func:`push_blocks` /
    :func:`push_states`: its sub-blocks of :data:`SUB` markers (:data:`SUB_1D` where
    :func:`one_axis_leapfrog`) through :func:`advance_block` (``state`` empty for a stateless
    dispersion), then (with an absorbing wall) its absorbed
    markers tallied in index order (as :func:`push_markers` tallies them) and flagged in
    ``gone`` (1 absorbed, 0 not). With ``sums`` (nblock, 6) not empty, sums[b] = the block's
    row of :func:`.evaluate.marker_sums` at the end time t_start + (step0 + nsteps) dt, each
    sub-block summed while it is in cache (bitwise the same row: the same sub-blocks); with
    ``start_sums`` (nblock, 6) not empty, start_sums[b] = the row at the start time t_start +
    step0 dt, each sub-block summed before it is pushed."""
    for k in range(6):
        absorbed_weight[b, k] = 0.0
    absorbed_count[b] = 0
    frame = sums.shape[0] > 0
    start = start_sums.shape[0] > 0
    dx = x.shape[0]
    # markers pushed together: SUB_1D for the one-axis leapfrog, else SUB
    sub = SUB_1D if one_axis_leapfrog(dx, scheme, dkind, terms, state, absorbing) else SUB
    E = np.empty(sub if frame or start else 0)
    R = np.empty((6, SUB if frame or start else 0))
    acc = np.zeros(6)
    acc0 = np.zeros(6)
    t_frame = t_start + (step0 + nsteps) * dt
    F = np.empty((3, sub))
    S = np.empty(sub)
    Q = np.empty((3, sub))
    side = np.empty(sub, np.int64)
    reflecting = False
    if state.shape[0] > 0:
        for a in range(dx):
            if wkind[a, 0] == REFLECTING or wkind[a, 1] == REFLECTING:
                reflecting = True
    end = min(n, (b + 1) * BLOCK)
    for a0 in range(b * BLOCK, end, sub):
        count = min(sub, end - a0)
        i0 = uint64(a0)
        m = uint64(count)
        if start:  # the next sub-block's markers, summed right away: asked for now
            prefetch_markers(x, p, w, i0 + m, min(sub, end - a0 - count), True)
        elif frame:  # its weights, summed after the steps: asked for before them
            prefetch_markers(x, p, w, i0, m, False)
        # the sums go by SUB markers whatever ``sub`` is: the rows of evaluate.marker_sums
        if start:
            for k0 in range(0, count, SUB):
                sub_block_sums(E, R, acc0, x, p, w, state, uint64(a0 + k0),
                               uint64(min(SUB, count - k0)), dkind, dprm, terms, pprm,
                               t_start + step0 * dt, False)
        have_u = advance_block(x, p, state, mirror, i0, m, F, S, Q, side, scheme, dkind, dprm,
                               terms, pprm, t_start, step0, dt, nsteps, wkind, lo, hi, absorbing,
                               reflecting, E if frame else E[:0])
        if absorbing:
            tally_absorbed(w, i0, m, side, b, absorbed_weight, absorbed_count, gone)
        if frame:
            for k0 in range(0, count, SUB):
                sub_block_sums(E[k0:], R, acc, x, p, w, state, uint64(a0 + k0),
                               uint64(min(SUB, count - k0)), dkind, dprm, terms, pprm, t_frame,
                               have_u)
    if frame:
        for k in range(6):
            sums[b, k] = acc[k]
    if start:
        for k in range(6):
            start_sums[b, k] = acc0[k]


@njit(**JIT)
def any_absorbing(wkind, dx):
    """Whether a wall of the first ``dx`` axes absorbs."""
    for a in range(dx):
        if wkind[a, 0] == ABSORBING or wkind[a, 1] == ABSORBING:
            return True
    return False


@njit(**JIT_PARALLEL)
def push_blocks_sums(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                     wkind, lo, hi, absorbed_weight, absorbed_count, gone, sums, start_sums):
    """:func:`push_blocks`, and with ``sums`` (nblock, 6) not empty the rows of
    :func:`.evaluate.marker_sums` at the end of the call (:func:`push_block`): a frame's
    scalars without another pass over the markers; likewise ``start_sums`` at its start."""
    absorbing = any_absorbing(wkind, x.shape[0])
    state = np.empty(0, np.int64)  # stateless
    mirror = np.empty((0, 3), np.int64)
    for b in prange((n + BLOCK - 1) // BLOCK):
        push_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm,
                   t_start, step0, dt, nsteps, wkind, lo, hi, absorbing, absorbed_weight,
                   absorbed_count, gone, sums, start_sums)


@njit(**JIT)
def push_blocks_sums_serial(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt,
                            nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone, sums,
                            start_sums):
    """:func:`push_blocks_sums` on the calling thread: for a few blocks, where waking the
    thread pool costs more than the push."""
    absorbing = any_absorbing(wkind, x.shape[0])
    state = np.empty(0, np.int64)  # stateless
    mirror = np.empty((0, 3), np.int64)
    for b in range((n + BLOCK - 1) // BLOCK):
        push_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm,
                   t_start, step0, dt, nsteps, wkind, lo, hi, absorbing, absorbed_weight,
                   absorbed_count, gone, sums, start_sums)


@njit(**JIT)
def push_blocks(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """The push (:func:`kernels`) for any configuration, the blocks in parallel
    (:func:`push_block`), each in sub-blocks of :data:`SUB` markers held in L1. Bitwise the
    same as :func:`push_markers`."""
    push_blocks_sums(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                     wkind, lo, hi, absorbed_weight, absorbed_count, gone, np.empty((0, 6)),
                     np.empty((0, 6)))


@njit(**JIT)
def push_blocks_serial(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt,
                       nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """:func:`push_blocks` on the calling thread: for a few blocks, where waking the thread
    pool costs more than the push."""
    push_blocks_sums_serial(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt,
                            nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone,
                            np.empty((0, 6)), np.empty((0, 6)))


def free_flight(dx, scheme, dkind, terms, wkind):
    """Whether :func:`push_free` covers a configuration: no potential, leapfrog, a parabolic
    band, and no absorbing wall (each axis then moves on its own)."""
    return (terms.shape[0] == 0 and scheme == LEAPFROG and dkind == PARABOLIC
            and not (wkind[:dx] == ABSORBING).any())


@njit(**SCALAR)
def drift_axis(x, p, a, i0, i1, inv_m, dt, klo, khi, xlo, xhi):
    """Markers i0..i1-1 (uint64): x[a] <- x[a] + dt p[a] / m, then the walls of axis ``a``
    (kinds ``klo``, ``khi`` at ``xlo``, ``xhi``; not absorbing): a streaming loop, as a plain C
    drift would be written; periodic axes wrap with :func:`wall`'s own :func:`wrap_once` and
    :func:`wrap_rest`, other walls leave the loop for :func:`wall`."""
    if klo == OPEN and khi == OPEN:  # no walls on this axis
        for i in range(i0, i1):
            x[a, i] = x[a, i] + dt * (p[a, i] * inv_m)
        return
    length = xhi - xlo
    if klo == PERIODIC:
        # wall()'s periodic image in two passes: the one-box wrap for all (a loop that
        # vectorises), the rest for the few it leaves outside
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
        return
    for i in range(i0, i1):
        y = x[a, i] + dt * (p[a, i] * inv_m)
        if y >= xlo and y < xhi:
            x[a, i] = y
        else:
            x[a, i], p[a, i], _side = wall(klo, khi, xlo, xhi, y, p[a, i])


@njit(**SCALAR)
def free_block(x, p, n, b, inv_m, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count):
    """Block ``b`` of :func:`push_free`: x <- x + dt p / m, then the walls, axis by axis
    (:func:`drift_axis`)."""
    dx = x.shape[0]
    for k in range(6):
        absorbed_weight[b, k] = 0.0
    absorbed_count[b] = 0
    i0 = uint64(b * BLOCK)
    i1 = uint64(min(n, (b + 1) * BLOCK))
    for a in range(dx):
        for _ in range(nsteps):
            drift_axis(x, p, a, i0, i1, inv_m, dt, wkind[a, 0], wkind[a, 1], lo[a], hi[a])


@njit(**JIT_PARALLEL)
def push_free(x, p, n, dprm, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count):
    """The push (:func:`kernels`) for the configurations :func:`free_flight` covers, the blocks
    in parallel (:func:`free_block`). Bitwise the same as :func:`push_markers`: with no force,
    the axes of a parabolic band never mix."""
    inv_m = 1.0 / dprm[0]
    for b in prange((n + BLOCK - 1) // BLOCK):
        free_block(x, p, n, b, inv_m, dt, nsteps, wkind, lo, hi, absorbed_weight,
                   absorbed_count)


@njit(**JIT)
def push_free_serial(x, p, n, dprm, dt, nsteps, wkind, lo, hi, absorbed_weight,
                     absorbed_count):
    """:func:`push_free` on the calling thread (few marker-steps)."""
    inv_m = 1.0 / dprm[0]
    for b in range((n + BLOCK - 1) // BLOCK):
        free_block(x, p, n, b, inv_m, dt, nsteps, wkind, lo, hi, absorbed_weight,
                   absorbed_count)


@njit(**SCALAR)
def markers_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start,
                  step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """Block ``b`` of :func:`push_markers` / :func:`push_states`: one marker at a time through
    :func:`advance`; ``state`` (empty: every marker in state 0, never written) is read and
    written per marker; ``gone`` (empty: not written) flags the absorbed markers."""
    dx = x.shape[0]
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    flags = gone.shape[0] > 0
    for k in range(6):
        absorbed_weight[b, k] = 0.0
    absorbed_count[b] = 0
    # unsigned indices: no negative-index wraparound on every access
    for i in range(uint64(b * BLOCK), uint64(min(n, (b + 1) * BLOCK))):
        x0, x1, x2 = column(x, i, dx)
        p0, p1, p2 = column(p, i, dp)
        s = state[i] if has_state else 0
        x0, x1, x2, p0, p1, p2, side, s = advance(
            x0, x1, x2, p0, p1, p2, dx, scheme, dkind, dprm, terms, pprm,
            t_start, step0, dt, nsteps, wkind, lo, hi, s, mirror)
        # the components of p beyond dx never change (kicks and walls act on the first dx)
        x[0, i] = x0
        p[0, i] = p0
        if dx > 1:
            x[1, i] = x1
            p[1, i] = p1
        if dx > 2:
            x[2, i] = x2
            p[2, i] = p2
        if has_state:
            state[i] = s
        if flags:
            gone[i] = side >= 0
        if side >= 0:
            absorbed_weight[b, side] += w[i]
            absorbed_count[b] += 1


@njit(**JIT_PARALLEL)
def push_markers(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                 wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """The per-marker reference push for any stateless configuration: one marker at a time
    through :func:`advance`."""
    state = np.empty(0, np.int64)
    mirror = np.empty((0, 3), np.int64)
    for b in prange((n + BLOCK - 1) // BLOCK):
        markers_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start,
                      step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone)


@njit(**SCALAR)
def _state_drift_loop(x, p, state, i0, m, dx, dp, dkind, dprm, h, side, masked):
    """x <- x + h v(p, state) (:func:`.stateful.velocity`) over a sub-block, ``dx``, ``dp`` and
    ``masked`` constants; only where ``side`` < 0 when masked."""
    for i in range(m):
        j = i0 + i
        p0, p1, p2 = column(p, j, dp)
        v0, v1, v2 = stateful.velocity(dkind, dprm, state[j], p0, p1, p2)
        keep = masked and side[i] >= 0
        x[0, j] = x[0, j] if keep else x[0, j] + h * v0
        if dx > 1:
            x[1, j] = x[1, j] if keep else x[1, j] + h * v1
        if dx > 2:
            x[2, j] = x[2, j] if keep else x[2, j] + h * v2


@njit(**JIT)
def block_drift_states(x, p, state, i0, m, dkind, dprm, h, side, masked):
    """:func:`block_drift` for a stateful dispersion: each marker with its state's velocity."""
    dx = x.shape[0]
    dp = p.shape[0]
    if dp == 3:
        if dx == 1:
            _state_drift_loop(x, p, state, i0, m, 1, 3, dkind, dprm, h, side, masked)
        elif dx == 2:
            _state_drift_loop(x, p, state, i0, m, 2, 3, dkind, dprm, h, side, masked)
        else:
            _state_drift_loop(x, p, state, i0, m, 3, 3, dkind, dprm, h, side, masked)
    elif dp == 2:
        if dx == 1:
            _state_drift_loop(x, p, state, i0, m, 1, 2, dkind, dprm, h, side, masked)
        else:
            _state_drift_loop(x, p, state, i0, m, 2, 2, dkind, dprm, h, side, masked)
    else:
        _state_drift_loop(x, p, state, i0, m, 1, 1, dkind, dprm, h, side, masked)


@njit(**JIT_PARALLEL)
def push_states(x, p, w, state, mirror, n, scheme, dkind, dprm, terms, pprm, t_start, step0,
                dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """The push for a stateful dispersion (:mod:`.stateful`): :func:`push_blocks` with each
    marker's ``state`` (int64 (capacity,)) read by the drift and mapped by ``mirror`` (int64
    (nstate, 3): the state after a reflecting wall reverses momentum component a) at the
    walls. The kick does not depend on the state. Bitwise the same as
    :func:`push_states_markers`."""
    absorbing = any_absorbing(wkind, x.shape[0])
    for b in prange((n + BLOCK - 1) // BLOCK):
        push_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start,
                   step0, dt, nsteps, wkind, lo, hi, absorbing, absorbed_weight, absorbed_count,
                   gone, np.empty((0, 6)), np.empty((0, 6)))


@njit(**JIT)
def push_states_serial(x, p, w, state, mirror, n, scheme, dkind, dprm, terms, pprm, t_start,
                       step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """:func:`push_states` on the calling thread (few marker-steps)."""
    absorbing = any_absorbing(wkind, x.shape[0])
    for b in range((n + BLOCK - 1) // BLOCK):
        push_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start,
                   step0, dt, nsteps, wkind, lo, hi, absorbing, absorbed_weight, absorbed_count,
                   gone, np.empty((0, 6)), np.empty((0, 6)))


@njit(**JIT_PARALLEL)
def push_states_markers(x, p, w, state, mirror, n, scheme, dkind, dprm, terms, pprm, t_start,
                        step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone):
    """The per-marker reference of :func:`push_states`: one marker at a time through
    :func:`advance` with its state."""
    for b in prange((n + BLOCK - 1) // BLOCK):
        markers_block(x, p, w, state, mirror, n, b, scheme, dkind, dprm, terms, pprm, t_start,
                      step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone)


def kernels(dx, scheme, dkind, terms, wkind):
    """The push for a configuration: a function ``(x, p, w, n, scheme, dkind, dprm, terms,
    pprm, t_start, step0, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone)`` that
    pushes markers 0..n-1 of the (dx, capacity) / (dp, capacity) arrays ``x``, ``p`` in place:
    :func:`push_free` where :func:`free_flight` covers the configuration, else
    :func:`push_blocks`, each on the calling thread when a call has at most
    :data:`SERIAL_WORK` marker-steps. (The kernels are compiled when first called.)

    A marker that leaves through an absorbing wall is frozen where it crossed and flagged in
    ``gone`` (uint8 (capacity,): 1 absorbed, 0 not, written for markers 0..n-1 when a wall
    absorbs; may be empty when none does); its weight is left as it was (signed markers keep
    their sign). ``absorbed_weight[block, 2*axis + side]`` and ``absorbed_count[block]``
    receive the per-block tallies (summed by the caller in block order: deterministic).

    A stateful dispersion (:func:`.stateful.needs_state`) gets :func:`push_states`, whose
    function takes two more arguments after ``gone``: the markers' ``state`` and the
    ``mirror`` table of the reflecting walls.

    The function of :func:`push_blocks` has the attribute ``frame_sums`` (True) and takes two
    more, optional arguments ``sums`` and ``start_sums``: (nblock, 6) arrays that receive the
    rows of :func:`.evaluate.marker_sums` at the end of the call, computed in the push's last
    pass (:func:`push_blocks_sums`; for a frame that follows the push; absorbed markers are
    still counted in them), and at its start, computed in its first pass."""
    if stateful.needs_state(dkind):
        def states(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                   wkind, lo, hi, absorbed_weight, absorbed_count, gone, state, mirror):
            kernel = push_states_serial if n * nsteps <= SERIAL_WORK else push_states
            kernel(x, p, w, state, mirror, n, scheme, dkind, dprm, terms, pprm, t_start, step0,
                   dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count, gone)
        return states
    if free_flight(dx, scheme, dkind, terms, wkind):
        def free(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                 wkind, lo, hi, absorbed_weight, absorbed_count, gone):
            kernel = push_free_serial if n * nsteps <= SERIAL_WORK else push_free
            kernel(x, p, n, dprm, dt, nsteps, wkind, lo, hi, absorbed_weight, absorbed_count)
        return free

    def blocks(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
               wkind, lo, hi, absorbed_weight, absorbed_count, gone, sums=None, start_sums=None):
        if sums is None and start_sums is None:
            kernel = push_blocks_serial if n * nsteps <= SERIAL_WORK else push_blocks
            kernel(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps,
                   wkind, lo, hi, absorbed_weight, absorbed_count, gone)
            return
        none = np.empty((0, 6))
        kernel = push_blocks_sums_serial if n * nsteps <= SERIAL_WORK else push_blocks_sums
        kernel(x, p, w, n, scheme, dkind, dprm, terms, pprm, t_start, step0, dt, nsteps, wkind,
               lo, hi, absorbed_weight, absorbed_count, gone, none if sums is None else sums,
               none if start_sums is None else start_sums)
    blocks.frame_sums = True
    start_threads()  # push_blocks, not parallel itself, runs the parallel push_blocks_sums
    return blocks


@njit(**JIT)
def absorbed_indices(gone, n, absorbed_count):
    """Ascending indices of the markers flagged in ``gone`` (uint8 or bool, :func:`kernels`),
    scanning only the blocks with any."""
    total = 0
    for b in range(absorbed_count.shape[0]):
        total += absorbed_count[b]
    out = np.empty(total, np.int64)
    k = 0
    for b in range(absorbed_count.shape[0]):
        if absorbed_count[b] == 0:
            continue
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            if gone[i]:
                out[k] = i
                k += 1
    return out

