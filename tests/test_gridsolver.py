"""The deterministic grid solver (pmc.gridsolver) against exact results.

Exact references used here:

* a drift by a whole number of cells is a permutation of the grid values (exact to round-off),
  and any other drift is the exact shifted solution f0(x - v t, p) up to the interpolation
  error, which falls as h^d (d = 5, the Lagrange degree) or faster;
* the split scheme moves f along its own characteristics: f(t) = f0(Phi^-1(x, p)) with Phi the
  composition of exact kicks and drifts (the markers' push), traced backward here in numpy for
  the harmonic well (one period) and a time-modulated periodic potential; the solver must
  converge to it at the interpolation order;
* with f uniform in x, no force and collisions Q, every x column obeys f(t) = f0 expm(Q t)
  exactly (to round-off), and the expected number of jumps is
  int_0^t f0 expm(Q s) r ds (r = -diag Q);
* mass is conserved to round-off on a periodic domain, and on open ones the absorbed, lost and
  injected tallies close the balance to round-off.
"""
import math

import numba
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

import pmc
from pmc._kernels import semilagrangian as sl
from pmc import gridsolver
from pmc.gridsolver import initial_density

_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = -(2.0 ** (1.0 / 3.0)) * _W1


def cell_grid(lo, hi, nx, plo, phi, npp):
    """Bin centres of nx x npp cells covering [lo, hi) x [plo, phi)."""
    x = lo + (np.arange(nx) + 0.5) * (hi - lo) / nx
    p = plo + (np.arange(npp) + 0.5) * (phi - plo) / npp
    return pmc.PhaseSpaceGrid(x=x, p=p)


def backward(H, X, P, dt, n, scheme="leapfrog", t0=0.0, wrap=None):
    """Trace the split scheme's characteristics from (X, P) at t0 + n dt back to t0."""
    m = H.dispersion.mass

    def kick(P, X, h, t):
        return P - h * H.force(X.ravel(), t).reshape(X.shape)

    def drift(X, P, h):
        X = X - h * P / m
        return X if wrap is None else (X - wrap[0]) % (wrap[1] - wrap[0]) + wrap[0]

    for s in range(n - 1, -1, -1):
        t = t0 + s * dt
        if scheme == "leapfrog":
            P = kick(P, X, dt / 2, t + dt)
            X = drift(X, P, dt)
            P = kick(P, X, dt / 2, t)
        else:
            h1, h0 = _W1 * dt, _W0 * dt
            P = kick(P, X, h1 / 2, t + dt)
            X = drift(X, P, h1)
            P = kick(P, X, (h0 + h1) / 2, t + h1 + h0)
            X = drift(X, P, h0)
            P = kick(P, X, (h1 + h0) / 2, t + h1)
            X = drift(X, P, h1)
            P = kick(P, X, h1 / 2, t)
    return X, P


def random_rate_matrix(m, rng, density=0.3):
    off = scipy.sparse.random(m, m, density=density, random_state=rng, format="csr")
    off.setdiag(0.0)
    off.eliminate_zeros()
    off = off * 2.0
    return (off - scipy.sparse.diags(np.asarray(off.sum(axis=1)).ravel())).tocsr()


# ----------------------------------------------------------------------------- kernels
def test_lagrange_weights_reproduce_polynomials_of_their_degree(rng):
    for S in (4, 6, 8):
        w = np.empty(S)
        for a in rng.uniform(-1.0, S, 5):
            sl.lagrange_weights(a, w)
            for degree in range(S):
                terms = w * np.arange(S, dtype=float) ** degree
                # exact up to the round-off of the sum (S terms of size |terms|)
                bound = 4 * S * np.finfo(float).eps * np.abs(terms).sum()
                assert abs(terms.sum() - a ** degree) <= bound


