"""Occupation of momentum bins within a collision cell: the f of the Uehling-Uhlenbeck final-state
factors (1 - f) for fermions and (1 + f) for bosons, estimated from the cell's binned markers.

Momentum space is cut into cubes of side ``dp`` (bin (bx, by, bz) = floor(p / dp)), the same
lattice in every cell. The markers of one cell are counted per bin in a small open-addressing
hash table (linear probing; keys are the three bin indices), so that only occupied bins cost
memory however wide the momentum distribution is, and a bin can be looked up, incremented and
decremented in O(1) while collisions move markers between bins. A count of zero leaves its slot
in place (a tombstone), so the number of used slots only grows; callers rebuild the table from
the cell's markers when it is half full (:func:`table_fill`).

With equal marker weights w, a bin of side dp in a cell of volume V holds
g V dp^d / (2 pi hbar)^d quantum states (g the degeneracy), so a bin holding ``count`` markers has
occupation f = count w (2 pi hbar)^d / (g V dp^d) = count / K, K being the number of markers
that fill the bin; choosing dp so that K is an integer makes f <= 1 an exact integer test
(see :mod:`pmc.collisions.occupation`).

The tables follow the layout SPARTA uses for its per-cell particle lists and PySDM for its
cell-wise attribute arrays: flat arrays, per-cell ranges, no objects.
"""
import math

import numpy as np
from numba import njit, prange

from . import JIT, JIT_PARALLEL
from .rng import mix64

#: Bin indices are clamped to +-2^40 (momenta 10^12 bins away from zero share an edge bin).
_BIN_LIMIT = 2.0 ** 40
#: An empty slot has this count.
EMPTY = -1


@njit(**JIT)
def momentum_bin(p, inv_dp):
    """Index floor(p / dp) of the bin holding momentum component ``p`` (clamped, NaN -> 0)."""
    s = p * inv_dp
    if not (s > -_BIN_LIMIT):
        s = -_BIN_LIMIT
    elif not (s < _BIN_LIMIT):
        s = _BIN_LIMIT
    return np.int64(math.floor(s))


@njit(**JIT)
def table_capacity(n_markers):
    """Slots of a table for a cell of ``n_markers`` markers: the power of two >= 4 (n + 4), so a
    fresh table is at most a quarter full."""
    cap = 16
    while cap < 4 * (n_markers + 4):
        cap *= 2
    return cap


@njit(**JIT)
def _hash(bx, by, bz, mask):
    h = mix64(np.uint64(bx) * np.uint64(0x9E3779B97F4A7C15)
              ^ np.uint64(by) * np.uint64(0xC2B2AE3D27D4EB4F)
              ^ np.uint64(bz) * np.uint64(0x165667B19E3779F9))
    return np.int64(h & np.uint64(mask))


@njit(**JIT)
def table_clear(keys, counts):
    """Empty the table (``keys`` (cap, 3) int64, ``counts`` (cap,) int64)."""
    for s in range(counts.shape[0]):
        counts[s] = EMPTY


@njit(**JIT)
def table_find(keys, counts, bx, by, bz):
    """Slot of bin (bx, by, bz), or -1 if the bin is not in the table."""
    mask = counts.shape[0] - 1
    s = _hash(bx, by, bz, mask)
    while counts[s] != EMPTY:
        if keys[s, 0] == bx and keys[s, 1] == by and keys[s, 2] == bz:
            return s
        s = (s + 1) & mask
    return -1


@njit(**JIT)
def table_count(keys, counts, bx, by, bz):
    """Number of markers in bin (bx, by, bz) (0 if absent)."""
    s = table_find(keys, counts, bx, by, bz)
    return 0 if s < 0 else counts[s]


@njit(**JIT)
def table_slot(keys, counts, bx, by, bz):
    """Slot of bin (bx, by, bz), inserting it with count 0 if absent. Returns (slot, inserted).
    The caller keeps the table at most half full, so a free slot always exists."""
    mask = counts.shape[0] - 1
    s = _hash(bx, by, bz, mask)
    while counts[s] != EMPTY:
        if keys[s, 0] == bx and keys[s, 1] == by and keys[s, 2] == bz:
            return s, False
        s = (s + 1) & mask
    keys[s, 0] = bx
    keys[s, 1] = by
    keys[s, 2] = bz
    counts[s] = 0
    return s, True


@njit(**JIT)
def momentum_bins(d, inv_dp, p0, p1, p2):
    """Bin indices of a momentum with ``d`` components (missing components are bin 0)."""
    return (momentum_bin(p0, inv_dp), momentum_bin(p1, inv_dp) if d > 1 else np.int64(0),
            momentum_bin(p2, inv_dp) if d > 2 else np.int64(0))


@njit(**JIT)
def table_fill(momenta, members, inv_dp, keys, counts, slot_of):
    """Count the markers ``members`` (indices into ``momenta`` (d, n), d = 1..3) per bin into an
    emptied table; ``slot_of[k]`` receives the slot of member k. Returns (slots used, largest
    count)."""
    table_clear(keys, counts)
    d = momenta.shape[0]
    used = 0
    largest = 0
    for k in range(members.shape[0]):
        i = members[k]
        bx, by, bz = momentum_bins(d, inv_dp, momenta[0, i], momenta[1, i] if d > 1 else 0.0,
                                   momenta[2, i] if d > 2 else 0.0)
        s, new = table_slot(keys, counts, bx, by, bz)
        counts[s] += 1
        used += new
        largest = max(largest, counts[s])
        slot_of[k] = s
    return used, largest


@njit(**JIT_PARALLEL)
def bin_counts(momenta, order, start, inv_dp, out):
    """``out[i]`` = number of markers of marker i's cell in marker i's momentum bin, for 1 to 3
    momentum components (markers of no cell are left untouched); the occupation of its bin is
    ``out[i] / K``. Parallel over cells."""
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        members = order[start[c]:start[c + 1]]
        m = members.shape[0]
        if m == 0:
            continue
        cap = table_capacity(m)
        keys = np.empty((cap, 3), np.int64)
        counts = np.empty(cap, np.int64)
        slot_of = np.empty(m, np.int64)
        table_fill(momenta, members, inv_dp, keys, counts, slot_of)
        for k in range(m):
            out[members[k]] = counts[slot_of[k]]
    return out
