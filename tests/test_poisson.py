"""pmc.fields.Poisson: exact solutions of the discrete Poisson problem, second-order convergence to
the continuum in 1-3D, boundaries and permittivity, the charge assignment (conservation, no
self-force, momentum conservation, thread-count independence), the driver's PIC leapfrog, the
grid solver coupling, checkpoints and bad input."""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import threads

H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), units="natural")
SHAPES = ("ngp", "cic", "tsc")


def _op(*args, markers=None, **kw):
    kw.setdefault("charge", -1.0)
    field = pmc.fields.Poisson(*args, **kw)
    if markers is None:
        d = field.ndim
        markers = pmc.Markers(x=np.zeros((1, d)) if d > 1 else [0.0],
                              p=np.zeros((1, d)) if d > 1 else [0.0])
    return field.prepare(H, None, markers)


def _order(errors, sizes):
    return np.log(errors[0] / errors[1]) / np.log(sizes[1] / sizes[0])


# ---------------------------------------------------------------------------- solves
def test_periodic_sine_is_the_discrete_eigenfunction_and_converges_at_second_order():
    errs = []
    for n in (32, 64):
        op = _op(0.0, 2.0, n, permittivity=3.0)
        x = op.mesh[0]
        k = 2 * np.pi / 2.0
        rho = np.sin(k * x)
        phi = op.solve(rho)
        h = 2.0 / n
        discrete = rho / (3.0 * (2 * np.sin(k * h / 2) / h) ** 2)
        np.testing.assert_allclose(phi, discrete, atol=1e-14)
        errs.append(np.abs(phi - rho / (3.0 * k * k)).max())
    assert abs(_order(errs, (32, 64)) - 2.0) < 0.05


def test_dirichlet_linear_potential_is_exact():
    op = _op(-1.0, 3.0, 17, boundary="dirichlet", voltages=(1.0, 3.0))
    phi = op.solve(np.zeros(17))
    np.testing.assert_allclose(phi, 1.0 + (op.mesh[0] + 1.0) / 2.0, atol=1e-13)
    # the field of a linear potential, one-sided ends included
    np.testing.assert_allclose(op.electric_field(phi)[0], -0.5, atol=1e-12)
    # other voltages for the same operator (the weighting potential of a contact)
    np.testing.assert_allclose(op.solve(np.zeros(17), voltages=(0.0, 1.0)),
                               (op.mesh[0] + 1.0) / 4.0, atol=1e-13)


def test_dirichlet_sine_second_order():
    errs = []
    for n in (17, 33):
        op = _op(0.0, 1.0, n, boundary="dirichlet")
        x = op.mesh[0]
        errs.append(np.abs(op.solve(np.sin(np.pi * x)) - np.sin(np.pi * x) / np.pi ** 2).max())
    assert abs(_order(errs, (16, 32)) - 2.0) < 0.05


def test_mixed_dirichlet_neumann_quadratic_is_exact():
    op = _op(0.0, 1.0, 21, boundary=("dirichlet", "neumann"), permittivity=2.0)
    x = op.mesh[0]
    phi = op.solve(np.full(21, 3.0))
    np.testing.assert_allclose(phi, 3.0 * (x - x ** 2 / 2) / 2.0, atol=1e-12)
    normal_field_at_neumann_side = op.electric_field(phi)[0][-1]
    assert normal_field_at_neumann_side == 0.0


def test_pure_neumann_removes_the_mean_and_converges():
    errs = []
    for n in (17, 33):
        op = _op(0.0, 1.0, n, boundary="neumann")
        x = op.mesh[0]
        phi = op.solve(np.cos(np.pi * x) + 5.0)  # the constant is removed
        exact = np.cos(np.pi * x) / np.pi ** 2
        assert abs(np.sum(phi * op.volume)) < 1e-12
        errs.append(np.abs(phi - exact).max())
    assert abs(_order(errs, (16, 32)) - 2.0) < 0.1


