"""Charge assignment and field interpolation on a uniform field mesh (particle-in-cell).

A marker at x deposits its charge on the mesh nodes x_j with the shape function S(x - x_j) of
order 0 (nearest grid point, NGP), 1 (cloud in cell, CIC: linear weights on the 2 nearest nodes
per axis) or 2 (triangular shaped cloud, TSC: quadratic B-spline weights on the 3 nearest nodes),
a tensor product over the axes; the field is interpolated back to the marker with the *same*
weights. With the same shape for both and a spatially centred field difference the scheme has no
self-force and conserves momentum in a periodic box (C. K. Birdsall and A. B. Langdon, *Plasma
Physics via Computer Simulation*, sections 8-4 and 8-5; R. W. Hockney and J. W. Eastwood,
*Computer Simulation Using Particles*, section 5-3; fbpic writes its linear and cubic shapes
the same way, ``fbpic/particles/deposition/particle_shapes.py``).

A mesh is four arrays of 3 entries (axes beyond the mesh's dimension: ``n = 1``): ``lo`` (node 0
[m]), ``inv_h`` (1 / node spacing), ``n`` (nodes), ``per`` (1: periodic axis, n nodes at
lo + j h, j < n, index taken modulo n; 0: bounded axis, nodes at lo + j h, j <= n - 1, the ends
being walls). On a bounded axis a stencil node beyond a wall is folded back onto its mirror image
(-1 -> 1, n -> n - 2), the same in deposit and gather, so the deposit conserves charge and a
uniform density deposits uniformly up to the walls; markers outside [lo, lo + (n - 1) h] deposit
nothing and feel no field.

Reproducibility: fbpic's CPU deposit (``fbpic/particles/deposition/threading_methods.py``) gives
each thread a private copy of the grid and sums the copies afterwards; here the copies belong to
chunks of markers that depend only on the number of markers and the mesh size
(:func:`pmc._kernels.binning.chunk_count`), each filling its own private mesh in marker order;
the private meshes are summed in chunk order, so the charge is bitwise independent of the
thread count. The gather is per marker.
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .binning import chunk_count
from .push import wrap_once, wrap_rest
from .models import SCALAR

NGP, CIC, TSC = 0, 1, 2


@njit(**SCALAR)
def stencil(order, v, lo, inv_h, n, per):
    """(first node, w0, w1, w2, inside) of coordinate ``v`` on one axis: the nodes first,
    first + 1, first + 2 (before wrapping or folding) carry the weights w0, w1, w2 (zero beyond
    the order)."""
    if n == 1:
        return 0, 1.0, 0.0, 0.0, True
    s = (v - lo) * inv_h
    if per:
        s = s - n * math.floor(s / n)  # into [0, n)
        if s >= n:  # rounding of a tiny negative s
            s = 0.0
    elif not (s >= 0.0 and s <= n - 1):
        return 0, 0.0, 0.0, 0.0, False
    if order == NGP:
        return int(math.floor(s + 0.5)), 1.0, 0.0, 0.0, True
    if order == CIC:
        j = int(math.floor(s))
        if j >= n - 1 and not per:  # the upper wall itself
            j = n - 2
        f = s - j
        return j, 1.0 - f, f, 0.0, True
    j = int(math.floor(s + 0.5))
    d = s - j
    a = 0.5 - d
    b = 0.5 + d
    return j - 1, 0.5 * a * a, 0.75 - d * d, 0.5 * b * b, True


@njit(**SCALAR)
def node(k, n, per):
    """Mesh index of stencil node ``k`` on an axis of ``n`` nodes: modulo n (periodic) or folded
    about the walls (bounded)."""
    if per:
        if k < 0:
            return k + n
        if k >= n:
            return k - n
        return k
    if k < 0:
        return -k
    if k > n - 1:
        return 2 * (n - 1) - k
    return k


@njit(**SCALAR)
def _weights(order, x, i, dx, lo, inv_h, n, per):
    """Stencils of marker ``i`` on the three axes: (i0, w of axis 0 (3), i1, w1 (3), i2, w2 (3),
    inside)."""
    x0 = x[0, i]
    x1 = x[1, i] if dx > 1 else 0.0
    x2 = x[2, i] if dx > 2 else 0.0
    a0, u0, u1, u2, ok0 = stencil(order, x0, lo[0], inv_h[0], n[0], per[0])
    a1, v0, v1, v2, ok1 = stencil(order, x1, lo[1], inv_h[1], n[1], per[1])
    a2, z0, z1, z2, ok2 = stencil(order, x2, lo[2], inv_h[2], n[2], per[2])
    return a0, u0, u1, u2, a1, v0, v1, v2, a2, z0, z1, z2, ok0 and ok1 and ok2


@njit(**JIT)
def _deposit_range(x, w, start, stop, dx, order, lo, inv_h, n, per, out):
    """out[flat node] += w_i S of markers start..stop-1 (serially, in marker order)."""
    m0 = order + 1
    m1 = order + 1 if n[1] > 1 else 1
    m2 = order + 1 if n[2] > 1 else 1
    wa = np.empty(3)
    wb = np.empty(3)
    wc = np.empty(3)
    for i in range(start, stop):
        a0, wa[0], wa[1], wa[2], a1, wb[0], wb[1], wb[2], a2, wc[0], wc[1], wc[2], ok = \
            _weights(order, x, i, dx, lo, inv_h, n, per)
        if not ok:
            continue
        q = w[i]
        for ia in range(m0):
            ja = node(a0 + ia, n[0], per[0])
            qa = q * wa[ia]
            for ib in range(m1):
                jb = node(a1 + ib, n[1], per[1]) if n[1] > 1 else 0
                qb = qa * wb[ib]
                base = (ja * n[1] + jb) * n[2]
                for ic in range(m2):
                    jc = node(a2 + ic, n[2], per[2]) if n[2] > 1 else 0
                    out[base + jc] += qb * wc[ic]


@njit(**SCALAR)
def _local(v, lo, inv_h, n, per):
    """(s, inside): the coordinate in node spacings from node 0, wrapped into [0, n) on a
    periodic axis; inside = within [0, n - 1] on a bounded one."""
    s = (v - lo) * inv_h
    if per:
        if s < 0.0 or s >= n:
            s = s - n * math.floor(s / n)
            if s >= n:
                s = 0.0
        return s, True
    return s, s >= 0.0 and s <= n - 1


@njit(**SCALAR)
def _deposit_1d(x, w, start, stop, order, lo, inv_h, n, per, out):
    """:func:`_deposit_range` on one axis: one loop per shape, scalar weights."""
    if order == NGP:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if ok:
                out[node(int(math.floor(s + 0.5)), n, per)] += w[i]
    elif order == CIC:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if not ok:
                continue
            j = int(s)
            if j >= n - 1 and not per:
                j = n - 2
            f = s - j
            k = j + 1 if j + 1 < n else 0
            out[j] += w[i] * (1.0 - f)
            out[k] += w[i] * f
    else:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if not ok:
                continue
            j = int(math.floor(s + 0.5))
            d = s - j
            a = 0.5 - d
            b = 0.5 + d
            out[node(j - 1, n, per)] += w[i] * (0.5 * a * a)
            out[node(j, n, per)] += w[i] * (0.75 - d * d)
            out[node(j + 1, n, per)] += w[i] * (0.5 * b * b)


@njit(**SCALAR)
def _kick_1d(x, p, start, stop, order, lo, inv_h, n, per, field, h):
    """:func:`kick` on one axis: one loop per shape, scalar weights."""
    if order == NGP:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if ok:
                p[0, i] += h * field[0, node(int(math.floor(s + 0.5)), n, per)]
    elif order == CIC:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if not ok:
                continue
            j = int(s)
            if j >= n - 1 and not per:
                j = n - 2
            f = s - j
            k = j + 1 if j + 1 < n else 0
            p[0, i] += h * (field[0, j] * (1.0 - f) + field[0, k] * f)
    else:
        for i in range(start, stop):
            s, ok = _local(x[0, i], lo, inv_h, n, per)
            if not ok:
                continue
            j = int(math.floor(s + 0.5))
            d = s - j
            a = 0.5 - d
            b = 0.5 + d
            p[0, i] += h * (field[0, node(j - 1, n, per)] * (0.5 * a * a)
                            + field[0, node(j, n, per)] * (0.75 - d * d)
                            + field[0, node(j + 1, n, per)] * (0.5 * b * b))


@njit(**SCALAR)
def _periodic_local(v, lo, inv_h, n, inv_n):
    """Node index j in [0, n) and offset f in [0, 1) of coordinate ``v`` on a periodic axis,
    without branches (so that the loops over markers vectorise)."""
    s = (v - lo) * inv_h
    s = s - n * math.floor(s * inv_n)
    j = min(max(int(s), 0), n - 1)
    return j, s - j


@njit(**SCALAR)
def _deposit_periodic_1d(x, w, start, stop, order, lo, inv_h, n, acc):
    """:func:`_deposit_1d` on a periodic axis into ``acc`` of n + 3 entries: node j at acc[j + 1]
    (the caller folds acc[0], acc[n + 1], acc[n + 2] back onto nodes n - 1, 0, 1)."""
    inv_n = 1.0 / n
    if order == NGP:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            up = 1 if f >= 0.5 else 0
            acc[j + 1 + up] += w[i]
    elif order == CIC:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            acc[j + 1] += w[i] * (1.0 - f)
            acc[j + 2] += w[i] * f
    else:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            up = 1 if f >= 0.5 else 0
            d = f - up
            a = 0.5 - d
            b = 0.5 + d
            k = j + up
            acc[k] += w[i] * (0.5 * a * a)
            acc[k + 1] += w[i] * (0.75 - d * d)
            acc[k + 2] += w[i] * (0.5 * b * b)


@njit(**SCALAR)
def _fold_periodic(acc, n, out):
    """out[j] = acc[j + 1] plus the pads wrapped around (see :func:`_deposit_periodic_1d`)."""
    for j in range(n):
        out[j] = acc[j + 1]
    out[n - 1] += acc[0]
    out[0] += acc[n + 1]
    out[1 % n] += acc[n + 2]


@njit(**SCALAR)
def _kick_periodic_1d(x, p, start, stop, order, lo, inv_h, n, fpad, h):
    """:func:`_kick_1d` on a periodic axis, ``fpad`` the field with node j at fpad[j + 1] and
    fpad[0] = field[n - 1], fpad[n + 1] = field[0], fpad[n + 2] = field[1]: no branches, so the
    loop vectorises (gathers)."""
    inv_n = 1.0 / n
    if order == NGP:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            up = 1 if f >= 0.5 else 0
            p[0, i] += h * fpad[j + 1 + up]
    elif order == CIC:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            p[0, i] += h * (fpad[j + 1] * (1.0 - f) + fpad[j + 2] * f)
    else:
        for i in range(start, stop):
            j, f = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            up = 1 if f >= 0.5 else 0
            d = f - up
            a = 0.5 - d
            b = 0.5 + d
            k = j + up
            p[0, i] += h * (fpad[k] * (0.5 * a * a) + fpad[k + 1] * (0.75 - d * d)
                            + fpad[k + 2] * (0.5 * b * b))


@njit(**JIT)
def _deposit_any(x, w, start, stop, dx, order, lo, inv_h, n, per, out):
    if dx == 1 and per[0] != 0:
        m = n[0]
        acc = np.zeros(m + 3)
        _deposit_periodic_1d(x, w, start, stop, order, lo[0], inv_h[0], m, acc)
        _fold_periodic(acc, m, out)
    elif dx == 1:
        _deposit_1d(x, w, start, stop, order, lo[0], inv_h[0], n[0], per[0] != 0, out)
    else:
        _deposit_range(x, w, start, stop, dx, order, lo, inv_h, n, per, out)


@njit(**JIT_PARALLEL)
def deposit(x, w, count, dx, order, lo, inv_h, n, per, out):
    """out[flat node] = sum over markers of w_i S(x_i - x_node) (C order over the mesh axes):
    the weight assigned to each node; the caller divides by the node volumes. ``x`` is (dx,
    capacity) with the live markers first, ``w`` their weights, ``count`` the live markers.
    Bitwise independent of the thread count (see the module docstring)."""
    size = out.shape[0]
    nchunk = chunk_count(count, 1, size)
    chunk = (count + nchunk - 1) // nchunk
    chunk = ((chunk + BLOCK - 1) // BLOCK) * BLOCK
    if nchunk == 1:
        out[:] = 0.0
        _deposit_any(x, w, 0, count, dx, order, lo, inv_h, n, per, out)
        return out
    part = np.zeros((nchunk, size))
    for c in prange(nchunk):
        start = min(c * chunk, count)
        stop = min(start + chunk, count)
        _deposit_any(x, w, start, stop, dx, order, lo, inv_h, n, per, part[c])
    for j in prange(size):
        s = 0.0
        for c in range(nchunk):
            s += part[c, j]
        out[j] = s
    return out


@njit(**SCALAR)
def _gather(field, comp, a0, wa, a1, wb, a2, wc, m0, m1, m2, n, per):
    """sum of field[comp, node] S over the stencil of one marker."""
    s = 0.0
    for ia in range(m0):
        ja = node(a0 + ia, n[0], per[0])
        sa = 0.0
        for ib in range(m1):
            jb = node(a1 + ib, n[1], per[1]) if n[1] > 1 else 0
            base = (ja * n[1] + jb) * n[2]
            sb = 0.0
            for ic in range(m2):
                jc = node(a2 + ic, n[2], per[2]) if n[2] > 1 else 0
                sb += field[comp, base + jc] * wc[ic]
            sa += sb * wb[ib]
        s += sa * wa[ia]
    return s


@njit(**JIT_PARALLEL)
def gather(x, count, dx, order, lo, inv_h, n, per, field, out):
    """out[k, i] = sum over nodes of field[k, node] S(x_i - x_node): the ``field`` (ncomp, flat
    mesh) at the live markers; 0 for markers outside a bounded mesh."""
    m0 = order + 1
    m1 = order + 1 if n[1] > 1 else 1
    m2 = order + 1 if n[2] > 1 else 1
    ncomp = field.shape[0]
    nblock = (count + BLOCK - 1) // BLOCK
    for b in prange(nblock):
        wa = np.empty(3)
        wb = np.empty(3)
        wc = np.empty(3)
        for i in range(b * BLOCK, min((b + 1) * BLOCK, count)):
            a0, wa[0], wa[1], wa[2], a1, wb[0], wb[1], wb[2], a2, wc[0], wc[1], wc[2], ok = \
                _weights(order, x, i, dx, lo, inv_h, n, per)
            for k in range(ncomp):
                out[k, i] = _gather(field, k, a0, wa, a1, wb, a2, wc, m0, m1, m2, n, per) \
                    if ok else 0.0
    return out


@njit(**JIT_PARALLEL)
def kick(x, p, count, dx, order, lo, inv_h, n, per, field, h):
    """p[k, i] += h * (field[k] at x_i) for k < field.shape[0] (the force per particle on the
    mesh, interpolated with the deposit's shape): the kick of the self-consistent field."""
    m0 = order + 1
    m1 = order + 1 if n[1] > 1 else 1
    m2 = order + 1 if n[2] > 1 else 1
    ncomp = field.shape[0]
    nblock = (count + BLOCK - 1) // BLOCK
    if dx == 1 and per[0] != 0:
        m = n[0]
        fpad = np.empty(m + 3)
        for j in range(m):
            fpad[j + 1] = field[0, j]
        fpad[0] = field[0, m - 1]
        fpad[m + 1] = field[0, 0]
        fpad[m + 2] = field[0, 1 % m]
        for b in prange(nblock):
            _kick_periodic_1d(x, p, b * BLOCK, min((b + 1) * BLOCK, count), order, lo[0],
                              inv_h[0], m, fpad, h)
        return
    if dx == 1:
        for b in prange(nblock):
            _kick_1d(x, p, b * BLOCK, min((b + 1) * BLOCK, count), order, lo[0], inv_h[0],
                     n[0], per[0] != 0, field, h)
        return
    for b in prange(nblock):
        wa = np.empty(3)
        wb = np.empty(3)
        wc = np.empty(3)
        for i in range(b * BLOCK, min((b + 1) * BLOCK, count)):
            a0, wa[0], wa[1], wa[2], a1, wb[0], wb[1], wb[2], a2, wc[0], wc[1], wc[2], ok = \
                _weights(order, x, i, dx, lo, inv_h, n, per)
            if not ok:
                continue
            for k in range(ncomp):
                p[k, i] += h * _gather(field, k, a0, wa, a1, wb, a2, wc, m0, m1, m2, n, per)


@njit(**JIT)
def _fused_periodic_1d(x, p, w, start, stop, order, lo, inv_h, n, fpad, hk, dt, inv_m, xlo, xhi,
                       acc):
    """Markers start..stop-1 in sub-blocks of BLOCK markers (which stay in the L1 cache): the
    kick p0 += hk F(x0) of :func:`_kick_periodic_1d` (none if hk = 0), the free drift
    x0 += dt p0 / m with the periodic wrap into [xlo, xhi) of
    :func:`pmc._kernels.push.free_block`, then :func:`_deposit_periodic_1d` of the sub-block
    into ``acc``: the same arithmetic in the same order, so bitwise the numbers of the three
    passes, with the markers read from memory once."""
    length = xhi - xlo
    jj = np.empty(BLOCK, np.int64)
    ff = np.empty(BLOCK)
    for b0 in range(start, stop, BLOCK):
        b1 = min(b0 + BLOCK, stop)
        inv_n = 1.0 / n
        if hk != 0.0:  # node and offset (a loop that vectorises), then the gather
            for i in range(b0, b1):
                jj[i - b0], ff[i - b0] = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
            _gather_periodic(p, b0, b1, order, jj, ff, fpad, hk)
        outside = 0
        for i in range(b0, b1):
            y = wrap_once(x[0, i] + dt * (p[0, i] * inv_m), xlo, xhi, length)
            outside += not (y >= xlo and y < xhi)
            x[0, i] = y
        if outside:
            for i in range(b0, b1):
                y = x[0, i]
                if not (y >= xlo and y < xhi):
                    x[0, i] = wrap_rest(y, xlo, xhi, length)
        # node and offset of the new positions, then the scatter
        for i in range(b0, b1):
            jj[i - b0], ff[i - b0] = _periodic_local(x[0, i], lo, inv_h, n, inv_n)
        _scatter_periodic(w, b0, b1, order, jj, ff, acc)


@njit(**SCALAR)
def _gather_periodic(p, b0, b1, order, jj, ff, fpad, h):
    """The kick of :func:`_kick_periodic_1d` from the nodes ``jj`` and offsets ``ff`` of
    markers b0..b1-1 (entries 0..b1-b0-1)."""
    if order == NGP:
        for i in range(b0, b1):
            f = ff[i - b0]
            up = 1 if f >= 0.5 else 0
            p[0, i] += h * fpad[jj[i - b0] + 1 + up]
    elif order == CIC:
        for i in range(b0, b1):
            j = jj[i - b0]
            f = ff[i - b0]
            p[0, i] += h * (fpad[j + 1] * (1.0 - f) + fpad[j + 2] * f)
    else:
        for i in range(b0, b1):
            f = ff[i - b0]
            up = 1 if f >= 0.5 else 0
            d = f - up
            a = 0.5 - d
            b = 0.5 + d
            k = jj[i - b0] + up
            p[0, i] += h * (fpad[k] * (0.5 * a * a) + fpad[k + 1] * (0.75 - d * d)
                            + fpad[k + 2] * (0.5 * b * b))


@njit(**SCALAR)
def _scatter_periodic(w, b0, b1, order, jj, ff, acc):
    """The deposit of :func:`_deposit_periodic_1d` from the nodes ``jj`` and offsets ``ff`` of
    markers b0..b1-1 (entries 0..b1-b0-1)."""
    if order == NGP:
        for i in range(b0, b1):
            f = ff[i - b0]
            up = 1 if f >= 0.5 else 0
            acc[jj[i - b0] + 1 + up] += w[i]
    elif order == CIC:
        for i in range(b0, b1):
            j = jj[i - b0]
            f = ff[i - b0]
            acc[j + 1] += w[i] * (1.0 - f)
            acc[j + 2] += w[i] * f
    else:
        for i in range(b0, b1):
            f = ff[i - b0]
            up = 1 if f >= 0.5 else 0
            d = f - up
            a = 0.5 - d
            b = 0.5 + d
            k = jj[i - b0] + up
            acc[k] += w[i] * (0.5 * a * a)
            acc[k + 1] += w[i] * (0.75 - d * d)
            acc[k + 2] += w[i] * (0.5 * b * b)


@njit(**JIT)
def _fused_chunk(x, p, w, start, stop, order, lo, inv_h, n, fpad, hk, dt, inv_m, xlo, xhi, out):
    acc = np.zeros(n + 3)
    _fused_periodic_1d(x, p, w, start, stop, order, lo, inv_h, n, fpad, hk, dt, inv_m, xlo, xhi,
                       acc)
    _fold_periodic(acc, n, out)


@njit(**JIT_PARALLEL)
def kick_drift_deposit(x, p, w, count, order, lo, inv_h, n, field, hk, dt, inv_m, xlo, xhi,
                       out):
    """One pass of the PIC leapfrog on a 1-D periodic mesh for free flight in a periodic box
    [xlo, xhi): per marker the kick p0 += hk field[0] at x0 (:func:`kick`), the drift
    x0 += dt p0 * inv_m with the periodic wrap (:func:`pmc._kernels.push.push_free`), and the
    deposit at the new position (:func:`deposit`, whose chunks and chunk-order sum it keeps: the
    charge in ``out`` is bitwise that of the three passes, and independent of the thread
    count). ``lo``, ``inv_h``, ``n``: the mesh's axis 0 (scalars)."""
    m = n
    fpad = np.empty(m + 3)
    for j in range(m):
        fpad[j + 1] = field[0, j]
    fpad[0] = field[0, m - 1]
    fpad[m + 1] = field[0, 0]
    fpad[m + 2] = field[0, 1 % m]
    size = out.shape[0]
    nchunk = chunk_count(count, 1, size)
    chunk = (count + nchunk - 1) // nchunk
    chunk = ((chunk + BLOCK - 1) // BLOCK) * BLOCK
    if nchunk == 1:
        out[:] = 0.0
        _fused_chunk(x, p, w, 0, count, order, lo, inv_h, m, fpad, hk, dt, inv_m, xlo, xhi, out)
        return out
    part = np.zeros((nchunk, size))
    for c in prange(nchunk):
        start = min(c * chunk, count)
        stop = min(start + chunk, count)
        _fused_chunk(x, p, w, start, stop, order, lo, inv_h, m, fpad, hk, dt, inv_m, xlo, xhi,
                     part[c])
    for j in prange(size):
        s = 0.0
        for c in range(nchunk):
            s += part[c, j]
        out[j] = s
    return out
