"""Dispersions, potentials and the Hamiltonian: each formula against an independent evaluation
(finite differences of the energy for v = d eps/dp and F = -grad U, closed forms, limits)."""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import bands, potentials as P

DISPERSIONS = [
    bands.Parabolic(mass=1.7),
    bands.Kane(mass=0.3, alpha=0.8),
    bands.Linear(speed=2.5),
    bands.TightBinding(hopping=0.7, lattice_constant=1.3),
    bands.Relativistic(mass=0.9, speed_of_light=3.0),
]


def _central_gradient(fun, points, h):
    """d fun / d points[:, j] by 4th-order central differences; points (n, d)."""
    grads = np.empty_like(points)
    for j in range(points.shape[1]):
        e = np.zeros(points.shape[1])
        e[j] = h
        grads[:, j] = (-fun(points + 2 * e) + 8 * fun(points + e) - 8 * fun(points - e)
                       + fun(points - 2 * e)) / (12 * h)
    return grads


@pytest.mark.parametrize("disp", DISPERSIONS, ids=lambda d: type(d).__name__)
@pytest.mark.parametrize("dp", [1, 3])
def test_velocity_is_the_gradient_of_the_energy(disp, dp, rng):
    p = rng.normal(size=(200, dp))
    p = p[np.linalg.norm(p, axis=1) > 1e-2]  # away from the cone point of Linear
    v = disp.velocity(p, hbar=1.0)
    ref = _central_gradient(lambda q: disp.energy(q, hbar=1.0), p, 1e-4)
    np.testing.assert_allclose(v, ref, rtol=1e-7, atol=1e-8)


def test_one_dimensional_shapes_round_trip():
    p = np.linspace(-2, 2, 7)
    disp = bands.Parabolic(mass=2.0)
    assert disp.energy(p).shape == (7,)
    assert disp.velocity(p).shape == (7,)
    np.testing.assert_allclose(disp.velocity(p), p / 2.0, rtol=0, atol=0)
    np.testing.assert_allclose(disp.energy(p), p ** 2 / 4.0, rtol=1e-15)


def test_kane_energy_solves_its_defining_relation(rng):
    m, alpha = 0.067, 0.64
    p = rng.normal(size=(500, 3)) * 0.5
    eps = bands.Kane(mass=m, alpha=alpha).energy(p)
    np.testing.assert_allclose(eps * (1 + alpha * eps), (p ** 2).sum(1) / (2 * m), rtol=1e-13)


def test_kane_with_zero_alpha_is_parabolic(rng):
    p = rng.normal(size=(50, 3))
    np.testing.assert_allclose(bands.Kane(mass=2.0, alpha=0.0).energy(p),
                               bands.Parabolic(mass=2.0).energy(p), rtol=1e-15)


def test_relativistic_limits():
    d = bands.Relativistic(mass=2.0, speed_of_light=10.0)
    small = np.array([1e-3])
    np.testing.assert_allclose(d.energy(small), small ** 2 / 4.0, rtol=1e-9)
    big = np.array([1e6])
    np.testing.assert_allclose(d.energy(big), 10.0 * big - 2.0 * 100.0, rtol=1e-9)
    assert np.all(np.abs(d.velocity(np.array([-1e9, 1e9]))) < 10.0)


def test_tight_binding_is_periodic_with_bottom_mass():
    J, a, hbar = 0.5, 2.0, 1.3
    d = bands.TightBinding(hopping=J, lattice_constant=a)
    period = 2 * np.pi * hbar / a
    p = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(d.energy(p + period, hbar=hbar), d.energy(p, hbar=hbar),
                               atol=1e-12)
    m_eff = hbar ** 2 / (2 * J * a ** 2)
    q = np.array([1e-4])
    np.testing.assert_allclose(d.energy(q, hbar=hbar), q ** 2 / (2 * m_eff), rtol=1e-6)


def test_linear_speed_is_constant(rng):
    p = rng.normal(size=(100, 3))
    v = bands.Linear(speed=3.0).velocity(p)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 3.0, rtol=1e-14)


GRID_X = np.linspace(-20.0, 20.0, 1601)
POTENTIALS = [
    P.Harmonic(omega=1.3, mass=2.0, center=0.4),
    P.Quartic(a4=0.1, a2=-1.0, center=0.2),
    P.GaussianBarrier(height=1.5, width=2.0, center=-0.5),
    P.Eckart(height=0.8, width=1.5, center=1.0),
    P.Step(height=-0.6, width=0.7, center=0.3),
    P.Periodic(amplitude=0.4, period=3.0, phase=0.2),
    P.UniformField(0.3),
    P.Gridded(GRID_X, np.exp(-GRID_X ** 2 / 8.0)),
    P.GaussianBarrier(1.0, 2.0) + P.UniformField(0.1) + P.Harmonic(omega=0.2),
    P.GaussianBarrier(1.0, 2.0) * P.Sinusoidal(amplitude=0.5, angular_frequency=2.0),
]