def test_periodic_shift_conserves_the_sum_and_integer_shifts_permute(rng):
    src = rng.random(40)
    dst = np.empty_like(src)
    w = np.empty(6)
    for s in (0.3, -2.7, 17.25, -55.5):
        sl.shift_line(src, dst, s, True, 0.0, 0.0, w)
        assert dst.sum() == pytest.approx(src.sum(), rel=1e-14)
    sl.shift_line(src, dst, 3.0, True, 0.0, 0.0, w)
    np.testing.assert_allclose(dst, np.roll(src, 3), rtol=0, atol=1e-15)


def test_cell_averages_are_sixth_order_and_keep_the_sum():
    def err(n):
        L = 2 * np.pi
        h = L / n
        x = (np.arange(n) + 0.5) * h
        f = np.exp(np.sin(x))[:, None] * np.ones((1, 8))
        avg = sl.average_x(f, np.empty_like(f), True)[:, 0]
        # exact cell averages of exp(sin x) by 40-point Gauss-Legendre per cell
        t, wq = np.polynomial.legendre.leggauss(40)
        exact = np.array([np.sum(wq * np.exp(np.sin(c + 0.5 * h * t))) / 2 for c in x])
        assert avg.sum() == pytest.approx(f[:, 0].sum(), rel=1e-14)
        return np.abs(avg - exact).max()

    e1, e2 = err(16), err(32)
    assert math.log2(e1 / e2) > 5.5  # design order 6


def test_parallel_kernels_are_bitwise_independent_of_the_thread_count(rng):
    f0 = rng.random((96, 80))
    shifts = rng.uniform(-3, 3, 80)
    g = rng.random(80)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(), pmc.potentials.Periodic(amplitude=0.7, period=3))
    _, _, terms, prm = H.kernel_arguments()
    x = np.linspace(0, 3, 96)
    out = []
    old = numba.get_num_threads()
    try:
        for threads in (1, old):
            numba.set_num_threads(threads)
            f = f0.copy()
            sl.shift_x(f, shifts, 5, False, g, g, True, np.zeros((80, 3)))
            sl.shift_p(f, x, 7.0, 0.3, 0.1, terms, prm, 5, False, np.zeros((96, 3)))
            out.append(f)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(out[0], out[1])


# ----------------------------------------------------------------------------- streaming
def test_free_streaming_by_whole_cells_is_exact_with_periodic_and_absorbing_walls(rng):
    # hx = hp = 0.25 and dt = 1: row p_j = j hp moves by exactly j cells per step
    nx, npp = 24, 9
    x = 0.125 + 0.25 * np.arange(nx)
    p = 0.25 * (np.arange(npp) - 4)
    grid = pmc.PhaseSpaceGrid(x=x, p=p)
    f0 = rng.random((nx, npp))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    per = gridsolver.Simulation(H, f0, grid=grid, dt=1.0,
                                boundary=pmc.Periodic(0.0, 6.0)).step(3)
    absb = gridsolver.Simulation(H, f0, grid=grid, dt=1.0,
                                 boundary=pmc.Absorbing(0.0, 6.0)).step(3)
    cell = 0.25 * 0.25
    lost_lo = lost_hi = 0.0
    for j in range(npp):
        k = 3 * (j - 4)
        np.testing.assert_allclose(per.f[:, j], np.roll(f0[:, j], k), rtol=0, atol=1e-14)
        shifted = np.zeros(nx)
        if k >= 0:
            shifted[k:] = f0[:nx - k, j]
            lost_hi += f0[nx - k:, j].sum() * cell
        else:
            shifted[:k] = f0[-k:, j]
            lost_lo += f0[:-k, j].sum() * cell
        np.testing.assert_allclose(absb.f[:, j], shifted, rtol=0, atol=1e-14)
    assert per.total_weight == pytest.approx(f0.sum() * cell, rel=1e-14)
    np.testing.assert_allclose(absb._absorbed, [lost_lo, lost_hi], rtol=1e-13)


