"""Band dispersions eps(p) and group velocities v(p) = d eps / dp.

One class per model. Momenta are in kg m/s, energies in J, velocities in m/s (or any consistent
system of units). Every model is isotropic except :class:`TightBinding`, which is a sum over the
momentum axes. The formulas are evaluated in :mod:`pmc._kernels.models`; the classes hold and
check the parameters and hand (code, parameters) down to the kernels.
"""
from dataclasses import dataclass

import numpy as np

from . import _checks
from ._kernels import evaluate, models
from ._kernels import stateful as _stateful
from ._kernels import valleys as _valleys
from ._model import Model, components, from_components

__all__ = ["Dispersion", "Parabolic", "Kane", "Linear", "TightBinding", "Relativistic", "Valley",
           "MultiValley", "SpeciesMasses"]


class Dispersion(Model):
    """Base class: ``energy(p)`` and ``velocity(p)`` over arrays of shape (n,) or (n, d)."""

    kind: int = -1

    def encode(self, hbar):
        """(kind, float64 parameters) for the kernels; ``hbar`` [J s] for models that need it."""
        raise NotImplementedError

    def energy(self, p, hbar=1.0):
        """eps(p) [J] for momenta ``p`` [kg m/s] of shape (n,) or (n, d); returns (n,)."""
        pc, shape = components("p", p)
        kind, prm = self.encode(hbar)
        out = evaluate.energy_array(kind, prm, _stateful.NO_STATE, pc, np.empty(pc.shape[1]))
        return out if len(shape) else out[0]

    def velocity(self, p, hbar=1.0):
        """v(p) = d eps / dp [m/s], same shape as ``p``."""
        pc, shape = components("p", p)
        kind, prm = self.encode(hbar)
        out = evaluate.velocity_array(kind, prm, _stateful.NO_STATE, pc, np.empty_like(pc))
        return from_components(out, shape)


@dataclass(frozen=True)
class Parabolic(Dispersion):
    """eps = p^2 / 2m.

    Parameters
    ----------
    mass : float
        Effective mass m [kg], > 0.
    """

    mass: float = 1.0
    kind = models.PARABOLIC

    def __post_init__(self):
        object.__setattr__(self, "mass", _checks.positive("mass", self.mass))

    def encode(self, hbar):
        return self.kind, np.array([self.mass])


@dataclass(frozen=True)
class Kane(Dispersion):
    """Kane's non-parabolic band: eps (1 + alpha eps) = p^2 / 2m.

    eps = 2 gamma / (1 + sqrt(1 + 4 alpha gamma)) with gamma = p^2 / 2m, and
    v = p / (m (1 + 2 alpha eps)) (C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983)).

    Parameters
    ----------
    mass : float
        Band-edge effective mass m [kg], > 0.
    alpha : float
        Non-parabolicity [1/J], >= 0 (GaAs: 0.64 / eV; Si: 0.5 / eV).
    """

    mass: float = 1.0
    alpha: float = 0.0
    kind = models.KANE

    def __post_init__(self):
        object.__setattr__(self, "mass", _checks.positive("mass", self.mass))
        object.__setattr__(self, "alpha", _checks.non_negative("alpha", self.alpha))

    def encode(self, hbar):
        return self.kind, np.array([self.mass, self.alpha])


@dataclass(frozen=True)
class Linear(Dispersion):
    """Massless quasiparticles: eps = c |p|, v = c p / |p| (v = 0 at p = 0).

    Parameters
    ----------
    speed : float
        c [m/s], > 0 (graphene: about 1e6 m/s).
    """

    speed: float = 1.0
    kind = models.LINEAR

    def __post_init__(self):
        object.__setattr__(self, "speed", _checks.positive("speed", self.speed))

    def encode(self, hbar):
        return self.kind, np.array([self.speed])


@dataclass(frozen=True)
class TightBinding(Dispersion):
    """Nearest-neighbour cosine band: eps = sum_i 2 J (1 - cos(p_i a / hbar)).

    The band bottom is at p = 0 with effective mass hbar^2 / (2 J a^2); the width per axis is 4 J.

    Parameters
    ----------
    hopping : float
        J [J], > 0.
    lattice_constant : float
        a [m], > 0. The momentum period is 2 pi hbar / a, with ``hbar`` taken from the
        :class:`pmc.Hamiltonian`.
    """

    hopping: float = 1.0
    lattice_constant: float = 1.0
    kind = models.TIGHT_BINDING

    def __post_init__(self):
        object.__setattr__(self, "hopping", _checks.positive("hopping", self.hopping))
        object.__setattr__(self, "lattice_constant",
                           _checks.positive("lattice_constant", self.lattice_constant))

    def encode(self, hbar):
        hbar = _checks.positive("hbar", hbar)
        return self.kind, np.array([self.hopping, self.lattice_constant / hbar])


