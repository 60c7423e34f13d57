"""Tests of pmc.states: sampled markers against exact distributions, densities against closed
forms, input validation.

Statistical tolerances are derived, never tuned: a sample mean of N draws is compared within
5 standard errors, a sample variance of a normal within 5 sqrt(2/(N-1)) relative, and
distributions by Kolmogorov-Smirnov or chi-square tests that must not reject at p = 1e-4
(fixed seeds make every test deterministic).

Exact references used:
* Maxwellian: each momentum component ~ N(m u_k, m kT).
* Quantum gases (F_j the complete Fermi-Dirac integral, Li_s the polylogarithm):
  n = g (m kT / 2 pi hbar^2)^(dp/2) * (-Li_{dp/2}(-z)) (Fermi) or Li_{dp/2}(z) (Bose),
  z = e^(mu/kT), evaluated by the power series of Li_s (|z| < 1), by Li_1(z) = -ln(1 - z)
  (dp = 2), by the Dirichlet eta function -Li_s(-1) = (1 - 2^(1-s)) zeta(s) (mu = 0), and by
  the Sommerfeld expansion
  F_{1/2}(eta) = eta^(3/2) / Gamma(5/2) (1 + pi^2 / 8 eta^2 + 7 pi^4 / 640 eta^4)
  for a degenerate gas (eta = 50); the classical limit is g z (m kT / 2 pi hbar^2)^(dp/2).
  The CDF of |p| is int_0^p q^(dp-1) f dq computed by scipy.integrate.quad.
* Gaussian packet: W(x, p) = exp(-(x-x0)^2 / 2 s^2 - 2 s^2 (p-p0)^2 / hbar^2) / (pi hbar) and the
  free evolution of psi by an exact FFT propagator.
"""
import dataclasses
import math

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, interpolate, special, stats

import pmc
from pmc import states

P_MIN = 1e-4  # statistical tests must not reject at this level


# ============================================================================ helpers
def all_distributions():
    return [
        states.Maxwellian(temperature=1.5, mass=2.0, x=((0.0, 1.0), (0.0, 2.0)),
                          momentum_dims=3, drift=(0.1, 0.2, 0.3), density=5.0),
        states.Maxwellian(temperature=1.0, mass=1.0, profile=([0.0, 1.0, 2.0], [0.0, 3.0, 1.0])),
        states.FermiDirac(temperature=0.5, chemical_potential=2.0, mass=1.0, x=(0.0, 3.0),
                          momentum_dims=3),
        states.BoseEinstein(temperature=1.0, chemical_potential=-0.3, mass=1.0, momentum_dims=2,
                            x=((0.0, 1.0), (0.0, 1.0))),
        states.GaussianWavepacket(x0=-1.0, p0=2.0, sigma_x=0.5),
        states.Gridded(np.outer(np.arange(1.0, 5.0), np.arange(1.0, 4.0)),
                       x=np.linspace(0.0, 3.0, 4), p=np.linspace(-1.0, 1.0, 3)),
    ]


def arrays(m):
    return m.positions.T, m.momenta.T, m.w


def check_mean(samples, expected, sigma):
    """Sample mean within 5 standard errors."""
    se = sigma / math.sqrt(samples.size)
    assert abs(samples.mean() - expected) < 5.0 * se, (samples.mean(), expected, se)


def check_normal_variance(samples, expected):
    """Sample variance of a normal within 5 standard errors, se = var sqrt(2 / (N - 1))."""
    se = expected * math.sqrt(2.0 / (samples.size - 1))
    assert abs(samples.var(ddof=1) - expected) < 5.0 * se, (samples.var(ddof=1), expected, se)


def check_ks(samples, cdf):
    res = stats.kstest(samples, cdf)
    assert res.pvalue > P_MIN, res


def check_chisquare(observed, probabilities):
    expected = observed.sum() * probabilities
    keep = probabilities > 0
    assert observed[~keep].sum() == 0
    res = stats.chisquare(observed[keep], expected[keep])
    assert res.pvalue > P_MIN, res


def polylog_series(s, z, terms=200_000):
    """Li_s(z) = sum_k z^k / k^s for |z| < 1 (terms below 1e-18 dropped)."""
    k = np.arange(1, terms + 1, dtype=np.float64)
    t = np.exp(k * math.log(abs(z)) - s * np.log(k))
    if z < 0:
        t *= np.where(k % 2 == 1, -1.0, 1.0)
    return float(np.sum(t[::-1]))


