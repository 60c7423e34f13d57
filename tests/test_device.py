"""Device pieces: contacts of any band (thermal flux, ohmic neutrality), terminal currents
(contacts and Ramo-Shockley), doping profiles, the equilibrium over them, drift-diffusion."""
import math
import tomllib

import numpy as np
import pytest
from scipy.integrate import quad

import pmc
from pmc.averages import batch_means
from pmc.boundaries import kane_flux_per_density, kane_partition
from pmc.devices import Doping, DopedEquilibrium, drift_diffusion
from pmc.units import K, e, epsilon_0

Z = 4.0  # standard errors allowed


def _empty(dp):
    return pmc.Markers(x=np.zeros((0, 1)), p=np.zeros((0, dp)), w=np.zeros(0))


def _kane_flux_mean_energy(kT, alpha, dp):
    """<eps> of the markers crossing a wall (quadrature of p^(dp-1) exp(-eps/kT) d eps)."""
    def weight(eps):
        p2 = eps * (1.0 + alpha * eps)  # p^2 / 2m
        return (p2 if dp == 3 else 1.0) * math.exp(-eps / kT)
    num = quad(lambda x: x * weight(x), 0, 60 * kT)[0]
    return num / quad(weight, 0, 60 * kT)[0]


@pytest.mark.parametrize("alpha, dp", [(0.0, 3), (0.0, 1), (0.5, 3), (0.5, 1), (2.0, 3)])
def test_injected_flux_and_energy_match_the_thermal_flux(alpha, dp):
    """Parabolic (alpha = 0 through the Parabolic class) and Kane bands: the injected weight
    over many steps is the analytic one-sided flux (Poisson counts), and the mean energy of the
    injected markers that of the flux-weighted equilibrium (quadrature)."""
    kT, m, n = 1.0, 1.0, 50.0
    band = pmc.bands.Parabolic(mass=m) if alpha == 0.0 else pmc.bands.Kane(mass=m, alpha=alpha)
    H = pmc.Hamiltonian(band, hbar=1.0)
    res = pmc.Reservoir(density=n, temperature=kT, weight=1.0)
    mk = _empty(dp)
    dt, steps = 0.1, 2000
    tally = pmc.stream(mk, H, dt=dt, steps=steps, boundary=pmc.Injecting(0.0, 1e9, left=res),
                       seed=7)
    expected = res.flux(1.0, band, dp) * dt * steps
    got = tally.injected_weight[0]
    assert abs(got - expected) < Z * math.sqrt(expected), (got, expected)
    if alpha == 0.0:  # the closed form of the parabolic band, and the Kane formula at alpha = 0
        assert res.flux(1.0, band, dp) == pytest.approx(n * math.sqrt(kT / (2 * math.pi * m)))
        assert kane_flux_per_density(kT, m, 0.0, dp) == pytest.approx(
            math.sqrt(kT / (2 * math.pi * m)), rel=1e-10)
    energy = band.energy(mk.momenta)
    mean, err = energy.mean(), energy.std() / math.sqrt(energy.size)
    exact = _kane_flux_mean_energy(kT, alpha, dp)
    assert abs(mean - exact) < Z * err, (mean, exact, err)
    # entering markers all move inwards
    assert np.all(band.velocity(mk.momenta)[..., 0] > 0) if dp == 3 else np.all(mk.momenta > 0)


def test_kane_partition_function_against_closed_form():
    """Z of a Kane band in 3D (a quadrature over |p|) against an independent quadrature over
    the energy: 2 pi (2m)^(3/2) int sqrt(gamma) (1 + 2 alpha eps) exp(-eps/kT) d eps."""
    kT, m, a = 0.7, 1.3, 0.9

    def in_energy(eps):
        g = eps * (1 + a * eps)
        return 2 * math.pi * (2 * m) ** 1.5 * math.sqrt(g) * (1 + 2 * a * eps) * math.exp(-eps / kT)
    ref = quad(in_energy, 0, 80 * kT, limit=200)[0]
    assert kane_partition(kT, m, a, 3) == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("alpha, dp", [(0.5, 3), (0.5, 1), (0.0, 3)])
