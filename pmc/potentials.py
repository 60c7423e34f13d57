"""External potentials U(x, t) and forces F = -grad U.

One class per model; positions in m, energies in J, forces in N (or any consistent system of
units). Models along a line (barriers, steps, periodic, gridded) depend on the first position
component x only; Harmonic and Quartic are isotropic about their centre; UniformField is a vector.
Potentials add with ``+`` and take a time dependence by multiplication with a modulation::

    U = GaussianBarrier(height=1.0, width=2.0) * Sinusoidal(amplitude=0.5, angular_frequency=0.1)
    U = U + UniformField(0.01)

means U(x, t) = (1 + 0.5 sin(0.1 t)) exp(-x^2 / 8) - 0.01 x.
"""
from dataclasses import dataclass

import numpy as np

from . import _checks
from ._kernels import evaluate, models
from ._model import Model, components, from_components

__all__ = ["Potential", "Harmonic", "Quartic", "GaussianBarrier", "Eckart", "Step", "Periodic",
           "UniformField", "Gridded", "Zero", "Sum", "Modulated", "Sinusoidal", "Ramp",
           "TimeTable"]


def _vector3(name, value):
    a = np.zeros(3)
    v = np.atleast_1d(_checks.finite_array(name, value))
    if v.ndim != 1 or v.size > 3:
        raise ValueError(f"{name} must be a number or a vector of 1 to 3 components, got {value!r}")
    a[:v.size] = v
    return a


class Potential(Model):
    """Base class. ``potential(x, t)`` [J] and ``force(x, t)`` [N] over positions of shape (n,)
    or (n, d)."""

    #: True if U depends on time.
    time_dependent = False

    def terms(self):
        """List of (kind, parameters, modulation kind, modulation parameters)."""
        raise NotImplementedError

    def encode(self):
        """(terms int64 (nterm, 4), params float64) for the kernels."""
        rows, chunks, off = [], [], 0
        for kind, prm, mkind, mprm in self.terms():
            prm = np.asarray(prm, np.float64)
            mprm = np.asarray(mprm, np.float64)
            rows.append((kind, off, mkind, off + prm.size))
            chunks += [prm, mprm]
            off += prm.size + mprm.size
        terms = np.array(rows, dtype=np.int64).reshape(-1, 4)
        params = np.concatenate(chunks) if chunks else np.zeros(0)
        return terms, np.ascontiguousarray(params)

    def potential(self, x, t=0.0):
        """U(x, t) [J] at positions ``x`` [m] (shape (n,) or (n, d)); returns (n,)."""
        xc, shape = components("x", x)
        terms, prm = self.encode()
        out = evaluate.potential_array(terms, prm, xc, float(t), np.empty(xc.shape[1]))
        return out if len(shape) else out[0]

    def force(self, x, t=0.0):
        """F(x, t) = -grad U [N], same shape as ``x``."""
        xc, shape = components("x", x)
        terms, prm = self.encode()
        return from_components(evaluate.force_array(terms, prm, xc, float(t), np.empty_like(xc)),
                               shape)

    def __add__(self, other):
        if not isinstance(other, Potential):
            return NotImplemented
        return Sum(tuple(_flatten(self)) + tuple(_flatten(other)))

    def __mul__(self, modulation):
        if not isinstance(modulation, Modulation):
            return NotImplemented
        if isinstance(self, Sum):
            return Sum(tuple(t * modulation for t in self.parts))
        if self.time_dependent:
            raise ValueError("a potential can carry only one time modulation")
        return Modulated(self, modulation)

    __rmul__ = __mul__


def _flatten(p):
    return p.parts if isinstance(p, Sum) else (p,)


class _Static(Potential):
    """A single static term: subclasses give ``kind`` and ``_params()``."""

    def terms(self):
        return [(self.kind, self._params(), models.STATIC, ())]


@dataclass(frozen=True)
class Zero(_Static):
    """U = 0 (free streaming): no terms, so the kernels skip the force altogether."""

    kind = models.UNIFORM_FIELD

    def terms(self):
        return []


@dataclass(frozen=True)
class Harmonic(_Static):
    """U = m omega^2 |x - center|^2 / 2 (isotropic in the position components used).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    mass : float
        Mass m [kg] the frequency refers to, > 0.
    center : float or sequence of float
        Centre [m], default 0.
    """

    omega: float = 1.0
    mass: float = 1.0
    center: object = 0.0
    kind = models.HARMONIC

    def __post_init__(self):
        object.__setattr__(self, "omega", _checks.positive("omega", self.omega))
        object.__setattr__(self, "mass", _checks.positive("mass", self.mass))
        _vector3("center", self.center)

    def _params(self):
        return np.concatenate([[self.mass * self.omega ** 2], _vector3("center", self.center)])