def occupation(eps, mu, kT, sign):
    a = (eps - mu) / kT
    with np.errstate(over="ignore"):
        return 1.0 / (np.exp(a) + sign)


def exact_radial_cdf(mu, kT, m, dp, sign):
    """CDF of |p| from quad of p^(dp-1) f(p) between dense nodes, interpolated by cubic Hermite
    polynomials with the exact derivative (error O(h^4), far below the KS resolution)."""
    g = lambda p: p ** (dp - 1) * occupation(p * p / (2 * m), mu, kT, sign)
    p_hi = math.sqrt(2 * m * (max(mu, 0.0) + 60.0 * kT))
    nodes = np.unique(np.concatenate([np.linspace(0.0, p_hi, 1500),
                                      np.geomspace(1e-8 * p_hi, p_hi, 300)]))
    pieces = [integrate.quad(g, a, b, epsabs=0.0, epsrel=1e-12)[0]
              for a, b in zip(nodes[:-1], nodes[1:])]
    cum = np.concatenate([[0.0], np.cumsum(pieces)])
    total = cum[-1] + integrate.quad(g, p_hi, np.inf)[0]
    spline = interpolate.CubicHermiteSpline(nodes, cum / total, g(nodes) / total)
    return lambda p: np.clip(spline(np.minimum(p, p_hi)), 0.0, 1.0), total


def speeds(m):
    return np.sqrt(np.sum(m.momenta.T ** 2, axis=0))


# ============================================================================ sample()
@pytest.mark.parametrize("dist", all_distributions(), ids=lambda d: type(d).__name__)
def test_same_seed_same_markers_and_different_seed_different(dist):
    a = pmc.sample(dist, n=2000, seed=11)
    b = pmc.sample(dist, n=2000, seed=11)
    c = pmc.sample(dist, n=2000, seed=np.random.SeedSequence(11))
    d = pmc.sample(dist, n=2000, seed=12)
    for u, v, w in zip(arrays(a), arrays(b), arrays(c)):
        assert np.array_equal(u, v) and np.array_equal(u, w)
    assert not np.array_equal(a.momenta.T, d.momenta.T)
    assert not np.array_equal(a.positions.T, d.positions.T)
    assert isinstance(a, pmc.Markers)
    assert (a.n, a.dx, a.dp) == (2000, dist.dx, dist.dp)
    assert a.kernel_arrays().x.flags.c_contiguous and a.kernel_arrays().p.flags.c_contiguous
    assert a.positions.shape == (a.n, a.dx) and a.momenta.shape == (a.n, a.dp)
    assert a.positions.dtype == a.momenta.dtype == a.w.dtype == np.float64
    assert np.allclose(a.w, dist.total_weight / 2000, rtol=0, atol=0)
    assert math.isclose(a.total_weight, dist.total_weight, rel_tol=1e-12)


@pytest.mark.parametrize("dist", all_distributions(), ids=lambda d: type(d).__name__)
def test_distributions_are_frozen_and_hashable(dist):
    with pytest.raises(dataclasses.FrozenInstanceError):
        dist.mass = 3.0
    twin = type(dist)(**dist.parameters())
    assert twin == dist and hash(twin) == hash(dist)


@pytest.mark.parametrize("n", [0, -3, 2.5, "10", True])
def test_sample_rejects_bad_n(n):
    gas = states.Maxwellian(temperature=1.0, mass=1.0)
    with pytest.raises(ValueError, match=r"\bn\b"):
        pmc.sample(gas, n=n, seed=1)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc"])
def test_sample_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        pmc.sample(states.Maxwellian(temperature=1.0, mass=1.0), n=10, seed=seed)


def test_sample_rejects_non_distribution():
    with pytest.raises(ValueError, match="distribution"):
        pmc.sample(pmc.bands.Parabolic(1.0), n=10, seed=1)


