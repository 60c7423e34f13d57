"""Distances between a marker run and a reference on the same phase-space grid (docs/design.md §1,
"Comparing like with like").

The reference is either the envelope density rho of a Schrödinger run
(:func:`pmc.quantum.envelope`) or a deterministic f on the grid (a grid-solver run). Against an
envelope, the markers' binned f is smoothed with the Wigner function of the same window first
(:class:`pmc.quantum.Smoother`), since rho = W_psi * W_g while the markers sample W_psi.

Distance and noise floor
------------------------
The distance is the total variation D = 1/2 sum |rho_ref - rho_m| dx dp over the grid. Sampling
noise alone gives D > 0; the floor it sets for the N markers used is measured from independent
ensembles (runs with different seeds): with K >= 2 ensembles of equal size, rho_m is their mean
and, since the noise of a binned density is Gaussian to a good approximation (central limit per
bin) and D of a Gaussian field scales linearly with its amplitude, the expected D of noise alone
for the pooled ensemble is the mean pairwise distance between ensembles divided by sqrt(2K)
(the difference of two ensembles has sqrt(2) times one ensemble's noise, the mean of K has
1/sqrt(K) of it); the spread of the pairwise distances gives its scatter. With one ensemble the
floor comes from synthetic ensembles instead: Gaussian noise with the per-bin standard error
``f_stderr`` (multinomial, bins independent), smoothed and measured the same way (a parametric
bootstrap, B. Efron and R. Tibshirani, An Introduction to the Bootstrap, Chapman & Hall 1993,
ch. 6). SPARTA and PySDM report the same kind of ensemble scatter for their particle estimates.

Moments
-------
norm = sum rho dx dp, <x>, <p> and the transmitted fraction (the part at x > ``divide`` plus
what the x_hi wall absorbed) of both densities, their differences and the standard errors of the
marker estimates. A linear functional L = sum_c a_c f_c of the binned density (for the smoothed
density a = S l, S symmetric) has the multinomial variance of N markers

    Var(L) = sum_c a_c^2 (f_stderr_c^2 + f_c^2 / N) - (sum_c a_c f_c)^2 / N

(f_stderr^2 + f^2 / N is sum w^2 / V^2 of the bin; the last term is the covariance of the
bins, which share the fixed number of markers: without it the variance of a fraction T would be
T instead of T (1 - T)); ratios use the delta method. The reference is deterministic and has no
error.

Signed markers
--------------
Runs with signed markers (signed-particle Wigner transport: ``n_negative`` in the run) sum
signed weights in f, so f_stderr is the standard error of signed weights, but the markers are
not independent: the pairs, their descendants and the annihilation's merging correlate them,
and the per-bin errors underestimate the noise (by 2-2.6x in the distance and 2x in the
transmitted fraction, validation 73). For them at least two independent ensembles are
required: the noise floor comes from their pairwise distances (above) and the moments'
standard errors from their scatter, std / sqrt(K).

Coverage
--------
Both densities are compared on the marker grid only, so weight that lies outside it biases the
moments: quantum weight beyond the grid's x range but still in the solver's box is neither on
the grid nor absorbed (a transmitted fraction that misses it), and a momentum range that clips
the window's smoothing loses weight from both densities unequally. The weight of the quantum
density outside the grid is the envelope's ``total_weight`` (int |psi|^2 over the box) minus its
``rho_integral`` (over the grid); it is attributed to the x and p edges in proportion to the
density on the grid's outermost columns and rows. The smoothed marker weight the momentum range
clips is what smoothing removed, sum f - sum S f, attributed the same way. Either, at any
time, above the noise of the moments (the standard error of the transmitted fraction, and at
least the weight of one marker of the pooled ensembles, the resolution of N markers) is reported
with its size (:class:`CoverageWarning`, the default ``coverage="warn"``). With
``coverage="error"`` a bias above three standard errors, one a test at three sigma would see,
is refused.
"""
import math
import warnings

import numpy as np
import xarray as xr

from . import _checks
from .schema import coordinate, system_of, variable
from .quantum import Smoother, window_from_attrs
from .quantum.windows import Window

__all__ = ["compare", "CoverageWarning", "COVERAGE"]

#: What :func:`compare` does when the grid misses weight (see "Coverage" in the module
#: docstring): warn, raise or ignore.
COVERAGE = ("warn", "error", "ignore")
#: A bias above this many standard errors of the moments is refused with ``coverage="error"``;
#: one above a single standard error is reported.
REFUSE_ABOVE = 3.0


