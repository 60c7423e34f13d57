"""The multi-valley push (issue 16 item 1): each marker streams with its valley's velocity
(pmc._kernels.stateful), the kick is the valley-independent p += F dt, energies and moments
read the marker's valley, reflecting walls move a marker to the mirror valley; the transport
scalars (drift_velocity, position_variance, valley_population) in the frames."""
import numba
import numpy as np
import pytest

import pmc
from pmc.bands import MultiValley, Valley
from pmc.units import K, e, eV, hbar, m_e

SI = pmc.materials.get("Si", temperature=300 * K)
GE = pmc.materials.get("Ge", temperature=300 * K)


def _markers(band, n_per_valley, seed, scale=3e-26, x=None):
    rng = np.random.default_rng(seed)
    nv = len(band)
    n = n_per_valley * nv
    p = rng.normal(size=(n, 3)) * scale
    state = np.repeat(np.arange(nv), n_per_valley)
    if x is None:
        x = np.zeros((n, 3))
    return pmc.Markers(x=x, p=p, state=state)


def _pushed(H, markers, dt, steps, boundary=None, scheme="leapfrog"):
    m = markers.copy()
    pmc.streaming.stream(m, H, dt, steps, boundary=boundary, scheme=scheme)
    return m


def test_free_drift_in_each_silicon_valley_is_the_valley_velocity():
    # v = T^T T p / (m_d (1 + 2 alpha eps)): the numpy velocity of pmc.bands (independent code)
    H = pmc.Hamiltonian(SI.band, hbar=hbar)
    mk = _markers(SI.band, 50, seed=1)
    dt, steps = 1e-15, 7
    out = _pushed(H, mk, dt, steps)
    v = SI.band.velocity(mk.momenta, valley=mk.state)
    np.testing.assert_allclose(out.positions, steps * dt * v, rtol=1e-12,
                               atol=1e-12 * np.abs(steps * dt * v).max())
    np.testing.assert_array_equal(out.momenta, mk.momenta)
    np.testing.assert_array_equal(out.state, mk.state)
    # the velocity of an X1 marker (axis x) along x is p_x / (m_l (1 + 2 alpha eps)), across it
    # p / (m_t (...)): the ellipsoid, not the isotropic Kane band
    x1 = mk.state == 0
    ml, mt, mt2 = SI.band.valleys[0].masses
    eps = SI.band.energy(mk.momenta[x1], valley=0)
    f = 1 + 2 * SI.band.valleys[0].alpha * eps
    np.testing.assert_allclose(v[x1, 0], mk.momenta[x1, 0] / (ml * f), rtol=1e-12)
    np.testing.assert_allclose(v[x1, 1], mk.momenta[x1, 1] / (mt * f), rtol=1e-12)


def test_uniform_field_kick_does_not_depend_on_the_valley():
    F = 1e6 * e
    H = pmc.Hamiltonian(SI.band, pmc.potentials.UniformField((F, 0.0, 0.0)), hbar=hbar)
    mk = _markers(SI.band, 20, seed=2)
    dt, steps = 1e-15, 10
    out = _pushed(H, mk, dt, steps)
    np.testing.assert_allclose(out.momenta[:, 0], mk.momenta[:, 0] + steps * dt * F,
                               rtol=1e-12, atol=1e-40)
    np.testing.assert_array_equal(out.momenta[:, 1:], mk.momenta[:, 1:])


def _harmonic(band):
    k = m_e * (2e13) ** 2  # a trap of angular frequency ~ 2e13 / s
    return pmc.Hamiltonian(band, pmc.potentials.Harmonic(omega=2e13, mass=m_e), hbar=hbar), k


@pytest.mark.parametrize("scheme,order", [("leapfrog", 2), ("yoshida4", 4)])
def test_energy_conservation_and_order_in_a_static_potential(scheme, order):
    H, _ = _harmonic(SI.band)
    mk = _markers(SI.band, 10, seed=3, scale=2e-26, x=np.random.default_rng(4).normal(
        size=(30, 3)) * 2e-9)
    E0 = H.energy(mk.positions, mk.momenta, state=mk.state)
    T = 2e-13
    errs = []
    for dt in (T / 80, T / 160):
        out = _pushed(H, mk, dt, int(round(T / dt)), scheme=scheme)
        errs.append(np.abs(H.energy(out.positions, out.momenta, state=out.state) - E0).max())
    spread = np.abs(E0 - H.energy(mk.positions, mk.momenta, state=mk.state)).max()
    assert spread == 0.0
    assert errs[0] < 1e-2 * np.abs(E0).max()
    # the energy error of a symplectic integrator of order k falls as dt^k
    assert 2 ** order * 0.7 < errs[0] / errs[1] < 2 ** order * 1.4


def test_order_of_the_trajectory():
    H, _ = _harmonic(SI.band)
    mk = _markers(SI.band, 5, seed=5, scale=2e-26, x=np.full((15, 3), 1e-9))
    T = 1e-13
    ref = _pushed(H, mk, T / 640, 640, scheme="yoshida4")
    err = [np.abs(_pushed(H, mk, T / n, n).positions - ref.positions).max() for n in (40, 80)]
    assert 4 * 0.8 < err[0] / err[1] < 4 * 1.25


