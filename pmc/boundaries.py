"""Walls of the simulation box: periodic, reflecting (specular), absorbing (the outgoing weight is
tallied per side, so transmission and reflection coefficients are outputs) and injecting (an
absorbing wall backed by a thermal reservoir, as a device contact is); for gases, walls with a
temperature and a velocity that re-emit what hits them (Maxwell's diffuse/specular model,
:class:`Diffuse`, and Cercignani-Lampis-Lord, :class:`CLL`; the momentum and energy given to each
side are outputs) and freestream faces (:class:`Freestream`: inflow of a drifting Maxwellian,
outflow of what leaves).

A boundary with scalar ``lo``, ``hi`` applies to every position axis; give sequences for a
different box per axis, or a tuple of boundaries, one per axis, to mix kinds.
"""
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad

from . import _checks
from ._kernels import inject as _inject
from ._kernels import push as _push
from ._kernels import walls as _walls
from ._model import Model
from .bands import Kane, MultiValley, Parabolic

__all__ = ["Boundary", "Periodic", "Reflecting", "Absorbing", "Injecting", "Reservoir",
           "Diffuse", "CLL", "Freestream", "OutsideWallsWarning", "check_inside", "OUTSIDE",
           "RULES", "kane_partition", "kane_flux_per_density"]

#: What to do with markers outside the walls at the start: refuse them, or remove them (with an
#: :class:`OutsideWallsWarning` giving their count and weight).
OUTSIDE = ("error", "remove")


class OutsideWallsWarning(UserWarning):
    """Markers outside the walls at the start were removed (``outside="remove"``)."""


@dataclass(frozen=True)
class Boundary(Model):
    """Walls at ``lo`` and ``hi`` [m] (numbers, or one per axis)."""

    lo: object = 0.0
    hi: object = 1.0
    code = _push.OPEN

    def __post_init__(self):
        lo = np.atleast_1d(_checks.finite_array("lo", self.lo))
        hi = np.atleast_1d(_checks.finite_array("hi", self.hi))
        if lo.ndim != 1 or hi.ndim != 1 or lo.size > 3 or hi.size > 3:
            raise ValueError("lo and hi must be numbers or sequences of 1 to 3 numbers")
        lo, hi = np.broadcast_arrays(lo, hi)
        if not np.all(hi > lo):
            raise ValueError(f"hi must be > lo on every axis, got lo={self.lo!r}, hi={self.hi!r}")
        object.__setattr__(self, "lo", tuple(float(v) for v in lo) if lo.size > 1 else float(lo[0]))
        object.__setattr__(self, "hi", tuple(float(v) for v in hi) if hi.size > 1 else float(hi[0]))

    def extent(self, axis):
        """(lo, hi) [m] on ``axis``."""
        lo = self.lo[axis] if isinstance(self.lo, tuple) else self.lo
        hi = self.hi[axis] if isinstance(self.hi, tuple) else self.hi
        return lo, hi

    def codes(self, axis=0):
        """Wall kinds at (lo, hi) of ``axis`` for the kernels."""
        return self.code, self.code

    def naxes(self):
        """Number of axes given explicitly (1 for scalars: applies to every axis)."""
        return len(self.lo) if isinstance(self.lo, tuple) else 1


class Periodic(Boundary):
    """x leaving at hi re-enters at lo and vice versa."""

    code = _push.PERIODIC


class Reflecting(Boundary):
    """Specular reflection: x is mirrored into the box, the normal momentum reversed."""

    code = _push.REFLECTING


class Absorbing(Boundary):
    """Markers leaving the box are removed; their weight is tallied per side."""

    code = _push.ABSORBING


#: Contact rules of a :class:`Reservoir`: the one-sided thermal flux through the wall, or the
#: ohmic contact that keeps its cell neutral.
RULES = ("flux", "neutral")