# ============================================================================ Maxwellian
def test_maxwellian_1d3v_moments_positions_and_weights():
    kT, m, u, n = 2.0, 3.0, (0.4, -0.2, 0.0), 200_000
    gas = states.Maxwellian(temperature=kT, mass=m, x=(-1.0, 4.0), momentum_dims=3, drift=u,
                            density=7.0)
    mk = pmc.sample(gas, n=n, seed=2)
    assert (mk.dx, mk.dp) == (1, 3)
    for k in range(3):
        check_mean(mk.momenta.T[k], m * u[k], math.sqrt(m * kT))
        check_normal_variance(mk.momenta.T[k], m * kT)
    check_ks(mk.x, stats.uniform(loc=-1.0, scale=5.0).cdf)
    assert math.isclose(mk.total_weight, 7.0 * 5.0, rel_tol=1e-12)
    # components independent: correlation within 5 / sqrt(N)
    c = np.corrcoef(mk.momenta.T)
    assert np.all(np.abs(c[np.triu_indices(3, 1)]) < 5.0 / math.sqrt(n))


def test_maxwellian_3d_box_scalar_drift_and_default_probability_weights():
    box = ((0.0, 1.0), (-2.0, 2.0), (5.0, 5.5))
    gas = states.Maxwellian(temperature=0.5, mass=1.0, x=box, drift=1.5)
    assert gas.dp == 3 and gas.drift == 1.5
    mk = pmc.sample(gas, n=50_000, seed=3)
    for k, (lo, hi) in enumerate(box):
        check_ks(mk.positions.T[k], stats.uniform(loc=lo, scale=hi - lo).cdf)
    check_mean(mk.momenta.T[0], 1.5, math.sqrt(0.5))
    check_mean(mk.momenta.T[1], 0.0, math.sqrt(0.5))
    assert math.isclose(mk.total_weight, 1.0, rel_tol=1e-12)
    dense = states.Maxwellian(temperature=0.5, mass=1.0, x=box, density=2.0)
    assert math.isclose(dense.total_weight, 2.0 * 1.0 * 4.0 * 0.5, rel_tol=1e-12)


def test_maxwellian_triangle_profile_is_sampled_exactly():
    profile = ([0.0, 1.0, 2.0], [0.0, 4.0, 0.0])  # triangle holding 4 particles
    cdf = lambda x: np.where(x < 1.0, x ** 2 / 2, 1.0 - (2.0 - np.clip(x, 0, 2)) ** 2 / 2)
    gas = states.Maxwellian(temperature=1.0, mass=1.0, profile=profile, momentum_dims=2)
    mk = pmc.sample(gas, n=100_000, seed=4)
    assert (mk.dx, mk.dp) == (1, 2) and gas.x is None
    check_ks(mk.x, cdf)
    assert math.isclose(mk.total_weight, 4.0, rel_tol=1e-12)


def test_maxwellian_profile_dataarray_nonuniform_with_zero_segment():
    x = np.array([0.0, 0.5, 2.0, 3.0, 3.5, 5.0])
    v = np.array([1.0, 3.0, 0.5, 0.0, 0.0, 2.0])
    da = xr.DataArray(v, coords={"x": x}, dims="x")
    gas = states.Maxwellian(temperature=1.0, mass=1.0, profile=da)
    mk = pmc.sample(gas, n=100_000, seed=5)

    def cdf(s):  # exact CDF of the piecewise-linear density, by quad per segment
        out = np.empty_like(s)
        lin = lambda t: np.interp(t, x, v)
        total = sum(integrate.quad(lin, a, b)[0] for a, b in zip(x[:-1], x[1:]))
        edges = np.concatenate([[0.0], np.cumsum(
            [integrate.quad(lin, a, b)[0] for a, b in zip(x[:-1], x[1:])])])
        k = np.clip(np.searchsorted(x, s) - 1, 0, x.size - 2)
        for i, (si, ki) in enumerate(zip(s, k)):
            out[i] = edges[ki] + 0.5 * (lin(x[ki]) + lin(si)) * (si - x[ki])  # trapezoid exact
        return out / total

    check_ks(mk.x, cdf)
    assert not np.any((mk.x > 3.0) & (mk.x < 3.5))  # the empty segment gets no markers
    expected = np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(x))
    assert math.isclose(mk.total_weight, expected, rel_tol=1e-12)
    assert gas == states.Maxwellian(temperature=1.0, mass=1.0, profile=(x, v))


# ============================================================================ quantum gases
GAS_CASES = [
    (states.FermiDirac, 5.0, 3),     # degenerate
    (states.FermiDirac, 0.0, 2),
    (states.FermiDirac, -3.0, 1),    # nearly classical
    (states.FermiDirac, 40.0, 1),    # sharp Fermi edge
    (states.BoseEinstein, -0.5, 3),
    (states.BoseEinstein, -0.01, 2),
    (states.BoseEinstein, -0.05, 1),  # sharp peak at p = 0
]


