"""Semiconductor materials: a band of valleys, its scattering mechanisms and its equilibrium.

``pmc.materials.get("Si" | "Ge" | "GaAs", temperature=...)`` returns a :class:`Material` whose
``band`` is a :class:`pmc.bands.MultiValley`, whose :meth:`~Material.scattering` lists the
mechanisms of :mod:`pmc.collisions.semiconductors` with the literature's parameters, and whose
:meth:`~Material.equilibrium` is the Maxwell-Boltzmann distribution over the valleys (each
marker's ``state`` its valley) for :func:`pmc.sample`. Every parameter is a field:
``dataclasses.replace(material, ...)`` or ``get(name, **overrides)`` replaces any of them.

Sources (SI below; every number carries its source in a comment):

* JR: C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983), the tables of material
  parameters for Si and Ge electrons (from C. Jacoboni, C. Canali, G. Ottaviani and
  A. Alberigi Quaranta, Solid-State Electron. 20, 77 (1977), and C. Jacoboni, F. Nava,
  C. Canali and G. Ottaviani, Phys. Rev. B 24, 1014 (1981)).
* LHG/PR: M. A. Littlejohn, J. R. Hauser and T. H. Glisson, J. Appl. Phys. 48, 4587 (1977) and
  J. Pozela and A. Reklaitis, Solid-State Electron. 23, 927 (1980): the three-valley GaAs
  model, as tabulated in C. Jacoboni and P. Lugli, The Monte Carlo Method for Semiconductor
  Device Simulation (Springer 1989), and used by Fischetti, IEEE Trans. Electron Devices 38,
  634 (1991) in his non-parabolic form.

Cross-check of the tables (issue 16 item 2) against an independent code's table, Archimedes
1.2 (J. M. Sellier; ``src/material_parameters.h`` as kept in the github repository
jmarini/archimedes-nitrides, citing Fischetti 1991, Jacoboni-Reggiani and Tomizawa), and the
nanoHUB Schred GaAs set (nanohub.org/answers/question/791):

* Si: the six intervalley couplings and phonon energies agree (g3: 11.0e8 eV/cm and 720 K here
  from JR, 11.4e8 eV/cm and 61.2 meV = 710 K there); Z_f 1 (g) and 4 (f) agree.
* GaAs: mass density 5.36 g/cm^3, u_l 5.24e5 cm/s, eps_s 12.90, hbar w_LO 35.36 meV, the Gamma
  acoustic deformation potential 7 eV and every Z_f (Gamma->L 4, Gamma->X 3, L->Gamma 1, L->L 3,
  L->X 3, X->Gamma 1, X->L 4, X->X 2) agree; eps_inf is 10.92 here (LHG) and 10.89 there (0.3 %);
  the valley offsets 0.29 / 0.48 eV agree with Schred's set (Archimedes uses Tomizawa's
  different set: 0.323 eV with m_Gamma = 0.067, m_L = 0.35); alpha_Gamma = 0.62 / eV is the
  two-band Kane value (1 - m*/m_e)^2 / E_g at E_g = 1.42 eV. Validation case 21 checks the set
  as a whole (mobility, peak velocity, transfer).
* Ge: mass density, u_l and the 37 meV (430 K) optical phonon agree; Archimedes' acoustic
  deformation potential is 9 eV (Fischetti's) against JR's 11 eV for the L valleys kept here.

Temperature enters through the phonon occupations, the equipartition of the acoustic modes
and the screening; band parameters are the room-temperature values the sources give (JR keep
them constant from 77 K to 300 K for Si).
"""
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import _checks
from .bands import MultiValley, Valley
from .collisions.semiconductors import (AcousticDeformation, BrooksHerring, InelasticAcoustic,
                                        IntervalleyPhonon, PolarOptical, ValleyScattering, dos)
from .states import Distribution, _box, _box_field, _uniform_box
from ._model import Model
from .units import K, eV, m_e, cm

__all__ = ["Material", "Phonon", "ValleyMaxwellian", "get", "MATERIALS"]

_EV_PER_CM = eV / cm  # deformation potentials D_t K in eV/cm, as JR tabulate them


