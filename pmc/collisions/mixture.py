"""Gas mixtures: species with their own masses, cross sections, statistical weights and
rotational energy, and their binary collisions (docs/design.md §5, "Species").

A marker's species is its discrete ``state``; its rotational energy (per physical molecule) is
``Markers.internal`` [J]. The band of a mixture run is :class:`pmc.bands.SpeciesMasses`
(v = p / m of the marker's species), which :attr:`Mixture.band` builds.

Pair cross sections follow the usual mixing rules for VHS/VSS molecules (G. A. Bird, *Molecular
Gas Dynamics and the Direct Simulation of Gas Flows*, Clarendon 1994, section 4.3, eqs.
4.74-4.76; SPARTA's ``collide vss`` with its species file's per-species parameters, or per-pair
ones from ``collide_modify``): d_pq = (d_p + d_q) / 2, omega_pq = (omega_p + omega_q) / 2,
T_ref,pq = (T_ref,p + T_ref,q) / 2, alpha_pq = (alpha_p + alpha_q) / 2, with the pair's reduced
mass m_r = m_p m_q / (m_p + m_q) in the VHS law

    sigma_pq(g) = pi d_pq^2 (2 k T_ref,pq / (m_r g^2))^(omega_pq - 1/2) / Gamma(5/2 - omega_pq).

The collision algorithm, the treatment of unequal weights and the Larsen-Borgnakke exchange are
described in :mod:`pmc._kernels.mixture`.
"""
import dataclasses
import math
import time
from dataclasses import KW_ONLY

import numpy as np
import xarray as xr

from .. import _checks
from .._kernels import cells as _cells
from .._kernels import mixture as _mix
from .._kernels.rng import MIXTURE, stream_key
from .._model import Model
from ..bands import SpeciesMasses
from ..hamiltonian import Hamiltonian
from ..markers import Markers
from ..schema import coordinate, variable
from ..states import Maxwellian, sample
from .base import Collision, name_label
from .binary import VHS, VSS, HardSphere, NTCOperator

__all__ = ["Species", "Parker", "Mixture", "BinaryMixture", "BinaryMixtureOperator",
           "species_moments", "SPECIES_OBSERVABLES"]

#: Per-species observables a run can record (``Simulation(observables=[...])``).
SPECIES_OBSERVABLES = ("species_density", "species_velocity", "species_temperature",
                       "rotational_temperature")


@dataclasses.dataclass(frozen=True)
class Parker(Model):
    """Parker's temperature-dependent rotational relaxation number
    Z(T) = Z_inf / (1 + (pi^(3/2) / 2) (T*/T)^(1/2) + (pi + pi^2 / 4) T*/T)
    (J. G. Parker, Phys. Fluids 2, 449 (1959); nitrogen: Z_inf = 18.1, T* = 91.5 K, Lordi and
    Mates, Phys. Fluids 13, 291 (1970)). In a collision T is the temperature of the energy pool
    shared, E / ((5/2 - omega + dof / 2) k) (Bird 2013 eq. 3.32, as SPARTA's ``rotrel``).

    Parameters
    ----------
    z_inf : float
        Z at high temperature, > 0.
    t_star : float
        k T* [J], > 0 (nitrogen: ``91.5 * pmc.units.K``).

    Examples
    --------
    >>> import pmc
    >>> z = pmc.collisions.Parker(18.1, 91.5 * pmc.units.K)
    >>> round(z(300 * pmc.units.K), 3)
    4.26
    """

    z_inf: float
    t_star: float

    def __post_init__(self):
        object.__setattr__(self, "z_inf", _checks.positive("z_inf", self.z_inf))
        object.__setattr__(self, "t_star", _checks.positive("t_star", self.t_star))

    def __call__(self, temperature):
        """Z at k T = ``temperature`` [J] (scalar or array)."""
        t = np.asarray(temperature, dtype=np.float64)
        out = self.z_inf / (1.0 + 0.5 * math.pi ** 1.5 * np.sqrt(self.t_star / t)
                            + (math.pi + 0.25 * math.pi ** 2) * self.t_star / t)
        return float(out) if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True)
