"""Gas-surface walls (pmc.Diffuse, pmc.CLL), freestream faces (pmc.Freestream) and the run-level
time averages of a gas (Simulation(average=...), pmc.sampling)."""
import math

import numba
import numpy as np
import pytest
from scipy import special, stats

import pmc
from pmc import sampling
from pmc.streaming import Streamer

M = 6.6335e-26  # argon [kg]
KT = 300.0 * pmc.units.K
SIGMA = math.sqrt(KT / M)
H = pmc.Hamiltonian(pmc.bands.Parabolic(M), units="si")
L = 1e-3
P_KS = 1e-3  # a KS test fails with this probability when the distribution is right


def _towards_lo(n, rng, speed=None):
    """Markers just inside the lower wall of x, all moving into it within one step of 1 ns."""
    v = SIGMA * rng.standard_normal((n, 3))
    v[:, 0] = -np.abs(v[:, 0]) - 10.0 if speed is None else -speed
    x = rng.uniform(0.0, 1e-12, (n, 1))
    return pmc.Markers(x=x, p=M * v, w=np.ones(n))


def _reemitted(boundary, markers, seed=1):
    """One step of 1 ns: every marker hits the lower wall once; returns the velocities (n, 3)
    after and the tally."""
    st = Streamer(H, markers, boundary=boundary, seed=seed)
    tally = st(markers, 1e-9, 1, 0.0, 0)
    return markers.momenta / M, tally


def _rayleigh_cdf(s, sigma):
    return 1.0 - np.exp(-0.5 * (s / sigma) ** 2)


def test_diffuse_reemission_is_the_flux_weighted_half_maxwellian():
    rng = np.random.default_rng(0)
    n = 20_000
    u_lo = (0.0, 120.0, -40.0)  # velocity of the lower plate [m/s]
    plates = pmc.Diffuse(0.0, L, temperature=KT, velocity=(u_lo, (0.0, 0.0, 0.0)))
    v, _ = _reemitted(plates, _towards_lo(n, rng))
    assert np.all(v[:, 0] > 0)
    assert stats.kstest(v[:, 0], lambda s: _rayleigh_cdf(s, SIGMA)).pvalue > P_KS
    for k in (1, 2):  # tangential: Maxwellian about the plate's velocity
        tangential = stats.norm(u_lo[k], SIGMA)
        assert stats.kstest(v[:, k], tangential.cdf).pvalue > P_KS


def test_partial_accommodation_mixes_diffuse_and_specular():
    rng = np.random.default_rng(1)
    n = 20_000
    speed = 3.0 * SIGMA  # all incident at one normal speed: the specular part is an atom
    a = 0.3
    wall = pmc.Diffuse(0.0, L, temperature=KT, accommodation=a)
    mk = _towards_lo(n, rng, speed=speed)
    v_in = mk.momenta / M
    v, _ = _reemitted(wall, mk)
    specular = np.isclose(v[:, 0], speed, rtol=1e-12) & np.all(v[:, 1:] == v_in[:, 1:], axis=1)
    frac = specular.mean()
    assert abs(frac - (1 - a)) < 4 * math.sqrt(a * (1 - a) / n)
    assert stats.kstest(v[~specular, 0], lambda s: _rayleigh_cdf(s, SIGMA)).pvalue > P_KS


@pytest.mark.parametrize("wall", [pmc.Diffuse(0.0, L, temperature=KT, accommodation=0.0),
                                  pmc.CLL(0.0, L, temperature=KT, normal=0.0, tangential=0.0)])
def test_specular_limits_equal_the_reflecting_wall(wall):
    rng = np.random.default_rng(2)
    n = 5000
    x = rng.uniform(0, L, (n, 1))
    p = M * SIGMA * rng.standard_normal((n, 3))
    a = pmc.Markers(x=x, p=p, w=np.ones(n))
    b = a.copy()
    dt = 2e-7  # markers cross the box up to a few times
    Streamer(H, a, boundary=wall, seed=3)(a, dt, 5)
    Streamer(H, b, boundary=pmc.Reflecting(0.0, L))(b, dt, 5)
    # Maxwell's specular part flips the normal momentum exactly; CLL's goes through the wall
    # frame and the speed formula (rounding)
    rtol = 0.0 if isinstance(wall, pmc.Diffuse) else 1e-13
    np.testing.assert_allclose(a.momenta, b.momenta, rtol=rtol, atol=0)
    np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-15)


