"""Cell index of each marker and a deterministic counting sort of markers by cell: the primitive
every per-cell collision kernel starts from (as SPARTA sorts particles into grid cells each step
before its collision loop, ``src/particle.cpp``, ``Particle::sort``).

The sort is a stable counting sort run in parallel: the markers are cut into contiguous chunks,
each chunk counts its markers per cell (in parallel), an exclusive scan in (cell, chunk) order
turns the counts into write offsets, and each chunk scatters its marker indices (in parallel).
A stable sort has exactly one result, so the output is the same for any number of chunks or
threads: the markers of a cell always come out in increasing marker order.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from . import BLOCK, JIT, JIT_PARALLEL
from .models import SCALAR

#: At most this many chunks.
MAX_CHUNKS = 64
#: The per-chunk counts take at most this many bytes (unless one chunk alone needs more).
CHUNK_BYTES = 32 * 2**20
#: Contiguous sub-ranges of a chunk that :func:`sort_markers` counts and places in lockstep, each
#: with its own row of counts: markers stored in cell order (after a reorder) increment one
#: cell's count one after the other, a chain of stores and loads of one address; in lockstep
#: there are LANES such chains at once (four are spelled out; any other number is correct too).
#: The device of zstd's histogram (lib/zstd/compress/hist.c, HIST_count_parallel_wksp: four
#: count tables); here the lanes are contiguous sub-ranges, so that the sort stays stable.
LANES = 4


@njit(**JIT)
def _axis_cell(v, lo, inv_h, m):
    """(cell, inside) of coordinate ``v`` on an axis of ``m`` cells from ``lo``: the cell
    clamped into 0..m-1 and whether v lies in [lo, lo + m h) (False for NaN). Branch-free, so
    that the loops over markers vectorize."""
    s = (v - lo) * inv_h
    inside = (s >= 0.0) & (s < m)
    t = min(max(s, 0.0), m - 1.0)  # NaN -> 0 or m - 1 (it is outside anyway)
    if not (t == t):
        t = 0.0
    return int(t), inside


@njit(**JIT)
def flat_cell(positions, i, k_axes, lo, inv_h, shape):
    """Flat (C-order) cell of marker i over the first ``k_axes`` axes, or -1 outside."""
    j0, in0 = _axis_cell(positions[0, i], lo[0], inv_h[0], shape[0])
    if k_axes == 1:
        return j0 if in0 else -1
    j1, in1 = _axis_cell(positions[1, i], lo[1], inv_h[1], shape[1])
    if k_axes == 2:
        return j0 * shape[1] + j1 if (in0 & in1) else -1
    j2, in2 = _axis_cell(positions[2, i], lo[2], inv_h[2], shape[2])
    return (j0 * shape[1] + j1) * shape[2] + j2 if (in0 & in1 & in2) else -1


@njit(**JIT_PARALLEL)
def cell_index(positions, n, lo, inv_h, shape, out):
    """out[i] = flat (C-order) index of the cell holding marker i, or -1 outside.

    ``positions`` (dx, capacity); ``lo``, ``inv_h`` float64 (k,), ``shape`` int64 (k,) for the
    k <= dx binned axes (the first k position components)."""
    k = shape.shape[0]
    for i in prange(n):
        out[i] = flat_cell(positions, i, k, lo, inv_h, shape)
    return out


@njit(**JIT)
def sort_chunks(n, ncell):
    """Number of chunks of the parallel sort of ``n`` markers into ``ncell`` cells: at most one
    per 4 blocks of markers and one per ``ncell`` markers (so that the scan over the counts never
    costs more than the counting), and the counts within :data:`CHUNK_BYTES`; at least 1."""
    c = MAX_CHUNKS
    c = min(c, n // (4 * BLOCK))
    c = min(c, n // max(ncell, 1))
    c = min(c, CHUNK_BYTES // max(8 * ncell, 1))
    return max(c, 1)


@njit(**JIT)
def scan_counts(offsets, start):
    """The scan of a parallel counting sort, in place: the counts ``offsets`` (nchunk, nbin)
    become each chunk's first slot per bin (the exclusive prefix sum in (bin, chunk) order),
    ``start`` (nbin + 1,) receives each bin's first slot and the total; returns the total."""
    total = 0
    for c in range(offsets.shape[1]):
        start[c] = total
        for k in range(offsets.shape[0]):
            m = offsets[k, c]
            offsets[k, c] = total
            total += m
    start[offsets.shape[1]] = total
    return total


