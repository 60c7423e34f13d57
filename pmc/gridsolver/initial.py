"""The initial phase-space density of a :mod:`pmc.states` distribution at the nodes of a grid.

The grid solver holds f at the bin centres (node values); markers are drawn from the same
distribution, so both methods start from the same f(x, p). One position and one momentum
dimension (1D1V).
"""
import math

import numpy as np

from .. import states

__all__ = ["initial_density"]


def initial_density(distribution, x, p):
    """Node values f(x_i, p_j) [1/(m kg m/s)] of a 1D1V distribution.

    Parameters
    ----------
    distribution : pmc.states.Distribution
        :class:`~pmc.states.Maxwellian` (box or profile), :class:`~pmc.states.FermiDirac`,
        :class:`~pmc.states.BoseEinstein` (f = g / (2 pi hbar) occupation, the 1D density of
        states), :class:`~pmc.states.GaussianWavepacket` (its Wigner function) or
        :class:`~pmc.states.Gridded` (the value of the table's cell holding the node: the
        sampled markers are uniform within a cell), with ``dx = dp = 1``.
    x : array_like (nx,)
        Positions of the nodes [m].
    p : array_like (np,)
        Momenta of the nodes [kg m/s].

    Returns
    -------
    ndarray (nx, np)
        f at the nodes; the integral of f is ``distribution.total_weight`` (up to the part of
        the distribution outside the grid and the quadrature error).

    Raises
    ------
    ValueError
        Naming ``distribution`` if it is not one of the models above in 1D1V.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, 2.0), density=3.0)
    >>> f = pmc.gridsolver.initial_density(gas, [0.5, 1.5, 2.5], [0.0])
    >>> np.round(f[:, 0] * np.sqrt(2 * np.pi), 12).tolist()
    [3.0, 3.0, 0.0]
    """
    if not isinstance(distribution, states.Distribution):
        raise ValueError(f"distribution must be a pmc.states distribution, got "
                         f"{type(distribution).__name__}")
    if distribution.dx != 1 or distribution.dp != 1:
        raise ValueError(f"distribution must be one-dimensional in x and p (dx = dp = 1) for the "
                         f"grid solver, got dx={distribution.dx}, dp={distribution.dp}")
    x = np.asarray(x, np.float64)[:, np.newaxis]
    p = np.asarray(p, np.float64)[np.newaxis, :]
    d = distribution
    if isinstance(d, states.GaussianWavepacket):
        return d.wigner(x, p)
    if isinstance(d, states.Maxwellian):
        return _density_profile(d, x) * _gaussian(p - d.mass * _drift(d), d.mass * d.temperature)
    if isinstance(d, (states.FermiDirac, states.BoseEinstein)):
        (lo, hi), = np.asarray(d.x, np.float64).reshape(1, 2)
        inside = (x >= lo) & (x < hi)
        eps = (p - d.mass * _drift(d)) ** 2 / (2.0 * d.mass)
        return np.where(inside, d.degeneracy / (2.0 * math.pi * d.hbar) * d.occupation(eps), 0.0)
    if isinstance(d, states.Gridded):
        hx, hp = d.spacing
        i = np.floor((x[:, 0] - d.x[0]) / hx + 0.5).astype(np.int64)
        j = np.floor((p[0] - d.p[0]) / hp + 0.5).astype(np.int64)
        ok_i = (i >= 0) & (i < d.x.size)
        ok_j = (j >= 0) & (j < d.p.size)
        out = d.f[np.clip(i, 0, d.x.size - 1)][:, np.clip(j, 0, d.p.size - 1)]
        return np.where(ok_i[:, np.newaxis] & ok_j[np.newaxis, :], out, 0.0)
    raise ValueError(f"distribution {type(d).__name__} has no phase-space density the grid "
                     f"solver can evaluate; use Maxwellian, FermiDirac, BoseEinstein, "
                     f"GaussianWavepacket or Gridded")


def _drift(d):
    return float(np.atleast_1d(np.asarray(d.drift, np.float64))[0])


def _gaussian(dp, variance):
    return np.exp(-dp * dp / (2.0 * variance)) / math.sqrt(2.0 * math.pi * variance)


def _density_profile(d, x):
    """n(x) [1/m] of a Maxwellian: the box's uniform density or the piecewise-linear profile."""
    if d.profile is not None:
        px, pv = d.profile
        return np.interp(x, px, pv, left=0.0, right=0.0)
    (lo, hi), = np.asarray(d.x, np.float64).reshape(1, 2)
    n = d.total_weight / (hi - lo)
    return np.where((x >= lo) & (x < hi), n, 0.0)
