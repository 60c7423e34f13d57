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

One-dimensional meshes (periodic or bounded, all three shapes) take one code path,
:func:`_pass_1d`, in sub-blocks of :data:`SUB` markers that stay in the L1 cache: a loop that
computes each marker's stencil (first node on a padded mesh and three weights; selects only, so
it vectorises), then a loop of indexed loads (the gather and kick) or indexed adds (the
deposit). The deposit adds into one row per stencil base, ``acc[b, i]`` for padded node b + i,
summed onto the nodes afterwards (:func:`_fold_1d`), and the gather reads the field from the same
row layout (:func:`_pad_1d`) — the [cell, stencil node] arrays of H. Vincenti et al., "An
efficient and portable SIMD algorithm for charge/current deposition in particle-in-cell codes",
Comput. Phys. Commun. 210, 145 (2017): markers in neighbouring cells never add to the same entry.
The scatter itself stays scalar: conflicting indices within a vector would need AVX-512 conflict
detection, which numba does not emit. The same pass fuses the PIC leapfrog's kick, free drift
and deposit (:func:`kick_drift_deposit`).
"""
import math

import numpy as np
from numba import literal_unroll, literally, njit, prange, uint64

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


#: Markers per sub-block of the 1-D passes: their stencils and coordinates stay in the L1 cache
#: between the loops of :func:`_pass_1d`.
SUB = BLOCK // 8
#: Entries of a padded 1-D mesh of n nodes: node j at j + 1, pads at 0, n + 1, n + 2.
PAD = 3
#: Columns of the per-stencil rows (see :func:`_scatter_1d`): 3 weights, one row of 32 bytes.
ROW = 4


@njit(**SCALAR)
def _stencil_1d(order, per, v, lo, inv_h, n, inv_n):
    """(b, w0, w1, w2): the stencil of coordinate ``v`` on a 1-D mesh of ``n`` nodes, padded
    (node j at index j + 1): the padded entries b, b + 1, b + 2 carry the weights w0, w1, w2
    (zero beyond the order). Periodic: ``v`` wrapped into the box first. Bounded: the stencil
    node beyond a wall lands on a pad (index 0: node -1, index n + 1: node n), which
    :func:`_fold_1d` / :func:`_pad_1d` map onto its mirror; outside [lo, lo + (n - 1) h] (and
    NaN) all weights are 0. Selects only, so that a loop of it vectorises once ``order`` and
    ``per`` are constants. The node indices stay on the padded mesh for any input (s in [0, n]
    after the wrap; the max(.., 0) catches NaN)."""
    s = (v - lo) * inv_h
    if per:
        s = s - n * math.floor(s * inv_n)
        q = 1.0
    else:
        inside = s >= 0.0 and s <= n - 1
        q = 1.0 if inside else 0.0
        s = s if inside else 0.0
    if order == CIC:
        j = max(int(s), 0)
        if not per:
            j = min(j, n - 2)  # the upper wall belongs to the last cell
        f = s - j
        return j + 1, q * (1.0 - f), q * f, 0.0
    j = max(int(s + 0.5), 0)  # the nearest node
    d = s - j
    if order == NGP:
        return j + 1, q, 0.0, 0.0
    a = 0.5 - d
    b = 0.5 + d
    return j, q * (0.5 * a * a), q * (0.75 - d * d), q * (0.5 * b * b)


@njit(**JIT)
def _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, ww):
    """bb[k], ww[:, k] = :func:`_stencil_1d` of marker b0 + k, k < b1 - b0 (a vectorised loop)."""
    literally(order)
    literally(per)
    inv_n = 1.0 / n
    for i in range(uint64(b0), uint64(b1)):
        k = i - uint64(b0)
        b, w0, w1, w2 = _stencil_1d(order, per, x[0, i], lo, inv_h, n, inv_n)
        bb[k] = b
        ww[0, k] = w0
        ww[1, k] = w1
        ww[2, k] = w2


@njit(**JIT)
def _gather_kick_1d(order, p, b0, b1, bb, ww, table, h):
    """p[0, b0 + k] += h * (the field at the stencil bb[k], ww[:, k]); ``table`` (rows of
    :func:`_pad_1d`) holds the field at the padded nodes b, b + 1, b + 2 in row b."""
    literally(order)
    for k in range(uint64(b1 - b0)):
        b = uint64(bb[k])
        e = table[b, 0] * ww[0, k]
        if order >= CIC:
            e += table[b, 1] * ww[1, k]
        if order >= TSC:
            e += table[b, 2] * ww[2, k]
        p[0, uint64(b0) + k] += h * e


@njit(**JIT)
def _scatter_1d(order, w, b0, b1, bb, ww, acc):
    """acc[b, i] += w[b0 + k] * ww[i, k] for the stencils b = bb[k]: one row per stencil base
    (the [cell, stencil node] array of Vincenti et al., Comput. Phys. Commun. 210, 145
    (2017)), summed onto the nodes by :func:`_fold_1d`: markers in neighbouring cells never
    write the same entry."""
    literally(order)
    for k in range(uint64(b1 - b0)):
        b = uint64(bb[k])
        q = w[uint64(b0) + k]
        acc[b, 0] += q * ww[0, k]
        if order >= CIC:
            acc[b, 1] += q * ww[1, k]
        if order >= TSC:
            acc[b, 2] += q * ww[2, k]


@njit(**SCALAR)
def _drift_wrap(x, p, b0, b1, dt, inv_m, xlo, xhi):
    """x0 += dt p0 / m with the periodic wrap into [xlo, xhi) of
    :func:`pmc._kernels.push.free_block` (the same arithmetic: bitwise its numbers)."""
    length = xhi - xlo
    outside = 0
    for i in range(uint64(b0), uint64(b1)):
        y = wrap_once(x[0, i] + dt * (p[0, i] * inv_m), xlo, xhi, length)
        outside += not (y >= xlo and y < xhi)
        x[0, i] = y
    if outside:
        for i in range(uint64(b0), uint64(b1)):
            y = x[0, i]
            if not (y >= xlo and y < xhi):
                x[0, i] = wrap_rest(y, xlo, xhi, length)


@njit(**JIT)
def _pass_1d(order, per, x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m, xlo,
             xhi, acc, bb, ww):
    """Markers start..stop-1 in sub-blocks of :data:`SUB`: the kick p0 += hk F(x0) (none if
    hk = 0), the drift and wrap (if ``drift``), the deposit into the padded ``acc`` (if it has
    entries). Each step is its own loop over the sub-block: the stencils (a vectorised loop),
    then the gather or the scatter, which are scalar loops of loads and stores only (the
    layout of Vincenti et al., Comput. Phys. Commun. 210, 145 (2017): stencil weights first,
    then the indexed accumulation). Compiled for each (``order``, ``per``) pair as constants
    (``literally``), which the stencil loop needs to vectorise."""
    literally(order)
    literally(per)
    for b0 in range(start, stop, SUB):
        b1 = min(b0 + SUB, stop)
        if hk != 0.0:
            _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, ww)
            _gather_kick_1d(order, p, b0, b1, bb, ww, table, hk)
        if drift:
            _drift_wrap(x, p, b0, b1, dt, inv_m, xlo, xhi)
        if acc.size:
            _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, ww)
            _scatter_1d(order, w, b0, b1, bb, ww, acc)


@njit(**JIT)
def _chunk_1d(order, per, x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m, xlo,
              xhi, acc):
    """:func:`_pass_1d` for a runtime shape and boundary."""
    bb = np.empty(SUB, np.int64)
    ww = np.empty((3, SUB))
    for o in literal_unroll(((NGP, True), (CIC, True), (TSC, True), (NGP, False), (CIC, False),
                             (TSC, False))):
        if o[0] == order and o[1] == per:
            _pass_1d(o[0], o[1], x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m,
                     xlo, xhi, acc, bb, ww)


@njit(**SCALAR)
def _padded(acc, m):
    """The charge on padded node m: the rows of :func:`_scatter_1d` whose stencil covers it."""
    s = acc[m, 0]
    if m >= 1:
        s += acc[m - 1, 1]
    if m >= 2:
        s += acc[m - 2, 2]
    return s


@njit(**SCALAR)
def _fold_1d(acc, n, per, out):
    """out[j] = the charge on padded node j + 1 (:func:`_padded`) plus the pads: wrapped around
    (periodic: pad 0 is node n - 1, pad n + 1 node 0, pad n + 2 node 1) or mirrored about the
    walls (bounded: pad 0 is node -1 -> 1, pad n + 1 node n -> n - 2)."""
    for j in range(n):
        out[j] = _padded(acc, j + 1)
    if per:
        out[n - 1] += _padded(acc, 0)
        out[0] += _padded(acc, n + 1)
        out[1 % n] += _padded(acc, n + 2)
    else:
        out[1] += _padded(acc, 0)
        out[n - 2] += _padded(acc, n + 1)


@njit(**JIT)
def _pad_1d(field, n, per):
    """The field (row 0) on the padded mesh of :func:`_stencil_1d`, as rows: entry (b, i) is
    padded node b + i (the layout :func:`_gather_kick_1d` reads)."""
    fpad = np.zeros(n + PAD + 2)
    for j in range(n):
        fpad[j + 1] = field[0, j]
    if per:
        fpad[0] = field[0, n - 1]
        fpad[n + 1] = field[0, 0]
        fpad[n + 2] = field[0, 1 % n]
    else:
        fpad[0] = field[0, 1]
        fpad[n + 1] = field[0, n - 2]
    table = np.zeros((n + PAD, ROW))
    for b in range(n + PAD):
        for i in range(3):
            table[b, i] = fpad[b + i]
    return table


@njit(**SCALAR)
def _cic_2d(x, i, lo, inv_h, n, per):
    """CIC stencil of marker ``i`` on a 2-D mesh: (flat index of node (j0, j1), the flat
    offsets to nodes (j0 + 1, j1) and (j0, j1 + 1), the weights u0, u1 along axis 0 and v0, v1
    along axis 1, inside). On a bounded axis j + 1 <= n - 1 (:func:`stencil`); on a periodic
    one it wraps to 0."""
    a, u0, u1, _, oka = stencil(CIC, x[0, i], lo[0], inv_h[0], n[0], per[0])
    b, v0, v1, _, okb = stencil(CIC, x[1, i], lo[1], inv_h[1], n[1], per[1])
    da = n[1] if a + 1 < n[0] else -a * n[1]
    db = 1 if b + 1 < n[1] else -b
    return a * n[1] + b, da, db, u0, u1, v0, v1, oka and okb


@njit(**JIT)
def _deposit_cic_2d(x, w, start, stop, lo, inv_h, n, per, out):
    """:func:`_deposit_range` for CIC on a 2-D mesh, unrolled (the same sums in the same
    order)."""
    for i in range(start, stop):
        k, da, db, u0, u1, v0, v1, ok = _cic_2d(x, i, lo, inv_h, n, per)
        if not ok:
            continue
        qa = w[i] * u0
        out[k] += qa * v0
        out[k + db] += qa * v1
        qa = w[i] * u1
        out[k + da] += qa * v0
        out[k + da + db] += qa * v1


@njit(**JIT)
def _gather_cic_2d(x, start, stop, lo, inv_h, n, per, field, out, h, add):
    """:func:`_gather_block` for CIC on a 2-D mesh, unrolled (the same sums in the same
    order)."""
    for i in range(start, stop):
        k, da, db, u0, u1, v0, v1, ok = _cic_2d(x, i, lo, inv_h, n, per)
        for c in range(field.shape[0]):
            if not ok:
                if not add:
                    out[c, i] = 0.0
                continue
            s = (field[c, k] * v0 + field[c, k + db] * v1) * u0
            s += (field[c, k + da] * v0 + field[c, k + da + db] * v1) * u1
            if add:
                out[c, i] += h * s
            else:
                out[c, i] = s


@njit(**JIT)
def _locate_cic_2d(x, b0, b1, lo, inv_h, n, kk, ww):
    """kk[k] = flat index of the first node, ww[:, k] = (u0, u1, v0, v1): the CIC stencil of
    marker b0 + k on a 2-D mesh bounded on both axes (:func:`_stencil_1d` per axis: selects
    only, a vectorised loop; weights 0 outside the mesh)."""
    n1 = n[1]
    for i in range(uint64(b0), uint64(b1)):
        k = i - uint64(b0)
        a, u0, u1, _ = _stencil_1d(CIC, False, x[0, i], lo[0], inv_h[0], n[0], 0.0)
        b, v0, v1, _ = _stencil_1d(CIC, False, x[1, i], lo[1], inv_h[1], n1, 0.0)
        kk[k] = (a - 1) * n1 + (b - 1)
        ww[0, k] = u0
        ww[1, k] = u1
        ww[2, k] = v0
        ww[3, k] = v1


@njit(**JIT)
def _bounded_cic_2d(x, p, w, start, stop, lo, inv_h, n, field, h, add, out, deposit):
    """The CIC deposit (``deposit``: out[node] += w S) or gather (out[c, i] (+)= h field[c] at
    x_i) of markers start..stop-1 on a 2-D mesh bounded on both axes, in sub-blocks of
    :data:`SUB` markers: the stencils first (:func:`_locate_cic_2d`), then the indexed adds or
    loads, with the same sums in the same order as :func:`_deposit_cic_2d` and
    :func:`_gather_cic_2d` (a marker outside adds zeros)."""
    n1 = n[1]
    kk = np.empty(SUB, np.int64)
    ww = np.empty((4, SUB))
    for b0 in range(start, stop, SUB):
        b1 = min(b0 + SUB, stop)
        _locate_cic_2d(x, b0, b1, lo, inv_h, n, kk, ww)
        for i in range(b0, b1):
            k = i - b0
            j = kk[k]
            u0, u1, v0, v1 = ww[0, k], ww[1, k], ww[2, k], ww[3, k]
            if deposit:
                qa = w[i] * u0
                out[j] += qa * v0
                out[j + 1] += qa * v1
                qa = w[i] * u1
                out[j + n1] += qa * v0
                out[j + n1 + 1] += qa * v1
                continue
            for c in range(field.shape[0]):
                s = (field[c, j] * v0 + field[c, j + 1] * v1) * u0
                s += (field[c, j + n1] * v0 + field[c, j + n1 + 1] * v1) * u1
                if add:
                    p[c, i] += h * s
                else:
                    p[c, i] = s


@njit(**JIT)
def _deposit_any(x, w, start, stop, dx, order, lo, inv_h, n, per, out):
    if dx == 2 and order == CIC and per[0] == 0 and per[1] == 0:
        none = np.empty((0, 0))
        _bounded_cic_2d(x, none, w, start, stop, lo, inv_h, n, none, 0.0, False, out, True)
        return
    if dx == 2 and order == CIC:
        _deposit_cic_2d(x, w, start, stop, lo, inv_h, n, per, out)
        return
    if dx == 1:
        m = n[0]
        acc = np.zeros((m + PAD, ROW))
        _chunk_1d(order, per[0] != 0, x, x, w, start, stop, lo[0], inv_h[0], m, acc, 0.0, False,
                  0.0, 0.0, 0.0, 0.0, acc)
        _fold_1d(acc, m, per[0] != 0, out)
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


@njit(**JIT)
def _gather_block(x, start, stop, dx, order, lo, inv_h, n, per, field, out, h, add):
    """Markers start..stop-1 on any mesh: out[k, i] = field[k] at x_i (0 outside a bounded
    mesh), or out[k, i] += h * field[k] at x_i if ``add`` (nothing outside)."""
    m0 = order + 1
    m1 = order + 1 if n[1] > 1 else 1
    m2 = order + 1 if n[2] > 1 else 1
    wa = np.empty(3)
    wb = np.empty(3)
    wc = np.empty(3)
    for i in range(start, stop):
        a0, wa[0], wa[1], wa[2], a1, wb[0], wb[1], wb[2], a2, wc[0], wc[1], wc[2], ok = \
            _weights(order, x, i, dx, lo, inv_h, n, per)
        for k in range(field.shape[0]):
            if not ok:
                if not add:
                    out[k, i] = 0.0
            elif add:
                out[k, i] += h * _gather(field, k, a0, wa, a1, wb, a2, wc, m0, m1, m2, n, per)
            else:
                out[k, i] = _gather(field, k, a0, wa, a1, wb, a2, wc, m0, m1, m2, n, per)


@njit(**JIT_PARALLEL)
def gather(x, count, dx, order, lo, inv_h, n, per, field, out):
    """out[k, i] = sum over nodes of field[k, node] S(x_i - x_node): the ``field`` (ncomp, flat
    mesh) at the live markers; 0 for markers outside a bounded mesh."""
    bounded = per[0] == 0 and per[1] == 0
    none = np.empty(0)
    for b in prange((count + BLOCK - 1) // BLOCK):
        if dx == 2 and order == CIC and bounded:
            _bounded_cic_2d(x, out, none, b * BLOCK, min((b + 1) * BLOCK, count), lo, inv_h, n,
                            field, 1.0, False, none, False)
        elif dx == 2 and order == CIC:
            _gather_cic_2d(x, b * BLOCK, min((b + 1) * BLOCK, count), lo, inv_h, n, per, field,
                           out, 1.0, False)
        else:
            _gather_block(x, b * BLOCK, min((b + 1) * BLOCK, count), dx, order, lo, inv_h, n,
                          per, field, out, 1.0, False)
    return out


@njit(**JIT_PARALLEL)
def kick(x, p, count, dx, order, lo, inv_h, n, per, field, h):
    """p[k, i] += h * (field[k] at x_i) for k < field.shape[0] (the force per particle on the
    mesh, interpolated with the deposit's shape): the kick of the self-consistent field."""
    nblock = (count + BLOCK - 1) // BLOCK
    if dx == 1:
        m = n[0]
        periodic = per[0] != 0
        table = _pad_1d(field, m, periodic)
        none = np.empty((0, ROW))
        for b in prange(nblock):
            _chunk_1d(order, periodic, x, p, p[0], b * BLOCK, min((b + 1) * BLOCK, count), lo[0],
                      inv_h[0], m, table, h, False, 0.0, 0.0, 0.0, 0.0, none)
        return
    bounded = per[0] == 0 and per[1] == 0
    none = np.empty(0)
    for b in prange(nblock):
        if dx == 2 and order == CIC and bounded:
            _bounded_cic_2d(x, p, none, b * BLOCK, min((b + 1) * BLOCK, count), lo, inv_h, n,
                            field, h, True, none, False)
        elif dx == 2 and order == CIC:
            _gather_cic_2d(x, b * BLOCK, min((b + 1) * BLOCK, count), lo, inv_h, n, per, field,
                           p, h, True)
        else:
            _gather_block(x, b * BLOCK, min((b + 1) * BLOCK, count), dx, order, lo, inv_h, n,
                          per, field, p, h, True)


@njit(**JIT_PARALLEL)
def kick_drift_deposit(x, p, w, count, order, lo, inv_h, n, field, hk, dt, inv_m, xlo, xhi,
                       out):
    """One pass of the PIC leapfrog on a 1-D periodic mesh for free flight in a periodic box
    [xlo, xhi): per marker the kick p0 += hk field[0] at x0 (:func:`kick`), the drift
    x0 += dt p0 * inv_m with the periodic wrap (:func:`pmc._kernels.push.push_free`), and the
    deposit at the new position (:func:`deposit`, whose chunks and chunk-order sum it keeps: the
    charge in ``out`` is bitwise that of the three passes, and independent of the thread
    count). ``lo``, ``inv_h``, ``n``: the mesh's axis 0 (scalars). Each chunk runs through
    :func:`_pass_1d` in L1-sized sub-blocks, so the markers are read from memory once."""
    table = _pad_1d(field, n, True)
    size = out.shape[0]
    nchunk = chunk_count(count, 1, size)
    chunk = (count + nchunk - 1) // nchunk
    chunk = ((chunk + BLOCK - 1) // BLOCK) * BLOCK
    part = np.zeros((nchunk, size))
    for c in prange(nchunk):
        start = min(c * chunk, count)
        stop = min(start + chunk, count)
        acc = np.zeros((n + PAD, ROW))
        _chunk_1d(order, True, x, p, w, start, stop, lo, inv_h, n, table, hk, True, dt, inv_m, xlo,
                  xhi, acc)
        _fold_1d(acc, n, True, part[c])
    if nchunk == 1:
        out[:] = part[0]
        return out
    for j in prange(size):
        s = 0.0
        for c in range(nchunk):
            s += part[c, j]
        out[j] = s
    return out