@pytest.mark.parametrize("cls,eta,dp", GAS_CASES,
                         ids=[f"{c.__name__}-eta{e}-dp{d}" for c, e, d in GAS_CASES])
def test_quantum_gas_momentum_distribution(cls, eta, dp):
    kT, m, n = 0.8, 1.7, 40_000
    sign = 1 if cls is states.FermiDirac else -1
    gas = cls(temperature=kT, chemical_potential=eta * kT, mass=m, momentum_dims=dp)
    mk = pmc.sample(gas, n=n, seed=6)
    cdf, _ = exact_radial_cdf(eta * kT, kT, m, dp, sign)
    check_ks(speeds(mk), cdf)
    # isotropy of the direction
    pr = mk.momenta.T / speeds(mk)
    if dp == 1:
        assert abs(np.mean(pr[0] > 0) - 0.5) < 5.0 * 0.5 / math.sqrt(n)
    elif dp == 2:
        check_ks(np.arctan2(pr[1], pr[0]), stats.uniform(loc=-math.pi, scale=2 * math.pi).cdf)
    else:
        check_ks(pr[2], stats.uniform(loc=-1.0, scale=2.0).cdf)
        check_ks(np.arctan2(pr[1], pr[0]), stats.uniform(loc=-math.pi, scale=2 * math.pi).cdf)
    assert math.isclose(mk.total_weight, gas.density * 1.0, rel_tol=1e-12)


def test_quantum_gas_table_tail_is_negligible():
    for cls, eta, dp in GAS_CASES:
        kT, m = 0.8, 1.7
        sign = 1 if cls is states.FermiDirac else -1
        gas = cls(temperature=kT, chemical_potential=eta * kT, mass=m, momentum_dims=dp)
        g = lambda p: p ** (dp - 1) * occupation(p * p / (2 * m), eta * kT, kT, sign)
        p_cut = gas._table.nodes[-1]
        tail = integrate.quad(g, p_cut, np.inf, epsabs=0.0)[0]
        whole = integrate.quad(g, 0.0, p_cut, points=[math.sqrt(2 * m * max(eta * kT, 0))],
                               limit=500)[0]
        assert tail / whole < 1e-16
        assert gas._table.nodes.size > 2 ** 14


def _prefactor(gas):
    return gas.degeneracy * (gas.mass * gas.temperature
                             / (2 * math.pi * gas.hbar ** 2)) ** (gas.dp / 2)


@pytest.mark.parametrize("dp", [1, 2, 3])
@pytest.mark.parametrize("eta", [-4.0, -1.0, -0.1])
def test_density_series_both_statistics(dp, eta):
    kw = dict(temperature=0.7, chemical_potential=eta * 0.7, mass=2.5, momentum_dims=dp,
              hbar=1.3, degeneracy=3)
    fd, be = states.FermiDirac(**kw), states.BoseEinstein(**kw)
    z = math.exp(eta)
    assert math.isclose(fd.density, _prefactor(fd) * -polylog_series(dp / 2, -z), rel_tol=1e-10)
    assert math.isclose(be.density, _prefactor(be) * polylog_series(dp / 2, z), rel_tol=1e-10)


@pytest.mark.parametrize("eta", [-3.0, 0.0, 2.0, 30.0])
def test_density_2d_closed_form(eta):
    kw = dict(temperature=1.1, mass=0.9, hbar=0.6, degeneracy=2, momentum_dims=2,
              x=((0, 1), (0, 2)))
    fd = states.FermiDirac(chemical_potential=eta * 1.1, **kw)
    assert math.isclose(fd.density, _prefactor(fd) * math.log1p(math.exp(eta)), rel_tol=1e-10)
    assert math.isclose(fd.total_weight, 2.0 * fd.density, rel_tol=1e-14)
    if eta < 0:
        be = states.BoseEinstein(chemical_potential=eta * 1.1, **kw)
        assert math.isclose(be.density, _prefactor(be) * -math.log1p(-math.exp(eta)),
                            rel_tol=1e-10)


