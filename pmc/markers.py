"""Weighted phase-space markers, stored as a struct of arrays.

The public arrays are (n, d), as everywhere in pmc's API: :attr:`Markers.positions` (n, dx),
:attr:`Markers.momenta` (n, dp), and :attr:`Markers.x`, :attr:`Markers.p` ((n,) in one
dimension). The storage behind them is one contiguous array per component, shape (dx, capacity)
for the positions, (dp, capacity) for the momenta, (capacity,) for the weights; the first ``n``
columns are the live markers. Kernels, :meth:`Markers.from_components` and
:meth:`Markers.append` work on that storage layout. A 1D1V
marker costs 24 bytes. Markers absorbed at a wall are removed by moving markers from the end
into the holes (deterministic; the order of the rest is kept otherwise).

Only this module touches the storage: kernels get it through :meth:`Markers.kernel_arrays`, and
the physics asks the markers to :meth:`~Markers.append`, :meth:`~Markers.remove` or
:meth:`~Markers.reorder` themselves.
"""
from typing import NamedTuple

import numpy as np

from . import _checks
from ._kernels import cells as _cells

__all__ = ["Markers", "KernelArrays"]


class KernelArrays(NamedTuple):
    """The storage of :class:`Markers` for kernels that work on its first ``n`` columns in place:
    C-contiguous float64 ``x`` (dx, capacity) [m], ``p`` (dp, capacity) [kg m/s], ``w``
    (capacity,), and int64 ``state`` (capacity,) or None."""

    x: np.ndarray
    p: np.ndarray
    w: np.ndarray
    state: np.ndarray


