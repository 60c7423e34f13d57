"""Continuous-momentum scattering: ElasticIsotropic, AcousticPhonon, OpticalPhonon, Impurity.

Exact results used:
- Fermi's golden rule Gamma = (2 pi / hbar) int d^d p' / (2 pi hbar)^d |M|^2 delta(eps' - eps_f)
  evaluated independently of the closed forms: the final shell |p'| found by root finding on the
  band's energy, the delta's Jacobian from the band's velocity, the Brooks-Herring angular
  average by quadrature; and Jacoboni and Reggiani's closed form for acoustic phonons;
- elastic mechanisms keep |p| and so the rate: the events of N markers over dt are Poisson with
  mean N Gamma dt; an isotropic event leaves zero mean momentum, so the mean of p' is
  p exp(-Gamma dt) after a step of any length;
- optical phonons move a marker along the ladder eps0 + k hbar w, a Markov chain with the known
  rates Gamma_abs, Gamma_em: the ladder positions after dt are multinomial with the first row of
  expm(Q dt) (Pearson's chi-square at a false-alarm probability of 1e-3);
- in equilibrium at the lattice temperature absorption and emission balance (detailed balance):
  their counts differ by a few sqrt(counts);
- a bin holding K markers is full: with Pauli blocking no marker enters it, so markers whose
  whole energy shell lies in full bins never scatter elastically, and no bin ever exceeds f = 1.
"""
import math

import numba
import numpy as np
import pytest
import scipy.linalg
from scipy import integrate, optimize, stats

import pmc
from pmc import config
from pmc._kernels import scatter
from pmc.collisions import AcousticPhonon, ElasticIsotropic, Impurity, OpticalPhonon

P_FALSE_ALARM = 1e-3
Z = 5.0  # standard errors allowed for a single Gaussian-distributed statistic

BANDS = {"parabolic": pmc.bands.Parabolic(mass=1.3), "kane": pmc.bands.Kane(mass=1.3, alpha=0.4)}
HBAR = 0.7


def _mechanisms(**options):
    return {
        "elastic": ElasticIsotropic(rate=1.7, **options),
        "acoustic": AcousticPhonon(deformation_potential=1.1, mass_density=2.0,
                                   sound_velocity=0.8, temperature=0.9, **options),
        "optical": OpticalPhonon(coupling=1.2, mass_density=2.0, energy=0.6, temperature=0.9,
                                 **options),
        "impurity": Impurity(density=0.3, coupling=0.25, screening_wavenumber=1.5, **options),
    }


def _hamiltonian(band):
    return pmc.Hamiltonian(BANDS[band], hbar=HBAR)


def _shell(rng, n, dp, pmag):
    """(n, dp) momenta of length pmag in isotropic random directions."""
    v = rng.standard_normal((n, dp))
    v /= np.linalg.norm(v, axis=1)[:, None]
    return v * pmag


def _markers(rng, p, dx=1, w=None):
    n = p.shape[0]
    x = rng.uniform(0.0, 1.0, (n, dx)) if dx > 1 else rng.uniform(0.0, 1.0, n)
    return pmc.Markers(x=x, p=p if p.shape[1] > 1 else p[:, 0], w=w)


def _energy(H, m):
    return H.dispersion.energy(m.p, hbar=H.hbar)