class CoverageWarning(UserWarning):
    """The marker grid misses weight of the reference beyond the noise (``coverage="warn"``)."""


def compare(markers, reference, *, window=None, hbar=None, smooth=None, divide=0.0,
            deconvolve_bins=True, noise_draws=32, seed=0, densities=False, coverage="warn"):
    """Compare marker ensembles with a quantum envelope or a grid-solver f, time by time.

    Parameters
    ----------
    markers : xarray.Dataset or sequence of xarray.Dataset
        Marker runs (:meth:`pmc.Simulation.run`) with ``f`` (time, x, p) and ``f_stderr`` on the
        reference's grid; several runs are independent ensembles of the same case (different
        seeds, the same number of markers) and are pooled. ``absorbed`` (time, side) is used
        for the transmitted fraction when present.
    reference : xarray.Dataset
        An envelope (``rho``, from :func:`pmc.quantum.envelope`) or a deterministic ``f`` on the
        same (x, p) grid, with the same times (at least one in common).
    window : pmc.quantum window, optional
        Window of the smoothing; default the one recorded in the envelope's attributes.
    hbar : float, optional
        [J s]; default the envelope's ``hbar``.
    smooth : bool, optional
        Smooth the markers with W_g; default True against an envelope, False against an f.
        Use False for markers drawn from an envelope density (see
        :func:`pmc.quantum.sample_initial`).
    divide : float
        Position [m] beyond which probability counts as transmitted.
    deconvolve_bins : bool or (bool, bool)
        See :class:`pmc.quantum.Smoother` (per axis (x, p): momenta on a lattice at the p bins'
        centres are point values in p).
    noise_draws : int
        Synthetic ensembles of the single-ensemble noise floor, >= 2.
    seed : int
        Seed of those draws.
    densities : bool
        Also return ``rho_markers`` and ``rho_reference`` (time, x, p).
    coverage : {"warn", "error", "ignore"}
        What to do when the grid does not cover the quantum box (quantum weight outside its x
        range) or its momentum range clips smoothed weight, beyond the noise of the moments
        (see "Coverage" in the module docstring): warn with the size of the bias
        (:class:`CoverageWarning`, the default), raise a ValueError above three standard
        errors (and warn above one), or ignore it.

    Returns
    -------
    xarray.Dataset
        Over ``time`` (units "1" unless stated):

        ``distance``: total variation 1/2 sum |rho_ref - rho_m| dx dp;
        ``noise_floor``: its expected value from sampling noise alone for the markers used, and
        ``noise_floor_spread``: the standard deviation of that noise-only distance;
        ``norm_*``, ``mean_x_*`` [m], ``mean_p_*`` [kg m/s], ``transmitted_*`` with suffixes
        ``reference``, ``markers``, ``difference`` (reference - markers) and
        ``difference_stderr``.
        Attributes: ``n_ensembles``, ``n_markers`` (per ensemble), ``noise_floor_method``,
        ``smoothed``, the window and ``divide``.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(), pmc.potentials.Harmonic(omega=1.0))
    >>> psi0 = pmc.states.GaussianWavepacket(x0=2.0, p0=0.0, sigma_x=0.5 ** 0.5)
    >>> grid = pmc.PhaseSpaceGrid(x=np.linspace(-6, 6, 61), p=np.linspace(-6, 6, 61))
    >>> runs = [pmc.Simulation(H, pmc.sample(psi0, 4000, seed=s), dt=0.05, grid=grid,
    ...                        observables=["f"]).run(1.0, 0.5, progress=False)
    ...         for s in (1, 2)]
    >>> q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-12, 12, 256, endpoint=False),
    ...                          t_end=1.0, save_every=0.5, dt=0.01)
    >>> rho = pmc.quantum.envelope(q, grid, pmc.quantum.GaussianWindow(0.5), warn=False)
    >>> c = pmc.compare(runs, rho)
    >>> bool((c.distance < 4 * c.noise_floor).all())
    True
    """
    runs = [markers] if isinstance(markers, xr.Dataset) else list(markers)
    if not runs or not all(isinstance(r, xr.Dataset) and "f" in r for r in runs):
        raise ValueError("markers must be a marker-run Dataset with f (time, x, p), or a "
                         "sequence of them")
    if not isinstance(reference, xr.Dataset) or not ("rho" in reference or "f" in reference):
        raise ValueError("reference must be an envelope Dataset (rho) or a Dataset with f")
    is_envelope = "rho" in reference
    ref = reference["rho" if is_envelope else "f"]
    if smooth is None:
        smooth = is_envelope
    if coverage not in COVERAGE:
        raise ValueError(f"coverage must be one of {list(COVERAGE)}, got {coverage!r}")
    noise_draws = _checks.count("noise_draws", noise_draws, minimum=2)
    divide = _checks.finite("divide", divide)

    # common grid and times
    for r in runs:
        for d in ("x", "p"):
            if d not in r["f"].dims or r.sizes[d] != ref.sizes[d] or not np.allclose(
                    r[d].values, ref[d].values, rtol=0, atol=1e-9 * _spacing(ref[d].values)):
                raise ValueError(f"the markers' {d} axis differs from the reference's: bin them "
                                 f"on the same PhaseSpaceGrid")
    if "time" not in ref.dims:
        ref = ref.expand_dims(time=[0.0])
    t_ref = ref["time"].values
    common = [t for t in t_ref if all(_has_time(r, t) for r in runs)]
    if not common:
        raise ValueError("the markers and the reference share no time")
    times = np.array(common)
    x = ref["x"].values
    p = ref["p"].values
    hx, hp = _spacing(x), _spacing(p)
    area = hx * hp

    def at(ds, name):
        v = ds[name]
        idx = [int(np.argmin(np.abs(ds["time"].values - t))) for t in times]
        return v.isel(time=idx).transpose("time", "x", "p").values

    F = np.stack([at(r, "f") for r in runs])  # (K, T, nx, np)
    Ferr = np.stack([at(r, "f_stderr") if "f_stderr" in r else np.zeros_like(F[0])
                     for r in runs])
    K = F.shape[0]
    # markers binned per ensemble and time (the multinomial N of the bin counts)
    N = np.stack([_markers_at(r, times) for r in runs])  # (K, T)
    R = ref.sel(time=times, method="nearest").transpose("time", "x", "p").values

    if smooth:
        if window is None:
            window = window_from_attrs(reference.attrs)
        if not isinstance(window, Window):
            raise ValueError(f"window must be a pmc.quantum window, got {window!r}")
        h = reference.attrs.get("hbar") if hbar is None else hbar
        op = Smoother(x, p, window, _checks.positive("hbar", h), deconvolve_bins)
    else:
        def op(a):
            return np.asarray(a, dtype=np.float64)

    S = op(F)  # (K, T, nx, np)
    pooled = S.mean(axis=0)
    var_pooled = (Ferr ** 2).sum(axis=0) / K ** 2  # per bin, before smoothing
    # multinomial second moments per bin, f_stderr^2 + f^2 / N (see _linear_stderr)
    second = Ferr ** 2 + F ** 2 / N[:, :, None, None]
    distance = 0.5 * np.abs(R - pooled).sum(axis=(-2, -1)) * area

    signed = any("n_negative" in r for r in runs)
    if signed and K < 2:
        raise ValueError("markers: signed-marker runs (Wigner) need >= 2 independent ensembles: "
                         "pair generation and annihilation correlate their markers, so the "
                         "per-bin standard error f_stderr underestimates the noise")
    if K >= 2:
        pairs = np.array([0.5 * np.abs(S[i] - S[j]).sum(axis=(-2, -1)) * area
                          for i in range(K) for j in range(i + 1, K)])  # (npair, T)
        floor = pairs.mean(axis=0) / math.sqrt(2 * K)
        spread = (pairs.std(axis=0, ddof=1) if pairs.shape[0] > 1
                  else np.full(times.size, np.nan)) / math.sqrt(2 * K)
        method = (f"mean total variation between the {pairs.shape[0]} pairs of independent "
                  f"ensembles / sqrt(2 K), K = {K}")
    else:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        draws = np.empty((noise_draws, times.size))
        sd = np.sqrt(var_pooled)
        for b in range(noise_draws):  # over synthetic ensembles
            draws[b] = 0.5 * np.abs(op(rng.standard_normal(sd.shape) * sd)).sum(
                axis=(-2, -1)) * area
        floor = draws.mean(axis=0)
        spread = draws.std(axis=0, ddof=1)
        method = (f"parametric bootstrap: {noise_draws} Gaussian noise fields with the per-bin "
                  f"standard error f_stderr, smoothed and measured like the markers")

    # moments: linear functionals l of the smoothed density, errors through S^T = S
    X = np.broadcast_to(x[:, None], R.shape[-2:])
    P = np.broadcast_to(p[None, :], R.shape[-2:])
    ones = np.ones(R.shape[-2:])
    right = np.broadcast_to((x > divide)[:, None], R.shape[-2:]).astype(np.float64)

    def total(rho, l):
        return (rho * l).sum(axis=(-2, -1)) * area

    def stderr(l):  # l: (T, nx, np) or (nx, np) weights of sum l rho_m dx dp
        a = op(np.broadcast_to(l, R.shape)) * area  # weights of the unsmoothed f (S^T = S)
        var = (a ** 2 * second).sum(axis=(-2, -1)) - (a * F).sum(axis=(-2, -1)) ** 2 / N
        return np.sqrt(np.maximum(var, 0.0).sum(axis=0)) / K

    out = {}
    norm_r, norm_m = total(R, ones), total(pooled, ones)
    mx_r, mx_m = total(R, X) / norm_r, total(pooled, X) / norm_m
    mp_r, mp_m = total(R, P) / norm_r, total(pooled, P) / norm_m
    lx = (X[None] - mx_m[:, None, None]) / norm_m[:, None, None]
    lp = (P[None] - mp_m[:, None, None]) / norm_m[:, None, None]
    ab_r = _absorbed_hi(reference, times)
    ab_m, ab_m_var = _absorbed_hi_markers(runs, times)
    tr_r = total(R, right) + ab_r
    tr_m = total(pooled, right) + ab_m
    moments = {
        "norm": (norm_r, norm_m, stderr(ones)),
        "mean_x": (mx_r, mx_m, stderr(lx)),
        "mean_p": (mp_r, mp_m, stderr(lp)),
        "transmitted": (tr_r, tr_m, np.sqrt(stderr(right) ** 2 + ab_m_var)),
    }
    if signed:  # the errors from the ensembles' scatter (module docstring, "Signed markers")
        norm_k = total(S, ones)
        each = {"norm": norm_k, "mean_x": total(S, X) / norm_k, "mean_p": total(S, P) / norm_k,
                "transmitted": total(S, right) + np.stack([_absorbed_hi(r, times)
                                                           for r in runs])}
        moments = {k: (vr, vm, each[k].std(axis=0, ddof=1) / math.sqrt(K))
                   for k, (vr, vm, _) in moments.items()}
    for name, (vr, vm, err) in moments.items():
        out[f"{name}_reference"] = vr
        out[f"{name}_markers"] = vm
        out[f"{name}_difference"] = vr - vm
        out[f"{name}_difference_stderr"] = err
    if is_envelope and coverage != "ignore":
        # the noise of the moments, and at least the weight one marker of the pooled ensembles
        # carries (a bias below it is below what the markers resolve)
        noise = np.maximum(out["transmitted_difference_stderr"],
                           norm_m / np.maximum(N.sum(axis=0), 1.0))
        _check_coverage(reference, times, R, F.mean(axis=0), pooled, x, p, area, noise,
                        coverage)
    system = system_of(reference)
    data = {"distance": variable("distance", distance, ("time",), system),
            "noise_floor": variable("noise_floor", floor, ("time",), system),
            "noise_floor_spread": variable("noise_floor_spread", spread, ("time",), system)}
    for name, v in out.items():
        extra = {"comment": f"divide = {divide:g}"} if name.startswith("transmitted") else {}
        data[name] = variable(name, np.asarray(v, dtype=np.float64), ("time",), system,
                              **extra)
    coords = {"time": coordinate("time", times, system)}
    if densities:
        units = {"units": ref.attrs["units"]} if "units" in ref.attrs else {}
        data["rho_markers"] = variable("rho_markers", pooled, ("time", "x", "p"), system,
                                       comment="pooled over the ensembles" + (
                                           ", smoothed with the window's Wigner function"
                                           if smooth else ""), **units)
        data["rho_reference"] = variable("rho_reference", R, ("time", "x", "p"), system,
                                         **units)
        coords.update({d: coordinate(d, v, system) for d, v in (("x", x), ("p", p))})
    attrs = {"title": "pmc comparison of markers with a reference",
             "n_ensembles": K,
             "n_markers": int(runs[0]["n_markers"].values[0]) if "n_markers" in runs[0] else -1,
             "noise_floor_method": method, "smoothed": int(bool(smooth)),
             "divide": divide,
             "reference": "envelope (rho)" if is_envelope else "phase-space density f"}
    if smooth:
        attrs.update({"window": reference.attrs.get("window", repr(window)),
                      "deconvolve_bins": (int(bool(deconvolve_bins)) if np.ndim(deconvolve_bins) == 0
                                          else np.array(deconvolve_bins, np.int64))})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _spacing(a):
    a = np.asarray(a, dtype=np.float64)
    return float((a[-1] - a[0]) / (a.size - 1))


