"""The Hamiltonian H(x, p, t) = eps(p) + U(x, t) whose characteristics the markers follow
(paper eqs. 15-17: dx/dt = dH/dp = v(p), dp/dt = -dH/dx = F(x, t))."""
import numpy as np

from . import _checks, units as _units
from ._kernels import evaluate
from ._kernels import stateful as _stateful
from ._model import components, from_components
from .bands import Dispersion
from .potentials import Potential, Zero

__all__ = ["Hamiltonian"]

_NO_STATE = _stateful.NO_STATE


class Hamiltonian:
    """A dispersion plus a potential.

    Parameters
    ----------
    dispersion : pmc.bands.Dispersion
        Band energy eps(p).
    potential : pmc.potentials.Potential, optional
        External potential U(x, t); free streaming if omitted.
    hbar : float, optional
        Reduced Planck constant [J s], > 0. Used by the tight-binding band, the quantum
        reference and the quantum statistics. Default: ``pmc.units.hbar`` with ``units="si"``,
        1 otherwise.
    units : {"si", "natural"}, optional
        The unit system the model is written in (:func:`pmc.units.check_system`): "si" (kg, m,
        s, J; hbar must be ``pmc.units.hbar``) or "natural" (numbers of order one, hbar of
        order one). Not given, it is inferred from hbar (SI where hbar < 1e-20) and the model's
        masses must fit it: an SI mass with hbar = 1, or a mass of order one with the SI hbar,
        is an error that says which to pass. Output units follow it (:attr:`units`,
        :func:`pmc.schema.unit_system`).

    Examples
    --------
    >>> import pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=2.0), pmc.potentials.UniformField(0.5))
    >>> float(H.energy(x=1.0, p=2.0)), H.units, H.hbar
    (0.5, 'natural', 1.0)
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=pmc.units.m_e), units="si")
    >>> H.hbar == pmc.units.hbar
    True
    """

    def __init__(self, dispersion, potential=None, hbar=None, *, units=None):
        if not isinstance(dispersion, Dispersion):
            raise ValueError(f"dispersion must be a pmc.bands model, got {dispersion!r}")
        if potential is None:
            potential = Zero()
        if not isinstance(potential, Potential):
            raise ValueError(f"potential must be a pmc.potentials model, got {potential!r}")
        self.dispersion = dispersion
        self.potential = potential
        self.hbar, self.units = _units.check_system(
            hbar, units, masses=_masses(dispersion, potential))
        self._dispersion_code = dispersion.encode(self.hbar)
        self._potential_code = potential.encode()

    def __repr__(self):
        return f"Hamiltonian({self.dispersion!r}, {self.potential!r}, hbar={self.hbar!r})"

    @property
    def time_dependent(self):
        """True if U depends on time."""
        return self.potential.time_dependent

    def kernel_arguments(self):
        """(dispersion code, dispersion parameters, potential terms, potential parameters):
        what the kernels take."""
        return (*self._dispersion_code, *self._potential_code)

    def velocity(self, p, state=None):
        """v(p) = dH/dp [m/s] for momenta ``p`` [kg m/s] of shape (n,) or (n, d); ``state``
        as for :meth:`energy`."""
        if not self.needs_state:
            return self.dispersion.velocity(p, hbar=self.hbar)
        if state is None:
            raise ValueError(f"state is required: a {type(self.dispersion).__name__} band's "
                             "velocity depends on each point's valley")
        pc, shape = components("p", p)
        dk, dprm = self._dispersion_code
        out = evaluate.velocity_array(dk, dprm, self._states(state, pc.shape[1]), pc,
                                            np.empty_like(pc))
        return from_components(out, shape)

    def _states(self, state, n):
        """``state`` as a contiguous int64 (n,) array, checked against the band's states."""
        dk, dprm = self._dispersion_code
        nstate = dprm.shape[0] // _stateful.width(dk)
        s = np.ascontiguousarray(np.broadcast_to(np.asarray(state), (n,)), dtype=np.int64)
        if n and (s.min() < 0 or s.max() >= nstate):
            raise ValueError(f"state must lie in 0..{nstate - 1} (the band's states), got "
                             f"{s.min()}..{s.max()}")
        return s

    def force(self, x, t=0.0):
        """F(x, t) = -dH/dx [N] for positions ``x`` [m] of shape (n,) or (n, d)."""
        return self.potential.force(x, t)

    @property
    def needs_state(self):
        """True if the band energy and velocity depend on a marker's discrete state (a
        multi-valley band: the valley)."""
        return _stateful.needs_state(self._dispersion_code[0])

    def marker_states(self, markers):
        """The int64 state array the kernels read for ``markers``: ``markers.state`` for a
        stateful band (an error if they carry none), else an empty array."""
        if not self.needs_state:
            return _NO_STATE
        if markers.state is None:
            raise ValueError(f"a {type(self.dispersion).__name__} band needs each marker's "
                             "state (valley): the markers carry none")
        return markers.state

    def energy(self, x, p, t=0.0, state=None):
        """H(x, p, t) = eps(p) + U(x, t) [J]; ``state`` (one int per point, or one for all)
        is required by a band whose energy depends on it (:attr:`needs_state`: the valley of a
        multi-valley band, whose energy includes the valley's minimum)."""
        xc, xs = components("x", x)
        pc, ps = components("p", p)
        if xc.shape[1] != pc.shape[1]:
            raise ValueError(f"x and p must hold the same number of points, got {xc.shape[1]} "
                             f"and {pc.shape[1]}")
        if pc.shape[0] < xc.shape[0]:
            raise ValueError(f"momentum dimension dp={pc.shape[0]} must be >= position "
                             f"dimension dx={xc.shape[0]}")
        dk, dprm, terms, pprm = self.kernel_arguments()
        if self.needs_state:
            if state is None:
                raise ValueError(f"state is required: a {type(self.dispersion).__name__} band's "
                                 "energy depends on each point's valley")
            s = self._states(state, pc.shape[1])
            eps = evaluate.energy_array(dk, dprm, s, pc, np.empty(pc.shape[1]))
        else:
            eps = evaluate.energy_array(dk, dprm, _NO_STATE, pc, np.empty(pc.shape[1]))
        u = evaluate.potential_array(terms, pprm, xc, float(t), np.empty(xc.shape[1]))
        out = eps + u
        return out if len(xs) else out[0]


def _masses(dispersion, potential):
    """[(name, mass)] of the model's components that have a mass (the scale that tells SI from
    natural units)."""
    out = []
    if getattr(dispersion, "mass", None) is not None:
        out.append((f"{type(dispersion).__name__}.mass", dispersion.mass))
    stack = [potential]
    while stack:  # over the potential's parts (a sum of modulated terms)
        part = stack.pop()
        stack.extend(getattr(part, "parts", ()))
        if getattr(part, "base", None) is not None:
            stack.append(part.base)
        if isinstance(getattr(part, "mass", None), float):
            out.append((f"{type(part).__name__}.mass", part.mass))
    return out