class Species(Model):
    """A molecular species of a gas mixture.

    Parameters
    ----------
    name : str
        Label, non-empty (e.g. "N2").
    mass : float
        Molecular mass [kg], > 0.
    cross_section : pmc.collisions.VHS, VSS or HardSphere
        Its own collision parameters (diameter [m], omega, t_ref [J], alpha); the pairs with
        other species follow the mixing rules of :class:`Mixture`.
    weight : float
        Statistical weight: physical molecules per marker of this species, > 0.
    rotational_dof : int
        Rotational degrees of freedom: 0 (atoms) or 2 (diatomic or linear molecules).
    relaxation : float or Parker, optional
        Rotational relaxation number Z (Landau-Teller: tau_rot = Z tau_c, tau_c the mean
        collision time), a number >= 1 or :class:`Parker`; required when ``rotational_dof``
        is 2 (nitrogen near 300 K: about 5).

    Examples
    --------
    >>> import pmc
    >>> ar = pmc.Species("Ar", mass=6.63e-26, weight=1e10,
    ...                  cross_section=pmc.collisions.VHS(4.17e-10, 0.81, 273 * pmc.units.K))
    >>> ar.rotational_dof
    0
    """

    name: str
    mass: float
    cross_section: object
    weight: float
    _: KW_ONLY
    rotational_dof: int = 0
    relaxation: object = None

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        set_("mass", _checks.positive("mass", self.mass))
        set_("weight", _checks.positive("weight", self.weight))
        if not isinstance(self.cross_section, (VHS, HardSphere)):
            raise ValueError(f"cross_section of species {self.name!r} must be "
                             f"pmc.collisions.VHS, VSS or HardSphere, got "
                             f"{self.cross_section!r}")
        if self.rotational_dof not in (0, 2) or isinstance(self.rotational_dof, bool):
            raise ValueError(f"rotational_dof must be 0 (atom) or 2 (diatomic), got "
                             f"{self.rotational_dof!r}")
        set_("rotational_dof", int(self.rotational_dof))
        z = self.relaxation
        if self.rotational_dof == 0:
            if z is not None:
                raise ValueError(f"relaxation is for species with rotational_dof = 2; "
                                 f"{self.name!r} has none")
        elif isinstance(z, Parker):
            pass
        else:
            if z is None:
                raise ValueError(f"species {self.name!r} with rotational_dof = 2 needs "
                                 f"relaxation (a number Z >= 1 or pmc.collisions.Parker)")
            z = _checks.finite("relaxation", z)
            if not z >= 1.0:
                raise ValueError(f"relaxation must be >= 1 (collisions per rotational "
                                 f"relaxation), got {self.relaxation!r}")
            set_("relaxation", z)

    @property
    def vhs(self):
        """(diameter [m], omega, t_ref [J] or None for hard spheres, alpha)."""
        cs = self.cross_section
        if isinstance(cs, HardSphere):
            return cs.diameter, 0.5, None, 1.0
        return cs.diameter, cs.omega, cs.t_ref, cs.scattering_alpha

    def relaxation_number(self, temperature):
        """Z at k T = ``temperature`` [J] (the constant, or Parker's Z(T))."""
        if self.rotational_dof == 0:
            raise ValueError(f"species {self.name!r} has no rotational energy")
        if isinstance(self.relaxation, Parker):
            return self.relaxation(temperature)
        return self.relaxation


