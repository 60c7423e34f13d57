"""The Fermi-rule rate matrix of a master equation and its exact jump process (paper eqs. 46-48;
docs/design.md §1, "Collisions", form 1).

Inside a cell the occupations of the states obey df_l/dt = sum_k f_k Q_kl with

    Q_kl = (2 pi / hbar) |V_kl|^2 delta_G(E_k - E_l)   (k != l),   Q_kk = -sum_{l != k} Q_kl,

the energy delta broadened by the finite spectral width G of the states. :class:`RateMatrix`
holds Q (sparse), checks it, gives its equilibrium and its exact propagator, and, as a collision
mechanism, moves each marker between states with the exact law of the Markov chain over any time
step (:mod:`pmc._kernels.jumps`). :class:`GoldenRule` is the same mechanism described by energies
and couplings only, so that a case file can name it.
"""
import dataclasses
import math
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _checks
from .._kernels import jumps as _jumps
from .._kernels.rng import RATE_MATRIX, stream_key
from .._model import Model
from ..bands import Dispersion, Parabolic
from ..potentials import Potential
from .base import Collision, JumpOperator, name_label

__all__ = ["RateMatrix", "GoldenRule", "RateMatrixOperator", "SHAPES", "METHODS"]

#: Line shapes of the broadened energy delta.
SHAPES = ("lorentzian", "gaussian")
#: Jump samplers: exponential holding times, or uniformization (same law, more draws).
METHODS = {"holding": _jumps.HOLDING, "uniformization": _jumps.UNIFORMIZATION}
#: Row sums must vanish to this fraction of the row's largest entry.
ROW_SUM_RTOL = 1e-12
#: The cell arguments of the jump kernels for a run without cells (every marker jumps).
_NO_AXES, _NO_CELLS = np.empty(0), np.empty(0, np.int64)