@dataclass(frozen=True)
class Quartic(_Static):
    """U = a4 r^4 + a2 r^2 with r = |x - center| (a double well for a2 < 0 < a4).

    Parameters
    ----------
    a4 : float
        Quartic coefficient [J/m^4], >= 0.
    a2 : float
        Quadratic coefficient [J/m^2], any sign (default 0).
    center : float or sequence of float
        Centre [m].
    """

    a4: float = 1.0
    a2: float = 0.0
    center: object = 0.0
    kind = models.QUARTIC

    def __post_init__(self):
        object.__setattr__(self, "a4", _checks.non_negative("a4", self.a4))
        object.__setattr__(self, "a2", _checks.finite("a2", self.a2))
        if self.a4 == 0.0 and self.a2 < 0.0:
            raise ValueError("Quartic with a4 = 0 needs a2 >= 0 (the potential must be bounded "
                             "below)")
        _vector3("center", self.center)

    def _params(self):
        return np.concatenate([[self.a4, self.a2], _vector3("center", self.center)])


@dataclass(frozen=True)
class _Barrier(_Static):
    height: float = 1.0
    width: float = 1.0
    center: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "height", _checks.finite("height", self.height))
        object.__setattr__(self, "width", _checks.positive("width", self.width))
        object.__setattr__(self, "center", _checks.finite("center", self.center))

    def _params(self):
        return np.array([self.height, self.width, self.center])


@dataclass(frozen=True)
class GaussianBarrier(_Barrier):
    """U = height exp(-(x - center)^2 / (2 width^2)) along x.

    Parameters
    ----------
    height : float
        Peak value [J] (negative for a well).
    width : float
        Standard deviation [m], > 0.
    center : float
        Position of the peak [m].
    """

    kind = models.GAUSSIAN


@dataclass(frozen=True)
class Eckart(_Barrier):
    """U = height / cosh^2((x - center) / width) along x (C. Eckart, Phys. Rev. 35, 1303 (1930));
    its transmission coefficient is known in closed form.

    Parameters
    ----------
    height : float
        Peak value [J].
    width : float
        Width [m], > 0.
    center : float
        Position of the peak [m].
    """

    kind = models.ECKART


@dataclass(frozen=True)
class Step(_Barrier):
    """Smooth step U = height (1 + tanh((x - center) / width)) / 2 along x.

    Parameters
    ----------
    height : float
        Value for x >> center [J]; U -> 0 for x << center.
    width : float
        Width of the rise [m], > 0.
    center : float
        Position of the midpoint [m].
    """

    kind = models.STEP


@dataclass(frozen=True)
class Periodic(_Static):
    """U = amplitude cos(2 pi x / period + phase) along x.

    Parameters
    ----------
    amplitude : float
        [J].
    period : float
        Spatial period [m], > 0.
    phase : float
        [rad].
    """

    amplitude: float = 1.0
    period: float = 1.0
    phase: float = 0.0
    kind = models.PERIODIC

    def __post_init__(self):
        object.__setattr__(self, "amplitude", _checks.finite("amplitude", self.amplitude))
        object.__setattr__(self, "period", _checks.positive("period", self.period))
        object.__setattr__(self, "phase", _checks.finite("phase", self.phase))

    def _params(self):
        return np.array([self.amplitude, 2.0 * np.pi / self.period, self.phase])


@dataclass(frozen=True)
class UniformField(_Static):
    """U = -F . x: a constant force F.

    Parameters
    ----------
    F : float or sequence of float
        The force [N] (for a charge q in a field E, F = q E), one to three components.
    """

    F: object = 0.0
    kind = models.UNIFORM_FIELD

    def __post_init__(self):
        _vector3("F", self.F)

    def _params(self):
        return _vector3("F", self.F)