@dataclasses.dataclass(frozen=True)
class Mixture(Model):
    """Species of a gas and the cross sections of their pairs.

    Parameters
    ----------
    species : sequence of Species
        At least one, distinct names; a marker's ``state`` is its index here.
    pairs : dict, optional
        Cross sections replacing the mixing rule for given pairs:
        ``{("He", "Ar"): pmc.collisions.VHS(...)}`` (the pair's diameter, omega, t_ref, alpha).

    Examples
    --------
    >>> import pmc
    >>> K = pmc.units.K
    >>> he = pmc.Species("He", 6.65e-27, pmc.collisions.VHS(2.33e-10, 0.66, 273 * K), 1.0)
    >>> ar = pmc.Species("Ar", 6.63e-26, pmc.collisions.VHS(4.17e-10, 0.81, 273 * K), 1.0)
    >>> mix = pmc.Mixture([he, ar])
    >>> d, omega, t_ref, alpha = mix.pair("He", "Ar")
    >>> round(d * 1e10, 3), round(omega, 3)
    (3.25, 0.735)
    """

    species: tuple
    pairs: dict = None

    def __post_init__(self):
        sp = (self.species,) if isinstance(self.species, Species) else tuple(self.species)
        if not sp or not all(isinstance(s, Species) for s in sp):
            raise ValueError(f"species must be a non-empty sequence of pmc.Species, got "
                             f"{self.species!r}")
        names = [s.name for s in sp]
        if len(set(names)) != len(names):
            raise ValueError(f"species need distinct names, got {names}")
        object.__setattr__(self, "species", sp)
        pairs = {}
        for key, cs in (self.pairs or {}).items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"pairs keys must be (name, name) tuples, got {key!r}")
            i, j = sorted((self.index(key[0]), self.index(key[1])))
            if not isinstance(cs, VHS):
                raise ValueError(f"pairs[{key!r}] must be pmc.collisions.VHS or VSS, got {cs!r}")
            pairs[(names[i], names[j])] = cs
        object.__setattr__(self, "pairs", pairs)

    def __hash__(self):
        return hash((self.species, tuple(sorted(self.pairs.items()))))

    def __len__(self):
        return len(self.species)

    @property
    def names(self):
        return tuple(s.name for s in self.species)

    @property
    def masses(self):
        """Molecular masses [kg], in species order."""
        return np.array([s.mass for s in self.species])

    @property
    def weights(self):
        """Statistical weights, in species order."""
        return np.array([s.weight for s in self.species])

    def index(self, name):
        """Index (the markers' state) of the species called ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown species {name!r}; species: {list(self.names)}") from None

    @property
    def band(self):
        """The mixture's :class:`pmc.bands.SpeciesMasses` dispersion."""
        return SpeciesMasses(tuple(self.masses), names=self.names,
                             rotational_dof=tuple(s.rotational_dof for s in self.species))

    def pair(self, a, b):
        """(diameter [m], omega, t_ref [J], alpha) of the pair of species named ``a``, ``b``:
        the given pair cross section or the mixing rule (module docstring). A hard sphere
        paired with a VHS species takes the latter's t_ref (any t_ref if both are hard
        spheres: sigma does not depend on it)."""
        i, j = sorted((self.index(a), self.index(b)))
        given = self.pairs.get((self.names[i], self.names[j]))
        if given is not None:
            return given.diameter, given.omega, given.t_ref, given.scattering_alpha
        d1, w1, t1, a1 = self.species[i].vhs
        d2, w2, t2, a2 = self.species[j].vhs
        refs = [t for t in (t1, t2) if t is not None]
        t_ref = sum(refs) / len(refs) if refs else 1.0
        return 0.5 * (d1 + d2), 0.5 * (w1 + w2), t_ref, 0.5 * (a1 + a2)

    def reduced_mass(self, a, b):
        """m_a m_b / (m_a + m_b) [kg]."""
        ma, mb = self.species[self.index(a)].mass, self.species[self.index(b)].mass
        return ma * mb / (ma + mb)

    def power_law(self, a, b):
        """(a [m^(3 - beta) s^(beta - 1)], beta) of sigma g = a g^beta for the pair ``a``,
        ``b``."""
        d, omega, t_ref, _ = self.pair(a, b)
        return VHS(d, omega, t_ref).power_law(2.0 * self.reduced_mass(a, b))

    def collision_frequency(self, a, b, density, temperature):
        """Equilibrium collisions per unit time of one molecule of species ``a`` with those of
        ``b`` at number density ``density`` [1/m^3] and k T = ``temperature`` [J]:
        nu_ab = n_b <sigma_ab g>, g Maxwellian with the reduced mass (Bird 1994 eq. 4.77:
        nu_ab = 2 pi^(1/2) d_ab^2 n_b (T / T_ref)^(1 - omega) (2 k T_ref / m_r)^(1/2)) [1/s]."""
        n = _checks.positive("density", density)
        kt = _checks.positive("temperature", temperature)
        coef, beta = self.power_law(a, b)
        mr = self.reduced_mass(a, b)
        return (n * coef * (2.0 * kt / mr) ** (0.5 * beta) * math.gamma(0.5 * (3.0 + beta))
                / math.gamma(1.5))

    def species_table(self):
        """float64 (S, NSPECIES_PRM): the kernels' species table."""
        out = np.zeros((len(self), _mix.NSPECIES_PRM))
        for k, s in enumerate(self.species):
            out[k, _mix.S_MASS] = s.mass
            out[k, _mix.S_WEIGHT] = s.weight
            out[k, _mix.S_ROT_DOF] = s.rotational_dof
            if s.rotational_dof:
                if isinstance(s.relaxation, Parker):
                    out[k, _mix.S_RELAX] = _mix.PARKER
                    out[k, _mix.S_Z] = s.relaxation.z_inf
                    out[k, _mix.S_T_STAR] = s.relaxation.t_star
                else:
                    out[k, _mix.S_RELAX] = _mix.CONSTANT_Z
                    out[k, _mix.S_Z] = s.relaxation
        return out

    def pair_table(self):
        """float64 (S, S, NPAIR_PRM): the kernels' pair table (a, beta, alpha, omega, m_r)."""
        S = len(self)
        out = np.zeros((S, S, _mix.NPAIR_PRM))
        for i, a in enumerate(self.names):
            for j, b in enumerate(self.names):
                coef, beta = self.power_law(a, b)
                _, omega, _, alpha = self.pair(a, b)
                out[i, j] = (coef, beta, alpha, omega, self.reduced_mass(a, b))
        return out

    def sample(self, x, density, temperature, *, seed, drift=0.0, rotational_temperature=None,
               momentum_dims=3):
        """Markers of a uniform Maxwellian mixture in a box, each species at its own weight.

        Parameters
        ----------
        x : tuple
            The box: (lo, hi) [m] in one dimension or ((lo, hi), ...) per axis.
        density : dict or float
            Number density of each species [1/m^dx] (a dict by name; a species left out has
            none), or one number for all. Species s gets round(n_s V / w_s) markers.
        temperature : dict or float
            k T of each species [J], or one number.
        seed : int
            Seed of the draw.
        drift : float or sequence
            Drift velocity [m/s] (as :class:`pmc.states.Maxwellian`), the same for all.
        rotational_temperature : dict or float, optional
            k T_rot [J] of the species with rotational energy (default their ``temperature``):
            rotational energies are drawn from the Boltzmann distribution of 2 degrees of
            freedom, exponential with mean k T_rot.
        momentum_dims : int
            Momentum components (3 for collisions).

        Returns
        -------
        pmc.Markers
            With ``state`` (the species) and ``internal`` (rotational energy [J], 0 for atoms).
        """
        dens = self._per_species("density", density, default=0.0)
        temp = self._per_species("temperature", temperature)
        trot = (temp if rotational_temperature is None
                else self._per_species("rotational_temperature", rotational_temperature,
                                       default=None))
        seed = _checks.count("seed", seed, minimum=0)
        parts = []
        for k, s in enumerate(self.species):
            if dens[k] == 0.0:
                continue
            gas = Maxwellian(temperature=_checks.positive(f"temperature of {s.name}", temp[k]),
                             mass=s.mass, x=x, density=dens[k], drift=drift,
                             momentum_dims=momentum_dims)
            n = int(round(gas.total_weight / s.weight))
            if n == 0:
                continue
            m = sample(gas, n, seed=np.random.SeedSequence([seed, k]))
            e = np.zeros(n)
            if s.rotational_dof:
                t_rot = trot[k] if trot[k] is not None else temp[k]
                t_rot = _checks.non_negative(f"rotational_temperature of {s.name}", t_rot)
                rng = np.random.default_rng(np.random.SeedSequence([seed, k, 1]))
                e = rng.exponential(t_rot, n) if t_rot > 0 else e
            parts.append((m, np.full(n, k), e, s.weight))
        if not parts:
            raise ValueError("density gives no markers: every species has n V / weight < 0.5")
        xs = np.concatenate([m.positions for m, *_ in parts])
        ps = np.concatenate([m.momenta for m, *_ in parts])
        ws = np.concatenate([np.full(m.n, w) for m, _, _, w in parts])
        return Markers(xs, ps, ws, state=np.concatenate([s for _, s, _, _ in parts]),
                       internal=np.concatenate([e for _, _, e, _ in parts]))

    def _per_species(self, name, value, default=None):
        if isinstance(value, dict):
            for key in value:
                self.index(key)
            return [value.get(n, default) for n in self.names]
        return [_checks.non_negative(name, value)] * len(self)


