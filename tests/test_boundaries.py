"""Walls against exact free-streaming solutions, and the injected flux of a reservoir against its
closed form n sigma (exp(-a^2/2)/sqrt(2 pi) + a (1 + erf(a/sqrt 2))/2)."""
import math

import numpy as np
import pytest
from numba import njit
from scipy import special, stats

import pmc
from pmc import bands
from pmc._kernels.inject import flux_normal_speed
from pmc._kernels.rng import stream_key

FREE = pmc.Hamiltonian(bands.Parabolic(mass=1.0))


def _free(n, rng, lo=-1.0, hi=1.0, speed=3.0):
    return rng.uniform(lo, hi, n), rng.normal(scale=speed, size=n)


def test_periodic_wraps_exactly(rng):
    x0, p0 = _free(500, rng)
    mk = pmc.Markers(x=x0, p=p0)
    dt, steps = 0.01, 250
    pmc.stream(mk, FREE, dt=dt, steps=steps, boundary=pmc.Periodic(-1.0, 1.0))
    expected = -1.0 + np.mod(x0 + p0 * dt * steps + 1.0, 2.0)
    d = np.abs(mk.x - expected)
    d = np.minimum(d, 2.0 - d)  # the same point seen from either side of the seam
    assert d.max() < 1e-11
    assert np.all((mk.x >= -1.0) & (mk.x < 1.0))
    np.testing.assert_array_equal(mk.p, p0)


def test_reflecting_unfolds_to_free_motion(rng):
    x0, p0 = _free(500, rng)
    mk = pmc.Markers(x=x0, p=p0)
    dt, steps, L = 0.01, 250, 2.0
    pmc.stream(mk, FREE, dt=dt, steps=steps, boundary=pmc.Reflecting(-1.0, 1.0))
    y = np.mod(x0 + p0 * dt * steps + 1.0, 2 * L)
    folded = y >= L
    np.testing.assert_allclose(mk.x, -1.0 + np.where(folded, 2 * L - y, y), atol=1e-11)
    np.testing.assert_array_equal(mk.p, np.where(folded, -p0, p0))


def test_absorbing_tallies_the_weight_per_side(rng):
    n = 2000
    x0, p0 = _free(n, rng)
    w = rng.uniform(0.5, 1.5, n)
    mk = pmc.Markers(x=x0, p=p0, w=w)
    dt, steps = 0.01, 40
    tally = pmc.stream(mk, FREE, dt=dt, steps=steps, boundary=pmc.Absorbing(-1.0, 1.0))
    xe = x0 + p0 * dt * steps
    # a marker is absorbed at the first step end outside the box; with free motion that is the
    # last step's position unless it crossed and came back, which free motion cannot do
    left, right = xe < -1.0, xe >= 1.0
    assert tally.absorbed_count == left.sum() + right.sum()
    np.testing.assert_allclose(tally.absorbed_weight[0], [w[left].sum(), w[right].sum()],
                               rtol=1e-12)
    keep = ~(left | right)
    np.testing.assert_allclose(np.sort(mk.x), np.sort(xe[keep]), rtol=0, atol=1e-13)
    assert mk.n == keep.sum()
    assert mk.total_weight == pytest.approx(w[keep].sum(), rel=1e-12)


def test_absorbing_per_axis_in_two_dimensions(rng):
    n = 1000
    x0 = rng.uniform(0, 1, (n, 2))
    p0 = rng.normal(size=(n, 2))
    mk = pmc.Markers(x=x0, p=p0)
    tally = pmc.stream(mk, FREE, dt=0.1, steps=1,
                       boundary=(pmc.Absorbing(0, 1), pmc.Periodic(0, 1)))
    xe = x0 + 0.1 * p0
    np.testing.assert_allclose(tally.absorbed_weight[0],
                               [(xe[:, 0] < 0).sum() / n, (xe[:, 0] >= 1).sum() / n], rtol=1e-12)
    np.testing.assert_array_equal(tally.absorbed_weight[1], [0.0, 0.0])
    assert np.all((mk.x[:, 1] >= 0) & (mk.x[:, 1] < 1))


@njit
def _draw_speeds(a, n, seed):
    out = np.empty(n)
    for i in range(n):
        out[i] = flux_normal_speed(stream_key(seed, 7, i), a)
    return out


def _flux_cdf(s, a):
    """CDF of s exp(-(s-a)^2/2) on s > 0 (closed form)."""
    def prim(y):  # integral of (y + a) exp(-y^2/2) dy
        return -np.exp(-y ** 2 / 2) + a * np.sqrt(np.pi / 2) * special.erf(y / np.sqrt(2))
    z = np.exp(-a ** 2 / 2) + a * np.sqrt(np.pi / 2) * (1 + special.erf(a / np.sqrt(2)))
    return (prim(s - a) - prim(-a)) / z


@pytest.mark.parametrize("a", [-1.5, -0.3, 0.0, 0.7, 2.5])
def test_injected_normal_speeds_follow_the_flux_distribution(a):
    s = _draw_speeds(a, 20000, 11)
    assert np.all(s > 0)
    assert stats.kstest(s, lambda v: _flux_cdf(v, a)).pvalue > 1e-4


