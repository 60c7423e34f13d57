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
from ._model import Model, components, from_components

__all__ = ["Dispersion", "Parabolic", "Kane", "Linear", "TightBinding", "Relativistic"]


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
        out = evaluate.energy_array(kind, prm, pc, np.empty(pc.shape[1]))
        return out if len(shape) else out[0]

    def velocity(self, p, hbar=1.0):
        """v(p) = d eps / dp [m/s], same shape as ``p``."""
        pc, shape = components("p", p)
        kind, prm = self.encode(hbar)
        return from_components(evaluate.velocity_array(kind, prm, pc, np.empty_like(pc)), shape)


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
