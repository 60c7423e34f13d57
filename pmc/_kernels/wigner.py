"""Signed-particle Wigner transport: pair generation from a tabulated Wigner potential and the
annihilation of opposite signs on a phase-space grid (see :mod:`pmc.collisions.wigner` for the
physics and the references).

Generation. A marker of weight w at x in table cell i creates pairs at the rate
gamma_i = sum_j |W[i, j]| (j = 1..nq, the positive lattice momenta q_j = j dq); an event picks j
with probability |W[i, j]| / gamma_i and appends (p + q_j, s w) and (p - q_j, -s w), s the sign of
W[i, j]; the parent stays. Over a step of length dt the branching process is sampled exactly
(positions are frozen inside the collision step of the Strang splitting): a source of remaining
time r draws exponential holding times at rate gamma_i until they pass r, and each child starts
with the time left after its event, so children generate too, generation after generation,
until none is left. Each generation is two parallel passes over its sources that draw the same
numbers (count, then write at offsets from a prefix sum), so the output does not depend on the
thread count. Source i of generation g at step t draws from stream_key(key_step, g, 0),
counters (i << 24) + 2e (holding time of event e) and (i << 24) + 2e + 1 (its lattice
momentum). Generation 0 (all markers, a whole step each) visits only the markers with an event:
most have none (gamma dt ~ 1e-3..1e-2), so instead of a draw per marker the candidates are found
by thinning against the largest event probability (P. A. W. Lewis, G. S. Shedler, Nav. Res.
Logist. Q. 26, 403 (1979)), with geometric gaps between the candidates (the skip counts of
sparse Bernoulli trials, as Mozilla's mfbt/FastBernoulliTrial.h draws them), in fixed chunks
of markers with a stream each
(:func:`first_events`); an accepted marker's first holding time is drawn conditioned on falling
inside the step. nano-archimedes instead draws the exponential holding time of every particle
at every step (its ``wmc.h``).

Annihilation. Markers are sorted by phase-space cell (a stable parallel counting sort, as
:func:`pmc._kernels.cells.sort_by_cell`, that also lays the weights out in cell order); per cell
(in parallel) the signed weights are summed in marker order, and k_c markers of the majority
sign, a uniform random subset (selection sampling, Knuth, TAOCP vol. 2, 3.4.2, Algorithm S), are
kept with weight net_c / k_c each; the rest are removed. The signed weight of each cell is kept
(up to the rounding of net_c / k_c), the kept markers keep their exact positions and momenta
(no regeneration inside the cell) and are gathered cell by cell into the markers' storage
(:meth:`pmc.Markers.take`), so that the next sort meets them almost in order.
"""
import math

import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from .cells import scan_counts, sort_chunks
from .push import ABSORBING
from .rng import stream_key, uniform, uniform_open


@njit(**JIT)
def _cell(x, x0, inv_dx, nx):
    s = (x - x0) * inv_dx
    if not (s >= 0.0 and s < nx):  # also NaN
        return -1
    return int(s)


