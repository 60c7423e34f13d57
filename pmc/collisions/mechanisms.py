"""Continuous-momentum scattering mechanisms (docs/design.md §1, "Collisions", form 2).

A marker of momentum p jumps to p' at the golden-rule rate (paper eq. 47)

    W(p -> p') = (2 pi / hbar) |M(q)|^2 delta(eps(p') - eps(p) -+ hbar w),   q = (p' - p) / hbar,

whose integral over the final states, Gamma(p) = sum_p' W(p -> p'), is the total rate. Every
mechanism here has a closed-form Gamma(eps) from its matrix element and the density of final
states per spin and unit volume of the dp-dimensional momentum space,

    g_d(eps) = S_d p^(d-1) / ((2 pi hbar)^d v(p)),   S_1, S_2, S_3 = 2, 2 pi, 4 pi,

for a parabolic band (eps = p^2 / 2m) or a Kane band (eps (1 + alpha eps) = p^2 / 2m, where
v = p / (m (1 + 2 alpha eps))); the Bloch overlap factors of the Kane band are taken as 1, as in
C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983), section III.B. The dispersion is the
run's own (:class:`pmc.Hamiltonian`), given to :meth:`Mechanism.prepare`.

Final states are drawn per cell with the null-collision (self-scattering) technique against the
cell's majorant (the largest total rate among its markers, per octave of energy), exact for any
time step: see :mod:`pmc._kernels.scatter` (a constant rate, :class:`ElasticIsotropic`, is its
own majorant: no table is built, and every candidate is an event). With ``statistics="fermi"``
a final state is accepted with probability 1 - f(p'), f the occupation of its momentum bin
counted from the cell's markers (Pauli blocking; the bins of :mod:`pmc.collisions.occupation`,
shared with :class:`pmc.collisions.Binary`).

As in ensemble Monte Carlo codes (Jacoboni and Reggiani 1983; the Archimedes simulator,
``src/mcparameters.h``, tabulates the same acoustic, non-polar optical and Brooks-Herring rates
before its free-flight loop), the rates are closed-form functions of the energy; here they are
evaluated on the fly in the kernel rather than tabulated, so they hold for any energy.
"""
import math
from dataclasses import KW_ONLY, dataclass

import numpy as np

from .. import _checks, units
from .._kernels import BLOCK
from .._kernels import cells as _cells
from .._kernels import occupation as _occupation
from .._kernels import scatter as _scatter
from .._kernels.rng import SCATTERING, stream_key
from .._model import Model
from ..bands import Kane, Linear, Parabolic, Relativistic
from ..hamiltonian import Hamiltonian
from .base import Collision, JumpOperator, name_label
from .occupation import bin_width, equal_weight

__all__ = ["Mechanism", "ScatteringOperator", "ElasticIsotropic", "AcousticPhonon",
           "OpticalPhonon", "Impurity", "STATISTICS"]

#: Final-state statistics: none (classical) or Pauli blocking (fermi).
STATISTICS = ("classical", "fermi")