@dataclass(frozen=True)
class Phonon(Model):
    """One intra- or intervalley phonon process of a material (the arguments of
    :class:`pmc.collisions.IntervalleyPhonon`).

    Parameters
    ----------
    name : str
    coupling : float
        D_t K [J/m].
    energy : float
        hbar w [J].
    final_valleys : int
        Z_f.
    initial : str or None
        Initial valley group (None: every valley).
    final : str
        "same", "others" or a valley group.
    """

    name: str
    coupling: float
    energy: float
    final_valleys: int = 1
    initial: str = None
    final: str = "same"


@dataclass(frozen=True)
class Material(Model):
    """A semiconductor: its band, lattice and scattering parameters (SI).

    Parameters
    ----------
    name : str
    temperature : float
        Lattice temperature kT [J], > 0.
    band : pmc.bands.MultiValley
    mass_density : float
        rho [kg/m^3].
    sound_velocity : float
        Longitudinal sound velocity u_l [m/s].
    permittivity : float
        Static relative permittivity eps_s.
    acoustic : tuple of (group, Xi [J])
        Acoustic deformation potential per valley group.
    phonons : tuple of Phonon
        Intra- and intervalley phonon processes.
    high_frequency_permittivity : float, optional
        eps_inf (polar materials).
    polar_energy : float, optional
        hbar w_LO [J] (polar materials: adds :class:`pmc.collisions.PolarOptical`).
    doping : float
        Ionized donors [1/m^3] (0: none; > 0 adds :class:`pmc.collisions.BrooksHerring`).
    acoustic_model : str
        "elastic" (:class:`pmc.collisions.AcousticDeformation`, equipartition: right at room
        temperature) or "inelastic" (:class:`pmc.collisions.InelasticAcoustic`, phonon
        emission and absorption with the Bose-Einstein occupation: needed when cold, e.g.
        Si at 77 K). :func:`get` takes it as ``acoustic="inelastic"``.
    """

    name: str
    temperature: float
    band: MultiValley
    mass_density: float
    sound_velocity: float
    permittivity: float
    acoustic: tuple = ()
    phonons: tuple = ()
    high_frequency_permittivity: float = None
    polar_energy: float = None
    doping: float = 0.0
    acoustic_model: str = "elastic"

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("temperature", _checks.positive("temperature", self.temperature))
        for f in ("mass_density", "sound_velocity", "permittivity"):
            set_(f, _checks.positive(f, getattr(self, f)))
        set_("doping", _checks.non_negative("doping", self.doping))
        if not isinstance(self.band, MultiValley):
            raise ValueError(f"band must be a pmc.bands.MultiValley, got {self.band!r}")
        set_("acoustic", tuple(tuple(a) for a in self.acoustic))
        set_("phonons", tuple(self.phonons))
        if self.acoustic_model not in ("elastic", "inelastic"):
            raise ValueError(f"acoustic_model must be 'elastic' or 'inelastic', got "
                             f"{self.acoustic_model!r}")
        if (self.polar_energy is None) != (self.high_frequency_permittivity is None):
            raise ValueError("polar_energy and high_frequency_permittivity go together")

    def scattering(self):
        """The mechanisms (a list of :class:`pmc.collisions.ValleyMechanism`), named
        ``acoustic_<group>``, the phonons by their names, ``polar_optical``,
        ``brooks_herring``."""
        T, rho = self.temperature, self.mass_density
        acoustic = (AcousticDeformation if self.acoustic_model == "elastic"
                    else InelasticAcoustic)
        out = [acoustic(xi, rho, self.sound_velocity, T, initial=g, name=f"acoustic_{g}")
               for g, xi in self.acoustic]
        out += [IntervalleyPhonon(ph.coupling, ph.energy, rho, T, ph.final_valleys, ph.final,
                                  initial=ph.initial, name=ph.name) for ph in self.phonons]
        if self.polar_energy is not None:
            out.append(PolarOptical(self.polar_energy, self.permittivity,
                                    self.high_frequency_permittivity, T))
        if self.doping > 0:
            out.append(BrooksHerring(self.doping, self.permittivity, T))
        return out

    def collisions(self, name="scattering"):
        """``[ValleyScattering(self.scattering())]``: every mechanism in one jump process, what
        a run should be given (exact at any dt; see
        :class:`pmc.collisions.ValleyScattering`)."""
        return [ValleyScattering(self.scattering(), name=name)]

    def equilibrium(self, x=(0.0, 1.0), density=None, temperature=None):
        """The Maxwell-Boltzmann distribution over the valleys at the lattice temperature (or
        ``temperature``), uniform in the box ``x`` [m], with ``density`` [1/m^dx] (None:
        weights 1/n). A :class:`ValleyMaxwellian` for :func:`pmc.sample`."""
        return ValleyMaxwellian(self.band, self.temperature if temperature is None
                                else temperature, x=x, density=density)

    def single_valley(self):
        """The Kane band of the lowest valley with its conductivity mass: the single-valley
        approximation the current push streams (see :meth:`pmc.bands.MultiValley.single_valley`)."""
        low = int(np.argmin([v.energy for v in self.band.valleys]))
        return self.band.single_valley(low)

    def replace(self, **changes):
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