# ----------------------------------------------------------------------------- rates
def _golden_rule(name, mech, H, dp, eps):
    """Independent evaluation of the total rates [abs/elastic, emission]."""
    band, hbar = H.dispersion, H.hbar

    def shell(e):  # |p'| on the shell eps(p') = e, and |d eps / dp| there
        if e <= 0:
            return None
        hi = 1.0
        while band.energy(np.array([hi])) < e:
            hi *= 2.0
        p = optimize.brentq(lambda q: band.energy(np.array([q]))[0] - e, 0.0, hi, xtol=1e-15,
                            rtol=1e-15)
        return p, float(band.velocity(np.array([p]))[0])

    solid = {1: 2.0, 3: 4.0 * math.pi}[dp]

    def dos(e):  # per spin and volume; a 1D shell has two points
        s = shell(e)
        return 0.0 if s is None else solid * s[0] ** (dp - 1) / ((2 * math.pi * hbar) ** dp * s[1])

    if name == "elastic":
        return [mech.rate, 0.0]
    if name == "acoustic":
        m2 = mech.deformation_potential ** 2 * mech.temperature / (
            mech.mass_density * mech.sound_velocity ** 2)
        return [2 * math.pi / hbar * m2 * dos(eps), 0.0]
    if name == "optical":
        omega = mech.energy / hbar
        n0 = 1.0 / (math.exp(mech.energy / mech.temperature) - 1.0)
        m2 = hbar * mech.coupling ** 2 / (2 * mech.mass_density * omega)
        return [2 * math.pi / hbar * m2 * n0 * dos(eps + mech.energy),
                2 * math.pi / hbar * m2 * (n0 + 1) * dos(eps - mech.energy)]
    # impurity: |M(q)|^2 = N_I (4 pi C / (q^2 + beta^2))^2 averaged over the final directions
    k = shell(eps)[0] / hbar
    b2 = mech.screening_wavenumber ** 2

    def m2(q2):
        return mech.density * (4 * math.pi * mech.coupling / (q2 + b2)) ** 2

    if dp == 3:
        avg = integrate.quad(lambda c: m2(2 * k * k * (1 - c)), -1, 1, epsabs=0,
                             epsrel=1e-13)[0] / 2.0
    else:  # final states +k (no momentum transfer: not a transition) and -k
        avg = 0.5 * m2(4 * k * k)
    return [2 * math.pi / hbar * avg * dos(eps), 0.0]


@pytest.mark.parametrize("band", sorted(BANDS))
@pytest.mark.parametrize("dp", [1, 3])
@pytest.mark.parametrize("name", ["elastic", "acoustic", "optical", "impurity"])
def test_rates_are_the_golden_rule(band, dp, name):
    H = _hamiltonian(band)
    mech = _mechanisms()[name]
    eps = np.array([0.05, 0.3, 0.61, 1.0, 2.5])
    got = mech.rates(eps, H, dp=dp)
    want = np.array([_golden_rule(name, mech, H, dp, e) for e in eps]).T[:len(mech.processes)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0.0)


@pytest.mark.parametrize("band", sorted(BANDS))
@pytest.mark.parametrize("name, dp", [(name, dp) for name in ("elastic", "acoustic", "optical",
                                                              "impurity")
                                      for dp in (1, 2, 3) if dp in _mechanisms()[name]._dims])
def test_kernel_rates_are_the_formulas_written_beside_each_class(band, name, dp):
    """The kernels' rates (what a run samples) equal each class's numpy reference_rates, the
    formulas of its docstring, at and around the thresholds too, in every dimension each
    mechanism has a form for."""
    mech = _mechanisms()[name]
    H = _hamiltonian(band)
    eps = np.array([0.0, 1e-9, 0.05, 0.3, 0.61, 1.0, 2.5])
    if name == "optical":
        eps = np.concatenate([eps, mech.energy + np.array([-1e-9, 0.0, 1e-9])])
    np.testing.assert_allclose(mech.rates(eps, H, dp=dp), mech.reference_rates(eps, H, dp=dp),
                               rtol=1e-13, atol=0.0)


def test_acoustic_rate_is_the_textbook_formula():
    # Jacoboni and Reggiani (1983): P = 2^(1/2) m^(3/2) kT D^2 eps^(1/2) / (pi hbar^4 rho u^2)
    m, hbar = 0.26 * pmc.units.m_e, pmc.units.hbar
    mech = AcousticPhonon(deformation_potential=9.0 * pmc.units.eV, mass_density=2329.0,
                          sound_velocity=9040.0, temperature=300 * pmc.units.k_B)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), hbar=hbar)
    eps = np.array([0.01, 0.05, 0.2]) * pmc.units.eV
    want = (2 ** 0.5 * m ** 1.5 * mech.temperature * mech.deformation_potential ** 2
            * np.sqrt(eps) / (math.pi * hbar ** 4 * mech.mass_density * mech.sound_velocity ** 2))
    np.testing.assert_allclose(mech.total_rate(eps, H), want, rtol=1e-12)
    assert 1e11 < want[1] < 1e13  # the familiar order of magnitude in silicon (1/s)