def test_thread_count_independence():
    H = pmc.Hamiltonian(SI.band, pmc.potentials.UniformField((1e6 * e, 2e5 * e, 0.0)),
                        hbar=hbar)
    mk = _markers(SI.band, 3000, seed=6)  # 18000 markers: several blocks, the parallel kernel
    before = numba.get_num_threads()
    try:
        outs = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            outs.append(_pushed(H, mk, 1e-15, 5))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(outs[0].positions, outs[1].positions)
    np.testing.assert_array_equal(outs[0].momenta, outs[1].momenta)


def test_mirror_valleys():
    np.testing.assert_array_equal(SI.band.mirror_states(), np.repeat(np.arange(3), 3).reshape(3, 3))
    mirror = GE.band.mirror_states()
    assert (mirror >= 0).all()
    for a in range(3):
        np.testing.assert_array_equal(mirror[mirror[:, a], a], np.arange(4))  # an involution
        assert (mirror[:, a] != np.arange(4)).all()  # <111> ellipsoids change under x -> -x
    tilted = MultiValley([Valley.ellipsoid("A", 1.0 * m_e, 0.2 * m_e, axis=(1, 1, 0))])
    assert (tilted.mirror_states()[:, :2] < 0).all() and tilted.mirror_states()[0, 2] == 0


@pytest.mark.parametrize("material", [SI, GE], ids=["Si", "Ge"])
def test_reflecting_walls_conserve_energy_through_the_mirror_valley(material):
    band = material.band
    H = pmc.Hamiltonian(band, hbar=hbar)
    rng = np.random.default_rng(7)
    n = 40 * len(band)
    mk = _markers(band, 40, seed=8, x=rng.uniform(0, 1e-8, size=(n, 3)))
    walls = tuple(pmc.Reflecting(0.0, 1e-8) for _ in range(3))
    out = _pushed(H, mk, 2e-15, 200, boundary=walls)
    assert ((out.positions >= 0) & (out.positions < 1e-8)).all()
    E0 = band.energy(mk.momenta, valley=mk.state)
    np.testing.assert_allclose(band.energy(out.momenta, valley=out.state), E0, rtol=1e-12)
    if material is GE:
        assert (out.state != mk.state).any()
    # periodic walls keep the valley
    per = tuple(pmc.Periodic(0.0, 1e-8) for _ in range(3))
    out = _pushed(H, mk, 2e-15, 200, boundary=per)
    np.testing.assert_array_equal(out.state, mk.state)
    assert ((out.positions >= 0) & (out.positions < 1e-8)).all()


def test_reflecting_wall_without_a_mirror_valley_is_refused():
    band = MultiValley([Valley.ellipsoid("A", 1.0 * m_e, 0.2 * m_e, axis=(1, 1, 0))])
    H = pmc.Hamiltonian(band, hbar=hbar)
    mk = pmc.Markers(x=np.full(4, 0.5), p=np.zeros((4, 3)), state=np.zeros(4, int))
    with pytest.raises(ValueError, match="mirror"):
        pmc.streaming.stream(mk, H, 1e-15, 1, boundary=pmc.Reflecting(0.0, 1.0))
    pmc.streaming.stream(mk, H, 1e-15, 1, boundary=pmc.Periodic(0.0, 1.0))


def test_states_are_required_and_checked():
    H = pmc.Hamiltonian(SI.band, hbar=hbar)
    no_state = pmc.Markers(x=np.zeros(4), p=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="state"):
        pmc.Simulation(H, no_state, dt=1e-15).step(1)
    with pytest.raises(ValueError, match="state is required"):
        H.energy(np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"state must lie in 0\.\.2"):
        H.energy(np.zeros(4), np.zeros((4, 3)), state=3)
    bad = pmc.Markers(x=np.zeros(4), p=np.zeros((4, 3)), state=np.full(4, 5))
    with pytest.raises(ValueError, match=r"states must lie in 0\.\.2"):
        pmc.streaming.stream(bad, H, 1e-15, 1)


