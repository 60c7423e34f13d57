"""Steady-state averages with batch means (pmc.averages).

An AR(1) series x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t (unit variance) has the integrated
autocorrelation time tau_int = (1 + phi) / (1 - phi) frames, so the standard error of the mean of
N frames is sqrt(tau_int / N): batch means must find it (and the naive sigma / sqrt(N) must not).
"""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc.averages import batch_means, diffusion_coefficient, steady_state


def _ar1(rng, phi, n, replicas):
    x = np.empty((n, replicas))
    x[0] = rng.standard_normal(replicas)
    e = rng.standard_normal((n, replicas)) * np.sqrt(1 - phi * phi)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.9])
def test_batch_means_finds_the_integrated_autocorrelation_time(phi):
    rng = np.random.default_rng(1)
    n, replicas = 20_000, 200
    x = _ar1(rng, phi, n, replicas)
    mean, err = batch_means(x, batches=20)
    exact = np.sqrt((1 + phi) / (1 - phi) / n)
    # the mean of the batch-means errors over replicas, and the spread of the means themselves
    assert err.mean() == pytest.approx(exact, rel=0.06)
    assert mean.std() == pytest.approx(exact, rel=0.15)
    if phi > 0:
        assert x.std(axis=0).mean() / np.sqrt(n) < exact / 3  # the naive error is far too small


def test_steady_state_on_a_run_like_dataset():
    rng = np.random.default_rng(2)
    n = 4000
    t = np.arange(n) * 1e-14
    v = 1e5 + 2e3 * _ar1(rng, 0.8, n, 1)[:, 0]
    v[:500] = np.linspace(0, 1e5, 500)  # transient
    ds = xr.Dataset(
        {"mean_velocity": (("time", "x"), v[:, None]),
         "energy": ("time", 3.0 + 0.1 * _ar1(rng, 0.5, n, 1)[:, 0]),
         "total_weight": ("time", np.full(n, 2.0)),
         "position_variance": (("time", "component"), (2 * 0.01 * t)[:, None]),
         "n_markers": ("time", np.full(n, 10, np.int64))},
        coords={"time": t, "x": [0.5], "component": ["px"]})
    out = steady_state(ds, start=t[1000], batches=10, field=1e5)
    assert out["mean_velocity_mean"].item() == pytest.approx(1e5, abs=5 * out[
        "mean_velocity_mean_stderr"].item())
    assert out["mean_velocity_mean"].attrs["units"] == "m/s"
    assert out["mean_energy_mean"].item() == pytest.approx(1.5, abs=0.01)
    assert out["mobility_mean"].item() == pytest.approx(1.0, rel=0.02)
    assert out["mobility_mean"].attrs["units"] == "m2 V-1 s-1"
    assert out["diffusion_coefficient_mean"].item() == pytest.approx(0.01, rel=1e-9)
    assert "n_markers_mean" not in out  # integers are counts, not averaged by default
    assert out.attrs["average_frames"] == 3000
    for name in out.data_vars:
        assert pmc.schema.declared(name), name
    with pytest.raises(ValueError, match="no frame"):
        steady_state(ds, start=1.0)
    with pytest.raises(ValueError, match="batches"):
        batch_means(np.ones(10), batches=1)
    d, e = diffusion_coefficient(ds, start=t[1000])
    assert d.item() == pytest.approx(0.01)
