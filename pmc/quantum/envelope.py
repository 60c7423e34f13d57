"""Phase-space pictures of a wave function: the envelope projection rho = |A|^2 (paper eqs. 7-8,
DESIGN section 1), the Wigner function, and the like-with-like smoothing of binned markers.

Envelope. With the periodic grid of the solver, psi is the trigonometric polynomial
psi(x) = (1/M) sum_m Psi_m exp(i k_m (x - x_0)) (Psi = FFT of the samples), so the envelope is
exact for it:

    A(x0, p0) = (2 pi hbar)^(-1/2) (1/M) exp(-i p0 x0 / hbar)
                sum_m Psi_m G(k_m - p0 / hbar) exp(i k_m (x0 - x_0)),

G the window's Fourier transform. For every p0 on the grid the sum runs over the band of m where
G is not negligible (all m for the box); on the uniform x0 grid it is a chirp-z transform
(L. R. Rabiner, R. W. Schafer and C. M. Rader, IEEE Trans. Audio Electroacoust. 17, 86 (1969)),
i.e. three FFTs per momentum row, batched over rows: no loop over grid points, and any x0 grid
(not only the solver's points). The time-frequency analysis literature calls this a short-time
Fourier (Gabor) transform; rho for a Gaussian window is the Husimi function. QuTiP computes its
Wigner and Q functions in a Fock basis (``qutip/wigner.py``: ``wigner``, ``qfunc``), which suits
oscillator modes; pmc's states live on a position grid, so both come from FFTs of psi here.

Like with like. rho = W_psi * W_g (the Wigner function of psi smoothed by that of the window,
see :mod:`.windows`), so markers, which sample W_psi, are binned on the same grid and smoothed by
the same W_g (:class:`Smoother`): a linear convolution by zero-padded FFTs, with the average
over a bin that binning implies divided out in Fourier space (the deconvolution of the particle
shape that PIC codes apply; for a resolved density it leaves point values, as rho is).
"""
import math
import warnings

import numpy as np
import scipy.fft
import scipy.signal
import xarray as xr

from .. import _checks
from ..grids import PhaseSpaceGrid
from ..schema import coordinate, system_of, unit_system, variable
from ..states import Distribution, GaussianWavepacket, Gridded, sample
from . import _fft
from .windows import BoxWindow, GaussianWindow, Window

__all__ = ["envelope", "wigner", "smooth", "Smoother", "sample_initial", "EnvelopeWarning",
           "window_from_attrs"]

#: Largest complex work array of a batched transform [elements] (64 MiB).
_CHUNK = 2 ** 22
_WINDOWS = {"GaussianWindow": GaussianWindow, "BoxWindow": BoxWindow}


class EnvelopeWarning(UserWarning):
    """The envelope's conditions (hbar / p << window << envelope scale) or the grid's resolution
    are not met."""


