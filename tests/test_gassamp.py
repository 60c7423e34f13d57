"""The cell sampler: sums binned at mid-flight (the transported fluxes), thread-count
independence, whole-gas moments of a mixture, Simulation.window_batches and bad input."""
import functools
import math

import numpy as np
import pytest

import pmc
from pmc import sampling
from pmc._kernels import threads

KB = 1.380649e-23
AMU = 1.66053906660e-27
M_HE, M_AR = 4.0026 * AMU, 39.948 * AMU
M_ARGON, D_ARGON = 6.6335e-26, 3.66e-10


def _direct_sums(x, p, w, cell):
    """The NMOMENTS sums per cell by numpy (cell -1: left out)."""
    q = (p * p).sum(axis=1)
    cols = [w, *(w * p.T), w * p[:, 0] ** 2, w * p[:, 1] ** 2, w * p[:, 2] ** 2,
            w * p[:, 0] * p[:, 1], w * p[:, 0] * p[:, 2], w * p[:, 1] * p[:, 2],
            *(w * q * p.T)]
    ncell = cell.max() + 1
    out = np.zeros((ncell, sampling.NMOMENTS))
    ok = cell >= 0
    for k, c in enumerate(cols):
        out[:, k] = np.bincount(cell[ok], weights=c[ok], minlength=ncell)
    return out


def test_sums_are_binned_at_mid_flight_wrapped_on_periodic_axes():
    # 2-D cells, x bounded (a marker whose half flight leaves the cells is binned where it
    # starts), y periodic (wrapped): the kernel's sums equal numpy's binning of x + v h
    rng = np.random.default_rng(1)
    n, m, h = 5000, 3.0, 0.7
    x = rng.uniform(0.0, 1.0, (n, 2))
    p = m * rng.normal(0.0, 1.0, (n, 3))
    w = rng.uniform(0.5, 2.0, n)
    cells = pmc.Cells([0.0, 0.0], [1.0, 1.0], [5, 4])
    s = sampling.CellSampler(cells, mass=m, periodic=[False, True])
    s.sample(pmc.Markers(x=x, p=p, w=w), shift=h)
    sums, count = s.take()
    y = x + p[:, :2] / m * h
    ix = np.where((y[:, 0] >= 0) & (y[:, 0] < 1), y[:, 0], x[:, 0])
    iy = np.mod(y[:, 1], 1.0)
    cell = np.minimum((ix * 5).astype(int), 4) * 4 + np.minimum((iy * 4).astype(int), 3)
    assert count == 1
    np.testing.assert_allclose(sums.reshape(20, -1), _direct_sums(x, p, w, cell), rtol=1e-12,
                               atol=1e-12)
    # without a shift: the cells the markers are in; outside the cells: left out
    x[:10, 0] = 1.5
    s.sample(pmc.Markers(x=x, p=p, w=w))
    cell = np.minimum((x[:, 0] * 5).astype(int), 4) * 4 + (x[:, 1] * 4).astype(int)
    cell[:10] = -1
    np.testing.assert_allclose(s.take()[0].reshape(20, -1), _direct_sums(x, p, w, cell),
                               rtol=1e-12)


def test_sums_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(2)
    n = 300_000  # several chunks
    mk = pmc.Markers(x=rng.uniform(0, 1, (n, 3)), p=rng.normal(0, 1, (n, 3)),
                     w=rng.uniform(0.5, 2.0, n), state=rng.integers(0, 2, n))
    cells = pmc.Cells([0.0] * 3, [1.0] * 3, 6)
    out = []
    for t in (1, 2):
        s = sampling.CellSampler(cells, groups=2, mass=(1.0, 3.0), periodic=[True] * 3)
        old = threads.swap(t)
        try:
            s.sample(mk, shift=0.05)
        finally:
            threads.swap(old)
        out.append(s.take()[0])
    assert np.array_equal(out[0], out[1])


@functools.lru_cache(maxsize=1)
def _couette(seed=5):
    """Hard-sphere argon, Kn = 0.1, between diffuse plates at 250 K and 350 K moving at
    -75 and +75 m/s along y, dt = 0.5 l/c0 (a large step: sampled at the start of the free
    flights, P_xy would come out ~20 % below the wall shear). One run serves two tests."""
    n0 = 1e21
    l0 = 1.0 / (math.sqrt(2.0) * math.pi * D_ARGON ** 2 * n0)
    L, ncell, U = 10.0 * l0, 50, 150.0
    dt = 0.5 * l0 / math.sqrt(2.0 * KB * 300.0 / M_ARGON)
    per = 60
    n = per * ncell
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, L, n)
    v = math.sqrt(KB * 300.0 / M_ARGON) * rng.standard_normal((n, 3))
    v[:, 1] += U * (x / L - 0.5)
    mk = pmc.Markers(x=x[:, None], p=M_ARGON * v, w=np.full(n, n0 * L / n))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(M_ARGON), units="si")
    walls = pmc.Diffuse(0.0, L, temperature=(KB * 250.0, KB * 350.0),
                        velocity=((0.0, -0.5 * U, 0.0), (0.0, 0.5 * U, 0.0)))
    sim = pmc.Simulation(H, mk, dt=dt, boundary=walls, cells=pmc.Cells(0.0, L, ncell),
                         collisions=[pmc.collisions.Binary(pmc.collisions.HardSphere(D_ARGON))],
                         average=1000 * dt, average_batches=20, seed=seed)
    ds = sim.run(7000 * dt, 100 * dt, progress=False)
    return sim, ds, L, U


