"""Initial states: equilibrium distributions and quantum states, sampled as weighted markers.

A distribution is a frozen, validated model of f(x, p); :func:`sample` draws ``n`` markers from
it with a :class:`numpy.random.Generator` seeded by a :class:`numpy.random.SeedSequence`, so the
same seed gives bitwise the same markers. Every marker of one draw carries the same weight,
``total_weight / n``: the number of physical particles per marker when the distribution has a
density, or 1/n (a probability) when it has none.

Models
------
:class:`Maxwellian`
    Drifting Maxwell-Boltzmann momenta, uniform in a box or following a tabulated profile n(x).
:class:`FermiDirac`, :class:`BoseEinstein`
    Ideal quantum gases, f = 1 / (exp((eps - mu) / kT) +- 1) with eps = p^2 / 2m; the density
    follows from (T, mu, degeneracy, hbar).
:class:`GaussianWavepacket`
    A minimum-uncertainty packet, sampled from its (positive) Wigner function: the markers
    reproduce the quantum state's phase-space density exactly (docs/design.md §1, "Comparing like
    with like").
:class:`Gridded`
    Any non-negative f(x, p) tabulated on a uniform 1D1V grid.

Units are SI (positions m, momenta kg m/s, energies J) or any consistent system; temperatures
are energies k_B T. The sampling machinery (uniform positions in a box, inverse-CDF sampling of a
piecewise-linear density, isotropic directions) is written once below and shared by the models.
"""
import math
from dataclasses import KW_ONLY, dataclass
from functools import cached_property

import numpy as np
from scipy import special

from . import _checks, _resources, units
from ._model import Model
from .markers import Markers

__all__ = ["Distribution", "Maxwellian", "FermiDirac", "BoseEinstein", "GaussianWavepacket",
           "Gridded", "sample"]

#: Momentum tables of the quantum gases stop at eps = max(mu, 0) + _TAIL kT, where the relative
#: weight of the tail beyond is below 1e-16 (the worst case is the classical limit in three
#: dimensions: Gamma(3/2, 45) / Gamma(3/2) = 2e-19).
_TAIL = 45.0
#: Intervals of the uniform part of the radial momentum table (>= 2^14 asked for; 2^16 resolves
#: a Fermi edge of width kT up to mu ~ 1e3 kT, and the edge gets its own refinement beyond).
_NTABLE = 2 ** 16


# ============================================================================ sampling
def sample(distribution, n, seed=None, check_resources=True):
    """Draw ``n`` weighted markers from ``distribution``.

    Parameters
    ----------
    distribution : Distribution
        A :class:`Maxwellian`, :class:`FermiDirac`, :class:`BoseEinstein`,
        :class:`GaussianWavepacket` or :class:`Gridded`.
    n : int
        Number of markers, >= 1.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the draw (dimensionless). The same seed gives bitwise the same markers. ``None``
        draws fresh entropy from the operating system: the result cannot be reproduced.
    check_resources : bool
        Refuse, before allocating, a draw whose markers would not fit in the available memory
        (:class:`pmc._resources.ResourceError`, with the estimate); default True.

    Returns
    -------
    pmc.Markers
        ``n`` markers of dimension ``distribution.dx`` x ``distribution.dp``, each of weight
        ``distribution.total_weight / n``.

    Examples
    --------
    >>> import pmc
    >>> gas = pmc.states.Maxwellian(temperature=1.0, mass=2.0, x=(0.0, 10.0), density=3.0)
    >>> m = pmc.sample(gas, n=1000, seed=7)
    >>> m.n, m.dx, m.dp, round(m.total_weight, 9)
    (1000, 1, 1, 30.0)
    >>> bool((pmc.sample(gas, 1000, seed=7).p == m.p).all())
    True
    """
    if not isinstance(distribution, Distribution):
        raise ValueError(f"distribution must be one of pmc.states.{', '.join(__all__[1:-1])}, "
                         f"got {type(distribution).__name__}")
    n = _checks.count("n", n, minimum=1)
    _resources.check_markers(n, distribution.dx, distribution.dp, check=check_resources)
    rng = np.random.default_rng(_seed_sequence(seed))
    drawn = distribution._draw(rng, n)  # (positions, momenta, weights[, state])
    return Markers.from_components(*drawn)