class RateMatrix(Collision):
    r"""A master equation df_l/dt = sum_k f_k Q_kl over M states, and its exact jump process.

    Q_kl [1/s] is the rate of the jump k -> l (k != l) and Q_kk = -sum_{l != k} Q_kl, so each row
    sums to zero and total population is conserved. For golden-rule rates (paper eq. 47)

    .. math:: Q_{kl} = \frac{2\pi}{\hbar} |V_{kl}|^2 \delta_G(E_k - E_l),

    see :meth:`from_golden_rule` and :meth:`from_momentum_lattice` (E. Fermi, *Nuclear Physics*,
    U. Chicago Press 1950, eq. VIII.2; P. A. M. Dirac, Proc. R. Soc. A 114, 243 (1927)).

    A description (its arrays are not changed after construction); as a collision mechanism,
    :meth:`prepare` gives the :class:`RateMatrixOperator` that samples each marker's path of the Markov chain over
    a step *exactly* (any dt; not to first order): exponential holding times of rate
    -Q_kk followed by a jump to l with probability Q_kl / (-Q_kk) (Gillespie 1976), or, with
    ``method="uniformization"``, a Poisson clock of rate Lambda = max_k |Q_kk| whose ticks are
    jumps of P = I + Q / Lambda (Jensen 1953). Random numbers are keyed by (seed, step, mechanism
    name, marker index), so results are independent of the thread count.

    Parameters
    ----------
    matrix : array_like or scipy.sparse matrix, shape (M, M)
        Q [1/s]: off-diagonal entries >= 0 and finite, rows summing to zero to within
        ``ROW_SUM_RTOL`` (1e-12) of the row's largest entry. Stored as ``.matrix`` (CSR).
    energies : array_like, shape (M,), optional
        State energies E_k [J] (needed by :meth:`check_detailed_balance`).
    momentum_grid : array_like, shape (M,), optional
        Uniform, increasing momentum bin centres [kg m/s], M >= 2. If given, a marker's state is
        the bin nearest to its first momentum component p_x, and a jump k -> l shifts p_x by
        momentum_grid[l] - momentum_grid[k]; markers outside the grid do not jump and are
        counted in the operator's ``outside``. If omitted, the state is ``markers.state``.
    hbar : float
        Reduced Planck constant [J s], > 0.
    name : str
        Label of the mechanism in the output (distinct per mechanism of a run).
    method : {"holding", "uniformization"}
        Jump sampler (both exact).

    Examples
    --------
    >>> import numpy as np, pmc
    >>> Q = pmc.collisions.RateMatrix([[-2.0, 2.0], [1.0, -1.0]])
    >>> Q.size, Q.stationary().round(6).tolist()
    (2, [0.333333, 0.666667])
    >>> Q.propagate([1.0, 0.0], 50.0).round(6).tolist()
    [0.333333, 0.666667]
    """

    def __init__(self, matrix, *, energies=None, momentum_grid=None, hbar=1.0,
                 name="rate_matrix", method="holding"):
        Q = _as_rate_matrix(matrix)
        m = Q.shape[0]
        self.matrix = Q
        self.hbar = _checks.positive("hbar", hbar)
        self.energies = None
        if energies is not None:
            e = _checks.finite_array("energies", energies, ndim=1)
            if e.shape != (m,):
                raise ValueError(f"energies must have shape ({m},) like matrix, got {e.shape}")
            self.energies = e
        self.momentum_grid = None
        if momentum_grid is not None:
            g, h = _checks.uniform_axis("momentum_grid", momentum_grid, minimum=2)
            if g.shape != (m,):
                raise ValueError(f"momentum_grid must have shape ({m},) like matrix, got "
                                 f"{g.shape}")
            self.momentum_grid = g
            self._inv_h = 1.0 / h
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
        self.method = method
        # kernel arrays: the off-diagonal part in CSR and the running sums of its rows
        off = (Q - sp.diags(Q.diagonal())).tocsr()
        off.eliminate_zeros()
        off.sort_indices()
        self._indptr = off.indptr.astype(np.int64)
        self._indices = off.indices.astype(np.int64)
        self._cum = np.empty(off.data.size)
        self._out_rate = np.empty(m)
        _jumps.row_cumsum(self._indptr, off.data.astype(np.float64), self._cum, self._out_rate)
        self._lambda = float(self._out_rate.max()) if m else 0.0
        self._label = RATE_MATRIX + name_label(name)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_golden_rule(cls, E, V, *, width, shape="lorentzian", hbar=1.0, momentum_grid=None,
                         name="rate_matrix", method="holding"):
        r"""Fermi's golden rule with a broadened energy delta (paper eq. 47).

        Q_kl = (2 pi / hbar) |V_kl|^2 delta_G(E_k - E_l) for k != l, Q_kk = -sum_{l != k} Q_kl,
        with the unit-area line shape

        - ``"lorentzian"``: delta_G(x) = (G / pi) / (x^2 + G^2), G the half width at half maximum;
        - ``"gaussian"``: delta_G(x) = exp(-x^2 / 2 G^2) / (G sqrt(2 pi)), G the standard
          deviation.

        Parameters
        ----------
        E : array_like, shape (M,)
            State energies [J], finite.
        V : float, array_like (M, M) or scipy.sparse matrix (M, M)
            Coupling matrix elements V_kl [J] (complex allowed; only |V_kl|^2 enters and the
            diagonal is ignored). A scalar couples every pair of distinct states equally; a
            sparse V gives rates only where it has entries.
        width : float
            G [J], > 0: the spectral width of the states.
        shape : {"lorentzian", "gaussian"}
        hbar : float
            [J s], > 0.
        momentum_grid, name, method
            As for :class:`RateMatrix`.

        Examples
        --------
        >>> import numpy as np, pmc
        >>> Q = pmc.collisions.RateMatrix.from_golden_rule([0.0, 0.0], 0.5, width=1.0)
        >>> Q.matrix.toarray()  # 2 pi |V|^2 delta_G(0) = 2 pi 0.25 / pi
        array([[-0.5,  0.5],
               [ 0.5, -0.5]])
        """
        E = _checks.finite_array("E", E, ndim=1)
        m = E.size
        if m < 1:
            raise ValueError("E must hold at least one state energy")
        width = _checks.positive("width", width)
        hbar = _checks.positive("hbar", hbar)
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {list(SHAPES)}, got {shape!r}")
        rows, cols, v2 = _coupling_entries("V", V, m)
        keep = rows != cols
        rows, cols, v2 = rows[keep], cols[keep], v2[keep]
        rates = (2.0 * math.pi / hbar) * v2 * _line_shape(E[rows] - E[cols], width, shape)
        off = sp.csr_matrix((rates, (rows, cols)), shape=(m, m))
        off.sum_duplicates()
        Q = off - sp.diags(np.asarray(off.sum(axis=1)).ravel())
        return cls(Q, energies=E, momentum_grid=momentum_grid, hbar=hbar, name=name,
                   method=method)

    @classmethod
    def from_momentum_lattice(cls, p, coupling, *, width, hbar, dispersion=None, cell_size=None,
                              shape="lorentzian", name="rate_matrix", method="holding"):
        r"""Golden-rule rates between the plane waves of one cell (the paper's construction).

        The states of a cell of size L are the plane waves exp(i p_k x / hbar) / sqrt(L) with
        p_k on a lattice of spacing 2 pi hbar / L; E_k = eps(p_k) from ``dispersion``. A static
        potential U(x) couples them with

            V_kl = V~(p_k - p_l) / L,   V~(q) = int_{-L/2}^{L/2} U(x) exp(-i q x / hbar) dx,

        and :meth:`from_golden_rule` makes the rates. Momenta are along x (the first momentum
        component); the result carries ``momentum_grid = p``.

        Parameters
        ----------
        p : array_like, shape (M,)
            Lattice momenta [kg m/s], uniform and increasing, M >= 2.
        coupling : pmc.potentials.Potential, float or array_like (M,)
            Either a static potential model U(x), integrated over the cell [-L/2, L/2) centred
            on the origin (by FFT on at least 16 M points: exact for a potential band-limited
            to the lattice and periodic on the cell, spectrally accurate for one that vanishes
            smoothly at the cell's edges); or the table V~(n dp) [J m], n = 0..M-1, of the
            Fourier transform at the lattice's momentum transfers (|V~(-q)| = |V~(q)| for a real
            potential); or a scalar V~ [J m] (a contact potential g delta(x) has V~ = g).
        width : float
            Spectral width G [J], > 0 (see :meth:`from_golden_rule`).
        hbar : float
            [J s], > 0.
        dispersion : pmc.bands.Dispersion, optional
            eps(p); default ``pmc.bands.Parabolic(mass=1.0)``.
        cell_size : float, optional
            L [m], > 0. Default 2 pi hbar / (p[1] - p[0]); if given, the spacing of ``p`` must
            equal 2 pi hbar / L (relative 1e-9).
        shape, name, method
            As for :meth:`from_golden_rule`.
        """
        hbar = _checks.positive("hbar", hbar)
        p, dp = _checks.uniform_axis("p", p, minimum=2)
        m = p.size
        if cell_size is None:
            L = 2.0 * math.pi * hbar / dp
        else:
            L = _checks.positive("cell_size", cell_size)
            if abs(dp * L / (2.0 * math.pi * hbar) - 1.0) > 1e-9:
                raise ValueError(f"the spacing of p ({dp:.9g}) must be 2 pi hbar / cell_size = "
                                 f"{2 * math.pi * hbar / L:.9g}")
        if dispersion is None:
            dispersion = Parabolic(mass=1.0)
        if not isinstance(dispersion, Dispersion):
            raise ValueError(f"dispersion must be a pmc.bands model, got {dispersion!r}")
        E = dispersion.energy(p, hbar=hbar)
        vq = np.abs(_fourier_table(coupling, m, L, hbar))  # |V~(n dp)|, n = 0..M-1
        n = np.abs(np.arange(m)[:, None] - np.arange(m)[None, :])
        V = vq[n] / L
        return cls.from_golden_rule(E, V, width=width, shape=shape, hbar=hbar, momentum_grid=p,
                                    name=name, method=method)

    # ------------------------------------------------------------------ description
    @property
    def size(self):
        """Number of states M."""
        return self.matrix.shape[0]

    @property
    def out_rates(self):
        """Total rate out of each state, -Q_kk [1/s] (summed off-diagonal rates), (M,)."""
        return self._out_rate.copy()

    def __repr__(self):
        return (f"RateMatrix(size={self.size}, nnz={self.matrix.nnz}, "
                f"max_rate={self._lambda:.6g}, name={self.name!r})")

    def stationary(self):
        """Equilibrium populations pi (M,), pi Q = 0, sum pi = 1.

        Raises ValueError if the equilibrium is not unique (the chain has more than one closed
        class of states)."""
        m = self.size
        if m == 1:
            return np.ones(1)
        # pi Q = 0 with one equation replaced by the normalisation: non-singular exactly when
        # the stationary distribution is unique (any row may be replaced then)
        A = self.matrix.T.tolil()
        A[m - 1, :] = np.ones(m)
        b = np.zeros(m)
        b[m - 1] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("error", spla.MatrixRankWarning)
            try:
                pi = spla.spsolve(A.tocsc(), b)
            except (spla.MatrixRankWarning, RuntimeError):
                pi = np.full(m, np.nan)
        scale = np.max(np.abs(pi)) if np.all(np.isfinite(pi)) else np.nan
        if not np.isfinite(scale) or np.min(pi) < -1e-9 * scale:
            raise ValueError("the stationary distribution of matrix is not unique (its states "
                             "form more than one closed class)")
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    def propagate(self, populations, t):
        """populations @ expm(Q t): the master equation's solution after a time ``t``.

        Parameters
        ----------
        populations : array_like, shape (M,) or (..., M)
            Occupations at time 0 (any non-negative weights; their sum is conserved).
        t : float
            Time [s], >= 0.

        Returns
        -------
        numpy.ndarray
            Same shape as ``populations``. Computed with
            :func:`scipy.sparse.linalg.expm_multiply` (Al-Mohy & Higham 2011).
        """
        t = _checks.non_negative("t", t)
        P = np.asarray(populations, dtype=np.float64)
        if P.ndim == 0 or P.shape[-1] != self.size:
            raise ValueError(f"populations must have shape (..., {self.size}), got {P.shape}")
        if not np.all(np.isfinite(P)):
            raise ValueError("populations must be finite")
        if t == 0.0 or self.matrix.nnz == 0:
            return P.copy()
        flat = P.reshape(-1, self.size)
        out = spla.expm_multiply((self.matrix.T * t).tocsr(), flat.T)
        return np.asarray(out).T.reshape(P.shape)

    def check_detailed_balance(self, temperature, rtol=1e-8):
        """Check pi_k Q_kl = pi_l Q_lk for the Boltzmann weights pi_k ~ exp(-E_k / T).

        Parameters
        ----------
        temperature : float
            T [J] (energy units, k_B T), > 0.
        rtol : float or None
            Largest allowed relative violation, >= 0; None only reports it.

        Returns
        -------
        float
            max over pairs of |pi_k Q_kl - pi_l Q_lk| / max(pi_k Q_kl, pi_l Q_lk) (0 for exact
            detailed balance).

        Raises
        ------
        ValueError
            If the violation exceeds ``rtol``, or the rate matrix has no energies.

        Examples
        --------
        >>> import numpy as np, pmc
        >>> E, T = np.array([0.0, 1.0]), 0.5
        >>> Q = pmc.collisions.RateMatrix([[-np.exp(-2.0), np.exp(-2.0)], [1.0, -1.0]], energies=E)
        >>> Q.check_detailed_balance(T) < 1e-15
        True
        """
        T = _checks.positive("temperature", temperature)
        if rtol is not None:
            rtol = _checks.non_negative("rtol", rtol)
        if self.energies is None:
            raise ValueError("check_detailed_balance needs the state energies: build the "
                             "RateMatrix with energies=")
        off = (self.matrix - sp.diags(self.matrix.diagonal())).tocsr()
        off.eliminate_zeros()
        # compare both directions on the union of the two patterns, in a symmetric form that
        # neither overflows nor underflows: Q_kl exp(-dE/2T) against Q_lk exp(+dE/2T)
        both = (off + off.T).tocoo()
        k, l = both.row, both.col
        fwd = np.asarray(off[k, l]).ravel()
        bwd = np.asarray(off[l, k]).ravel()
        half = np.clip((self.energies[k] - self.energies[l]) / (2.0 * T), -300.0, 300.0)
        a = fwd * np.exp(-half)
        b = bwd * np.exp(half)
        big = np.maximum(a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(big > 0, np.abs(a - b) / big, 0.0)
        worst = float(rel.max()) if rel.size else 0.0
        if rtol is not None and worst > rtol:
            i = int(np.argmax(rel))
            raise ValueError(f"matrix violates detailed balance at temperature {T:g}: relative "
                             f"violation {worst:.3g} > rtol = {rtol:g} (states {k[i]} <-> {l[i]})")
        return worst

    # ------------------------------------------------------------------ the collision
    def prepare(self, hamiltonian, cells, markers):
        """The :class:`RateMatrixOperator` of these jumps for a run: every marker inside
        ``cells`` jumps (all markers if ``cells`` is None). Without a momentum grid the markers
        must carry states (``markers.state``)."""
        return RateMatrixOperator(self, hamiltonian, cells, self)


class RateMatrixOperator(JumpOperator):
    """A :class:`RateMatrix` (or :class:`GoldenRule`) prepared for a run: the exact jumps of its
    Markov chain over each step, and the count of markers outside the momentum grid.

    Attributes
    ----------
    rate_matrix : RateMatrix
    last_outside : int
        Markers inside the cells but outside the momentum grid at the last step (momentum-grid
        mode).
    outside : int
        The same, summed over the steps (checkpointed: :meth:`state`).
    """

    def __init__(self, mechanism, hamiltonian, cells, rate_matrix):
        super().__init__(mechanism, hamiltonian, cells)
        self.rate_matrix = rate_matrix
        self.outside = 0
        self.last_outside = 0

    def collide(self, markers, dt, seed, step):
        """Jump every marker inside the cells exactly over ``dt`` [s], in place.

        Returns the number of real jumps k -> l != k."""
        rm, cells = self.rate_matrix, self.cells
        dt = _checks.positive("dt", dt)
        n = markers.n
        where = (cells.kernel_arguments(markers) if cells is not None
                 else (markers.kernel_arrays().x, _NO_AXES, _NO_AXES, _NO_CELLS))
        key = stream_key(int(seed), int(step), rm._label)
        method = METHODS[rm.method]
        args = (rm._indptr, rm._indices, rm._cum, rm._out_rate, rm._lambda, method, key, dt)
        if rm.momentum_grid is None:
            state = markers.state
            if state is None:
                raise ValueError(f"collision {rm.name!r} moves discrete states, but the markers "
                                 f"carry none: give them state=, or give the RateMatrix a "
                                 f"momentum_grid")
            jumped, invalid = _jumps.jump_states(state, n, *where, *args)
            if invalid:  # checked in the kernel's pass; the markers with valid states jumped
                raise ValueError(f"markers.state must be in 0 .. {rm.size - 1} (the size of the "
                                 f"matrix minus 1), got {int(invalid)} markers outside, e.g. "
                                 f"{int(state[(state < 0) | (state >= rm.size)][0])}")
            return int(jumped)
        px = markers.kernel_arrays().p[0]
        jumped, outside = _jumps.jump_momenta(px, n, *where, rm.momentum_grid, rm._inv_h, *args)
        self.last_outside = int(outside)
        self.outside += int(outside)
        return int(jumped)

    def state(self):
        return {"outside": np.array([self.outside], np.int64)}

    def set_state(self, arrays):
        if "outside" in arrays:
            self.outside = int(np.asarray(arrays["outside"]).ravel()[0])


@dataclasses.dataclass(frozen=True, eq=False)
class GoldenRule(Model, Collision):
    """Golden-rule jumps between discrete states, described by energies and couplings: the
    case-file form of :meth:`RateMatrix.from_golden_rule` (model ``"GoldenRule"`` in
    ``[[collisions]]``).

    Q_kl = (2 pi / hbar) |V_kl|^2 delta_G(E_k - E_l) (k != l), Q_kk = -sum_{l != k} Q_kl
    (paper eq. 47; Fermi 1950). Without ``momentum_grid`` the markers must carry ``state``.

    Parameters
    ----------
    energies : array_like, shape (M,)
        State energies E_k [J].
    coupling : float or array_like (M, M)
        V_kl [J]: one value for every pair of distinct states, or the matrix.
    width : float
        Spectral width G [J], > 0 (Lorentzian half width or Gaussian standard deviation).
    shape : {"lorentzian", "gaussian"}
    hbar : float
        [J s], > 0: the run's Hamiltonian's (checked by :meth:`prepare`).
    momentum_grid : array_like (M,), optional
        Uniform momentum bin centres [kg m/s] (see :class:`RateMatrix`).
    method : {"holding", "uniformization"}
    name : str
        Label in the output.

    Examples
    --------
    >>> import pmc
    >>> g = pmc.collisions.GoldenRule(energies=[0.0, 0.1], coupling=0.2, width=1.0)
    >>> g.rate_matrix.size
    2
    """

    energies: object
    coupling: object
    width: float
    shape: str = "lorentzian"
    hbar: float = 1.0
    momentum_grid: object = None
    method: str = "holding"
    name: str = "golden_rule"

    def __post_init__(self):
        rm = RateMatrix.from_golden_rule(
            self.energies, np.asarray(self.coupling) if not sp.issparse(self.coupling)
            else self.coupling, width=self.width, shape=self.shape, hbar=self.hbar,
            momentum_grid=self.momentum_grid, name=self.name, method=self.method)
        object.__setattr__(self, "energies", rm.energies)
        object.__setattr__(self, "width", float(self.width))
        object.__setattr__(self, "hbar", rm.hbar)
        object.__setattr__(self, "_rate_matrix", rm)

    @property
    def rate_matrix(self):
        """The :class:`RateMatrix` this mechanism samples."""
        return self._rate_matrix

    def prepare(self, hamiltonian, cells, markers):
        """The :class:`RateMatrixOperator` of :attr:`rate_matrix` (see
        :meth:`RateMatrix.prepare`); ``hbar`` must be the Hamiltonian's."""
        h = getattr(hamiltonian, "hbar", None)
        if h is not None and not math.isclose(self.hbar, h, rel_tol=1e-12):
            raise ValueError(f"GoldenRule(hbar={self.hbar!r}) differs from the run's Hamiltonian "
                             f"hbar={h!r}: the rates (2 pi / hbar) |V|^2 delta_G would not be "
                             f"the run's")
        return RateMatrixOperator(self, hamiltonian, cells, self._rate_matrix)


# ---------------------------------------------------------------------------- helpers
def _as_rate_matrix(matrix):
    """CSR float64 copy of ``matrix``, checked (every error names ``matrix``)."""
    if sp.issparse(matrix):
        a = matrix
    else:
        try:
            a = np.asarray(matrix)
        except (TypeError, ValueError):
            raise ValueError(f"matrix must be an (M, M) array or scipy.sparse matrix, got "
                             f"{type(matrix).__name__}") from None
    if a.dtype.kind not in "biuf":
        raise ValueError(f"matrix must be real, got dtype {a.dtype}")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError(f"matrix must be square (M, M) with M >= 1, got shape {a.shape}")
    Q = sp.csr_matrix(a, dtype=np.float64, copy=True)
    Q.sum_duplicates()
    Q.sort_indices()
    if not np.all(np.isfinite(Q.data)):
        raise ValueError("matrix must be finite; it has NaN or infinite rates")
    coo = Q.tocoo()
    off = coo.row != coo.col
    if np.any(coo.data[off] < 0):
        i = int(np.flatnonzero(off & (coo.data < 0))[0])
        raise ValueError(f"matrix: off-diagonal rates must be >= 0, got Q[{coo.row[i]}, "
                         f"{coo.col[i]}] = {coo.data[i]:g}")
    row_sum = np.asarray(Q.sum(axis=1)).ravel()
    row_max = abs(Q).max(axis=1).toarray().ravel()
    bad = np.abs(row_sum) > ROW_SUM_RTOL * row_max
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"matrix: every row must sum to zero (Q_kk = -sum of the row's rates) "
                         f"to {ROW_SUM_RTOL:g} of its largest entry; row {k} sums to "
                         f"{row_sum[k]:.6g} (largest entry {row_max[k]:.6g})")
    Q.eliminate_zeros()
    return Q