def test_cll_normal_and_tangential_accommodation():
    """CL kernel: <m v_n'^2 / 2> = a_n kT + (1 - a_n) m v_n^2 / 2; the tangential components
    sqrt(1 - a_t) c_t + sqrt(a_t) sigma N(0, 1); a_n = a_t = 1 is diffuse."""
    rng = np.random.default_rng(3)
    n = 40_000
    speed = 2.0 * SIGMA
    an, at = 0.4, 0.7
    wall = pmc.CLL(0.0, L, temperature=KT, normal=an, tangential=at)
    mk = _towards_lo(n, rng, speed=speed)
    v_in = mk.momenta / M
    v, _ = _reemitted(wall, mk)
    en = 0.5 * M * v[:, 0] ** 2
    expect = an * KT + (1 - an) * 0.5 * M * speed ** 2
    assert abs(en.mean() - expect) < 4 * en.std() / math.sqrt(n)
    resid = v[:, 1:] - math.sqrt(1 - at) * v_in[:, 1:]
    assert stats.kstest(resid.ravel()[:n], stats.norm(0, math.sqrt(at) * SIGMA).cdf).pvalue > P_KS
    v, _ = _reemitted(pmc.CLL(0.0, L, temperature=KT), _towards_lo(n, rng))
    assert stats.kstest(v[:, 0], lambda s: _rayleigh_cdf(s, SIGMA)).pvalue > P_KS
    assert stats.kstest(v[:, 1], stats.norm(0, SIGMA).cdf).pvalue > P_KS


@pytest.mark.parametrize("wall", [
    pmc.Diffuse(0.0, L, temperature=(KT, 2 * KT), velocity=((0, -50, 0), (0, 80, 10)),
                accommodation=0.8),
    pmc.CLL(0.0, L, temperature=(KT, 0.5 * KT), velocity=((0, 0, 30), (0, 0, 0)), normal=0.5,
            tangential=0.3)])
def test_momentum_and_energy_given_to_the_walls_balance_the_gas(wall):
    rng = np.random.default_rng(4)
    n = 4000
    mk = pmc.Markers(x=rng.uniform(0, L, (n, 1)), p=M * SIGMA * rng.standard_normal((n, 3)),
                     w=rng.uniform(0.5, 2.0, n))
    p0 = (mk.w[:, None] * mk.momenta).sum(0)
    e0 = (mk.w * (mk.momenta ** 2).sum(1)).sum() / (2 * M)
    tally = Streamer(H, mk, boundary=wall, seed=5)(mk, 1e-7, 50)
    p1 = (mk.w[:, None] * mk.momenta).sum(0)
    e1 = (mk.w * (mk.momenta ** 2).sum(1)).sum() / (2 * M)
    given = tally.wall[:2]
    assert given[:, 4].sum() > n  # many hits
    np.testing.assert_allclose(p1 - p0, -given[:, :3].sum(0), rtol=0,
                               atol=1e-9 * M * SIGMA * n)
    assert abs((e1 - e0) + given[:, 3].sum()) < 1e-9 * KT * n


def test_walls_on_every_axis_and_thread_count_independent():
    rng = np.random.default_rng(6)
    n = 3 * 4096 + 17
    x = rng.uniform(0, L, (n, 3))
    p = M * SIGMA * rng.standard_normal((n, 3))
    box = (pmc.Periodic(0.0, L), pmc.CLL(0.0, L, temperature=KT, normal=0.5, tangential=0.5),
           pmc.Diffuse(0.0, L, temperature=2 * KT, velocity=((10, 0, 0), (0, -10, 0))))
    out = []
    for threads in (1, 2):
        mk = pmc.Markers(x=x, p=p, w=np.ones(n))
        numba.set_num_threads(threads)
        try:
            tally = Streamer(H, mk, boundary=box, seed=7)(mk, 3e-7, 10)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        out.append((mk.positions.copy(), mk.momenta.copy(), tally.wall.copy()))
        assert np.all((mk.positions >= 0) & (mk.positions < L))
        hits = tally.wall[:, 4]  # weight that hit each face: only the y and z faces are walls
        assert hits[2:6].sum() > 0 and hits[:2].sum() == 0
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def _flux_cdf(s, a):
    """CDF of the flux-weighted drifting Maxwellian s exp(-(s - a)^2 / 2), s > 0."""
    def f(s):
        return (np.exp(-0.5 * a * a) - np.exp(-0.5 * (s - a) ** 2)
                + a * math.sqrt(math.pi / 2) * (special.erf((s - a) / math.sqrt(2))
                                                + special.erf(a / math.sqrt(2))))
    return f(s) / f(np.inf)


