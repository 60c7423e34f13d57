"""Nearest-grid-point binning of weighted markers and the per-cell sums behind the moments
(paper eqs. 39-42).

Bitwise reproducibility whatever the number of threads: the markers are cut into ``nchunk``
contiguous chunks made of whole blocks of :data:`BLOCK` markers, where ``nchunk`` depends only on
the number of markers and the size of the histogram (:func:`chunk_count`), never on the thread
count. Each chunk fills its own private histogram, serially; the ``prange`` runs over chunks, and
the private histograms are then summed in chunk order. Out-of-range tallies are kept per block
and summed in block order, so they do not even depend on ``nchunk``.

A binned axis is described by five parallel arrays: ``src`` (0: a position component, 1: a
momentum component), ``comp`` (the component index), ``lo`` (the lower outer edge), ``inv_h``
(1 / bin width) and ``nbin``; ``stride`` gives its stride in the flattened (C-order) histogram.
Bin j of an axis is the half-open interval [lo + j h, lo + (j + 1) h).
"""
import numpy as np
from numba import njit, prange

from . import BLOCK, JIT, JIT_PARALLEL
from . import stateful
from .models import column

#: At most this many private histograms.
MAX_CHUNKS = 64
#: Private histograms together take at most this many bytes (unless one alone is larger).
CHUNK_BYTES = 256 * 2**20

# out-of-range tally columns: weight then count, outside space / outside momentum / either
OUT_X, OUT_P, OUT_ANY = 0, 1, 2
NTALLY = 6

# accumulators of the first moment pass
M_W, M_W2, M_WP, M_WV, M_WV2, M_WE, M_WE2 = 0, 1, 2, 5, 8, 11, 12
NMOM1 = 13
# accumulators of the second moment pass
M_U2, M_WA, M_W2A, M_W2A2 = 0, 3, 4, 5
NMOM2 = 6