@dataclass(frozen=True)
class Reservoir(Model):
    """A thermal reservoir behind a wall: the equilibrium of the run's band.

    The band is the Hamiltonian's: parabolic (a drifting Maxwellian, any number of momentum
    dimensions), Kane (at rest, 1 or 3 momentum dimensions; the parabolic band is its
    alpha = 0) or multi-valley (:class:`pmc.bands.MultiValley`, at rest, 3 momentum
    dimensions: the valleys populated by degeneracy x partition function x exp(-Delta/kT), the
    markers' ``state`` their valley). Two contact rules:

    * ``"flux"``: markers cross the wall as a Poisson process at the reservoir's one-sided
      thermal flux (:meth:`flux`), with the flux-weighted distribution of the band, sampled
      exactly (:mod:`pmc._kernels.inject`);
    * ``"neutral"``: the ohmic contact of device Monte Carlo: the thermal flux as above, and
      after every push the contact cell, the ``cell`` [m] next to the wall, brought back to
      neutrality, its weight to the reservoir's density times ``cell`` (the donor density of
      an n+ contact): the missing markers are created uniformly in the cell from the band's
      equilibrium, markers in excess are removed at random. GNU Archimedes keeps its contact
      cells neutral this way, creating the missing super-particles every step with a thermal
      distribution (``src/ensemblemontecarlo.h``, ``EMC``; ``src/particle_creation.c``,
      ``create_edge_particle``), as do Fischetti and Laux (Phys. Rev. B 38, 9721 (1988)).
      Here the thermal flux gives the cell the distribution a reservoir behind the wall
      would; a cell that is only topped up and never trimmed is biased towards an excess by its
      count's fluctuations (markers are added whenever it falls short): at equilibrium that
      showed as a potential step of 0.2 kT/e at the contacts of the Si diode
      (validation/si_diode.py), which the flux plus the two-sided correction removes. With a
      multi-valley band the created markers take the valleys by their equilibrium
      populations.

    Parameters
    ----------
    density : float
        Number density n [1/m^dx], > 0.
    temperature : float
        k_B T [J], > 0.
    mass : float, optional
        Band-edge mass [kg], > 0; None (default): the band's; given, it must equal the band's
        (a multi-valley band: None).
    weight : float
        Physical particles per injected marker, > 0.
    drift : float
        Drift velocity along +x [m/s] (parabolic band, "flux" rule only).
    rule : {"flux", "neutral"}
        The contact rule (above).
    cell : float, optional
        Width [m] of the contact cell of the "neutral" rule, > 0 (required there).
    """

    density: float = 1.0
    temperature: float = 1.0
    mass: float = None
    weight: float = 1.0
    drift: float = 0.0
    rule: str = "flux"
    cell: float = None

    def __post_init__(self):
        for name in ("density", "temperature", "weight"):
            object.__setattr__(self, name, _checks.positive(name, getattr(self, name)))
        if self.mass is not None:
            object.__setattr__(self, "mass", _checks.positive("mass", self.mass))
        object.__setattr__(self, "drift", _checks.finite("drift", self.drift))
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {list(RULES)}, got {self.rule!r}")
        if self.rule == "neutral":
            if self.cell is None:
                raise ValueError("cell (the width of the contact cell [m], > 0) is required with "
                                 "rule=\"neutral\"")
            object.__setattr__(self, "cell", _checks.positive("cell", self.cell))
            if self.drift != 0.0:
                raise ValueError(f"drift must be 0 with rule=\"neutral\" (the contact cell holds "
                                 f"the equilibrium at rest), got {self.drift!r}")
        elif self.cell is not None:
            raise ValueError("cell is the contact cell of rule=\"neutral\"; rule=\"flux\" takes "
                             "none")

    @property
    def thermal_velocity(self):
        """sigma = sqrt(kT / m) [m/s] (needs ``mass``)."""
        if self.mass is None:
            raise ValueError("thermal_velocity needs the reservoir's mass (given, or "
                             "band_parameters() of the run's band)")
        return math.sqrt(self.temperature / self.mass)

    def band_parameters(self, dispersion, dp):
        """(mass [kg], alpha [1/J]) of the band the reservoir emits: ``dispersion`` (the run's)
        must be parabolic or Kane; a Kane band needs ``dp`` 1 or 3 and no drift; a given
        ``mass`` must equal the band's. (A multi-valley band: :meth:`emission`.)"""
        if isinstance(dispersion, Parabolic):
            mass, alpha = dispersion.mass, 0.0
        elif isinstance(dispersion, Kane):
            mass, alpha = dispersion.mass, dispersion.alpha
        else:
            raise ValueError(f"a Reservoir emits the equilibrium of a Parabolic, Kane or "
                             f"MultiValley band; the Hamiltonian's dispersion is "
                             f"{type(dispersion).__name__}")
        if self.mass is not None and not np.isclose(self.mass, mass, rtol=1e-12):
            raise ValueError(f"reservoir mass {self.mass} differs from the band mass {mass}")
        exact = isinstance(dispersion, Parabolic) and self.rule == "flux"
        if not exact:
            if dp not in (1, 3):
                raise ValueError(f"a Reservoir of a Kane band (or rule=\"neutral\") needs 1 or 3 "
                                 f"momentum dimensions, got dp={dp}")
            self._at_rest("a Kane band")
        return mass, alpha

    def _at_rest(self, what):
        if self.drift != 0.0:
            raise ValueError(f"drift must be 0 for a Reservoir of {what}, got {self.drift!r}")

    def emission(self, dispersion, dp):
        """(table, flux per density) of the band's equilibrium at rest for the injection
        kernels (:func:`pmc._kernels.inject.inject_band`, :func:`~pmc._kernels.inject.refill_band`):
        ``table`` float64 (nvalley, NCOL), one row per valley (a Kane or parabolic band: one);
        the flux per density [m/s] is the one-sided flux through a wall normal to x over the
        density (:meth:`flux` / ``density``).

        A :class:`pmc.bands.MultiValley` band needs ``dp`` = 3 and takes no ``mass``: valley v
        holds the fraction d_v Z_v exp(-Delta_v / kT) / sum (degeneracy, partition function of
        its Kane band of mass m_d, minimum), and its flux per density is
        sqrt(m_d (M_v^-1)_xx) F(m_d, alpha_v) / Z_v (see :mod:`pmc._kernels.inject`).
        """
        kT = self.temperature
        if not isinstance(dispersion, MultiValley):
            mass, alpha = self.band_parameters(dispersion, dp)
            table = np.zeros((1, _inject.NCOL))
            table[0, [_inject.FLUX, _inject.POP, _inject.MD, _inject.ALPHA, _inject.SPEED]] = (
                1.0, 1.0, mass, alpha, 1.0)
            table[0, _inject.A0:] = np.eye(3).ravel()
            return table, kane_flux_per_density(kT, mass, alpha, dp)
        if dp != 3:
            raise ValueError(f"a Reservoir of a MultiValley band needs 3 momentum dimensions, "
                             f"got dp={dp}")
        if self.mass is not None:
            raise ValueError(f"a Reservoir of a MultiValley band takes its masses from the "
                             f"valleys: mass must be None, got {self.mass!r}")
        self._at_rest("a MultiValley band")
        nv = len(dispersion)
        table = np.zeros((nv, _inject.NCOL))
        held = np.empty(nv)
        out = np.empty(nv)
        e_min = min(v.energy for v in dispersion.valleys)
        for k, v in enumerate(dispersion.valleys):
            md = v.density_of_states_mass
            T, Tinv = v.transform()
            t = T[:, 0]  # T^T e_x
            speed = float(np.linalg.norm(t))
            n = t / speed
            trial = np.array([0.0, 1.0, 0.0]) if abs(n[1]) < 0.9 else np.array([0.0, 0.0, 1.0])
            e1 = trial - (trial @ n) * n
            e1 /= np.linalg.norm(e1)
            frame = np.column_stack([n, e1, np.cross(n, e1)])
            table[k, _inject.MD] = md
            table[k, _inject.ALPHA] = v.alpha
            table[k, _inject.SPEED] = speed
            table[k, _inject.A0:] = (Tinv @ frame).ravel()
            held[k] = (v.degeneracy * kane_partition(kT, md, v.alpha, 3)
                       * math.exp(-(v.energy - e_min) / kT))
            out[k] = held[k] * speed * kane_flux_per_density(kT, md, v.alpha, 3)
        table[:, _inject.POP] = np.cumsum(held) / held.sum()
        table[:, _inject.FLUX] = np.cumsum(out) / out.sum()
        return table, float(out.sum() / held.sum())

    def flux(self, direction, dispersion=None, dp=3):
        """Particles per unit area and time [1/(m^(dx-1) s)] entering a wall that faces
        ``direction`` (+1: the reservoir is on the low side, -1: on the high side).

        For the parabolic band (``dispersion`` None or Parabolic) the drifting Maxwellian's
        n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2), a = drift / sigma. For a
        Kane band eps (1 + alpha eps) = p^2/2m at rest, n F / Z with F = int_(v_x > 0) v_x
        exp(-eps/kT) d^dp p in closed form (dp = 3: 2 pi m (kT)^2 (1 + 2 alpha kT); dp = 1:
        kT) and the partition function Z = int exp(-eps/kT) d^dp p by quadrature. For a
        multi-valley band the sum over the valleys (:meth:`emission`).
        """
        if dispersion is None:
            sigma = self.thermal_velocity
            return _inject.flux_density(self.density, sigma, direction * self.drift / sigma)
        if not isinstance(dispersion, MultiValley):
            mass, alpha = self.band_parameters(dispersion, dp)
            if alpha == 0.0:
                sigma = math.sqrt(self.temperature / mass)
                return _inject.flux_density(self.density, sigma, direction * self.drift / sigma)
        return self.density * self.emission(dispersion, dp)[1]