def test_kane_with_zero_alpha_is_parabolic():
    eps = np.linspace(0.0, 3.0, 7)
    for mech in _mechanisms().values():
        a = mech.rates(eps, pmc.Hamiltonian(pmc.bands.Kane(mass=1.3, alpha=0.0), hbar=HBAR))
        b = mech.rates(eps, pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.3), hbar=HBAR))
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- events
@pytest.mark.parametrize("dx,dp,band", [(1, 1, "kane"), (1, 3, "parabolic"), (3, 3, "kane")])
@pytest.mark.parametrize("name", ["elastic", "acoustic", "impurity"])
def test_elastic_event_counts_are_poisson_with_the_rate(rng, dx, dp, band, name):
    H = _hamiltonian(band)
    mech = _mechanisms()[name]
    n, eps0, dt = 20_000, 0.8, 0.3
    pmag = scatter.momentum_of_energy(BANDS[band].mass, getattr(BANDS[band], "alpha", 0.0), eps0)
    m = _markers(rng, _shell(rng, n, dp, pmag), dx)
    cells = pmc.Cells([0.0] * dx, [1.0] * dx, 2)
    mean = n * float(mech.total_rate(eps0, H, dp=dp)) * dt
    out = mech.prepare(H, cells, m).collide_counts(m, dt, seed=11, step=3)
    assert abs(out["events"] - mean) < Z * math.sqrt(mean)
    np.testing.assert_allclose(np.linalg.norm(m.p.reshape(n, -1), axis=1), pmag, rtol=1e-13)


@pytest.mark.parametrize("dp", [1, 3])
def test_isotropic_events_relax_the_mean_momentum_exponentially(rng, dp):
    H = _hamiltonian("parabolic")
    mech = ElasticIsotropic(rate=1.0)
    n, dt = 100_000, 0.7
    p = np.zeros((n, dp))
    p[:, -1] = 1.0
    m = _markers(rng, p)
    mech.prepare(H, pmc.Cells(0.0, 1.0, 1), m).collide(m, dt, 5, 0)
    pz = m.p.reshape(n, -1)[:, -1]
    assert abs(pz.mean() - math.exp(-dt)) < Z * pz.std() / math.sqrt(n)


def _ladder(mech, H, dp, eps0, dt, kmax=12):
    """Distribution of the ladder index k (eps = eps0 + k hbar w) after dt: expm of the chain."""
    ks = np.arange(-kmax, kmax + 1)
    e = eps0 + ks * mech.energy
    ok = e >= 0
    r = np.zeros((2, ks.size))
    r[:, ok] = mech.rates(e[ok], H, dp=dp)
    q = np.diag(r[0, :-1], 1) + np.diag(r[1, 1:], -1)
    q -= np.diag(q.sum(axis=1))
    return ks, scipy.linalg.expm(q * dt)[kmax]


def _pool(observed, expected, minimum=5.0):
    """Merge neighbouring cells until each expects >= ``minimum`` counts (Pearson's rule)."""
    o, e = [float(v) for v in observed], [float(v) for v in expected]
    i = len(e) - 1
    while i > 0:  # from the tail down: a sparse cell joins its left neighbour
        if e[i] < minimum:
            e[i - 1] += e.pop(i)
            o[i - 1] += o.pop(i)
        i -= 1
    if len(e) > 1 and e[0] < minimum:
        e[1] += e.pop(0)
        o[1] += o.pop(0)
    return np.array(o), np.array(e)