class Markers:
    """Weighted markers in phase space.

    Parameters
    ----------
    x : array_like
        Positions [m], shape (n,) for one dimension or (n, dx) with dx in 1..3.
    p : array_like
        Momenta [kg m/s], shape (n,) or (n, dp) with dx <= dp <= 3 (1D3V: dx = 1, dp = 3).
    w : array_like or float, optional
        Weights: the number of physical particles (or the probability) each marker carries,
        > 0 and finite. Default 1/n each, so that the total weight is 1.
    state : array_like of int, optional
        Index of each marker's discrete internal state (subband, level, valley), >= 0, for
        rate-matrix collisions. Markers without it have no discrete state.
    internal : array_like of float, optional
        Internal (rotational) energy of the physical particles each marker stands for [J],
        >= 0 and finite, one per marker (Larsen-Borgnakke exchange of
        :class:`pmc.collisions.BinaryMixture`). Markers without it carry none.
    signed : bool
        Weights may be negative (finite and nonzero): the signed particles of Wigner transport
        (:class:`pmc.collisions.WignerPotential`), whose observables sum the signed weights.
        Default False: every weight > 0.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> m = pmc.Markers(x=np.zeros(4), p=np.ones((4, 3)))
    >>> m.n, m.dx, m.dp, float(m.total_weight)
    (4, 1, 3, 1.0)
    """

    def __init__(self, x, p, w=None, state=None, internal=None, signed=False):
        xc = _as_components("x", x)
        pc = _as_components("p", p)
        n = xc.shape[1]
        _checks.count("number of markers n", n, minimum=0)
        if pc.shape[1] != n:
            raise ValueError(f"x and p must hold the same number of markers, got {n} and "
                             f"{pc.shape[1]}")
        if not xc.shape[0] <= pc.shape[0]:
            raise ValueError(f"momentum dimension dp={pc.shape[0]} must be >= position "
                             f"dimension dx={xc.shape[0]} (and both in 1..3)")
        if w is None:
            w = np.full(n, 1.0 / max(n, 1))
        w = np.broadcast_to(np.asarray(w, np.float64), (n,)).copy()
        signed = _as_signed(signed)
        _check_arrays(xc, pc, w, signed)
        self._set(xc, pc, w, _as_state(state, n), _as_internal(internal, n), signed)

    @classmethod
    def from_components(cls, positions, momenta, weights, state=None, internal=None,
                        signed=False):
        """Markers over arrays in the storage layout, without copying: (dx, n) and (dp, n)
        C-contiguous float64 (what :meth:`kernel_arrays` holds; the constructor takes the
        (n, d) layout of the public API)."""
        self = cls.__new__(cls)
        signed = _as_signed(signed)
        _check_arrays(positions, momenta, weights, signed)
        self._set(positions, momenta, weights, _as_state(state, weights.shape[0], copy=False),
                  _as_internal(internal, weights.shape[0], copy=False), signed)
        return self

    def _set(self, xc, pc, w, state=None, internal=None, signed=False):
        self._x, self._p, self._w, self._state = xc, pc, w, state
        self._internal = internal
        self._signed = signed
        self._n = w.shape[0]
        # arrays shaped like the storage and not in use, for reorder(): the ones it leaves
        # serve the next one
        self._spares = {}

    # ------------------------------------------------------------------ shape
    @property
    def n(self):
        """Number of live markers."""
        return self._n

    @property
    def dx(self):
        """Position dimension (1..3)."""
        return self._x.shape[0]

    @property
    def dp(self):
        """Momentum dimension (dx..3)."""
        return self._p.shape[0]

    @property
    def capacity(self):
        return self._w.shape[0]

    def __len__(self):
        return self._n

    def __repr__(self):
        return (f"Markers(n={self.n}, dx={self.dx}, dp={self.dp}, "
                f"total_weight={self.total_weight:.6g})")

    # ------------------------------------------------------------------ views
    @property
    def positions(self):
        """(n, dx) view of the positions [m] (always two-dimensional; :attr:`x` is (n,) in one
        dimension). The storage is (dx, capacity), one contiguous row per component: kernels
        take it from :meth:`kernel_arrays`."""
        return self._x[:, :self._n].T

    @property
    def momenta(self):
        """(n, dp) view of the momenta [kg m/s] (always two-dimensional; :attr:`p` is (n,)
        for dp = 1)."""
        return self._p[:, :self._n].T

    @property
    def x(self):
        """Positions [m]: (n,) if dx = 1 else (n, dx) (a view)."""
        return self._x[0, :self._n] if self.dx == 1 else self._x[:, :self._n].T

    @property
    def p(self):
        """Momenta [kg m/s]: (n,) if dp = 1 else (n, dp) (a view)."""
        return self._p[0, :self._n] if self.dp == 1 else self._p[:, :self._n].T

    @property
    def w(self):
        """Weights (dimensionless: particles per marker), (n,) view."""
        return self._w[:self._n]

    @property
    def state(self):
        """Discrete state index (int64, (n,) view), or None if the markers carry none."""
        return None if self._state is None else self._state[:self._n]

    @property
    def internal(self):
        """Internal (rotational) energy per physical particle [J] (float64, (n,) view), or None
        if the markers carry none."""
        return None if self._internal is None else self._internal[:self._n]

    @property
    def signed(self):
        """True if the weights may be negative (signed particles)."""
        return self._signed

    @property
    def total_weight(self):
        """Sum of the (signed) weights."""
        return float(np.sum(self.w))

    def copy(self):
        """An independent copy of the live markers."""
        state = None if self._state is None else self.state.copy()
        internal = None if self._internal is None else self.internal.copy()
        return Markers.from_components(self._x[:, :self._n].copy(), self._p[:, :self._n].copy(),
                                       self.w.copy(), state, internal, self._signed)

    def with_state(self, state):
        """A copy carrying the discrete states ``state`` (ints >= 0, one per marker)."""
        internal = None if self._internal is None else self.internal.copy()
        return Markers.from_components(self._x[:, :self._n].copy(), self._p[:, :self._n].copy(),
                                       self.w.copy(), _as_state(state, self.n), internal,
                                       self._signed)

    def with_internal(self, internal):
        """A copy carrying the internal energies ``internal`` [J] (floats >= 0, one per
        marker)."""
        state = None if self._state is None else self.state.copy()
        return Markers.from_components(self._x[:, :self._n].copy(), self._p[:, :self._n].copy(),
                                       self.w.copy(), state, _as_internal(internal, self.n),
                                       self._signed)

    # ------------------------------------------------------------------ kernel access
    def kernel_arrays(self):
        """The storage arrays (:class:`KernelArrays`), live markers in the first :attr:`n`
        columns, for kernels that read or update the markers in place. Valid until the next
        :meth:`append`, :meth:`remove` or :meth:`reorder`."""
        return KernelArrays(self._x, self._p, self._w, self._state)

    def kernel_internal(self):
        """The storage of :attr:`internal` ((capacity,) float64 [J], live markers first), or
        None; valid like :meth:`kernel_arrays`."""
        return self._internal

    def spare_momenta(self):
        """A (dp, capacity) float64 array the markers do not use, for a kernel that writes the
        momenta in a new order before :meth:`reorder` (``momenta=``). The same memory serves
        every reorder: nothing is allocated once the capacity is steady."""
        return self._spare("p")

    def _spare(self, name):
        a = getattr(self, "_" + name)
        if a is None:
            return None
        buf = self._spares.get(name)
        if buf is None or buf.shape != a.shape or buf.dtype != a.dtype:
            buf = np.empty_like(a)
            self._spares[name] = buf
        return buf

    def reorder(self, position, *, momenta=None, equal_weights=False, check=True):
        """Permute the markers in place: marker i moves to index ``position[i]``.

        Each array is scattered into a spare array of the same shape, which then becomes the
        storage (the old one is kept as the next spare), so a reorder costs one pass per array
        and, in steady state, no allocation. Views of :attr:`positions` etc. taken before are
        stale after it.

        Parameters
        ----------
        position : ndarray of int32 or int64, shape (n,)
            A permutation of 0..n-1.
        momenta : ndarray (dp, capacity), optional
            The momenta already in the new order, written into :meth:`spare_momenta` by the
            caller's kernel; default: the momenta are scattered like the other arrays.
        equal_weights : bool
            The weights are all the same number (the caller has checked), so their permutation
            changes nothing and they stay where they are.
        check : bool
            Check that ``position`` is a permutation of 0..n-1 (one pass and a mark per
            marker). ``False`` is for a ``position`` a kernel built as one (the cell sorts of
            the binary collisions): a bad one then writes outside the arrays.
        """
        n = self._n
        position = np.asarray(position)
        bad = -1
        if position.ndim == 1 and position.shape[0] >= n and check:
            bad = int(_cells.first_bad_index(position[:n], n))
        if position.ndim != 1 or position.shape[0] < n or bad >= 0:
            where = f": position[{bad}] = {position[bad]}" if bad >= 0 else ""
            raise ValueError(f"position must be a permutation of 0..{n - 1} (a 1-D array of "
                             f"n={n} distinct indices){where}")
        position = position[:n]
        x = self._spare("x")
        _cells.scatter_columns(self._x, n, position, x)
        if momenta is None:
            momenta = self._spare("p")
            _cells.scatter_columns(self._p, n, position, momenta)
        elif momenta is not self._spares.get("p"):
            raise ValueError("momenta must be the array of spare_momenta()")
        w = self._w
        if not equal_weights:
            w = self._spare("w")
            _cells.scatter_columns(self._w[np.newaxis, :], n, position, w[np.newaxis, :])
        state = self._spare("state")
        if state is not None:
            _cells.scatter_columns(self._state[np.newaxis, :], n, position, state[np.newaxis, :])
        internal = self._spare("internal")
        if internal is not None:
            _cells.scatter_columns(self._internal[np.newaxis, :], n, position,
                                   internal[np.newaxis, :])
        old = {"x": self._x, "p": self._p, "state": self._state, "internal": self._internal}
        if w is not self._w:
            old["w"] = self._w
        self._x, self._p, self._w, self._state = x, momenta, w, state
        self._internal = internal
        self._spares.update(old)

    def take(self, order, *, check=True):
        """Keep only the markers ``order``, in that order: marker ``order[k]`` becomes marker k.
        Each array is gathered into a spare array that then becomes the storage, as in
        :meth:`reorder` (no allocation once the capacity is steady).

        Parameters
        ----------
        order : array of int, shape (m,), m <= :attr:`n`
            Distinct indices in 0..n-1.
        check : bool
            Check that the indices are distinct and in range (one pass over ``order`` and a
            mark per marker). ``False`` is for an ``order`` a kernel built that way (the Wigner
            annihilation's kept markers): bad indices then read outside the arrays.
        """
        order = np.asarray(order, np.int64)
        bad = int(_cells.first_bad_index(order, self._n)) if check and order.ndim == 1 else -1
        if order.ndim != 1 or order.shape[0] > self._n or bad >= 0:
            where = f": order[{bad}] = {order[bad]}" if bad >= 0 else ""
            raise ValueError(f"order must be a 1-D array of at most n={self._n} distinct "
                             f"indices in 0..{self._n - 1}{where}")
        old = {}
        for name in ("x", "p", "w", "state", "internal"):
            a = getattr(self, "_" + name)
            if a is None:
                continue
            out = self._spare(name)
            _cells.gather_columns(a.reshape(-1, a.shape[-1]), order,
                                  out.reshape(-1, out.shape[-1]))
            old[name] = a
            setattr(self, "_" + name, out)
        self._spares.update(old)
        self._n = order.shape[0]

    # ------------------------------------------------------------------ growth and removal
    def append(self, positions, momenta, weights, state=None, internal=None):
        """Append markers given as (dx, k), (dp, k), (k,) arrays (capacity grows by doubling);
        ``state`` (k,) is required if the markers carry discrete states (and ignored if not);
        ``internal`` (k,) [J] likewise for internal energies."""
        k = weights.shape[0]
        if k == 0:
            return
        if self._state is not None and state is None:
            raise ValueError("these markers carry discrete states: append needs state")
        if self._internal is not None and internal is None:
            raise ValueError("these markers carry internal energies: append needs internal")
        need = self._n + k
        if need > self.capacity:
            cap = max(need, 2 * self.capacity, 16)
            for name in ("_x", "_p"):
                old = getattr(self, name)
                new = np.empty((old.shape[0], cap))
                new[:, :self._n] = old[:, :self._n]
                setattr(self, name, new)
            neww = np.empty(cap)
            neww[:self._n] = self._w[:self._n]
            self._w = neww
            if self._state is not None:
                news = np.empty(cap, np.int64)
                news[:self._n] = self._state[:self._n]
                self._state = news
            if self._internal is not None:
                newi = np.empty(cap)
                newi[:self._n] = self._internal[:self._n]
                self._internal = newi
        self._x[:, self._n:need] = positions
        self._p[:, self._n:need] = momenta
        self._w[self._n:need] = weights
        if self._state is not None:
            self._state[self._n:need] = state
        if self._internal is not None:
            self._internal[self._n:need] = internal
        self._n = need

    def remove(self, indices):
        """Remove the markers at ascending ``indices`` by moving the last live markers into the
        holes. Deterministic; the caller's per-marker arrays follow with the same moves."""
        indices = np.asarray(indices, np.int64)
        m = indices.size
        if m == 0:
            return
        new_n = self._n - m
        holes = indices[indices < new_n]
        tail = np.ones(m, bool)  # which of the last m slots are live
        tail[indices[indices >= new_n] - new_n] = False
        fillers = new_n + np.flatnonzero(tail)
        self._x[:, holes] = self._x[:, fillers]
        self._p[:, holes] = self._p[:, fillers]
        self._w[holes] = self._w[fillers]
        if self._state is not None:
            self._state[holes] = self._state[fillers]
        if self._internal is not None:
            self._internal[holes] = self._internal[fillers]
        self._n = new_n


