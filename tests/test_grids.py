"""PhaseSpaceGrid: binning into f(x, p) and moments over the spatial cells.

Exact answers used below:
- nearest-grid-point binning of hand-placed markers: f = (sum of weights in the bin) / (bin area);
- the integral of f over the grid is the weight inside it; marginals over unbinned momentum axes
  equal binning the remaining components alone;
- a drifting Maxwellian with density n, drift u (along x), temperature kT and mass m in 1D3V has
  current n u, energy density n (3 kT / 2 + m u^2 / 2), mean velocity u and temperature kT;
- for any dispersion, in equilibrium exp(-eps(p) / kT), <p_i d eps / dp_i> = kT (integration by
  parts), so the reported temperature is kT for the relativistic and Kane bands too;
- the reported standard errors match the scatter over independent repetitions: the mean of
  ((estimate - truth) / stderr)^2 over M cells and repetitions is chi-square / M, relative spread
  sqrt(2 / M).
"""
import math

import numba
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc._kernels import binning

# ----------------------------------------------------------------------------- helpers


def maxwellian(rng, n, *, mass, kT, u, length, dp=3, weight=1.0):
    """1D(dp)V drifting Maxwellian, uniform in [0, length), random weights of mean ``weight``."""
    x = rng.uniform(0.0, length, n)
    p = rng.normal(0.0, np.sqrt(mass * kT), (n, dp))
    p[:, 0] += mass * u
    w = weight * rng.uniform(0.5, 1.5, n)
    return pmc.Markers(x=x, p=p, w=w)


def equilibrium(rng, n, dispersion, kT, slope, offset):
    """Isotropic 3D momenta from exp(-eps(p) / kT) by rejection, for a dispersion with
    eps(p) >= slope |p| - offset: propose |p| ~ Gamma(3, kT / slope) (density ~ exp(-slope |p| /
    kT) in 3D) and accept with exp(-(eps - slope |p| + offset) / kT) <= 1."""
    out = []
    have = 0
    while have < n:
        r = rng.gamma(3.0, kT / slope, 2 * n)
        d = rng.normal(size=(2 * n, 3))
        p = d / np.linalg.norm(d, axis=1)[:, None] * r[:, None]
        eps = dispersion.energy(p)
        accept = rng.uniform(size=2 * n) < np.exp(-(eps - slope * r + offset) / kT)
        out.append(p[accept])
        have += int(accept.sum())
    return np.concatenate(out)[:n]


def grid_1d(cells, length, p=np.linspace(-4.0, 4.0, 17)):
    h = length / cells
    return pmc.PhaseSpaceGrid(x=h * (np.arange(cells) + 0.5), p=p)


# ----------------------------------------------------------------------------- construction


def test_grid_geometry():
    g = pmc.PhaseSpaceGrid(x=np.linspace(-40, 40, 321), p=np.linspace(-4, 4, 161))
    assert g.dims == ("x", "p") and g.shape == (321, 161)
    assert g.spacing["x"] == pytest.approx(0.25)
    e = g.edges("x")
    assert e[0] == pytest.approx(-40.125) and e[-1] == pytest.approx(40.125) and e.size == 322
    assert g.cell_volume == pytest.approx(0.25)
    assert g.bin_volume == pytest.approx(0.25 * 0.05)
    g3 = pmc.PhaseSpaceGrid(pz=[0, 1], p=[0, 1], x=[0, 1], y=[0, 2])
    assert g3.dims == ("x", "y", "p", "pz")
    assert g3.spatial_dims == ("x", "y") and g3.momentum_dims == ("p", "pz")
    assert g3 == pmc.PhaseSpaceGrid(x=[0, 1], y=[0, 2], p=[0, 1], pz=[0, 1])
    assert g3 != g


def test_grid_does_not_alias_user_arrays():
    x = np.linspace(0.0, 1.0, 5)
    g = pmc.PhaseSpaceGrid(x=x, p=[0.0, 1.0])
    x[0] = -7.0
    assert g.x[0] == 0.0
    with pytest.raises(ValueError):
        g.x[0] = 1.0