def _has_time(ds, t):
    tt = ds["time"].values
    return bool(np.any(np.abs(tt - t) <= 1e-9 * max(1.0, abs(t))))


def _absorbed_hi(ds, times):
    if "absorbed" not in ds or "side" not in ds.coords or "x_hi" not in list(ds["side"].values):
        return np.zeros(times.size)
    a = ds["absorbed"].sel(side="x_hi")
    if "time" not in a.dims:
        return np.full(times.size, float(a))
    return a.sel(time=times, method="nearest").values.astype(np.float64)


def _markers_at(ds, times):
    """Number of markers at each of ``times`` (the N of the multinomial bin counts)."""
    if "n_markers" not in ds:
        return np.full(times.size, np.inf)  # no correction term without N
    n = ds["n_markers"]
    if "time" not in n.dims:
        return np.full(times.size, float(n))
    return np.maximum(n.sel(time=times, method="nearest").values.astype(np.float64), 1.0)


def _absorbed_hi_markers(runs, times):
    """Mean over the ensembles of the weight absorbed at x_hi, and its variance (a binomial
    count of markers of equal weight total_weight / n)."""
    vals, var = [], []
    for r in runs:
        a = _absorbed_hi(r, times)
        vals.append(a)
        if "n_markers" in r and "total_weight" in r:
            n0 = float(r["n_markers"].values[0])
            w = float(r["total_weight"].values[0]) / max(n0, 1.0)
            var.append(np.maximum(w * a - a ** 2 / max(n0, 1.0), 0.0))
        else:
            var.append(np.zeros(times.size))
    K = len(runs)
    return np.mean(vals, axis=0), np.sum(var, axis=0) / K ** 2