def test_free_streaming_converges_to_the_exact_shifted_solution():
    packet = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0, mass=1.0)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    L, t_end = 20.0, 5.0
    errors = []
    for nx in (80, 160):
        grid = cell_grid(-L / 2, L / 2, nx, -4.0, 4.0, 64)
        solver = gridsolver.Simulation(H, packet, grid=grid, dt=0.1,
                                       boundary=pmc.Periodic(-L / 2, L / 2))
        solver.step(50)
        X, P = np.meshgrid(grid.x, grid.p, indexing="ij")
        exact = sum(packet.wigner(X - P * t_end + k * L, P) for k in range(-3, 4))
        errors.append(np.abs(solver.f - exact).max())
    assert errors[1] < 1e-4 * exact.max()
    assert math.log2(errors[0] / errors[1]) > 5 - 0.5  # at least the Lagrange degree


def test_rotation_in_a_harmonic_well_after_one_period_follows_the_scheme():
    packet = pmc.states.GaussianWavepacket(x0=2.0, p0=0.0, sigma_x=0.7)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Harmonic(omega=1.0))
    period, n = 2 * np.pi, 32
    errors = []
    for nx in (64, 128):
        grid = cell_grid(-8.0, 8.0, nx, -8.0, 8.0, nx)
        solver = gridsolver.Simulation(H, packet, grid=grid, dt=period / n, scheme="yoshida4",
                                       boundary=pmc.Absorbing(-8.0, 8.0))
        solver.step(n)
        X, P = np.meshgrid(grid.x, grid.p, indexing="ij")
        exact = packet.wigner(*backward(H, X, P, period / n, n, "yoshida4"))
        errors.append(np.abs(solver.f - exact).max())
    assert math.log2(errors[0] / errors[1]) > 5 - 0.5
    assert errors[1] < 1e-3 * packet.wigner(2.0, 0.0)
    # after one period the scheme's characteristics return to the start up to O(dt^4)
    assert np.abs(exact - packet.wigner(X, P)).max() < 2e-3 * packet.wigner(2.0, 0.0)


def test_time_dependent_potential_follows_the_scheme_characteristics():
    L = 8.0
    U = (pmc.potentials.Periodic(amplitude=0.6, period=L, phase=0.3)
         * pmc.potentials.Sinusoidal(amplitude=0.8, angular_frequency=2.0))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), U)
    assert H.time_dependent

    def f0(X, P):
        return (1.0 + 0.4 * np.cos(2 * np.pi * X / L)) * np.exp(-(P - 0.3) ** 2 / 0.8)

    errors = []
    for k in (1, 2):
        grid = cell_grid(-L / 2, L / 2, 48 * k, -5.0, 5.0, 64 * k)
        X, P = np.meshgrid(grid.x, grid.p, indexing="ij")
        solver = gridsolver.Simulation(H, f0(X, P), grid=grid, dt=0.1, t0=0.5,
                                       boundary=pmc.Periodic(-L / 2, L / 2))
        solver.step(20)
        exact = f0(*backward(H, X, P, 0.1, 20, t0=0.5, wrap=(-L / 2, L / 2)))
        errors.append(np.abs(solver.f - exact).max())
        assert solver.total_weight + solver._absorbed_p.sum() == pytest.approx(
            f0(X, P).sum() * grid.bin_volume, rel=1e-13)
    assert math.log2(errors[0] / errors[1]) > 5 - 0.5
    assert errors[1] < 1e-4