@pytest.mark.parametrize("kwargs, name", [
    (dict(x=[0.0], p=[0.0, 1.0]), "x"),
    (dict(x=[0.0, 1.0], p=[0.0, 1.0, 3.0]), "p"),
    (dict(x=[0.0, 1.0], p=[0.0, 1.0], y=[0.0, np.nan, 2.0]), "y"),
    (dict(x=[1.0, 0.0], p=[0.0, 1.0]), "x"),
    (dict(x=[0.0, 1.0], p=[0.0, 1.0], pz=[[0.0, 1.0]]), "pz"),
])
def test_bad_axes_raise_naming_the_axis(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} "):
        pmc.PhaseSpaceGrid(**kwargs)


def test_grid_dimensions_must_fit_the_markers():
    m1 = pmc.Markers(x=[0.0, 1.0], p=[0.0, 1.0])
    H = pmc.Hamiltonian(pmc.bands.Parabolic())
    with pytest.raises(ValueError, match=r"'y'.*dx"):
        pmc.PhaseSpaceGrid(x=[0, 1], y=[0, 1], p=[0, 1]).bin(m1)
    with pytest.raises(ValueError, match=r"'py'.*dp"):
        pmc.PhaseSpaceGrid(x=[0, 1], p=[0, 1], py=[0, 1]).moments(m1, H)
    with pytest.raises(ValueError, match="hamiltonian"):
        pmc.PhaseSpaceGrid(x=[0, 1], p=[0, 1]).moments(m1, None)
    with pytest.raises(ValueError, match="markers"):
        pmc.PhaseSpaceGrid(x=[0, 1], p=[0, 1]).bin(np.zeros(3))
    with pytest.raises(ValueError, match="time"):
        pmc.PhaseSpaceGrid(x=[0, 1], p=[0, 1]).bin(m1, time=np.nan)


# ----------------------------------------------------------------------------- binning


def test_hand_placed_markers_give_the_exact_histogram():
    # x bins of width 0.5 on [-0.25, 1.25), p bins of width 0.25 on [-0.375, 0.375)
    grid = pmc.PhaseSpaceGrid(x=[0.0, 0.5, 1.0], p=[-0.25, 0.0, 0.25])
    x = [0.1, -0.2, 1.2, 1.3, 0.5, 2.0, 0.5]
    p = [0.05, -0.1, 0.3, 0.0, 0.4, 1.0, -0.374]
    w = [1.0, 2.0, 0.5, 4.0, 8.0, 16.0, 0.25]
    ds = grid.bin(pmc.Markers(x=x, p=p, w=w))
    area = 0.5 * 0.25
    expected = np.zeros((3, 3))
    expected[0, 1] = 3.0 / area
    expected[2, 2] = 0.5 / area
    expected[1, 0] = 0.25 / area
    np.testing.assert_array_equal(ds.f.values, expected)
    n = 7
    err = np.zeros((3, 3))
    err[0, 1] = np.sqrt(1.0 + 4.0 - 9.0 / n) / area
    err[2, 2] = np.sqrt(0.25 - 0.25 / n) / area
    err[1, 0] = np.sqrt(0.0625 - 0.0625 / n) / area
    np.testing.assert_allclose(ds.f_stderr.values, err, rtol=1e-14)
    total = sum(w)
    assert float(ds.weight_outside_x_range) == pytest.approx(20.0 / total)   # 4 + 16
    assert float(ds.weight_outside_p_range) == pytest.approx(24.0 / total)   # 8 + 16
    assert float(ds.weight_outside_grid) == pytest.approx(28.0 / total)
    assert ds.weight_outside_x_range.attrs["count"] == 2
    assert ds.weight_outside_grid.attrs["count"] == 3
    assert ds.f.attrs["weight_outside_p_range"] == pytest.approx(24.0 / total)
    assert ds.f.attrs["markers_outside_p_range"] == 2
    assert ds.f.dims == ("x", "p")
    np.testing.assert_array_equal(ds.x.values, [0.0, 0.5, 1.0])
    assert ds.f.attrs["units"] == "1/(m kg m/s)"
    assert ds.f.attrs["long_name"] == "phase-space density"
    for name in ("x", "p", "f_stderr", "weight_outside_p_range"):
        assert {"units", "long_name"} <= set(ds[name].attrs)