def test_equilibrium_sampling_mean_energy(alpha, dp):
    """DopedEquilibrium draws exp(-eps/kT) of the band exactly: the mean energy against
    quadrature of the density of states, and the density follows the doping region by region."""
    kT, m = 1.0, 1.0
    band = pmc.bands.Kane(mass=m, alpha=alpha)
    doping = Doping([(0.0, 1.0, 100.0), (1.0, 3.0, 10.0)])
    eq = DopedEquilibrium(doping, band, kT, momentum_dims=dp)
    mk = pmc.sample(eq, 40_000, seed=3)
    assert mk.w.sum() == pytest.approx(doping.total(), rel=1e-12)
    assert mk.w[mk.positions[:, 0] < 1.0].sum() == pytest.approx(100.0, rel=1e-12)
    energy = band.energy(mk.momenta)

    def dos(eps):
        g = eps * (1 + alpha * eps)
        d = (math.sqrt(g) if dp == 3 else 1 / math.sqrt(max(g, 1e-300))) * (1 + 2 * alpha * eps)
        return d * math.exp(-eps / kT)
    exact = (quad(lambda x: x * dos(x), 0, 60, points=[1e-6], limit=200)[0]
             / quad(dos, 0, 60, points=[1e-6], limit=200)[0])
    err = energy.std() / math.sqrt(energy.size)
    assert abs(energy.mean() - exact) < Z * err, (energy.mean(), exact, err)


def test_neutral_contact_keeps_its_cell_at_the_doping():
    """rule="neutral": after each step the contact cell holds density x cell (to one marker)."""
    kT, m = 1.0, 1.0
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=m, alpha=0.3), hbar=1.0)
    res = pmc.Reservoir(density=200.0, temperature=kT, weight=0.5, rule="neutral", cell=0.25)
    box = pmc.Injecting(0.0, 5.0, left=res, right=res)
    mk = _empty(3)
    for s in range(5):
        pmc.stream(mk, H, dt=0.05, steps=1, step0=s, boundary=box, seed=1)
        x = mk.positions[:, 0]
        for lo in (0.0, 4.75):
            held = mk.w[(x >= lo) & (x < lo + 0.25)].sum()
            assert abs(held - 50.0) <= 0.5, (s, lo, held)


def test_ramo_shockley_equals_contact_current_for_a_uniform_stream():
    """A cold beam fills the box from the left contact: in the steady state the current by
    Ramo-Shockley and by the contact tallies are both -q n u at the right contact (into the
    device), and +q n u at the left one."""
    n, u, q, L = 40.0, 2.0, -3.0, 10.0
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    res = pmc.Reservoir(density=n, temperature=1e-6, drift=u, weight=0.25)
    box = pmc.Injecting(0.0, L, left=res, charge=q)
    k = int(n * L / 0.25)
    rng = np.random.default_rng(1)
    mk = pmc.Markers(x=rng.uniform(0, L, k), p=np.full(k, u), w=np.full(k, 0.25))
    ds = pmc.Simulation(H, mk, dt=0.05, boundary=box, seed=2).run(200.0, 1.0)
    w = ds.sel(time=ds.time > 1.0)
    exact = np.array([q * n * u, -q * n * u])
    for name in ("contact_current", "ramo_current"):
        mean, err = batch_means(w[name].values, 10)
        assert np.all(np.abs(mean - exact) < Z * np.maximum(err, 1e-3 * abs(exact))), \
            (name, mean, err)
    diff, derr = batch_means((w["contact_current"] - w["ramo_current"]).values, 10)
    assert np.all(np.abs(diff) < Z * derr + 1e-9)
    assert ds["contact_current"].attrs["units"] in ("A", "1")


def test_contact_currents_resume_bitwise(tmp_path):
    """The terminal-current state is checkpointed: a resumed run equals an uninterrupted one."""
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.2), hbar=1.0)
    res = pmc.Reservoir(density=20.0, temperature=1.0, weight=0.5, rule="neutral", cell=0.5)
    box = pmc.Injecting(0.0, 4.0, left=res, right=res, charge=-1.0)
    mk = pmc.sample(DopedEquilibrium(Doping.uniform(0.0, 4.0, 20.0), H.dispersion, 1.0), 160,
                    seed=1)
    whole = pmc.Simulation(H, mk, dt=0.05, boundary=box, seed=3).run(4.0, 1.0)
    out = tmp_path / "r.nc"
    pmc.Simulation(H, mk, dt=0.05, boundary=box, seed=3).run(2.0, 1.0, output=out,
                                                             checkpoint_every=1)
    resumed = pmc.Simulation(H, mk, dt=0.05, boundary=box, seed=3).run(
        4.0, 1.0, output=out, resume=True)
    for name in ("contact_current", "ramo_current"):
        np.testing.assert_array_equal(whole[name].values, resumed[name].values)