def test_frames_hold_the_transport_scalars_and_the_state_aware_energy():
    H = pmc.Hamiltonian(SI.band, pmc.potentials.UniformField(1e6 * e), hbar=hbar)
    mk = pmc.sample(SI.equilibrium(x=(-1e-7, 1e-7)), 3000, seed=9)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-1e-6, 1e-6, 3), p=np.linspace(-1e-24, 1e-24, 3))
    sim = pmc.Simulation(H, mk, dt=2e-15, grid=grid, observables=["mean_velocity",
                         "energy_density"], seed=9)
    ds = sim.run(t_end=2e-14, save_every=1e-14)
    m = sim.markers
    E = H.energy(m.positions, m.momenta, t=sim.time, state=m.state)
    assert ds.energy.values[-1] == pytest.approx(np.sum(m.w * E), rel=1e-12)
    v = SI.band.velocity(m.momenta, valley=m.state)
    np.testing.assert_allclose(ds.drift_velocity.values[-1], m.w @ v / m.w.sum(), rtol=1e-12)
    pop = np.bincount(m.state, weights=m.w, minlength=3) / m.w.sum()
    np.testing.assert_allclose(ds.valley_population.values[-1], pop, rtol=1e-12)
    assert list(ds.valley.values) == list(SI.band.names)
    x = m.positions.reshape(-1)
    var = np.average((x - np.average(x, weights=m.w)) ** 2, weights=m.w)
    assert ds.position_variance.values[-1, 0] == pytest.approx(var, rel=1e-10)
    # the grid moments, weighted by the cells' weights, give the same mean velocity
    cell_v = ds.mean_velocity.isel(time=-1).values
    centers = ds.x.values
    h = centers[1] - centers[0]
    edges = np.append(centers - h / 2, centers[-1] + h / 2)
    w_cells = np.histogram(x, bins=edges, weights=m.w)[0]
    assert w_cells.sum() == pytest.approx(m.w.sum())
    np.testing.assert_allclose(np.nansum(cell_v * w_cells) / w_cells.sum(),
                               ds.drift_velocity.values[-1, 0], rtol=1e-10)


def test_band_energy_is_the_energy_without_the_potential():
    H = pmc.Hamiltonian(SI.band, pmc.potentials.UniformField(1e6 * e), hbar=hbar)
    mk = pmc.sample(SI.equilibrium(), 500, seed=10)
    sim = pmc.Simulation(H, mk, dt=2e-15, seed=1)
    ds = sim.run(t_end=4e-15, save_every=2e-15)
    m = sim.markers
    want = np.sum(m.w * SI.band.energy(m.momenta, valley=m.state))
    assert ds.band_energy.values[-1] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("scheme", ["leapfrog", "yoshida4"])
@pytest.mark.parametrize("walls", ["reflecting", "periodic", "absorbing"])
def test_blocked_push_is_bitwise_the_per_marker_push(scheme, walls):
    from pmc._kernels import BLOCK
    from pmc._kernels import push as P
    from pmc.boundaries import encode_walls
    band = GE.band
    H = pmc.Hamiltonian(band, pmc.potentials.Harmonic(omega=2e13, mass=m_e), hbar=hbar)
    n = BLOCK + 300  # two blocks, a partial sub-block
    rng = np.random.default_rng(11)
    mk = _markers(band, n // 4 + 1, seed=12, x=rng.uniform(-4e-9, 4e-9, size=(4 * (n // 4 + 1), 3)))
    kind = {"reflecting": pmc.Reflecting, "periodic": pmc.Periodic,
            "absorbing": pmc.Absorbing}[walls]
    boundary = tuple(kind(-5e-9, 5e-9) for _ in range(3))
    wkind, lo, hi = encode_walls(boundary, 3)
    mirror = np.ascontiguousarray(band.mirror_states())
    outs = []
    for kernel in (P.push_states, P.push_states_markers):
        m = mk.copy()
        x, p, w, state = m.kernel_arrays()
        nb = (m.n + BLOCK - 1) // BLOCK
        aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(m.n, np.uint8)
        kernel(x, p, w, state, mirror, m.n, pmc.streaming.SCHEMES[scheme],
               *H.kernel_arguments(), 0.0, 3, 2e-15, 40, wkind, lo, hi, aw, ac, gone)
        outs.append((x.copy(), p.copy(), w.copy(), state.copy(), aw.copy(), ac.copy(),
                     gone.copy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    if walls == "reflecting":
        assert (outs[0][3][:mk.n] != mk.state).any()
    if walls == "absorbing":
        assert outs[0][5].sum() > 0 and outs[0][6].sum() == outs[0][5].sum()
        assert (outs[0][2][:mk.n] == mk.w[:mk.n]).all()  # weights untouched


@pytest.mark.parametrize("name", ["Si", "GaAs", "Ge"])
def test_tabulated_majorant_bounds_every_total_rate(name):
    from pmc._kernels import valleys as V
    from pmc._kernels.scatter import energy_band
    mat = pmc.materials.get(name)
    H = pmc.Hamiltonian(mat.band, hbar=hbar)
    mk = pmc.sample(mat.equilibrium(), 10, seed=1)
    op = mat.collisions()[0].prepare(H, pmc.Cells((0.0,), (1.0,), (1,)), mk)
    vkinds, tabs, targets, cum, vb = op._code
    rng = np.random.default_rng(13)
    eps = np.concatenate([rng.uniform(0, 3, 20000), rng.exponential(0.05, 20000)]) * eV
    for v in range(len(mat.band)):
        r = V.total_rates(vkinds, tabs, targets, vb, v, 3, hbar, eps, np.empty(eps.size))
        bands = np.array([energy_band(x, op._inv_ref) for x in eps])
        bound = op._majorant[v, bands]
        assert (r <= bound).all()
        assert np.median(bound / np.maximum(r, 1e-300)) < 1.6  # a tight bound: few null events