@dataclass(frozen=True, eq=False)
class Gridded(_Static):
    """A tabulated U(x) on a uniform grid along x, interpolated by a C^2 cubic spline, so the
    force is continuous.

    Outside the table U is held at its end values and the force is zero; with
    ``ends="clamped"`` (default) the spline has zero slope at both ends, so the force is
    continuous across the table's ends too. ``ends="natural"`` follows the data up to the ends
    (the force may jump to zero there).

    Parameters
    ----------
    x : array_like or xarray.DataArray
        Uniformly spaced, increasing grid [m], >= 2 points; or a DataArray with one dimension
        (its coordinate is the grid), in which case ``values`` is omitted.
    values : array_like
        U at the grid points [J], all finite.
    ends : {"clamped", "natural"}
        Boundary condition of the spline.
    """

    x: object = None
    values: object = None
    ends: str = "clamped"
    kind = models.GRIDDED

    def __post_init__(self):
        x, values = self.x, self.values
        if values is None and hasattr(x, "dims") and hasattr(x, "coords"):
            if x.ndim != 1:
                raise ValueError(f"Gridded from a DataArray needs one dimension, got {x.dims}")
            values = x.values
            x = x[x.dims[0]].values
        if x is None or values is None:
            raise ValueError("Gridded needs x and values (or a one-dimensional DataArray)")
        grid, _ = _checks.uniform_axis("x", x)
        v = _checks.finite_array("values", values, ndim=1)
        if v.shape != grid.shape:
            raise ValueError(f"values must have the shape of x {grid.shape}, got {v.shape}")
        if self.ends not in ("clamped", "natural"):
            raise ValueError(f"ends must be 'clamped' or 'natural', got {self.ends!r}")
        object.__setattr__(self, "x", grid)
        object.__setattr__(self, "values", v)

    def _params(self):
        from scipy.interpolate import CubicSpline

        bc = "clamped" if self.ends == "clamped" else "natural"
        spline = CubicSpline(self.x, self.values, bc_type=bc)
        h = self.x[1] - self.x[0]
        # per cell, polynomial in t = (x - x_i)/h in [0, 1): c0 + c1 t + c2 t^2 + c3 t^3
        c = spline.c  # (4, ncell): coefficients of (x - x_i)^3, ^2, ^1, ^0
        local = np.stack([c[3], c[2] * h, c[1] * h ** 2, c[0] * h ** 3], axis=1)
        ncell = self.x.size - 1
        return np.concatenate([[self.x[0], 1.0 / h, ncell], local.ravel()])

    def __eq__(self, other):
        return (type(other) is Gridded and self.ends == other.ends
                and np.array_equal(self.x, other.x) and np.array_equal(self.values, other.values))

    def __hash__(self):
        return hash((self.ends, self.x.tobytes(), self.values.tobytes()))


@dataclass(frozen=True)
class Sum(Potential):
    """U = sum of the parts (made by ``+``)."""

    parts: tuple = ()

    @property
    def time_dependent(self):
        return any(p.time_dependent for p in self.parts)

    def terms(self):
        return [t for p in self.parts for t in p.terms()]


# ----------------------------------------------------------------------------- time dependence
class Modulation(Model):
    """A time factor g(t) multiplying a potential term."""


@dataclass(frozen=True)
class Sinusoidal(Modulation):
    """g(t) = 1 + amplitude sin(angular_frequency t + phase).

    Parameters
    ----------
    amplitude : float
        Relative amplitude (dimensionless).
    angular_frequency : float
        [rad/s], >= 0.
    phase : float
        [rad].
    """

    amplitude: float = 1.0
    angular_frequency: float = 1.0
    phase: float = 0.0
    kind = models.SINUSOIDAL

    def __post_init__(self):
        object.__setattr__(self, "amplitude", _checks.finite("amplitude", self.amplitude))
        object.__setattr__(self, "angular_frequency",
                           _checks.non_negative("angular_frequency", self.angular_frequency))
        object.__setattr__(self, "phase", _checks.finite("phase", self.phase))

    def _params(self):
        return np.array([self.amplitude, self.angular_frequency, self.phase])


@dataclass(frozen=True)
class Ramp(Modulation):
    """g(t) = t / duration for 0 <= t < duration, 1 after (0 before t = 0).

    Parameters
    ----------
    duration : float
        Switch-on time [s], > 0.
    """

    duration: float = 1.0
    kind = models.RAMP

    def __post_init__(self):
        object.__setattr__(self, "duration", _checks.positive("duration", self.duration))

    def _params(self):
        return np.array([self.duration])


@dataclass(frozen=True, eq=False)
class TimeTable(Modulation):
    """g(t) interpolated linearly from a table on a uniform time grid, held at the ends.

    Parameters
    ----------
    t : array_like
        Uniform, increasing times [s], >= 2 points.
    values : array_like
        g at those times (dimensionless), finite.
    """

    t: object = None
    values: object = None
    kind = models.TIME_TABLE

    def __post_init__(self):
        t, h = _checks.uniform_axis("t", self.t)
        v = _checks.finite_array("values", self.values, ndim=1)
        if v.shape != t.shape:
            raise ValueError(f"values must have the shape of t {t.shape}, got {v.shape}")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "values", v)

    def _params(self):
        h = (self.t[-1] - self.t[0]) / (self.t.size - 1)
        return np.concatenate([[self.t[0], 1.0 / h, self.t.size], self.values])


@dataclass(frozen=True)
class Modulated(Potential):
    """U(x, t) = g(t) U(x): a static potential times a :class:`Modulation` (made by ``*``)."""

    base: Potential = None
    modulation: Modulation = None
    time_dependent = True

    def terms(self):
        (kind, prm, _, _), = self.base.terms()
        return [(kind, prm, self.modulation.kind, self.modulation._params())]