def _seed_sequence(seed):
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_, float)):
        raise ValueError(f"seed must be a non-negative integer or a numpy.random.SeedSequence, "
                         f"got {seed!r}")
    try:
        return np.random.SeedSequence(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be a non-negative integer or a numpy.random.SeedSequence, "
                         f"got {seed!r}") from None


def _uniform_box(rng, box, n):
    """(d, n) positions uniform in ``box`` ((d, 2) array of lo, hi [m])."""
    pos = np.empty((box.shape[0], n))
    for k, (lo, hi) in enumerate(box):  # over axes, not markers
        rng.random(out=pos[k])
        pos[k] *= hi - lo
        pos[k] += lo
    return pos


def _isotropic(rng, radius, dp):
    """(dp, n) vectors of length ``radius`` [(n,)] in uniformly random directions: a random sign
    (dp = 1), a uniform angle (dp = 2), cos(theta) uniform in [-1, 1] (dp = 3; Archimedes)."""
    n = radius.shape[0]
    out = np.empty((dp, n))
    if dp == 1:
        np.copyto(out[0], radius)
        out[0][rng.random(n) < 0.5] *= -1.0
        return out
    phi = rng.random(n)
    phi *= 2.0 * math.pi
    if dp == 2:
        np.multiply(radius, np.cos(phi), out=out[0])
        np.multiply(radius, np.sin(phi), out=out[1])
        return out
    c = rng.random(n)
    c *= 2.0
    c -= 1.0
    s = np.sqrt(np.maximum(1.0 - c * c, 0.0))
    s *= radius
    np.multiply(s, np.cos(phi), out=out[0])
    np.multiply(s, np.sin(phi), out=out[1])
    np.multiply(radius, c, out=out[2])
    return out


class _PiecewiseLinear:
    """A non-negative density tabulated at increasing ``nodes`` and linear in between, with its
    exact cumulative integral and exact inverse-CDF sampling.

    On an interval of width h starting at value a with slope s = (b - a) / h, the mass up to
    t is a t + s t^2 / 2; the draw solves a t + s t^2 / 2 = r in the cancellation-free form
    t = 2 r / (a + sqrt(a^2 + 2 s r)) (L. Devroye, Non-Uniform Random Variate Generation,
    Springer 1986, ch. II.2).
    """

    def __init__(self, nodes, values):
        self.nodes, self.values = nodes, values
        self.cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (values[1:] + values[:-1])
                                                           * np.diff(nodes))])
        self.total = float(self.cumulative[-1])

    def draw(self, rng, n):
        r = rng.random(n)
        r *= self.total
        k = np.searchsorted(self.cumulative, r, side="right")  # zero-mass intervals never hit
        k -= 1
        np.clip(k, 0, self.nodes.size - 2, out=k)
        r -= self.cumulative[k]
        a = self.values[k]
        h = self.nodes[k + 1] - self.nodes[k]
        slope = self.values[k + 1] - a
        slope /= h
        disc = slope * r
        disc *= 2.0
        disc += a * a
        np.maximum(disc, 0.0, out=disc)
        denom = np.sqrt(disc, out=disc)
        denom += a
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(denom > 0.0, 2.0 * r / denom, 0.0)
        np.clip(t, 0.0, h, out=t)
        t += self.nodes[k]
        return t