def _coupling_entries(name, V, m):
    """(rows, cols, |V|^2) of the stored couplings."""
    if sp.issparse(V):
        if V.shape != (m, m):
            raise ValueError(f"{name} must have shape ({m}, {m}), got {V.shape}")
        c = V.tocoo()
        data = np.asarray(c.data)
        rows, cols = c.row.astype(np.int64), c.col.astype(np.int64)
    else:
        a = np.asarray(V)
        if a.dtype.kind not in "biufc":
            raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
        if a.ndim == 0:
            a = np.full((m, m), a.item())
        if a.shape != (m, m):
            raise ValueError(f"{name} must be a scalar or have shape ({m}, {m}), got {a.shape}")
        rows, cols = np.nonzero(a)
        data = a[rows, cols]
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite everywhere")
    return rows, cols, np.abs(data).astype(np.float64) ** 2


def _line_shape(x, width, shape):
    """Unit-area broadened delta [1/J] at energy differences x [J]."""
    if shape == "lorentzian":
        return (width / math.pi) / (x * x + width * width)
    return np.exp(-0.5 * (x / width) ** 2) / (width * math.sqrt(2.0 * math.pi))


def _fourier_table(coupling, m, L, hbar):
    """V~(n dp) [J m] for n = 0..m-1, dp = 2 pi hbar / L."""
    if isinstance(coupling, Potential):
        if coupling.time_dependent:
            raise ValueError("coupling must be a static potential (no time modulation)")
        nq = 1 << max(12, int(math.ceil(math.log2(16 * m))))
        x = -0.5 * L + L * np.arange(nq) / nq
        u = coupling.potential(x)
        # V~(q_n) = int U exp(-i q_n x / hbar) dx, q_n = n dp: the trapezoid rule on the
        # periodic cell is the discrete Fourier transform (the phase of x_0 = -L/2 is (-1)^n)
        c = np.fft.fft(u)[:m] * (L / nq)
        return c * np.where(np.arange(m) % 2, -1.0, 1.0)
    a = np.asarray(coupling)
    if a.dtype.kind not in "biufc":
        raise ValueError(f"coupling must be a pmc potential, a number or an array, got "
                         f"{coupling!r}")
    if a.ndim == 0:
        a = np.full(m, a.item())
    if a.shape != (m,):
        raise ValueError(f"coupling as a table must have shape ({m},) (V~ at momentum transfers "
                         f"n dp, n = 0..{m - 1}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("coupling must be finite everywhere")
    return a
