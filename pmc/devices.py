"""Semiconductor devices along x (in one dimension, or in two with the doping uniform across a
width): doping profiles, the equilibrium they hold, and a drift-diffusion reference
(docs/design.md §5, "Fields": ohmic contacts and applied voltages are boundary values of the
field and of the walls).

* :class:`Doping` is a piecewise-constant profile of ionized donors and acceptors along x, as a
  case file writes it (a list of regions); it gives the fixed background charge of a Poisson
  field (:meth:`Doping.background`, :meth:`Doping.cell_average`) and the reservoirs of the
  contacts (:meth:`Doping.contacts`).
* :class:`DopedEquilibrium` is the carriers' equilibrium over that profile (density equal to
  the net doping region by region, a Kane or parabolic band at rest at the lattice
  temperature), a distribution for :func:`pmc.sample`: the initial state of a device run.
* :func:`drift_diffusion` solves the steady drift-diffusion equations of electrons (Poisson and
  continuity, Scharfetter-Gummel fluxes, Newton's method on scipy.sparse), the reference a
  device Monte Carlo must meet at low bias.

Units: SI (m, 1/m^3, V, A/m^2, J for kT).
"""
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import _checks
from ._kernels import inject as _inject
from ._kernels.rng import seed_to_int
from ._model import Model
from .bands import Kane, MultiValley, Parabolic
from .boundaries import Reservoir
from .states import Distribution, _PiecewiseLinear, _profile
from .units import e as _E

__all__ = ["Doping", "DopedEquilibrium", "drift_diffusion", "DriftDiffusion"]


