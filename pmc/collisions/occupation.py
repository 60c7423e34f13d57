"""Occupation f of momentum states estimated from a cell's binned markers: the f of the
Uehling-Uhlenbeck final-state factors (1 - f) (Pauli blocking) and (1 + f) (Bose enhancement).

A cell of volume V [m^dx] holds, in a momentum cube of side dp [kg m/s], g V dp^d / (2 pi hbar)^d
quantum states (d = 3 momentum dimensions, g the degeneracy); markers of weight w (particles per
marker; per unit transverse area, m^(d - dx), when dx < d) put ``count`` markers, i.e.
count * w particles, into the cube, so its occupation is

    f = count * w * (2 pi hbar)^d / (g V dp^d) = count / K,

K being the number of markers that fill the cube. :func:`bin_width` chooses dp from an integer
K, which makes f <= 1 an exact integer test. The counting itself is done by the kernels of
:mod:`pmc._kernels.occupation` (a hash table of the occupied bins per cell).
"""
import math

import numpy as np

from .. import _checks
from .._kernels import dsmc as _dsmc
from .._kernels import occupation as _occ

__all__ = ["bin_width", "occupation"]


def bin_width(weight, volume, *, hbar, degeneracy, capacity, dims=3):
    """Side dp [kg m/s] of the momentum cube that ``capacity`` markers fill (f = 1).

    dp = (K w (2 pi hbar)^d / (g V))^(1/d).

    Parameters
    ----------
    weight : float
        w, particles per marker (per unit transverse area when dx < d), > 0.
    volume : float
        V, volume of the collision cell [m^dx], > 0.
    hbar : float
        Reduced Planck constant [J s], > 0.
    degeneracy : float
        g, internal states per momentum state (2s + 1), >= 1.
    capacity : int
        K, markers per full bin, >= 1.
    dims : int
        d, momentum dimensions, 1..3.

    Examples
    --------
    >>> import math
    >>> dp = bin_width(1.0, 1.0, hbar=1.0, degeneracy=1.0, capacity=1)
    >>> bool(abs(dp - 2 * math.pi) < 1e-12)
    True
    """
    w = _checks.positive("weight", weight)
    v = _checks.positive("volume", volume)
    h = _checks.positive("hbar", hbar)
    g = _checks.finite("degeneracy", degeneracy)
    if not g >= 1.0:
        raise ValueError(f"degeneracy must be >= 1, got {degeneracy!r}")
    k = _checks.count("capacity", capacity, minimum=1)
    d = _checks.count("dims", dims, minimum=1)
    if d > 3:
        raise ValueError(f"dims must be in 1..3, got {dims!r}")
    return (k * w * (2.0 * math.pi * h) ** d / (g * v)) ** (1.0 / d)


def occupation(markers, cells, *, hbar, degeneracy, capacity):
    """Occupation f of the momentum bin of each marker, counted within its cell.

    Parameters
    ----------
    markers : pmc.Markers
        With three momentum components and equal weights.
    cells : pmc.Cells
        Collision cells.
    hbar, degeneracy, capacity
        As for :func:`bin_width`; the bins are those of a :class:`pmc.collisions.Binary` with
        the same parameters.

    Returns
    -------
    numpy.ndarray
        (n,) occupations count / K (dimensionless); NaN for markers outside the cells.
    """
    if markers.dp != 3:
        raise ValueError(f"occupations need three momentum components (dp = 3), got "
                         f"dp={markers.dp}")
    w = equal_weight(markers)
    dp = bin_width(w, cells.volume, hbar=hbar, degeneracy=degeneracy, capacity=capacity)
    order, start = cells.sort(markers)
    counts = np.full(markers.n, -1, np.int64)
    _occ.bin_counts(markers.kernel_arrays().p, order, start, 1.0 / dp, counts)
    f = counts / float(capacity)
    f[counts < 0] = np.nan
    return f


#: Weights count as equal when they differ by at most this fraction of the largest.
WEIGHT_RTOL = 1e-12


def equal_weight(markers, weight_range=None):
    """The common weight of ``markers``; ValueError if the weights are not all equal (to a
    relative 1e-12). ``weight_range``: their (min, max), if another pass over the markers has
    read it already."""
    if markers.n == 0:
        return 1.0
    lo, hi = weight_range if weight_range is not None else _dsmc.weight_range(markers.w,
                                                                                markers.n)
    if hi - lo > WEIGHT_RTOL * hi:
        raise ValueError(f"binary collisions and occupations need markers of equal weight w "
                         f"(relative spread <= {WEIGHT_RTOL:g}), got w from {lo:.17g} to "
                         f"{hi:.17g}; give every marker of the species the same weight")
    return hi