def kane_partition(kT, mass, alpha, dp):
    """Z = int exp(-eps(p)/kT) d^dp p [(kg m/s)^dp] of a Kane band over all momenta, dp = 1 or 3
    (scipy.integrate.quad over |p| in units of sqrt(2 m kT))."""
    p0 = math.sqrt(2.0 * mass * kT)

    def integrand(u):
        g = u * u * kT  # gamma = p^2 / 2m [J]
        e = 2.0 * g / (1.0 + math.sqrt(1.0 + 4.0 * alpha * g))
        return (u * u if dp == 3 else 1.0) * math.exp(-e / kT)

    val = quad(integrand, 0.0, math.inf, epsabs=0.0, epsrel=1e-12, limit=200)[0]
    return (4.0 * math.pi * p0 ** 3 if dp == 3 else 2.0 * p0) * val


def kane_flux_per_density(kT, mass, alpha, dp):
    """One-sided flux per unit density [m/s] of a Kane band's equilibrium at rest through a
    wall: F / Z (see :meth:`Reservoir.flux`)."""
    f = 2.0 * math.pi * mass * kT * kT * (1.0 + 2.0 * alpha * kT) if dp == 3 else kT
    return f / kane_partition(kT, mass, alpha, dp)


@dataclass(frozen=True)
class Injecting(Boundary):
    """Contacts: walls at ``lo`` and ``hi`` along x with a :class:`Reservoir` behind either or
    both. A contact absorbs what reaches it and injects the reservoir's one-sided flux: markers
    arrive as a Poisson process and stream freely from the wall for the rest of their first
    step. A side without a reservoir is a plain wall, absorbing or reflecting.

    In two or three position dimensions (``lo``, ``hi`` one number per axis) the contacts are
    the two faces normal to x, each spanning the whole box across (y, z), and the other faces
    are insulating: specular reflection (GNU Archimedes' ``INSULATOR`` sides mirror the
    position and reverse k normal to the side, ``src/drift.h``, and are Neumann sides of its
    Poisson equation, ``src/electrostatics.c``; here the Neumann sides of a
    :class:`pmc.fields.Poisson`). A marker enters at a uniformly drawn point of the face (as
    Archimedes' ``create_edge_particle`` draws it uniformly across its contact node's cell);
    reservoir densities are then per unit volume of the physical device (1/m^3; weights per
    unit length along z in 2-D) and the terminal currents are charge per second through the
    whole face (per unit length along z in 2-D).

    Parameters
    ----------
    lo, hi : float or sequence of float
        Wall positions [m]: numbers (one position dimension) or one per axis (2 or 3), the
        contacts at x = lo[0] and x = hi[0].
    left, right : Reservoir or {"absorbing", "reflecting"}
        What is behind the low and the high wall (default "absorbing": no reservoir).
    charge : float
        Charge carried per unit marker weight [C] (electrons: -pmc.units.e), finite and
        non-zero: the terminal currents of a run (``contact_current``, ``ramo_current``) are
        in charge per second.
    """

    left: object = "absorbing"
    right: object = "absorbing"
    charge: float = 1.0
    _WALLS = {"absorbing": _push.ABSORBING, "reflecting": _push.REFLECTING}

    def __post_init__(self):
        super().__post_init__()
        for name in ("left", "right"):
            r = getattr(self, name)
            if r is None:
                object.__setattr__(self, name, "absorbing")
            elif not isinstance(r, Reservoir) and r not in self._WALLS:
                raise ValueError(f"{name} must be a pmc.Reservoir, 'absorbing' or 'reflecting', "
                                 f"got {r!r}")
        charge = _checks.finite("charge", self.charge)
        if charge == 0.0:
            raise ValueError("charge must be finite and non-zero [C per unit weight], got 0")
        object.__setattr__(self, "charge", charge)

    def codes(self, axis=0):
        if axis > 0:  # insulating sides
            return _push.REFLECTING, _push.REFLECTING
        return tuple(_push.ABSORBING if isinstance(r, Reservoir) else self._WALLS[r]
                     for r in (self.left, self.right))

    def face_area(self):
        """Area [m^(dx-1)] of a contact face: the product of the box's transverse extents
        (1 in one position dimension)."""
        return float(np.prod([self.extent(a)[1] - self.extent(a)[0]
                              for a in range(1, self.naxes())]))

    def reservoirs(self):
        """[(side, wall, direction, reservoir)] for the reservoirs present."""
        out = []
        lo, hi = self.extent(0)
        if isinstance(self.left, Reservoir):
            out.append((0, lo, 1.0, self.left))
        if isinstance(self.right, Reservoir):
            out.append((1, hi, -1.0, self.right))
        return out