@pytest.mark.parametrize("side,u", [(0, 250.0), (1, -250.0), (0, -300.0)])
def test_freestream_inflow_count_and_velocities_are_exact(side, u):
    """Injected count over many steps against the Poisson mean of the closed-form flux; the
    normal velocity against the flux-weighted drifting Maxwellian, the tangential ones against
    the Maxwellian. Markers start with no one in the box, faces far apart (nothing leaves)."""
    n_gas, weight = 1e20, 4e3
    face = pmc.Freestream(0.0, 1.0, density=n_gas, velocity=(u, 60.0, 0.0), temperature=KT,
                          mass=M, weight=weight, inflow=("lo", "hi")[side])
    box = (face, pmc.Periodic(0.0, 1e-4), pmc.Periodic(0.0, 1e-4))
    mk = pmc.Markers(x=np.full((1, 3), 0.5), p=np.zeros((1, 3)), w=np.ones(1) * 1e-30)
    st = Streamer(H, mk, boundary=box, seed=8)
    dt, steps = 4e-9, 50
    tally = st(mk, dt, steps)
    rate = face.flux(0, side) * 1e-8 / weight
    expected = rate * dt * steps
    count = tally.face_injected[side] / weight
    assert abs(count - expected) < 4 * math.sqrt(expected)
    assert 500 < count
    v = mk.momenta[1:] / M
    direction = 1.0 if side == 0 else -1.0
    a = direction * u / SIGMA
    s = direction * v[:, 0] / SIGMA
    assert np.all(s > 0)
    assert stats.kstest(s, lambda t: _flux_cdf(t, a)).pvalue > P_KS
    assert stats.kstest(v[:, 1], stats.norm(60.0, SIGMA).cdf).pvalue > P_KS
    # the closed form itself: n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2)
    from scipy import integrate
    num = integrate.quad(lambda w: w * stats.norm(direction * u, SIGMA).pdf(w), 0, np.inf)[0]
    assert face.flux(0, side) == pytest.approx(n_gas * num, rel=1e-9)


def test_freestream_outflow_absorbs():
    rng = np.random.default_rng(9)
    n = 2000
    face = pmc.Freestream(0.0, L, density=1e18, velocity=(0, 0, 0), temperature=KT, mass=M,
                          weight=1e6, inflow="none")
    mk = pmc.Markers(x=rng.uniform(0, L, (n, 1)), p=M * SIGMA * rng.standard_normal((n, 3)),
                     w=np.ones(n))
    x0 = mk.positions[:, 0].copy()
    tally = Streamer(H, mk, boundary=face)(mk, 1e-6, 20)
    v = mk.momenta[:, 0] / M
    assert tally.absorbed_count + mk.n == n and tally.absorbed_weight[0].sum() == n - mk.n
    assert mk.n < 0.2 * n and np.all(np.abs(v) * 20e-6 < L)  # those left are slow
    gone = np.setdiff1d(np.arange(n), np.flatnonzero(np.isin(x0, x0)))
    assert gone.size == 0


def test_cell_moments_from_sums_match_direct_moments():
    rng = np.random.default_rng(10)
    n = 1000
    v = rng.standard_normal((n, 3)) * [300.0, 200.0, 100.0] + [50.0, -20.0, 10.0]
    v[:, 0] += 0.3 * v[:, 1] ** 2 / 200.0  # skewed: a heat flux
    w = rng.uniform(0.5, 1.5, n)
    mk = pmc.Markers(x=rng.uniform(0, 1, (n, 1)), p=M * v, w=w)
    sampler = sampling.CellSampler(pmc.Cells(0.0, 1.0, 1))
    sampler.sample(mk)
    sums, count = sampler.take()
    mom = sampling.cell_moments(sums[0, 0] / count, 0.5, M)
    u = (w[:, None] * v).sum(0) / w.sum()
    c = v - u
    P = M * (w[:, None, None] * c[:, :, None] * c[:, None, :]).sum(0) / 0.5
    q = 0.5 * M * (w[:, None] * (c ** 2).sum(1)[:, None] * c).sum(0) / 0.5
    np.testing.assert_allclose(mom["flow_velocity"], u, rtol=1e-10)
    np.testing.assert_allclose(mom["pressure_tensor"], P, rtol=1e-9)
    np.testing.assert_allclose(mom["heat_flux"], q, rtol=1e-7, atol=1e-9 * np.abs(q).max())
    assert mom["number_density"] == pytest.approx(w.sum() / 0.5)
    assert mom["temperature_x"] == pytest.approx(P[0, 0] / (w.sum() / 0.5))