@dataclasses.dataclass(frozen=True)
class BinaryMixture(Model, Collision):
    """Binary collisions of a gas mixture, per cell, by Bird's no-time-counter scheme per pair
    of species, with Larsen-Borgnakke rotational exchange (algorithm, conservation and the
    relaxation number in :mod:`pmc._kernels.mixture`).

    The run's band must be the mixture's (:attr:`Mixture.band`); markers need dp = 3, their
    species as ``state`` and a weight equal to their species' (:meth:`Mixture.sample` makes
    them so), and ``internal`` energies if a species rotates. With equal weights, momentum and
    energy (translational plus rotational) are conserved pair by pair to round-off; with
    unequal weights (Bird's scheme: the larger-weight marker takes its new state with
    probability w_small / w_large), per cell and step, by a correction of each cell's momentum
    and energy after its collisions.

    Parameters
    ----------
    mixture : Mixture
    reorder_every : int
        Every this many steps store the markers in cell order (:meth:`pmc.Markers.reorder`,
        as :class:`pmc.collisions.Binary` does), so that the collisions of the next steps read
        each cell's markers from memory nearly in sequence; 0 never reorders. Default 3.
    name : str
        Label of the mechanism in the output.
    """

    mixture: Mixture
    _: KW_ONLY
    reorder_every: int = 3
    name: str = "binary"

    def __post_init__(self):
        if not isinstance(self.mixture, Mixture):
            raise ValueError(f"mixture must be a pmc.Mixture, got {self.mixture!r}")
        object.__setattr__(self, "reorder_every",
                           _checks.count("reorder_every", self.reorder_every, minimum=0))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

    def prepare(self, hamiltonian, cells, markers):
        """The :class:`BinaryMixtureOperator` for a run of ``hamiltonian`` (the mixture's
        band) over ``cells``."""
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"mixture collisions need the run's pmc.Hamiltonian, got "
                             f"{hamiltonian!r}")
        band = hamiltonian.dispersion
        if not isinstance(band, SpeciesMasses) or not np.array_equal(band.masses,
                                                                     self.mixture.masses):
            raise ValueError(f"mixture collisions need the mixture's band "
                             f"(pmc.Hamiltonian(mixture.band)): species masses "
                             f"{self.mixture.masses.tolist()}, got {band!r}")
        if cells is None:
            raise ValueError("mixture collisions need collision cells (pmc.Cells)")
        check_markers(self.mixture, markers)
        return BinaryMixtureOperator(self, hamiltonian, cells)