@njit(**JIT)
def chunk_count(n, nacc, nbins):
    """Number of private histograms for ``n`` markers and ``nacc`` accumulators of ``nbins`` bins.

    A function of its arguments only (not of the thread count): at most one chunk per block of
    markers, per ``nbins`` markers (so that clearing and summing the private histograms never
    costs more than binning) and per :data:`CHUNK_BYTES`; at least 1, at most :data:`MAX_CHUNKS`.
    """
    c = MAX_CHUNKS
    c = min(c, n // BLOCK)
    c = min(c, n // max(nbins, 1))
    c = min(c, CHUNK_BYTES // max(8 * nacc * nbins, 1))
    return max(c, 1)


@njit(**JIT)
def axis_index(v, lo, inv_h, nbin):
    """Bin index of coordinate ``v`` on a uniform axis, or -1 outside [lo, lo + nbin h) (and for
    NaN)."""
    s = (v - lo) * inv_h
    if s >= 0.0 and s < nbin:
        i = int(s)
        return min(i, nbin - 1)
    return -1


@njit(**JIT)
def bin_of(x, p, i, src, comp, lo, inv_h, nbin, stride):
    """Flattened bin of marker ``i`` and whether it lies outside the spatial / momentum range.

    Returns (flat index, or -1 if outside; outside in space; outside in momentum).
    """
    flat = 0
    out_x = False
    out_p = False
    for k in range(src.shape[0]):
        if src[k] == 0:
            v = x[comp[k], i]
        else:
            v = p[comp[k], i]
        j = axis_index(v, lo[k], inv_h[k], nbin[k])
        if j < 0:
            if src[k] == 0:
                out_x = True
            else:
                out_p = True
        else:
            flat += j * stride[k]
    if out_x or out_p:
        return -1, out_x, out_p
    return flat, out_x, out_p


@njit(**JIT)
def _tally(tally, b, wi, out_x, out_p):
    if out_x:
        tally[b, OUT_X] += wi
        tally[b, 3 + OUT_X] += 1.0
    if out_p:
        tally[b, OUT_P] += wi
        tally[b, 3 + OUT_P] += 1.0
    tally[b, OUT_ANY] += wi
    tally[b, 3 + OUT_ANY] += 1.0


@njit(**JIT)
def _block_range(c, nchunk, nblock):
    return c * nblock // nchunk, (c + 1) * nblock // nchunk


@njit(**JIT_PARALLEL)
def _reduce(acc):
    """Sum the private histograms ``acc`` (nchunk, nbins, nacc) in chunk order: returns
    (nbins, nacc). Parallel over contiguous slices of the bins, each swept chunk by chunk."""
    nchunk, nbins, nacc = acc.shape
    m = nbins * nacc
    flat = acc.reshape((nchunk, m))
    out = np.empty(m)
    nslice = (m + BLOCK - 1) // BLOCK
    for b in prange(nslice):
        j0 = b * BLOCK
        j1 = min(m, j0 + BLOCK)
        for j in range(j0, j1):
            out[j] = flat[0, j]
        for c in range(1, nchunk):
            for j in range(j0, j1):
                out[j] += flat[c, j]
    return out.reshape((nbins, nacc))


@njit(**JIT)
def _reduce_tally(tally):
    out = np.zeros(NTALLY)
    for b in range(tally.shape[0]):
        for k in range(NTALLY):
            out[k] += tally[b, k]
    return out


@njit(**JIT_PARALLEL)
def histogram(x, p, w, src, comp, lo, inv_h, nbin, stride, nbins):
    """Nearest-grid-point histogram of weights and squared weights.

    Parameters
    ----------
    x, p : float64 (dx, n), (dp, n)
        Positions and momenta.
    w : float64 (n,)
        Weights.
    src, comp, lo, inv_h, nbin, stride
        The binned axes (see the module docstring).
    nbins : int
        Product of ``nbin``.

    Returns
    -------
    sums : float64 (nbins, 2)
        sum w and sum w^2 per bin.
    tally : float64 (6,)
        Weight outside space, outside momentum, outside either; then the same as counts.
    """
    n = w.shape[0]
    nblock = (n + BLOCK - 1) // BLOCK
    nchunk = chunk_count(n, 2, nbins)
    acc = np.zeros((nchunk, nbins, 2))
    tally = np.zeros((max(nblock, 1), NTALLY))
    for c in prange(nchunk):
        b0, b1 = _block_range(c, nchunk, nblock)
        for b in range(b0, b1):
            for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
                wi = w[i]
                flat, out_x, out_p = bin_of(x, p, i, src, comp, lo, inv_h, nbin, stride)
                if flat < 0:
                    _tally(tally, b, wi, out_x, out_p)
                else:
                    acc[c, flat, 0] += wi
                    acc[c, flat, 1] += wi * wi
    return _reduce(acc), _reduce_tally(tally)


@njit(**JIT_PARALLEL)
def moment_sums(x, p, w, state, comp, lo, inv_h, nbin, stride, ncell, dkind, dprm):
    """First pass of the moments: per spatial cell (momenta unrestricted)

    ====================  =====================================
    column                sum over the markers of the cell of
    ====================  =====================================
    ``M_W``               w
    ``M_W2``              w^2
    ``M_WP + k`` (k<3)    w p_k
    ``M_WV + k``          w v_k(p)
    ``M_WV2 + k``         (w v_k)^2
    ``M_WE``              w eps(p)
    ``M_WE2``             (w eps)^2
    ====================  =====================================

    ``state`` (int64, empty if the markers have none) is read by the stateful dispersions
    (:mod:`.stateful`). ``comp, lo, inv_h, nbin, stride`` describe the spatial axes only.
    Returns the sums
    (ncell, NMOM1) and the out-of-range tally (6,) as in :func:`histogram`.
    """
    n = w.shape[0]
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    src = np.zeros(comp.shape[0], np.int64)
    nblock = (n + BLOCK - 1) // BLOCK
    nchunk = chunk_count(n, NMOM1, ncell)
    acc = np.zeros((nchunk, ncell, NMOM1))
    tally = np.zeros((max(nblock, 1), NTALLY))
    for c in prange(nchunk):
        b0, b1 = _block_range(c, nchunk, nblock)
        for b in range(b0, b1):
            for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
                wi = w[i]
                cell, out_x, out_p = bin_of(x, p, i, src, comp, lo, inv_h, nbin, stride)
                if cell < 0:
                    _tally(tally, b, wi, out_x, out_p)
                    continue
                p0, p1, p2 = column(p, i, dp)
                s = state[i] if has_state else 0
                v0, v1, v2 = stateful.velocity(dkind, dprm, s, p0, p1, p2)
                e = stateful.energy(dkind, dprm, s, p0, p1, p2)
                acc[c, cell, M_W] += wi
                acc[c, cell, M_W2] += wi * wi
                acc[c, cell, M_WP] += wi * p0
                acc[c, cell, M_WP + 1] += wi * p1
                acc[c, cell, M_WP + 2] += wi * p2
                acc[c, cell, M_WV] += wi * v0
                acc[c, cell, M_WV + 1] += wi * v1
                acc[c, cell, M_WV + 2] += wi * v2
                acc[c, cell, M_WV2] += (wi * v0) ** 2
                acc[c, cell, M_WV2 + 1] += (wi * v1) ** 2
                acc[c, cell, M_WV2 + 2] += (wi * v2) ** 2
                acc[c, cell, M_WE] += wi * e
                acc[c, cell, M_WE2] += (wi * e) ** 2
    return _reduce(acc), _reduce_tally(tally)


@njit(**JIT_PARALLEL)
def central_sums(x, p, w, state, comp, lo, inv_h, nbin, stride, ncell, dkind, dprm, pmean,
                 vmean):
    """Second pass of the moments, about the cell means ``pmean``, ``vmean`` (3, ncell) of p and
    v(p) found by the first pass. With a_i = (1/dp) sum_k (p_k - pmean_k)(v_k - vmean_k):

    ====================  =====================================
    column                sum over the markers of the cell of
    ====================  =====================================
    ``M_U2 + k`` (k<3)    w^2 (v_k - vmean_k)^2
    ``M_WA``              w a
    ``M_W2A``             w^2 a
    ``M_W2A2``            w^2 a^2
    ====================  =====================================

    Returns the sums (ncell, NMOM2).
    """
    n = w.shape[0]
    dp = p.shape[0]
    has_state = state.shape[0] > 0
    src = np.zeros(comp.shape[0], np.int64)
    nblock = (n + BLOCK - 1) // BLOCK
    nchunk = chunk_count(n, NMOM2, ncell)
    acc = np.zeros((nchunk, ncell, NMOM2))
    inv_dp = 1.0 / dp
    for c in prange(nchunk):
        b0, b1 = _block_range(c, nchunk, nblock)
        for b in range(b0, b1):
            for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
                wi = w[i]
                cell, out_x, out_p = bin_of(x, p, i, src, comp, lo, inv_h, nbin, stride)
                if cell < 0:
                    continue
                p0, p1, p2 = column(p, i, dp)
                s = state[i] if has_state else 0
                v0, v1, v2 = stateful.velocity(dkind, dprm, s, p0, p1, p2)
                d0 = v0 - vmean[0, cell]
                d1 = v1 - vmean[1, cell]
                d2 = v2 - vmean[2, cell]
                a = (p0 - pmean[0, cell]) * d0
                if dp > 1:
                    a += (p1 - pmean[1, cell]) * d1
                if dp > 2:
                    a += (p2 - pmean[2, cell]) * d2
                a *= inv_dp
                w2 = wi * wi
                acc[c, cell, M_U2] += w2 * d0 * d0
                acc[c, cell, M_U2 + 1] += w2 * d1 * d1
                acc[c, cell, M_U2 + 2] += w2 * d2 * d2
                acc[c, cell, M_WA] += wi * a
                acc[c, cell, M_W2A] += w2 * a
                acc[c, cell, M_W2A2] += w2 * a * a
    return _reduce(acc)