# ----------------------------------------------------------------------------- collisions
def test_relaxation_under_a_rate_matrix_is_expm_exactly(rng):
    npp = 12
    grid = cell_grid(0.0, 2.0, 8, -3.0, 3.0, npp)
    Q = random_rate_matrix(npp, rng)
    column = rng.random(npp)
    f0 = np.tile(column, (8, 1))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    dt, n = 0.05, 40
    solver = gridsolver.Simulation(H, f0, grid=grid, dt=dt, boundary=pmc.Periodic(0.0, 2.0),
                                   collisions=[Q])
    ds = solver.run(n * dt, 10 * dt, progress=False)
    t = n * dt
    exact = column @ scipy.linalg.expm(Q.toarray() * t)
    np.testing.assert_allclose(solver.f, np.tile(exact, (8, 1)), rtol=1e-12, atol=1e-14)
    # expected jumps: int_0^t f(s) . r ds, by Gauss-Legendre on the smooth integrand
    r = -Q.diagonal()
    s, w = np.polynomial.legendre.leggauss(30)
    s = 0.5 * t * (s + 1.0)
    rate = [column @ scipy.linalg.expm(Q.toarray() * si) @ r for si in s]
    jumps = 0.5 * t * np.dot(w, rate) * 8 * grid.bin_volume
    assert float(ds.collisions.sel(mechanism="total").sum()) == pytest.approx(jumps, rel=1e-10)
    assert list(ds.mechanism.values) == ["total", "rate_matrix"]


def test_rate_matrix_objects_are_used_as_given():
    npp = 16
    grid = cell_grid(0.0, 1.0, 8, -2.0, 2.0, npp)
    p = grid.p
    rm = pmc.collisions.RateMatrix.from_golden_rule(p ** 2 / 2, 0.3, width=0.4,
                                                    momentum_grid=p, name="fermi")
    golden = pmc.collisions.GoldenRule(energies=p ** 2 / 2, coupling=0.3, width=0.4,
                                       momentum_grid=p, name="fermi")
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    f0 = np.tile(np.exp(-(p - 1.0) ** 2), (8, 1))
    a = gridsolver.Simulation(H, f0, grid=grid, dt=0.1, boundary=pmc.Periodic(0.0, 1.0),
                              collisions=[rm])
    b = gridsolver.Simulation(H, f0, grid=grid, dt=0.1, boundary=pmc.Periodic(0.0, 1.0),
                              collisions=[golden])
    a.step(5)
    b.step(5)
    np.testing.assert_allclose(a.f[0], rm.propagate(f0[0], 0.5), rtol=1e-10, atol=1e-14)
    assert np.array_equal(a.f, b.f)
    assert a.collisions[0].name == "fermi"


# ----------------------------------------------------------------------------- balances
def test_mass_is_conserved_to_round_off_on_a_periodic_domain(rng):
    L = 6.0
    grid = cell_grid(-L / 2, L / 2, 32, -5.0, 5.0, 40)
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.3),
                        pmc.potentials.Periodic(amplitude=0.5, period=L))
    gas = pmc.states.Maxwellian(temperature=0.7, mass=1.0, x=(-L / 2, L / 2), drift=0.4)
    for positivity in (False, True):
        solver = gridsolver.Simulation(H, gas, grid=grid, dt=0.07,
                                       boundary=pmc.Periodic(-L / 2, L / 2),
                                       collisions=[random_rate_matrix(40, rng)],
                                       positivity=positivity)
        w0 = solver.total_weight
        solver.step(30)
        # closed in x; the ends of the momentum range absorb (the random Q fills them)
        assert solver._absorbed_p.sum() > 1e-3
        assert solver.total_weight + solver._absorbed_p.sum() == pytest.approx(w0, rel=1e-13)
        if positivity:
            assert solver.f.min() >= 0.0


def test_open_walls_close_the_balance_to_round_off():
    grid = cell_grid(-5.0, 5.0, 40, -4.0, 4.0, 32)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.UniformField(0.8))
    packet = pmc.states.GaussianWavepacket(x0=1.0, p0=1.0, sigma_x=0.5)  # sigma_p = 4 hp
    res = pmc.Reservoir(density=0.2, temperature=0.5, mass=1.0, drift=0.3)
    for wall in (pmc.Absorbing(-5.0, 5.0), pmc.Injecting(-5.0, 5.0, left=res),
                 pmc.Injecting(-5.0, 5.0, left=res, right=res), None):
        solver = gridsolver.Simulation(H, packet, grid=grid, dt=0.1, boundary=wall)
        w0 = solver.total_weight
        solver.step(30)
        balance = (solver.total_weight + solver._absorbed.sum() + solver._absorbed_p.sum()
                   - solver._injected.sum())
        assert balance == pytest.approx(w0, rel=1e-13)
        assert solver._absorbed[1] > 0.1  # the packet is pushed out at x_hi
        assert solver._absorbed_p[1] > 0.0  # and accelerated beyond p_hi