@pytest.mark.parametrize("dx, dp, axes", [
    (1, 1, ("x", "p")),
    (1, 3, ("x", "p", "py")),
    (2, 2, ("x", "y", "p", "py")),
    (3, 3, ("x", "z", "p", "pz")),
    (2, 3, ("x", "y", "p", "py", "pz")),
])
def test_binning_matches_numpy_histogramdd(dx, dp, axes):
    rng = np.random.default_rng(7)
    n = 20_000
    m = pmc.Markers(x=rng.normal(0.0, 1.0, (n, dx)), p=rng.normal(0.0, 1.0, (n, dp)),
                    w=rng.uniform(0.1, 1.0, n))
    centres = {a: np.linspace(-2.0, 2.0, 5 + i) for i, a in enumerate(axes)}
    grid = pmc.PhaseSpaceGrid(**centres)
    ds = grid.bin(m)
    assert ds.f.dims == axes
    cols = {"x": 0, "y": 1, "z": 2}
    data = [m.positions.T[cols[a]] if a in cols else m.momenta.T[("p", "py", "pz").index(a)]
            for a in axes]
    edges = [grid.edges(a) for a in axes]
    h, _ = np.histogramdd(np.stack(data, axis=1), bins=edges, weights=m.w)
    np.testing.assert_allclose(ds.f.values * grid.bin_volume, h, rtol=1e-12, atol=1e-12)
    units = ds.f.attrs["units"]
    assert units.startswith("1/(m") and "kg m/s" in units


def test_integral_of_f_is_the_weight_inside_the_grid():
    rng = np.random.default_rng(3)
    n = 50_000
    m = pmc.Markers(x=rng.normal(0.0, 2.0, n), p=rng.normal(0.0, 1.5, n),
                    w=rng.exponential(1.0, n))
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-3.0, 3.0, 25), p=np.linspace(-2.0, 2.0, 21))
    ds = grid.bin(m)
    integral = float(ds.f.sum()) * grid.bin_volume
    ex, ep = grid.edges("x"), grid.edges("p")
    out_x = (m.x < ex[0]) | (m.x >= ex[-1])
    out_p = (m.p < ep[0]) | (m.p >= ep[-1])
    inside = m.w[~(out_x | out_p)].sum()
    assert integral == pytest.approx(inside, rel=1e-12)
    assert integral == pytest.approx(m.total_weight * (1 - float(ds.weight_outside_grid)),
                                     rel=1e-12)
    # the out-of-range fractions are the exact weight fractions
    assert float(ds.weight_outside_p_range) == pytest.approx(m.w[out_p].sum() / m.total_weight,
                                                             rel=1e-12)
    assert float(ds.weight_outside_x_range) == pytest.approx(m.w[out_x].sum() / m.total_weight,
                                                             rel=1e-12)
    assert ds.weight_outside_p_range.attrs["count"] == int(out_p.sum())
    assert 0.1 < float(ds.weight_outside_p_range) < 0.25  # the case is not trivial