def _edge_shares(rho):
    """(x share, p share) of the density on the grid's outermost columns (x) and rows (p), per
    time: where weight beyond the grid would lie."""
    ex = np.abs(rho[:, [0, -1], :]).sum(axis=(1, 2))
    ep = np.abs(rho[:, :, [0, -1]]).sum(axis=(1, 2))
    total = np.maximum(ex + ep, 1e-300)
    return ex / total, ep / total


def _check_coverage(reference, times, R, F, S, x, p, area, noise, coverage):
    """Refuse or report the weight the grid misses (see "Coverage" in the module docstring)."""
    found = []  # (bias / noise, text)
    if "total_weight" in reference and "rho_integral" in reference:
        tw = reference["total_weight"]
        ri = reference["rho_integral"]
        if "time" in tw.dims:
            tw = tw.sel(time=times, method="nearest")
        if "time" in ri.dims:
            ri = ri.sel(time=times, method="nearest")
        missing = np.maximum(np.broadcast_to(np.asarray(tw.values, np.float64), times.shape)
                             - np.broadcast_to(np.asarray(ri.values, np.float64), times.shape),
                             0.0)
        sx, _ = _edge_shares(R)
        bias = missing * sx
        k = int(np.argmax(bias / noise))
        if bias[k] > noise[k]:
            found.append((bias[k] / noise[k],
                f"the marker grid does not cover the quantum box: at t = {times[k]:.6g} the "
                f"quantum density has weight {bias[k]:.3g} outside the grid's x range "
                f"[{x[0]:.6g}, {x[-1]:.6g}] (of {missing[k]:.3g} off the grid), "
                f"{bias[k] / noise[k]:.1f} times the noise of the moments (standard error "
                f"{noise[k]:.3g}): the transmitted fraction and the norm are biased by up to "
                f"that much; widen the grid's x range to the quantum box"))
    clipped = np.maximum((F.sum(axis=(-2, -1)) - S.sum(axis=(-2, -1))) * area, 0.0)
    _, sp = _edge_shares(S)
    clip = clipped * sp
    k = int(np.argmax(clip / noise))
    if clip[k] > noise[k]:
        found.append((clip[k] / noise[k],
            f"the grid's momentum range [{p[0]:.6g}, {p[-1]:.6g}] clips smoothed weight "
            f"{clip[k]:.3g} at t = {times[k]:.6g}, {clip[k] / noise[k]:.1f} times the noise "
            f"of the moments (standard error {noise[k]:.3g}): the moments are biased by up to "
            f"that much; widen the momentum range"))
    if not found:
        return
    text = "; ".join(f for _, f in found)
    if coverage == "error" and max(z for z, _ in found) > REFUSE_ABOVE:
        raise ValueError(f"{text} (coverage=\"warn\" compares anyway)")
    warnings.warn(text, CoverageWarning, stacklevel=3)
