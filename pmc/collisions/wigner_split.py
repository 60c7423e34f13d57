"""Suggesting the split U = U_smooth + U_fast of a potential from its spectrum (issue 19,
item 2; docs/design.md §5).

The Wigner equation's potential term, expanded in hbar (E. Wigner, Phys. Rev. 40, 749 (1932);
Sellier et al., Phys. Rep. 577, 1 (2015), eq. 8),

    theta[U] f = -U' df/dp + (hbar^2 / 24) U''' d^3f/dp^3 - ...,

is the classical force alone when the terms from the third derivative on are negligible. For
one Fourier component U_k exp(i k x) the whole series sums to the central difference
[f(p + hbar k / 2) - f(p - hbar k / 2)] / (i hbar) times U_k exp(i k x), of which the force is
the first term; the third-derivative term is the relative correction
(hbar k)^2 |f'''| / (24 |f'|). For a distribution whose narrowest momentum structure is a
Gaussian of standard deviation sigma_p, |f''' / f'| <= 3 / sigma_p^2 inside its core
(|p - p0| < sqrt(6) sigma_p), so the classical force is accurate to ``tolerance`` for the
wavenumbers

    (hbar k)^2 / (8 sigma_p^2) <= tolerance,   k <= k_cut = sqrt(8 tolerance) sigma_p / hbar.

:func:`suggest_split` puts the part of U whose spectrum lies at or below k_cut in U_smooth (the
classical force of the push) and the rest in U_fast (its Wigner potential): the linear trend
through the end values (exactly classical, U''' = 0) plus the sine series of the remainder
(which vanishes at both ends, so the series has no Gibbs jump there; scipy.fft.dst type I) up
to k_cut. The two ends are reached continuously: k_cut beyond the sampling's largest
wavenumber gives U_smooth = U, U_fast = 0 (classical markers); k_cut below the first mode
pi / (hi - lo) gives U_smooth = the linear trend, U_fast = the rest ("all Wigner").
"""
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from .. import _checks
from ..potentials import Gridded, Potential, Zero

__all__ = ["Split", "suggest_split"]


@dataclass(frozen=True)
class Split:
    """A suggested split (:func:`suggest_split`).

    Attributes
    ----------
    smooth : pmc.potentials.Potential
        U_smooth [J]: the Hamiltonian's potential (classical force).
    fast : pmc.potentials.Potential
        U_fast [J]: for :class:`pmc.collisions.WignerPotential`.
    k_cut : float
        The wavenumber [1/m] at and below which the spectrum is smooth.
    fast_fraction : float
        The share of the sine spectrum's energy (sum of squared coefficients) in U_fast, in
        [0, 1] (0: all classical).
    """

    smooth: Potential
    fast: Potential
    k_cut: float
    fast_fraction: float


def suggest_split(potential, lo, hi, *, hbar, sigma_p, tolerance=0.01, n=4096):
    """Split ``potential`` into the part the classical force describes to ``tolerance`` and the
    rest (module docstring).

    Parameters
    ----------
    potential : pmc.potentials.Potential
        U [J], static, along x.
    lo, hi : float
        The x range [m] (the simulation box), lo < hi.
    hbar : float
        [J s], > 0.
    sigma_p : float
        The narrowest momentum structure of the distribution [kg m/s], > 0: the momentum
        standard deviation of a wave packet, or sqrt(m k T) of a thermal one.
    tolerance : float
        The largest relative size of the third-derivative term in U_smooth, in (0, 1).
    n : int
        Sampling points on [lo, hi], >= 8 (they resolve wavenumbers up to (n - 1) pi /
        (hi - lo)); U_smooth and U_fast are tables on them
        (:class:`pmc.potentials.Gridded`, clamped outside) except at the classical end.

    Returns
    -------
    Split

    Examples
    --------
    >>> import pmc
    >>> U = (pmc.potentials.GaussianBarrier(height=0.25, width=2.5)
    ...      + pmc.potentials.GaussianBarrier(height=0.9, width=0.2))
    >>> s = pmc.collisions.suggest_split(U, -20.0, 20.0, hbar=1.0, sigma_p=0.5)
    >>> round(s.k_cut, 4)
    0.1414
    """
    if not isinstance(potential, Potential):
        raise ValueError(f"potential must be a pmc.potentials.Potential, got {potential!r}")
    if potential.time_dependent:
        raise ValueError("potential must be static")
    lo = _checks.finite("lo", lo)
    hi = _checks.finite("hi", hi)
    if not hi > lo:
        raise ValueError(f"hi must be > lo, got lo={lo!r}, hi={hi!r}")
    hbar = _checks.positive("hbar", hbar)
    sigma_p = _checks.positive("sigma_p", sigma_p)
    tolerance = _checks.positive("tolerance", tolerance)
    if not tolerance < 1.0:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance!r}")
    n = _checks.count("n", n, minimum=8)
    k_cut = math.sqrt(8.0 * tolerance) * sigma_p / hbar
    x = np.linspace(lo, hi, n)
    u = np.asarray(potential.potential(x), np.float64)
    trend = u[0] + (u[-1] - u[0]) * (x - lo) / (hi - lo)
    b = scipy.fft.dst(u[1:-1] - trend[1:-1], type=1)  # modes k_j = j pi / (hi - lo)
    k = np.arange(1, n - 1) * math.pi / (hi - lo)
    energy = float(np.sum(b ** 2))
    slow = k <= k_cut
    fast_fraction = float(np.sum(b[~slow] ** 2) / energy) if energy > 0 else 0.0
    if slow.all():
        return Split(potential, Zero(), k_cut, 0.0)
    smooth = trend.copy()
    smooth[1:-1] += scipy.fft.idst(np.where(slow, b, 0.0), type=1)
    return Split(Gridded(x=x, values=smooth), Gridded(x=x, values=u - smooth), k_cut,
                 fast_fraction)
