"""The quantum reference (docs/design.md §1, paper section II): the time-dependent Schrödinger
equation by split-operator FFT, the envelope projection rho = |A|^2 with a box (paper eqs. 7-8)
or Gaussian (Husimi) window, the Wigner function, and the like-with-like smoothing that makes a
marker ensemble comparable with rho (see :func:`pmc.compare`).

>>> import numpy as np, pmc
>>> H = pmc.Hamiltonian(pmc.bands.Parabolic(), pmc.potentials.GaussianBarrier(1.0, 2.0))
>>> psi0 = pmc.states.GaussianWavepacket(x0=-20.0, p0=1.5, sigma_x=2.0)
>>> q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-80, 80, 2048, endpoint=False),
...                          t_end=2.0, save_every=1.0, absorber=pmc.quantum.Absorber(width=10.0))
>>> grid = pmc.PhaseSpaceGrid(x=np.linspace(-40, 40, 161), p=np.linspace(-4, 4, 81))
>>> rho = pmc.quantum.envelope(q, grid, pmc.quantum.GaussianWindow(sigma_x=1.0))
>>> rho.rho.dims
('time', 'x', 'p')
"""
from ._fft import HAVE_PYFFTW
from .envelope import (EnvelopeWarning, Smoother, envelope, sample_initial, smooth, wigner,
                       window_from_attrs)
from .solver import Absorber, Simulation, _deprecated, default_dt, simulate
from .windows import BoxWindow, GaussianWindow, Window

__all__ = ["simulate", "Simulation", "Absorber", "default_dt", "envelope", "wigner", "smooth",
           "Smoother", "sample_initial", "BoxWindow", "GaussianWindow", "Window",
           "EnvelopeWarning", "window_from_attrs", "HAVE_PYFFTW"]


def __getattr__(name):
    """``Solver`` and ``solve``: deprecated aliases of :class:`Simulation` and :func:`simulate`
    (they warn with a DeprecationWarning)."""
    return _deprecated(name, __name__)