@pytest.mark.parametrize("dp", [1, 3])
def test_fermi_density_at_zero_chemical_potential_is_dirichlet_eta(dp):
    fd = states.FermiDirac(temperature=1.0, chemical_potential=0.0, mass=1.0, momentum_dims=dp)
    s = dp / 2
    assert math.isclose(fd.density, _prefactor(fd) * (1 - 2 ** (1 - s)) * special.zeta(s),
                        rel_tol=1e-10)


def test_fermi_density_degenerate_3d_sommerfeld():
    eta = 50.0
    fd = states.FermiDirac(temperature=0.2, chemical_potential=eta * 0.2, mass=1.0,
                           momentum_dims=3, degeneracy=2, x=((0, 1), (0, 1), (0, 1)))
    f_half = eta ** 1.5 / special.gamma(2.5) * (1 + math.pi ** 2 / (8 * eta ** 2)
                                                 + 7 * math.pi ** 4 / (640 * eta ** 4))
    assert math.isclose(fd.density, _prefactor(fd) * f_half, rel_tol=1e-8)


@pytest.mark.parametrize("cls", [states.FermiDirac, states.BoseEinstein])
@pytest.mark.parametrize("dp", [1, 2, 3])
def test_classical_limit_is_maxwellian_density(cls, dp):
    eta = -30.0
    gas = cls(temperature=2.0, chemical_potential=eta * 2.0, mass=0.5, momentum_dims=dp,
              degeneracy=2, hbar=0.3)
    assert math.isclose(gas.density, _prefactor(gas) * math.exp(eta), rel_tol=1e-12)


def test_fermi_drift_shifts_momenta():
    gas = states.FermiDirac(temperature=1.0, chemical_potential=1.0, mass=2.0, momentum_dims=3,
                            drift=(0.5, 0.0, -0.25))
    mk = pmc.sample(gas, n=50_000, seed=8)
    spread = math.sqrt(np.mean(speeds(mk) ** 2) / 3)  # per-component rms about the drift
    check_mean(mk.momenta.T[0], 2.0 * 0.5, spread * 1.01)
    check_mean(mk.momenta.T[2], 2.0 * -0.25, spread * 1.01)


def test_occupation_values():
    fd = states.FermiDirac(temperature=0.5, chemical_potential=1.0, mass=1.0)
    assert fd.occupation(1.0) == 0.5
    be = states.BoseEinstein(temperature=0.5, chemical_potential=-1.0, mass=1.0)
    e = np.array([0.0, 1.0, 10.0, 1e4])
    with np.errstate(over="ignore"):
        exact = 1.0 / np.expm1((e + 1.0) / 0.5)
    assert np.allclose(be.occupation(e), exact, rtol=1e-14, atol=0)


# ============================================================================ wave packet
def test_wigner_normalised_and_marginal_is_psi_squared():
    wp = states.GaussianWavepacket(x0=1.0, p0=-2.0, sigma_x=0.7, hbar=0.5)
    x = np.linspace(1.0 - 12 * 0.7, 1.0 + 12 * 0.7, 1201)
    sp = 0.5 / (2 * 0.7)
    p = np.linspace(-2.0 - 12 * sp, -2.0 + 12 * sp, 801)
    w = wp.wigner(x[:, None], p[None, :])
    assert w.shape == (x.size, p.size) and np.all(w >= 0)
    total = integrate.simpson(integrate.simpson(w, x=p, axis=1), x=x)
    assert abs(total - 1.0) < 1e-10
    marginal = integrate.simpson(w, x=p, axis=1)
    assert np.max(np.abs(marginal - np.abs(wp.psi(x)) ** 2)) < 1e-10
    assert abs(integrate.simpson(np.abs(wp.psi(x)) ** 2, x=x) - 1.0) < 1e-10
    # <p> and the momentum spread of psi, in momentum space: p0 and hbar / (2 sigma_x)
    xs = np.linspace(-40.0, 40.0, 4096, endpoint=False)
    pk = 0.5 * 2 * math.pi * np.fft.fftfreq(xs.size, d=xs[1] - xs[0])
    prob = np.abs(np.fft.fft(wp.psi(xs))) ** 2
    prob /= prob.sum()
    assert abs(np.sum(pk * prob) + 2.0) < 1e-10
    assert abs(np.sum((pk + 2.0) ** 2 * prob) - sp ** 2) < 1e-10


