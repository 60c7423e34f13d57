"""Issue 15 (session 6, push4): k leapfrog steps of a linear force as one affine map.

For one axis, a parabolic band and one static uniform-field or harmonic term, a call of k >= 2
steps pushes each marker by the map M^k (push.linear_steps) unless it could meet a wall within
the k steps; those take the per-step path. Checked here:

* against exact results: a uniform field's leapfrog is exact free fall, x_k = x + k dt p / m +
  (k dt)^2 F / 2m; a harmonic term's k steps are the k-th power of the one-step leapfrog matrix
  (numpy's matrix_power, an independent evaluation) and conserve the leapfrog's modified energy
  E~ = p^2/2m + K (1 - dt^2 K / 4m) u^2 / 2 to roundings;
* against the per-step reference (push_markers) with walls that many markers cross within a
  call (periodic, reflecting): within roundings, so the wall test sent every crossing marker
  through the per-step path (a wrong one would be off by a box or a reversed momentum);
* bitwise the same on one thread and two;
* through Simulation: step(k) within roundings of k x step(1), and a run resumed from its
  checkpoint bitwise equal to the uninterrupted run (the map depends only on the steps per
  call, which a frame boundary preserves).
"""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import push as P
from pmc._kernels import threads as T
from pmc.boundaries import encode_walls

EPS = np.finfo(float).eps


def _push(kernel, H, x, p, dt, k, boundary):
    """Markers (x, p) of one axis, ``k`` steps of ``dt`` by ``kernel``; returns new (x, p)."""
    n = x.shape[0]
    nb = (n + BLOCK - 1) // BLOCK
    wk, lo, hi = encode_walls(boundary, 1)
    xx, pp = x[None, :].copy(), p[None, :].copy()
    aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
    kernel(xx, pp, np.ones(n), n, P.LEAPFROG, *H.kernel_arguments(), 0.0, 0, dt, k, wk, lo,
           hi, aw, ac, gone)
    return xx[0], pp[0]


def _tolerance(k, *scales):
    """Both paths round a few ulp per step: 64 k ulp of the largest magnitude involved."""
    return 64 * k * EPS * max(1.0, *[float(np.abs(s).max()) for s in scales])


def _markers(n, seed, lo=-5.0, hi=5.0, scale=2.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, n), rng.normal(scale=scale, size=n)


def test_uniform_field_is_exact_free_fall():
    m, F, dt, k = 1.7, 0.3, 0.05, 37
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.UniformField(F=F))
    x, p = _markers(3 * BLOCK + 17, 1)
    periodic_box = encode_walls(None, 1)[:1]  # the closed-form path applies to this case
    assert P.linear_closed_form(1, P.LEAPFROG, *H.kernel_arguments(), *periodic_box, dt, k)
    xk, pk = _push(P.push_blocks, H, x, p, dt, k, None)
    T_ = k * dt
    np.testing.assert_allclose(xk, x + T_ * p / m + T_ * T_ * F / (2 * m), rtol=0,
                               atol=_tolerance(k, x, T_ * p / m))
    np.testing.assert_allclose(pk, p + T_ * F, rtol=0, atol=_tolerance(k, p, T_ * F))


@pytest.mark.parametrize("k", [2, 9, 250])
def test_harmonic_is_the_leapfrog_matrix_power_and_keeps_the_modified_energy(k):
    m, omega, c, dt = 0.8, 1.3, 0.4, 0.11
    K = m * omega ** 2
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m),
                        pmc.potentials.Harmonic(omega=omega, mass=m, center=c))
    x, p = _markers(2 * BLOCK + 5, 2)
    xk, pk = _push(P.push_blocks, H, x, p, dt, k, None)
    a = 1 - dt * dt * K / (2 * m)
    M = np.array([[a, dt / m], [-dt * K * (1 - dt * dt * K / (4 * m)), a]])
    u, q = np.linalg.matrix_power(M, k) @ np.stack([x - c, p])
    tol = _tolerance(k, x - c, p)
    np.testing.assert_allclose(xk - c, u, rtol=0, atol=tol)
    np.testing.assert_allclose(pk, q, rtol=0, atol=tol)
    beta = K * (1 - dt * dt * K / (4 * m))
    e0 = p * p / (2 * m) + beta * (x - c) ** 2 / 2
    ek = pk * pk / (2 * m) + beta * (xk - c) ** 2 / 2
    np.testing.assert_allclose(ek, e0, rtol=64 * k * EPS)