def check_markers(mixture, markers):
    """ValueError unless ``markers`` suit ``mixture``: dp = 3, species states, weights equal to
    their species', internal energies where a species rotates."""
    if markers.dp != 3:
        raise ValueError(f"mixture collisions need three momentum components (dp = 3), got "
                         f"dp={markers.dp}")
    if markers.state is None:
        raise ValueError("mixture markers need their species as state (Mixture.sample)")
    s = markers.state
    if s.size and s.max() >= len(mixture):
        raise ValueError(f"marker state {int(s.max())} is no species: the mixture has "
                         f"{len(mixture)} ({list(mixture.names)})")
    if s.size and not np.array_equal(markers.w, mixture.weights[s]):
        raise ValueError(f"marker weights must equal their species' weight "
                         f"{dict(zip(mixture.names, mixture.weights.tolist()))}")
    if any(sp.rotational_dof for sp in mixture.species) and markers.internal is None:
        raise ValueError("species with rotational energy need markers with internal "
                         "energies (Mixture.sample, or Markers(..., internal=...))")


class BinaryMixtureOperator(NTCOperator):
    """:class:`BinaryMixture` prepared for a run: the species and pair tables, per-cell and
    per-pair majorants and fractional candidates (:meth:`state`), and counters.

    Attributes
    ----------
    stats : dict
        Cumulative since preparation: ``steps``, ``candidates``, ``events``, ``clipped``,
        ``relaxations`` (rotational exchanges) and ``pair_events`` (S, S) (events per pair of
        species, p <= q in the upper triangle), ``seconds`` [s].
    cell_events : ndarray of int64, (ncell,)
        Pair collisions per cell since preparation.
    """

    def __init__(self, mechanism, hamiltonian, cells):
        super().__init__(mechanism, hamiltonian, cells)
        mix = mechanism.mixture
        self.mixture = mix
        self._sp = mix.species_table()
        self._pair = mix.pair_table()
        self._label = MIXTURE + name_label(mechanism.name)
        self._rotates = any(s.rotational_dof for s in mix.species)
        S = len(mix)
        self.cell_events = np.zeros(cells.count, np.int64)
        self.stats = {"steps": 0, "candidates": 0, "events": 0, "clipped": 0, "relaxations": 0,
                      "pair_events": np.zeros((S, S), np.int64), "seconds": 0.0}

    def collide(self, markers, dt, seed, step):
        """Collide the markers of every cell over one step, in place; arguments as in
        :meth:`pmc.collisions.JumpOperator.collide`. Returns the number of pair collisions."""
        cells = self.cells
        if cells.ndim != markers.dx:
            raise ValueError(f"mixture collisions need cells over every position axis: "
                             f"cells.ndim must be dx = {markers.dx}, got {cells.ndim}")
        if markers.dp != 3 or markers.state is None:
            check_markers(self.mixture, markers)
        dt, step = self._begin(dt, step)
        if markers.n < 2:
            return 0
        started = time.perf_counter()
        x, p, w, state = markers.kernel_arrays()
        itype = np.int32 if max(markers.capacity, cells.count + 1) < 2**31 else np.int64
        index = self._buffer("_index", (markers.capacity,), itype)
        order = self._buffer("_order", (markers.capacity,), itype)
        start = np.empty(cells.count + 1, np.int64)
        every = self.mechanism.reorder_every
        reorder = bool(every) and step % every == 0
        _cells.sort_markers(x, w, markers.n, cells.lo, 1.0 / cells.spacing, cells.shape, index,
                            order, start, reorder)
        internal = markers.kernel_internal()
        has_internal = internal is not None
        if not has_internal:
            if self._rotates:
                check_markers(self.mixture, markers)
            internal = np.zeros(1)
        S = len(self.mixture)
        tally = np.zeros((cells.count, S * S, _mix.NTALLY), np.int64)
        bad = np.zeros(cells.count, np.int64)
        key = stream_key(int(seed), int(step), self._label)
        _mix.collide(p, state, w, internal, has_internal, order, start, key, dt / cells.volume,
                     self._sp, self._pair, self._majorant, self._remainder, tally, bad)
        if bad.any():
            check_markers(self.mixture, markers)
            raise ValueError("marker weights must equal their species' weight")
        if reorder:  # each marker to its position in the cell order
            markers.reorder(index[:markers.n],
                            equal_weights=bool(np.all(self._sp[:, _mix.S_WEIGHT]
                                                      == self._sp[0, _mix.S_WEIGHT])),
                            check=False)
        sums = tally.sum(axis=0)
        self.cell_events += tally[:, :, _mix.T_EVENTS].sum(axis=1)
        s = self.stats
        events = int(sums[:, _mix.T_EVENTS].sum())
        s["events"] += events
        s["candidates"] += int(sums[:, _mix.T_CANDIDATES].sum())
        s["clipped"] += int(sums[:, _mix.T_CLIPPED].sum())
        s["relaxations"] += int(sums[:, _mix.T_RELAXATIONS].sum())
        s["pair_events"] += sums[:, _mix.T_EVENTS].reshape(S, S)
        s["seconds"] += time.perf_counter() - started
        return events

    def _majorant_shape(self):
        """One majorant per cell and ordered pair of species: (S * S,)."""
        S = len(self.mixture)
        return (S * S,)


