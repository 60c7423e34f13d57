"""Tests of pmc.compare: markers sampled from the exact Wigner function of a Gaussian packet
against its envelope density (Husimi function), at t = 0 where no integrator is involved, so
the only difference is sampling noise and every expectation is exact.

Statistics used (fixed seeds, so each test is deterministic):
* Moment differences reference - markers (<x>, <p>, the fraction beyond a point) are unbiased
  with the reported standard error: over K independent ensembles, sum_k (d_k / s_k)^2 is chi-square with K degrees of freedom, so
  chi2 / K lies within 1 +- 4 sqrt(2 / K) except with probability < 1e-4.
* The distance of the pooled ensemble is noise only: D = F + e with F the reported noise floor
  and e of standard deviation ``noise_floor_spread`` (the scatter of one noise-only distance);
  the test allows 4 of them plus the scatter of F itself (a mean over the pairs of K ensembles,
  K/2 of them independent: s / sqrt(K/2)).
* A reference displaced by a quarter of the packet's width is detected: its distance exceeds the
  floor by many spreads, and the measured <x> difference equals the displacement within 4
  standard errors.
"""
import math

import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import quantum as Q

HBAR = 1.0
PACKET = pmc.states.GaussianWavepacket(x0=0.5, p0=1.0, sigma_x=0.8, hbar=HBAR)
WINDOW = Q.GaussianWindow(sigma_x=0.6)
GRID = pmc.PhaseSpaceGrid(x=np.linspace(-6, 7, 66), p=np.linspace(-4, 6, 51))


def _rho(state=PACKET):
    x = np.linspace(-20, 20, 512, endpoint=False)
    q = xr.Dataset({"psi_real": ("x", state.psi(x).real), "psi_imag": ("x", state.psi(x).imag),
                    "absorbed": ("side", [0.0, 0.0])},
                   coords={"x": x, "side": ["x_lo", "x_hi"]}, attrs={"hbar": HBAR})
    return Q.envelope(q, GRID, WINDOW, warn=False)


def _ensemble(n, seed):
    """A marker 'run' of one frame at t = 0, as the driver would record it."""
    m = pmc.sample(PACKET, n, seed=seed)
    ds = GRID.bin(m, time=0.0).expand_dims("time")
    ds["n_markers"] = ("time", [m.n])
    ds["total_weight"] = ("time", [m.total_weight])
    return ds


def test_moment_differences_have_the_reported_standard_errors():
    rho = _rho()
    K = 32
    z = {name: [] for name in ("mean_x", "mean_p", "transmitted")}
    for k in range(K):
        c = pmc.compare(_ensemble(3000, seed=100 + k), rho, divide=0.5)
        for name in z:
            d = float(c[f"{name}_difference"][0])
            s = float(c[f"{name}_difference_stderr"][0])
            z[name].append(d / s)
        # every marker is on the grid, so the norm is fixed by the number of markers: it
        # differs only by the tails of the two densities beyond the grid (< 1e-5 here) and its
        # standard error (from the bins' covariance) nearly vanishes
        assert abs(float(c.norm_difference[0])) < 1e-5
        assert float(c.norm_difference_stderr[0]) < 1e-5
    for name, values in z.items():
        chi2 = float(np.sum(np.square(values))) / K
        assert abs(chi2 - 1.0) < 4 * math.sqrt(2 / K), (name, chi2)


def test_distance_of_exact_markers_is_at_the_noise_floor():
    rho = _rho()
    runs = [_ensemble(20000, seed=s) for s in range(6)]
    c = pmc.compare(runs, rho)
    assert c.attrs["n_ensembles"] == 6
    d, f, s = (float(c[v][0]) for v in ("distance", "noise_floor", "noise_floor_spread"))
    # F is a mean over pairs, of which K/2 are independent: its scatter is s / sqrt(K/2)
    assert abs(d - f) < 4 * s * math.sqrt(1 + 2 / 6), (d, f, s)
    for name in ("norm", "mean_x", "mean_p"):
        assert abs(float(c[f"{name}_difference"][0])) < 4 * float(
            c[f"{name}_difference_stderr"][0])
    # one ensemble: the floor comes from the parametric bootstrap and estimates the same thing
    c1 = pmc.compare(runs[0], rho, noise_draws=64)
    assert "bootstrap" in c1.attrs["noise_floor_method"]
    d1, f1, s1 = (float(c1[v][0]) for v in ("distance", "noise_floor", "noise_floor_spread"))
    assert abs(d1 - f1) < 4 * s1 * math.sqrt(1 + 1 / 64)
    # the pooled floor of K ensembles is the single-ensemble floor / sqrt(K)
    assert abs(f * math.sqrt(6) - f1) < 4 * math.hypot(s * math.sqrt(2), s1 / 8)


def test_a_displaced_reference_is_detected():
    shift = 0.25 * PACKET.sigma_x
    moved = pmc.states.GaussianWavepacket(x0=PACKET.x0 + shift, p0=PACKET.p0,
                                          sigma_x=PACKET.sigma_x, hbar=HBAR)
    runs = [_ensemble(20000, seed=s) for s in range(4)]
    c = pmc.compare(runs, _rho(moved), densities=True)
    d, f, s = (float(c[v][0]) for v in ("distance", "noise_floor", "noise_floor_spread"))
    assert d > f + 10 * s
    dx, err = float(c.mean_x_difference[0]), float(c.mean_x_difference_stderr[0])
    assert abs(dx - shift) < 4 * err
    assert c.rho_markers.dims == ("time", "x", "p")
    for name, var in c.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name


def test_against_a_deterministic_f_no_smoothing():
    """Reference = the exact bin averages of the Wigner function (a grid solver's f)."""
    from scipy import special

    def cells(c, h, mu, s):
        e = np.append(c - h / 2, c[-1] + h / 2)
        return np.diff(0.5 * (1 + special.erf((e - mu) / (s * math.sqrt(2))))) / h

    fx = cells(GRID.x, GRID.spacing["x"], PACKET.x0, PACKET.sigma_x)
    fp = cells(GRID.p, GRID.spacing["p"], PACKET.p0, PACKET.sigma_p)
    ref = xr.Dataset({"f": (("time", "x", "p"), np.outer(fx, fp)[None])},
                     coords={"time": [0.0], "x": GRID.x, "p": GRID.p})
    runs = [_ensemble(20000, seed=s) for s in range(4)]
    c = pmc.compare(runs, ref)
    assert c.attrs["smoothed"] == 0
    d, f, s = (float(c[v][0]) for v in ("distance", "noise_floor", "noise_floor_spread"))
    assert abs(d - f) < 4 * s * math.sqrt(1 + 2 / 4)


def test_inconsistent_inputs_are_refused():
    rho = _rho()
    run = _ensemble(100, seed=1)
    other = pmc.PhaseSpaceGrid(x=np.linspace(-6, 7, 27), p=np.linspace(-4, 6, 51))
    bad = other.bin(pmc.sample(PACKET, 100, seed=1), time=0.0).expand_dims("time")
    with pytest.raises(ValueError, match="x axis differs"):
        pmc.compare(bad, rho)
    with pytest.raises(ValueError, match="share no time"):
        pmc.compare(run.assign_coords(time=[1.0]), rho)
    no_window = rho.copy()
    no_window.attrs = {"hbar": 1.0}
    with pytest.raises(ValueError, match="window"):
        pmc.compare(run, no_window)
    with pytest.raises(ValueError, match="markers must be"):
        pmc.compare(rho, rho)
    with pytest.raises(ValueError, match="noise_draws"):
        pmc.compare(run, rho, noise_draws=1)