# ============================================================================ envelope
def envelope(q, grid, window, *, hbar=None, rtol=1e-17, use_pyfftw=True, warn=True):
    """Envelope density rho(time, x, p) = |A(x, p)|^2 of a quantum run on a phase-space grid.

    Parameters
    ----------
    q : xarray.Dataset
        A one-dimensional run of :func:`pmc.quantum.simulate` (``psi_real``, ``psi_imag`` over
        ``x``, with or without ``time``).
    grid : pmc.PhaseSpaceGrid
        Grid with exactly the axes ``x`` [m] and ``p`` [kg m/s]: rho is evaluated at its bin
        centres, the same grid markers are binned on.
    window : pmc.quantum.GaussianWindow or pmc.quantum.BoxWindow
        The window g (normalised, int |g|^2 = 1).
    hbar : float, optional
        [J s], > 0. Default: ``q.attrs["hbar"]``.
    rtol : float
        Relative size of G below which the window's spectrum is cut, > 0 (Gaussian only).
    use_pyfftw : bool
        FFTW when installed (default) or scipy.fft.
    warn : bool
        Emit :class:`EnvelopeWarning` when hbar / p_rms exceeds the window length, when the
        window length exceeds the smallest spatial spread of |psi|^2 over the run, when the grid
        does not resolve the window (bin width above the window's length in x or in p), or when
        the window reaches past the solver's periodic box.

    Returns
    -------
    xarray.Dataset
        ``rho`` (time, x, p) [1/(m kg m/s)] with int int rho dx dp = int |psi|^2 dx when the
        grid holds the state; ``rho_integral`` (time): its sum over the grid times the bin area;
        ``norm`` (time) and ``absorbed`` (time, side) carried over from ``q``. Attributes: the
        window (``window_model`` and its parameters as ``window_<name>``), ``hbar``, and the
        provenance of ``q``.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(), hbar=1.0)
    >>> psi0 = pmc.states.GaussianWavepacket(x0=0.0, p0=3.0, sigma_x=1.0)
    >>> q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-20, 20, 512, endpoint=False),
    ...                          t_end=0.0, save_every=1.0)
    >>> grid = pmc.PhaseSpaceGrid(x=np.linspace(-10, 10, 201), p=np.linspace(-5, 11, 161))
    >>> rho = pmc.quantum.envelope(q, grid, pmc.quantum.GaussianWindow(sigma_x=0.5))
    >>> round(float(rho.rho_integral[0]), 6)
    1.0
    """
    if not isinstance(window, Window):
        raise ValueError(f"window must be a pmc.quantum.GaussianWindow or BoxWindow, got "
                         f"{window!r}")
    if not isinstance(grid, PhaseSpaceGrid):
        raise ValueError(f"grid must be a pmc.PhaseSpaceGrid, got {grid!r}")
    if grid.dims != ("x", "p"):
        raise ValueError(f"grid must have exactly the axes ('x', 'p'), got {grid.dims}")
    if not isinstance(q, xr.Dataset) or "psi_real" not in q or "psi_imag" not in q:
        raise ValueError("q must be a Dataset from pmc.quantum.simulate (psi_real, psi_imag)")
    if q["psi_real"].dims[-1:] != ("x",) or q["psi_real"].ndim - ("time" in q.dims) != 1:
        raise ValueError(f"envelope needs a one-dimensional run (dims (time, x)), got "
                         f"{q['psi_real'].dims}")
    hbar = _checks.positive("hbar", q.attrs.get("hbar") if hbar is None else hbar)
    rtol = _checks.positive("rtol", rtol)
    has_time = "time" in q["psi_real"].dims
    psi = (q["psi_real"].values + 1j * q["psi_imag"].values).reshape(-1, q.sizes["x"])
    xs, dx = _checks.uniform_axis("q.x", q["x"].values)
    M = xs.size
    L = M * dx
    dk = 2.0 * math.pi / L
    x0, p0 = grid.x, grid.p
    hx = grid.spacing["x"]

    with _fft.backend(use_pyfftw):
        spec = scipy.fft.fftshift(scipy.fft.fft(psi, axis=-1), axes=-1)  # m = -M/2 .. M/2-1
    if warn:
        _check_conditions(psi, spec, xs, dx, dk, hbar, window, grid)

    cut = window.cutoff(rtol)
    half = M if cut is None else int(math.ceil(cut / dk)) + 1
    if 2 * half + 1 >= 2 * M:
        half = M
    m_c = np.rint(p0 / (hbar * dk)).astype(np.int64)  # band centre of each momentum row
    j = np.arange(-half, half + 1)
    m = m_c[:, None] + j[None, :]  # (np, band)
    ok = (m >= -(M // 2)) & (m < M - M // 2)
    G = window.spectrum(m * dk - (p0 / hbar)[:, None])
    G = np.where(ok, G, 0.0)
    # phase exp(i j dk (x0[0] - x_0)) of the chirp-z input, the rest has unit modulus
    phase = np.exp(1j * j * dk * (x0[0] - xs[0]))
    coef = G * phase[None, :] / M
    index = np.clip(m + M // 2, 0, M - 1)
    czt = scipy.signal.CZT(j.size, x0.size, w=np.exp(1j * dk * hx), a=1.0)
    scale = 1.0 / (2.0 * math.pi * hbar)
    rho = np.empty((psi.shape[0], x0.size, p0.size))
    rows = max(1, _CHUNK // max(j.size + x0.size, 1))
    with _fft.backend(use_pyfftw):
        for t in range(psi.shape[0]):  # over saved frames
            for b0 in range(0, p0.size, rows):  # over blocks of momentum rows, bounded memory
                b1 = min(b0 + rows, p0.size)
                a = spec[t][index[b0:b1]] * coef[b0:b1]
                out = czt(a, axis=-1)
                rho[t, :, b0:b1] = (out.real ** 2 + out.imag ** 2).T * scale
    area = grid.bin_volume
    system = system_of(q)
    data = {"rho": variable("rho", rho, ("time", "x", "p"), system,
                            comment=f"window: {_window_text(window)}"),
            "rho_integral": variable("rho_integral", rho.sum(axis=(1, 2)) * area, ("time",),
                                     system)}
    times = q["time"].values if has_time else np.array([0.0])
    for name in ("total_weight", "norm"):  # "norm": the name in older files
        if name in q:
            data["total_weight"] = (("time",), np.atleast_1d(q[name].values),
                                    dict(q[name].attrs))
            break
    coords = {"time": coordinate("time", times, system),
              **{d: coordinate(d, grid.coords[d].copy(), system) for d in ("x", "p")}}
    ds = xr.Dataset(data, coords=coords)
    if "absorbed" in q:
        ab = q["absorbed"] if has_time else q["absorbed"].expand_dims("time")
        ds["absorbed"] = (("time", "side"), ab.transpose("time", "side").values,
                          dict(q["absorbed"].attrs))
        ds = ds.assign_coords(side=coordinate("side", q["side"].values))
    ds.attrs = {**{k: v for k, v in q.attrs.items() if k in ("case", "pmc_version", "created",
                                                               "seed")},
                "title": "pmc envelope projection of a Schrödinger run",
                "hbar": hbar, **window_attrs(window),
                "method": "chirp-z evaluation of the windowed Fourier transform of the "
                          "spectral interpolant of psi"}
    return ds


def _window_text(window):
    return f"{type(window).__name__}(" + ", ".join(
        f"{k}={v:g}" for k, v in window.parameters().items()) + ")"


def window_attrs(window):
    """The attributes that record a window in a dataset (read back by
    :func:`window_from_attrs`)."""
    return {"window": _window_text(window), "window_model": type(window).__name__,
            **{f"window_{k}": float(v) for k, v in window.parameters().items()}}


def window_from_attrs(attrs):
    """The window recorded in a dataset's attributes by :func:`envelope`."""
    name = attrs.get("window_model")
    if name not in _WINDOWS:
        raise ValueError(f"no window recorded in the attributes (window_model = {name!r}); "
                         f"give window= explicitly")
    cls = _WINDOWS[name]
    kw = {k[len("window_"):]: float(v) for k, v in attrs.items()
          if k.startswith("window_") and k != "window_model"}
    return cls(**kw)


def _check_conditions(psi, spec, xs, dx, dk, hbar, window, grid):
    """The paper's conditions hbar / p << window << envelope scale, and the grid's resolution."""
    M = xs.size
    k = (np.arange(M) - M // 2) * dk
    w = spec.real ** 2 + spec.imag ** 2
    p2 = (w @ (hbar * k) ** 2) / np.maximum(w.sum(axis=1), 1e-300)
    p_rms = math.sqrt(float(np.mean(p2)))
    length = window.length
    if p_rms > 0 and hbar / p_rms > length:
        warnings.warn(f"hbar / p_rms = {hbar / p_rms:.3g} m is not small against the window "
                      f"length {length:.3g} m: the envelope does not separate the fast phase "
                      f"from the envelope (paper eq. 7 needs hbar / p << Dx)",
                      EnvelopeWarning, stacklevel=3)
    d = psi.real ** 2 + psi.imag ** 2
    tot = d.sum(axis=1)
    live = tot > 1e-3 * tot.max()
    mean = (d @ xs) / np.maximum(tot, 1e-300)
    var = (d @ xs ** 2) / np.maximum(tot, 1e-300) - mean ** 2
    spread = float(np.sqrt(np.maximum(var[live], 0.0)).min())
    if length > spread:
        warnings.warn(f"the window length {length:.3g} m is not small against the smallest "
                      f"spatial spread of |psi|^2, {spread:.3g} m: rho mostly shows the window",
                      EnvelopeWarning, stacklevel=3)
    hx, hp = grid.spacing["x"], grid.spacing["p"]
    if hx > length or hp > window.momentum_length(hbar):
        warnings.warn(f"the grid (dx = {hx:.3g}, dp = {hp:.3g}) does not resolve the window "
                      f"(length {length:.3g} in x, {window.momentum_length(hbar):.3g} in p)",
                      EnvelopeWarning, stacklevel=3)
    reach = 4.0 * length if math.isfinite(window.momentum_length(hbar)) else (
        0.5 * window.width)
    lo, hi = grid.x[0] - reach, grid.x[-1] + reach
    if lo < xs[0] or hi > xs[0] + M * dx:
        warnings.warn(f"the window around the grid's x range reaches [{lo:.3g}, {hi:.3g}], past "
                      f"the solver's periodic box [{xs[0]:.3g}, {xs[0] + M * dx:.3g}): rho "
                      f"there sees the periodic image", EnvelopeWarning, stacklevel=3)


# ============================================================================ Wigner
def wigner(psi, x, *, hbar=1.0, p=None, use_pyfftw=True):
    """Wigner function W(x, p) = (1 / pi hbar) int conj(psi(x + y)) psi(x - y) exp(2 i p y / hbar) dy
    of a one-dimensional wave function (E. Wigner, Phys. Rev. 40, 749 (1932)).

    psi is taken as its band-limited (trigonometric) interpolant on the x grid and zero outside
    the grid; it is interpolated spectrally onto the half-step grid so that y runs in steps of
    dx/2 and the momentum range is the grid's full range +-pi hbar / dx without aliasing. The sum
    over y is a chirp-z transform per row (rows in blocks of bounded memory); the work is
    O(M^2 log M) for M points, so keep M to a few thousand.

    Parameters
    ----------
    psi : array_like
        Complex wave function [m^-1/2] on ``x``.
    x : array_like
        Uniform, increasing grid [m].
    hbar : float
        [J s], > 0.
    p : array_like, optional
        Uniform, increasing momenta [kg m/s] at which to evaluate W. Default: hbar k on the
        grid's M Fourier momenta, from -pi hbar / dx.
    use_pyfftw : bool
        FFTW when installed (default) or scipy.fft.

    Returns
    -------
    xarray.DataArray
        W (x, p) [1/(m kg m/s)], real; int int W dx dp = int |psi|^2 dx.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> st = pmc.states.GaussianWavepacket(x0=0.5, p0=1.0, sigma_x=1.0)
    >>> x = np.linspace(-10, 10, 256, endpoint=False)
    >>> W = pmc.quantum.wigner(st.psi(x), x, p=np.linspace(-2, 4, 61))
    >>> bool(np.allclose(W.values, st.wigner(x[:, None], W.p.values[None, :]), atol=1e-10))
    True
    """
    hbar = _checks.positive("hbar", hbar)
    x, dx = _checks.uniform_axis("x", x)
    psi = np.asarray(psi, dtype=np.complex128)
    if psi.shape != x.shape:
        raise ValueError(f"psi must have the shape of x {x.shape}, got {psi.shape}")
    M = x.size
    if p is None:
        p = hbar * 2.0 * math.pi * np.fft.fftshift(np.fft.fftfreq(M, d=dx))
    p, hp = _checks.uniform_axis("p", p)
    with _fft.backend(use_pyfftw):
        fine = scipy.fft.ifft(_zero_pad_spectrum(scipy.fft.fft(psi), 2 * M)) * 2.0
    # fine[2 n] = psi[n]; y = j dx / 2, j = -(2M - 1) .. 2M - 1, zero outside the grid
    J = 2 * M - 1
    j = np.arange(-J, J + 1)
    ext = np.zeros(4 * M + 2 * J, np.complex128)
    off = J + M  # ext[off + i] = fine[i]
    ext[off:off + 2 * M] = fine
    phase_in = np.exp(1j * p[0] * j * dx / hbar)
    w = np.exp(1j * hp * dx / hbar)
    czt = scipy.signal.CZT(j.size, p.size, w=w, a=1.0)
    # with j' = j + J the chirp-z sum is sum_j' c_j exp(i p0 j dx / hbar) w^(j' b); the factor
    # exp(-i b hp J dx / hbar) remains
    phase_out = np.exp(-1j * hp * np.arange(p.size) * J * dx / hbar)
    out = np.empty((M, p.size))
    rows = max(1, _CHUNK // (j.size + p.size))
    with _fft.backend(use_pyfftw):
        for n0 in range(0, M, rows):  # over blocks of rows, bounded memory
            n = np.arange(n0, min(n0 + rows, M))
            centre = off + 2 * n[:, None]
            c = np.conj(ext[centre + j[None, :]]) * ext[centre - j[None, :]]
            z = czt(c * phase_in[None, :], axis=-1) * phase_out[None, :]
            out[n] = z.real * (dx / (2.0 * math.pi * hbar))
    system = unit_system(hbar=hbar)
    return xr.DataArray(out, dims=("x", "p"),
                        coords={"x": coordinate("x", x, system), "p": coordinate("p", p, system)},
                        name="wigner",
                        attrs=variable("wigner", out, ("x", "p"), system, hbar=hbar).attrs)


def _zero_pad_spectrum(spec, n):
    """The length-``n`` spectrum of the same trigonometric interpolant as the length-M ``spec``
    (the Nyquist term of an even M split evenly between +M/2 and -M/2)."""
    M = spec.size
    h = M // 2
    out = np.zeros(n, np.complex128)
    if M % 2:
        out[:h + 1] = spec[:h + 1]
        out[n - h:] = spec[h + 1:]
    else:
        out[:h] = spec[:h]
        out[n - h + 1:] = spec[h + 1:]
        out[h] = 0.5 * spec[h]
        out[n - h] = 0.5 * spec[h]
    return out


# ============================================================================ smoothing
class Smoother:
    """Linear map f -> f * W_g on a phase-space grid: markers binned on the grid, smoothed by the
    Wigner function of the window, become comparable with the envelope density rho.

    rho_m(x_a, p_b) = sum_{c,d} F_cd K(x_c - x_a, p_d - p_b) dx dp with K = W_g (even), by
    zero-padded FFTs (a linear, not circular, convolution). With ``deconvolve_bins`` the kernel's
    transform is divided by sinc(f_x dx) sinc(f_p dp), the transfer function of the bin average
    that binning implies, so that a resolved density is smoothed as if given by point values.
    The map is symmetric (K is even and the multiplier real), so it is also its own transpose,
    which :func:`pmc.compare` uses for standard errors.

    The Gaussian window's kernel is smooth and the result is exact to the grid's resolution
    (spectrally accurate in the bin widths) when the markers' density is resolved by the bins.
    Markers sheared into filaments thinner than a bin (free flight, dephasing) leave an error of
    relative order (bin width / window length)^2: at bins of half the window's lengths it is a
    total variation of ~0.01 for a strongly sheared packet, at a quarter ~4 times less, so keep
    the bins at a quarter of the window or finer when the phase-space density gets filamented. The box window's kernel jumps at |x| = Dx/2 and
    decays only as 1/p, so sampling it on the grid leaves a bias of relative order dx / Dx, and
    offsets beyond the grid's momentum range are cut: with a 2 sigma_x box on a grid of dx =
    Dx/20 the total variation distance of exact markers is about 1.7 times the noise floor of
    8 x 10^4 markers. Use the Gaussian window for quantitative comparisons.

    Parameters
    ----------
    x, p : array_like
        Bin centres [m], [kg m/s] (uniform).
    window : pmc.quantum.GaussianWindow or BoxWindow
    hbar : float
        [J s], > 0.
    deconvolve_bins : bool or (bool, bool)
        Divide out the bin average (default True), or per axis (x, p): markers whose momenta
        sit at the p bins' centres (signed markers on a Wigner momentum lattice binned with
        bins of the lattice spacing) are point values in p, (True, False).
    """

    def __init__(self, x, p, window, hbar, deconvolve_bins=True):
        if not isinstance(window, Window):
            raise ValueError(f"window must be a pmc.quantum window, got {window!r}")
        self.window = window
        self.hbar = _checks.positive("hbar", hbar)
        x, hx = _checks.uniform_axis("x", x)
        p, hp = _checks.uniform_axis("p", p)
        self.shape = (x.size, p.size)
        self.spacing = (hx, hp)
        nx, npp = self.shape
        self._pad = (scipy.fft.next_fast_len(2 * nx - 1, real=True),
                     scipy.fft.next_fast_len(2 * npp - 1, real=True))
        # the kernel at every offset the grid can produce, wrapped onto the padded grid
        ox = np.arange(self._pad[0])
        ox = np.where(ox < self._pad[0] - (nx - 1), ox, ox - self._pad[0]) * hx
        ox = np.where(np.abs(ox) <= (nx - 1) * hx + 1e-9 * hx, ox, np.inf)
        op = np.arange(self._pad[1])
        op = np.where(op < self._pad[1] - (npp - 1), op, op - self._pad[1]) * hp
        op = np.where(np.abs(op) <= (npp - 1) * hp + 1e-9 * hp, op, np.inf)
        with np.errstate(invalid="ignore"):
            K = window.wigner(ox[:, None], op[None, :], self.hbar)
        K = np.where(np.isfinite(ox)[:, None] & np.isfinite(op)[None, :], K, 0.0) * hx * hp
        Khat = scipy.fft.rfft2(K)
        dx_, dp_ = ((deconvolve_bins, deconvolve_bins) if np.ndim(deconvolve_bins) == 0
                    else tuple(deconvolve_bins))
        if dx_:
            fx = scipy.fft.fftfreq(self._pad[0], d=hx)
            Khat = Khat / np.sinc(fx * hx)[:, None]
        if dp_:
            fp = scipy.fft.rfftfreq(self._pad[1], d=hp)
            Khat = Khat / np.sinc(fp * hp)[None, :]
        self._khat = Khat
        self.deconvolve_bins = (bool(dx_), bool(dp_))

    def __call__(self, f):
        """Smooth ``f`` of shape (..., nx, np) over its last two axes; returns the same shape."""
        f = np.asarray(f, dtype=np.float64)
        if f.shape[-2:] != self.shape:
            raise ValueError(f"f must end with the grid's shape {self.shape}, got {f.shape}")
        spec = scipy.fft.rfft2(f, s=self._pad, axes=(-2, -1))
        spec *= self._khat
        out = scipy.fft.irfft2(spec, s=self._pad, axes=(-2, -1))
        return np.ascontiguousarray(out[..., :self.shape[0], :self.shape[1]])


def smooth(f, window, *, hbar, deconvolve_bins=True):
    """Markers' binned phase-space density smoothed by the Wigner function of ``window``:
    the like-with-like counterpart of :func:`envelope` (see :class:`Smoother`).

    Parameters
    ----------
    f : xarray.DataArray
        Binned density with dims ``x`` and ``p`` (and any others, e.g. ``time``), as the ``f``
        of a :class:`pmc.Simulation` run [1/(m kg m/s)].
    window : pmc.quantum.GaussianWindow or BoxWindow
    hbar : float
        [J s], > 0.
    deconvolve_bins : bool
        Divide out the bin average (default True).

    Returns
    -------
    xarray.DataArray
        Same dims and coordinates as ``f``, [1/(m kg m/s)].
    """
    if not isinstance(f, xr.DataArray) or "x" not in f.dims or "p" not in f.dims:
        raise ValueError("f must be an xarray.DataArray with dims 'x' and 'p'")
    dims = f.dims
    g = f.transpose(..., "x", "p")
    op = Smoother(g["x"].values, g["p"].values, window, hbar, deconvolve_bins)
    out = g.copy(data=op(g.values)).transpose(*dims)
    out.attrs = variable("rho_markers", out.values, out.dims,
                         comment=f"smoothed with the Wigner function of the "
                                 f"{_window_text(window)}").attrs
    if "units" in f.attrs:
        out.attrs["units"] = f.attrs["units"]
    out.name = "rho_markers"
    return out


# ============================================================================ initial markers
def sample_initial(state, n, *, seed, x=None, hbar=None, grid=None, window=None):
    """Markers for a like-with-like comparison, and where they were drawn from.

    A :class:`pmc.states.GaussianWavepacket` has a positive Wigner function: its markers sample
    it exactly (``source = "wigner"``), and their binned density is then compared with rho after
    smoothing by W_g. Any other state (an array psi on ``x``) is sampled from its envelope
    density rho_0 on ``grid`` with ``window`` (``source = "envelope"``), which is positive where
    the Wigner function may not be; those markers already carry one smoothing, so compare them
    with ``pmc.compare(..., smooth=False)``. An :class:`EnvelopeWarning` says so.

    Parameters
    ----------
    state : pmc.states.GaussianWavepacket or array_like
        The initial state, or complex psi [m^-1/2] on ``x``.
    n : int
        Number of markers, >= 1.
    seed : int or numpy.random.SeedSequence
    x : array_like, optional
        Grid of ``state`` when it is an array [m].
    hbar : float, optional
        [J s]; required with an array state.
    grid : pmc.PhaseSpaceGrid, optional
        (x, p) grid of rho_0; required with an array state.
    window : pmc.quantum window, optional
        Required with an array state.

    Returns
    -------
    (pmc.Markers, str)
        The markers and their source, ``"wigner"`` or ``"envelope"``.
    """
    if isinstance(state, GaussianWavepacket):
        return sample(state, n, seed=seed), "wigner"
    if isinstance(state, Distribution):
        raise ValueError(f"state must be a GaussianWavepacket or a wave function array, got "
                         f"{type(state).__name__}")
    if x is None or hbar is None or grid is None or window is None:
        raise ValueError("an array state needs x, hbar, grid and window")
    x, dx = _checks.uniform_axis("x", x)
    psi = np.asarray(state, dtype=np.complex128)
    q = xr.Dataset({"psi_real": (("x",), psi.real), "psi_imag": (("x",), psi.imag)},
                   coords={"x": x}, attrs={"hbar": float(hbar)})
    rho0 = envelope(q, grid, window, warn=False)["rho"].isel(time=0)
    warnings.warn("markers sampled from the initial envelope density rho_0 (not the Wigner "
                  "function): compare them without a second smoothing (smooth=False)",
                  EnvelopeWarning, stacklevel=2)
    markers = sample(Gridded(np.maximum(rho0.values, 0.0), x=grid.x, p=grid.p), n, seed=seed)
    return markers, "envelope"