class _Band:
    """A parabolic (alpha = 0) or Kane band in ``d`` momentum dimensions, in numpy: the
    reference for the kernels' :func:`pmc._kernels.scatter.shell_dos` (module docstring)."""

    _SPHERE = {1: 2.0, 2: 2.0 * math.pi, 3: 4.0 * math.pi}

    def __init__(self, d, mass, alpha, hbar):
        self.d, self.mass, self.alpha, self.hbar = d, mass, alpha, hbar

    def momentum(self, eps):
        """|p| on the shell of energy eps: p^2 / 2m = eps (1 + alpha eps)."""
        e = np.maximum(eps, 0.0)
        return np.sqrt(2.0 * self.mass * e * (1.0 + self.alpha * e))

    def dos(self, eps):
        """g_d(eps) = S_d p^(d-1) / ((2 pi hbar)^d v), v = p / (m (1 + 2 alpha eps)); zero
        for eps <= 0."""
        p = self.momentum(eps)
        v = p / (self.mass * (1.0 + 2.0 * self.alpha * np.maximum(eps, 0.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self._SPHERE[self.d] * p ** (self.d - 1) / ((2.0 * math.pi * self.hbar) ** self.d
                                                            * v)
        return np.where((eps > 0) & (p > 0), g, 0.0)


@dataclass(frozen=True)
class Mechanism(Model, Collision):
    """Base class of the continuous-momentum mechanisms: the null-collision loop, Pauli blocking
    and the interface to the driver. The parameters below are keyword-only and common to every
    mechanism.

    Each subclass owns its physics: its docstring states the rate Gamma(eps) and the law of the
    final state, ``_rate_formula`` writes that rate in numpy (:meth:`reference_rates`), and
    ``_parameters`` encodes the constants of the formula for the kernels, whose code
    (``_kind``, one of the table ``ELASTIC, ACOUSTIC, OPTICAL, IMPURITY`` of
    :mod:`pmc._kernels.scatter`) selects the same formula in the compiled loops; a test holds
    :meth:`rates` (the kernels) to :meth:`reference_rates`.

    Parameters
    ----------
    name : str, optional
        Label in the output's ``mechanism`` dimension (distinct per mechanism of a run). Default:
        the mechanism's snake-case name, e.g. ``"optical_phonon"``.
    statistics : {"classical", "fermi"}
        ``"fermi"`` accepts each final state with probability 1 - f(p') (Pauli blocking).
    degeneracy : float
        g, internal states per momentum state (2 for spin 1/2), >= 1. Used with "fermi".
    capacity : int
        K, markers that fill one momentum bin (f = 1), >= 1. With "fermi" the bins are cubes of
        side dp = (K w (2 pi hbar)^d / (g V))^(1/d) [kg m/s] (w the common marker weight, V the
        cell volume [m^dx], d = markers.dp; :func:`pmc.collisions.occupation.bin_width`), so f
        = n / K for a bin of n markers and f <= 1 holds exactly. Larger K: finer statistics of
        f, coarser bins.
    """

    _: KW_ONLY
    name: str = None
    statistics: str = "classical"
    degeneracy: float = 2.0
    capacity: int = 16

    #: Names of the processes, in the order of the kernel's rates.
    processes = ("scattering",)
    _kind = -1
    _default_name = "mechanism"
    _bands = (Parabolic, Kane)
    _dims = (1, 2, 3)

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        name = self._default_name if self.name is None else self.name
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        set_("name", name)
        if self.statistics not in STATISTICS:
            raise ValueError(f"statistics must be one of {list(STATISTICS)}, got "
                             f"{self.statistics!r}")
        g = _checks.finite("degeneracy", self.degeneracy)
        if not g >= 1.0:
            raise ValueError(f"degeneracy must be >= 1 (2s + 1 for spin s), got "
                             f"{self.degeneracy!r}")
        set_("degeneracy", g)
        set_("capacity", _checks.count("capacity", self.capacity, minimum=1))

    # ------------------------------------------------------------------ encoding
    def _parameters(self, hbar):
        """float64 array of the kernel parameters (see :mod:`pmc._kernels.scatter`)."""
        raise NotImplementedError

    def _encode(self, hamiltonian, dp):
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"{type(self).__name__} needs the run's pmc.Hamiltonian for the "
                             f"band energy eps(p) (prepare(hamiltonian, cells, markers)), got "
                             f"{hamiltonian!r}")
        disp = hamiltonian.dispersion
        if not isinstance(disp, self._bands):
            raise ValueError(f"{type(self).__name__} needs a dispersion among "
                             f"{[b.__name__ for b in self._bands]}, got {type(disp).__name__}")
        if dp not in self._dims:
            raise ValueError(f"{type(self).__name__} needs markers with dp in "
                             f"{list(self._dims)} momentum components, got dp={dp}")
        mass = getattr(disp, "mass", 1.0)
        alpha = getattr(disp, "alpha", 0.0) if isinstance(disp, (Parabolic, Kane)) else 0.0
        bkind, bprm = hamiltonian.kernel_arguments()[:2]
        return (self._kind, self._parameters(hamiltonian.hbar), bkind, bprm, float(mass),
                float(alpha), float(hamiltonian.hbar))

    def _reference_energy(self, hamiltonian):
        """Energy [J] whose octaves are the bands of the majorant table: the mechanism's own
        scale (any positive value is exact; a natural one keeps the table's bands useful)."""
        raise NotImplementedError

    def _key(self, seed):
        return int(stream_key(int(seed), SCATTERING, name_label(self.name)))

    # ------------------------------------------------------------------ rates
    def rates(self, energy, hamiltonian, dp=3):
        """Total rate of each process [1/s] at band energies ``energy`` [J].

        Parameters
        ----------
        energy : array_like
            eps [J], >= 0.
        hamiltonian : pmc.Hamiltonian
            The band (parabolic or Kane) and hbar.
        dp : int
            Momentum dimensions of the markers (1, 2 or 3).

        Returns
        -------
        numpy.ndarray
            Shape ``(len(processes),) + energy.shape``.
        """
        e = np.atleast_1d(_checks.finite_array("energy", energy)).astype(np.float64)
        if np.any(e < 0):
            raise ValueError("energy must be >= 0")
        mkind, mprm, _, _, mass, alpha, hbar = self._encode(hamiltonian, dp)
        out = np.empty((2, e.size))
        _scatter.rates_of_energy(mkind, mprm, dp, mass, alpha, hbar, e.ravel(), out)
        return out[:len(self.processes)].reshape((len(self.processes),) + np.shape(energy))

    def reference_rates(self, energy, hamiltonian, dp=3):
        """:meth:`rates` written out in numpy from the formulas of the class docstring, apart
        from the kernels that the runs use (so that a test holds one against the other).
        Same parameters and result."""
        e = np.atleast_1d(_checks.finite_array("energy", energy)).astype(np.float64)
        mkind, mprm, _, _, mass, alpha, hbar = self._encode(hamiltonian, dp)
        band = _Band(dp, mass, alpha, hbar)
        out = np.array([np.broadcast_to(r, e.shape) for r in self._rate_formula(e, band)],
                       dtype=np.float64)
        return out.reshape((len(self.processes),) + np.shape(energy))

    def _rate_formula(self, eps, band):
        """The rate of each process at energies ``eps`` (numpy), for :meth:`reference_rates`."""
        raise NotImplementedError

    def total_rate(self, energy, hamiltonian, dp=3):
        """Gamma(eps) [1/s], the sum of :meth:`rates` over the processes."""
        return self.rates(energy, hamiltonian, dp).sum(axis=0)

    # ------------------------------------------------------------------ the run
    def prepare(self, hamiltonian, cells, markers):
        """The :class:`ScatteringOperator` of this mechanism for a run of ``hamiltonian`` (the
        band eps(p) and hbar; a parabolic or Kane band, or any band for
        :class:`ElasticIsotropic`) over ``cells`` with ``markers`` (their dp is checked)."""
        if cells is None:
            raise ValueError(f"{type(self).__name__} needs collision cells (pmc.Cells)")
        return ScatteringOperator(self, hamiltonian, cells, markers.dp)

    # ------------------------------------------------------------------ Pauli blocking
    def bin_width(self, markers, cells, hbar):
        """Side [kg m/s] of the momentum bins of the occupation (``statistics="fermi"``)."""
        if cells.ndim != markers.dx:
            raise ValueError(f"Pauli blocking needs cells over every position axis of the "
                             f"markers (cells.ndim = dx = {markers.dx}), got cells.ndim="
                             f"{cells.ndim}")
        return bin_width(equal_weight(markers), cells.volume, hbar=hbar,
                         degeneracy=self.degeneracy, capacity=self.capacity, dims=markers.dp)

    def occupation(self, markers, cells, *, hamiltonian):
        """Occupation f (dimensionless) of each marker's momentum bin in its cell, as the Pauli
        blocking counts it (n / K); NaN for markers outside the cells. Any dp."""
        width = self.bin_width(markers, cells, hamiltonian.hbar)
        order, start = cells.sort(markers)
        counts = np.full(markers.n, -1, np.int64)
        _occupation.bin_counts(markers.kernel_arrays().p, order, start, 1.0 / width, counts)
        f = counts / float(self.capacity)
        f[counts < 0] = np.nan
        return f


class ScatteringOperator(JumpOperator):
    """A :class:`Mechanism` prepared for a run: its parameters and band encoded for the kernels
    of :mod:`pmc._kernels.scatter`, and the counts of the last step.

    Attributes
    ----------
    last_counts : dict or None
        What :meth:`collide_counts` returned for the last step.
    """

    def __init__(self, mechanism, hamiltonian, cells, dp):
        super().__init__(mechanism, hamiltonian, cells)
        self.dp = dp
        self._code = mechanism._encode(hamiltonian, dp)
        self._inv_ref = 1.0 / mechanism._reference_energy(hamiltonian)
        self._last_counts = None
        self._last_events = None  # the events of a constant-rate step, its counts not built yet
        #: one constant rate: no per-marker rates or majorant table (:meth:`_collide_constant`)
        self._constant = (mechanism.statistics == "classical"
                          and self._code[0] == _scatter.ELASTIC)
        self._ncell = cells.count
        self._seed_key = (None, None)  # (seed, mechanism key) of the last step
        self._work = None  # per-marker work arrays, kept between steps (_classical_work)
        self._quiet_dt = (None, None)  # (dt, exp(-rate dt)) of a constant rate
        self._table = np.empty((self._ncell, _scatter.NBAND))
        self._quiet = np.empty((self._ncell, _scatter.NBAND))

    def _classical_work(self, markers):
        """(cell index, rate, band, tally) work arrays for the markers, allocated once per
        capacity of the markers (not per step)."""
        cap = markers.capacity
        if self._work is None or self._work[0].shape[0] < cap:
            self._work = (np.empty(cap, np.int64), np.empty(cap), np.empty(cap, np.int8),
                          np.zeros(((cap + BLOCK - 1) // BLOCK, _scatter.NTALLY), np.int64))
        return self._work

    @property
    def last_counts(self):
        """What :meth:`collide_counts` returned for the last step (None before the first)."""
        if self._last_events is not None:  # built when asked for, not per step
            events, self._last_events = self._last_events, None
            self._last_counts = {self.mechanism.processes[0]: events, "events": events,
                                 "blocked": 0, "candidates": events,
                                 "max_occupation": float("nan")}
        return self._last_counts

    def collide(self, markers, dt, seed, step):
        """Scatter the markers of every cell over a step ``dt`` [s] (in place).

        Returns
        -------
        int
            Number of real scattering events (self-scatterings and Pauli-blocked events are not
            counted).
        """
        if self._constant:
            return self._collide_constant(markers, dt, seed, step)
        return self.collide_counts(markers, dt, seed, step)["events"]

    def _collide_constant(self, markers, dt, seed, step):
        """:meth:`collide` at one constant rate (classical :class:`ElasticIsotropic`):
        :func:`pmc._kernels.scatter.scatter_constant_isotropic`, bitwise the general path (the
        per-step Python kept short: it runs between two pushes, with the caches they left)."""
        if markers.dp != self.dp:
            raise ValueError(f"{self.mechanism.name!r} was prepared for markers with "
                             f"dp={self.dp}, got dp={markers.dp}")
        if dt != self._quiet_dt[0]:
            dt = _checks.positive("dt", dt)
            rate = self._code[1][0]
            self._quiet_dt = (dt, float(np.exp(rate * -dt)))  # as np.exp of the table
        if type(step) is not int or step < 0:
            step = _checks.count("step", step, minimum=0)
        if self._seed_key[0] != seed:
            self._seed_key = (seed, self.mechanism._key(seed))
        x, lo, inv_h, shape = self.cells.kernel_arguments(markers)
        dt, quiet = self._quiet_dt
        events = int(_scatter.scatter_constant_isotropic(
            markers.kernel_arrays().p, markers.n, x, lo, inv_h, shape, self._code[1][0], quiet,
            dt, self._seed_key[1], step))
        self._last_events = events
        return events

    def collide_counts(self, markers, dt, seed, step):
        """As :meth:`collide`, returning the counts: one entry per process (e.g. "absorption",
        "emission"), "events" (their sum), "blocked" (real events refused by Pauli blocking),
        "candidates" (all candidate events, self-scatterings included) and "max_occupation"
        (the largest bin occupation f seen during the step with "fermi", NaN otherwise)."""
        mech, cells = self.mechanism, self.cells
        if markers.dp != self.dp:
            raise ValueError(f"{mech.name!r} was prepared for markers with dp={self.dp}, got "
                             f"dp={markers.dp}")
        mkind, mprm, bkind, bprm, mass, alpha, hbar = self._code
        dt = _checks.positive("dt", dt)
        step = _checks.count("step", step, minimum=0)
        if self._seed_key[0] != seed:
            self._seed_key = (seed, mech._key(seed))
        key = self._seed_key[1]
        n = markers.n
        p = markers.kernel_arrays().p
        ncell = self._ncell
        fmax = float("nan")
        inv_ref = self._inv_ref
        if self._constant:
            self._collide_constant(markers, dt, seed, step)
            return self.last_counts
        if mech.statistics == "classical":
            index, rate, band, tally = self._classical_work(markers)
            index = cells.index(markers, out=index)
            _scatter.marker_rates(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n, inv_ref,
                                  rate, band)
            table = _scatter.cell_band_table(index, band, rate, n, self._table)
            quiet = np.exp(np.multiply(table, -dt, out=self._quiet), out=self._quiet)
            tally = tally[:(n + BLOCK - 1) // BLOCK]  # column 2 (blocked) stays 0
            _scatter.scatter_independent(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n,
                                         index, band, table, quiet, inv_ref, dt, key, step, tally)
        else:
            index = cells.index(markers)
            order, start = _cells.sort_by_cell(index, ncell)
            inv_bin = 1.0 / mech.bin_width(markers, cells, hbar)
            tally = np.zeros((ncell, _scatter.NTALLY), np.int64)
            top = np.zeros(ncell, np.int64)
            _scatter.scatter_pauli(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, order, start,
                                   inv_ref, dt, key, step, inv_bin, mech.capacity, tally, top)
            fmax = float(top.max(initial=0)) / mech.capacity
        total = tally.sum(axis=0)
        out = {p: int(total[k]) for k, p in enumerate(mech.processes)}
        out.update(events=int(total[0] + total[1]), blocked=int(total[2]),
                   candidates=int(total[3]), max_occupation=fmax)
        self._last_counts, self._last_events = out, None
        return out


# ============================================================================ mechanisms
@dataclass(frozen=True)
class ElasticIsotropic(Mechanism):
    """Elastic scattering at a constant rate into a uniformly random direction.

    Gamma = rate for every state; the final momentum has the same magnitude, |p'| = |p| (so the
    same energy for any isotropic band), in a direction uniform on the sphere (dp = 3), the
    circle (dp = 2) or {-1, +1} (dp = 1). Since the mean final momentum is zero, the momentum
    relaxation time is tau = 1 / rate, the relaxation-time model of the Drude theory: a uniform
    force F gives the drift velocity F tau / m and, with the diffusion coefficient
    D = kT tau / m, the Einstein relation D = mu kT (N. W. Ashcroft and N. D. Mermin, Solid
    State Physics, 1976, ch. 1 and 13).

    Parameters
    ----------
    rate : float
        Scattering rate 1 / tau [1/s], > 0.

    Works with the Parabolic, Kane, Linear and Relativistic bands, in 1 to 3 momentum
    dimensions. Keyword options: see :class:`Mechanism`.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> mech = pmc.collisions.ElasticIsotropic(rate=2.0)
    >>> mech.total_rate([0.5, 1.0], H).tolist()
    [2.0, 2.0]
    """

    rate: float
    _kind = _scatter.ELASTIC
    _default_name = "elastic_isotropic"
    processes = ("elastic",)
    _bands = (Parabolic, Kane, Linear, Relativistic)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "rate", _checks.positive("rate", self.rate))

    def _parameters(self, hbar):
        return np.array([self.rate])

    def _rate_formula(self, eps, band):
        return (np.full(eps.shape, self.rate),)

    def _reference_energy(self, hamiltonian):
        return 1.0  # a constant rate: one band is as good as any


@dataclass(frozen=True)
class AcousticPhonon(Mechanism):
    """Acoustic-phonon scattering by the deformation potential, elastic, in equipartition.

    With kT >> hbar v_s q the phonon occupation is kT / (hbar v_s q) for emission and
    absorption alike, |M|^2 = D^2 kT / (rho v_s^2) (per unit volume) is independent of q, the
    energy exchanged is neglected and the final direction is isotropic:

        Gamma(eps) = (2 pi D^2 kT / (hbar rho v_s^2)) g_d(eps),

    g_d the density of states per spin (module docstring); in three dimensions and a parabolic
    band, Gamma = 2^(1/2) m^(3/2) kT D^2 eps^(1/2) / (pi hbar^4 rho v_s^2) (J. Bardeen and
    W. Shockley, Phys. Rev. 80, 72 (1950); Jacoboni and Reggiani 1983, section III.B).

    Parameters
    ----------
    deformation_potential : float
        D [J], > 0 (Si: 9 eV; GaAs: 7 eV).
    mass_density : float
        rho [kg/m^dp], > 0 (Si: 2329 kg/m^3).
    sound_velocity : float
        v_s [m/s], > 0 (longitudinal; Si: 9040 m/s).
    temperature : float
        Lattice temperature kT [J], > 0.

    Parabolic and Kane bands, dp = 1, 2, 3. In one dimension the final momentum is +-|p|
    (forward events included), and a marker at rest does not scatter. Keyword options: see
    :class:`Mechanism`.
    """

    deformation_potential: float
    mass_density: float
    sound_velocity: float
    temperature: float
    _kind = _scatter.ACOUSTIC
    _default_name = "acoustic_phonon"
    processes = ("elastic",)

    def __post_init__(self):
        super().__post_init__()
        for f in ("deformation_potential", "mass_density", "sound_velocity", "temperature"):
            object.__setattr__(self, f, _checks.positive(f, getattr(self, f)))

    def _parameters(self, hbar):
        return np.array([2.0 * math.pi * self.deformation_potential ** 2 * self.temperature
                         / (hbar * self.mass_density * self.sound_velocity ** 2)])

    def _rate_formula(self, eps, band):
        return (2.0 * math.pi * self.deformation_potential ** 2 * self.temperature
                / (band.hbar * self.mass_density * self.sound_velocity ** 2) * band.dos(eps),)

    def _reference_energy(self, hamiltonian):
        return self.temperature


@dataclass(frozen=True)
class OpticalPhonon(Mechanism):
    """Non-polar optical-phonon scattering: absorption and emission of a phonon hbar w.

    The deformation-potential coupling D_o gives a q-independent |M|^2 = hbar D_o^2
    (N_0 + 1/2 -+ 1/2) / (2 rho w), with the Bose occupation of the phonons at the lattice
    temperature N_0 = 1 / (exp(hbar w / kT) - 1), so

        Gamma_abs(eps) = (pi D_o^2 N_0 / (rho w)) g_d(eps + hbar w),
        Gamma_em(eps)  = (pi D_o^2 (N_0 + 1) / (rho w)) g_d(eps - hbar w)   (zero below hbar w),

    the final energy is eps +- hbar w exactly and the direction is isotropic (E. M. Conwell,
    High Field Transport in Semiconductors, Academic Press 1967; Jacoboni and Reggiani 1983,
    section III.B). The ratio of the rates obeys detailed balance, so electrons relax to
    the Maxwellian (or with Pauli blocking the Fermi-Dirac distribution) at the lattice
    temperature.

    Parameters
    ----------
    coupling : float
        Optical deformation potential D_o [J/m] ("D_t K"), > 0 (Si g-process: 11e10 eV/m).
    mass_density : float
        rho [kg/m^dp], > 0.
    energy : float
        Phonon energy hbar w [J], > 0 (Si: 63 meV; GaAs LO: 36 meV).
    temperature : float
        Lattice temperature kT [J], >= 0 (0: emission only).

    Processes: ``("absorption", "emission")``. Parabolic and Kane bands, dp = 1, 2, 3.
    Keyword options: see :class:`Mechanism`.

    Examples
    --------
    >>> import pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> op = pmc.collisions.OpticalPhonon(coupling=1.0, mass_density=1.0, energy=1.0,
    ...                                   temperature=1.0)
    >>> r = op.rates([0.5, 2.0], H)          # [absorption, emission] x energies
    >>> float(r[1, 0])                       # no emission below hbar w
    0.0
    """

    coupling: float
    mass_density: float
    energy: float
    temperature: float
    _kind = _scatter.OPTICAL
    _default_name = "optical_phonon"
    processes = ("absorption", "emission")

    def __post_init__(self):
        super().__post_init__()
        for f in ("coupling", "mass_density", "energy"):
            object.__setattr__(self, f, _checks.positive(f, getattr(self, f)))
        object.__setattr__(self, "temperature",
                           _checks.non_negative("temperature", self.temperature))

    @property
    def occupation_number(self):
        """Bose occupation N_0 = 1 / (exp(hbar w / kT) - 1) of the phonons (dimensionless)."""
        if self.temperature == 0.0:
            return 0.0
        return 1.0 / math.expm1(self.energy / self.temperature)

    def _parameters(self, hbar):
        omega = self.energy / hbar
        b = math.pi * self.coupling ** 2 / (self.mass_density * omega)
        n0 = self.occupation_number
        return np.array([b * n0, b * (n0 + 1.0), self.energy])

    def _rate_formula(self, eps, band):
        b = math.pi * self.coupling ** 2 / (self.mass_density * self.energy / band.hbar)
        n0 = self.occupation_number
        return (b * n0 * band.dos(eps + self.energy), b * (n0 + 1.0) * band.dos(eps - self.energy))

    def _reference_energy(self, hamiltonian):
        return self.energy


@dataclass(frozen=True)
class Impurity(Mechanism):
    """Ionized-impurity scattering, Brooks-Herring (screened Coulomb) model.

    Each impurity is the screened potential energy U(r) = C exp(-beta r) / r, with Fourier
    transform 4 pi C / (q^2 + beta^2); for N_I randomly placed impurities per unit volume the
    rate is elastic with

        W(k -> k') = (2 pi / hbar) N_I (4 pi C)^2 / (|k - k'|^2 + beta^2)^2 delta(eps' - eps),
        Gamma(eps) = (2 pi / hbar) N_I (4 pi C)^2 g_3(eps) / (beta^2 (beta^2 + 4 k^2)),

    k = |p| / hbar, and cos(theta) between p and p' is drawn exactly from
    1 / (2 k^2 (1 - cos theta) + beta^2)^2 (H. Brooks, Adv. Electron. Electron Phys. 7, 85
    (1955); Jacoboni and Reggiani 1983, section III.B). In SI, C = Z e^2 / (4 pi eps_0 eps_r)
    (:meth:`from_semiconductor`) and beta is the inverse Debye length. In one momentum dimension
    only back-scattering (q = 2k) changes the state: Gamma = (2 pi / hbar) N_I (4 pi C)^2
    g_1(eps) / (2 (beta^2 + 4 k^2)^2) and p' = -p (the q = 0 component is cancelled by the
    neutralising background).

    Parameters
    ----------
    density : float
        N_I, impurities per unit volume [1/m^dp], > 0.
    coupling : float
        C [J m^(dp-2)], > 0: the strength of the screened Coulomb energy U(r) = C e^(-beta r)/r.
    screening_wavenumber : float
        beta [1/m], > 0 (inverse screening length).

    Parabolic and Kane bands; dp = 1 or 3. Keyword options: see :class:`Mechanism`.
    """

    density: float
    coupling: float
    screening_wavenumber: float
    _kind = _scatter.IMPURITY
    _default_name = "impurity"
    processes = ("elastic",)
    _dims = (1, 3)

    def __post_init__(self):
        super().__post_init__()
        for f in ("density", "coupling", "screening_wavenumber"):
            object.__setattr__(self, f, _checks.positive(f, getattr(self, f)))

    @classmethod
    def from_semiconductor(cls, density, relative_permittivity, screening_length,
                           charge_number=1.0, **options):
        """Impurities of charge Z e in a dielectric, in SI units.

        Parameters
        ----------
        density : float
            N_I [1/m^3], > 0.
        relative_permittivity : float
            eps_r (dimensionless), > 0 (Si: 11.7; GaAs: 12.9).
        screening_length : float
            Debye (or Thomas-Fermi) length 1 / beta [m], > 0.
        charge_number : float
            Z (dimensionless), > 0.
        **options
            Keyword options of :class:`Mechanism`.
        """
        eps_r = _checks.positive("relative_permittivity", relative_permittivity)
        z = _checks.positive("charge_number", charge_number)
        length = _checks.positive("screening_length", screening_length)
        c = z * units.e ** 2 / (4.0 * math.pi * units.epsilon_0 * eps_r)
        return cls(density, c, 1.0 / length, **options)

    def _parameters(self, hbar):
        return np.array([2.0 * math.pi / hbar * self.density
                         * (4.0 * math.pi * self.coupling) ** 2,
                         self.screening_wavenumber ** 2])

    def _rate_formula(self, eps, band):
        c = 2.0 * math.pi / band.hbar * self.density * (4.0 * math.pi * self.coupling) ** 2
        b2 = self.screening_wavenumber ** 2
        k = band.momentum(eps) / band.hbar
        s = b2 + 4.0 * k * k
        if band.d == 3:
            return (c * band.dos(eps) / (b2 * s),)
        return (c * band.dos(eps) / (2.0 * s * s),)  # d = 1: back-scattering only

    def _reference_energy(self, hamiltonian):
        # the screening energy (hbar beta)^2 / 2m
        return (hamiltonian.hbar * self.screening_wavenumber) ** 2 / (
            2.0 * hamiltonian.dispersion.mass)