def test_inflow_fills_an_empty_box_with_the_reservoir_distribution():
    # whole-cell drifts: p_j = j hp, hx = hp dt -> the inflow is exact
    nx, npp = 20, 41
    x = 0.05 + 0.1 * np.arange(nx)
    p = 0.1 * (np.arange(npp) - 20)
    grid = pmc.PhaseSpaceGrid(x=x, p=p)
    left = pmc.Reservoir(density=2.0, temperature=0.4, mass=1.0, drift=0.2)
    right = pmc.Reservoir(density=0.5, temperature=0.3, mass=1.0)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    solver = gridsolver.Simulation(H, np.zeros((nx, npp)), grid=grid, dt=1.0,
                                   boundary=pmc.Injecting(0.0, 2.0, left=left, right=right))
    solver.step(25)  # the slowest moving row (|p| = 0.1) crosses the box in 20 steps

    def maxwellian(r):
        var = r.mass * r.temperature
        return r.density * np.exp(-(p - r.mass * r.drift) ** 2 / (2 * var)) / np.sqrt(
            2 * np.pi * var)

    expected = np.where(p > 0, maxwellian(left), np.where(p < 0, maxwellian(right), 0.0))
    np.testing.assert_allclose(solver.f, np.tile(expected, (nx, 1)), rtol=1e-13, atol=1e-15)
    # the injected weight per step is the reservoirs' discrete one-sided flux
    flux_lo = np.sum(np.where(p > 0, p * maxwellian(left), 0.0)) * 0.1
    flux_hi = np.sum(np.where(p < 0, -p * maxwellian(right), 0.0)) * 0.1
    np.testing.assert_allclose(solver._injected, [25 * flux_lo, 25 * flux_hi], rtol=1e-12)


def test_positivity_limiter_removes_undershoots_and_keeps_mass():
    grid = cell_grid(0.0, 4.0, 40, -1.0, 1.0, 10)
    X, P = np.meshgrid(grid.x, grid.p, indexing="ij")
    box = np.where((X > 1.0) & (X < 2.0), 1.0, 0.0) * np.ones_like(P)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    plain = gridsolver.Simulation(H, box, grid=grid, dt=0.33,
                                  boundary=pmc.Periodic(0.0, 4.0)).step(5)
    limited = gridsolver.Simulation(H, box, grid=grid, dt=0.33, boundary=pmc.Periodic(0.0, 4.0),
                                    positivity=True).step(5)
    assert plain.f.min() < -1e-3
    assert limited.f.min() >= 0.0
    assert limited.total_weight == pytest.approx(box.sum() * grid.bin_volume, rel=1e-13)


# ----------------------------------------------------------------------------- interface
def test_initial_density_of_each_distribution():
    x = np.linspace(-1.9, 1.9, 20)
    p = np.linspace(-3.0, 3.0, 7)
    gas = pmc.states.Maxwellian(temperature=0.5, mass=2.0, x=(-1.0, 1.0), density=3.0,
                                drift=0.25)
    f = initial_density(gas, x, p)
    expected = 3.0 * np.exp(-(p - 0.5) ** 2 / 2.0) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(f[(x > -1) & (x < 1)], np.tile(expected, (10, 1)), rtol=1e-14)
    assert np.all(f[(x < -1) | (x > 1)] == 0.0)
    packet = pmc.states.GaussianWavepacket(x0=0.3, p0=-1.0, sigma_x=0.5)
    X, P = np.meshgrid(x, p, indexing="ij")
    np.testing.assert_array_equal(initial_density(packet, x, p), packet.wigner(X, P))
    fermi = pmc.states.FermiDirac(temperature=0.2, chemical_potential=1.0, mass=1.0,
                                  x=(-2.0, 2.0), degeneracy=2)
    row = initial_density(fermi, x, p)[0]
    np.testing.assert_allclose(row, 2 / (2 * np.pi) / (np.exp((p ** 2 / 2 - 1.0) / 0.2) + 1))
    table = pmc.states.Gridded(np.arange(20.0 * 7).reshape(20, 7) + 1, x=x, p=p)
    np.testing.assert_array_equal(initial_density(table, x, p), table.f)
    with pytest.raises(ValueError, match="distribution"):
        initial_density(pmc.states.Maxwellian(temperature=1, mass=1, x=(0, 1),
                                              momentum_dims=3), x, p)