def test_wavepacket_samples_match_moments():
    x0, p0, s, hbar, n = -20.0, 1.5, 2.0, 0.8, 200_000
    wp = states.GaussianWavepacket(x0=x0, p0=p0, sigma_x=s, hbar=hbar)
    mk = pmc.sample(wp, n=n, seed=9)
    sp = hbar / (2 * s)
    assert wp.sigma_p == sp
    check_mean(mk.x, x0, s)
    check_mean(mk.p, p0, sp)
    check_normal_variance(mk.x, s ** 2)
    check_normal_variance(mk.p, sp ** 2)
    assert abs(np.corrcoef(mk.x, mk.p)[0, 1]) < 5.0 / math.sqrt(n)
    check_ks(mk.x, stats.norm(x0, s).cdf)
    assert math.isclose(mk.total_weight, 1.0, rel_tol=1e-12)


def test_wavepacket_free_evolution_matches_fft_propagator():
    m, hbar, t = 1.3, 0.7, 4.0
    wp = states.GaussianWavepacket(x0=-3.0, p0=1.2, sigma_x=0.8, hbar=hbar, mass=m)
    x = np.linspace(-60.0, 60.0, 4096, endpoint=False)
    k = 2 * math.pi * np.fft.fftfreq(x.size, d=x[1] - x[0])
    psi_t = np.fft.ifft(np.exp(-1j * hbar * k ** 2 * t / (2 * m)) * np.fft.fft(wp.psi(x)))
    assert np.max(np.abs(wp.psi(x, t=t) - psi_t)) < 1e-10
    # the sheared Wigner function keeps |psi(x, t)|^2 as its marginal
    p = np.linspace(1.2 - 12 * wp.sigma_p, 1.2 + 12 * wp.sigma_p, 801)
    marginal = integrate.simpson(wp.wigner(x[:, None], p[None, :], t=t), x=p, axis=1)
    assert np.max(np.abs(marginal - np.abs(psi_t) ** 2)) < 1e-9
    with pytest.raises(ValueError, match="mass"):
        states.GaussianWavepacket(x0=0.0, p0=0.0, sigma_x=1.0).psi(x, t=1.0)


# ============================================================================ Gridded
def _triangles():
    x = np.linspace(-1.0, 1.0, 11)
    p = np.linspace(0.0, 4.0, 9)
    f = np.outer(1.0 - np.abs(x), 1.0 - np.abs(p - 2.0) / 2.0) * 3.0  # zero at the grid ends
    return f, x, p


def test_gridded_cells_follow_f_and_uniform_inside():
    f, x, p = _triangles()
    n = 200_000
    g = states.Gridded(f, x=x, p=p)
    mk = pmc.sample(g, n=n, seed=10)
    hx, hp = 0.2, 0.5
    i = np.rint((mk.x - x[0]) / hx).astype(int)
    j = np.rint((mk.p - p[0]) / hp).astype(int)
    counts = np.bincount(i * p.size + j, minlength=f.size)
    check_chisquare(counts, (f / f.sum()).ravel())
    check_ks((mk.x - x[i]) / hx + 0.5, stats.uniform.cdf)
    check_ks((mk.p - p[j]) / hp + 0.5, stats.uniform.cdf)
    assert math.isclose(mk.total_weight, f.sum() * hx * hp, rel_tol=1e-12)
    assert g.spacing == pytest.approx((hx, hp), rel=1e-14)


def test_gridded_dataarray_either_order_equals_numpy():
    f, x, p = _triangles()
    da = xr.DataArray(f, coords={"x": x, "p": p}, dims=("x", "p"))
    ref = pmc.sample(states.Gridded(f, x=x, p=p), n=5000, seed=3)
    for g in (states.Gridded(da), states.Gridded(da.transpose("p", "x"))):
        mk = pmc.sample(g, n=5000, seed=3)
        for u, v in zip(arrays(mk), arrays(ref)):
            assert np.array_equal(u, v)
    assert states.Gridded(da) == states.Gridded(f, x=x, p=p)