def test_sampled_fluxes_are_the_fluxes_the_walls_receive():
    # steady plane Couette flow with heat conduction: the shear P_xy and the energy flux
    # q_x + u_y P_xy are the same at every x, the cells next to the walls included, and equal
    # what the walls receive (momentum and energy conservation; the collisions' transfer
    # across a cell, 16/(45 pi) (dx/l)^2 = 0.5 %, is below the errors)
    sim, ds, L, U = _couette()
    per = sim.window_batches()

    def profiles(moments):
        P = moments["pressure_tensor"].values[..., 0, 1]
        E = moments["heat_flux"].values[..., 0] + moments["flow_velocity"].values[..., 1] * P
        return P, E
    Pc, Ec = profiles(ds.rename({k + "_mean": k for k in sampling.MOMENTS}))
    Pcb, Ecb = profiles(per)
    P, E, Pb, Eb = Pc.mean(), Ec.mean(), Pcb.mean(axis=-1), Ecb.mean(axis=-1)
    B = per.sizes["batch"]
    Pe, Ee = Pb.std(ddof=1) / math.sqrt(B), Eb.std(ddof=1) / math.sqrt(B)
    ws = ds["wall_shear_stress_mean"].values[:, 1]
    wse = ds["wall_shear_stress_mean_stderr"].values[:, 1]
    hq = ds["wall_heat_flux_mean"].values
    hqe = ds["wall_heat_flux_mean_stderr"].values
    # y momentum into the upper plate is P_xy, into the lower -P_xy; lab-frame energy into
    # the upper plate: its heat flux (wall frame) + U_w tau
    for wall, err in ((ws[1], wse[1]), (-ws[0], wse[0])):
        assert abs(P - wall) < 4.0 * math.hypot(Pe, err), (P, Pe, wall, err)
    for wall, err in ((hq[1] + 0.5 * U * ws[1], hqe[1]), (-(hq[0] - 0.5 * U * ws[0]), hqe[0])):
        assert abs(E - wall) < 4.0 * math.hypot(Ee, err), (E, Ee, wall, err)
    assert abs(P) > 30 * Pe  # the flow is resolved: a 20 % offset would fail the checks
    # each cell, the wall cells too (flights that meet a wall before their middle are binned
    # on their way back), against the profile's mean
    B = Pcb.shape[0]
    for cell, batches, mean in ((Pc, Pcb, P), (Ec, Ecb, E)):
        err = batches.std(axis=0, ddof=1) / math.sqrt(B)
        assert np.all(np.abs(cell - mean) < 4.5 * err), (cell, err)


def test_window_batches_give_the_time_averages_errors():
    sim, ds, _, _ = _couette()
    per = sim.window_batches()
    B = per.sizes["batch"]
    assert per.attrs["average_batches"] == B == 20
    for name in ("number_density", "pressure_tensor", "heat_flux"):
        err = per[name].std("batch", ddof=1).values / math.sqrt(B)
        np.testing.assert_allclose(err, ds[name + "_mean_stderr"].values, rtol=1e-10)
    assert sim.window_batches(5).sizes["batch"] == 5


def _mixture(n, seed, drift, temperature):
    rng = np.random.default_rng(seed)
    state = (rng.random(n) < 0.4).astype(np.int64)
    mass = np.where(state == 0, M_HE, M_AR)
    p = np.sqrt(mass * KB * temperature)[:, None] * rng.standard_normal((n, 3))
    p += mass[:, None] * np.asarray(drift)
    return pmc.Markers(x=rng.uniform(0, 1e-3, (n, 1)), p=p, w=rng.uniform(0.5, 2.0, n),
                       state=state), mass