# ---------------------------------------------------------------------------- doping profiles
CASE = """
[[doping]]
x = [0.0, 0.3e-6]
donors = 5e23
[[doping]]
x = [0.3e-6, 0.7e-6]
donors = 2e21
acceptors = 1e20
[[doping]]
x = [0.7e-6, 1.0e-6]
donors = 5e23
"""


def test_doping_from_a_case_file():
    d = Doping(tomllib.loads(CASE)["doping"])
    assert d.lo == 0.0 and d.hi == 1.0e-6
    np.testing.assert_allclose(d.net([0.0, 0.29e-6, 0.3e-6, 0.5e-6, 0.99e-6, 1.5e-6]),
                               [5e23, 5e23, 1.9e21, 1.9e21, 5e23, 0.0])
    # cell averages are exact integrals of the profile
    avg = d.cell_average([0.2e-6, 0.4e-6])
    assert avg[0] == pytest.approx((0.1 * 5e23 + 0.1 * 1.9e21) / 0.2)
    assert d.total() == pytest.approx(0.6e-6 * 5e23 + 0.4e-6 * 1.9e21)
    bg = d.background()
    assert bg(np.array([0.5e-6]))[0] == pytest.approx(e * 1.9e21)
    left, right = d.contacts(300 * K, weight=1e12, cell=5e-9)
    assert left.density == 5e23 and right.rule == "neutral"
    assert Doping([(0, 1, 2.0)]) == Doping.uniform(0, 1, 2.0)


@pytest.mark.parametrize("regions, match", [
    ([], "regions"),
    ([(0, 1, 1.0), (1.5, 2, 1.0)], "tile"),
    ([(0, 1, 1.0), (0.5, 2, 1.0)], "tile"),
    ([(0, 1, -1.0)], "donors"),
    ([(1, 0, 1.0)], "hi must be > lo"),
    ([{"x": [0, 1], "donor": 1.0}], "unknown keys"),
    ([{"donors": 1.0}], "needs x"),
    ([{"x": [0, 1, 2], "donors": 1.0}], "x must be"),
    ([(0, 1)], "lo, hi, donors"),
    ([(0, float("nan"), 1.0)], "hi"),
])
def test_doping_bad_input(regions, match):
    with pytest.raises(ValueError, match=match):
        Doping(regions)


# ---------------------------------------------------------------------------- bad input
BAD = [
    (lambda: pmc.Reservoir(rule="ohmic"), "rule"),
    (lambda: pmc.Reservoir(rule="neutral"), "cell"),
    (lambda: pmc.Reservoir(rule="neutral", cell=-1.0), "cell"),
    (lambda: pmc.Reservoir(cell=1.0), "cell"),
    (lambda: pmc.Reservoir(rule="neutral", cell=1.0, drift=1.0), "drift"),
    (lambda: pmc.Reservoir(mass=-1.0), "mass"),
    (lambda: pmc.Injecting(0.0, 1.0, charge=0.0), "charge"),
    (lambda: pmc.Injecting(0.0, 1.0, charge=float("inf")), "charge"),
    (lambda: DopedEquilibrium(Doping.uniform(0, 1, 1.0), pmc.bands.Linear(speed=1.0), 1.0),
     "dispersion"),
    (lambda: DopedEquilibrium(Doping.uniform(0, 1, 1.0), pmc.bands.Kane(), 1.0,
                              momentum_dims=2), "momentum_dims"),
    (lambda: DopedEquilibrium(Doping.uniform(0, 1, 1.0), pmc.bands.Kane(), -1.0),
     "temperature"),
    (lambda: Doping([(0, 1, 1.0), (1, 2, 0.0)]).contacts(1.0, 1.0, cell=0.1), "n-type"),
    (lambda: drift_diffusion(Doping.uniform(0, 1, 1.0), mobility=0.0, temperature=1.0,
                             permittivity=1.0), "mobility"),
    (lambda: drift_diffusion(Doping.uniform(0, 1, 1.0), mobility=1.0, temperature=1.0,
                             permittivity=1.0, nodes=3), "nodes"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("band, dp, match", [
    (pmc.bands.Linear(speed=1.0), 3, "Parabolic, Kane or MultiValley"),
    (pmc.bands.Kane(mass=1.0, alpha=0.5), 2, "1 or 3 momentum"),
])
def test_reservoir_refuses_bands_it_cannot_emit(band, dp, match):
    H = pmc.Hamiltonian(band, hbar=1.0)
    box = pmc.Injecting(0.0, 1.0, left=pmc.Reservoir())
    with pytest.raises(ValueError, match=match):
        pmc.stream(_empty(dp), H, dt=0.1, steps=1, boundary=box)


def test_reservoir_kane_drift_and_mass_mismatch():
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.5), hbar=1.0)
    with pytest.raises(ValueError, match="drift"):
        pmc.stream(_empty(3), H, dt=0.1, steps=1,
                   boundary=pmc.Injecting(0.0, 1.0, left=pmc.Reservoir(drift=1.0)))
    with pytest.raises(ValueError, match="mass"):
        pmc.stream(_empty(3), H, dt=0.1, steps=1,
                   boundary=pmc.Injecting(0.0, 1.0, left=pmc.Reservoir(mass=2.0)))


