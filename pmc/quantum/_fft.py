"""FFT backend of the quantum reference: FFTW through pyFFTW when it is installed, scipy.fft
otherwise.

The split-operator loop transforms the same arrays thousands of times, so it uses planned FFTW
transforms between two aligned buffers, made once per solver and reused every step, as fbpic
does for its spectral solver (``fbpic/fields/spectral_transform/fourier.py``: one out-of-place
pair of ``pyfftw.FFTW`` plans between two preallocated buffers); unlike fbpic, the 1/N of the
inverse transform is folded into the kinetic phase rather than applied by the library, which
saves a pass over the array per step. Occasional transforms (observables, envelopes) go through ``scipy.fft``
with pyFFTW's scipy backend when available. Without pyFFTW everything falls back to
``scipy.fft`` with identical results up to round-off.

FFTW chooses its algorithm by timing under ``planner="measure"`` (FFTW_MEASURE), so two
processes may differ in the last bits; ``planner="estimate"`` (FFTW_ESTIMATE) plans without
timing and is bitwise repeatable. Plans are cheap after the first of a size in a process (FFTW
keeps its wisdom in memory).
"""
import contextlib

import numpy as np
import scipy.fft

try:  # pragma: no cover - exercised when pyfftw is installed
    import pyfftw
    import pyfftw.interfaces.scipy_fft as _pyfftw_scipy
    HAVE_PYFFTW = True
except ImportError:  # pragma: no cover - exercised when pyfftw is missing
    pyfftw = None
    _pyfftw_scipy = None
    HAVE_PYFFTW = False

__all__ = ["HAVE_PYFFTW", "PlannedFFT", "backend", "backend_name", "PLANNERS"]

#: Planner names and their FFTW flags.
PLANNERS = {"estimate": "FFTW_ESTIMATE", "measure": "FFTW_MEASURE", "patient": "FFTW_PATIENT"}


def backend_name(use_pyfftw=True):
    """``"pyfftw"`` or ``"scipy"``: what :class:`InPlaceFFT` and :func:`backend` will use."""
    return "pyfftw" if (HAVE_PYFFTW and use_pyfftw) else "scipy"


@contextlib.contextmanager
def backend(use_pyfftw=True):
    """Context in which ``scipy.fft`` (and what calls it, e.g. ``scipy.signal.CZT``) runs on
    FFTW, if pyFFTW is installed and ``use_pyfftw``; a no-op otherwise."""
    if HAVE_PYFFTW and use_pyfftw:
        with scipy.fft.set_backend(_pyfftw_scipy):
            yield
    else:
        yield


class PlannedFFT:
    """Two complex128 buffers, ``x`` (position space) and ``k`` (momentum space), with planned
    out-of-place transforms over all axes: ``forward()`` sets k to the DFT of x,
    sum_n x_n exp(-2 pi i k n / N), and ``backward()`` sets x to sum_k k_k exp(+2 pi i k n / N),
    without the 1/N. Both may overwrite their input (FFTW_DESTROY_INPUT): the split-operator
    step never reads it again. Out-of-place transforms are the faster FFTW plans (see
    benchmarks/bench_tdse.py).

    Parameters
    ----------
    shape : tuple of int
        Shape of the buffers (one or two axes).
    threads : int
        FFTW threads, >= 1 (``workers`` of the scipy fallback).
    planner : {"estimate", "measure", "patient"}
        FFTW planning effort (see the module docstring).
    use_pyfftw : bool
        False forces the scipy.fft fallback (used by the tests and the benchmark).
    """

    def __init__(self, shape, threads=1, planner="measure", use_pyfftw=True):
        if planner not in PLANNERS:
            raise ValueError(f"planner must be one of {sorted(PLANNERS)}, got {planner!r}")
        self.shape = tuple(int(s) for s in shape)
        self.threads = int(threads)
        self.backend = backend_name(use_pyfftw)
        axes = tuple(range(len(self.shape)))
        self._axes = axes
        if self.backend == "pyfftw":
            x = pyfftw.empty_aligned(self.shape, dtype=np.complex128)
            k = pyfftw.empty_aligned(self.shape, dtype=np.complex128)
            flags = (PLANNERS[planner], "FFTW_DESTROY_INPUT")
            # planning may overwrite the buffers: plan first, fill afterwards
            self._fwd = pyfftw.FFTW(x, k, axes=axes, direction="FFTW_FORWARD", flags=flags,
                                    threads=self.threads)
            self._bwd = pyfftw.FFTW(k, x, axes=axes, direction="FFTW_BACKWARD", flags=flags,
                                    threads=self.threads, normalise_idft=False)
            x[...] = 0.0
            k[...] = 0.0
            self.x, self.k = x, k
        else:
            self.x = np.zeros(self.shape, dtype=np.complex128)
            self.k = np.zeros(self.shape, dtype=np.complex128)

    def forward(self):
        """k <- DFT(x)."""
        if self.backend == "pyfftw":
            self._fwd.execute()
        else:
            self.k[...] = scipy.fft.fftn(self.x, axes=self._axes, overwrite_x=True,
                                         workers=self.threads)

    def backward(self):
        """x <- unnormalised inverse DFT(k)."""
        if self.backend == "pyfftw":
            self._bwd.execute()
        else:
            self.x[...] = scipy.fft.ifftn(self.k, axes=self._axes, overwrite_x=True,
                                          norm="forward", workers=self.threads)