def test_marginal_over_unbinned_momenta():
    rng = np.random.default_rng(11)
    n = 40_000
    x = rng.uniform(0.0, 4.0, n)
    p = rng.normal(0.0, 1.0, (n, 3))
    w = rng.uniform(0.5, 1.5, n)
    m3 = pmc.Markers(x=x, p=p, w=w)
    m1 = pmc.Markers(x=x, p=p[:, 0], w=w)
    xs, ps = np.linspace(0.25, 3.75, 8), np.linspace(-3.0, 3.0, 13)
    grid = pmc.PhaseSpaceGrid(x=xs, p=ps)
    f3 = grid.bin(m3)
    f1 = grid.bin(m1)
    np.testing.assert_array_equal(f3.f.values, f1.f.values)   # same sums in the same order
    assert f3.f.attrs["integrated_over"] == "p_y p_z"
    assert f3.f.attrs["units"] == "1/(m kg m/s)"
    # binning all three and integrating py, pz out gives the same, up to round-off
    wide = np.linspace(-8.0, 8.0, 9)
    full = pmc.PhaseSpaceGrid(x=xs, p=ps, py=wide, pz=wide).bin(m3)
    assert float(full.weight_outside_grid) == float(f3.weight_outside_grid)
    marginal = full.f.sum(("py", "pz")) * 2.0 * 2.0
    np.testing.assert_allclose(marginal.values, f3.f.values, rtol=1e-12)
    assert full.f.attrs["units"] == "1/(m (kg m/s)^3)"


def test_no_markers():
    m = pmc.Markers(x=np.zeros(0), p=np.zeros(0))
    grid = pmc.PhaseSpaceGrid(x=[0.0, 1.0], p=[0.0, 1.0])
    ds = grid.bin(m)
    assert np.all(ds.f.values == 0.0) and float(ds.weight_outside_grid) == 0.0
    mo = grid.moments(m, pmc.Hamiltonian(pmc.bands.Parabolic()))
    assert np.all(mo.density.values == 0.0) and np.all(np.isnan(mo.temperature.values))


# ----------------------------------------------------------------------------- moments


def test_moments_equal_direct_numpy_sums():
    rng = np.random.default_rng(5)
    n = 3000
    mass = 1.7
    m = pmc.Markers(x=rng.uniform(-1.0, 3.0, (n, 2)), p=rng.normal(0.2, 1.0, (n, 3)),
                    w=rng.uniform(0.2, 2.0, n))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=mass))
    grid = pmc.PhaseSpaceGrid(x=[0.25, 0.75, 1.25, 1.75], y=[0.0, 1.0], p=np.linspace(-1, 1, 3))
    mo = grid.moments(m, H, time=2.5)
    # hbar = 1 and mass 1.7: natural units, written "1" (the SI strings: below)
    assert float(mo.time) == 2.5 and mo.time.attrs["units"] == "1"
    assert mo.density.dims == ("x", "y")
    ex, ey = grid.edges("x"), grid.edges("y")
    vol = 0.5 * 1.0
    v = m.p / mass
    eps = (m.p ** 2).sum(axis=1) / (2 * mass)
    outside = (m.x[:, 0] < ex[0]) | (m.x[:, 0] >= ex[-1]) | (m.x[:, 1] < ey[0]) \
        | (m.x[:, 1] >= ey[-1])
    assert float(mo.weight_outside_x_range) == pytest.approx(m.w[outside].sum() / m.total_weight)
    for i in range(4):
        for j in range(2):
            c = ((m.x[:, 0] >= ex[i]) & (m.x[:, 0] < ex[i + 1]) & (m.x[:, 1] >= ey[j])
                 & (m.x[:, 1] < ey[j + 1]))
            w = m.w[c]
            W = w.sum()
            cell = dict(x=grid.x[i], y=grid.y[j])

            def check(name, value, stderr):
                assert float(mo[name].sel(cell)) == pytest.approx(value, rel=1e-10, abs=1e-12)
                assert float(mo[name + "_stderr"].sel(cell)) == pytest.approx(stderr, rel=1e-8)

            check("density", W / vol, np.sqrt((w ** 2).sum() - W ** 2 / n) / vol)
            for k, name in enumerate(("current", "current_y")):
                s = (w * v[c, k]).sum()
                check(name, s / vol, np.sqrt(((w * v[c, k]) ** 2).sum() - s ** 2 / n) / vol)
                u = s / W
                check(name.replace("current", "mean_velocity"), u,
                      np.sqrt((w ** 2 * (v[c, k] - u) ** 2).sum()) / W)
            s = (w * eps[c]).sum()
            check("energy_density", s / vol, np.sqrt(((w * eps[c]) ** 2).sum() - s ** 2 / n) / vol)
            cov = np.mean([np.cov(m.p[c, k], v[c, k], ddof=1, aweights=w)[0, 1]
                           for k in range(3)])
            a = sum((m.p[c, k] - np.average(m.p[c, k], weights=w))
                    * (v[c, k] - np.average(v[c, k], weights=w)) for k in range(3)) / 3
            t_pop = (w * a).sum() / W
            t_err = np.sqrt((w ** 2 * (a - t_pop) ** 2).sum()) / (W - (w ** 2).sum() / W)
            check("temperature", cov, t_err)
    assert "current_z" not in mo and "mean_velocity_z" not in mo
    units = {"density": "1/m^2", "current": "1/(m s)", "energy_density": "J/m^2",
             "mean_velocity": "m/s", "temperature": "J", "weight_outside_x_range": "1"}
    for name, unit in units.items():
        assert pmc.schema.units(name, mo[name].dims) == unit
        assert mo[name].attrs["units"] == "1"
    for name in mo.data_vars:
        assert {"units", "long_name"} <= set(mo[name].attrs), name