def test_gridded_rejects_bad_tables():
    f, x, p = _triangles()
    bad = f.copy()
    bad[3, 4] = -1e-3
    with pytest.raises(ValueError, match=r"\bf\b.*>= 0"):
        states.Gridded(bad, x=x, p=p)
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"\bf\b.*finite"):
        states.Gridded(bad, x=x, p=p)
    with pytest.raises(ValueError, match=r"\bf\b"):
        states.Gridded(np.zeros_like(f), x=x, p=p)
    with pytest.raises(ValueError, match=r"\bf\b.*shape"):
        states.Gridded(f[:, :-1], x=x, p=p)
    with pytest.raises(ValueError, match=r"\bx\b.*2 points"):
        states.Gridded(f[:1], x=x[:1], p=p)
    with pytest.raises(ValueError, match=r"\bp\b.*uniform"):
        states.Gridded(f, x=x, p=p ** 2)
    with pytest.raises(ValueError, match="x and p"):
        states.Gridded(f)
    with pytest.raises(ValueError, match="dimensions"):
        states.Gridded(xr.DataArray(f, dims=("x", "y")))


# ============================================================================ validation
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, "hot"])
@pytest.mark.parametrize("name", ["temperature", "mass"])
def test_thermal_parameters_must_be_positive(name, bad):
    for make in (
        lambda **kw: states.Maxwellian(**{"temperature": 1.0, "mass": 1.0, **kw}),
        lambda **kw: states.FermiDirac(**{"temperature": 1.0, "mass": 1.0,
                                          "chemical_potential": 1.0, **kw}),
        lambda **kw: states.BoseEinstein(**{"temperature": 1.0, "mass": 1.0,
                                            "chemical_potential": -1.0, **kw}),
    ):
        with pytest.raises(ValueError, match=name):
            make(**{name: bad})


@pytest.mark.parametrize("mu", [0.0, 0.1, np.nan])
def test_bose_chemical_potential_must_be_negative(mu):
    with pytest.raises(ValueError, match="chemical_potential"):
        states.BoseEinstein(temperature=1.0, chemical_potential=mu, mass=1.0)


@pytest.mark.parametrize("kwargs,name", [
    (dict(degeneracy=0.5), "degeneracy"),
    (dict(hbar=0.0), "hbar"),
    (dict(x=(1.0, 1.0)), r"\bx\b"),
    (dict(x=((0.0, 1.0), (2.0, 1.0))), r"\bx\b"),
    (dict(x=(0.0, 1.0, 2.0)), r"\bx\b"),
    (dict(x=((0, 1), (0, 1)), momentum_dims=1), "momentum_dims"),
    (dict(momentum_dims=4), "momentum_dims"),
    (dict(momentum_dims=2, drift=(1.0, 2.0, 3.0)), "drift"),
    (dict(drift=np.nan), "drift"),
])
def test_quantum_gas_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        states.FermiDirac(temperature=1.0, chemical_potential=0.5, mass=1.0, **kwargs)


@pytest.mark.parametrize("kwargs,name", [
    (dict(density=0.0), "density"),
    (dict(density=1.0, profile=([0, 1], [1, 1])), "density"),
    (dict(x=(0, 1), profile=([0, 1], [1, 1])), "profile"),
    (dict(profile=([0, 1], [1, -1])), "profile"),
    (dict(profile=([0, 1], [np.nan, 1])), "profile"),
    (dict(profile=([1, 0], [1, 1])), "profile"),
    (dict(profile=([0, 1], [0, 0])), "profile"),
    (dict(profile=([0.0], [1.0])), "profile"),
    (dict(x=((0, 1), (0, 1), (0, 1)), momentum_dims=2), "momentum_dims"),
    (dict(drift=(1.0, 2.0)), "drift"),
])
def test_maxwellian_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        states.Maxwellian(temperature=1.0, mass=1.0, **kwargs)


@pytest.mark.parametrize("kwargs,name", [
    (dict(sigma_x=0.0), "sigma_x"),
    (dict(sigma_x=-1.0), "sigma_x"),
    (dict(hbar=-1.0), "hbar"),
    (dict(mass=0.0), "mass"),
    (dict(x0=np.nan), "x0"),
])
def test_wavepacket_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        states.GaussianWavepacket(**{"x0": 0.0, "p0": 0.0, "sigma_x": 1.0, **kwargs})


def test_public_names():
    assert pmc.sample is states.sample
    assert "sample" in pmc.__all__ and "states" in pmc.__all__
    for name in ("Maxwellian", "FermiDirac", "BoseEinstein", "GaussianWavepacket", "Gridded"):
        assert name in states.__all__
        assert "Parameters" in getattr(states, name).__doc__