# ============================================================================ equilibrium
@dataclass(frozen=True, eq=False)
class ValleyMaxwellian(Distribution):
    """f(p, v) ~ exp(-(Delta_v + eps_v(p)) / kT) over the valleys of a band, uniform in a box.

    The valley populations are n_v ~ d_v int g_v(eps) exp(-(Delta_v + eps) / kT) d eps (d_v
    the degeneracy, g_v the non-parabolic density of states with m_d); inside a valley the
    energy is drawn by inverse CDF of g_v(eps) exp(-eps/kT) (tabulated to 50 kT), the
    Herring-Vogt momentum isotropic with |p*| = sqrt(2 m_d gamma), and p = T^-1 p*. The
    markers' ``state`` is the valley index.

    Parameters
    ----------
    band : pmc.bands.MultiValley
    temperature : float
        kT [J], > 0.
    x : tuple
        The box [m] (as :class:`pmc.states.Maxwellian`).
    density : float, optional
        n [1/m^dx].
    """

    band: MultiValley
    temperature: float
    x: object = (0.0, 1.0)
    density: float = None

    _NTABLE = 4096
    _TAIL = 50.0

    def __post_init__(self):
        object.__setattr__(self, "temperature", _checks.positive("temperature",
                                                                 self.temperature))
        object.__setattr__(self, "x", _box_field(_box(self.x)))
        if self.density is not None:
            object.__setattr__(self, "density", _checks.positive("density", self.density))

    @property
    def dx(self):
        return _box(self.x).shape[0]

    @property
    def dp(self):
        return 3

    @property
    def total_weight(self):
        if self.density is None:
            return 1.0
        box = _box(self.x)
        return self.density * float(np.prod(box[:, 1] - box[:, 0]))

    def _tables(self):
        kT = self.temperature
        e = np.linspace(0.0, self._TAIL * kT, self._NTABLE + 1)
        out = []
        for v in self.band.valleys:
            g = dos(e, v.density_of_states_mass, v.alpha, 1.0) * np.exp(-e / kT)
            cdf = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(e))])
            out.append((cdf, v.degeneracy * cdf[-1] * math.exp(-v.energy / kT)))
        return e, out

    def populations(self):
        """The equilibrium fraction of markers in each valley (sums to 1)."""
        _, tables = self._tables()
        z = np.array([t[1] for t in tables])
        return z / z.sum()

    def mean_energy(self):
        """<Delta_v + eps> [J] at equilibrium (quadrature of the tables)."""
        e, tables = self._tables()
        pops = self.populations()
        out = 0.0
        for p, v, (cdf, _) in zip(pops, self.band.valleys, tables):
            pdf = np.gradient(cdf, e)
            out += p * (v.energy + np.trapezoid(e * pdf, e) / cdf[-1])
        return out

    def _draw(self, rng, n):
        pos = _uniform_box(rng, _box(self.x), n)
        e, tables = self._tables()
        state = rng.choice(len(self.band), size=n, p=self.populations()).astype(np.int64)
        u = rng.random(n)
        c = 2.0 * rng.random(n) - 1.0
        phi = 2.0 * math.pi * rng.random(n)
        mom = np.empty((3, n))
        for k, v in enumerate(self.band.valleys):
            sel = state == k
            cdf = tables[k][0]
            eps = np.interp(u[sel] * cdf[-1], cdf, e)
            pm = np.sqrt(2.0 * v.density_of_states_mass * eps * (1.0 + v.alpha * eps))
            s = np.sqrt(np.maximum(1.0 - c[sel] ** 2, 0.0))
            q = np.array([pm * s * np.cos(phi[sel]), pm * s * np.sin(phi[sel]), pm * c[sel]])
            _, Tinv = v.transform()
            mom[:, sel] = Tinv @ q
        return pos, np.ascontiguousarray(mom), self._weights(n), state


