"""Binary collisions among the markers of a cell (paper sections III-IV; docs/design.md §1,
"Collisions", form 3): Bird's no-time-counter DSMC with hard-sphere, variable-hard-sphere,
variable-soft-sphere and Maxwell-molecule cross sections, and Uehling-Uhlenbeck final-state
factors for fermions and bosons.

The homogeneous gas obeys (Uehling and Uhlenbeck, Phys. Rev. 43, 552 (1933))

    df1/dt = int d^3p2 dOmega |v1 - v2| sigma(g, chi) [f3 f4 (1 +- f1)(1 +- f2)
                                                       - f1 f2 (1 +- f3)(1 +- f4)],

with 1 +- f -> 1 for classical particles, 1 - f for fermions and 1 + f for bosons, f being the
occupation of a state (g (2 pi hbar)^-3 states per unit phase-space volume). The algorithm is in
:mod:`pmc._kernels.dsmc`; the occupations in :mod:`pmc.collisions.occupation`.

Cross sections are power laws sigma(g) g = a g^beta in the relative speed g = |v1 - v2|, which is
what the kernels take (``encode``); ``alpha`` sets the VSS deflection (1: isotropic).
"""
import dataclasses
import math
import time
import warnings
from dataclasses import KW_ONLY

import numpy as np

from .. import _checks
from .._kernels import cells as _cells
from .._kernels import dsmc as _dsmc
from .._kernels.rng import BINARY, stream_key
from .._model import Model
from ..bands import Parabolic
from ..hamiltonian import Hamiltonian
from .base import Collision, JumpOperator, name_label
from .occupation import bin_width, equal_weight

__all__ = ["Binary", "BinaryOperator", "CrossSection", "HardSphere", "VHS", "VSS", "MaxwellMolecules",
           "STATISTICS"]

#: Statistics of the colliding particles and their kernel codes.
STATISTICS = {"classical": _dsmc.CLASSICAL, "fermi": _dsmc.FERMI, "bose": _dsmc.BOSE}