@pytest.mark.parametrize("statistics", ["classical", "fermi"])
@pytest.mark.parametrize("dx,dp,band", [(1, 1, "parabolic"), (1, 3, "kane"), (3, 3, "parabolic")])
def test_optical_ladder_follows_the_master_equation(rng, dx, dp, band, statistics):
    # a step much longer than 1 / rate: several events per marker, all sampled exactly. With
    # statistics="fermi" a bin holds 10^9 markers (f < 1e-5, blocking negligible) so the
    # time-ordered Pauli path is checked against the same law.
    H = _hamiltonian(band)
    mech = _mechanisms(statistics=statistics, capacity=10 ** 9)["optical"]
    n, eps0 = 6000, 0.45
    b = BANDS[band]
    pmag = scatter.momentum_of_energy(b.mass, getattr(b, "alpha", 0.0), eps0)
    m = _markers(rng, _shell(rng, n, dp, pmag), dx, w=1.0)
    dt = 3.0 / mech.total_rate(eps0 + mech.energy, H, dp=dp)
    cells = pmc.Cells([0.0] * dx, [1.0] * dx, 3)
    out = mech.prepare(H, cells, m).collide_counts(m, dt, seed=7, step=2)
    k = (_energy(H, m) - eps0) / mech.energy
    np.testing.assert_allclose(k, np.round(k), rtol=0, atol=1e-9)  # exactly hbar w per event
    ks, prob = _ladder(mech, H, dp, eps0, dt)
    observed = np.array([(np.round(k) == j).sum() for j in ks])
    assert observed.sum() == n
    obs, exp = _pool(observed, prob * n)
    stat = np.sum((obs - exp) ** 2 / exp)
    assert stats.chi2.sf(stat, obs.size - 1) > P_FALSE_ALARM
    assert out["events"] == out["absorption"] + out["emission"] > n
    if statistics == "fermi":
        assert out["max_occupation"] < 1e-5


@pytest.mark.parametrize("dx,dp", [(1, 1), (1, 3), (2, 2), (3, 3)])
@pytest.mark.parametrize("band", sorted(BANDS))
@pytest.mark.parametrize("statistics", ["classical", "fermi"])
def test_energy_is_conserved_or_changed_by_hbar_omega(rng, dx, dp, band, statistics):
    H = _hamiltonian(band)
    n = 3000
    for name, mech in _mechanisms(statistics=statistics, capacity=4).items():
        if name == "impurity" and dp == 2:
            continue
        m = _markers(rng, rng.standard_normal((n, dp)), dx, w=1e-5)  # f << 1 with "fermi"
        e0 = _energy(H, m)
        p0 = m.p.copy()
        cells = pmc.Cells([0.0] * dx, [1.0] * dx, 2)
        out = mech.prepare(H, cells, m).collide_counts(m, 0.5, 1, 0)
        e1 = _energy(H, m)
        moved = np.any((m.p != p0).reshape(n, -1), axis=1)
        assert out["events"] > 0 and moved.sum() > 0
        if name == "optical":
            k = (e1 - e0) / mech.energy
            np.testing.assert_allclose(k, np.round(k), rtol=0, atol=1e-9)
            assert np.any(np.round(k) != 0)
        else:
            np.testing.assert_allclose(e1, e0, rtol=1e-13, atol=0)


def test_detailed_balance_in_equilibrium():
    # a Maxwellian at the lattice temperature: absorption and emission balance
    T = 0.9
    H = _hamiltonian("parabolic")
    mech = _mechanisms()["optical"]
    gas = pmc.states.Maxwellian(temperature=T, mass=BANDS["parabolic"].mass, x=(0.0, 1.0),
                                momentum_dims=3)
    m = pmc.sample(gas, 100_000, seed=3)
    out = mech.prepare(H, pmc.Cells(0.0, 1.0, 1), m).collide_counts(m, 0.05, 9, 0)
    a, b = out["absorption"], out["emission"]
    assert a > 1000 and abs(a - b) < Z * math.sqrt(a + b)


# ----------------------------------------------------------------------------- final states
def test_isotropic_directions_are_uniform():
    key = 12345
    c = np.array([scatter.isotropic(3, 1.0, key, 2 * j)[2] for j in range(20_000)])
    assert stats.kstest(c, stats.uniform(-1, 2).cdf).pvalue > P_FALSE_ALARM
    s = np.array([scatter.isotropic(1, 2.0, key, j)[0] for j in range(20_000)])
    assert set(np.unique(s)) == {-2.0, 2.0}
    assert abs((s > 0).mean() - 0.5) < Z * 0.5 / math.sqrt(s.size)


def test_brooks_herring_angles_follow_the_screened_coulomb_law():
    k, b2 = 1.3, 0.5
    u = np.random.default_rng(0).uniform(size=20_000)
    c = np.array([scatter.brooks_herring_cos(k, b2, r) for r in u])
    umax = 4 * k * k + b2

    def cdf(x):  # P(cos <= x), from the density ~ 1 / (2 k^2 (1 - cos) + beta^2)^2
        q = 2 * k * k * (1 - np.asarray(x)) + b2
        return (1 / q - 1 / umax) / (1 / b2 - 1 / umax)

    assert stats.kstest(c, cdf).pvalue > P_FALSE_ALARM


