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
computes each marker's stencil (first node on a padded mesh and the offset, or TSC's three
weights; selects only, so it vectorises), then a loop of indexed loads (the gather and kick) or
indexed adds (the deposit). The deposit adds into one row per stencil base, ``acc[b, i]`` for
padded node b + i, summed onto the nodes afterwards (:func:`_fold_1d`), and the gather reads the
field from the same row layout (:func:`_pad_1d`) — the [cell, stencil node] arrays of H.
Vincenti et al., "An efficient and portable SIMD algorithm for charge/current deposition in
particle-in-cell codes", Comput. Phys. Commun. 210, 145 (2017): markers in neighbouring cells
never add to the same entry. numba gives arrays no ``noalias``, so LLVM vectorises neither
indexed loop by itself; three small LLVM intrinsics do what it would: the kick reads the rows of
4 markers with one vector gather (:func:`_kick_lanes`, ``llvm.masked.gather``), the deposit
updates a marker's whole row with one vector load, add and store (:func:`_row_add`: one store
per marker, the core's store port being the bound; a vector scatter would still store element by
element and would need conflict detection), and both loops prefetch the next sub-block's markers
(:func:`.vecmath.prefetch`), since the hardware prefetcher stops between the sub-block's loops.
Every lane does the scalar code's IEEE operations in the same order, so the results are bitwise those
of scalar loops. The same pass fuses the PIC leapfrog's kick, free drift (with periodic,
reflecting or open walls) and deposit (:func:`kick_drift_deposit`), as OSIRIS's explicit-SIMD
pushers do field interpolation, push and deposit in one pass over a vector of particles so that
positions are read once (``source/simd/os-spec-push-avx512d.c``).
"""
import math

import numpy as np
from llvmlite import ir
from numba import literal_unroll, literally, njit, prange, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

from . import BLOCK, JIT, JIT_PARALLEL
from .binning import chunk_count
from .push import drift_axis
from .models import SCALAR
from .vecmath import prefetch as _prefetch

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
def _spans(order, n):
    """(m0, m1, m2): the nodes per axis of a marker's stencil on the mesh ``n`` (order + 1; 1 on
    an axis of one node), the loop bounds of the 3-axis deposit and gather."""
    return order + 1, order + 1 if n[1] > 1 else 1, order + 1 if n[2] > 1 else 1


@njit(**SCALAR)
def _weights(order, x, i, dx, lo, inv_h, n, per, wa, wb, wc):
    """Stencils of marker ``i`` on the three axes: (first node of axis 0, of axis 1, of axis 2,
    inside), their weights written into ``wa``, ``wb``, ``wc``."""
    x0 = x[0, i]
    x1 = x[1, i] if dx > 1 else 0.0
    x2 = x[2, i] if dx > 2 else 0.0
    a0, wa[0], wa[1], wa[2], ok0 = stencil(order, x0, lo[0], inv_h[0], n[0], per[0])
    a1, wb[0], wb[1], wb[2], ok1 = stencil(order, x1, lo[1], inv_h[1], n[1], per[1])
    a2, wc[0], wc[1], wc[2], ok2 = stencil(order, x2, lo[2], inv_h[2], n[2], per[2])
    return a0, a1, a2, ok0 and ok1 and ok2


@njit(**JIT)
def _deposit_range(x, w, start, stop, dx, order, lo, inv_h, n, per, out):
    """out[flat node] += w_i S of markers start..stop-1 (serially, in marker order)."""
    m0, m1, m2 = _spans(order, n)
    wa, wb, wc = np.empty(3), np.empty(3), np.empty(3)  # the weights per axis (_weights)
    for i in range(start, stop):
        a0, a1, a2, ok = _weights(order, x, i, dx, lo, inv_h, n, per, wa, wb, wc)
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
#: Rows of the per-stencil arrays of a mesh of n nodes (see :func:`_scatter_1d`): one per
#: padded entry, and a spare row n + PAD that markers outside a bounded mesh write into and
#: read zeros from (:func:`_fold_1d` and :func:`_pad_1d` never map it onto a node).
SPARE = PAD + 1
#: Columns of the per-stencil rows: 3 weights, one row of 32 bytes.
ROW = 4


@njit(**SCALAR)
def _stencil_1d(order, per, v, lo, inv_h, n, inv_n):
    """(b, d): the stencil of coordinate ``v`` on a 1-D mesh of ``n`` nodes, padded (node j at
    index j + 1): the padded entries b, b + 1, b + 2 carry the weights :func:`_weights_1d`
    (order, d). Periodic: ``v`` wrapped into the box first. Bounded: the stencil node beyond a
    wall lands on a pad (index 0: node -1, index n + 1: node n), which :func:`_fold_1d` /
    :func:`_pad_1d` map onto its mirror; outside [lo, lo + (n - 1) h] (and NaN) b is the spare
    row n + PAD (see :data:`SPARE`) and d = 0. Selects only, so that a loop of it vectorises
    once ``order`` and ``per`` are constants; the wrap multiplies floats (n times the floor is
    an exact integer either way). The node indices stay on the padded mesh for any input (s in
    [0, n] after the wrap; the max(.., 0) catches NaN)."""
    s = (v - lo) * inv_h
    inside = True
    if per:
        s = s - n * np.floor(s * inv_n)
    else:
        inside = s >= 0.0 and s <= n - 1
        s = s if inside else 0.0
    if order == CIC:
        j = max(int(s), 0)
        if not per:
            j = min(j, n - 2)  # the upper wall belongs to the last cell
        d = s - j
        j += 1
    else:
        j = max(int(s + 0.5), 0)  # the nearest node
        d = s - j
        if order == NGP:
            j += 1
    return (j if inside else n + PAD), d


@njit(**SCALAR)
def _weights_1d(order, d):
    """(w0, w1, w2): the B-spline weights of the stencil (b, d) of :func:`_stencil_1d` on its
    entries b, b + 1, b + 2 (NGP: d unused; CIC: d in [0, 1] the offset from the first node;
    TSC: d in [-1/2, 1/2] the offset from the nearest node, the middle one)."""
    if order == NGP:
        return 1.0, 0.0, 0.0
    if order == CIC:
        return 1.0 - d, d, 0.0
    a = 0.5 - d
    b = 0.5 + d
    return 0.5 * a * a, 0.75 - d * d, 0.5 * b * b


@njit(**JIT)
def _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, dd):
    """bb[k] and the weights' data in dd[:, k] of the stencil (:func:`_stencil_1d`) of marker
    b0 + k, k < b1 - b0 (a vectorised loop): TSC's three weights (:func:`_weights_1d`, here
    where the loop vectorises), the offset d for NGP and CIC (their weights cost at most one
    subtraction where they are used: :func:`_stencil_weights`)."""
    literally(order)
    literally(per)
    inv_n = 1.0 / n
    for i in range(uint64(b0), uint64(b1)):
        k = i - uint64(b0)
        b, d = _stencil_1d(order, per, x[0, i], lo, inv_h, n, inv_n)
        bb[k] = b
        if order == TSC:
            dd[0, k], dd[1, k], dd[2, k] = _weights_1d(order, d)
        else:
            dd[0, k] = d


@njit(**SCALAR)
def _stencil_weights(order, dd, k):
    """(w0, w1, w2) of stencil k from what :func:`_locate_1d` stored in dd[:, k]."""
    if order == TSC:
        return dd[0, k], dd[1, k], dd[2, k]
    return _weights_1d(order, dd[0, k])


def _row_pointer(context, builder, aryty, ary, b, bty, width):
    """Pointer to row ``b`` of the C-contiguous (rows, :data:`ROW`) float64 array ``ary``, as
    a pointer to ``width`` doubles (a vector of them if width > 1)."""
    data = context.make_array(aryty)(context, builder, ary).data
    b = context.cast(builder, b, bty, types.int64)
    ptr = builder.gep(data, [builder.mul(b, ir.Constant(ir.IntType(64), ROW))])
    if width == 1:
        return ptr
    return builder.bitcast(ptr, ir.VectorType(ir.DoubleType(), width).as_pointer())


def _vector(builder, width, values):
    """The vector <width x double> of ``values``, padded with zeros."""
    dbl = ir.DoubleType()
    v = ir.Constant(ir.VectorType(dbl, width), None)
    for i in range(width):
        e = values[i] if i < len(values) else ir.Constant(dbl, 0.0)
        v = builder.insert_element(v, e, ir.Constant(ir.IntType(32), i))
    return v


#: Width of the row vector (doubles) per shape order: NGP 1, CIC 2, TSC 4 (3 weights and a 0).
_WIDTH = (1, 2, 4)


@intrinsic
def _row_add(typingctx, acc, b, q, w0, w1, w2, order):
    """acc[b, i] += q * w_i for the order + 1 weights, as one load, one multiply, one add and
    one store of a vector of :data:`_WIDTH` [order] doubles (TSC adds q * 0 to the unused
    column 3). Each lane is the same IEEE multiply and add as the scalar statement, so the sums
    are bitwise those of three scalar updates; the point is one store per marker instead of
    order + 1: the scalar scatter is bound by the core's one store per cycle, and LLVM's SLP
    vectoriser does not merge the indexed updates itself (numba gives arrays no ``noalias``).
    ``order`` must be a literal (``literally``)."""
    if not isinstance(order, types.IntegerLiteral):
        return None
    width = _WIDTH[order.literal_value]

    def codegen(context, builder, signature, args):
        a, bi, qv, x0, x1, x2, _ = args
        ptr = _row_pointer(context, builder, signature.args[0], a, bi, signature.args[1], width)
        if width == 1:
            new = builder.fmul(qv, x0)
        else:
            new = builder.fmul(_vector(builder, width, [qv] * width),
                               _vector(builder, width, [x0, x1, x2][:min(width, 3)]))
        builder.store(builder.fadd(builder.load(ptr, align=8), new), ptr, align=8)
        return context.get_dummy_value()

    return types.void(acc, b, q, w0, w1, w2, order), codegen


@intrinsic
def _row_dot(typingctx, table, b, w0, w1, w2, order):
    """table[b, 0] w0 + table[b, 1] w1 + table[b, 2] w2 (the first order + 1 terms, summed in
    that order: bitwise the scalar expression) with the row read as one vector load."""
    if not isinstance(order, types.IntegerLiteral):
        return None
    o = order.literal_value
    width = _WIDTH[o]

    def codegen(context, builder, signature, args):
        t, bi, x0, x1, x2, _ = args
        ptr = _row_pointer(context, builder, signature.args[0], t, bi, signature.args[1], width)
        row = builder.load(ptr, align=8)
        if width == 1:
            return builder.fmul(row, x0)
        prod = builder.fmul(row, _vector(builder, width, [x0, x1, x2][:min(width, 3)]))
        e = builder.extract_element(prod, ir.Constant(ir.IntType(32), 0))
        for i in range(1, o + 1):
            e = builder.fadd(e, builder.extract_element(prod, ir.Constant(ir.IntType(32), i)))
        return e

    return types.float64(table, b, w0, w1, w2, order), codegen


#: Markers per vector of the gather loop (:func:`_kick_lanes`): 4 doubles, 256 bits.
LANES = 4


def _splat(builder, value, vt):
    """The vector ``vt`` with ``value`` in every lane."""
    v = builder.insert_element(ir.Constant(vt, None), value, ir.Constant(ir.IntType(32), 0))
    zeros = ir.Constant(ir.VectorType(ir.IntType(32), vt.count), [0] * vt.count)
    return builder.shuffle_vector(v, ir.Constant(vt, None), zeros)


@intrinsic
def _kick_lanes(typingctx, p, i, bb, k, d0, d1, d2, table, h, order):
    """p[0, i + l] += h * e_l for the :data:`LANES` markers l of stencils k + l: e_l = sum_j
    table[bb[k + l], j] w_j (summed in the order j = 0, 1, 2: bitwise :func:`_row_dot`), the
    weights from d0/d1/d2[k + l] as :func:`_stencil_weights` forms them. One vector per step:
    the rows are read by ``llvm.masked.gather`` (vgatherqpd where the CPU has it; LLVM splits
    it into scalar loads where not). numba gives arrays no ``noalias``, so LLVM does not
    vectorise this loop itself: the stores to p might alias the table."""
    if not isinstance(order, types.IntegerLiteral):
        return None
    o = order.literal_value

    def codegen(context, builder, signature, args):
        def data(n):
            return context.make_array(signature.args[n])(context, builder, args[n]).data

        def index(n):
            return context.cast(builder, args[n], signature.args[n], types.int64)

        i64, i32, dbl = ir.IntType(64), ir.IntType(32), ir.DoubleType()
        vi, vd = ir.VectorType(i64, LANES), ir.VectorType(dbl, LANES)

        def load(ptr, at, vt):
            return builder.load(builder.bitcast(builder.gep(ptr, [at]), vt.as_pointer()),
                                align=8)

        kk = index(3)
        rows = builder.shl(load(data(2), kk, vi), ir.Constant(vi, [2] * LANES))  # * ROW
        tdata = data(7)
        base = _splat(builder, builder.ptrtoint(tdata, i64), vi)
        mask = ir.Constant(ir.VectorType(ir.IntType(1), LANES), [1] * LANES)
        pv = ir.VectorType(tdata.type, LANES)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vd, [pv, i32, mask.type, vd]),
            f"llvm.masked.gather.v{LANES}f64.v{LANES}p0")

        def column(j):
            at = builder.add(rows, ir.Constant(vi, [j] * LANES))
            ptrs = builder.inttoptr(builder.add(base, builder.shl(at, ir.Constant(vi, [3] * LANES))),
                                    pv)
            return builder.call(fn, [ptrs, ir.Constant(i32, 8), mask, ir.Constant(vd, None)])

        if o == NGP:
            e = builder.fmul(column(0), ir.Constant(vd, [1.0] * LANES))
        elif o == CIC:
            d = load(data(4), kk, vd)
            w0 = builder.fsub(ir.Constant(vd, [1.0] * LANES), d)
            e = builder.fadd(builder.fmul(column(0), w0), builder.fmul(column(1), d))
        else:
            e = builder.fmul(column(0), load(data(4), kk, vd))
            e = builder.fadd(e, builder.fmul(column(1), load(data(5), kk, vd)))
            e = builder.fadd(e, builder.fmul(column(2), load(data(6), kk, vd)))
        pptr = builder.bitcast(builder.gep(data(0), [index(1)]), vd.as_pointer())
        new = builder.fadd(builder.load(pptr, align=8), builder.fmul(_splat(builder, args[8], vd), e))
        builder.store(new, pptr, align=8)
        return context.get_dummy_value()

    return types.void(p, i, bb, k, d0, d1, d2, table, h, order), codegen


#: Markers per cache line of a float64 coordinate array.
LINE = 8


@njit(**SCALAR)
def _prefetch_next(x, p, w, k, i):
    """Once per cache line (k % :data:`LINE` == 0): prefetch marker ``i``'s x, p and w. The
    loops of :func:`_pass_1d` call it for the next sub-block while they work on this one:
    between the streaming loops of a sub-block the hardware prefetcher stops short of the
    next sub-block, whose first loop would otherwise wait for memory."""
    if k % LINE == 0:
        _prefetch(x, i)
        _prefetch(p, i)
        _prefetch(w, i)


@njit(**JIT)
def _gather_kick_1d(order, p, b0, b1, bb, dd, table, h, x, w):
    """p[0, b0 + k] += h * (the field at the stencil bb[k], dd[:, k]); ``table`` (rows of
    :func:`_pad_1d`) holds the field at the padded nodes b, b + 1, b + 2 in row b. Vectors of
    :data:`LANES` markers (:func:`_kick_lanes`), the rest one by one (bitwise the same).
    Prefetches the markers from b1 on (:func:`_prefetch_next`)."""
    literally(order)
    m = uint64(b1 - b0)
    mv = m - m % uint64(LANES)
    d0 = dd[0]
    d1 = dd[1]
    d2 = dd[2]
    for k in range(uint64(0), mv, uint64(LANES)):
        _prefetch_next(x, p, w, k, uint64(b1) + k)
        _kick_lanes(p, uint64(b0) + k, bb, k, d0, d1, d2, table, h, order)
    for k in range(mv, m):
        w0, w1, w2 = _stencil_weights(order, dd, k)
        e = _row_dot(table, uint64(bb[k]), w0, w1, w2, order)
        p[0, uint64(b0) + k] += h * e


@njit(**JIT)
def _scatter_1d(order, w, b0, b1, bb, dd, acc, x, p):
    """acc[b, i] += w[b0 + k] * w_i for the stencils bb[k], dd[:, k] (w_i of
    :func:`_stencil_weights`): one row per stencil base (the [cell, stencil node] array of
    Vincenti et al., Comput. Phys. Commun. 210, 145 (2017)), summed onto the nodes by
    :func:`_fold_1d`: markers in neighbouring cells never write the same entry. One vector
    update per marker (:func:`_row_add`). Prefetches the markers from b1 on."""
    literally(order)
    for k in range(uint64(b1 - b0)):
        _prefetch_next(x, p, w, k, uint64(b1) + k)
        w0, w1, w2 = _stencil_weights(order, dd, k)
        _row_add(acc, uint64(bb[k]), w[uint64(b0) + k], w0, w1, w2, order)


@njit(**JIT)
def _pass_1d(order, per, x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m, klo,
             khi, xlo, xhi, acc, bb, dd):
    """Markers start..stop-1 in sub-blocks of :data:`SUB`: the kick p0 += hk F(x0) (none if
    hk = 0), the drift and the walls (if ``drift``: :func:`pmc._kernels.push.drift_axis` with
    the wall kinds ``klo``, ``khi`` at ``xlo``, ``xhi``), the deposit into the padded ``acc`` (if it has
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
            _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, dd)
            _gather_kick_1d(order, p, b0, b1, bb, dd, table, hk, x, w)
        if drift:
            drift_axis(x, p, 0, uint64(b0), uint64(b1), inv_m, dt, klo, khi, xlo, xhi)
        if acc.size:
            _locate_1d(order, per, x, b0, b1, lo, inv_h, n, bb, dd)
            _scatter_1d(order, w, b0, b1, bb, dd, acc, x, p)


