"""Windows g(y) of the envelope projection (docs/design.md §1, "Quantum reference").

The envelope of a wave function psi at (x0, p0) is

    A(x0, p0) = (2 pi hbar)^(-1/2) int g(x - x0) exp(-i p0 x / hbar) psi(x) dx,   rho = |A|^2,

with a real, even window normalised to int |g|^2 dy = 1, so that int int rho dx0 dp0 =
int |psi|^2 dx. The paper cuts the wave function with a box of width Dx (eqs. 7-8: integration
"from x0 to x0 + Dx"); a Gaussian window makes rho the Husimi function (K. Husimi, Proc. Phys.
Math. Soc. Jpn. 22, 264 (1940)). Either way rho is the Wigner function of psi smoothed by the
Wigner function of the window,

    rho(x0, p0) = int int W_psi(x, p) W_g(x - x0, p - p0) dx dp,

which is what lets markers (samples of W_psi) be compared with rho like with like (W. P.
Schleich, Quantum Optics in Phase Space, Wiley 2001, sections 3.2 and 12.1).

Each window gives, in the units of the problem: ``g(y)`` [m^-1/2], its transform
``spectrum(q) = int g(y) exp(i q y) dy`` [m^1/2] at wavenumbers q [1/m], and its Wigner function
``wigner(x, p, hbar)`` [1/(m kg m/s)], which integrates to 1.
"""
import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._model import Model

__all__ = ["Window", "BoxWindow", "GaussianWindow"]


class Window(Model):
    """Base class of the envelope windows (frozen dataclasses)."""

    @property
    def length(self):
        """Standard deviation of |g(y)|^2 [m]: the spatial resolution of the envelope."""
        raise NotImplementedError

    def g(self, y):
        """The window g(y) [m^-1/2] at offsets ``y`` [m]."""
        raise NotImplementedError

    def spectrum(self, q):
        """G(q) = int g(y) exp(i q y) dy [m^1/2] at wavenumbers ``q`` [1/m] (real and even)."""
        raise NotImplementedError

    def wigner(self, x, p, hbar):
        """Wigner function W_g(x, p) [1/(m kg m/s)] of the window, with
        int int W_g dx dp = int |g|^2 = 1."""
        raise NotImplementedError

    def cutoff(self, rtol=1e-17):
        """Wavenumber [1/m] beyond which |G(q)| < rtol |G(0)|, or None when G decays too slowly
        to be cut (then every wavenumber of the wave function is used)."""
        return None

    def momentum_length(self, hbar):
        """Momentum resolution [kg m/s]: the standard deviation of the window's momentum density
        hbar |G(p / hbar)|^2 / (2 pi hbar), or inf when it has none."""
        raise NotImplementedError


@dataclass(frozen=True)
class GaussianWindow(Window):
    """Gaussian window: the envelope density is the Husimi function.

    g(y) = (2 pi sigma_x^2)^(-1/4) exp(-y^2 / (4 sigma_x^2)),
    G(q) = (8 pi sigma_x^2)^(1/4) exp(-sigma_x^2 q^2),
    W_g(x, p) = (1 / (pi hbar)) exp(-x^2 / (2 sigma_x^2) - 2 sigma_x^2 p^2 / hbar^2),

    a minimum-uncertainty packet with position spread sigma_x and momentum spread
    hbar / (2 sigma_x) (K. Husimi, Proc. Phys. Math. Soc. Jpn. 22, 264 (1940)).

    Parameters
    ----------
    sigma_x : float
        Standard deviation of |g|^2 [m], > 0.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> w = pmc.quantum.GaussianWindow(sigma_x=0.5)
    >>> y = np.linspace(-5, 5, 2001)
    >>> round(float(np.sum(w.g(y) ** 2) * (y[1] - y[0])), 12)
    1.0
    >>> w.momentum_length(hbar=1.0)
    1.0
    """

    sigma_x: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "sigma_x", _checks.positive("sigma_x", self.sigma_x))

    @property
    def length(self):
        return self.sigma_x

    def g(self, y):
        s = self.sigma_x
        y = np.asarray(y, dtype=np.float64)
        return (2.0 * math.pi * s * s) ** -0.25 * np.exp(-y * y / (4.0 * s * s))

    def spectrum(self, q):
        s = self.sigma_x
        q = np.asarray(q, dtype=np.float64)
        return (8.0 * math.pi * s * s) ** 0.25 * np.exp(-s * s * q * q)

    def wigner(self, x, p, hbar):
        hbar = _checks.positive("hbar", hbar)
        s = self.sigma_x
        x, p = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(p, np.float64))
        return np.exp(-x * x / (2.0 * s * s) - 2.0 * s * s * p * p / (hbar * hbar)) / (
            math.pi * hbar)

    def cutoff(self, rtol=1e-17):
        rtol = _checks.positive("rtol", rtol)
        return math.sqrt(math.log(1.0 / min(rtol, 0.5))) / self.sigma_x

    def momentum_length(self, hbar):
        return _checks.positive("hbar", hbar) / (2.0 * self.sigma_x)


@dataclass(frozen=True)
class BoxWindow(Window):
    """The paper's box window (eqs. 7-8): the wave function cut over an interval of width Dx.

    g(y) = Dx^(-1/2) for |y| < Dx/2, 0 outside;
    G(q) = Dx^(1/2) sin(q Dx / 2) / (q Dx / 2);
    W_g(x, p) = sin(2 p a / hbar) / (pi p Dx) with a = Dx/2 - |x| for |x| < Dx/2, 0 outside
    (-> 2 a / (pi hbar Dx) at p = 0).

    Its momentum density falls off only as 1/p^2 (the sinc^2 of a sharp cut), so rho has tails
    along p of relative size ~ hbar / (Dx dp) beyond any finite grid, and W_g changes sign: the
    box resolves positions sharply at the price of ringing in momentum.

    Parameters
    ----------
    width : float
        Dx [m], > 0.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> w = pmc.quantum.BoxWindow(width=2.0)
    >>> round(float(w.g(0.5) ** 2), 12), float(w.g(1.5))
    (0.5, 0.0)
    >>> round(w.length, 6)  # Dx / sqrt(12)
    0.57735
    """

    width: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "width", _checks.positive("width", self.width))

    @property
    def length(self):
        return self.width / math.sqrt(12.0)

    def g(self, y):
        y = np.asarray(y, dtype=np.float64)
        return np.where(np.abs(y) < 0.5 * self.width, self.width ** -0.5, 0.0)

    def spectrum(self, q):
        q = np.asarray(q, dtype=np.float64)
        return math.sqrt(self.width) * np.sinc(q * self.width / (2.0 * math.pi))

    def wigner(self, x, p, hbar):
        hbar = _checks.positive("hbar", hbar)
        x, p = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(p, np.float64))
        a = np.maximum(0.5 * self.width - np.abs(x), 0.0)
        # sin(2 p a / hbar) / (pi p Dx) = (2 a / (pi hbar Dx)) sinc(2 p a / (pi hbar))
        return 2.0 * a / (math.pi * hbar * self.width) * np.sinc(2.0 * p * a / (math.pi * hbar))

    def momentum_length(self, hbar):
        _checks.positive("hbar", hbar)
        return math.inf