@dataclass(frozen=True)
class Relativistic(Dispersion):
    """Kinetic energy of a relativistic particle: eps = sqrt(m^2 c^4 + p^2 c^2) - m c^2.

    Parameters
    ----------
    mass : float
        Rest mass m [kg], > 0.
    speed_of_light : float
        c [m/s], > 0 (``pmc.units.c`` in SI).
    """

    mass: float = 1.0
    speed_of_light: float = 1.0
    kind = models.RELATIVISTIC

    def __post_init__(self):
        object.__setattr__(self, "mass", _checks.positive("mass", self.mass))
        object.__setattr__(self, "speed_of_light",
                           _checks.positive("speed_of_light", self.speed_of_light))

    def encode(self, hbar):
        return self.kind, np.array([self.mass, self.speed_of_light])


# ============================================================================ multi-valley bands
def _principal_axes(axis, orientation):
    """R (3, 3), the principal axes as columns: from a rotation ``orientation`` (rows are the
    principal directions in crystal coordinates), or from ``axis`` (the first principal axis;
    the other two any orthonormal completion), or the identity."""
    if orientation is not None:
        rows = np.asarray(orientation, dtype=np.float64)
        if rows.shape != (3, 3) or not np.all(np.isfinite(rows)) \
                or not np.allclose(rows @ rows.T, np.eye(3), atol=1e-10):
            raise ValueError(f"orientation must be a 3x3 rotation matrix (orthonormal rows), got "
                             f"{orientation!r}")
        return rows.T.copy()
    if axis is None:
        return np.eye(3)
    a = np.asarray(axis, dtype=np.float64)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or not np.linalg.norm(a) > 0:
        raise ValueError(f"axis must be a non-zero 3-vector such as (1, 0, 0), got {axis!r}")
    e1 = a / np.linalg.norm(a)
    trial = np.eye(3)[int(np.argmin(np.abs(e1)))]
    e2 = np.cross(e1, trial)
    e2 /= np.linalg.norm(e2)
    return np.column_stack([e1, e2, np.cross(e1, e2)])


