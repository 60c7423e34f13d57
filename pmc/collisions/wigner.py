"""Signed-particle Wigner transport (docs/design.md §5): the non-local part of a potential as a
jump process that generates marker pairs of opposite sign.

The Wigner equation in one dimension,

    df/dt + v(p) df/dx - (dU_s/dx) df/dp = sum_j W(x, q_j) f(x, p - q_j),

splits the potential U = U_s + U_f: the smooth part U_s is the Hamiltonian's (the classical
force of the push), the fast part U_f enters through its Wigner potential. With the density
matrix's separation y limited to |y| <= L (the coherence length; L >= the box length is exact
for a state inside the box), the momentum transfer lives on the lattice q_j = j dq,
dq = pi hbar / L, and the weight of each lattice point is

    W(x, q_j) = -(1 / (L hbar)) int_0^L sin(q_j y / hbar) [U_f(x + y/2) - U_f(x - y/2)] dy  [1/s],

real and odd in q (W(x, -q) = -W(x, q)). Written as W = W+ - W-, the right-hand side is a
birth process (M. Nedjalkov, H. Kosina, S. Selberherr, C. Ringhofer, D. K. Ferry, Phys. Rev. B
70, 115319 (2004); J. M. Sellier, M. Nedjalkov, I. Dimov, Phys. Rep. 577, 1 (2015), section
4): a marker of weight w creates, at the rate gamma(x) = sum_{q} W+(x, q) = sum_{j >= 1}
|W(x, q_j)|, a pair (p + q_j, s w), (p - q_j, -s w) with j drawn with probability
|W(x, q_j)| / gamma and s = sign W(x, q_j); the marker itself goes on. The expected weight
created per unit time is exactly the right-hand side, so every observable, a sum of signed
weights, is unbiased.

The integral is evaluated for U_f sampled every dx / 2 (dx the table's cell) and interpolated
linearly in y: the sine sums are a type-I discrete sine transform (scipy.fft.dst), times the
Filon factor sinc^2(q dx / (2 hbar)) of the linear interpolation, plus the half-cell end term
at y = L. The x-dependence is tabulated at the centres of cells of width dx, chosen
``resolution`` cells per the shortest wavelength pi hbar / q_max of W in x, and markers use
their cell's row. (nano-archimedes, Sellier's public code, sums the sines at half-integer cell
offsets against the potential at integer ones, a shift of half a cell; here the two are at the
same points.)

Annihilation keeps the count bounded: every ``every`` steps (default: the steps in which the
fastest-generating marker makes 1/4 pair on average, 1 / (4 gamma_max dt)), and whenever the
markers outnumber ``budget``, each cell of a phase-space grid (default: pi hbar / (8 q_max) in
x, dq in p; the p cells are centred on the
multiples of their width, so momenta on the lattice i dq, which the pairs keep on it, sit at
cell centres and opposite signs meet exactly there) keeps k markers of its
net sign, a random subset of them, each with weight net / k, k = ceil(|net| / w_q) (at most the
markers of that sign); w_q is the initial markers' weight while that reaches keep * budget, and
larger otherwise. The cell's signed weight is conserved and the kept markers keep their exact
phase-space points (nano-archimedes regenerates them uniformly in the cell, which smooths
the interference fringes). Markers with continuous momenta are merged within a cell: the net
weight takes the majority sign's sub-cell distribution, a projection of the order of the cell.

The defaults are those validation 70 (nano-archimedes' example) needed at full size: x cells of
a quarter of the shortest half-wavelength pi hbar / (2 q_max) of W, since every annihilation
moves net weight to the majority markers' sub-cell positions and ~100 of them over a run add up
to a smoothing of the interference fringes (with pi hbar / (2 q_max) the fringes of period
~8 nm in front of the barrier lost ~10 % of their contrast, 3-5 standard errors); and regular
pure cancellation (every 50 steps there, gamma_max dt 50 = 0.25: :data:`ANNIHILATE_AFTER`;
while the markers left after cancellation fit in ``keep * budget`` none is merged, weights
stay w_q) rather than merging at the budget, which was ~1.7x noisier at the
same number of markers. The budget stays the hard bound: above it, merging brings the count to
``keep * budget``.
"""
import math
from dataclasses import KW_ONLY, dataclass