class CrossSection(Model):
    """Base class: a total cross section sigma(g) [m^2] with sigma(g) g = a g^beta, and the
    scattering law (isotropic unless ``alpha`` != 1)."""

    def power_law(self, mass):
        """(a [m^(3 - beta) s^(beta - 1)], beta) of sigma(g) g = a g^beta for particles of mass
        ``mass`` [kg] (reduced mass m / 2)."""
        raise NotImplementedError

    @property
    def scattering_alpha(self):
        """VSS exponent alpha of cos(chi) = 2 u^(1/alpha) - 1 (1: isotropic)."""
        return 1.0

    def encode(self, mass):
        """float64 [a, beta, alpha] for the kernels."""
        a, beta = self.power_law(_checks.positive("mass", mass))
        return np.array([a, beta, self.scattering_alpha])

    def sigma(self, g, mass):
        """Total cross section sigma(g) [m^2] at relative speeds ``g`` [m/s] (array)."""
        a, beta = self.power_law(_checks.positive("mass", mass))
        g = np.asarray(g, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return a * g ** (beta - 1.0)

    def collision_frequency(self, density, temperature, mass):
        """Equilibrium collision frequency per particle nu = n <sigma g> [1/s] in a Maxwellian
        gas of number density ``density`` [1/m^3] and k_B T = ``temperature`` [J]:
        nu = n a (4 kT / m)^(beta/2) Gamma((3 + beta)/2) / Gamma(3/2) (the relative speed is
        Maxwellian with reduced mass m / 2). Hard spheres: 4 n d^2 sqrt(pi kT / m)."""
        n = _checks.positive("density", density)
        kt = _checks.positive("temperature", temperature)
        a, beta = self.power_law(_checks.positive("mass", mass))
        return (n * a * (4.0 * kt / mass) ** (0.5 * beta) * math.gamma(0.5 * (3.0 + beta))
                / math.gamma(1.5))


@dataclasses.dataclass(frozen=True)
class HardSphere(CrossSection):
    """Hard spheres: sigma = pi d^2, isotropic scattering (Bird 1994, section 1.5).

    Parameters
    ----------
    diameter : float
        d [m], > 0 (argon: 3.66e-10 m at 273 K).

    Examples
    --------
    >>> import pmc
    >>> hs = pmc.collisions.HardSphere(diameter=1.0)
    >>> round(float(hs.sigma(3.0, mass=1.0)), 6)
    3.141593
    """

    diameter: float

    def __post_init__(self):
        object.__setattr__(self, "diameter", _checks.positive("diameter", self.diameter))

    def power_law(self, mass):
        return math.pi * self.diameter ** 2, 1.0


@dataclasses.dataclass(frozen=True)
class VHS(CrossSection):
    """Variable hard sphere (Bird 1981; Bird 1994, eqs. 4.62-4.65): sigma = pi d^2 with

        d^2 = d_ref^2 (2 k T_ref / (m_r g^2))^(omega - 1/2) / Gamma(5/2 - omega),

    m_r = m / 2 the reduced mass, so that the viscosity goes as T^omega and a Maxwellian gas at
    T_ref collides as hard spheres of diameter d_ref: nu = 4 n d_ref^2 sqrt(pi k T_ref / m)
    (T / T_ref)^(1 - omega). Isotropic scattering. omega = 1/2 is a hard sphere, omega = 1 a
    Maxwell molecule.

    Parameters
    ----------
    diameter : float
        d_ref [m], > 0 (argon: 4.17e-10 m with omega = 0.81 at T_ref = 273 K).
    omega : float
        Viscosity-temperature exponent, 0.5 <= omega <= 1.
    t_ref : float
        Reference temperature as an energy k_B T_ref [J], > 0 (273 K:
        ``273.0 * pmc.units.k_B``); pmc gives every temperature in energy units.

    Examples
    --------
    >>> import pmc
    >>> vhs = pmc.collisions.VHS(diameter=1.0, omega=0.5, t_ref=2.0)   # a hard sphere
    >>> round(float(vhs.sigma(5.0, mass=1.0)), 6)
    3.141593
    """

    diameter: float
    omega: float
    t_ref: float

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("diameter", _checks.positive("diameter", self.diameter))
        omega = _checks.finite("omega", self.omega)
        if not 0.5 <= omega <= 1.0:
            raise ValueError(f"omega must be in [0.5, 1] (0.5: hard sphere, 1: Maxwell "
                             f"molecule), got {self.omega!r}")
        set_("omega", omega)
        set_("t_ref", _checks.positive("t_ref", self.t_ref))

    def power_law(self, mass):
        w = self.omega
        a = (math.pi * self.diameter ** 2 * (4.0 * self.t_ref / mass) ** (w - 0.5)
             / math.gamma(2.5 - w))
        return a, 2.0 - 2.0 * w


@dataclasses.dataclass(frozen=True)
class VSS(VHS):
    """Variable soft sphere (Koura and Matsumoto, Phys. Fluids A 3, 2459 (1991); Bird 1994,
    section 4.4): the VHS total cross section with anisotropic scattering,
    cos(chi) = 2 u^(1/alpha) - 1 (u uniform), chi the deflection of the relative velocity.

    Parameters
    ----------
    diameter, omega, t_ref
        As for :class:`VHS` ([m], dimensionless, [J]).
    alpha : float
        Scattering exponent, 1 <= alpha <= 2 (1: isotropic; argon 1.40).
    """

    alpha: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        alpha = _checks.finite("alpha", self.alpha)
        if not 1.0 <= alpha <= 2.0:
            raise ValueError(f"alpha must be in [1, 2], got {self.alpha!r}")
        object.__setattr__(self, "alpha", alpha)

    @property
    def scattering_alpha(self):
        return self.alpha


@dataclasses.dataclass(frozen=True)
class MaxwellMolecules(CrossSection):
    """Maxwell molecules with isotropic scattering: sigma(g) g = kappa, independent of g
    (J. C. Maxwell, Phil. Trans. R. Soc. 157, 49 (1867); the pseudo-Maxwell molecule of the
    Bobylev-Krook-Wu solution). The collision frequency per particle is n kappa.

    Parameters
    ----------
    kappa : float
        sigma g [m^3/s], > 0.

    Examples
    --------
    >>> import pmc
    >>> pmc.collisions.MaxwellMolecules(kappa=2.0).collision_frequency(3.0, 1.0, mass=1.0)
    6.0
    """

    kappa: float

    def __post_init__(self):
        object.__setattr__(self, "kappa", _checks.positive("kappa", self.kappa))

    def power_law(self, mass):
        return self.kappa, 0.0


@dataclasses.dataclass(frozen=True)
class Binary(Model, Collision):
    """Binary collisions among the markers of each cell, by Bird's no-time-counter scheme, with
    classical, Fermi-Dirac or Bose-Einstein statistics.

    In a cell of volume V with N markers of weight w, N (N - 1) / 2 * w (sigma g)_max B dt / V
    candidate pairs (plus the fraction carried from the previous step) are drawn per step and
    each accepted with probability sigma(g) g / (sigma g)_max times the Uehling-Uhlenbeck factor
    F / B: F = (1 - f3)(1 - f4) for fermions (B = 1), (1 + f3)(1 + f4) for bosons (B = the
    bound (1 + (c + 1)/K)^2 of F, c the fullest bin's count, raised mid-step if a bin fills),
    F = B = 1 classically (G. A. Bird, *Molecular Gas Dynamics and the Direct Simulation of Gas
    Flows*, Clarendon 1994, section 11.1; A. L. Garcia and W. Wagner, Phys. Rev. E 68, 056703
    (2003)). The running maximum (sigma g)_max of each cell and its fractional candidate are
    kept between steps (:meth:`BinaryOperator.state`). An accepted pair keeps its total momentum and the
    length of its relative momentum and scatters isotropically (or by the VSS law) in the
    centre-of-mass frame: momentum and energy p^2 / 2m are conserved pair by pair to round-off,
    the number of markers exactly.

    The occupation f of a final state is counted from the cell's markers in momentum cubes of
    side dp = (K w (2 pi hbar)^3 / (g V))^(1/3), so that K = ``bin_capacity`` markers fill a cube
    (f = count / K; see :mod:`pmc.collisions.occupation`); counts are updated after each
    collision, so a fermion bin that holds at most K markers (f <= 1) never receives more.

    Markers must have three momentum components (1D3V, 2D3V, 3D3V; a 0D gas is one cell over a
    periodic box) and, being one species, equal weights: markers of unequal weight are refused
    with a ValueError (the NTC rate and the pairwise exchange assume one weight). The band must
    be parabolic, eps = p^2 / 2m: the mass m and hbar are the run's Hamiltonian's
    (:meth:`prepare`), never given twice.

    Parameters
    ----------
    cross_section : HardSphere, VHS, VSS or MaxwellMolecules
        The collision cross section.
    mass : float, optional
        Deprecated: the mass is the band's (``pmc.bands.Parabolic(mass=...)`` of the run's
        Hamiltonian). If given, it must equal the band's mass (checked by :meth:`prepare`).
    statistics : {"classical", "fermi", "bose"}
        Final-state factors: none, (1 - f3)(1 - f4) or (1 + f3)(1 + f4).
    degeneracy : float
        g, internal states per momentum state (2s + 1), >= 1. Default 2 (as
        :class:`pmc.states.FermiDirac`); used by quantum statistics only.
    hbar : float, optional
        Deprecated: hbar is the Hamiltonian's. If given, it must equal the Hamiltonian's
        (checked by :meth:`prepare`).
    bin_capacity : int
        K, markers per full momentum bin, >= 1. Smaller K means finer bins (less smoothing of f
        over a bin, the method's only bias) at more noise in each f; the noise does not bias
        the factors. Default 4.
    reorder_every : int
        Every this many steps (at steps divisible by it), store the markers in cell order, as
        SPARTA's particle reordering does, so that a cell's markers lie together in memory
        and the sorts and collisions of the next steps read memory nearly in sequence; 0 never
        reorders. Reordering permutes the markers (their indices change; nothing else does)
        into new arrays: views of ``markers.positions`` etc. taken before a step are stale
        after it. Default 3 (the fastest on the SPARTA deck of ``benchmarks/bench_dsmc.py``,
        where a quarter of the markers change cell each step).
    name : str
        Label of the mechanism in the output (distinct per mechanism of a run).

    Examples
    --------
    >>> import numpy as np, pmc
    >>> gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=((0, 1), (0, 1), (0, 1)),
    ...                             density=1e4)
    >>> m = pmc.sample(gas, n=2000, seed=1)
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> coll = pmc.collisions.Binary(pmc.collisions.HardSphere(diameter=0.01))
    >>> run = coll.prepare(H, pmc.Cells([0, 0, 0], [1, 1, 1], 2), m)
    >>> before = m.momenta.sum(axis=0)
    >>> events = run.collide(m, dt=0.1, seed=1, step=0)
    >>> events > 0, bool(np.allclose(m.momenta.sum(axis=0), before, rtol=0, atol=1e-10))
    (True, True)
    """

    cross_section: CrossSection
    _: KW_ONLY
    mass: float = None
    statistics: str = "classical"
    degeneracy: float = 2.0
    hbar: float = None
    bin_capacity: int = 4
    reorder_every: int = 3
    name: str = "binary"

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        if not isinstance(self.cross_section, CrossSection):
            raise ValueError(f"cross_section must be one of pmc.collisions.HardSphere, VHS, "
                             f"VSS, MaxwellMolecules, got {self.cross_section!r}")
        for key in ("mass", "hbar"):
            if getattr(self, key) is not None:
                warnings.warn(f"Binary({key}=...) is deprecated: the {key} is the run's "
                              f"Hamiltonian's (checked equal when the run prepares the "
                              f"collisions)", DeprecationWarning, stacklevel=3)
                set_(key, _checks.positive(key, getattr(self, key)))
        if self.statistics not in STATISTICS:
            raise ValueError(f"statistics must be one of {list(STATISTICS)}, got "
                             f"{self.statistics!r}")
        g = _checks.finite("degeneracy", self.degeneracy)
        if not g >= 1.0:
            raise ValueError(f"degeneracy must be >= 1 (2s + 1 for spin s), got "
                             f"{self.degeneracy!r}")
        set_("degeneracy", g)
        set_("bin_capacity", _checks.count("bin_capacity", self.bin_capacity, minimum=1))
        set_("reorder_every", _checks.count("reorder_every", self.reorder_every, minimum=0))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

    def __repr__(self):
        extra = "" if self.statistics == "classical" else (
            f", degeneracy={self.degeneracy!r}, bin_capacity={self.bin_capacity!r}")
        return (f"Binary({self.cross_section!r}, statistics={self.statistics!r}{extra}, "
                f"name={self.name!r})")

    def momentum_bin(self, weight, volume, hbar):
        """Side dp [kg m/s] of the momentum bins used for the occupations, for markers of
        weight ``weight`` in cells of volume ``volume`` [m^dx] and Planck constant ``hbar``
        [J s]."""
        return bin_width(weight, volume, hbar=hbar, degeneracy=self.degeneracy,
                         capacity=self.bin_capacity)

    def prepare(self, hamiltonian, cells, markers):
        """The :class:`BinaryOperator` of these collisions for a run of ``hamiltonian`` (a
        parabolic band: its mass and hbar) over ``cells``, with ``markers`` (dp = 3)."""
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"binary collisions need the run's pmc.Hamiltonian (its band's "
                             f"mass and hbar), got {hamiltonian!r}")
        band = hamiltonian.dispersion
        if not isinstance(band, Parabolic):
            raise ValueError(f"binary collisions conserve p^2 / 2m pair by pair: they need a "
                             f"parabolic band (pmc.bands.Parabolic), got "
                             f"{type(band).__name__}")
        if self.mass is not None and not math.isclose(self.mass, band.mass, rel_tol=1e-12):
            raise ValueError(f"Binary(mass={self.mass!r}) differs from the band's mass "
                             f"{band.mass!r}; leave mass out (it is the band's)")
        if self.hbar is not None and not math.isclose(self.hbar, hamiltonian.hbar,
                                                      rel_tol=1e-12):
            raise ValueError(f"Binary(hbar={self.hbar!r}) differs from the Hamiltonian's hbar "
                             f"{hamiltonian.hbar!r}; leave hbar out")
        if cells is None:
            raise ValueError("binary collisions need collision cells (pmc.Cells)")
        _check_markers(markers)
        return BinaryOperator(self, hamiltonian, cells)