@dataclass(frozen=True)
class Valley(Model):
    """One valley (a conduction-band minimum) of a :class:`MultiValley` band.

    In the valley the crystal momentum p is measured from the minimum and

        eps (1 + alpha eps) = gamma(p) = sum_i (e_i . p)^2 / (2 m_i),   E = Delta + eps,

    e_i the principal axes and m_i the principal masses. The Herring-Vogt transform
    p* = T p, T = diag(sqrt(m_d / m_i)) R^T (R: the e_i as columns, m_d = (m_1 m_2 m_3)^(1/3)
    the density-of-states mass) makes the valley spherical, gamma = |p*|^2 / 2 m_d (C. Herring
    and E. Vogt, Phys. Rev. 101, 944 (1956); C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55,
    645 (1983), section II.B), so the rates of isotropic mechanisms are those of a Kane band of
    mass m_d, and final states drawn isotropic in p* are mapped back by T^-1.

    Parameters
    ----------
    name : str
        Label of the valley (e.g. "X1", "L", "Gamma").
    masses : float or (float, float, float)
        Principal effective masses (m_1, m_2, m_3) [kg], > 0; one number: a spherical valley.
        With ``axis``, m_1 is the longitudinal mass (along the axis).
    energy : float
        Delta, the energy of the minimum above the band's reference [J].
    alpha : float
        Non-parabolicity [1/J], >= 0.
    degeneracy : int
        How many equivalent minima this entry stands for (>= 1): silicon's +x and -x valleys
        have one dispersion, so one entry of degeneracy 2 along each <100> axis.
    group : str, optional
        Name of the set of equivalent valleys it belongs to (default: ``name``), which
        mechanisms select (``initial=``, ``final=``).
    axis : (float, float, float), optional
        First principal axis in crystal coordinates (e.g. (1, 0, 0)).
    orientation : 3x3 array, optional
        Rotation whose rows are the three principal axes (instead of ``axis``).

    Examples
    --------
    >>> import pmc
    >>> from pmc.units import m_e
    >>> v = pmc.bands.Valley.ellipsoid("X1", 0.916 * m_e, 0.19 * m_e, axis=(1, 0, 0))
    >>> round(v.density_of_states_mass / m_e, 4), round(v.conductivity_mass / m_e, 4)
    (0.321, 0.2582)
    """

    name: str
    masses: object
    energy: float = 0.0
    alpha: float = 0.0
    degeneracy: int = 1
    group: str = None
    axis: object = None
    orientation: object = None

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        m = np.atleast_1d(np.asarray(self.masses, dtype=np.float64))
        if m.shape == (1,):
            m = np.repeat(m, 3)
        if m.shape != (3,) or not np.all(np.isfinite(m)) or not np.all(m > 0):
            raise ValueError(f"masses of valley {self.name!r} must be one mass or three "
                             f"principal masses > 0 [kg], got {self.masses!r}")
        set_("masses", tuple(float(x) for x in m))
        set_("energy", _checks.finite("energy", self.energy))
        set_("alpha", _checks.non_negative("alpha", self.alpha))
        set_("degeneracy", _checks.count("degeneracy", self.degeneracy, minimum=1))
        set_("group", self.name if self.group is None else str(self.group))
        if self.axis is not None and self.orientation is not None:
            raise ValueError("give axis or orientation, not both")
        R = _principal_axes(self.axis, self.orientation)
        if self.axis is not None:
            set_("axis", tuple(float(x) for x in self.axis))
        if self.orientation is not None:
            set_("orientation", tuple(tuple(float(x) for x in r) for r in self.orientation))
        set_("_R", R)

    @classmethod
    def ellipsoid(cls, name, longitudinal, transverse, axis, **options):
        """A valley of revolution: mass ``longitudinal`` along ``axis``, ``transverse`` across."""
        return cls(name, (longitudinal, transverse, transverse), axis=axis, **options)

    @property
    def spherical(self):
        """True if the three masses are equal."""
        return self.masses[0] == self.masses[1] == self.masses[2]

    @property
    def density_of_states_mass(self):
        """m_d = (m_1 m_2 m_3)^(1/3) [kg]."""
        return float(np.prod(self.masses) ** (1.0 / 3.0))

    @property
    def conductivity_mass(self):
        """m_c = 3 / (1/m_1 + 1/m_2 + 1/m_3) [kg] (the valley's share of the low-field
        mobility averaged over the orientations of a cubic crystal)."""
        return 3.0 / sum(1.0 / m for m in self.masses)

    def transform(self):
        """(T, T^-1), the Herring-Vogt matrices (3, 3): p* = T p."""
        md = self.density_of_states_mass
        s = np.sqrt(md / np.array(self.masses))
        T = (s[:, np.newaxis] * self._R.T)
        Tinv = self._R * (1.0 / s)[np.newaxis, :]
        return T, Tinv

    def inverse_mass(self):
        """M^-1 = R diag(1/m_i) R^T [1/kg]: gamma = p . M^-1 p / 2."""
        return self._R @ np.diag(1.0 / np.array(self.masses)) @ self._R.T

    def row(self):
        """The valley's row of the kernels' band table (:mod:`pmc._kernels.valleys`)."""
        T, Tinv = self.transform()
        return np.concatenate([[self.energy, self.alpha, self.density_of_states_mass,
                                float(self.degeneracy)], T.ravel(), Tinv.ravel()])