@njit(**JIT_PARALLEL)
def sort_by_cell(index, ncell):
    """(order, start): markers of cell c are ``order[start[c]:start[c + 1]]``, in increasing
    marker order (a stable counting sort). Markers outside (index -1) are left out."""
    n = index.shape[0]
    nchunk = sort_chunks(n, ncell)
    offsets = np.zeros((nchunk, ncell), np.int64)
    for k in prange(nchunk):
        i0 = k * n // nchunk
        i1 = (k + 1) * n // nchunk
        for i in range(i0, i1):
            c = index[i]
            if c >= 0:
                offsets[k, c] += 1
    start = np.empty(ncell + 1, np.int64)
    total = scan_counts(offsets, start)
    order = np.empty(total, np.int64)
    for k in prange(nchunk):
        i0 = k * n // nchunk
        i1 = (k + 1) * n // nchunk
        for i in range(i0, i1):
            c = index[i]
            if c >= 0:
                order[offsets[k, c]] = i
                offsets[k, c] += 1
    return order, start


@njit(**JIT_PARALLEL)
def sort_markers(positions, weights, n, lo, inv_h, shape, index, order, start, inverse):
    """Cell index and stable counting sort in one call, into the caller's buffers: the fused
    form of :func:`cell_index` and :func:`sort_by_cell` that per-step collision kernels use
    (no allocation of marker-sized arrays).

    ``index`` (>= n,) receives the cell of each marker (-1 outside), or if ``inverse`` its
    position in ``order`` (the inverse permutation, for :func:`scatter_columns`); ``order``
    (>= n,) all the markers, by cell (cell c: ``order[start[c]:start[c + 1]]``) and then those
    outside the cells (``order[start[ncell]:n]``, in increasing order); both int64, or int32
    where the counts fit. ``start`` (ncell + 1,) int64 receives the offsets. Returns the number
    of markers inside the cells and the range (min, max) of the ``weights`` (read in the same
    pass as the positions, for the equal-weight check of the collision kernels). Cell by cell
    the result is that of :func:`sort_by_cell` (a stable sort has only one). Markers outside
    are counted in a last, extra bin, so that the loops have no branch."""
    ncell = start.shape[0] - 1
    k_axes = shape.shape[0]
    nchunk = sort_chunks(n, ncell + 1)
    # LANES rows of counts per chunk where their scan costs little against the passes
    lanes = LANES if 4 * LANES * nchunk * (ncell + 1) <= n else 1
    nsub = nchunk * lanes
    offsets = np.zeros((nsub, ncell + 1), np.int64)
    # the weights' range: almost always they are all one number, which a count of the weights
    # unlike the first tells in a loop that vectorises (a min/max reduction does not, without
    # fastmath: on one thread it took longer than the cell index); the range only if not
    w0 = weights[0] if n > 0 else 0.0
    unequal = 0
    for i in prange(n):
        index[i] = flat_cell(positions, i, k_axes, lo, inv_h, shape)
        unequal += weights[i] != w0
    w_min = w0
    w_max = w0
    if unequal:
        w_min = np.inf
        w_max = -np.inf
        for i in prange(n):
            w_min = min(w_min, weights[i])  # min and max: exact, whatever the order
            w_max = max(w_max, weights[i])
    for k in prange(nchunk):
        _count_lanes(index, n, nsub, k * lanes, lanes, ncell, offsets)
    total = 0
    for c in range(ncell + 1):
        if c < ncell:
            start[c] = total
        else:
            start[ncell] = total
        for k in range(nsub):
            m = offsets[k, c]
            offsets[k, c] = total
            total += m
    for k in prange(nchunk):
        _place_lanes(index, n, nsub, k * lanes, lanes, ncell, offsets, order, inverse)
    return start[ncell], w_min, w_max