def _pair(name, value, check):
    """(lo, hi) from a value for both sides or a pair, each checked by ``check``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(check(name, v) for v in value)
    v = check(name, value)
    return v, v


def _velocity(name, value):
    """A wall velocity: 0 or a 3-vector [m/s]."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        if float(a) != 0.0:
            raise ValueError(f"{name} must be 0 or a vector of 3 components [m/s] (the wall "
                             f"moves along its plane), got {value!r}")
        return (0.0, 0.0, 0.0)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a vector of 3 finite components [m/s], got {value!r}")
    return tuple(float(v) for v in a)


def _velocities(value):
    """(v_lo, v_hi) from one velocity for both walls (0 or a 3-vector) or a pair of them."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(_velocity("velocity", v) for v in value)
    v = _velocity("velocity", value)
    return v, v


def _accommodation(name, value):
    v = _checks.finite(name, value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return v


@dataclass(frozen=True)
class GasWall(Boundary):
    """A wall with a temperature and a velocity that re-emits the gas molecules hitting it
    (base of :class:`Diffuse` and :class:`CLL`; needs a parabolic band: v = p / m, and 3
    momentum components)."""

    temperature: object = 1.0
    velocity: object = 0.0

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "temperature", _pair("temperature", self.temperature,
                                                      _checks.positive))
        object.__setattr__(self, "velocity", _velocities(self.velocity))

    def _accommodations(self, side):
        raise NotImplementedError

    def wall_parameters(self, axis):
        """Parameters of the (lo, hi) sides on ``axis`` for the kernel: float64 (2, NPRM)."""
        out = np.zeros((2, _walls.NPRM))
        for side in range(2):
            u = self.velocity[side]
            if u[axis] != 0.0:
                raise ValueError(f"velocity of the {('lo', 'hi')[side]} wall on axis "
                                 f"{'xyz'[axis]} must lie in the wall's plane (its "
                                 f"{'xyz'[axis]} component 0), got {u}")
            out[side, _walls.KT] = self.temperature[side]
            out[side, _walls.U0:_walls.U2 + 1] = u
            out[side, _walls.A0:] = self._accommodations(side)
        return out


@dataclass(frozen=True)
class Diffuse(GasWall):
    """Maxwell's gas-surface model: walls at ``lo`` and ``hi`` with a temperature and a velocity
    (moving walls); a molecule hitting a wall is re-emitted diffusely with probability
    ``accommodation`` (a half-Maxwellian at the wall's temperature in the wall's frame, drawn
    exactly: flux-weighted normal speed, Maxwellian tangential components) and specularly
    otherwise (SPARTA's ``surf_collide diffuse``, src/surf_collide_diffuse.cpp).

    Parameters
    ----------
    lo, hi : float or sequence
        Wall positions [m] (numbers: every axis; or one per axis).
    temperature : float or (float, float)
        k_B T of the (lo, hi) walls [J], > 0 (e.g. ``300 * pmc.units.K``).
    velocity : 0, 3-vector or (3-vector, 3-vector)
        Velocity of the (lo, hi) walls [m/s], in their plane (the normal component 0).
    accommodation : float or (float, float)
        Fraction re-emitted diffusely, in [0, 1] (1: full accommodation, 0: specular).

    Examples
    --------
    >>> import pmc
    >>> plates = pmc.Diffuse(0.0, 1e-3, temperature=273 * pmc.units.K,
    ...                      velocity=((0, -50, 0), (0, 50, 0)))
    >>> plates.accommodation
    (1.0, 1.0)
    """

    accommodation: object = 1.0
    code = _walls.DIFFUSE

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "accommodation", _pair("accommodation", self.accommodation,
                                                        _accommodation))

    def _accommodations(self, side):
        return (self.accommodation[side], 0.0)


@dataclass(frozen=True)
class CLL(GasWall):
    """The Cercignani-Lampis-Lord gas-surface model (C. Cercignani and M. Lampis, Transp. Theory
    Stat. Phys. 1, 101 (1971); R. G. Lord, Phys. Fluids A 3, 706 (1991); SPARTA's
    ``surf_collide cll``): walls with a temperature and a velocity re-emitting with the
    accommodation coefficients of the normal and the tangential kinetic energy.

    Parameters
    ----------
    lo, hi, temperature, velocity
        As for :class:`Diffuse`.
    normal : float or (float, float)
        alpha_n in [0, 1], the accommodation coefficient of the normal energy.
    tangential : float or (float, float)
        alpha_t in [0, 1], of the tangential energy; the tangential momentum accommodation is
        1 - sqrt(1 - alpha_t). alpha_n = alpha_t = 0 is specular reflection, both 1 diffuse.
    """

    normal: object = 1.0
    tangential: object = 1.0
    code = _walls.CLL

    def __post_init__(self):
        super().__post_init__()
        for name in ("normal", "tangential"):
            object.__setattr__(self, name, _pair(name, getattr(self, name), _accommodation))

    def _accommodations(self, side):
        return (self.normal[side], self.tangential[side])


@dataclass(frozen=True)
class Freestream(Boundary):
    """Freestream faces at ``lo`` and ``hi`` of an axis (SPARTA's ``fix emit/face``): the
    molecules of a drifting Maxwellian (density, velocity in any direction, temperature; one
    state for both faces, or one per face, as the upstream and downstream states of a shock)
    enter through the inflow faces with the exact one-sided flux, markers arriving as a Poisson
    process at uniform points of the face and streaming freely for the rest of their first
    step (the normal velocity from the flux-weighted drifting Maxwellian, the tangential ones
    Maxwellian); whatever reaches a face leaves (outflow). Needs a parabolic band whose mass is
    ``mass`` (or, with ``mixture``, the mixture's :class:`pmc.bands.SpeciesMasses` band), and 3
    momentum components.

    A mixture (``mixture`` and ``fractions``) enters species by species, each with the flux of
    its own partial density and thermal speed sqrt(kT / m_s), as markers of its species'
    weight, in state s (its index in the mixture); a rotating species (``rotational_dof`` 2)
    enters with the equilibrium rotational energy at the face temperature (exponential, mean
    kT: the flux weights the velocity only), the others with internal energy 0.

    Parameters
    ----------
    lo, hi : float or sequence
        Face positions [m].
    density : float or (float, float)
        Number density n [1/m^3; with dx < 3 per unit length or area of the axes not
        simulated] outside the (lo, hi) faces, > 0 (with a mixture: of all species together).
    velocity : 3-vector or (3-vector, 3-vector)
        Flow velocity [m/s].
    temperature : float or (float, float)
        k_B T [J], > 0.
    mass : float, optional
        Molecular mass [kg], > 0; default the band's (a run checks that they agree). Not with
        ``mixture`` (each species has its own).
    weight : float
        Molecules per injected marker, > 0. Not with ``mixture`` (each species has its own).
    inflow : {"both", "lo", "hi", "none"}
        Faces that inject (all faces let molecules out).
    mixture : pmc.Mixture, optional
        The species (masses, weights, rotational degrees of freedom); the run's band must be
        ``mixture.band``.
    fractions : dict or sequence of float, or a pair of them, optional
        Mole fractions n_s / n, >= 0, summing to 1 (within 1e-9): a dict by species name (a
        species left out has none) or one value per species in mixture order; or a pair of
        these, one per face (lo, hi), as ``density`` takes one per face. Required with
        ``mixture``. Stored as a pair (lo, hi) of tuples in mixture order.
    """

    density: object = 1.0
    velocity: object = (0.0, 0.0, 0.0)
    temperature: object = 1.0
    mass: float = None
    weight: float = 1.0
    inflow: str = "both"
    mixture: object = None
    fractions: object = None
    code = _push.ABSORBING
    INFLOW = {"both": (0, 1), "lo": (0,), "hi": (1,), "none": ()}

    def __post_init__(self):
        super().__post_init__()
        for name in ("density", "temperature"):
            object.__setattr__(self, name, _pair(name, getattr(self, name), _checks.positive))
        for name in ("mass", "weight"):
            if name != "mass" or self.mass is not None:
                object.__setattr__(self, name, _checks.positive(name, getattr(self, name)))
        v = self.velocity
        pair = isinstance(v, (tuple, list)) and len(v) == 2
        vs = []
        for u in (v if pair else (v, v)):
            a = np.asarray(u, dtype=float)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                raise ValueError(f"velocity must be a vector of 3 finite components [m/s] (or "
                                 f"one per face), got {self.velocity!r}")
            vs.append(tuple(float(c) for c in a))
        object.__setattr__(self, "velocity", tuple(vs))
        if self.inflow not in self.INFLOW:
            raise ValueError(f"inflow must be one of {list(self.INFLOW)}, got {self.inflow!r}")
        self._check_mixture()

    def _check_mixture(self):
        mix = self.mixture
        if mix is None:
            if self.fractions is not None:
                raise ValueError("fractions need mixture= (the species they refer to)")
            return
        if not (hasattr(mix, "band") and hasattr(mix, "names")):
            raise ValueError(f"mixture must be a pmc.Mixture, got {mix!r}")
        if self.mass is not None:
            raise ValueError("mass is not used with mixture= (each species has its own)")
        if self.fractions is None:
            raise ValueError("a mixture needs fractions= (the mole fraction of each species)")
        f = self.fractions
        per_face = (isinstance(f, (tuple, list)) and len(f) == 2
                    and all(isinstance(v, dict) or np.ndim(v) == 1 for v in f))
        x = (tuple(_composition(mix, v, f"fractions[{side}]") for side, v in zip(("lo", "hi"), f))
             if per_face else (_composition(mix, f, "fractions"),) * 2)
        object.__setattr__(self, "fractions", x)  # a pair, as density and temperature

    def fraction(self, side, species):
        """Mole fraction of ``species`` (mixture order) outside face ``side`` (0: lo, 1: hi);
        1 without a mixture."""
        if self.mixture is None:
            return 1.0
        return self.fractions[side][species]

    @property
    def species(self):
        """Number of species entering (1 without a mixture)."""
        return 1 if self.mixture is None else len(self.mixture.names)

    def _mass(self, species):
        if self.mixture is not None:
            return float(self.mixture.masses[species])
        if self.mass is None:
            raise ValueError("Freestream without a mass: give mass= (or run it, which takes "
                             "the band's)")
        return self.mass

    def species_weight(self, species=0):
        """Molecules per injected marker of ``species`` (its Species weight in a mixture)."""
        return self.weight if self.mixture is None else float(self.mixture.weights[species])

    def rotational_dof(self, species=0):
        """Rotational degrees of freedom of ``species`` (0 without a mixture)."""
        return 0 if self.mixture is None else int(self.mixture.band.rotational_dof[species])

    def thermal_velocity(self, side, species=0):
        """sigma = sqrt(kT / m) [m/s] of the state outside face ``side`` (0: lo, 1: hi), for
        the mass of ``species`` (mixture order; 0 for a single gas)."""
        return math.sqrt(self.temperature[side] / self._mass(species))

    def flux(self, axis, side, species=None):
        """Molecules per unit area and time entering through face ``side`` (0: lo, 1: hi)
        normal to ``axis``: n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2),
        a = +-u_axis / sigma (the closed form of the one-sided flux of a drifting Maxwellian)
        [1/(m^2 s)]; in a mixture that of ``species`` (partial density x_s n, its own sigma),
        or of all species together (None)."""
        if species is None and self.mixture is not None:
            return sum(self.flux(axis, side, s) for s in range(self.species))
        s = 0 if species is None else species
        sigma = self.thermal_velocity(side, s)
        direction = 1.0 if side == 0 else -1.0
        n = self.density[side] * self.fraction(side, s)
        return _inject.flux_density(n, sigma, direction * self.velocity[side][axis] / sigma)


def _composition(mixture, value, name):
    """Mole fractions in mixture order from a dict by species name or a sequence, checked
    (>= 0, summing to 1 within 1e-9); ``name`` names the parameter in errors."""
    names = mixture.names
    if isinstance(value, dict):
        for key in value:
            mixture.index(key)
        x = [value.get(n, 0.0) for n in names]
    else:
        x = list(np.atleast_1d(np.asarray(value, dtype=float)))
        if len(x) != len(names):
            raise ValueError(f"{name} must give one value per species ({len(names)}: "
                             f"{list(names)}), got {value!r}")
    x = tuple(_checks.non_negative(f"{name}[{n}]", float(v)) for n, v in zip(names, x))
    if not abs(sum(x) - 1.0) <= 1e-9:
        raise ValueError(f"{name} must sum to 1, got {sum(x)!r}")
    return x


def encode_walls(boundary, dx):
    """(kinds int64[3, 2], lo[3], hi[3]) for the push kernel from a boundary, a tuple of one
    boundary per axis, or None (open)."""
    kinds = np.zeros((3, 2), np.int64)
    lo = np.zeros(3)
    hi = np.zeros(3)
    if boundary is None:
        return kinds, lo, hi
    if isinstance(boundary, Boundary):
        per_axis = [boundary] * dx
        if boundary.naxes() not in (1, dx):
            raise ValueError(f"boundary gives {boundary.naxes()} axes but the markers have "
                             f"dx={dx}")
        axes = list(range(dx)) if boundary.naxes() == dx else [0] * dx
    else:
        per_axis = list(boundary)
        if len(per_axis) != dx or not all(isinstance(b, Boundary) for b in per_axis):
            raise ValueError(f"boundary must be a pmc boundary or a tuple of {dx} of them "
                             f"(one per axis), got {boundary!r}")
        if any(b.naxes() != 1 for b in per_axis):
            raise ValueError("each boundary of a per-axis tuple takes scalar lo and hi")
        axes = [0] * dx
    for k, (b, a) in enumerate(zip(per_axis, axes)):
        kinds[k] = b.codes(a)
        lo[k], hi[k] = b.extent(a)
    return kinds, lo, hi


def check_inside(boundary, markers, outside="error"):
    """Refuse (or remove) markers outside the walls of ``boundary`` (None: no walls).

    A marker is outside when a position component lies below ``lo`` or above ``hi`` on an axis
    with walls. Walls act on markers that cross them during a step, so a marker outside at the
    start would be counted as absorbed (absorbing) or folded back from far away (reflecting):
    ``outside="error"`` raises a ValueError naming the axis, the number of markers outside and
    the worst position; ``outside="remove"`` removes them from ``markers`` (in place) and warns
    with their count and weight (:class:`OutsideWallsWarning`).

    Returns
    -------
    int
        The number of markers removed.
    """
    if outside not in OUTSIDE:
        raise ValueError(f"outside must be one of {list(OUTSIDE)}, got {outside!r}")
    if boundary is None or markers.n == 0:
        return 0
    kinds, lo, hi = encode_walls(boundary, markers.dx)
    x = markers.kernel_arrays().x[:, :markers.n]
    bad = np.zeros(markers.n, dtype=bool)
    parts = []
    for k in range(markers.dx):  # over the axes (1 to 3)
        if not kinds[k].any():
            continue
        out = (x[k] < lo[k]) | (x[k] > hi[k])
        count = int(np.count_nonzero(out))
        if count:
            far = x[k][out]
            worst = far[np.argmax(np.maximum(lo[k] - far, far - hi[k]))]
            parts.append(f"on axis {'xyz'[k]} {count} marker{'s lie' if count > 1 else ' lies'} "
                         f"outside the walls [{lo[k]:.6g}, {hi[k]:.6g}] (the worst at "
                         f"{'xyz'[k]} = {worst:.6g})")
            bad |= out
    if not parts:
        return 0
    total = int(np.count_nonzero(bad))
    if outside == "error":
        raise ValueError(f"{total} marker{'s' if total > 1 else ''} outside the walls at the "
                         f"start: {'; '.join(parts)}. Place every marker inside the box, or "
                         f"pass outside=\"remove\" to remove them (and report their weight)")
    weight = float(np.sum(markers.w[bad]))
    total_weight = markers.total_weight
    markers.remove(np.flatnonzero(bad))
    warnings.warn(f"removed {total} marker{'s' if total > 1 else ''} outside the walls at the "
                  f"start, of weight {weight:.6g} ({weight / total_weight:.3g} of the total "
                  f"{total_weight:.6g}): {'; '.join(parts)}", OutsideWallsWarning, stacklevel=3)
    return total