def test_time_averages_of_an_equilibrium_gas(tmp_path):
    """A gas at rest at the walls' temperature between diffuse walls is stationary: n, u = 0,
    T = kT_w, P = n kT_w I, q = 0 and the wall pressure n kT, within a few standard errors;
    the averages are written to the output file."""
    rng = np.random.default_rng(11)
    n, density = 6000, 1e20
    mk = pmc.Markers(x=rng.uniform(0, L, (n, 1)), p=M * SIGMA * rng.standard_normal((n, 3)),
                     w=np.full(n, density * L / n))
    dt = 0.2 * (L / 4) / SIGMA
    sim = pmc.Simulation(H, mk, dt=dt, boundary=pmc.Diffuse(0.0, L, temperature=KT),
                         cells=pmc.Cells(0.0, L, 4), average=0.0, average_batches=10, seed=12)
    ds = sim.run(400 * dt, 10 * dt, output=tmp_path / "eq.nc", progress=False)
    assert ds.attrs["average_frames"] == 40

    def z(name, value, **sel):
        m, e = ds[f"{name}_mean"].sel(**sel), ds[f"{name}_mean_stderr"].sel(**sel)
        return np.abs((m.values - value) / e.values)
    t_crit = stats.t.isf(0.001 / 40, 9)
    assert np.all(z("number_density", density) < t_crit)
    assert np.all(z("translational_temperature", KT) < t_crit)
    assert np.all(z("flow_velocity", 0.0) < t_crit)
    assert np.all(z("heat_flux", 0.0) < t_crit)
    assert np.all(z("pressure_tensor", density * KT, direction="y", direction_2="y") < t_crit)
    plate_pressure = ds["wall_pressure"]
    plate_z = z("wall_pressure", density * KT)
    assert np.all(plate_z < t_crit)
    assert plate_pressure.dims == ("time", "side")
    assert plate_pressure.attrs["units"] == "Pa"
    assert ds["number_density_mean"].dims == ("cell_x",)


def test_auto_window_drops_the_transient():
    """A gas started cold relaxes to the walls' temperature: the detected window starts after
    the transient, so its temperature is the walls'."""
    rng = np.random.default_rng(13)
    n = 4000
    mk = pmc.Markers(x=rng.uniform(0, L, (n, 1)),
                     p=M * 0.2 * SIGMA * rng.standard_normal((n, 3)) + [0, 0, 0],
                     w=np.ones(n))
    dt = 0.1 * L / SIGMA
    sim = pmc.Simulation(H, mk, dt=dt, boundary=pmc.Diffuse(0.0, L, temperature=KT),
                         cells=pmc.Cells(0.0, L, 1), average="auto", seed=14)
    ds = sim.run(1500 * dt, 10 * dt, progress=False)
    assert ds.attrs["average_start"] > 50 * dt
    t = float(ds["translational_temperature_mean"][0])
    e = float(ds["translational_temperature_mean_stderr"][0])
    assert abs(t - KT) < 5 * e + 0.01 * KT