def test_rotation_keeps_length_and_angle(rng):
    for _ in range(200):
        p = rng.standard_normal(3)
        c, phi = rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi)
        q = np.array(scatter.rotate(p[0], p[1], p[2], c, phi, 2.5))
        assert abs(np.linalg.norm(q) - 2.5) < 1e-13
        assert abs(q @ p / (2.5 * np.linalg.norm(p)) - c) < 1e-13


# ----------------------------------------------------------------------------- Pauli blocking
def _fermi_sea(rng, K=4, width=0.25, hbar=1.0, g=2.0, radius=1.25):
    """Markers filling every momentum cube that lies inside |p| < radius with exactly K markers
    (f = 1 there, 0 outside), in one cell [0, 1) of a 1D3V gas; their weight makes K of them
    fill a cube of side ``width``."""
    w = width ** 3 * g / (K * (2 * math.pi * hbar) ** 3)
    idx = np.arange(-6, 6)
    corners = np.stack(np.meshgrid(idx, idx, idx, indexing="ij"), -1).reshape(-1, 3) * width
    far = np.linalg.norm(np.maximum(np.abs(corners), np.abs(corners + width)), axis=1)
    full = corners[far < radius]
    p = np.repeat(full, K, axis=0) + rng.uniform(0, width, (full.shape[0] * K, 3))
    return pmc.Markers(x=rng.uniform(0, 1, p.shape[0]), p=p, w=w)


def test_pauli_blocking_forbids_emission_into_a_filled_fermi_sea(rng):
    # at T = 0 a marker can only emit hbar w; every final state of every marker lies in a full
    # cube (p' < R - sqrt(3) width), so every emission is blocked and nothing moves
    K, width = 4, 0.25
    m = _fermi_sea(rng, K, width)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    mech = OpticalPhonon(coupling=4.0, mass_density=1.0, energy=0.5, temperature=0.0,
                         statistics="fermi", degeneracy=2.0, capacity=K)
    cells = pmc.Cells(0.0, 1.0, 1)
    assert abs(mech.bin_width(m, cells, 1.0) - width) < 1e-12
    np.testing.assert_allclose(mech.occupation(m, cells, hamiltonian=H), 1.0, rtol=1e-12)
    top = np.sqrt(np.max(np.sum(m.p ** 2, axis=1)) - 2 * mech.energy)
    assert top < 1.25 - math.sqrt(3) * width  # the premise: the lowered shells are full
    p0 = m.p.copy()
    for step in range(3):
        out = mech.prepare(H, cells, m).collide_counts(m, 1.0, 4, step)
        assert out["events"] == 0 and out["blocked"] > 100
    np.testing.assert_array_equal(m.p, p0)
    # without blocking the same markers do emit
    free = OpticalPhonon(coupling=4.0, mass_density=1.0, energy=0.5, temperature=0.0)
    assert free.prepare(H, cells, m).collide(m, 1.0, 4, 0) > 100


def test_pauli_occupation_never_exceeds_one_while_relaxing(rng):
    # a filled Fermi sea (f = 1 inside, exactly) heated by optical and acoustic phonons: holes
    # open and propagate, blocking is frequent, and no bin ever exceeds f = 1
    K = 4
    m = _fermi_sea(rng, K)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    cells = pmc.Cells(0.0, 1.0, 1)
    opts = dict(statistics="fermi", capacity=K, degeneracy=2.0)
    mechs = [OpticalPhonon(coupling=2.0, mass_density=1.0, energy=0.3, temperature=0.3, **opts),
             AcousticPhonon(deformation_potential=1.0, mass_density=1.0, sound_velocity=1.0,
                            temperature=0.3, **opts)]
    assert np.nanmax(mechs[0].occupation(m, cells, hamiltonian=H)) == 1.0
    blocked = events = 0
    for step in range(4):
        for mech in mechs:
            out = mech.prepare(H, cells, m).collide_counts(m, 1.0, 8, step)
            blocked += out["blocked"]
            events += out["events"]
            assert out["max_occupation"] <= 1.0
            assert np.nanmax(mech.occupation(m, cells, hamiltonian=H)) <= 1.0
    assert blocked > 100 and events > 100


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_result_for_any_thread_count(rng):
    H = _hamiltonian("kane")
    p = rng.standard_normal((5000, 3))
    results = []
    for threads, statistics in [(1, "classical"), (2, "classical"), (1, "fermi"), (2, "fermi")]:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        m = pmc.Markers(x=np.linspace(0, 1, 5000, endpoint=False), p=p, w=1e-4)
        mech = _mechanisms(statistics=statistics)["optical"]
        mech.prepare(H, pmc.Cells(0.0, 1.0, 4), m).collide(m, 0.8, 21, 6)
        results.append(m.p.copy())
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[2], results[3])
    assert not np.array_equal(results[0], p)


