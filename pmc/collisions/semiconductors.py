"""Scattering of electrons in real semiconductors: mechanisms over the valleys of a band.

Each class is one named mechanism of ensemble Monte Carlo (C. Jacoboni and L. Reggiani, Rev.
Mod. Phys. 55, 645 (1983), "JR" below, section III.B; M. V. Fischetti, IEEE Trans. Electron
Devices 38, 634 (1991)) with its rate Gamma(eps) and final-state law in its docstring, and a
numpy :meth:`~ValleyMechanism.reference_rates` written from those formulas apart from the
kernels (:mod:`pmc._kernels.valleys`) that the runs use.

The band is the run's: a :class:`pmc.bands.MultiValley` (each marker's valley is its ``state``)
or a parabolic/Kane band, the one-valley case. Rates use the non-parabolic density of states
per spin of the final valley,

    g(eps) = m_d^(3/2) sqrt(gamma) (1 + 2 alpha eps) / (sqrt(2) pi^2 hbar^3),
    gamma = eps (1 + alpha eps),

m_d the valley's density-of-states mass (Herring-Vogt; :class:`pmc.bands.Valley`), and eps the
kinetic energy above the valley's minimum. As in JR (section III.B.5) and Fischetti (1991), the
overlap factors of the Kane band are 1 for the deformation-potential mechanisms and for
Brooks-Herring, and the full Kane overlap (a a' + c c' cos theta)^2 for polar optical phonons.

Valleys are selected by group name (:attr:`pmc.bands.Valley.group`): ``initial`` names the group
a mechanism acts on (None: every valley), and an intervalley process goes to ``final``:
``"same"`` (the marker's own entry, which stands for all the minima it represents: silicon's
g-type process to the opposite valley, GaAs L-L with one L entry), ``"others"`` (the other
entries of the marker's group: silicon's f-type process) or a group name (non-equivalent
valleys, GaAs Gamma -> L). The final entry is drawn in proportion to the entries' degeneracies;
the number of final valleys Z_f multiplies the rate. With a one-valley (Kane) band every process
stays in that valley, with its Z_f and no valley offset: the equivalent-valley approximation.
"""
import math
from dataclasses import KW_ONLY, dataclass

import numpy as np

from .. import _checks, units
from .._kernels import BLOCK
from .._kernels import valleys as _valleys
from .._kernels.rng import SCATTERING, stream_key
from ..bands import Kane, MultiValley, Parabolic, Valley
from ..hamiltonian import Hamiltonian
from .base import Collision, JumpOperator, name_label
from .mechanisms import Mechanism

__all__ = ["ValleyMechanism", "ValleyScattering", "ValleyScatteringOperator", "AcousticDeformation",
           "InelasticAcoustic",
           "IntervalleyPhonon", "PolarOptical", "BrooksHerring", "band_of", "dos"]


def band_of(hamiltonian):
    """The run's band as a :class:`pmc.bands.MultiValley` (a parabolic or Kane band: one
    spherical valley) and whether it is a genuine multi-valley band."""
    disp = hamiltonian.dispersion if isinstance(hamiltonian, Hamiltonian) else hamiltonian
    if isinstance(disp, MultiValley):
        return disp, True
    if isinstance(disp, (Parabolic, Kane)):
        return MultiValley([Valley("band", disp.mass, alpha=getattr(disp, "alpha", 0.0))]), False
    raise ValueError(f"valley mechanisms need a MultiValley, Kane or Parabolic band, got "
                     f"{type(disp).__name__}")


def dos(eps, mass, alpha, hbar):
    """g(eps) [1/(J m^3)], the density of states per spin of a Kane valley of density-of-states
    mass ``mass`` (module docstring); zero for eps <= 0."""
    e = np.maximum(np.asarray(eps, dtype=np.float64), 0.0)
    g = mass ** 1.5 * np.sqrt(e * (1.0 + alpha * e)) * (1.0 + 2.0 * alpha * e) / (
        math.sqrt(2.0) * math.pi ** 2 * hbar ** 3)
    return np.where(np.asarray(eps) > 0, g, 0.0)


def _bose(energy, temperature):
    return 0.0 if temperature == 0.0 else 1.0 / math.expm1(energy / temperature)