@pytest.mark.parametrize("kind", ["uniform", "harmonic"])
@pytest.mark.parametrize("walls", ["periodic", "reflecting"])
@pytest.mark.parametrize("k", [2, 40])
def test_markers_that_meet_a_wall_take_the_per_step_path(kind, walls, k):
    """Box [-5, 5), |p| ~ 2, dt 0.05: within 40 steps most markers cross a wall, within 2 a
    few. Every marker within roundings of the per-marker reference."""
    U = (pmc.potentials.UniformField(F=-0.7) if kind == "uniform"
         else pmc.potentials.Harmonic(omega=0.6, mass=1.0, center=1.5))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), U)
    boundary = {"periodic": pmc.Periodic(-5.0, 5.0), "reflecting": pmc.Reflecting(-5.0, 5.0)}
    boundary = boundary[walls]
    x, p = _markers(4 * BLOCK + 99, 3)
    p[::13] *= 40.0  # fast markers: several boxes per step
    x[:4] = [-5.0, np.nextafter(5.0, 0.0), -5.0 + 1e-12, 5.0 - 1e-12]  # at the walls
    p[:4] = [-1e-3, 1e-3, 0.0, -0.0]
    xr_, pr_ = _push(P.push_markers, H, x, p, 0.05, k, boundary)
    xb, pb = _push(P.push_blocks, H, x, p, 0.05, k, boundary)
    tol = _tolerance(k, x, p, xr_, pr_)
    np.testing.assert_allclose(xb, xr_, rtol=0, atol=tol)
    np.testing.assert_allclose(pb, pr_, rtol=0, atol=tol)
    # the walls acted: markers whose exact unbounded flight leaves the box moved differently
    assert ((xr_ - x) * p < 0).sum() > 10
    with T.limited(numba_threads=1):
        one = _push(P.push_blocks, H, x, p, 0.05, k, boundary)
    with T.limited(numba_threads=2):
        two = _push(P.push_blocks, H, x, p, 0.05, k, boundary)
    serial = _push(P.push_blocks_serial, H, x, p, 0.05, k, boundary)
    for a, b, s in zip(one, two, serial):
        np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))
        np.testing.assert_array_equal(a.view(np.int64), s.view(np.int64))


def _simulation(potential, n=3000):
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), potential)
    x, p = _markers(n, 4, -10.0, 10.0, 1.0)
    mk = pmc.Markers(x[:, None], p[:, None])
    return pmc.Simulation(H, mk, dt=0.05, boundary=pmc.Periodic(-10.0, 10.0), seed=5)


@pytest.mark.parametrize("potential", [pmc.potentials.UniformField(F=0.2),
                                       pmc.potentials.Harmonic(omega=0.3, mass=1.0)])
def test_step_k_within_roundings_of_k_single_steps_and_resume_is_bitwise(potential, tmp_path):
    a = _simulation(potential).step(10)
    b = _simulation(potential)
    for _ in range(10):
        b.step(1)
    tol = _tolerance(10, b.markers.x, b.markers.p)
    np.testing.assert_allclose(a.markers.x, b.markers.x, rtol=0, atol=tol)
    np.testing.assert_allclose(a.markers.p, b.markers.p, rtol=0, atol=tol)
    out = tmp_path / "r.nc"
    _simulation(potential).run(1.0, 0.5, output=out, progress=False)
    resumed = _simulation(potential).run(2.0, 0.5, output=out, resume=True, progress=False)
    xr.testing.assert_equal(resumed, _simulation(potential).run(2.0, 0.5, progress=False))


def test_gas_push_flags_absorbed_markers_and_leaves_weights():
    """The gas push (pmc._kernels.walls.push_gas), an absorbing wall on x and diffuse walls on
    y, five steps in one call: the markers removed are those flagged absorbed; the others keep
    their weights; kept + absorbed weight = the initial weight; one thread and two agree."""
    M, KT, L = 6.6335e-26, 300.0 * pmc.units.K, 1e-6
    H = pmc.Hamiltonian(pmc.bands.Parabolic(M), units="si")
    boundary = (pmc.Absorbing(0.0, L), pmc.Diffuse(0.0, L, temperature=KT))
    rng = np.random.default_rng(9)
    n = 3 * BLOCK + 50
    x = rng.uniform(0.0, L, (n, 2))
    p = M * np.sqrt(KT / M) * rng.standard_normal((n, 3))
    w = rng.uniform(0.5, 2.0, n)
    results = []
    for threads in (1, 2):
        mk = pmc.Markers(x=x.copy(), p=p.copy(), w=w.copy())
        with T.limited(numba_threads=threads):
            tally = pmc.stream(mk, H, dt=1e-9, steps=5, boundary=boundary, seed=4)
        results.append((mk, tally))
    (a, ta), (b, tb) = results
    assert 0 < ta.absorbed_count < n and a.n == n - ta.absorbed_count
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert np.isin(a.w, w).all()  # the kept markers' weights, unchanged (all > 0)
    np.testing.assert_allclose(a.w.sum() + ta.absorbed_weight.sum(), w.sum(), rtol=1e-12)