# ============================================================================ the materials
def silicon(temperature=300 * K):
    """Electrons in silicon: six Delta valleys along <100> (three entries of degeneracy 2),
    acoustic and six intervalley phonons (JR, Si table; Canali et al. 1975)."""
    ml, mt = 0.9163 * m_e, 0.1905 * m_e  # JR: m_l, m_t
    alpha = 0.5 / eV  # JR: alpha = 0.5 eV^-1
    band = MultiValley([Valley.ellipsoid(f"X{k + 1}", ml, mt, axis=ax, alpha=alpha,
                                         degeneracy=2, group="X")
                        for k, ax in enumerate(((1, 0, 0), (0, 1, 0), (0, 0, 1)))])
    # JR Si intervalley phonons: (type, T_phonon [K], D_t K [1e8 eV/cm]); g: Z_f = 1, f: Z_f = 4
    table = [("g1", 140.0, 0.5), ("g2", 215.0, 0.8), ("g3", 720.0, 11.0),
             ("f1", 220.0, 0.3), ("f2", 550.0, 2.0), ("f3", 685.0, 2.0)]
    phonons = tuple(Phonon(name, d * 1e8 * _EV_PER_CM, t * K,
                           1 if name[0] == "g" else 4, "X", "same" if name[0] == "g" else "others")
                    for name, t, d in table)
    return Material("Si", temperature, band,
                    mass_density=2329.0,      # JR: 2.329 g/cm^3
                    sound_velocity=9.0e3,     # JR: u_l = 9.0e5 cm/s
                    permittivity=11.7,        # JR: eps_s = 11.7
                    acoustic=(("X", 9.0 * eV),),  # JR: Xi_d = 9 eV
                    phonons=phonons)


def germanium(temperature=300 * K):
    """Electrons in germanium: the four L valleys along <111> with acoustic, intravalley optical
    and L-L intervalley phonons (JR, Ge table; Jacoboni et al. 1981). The Gamma (0.14 eV) and
    X (0.18 eV) valleys above are not included yet: the model holds below a few kV/cm."""
    ml, mt = 1.64 * m_e, 0.0819 * m_e  # JR: m_l, m_t of the L valleys
    alpha = 0.3 / eV                    # JR: alpha_L = 0.3 eV^-1
    axes = ((1, 1, 1), (1, 1, -1), (1, -1, 1), (-1, 1, 1))
    band = MultiValley([Valley.ellipsoid(f"L{k + 1}", ml, mt, axis=ax, alpha=alpha, group="L")
                        for k, ax in enumerate(axes)])
    phonons = (
        # JR: optical (intravalley L) D_t K = 5.5e8 eV/cm, hbar w = 37 meV (430 K)
        Phonon("optical_L", 5.5e8 * _EV_PER_CM, 430.0 * K, 1, "L", "same"),
        # JR: L-L intervalley D_t K = 3.0e8 eV/cm, 320 K, Z_f = 3 (the other L valleys)
        Phonon("intervalley_LL", 3.0e8 * _EV_PER_CM, 320.0 * K, 3, "L", "others"),
    )
    return Material("Ge", temperature, band,
                    mass_density=5320.0,      # JR: 5.32 g/cm^3
                    sound_velocity=5.4e3,     # JR: u_l = 5.4e5 cm/s
                    permittivity=16.0,        # JR: eps_s = 16
                    acoustic=(("L", 11.0 * eV),),  # JR: Xi_d(L) = 11 eV
                    phonons=phonons)