@dataclass(frozen=True)
class ValleyMechanism(Mechanism):
    """Base class of the valley mechanisms: classical statistics, the null-collision loop of
    :func:`pmc._kernels.valleys.scatter_independent` and the valley selection. The keywords
    below are common to every valley mechanism.

    Parameters
    ----------
    initial : str, optional
        Valley group the mechanism acts on (default: every valley).
    name : str, optional
        Label in the output's ``mechanism`` dimension.
    """

    _: KW_ONLY
    initial: str = None
    _vkind = _valleys.ISOTROPIC
    final = "same"
    final_valleys = 1
    #: parameters checked > 0 and >= 0 (each mechanism names its own)
    _positive = ()
    _non_negative = ()

    def __post_init__(self):
        super().__post_init__()
        for f in self._positive:
            object.__setattr__(self, f, _checks.positive(f, getattr(self, f)))
        for f in self._non_negative:
            object.__setattr__(self, f, _checks.non_negative(f, getattr(self, f)))
        if self.statistics != "classical":
            raise ValueError(f"{type(self).__name__} supports statistics='classical' only (Pauli "
                             f"blocking over valleys is not implemented), got "
                             f"{self.statistics!r}")

    # ------------------------------------------------------------------ encoding
    def _coefficients(self, band, v, f, hbar):
        """(tab row entries 0..4) for initial valley v and final valley f."""
        raise NotImplementedError

    def _acting(self, band, multi):
        if not multi or self.initial is None:
            return list(range(len(band)))
        return band.members(self.initial)

    def _final(self, band, multi, v):
        if not multi:
            return [0]
        final = self.final
        if final == "same":
            return [v]
        if final == "others":
            out = [k for k in band.members(band.valleys[v].group) if k != v]
            if not out:
                raise ValueError(f"{self.name!r}: final='others' but valley "
                                 f"{band.valleys[v].name!r} is alone in its group")
            return out
        return band.members(final)

    def encode_valleys(self, hamiltonian):
        """(vkind, tab, targets, cum, vband, multi): the kernels' encoding."""
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"{type(self).__name__} needs the run's pmc.Hamiltonian, got "
                             f"{hamiltonian!r}")
        band, multi = band_of(hamiltonian)
        hbar = hamiltonian.hbar
        nv = len(band)
        tab = np.zeros((nv, _valleys.NTAB))
        targets = np.full((nv, nv), -1, np.int64)
        cum = np.ones((nv, nv))
        for v in self._acting(band, multi):
            fs = self._final(band, multi, v)
            ref = band.valleys[fs[0]]
            for f in fs[1:]:
                o = band.valleys[f]
                if (o.energy, o.alpha, o.density_of_states_mass) != (
                        ref.energy, ref.alpha, ref.density_of_states_mass):
                    raise ValueError(f"{self.name!r}: the final valleys of one process must be "
                                     f"equivalent (same energy, alpha, m_d), got "
                                     f"{[band.valleys[k].name for k in fs]}")
            if self._vkind != _valleys.ISOTROPIC and fs != [v]:
                raise ValueError(f"{type(self).__name__} is intravalley")
            w = np.array([band.valleys[f].degeneracy for f in fs], float)
            targets[v, :len(fs)] = fs
            cum[v, :len(fs)] = np.cumsum(w) / w.sum()
            delta = (band.valleys[v].energy - ref.energy) if multi else 0.0
            tab[v, :5] = self._coefficients(band, v, fs[0], hbar, delta)
            tab[v, 5] = 1.0
        return (self._vkind, tab, targets, cum, band.table(), multi)

    def _encode(self, hamiltonian, dp):
        raise NotImplementedError("valley mechanisms are encoded by encode_valleys")

    # ------------------------------------------------------------------ rates
    def rates(self, energy, hamiltonian, dp=3, valley=0):
        """Rate of each process [1/s] at kinetic energies ``energy`` [J] above the minimum of
        valley ``valley`` (an index), from the kernels. Shape ``(len(processes),) +
        energy.shape``."""
        e = np.atleast_1d(_checks.finite_array("energy", energy)).astype(np.float64)
        vkind, tab, targets, _, vb, _ = self.encode_valleys(hamiltonian)
        out = np.empty((2, e.size))
        _valleys.rates_of_energy(np.array([vkind]), tab[np.newaxis], targets[np.newaxis], 0, vb,
                                 int(valley), int(dp), float(hamiltonian.hbar), e.ravel(), out)
        return out[:len(self.processes)].reshape((len(self.processes),) + np.shape(energy))

    def reference_rates(self, energy, hamiltonian, dp=3, valley=0):
        """:meth:`rates` from the formulas of the class docstring in numpy (three dimensions)."""
        e = np.atleast_1d(_checks.finite_array("energy", energy)).astype(np.float64)
        band, multi = band_of(hamiltonian)
        if valley not in self._acting(band, multi):
            return np.zeros((len(self.processes),) + np.shape(energy))
        fs = self._final(band, multi, valley)
        out = np.array([np.broadcast_to(r, e.shape) for r in self._rate_formula(
            e, band.valleys[valley], band.valleys[fs[0]], multi, hamiltonian.hbar)])
        return out.reshape((len(self.processes),) + np.shape(energy))

    def _rate_formula(self, eps, initial, final, multi, hbar):
        raise NotImplementedError

    # ------------------------------------------------------------------ the run
    def prepare(self, hamiltonian, cells, markers):
        """One jump operator for this mechanism alone. A forward intervalley process
        (``initial="Gamma", final="L"``) is balanced by its reverse only when both run in one
        operator: use :class:`ValleyScattering` (``Material.collisions()``) for those."""
        if cells is None:
            raise ValueError(f"{type(self).__name__} needs collision cells (pmc.Cells)")
        return ValleyScatteringOperator(self, hamiltonian, cells, markers, (self,))

    def _key(self, seed):
        return int(stream_key(int(seed), SCATTERING, name_label(self.name)))