@njit(**JIT)
def _lane_starts(n, nsub, k0, lanes):
    """First marker of sub-ranges k0 .. k0 + lanes of the ``nsub`` equal sub-ranges of 0..n-1
    (lanes + 1 entries, the last the end), and the length of the shortest, as uint64 (unsigned
    indices: no negative-index wraparound test on every access, ~30% of a pass)."""
    first = np.empty(lanes + 1, np.uint64)
    for q in range(lanes + 1):
        first[q] = uint64((k0 + q) * n // nsub)
    m = first[1] - first[0]
    for q in range(1, lanes):
        m = min(m, first[q + 1] - first[q])
    return first, m


@njit(**JIT)
def _count_lanes(index, n, nsub, k0, lanes, ncell, offsets):
    """The counts per cell (outside: bin ``ncell``) of sub-ranges k0 .. k0 + lanes - 1 into
    their rows of ``offsets``, the sub-ranges in lockstep (:data:`LANES`)."""
    first, m = _lane_starts(n, nsub, k0, lanes)
    if lanes == 4:  # spelled out: four independent chains in one loop body
        f0, f1, f2, f3 = first[0], first[1], first[2], first[3]
        r0, r1, r2, r3 = offsets[k0], offsets[k0 + 1], offsets[k0 + 2], offsets[k0 + 3]
        for t in range(m):
            c0, c1, c2, c3 = index[f0 + t], index[f1 + t], index[f2 + t], index[f3 + t]
            r0[c0 if c0 >= 0 else ncell] += 1
            r1[c1 if c1 >= 0 else ncell] += 1
            r2[c2 if c2 >= 0 else ncell] += 1
            r3[c3 if c3 >= 0 else ncell] += 1
    else:
        m = uint64(0)
    for q in range(lanes):
        for i in range(first[q] + m, first[q + 1]):
            c = index[i]
            offsets[k0 + q, c if c >= 0 else ncell] += 1


@njit(**JIT)
def _place_lanes(index, n, nsub, k0, lanes, ncell, offsets, order, inverse):
    """Each marker of sub-ranges k0 .. k0 + lanes - 1 to its slot of ``order`` (the rows of
    ``offsets`` hold each sub-range's next slot per cell), in lockstep as :func:`_count_lanes`;
    with ``inverse`` its slot to ``index``."""
    first, m = _lane_starts(n, nsub, k0, lanes)
    if lanes == 4:
        f0, f1, f2, f3 = first[0], first[1], first[2], first[3]
        for t in range(m):
            _place(index, f0 + t, k0, ncell, offsets, order, inverse)
            _place(index, f1 + t, k0 + 1, ncell, offsets, order, inverse)
            _place(index, f2 + t, k0 + 2, ncell, offsets, order, inverse)
            _place(index, f3 + t, k0 + 3, ncell, offsets, order, inverse)
    else:
        m = uint64(0)
    for q in range(lanes):
        for i in range(first[q] + m, first[q + 1]):
            _place(index, i, k0 + q, ncell, offsets, order, inverse)


@njit(**SCALAR)
def _place(index, i, row, ncell, offsets, order, inverse):
    c = index[i]
    slot = c if c >= 0 else ncell
    j = offsets[row, slot]
    order[j] = i
    if inverse:
        index[i] = j
    offsets[row, slot] = j + 1


@njit(**JIT_PARALLEL)
def scatter_columns(a, n, position, out):
    """``out[:, position[i]] = a[:, i]`` for i < n: columns of ``a`` (d, capacity) moved to
    their ``position`` (a permutation of 0..n-1), out of place (the caller swaps the arrays: no
    copy back). The same result as gathering ``a[:, order]`` with the inverse permutation
    ``order``, but the loads run in sequence and only the stores scatter (stores do not stall
    the loop as loads that miss the cache do), which pays when reordering markers into cell
    order five steps after the last time. One row at a time: each iteration has one
    independent access, and many are in flight at once (more than with all rows of a column
    per iteration)."""
    for r in range(a.shape[0]):
        for i in prange(n):
            out[r, uint64(position[i])] = a[r, i]



@njit(**JIT_PARALLEL)
def gather_columns(a, order, out):
    """``out[:, k] = a[:, order[k]]`` for k < len(order): the columns ``order`` of ``a`` (d,
    capacity) gathered in that order, out of place (a subset, unlike
    :func:`scatter_columns`'s permutation). One row at a time, as there."""
    for r in range(a.shape[0]):
        for k in prange(order.shape[0]):
            out[r, k] = a[r, uint64(order[k])]


@njit(**JIT)
def first_bad_index(order, n):
    """The first k at which ``order[k]`` lies outside 0..n-1 or repeats an earlier entry, -1 if
    none does: the indices :func:`gather_columns` may take. One pass marking each index seen
    (O(len(order) + n), where sorting a copy would be O(len log len))."""
    seen = np.zeros(n, np.bool_)
    for k in range(order.shape[0]):
        j = order[k]
        if j < 0 or j >= n or seen[j]:
            return k
        seen[j] = True
    return -1

#: Sums per (group, cell) accumulated by :func:`accumulate_moments`: w, w p_i (3),
#: w p_i p_j (xx, yy, zz, xy, xz, yz), w |p|^2 p_i (3).
NMOMENTS = 13
#: Markers per chunk of :func:`accumulate_moments`: at least one block and 4 per (group, cell)
#: sum (so that clearing and adding a chunk's rows costs less than its markers), and at most
#: this many chunks.
MOMENT_CHUNK = BLOCK
MAX_MOMENT_CHUNKS = 16


@njit(**JIT)
def moment_chunks(n, slots):
    """Chunks of :func:`accumulate_moments` for ``n`` markers and ``slots`` (group, cell) sums:
    one per max(:data:`MOMENT_CHUNK`, 4 slots) markers, at most :data:`MAX_MOMENT_CHUNKS`, the
    per-chunk sums within :data:`CHUNK_BYTES`; at least 1. A function of n and slots only
    (never of the thread count), so the order of the additions, and the sums, are the same on
    any number of threads. (The sampling gas push runs its blocks in these chunks: enough of
    them to share a run of 10^4 - 10^5 markers among threads.)"""
    c = min(MAX_MOMENT_CHUNKS, n // max(MOMENT_CHUNK, 4 * slots))
    c = min(c, CHUNK_BYTES // max(8 * NMOMENTS * slots, 1))
    return max(c, 1)


@njit(**JIT)
def _shifted_axis(v, dv, lo, inv_h, m, wrap):
    """(cell, inside, crossed) on one axis of ``m`` cells: whether ``v`` lies in the cells, the
    cell of v + dv, wrapped over the m cells (``wrap``: a periodic axis) or, where v + dv
    leaves the cells of a bounded axis (``crossed``), the cell of v."""
    s = (v - lo) * inv_h
    inside = (s >= 0.0) & (s < m)
    t = s + dv * inv_h
    crossed = False
    if t < 0.0 or t >= m:
        if wrap:
            t -= m * math.floor(t / m)
        else:  # the flight reaches a wall first: where it is
            t = s
            crossed = True
    t = min(max(t, 0.0), m - 1.0)
    if not (t == t):
        t = 0.0
    return int(t), inside, crossed


@njit(**JIT)
def _shifted_cell(positions, p, i, h, k, lo, inv_h, shape, wrap):
    """(flat cell, inside, crossed) of marker i advanced by p h (:func:`_shifted_axis` on the
    first k axes)."""
    c, ok, cr = _shifted_axis(positions[0, i], p[0, i] * h, lo[0], inv_h[0], shape[0], wrap[0])
    if k > 1:
        c1, in1, cr1 = _shifted_axis(positions[1, i], p[1, i] * h, lo[1], inv_h[1], shape[1],
                                     wrap[1])
        c = c * shape[1] + c1
        ok &= in1
        cr |= cr1
        if k > 2:
            c2, in2, cr2 = _shifted_axis(positions[2, i], p[2, i] * h, lo[2], inv_h[2],
                                         shape[2], wrap[2])
            c = c * shape[2] + c2
            ok &= in2
            cr |= cr2
    return c, ok, cr


@njit(**JIT)
def moment_chunk_bounds(ch, nchunk, start, n):
    """Markers [i0, i1) of chunk ``ch`` of ``nchunk`` over markers start..n-1: whole blocks of
    :data:`BLOCK` from ``start`` (so that the gas push, whose wall tallies are per block, can
    sample a chunk in the same pass)."""
    nb = (n - start + BLOCK - 1) // BLOCK
    return (min(n, start + BLOCK * (ch * nb // nchunk)),
            min(n, start + BLOCK * ((ch + 1) * nb // nchunk)))


@njit(**SCALAR)
def _add_moments(acc, s, wi, a, b, d):
    """acc[s, :] += the NMOMENTS sums of one marker (weight wi, momentum (a, b, d)); inlined
    (:data:`pmc._kernels.models.SCALAR`)."""
    wa = wi * a
    wb = wi * b
    wd = wi * d
    q = a * a + b * b + d * d
    acc[s, 0] += wi
    acc[s, 1] += wa
    acc[s, 2] += wb
    acc[s, 3] += wd
    acc[s, 4] += wa * a
    acc[s, 5] += wb * b
    acc[s, 6] += wd * d
    acc[s, 7] += wa * b
    acc[s, 8] += wa * d
    acc[s, 9] += wb * d
    acc[s, 10] += wa * q
    acc[s, 11] += wb * q
    acc[s, 12] += wd * q


@njit(**JIT)
def sample_range(positions, p, w, state, i0, i1, lo, inv_h, shape, wrap, shift, inv_mass,
                 ncell, row, deferred, base, held, flags, mid):
    """row[g * ncell + c, :] += the :data:`NMOMENTS` sums of markers i0..i1-1 (state g;
    ``state`` of length 0: group 0) whose position advanced by v ``shift`` [s] lies in cell c
    (flat, C order), v = p ``inv_mass[g]``, in marker order. Markers whose position itself is
    outside the cells are skipped; on an axis with ``wrap[a]`` (periodic over the cells) the
    shifted cell wraps. A flight that leaves the cells of a bounded axis before its middle (it
    meets a wall first) is binned where it starts if ``deferred`` is empty, else left out: its
    index goes to deferred[base + held] (``held`` counts them on; returned). With ``flags``
    (of length i1 - i0; the gas push samples in its own pass) such a marker is also flagged
    (flags[i - i0] = 1) and its slot of ``mid`` marked absent (mid[6, slot] = 0), for the push
    to write its state at mid-flight there (:func:`pmc._kernels.walls.fly`)."""
    k = shape.shape[0]
    grouped = state.shape[0] > 0
    defer = deferred.shape[0] > 0
    fused = flags.shape[0] > 0
    m0 = shape[0]
    m1 = shape[1] if k > 1 else 1
    m2 = shape[2] if k > 2 else 1
    for i in range(uint64(i0), uint64(i1)):
        g = state[i] if grouped else 0
        h = shift * inv_mass[g]
        a = p[0, i]
        b = p[1, i]
        d = p[2, i]
        # the axes written out here: through _shifted_cell the pass took twice as long
        c, ok, crossed = _shifted_axis(positions[0, i], a * h, lo[0], inv_h[0], m0, wrap[0])
        if k > 1:
            c1, in1, cr1 = _shifted_axis(positions[1, i], b * h, lo[1], inv_h[1], m1, wrap[1])
            c = c * m1 + c1
            ok &= in1
            crossed |= cr1
            if k > 2:
                c2, in2, cr2 = _shifted_axis(positions[2, i], d * h, lo[2], inv_h[2], m2,
                                             wrap[2])
                c = c * m2 + c2
                ok &= in2
                crossed |= cr2
        if not ok:
            continue
        if crossed and defer:
            slot = uint64(base + held)
            deferred[slot] = i
            held += 1
            if fused:
                flags[i - uint64(i0)] = 1
                mid[6, slot] = 0.0
            continue
        _add_moments(row, uint64(g * ncell + c), w[i], a, b, d)
    return held


@njit(**JIT)
def zero_rows(scratch, ch):
    """scratch[ch] = 0."""
    for j in range(scratch.shape[1]):
        for m in range(NMOMENTS):
            scratch[ch, j, m] = 0.0


@njit(**JIT)
def add_chunks(scratch, acc):
    """acc += the rows of ``scratch`` (chunks, slots, NMOMENTS), in chunk order (the same sums
    on any number of threads)."""
    nslot = scratch.shape[1]
    flat = acc.reshape(nslot, NMOMENTS)
    for j in range(nslot):
        for ch in range(scratch.shape[0]):
            for m in range(NMOMENTS):
                flat[j, m] += scratch[ch, j, m]


@njit(**JIT_PARALLEL)
def accumulate_moments(positions, p, w, state, start, n, lo, inv_h, shape, wrap, shift,
                       inv_mass, deferred, ndeferred, scratch, acc):
    """acc[g, c, :] += the :data:`NMOMENTS` weighted momentum sums of markers start..n-1 with
    state g (``state`` of length 0: every marker in group 0) whose position advanced by v
    ``shift`` lies in cell c (flat, C order), v = p ``inv_mass[g]``: with ``shift`` = dt/2 after
    the collisions, the cell a marker crosses at mid-flight (the time average of its free flight
    to O(dt^2)); :func:`sample_range` over chunks of markers. A flight that leaves the cells of
    a bounded axis before its middle (it meets a wall first) is binned where it starts, or,
    with ``deferred`` (>= n,) int64, left out: its index goes to ``deferred`` (those of chunk c
    from the chunk's first index on, ``ndeferred[c]`` of them), for :func:`accumulate_deferred`
    to bin at the middle of the flight after the walls.

    ``scratch`` (chunks, G * cells, NMOMENTS) is the caller's buffer (no allocation per
    call); chunks = :func:`moment_chunks` of n - start, bounded by
    :func:`moment_chunk_bounds`. Each chunk of markers sums into its own rows in one pass, and
    the chunks are added in chunk order: the result does not depend on the thread count.
    SPARTA tallies the same per-cell sums in one pass over the particles of each cell
    (src/compute_grid.cpp)."""
    nslot = scratch.shape[1]
    ncell = nslot // inv_mass.shape[0]
    nchunk = scratch.shape[0]
    no_flags = np.zeros(0, np.uint8)
    no_mid = np.zeros((7, 0))
    for ch in prange(nchunk):
        zero_rows(scratch, ch)
        i0, i1 = moment_chunk_bounds(ch, nchunk, start, n)
        held = sample_range(positions, p, w, state, i0, i1, lo, inv_h, shape, wrap, shift,
                            inv_mass, ncell, scratch[ch], deferred, i0, 0, no_flags, no_mid)
        if deferred.shape[0] > 0:
            ndeferred[ch] = held
    add_chunks(scratch, acc)


@njit(**JIT)
def accumulate_deferred(positions, p, w, state, start, n, lo, inv_h, shape, wrap, shift,
                        inv_mass, deferred, ndeferred, mid, acc):
    """Add to ``acc`` the markers :func:`accumulate_moments` (or the sampling gas push,
    :func:`pmc._kernels.walls.push_gas_sampled`) deferred (markers start..n-1 then, its
    ``deferred`` and ``ndeferred``), in chunk order (serial: a few markers per step;
    deterministic). Without ``mid`` (empty), each at its position advanced by v ``shift`` [s]:
    after the flight, shift = dt/2 - (time flown since the sample) <= 0 takes a marker back to
    the middle of its flight along its velocity after the wall (exact when it met one wall, in
    the flight's first half); where that leaves the cells again, where it is. With ``mid``
    (7, >= n: position (3), momentum (3) at mid-flight and 1 if the marker was there, per
    deferred slot), each at that state (none if it had left)."""
    k = shape.shape[0]
    flat = acc.reshape(-1, NMOMENTS)
    ncell = flat.shape[0] // inv_mass.shape[0]
    grouped = state.shape[0] > 0
    nchunk = ndeferred.shape[0]
    traced = mid.shape[1] > 0
    for ch in range(nchunk):
        i0, _ = moment_chunk_bounds(ch, nchunk, start, n)
        for j in range(ndeferred[ch]):
            slot = i0 + j
            i = deferred[slot]
            g = state[i] if grouped else 0
            if traced:
                if mid[6, slot] == 0.0:
                    continue
                c, ok, _ = _shifted_cell(mid[0:3], mid[3:6], slot, 0.0, k, lo, inv_h, shape,
                                         wrap)
                if ok:
                    _add_moments(flat, uint64(g * ncell + c), w[i], mid[3, slot],
                                 mid[4, slot], mid[5, slot])
                continue
            c, ok, _ = _shifted_cell(positions, p, i, shift * inv_mass[g], k, lo, inv_h, shape,
                                     wrap)
            if ok:
                _add_moments(flat, uint64(g * ncell + c), w[i], p[0, i], p[1, i], p[2, i])
        ndeferred[ch] = 0