def gallium_arsenide(temperature=300 * K):
    """Electrons in GaAs: Gamma, L (4) and X (3) valleys, spherical with their density-of-states
    masses (LHG/PR, as in Jacoboni-Lugli 1989 and Fischetti 1991), acoustic, polar optical,
    intravalley optical (L) and intervalley phonons."""
    band = MultiValley([
        # valley: mass [m_e], alpha [1/eV], Delta [eV], degeneracy -- LHG/PR
        Valley("Gamma", 0.063 * m_e, alpha=0.62 / eV, energy=0.0, degeneracy=1),
        Valley("L", 0.222 * m_e, alpha=0.461 / eV, energy=0.29 * eV, degeneracy=4),
        Valley("X", 0.58 * m_e, alpha=0.204 / eV, energy=0.48 * eV, degeneracy=3),
    ])
    D = eV / cm  # couplings in eV/cm
    phonons = (
        # LHG/PR: intervalley Gamma-L 1e9 eV/cm, 27.8 meV; Gamma-X 1e9 eV/cm, 29.9 meV
        Phonon("intervalley_GL", 1.0e9 * D, 0.0278 * eV, 4, "Gamma", "L"),
        Phonon("intervalley_GX", 1.0e9 * D, 0.0299 * eV, 3, "Gamma", "X"),
        Phonon("intervalley_LG", 1.0e9 * D, 0.0278 * eV, 1, "L", "Gamma"),
        Phonon("intervalley_LL", 1.0e9 * D, 0.0290 * eV, 3, "L", "same"),
        Phonon("intervalley_LX", 5.0e8 * D, 0.0293 * eV, 3, "L", "X"),
        Phonon("intervalley_XG", 1.0e9 * D, 0.0299 * eV, 1, "X", "Gamma"),
        Phonon("intervalley_XL", 5.0e8 * D, 0.0293 * eV, 4, "X", "L"),
        Phonon("intervalley_XX", 7.0e8 * D, 0.0299 * eV, 2, "X", "same"),
        # LHG/PR: intravalley non-polar optical in L, 3e8 eV/cm, 34.3 meV
        Phonon("optical_L", 3.0e8 * D, 0.0343 * eV, 1, "L", "same"),
    )
    return Material("GaAs", temperature, band,
                    mass_density=5360.0,      # LHG: 5.36 g/cm^3
                    sound_velocity=5.24e3,    # LHG: 5.24e5 cm/s
                    permittivity=12.90,       # LHG: eps_s
                    high_frequency_permittivity=10.92,  # LHG: eps_inf
                    polar_energy=0.03536 * eV,  # LHG: hbar w_LO
                    # LHG/PR: acoustic deformation potentials Gamma 7.01, L 9.2, X 9.27 eV
                    acoustic=(("Gamma", 7.01 * eV), ("L", 9.2 * eV), ("X", 9.27 * eV)),
                    phonons=phonons)


#: name -> constructor(temperature)
MATERIALS = {"Si": silicon, "Ge": germanium, "GaAs": gallium_arsenide}


def get(name, temperature=300 * K, **overrides):
    """The :class:`Material` ``name`` ("Si", "Ge", "GaAs") at lattice temperature
    ``temperature`` (kT [J]; default 300 K), with any field replaced by ``overrides``.
    ``acoustic="elastic"`` or ``"inelastic"`` (a string) sets :attr:`Material.acoustic_model`
    (a tuple replaces the acoustic deformation potentials).

    Examples
    --------
    >>> import pmc
    >>> si = pmc.materials.get("Si", temperature=77 * pmc.units.K)
    >>> len(si.band), [m.name for m in si.scattering()][:3]
    (3, ['acoustic_X', 'g1', 'g2'])
    >>> pmc.materials.get("GaAs", doping=1e23).scattering()[-1].name
    'brooks_herring'
    >>> type(pmc.materials.get("Si", acoustic="inelastic").scattering()[0]).__name__
    'InelasticAcoustic'
    """
    if name not in MATERIALS:
        raise ValueError(f"unknown material {name!r}; valid: {list(MATERIALS)}")
    m = MATERIALS[name](_checks.positive("temperature", temperature))
    if isinstance(overrides.get("acoustic"), str):
        overrides["acoustic_model"] = overrides.pop("acoustic")
    return dataclasses.replace(m, **overrides) if overrides else m