def _as_state(state, n, copy=True):
    if state is None:
        return None
    s = np.asarray(state)
    if s.shape != (n,) or s.dtype.kind not in "iu":
        raise ValueError(f"state must be an integer array of shape ({n},), got "
                         f"{s.dtype} {s.shape}")
    if n and s.min() < 0:
        raise ValueError("state must be >= 0 for every marker")
    s = s.astype(np.int64, copy=copy)
    return np.ascontiguousarray(s)


def _as_internal(internal, n, copy=True):
    if internal is None:
        return None
    e = np.asarray(internal)
    if e.shape != (n,) or e.dtype.kind not in "fiu":
        raise ValueError(f"internal must be a float array of shape ({n},) [J], got "
                         f"{e.dtype} {e.shape}")
    e = np.ascontiguousarray(e.astype(np.float64, copy=copy))
    if n and not (np.all(np.isfinite(e)) and e.min() >= 0.0):
        raise ValueError("internal must be finite and >= 0 [J] for every marker")
    return e


def _as_components(name, a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        return a[np.newaxis, :].copy()
    if a.ndim == 2 and 1 <= a.shape[1] <= 3:
        return np.ascontiguousarray(a.T)
    raise ValueError(f"{name} must have shape (n,) or (n, d) with d in 1..3, got {a.shape}")


def _as_signed(signed):
    if not isinstance(signed, (bool, np.bool_)):
        raise ValueError(f"signed must be True or False, got {signed!r}")
    return bool(signed)


def _check_arrays(xc, pc, w, signed=False):
    if not (1 <= xc.shape[0] <= 3 and xc.shape[0] <= pc.shape[0] <= 3):
        raise ValueError(f"dimensions must satisfy 1 <= dx <= dp <= 3, got dx={xc.shape[0]}, "
                         f"dp={pc.shape[0]}")
    if not (xc.shape[1] == pc.shape[1] == w.shape[0]):
        raise ValueError(f"x, p and w must hold the same number of markers, got {xc.shape[1]}, "
                         f"{pc.shape[1]} and {w.shape[0]}")
    for name, a in (("x", xc), ("p", pc), ("w", w)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite for every marker")
    if signed:
        if w.size and not np.all(w != 0):
            raise ValueError("w must be nonzero for every marker (signed=True)")
    elif w.size and not np.all(w > 0):
        raise ValueError("w must be > 0 for every marker (or give signed=True for the signed "
                         "particles of Wigner transport)")