# ============================================================================ parameters
def _box(x):
    """``x=(lo, hi)`` or ``((lo, hi), ...)`` [m] -> (d, 2) array with hi > lo on every axis."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        a = None
    if a is None or not ((a.shape == (2,)) or (a.ndim == 2 and a.shape[1] == 2
                                               and 1 <= a.shape[0] <= 3)):
        raise ValueError(f"x must be a box (lo, hi) [m] or a sequence of 1 to 3 (lo, hi) pairs, "
                         f"got {x!r}")
    a = _checks.finite_array("x", a).reshape(-1, 2)
    if not np.all(a[:, 1] > a[:, 0]):
        raise ValueError(f"x must have hi > lo on every axis, got {x!r}")
    return a


def _box_field(box):
    """The normalised, hashable form of a box for the dataclass field."""
    pairs = tuple((float(lo), float(hi)) for lo, hi in box)
    return pairs[0] if len(pairs) == 1 else pairs


def _momentum_dims(value, dx):
    if value is None:
        return dx
    dp = _checks.count("momentum_dims", value, minimum=1)
    if not dx <= dp <= 3:
        raise ValueError(f"momentum_dims must be in {dx}..3 (at least the {dx} position "
                         f"dimension(s) of x), got {value!r}")
    return dp


def _drift(value, dp):
    """Drift velocity [m/s]: a number (along the first axis) or ``dp`` components."""
    u = np.atleast_1d(_checks.finite_array("drift", value))
    if u.ndim != 1 or u.size not in (1, dp) or (u.size == 1 and np.ndim(value) > 0 and dp != 1):
        raise ValueError(f"drift must be a number (along x) or a vector of momentum_dims={dp} "
                         f"components [m/s], got {value!r}")
    field = float(u[0]) if np.ndim(value) == 0 else tuple(float(v) for v in u)
    vec = np.zeros(dp)
    vec[:u.size] = u
    return field, vec


def _readonly(a):
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _freeze(v):
    if isinstance(v, np.ndarray):
        return ("ndarray", v.shape, v.tobytes())
    if isinstance(v, (tuple, list)):
        return tuple(_freeze(e) for e in v)
    return v


# ============================================================================ models
class Distribution(Model):
    """Base class of the distributions :func:`sample` draws from.

    Subclasses are frozen dataclasses (compared and hashed by value, arrays included) that
    provide ``dx``, ``dp``, ``total_weight`` and ``_draw(rng, n) -> (positions (dx, n),
    momenta (dp, n), weights (n,))``, all float64 and C-contiguous.
    """

    @property
    def dx(self):
        """Position dimension of the markers."""
        raise NotImplementedError

    @property
    def dp(self):
        """Momentum dimension of the markers."""
        raise NotImplementedError

    @property
    def total_weight(self):
        """The sum of the weights of any sample: physical particles, or 1 for a probability."""
        raise NotImplementedError

    def _draw(self, rng, n):
        raise NotImplementedError

    def _weights(self, n):
        return np.full(n, self.total_weight / n)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return _freeze(tuple(self.parameters().values())) == \
            _freeze(tuple(other.parameters().values()))

    def __hash__(self):
        return hash((type(self).__name__, _freeze(tuple(self.parameters().values()))))


@dataclass(frozen=True, eq=False)
class Maxwellian(Distribution):
    """Drifting Maxwell-Boltzmann distribution in a box or along a density profile.

    f(x, p) = n(x) (2 pi m kT)^(-dp/2) exp(-|p - m u|^2 / (2 m kT)):
    each momentum component is normal with mean m u_k and variance m kT (L. D. Landau and
    E. M. Lifshitz, Statistical Physics Part 1, 3rd ed., Pergamon 1980, section 29).

    Parameters
    ----------
    temperature : float
        k_B T [J], > 0.
    mass : float
        Particle mass m [kg], > 0.
    x : tuple, optional
        The box [m]: ``(lo, hi)`` for one position dimension, ``((lo, hi), (lo, hi))`` or three
        pairs for two or three, hi > lo. Positions are uniform in it. Default ``(0.0, 1.0)``
        when no ``profile`` is given; must be omitted with a ``profile``.
    density : float, optional
        Number density n [1/m^dx] in the box, > 0: each marker then carries
        ``density * volume / n_markers`` particles. Default None: weights 1/n_markers (the
        markers carry a probability, total weight 1). Not allowed with a ``profile``, which is
        itself the density.
    drift : float or sequence of float
        Drift velocity u [m/s]: a number (along the first axis) or a vector of ``momentum_dims``
        components. Default 0.
    momentum_dims : int, optional
        dp, the number of momentum components, dx..3 (1D3V: ``x=(lo, hi), momentum_dims=3``).
        Default: the position dimension dx.
    profile : xarray.DataArray or tuple, optional
        A density profile n(x) [1/m] along one position axis: a one-dimensional DataArray whose
        coordinate is x [m], or a tuple ``(x, values)``; x strictly increasing with >= 2
        points, values finite and >= 0 with a positive integral. The density is taken as linear
        between the points and zero outside them, and positions are drawn from it exactly by
        inverse CDF. Weights are ``integral(n dx) / n_markers``: the markers carry the number
        of particles (per unit transverse area, with more momentum than position dimensions)
        the profile holds.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> gas = pmc.states.Maxwellian(temperature=2.0, mass=1.0, x=(0.0, 1.0), momentum_dims=3,
    ...                             drift=(0.5, 0.0, 0.0), density=1e3)
    >>> m = pmc.sample(gas, n=100_000, seed=1)
    >>> m.dx, m.dp, round(m.total_weight, 6)
    (1, 3, 1000.0)
    >>> np.round(m.p.mean(axis=0), 1) + 0.0
    array([0.5, 0. , 0. ])
    """

    temperature: float
    mass: float
    _: KW_ONLY
    x: object = None
    density: float = None
    drift: object = 0.0
    momentum_dims: int = None
    profile: object = None

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("temperature", _checks.positive("temperature", self.temperature))
        set_("mass", _checks.positive("mass", self.mass))
        if self.profile is not None:
            if self.x is not None:
                raise ValueError("give either x (a box) or profile (a density along x), not both")
            if self.density is not None:
                raise ValueError("density must be None with a profile: the profile is the "
                                 "density n(x) [1/m]")
            px, pv = _profile(self.profile)
            set_("profile", (px, pv))
            box = np.array([[px[0], px[-1]]])
        else:
            box = _box((0.0, 1.0) if self.x is None else self.x)
            set_("x", _box_field(box))
            if self.density is not None:
                set_("density", _checks.positive("density", self.density))
        dp = _momentum_dims(self.momentum_dims, box.shape[0])
        set_("momentum_dims", dp)
        field, _ = _drift(self.drift, dp)
        set_("drift", field)

    @property
    def dx(self):
        return 1 if self.profile is not None else _box(self.x).shape[0]

    @property
    def dp(self):
        return self.momentum_dims

    @property
    def thermal_momentum(self):
        """sqrt(m kT) [kg m/s], the standard deviation of each momentum component."""
        return math.sqrt(self.mass * self.temperature)

    @cached_property
    def _table(self):
        return _PiecewiseLinear(*self.profile)

    @property
    def total_weight(self):
        """Particles in the box (density * volume) or under the profile; 1 without either."""
        if self.profile is not None:
            return self._table.total
        if self.density is None:
            return 1.0
        box = _box(self.x)
        return self.density * float(np.prod(box[:, 1] - box[:, 0]))

    def _draw(self, rng, n):
        if self.profile is not None:
            pos = self._table.draw(rng, n)[np.newaxis, :]
        else:
            pos = _uniform_box(rng, _box(self.x), n)
        mom = rng.standard_normal((self.dp, n))
        mom *= self.thermal_momentum
        _, u = _drift(self.drift, self.dp)
        for k in range(self.dp):  # over components, not markers
            if u[k] != 0.0:
                mom[k] += self.mass * u[k]
        return pos, mom, self._weights(n)


def _profile(profile):
    """(x, values) read-only arrays from a 1-D DataArray or a tuple (x, values)."""
    if hasattr(profile, "dims") and hasattr(profile, "coords"):
        if profile.ndim != 1:
            raise ValueError(f"profile must be a one-dimensional DataArray, got dims "
                             f"{profile.dims}")
        x, values = profile[profile.dims[0]].values, profile.values
    else:
        try:
            x, values = profile
        except (TypeError, ValueError):
            raise ValueError("profile must be a one-dimensional xarray.DataArray or a tuple "
                             "(x, values)") from None
    x = _checks.finite_array("profile x", x, ndim=1)
    v = _checks.finite_array("profile values", values, ndim=1)
    if x.size < 2 or x.shape != v.shape:
        raise ValueError(f"profile needs >= 2 points and as many values as x, got {x.size} "
                         f"points and {v.size} values")
    if not np.all(np.diff(x) > 0):
        raise ValueError("profile x must be strictly increasing")
    if np.any(v < 0):
        raise ValueError(f"profile values must be >= 0, got {int((v < 0).sum())} negative")
    if not np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(x)) > 0:
        raise ValueError("profile must have a positive integral")
    return _readonly(x), _readonly(v)


@dataclass(frozen=True, eq=False)
class _QuantumGas(Distribution):
    """Common part of :class:`FermiDirac` and :class:`BoseEinstein` (``_sign`` = +1, -1)."""

    temperature: float
    chemical_potential: float
    mass: float
    _: KW_ONLY
    x: object = None
    momentum_dims: int = None
    degeneracy: float = 2.0
    hbar: float = 1.0
    drift: object = 0.0
    _sign = 0

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("temperature", _checks.positive("temperature", self.temperature))
        set_("chemical_potential", _checks.finite("chemical_potential",
                                                  self.chemical_potential))
        set_("mass", _checks.positive("mass", self.mass))
        box = _box((0.0, 1.0) if self.x is None else self.x)
        set_("x", _box_field(box))
        dp = _momentum_dims(self.momentum_dims, box.shape[0])
        set_("momentum_dims", dp)
        g = _checks.finite("degeneracy", self.degeneracy)
        if not g >= 1.0:
            raise ValueError(f"degeneracy must be >= 1 (2s + 1 for spin s), got "
                             f"{self.degeneracy!r}")
        set_("degeneracy", g)
        set_("hbar", _checks.positive("hbar", self.hbar))
        # an SI mass with the default hbar = 1 (or the reverse) is an error saying what to pass
        units.check_system(self.hbar, masses=[(f"{type(self).__name__}.mass", self.mass)])
        field, _ = _drift(self.drift, dp)
        set_("drift", field)

    @property
    def dx(self):
        return _box(self.x).shape[0]

    @property
    def dp(self):
        return self.momentum_dims

    def occupation(self, energy):
        """Mean occupation f(eps) of a state of kinetic energy ``energy`` [J] (dimensionless)."""
        a = (np.asarray(energy, dtype=np.float64) - self.chemical_potential) / self.temperature
        if self._sign > 0:
            return special.expit(-a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.exp(-a) / -np.expm1(-a)  # no overflow for large a; a > 0 as mu < 0

    def _radial(self, p):
        """p^(dp-1) f(p^2 / 2m), the density of |p| up to a constant."""
        return p ** (self.dp - 1) * self.occupation(p * p / (2.0 * self.mass))

    @cached_property
    def _table(self):
        """Piecewise-linear table of p^(dp-1) f on a grid that is uniform in p, refined
        uniformly in energy across a Fermi edge, and geometrically towards p = 0 (where a Bose
        gas with mu -> 0- peaks), cut at eps = max(mu, 0) + 45 kT."""
        m, kT, mu = self.mass, self.temperature, self.chemical_potential
        e_cut = max(mu, 0.0) + _TAIL * kT
        p_cut = math.sqrt(2.0 * m * e_cut)
        parts = [np.linspace(0.0, p_cut, _NTABLE + 1), np.geomspace(1e-10 * p_cut, p_cut, 4096)]
        if mu > 0.0:
            e = np.linspace(max(mu - 40.0 * kT, 0.0), min(mu + 40.0 * kT, e_cut), 2 ** 14)
            parts.append(np.sqrt(2.0 * m * e))
        p = np.unique(np.concatenate(parts))
        return _PiecewiseLinear(p, self._radial(p))

    @cached_property
    def _radial_integral(self):
        """int_0^inf p^(dp-1) f dp [(kg m/s)^dp], by 8-point Gauss-Legendre on every interval
        of the table."""
        p = self._table.nodes
        t, w = special.roots_legendre(8)
        h = np.diff(p)
        nodes = p[:-1, np.newaxis] + 0.5 * h[:, np.newaxis] * (t + 1.0)
        return float(np.sum(self._radial(nodes) @ w * (0.5 * h)))

    @property
    def density(self):
        """Number density n = g / (2 pi hbar)^dp int f(p) d^dp p [1/m^dp].

        With fewer position than momentum dimensions (1D3V), the weights count particles per
        unit transverse area (m^(dp - dx)).
        """
        solid = {1: 2.0, 2: 2.0 * math.pi, 3: 4.0 * math.pi}[self.dp]
        return (self.degeneracy / (2.0 * math.pi * self.hbar) ** self.dp * solid
                * self._radial_integral)

    @property
    def total_weight(self):
        """density * volume of the box: the number of particles the markers carry."""
        box = _box(self.x)
        return self.density * float(np.prod(box[:, 1] - box[:, 0]))

    def _draw(self, rng, n):
        pos = _uniform_box(rng, _box(self.x), n)
        mom = _isotropic(rng, self._table.draw(rng, n), self.dp)
        _, u = _drift(self.drift, self.dp)
        for k in range(self.dp):  # over components, not markers
            if u[k] != 0.0:
                mom[k] += self.mass * u[k]
        return pos, mom, self._weights(n)


_GAS_DOC = """

    f(p) = 1 / (exp((eps(p) - mu) / kT) {pm} 1),  eps = |p - m u|^2 / 2m,

    uniform in a box. |p| is drawn by inverse CDF from p^(dp-1) f(p), tabulated on >= 2^16
    intervals up to eps = max(mu, 0) + 45 kT (the relative weight beyond is < 1e-16) and taken
    as linear between the points, and the direction is isotropic; the drift m u is added
    after. The density n = g / (2 pi hbar)^dp int f d^dp p is computed (``.density``); in
    three dimensions it is n = g (m kT / 2 pi hbar^2)^(3/2) {poly} (L. D. Landau and
    E. M. Lifshitz, Statistical Physics Part 1, 3rd ed., Pergamon 1980, sections 53-56).

    Parameters
    ----------
    temperature : float
        k_B T [J], > 0.
    chemical_potential : float
        mu [J], {mu_range}.
    mass : float
        Particle mass m [kg], > 0 (parabolic band eps = p^2 / 2m).
    x : tuple, optional
        The box [m]: ``(lo, hi)``, or 2 or 3 ``(lo, hi)`` pairs; hi > lo. Default (0.0, 1.0).
    momentum_dims : int, optional
        dp, dx..3. Default: the position dimension dx.
    degeneracy : float
        g, the number of internal states per momentum (2s + 1 for spin s), >= 1. Default 2.
    hbar : float
        Reduced Planck constant [J s], > 0 (``pmc.units.hbar`` in SI). Default 1.
    drift : float or sequence of float
        Drift velocity u [m/s]: a number (along the first axis) or ``momentum_dims``
        components. Default 0.

    Weights are ``density * volume / n_markers`` [particles per marker; per unit transverse
    area m^(dp - dx) when dp > dx].