def test_layered_permittivity_keeps_the_displacement_continuous():
    # eps 1 left of x = 0.5 and 4 right of it, 0 and 1 V: the flux eps_edge dphi/dx is the same
    # on every edge (eps_edge the harmonic mean of its nodes), phi linear inside each layer
    n = 21
    x = np.linspace(0.0, 1.0, n)
    eps = np.where(x < 0.5, 1.0, 4.0)
    op = _op(0.0, 1.0, n, boundary="dirichlet", voltages=(0.0, 1.0), permittivity=eps)
    phi = op.solve(np.zeros(n))
    edge = 2 * eps[:-1] * eps[1:] / (eps[:-1] + eps[1:])
    flux = edge * np.diff(phi) * (n - 1)
    np.testing.assert_allclose(flux, flux[0], rtol=1e-12)
    # series capacitors: the total drop is flux * sum(h / eps_edge)
    assert np.isclose(flux[0] * np.sum(1.0 / edge) / (n - 1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("boundary", ["periodic", ("periodic", "dirichlet")])
def test_2d_manufactured_solution_second_order(boundary):
    errs = []
    for n in (16, 32):
        nn = (n, n + 1) if boundary != "periodic" else (n, n)
        op = _op((0.0, 0.0), (1.0, 1.0), nn, boundary=boundary, permittivity=2.0)
        X, Y = np.meshgrid(*op.mesh, indexing="ij")
        exact = np.sin(2 * np.pi * X) * np.sin(np.pi * Y) if boundary != "periodic" \
            else np.sin(2 * np.pi * X) * np.cos(2 * np.pi * Y)
        lap = (4 + 1) * np.pi ** 2 if boundary != "periodic" else 8 * np.pi ** 2
        phi = op.solve(2.0 * lap * exact)
        errs.append(np.abs(phi - exact).max())
    assert abs(_order(errs, (16, 32)) - 2.0) < 0.1


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
def test_3d_manufactured_solution_second_order(boundary):
    errs = []
    for n in (8, 16):
        nn = n if boundary == "periodic" else n + 1
        op = _op((0.0,) * 3, (1.0,) * 3, (nn,) * 3, boundary=boundary)
        X, Y, Z = np.meshgrid(*op.mesh, indexing="ij")
        if boundary == "periodic":
            exact = np.sin(2 * np.pi * X) * np.cos(2 * np.pi * Y) * np.sin(2 * np.pi * Z)
            lap = 12 * np.pi ** 2
        else:
            exact = np.sin(np.pi * X) * np.sin(np.pi * Y) * np.sin(np.pi * Z)
            lap = 3 * np.pi ** 2
        errs.append(np.abs(op.solve(lap * exact) - exact).max())
    assert abs(_order(errs, (8, 16)) - 2.0) < 0.15


def test_fft_and_sparse_solvers_agree_on_a_periodic_box():
    n = 24
    rng = np.random.default_rng(3)
    rho = rng.normal(size=n)
    fft = _op(0.0, 1.0, n, permittivity=2.0)
    sparse = _op(0.0, 1.0, n, permittivity=np.full(n, 2.0))  # an array: the sparse path
    assert fft._fft and not sparse._fft
    np.testing.assert_allclose(fft.solve(rho), sparse.solve(rho), atol=1e-12)
    assert abs(fft.field_energy(fft.solve(rho))
               - 0.5 * np.sum((rho - rho.mean()) * fft.solve(rho)) / n) < 1e-12


def test_background_scalar_array_and_callable_agree():
    a = _op(0.0, 1.0, 11, boundary="dirichlet", background=lambda x: 2.0 + x)
    b = _op(0.0, 1.0, 11, boundary="dirichlet", background=2.0 + np.linspace(0, 1, 11))
    np.testing.assert_array_equal(a.background, b.background)
    c = _op((0.0, 0.0), (1.0, 2.0), (5, 6), boundary="dirichlet",
            background=lambda x, y: x * y)
    X, Y = np.meshgrid(*c.mesh, indexing="ij")
    np.testing.assert_array_equal(c.background, X * Y)


# ---------------------------------------------------------------------------- charge assignment
def _random_markers(n, d, lo, hi, seed=1, dp=None):
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, size=(n, d))
    p = np.zeros((n, dp or d))
    return pmc.Markers(x=x[:, 0] if d == 1 and dp is None else x,
                       p=p[:, 0] if d == 1 and dp is None else p, w=rng.uniform(0.5, 2.0, n))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("boundary", ["periodic", "dirichlet", "neumann"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_deposit_conserves_charge(shape, boundary, d):
    m = _random_markers(3000, d, 0.0, 1.0)
    op = _op((0.0,) * d, (1.0,) * d, (7,) * d, boundary=boundary, shape=shape, charge=-2.0,
             markers=m)
    rho = op.deposit(m)
    assert np.isclose(np.sum(rho * op.volume), -2.0 * m.total_weight, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("boundary", ["periodic", "neumann"])
def test_uniform_markers_deposit_uniformly_up_to_the_walls(shape, boundary):
    n, per = 16, 64
    op = _op(0.0, 1.0, n, boundary=boundary, shape=shape, charge=1.0)
    cells = n if boundary == "periodic" else n - 1
    x = (np.arange(cells * per) + 0.5) / (cells * per)
    m = pmc.Markers(x=x, p=np.zeros_like(x), w=np.full(x.size, 1.0 / x.size))
    rho = op.deposit(m)
    tol = 1e-12 if shape != "tsc" else 2e-4  # TSC of a discrete lattice: O(1/per^2)
    np.testing.assert_allclose(rho, 1.0, atol=tol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("d", [1, 2])
def test_no_self_force_in_a_periodic_box(shape, d):
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = rng.uniform(0.0, 1.0, size=(1, d))
        m = pmc.Markers(x=x[:, 0] if d == 1 else x, p=np.zeros(1) if d == 1 else np.zeros((1, d)),
                        w=[1.0])
        op = _op((0.0,) * d, (1.0,) * d, (16,) * d, shape=shape, charge=1.0, markers=m)
        op.update(m)
        before = m.momenta.copy()
        op.kick(m, 1.0)
        assert np.abs(m.momenta - before).max() < 1e-12 * np.abs(op.efield).max()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_forces_sum_to_zero_in_a_periodic_box(shape, d):
    m = _random_markers(2000, d, 0.0, 1.0, seed=d)
    op = _op((0.0,) * d, (1.0,) * d, (8,) * d, shape=shape, charge=-1.0, background=1.0,
             markers=m)
    op.update(m)
    force = op.interpolate(m, op.efield) * op.charge  # (d, n)
    total = (force * m.w).sum(axis=1)
    scale = (np.abs(force) * m.w).sum(axis=1)
    assert np.all(np.abs(total) < 1e-12 * scale)


def test_cic_interpolates_linear_fields_exactly():
    m = _random_markers(500, 1, 0.0, 1.0)
    op = _op(0.0, 1.0, 11, boundary="dirichlet", shape="cic", markers=m)
    np.testing.assert_allclose(op.interpolate(m, 3.0 * op.mesh[0] - 1.0), 3.0 * m.x - 1.0,
                               atol=1e-13)


def test_markers_outside_a_bounded_mesh_deposit_nothing_and_feel_nothing():
    m = pmc.Markers(x=[-0.5, 0.5, 1.5], p=[0.0, 0.0, 0.0], w=[1.0, 1.0, 1.0])
    op = _op(0.0, 1.0, 11, boundary="dirichlet", voltages=(0.0, 1.0), markers=m)
    assert np.isclose(np.sum(op.deposit(m) * op.volume), -1.0)
    op.update(m)
    op.kick(m, 1.0)
    assert m.p[0] == 0.0 and m.p[2] == 0.0 and m.p[1] != 0.0


@pytest.mark.parametrize("d", [1, 3])
def test_deposit_and_kick_are_independent_of_the_thread_count(d):
    n = 40_000
    m = _random_markers(n, d, 0.0, 1.0, seed=7)
    op = _op((0.0,) * d, (1.0,) * d, (9,) * d, shape="tsc", markers=m)
    results = []
    for k in (1, threads.available()):
        with threads.limited(numba_threads=k):
            mk = m.copy()
            rho = op.deposit(mk).copy()
            op.update(mk)
            op.kick(mk, 0.3)
            results.append((rho, mk.momenta.copy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


# ---------------------------------------------------------------------------- the driver
def _plasma(n=4000, dt=0.1, mesh=32, shape="cic", amplitude=0.02):
    L = 2 * np.pi
    x = (np.arange(n) + 0.5) * L / n
    w = L / n * (1 + amplitude * np.cos(x))
    m = pmc.Markers(x=x, p=np.zeros(n), w=w)
    field = pmc.fields.Poisson(0.0, L, mesh, charge=-1.0, background=1.0, shape=shape)
    return pmc.Simulation(H, m, dt=dt, fields=[field], boundary=pmc.Periodic(0.0, L))


def test_plasma_oscillation_energy_error_is_second_order_in_dt():
    # a fine mesh: the momentum-conserving force is not the gradient of the field energy, an
    # O((k h)^2) energy error independent of dt (Birdsall and Langdon, section 10-4)
    errs = []
    for dt in (0.4, 0.2):
        ds = _plasma(dt=dt, mesh=128).run(6.4, 0.4, progress=False)
        total = ds.energy.values + ds.field_energy.values
        errs.append(np.abs(total - total[0]).max() / ds.field_energy.values.max())
    assert abs(_order(errs, (1 / 0.4, 1 / 0.2)) - 2.0) < 0.25


def test_frames_hold_the_field_on_its_mesh():
    ds = _plasma().run(0.4, 0.2, progress=False)
    assert ds.potential.dims == ("time", "field_x")
    assert ds.electric_field.dims == ("time", "field_x")
    assert ds.field_energy.dims == ("time",)
    assert ds.field_x.size == 32 and ds.potential.attrs["units"] == "1"
    assert pmc.schema.conforms("potential", ds.potential.dims)
    # momentum is conserved by the field (to round-off)
    assert np.abs(ds.momentum.values).max() < 1e-12


def test_resume_is_bitwise_equal(tmp_path):
    whole = _plasma().run(2.0, 0.5, progress=False)
    out = tmp_path / "p.nc"
    _plasma().run(1.0, 0.5, output=out, progress=False)
    resumed = _plasma().run(2.0, 0.5, output=out, resume=True, progress=False)
    xr.testing.assert_equal(resumed, whole)


def test_collisions_and_the_yoshida_scheme_run_with_a_field():
    sim = _plasma(n=2000, mesh=128, dt=0.4)
    sim4 = pmc.Simulation(H, sim.markers, dt=0.4, fields=sim.fields, scheme="yoshida4",
                          boundary=pmc.Periodic(0.0, 2 * np.pi))
    ds2 = sim.run(3.2, 0.4, progress=False)
    ds4 = sim4.run(3.2, 0.4, progress=False)
    t2 = ds2.energy.values + ds2.field_energy.values
    t4 = ds4.energy.values + ds4.field_energy.values
    assert np.abs(t4 - t4[0]).max() < 0.2 * np.abs(t2 - t2[0]).max()
    m = sim.markers
    col = pmc.Simulation(H, m, dt=0.1, fields=sim.fields, boundary=pmc.Periodic(0, 2 * np.pi),
                         cells=pmc.Cells(0.0, 2 * np.pi, 4),
                         collisions=[pmc.collisions.ElasticIsotropic(rate=1e-3)])
    ds = col.run(1.0, 0.5, progress=False)
    assert np.isfinite(ds.field_energy.values).all()


def test_grid_solver_vlasov_poisson_conserves_energy():
    k, L = 0.5, 4 * np.pi
    x = (np.arange(32) + 0.5) * L / 32
    p = np.linspace(-6, 6, 64)
    f0 = (1 + 0.05 * np.cos(k * x))[:, None] * np.exp(-p ** 2 / 2)[None, :] / np.sqrt(2 * np.pi)
    field = pmc.fields.Poisson(x[0], x[0] + L, 32, charge=-1.0, background=1.0)
    ds = pmc.gridsolver.simulate(H, f0, grid=pmc.PhaseSpaceGrid(x=x, p=p), dt=0.1, t_end=3.0,
                                 save_every=0.5, fields=[field], boundary=pmc.Periodic(0, L),
                                 observables=["density"])
    total = ds.energy.values + ds.field_energy.values
    assert np.abs(total - total[0]).max() < 0.02 * ds.field_energy.values[0]
    assert ds.field_energy.values[-1] < ds.field_energy.values[0]  # Landau damped
    # markers and grid share the operator's solve: the same density gives the same field
    op = field.prepare(H, None, pmc.Markers(x=[0.0], p=[0.0]))
    op.set_density(f0.sum(axis=1) * (p[1] - p[0]))
    np.testing.assert_allclose(op.efield[0], ds.electric_field.values[0], atol=1e-14)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, match", [
    (dict(n=2), "n must be an integer >= 3"),
    (dict(lo=1.0, hi=1.0), "hi must be > lo"),
    (dict(boundary="wall"), "boundary must be one of"),
    (dict(boundary=("periodic", "dirichlet")), "periodic on both sides"),
    (dict(charge=None), "charge is required"),
    (dict(charge=0.0), "charge must be non-zero"),
    (dict(shape="spline"), "shape must be one of"),
    (dict(permittivity=-1.0), "permittivity must be a finite number > 0"),
    (dict(permittivity=np.ones(5)), "permittivity as an array must have the mesh's shape"),
    (dict(background=np.ones(5)), "background as an array must have the mesh's shape"),
    (dict(background=float("nan")), "background must be finite"),
    (dict(voltages=(0.0, 1.0)), "no side is 'dirichlet'"),
    (dict(boundary="dirichlet", voltages=(0.0, 1.0, 2.0)), "voltages must be"),
    (dict(lo=(0.0, 0.0), hi=(1.0,), n=8), "hi must have one entry per axis"),
    (dict(name=""), "name must be a non-empty string"),
])
def test_bad_input(kw, match):
    args = dict(lo=0.0, hi=1.0, n=8, charge=-1.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        pmc.fields.Poisson(**args)


def test_bad_use():
    field = pmc.fields.Poisson((0.0, 0.0), (1.0, 1.0), 8, charge=-1.0)
    with pytest.raises(ValueError, match="mesh has 2 axes, the markers dx=1"):
        field.prepare(H, None, pmc.Markers(x=[0.0], p=[0.0]))
    op = _op(0.0, 1.0, 8)
    with pytest.raises(ValueError, match="charge_density must have the mesh's shape"):
        op.solve(np.zeros(9))
    with pytest.raises(ValueError, match="charge_density must be finite"):
        op.solve(np.full(8, np.nan))
    with pytest.raises(ValueError, match="fields of the grid solver must be"):
        pmc.gridsolver.Simulation(H, np.ones((8, 8)), dt=0.1, fields=[object()],
                                  grid=pmc.PhaseSpaceGrid(x=np.linspace(0, 1, 8),
                                                          p=np.linspace(-1, 1, 8)))


# ---------------------------------------------------------------------------- case files
def _case(**fields):
    table = dict(model="Poisson", lo=0.0, hi=4 * np.pi, n=32, charge=-1.0, background=1.0)
    table.update(fields)
    return {"run": {"dt": 0.1, "t_end": 0.2, "save_every": 0.1, "seed": 1},
            "dispersion": {"model": "Parabolic", "mass": 1.0},
            "distribution": {"model": "Maxwellian", "n": 2000, "temperature": 1.0, "mass": 1.0,
                             "x": [0.0, 4 * np.pi]},
            "boundary": {"model": "Periodic", "lo": 0.0, "hi": 4 * np.pi},
            "fields": [table]}


def test_case_file_fields_section():
    sim, _ = pmc.config.build(_case(shape="tsc"))
    (op,) = sim.field_operators
    assert op.order == 2 and op.shape == (32,)
    sim, _ = pmc.config.build(_case(boundary=["dirichlet", "neumann"], voltages=[0.0, 1.0]))
    assert sim.fields[0].boundary == (("dirichlet", "neumann"),)
    with pytest.raises(pmc.config.CaseError, match=r"\[fields\] Poisson: shape must be one of"):
        pmc.config.build(_case(shape="quadratic"))
    with pytest.raises(pmc.config.CaseError, match="unknown"):
        pmc.config.build(_case(model="Maxwell"))


def test_2d_plasma_oscillation_through_the_driver():
    L, nx, ny = 2 * np.pi, 32, 8
    X, Y = (a.ravel() for a in np.meshgrid((np.arange(nx) + 0.5) * L / nx,
                                           (np.arange(ny) + 0.5) * L / ny, indexing="ij"))
    m = pmc.Markers(x=np.c_[X, Y], p=np.zeros((X.size, 2)),
                    w=L * L / X.size * (1 + 0.01 * np.cos(X)))
    field = pmc.fields.Poisson((0, 0), (L, L), (32, 8), charge=-1.0, background=1.0)
    sim = pmc.Simulation(H, m, dt=0.1, fields=[field], boundary=pmc.Periodic((0, 0), (L, L)))
    ds = sim.run(3.2, 1.6, progress=False)
    assert ds.potential.dims == ("time", "field_x", "field_y")
    assert np.abs(ds.electric_field_y.values).max() < 1e-12
    # E = -0.01 sin x at t = 0 (electron excess at x = 0), then E_1(t) = E_1(0) cos(omega_p t):
    # reversed after half a plasma period (cos 3.2 = -0.998)
    e1 = [2 * np.mean(e[:, 0] * np.sin(ds.field_x.values)) for e in ds.electric_field.values]
    assert abs(e1[0] + 0.01) < 1e-4 and abs(e1[-1] / e1[0] - np.cos(3.2)) < 0.02
    assert np.abs(ds.momentum.values).max() < 1e-12


def test_applied_voltage_accelerates_markers_uniformly():
    # a faint marker between Dirichlet walls at 0 and 2 V: E = -2 / L, force q E on it
    m = pmc.Markers(x=[0.3, 0.77], p=[0.0, 0.0], w=[1e-12, 1e-12])
    field = pmc.fields.Poisson(0.0, 1.0, 11, boundary="dirichlet", charge=-1.0,
                               voltages=(0.0, 2.0), shape="tsc")
    sim = pmc.Simulation(H, m, dt=0.01, fields=[field])
    sim.step(10)
    np.testing.assert_allclose(sim.markers.p, 0.1 * (-1.0) * (-2.0), rtol=1e-9)