def test_output_has_the_schema_of_a_marker_run():
    L = 4.0
    grid = cell_grid(-L / 2, L / 2, 16, -4.0, 4.0, 24)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.Periodic(amplitude=0.3, period=L))
    gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(-L / 2, L / 2))
    q = pmc.collisions.RateMatrix.from_golden_rule(grid.p ** 2 / 2, 0.2, width=0.5,
                                                   momentum_grid=grid.p)
    common = dict(grid=grid, dt=0.1, boundary=pmc.Periodic(-L / 2, L / 2), collisions=[q],
                  observables=pmc.simulation.OBSERVABLES)
    markers = pmc.Simulation(H, pmc.sample(gas, 2000, seed=1), seed=1, **common).run(
        0.4, 0.2, progress=False)
    grid_ds = gridsolver.Simulation(H, gas, **common).run(0.4, 0.2, progress=False)
    for name, var in markers.variables.items():
        assert name in grid_ds.variables, name
        assert grid_ds[name].dims == var.dims, name
        assert grid_ds[name].attrs.get("units") == var.attrs.get("units"), name
    for coord in ("x", "p", "time", "component", "side", "contact", "mechanism"):
        np.testing.assert_array_equal(grid_ds[coord].values, markers[coord].values)
    assert np.all(grid_ds.f_stderr == 0.0) and "deterministic" in grid_ds.f_stderr.comment
    # pmc.compare takes the grid solution as the reference unchanged
    c = pmc.compare(markers, grid_ds)
    tv = 0.5 * abs(markers.f - grid_ds.f).sum(("x", "p")) * grid.bin_volume
    np.testing.assert_allclose(c.distance, tv, rtol=1e-12)
    np.testing.assert_allclose(c.norm_reference, grid_ds.total_weight, rtol=1e-12)
    # the moments are those of f
    dens = grid_ds.f.sum("p") * grid.spacing["p"]
    np.testing.assert_allclose(grid_ds.density, dens, rtol=1e-12)
    np.testing.assert_allclose(grid_ds.total_weight, grid_ds.density.sum("x") * grid.spacing["x"],
                               rtol=1e-12)


def test_run_writes_netcdf_and_resumes_to_the_uninterrupted_result(tmp_path):
    L = 4.0
    grid = cell_grid(-L / 2, L / 2, 16, -4.0, 4.0, 24)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.Periodic(amplitude=0.3, period=L))
    gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(-L / 2, L / 2), drift=0.5)
    q = random_rate_matrix(24, np.random.default_rng(3))

    def make():
        return gridsolver.Simulation(H, gas, grid=grid, dt=0.1,
                                     boundary=pmc.Periodic(-L / 2, L / 2), collisions=[q])

    full = make().run(1.0, 0.2, progress=False)
    out = tmp_path / "grid.nc"
    first = make().run(0.6, 0.2, output=out, progress=False, checkpoint_every=1)
    assert first.attrs["method"] == "grid" and first.sizes["time"] == 4
    with pytest.raises(FileExistsError):
        make().run(1.0, 0.2, output=out, progress=False)
    resumed = make().run(1.0, 0.2, output=out, progress=False, resume=True)
    assert resumed.sizes["time"] == 6
    np.testing.assert_array_equal(resumed.f.values, full.f.values)
    np.testing.assert_array_equal(resumed.collisions.values, full.collisions.values)
    other = gridsolver.Simulation(H, gas, grid=grid, dt=0.05, boundary=pmc.Periodic(-L / 2, L / 2))
    with pytest.raises(ValueError, match="different simulation"):
        other.run(1.0, 0.2, output=out, progress=False, resume=True)