@dataclass(frozen=True)
class MultiValley(Dispersion):
    """A band made of valleys (:class:`Valley`); a marker's valley is its discrete ``state``.

    E(p, v) = Delta_v + eps_v(p), eps_v (1 + alpha_v eps_v) = gamma_v(p) in the valley's
    principal axes (see :class:`Valley`), and v(p, v) = M_v^-1 p / (1 + 2 alpha_v eps_v).
    A parabolic or :class:`Kane` band is the one-valley case.

    Markers stream with their valley's velocity (:mod:`pmc._kernels.stateful`; the markers
    must carry ``state``); a reflecting wall moves a marker to the mirror valley
    (:meth:`mirror_states`). :meth:`single_valley` gives the Kane approximation of one valley.

    Parameters
    ----------
    valleys : sequence of Valley
        At least one; distinct names.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> band = pmc.bands.MultiValley([pmc.bands.Valley("G", 1.0, alpha=0.5),
    ...                               pmc.bands.Valley("L", 2.0, energy=1.0)])
    >>> band.energy([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]], valley=[0, 1]).tolist()
    [0.4142135623730951, 2.0]
    """

    valleys: tuple
    kind = _valleys.MULTIVALLEY
    #: a marker needs its valley (``state``) to have an energy
    needs_state = True

    def __post_init__(self):
        vs = tuple(self.valleys) if not isinstance(self.valleys, Valley) else (self.valleys,)
        if not vs or not all(isinstance(v, Valley) for v in vs):
            raise ValueError(f"valleys must be a non-empty sequence of pmc.bands.Valley, got "
                             f"{self.valleys!r}")
        names = [v.name for v in vs]
        if len(set(names)) != len(names):
            raise ValueError(f"valleys need distinct names, got {names}")
        object.__setattr__(self, "valleys", vs)

    def __len__(self):
        return len(self.valleys)

    @property
    def names(self):
        return tuple(v.name for v in self.valleys)

    @property
    def groups(self):
        """Group names, in order of first appearance."""
        return tuple(dict.fromkeys(v.group for v in self.valleys))

    def index(self, name):
        """Index of the valley called ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"no valley {name!r}; valleys: {list(self.names)}") from None

    def members(self, group):
        """Indices of the valleys of ``group``."""
        out = [k for k, v in enumerate(self.valleys) if v.group == group]
        if not out:
            raise ValueError(f"no valley group {group!r}; groups: {list(self.groups)}")
        return out

    @property
    def isotropic(self):
        """True if every valley is spherical (then any dp = 1..3 works)."""
        return all(v.spherical for v in self.valleys)

    def table(self):
        """float64 (nvalley, NVPRM), the kernels' band table."""
        return np.ascontiguousarray(np.array([v.row() for v in self.valleys]))

    def encode(self, hbar):
        return self.kind, self.table().ravel()

    def mirror_states(self):
        """int64 (nvalley, 3): ``[v, a]`` is the valley a marker of valley ``v`` moves to when
        a reflecting wall normal to axis ``a`` reverses p_a (specular reflection maps the
        valley's ellipsoid to its mirror image, which must be a valley of the band with the
        same minimum, masses and alpha); -1 where the band has no such valley (then a
        reflecting wall on that axis is refused)."""
        out = np.full((len(self.valleys), 3), -1, np.int64)
        for k, v in enumerate(self.valleys):
            a_v = v.inverse_mass()
            for axis in range(3):
                flip = np.ones(3)
                flip[axis] = -1.0
                target = flip[:, np.newaxis] * a_v * flip[np.newaxis, :]
                for j, u in enumerate(self.valleys):
                    if (np.isclose(u.energy, v.energy, rtol=1e-12, atol=0.0)
                            and np.isclose(u.alpha, v.alpha, rtol=1e-12, atol=0.0)
                            and np.allclose(u.inverse_mass(), target, rtol=1e-10,
                                            atol=1e-10 * np.abs(a_v).max())):
                        out[k, axis] = j
                        break
        return out

    def _state(self, valley, n):
        if valley is None:
            if len(self.valleys) > 1:
                raise ValueError("a MultiValley band needs the valley of each momentum "
                                 "(valley=...)")
            valley = 0
        s = np.broadcast_to(np.asarray(valley), (n,)).astype(np.int64)
        if np.any(s < 0) or np.any(s >= len(self.valleys)):
            raise ValueError(f"valley indices must lie in 0..{len(self.valleys) - 1}")
        return np.ascontiguousarray(s)

    def _evaluate(self, p, valley):
        pc, shape = components("p", p)
        n = pc.shape[1]
        eps = np.empty(n)
        vel = np.empty_like(pc)
        _valleys.energy_velocity_array(self.table(), self._state(valley, n), pc, eps, vel)
        return eps, vel, shape

    def energy(self, p, hbar=1.0, valley=None):
        """E(p) = Delta_v + eps_v(p) [J] of momenta ``p`` [kg m/s] ((n,) or (n, d)) in valleys
        ``valley`` (an index or one per momentum)."""
        eps, _, shape = self._evaluate(p, valley)
        return eps if len(shape) else eps[0]

    def velocity(self, p, hbar=1.0, valley=None):
        """v(p) = dE/dp [m/s] in valleys ``valley``; same shape as ``p``."""
        _, vel, shape = self._evaluate(p, valley)
        return from_components(vel, shape)

    def spherical_momentum(self, p, valley):
        """p* = T_v p, the Herring-Vogt momentum [kg m/s], shape (n, 3)."""
        p = np.atleast_2d(np.asarray(p, dtype=np.float64))
        s = self._state(valley, p.shape[0])
        out = np.empty((p.shape[0], 3))
        for k, v in enumerate(self.valleys):
            T, _ = v.transform()
            out[s == k] = p[s == k] @ T.T
        return out

    def single_valley(self, valley=0, mass="conductivity"):
        """The Kane band that approximates valley ``valley`` for the single-valley push: mass
        ``"conductivity"`` (transport along a cubic axis, averaged over the equivalent
        valleys) or ``"density_of_states"``."""
        v = self.valleys[valley]
        if mass not in ("conductivity", "density_of_states"):
            raise ValueError(f"mass must be 'conductivity' or 'density_of_states', got {mass!r}")
        m = v.conductivity_mass if mass == "conductivity" else v.density_of_states_mass
        return Kane(mass=m, alpha=v.alpha)


