"""Collision cells: a uniform partition of (part of) position space into boxes, inside which
collision mechanisms act (docs/design.md §2: ``pmc.Cells(lo, hi, n)`` in 1-3 dimensions)."""
import numpy as np

from . import _checks
from ._kernels import cells as _cells

__all__ = ["Cells"]


class Cells:
    """A uniform grid of collision cells.

    Parameters
    ----------
    lo, hi : float or sequence of float
        Lower and upper corners [m], one value per binned position axis (1 to 3), hi > lo.
    n : int or sequence of int
        Number of cells per axis, >= 1.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> cells = pmc.Cells(0.0, 1.0, 4)
    >>> cells.index(pmc.Markers(x=[0.1, 0.6, 1.5], p=[0.0, 0.0, 0.0])).tolist()
    [0, 2, -1]
    """

    def __init__(self, lo, hi, n):
        lo = np.atleast_1d(_checks.finite_array("lo", lo))
        hi = np.atleast_1d(_checks.finite_array("hi", hi))
        n = np.atleast_1d(np.asarray(n))
        if lo.ndim != 1 or not 1 <= lo.size <= 3 or hi.shape != lo.shape:
            raise ValueError(f"lo and hi must have 1 to 3 matching components, got {lo} and {hi}")
        if n.size == 1:
            n = np.repeat(n, lo.size)
        if n.shape != lo.shape:
            raise ValueError(f"n must give one count per axis ({lo.size}), got {n.tolist()}")
        counts = [_checks.count("n", v, minimum=1) for v in n]
        if not np.all(hi > lo):
            raise ValueError(f"hi must be > lo on every axis, got lo={lo}, hi={hi}")
        self.lo, self.hi = lo, hi
        self.shape = np.array(counts, np.int64)
        self.spacing = (hi - lo) / self.shape
        self._inv_h = 1.0 / self.spacing
        self._count = int(np.prod(self.shape))  # read per step by the collision operators
        self._volume = float(np.prod(self.spacing))

    @classmethod
    def from_grid(cls, grid):
        """The spatial bins of a :class:`pmc.PhaseSpaceGrid` as collision cells."""
        axes = list(grid.spatial_dims)
        edges = [grid.edges(a) for a in axes]
        return cls([e[0] for e in edges], [e[-1] for e in edges], [e.size - 1 for e in edges])

    @property
    def ndim(self):
        return self.lo.size

    @property
    def count(self):
        """Total number of cells."""
        return self._count

    @property
    def volume(self):
        """Volume of one cell [m^ndim]."""
        return self._volume

    def __repr__(self):
        return f"Cells(lo={self.lo.tolist()}, hi={self.hi.tolist()}, n={self.shape.tolist()})"

    def index(self, markers, out=None):
        """Flat cell index of each marker (C order over the axes), -1 outside the cells; into
        ``out`` (int64, at least ``markers.n`` long: its first n entries) if given."""
        out = np.empty(markers.n, np.int64) if out is None else out[:markers.n]
        x, lo, inv_h, shape = self.kernel_arguments(markers)
        return _cells.cell_index(x, markers.n, lo, inv_h, shape, out)

    def kernel_arguments(self, markers):
        """(positions, lo, inv_h, shape): the arguments that locate ``markers`` in these cells
        in the kernels (:func:`pmc._kernels.cells.flat_cell`); the markers need dx >= ndim."""
        if markers.dx < self.ndim:
            raise ValueError(f"cells in {self.ndim} dimensions need markers with dx >= "
                             f"{self.ndim}, got dx={markers.dx}")
        return markers.kernel_arrays().x, self.lo, self._inv_h, self.shape

    def sort(self, markers):
        """(order, start): the markers of cell c are ``order[start[c]:start[c+1]]``."""
        return _cells.sort_by_cell(self.index(markers), self.count)