@pytest.mark.parametrize("pot", POTENTIALS, ids=lambda p: type(p).__name__)
def test_force_is_minus_the_gradient(pot, rng):
    x = rng.uniform(-5, 5, size=(300, 1))
    t = 0.37
    f = pot.force(x, t)
    ref = -_central_gradient(lambda y: pot.potential(y, t), x, 1e-4)
    np.testing.assert_allclose(f, ref, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("pot", POTENTIALS[:2] + [P.UniformField([0.1, -0.2, 0.3])],
                         ids=lambda p: type(p).__name__)
def test_force_is_minus_the_gradient_in_three_dimensions(pot, rng):
    x = rng.uniform(-2, 2, size=(100, 3))
    ref = -_central_gradient(lambda y: pot.potential(y), x, 1e-4)
    np.testing.assert_allclose(pot.force(x), ref, rtol=1e-6, atol=1e-8)


def test_closed_forms():
    x = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_allclose(P.Harmonic(omega=2.0, mass=3.0).potential(x), 6.0 * x ** 2,
                               rtol=1e-15)
    np.testing.assert_allclose(P.GaussianBarrier(height=2.0, width=0.5).potential(x),
                               2.0 * np.exp(-x ** 2 / 0.5), rtol=1e-15)
    np.testing.assert_allclose(P.UniformField(0.5).potential(x), -0.5 * x, rtol=1e-15)
    np.testing.assert_allclose(P.Eckart(1.0, 1.0).potential(x), 1 / np.cosh(x) ** 2, rtol=1e-14)
    np.testing.assert_allclose(P.Step(2.0, 1.0).potential(x), 1 + np.tanh(x), rtol=1e-14)
    np.testing.assert_allclose(P.Periodic(1.0, 2 * np.pi).potential(x), np.cos(x), rtol=1e-14)


def test_sum_and_modulation_compose():
    x = np.linspace(-3, 3, 13)
    a, b = P.GaussianBarrier(1.0, 2.0), P.UniformField(0.2)
    np.testing.assert_allclose((a + b).potential(x), a.potential(x) + b.potential(x),
                               rtol=1e-15)
    mod = a * P.Sinusoidal(amplitude=0.5, angular_frequency=2.0, phase=0.1)
    assert mod.time_dependent and not a.time_dependent
    t = 0.8
    np.testing.assert_allclose(mod.potential(x, t),
                               (1 + 0.5 * np.sin(2.0 * t + 0.1)) * a.potential(x), rtol=1e-14)
    ramp = a * P.Ramp(duration=2.0)
    np.testing.assert_allclose(ramp.potential(x, 0.5), 0.25 * a.potential(x), rtol=1e-15)
    np.testing.assert_allclose(ramp.potential(x, 3.0), a.potential(x), rtol=1e-15)
    table = a * P.TimeTable(t=[0.0, 1.0, 2.0], values=[0.0, 2.0, 1.0])
    np.testing.assert_allclose(table.potential(x, 1.5), 1.5 * a.potential(x), rtol=1e-14)
    np.testing.assert_allclose(table.potential(x, 9.0), a.potential(x), rtol=1e-15)
    both = (a + b) * P.Ramp(duration=1.0)
    np.testing.assert_allclose(both.potential(x, 0.5), 0.5 * (a + b).potential(x), rtol=1e-14)


def test_gridded_spline_converges_at_fourth_order():
    errors = []
    xs = np.linspace(-6, 6, 1001)
    for n in (101, 201, 401):
        g = np.linspace(-12, 12, n)
        pot = P.Gridded(g, np.exp(-g ** 2 / 8.0), ends="natural")
        errors.append(np.max(np.abs(pot.potential(xs) - np.exp(-xs ** 2 / 8.0))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.7), orders


def test_gridded_force_is_continuous_everywhere():
    g = np.linspace(-5, 5, 41)
    pot = P.Gridded(g, np.sin(g) + 0.1 * g ** 2)
    eps = 1e-9
    edges = np.concatenate([g, [g[0] - 1.0, g[-1] + 1.0]])
    left = pot.force(edges - eps)
    right = pot.force(edges + eps)
    np.testing.assert_allclose(left, right, atol=1e-6)


def test_gridded_from_dataarray_equals_arrays():
    g = np.linspace(0, 1, 11)
    da = xr.DataArray(g ** 2, coords={"x": g}, dims="x")
    x = np.linspace(-0.5, 1.5, 9)
    np.testing.assert_array_equal(P.Gridded(da).potential(x), P.Gridded(g, g ** 2).potential(x))


@pytest.mark.parametrize("make, name", [
    (lambda: bands.Parabolic(mass=0.0), "mass"),
    (lambda: bands.Parabolic(mass=-1.0), "mass"),
    (lambda: bands.Kane(mass=1.0, alpha=-0.1), "alpha"),
    (lambda: bands.Linear(speed=float("nan")), "speed"),
    (lambda: P.Harmonic(omega=1.0, mass=0.0), "mass"),
    (lambda: P.GaussianBarrier(height=1.0, width=0.0), "width"),
    (lambda: P.Gridded([0.0, 1.0, 2.0], [0.0, np.nan, 1.0]), "values"),
    (lambda: P.Gridded([0.0, 1.0, 2.0], [0.0, np.inf, 1.0]), "values"),
    (lambda: P.Gridded([0.0], [1.0]), "x"),
    (lambda: P.Gridded([0.0, 1.0, 3.0], [0.0, 1.0, 1.0]), "x"),
    (lambda: pmc.Hamiltonian(bands.Parabolic(), hbar=0.0), "hbar"),
])
def test_bad_parameters_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_hamiltonian_energy_and_dimensions():
    H = pmc.Hamiltonian(bands.Parabolic(mass=2.0), P.Harmonic(omega=1.0, mass=2.0))
    np.testing.assert_allclose(H.energy(x=[1.0, 2.0], p=[2.0, 0.0]), [2.0, 4.0], rtol=1e-15)
    with pytest.raises(ValueError, match="dp"):
        H.energy(x=np.zeros((3, 2)), p=np.zeros(3))