import numpy as np
import scipy.fft
import xarray as xr

from .. import _checks
from .._kernels import BLOCK
from .._kernels import threads as _threads
from .._kernels import wigner as _wigner
from .._kernels.rng import WIGNER, WIGNER_ANNIHILATION, stream_key
from .._kernels.stateful import NO_STATE
from .._model import Model
from ..hamiltonian import Hamiltonian
from ..potentials import Potential
from ..schema import variable
from .base import Collision, JumpOperator, name_label

__all__ = ["WignerPotential", "WignerOperator", "wigner_potential", "ANNIHILATE_AFTER"]

#: Annihilation grids with more cells than this are refused (memory of the per-cell sums).
MAX_CELLS = 1 << 26
#: Default interval of the regular annihilation: gamma_max * interval = this (module docstring).
ANNIHILATE_AFTER = 0.25


def wigner_potential(U, x, dx, coherence_length, nq, hbar):
    """W(x_i, q_j) [1/s] for the potential ``U`` at cell centres ``x`` [m] (cells of width
    ``dx`` [m]), q_j = j pi hbar / L, j = 1..nq (module docstring).

    Parameters
    ----------
    U : pmc.potentials.Potential
        Static potential along x [J].
    x : array_like
        Cell centres [m], uniformly spaced by ``dx``.
    dx : float
        The cell width [m]; the integral's step in y.
    coherence_length : float
        L [m], a whole multiple of ``dx``.
    nq : int
        Number of positive lattice momenta, 1 <= nq.
    hbar : float
        [J s].

    Returns
    -------
    numpy.ndarray
        (len(x), nq).
    """
    x = np.asarray(x, np.float64)
    M = int(round(coherence_length / dx))
    if M < 2 or abs(M * dx - coherence_length) > 1e-9 * coherence_length:
        raise ValueError(f"coherence_length must be a whole multiple (>= 2) of dx, got "
                         f"{coherence_length!r} and {dx!r}")
    L = M * dx
    j = np.arange(1, nq + 1)
    k = j * math.pi / L  # q_j / hbar [1/m]
    offsets = 0.5 * dx * np.arange(-M, M + 1)  # x_i +- y/2 for y = m dx
    out = np.empty((x.size, nq))
    rows = max(1, (1 << 24) // (2 * M + 1))
    filon = np.sinc(k * dx / (2 * math.pi)) ** 2 * dx  # np.sinc(t) = sin(pi t) / (pi t)
    end = (-1.0) ** j * (np.sin(k * dx) / (dx * k ** 2) - 1.0 / k)
    for a in range(0, x.size, rows):
        xs = x[a:a + rows]
        u = U.potential((xs[:, None] + offsets[None, :]).ravel()).reshape(xs.size, 2 * M + 1)
        D = u[:, M + 1:] - u[:, M - 1::-1]  # U(x + m dx/2) - U(x - m dx/2), m = 1..M
        # type-I DST: 2 sum_{m=1}^{M-1} D_m sin(pi j m / M), j = 1..M-1
        if M > 2:
            S = 0.5 * scipy.fft.dst(D[:, :M - 1], type=1, axis=1)
        else:
            S = D[:, :1] * np.sin(np.pi * np.arange(1, 2) / M)
        Sj = np.zeros((xs.size, nq))
        m = min(nq, M - 1)
        Sj[:, :m] = S[:, :m]
        if nq > M - 1:  # sin(pi j m / M) is periodic in j with period 2M
            jj = np.arange(M - 1, nq) + 1
            ph = np.sin(np.pi * np.outer(np.arange(1, M), jj) / M)
            Sj[:, M - 1:] = D[:, :M - 1] @ ph
        integral = Sj * filon + D[:, M - 1:M] * end
        out[a:a + rows] = -integral / (L * hbar)
    return out


@dataclass(frozen=True)
class WignerPotential(Model, Collision):
    """The Wigner potential of the fast part U_f of a potential as a pair-generation mechanism,
    with annihilation of opposite signs (module docstring). The run's markers must be signed
    (``pmc.Markers(..., signed=True)``) and one-dimensional in x (dp >= 1: the jumps act on
    p_x); U_f is not in the Hamiltonian (which holds the smooth part, if any).

    Parameters
    ----------
    potential : pmc.potentials.Potential
        U_f [J], static, along x. Any pmc potential (analytic ones and the gridded table);
        it is sampled every dx / 2 on [lo - L/2, hi + L/2].
    lo, hi : float
        The x range [m] where markers generate pairs (the simulation box), lo < hi.
    q_max : float
        Largest momentum transfer [kg m/s], > 0: the lattice q_j = j dq, j = 1..floor(q_max /
        dq), dq = pi hbar / L.
    coherence_length : float, optional
        L [m], > 0; default hi - lo (exact for a state inside the box). Rounded to a whole
        number of table cells.
    resolution : int
        Table cells per shortest wavelength pi hbar / q_max of W(x, q) in x, >= 1 (default
        16; below 4 the largest momenta are aliased in x).
    budget : int
        Annihilation runs at the end of a step when the markers outnumber this, >= 2.
    keep : float
        Fraction of ``budget`` annihilation aims at, in (0, 1].
    annihilation_dx : float, optional
        Width in x of the annihilation cells [m], > 0; default pi hbar / (8 q_max) (2 table
        cells at the default resolution; module docstring).
    annihilation_dp : float, optional
        Width in p_x of the annihilation cells [kg m/s], > 0; default dq.
    weight_quantum : float, optional
        w_q [same unit as the weights], > 0: the weight below which annihilation does not merge
        markers; default the median |w| of the run's initial markers.
    p_max : float, optional
        The momentum domain |p_x| < p_max [kg m/s], > 0: a pair with a marker outside is not
        created (neither marker; as nano-archimedes does, so that pairs keep a zero net
        weight). Default q_max.
    taper : bool
        Multiply W(x, q_j) by the Lanczos sigma factor sinc(j / (nq + 1)) (default False). The
        table is the Fourier series, in the separation y, of [U_f(x + y/2) - U_f(x - y/2)] cut
        at q_max; for a potential that is not band-limited (a smooth U_f given as the fast part:
        x^2/2 gives a sawtooth series) the cut's Gibbs ripple mis-weights the force by
        ~hbar / (q_max y); the taper damps that ripple (C. Lanczos, Applied Analysis, 1956,
        ch. IV) at the price of smoothing U_f on the scale pi hbar / q_max: for smooth U_f
        only (on a sharp barrier it raises the transmission, validation 73's barrier by 8 %).
    every : int, optional
        Also annihilate every ``every`` steps whatever the count, >= 0 (0: only above the
        budget). Default: the largest interval with gamma_max dt every <= 1/4
        (:data:`ANNIHILATE_AFTER`; gamma_max the largest generation rate; 49 steps in validation
        70), at least 1.
    name : str
        Label in the output's ``mechanism`` dimension.

    Examples
    --------
    >>> import pmc
    >>> U = pmc.potentials.GaussianBarrier(height=1.0, width=0.5)
    >>> wp = pmc.collisions.WignerPotential(U, -20.0, 20.0, q_max=6.0)
    >>> wp.lattice(hbar=1.0)[1]  # dq = pi hbar / L
    0.07853981633974483
    """

    potential: Potential = None
    lo: float = None
    hi: float = None
    _: KW_ONLY
    q_max: float = None
    coherence_length: float = None
    resolution: int = 16
    budget: int = 1_000_000
    keep: float = 0.5
    annihilation_dx: float = None
    annihilation_dp: float = None
    weight_quantum: float = None
    p_max: float = None
    every: int = None
    taper: bool = False
    name: str = "wigner"

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        if not isinstance(self.potential, Potential):
            raise ValueError(f"potential must be a pmc.potentials.Potential (U_f), got "
                             f"{self.potential!r}")
        if self.potential.time_dependent:
            raise ValueError("potential must be static: the Wigner potential is tabulated once")
        lo = _checks.finite("lo", self.lo)
        hi = _checks.finite("hi", self.hi)
        if not hi > lo:
            raise ValueError(f"hi must be > lo, got lo={self.lo!r}, hi={self.hi!r}")
        set_("lo", lo)
        set_("hi", hi)
        if self.q_max is None:
            raise ValueError("q_max (the largest momentum transfer [kg m/s], > 0) is required")
        set_("q_max", _checks.positive("q_max", self.q_max))
        if self.coherence_length is not None:
            set_("coherence_length", _checks.positive("coherence_length",
                                                      self.coherence_length))
        set_("resolution", _checks.count("resolution", self.resolution, minimum=1))
        set_("budget", _checks.count("budget", self.budget, minimum=2))
        keep = _checks.positive("keep", self.keep)
        if keep > 1.0:
            raise ValueError(f"keep must be in (0, 1], got {self.keep!r}")
        set_("keep", keep)
        if self.every is not None:
            set_("every", _checks.count("every", self.every, minimum=0))
        for f in ("annihilation_dx", "annihilation_dp", "weight_quantum", "p_max"):
            if getattr(self, f) is not None:
                set_(f, _checks.positive(f, getattr(self, f)))
        if not isinstance(self.taper, (bool, np.bool_)):
            raise ValueError(f"taper must be True or False, got {self.taper!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

    def lattice(self, hbar):
        """(L [m], dq [kg m/s], nq, dx [m], nx): the coherence length, the momentum lattice
        spacing and count, the table's cell width and count, for the given hbar [J s]."""
        hbar = _checks.positive("hbar", hbar)
        width = self.hi - self.lo
        L0 = width if self.coherence_length is None else self.coherence_length
        dx0 = math.pi * hbar / (self.resolution * self.q_max)
        M = max(2, math.ceil(L0 / dx0))
        dx = L0 / M
        dq = math.pi * hbar / L0
        nq = int(math.floor(self.q_max / dq * (1 + 1e-12)))
        if nq < 1:
            raise ValueError(f"q_max={self.q_max!r} is below the lattice spacing dq = pi hbar / L "
                             f"= {dq!r}: raise q_max or the coherence_length")
        nx = math.ceil(width / dx * (1 - 1e-12))
        return L0, dq, nq, dx, nx

    def table(self, hbar):
        """(x [m] cell centres (nx,), q [kg m/s] (nq,), W [1/s] (nx, nq))."""
        L, dq, nq, dx, nx = self.lattice(hbar)
        x = self.lo + (np.arange(nx) + 0.5) * dx
        W = wigner_potential(self.potential, x, dx, L, nq, hbar)
        if self.taper:
            W *= np.sinc(np.arange(1, nq + 1) / (nq + 1))[None, :]
        return x, dq * np.arange(1, nq + 1), W

    def prepare(self, hamiltonian, cells, markers):
        return WignerOperator(self, hamiltonian, cells, markers)


class WignerOperator(JumpOperator):
    """The prepared :class:`WignerPotential`: its table, the generation and the annihilation of
    one run. ``collide`` returns the number of pairs generated in the step."""

    def __init__(self, mechanism, hamiltonian, cells, markers):
        super().__init__(mechanism, hamiltonian, cells)
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"WignerPotential needs the run's pmc.Hamiltonian, got "
                             f"{hamiltonian!r}")
        if not markers.signed:
            raise ValueError("WignerPotential needs signed markers: pmc.Markers(..., "
                             "signed=True)")
        if markers.dx != 1:
            raise ValueError(f"WignerPotential needs markers with one position dimension, got "
                             f"dx={markers.dx}")
        m = mechanism
        hbar = hamiltonian.hbar
        L, dq, nq, dx, nx = m.lattice(hbar)
        x, q, W = m.table(hbar)
        self.coherence_length, self.dq, self.dx = L, dq, dx
        self.x, self.q, self.W = x, q, W
        absW = np.abs(W)
        self.cum = np.ascontiguousarray(np.cumsum(absW, axis=1))
        self.gamma = np.ascontiguousarray(self.cum[:, -1].copy())
        self.sign = np.ascontiguousarray(np.where(W >= 0, 1.0, -1.0))
        self.inv_dx = 1.0 / dx
        self.p_max = m.q_max if m.p_max is None else m.p_max
        self.a_dx = math.pi * hbar / (8 * m.q_max) if m.annihilation_dx is None else m.annihilation_dx
        self.a_dp = dq if m.annihilation_dp is None else m.annihilation_dp
        self.a_nx = max(1, math.ceil((m.hi - m.lo) / self.a_dx * (1 - 1e-12)))
        if m.weight_quantum is not None:
            self.w_q = m.weight_quantum
        else:
            self.w_q = float(np.median(np.abs(markers.w))) if markers.n else 1.0
        self._label = name_label(m.name)
        self._p_event = None
        self._gen_buffers = None
        self._ann_buffers = None
        # cumulative tallies: pairs generated, weight annihilated; and at the last frame
        self._tally = np.zeros(2)
        self._at_frame = np.zeros(2)

    def every(self, dt):
        """The default annihilation interval [steps] for the time step ``dt`` [s]: the largest
        with gamma_max dt every <= :data:`ANNIHILATE_AFTER`, at least 1; 0 (none) where the
        table generates nothing."""
        g = float(self.gamma.max()) if self.gamma.size else 0.0
        if not g > 0:
            return 0
        return max(1, int(ANNIHILATE_AFTER / (g * float(dt)) * (1 + 1e-9)))

    @property
    def rate(self):
        """gamma(x) [1/s] at the table's cell centres :attr:`x`."""
        return self.gamma

    # ------------------------------------------------------------------ generation
    def generate(self, markers, dt, seed, step):
        """Append the pairs generated over ``dt`` [s]; returns the number of pairs."""
        n = markers.n
        if n == 0:
            return 0
        dt = float(dt)
        xs, ps, ws, ss = markers.kernel_arrays()
        key = int(stream_key(int(seed), int(step), WIGNER + self._label))
        x0 = self.x[0] - 0.5 * self.dx
        p_event, p_bound = self._event_probability(dt)
        # generation 0: the markers' own storage (the kernels read the first n columns); only
        # the markers with an event are visited (pmc._kernels.wigner.first_events)
        nchunk = (n + _wigner.CHUNK - 1) // _wigner.CHUNK
        found, counts, active, active_counts, offsets = self._buffers(nchunk * _wigner.CHUNK)
        per_chunk = np.empty(nchunk, np.int64)
        _wigner.first_events(xs[0], n, x0, self.inv_dx, self.gamma, p_event, p_bound, dt, key,
                             found, counts, per_chunk)
        m, events = _wigner.gather_found(found, counts, per_chunk, active, active_counts, offsets)
        if events == 0:
            return 0
        k = 2 * events
        cx = np.empty(k)
        cp = np.empty((ps.shape[0], k))
        cw = np.empty(k)
        cs = np.empty(k if ss is not None else 0, np.int64)
        crem = np.empty(k)
        _wigner.write_pairs(xs[0], ps, ws, ss if ss is not None else NO_STATE, active[:m], x0,
                            self.inv_dx, self.gamma, self.cum, self.sign, self.dq, self.p_max,
                            np.full(1, dt), p_event, key, 0, active_counts[:m], offsets[:m],
                            cx, cp, cw, cs, crem)
        # the live pairs and the later generations (children generate over the time left)
        cx, cp, cw, cs = _wigner.descendants(cx, cp, cw, cs, crem, x0, self.inv_dx, self.gamma,
                                             self.cum, self.sign, self.dq, self.p_max, key)
        markers.append(cx[np.newaxis, :], cp, cw, cs if ss is not None else None)
        return cx.shape[0] // 2

    def _event_probability(self, dt):
        """(p_event (nx,), p_bound): the probability of at least one event over ``dt`` per
        table cell, 1 - exp(-gamma dt), and its maximum (kept per dt)."""
        if self._p_event is None or self._p_event[0] != dt:
            p = -np.expm1(-self.gamma * dt)
            self._p_event = (dt, p, float(p.max()) if p.size else 0.0)
        return self._p_event[1], self._p_event[2]

    def _buffers(self, size):
        """The generation-0 index buffers (found, counts, active, active_counts, offsets),
        int64, at least ``size`` long, reused from step to step."""
        if self._gen_buffers is None or self._gen_buffers.shape[1] < size:
            self._gen_buffers = np.empty((5, max(size, 2 * (0 if self._gen_buffers is None
                                                         else self._gen_buffers.shape[1]))),
                                         np.int64)
        return tuple(self._gen_buffers)

    # ------------------------------------------------------------------ annihilation
    def annihilate(self, markers, seed, step, target):
        """Annihilate opposite signs per cell, merging down towards ``target`` markers; returns
        the absolute weight removed. The kept markers come out in cell order."""
        n = markers.n
        if n == 0:
            return 0.0
        x, p, w, _ = markers.kernel_arrays()
        px = p[0, :n]
        ip_min = math.floor(float(px.min()) / self.a_dp + 0.5)
        npc = math.floor(float(px.max()) / self.a_dp + 0.5) - ip_min + 1
        npc = max(1, min(npc, MAX_CELLS // self.a_nx))
        ncell = self.a_nx * npc
        index, order, ws, out = self._annihilation_buffers(n)
        start = np.empty(ncell + 2, np.int64)
        _wigner.annihilation_sort(x[0], p, w, n, self.mechanism.lo, 1.0 / self.a_dx, self.a_nx,
                                  1.0 / self.a_dp, ip_min, npc, index, order, ws, start,
                                  _threads.get())
        net = np.empty(ncell)
        majority = np.empty(ncell, np.int64)
        gone = np.empty(ncell)
        _wigner.cell_sums(ws, start, net, majority, gone)
        total = float(np.sum(np.abs(net)))
        occupied = int(np.count_nonzero(net))
        room = target - int(start[-1] - start[-2]) - occupied
        quantum = max(self.w_q, total / room) if room > 0 else math.inf
        key = int(stream_key(int(seed), int(step), WIGNER_ANNIHILATION + self._label))
        kept = np.empty(ncell + 1, np.int64)
        _wigner.annihilate(w, ws, order, start, net, majority, quantum, key, kept)
        dst = np.cumsum(kept) - kept
        m = int(dst[-1] + kept[-1])
        _wigner.kept_order(order, start, kept, dst, out)
        markers.take(out[:m], check=False)
        return float(np.sum(gone))

    def _annihilation_buffers(self, n):
        """(index, order, ws, out): int64, int64, float64, int64 buffers of at least ``n``
        markers, reused from call to call."""
        b = self._ann_buffers
        if b is None or b[0].shape[0] < n:
            size = max(n, 2 * (0 if b is None else b[0].shape[0]))
            b = self._ann_buffers = (np.empty(size, np.int64), np.empty(size, np.int64),
                                     np.empty(size), np.empty(size, np.int64))
        return b

    def collide(self, markers, dt, seed, step):
        pairs = self.generate(markers, dt, seed, step)
        self._tally[0] += pairs
        m = self.mechanism
        every = m.every if m.every is not None else self.every(dt)
        if markers.n > m.budget or (every and (step + 1) % every == 0):
            self._tally[1] += self.annihilate(markers, seed, step, int(m.keep * m.budget))
        return pairs

    # ------------------------------------------------------------------ output
    def observe(self, markers, system="si"):
        """The per-frame scalars: markers of each sign, the negative weight, pairs generated
        and weight annihilated since the last frame."""
        out = np.zeros(((markers.n + BLOCK - 1) // BLOCK, 4))
        if markers.n:
            _wigner.signed_sums(markers.w, markers.n, out)
        tot = out.sum(axis=0)
        since = self._tally - self._at_frame
        return xr.Dataset({
            "n_positive": variable("n_positive", np.int64(tot[0]), system=system),
            "n_negative": variable("n_negative", np.int64(tot[1]), system=system),
            "weight_negative": variable("weight_negative", float(tot[2]), system=system),
            "pairs_generated": variable("pairs_generated", np.int64(since[0]), system=system),
            "annihilated_weight": variable("annihilated_weight", float(since[1]),
                                           system=system)})

    def frame_recorded(self):
        self._at_frame = self._tally.copy()

    def state(self):
        return {"tally": self._tally.copy(), "at_frame": self._at_frame.copy()}

    def set_state(self, arrays):
        if "tally" in arrays:
            self._tally = np.array(arrays["tally"], np.float64)
            self._at_frame = np.array(arrays["at_frame"], np.float64)