def test_whole_gas_moments_of_a_mixture_are_the_mass_weighted_ones():
    # per-species drifts differ: the direct numpy moments about the mass-weighted velocity
    mk, mass = _mixture(4000, 3, (0.0, 0.0, 0.0), 300.0)
    p = mk.p.copy()
    p[mk.state == 0] += M_HE * np.array([300.0, -50.0, 20.0])
    mk = pmc.Markers(x=mk.x, p=p, w=mk.w, state=mk.state)
    cells = pmc.Cells(0.0, 1e-3, 1)
    s = sampling.CellSampler(cells, groups=2, mass=(M_HE, M_AR))
    s.sample(mk)
    sums, _ = s.take()
    got = sampling.mixture_moments(sums, cells.volume, (M_HE, M_AR))
    w, v = mk.w, mk.p / mass[:, None]
    rho = (w * mass).sum()
    u = (w * mass) @ v / rho
    c = v - u
    n = w.sum() / cells.volume
    P = np.einsum("i,ij,ik->jk", w * mass, c, c) / cells.volume
    q = 0.5 * (w * mass * (c * c).sum(axis=1)) @ c / cells.volume
    np.testing.assert_allclose(got["number_density"], n, rtol=1e-12)
    np.testing.assert_allclose(got["flow_velocity"][0], u, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(got["pressure_tensor"][0], P, rtol=1e-10, atol=1e-12 * P[0, 0])
    np.testing.assert_allclose(got["heat_flux"][0], q, rtol=1e-9, atol=1e-9 * abs(q).max())
    T = np.trace(P) / 3.0 / n
    np.testing.assert_allclose(got["translational_temperature"], T, rtol=1e-12)


def test_equilibrium_mixture_whole_gas_temperature_and_velocity():
    # He and Ar drifting together at U, Maxwellian at T, in a periodic box (no collisions:
    # each marker keeps its velocity and visits every cell alike): the cells' whole-gas T is
    # the markers' common T and their velocity the mass-weighted mean U, within the
    # batch-means errors (T and U of the drawn markers: with no collisions the draw's own
    # deviation from the 300 K and the U it was drawn at, ~1 %, never averages out); the
    # whole-gas density is the species' sum
    mk, mass = _mixture(8000, 4, (120.0, -40.0, 0.0), 300.0)
    w, v = mk.w, mk.p / mass[:, None]
    U = (w * mass) @ v / (w * mass).sum()
    T0 = (w * mass) @ ((v - U) ** 2).sum(axis=1) / (3.0 * w.sum() * KB)
    H = pmc.Hamiltonian(pmc.bands.SpeciesMasses((M_HE, M_AR), names=("He", "Ar")), units="si")
    sim = pmc.Simulation(H, mk, dt=2e-8, boundary=pmc.Periodic(0.0, 1e-3),
                         cells=pmc.Cells(0.0, 1e-3, 4), average=0.0, average_batches=10, seed=1)
    ds = sim.run(2000 * 2e-8, 50 * 2e-8, progress=False)
    T = ds["translational_temperature_mean"].values / KB
    Te = ds["translational_temperature_mean_stderr"].values / KB
    assert np.all(np.abs(T - T0) < 4.5 * Te), (T, Te)
    u = ds["flow_velocity_mean"].values
    ue = ds["flow_velocity_mean_stderr"].values
    assert np.all(np.abs(u - U) < 4.5 * ue), (u, ue)
    np.testing.assert_allclose(ds["number_density_mean"].values,
                               ds["species_number_density_mean"].values.sum(axis=0), rtol=1e-12)
    per = sim.window_batches()
    assert per["species_heat_flux"].dims[:2] == ("species", "batch")
    assert per["translational_temperature"].dims == ("batch", "cell_x")


def test_bad_input():
    cells = pmc.Cells(0.0, 1.0, 4)
    with pytest.raises(ValueError, match="mass"):
        sampling.CellSampler(cells, mass=0.0)
    with pytest.raises(ValueError, match="mass"):
        sampling.CellSampler(cells, groups=2, mass=(1.0, -1.0))
    with pytest.raises(ValueError, match="periodic"):
        sampling.CellSampler(cells, periodic=[True, False])
    with pytest.raises(ValueError, match="groups"):
        sampling.CellSampler(cells, groups=0)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(M_ARGON), units="si")
    rng = np.random.default_rng(0)
    mk = pmc.Markers(x=rng.uniform(0, 1, (100, 1)), p=rng.normal(0, 1e-23, (100, 3)),
                     w=np.ones(100))
    sim = pmc.Simulation(H, mk, dt=1e-6, boundary=pmc.Periodic(0.0, 1.0), cells=cells, seed=1)
    with pytest.raises(ValueError, match="average"):
        sim.window_batches()
    sim = pmc.Simulation(H, mk, dt=1e-6, boundary=pmc.Periodic(0.0, 1.0), cells=cells, seed=1,
                         average=0.0)
    sim.run(20e-6, 2e-6, progress=False)
    with pytest.raises(ValueError, match="batches"):
        sim.window_batches(1)
    with pytest.raises(ValueError, match="batches"):
        sim.window_batches(50)