def test_mechanisms_of_different_names_draw_different_numbers(rng):
    H = _hamiltonian("parabolic")
    p = rng.standard_normal((2000, 3))
    out = []
    for name in ("a", "b"):
        m = pmc.Markers(x=np.full(2000, 0.5), p=p)
        mech = ElasticIsotropic(rate=1.0, name=name)
        mech.prepare(H, pmc.Cells(0.0, 1.0, 1), m).collide(m, 1.0, 1, 0)
        out.append(m.p.copy())
    assert not np.array_equal(out[0], out[1])


# ----------------------------------------------------------------------------- driver, config
def test_driver_records_events_per_mechanism():
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.UniformField(0.3))
    gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, 4.0), momentum_dims=3)
    mechs = [OpticalPhonon(coupling=1.0, mass_density=1.0, energy=1.0, temperature=1.0),
             ElasticIsotropic(rate=0.5)]
    sim = pmc.Simulation(H, pmc.sample(gas, 2000, seed=1), dt=0.1, boundary=pmc.Periodic(0, 4),
                         cells=pmc.Cells(0.0, 4.0, 4), collisions=mechs, seed=3)
    ds = sim.run(t_end=1.0, save_every=0.5, progress=False)
    ev = ds.collisions.sel(time=ds.time[1:])
    assert list(ds.mechanism.values) == ["total", "optical_phonon", "elastic_isotropic"]
    np.testing.assert_array_equal(ev.sel(mechanism="total"),
                                  ev.sel(mechanism="optical_phonon")
                                  + ev.sel(mechanism="elastic_isotropic"))
    # elastic isotropic events: Poisson with mean N rate t
    n_el = int(ev.sel(mechanism="elastic_isotropic").sum())
    assert abs(n_el - 2000 * 0.5 * 1.0) < Z * math.sqrt(1000)


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    # the mechanisms keep no state between steps (majorants are rebuilt each step) and key
    # their random numbers by (seed, step, marker): a run resumed from its checkpoint repeats
    # the uninterrupted one bitwise, Pauli blocking included
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.5), pmc.potentials.UniformField(0.3))
    gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, 2.0), momentum_dims=3)
    markers = pmc.sample(gas, 3000, seed=4)

    def sim():
        mechs = [OpticalPhonon(coupling=1.0, mass_density=1.0, energy=0.7, temperature=1.0,
                               statistics="fermi", capacity=2),
                 Impurity(density=1.0, coupling=0.1, screening_wavenumber=1.0)]
        return pmc.Simulation(H, markers, dt=0.1, boundary=pmc.Periodic(0, 2),
                              cells=pmc.Cells(0.0, 2.0, 2), collisions=mechs, seed=5)

    whole = sim()
    whole.run(0.8, 0.2, output=tmp_path / "whole.nc", progress=False)
    sim().run(0.4, 0.2, output=tmp_path / "cut.nc", progress=False)
    resumed = sim()
    ds = resumed.run(0.8, 0.2, output=tmp_path / "cut.nc", resume=True, progress=False)
    np.testing.assert_array_equal(resumed.markers.momenta, whole.markers.momenta)
    np.testing.assert_array_equal(ds.collisions.values,
                                  pmc.open_dataset(tmp_path / "whole.nc").collisions.values)