CASE = """
[run]
method = "{method}"
dt = 0.1
t_end = 0.4
save_every = 0.2
seed = 3

[dispersion]
model = "Parabolic"
mass = 1.0

[potential]
model = "Periodic"
amplitude = 0.2
period = 4.0

[distribution]
model = "Maxwellian"
n = 500
temperature = 1.0
mass = 1.0
x = [-2.0, 2.0]

[boundary]
model = "Periodic"
lo = -2.0
hi = 2.0

[grid]
x = {{ start = -1.875, stop = 1.875, num = 16 }}
p = {{ start = -3.875, stop = 3.875, num = 32 }}
"""


def test_case_files_run_either_method(tmp_path):
    from pmc import cli, config

    outputs = {}
    for method in ("markers", "grid"):
        path = tmp_path / f"{method}.toml"
        path.write_text(CASE.format(method=method))
        sim, _ = config.build(config.load_case(path))
        assert type(sim) is {"markers": pmc.Simulation, "grid": gridsolver.Simulation}[method]
        out = tmp_path / f"{method}.nc"
        assert cli.main(["run", str(path), "-o", str(out), "-q"]) == 0
        outputs[method] = pmc.open_dataset(out)
    assert outputs["grid"].attrs["method"] == "grid"
    assert outputs["grid"].f.shape == outputs["markers"].f.shape
    path = tmp_path / "bad.toml"
    path.write_text(CASE.format(method="fluid"))
    with pytest.raises(config.CaseError, match="method"):
        config.build(config.load_case(path))


def test_invalid_input_names_the_parameter():
    grid = cell_grid(0.0, 1.0, 10, -1.0, 1.0, 10)
    H = pmc.Hamiltonian(pmc.bands.Parabolic())
    f0 = np.ones((10, 10))
    with pytest.raises(ValueError, match="order"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, order=4)
    with pytest.raises(ValueError, match="boundary"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, boundary=pmc.Periodic(0.0, 2.0))
    with pytest.raises(ValueError, match="boundary"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, boundary=pmc.Reflecting(0.0, 1.0))
    with pytest.raises(ValueError, match="dt"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.0)
    with pytest.raises(ValueError, match="initial"):
        gridsolver.Simulation(H, np.ones((10, 9)), grid=grid, dt=0.1)
    with pytest.raises(ValueError, match="collisions"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, collisions=[np.zeros((9, 9))])
    bad = np.zeros((10, 10))
    bad[0, :2] = [1.0, -1.0]  # a negative rate
    with pytest.raises(ValueError, match="negative"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, collisions=[bad])
    bad[0, :2] = [-1.0, 2.0]  # a row not summing to zero
    with pytest.raises(ValueError, match="sum to zero"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, collisions=[bad])
    with pytest.raises(ValueError, match="momentum_grid"):
        q = pmc.collisions.RateMatrix(np.zeros((10, 10)), momentum_grid=np.arange(10.0))
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, collisions=[q])
    with pytest.raises(ValueError, match="collisions"):
        gridsolver.Simulation(H, f0, grid=grid, dt=0.1, collisions=[pmc.collisions.Collision()])
    with pytest.raises(ValueError, match="grid"):
        gridsolver.Simulation(H, f0, grid=pmc.PhaseSpaceGrid(x=np.arange(10.0), p=np.arange(10.0),
                                                             y=np.arange(3.0)), dt=0.1)