def _check_markers(markers):
    if markers.dp != 3:
        raise ValueError(f"binary collisions need three momentum components (dp = 3: 1D3V, "
                         f"2D3V or 3D3V), got dp={markers.dp}")


class NTCOperator(JumpOperator):
    """The bookkeeping of a no-time-counter operator (:class:`BinaryOperator`,
    :class:`pmc.collisions.mixture.BinaryMixtureOperator`): per cell a row of majorants
    (sigma g)_max [m^3/s] and fractional candidates (shape :meth:`_majorant_shape` after the
    cell axis; SPARTA's ``vremax``/``remain``, src/collide_vss.cpp), checkpointed by
    :meth:`state`, persistent marker-sized work buffers, and the checks that open a step."""

    def __init__(self, mechanism, hamiltonian, cells):
        super().__init__(mechanism, hamiltonian, cells)
        self._majorant = None
        self._remainder = None
        self._index = None
        self._order = None

    def _majorant_shape(self):
        """Shape of one cell's majorant row after the cell axis: () (one per cell)."""
        return ()

    def _arrays(self, ncell):
        if self._majorant is None or self._majorant.shape[0] != ncell:
            shape = (ncell,) + self._majorant_shape()
            self._majorant = np.zeros(shape)
            self._remainder = np.zeros(shape)

    def _buffer(self, name, shape, dtype):
        """A persistent work array of at least ``shape`` (reused between steps: no fresh
        marker-sized allocation, hence no page faults, per step)."""
        buf = getattr(self, name)
        if (buf is None or buf.shape[-1] < shape[-1] or buf.shape[:-1] != shape[:-1]
                or buf.dtype != dtype):
            buf = np.empty(shape, dtype)
            setattr(self, name, buf)
        return buf

    def _begin(self, dt, step):
        """(dt, step) checked, the majorants sized to the cells, the step counted."""
        dt = _checks.positive("dt", dt)
        step = _checks.count("step", step, minimum=0)
        self._arrays(self.cells.count)
        self.stats["steps"] += 1
        return dt, step

    def state(self):
        """The per-cell majorants (sigma g)_max [m^3/s] and fractional candidates of the NTC
        scheme (one per cell, or per cell and species pair for a mixture)."""
        if self._majorant is None:
            return {}
        return {"majorant": self._majorant.copy(), "remainder": self._remainder.copy()}

    def set_state(self, arrays):
        """Restore what :meth:`state` returned."""
        if not arrays:
            self._majorant = None
            self._remainder = None
            return
        maj = np.array(arrays["majorant"], dtype=np.float64)
        rem = np.array(arrays["remainder"], dtype=np.float64)
        row = self._majorant_shape()
        if maj.ndim != 1 + len(row) or maj.shape[1:] != row or rem.shape != maj.shape:
            want = "(ncell,)" if not row else f"(ncell, {', '.join(map(str, row))})"
            raise ValueError(f"state arrays must be {want} each, got {maj.shape} and "
                             f"{rem.shape}")
        self._majorant = maj
        self._remainder = rem