"""


@dataclass(frozen=True, eq=False)
class FermiDirac(_QuantumGas):
    _sign = 1

    def __post_init__(self):
        super().__post_init__()


FermiDirac.__doc__ = ("Ideal Fermi gas in equilibrium:" + _GAS_DOC.format(
    pm="+", poly="(-Li_{3/2}(-exp(mu / kT)))", mu_range="any finite value") + """
    Examples
    --------
    >>> import pmc
    >>> gas = pmc.states.FermiDirac(temperature=0.1, chemical_potential=2.0, mass=1.0,
    ...                             x=(0.0, 10.0), degeneracy=2)
    >>> round(gas.density, 4)  # g p_F / (pi hbar) (1 - (pi kT / mu)^2 / 24) (Sommerfeld, 1D)
    1.2719
    >>> m = pmc.sample(gas, n=1000, seed=3)
    >>> round(m.total_weight, 3)
    12.719
""")


@dataclass(frozen=True, eq=False)
class BoseEinstein(_QuantumGas):
    _sign = -1

    def __post_init__(self):
        super().__post_init__()
        if not self.chemical_potential < 0.0:
            raise ValueError(f"chemical_potential must be < 0 for a Bose gas (no condensate), "
                             f"got {self.chemical_potential!r}")


BoseEinstein.__doc__ = ("Ideal Bose gas in equilibrium, above condensation:" + _GAS_DOC.format(
    pm="-", poly="Li_{3/2}(exp(mu / kT))", mu_range="< 0") + """
    Examples
    --------
    >>> import math, pmc
    >>> gas = pmc.states.BoseEinstein(temperature=1.0, chemical_potential=-1.0, mass=1.0,
    ...                               x=(0.0, 1.0), momentum_dims=2, degeneracy=1)
    >>> exact = -math.log(1.0 - math.exp(-1.0)) / (2.0 * math.pi)  # Li_1(z) = -ln(1 - z)
    >>> abs(gas.density / exact - 1.0) < 1e-10
    True
