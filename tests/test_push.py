"""The symplectic push against exact and independent references.

- Uniform force: leapfrog is exact (x = x0 + p0 t/m + F t^2/2m, p = p0 + F t) up to round-off.
- Harmonic well: a linear map, so N leapfrog steps equal the N-th power of the one-step matrix
  K(h/2) D(h) K(h/2) (an independent computation), and one period returns the marker to its start
  within the scheme's known phase error.
- Convergence orders 2 and 4 against scipy's DOP853 at tight tolerance, also for a time-dependent
  potential.
- Energy in a Gaussian well over 10^4 steps: bounded, scaling as dt^2, no secular drift.
- Free streaming with Kane and Linear bands moves at v(p).
"""
import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import pmc
from pmc import bands, potentials as P


def _markers(x, p):
    return pmc.Markers(x=np.array(x, float), p=np.array(p, float))


def test_uniform_field_is_exact_for_leapfrog(rng):
    m, F, dt, steps = 1.3, 0.7, 0.01, 1000
    x0, p0 = rng.uniform(-1, 1, 50), rng.normal(size=50)
    mk = _markers(x0, p0)
    H = pmc.Hamiltonian(bands.Parabolic(mass=m), P.UniformField(F))
    pmc.stream(mk, H, dt=dt, steps=steps)
    t = dt * steps
    np.testing.assert_allclose(mk.p, p0 + F * t, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(mk.x, x0 + p0 * t / m + F * t ** 2 / (2 * m), rtol=1e-12,
                               atol=1e-12)


def _harmonic_map(m, omega, h, scheme):
    K = lambda a: np.array([[1.0, 0.0], [-a * m * omega ** 2, 1.0]])  # noqa: E731
    D = lambda a: np.array([[1.0, a / m], [0.0, 1.0]])  # noqa: E731
    leap = lambda a: K(a / 2) @ D(a) @ K(a / 2)  # noqa: E731
    if scheme == "leapfrog":
        return leap(h)
    w1 = 1 / (2 - 2 ** (1 / 3))
    w0 = -2 ** (1 / 3) * w1
    return leap(w1 * h) @ leap(w0 * h) @ leap(w1 * h)


@pytest.mark.parametrize("scheme", ["leapfrog", "yoshida4"])
def test_harmonic_equals_the_matrix_power_of_one_step(scheme, rng):
    m, omega, h, steps = 1.5, 0.8, 0.05, 400
    x0, p0 = rng.normal(size=20), rng.normal(size=20)
    mk = _markers(x0, p0)
    H = pmc.Hamiltonian(bands.Parabolic(mass=m), P.Harmonic(omega=omega, mass=m))
    pmc.stream(mk, H, dt=h, steps=steps, scheme=scheme)
    M = np.linalg.matrix_power(_harmonic_map(m, omega, h, scheme), steps)
    ref = M @ np.vstack([x0, p0])
    np.testing.assert_allclose(mk.x, ref[0], rtol=0, atol=1e-11)
    np.testing.assert_allclose(mk.p, ref[1], rtol=0, atol=1e-11)


@pytest.mark.parametrize("scheme, steps, bound", [
    # phase error after one period: leapfrog 2 pi (omega h)^2 / 24; Yoshida O((omega h)^4)
    ("leapfrog", 400, 2 * np.pi * (2 * np.pi / 400) ** 2 / 24),
    ("yoshida4", 100, 2 * np.pi * (2 * np.pi / 100) ** 4),
])
def test_harmonic_returns_after_one_period(scheme, steps, bound):
    omega = 1.0
    mk = _markers([1.0, 0.0], [0.0, 1.0])
    H = pmc.Hamiltonian(bands.Parabolic(mass=1.0), P.Harmonic(omega=omega))
    pmc.stream(mk, H, dt=2 * np.pi / omega / steps, steps=steps, scheme=scheme)
    err = np.hypot(mk.x - [1.0, 0.0], mk.p - [0.0, 1.0])
    assert np.all(err < 1.5 * bound), (err, bound)
    assert np.all(err > 1e-3 * bound)  # the scheme's own error is seen, not round-off


def _reference(H, x0, p0, t_end):
    def rhs(t, y):
        n = len(y) // 2
        x, p = y[:n], y[n:]
        return np.concatenate([H.velocity(p), H.force(x, t)])
    sol = solve_ivp(rhs, (0, t_end), np.concatenate([x0, p0]), method="DOP853", rtol=1e-13,
                    atol=1e-13)
    n = len(x0)
    return sol.y[:n, -1], sol.y[n:, -1]


CASES = {
    "gaussian+harmonic": P.GaussianBarrier(height=1.0, width=0.8) + P.Harmonic(omega=0.7),
    "modulated": P.GaussianBarrier(1.0, 0.8) * P.Sinusoidal(0.5, 3.0) + P.Quartic(a4=0.05),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("scheme, order, steps", [("leapfrog", 2, [40, 80, 160, 320]),
                                                  ("yoshida4", 4, [20, 40, 80, 160])])
def test_convergence_order(case, scheme, order, steps):
    H = pmc.Hamiltonian(bands.Parabolic(mass=1.0), CASES[case])
    x0 = np.array([-1.5, -0.3, 0.4, 2.0])
    p0 = np.array([1.2, 0.5, -0.8, 0.1])
    t_end = 4.0
    xr, pr = _reference(H, x0, p0, t_end)
    errors = []
    for n in steps:
        mk = _markers(x0, p0)
        pmc.stream(mk, H, dt=t_end / n, steps=n, scheme=scheme)
        errors.append(np.max(np.abs(mk.x - xr) + np.abs(mk.p - pr)))
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.15 * order / 2, (slope, errors)


def test_energy_is_bounded_without_secular_drift(rng):
    """Symplectic: the energy error oscillates at O(dt^2) and does not grow over 10^4 steps."""
    H = pmc.Hamiltonian(bands.Parabolic(mass=1.0), P.GaussianBarrier(height=-1.0, width=2.0))
    n = 2000
    x0 = rng.uniform(-3, 3, n)
    p0 = rng.normal(scale=0.6, size=n)
    E0 = H.energy(x0, p0)

    def history(dt):
        mk = _markers(x0, p0)
        err = []
        for _ in range(100):
            pmc.stream(mk, H, dt=dt, steps=100, boundary=pmc.Periodic(-30, 30))
            err.append(np.abs(H.energy(mk.x, mk.p) - E0))
        return np.array(err)  # (100 samples, n markers)

    e1 = history(0.05)
    e2 = history(0.025)
    # bounded: the typical error in the last tenth is no larger than in the second tenth
    early, late = e1[10:20].mean(), e1[90:].mean()
    assert late < 1.15 * early, (early, late)
    # second order: halving dt divides the error by 4
    ratio = e1[10:].max(axis=0).mean() / e2[10:].max(axis=0).mean()
    assert 3.5 < ratio < 4.5, ratio


@pytest.mark.parametrize("disp", [bands.Kane(mass=0.067, alpha=0.64), bands.Linear(speed=2.0),
                                  bands.Relativistic(mass=1.0, speed_of_light=2.0)],
                         ids=lambda d: type(d).__name__)
def test_free_streaming_moves_at_the_group_velocity(disp, rng):
    x0 = rng.uniform(-1, 1, 100)
    p0 = rng.normal(size=(100, 3))
    mk = pmc.Markers(x=x0, p=p0)
    H = pmc.Hamiltonian(disp)
    dt, steps = 0.01, 300
    pmc.stream(mk, H, dt=dt, steps=steps, scheme="yoshida4")
    np.testing.assert_array_equal(mk.p, p0)
    np.testing.assert_allclose(mk.x, x0 + disp.velocity(p0)[:, 0] * dt * steps, rtol=1e-12,
                               atol=1e-12)


def test_three_dimensional_push_matches_one_dimensional_per_axis(rng):
    """A separable 3D harmonic well: each axis evolves as the 1D problem does."""
    H3 = pmc.Hamiltonian(bands.Parabolic(mass=1.0), P.Harmonic(omega=1.1))
    H1 = H3
    x0, p0 = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    m3 = pmc.Markers(x=x0, p=p0)
    pmc.stream(m3, H3, dt=0.02, steps=200)
    for k in range(3):
        m1 = pmc.Markers(x=x0[:, k], p=p0[:, k])
        pmc.stream(m1, H1, dt=0.02, steps=200)
        np.testing.assert_allclose(m3.x[:, k], m1.x, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("scheme", ["leapfrog", "yoshida4"])
def test_bitwise_independent_of_threads_and_of_splitting(scheme, rng):
    H = pmc.Hamiltonian(bands.Kane(mass=1.0, alpha=0.3),
                        P.GaussianBarrier(1.0, 2.0) * P.Sinusoidal(0.3, 1.0))
    n = 3 * 4096 + 17
    x0, p0 = rng.uniform(-10, 10, n), rng.normal(size=(n, 3))
    walls = pmc.Absorbing(-10, 10)
    runs = []
    saved = numba.get_num_threads()
    try:
        for threads, chunks in ((1, [20]), (numba.config.NUMBA_NUM_THREADS, [20]),
                                (numba.config.NUMBA_NUM_THREADS, [5, 1, 14])):
            numba.set_num_threads(threads)
            mk = pmc.Markers(x=x0, p=p0)
            done, absorbed = 0, 0.0
            for c in chunks:
                tally = pmc.stream(mk, H, dt=0.05, steps=c, step0=done, boundary=walls,
                                   scheme=scheme)
                absorbed += tally.absorbed_weight.sum()
                done += c
            runs.append((mk.x.copy(), mk.p.copy(), absorbed))
    finally:
        numba.set_num_threads(saved)
    # threads: bitwise equal, same order
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]
    # splitting: absorbed markers are removed at the end of each call (moving the last markers
    # into the holes), so the order may differ; the markers themselves are bitwise equal
    assert len(runs[2][0]) == len(runs[0][0]) < n
    order0, order2 = np.argsort(runs[0][0]), np.argsort(runs[2][0])
    np.testing.assert_array_equal(runs[0][0][order0], runs[2][0][order2])
    np.testing.assert_array_equal(runs[0][1][order0], runs[2][1][order2])
    assert runs[2][2] == pytest.approx(runs[0][2], rel=1e-14)


def test_bitwise_independent_of_splitting_without_absorption(rng):
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 2.0) * P.Sinusoidal(0.3, 1.0))
    x0, p0 = rng.uniform(-10, 10, 1000), rng.normal(size=1000)
    a, b = pmc.Markers(x=x0, p=p0), pmc.Markers(x=x0, p=p0)
    pmc.stream(a, H, dt=0.05, steps=20, boundary=pmc.Periodic(-10, 10))
    for k in range(20):
        pmc.stream(b, H, dt=0.05, steps=1, step0=k, boundary=pmc.Periodic(-10, 10))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.p, b.p)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-1e-3), "dt"), (dict(dt=float("nan")), "dt"),
    (dict(dt=float("inf")), "dt"), (dict(steps=-1), "steps"), (dict(scheme="rk4"), "scheme"),
    (dict(boundary=(pmc.Periodic(0, 1), pmc.Periodic(0, 1))), "boundary"),
])
def test_bad_stream_arguments_are_named(kwargs, name):
    mk = _markers([0.5], [0.1])
    H = pmc.Hamiltonian(bands.Parabolic())
    args = dict(dt=0.1, steps=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        pmc.stream(mk, H, **args)


@pytest.mark.parametrize("make, name", [
    (lambda: pmc.Markers(x=np.zeros((3, 2)), p=np.zeros(3)), "dp"),
    (lambda: pmc.Markers(x=np.zeros(3), p=np.zeros(2)), "same number"),
    (lambda: pmc.Markers(x=[np.nan, 0.0], p=[0.0, 0.0]), "x"),
    (lambda: pmc.Markers(x=[0.0, 0.0], p=[0.0, 0.0], w=[1.0, -1.0]), "w"),
    (lambda: pmc.Markers(x=np.zeros((2, 4)), p=np.zeros((2, 4))), "shape"),
])
def test_bad_markers_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()