def test_transient_end_of_a_stationary_series_is_early():
    rng = np.random.default_rng(15)
    assert sampling.transient_end(rng.standard_normal(1000)) <= 500
    y = np.r_[np.linspace(5, 0, 200), np.zeros(800)] + 0.1 * rng.standard_normal(1000)
    assert 150 <= sampling.transient_end(y) <= 300


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make,match", [
    (lambda: pmc.Diffuse(0, 1, temperature=-1.0), "temperature"),
    (lambda: pmc.Diffuse(0, 1, temperature=1.0, accommodation=1.5), r"accommodation.*\[0, 1\]"),
    (lambda: pmc.Diffuse(0, 1, temperature=1.0, velocity=5.0), "velocity"),
    (lambda: pmc.Diffuse(0, 1, temperature=1.0, velocity=(1.0, 2.0)), "velocity"),
    (lambda: pmc.CLL(0, 1, temperature=1.0, normal=-0.1), r"normal.*\[0, 1\]"),
    (lambda: pmc.CLL(0, 1, temperature=1.0, tangential=2.0), r"tangential.*\[0, 1\]"),
    (lambda: pmc.Freestream(0, 1, density=1.0, velocity=(1.0, 0.0), temperature=1.0),
     "velocity"),
    (lambda: pmc.Freestream(0, 1, density=-1.0, velocity=(0, 0, 0)), "density"),
    (lambda: pmc.Freestream(0, 1, velocity=(0, 0, 0), inflow="left"), "inflow"),
])
def test_bad_wall_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_runs_with_gas_walls():
    mk = pmc.Markers(x=np.full((3, 1), 0.5 * L), p=np.zeros((3, 3)))
    wall = pmc.Diffuse(0.0, L, temperature=KT, velocity=((10.0, 0, 0), (0, 0, 0)))
    with pytest.raises(ValueError, match="plane"):
        Streamer(H, mk, boundary=wall)
    kane = pmc.Hamiltonian(pmc.bands.Kane(M, 1.0), units="si")
    with pytest.raises(ValueError, match="Parabolic"):
        Streamer(kane, mk, boundary=pmc.Diffuse(0.0, L, temperature=KT))
    with pytest.raises(ValueError, match="dp=3"):
        Streamer(H, pmc.Markers(x=[[0.5 * L]], p=[[0.0]]),
                 boundary=pmc.Diffuse(0.0, L, temperature=KT))
    with pytest.raises(ValueError, match="mass"):
        Streamer(H, mk, boundary=pmc.Freestream(0.0, L, velocity=(0, 0, 0), mass=2 * M))
    with pytest.raises(ValueError, match="average"):
        pmc.Simulation(H, mk, dt=1e-9, boundary=pmc.Diffuse(0.0, L, temperature=KT),
                       cells=pmc.Cells(0.0, L, 2), average="soon")
    with pytest.raises(ValueError, match="cells"):
        pmc.Simulation(H, mk, dt=1e-9, boundary=pmc.Diffuse(0.0, L, temperature=KT),
                       average=0.0)
    with pytest.raises(ValueError, match="sample_every"):
        pmc.Simulation(H, mk, dt=1e-9, cells=pmc.Cells(0.0, L, 2), average=0.0,
                       sample_every=0)
    sim = pmc.Simulation(H, mk, dt=1e-9, cells=pmc.Cells(0.0, L, 2), average=1.0)
    with pytest.raises(ValueError, match="averaging window holds 0"):
        sim.run(4e-9, 1e-9, progress=False)


def test_averages_survive_a_resume(tmp_path):
    """A run resumed from its checkpoint gives the same time averages as one run straight
    through (the frames' sums are part of the checkpoint)."""
    rng = np.random.default_rng(16)
    n = 2000
    mk = pmc.Markers(x=rng.uniform(0, L, (n, 1)), p=M * SIGMA * rng.standard_normal((n, 3)),
                     w=np.ones(n))
    dt = 0.2 * (L / 4) / SIGMA
    wall = pmc.Diffuse(0.0, L, temperature=KT, velocity=((0, -50, 0), (0, 50, 0)))

    def make():
        return pmc.Simulation(H, mk, dt=dt, boundary=wall, cells=pmc.Cells(0.0, L, 4),
                              average=20 * dt, average_batches=4, seed=17)
    straight = make().run(100 * dt, 10 * dt, progress=False)
    make().run(50 * dt, 10 * dt, output=tmp_path / "r.nc", progress=False)
    resumed = make().run(100 * dt, 10 * dt, output=tmp_path / "r.nc", resume=True,
                         progress=False)
    for name in ("flow_velocity_mean", "pressure_tensor_mean_stderr", "wall_shear_stress_mean",
                 "wall_heat_flux_mean_stderr"):
        np.testing.assert_array_equal(resumed[name].values, straight[name].values)