#: Dispersion code of :class:`SpeciesMasses` (a stateful code, see :mod:`pmc._kernels.stateful`).
SPECIES_MASSES = _stateful.SPECIES_MASSES


@dataclass(frozen=True)
class SpeciesMasses(Dispersion):
    """The band of a gas mixture: eps = p^2 / (2 m_s), v = p / m_s, the mass m_s that of the
    marker's species, its discrete ``state`` (usually built by :attr:`pmc.Mixture.band`).

    Parameters
    ----------
    masses : sequence of float
        Mass of each species [kg], > 0, indexed by the marker's state.
    names : sequence of str, optional
        Species names (default "0", "1", ...), distinct.
    rotational_dof : sequence of int, optional
        Rotational degrees of freedom of each species (0 or 2; default 0), for the rotational
        temperature of a species, <e_rot> / (dof / 2).

    Examples
    --------
    >>> import pmc
    >>> band = pmc.bands.SpeciesMasses([1.0, 4.0], names=["a", "b"])
    >>> band.energy([[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]], species=[0, 1]).tolist()
    [2.0, 0.5]
    """

    masses: tuple
    names: tuple = None
    rotational_dof: tuple = None
    kind = SPECIES_MASSES
    #: a marker needs its species (``state``) to have an energy
    needs_state = True

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        m = np.atleast_1d(np.asarray(self.masses, dtype=np.float64))
        if m.ndim != 1 or m.size == 0:
            raise ValueError(f"masses must be a non-empty sequence of masses [kg], got "
                             f"{self.masses!r}")
        set_("masses", tuple(_checks.positive(f"masses[{k}]", v) for k, v in enumerate(m)))
        names = (tuple(str(k) for k in range(m.size)) if self.names is None
                 else tuple(self.names))
        if len(names) != m.size or len(set(names)) != m.size:
            raise ValueError(f"names must be {m.size} distinct strings, got {self.names!r}")
        set_("names", names)
        dof = (0,) * m.size if self.rotational_dof is None else tuple(self.rotational_dof)
        if len(dof) != m.size or any(d not in (0, 2) for d in dof):
            raise ValueError(f"rotational_dof must hold 0 or 2 for each of the {m.size} "
                             f"species, got {self.rotational_dof!r}")
        set_("rotational_dof", tuple(int(d) for d in dof))

    def __len__(self):
        return len(self.masses)

    def encode(self, hbar):
        return self.kind, np.array(self.masses)

    def mirror_states(self):
        """int64 (nspecies, 3): the state a marker takes when a wall normal to each axis flips
        its momentum component: its own species."""
        return np.repeat(np.arange(len(self.masses), dtype=np.int64), 3).reshape(-1, 3)

    def _mass(self, species, n):
        if species is None:
            if len(self.masses) > 1:
                raise ValueError("a SpeciesMasses band needs the species of each momentum "
                                 "(species=...)")
            species = 0
        s = np.broadcast_to(np.asarray(species), (n,)).astype(np.int64)
        if np.any(s < 0) or np.any(s >= len(self.masses)):
            raise ValueError(f"species indices must lie in 0..{len(self.masses) - 1}")
        return np.asarray(self.masses)[s]

    def energy(self, p, hbar=1.0, species=None):
        """p^2 / (2 m_s) [J] of momenta ``p`` [kg m/s] ((n,) or (n, d)) of species ``species``
        (an index or one per momentum)."""
        pc, shape = components("p", p)
        out = np.sum(pc * pc, axis=0) / (2.0 * self._mass(species, pc.shape[1]))
        return out if len(shape) else out[0]

    def velocity(self, p, hbar=1.0, species=None):
        """p / m_s [m/s]; same shape as ``p``."""
        pc, shape = components("p", p)
        return from_components(pc / self._mass(species, pc.shape[1]), shape)