@dataclass(frozen=True)
class Doping(Model):
    """A piecewise-constant doping profile along x: regions that tile [lo, hi].

    Parameters
    ----------
    regions : sequence of (lo, hi, donors) or (lo, hi, donors, acceptors), or of mappings
        Each region's extent [m] and its ionized donor and acceptor densities [1/m^3] (>= 0;
        acceptors default 0). A mapping is what a case file gives:
        ``{x = [lo, hi], donors = ..., acceptors = ...}``. The regions must be in order and
        tile one interval without gaps or overlaps; a position on an interface belongs to the
        region above it.

    Examples
    --------
    >>> import pmc
    >>> d = pmc.devices.Doping([{"x": [0.0, 0.3e-6], "donors": 5e23},
    ...                         {"x": [0.3e-6, 0.7e-6], "donors": 2e21},
    ...                         {"x": [0.7e-6, 1.0e-6], "donors": 5e23}])
    >>> float(d.net([0.1e-6, 0.5e-6])[1])
    2e+21
    """

    regions: tuple = ()

    def __post_init__(self):
        rows = []
        items = list(self.regions) if not isinstance(self.regions, (str, bytes)) else None
        if not items:
            raise ValueError("regions must be a non-empty sequence of (lo, hi, donors[, "
                             "acceptors]) or of {x = [lo, hi], donors = ..., acceptors = ...}")
        for k, r in enumerate(items):
            where = f"regions[{k}]"
            if isinstance(r, dict):
                unknown = set(r) - {"x", "donors", "acceptors"}
                if unknown:
                    raise ValueError(f"{where}: unknown keys {sorted(unknown)}; valid: x, "
                                     f"donors, acceptors")
                if "x" not in r:
                    raise ValueError(f"{where} needs x = [lo, hi] [m]")
                x = r["x"]
                if not isinstance(x, (list, tuple)) or len(x) != 2:
                    raise ValueError(f"{where}.x must be [lo, hi] [m], got {x!r}")
                lo, hi = x
                donors, acceptors = r.get("donors", 0.0), r.get("acceptors", 0.0)
            else:
                try:
                    r = tuple(r)
                except TypeError:
                    raise ValueError(f"{where} must be (lo, hi, donors[, acceptors]) or a "
                                     f"mapping, got {r!r}") from None
                if len(r) not in (3, 4):
                    raise ValueError(f"{where} must be (lo, hi, donors[, acceptors]), got {r!r}")
                lo, hi, donors = r[:3]
                acceptors = r[3] if len(r) == 4 else 0.0
            lo = _checks.finite(f"{where} lo", lo)
            hi = _checks.finite(f"{where} hi", hi)
            if not hi > lo:
                raise ValueError(f"{where}: hi must be > lo [m], got [{lo!r}, {hi!r}]")
            donors = _checks.non_negative(f"{where} donors", donors)
            acceptors = _checks.non_negative(f"{where} acceptors", acceptors)
            if rows and not math.isclose(lo, rows[-1][1], rel_tol=1e-12,
                                         abs_tol=1e-12 * (hi - lo)):
                raise ValueError(f"{where} starts at {lo!r} but regions[{k - 1}] ends at "
                                 f"{rows[-1][1]!r}: the regions must tile [lo, hi] in order "
                                 f"without gaps or overlaps")
            rows.append((float(lo), float(hi), float(donors), float(acceptors)))
        object.__setattr__(self, "regions", tuple(rows))

    @classmethod
    def uniform(cls, lo, hi, donors, acceptors=0.0):
        """One region [lo, hi] [m] of ``donors`` and ``acceptors`` [1/m^3]."""
        return cls(((lo, hi, donors, acceptors),))

    @property
    def lo(self):
        """Low end [m]."""
        return self.regions[0][0]

    @property
    def hi(self):
        """High end [m]."""
        return self.regions[-1][1]

    @property
    def edges(self):
        """Region boundaries [m], shape (regions + 1,)."""
        return np.array([r[0] for r in self.regions] + [self.hi])

    @property
    def net_by_region(self):
        """N_D - N_A [1/m^3] of each region."""
        return np.array([r[2] - r[3] for r in self.regions])

    def net(self, x):
        """N_D - N_A [1/m^3] at positions ``x`` [m] (0 outside [lo, hi))."""
        x = np.asarray(x, dtype=np.float64)
        k = np.searchsorted(self.edges, x, side="right") - 1
        inside = (k >= 0) & (k < len(self.regions))
        return np.where(inside, self.net_by_region[np.clip(k, 0, len(self.regions) - 1)], 0.0)

    def cell_average(self, edges):
        """The mean net doping [1/m^3] over each cell between ``edges`` [m] (exact for the
        piecewise-constant profile): what a charge deposit on those cells should balance."""
        edges = np.asarray(edges, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError("edges must be an increasing 1-D array of >= 2 positions [m]")
        cum = np.concatenate([[0.0], np.cumsum(self.net_by_region * np.diff(self.edges))])
        integral = np.interp(np.clip(edges, self.lo, self.hi), self.edges, cum)
        return np.diff(integral) / np.diff(edges)

    def background(self, charge=_E):
        """The fixed charge density [C/m^3] of the ionized dopants, ``charge`` (N_D - N_A), as a
        callable of position [m] (the ``background`` of a Poisson field)."""
        q = _checks.finite("charge", charge)
        return lambda x: q * self.net(x)

    def total(self):
        """int (N_D - N_A) dx [1/m^2]: the carriers per unit area at neutrality."""
        return float(np.sum(self.net_by_region * np.diff(self.edges)))

    def contacts(self, temperature, weight, cell=None, rule="neutral"):
        """(left, right) :class:`pmc.Reservoir` of the end regions' net doping at
        ``temperature`` [J], markers of ``weight``; ``rule`` and ``cell`` [m] as for
        :class:`pmc.Reservoir`."""
        ends = self.net_by_region[[0, -1]]
        if np.any(ends <= 0):
            raise ValueError(f"the end regions must be n-type (net doping > 0) for ohmic "
                             f"contacts of electrons, got {ends.tolist()}")
        return tuple(Reservoir(density=float(n), temperature=temperature, weight=weight,
                               rule=rule, cell=cell) for n in ends)


@dataclass(frozen=True, eq=False)
class DopedEquilibrium(Distribution):
    """Carriers at equilibrium over a doping profile: density N_D - N_A in each region
    (charge neutrality; regions with net doping <= 0 hold none), positions uniform inside a
    region, momenta from exp(-E(p)/kT) of a parabolic, Kane or multi-valley band at rest,
    drawn exactly (:func:`pmc._kernels.inject.refill_band`; a multi-valley band: the valleys
    by their equilibrium populations, the markers' ``state`` the valley). Every marker of a
    region carries the same weight, so that each region holds its neutral charge exactly.

    Parameters
    ----------
    doping : Doping
    dispersion : pmc.bands.Parabolic, pmc.bands.Kane or pmc.bands.MultiValley
    temperature : float
        kT [J], > 0.
    momentum_dims : int
        Momentum dimensions, 1 or 3 (a multi-valley band: 3).
    profile : tuple (x, n), optional
        A carrier density n [1/m^3] tabulated at increasing x [m] (linear in between) to
        sample the positions from instead of the neutral doping, e.g. the equilibrium of
        :func:`drift_diffusion` (``(sol.x, sol.density)``): a run then starts without the
        transient of the space charge. Markers have equal weights.
    width : tuple (y_lo, y_hi), optional
        A two-dimensional device [m] across x, the doping uniform across it (Archimedes'
        diode, :class:`pmc.Injecting` with one extent per axis): positions uniform in
        [y_lo, y_hi), markers with dx = 2, weights per unit length along z [1/m] (the
        one-dimensional weight times the width). Default: one dimension, weights per unit
        area [1/m^2].
    """

    doping: Doping
    dispersion: object
    temperature: float
    momentum_dims: int = 3
    profile: object = None
    width: object = None

    def __post_init__(self):
        if self.width is not None:
            w = _checks.finite_array("width", self.width)
            if w.shape != (2,) or not w[1] > w[0]:
                raise ValueError(f"width must be a (y_lo, y_hi) pair [m] with y_hi > y_lo, got "
                                 f"{self.width!r}")
            object.__setattr__(self, "width", (float(w[0]), float(w[1])))
        if not isinstance(self.doping, Doping):
            raise ValueError(f"doping must be a pmc.devices.Doping, got {self.doping!r}")
        if not isinstance(self.dispersion, (Parabolic, Kane, MultiValley)):
            raise ValueError(f"dispersion must be pmc.bands.Parabolic, Kane or MultiValley, "
                             f"got {self.dispersion!r}")
        object.__setattr__(self, "temperature", _checks.positive("temperature",
                                                                 self.temperature))
        if self.momentum_dims not in (1, 3):
            raise ValueError(f"momentum_dims must be 1 or 3, got {self.momentum_dims!r}")
        if isinstance(self.dispersion, MultiValley) and self.momentum_dims != 3:
            raise ValueError(f"momentum_dims must be 3 for a MultiValley band, got "
                             f"{self.momentum_dims!r}")
        if self.profile is not None:
            px, pv = _profile(self.profile)
            if np.any(pv < 0):
                raise ValueError("profile values (densities [1/m^3]) must be >= 0")
            object.__setattr__(self, "profile", (px, pv))

    @property
    def dx(self):
        return 1 if self.width is None else 2

    @property
    def dp(self):
        return self.momentum_dims

    @property
    def total_weight(self):
        across = 1.0 if self.width is None else self.width[1] - self.width[0]
        if self.profile is not None:
            return across * _PiecewiseLinear(*self.profile).total
        return across * float(np.sum(np.maximum(self.doping.net_by_region, 0.0)
                                     * np.diff(self.doping.edges)))

    def _draw(self, rng, n):
        x, p, w, s = self._draw_along(rng, n)
        if self.width is None:
            return x, p, w, s
        lo, hi = self.width
        y = lo + (hi - lo) * rng.random(x.shape[1])
        return np.ascontiguousarray(np.vstack([x, y])), p, w * (hi - lo), s

    def counts(self, n):
        """Markers per region for ``n`` in all (proportional to the carriers; >= 1 in every
        region with carriers)."""
        held = np.maximum(self.doping.net_by_region, 0.0) * np.diff(self.doping.edges)
        share = held / held.sum()
        counts = np.floor(share * n).astype(np.int64)
        counts[(held > 0) & (counts == 0)] = 1
        short = n - counts.sum()
        if short > 0:  # the largest remainders
            order = np.argsort(-(share * n - np.floor(share * n)))
            counts[order[:short]] += 1
        return counts

    def _draw_along(self, rng, n):
        """(x (1, n), p, w per unit area, state) of the one-dimensional profile."""
        table, _ = Reservoir(temperature=self.temperature).emission(self.dispersion, self.dp)
        key = seed_to_int(int(rng.integers(1 << 62)))
        valleys = isinstance(self.dispersion, MultiValley)
        if self.profile is not None:
            x = np.empty((1, n))
            p = np.empty((self.dp, n))
            s = np.empty(n, np.int64)
            _inject.refill_band(key, 0, 0, 0.0, 1.0, self.temperature, table, x, p, s)
            x[0] = _PiecewiseLinear(*self.profile).draw(rng, n)
            return x, p, np.full(n, _PiecewiseLinear(*self.profile).total / n), \
                s if valleys else None
        counts = self.counts(n)
        x = np.empty((1, int(counts.sum())))
        p = np.empty((self.dp, x.shape[1]))
        w = np.empty(x.shape[1])
        s = np.empty(x.shape[1], np.int64)
        start = 0
        held = np.maximum(self.doping.net_by_region, 0.0) * np.diff(self.doping.edges)
        for k, ((lo, hi, _, _), c) in enumerate(zip(self.doping.regions, counts)):  # regions
            if c == 0:
                continue
            sl = slice(start, start + c)
            xs, ps = np.empty((1, c)), np.empty((self.dp, c))
            _inject.refill_band(key, 0, k, lo, hi, self.temperature, table, xs, ps, s[sl])
            x[:, sl], p[:, sl] = xs, ps
            w[sl] = held[k] / c
            start += c
        return x, p, w, s if valleys else None


# ============================================================================ drift-diffusion
def _bernoulli(z):
    """B(z) = z / (exp(z) - 1) and B'(z), stable near 0."""
    z = np.asarray(z, dtype=np.float64)
    small = np.abs(z) < 1e-5
    zs = np.where(small, 1.0, z)
    em1 = np.expm1(zs)
    b = np.where(small, 1.0 - 0.5 * z + z * z / 12.0, zs / em1)
    db = np.where(small, -0.5 + z / 6.0, (em1 - zs * np.exp(zs)) / (em1 * em1))
    return b, db


@dataclass
class DriftDiffusion:
    """A steady drift-diffusion solution (:func:`drift_diffusion`).

    Attributes
    ----------
    x : ndarray
        Nodes [m].
    potential : ndarray
        Electrostatic potential psi [V] (the Dirichlet values at the ends).
    density : ndarray
        Electron density n [1/m^3].
    current : float
        Electric current density along +x [A/m^2] (electrons flowing towards +x give a
        negative value).
    voltage : float
        Applied voltage on the high contact [V].
    iterations : int
        Newton iterations of the last voltage step.
    """

    x: np.ndarray
    potential: np.ndarray
    density: np.ndarray
    current: float
    voltage: float
    iterations: int

    @property
    def field(self):
        """E = -d psi / dx [V/m] at the midpoints."""
        return -np.diff(self.potential) / np.diff(self.x)

    @property
    def quasi_fermi(self):
        """Electron quasi-Fermi potential [V] up to a constant: psi - V_T ln n (flat at
        equilibrium)."""
        return self.potential - self._vt * np.log(self.density)

    _vt: float = 0.0


def drift_diffusion(doping, *, mobility, temperature, permittivity, voltage=0.0, nodes=401,
                    steps=None, tol=1e-10, max_iter=60):
    """Steady electron drift-diffusion in one dimension with ohmic contacts.

    Solves eps psi'' = e (n - N) and d J / dx = 0, J = e mu n E + e D n' (E = -psi',
    D = mu kT / e, the Einstein relation of non-degenerate carriers) on a uniform mesh, with
    the Scharfetter-Gummel flux between nodes, J_(i+1/2) = (e D / h) (n_(i+1) B(d) - n_i B(-d)),
    d = (psi_(i+1) - psi_i) / V_T, B(z) = z / (e^z - 1) (D. L. Scharfetter and H. K. Gummel,
    IEEE Trans. Electron Devices 16, 64 (1969); S. Selberherr, Analysis and Simulation of
    Semiconductor Devices, Springer 1984, ch. 6), by Newton's method on the coupled system
    (scipy.sparse.linalg.spsolve), the voltage ramped from equilibrium in ``steps``. Ohmic
    contacts: n = N and psi = V_T ln(N / N_0) (+ ``voltage`` on the high contact) at the two
    ends, N the net doping there, N_0 = 1 / m^3 (potentials are relative to that level).

    Parameters
    ----------
    doping : Doping
        Net doping N [1/m^3], > 0 at both ends.
    mobility : float or callable
        Electron mobility mu [m^2/(V s)], > 0: a constant, or a function of the driving field
        [V/m] (an array of them) returning the mobility there, e.g. a bulk v(E) / E. The
        driving field of a face is the gradient of the quasi-Fermi potential,
        |d (psi - V_T ln n) / dx| (zero at equilibrium, so the built-in fields of junctions do
        not lower it); the face mobilities are iterated with the solution to a fixed point.
    temperature : float
        kT [J], > 0.
    permittivity : float
        Absolute permittivity eps [F/m], > 0.
    voltage : float
        Voltage of the high contact [V] against the low one.
    nodes : int
        Mesh nodes, >= 5.
    steps : int, optional
        Voltage steps of the ramp (default: one per 0.05 V, at least 1).

    Returns
    -------
    DriftDiffusion
    """
    if not isinstance(doping, Doping):
        raise ValueError(f"doping must be a pmc.devices.Doping, got {doping!r}")
    if callable(mobility):
        mobility_of = mobility
        mu = float(np.asarray(mobility(np.zeros(1)), dtype=np.float64).ravel()[0])
        mu = _checks.positive("mobility at zero field", mu)
    else:
        mu = _checks.positive("mobility", mobility)
        mobility_of = None
    kT = _checks.positive("temperature", temperature)
    eps = _checks.positive("permittivity", permittivity)
    voltage = _checks.finite("voltage", voltage)
    nodes = _checks.count("nodes", nodes, minimum=5)
    if steps is None:
        steps = max(1, int(math.ceil(abs(voltage) / 0.05)))
    steps = _checks.count("steps", steps, minimum=1)
    x = np.linspace(doping.lo, doping.hi, nodes)
    h = x[1] - x[0]
    # node doping: the average over the node's box (interfaces get the mean of both sides)
    box = np.concatenate([[x[0]], 0.5 * (x[1:] + x[:-1]), [x[-1]]])
    N = doping.cell_average(box)
    if N[0] <= 0 or N[-1] <= 0:
        raise ValueError("the net doping must be > 0 at both contacts (n-type ohmic contacts)")
    vt = kT / _E
    scale = float(np.max(np.abs(N)))
    nn = N / scale  # scaled doping
    # scaled unknowns: u = psi / V_T, c = n / scale at the interior nodes
    lam = eps * vt / (_E * scale * h * h)  # Poisson's coefficient in these units
    u = np.log(np.maximum(N, 1e-300 * scale))  # quasi-neutral start (N_0 = 1 / m^3)
    u[N <= 0] = np.log(scale) - 30.0
    c = np.maximum(nn, 1e-30)
    u_lo, u_hi0 = u[0], u[-1]
    m = nodes - 2
    idx = np.arange(m)
    iterations = 0
    mf = np.ones(nodes - 1)  # face mobility / mu
    for k in range(1, steps + 1):
        u[-1] = u_hi0 + voltage * k / steps / vt
        for outer in range(1000 if mobility_of is not None else 1):
            iterations = _newton(u, c, nn, lam, mf, m, idx, tol, max_iter, voltage * k / steps)
            if mobility_of is None:
                break
            drive = np.abs(np.diff(u - np.log(c))) * vt / h
            new = np.asarray(mobility_of(drive), dtype=np.float64) / mu
            if not np.all(np.isfinite(new)) or np.any(new <= 0):
                raise ValueError("mobility(E) must return finite values > 0")
            change = float(np.max(np.abs(new - mf) / mf))
            mf = 0.5 * (mf + new)
            if change < 1e-6:  # the current to about that relative accuracy
                break
        else:
            raise RuntimeError(f"drift_diffusion: the field-dependent mobility did not settle "
                               f"at {voltage * k / steps:g} V")
    d = np.diff(u)
    bp, _ = _bernoulli(d)
    bm, _ = _bernoulli(-d)
    f = mf * (c[1:] * bp - c[:-1] * bm)
    D = mu * vt
    current = float(np.mean(f)) * _E * D * scale / h
    out = DriftDiffusion(x, u * vt, c * scale, current, voltage, iterations)
    out._vt = vt
    return out


def _newton(u, c, nn, lam, mf, m, idx, tol, max_iter, volts):
    """Newton's method on the scaled system (see :func:`drift_diffusion`), in place; returns the
    iterations. ``mf`` the face mobilities over the reference."""
    for it in range(max_iter):
        d = np.diff(u)  # per face
        bp, dbp = _bernoulli(d)
        bm, dbm = _bernoulli(-d)
        f = mf * (c[1:] * bp - c[:-1] * bm)  # scaled face flux
        # residuals at the interior nodes 1..m
        r_pois = lam * (u[2:] - 2.0 * u[1:-1] + u[:-2]) - (c[1:-1] - nn[1:-1])
        r_cont = f[1:] - f[:-1]
        # the Jacobian in the unknowns [u_1..u_m, c_1..c_m]
        # face j joins nodes j, j+1: df/du_(j+1) = c_(j+1) B'(d) + c_j B'(-d) = g_j,
        # df/du_j = -g_j, df/dc_(j+1) = B(d), df/dc_j = -B(-d)
        g = mf * (c[1:] * dbp + c[:-1] * dbm)
        bp, bm = mf * bp, mf * bm
        rows, cols, vals = [], [], []

        def add(r, cc, v, col0=0):
            ok = (cc >= 0) & (cc < m)  # unknown indices inside the block at col0
            rows.append(r[ok])
            cols.append(col0 + cc[ok])
            vals.append(np.broadcast_to(v, r.shape)[ok])

        # Poisson rows (0..m-1)
        add(idx, idx - 1, lam)
        add(idx, idx, -2.0 * lam)
        add(idx, idx + 1, lam)
        add(idx, idx, -1.0, m)
        # continuity rows (m..2m-1) for interior node a + 1: r = f[a + 1] - f[a], the right
        # face f[a + 1] joins nodes a + 1, a + 2, the left face f[a] nodes a, a + 1
        gl, gr = g[:-1], g[1:]
        add(m + idx, idx - 1, gl)
        add(m + idx, idx, -gr - gl)
        add(m + idx, idx + 1, gr)
        add(m + idx, idx - 1, bm[:-1], m)
        add(m + idx, idx, -bm[1:] - bp[:-1], m)
        add(m + idx, idx + 1, bp[1:], m)
        J = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                  np.concatenate(cols))),
                          shape=(2 * m, 2 * m))
        res = np.concatenate([r_pois, r_cont])
        step = spla.spsolve(J.tocsc(), -res)
        du, dc = step[:m], step[m:]
        # damping: potential updates limited to a few V_T, densities kept positive
        damp = min(1.0, 2.0 / max(float(np.max(np.abs(du))), 1e-300))
        neg = dc < 0
        if np.any(neg):
            damp = min(damp, 0.9 * float(np.min(c[1:-1][neg] / -dc[neg])))
        u[1:-1] += damp * du
        c[1:-1] += damp * dc
        if damp == 1.0 and float(np.max(np.abs(du))) < tol and \
                float(np.max(np.abs(dc) / c[1:-1])) < tol:
            return it + 1
    raise RuntimeError(f"drift_diffusion: Newton did not converge at {volts:g} V in "
                       f"{max_iter} iterations")