""")


@dataclass(frozen=True, eq=False)
class GaussianWavepacket(Distribution):
    """A one-dimensional minimum-uncertainty wave packet and its Wigner function.

    psi(x) = (2 pi sigma_x^2)^(-1/4) exp(-(x - x0)^2 / (4 sigma_x^2) + i p0 x / hbar),

    W(x, p) = (1 / (pi hbar)) exp(-(x - x0)^2 / (2 sigma_x^2) - 2 sigma_x^2 (p - p0)^2 / hbar^2).

    W is positive, so the markers are drawn from it exactly: x ~ N(x0, sigma_x^2),
    p ~ N(p0, sigma_p^2) with sigma_p = hbar / (2 sigma_x), independent, weights 1/n (total
    probability 1). Given a ``mass``, ``psi`` and ``wigner`` also give the free evolution at a
    time t: the packet spreads to sigma_x sqrt(1 + (hbar t / 2 m sigma_x^2)^2) and W is sheared,
    W_t(x, p) = W(x - p t / m, p) (M. Hillery, R. F. O'Connell, M. O. Scully and E. P. Wigner,
    Phys. Rep. 106, 121 (1984)).

    Parameters
    ----------
    x0 : float
        Centre <x> [m].
    p0 : float
        Mean momentum <p> [kg m/s].
    sigma_x : float
        Standard deviation of |psi|^2 [m], > 0.
    hbar : float
        Reduced Planck constant [J s], > 0. Default 1.
    mass : float, optional
        Particle mass [kg], > 0; needed only for the free evolution (t != 0).

    Examples
    --------
    >>> import numpy as np, pmc
    >>> psi0 = pmc.states.GaussianWavepacket(x0=-20.0, p0=1.5, sigma_x=2.0, hbar=1.0)
    >>> psi0.sigma_p
    0.25
    >>> x = np.linspace(-40.0, 0.0, 2001)
    >>> round(float(np.sum(abs(psi0.psi(x)) ** 2) * (x[1] - x[0])), 12)
    1.0
    >>> m = pmc.sample(psi0, n=100_000, seed=1)
    >>> round(float(m.x.mean()), 1), round(float(m.p.std()), 2)
    (-20.0, 0.25)
    """

    x0: float
    p0: float
    sigma_x: float
    _: KW_ONLY
    hbar: float = 1.0
    mass: float = None

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("x0", _checks.finite("x0", self.x0))
        set_("p0", _checks.finite("p0", self.p0))
        set_("sigma_x", _checks.positive("sigma_x", self.sigma_x))
        set_("hbar", _checks.positive("hbar", self.hbar))
        if self.mass is not None:
            set_("mass", _checks.positive("mass", self.mass))
            units.check_system(self.hbar, masses=[("GaussianWavepacket.mass", self.mass)])

    dx = property(lambda self: 1, doc="Position dimension (1).")
    dp = property(lambda self: 1, doc="Momentum dimension (1).")
    total_weight = property(lambda self: 1.0, doc="Total probability (1).")

    @property
    def sigma_p(self):
        """Momentum spread hbar / (2 sigma_x) [kg m/s]."""
        return self.hbar / (2.0 * self.sigma_x)

    def _tau(self, t):
        t = _checks.finite("t", t)
        if t != 0.0 and self.mass is None:
            raise ValueError("t != 0 needs the packet's mass: GaussianWavepacket(..., mass=...)")
        return t, (0.0 if t == 0.0 else self.hbar * t / (2.0 * self.mass * self.sigma_x ** 2))

    def psi(self, x, t=0.0):
        """The wave function psi(x, t) [m^-1/2], complex, normalised to int |psi|^2 dx = 1.

        Parameters
        ----------
        x : array_like
            Positions [m].
        t : float
            Time [s] of free evolution (needs ``mass``). Default 0.
        """
        t, tau = self._tau(t)
        x = np.asarray(x, dtype=np.float64)
        v = 0.0 if t == 0.0 else self.p0 / self.mass
        z = 1.0 + 1j * tau
        amp = (2.0 * math.pi * self.sigma_x ** 2) ** -0.25 / np.sqrt(z)
        env = -(x - self.x0 - v * t) ** 2 / (4.0 * self.sigma_x ** 2 * z)
        return amp * np.exp(env + 1j * self.p0 * (x - 0.5 * v * t) / self.hbar)

    def wigner(self, x, p, t=0.0):
        """The Wigner function W(x, p, t) [1/(m kg m/s)], >= 0 with int int W dx dp = 1.

        Parameters
        ----------
        x : array_like
            Positions [m].
        p : array_like
            Momenta [kg m/s], broadcast against ``x``.
        t : float
            Time [s] of free evolution (needs ``mass``). Default 0.
        """
        t, _ = self._tau(t)
        x, p = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(p, np.float64))
        if t != 0.0:
            x = x - p * t / self.mass
        a = (x - self.x0) ** 2 / (2.0 * self.sigma_x ** 2)
        b = 2.0 * self.sigma_x ** 2 * (p - self.p0) ** 2 / self.hbar ** 2
        return np.exp(-a - b) / (math.pi * self.hbar)

    def _draw(self, rng, n):
        pos = rng.standard_normal((1, n))
        pos *= self.sigma_x
        pos += self.x0
        mom = rng.standard_normal((1, n))
        mom *= self.sigma_p
        mom += self.p0
        return pos, mom, self._weights(n)


@dataclass(frozen=True, eq=False)
class Gridded(Distribution):
    """A tabulated phase-space density f(x, p) on a uniform 1D1V grid.

    The grid points are cell centres: cell (i, j) spans x_i +- dx/2, p_j +- dp/2 and holds
    f_ij dx dp particles. A marker picks cell (i, j) with probability f_ij / sum(f) and is
    uniform within it, so the markers reproduce the cell integrals exactly in expectation.
    Weights are the total integral sum(f) dx dp / n.

    Parameters
    ----------
    f : xarray.DataArray or array_like
        f(x, p) [1/(m kg m/s)], finite and >= 0, not all zero: a 2-D DataArray with
        dimensions ("x", "p") (either order; its coordinates give the grid), or an array of
        shape (len(x), len(p)).
    x : array_like, optional
        Uniform, increasing cell centres [m], >= 2 points (omit with a DataArray).
    p : array_like, optional
        Uniform, increasing cell centres [kg m/s], >= 2 points (omit with a DataArray).

    Examples
    --------
    >>> import numpy as np, pmc
    >>> x, p = np.linspace(-1.0, 1.0, 21), np.linspace(-2.0, 2.0, 41)
    >>> f = np.exp(-x[:, None] ** 2 - p[None, :] ** 2)
    >>> m = pmc.sample(pmc.states.Gridded(f, x=x, p=p), n=1000, seed=5)
    >>> round(m.total_weight, 12) == round(float(f.sum()) * 0.1 * 0.1, 12)
    True
    >>> bool(m.x.min() >= -1.05 and m.x.max() <= 1.05)
    True
    """

    f: object
    _: KW_ONLY
    x: object = None
    p: object = None

    def __post_init__(self):
        f, x, p = self.f, self.x, self.p
        if hasattr(f, "dims") and hasattr(f, "coords"):
            if x is not None or p is not None:
                raise ValueError("give x and p only with a numpy f: a DataArray carries its grid")
            if set(f.dims) != {"x", "p"} or f.ndim != 2:
                raise ValueError(f"f as a DataArray must have dimensions ('x', 'p'), got "
                                 f"{f.dims}")
            f = f.transpose("x", "p")
            x, p, f = f["x"].values, f["p"].values, f.values
        elif x is None or p is None:
            raise ValueError("Gridded needs the grid: x and p (or f as an xarray.DataArray)")
        x, _ = _checks.uniform_axis("x", x)
        p, _ = _checks.uniform_axis("p", p)
        f = _checks.finite_array("f", f, ndim=2)
        if f.shape != (x.size, p.size):
            raise ValueError(f"f must have shape (len(x), len(p)) = {(x.size, p.size)}, got "
                             f"{f.shape}")
        if np.any(f < 0):
            raise ValueError(f"f must be >= 0 everywhere; {int((f < 0).sum())} entries are "
                             f"negative")
        if not f.sum() > 0:
            raise ValueError("f must have a positive integral (it is zero everywhere)")
        set_ = object.__setattr__.__get__(self)
        set_("f", _readonly(f))
        set_("x", _readonly(x))
        set_("p", _readonly(p))

    dx = property(lambda self: 1, doc="Position dimension (1).")
    dp = property(lambda self: 1, doc="Momentum dimension (1).")

    @property
    def spacing(self):
        """(dx [m], dp [kg m/s]), the cell sizes."""
        return ((self.x[-1] - self.x[0]) / (self.x.size - 1),
                (self.p[-1] - self.p[0]) / (self.p.size - 1))

    @cached_property
    def _cumulative(self):
        return np.cumsum(self.f.ravel())

    @property
    def total_weight(self):
        """sum(f) dx dp: the particles (or probability) the table holds."""
        hx, hp = self.spacing
        return float(self._cumulative[-1]) * hx * hp

    def _draw(self, rng, n):
        cum = self._cumulative
        r = rng.random(n)
        r *= cum[-1]
        cell = np.searchsorted(cum, r, side="right")  # empty cells are never hit
        np.minimum(cell, cum.size - 1, out=cell)
        i, j = np.divmod(cell, self.p.size)
        hx, hp = self.spacing
        pos = rng.random((1, n))
        pos -= 0.5
        pos *= hx
        pos[0] += self.x[i]
        mom = rng.random((1, n))
        mom -= 0.5
        mom *= hp
        mom[0] += self.p[j]
        return pos, mom, self._weights(n)