class BinaryOperator(NTCOperator):
    """:class:`Binary` collisions prepared for a run: the kernel's cross-section code, the
    per-cell majorants and fractional candidates (:meth:`state`), work buffers reused between
    steps, and counters.

    Attributes
    ----------
    mass, hbar : float
        The band's mass [kg] and the Hamiltonian's hbar [J s].
    stats : dict
        Cumulative counts since preparation: ``steps``, ``candidates``, ``events`` (accepted
        pair collisions), ``accepted_classically`` (candidates that passed the sigma g test,
        before the final-state factor), ``blocked`` (of those, refused by the final-state
        factor), ``clipped`` (candidates whose sigma g exceeded the cell's majorant, which was
        then raised; should be a tiny fraction), and ``seconds_sort`` (weight check, cell
        index, sort and reordering) and ``seconds_collide`` [s].
    """

    def __init__(self, mechanism, hamiltonian, cells):
        super().__init__(mechanism, hamiltonian, cells)
        self.mass = float(hamiltonian.dispersion.mass)
        self.hbar = float(hamiltonian.hbar)
        self._code = mechanism.cross_section.encode(self.mass)
        self._label = BINARY + name_label(mechanism.name)
        self._tally = None
        self._sized = None  # (capacity, cells) of the sort's buffers
        self._start = None
        self.stats = dict.fromkeys(("steps", "candidates", "events", "accepted_classically",
                                    "blocked", "clipped"), 0) | {"seconds_sort": 0.0,
                                                                  "seconds_collide": 0.0}

    def _arrays(self, ncell):
        super()._arrays(ncell)
        if self._tally is None or self._tally.shape[0] != ncell:
            self._tally = np.zeros((ncell, _dsmc.NTALLY), np.int64)

    def _sort(self, markers, cells, inverse=False):
        """(order, start) as ``cells.sort(markers)`` gives them, into persistent buffers, and
        the range (min, max) of the weights; if ``inverse``, ``self._index`` receives each
        marker's position in the order (for :meth:`pmc.Markers.reorder`)."""
        n = markers.n
        if cells.ndim != markers.dx:
            raise ValueError(f"binary collisions need cells over every position axis of the "
                             f"markers (the density in a cell is sum(w) / volume): cells.ndim "
                             f"must be dx = {markers.dx}, got cells.ndim={cells.ndim}")
        # 32-bit cell and marker indices where they fit: half the memory traffic of the sort
        # and of the collision kernel's member lists
        if self._sized != (markers.capacity, cells.count):  # the buffers, once per capacity
            itype = np.int32 if max(markers.capacity, cells.count + 1) < 2**31 else np.int64
            self._buffer("_index", (markers.capacity,), itype)
            self._buffer("_order", (markers.capacity,), itype)
            self._start = np.empty(cells.count + 1, np.int64)
            self._sized = (markers.capacity, cells.count)
        order, start = self._order, self._start
        x, lo, inv_h, shape = cells.kernel_arguments(markers)
        total, w_min, w_max = _cells.sort_markers(x, markers.kernel_arrays().w, n, lo, inv_h,
                                                  shape, self._index, order, start, inverse)
        return order[:total], start, (w_min, w_max)

    def collide(self, markers, dt, seed, step):
        """Collide the markers of every cell over one step, in place (see :class:`Binary`);
        arguments as in :meth:`pmc.collisions.JumpOperator.collide`, the markers with dp = 3
        and equal weights. Returns the number of pair collisions.

        Every ``reorder_every`` steps the markers are stored in cell order
        (:meth:`pmc.Markers.reorder`), the collision kernel writing the new momenta in that
        order straight into the markers' spare array.
        """
        _check_markers(markers)
        mech, cells = self.mechanism, self.cells
        dt, step = self._begin(dt, step)
        if markers.n < 2:
            return 0
        started = time.perf_counter()
        reorder = bool(mech.reorder_every) and step % mech.reorder_every == 0
        order, start, weight_range = self._sort(markers, cells, inverse=reorder)
        w = equal_weight(markers, weight_range)
        volume = cells.volume
        p = markers.kernel_arrays().p
        if reorder:  # the new momenta go out in cell order, the markers of no cell after them
            order = self._order[:markers.n]
            out = markers.spare_momenta()
        else:
            out = p
        sorted_at = time.perf_counter()
        quantum = mech.statistics != "classical"
        inv_dp = 1.0 / mech.momentum_bin(w, volume, self.hbar) if quantum else 1.0
        a, beta, alpha = self._code
        key = stream_key(int(seed), int(step), self._label)
        tally = _dsmc.collide(p, order, start, key, w * dt / volume,
                              1.0 / self.mass, a, beta, alpha, STATISTICS[mech.statistics],
                              inv_dp, 1.0 / mech.bin_capacity, self._majorant,
                              self._remainder, self._tally, out, reorder)
        done = time.perf_counter()
        if reorder:  # each marker to its position in the order, the momenta already there
            markers.reorder(self._index[:markers.n], momenta=out,
                            equal_weights=weight_range[0] == weight_range[1], check=False)
        reordered = time.perf_counter()
        sums = np.add.reduce(tally, axis=0).tolist()  # Python ints
        events, accepted = sums[_dsmc.T_EVENTS], sums[_dsmc.T_ACCEPTED_CLASSICALLY]
        s = self.stats
        s["candidates"] += sums[_dsmc.T_CANDIDATES]
        s["events"] += events
        s["accepted_classically"] += accepted
        s["blocked"] += accepted - events
        s["clipped"] += sums[_dsmc.T_CLIPPED]
        s["seconds_sort"] += sorted_at - started + reordered - done
        s["seconds_collide"] += done - sorted_at
        return events