@njit(**JIT)
def _pick(cum, i, r):
    """First j with cum[i, j] > r (binary search in the row's cumulative |W|)."""
    lo = 0
    hi = cum.shape[1] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[i, mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return lo


#: Draws of one source lie in counters [i << SOURCE_BITS, (i + 1) << SOURCE_BITS) of its
#: generation's stream.
SOURCE_BITS = 24

#: Markers per chunk of generation 0's candidate search (:func:`first_events`): chunk k draws
#: its skips from its own stream, so the result does not depend on the thread count.
CHUNK = BLOCK


@njit(**JIT)
def _holding(key, base, e, gamma, first):
    """Holding time [s] before event e of a source (its draw base + 2 e) at rate ``gamma``:
    exponential; the first one (e = 0) conditioned on falling in the fraction ``first`` of the
    law's mass below the source's time (1: not conditioned), by inversion."""
    u = uniform(key, base + 2 * e)
    if e == 0:
        u *= first
    return -math.log1p(-u) / gamma


@njit(**JIT)
def _events(key, base, gamma, remaining, first, certain):
    """Number of events of a source with rate ``gamma`` over ``remaining`` [s]; ``certain``: the
    first event is known to fall inside (its holding time conditioned by ``first``)."""
    t = _holding(key, base, 0, gamma, first)
    if not certain and t >= remaining:
        return 0
    e = 1
    while True:
        t += _holding(key, base, e, gamma, 1.0)
        if t >= remaining:
            return e
        e += 1


@njit(**JIT_PARALLEL)
def first_events(x, n, x0, inv_dx, gamma, p_event, p_bound, dt, step_key, found, counts,
                 per_chunk):
    """Generation 0: the markers with at least one event over the whole step ``dt`` [s] and
    their event counts, without a draw per marker. ``p_event`` (nx,) = 1 - exp(-gamma dt), the
    probability of an event in a table cell, ``p_bound`` >= every p_event. Markers are
    candidates with probability ``p_bound``, independently (Bernoulli thinning: the gaps between
    candidates are geometric, drawn one per candidate), and a candidate in cell c is accepted
    with probability p_event[c] / p_bound; the work is O(n p_bound), not O(n). Chunk k (markers
    [k CHUNK, (k + 1) CHUNK)) draws from stream_key(step_key, 0, 1 + k) and writes its
    accepted markers (ascending) into ``found[k CHUNK:]``, their counts into ``counts`` alike
    and their number into ``per_chunk[k]``. The events themselves are drawn from the sources'
    stream (their first holding time conditioned on an event, :func:`_holding`)."""
    nx = gamma.shape[0]
    nchunk = per_chunk.shape[0]
    key = stream_key(step_key, 0, 0)
    log_q = math.log1p(-p_bound) if p_bound < 1.0 else -math.inf
    for k in prange(nchunk):
        i0 = k * CHUNK
        i1 = min(n, i0 + CHUNK)
        ck = stream_key(step_key, 0, 1 + k)
        m = 0
        d = 0
        i = i0 - 1
        if p_bound > 0.0:
            while True:
                # non-candidates before the next candidate: geometric with parameter p_bound
                skip = math.floor(math.log(uniform_open(ck, d)) / log_q)
                d += 1
                if i + 1 + skip >= i1:
                    break
                i += 1 + int(skip)
                c = _cell(x[i], x0, inv_dx, nx)
                if c < 0:
                    continue
                if uniform(ck, d) * p_bound < p_event[c]:
                    found[i0 + m] = i
                    counts[i0 + m] = _events(key, i << SOURCE_BITS, gamma[c], dt, p_event[c],
                                             True)
                    m += 1
                d += 1
        per_chunk[k] = m


@njit(**JIT)
def gather_found(found, counts, per_chunk, active, active_counts, offsets):
    """The chunks' accepted markers of :func:`first_events` one after the other into
    ``active``, their counts into ``active_counts`` and the exclusive prefix sum of the counts
    into ``offsets``; returns (number of sources, number of events)."""
    a = 0
    events = 0
    for k in range(per_chunk.shape[0]):
        for j in range(per_chunk[k]):
            active[a] = found[k * CHUNK + j]
            active_counts[a] = counts[k * CHUNK + j]
            offsets[a] = events
            events += active_counts[a]
            a += 1
    return a, events


@njit(**JIT_PARALLEL)
def write_pairs(x, p, w, state, active, x0, inv_dx, gamma, cum, sign, dq, p_max, remaining,
                p_event, step_key, generation, counts, offsets, cx, cp, cw, cstate, crem):
    """Write the children of the sources ``active`` (int64 indices of those with events;
    ``counts`` their counts from :func:`first_events`, ``offsets`` the
    exclusive prefix sum of ``counts``): event e of the k-th active source fills children
    2 (offsets[k] + e) and 2 (offsets[k] + e) + 1. ``x`` (n,), ``p`` (dp, >= n) (component 0
    along the table's axis), ``w`` (n,), ``state`` (n,) int64 or a (0,) array; the children's
    arrays alike (``cp`` (dp, capacity)), ``crem`` their remaining times [s]. ``remaining``
    holds the sources' remaining times, or one element, the step, for generation 0, whose
    first holding times are conditioned on an event (``p_event`` of :func:`first_events`;
    a (0,) array for the later generations). ``cum`` (nx, nq)
    is the cumulative |W| of each cell's row, ``sign`` (nx, nq) the sign of W (+1, -1),
    ``dq`` [kg m/s] the lattice spacing. A pair with a marker at |p_x| >= ``p_max`` (outside
    the momentum domain) is written with zero weights (the caller drops them; it still
    counts as an event, and its children generate nothing)."""
    nx = gamma.shape[0]
    first_generation = p_event.shape[0] > 0
    key = stream_key(step_key, generation, 0)
    for a_ in prange(active.shape[0]):
        i = active[a_]
        c = _cell(x[i], x0, inv_dx, nx)
        if c < 0 or gamma[c] <= 0.0:
            continue
        _write_events(x, p, w, state, i, c, gamma[c],
                      remaining[0] if first_generation else remaining[i],
                      p_event[c] if first_generation else 1.0, counts[a_], key, cum, sign, dq,
                      p_max, 2 * offsets[a_], cx, cp, cw, cstate, crem)


@njit(**JIT)
def _write_events(x, p, w, state, i, c, g, r, first, count, key, cum, sign, dq, p_max, a0, cx,
                  cp, cw, cstate, crem):
    """The ``count`` events of source i (table cell c, rate g [1/s], time left r [s], first
    holding time conditioned by ``first``, :func:`_holding`) as children a0, a0 + 1, ... of
    the ``c*`` arrays (:func:`write_pairs`)."""
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    base = i << SOURCE_BITS
    t = 0.0
    for e in range(count):  # the draws of the counting, event by event
        t += _holding(key, base, e, g, first)
        j = _pick(cum, c, uniform(key, base + 2 * e + 1) * g)
        q = (j + 1) * dq
        s = sign[c, j] * w[i]
        a = a0 + 2 * e
        for k in (a, a + 1):
            cx[k] = x[i]
            for d in range(1, dp):
                cp[d, k] = p[d, i]
            crem[k] = r - t
            if has_state:
                cstate[k] = state[i]
        cp[0, a] = p[0, i] + q
        cw[a] = s
        cp[0, a + 1] = p[0, i] - q
        cw[a + 1] = -s
        if not (abs(p[0, i] + q) < p_max and abs(p[0, i] - q) < p_max):
            cw[a] = 0.0  # a pair leaving the momentum domain is dropped (both markers)
            cw[a + 1] = 0.0


@njit(**JIT)
def descendants(cx, cp, cw, cstate, crem, x0, inv_dx, gamma, cum, sign, dq, p_max, step_key):
    """Generation 0's children as :func:`write_pairs` left them (dropped pairs at zero weight)
    -> (x (m,), p (dp, m), w (m,), state (m,) or (0,)): the live ones followed by all their
    descendants, generation g >= 1 after generation g - 1 (source i of generation g, its index
    among the live children of generation g - 1, draws its events from stream_key(step_key, g,
    0) as in :func:`write_pairs`). Serial: the later generations are few
    (a fraction gamma dt of the markers) and this saves a round of calls per generation."""
    nx = gamma.shape[0]
    dp = cp.shape[0]
    has_state = cstate.shape[0] > 0
    # the live sources of the current generation, and everything kept so far in (ox, ...)
    live = 0
    for a in range(cw.shape[0]):
        live += cw[a] != 0.0
    cap = max(16, 2 * live)
    ox = np.empty(cap)
    op = np.empty((dp, cap))
    ow = np.empty(cap)
    ostate = np.empty(cap if has_state else 0, np.int64)
    orem = np.empty(cap)
    k = 0
    for a in range(cw.shape[0]):
        if cw[a] != 0.0:
            ox[k] = cx[a]
            op[:, k] = cp[:, a]
            ow[k] = cw[a]
            orem[k] = crem[a]
            if has_state:
                ostate[k] = cstate[a]
            k += 1
    lo = 0
    hi = k
    g = 1
    while hi > lo:
        key = stream_key(step_key, g, 0)
        m = hi - lo
        counts = np.zeros(m, np.int64)
        events = 0
        for i in range(m):
            c = _cell(ox[lo + i], x0, inv_dx, nx)
            if c >= 0:
                counts[i] = _events(key, i << SOURCE_BITS, gamma[c], orem[lo + i], 1.0, False)
                events += counts[i]
        if events == 0:
            break
        # this generation's children, then the live ones appended
        sx = ox[lo:hi].copy()
        sp = op[:, lo:hi].copy()
        sw = ow[lo:hi].copy()
        ss = ostate[lo:hi].copy() if has_state else ostate[:0]
        sr = orem[lo:hi].copy()
        nx_ = np.empty(2 * events)
        np_ = np.empty((dp, 2 * events))
        nw = np.empty(2 * events)
        ns = np.empty(2 * events if has_state else 0, np.int64)
        nr = np.empty(2 * events)
        a0 = 0
        for i in range(m):
            if counts[i]:
                c = _cell(sx[i], x0, inv_dx, nx)
                _write_events(sx, sp, sw, ss, i, c, gamma[c], sr[i], 1.0, counts[i], key, cum,
                              sign, dq, p_max, a0, nx_, np_, nw, ns, nr)
                a0 += 2 * counts[i]
        if hi + 2 * events > cap:
            cap = max(2 * cap, hi + 2 * events)
            ox2 = np.empty(cap)
            op2 = np.empty((dp, cap))
            ow2 = np.empty(cap)
            os2 = np.empty(cap if has_state else 0, np.int64)
            or2 = np.empty(cap)
            ox2[:hi] = ox[:hi]
            op2[:, :hi] = op[:, :hi]
            ow2[:hi] = ow[:hi]
            if has_state:
                os2[:hi] = ostate[:hi]
            or2[:hi] = orem[:hi]
            ox, op, ow, ostate, orem = ox2, op2, ow2, os2, or2
        k = hi
        for a in range(2 * events):
            if nw[a] != 0.0:
                ox[k] = nx_[a]
                op[:, k] = np_[:, a]
                ow[k] = nw[a]
                orem[k] = nr[a]
                if has_state:
                    ostate[k] = ns[a]
                k += 1
        lo = hi
        hi = k
        g += 1
    return ox[:hi], op[:, :hi], ow[:hi], ostate[:hi] if has_state else ostate[:0]


@njit(**JIT_PARALLEL)
def annihilation_sort(x, p, w, n, x0, inv_dx, nx, inv_dp, ip_min, npc, index, order, ws, start,
                      threads):
    """Markers by annihilation cell: a stable counting sort (as
    :func:`pmc._kernels.cells.sort_by_cell`) into the caller's buffers. Cell (ix, ip) is
    ix * npc + ip, ix the x cell of width 1/``inv_dx`` from ``x0`` (nx of them), ip =
    floor(p / dp + 1/2) - ``ip_min`` (cells centred on the multiples of dp, so that momenta on
    the lattice sit at cell centres; npc of them); markers outside go to the extra bin
    ncell = nx * npc. ``index`` (>= n,) receives the bins, ``order`` (>= n,) the markers bin by
    bin (bin b: ``order[start[b]:start[b + 1]]``, in increasing marker order), ``ws`` (>= n,)
    their weights in that order (the per-cell passes then read them in sequence), ``start``
    (ncell + 2,) the offsets; ``threads`` the number of threads (numba.get_num_threads()),
    at least one."""
    nbin = start.shape[0] - 1
    ncell = nbin - 1
    # a stable sort has one result whatever the chunks: no more chunks than threads (each
    # costs a row of counts and its share of the scan over the bins)
    nchunk = max(1, min(sort_chunks(n, nbin), threads))
    offsets = np.zeros((nchunk, nbin), np.int64)
    for k in prange(nchunk):
        for i in range(k * n // nchunk, (k + 1) * n // nchunk):
            ix = _cell(x[i], x0, inv_dx, nx)
            f = math.floor(p[0, i] * inv_dp + 0.5) - ip_min
            c = ncell if ix < 0 or not (f >= 0.0 and f < npc) else ix * npc + int(f)
            index[i] = c
            offsets[k, c] += 1
    scan_counts(offsets, start)
    for k in prange(nchunk):
        for i in range(k * n // nchunk, (k + 1) * n // nchunk):
            c = index[i]
            a = offsets[k, c]
            order[a] = i
            ws[a] = w[i]
            offsets[k, c] = a + 1


@njit(**JIT_PARALLEL)
def cell_sums(ws, start, net, majority, gone):
    """Per cell c (the bins of :func:`annihilation_sort` but the last): net[c] = the sum of the
    signed weights ``ws`` (in marker order; 0 where it is below the rounding of the sum of
    |w|), majority[c] = the number of markers of net's sign, gone[c] = sum |w| - |net|, the
    absolute weight annihilation removes from the cell."""
    ncell = net.shape[0]
    for c in prange(ncell):
        s = 0.0
        total = 0.0
        npos = 0
        for a in range(start[c], start[c + 1]):
            v = ws[a]
            s += v
            total += abs(v)
            npos += v > 0.0
        nneg = start[c + 1] - start[c] - npos
        if abs(s) <= 1e-13 * total:  # cancelled up to the rounding of the sum
            s = 0.0
        net[c] = s
        majority[c] = npos if s > 0.0 else (nneg if s < 0.0 else 0)
        gone[c] = total - abs(s)


@njit(**JIT_PARALLEL)
def annihilate(w, ws, order, start, net, majority, quantum, key, kept):
    """Keep k_c = min(majority, max(1, ceil(|net| / quantum))) markers of net's sign in each
    cell, a uniform random subset (selection sampling over the cell's majority markers in
    marker order, drawn from stream_key(key, c, 0)), each with weight net / k_c (written into
    ``w``); cells with net = 0 keep none. The kept markers' indices are moved to the front of
    their cell's slice of ``order`` (``order[start[c]:start[c] + k_c]``, in marker order) and
    kept[c] = k_c; the markers outside every cell (the last bin) are all kept."""
    ncell = net.shape[0]
    for c in prange(ncell):
        a0 = start[c]
        a1 = start[c + 1]
        s = net[c]
        if a1 == a0 or s == 0.0:
            kept[c] = 0
            continue
        m = majority[c]
        k = int(math.ceil(abs(s) / quantum * (1.0 - 1e-12)))
        k = min(max(k, 1), m)
        ck = stream_key(key, c, 0)
        need = k
        left = m  # majority markers not yet seen
        wk = s / k
        d = 0
        for a in range(a0, a1):
            if (ws[a] > 0.0) == (s > 0.0):
                # selection sampling: keep with probability need / left (certain, and then not
                # drawn, when every marker left is needed: one-sign cells keep all)
                if need > 0 and (need == left or uniform(ck, d) * left < need):
                    i = order[a]
                    w[i] = wk
                    order[a0 + k - need] = i  # never ahead of a: compaction in place
                    need -= 1
                left -= 1
                d += 1
        kept[c] = k
    kept[ncell] = start[ncell + 1] - start[ncell]


@njit(**JIT_PARALLEL)
def kept_order(order, start, kept, dst, out):
    """out[dst[b] + j] = order[start[b] + j] for j < kept[b], bin by bin: the kept markers of
    :func:`annihilate`, cell by cell (``dst`` the exclusive prefix sum of ``kept``)."""
    for b in prange(kept.shape[0]):
        a0 = start[b]
        o = dst[b]
        for j in range(kept[b]):
            out[o + j] = order[a0 + j]


@njit(**JIT_PARALLEL)
def signed_sums(w, n, out):
    """out[b] = (markers > 0, markers < 0, sum of the negative weights, sum |w|) per block of
    4096 markers, for a thread-count independent total."""
    nb = out.shape[0]
    for b in prange(nb):
        i0 = b * BLOCK
        i1 = min(n, i0 + BLOCK)
        npos = 0
        nneg = 0
        sneg = 0.0
        sabs = 0.0
        for i in range(i0, i1):
            v = w[i]
            if v > 0.0:
                npos += 1
            else:
                nneg += 1
                sneg += v
            sabs += abs(v)
        out[b, 0] = npos
        out[b, 1] = nneg
        out[b, 2] = sneg
        out[b, 3] = sabs
    return out