def test_case_file_names_the_mechanisms():
    case = {"run": {"dt": 0.1, "t_end": 0.2, "save_every": 0.1, "seed": 1},
            "dispersion": {"model": "Kane", "mass": 1.0, "alpha": 0.5},
            "distribution": {"model": "Maxwellian", "n": 500, "temperature": 1.0, "mass": 1.0,
                             "x": [0.0, 1.0], "momentum_dims": 3},
            "boundary": {"model": "Periodic", "lo": 0.0, "hi": 1.0},
            "cells": {"lo": 0.0, "hi": 1.0, "n": 2},
            "collisions": [{"model": "OpticalPhonon", "coupling": 1.0, "mass_density": 1.0,
                            "energy": 0.5, "temperature": 1.0},
                           {"model": "Impurity", "density": 1.0, "coupling": 0.1,
                            "screening_wavenumber": 1.0, "name": "donors"}]}
    sim, run = config.build(case)
    assert [c.name for c in sim.collisions] == ["optical_phonon", "donors"]
    ds = sim.run(run["t_end"], run["save_every"], progress=False)
    assert int(ds.collisions.sel(mechanism="total").sum()) > 0
    with pytest.raises(config.CaseError, match="sound_velocity"):
        config.build({**case, "collisions": [{"model": "AcousticPhonon",
                                              "deformation_potential": 1.0,
                                              "mass_density": 1.0, "temperature": 1.0}]})


# ----------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("make,match", [
    (lambda: ElasticIsotropic(rate=0.0), "rate"),
    (lambda: ElasticIsotropic(rate=1.0, statistics="bose"), "statistics"),
    (lambda: ElasticIsotropic(rate=1.0, degeneracy=0.5), "degeneracy"),
    (lambda: ElasticIsotropic(rate=1.0, capacity=0), "capacity"),
    (lambda: ElasticIsotropic(rate=1.0, name=""), "name"),
    (lambda: AcousticPhonon(-1.0, 1.0, 1.0, 1.0), "deformation_potential"),
    (lambda: AcousticPhonon(1.0, 1.0, float("nan"), 1.0), "sound_velocity"),
    (lambda: OpticalPhonon(1.0, 1.0, 1.0, -0.1), "temperature"),
    (lambda: OpticalPhonon(1.0, 0.0, 1.0, 1.0), "mass_density"),
    (lambda: Impurity(1.0, 1.0, 0.0), "screening_wavenumber"),
    (lambda: Impurity.from_semiconductor(1e22, -1.0, 1e-8), "relative_permittivity"),
])
def test_bad_parameters_raise_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_use_raises(rng):
    m3 = pmc.Markers(x=np.full(10, 0.5), p=rng.standard_normal((10, 3)))
    m2 = pmc.Markers(x=np.full(10, 0.5), p=rng.standard_normal((10, 2)))
    cells = pmc.Cells(0.0, 1.0, 1)
    H = _hamiltonian("parabolic")
    mech = _mechanisms()["impurity"]
    with pytest.raises(ValueError, match="Hamiltonian"):
        mech.prepare(None, cells, m3)
    with pytest.raises(ValueError, match="dp"):
        mech.prepare(H, cells, m2)
    with pytest.raises(ValueError, match="dp"):
        mech.prepare(H, cells, m3).collide(m2, 0.1, 1, 0)
    tb = pmc.Hamiltonian(pmc.bands.TightBinding(1.0, 1.0))
    with pytest.raises(ValueError, match="dispersion"):
        mech.prepare(tb, cells, m3)
    with pytest.raises(ValueError, match="dt"):
        mech.prepare(H, cells, m3).collide(m3, 0.0, 1, 0)
    uneven = pmc.Markers(x=np.full(10, 0.5), p=rng.standard_normal((10, 3)),
                         w=np.linspace(1, 2, 10))
    with pytest.raises(ValueError, match="equal weight"):
        fermi = ElasticIsotropic(rate=1.0, statistics="fermi")
        fermi.prepare(H, cells, uneven).collide(uneven, 0.1, 1, 0)
    # elastic isotropic scattering needs no density of states: any isotropic band
    lin = pmc.Hamiltonian(pmc.bands.Linear(speed=1.0))
    assert ElasticIsotropic(rate=1.0).prepare(lin, cells, m3).collide(m3, 1.0, 1, 0) > 0