class ValleyScattering(Collision):
    """Several :class:`ValleyMechanism` as one jump process: the rate of a marker is the sum
    of theirs and each candidate event picks its mechanism and process in proportion to their
    rates, as ensemble Monte Carlo codes do (JR III.C). This is exact at any time step, where
    applying the mechanisms one after the other (operator splitting) is not: a forward
    intervalley process and its reverse in two operators leave the populations off equilibrium
    by O(rate dt).

    Parameters
    ----------
    mechanisms : sequence of ValleyMechanism
        Distinct names.
    name : str
        Label in the output's ``mechanism`` dimension (default "scattering").
    """

    def __init__(self, mechanisms, name="scattering"):
        ms = tuple(mechanisms)
        if not ms or not all(isinstance(m, ValleyMechanism) for m in ms):
            raise ValueError(f"mechanisms must be a non-empty sequence of ValleyMechanism, got "
                             f"{mechanisms!r}")
        names = [m.name for m in ms]
        if len(set(names)) != len(names):
            raise ValueError(f"mechanisms need distinct names, got {names}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.mechanisms = ms
        self.name = name

    def __repr__(self):
        return f"ValleyScattering({list(self.mechanisms)!r}, name={self.name!r})"

    def __eq__(self, other):
        return (isinstance(other, ValleyScattering) and self.mechanisms == other.mechanisms
                and self.name == other.name)

    def __hash__(self):
        return hash((self.mechanisms, self.name))

    def parameters(self):
        return {"mechanisms": list(self.mechanisms), "name": self.name}

    def _key(self, seed):
        return int(stream_key(int(seed), SCATTERING, name_label(self.name)))

    def _reference_energy(self, hamiltonian):
        return min(m._reference_energy(hamiltonian) for m in self.mechanisms)

    def prepare(self, hamiltonian, cells, markers):
        if cells is None:
            raise ValueError("ValleyScattering needs collision cells (pmc.Cells)")
        return ValleyScatteringOperator(self, hamiltonian, cells, markers, self.mechanisms)


class ValleyScatteringOperator(JumpOperator):
    """:class:`ValleyMechanism` (one, or several through :class:`ValleyScattering`) prepared
    for a run. ``last_counts`` holds the counts of the last step: per mechanism and process
    (``"<name>.<process>"``), "events", "intervalley" (events that changed the valley) and
    "candidates"."""

    def __init__(self, description, hamiltonian, cells, markers, mechanisms):
        super().__init__(description, hamiltonian, cells)
        codes = [m.encode_valleys(hamiltonian) for m in mechanisms]
        band, multi = band_of(hamiltonian)
        self._mechanisms = mechanisms
        self._code = (np.array([c[0] for c in codes], np.int64),
                      np.ascontiguousarray(np.stack([c[1] for c in codes])),
                      np.ascontiguousarray(np.stack([c[2] for c in codes])),
                      np.ascontiguousarray(np.stack([c[3] for c in codes])), codes[0][4])
        self.dp = markers.dp
        if self.dp not in (1, 2, 3):
            raise ValueError(f"dp must be 1, 2 or 3, got {self.dp}")
        for m in mechanisms:
            if self.dp != 3 and (not band.isotropic or m._vkind != _valleys.ISOTROPIC):
                raise ValueError(f"{type(m).__name__} with this band needs markers with dp=3 "
                                 f"momentum components (ellipsoidal valleys, polar or impurity "
                                 f"angular laws), got dp={self.dp}")
        if multi and len(band) > 1 and markers.state is None:
            raise ValueError(f"{description.name!r}: markers in a MultiValley band need their "
                             f"valley as state (pmc.Markers(..., state=...); "
                             f"Material.equilibrium samples them)")
        self._nvalley = len(band)
        self._inv_ref = 1.0 / description._reference_energy(hamiltonian)
        self._majorant = self._majorants(hamiltonian)
        self._quiet = (None, None)
        self.last_counts = None

    #: Relative margin of the tabulated majorants over the largest sampled total rate.
    MARGIN = 0.02
    #: Energies sampled per energy band (an octave) for the majorants.
    SAMPLES = 257

    def _majorants(self, hamiltonian):
        """float64 (nvalley, NBANDS): an upper bound of the total rate [1/s] of a marker of
        valley v whose kinetic energy lies in energy band b (octaves of the reference energy,
        :func:`pmc._kernels.scatter.energy_band`): the largest total rate over SAMPLES
        log-spaced energies of the band, both sides of every threshold in it (where an emission
        process starts), times 1 + MARGIN. The total rate is continuous between thresholds and
        smooth on the scale of the samples (relative spacing 0.3 %), so the margin bounds it.
        Computed once: the scattering then needs no rate per marker and step, only for the
        candidates of the null-collision thinning (whose rate the bound must, and does,
        exceed; a marker whose rate would exceed it after a jump uses its own rate, as
        before)."""
        vkinds, tabs, targets, cum, vb = self._code
        ref = 1.0 / self._inv_ref
        nb = _valleys.NBANDS
        lo = ref * 2.0 ** (np.arange(nb) - 1.0 - _valleys.BAND0)
        out = np.empty((self._nvalley, nb))
        hbar = float(hamiltonian.hbar)
        for v in range(self._nvalley):
            shifts = -tabs[:, v, 2:4].ravel()
            thresholds = shifts[shifts > 0.0]
            for b in range(nb):
                a = 0.0 if b == 0 else lo[b]
                z = 2.0 * lo[b] if b < nb - 1 else 4.0 * lo[b]
                e = np.geomspace(max(a, z * 1e-12), z, self.SAMPLES)
                inside = thresholds[(thresholds >= a) & (thresholds < z)]
                e = np.concatenate([[a], e, inside * (1.0 - 1e-12), inside * (1.0 + 1e-12)])
                r = _valleys.total_rates(vkinds, tabs, targets, vb, v, self.dp, hbar, e,
                                         np.empty(e.size))
                out[v, b] = (1.0 + self.MARGIN) * r.max()
        return out

    def collide(self, markers, dt, seed, step):
        return self.collide_counts(markers, dt, seed, step)["events"]

    def collide_counts(self, markers, dt, seed, step):
        """As :meth:`collide`, returning the counts per process, "events", "intervalley" and
        "candidates"."""
        mech = self.mechanism
        vkinds, tabs, targets, cum, vb = self._code
        nm = vkinds.shape[0]
        dt = _checks.positive("dt", dt)
        step = _checks.count("step", step, minimum=0)
        n = markers.n
        arrays = markers.kernel_arrays()
        state = arrays.state
        write = state is not None
        if state is None:
            state = np.zeros(n, np.int64)
        elif n and (state[:n].min() < 0 or state[:n].max() >= self._nvalley):
            raise ValueError(f"marker states must be valley indices 0..{self._nvalley - 1}")
        index = self.cells.index(markers)
        band = np.empty(n, np.int8)
        hbar = float(self.hamiltonian.hbar)
        _valleys.marker_bands(vb, arrays.p, state, n, self._inv_ref, band)
        # the majorant's row is the marker's valley (the bound holds in every cell); markers
        # outside the cells (index -1) do not scatter
        row = np.where(index >= 0, state[:n], -1)
        if self._quiet[0] != dt:
            self._quiet = (dt, np.exp(-self._majorant * dt))
        tally = np.zeros(((n + BLOCK - 1) // BLOCK, 2 * nm + 2), np.int64)
        _valleys.scatter_independent(vkinds, tabs, targets, cum, vb, hbar, arrays.p, state, write,
                                     n, row, band, self._majorant, self._quiet[1],
                                     self._inv_ref, dt, mech._key(seed), step, tally)
        total = tally.sum(axis=0)
        if nm == 1:
            out = {p: int(total[k]) for k, p in enumerate(self._mechanisms[0].processes)}
        else:
            out = {f"{m.name}.{p}": int(total[2 * k + j])
                   for k, m in enumerate(self._mechanisms) for j, p in enumerate(m.processes)}
        out.update(events=int(total[:2 * nm].sum()), intervalley=int(total[2 * nm]),
                   candidates=int(total[2 * nm + 1]))
        self.last_counts = out
        return out


# ============================================================================ mechanisms
@dataclass(frozen=True)
class _DeformationPotential(ValleyMechanism):
    """The parameters of acoustic phonons by the deformation potential (elastic and
    inelastic): Xi [J], rho [kg/m^3], u_l [m/s], kT [J], all > 0."""

    deformation_potential: float
    mass_density: float
    sound_velocity: float
    temperature: float
    _positive = ("deformation_potential", "mass_density", "sound_velocity", "temperature")

    def _reference_energy(self, hamiltonian):
        return self.temperature


@dataclass(frozen=True)
class AcousticDeformation(_DeformationPotential):
    """Acoustic phonons by the deformation potential, elastic, in equipartition (JR III.B.3):

        Gamma(eps) = (2 pi Xi^2 kT / (hbar rho u_l^2)) g_v(eps),

    g_v the non-parabolic density of states per spin of the marker's valley; the final state
    has the same energy and a direction isotropic in the valley's Herring-Vogt space (overlap
    factor 1, as JR and Fischetti 1991 take it).

    Parameters
    ----------
    deformation_potential : float
        Xi [J], > 0 (Si: 9 eV, JR Table IV).
    mass_density : float
        rho [kg/m^3], > 0.
    sound_velocity : float
        u_l [m/s], > 0.
    temperature : float
        Lattice temperature kT [J], > 0.

    Keyword options: ``initial`` (valley group) and those of :class:`pmc.collisions.Mechanism`.
    """

    _default_name = "acoustic_deformation"
    processes = ("elastic",)

    def _constant(self, hbar):
        return (2.0 * math.pi * self.deformation_potential ** 2 * self.temperature
                / (hbar * self.mass_density * self.sound_velocity ** 2))

    def _coefficients(self, band, v, f, hbar, delta):
        return [self._constant(hbar), 0.0, 0.0, 0.0, 0.0]

    def _rate_formula(self, eps, initial, final, multi, hbar):
        return (self._constant(hbar) * dos(eps, initial.density_of_states_mass, initial.alpha,
                                           hbar),)


@dataclass(frozen=True)
class InelasticAcoustic(_DeformationPotential):
    """Acoustic phonons by the deformation potential with their energy: absorption and
    emission of a phonon hbar u_l q with the full Bose-Einstein occupation N_q (JR III.B.3, the
    inelastic treatment for low temperatures; C. Jacoboni and P. Lugli, The Monte Carlo Method
    for Semiconductor Device Simulation (Springer 1989), sec. 3.3). By the golden rule with
    |M|^2 = Xi^2 hbar q / (2 rho u_l V) (N_q + 1/2 -+ 1/2), in the Herring-Vogt space of the
    marker's valley (spherical, m_d; overlap 1 as for the elastic mechanism)::

        Gamma_abs(eps) = (Xi^2 m_d / (4 pi rho u_l hbar^2 k)) int q^2 N_q (1 + 2 alpha eps') dq,
        eps' = eps + hbar u_l q,
        Gamma_em(eps)  = (Xi^2 m_d / (4 pi rho u_l hbar^2 k)) int q^2 (N_q + 1) (1 + 2 alpha eps')
                         dq,  eps' = eps - hbar u_l q,

    hbar k = sqrt(2 m_d eps (1 + alpha eps)), over the q for which momentum conservation
    k' = k +- q is possible, |k' - k| <= q <= k + k' (parabolic band: 0 or 2 m_d u_l / hbar -
    2 k to 2 k + 2 m_d u_l / hbar for absorption, 0 to 2 k - 2 m_d u_l / hbar for emission).
    With N_q ~ kT / (hbar u_l q) and hbar u_l q << eps the two sum to the elastic
    :class:`AcousticDeformation` rate. The final state: q drawn from the integrand, |k'| from
    the energy, the angle between k and k' from the triangle, the azimuth uniform.

    Parameters
    ----------
    deformation_potential : float
        Xi [J], > 0.
    mass_density : float
        rho [kg/m^3], > 0.
    sound_velocity : float
        u_l [m/s], > 0.
    temperature : float
        Lattice temperature kT [J], > 0.

    Keyword options: ``initial`` (valley group) and those of :class:`pmc.collisions.Mechanism`.
    """

    _default_name = "inelastic_acoustic"
    _vkind = _valleys.INELASTIC
    processes = ("absorption", "emission")

    def _constant(self, mass, hbar):
        return (self.deformation_potential ** 2 * mass
                / (4.0 * math.pi * self.mass_density * self.sound_velocity * hbar ** 2))

    def _coefficients(self, band, v, f, hbar, delta):
        return [self._constant(band.valleys[v].density_of_states_mass, hbar),
                hbar * self.sound_velocity, 0.0, 0.0, self.temperature]

    def _rate_formula(self, eps, initial, final, multi, hbar):
        """The golden rule integrated over the final direction instead of q: for each cosine
        x between k and k' the final |k'| solves eps(k') = eps +- hbar u |k' - k| (brentq),
        Gamma = (1 / (2 pi hbar)) int dx k'^2 |M|^2 / |d(eps(k') -+ hbar u q) / dk'| (scipy
        quad), summed over the roots."""
        from scipy.integrate import quad
        from scipy.optimize import brentq
        md, al, u = initial.density_of_states_mass, initial.alpha, self.sound_velocity
        kt, xi, rho = self.temperature, self.deformation_potential, self.mass_density

        def e_of(kk):
            g = (hbar * kk) ** 2 / (2.0 * md)
            return 2.0 * g / (1.0 + math.sqrt(1.0 + 4.0 * al * g))

        def de_dk(kk):
            return hbar ** 2 * kk / (md * (1.0 + 2.0 * al * e_of(kk)))

        out = np.zeros((2,) + np.shape(eps))
        for i, e0 in enumerate(np.ravel(eps)):
            if e0 <= 0.0:
                continue
            k = math.sqrt(2.0 * md * e0 * (1.0 + al * e0)) / hbar
            for j, sgn in enumerate((1.0, -1.0)):
                def resid(kk, x):
                    q = math.sqrt(max(k * k + kk * kk - 2.0 * k * kk * x, 0.0))
                    return e_of(kk) - e0 - sgn * hbar * u * q

                def integrand(x):
                    # every root k' of the energy balance along direction x (sign changes on
                    # a grid of 65 points, then brentq): two for emission by a slow electron
                    top = 2.0 * k + 4.0 * md * u / hbar + 1.0 if sgn > 0 else k
                    grid = np.linspace(0.0, top, 65)
                    f = np.array([resid(g, x) for g in grid])
                    total = 0.0
                    for a, b, fa, fb in zip(grid[:-1], grid[1:], f[:-1], f[1:]):
                        if not (fa < 0.0 < fb or fb < 0.0 < fa):
                            continue
                        kk = brentq(resid, a, b, args=(x,), xtol=1e-14 * k, rtol=1e-13)
                        q = math.sqrt(max(k * k + kk * kk - 2.0 * k * kk * x, 0.0))
                        if q == 0.0:
                            continue
                        n = 1.0 / math.expm1(hbar * u * q / kt) + (0.0 if sgn > 0 else 1.0)
                        m2 = xi ** 2 * hbar * q * n / (2.0 * rho * u)
                        d = abs(de_dk(kk) - sgn * hbar * u * (kk - k * x) / q)
                        total += kk * kk * m2 / d
                    return total

                out[j].flat[i] = quad(integrand, -1.0, 1.0, limit=200, epsabs=0.0,
                                      epsrel=1e-10)[0] / (2.0 * math.pi * hbar)
        return tuple(out)


@dataclass(frozen=True)
class IntervalleyPhonon(ValleyMechanism):
    """Intervalley (or intravalley non-polar optical) phonons, zeroth order (JR III.B.4-5)::

        Gamma_abs(eps) = (pi (D_t K)^2 Z_f / (rho w)) N_0 g_f(eps + Delta_i - Delta_f + hbar w)
        Gamma_em(eps)  = (pi (D_t K)^2 Z_f / (rho w)) (N_0 + 1)
                         g_f(eps + Delta_i - Delta_f - hbar w)

    N_0 = 1 / (exp(hbar w / kT) - 1), g_f the density of states per spin of the final valley,
    Z_f the number of final valleys, Delta the valley minima (the offset is added to the
    kinetic energy, so energy is conserved across non-equivalent valleys). The final direction
    is isotropic in the final valley's Herring-Vogt space; the final entry among ``final`` is
    drawn in proportion to its degeneracy. With ``final="same"`` and Z_f = 1 this is the
    intravalley non-polar optical phonon (Ge, GaAs L).

    Parameters
    ----------
    coupling : float
        D_t K [J/m], > 0 (Si g3: 11e8 eV/cm).
    energy : float
        hbar w [J], > 0.
    mass_density : float
        rho [kg/m^3], > 0.
    temperature : float
        kT [J], >= 0.
    final_valleys : int
        Z_f, >= 1 (Si: g-type 1, f-type 4; GaAs Gamma -> L: 4).
    final : str
        "same", "others" or a valley group (module docstring).
    initial : str, optional
        Valley group of the initial states (default every valley).

    Processes: ``("absorption", "emission")``.
    """

    coupling: float
    energy: float
    mass_density: float
    temperature: float
    final_valleys: int = 1
    final: str = "same"
    _default_name = "intervalley_phonon"
    processes = ("absorption", "emission")
    _positive = ("coupling", "energy", "mass_density")
    _non_negative = ("temperature",)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "final_valleys",
                           _checks.count("final_valleys", self.final_valleys, minimum=1))
        if not isinstance(self.final, str) or not self.final:
            raise ValueError(f"final must be 'same', 'others' or a valley group, got "
                             f"{self.final!r}")

    @property
    def occupation_number(self):
        return _bose(self.energy, self.temperature)

    def _b(self, hbar):
        return (math.pi * self.coupling ** 2 * self.final_valleys
                / (self.mass_density * self.energy / hbar))

    def _coefficients(self, band, v, f, hbar, delta):
        b, n0 = self._b(hbar), self.occupation_number
        return [b * n0, b * (n0 + 1.0), delta + self.energy, delta - self.energy, 0.0]

    def _rate_formula(self, eps, initial, final, multi, hbar):
        b, n0 = self._b(hbar), self.occupation_number
        delta = initial.energy - final.energy if multi else 0.0
        md, a = final.density_of_states_mass, final.alpha
        return (b * n0 * dos(eps + delta + self.energy, md, a, hbar),
                b * (n0 + 1.0) * dos(eps + delta - self.energy, md, a, hbar))

    def _reference_energy(self, hamiltonian):
        return self.energy


@dataclass(frozen=True)
class PolarOptical(ValleyMechanism):
    """Polar optical phonons (Froehlich), intravalley, with the Kane overlap (JR III.B.6;
    W. Fawcett, A. D. Boardman and S. Swain, J. Phys. Chem. Solids 31, 1963 (1970)).

    The matrix element is |M(q)|^2 = (e^2 hbar w / (2 eps_0 q^2)) (1/eps_inf - 1/eps_s)
    (N_0 + 1/2 -+ 1/2) G, with G = (a a' + c c' cos theta)^2, a^2 = (1 + alpha eps) /
    (1 + 2 alpha eps), c^2 = alpha eps / (1 + 2 alpha eps). The golden rule integrated over the
    final sphere gives::

        Gamma_+-(eps) = (e^2 w sqrt(m) / (4 pi eps_0 sqrt(2) hbar)) (1/eps_inf - 1/eps_s)
                        (N_0 + 1/2 -+ 1/2) (1 + 2 alpha eps') F_0(eps, eps') / sqrt(gamma),
        F_0 = (A ln|(gamma^(1/2) + gamma'^(1/2)) / (gamma^(1/2) - gamma'^(1/2))| + B) / C,
        A = [2 (1 + alpha eps)(1 + alpha eps') + alpha (gamma + gamma')]^2,
        B = -2 alpha (gamma gamma')^(1/2) [4 (1 + alpha eps)(1 + alpha eps') + alpha (gamma +
            gamma')],
        C = 4 (1 + alpha eps)(1 + alpha eps')(1 + 2 alpha eps)(1 + 2 alpha eps'),

    eps' = eps +- hbar w, gamma = eps (1 + alpha eps). The final polar angle about the initial
    momentum (in the valley's Herring-Vogt space, with m = m_d) has the density G / q^2: drawn
    exactly from 1 / q^2 and accepted with G / G(theta = 0) (JR III.C.4), so small-angle events
    dominate -- the anisotropy that makes polar scattering a poor randomiser of momentum.

    Parameters
    ----------
    energy : float
        hbar w_LO [J], > 0 (GaAs: 35.36 meV).
    static_permittivity : float
        eps_s (relative), > high_frequency_permittivity.
    high_frequency_permittivity : float
        eps_inf (relative), > 0.
    temperature : float
        kT [J], >= 0.

    Processes: ``("absorption", "emission")``; dp = 3.
    """

    energy: float
    static_permittivity: float
    high_frequency_permittivity: float
    temperature: float
    _vkind = _valleys.POLAR
    _default_name = "polar_optical"
    processes = ("absorption", "emission")
    _positive = ("energy", "static_permittivity", "high_frequency_permittivity")
    _non_negative = ("temperature",)

    def __post_init__(self):
        super().__post_init__()
        if not self.static_permittivity > self.high_frequency_permittivity:
            raise ValueError(f"static_permittivity ({self.static_permittivity}) must exceed "
                             f"high_frequency_permittivity ({self.high_frequency_permittivity})")

    @property
    def occupation_number(self):
        return _bose(self.energy, self.temperature)

    def _coupling(self):
        return units.e ** 2 * (1.0 / self.high_frequency_permittivity
                               - 1.0 / self.static_permittivity) / units.epsilon_0

    def _coefficients(self, band, v, f, hbar, delta):
        # Gamma = [e^2 w C m / (4 pi eps_0 hbar^2)] N (1 + 2 alpha eps') k' I (kernel form)
        w = self.energy / hbar
        m = band.valleys[v].density_of_states_mass
        c = self._coupling() * w * m / (4.0 * math.pi * hbar ** 2)
        n0 = self.occupation_number
        return [c * n0, c * (n0 + 1.0), self.energy, -self.energy, 0.0]

    def _rate_formula(self, eps, initial, final, multi, hbar):
        m, a = initial.density_of_states_mass, initial.alpha
        w = self.energy / hbar
        pre = self._coupling() * w * math.sqrt(m) / (4.0 * math.pi * math.sqrt(2.0) * hbar)
        n0 = self.occupation_number
        out = []
        for sign, occ in ((1.0, n0), (-1.0, n0 + 1.0)):
            e2 = eps + sign * self.energy
            ok = (e2 > 0) & (eps > 0)
            e1 = np.where(ok, eps, 1.0)
            e2 = np.where(ok, e2, 1.0)
            g1, g2 = e1 * (1 + a * e1), e2 * (1 + a * e2)
            s1, s2 = np.sqrt(g1), np.sqrt(g2)
            big_a = (2 * (1 + a * e1) * (1 + a * e2) + a * (g1 + g2)) ** 2
            big_b = -2 * a * s1 * s2 * (4 * (1 + a * e1) * (1 + a * e2) + a * (g1 + g2))
            big_c = 4 * (1 + a * e1) * (1 + a * e2) * (1 + 2 * a * e1) * (1 + 2 * a * e2)
            with np.errstate(divide="ignore", invalid="ignore"):
                f0 = (big_a * np.log(np.abs((s1 + s2) / (s1 - s2))) + big_b) / big_c
            out.append(np.where(ok, pre * occ * (1 + 2 * a * e2) * f0 / s1, 0.0))
        return tuple(out)

    def _reference_energy(self, hamiltonian):
        return self.energy


@dataclass(frozen=True)
class BrooksHerring(ValleyMechanism):
    """Ionized impurities, Brooks-Herring (screened Coulomb), with the doping as parameter
    (H. Brooks, Adv. Electron. Electron Phys. 7, 85 (1955); JR III.B.7):

        Gamma(eps) = (2 pi / hbar) N_I (Z e^2 / (eps_0 eps_r))^2 g_v(eps)
                     / (beta^2 (beta^2 + 4 k^2)),   hbar k = sqrt(2 m_d gamma),

    beta^2 = e^2 n / (eps_0 eps_r kT) the inverse Debye length squared of the free carriers
    (n = ``screening_density``, default the doping: full ionisation, non-degenerate). Elastic;
    cos theta about the initial momentum (Herring-Vogt space) drawn exactly from
    1 / (2 k^2 (1 - cos theta) + beta^2)^2. Overlap factor 1 (JR).

    Parameters
    ----------
    doping : float
        N_I, ionized impurities [1/m^3], > 0.
    relative_permittivity : float
        eps_r (static), > 0.
    temperature : float
        kT [J] of the screening carriers, > 0.
    charge_number : float
        Z, > 0.
    screening_density : float, optional
        n [1/m^3], > 0; default ``doping``.

    dp = 3.
    """

    doping: float
    relative_permittivity: float
    temperature: float
    charge_number: float = 1.0
    screening_density: float = None
    _vkind = _valleys.IMPURITY
    _default_name = "brooks_herring"
    processes = ("elastic",)
    _positive = ("doping", "relative_permittivity", "temperature", "charge_number")

    def __post_init__(self):
        super().__post_init__()
        if self.screening_density is not None:
            object.__setattr__(self, "screening_density",
                               _checks.positive("screening_density", self.screening_density))

    @property
    def screening_wavenumber(self):
        """beta [1/m]."""
        n = self.doping if self.screening_density is None else self.screening_density
        return math.sqrt(units.e ** 2 * n / (units.epsilon_0 * self.relative_permittivity
                                             * self.temperature))

    def _constant(self, hbar):
        return 2.0 * math.pi / hbar * self.doping * (
            self.charge_number * units.e ** 2 / (units.epsilon_0 * self.relative_permittivity)
        ) ** 2

    def _coefficients(self, band, v, f, hbar, delta):
        return [self._constant(hbar), 0.0, 0.0, 0.0, self.screening_wavenumber ** 2]

    def _rate_formula(self, eps, initial, final, multi, hbar):
        m, a = initial.density_of_states_mass, initial.alpha
        b2 = self.screening_wavenumber ** 2
        k2 = 2.0 * m * np.maximum(eps, 0.0) * (1.0 + a * np.maximum(eps, 0.0)) / hbar ** 2
        return (self._constant(hbar) * dos(eps, m, a, hbar) / (b2 * (b2 + 4.0 * k2)),)

    def _reference_energy(self, hamiltonian):
        return self.temperature