@pytest.mark.parametrize("drift", [0.0, 0.5, -0.4])
def test_injected_flux_matches_the_closed_form(drift):
    res = pmc.Reservoir(density=50.0, temperature=1.3, mass=1.0, weight=0.01, drift=drift)
    box = pmc.Injecting(0.0, 100.0, left=res, right=res)
    mk = pmc.Markers(x=np.empty(0), p=np.empty((0, 3)))
    dt, steps = 0.01, 200
    tally = pmc.stream(mk, FREE, dt=dt, steps=steps, boundary=box, seed=3)
    sigma = math.sqrt(1.3)
    for side, direction in ((0, 1.0), (1, -1.0)):
        a = direction * drift / sigma
        flux = 50.0 * sigma * (math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
                               + a / 2 * (1 + math.erf(a / math.sqrt(2))))
        expected = flux * dt * steps / 0.01  # markers
        got = tally.injected_weight[side] / 0.01
        assert abs(got - expected) < 5 * math.sqrt(expected), (side, got, expected)
    assert mk.n == tally.injected_count - tally.absorbed_count
    # entering markers move inwards from their wall
    left = mk.x < 50
    assert np.all(mk.p[left, 0] > 0) and np.all(mk.p[~left, 0] < 0)
    # tangential momenta are thermal
    assert abs(np.var(mk.p[:, 1]) / 1.3 - 1) < 5 * math.sqrt(2 / mk.n)


def test_injection_is_reproducible_from_the_seed():
    res = pmc.Reservoir(density=10.0, temperature=1.0, mass=1.0, weight=0.1)
    runs = []
    for seed in (5, 5, 6):
        mk = pmc.Markers(x=np.empty(0), p=np.empty(0))
        pmc.stream(mk, FREE, dt=0.01, steps=50, boundary=pmc.Injecting(0, 10, left=res),
                   seed=seed)
        runs.append(mk.x.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0].shape != runs[2].shape or not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("make, name", [
    (lambda: pmc.Periodic(1.0, 1.0), "hi"),
    (lambda: pmc.Absorbing(0.0, float("nan")), "hi"),
    (lambda: pmc.Reservoir(density=-1.0), "density"),
    (lambda: pmc.Reservoir(temperature=0.0), "temperature"),
    (lambda: pmc.Injecting(0.0, 1.0, left="hot"), "left"),
])
def test_bad_boundaries_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_reservoir_needs_the_band_mass():
    res = pmc.Reservoir(mass=2.0)
    mk = pmc.Markers(x=np.empty(0), p=np.empty(0))
    with pytest.raises(ValueError, match="mass"):
        pmc.stream(mk, FREE, dt=0.1, steps=1, boundary=pmc.Injecting(0, 1, left=res))


def test_contact_keeps_a_closed_box_at_the_reservoir_density():
    """A reservoir behind the left wall, a reflecting right wall: a box holding the reservoir's
    own equilibrium (density n, temperature T) is stationary, so the expected number of markers
    stays n L / weight at every time; each replica's count is Poisson about it."""
    res = pmc.Reservoir(density=400.0, temperature=1.0, mass=1.0, weight=1.0)
    box = pmc.Injecting(0.0, 1.0, left=res, right="reflecting")
    counts, momenta = [], []
    for r in range(25):
        rng = np.random.default_rng(r)
        mk = pmc.Markers(x=rng.uniform(0, 1, 400), p=rng.normal(size=400), w=1.0)
        pmc.stream(mk, FREE, dt=0.01, steps=500, boundary=box, seed=r)  # ~ 5 crossing times
        counts.append(mk.n)
        momenta.append(mk.p.copy())
        assert np.all((mk.x >= 0) & (mk.x < 1))
    counts = np.array(counts)
    assert abs(counts.mean() - 400.0) < 5 * np.sqrt(400.0 / counts.size), counts.mean()
    p = np.concatenate(momenta)  # thermal and symmetric, though entering from one side only
    assert abs(np.mean(p)) < 5 / np.sqrt(p.size)
    assert abs(np.var(p) - 1.0) < 5 * np.sqrt(2 / p.size)


def test_mixed_walls_per_side():
    mk = pmc.Markers(x=[0.5, 0.5, 0.5], p=[-2.0, 1.2, 3.0])
    tally = pmc.stream(mk, FREE, dt=0.5, steps=1, boundary=pmc.Injecting(0.0, 1.0,
                                                                         right="reflecting"))
    # the first leaves at lo (absorbed), the second reflects at hi to x = 0.9, the third
    # reflects at hi to x = 0 and stays inside
    assert tally.absorbed_count == 1 and tally.absorbed_weight[0, 0] == pytest.approx(1 / 3)
    np.testing.assert_allclose(np.sort(mk.x), [0.0, 0.9])
    np.testing.assert_allclose(np.sort(mk.p), [-3.0, -1.2])