@njit(**JIT)
def _chunk_1d(order, per, x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m, klo,
              khi, xlo, xhi, acc):
    """:func:`_pass_1d` for a runtime shape and boundary."""
    bb = np.empty(SUB, np.int64)
    dd = np.empty((3, SUB))
    for o in literal_unroll(((NGP, True), (CIC, True), (TSC, True), (NGP, False), (CIC, False),
                             (TSC, False))):
        if o[0] == order and o[1] == per:
            _pass_1d(o[0], o[1], x, p, w, start, stop, lo, inv_h, n, table, hk, drift, dt, inv_m,
                     klo, khi, xlo, xhi, acc, bb, dd)


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
    table = np.zeros((n + SPARE, ROW))
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


@njit(**SCALAR)
def _cic_bounded(v, lo, inv_h, n):
    """(b, w0, w1): the CIC stencil of :func:`_stencil_1d` on a bounded axis of ``n`` nodes as
    padded first node and weights, the weights 0 and b = 1 (node 0) outside the mesh."""
    b, d = _stencil_1d(CIC, False, v, lo, inv_h, n, 0.0)
    q = 1.0 if b != n + PAD else 0.0
    return (b if q else 1), q * (1.0 - d), q * d


@njit(**JIT)
def _locate_cic_2d(x, b0, b1, lo, inv_h, n, kk, ww):
    """kk[k] = flat index of the first node, ww[:, k] = (u0, u1, v0, v1): the CIC stencil of
    marker b0 + k on a 2-D mesh bounded on both axes (:func:`_stencil_1d` per axis: selects
    only, a vectorised loop; weights 0 outside the mesh)."""
    n1 = n[1]
    for i in range(uint64(b0), uint64(b1)):
        k = i - uint64(b0)
        a, u0, u1 = _cic_bounded(x[0, i], lo[0], inv_h[0], n[0])
        b, v0, v1 = _cic_bounded(x[1, i], lo[1], inv_h[1], n1)
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
        acc = np.zeros((m + SPARE, ROW))
        _chunk_1d(order, per[0] != 0, x, x, w, start, stop, lo[0], inv_h[0], m, acc, 0.0, False,
                  0.0, 0.0, 0, 0, 0.0, 0.0, acc)
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
    m0, m1, m2 = _spans(order, n)
    wa, wb, wc = np.empty(3), np.empty(3), np.empty(3)  # the weights per axis (_weights)
    for i in range(start, stop):
        a0, a1, a2, ok = _weights(order, x, i, dx, lo, inv_h, n, per, wa, wb, wc)
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
                      inv_h[0], m, table, h, False, 0.0, 0.0, 0, 0, 0.0, 0.0, none)
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
def kick_drift_deposit(x, p, w, count, order, per, lo, inv_h, n, field, hk, dt, inv_m, klo, khi,
                       xlo, xhi, out):
    """One pass of the PIC leapfrog on a 1-D mesh (periodic if ``per``, else bounded) for free
    flight in one dimension: per marker the kick p0 += hk field[0] at x0 (:func:`kick`), the
    drift x0 += dt p0 * inv_m with the walls of kinds ``klo``, ``khi`` at [xlo, xhi)
    (periodic, reflecting or open: :func:`pmc._kernels.push.push_free`, whose
    :func:`pmc._kernels.push.drift_axis` it calls), and the deposit at the new position
    (:func:`deposit`, whose chunks and chunk-order sum it keeps: the charge in ``out`` is
    bitwise that of the three passes, and independent of the thread count). ``lo``,
    ``inv_h``, ``n``: the mesh's axis 0 (scalars). Each chunk runs through :func:`_pass_1d` in
    L1-sized sub-blocks, so the markers are read from memory once."""
    table = _pad_1d(field, n, per)
    size = out.shape[0]
    nchunk = chunk_count(count, 1, size)
    chunk = (count + nchunk - 1) // nchunk
    chunk = ((chunk + BLOCK - 1) // BLOCK) * BLOCK
    part = np.zeros((nchunk, size))
    for c in prange(nchunk):
        start = min(c * chunk, count)
        stop = min(start + chunk, count)
        acc = np.zeros((n + SPARE, ROW))
        _chunk_1d(order, per, x, p, w, start, stop, lo, inv_h, n, table, hk, True, dt, inv_m, klo,
                  khi, xlo, xhi, acc)
        _fold_1d(acc, n, per, part[c])
    if nchunk == 1:
        out[:] = part[0]
        return out
    for j in prange(size):
        s = 0.0
        for c in range(nchunk):
            s += part[c, j]
        out[j] = s
    return out
