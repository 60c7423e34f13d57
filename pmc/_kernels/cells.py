"""Cell index of each marker and a deterministic counting sort of markers by cell: the primitive
every per-cell collision kernel starts from (as SPARTA sorts particles into grid cells each step
before its collision loop)."""
import numpy as np
from numba import njit, prange

from . import JIT, JIT_PARALLEL


@njit(**JIT_PARALLEL)
def cell_index(positions, n, lo, inv_h, shape, out):
    """out[i] = flat (C-order) index of the cell holding marker i, or -1 outside.

    ``positions`` (dx, capacity); ``lo``, ``inv_h`` float64 (k,), ``shape`` int64 (k,) for the
    k <= dx binned axes (the first k position components)."""
    k = shape.shape[0]
    for i in prange(n):
        flat = 0
        for a in range(k):
            s = (positions[a, i] - lo[a]) * inv_h[a]
            if not (s >= 0.0 and s < shape[a]):  # also catches NaN
                flat = -1
                break
            j = int(s)
            if j >= shape[a]:
                j = shape[a] - 1
            flat = flat * shape[a] + j
        out[i] = flat
    return out


@njit(**JIT)
def sort_by_cell(index, ncell):
    """(order, start): markers of cell c are ``order[start[c]:start[c + 1]]``, in increasing
    marker order (a stable counting sort). Markers outside (index -1) are left out."""
    start = np.zeros(ncell + 1, np.int64)
    for i in range(index.shape[0]):
        c = index[i]
        if c >= 0:
            start[c + 1] += 1
    for c in range(ncell):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    order = np.empty(start[ncell], np.int64)
    for i in range(index.shape[0]):
        c = index[i]
        if c >= 0:
            order[fill[c]] = i
            fill[c] += 1
    return order, start