def species_moments(markers, band, grid, which=SPECIES_OBSERVABLES, system="si"):
    """Moments per species over the spatial bins of ``grid``.

    Parameters
    ----------
    markers : pmc.Markers
        With species ``state`` (and ``internal`` for the rotational temperature).
    band : pmc.bands.SpeciesMasses
    grid : pmc.PhaseSpaceGrid
    which : sequence of str
        Any of :data:`SPECIES_OBSERVABLES`.

    Returns
    -------
    xarray.Dataset
        Dims ``species`` and the grid's spatial dims: ``species_density`` sum w / V [1/m^k],
        ``species_velocity`` (species, component, ...) the mean velocity [m/s],
        ``species_temperature`` m <|v - u|^2> / 3 [J] (translational, k T),
        ``rotational_temperature`` <e_rot> / (dof / 2) [J] (NaN for atoms); NaN where a
        species has no marker (temperatures: fewer than two).
    """
    if not isinstance(band, SpeciesMasses):
        raise ValueError(f"species moments need a mixture's band (pmc.bands.SpeciesMasses), "
                         f"got {band!r}")
    if markers.state is None:
        raise ValueError("species moments need the markers' species (state)")
    sdims = grid.spatial_dims
    S = len(band)
    shape = tuple(grid.coords[d].size for d in sdims)
    ncell = int(np.prod(shape)) if shape else 1
    n = markers.n
    flat = np.zeros(n, np.int64)
    inside = np.ones(n, bool)
    for k, d in enumerate(sdims):
        edges = grid.edges(d)
        h = edges[1] - edges[0]
        i = np.floor((markers.positions[:, "xyz".index(d)] - edges[0]) / h).astype(np.int64)
        inside &= (i >= 0) & (i < shape[k])
        flat = flat * shape[k] + np.clip(i, 0, shape[k] - 1)
    s = markers.state
    key = (s * ncell + flat)[inside]
    w = markers.w[inside]
    m = np.asarray(band.masses)[s][inside]
    v = markers.momenta[inside] / m[:, None]
    size = S * ncell

    def bins(values):
        return np.bincount(key, weights=values, minlength=size)

    W = bins(w)
    count = np.bincount(key, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.stack([bins(w * v[:, c]) / W for c in range(markers.dp)])  # (dp, size)
        dv = v - u[:, key].T
        t = bins(w * m * np.sum(dv * dv, axis=1)) / W / markers.dp
        t[count < 2] = np.nan
        u[:, count == 0] = np.nan
        dof = np.asarray(band.rotational_dof, np.float64)[s][inside]
        if markers.internal is not None:
            trot = bins(w * markers.internal[inside]) / W / (0.5 * dof.max(initial=0.0))
            trot = trot.reshape(S, ncell) * 1.0
            trot[np.asarray(band.rotational_dof) == 0] = np.nan
        else:
            trot = np.full((S, ncell), np.nan)
        trot = trot.ravel()
        trot[count == 0] = np.nan
    vol = grid.cell_volume
    coords = {"species": coordinate("species", list(band.names)),
              "component": coordinate("component", [f"p{a}" for a in "xyz"[:markers.dp]]),
              **grid._coords(sdims, system)}
    dims = ("species", *sdims)
    full = (S, *shape)
    data = {"species_density": (dims, (W / vol).reshape(full)),
            "species_velocity": (("species", "component", *sdims),
                                 u.reshape((markers.dp, *full)).swapaxes(0, 1)),
            "species_temperature": (dims, t.reshape(full)),
            "rotational_temperature": (dims, trot.reshape(full))}
    out = {name: variable(name, data[name][1], dims=data[name][0], system=system)
           for name in which}
    return xr.Dataset(out, coords={k: c for k, c in coords.items()
                                   if any(k in out[v].dims for v in out)})