def test_multivalley_reservoir_needs_three_momentum_dims():
    si = pmc.materials.get("Si")
    res = pmc.Reservoir()
    with pytest.raises(ValueError, match="momentum dimensions"):
        res.emission(si.band, 1)


# ---------------------------------------------------------------------------- drift-diffusion
def test_drift_diffusion_resistor_and_equilibrium():
    """A uniformly doped bar is a resistor: J = e mu N V / L exactly (Scharfetter-Gummel is
    exact for a constant field); an n+-n-n+ structure at 0 V carries no current and has a flat
    quasi-Fermi level."""
    kT, mu, eps = 300 * K, 0.1, 11.7 * epsilon_0
    bar = Doping.uniform(0.0, 1e-6, 1e22)
    sol = drift_diffusion(bar, mobility=mu, temperature=kT, permittivity=eps, voltage=0.05,
                          nodes=101)
    assert sol.current == pytest.approx(-e * mu * 1e22 * 0.05 / 1e-6, rel=1e-8)
    np.testing.assert_allclose(sol.density, 1e22, rtol=1e-8)
    diode = Doping([(0, 0.3e-6, 5e23), (0.3e-6, 0.7e-6, 2e21), (0.7e-6, 1e-6, 5e23)])
    eq = drift_diffusion(diode, mobility=mu, temperature=kT, permittivity=eps, nodes=401)
    assert abs(eq.current) < 1e-6 * e * mu * 2e21 * 0.1 / 1e-6
    assert np.ptp(eq.quasi_fermi) < 1e-9
    assert eq.density.min() < 1e22 < eq.density.max()  # spill-over lifts the n region
    biased = drift_diffusion(diode, mobility=mu, temperature=kT, permittivity=eps, voltage=0.2,
                             nodes=401)
    assert biased.current < 0  # electrons flow towards the positive right contact


def test_drift_diffusion_field_dependent_mobility_resistor():
    """With mu(E), a uniform bar carries J = e N mu(V/L) V/L (the driving field is uniform)."""
    def mu(field):
        return 0.1 / (1.0 + np.asarray(field) / 2e5)
    bar = Doping.uniform(0.0, 1e-6, 1e22)
    sol = drift_diffusion(bar, mobility=mu, temperature=300 * K, permittivity=11.7 * epsilon_0,
                          voltage=0.3, nodes=51)
    field = 0.3 / 1e-6
    assert sol.current == pytest.approx(-e * 1e22 * float(mu(field)) * field, rel=1e-5)
    with pytest.raises(ValueError, match="mobility"):
        drift_diffusion(bar, mobility=lambda f: -np.ones_like(f), temperature=300 * K,
                        permittivity=1e-10, voltage=0.1)


def test_grid_solver_refuses_a_neutral_contact():
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(0.05, 0.95, 10), p=np.linspace(-3, 3, 31))
    res = pmc.Reservoir(rule="neutral", cell=0.1)
    with pytest.raises(ValueError, match="rule"):
        pmc.gridsolver.Simulation(H, pmc.states.Maxwellian(temperature=1.0, mass=1.0,
                                                           x=(0.0, 1.0)),
                                  grid=grid, dt=0.01, boundary=pmc.Injecting(0.0, 1.0, left=res))