def test_moments_include_momenta_outside_the_grid_and_empty_cells_are_nan():
    rng = np.random.default_rng(2)
    n = 5000
    m = pmc.Markers(x=rng.uniform(0.0, 3.0, n), p=rng.normal(0.0, 3.0, n))
    H = pmc.Hamiltonian(pmc.bands.Parabolic())
    narrow = pmc.PhaseSpaceGrid(x=np.arange(5) + 0.5, p=[-0.1, 0.0, 0.1]).moments(m, H)
    wide = pmc.PhaseSpaceGrid(x=np.arange(5) + 0.5, p=np.linspace(-20, 20, 9)).moments(m, H)
    xr.testing.assert_identical(narrow, wide)
    assert float(narrow.density.sum()) == pytest.approx(m.total_weight)
    assert np.all(narrow.density.values[3:] == 0.0)
    assert np.all(np.isnan(narrow.mean_velocity.values[3:]))
    assert np.all(np.isnan(narrow.temperature.values[3:]))
    assert np.all(np.isfinite(narrow.temperature.values[:3]))


def test_bin_and_moments_merge_into_one_dataset():
    rng = np.random.default_rng(9)
    m = maxwellian(rng, 20_000, mass=1.0, kT=1.0, u=0.0, length=6.0)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(0.0, 5.0, 6), p=np.linspace(-2, 2, 9))
    H = pmc.Hamiltonian(pmc.bands.Parabolic())
    ds = xr.merge([grid.bin(m, H, time=1.0), grid.moments(m, H, time=1.0)], compat="no_conflicts",
                  join="outer")
    assert float(ds.weight_outside_x_range) > 0.0
    assert set(ds.dims) == {"x", "p"} and float(ds.time) == 1.0
    assert ds.f.dims == ("x", "p") and ds.density.dims == ("x",)


def test_maxwellian_moments_and_their_standard_errors():
    mass, kT, u, length, cells, weight = 2.0, 0.5, 0.3, 8.0, 16, 3.0
    n, reps = 100_000, 20
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=mass))
    grid = grid_1d(cells, length, p=np.linspace(-2.0, 2.0, 9))
    dens = n * weight / length
    truth = {"density": dens, "current": dens * u, "mean_velocity": u, "temperature": kT,
             "energy_density": dens * (1.5 * kT + 0.5 * mass * u ** 2)}
    # f in the central p bins: exact bin integral of the drifting Gaussian in p_x
    ep = grid.edges("p")
    cdf = np.array([0.5 * (1.0 + math.erf((e - mass * u) / math.sqrt(2.0 * mass * kT)))
                    for e in ep])
    f_true = dens * np.diff(cdf) / (ep[1] - ep[0])
    chi2 = {k: [] for k in list(truth) + ["f"]}
    for r in range(reps):
        m = maxwellian(np.random.default_rng([42, r]), n, mass=mass, kT=kT, u=u, length=length,
                       weight=weight)
        mo = grid.moments(m, H)
        for name, value in truth.items():
            z = (mo[name].values - value) / mo[name + "_stderr"].values
            if r == 0:  # a single sample agrees within a few standard errors, cell by cell
                assert np.all(np.abs(z) < 4.5), (name, z)
            chi2[name].append(z ** 2)
        f = grid.bin(m)
        chi2["f"].append(((f.f.values - f_true) / f.f_stderr.values)[:, 2:7] ** 2)
    for name, values in chi2.items():
        q = np.concatenate([np.ravel(v) for v in values])
        # mean of q is chi2_M / M: expect 1 within a few sqrt(2 / M) (M = 320, sd 0.08)
        spread = np.sqrt(2.0 / q.size)
        assert abs(q.mean() - 1.0) < 4.5 * spread, (name, q.mean(), q.size)


@pytest.mark.parametrize("band, slope, offset", [
    (pmc.bands.Relativistic(mass=1.0, speed_of_light=1.0), 1.0, 1.0),   # c, m c^2
    (pmc.bands.Kane(mass=1.0, alpha=1.0), 1.0 / np.sqrt(2.0), 0.5),     # 1/sqrt(2 m a), 1/(2 a)
])
def test_equilibrium_temperature_for_non_parabolic_bands(band, slope, offset):
    kT, n = 1.0, 200_000
    rng = np.random.default_rng(123)
    p = equilibrium(rng, n, band, kT, slope, offset)
    m = pmc.Markers(x=rng.uniform(0.0, 2.0, n), p=p)
    H = pmc.Hamiltonian(band)
    mo = pmc.PhaseSpaceGrid(x=[0.5, 1.5], p=[-1.0, 1.0]).moments(m, H)
    z = (mo.temperature.values - kT) / mo.temperature_stderr.values
    assert np.all(np.abs(z) < 4.5), (mo.temperature.values, z)
    assert np.all(mo.temperature_stderr.values < 0.01)
    # the test has teeth: the parabolic-band estimate m <v^2> is far from kT here
    v = H.velocity(p)
    assert abs(np.mean(v ** 2) - kT) > 20 * float(mo.temperature_stderr.max())


# ----------------------------------------------------------------------------- reproducibility


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
def test_bitwise_identical_for_any_thread_count():
    rng = np.random.default_rng(17)
    n = 300_000
    m = maxwellian(rng, n, mass=1.0, kT=1.0, u=0.2, length=10.0)
    grid = grid_1d(20, 10.0, p=np.linspace(-3.0, 3.0, 25))
    assert binning.chunk_count(n, 2, 20 * 25) > 1 and binning.chunk_count(n, 13, 20) > 1
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.5))
    before = numba.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            results.append(xr.merge([grid.bin(m), grid.moments(m, H)], compat="no_conflicts",
                                    join="outer"))
    finally:
        numba.set_num_threads(before)
    a, b = results
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
        assert a[name].values.tobytes() == b[name].values.tobytes(), name


def test_markers_with_spare_capacity_bin_like_their_copy():
    rng = np.random.default_rng(4)
    m = pmc.Markers(x=rng.uniform(0.0, 2.0, 1000), p=rng.normal(size=(1000, 2)))
    m.append(rng.uniform(0.0, 2.0, (1, 500)), rng.normal(size=(2, 500)), np.full(500, 0.002))
    assert m.capacity > m.n   # the position rows are now strided views
    grid = pmc.PhaseSpaceGrid(x=[0.5, 1.5], p=np.linspace(-2, 2, 5))
    H = pmc.Hamiltonian(pmc.bands.Parabolic())
    xr.testing.assert_identical(grid.bin(m), grid.bin(m.copy()))
    xr.testing.assert_identical(grid.moments(m, H), grid.moments(m.copy(), H))
