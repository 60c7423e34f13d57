"""Gas walls for mixtures (pmc.bands.SpeciesMasses) and the near-continuum references of
validation cases 52 (Fourier flow) and 53 (Couette flow)."""
import math
import pathlib
import sys

import numpy as np
import pytest

import pmc
from pmc.streaming import Streamer

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "validation"))
import couette_slip  # noqa: E402
import fourier_flow  # noqa: E402

KB = 1.380649e-23
AMU = 1.66053906660e-27
M_HE, M_AR = 4.0026 * AMU, 39.948 * AMU
TW = 300.0
L = 1e-3
MIX = pmc.Hamiltonian(pmc.bands.SpeciesMasses((M_HE, M_AR), names=("He", "Ar")), units="si")


def _mixture(n, seed, temperature=TW):
    rng = np.random.default_rng(seed)
    state = (rng.random(n) < 0.5).astype(np.int64)
    mass = np.where(state == 0, M_HE, M_AR)
    p = np.sqrt(mass * KB * temperature)[:, None] * rng.standard_normal((n, 3))
    return pmc.Markers(x=rng.uniform(0, L, (n, 1)), p=p, w=rng.uniform(0.5, 2.0, n),
                       state=state), mass


def test_mixture_walls_balance_momentum_and_energy_with_each_species_mass():
    mk, mass = _mixture(4000, 1)
    wall = pmc.Diffuse(0.0, L, temperature=(KB * TW, 2 * KB * TW),
                       velocity=((0, -50, 0), (0, 80, 10)), accommodation=0.8)

    def totals():
        m = np.where(mk.state == 0, M_HE, M_AR)
        return ((mk.w[:, None] * mk.momenta).sum(0),
                (mk.w * (mk.momenta ** 2).sum(1) / (2 * m)).sum())
    p0, e0 = totals()
    tally = Streamer(MIX, mk, boundary=wall, seed=2)(mk, 1e-7, 50)
    p1, e1 = totals()
    given = tally.wall[:2]
    assert given[:, 4].sum() > 4000
    scale = math.sqrt(M_AR * KB * TW) * 4000
    np.testing.assert_allclose(p1 - p0, -given[:, :3].sum(0), rtol=0, atol=1e-9 * scale)
    assert abs((e1 - e0) + given[:, 3].sum()) < 1e-9 * KB * TW * 4000


def test_mixture_markers_fly_with_their_own_mass():
    mk, mass = _mixture(3000, 3)
    x0, p0 = mk.positions[:, 0].copy(), mk.momenta.copy()
    dt = 1e-9
    Streamer(MIX, mk, boundary=pmc.Diffuse(0.0, L, temperature=KB * TW), seed=4)(mk, dt, 1)
    straight = (x0 + dt * p0[:, 0] / mass > 0) & (x0 + dt * p0[:, 0] / mass < L)
    assert straight.sum() > 2900
    np.testing.assert_allclose(mk.positions[straight, 0],
                               x0[straight] + dt * p0[straight, 0] / mass[straight],
                               rtol=0, atol=1e-18)


def test_one_species_mixture_walls_are_bitwise_the_single_gas():
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.uniform(0, L, (n, 1))
    p = math.sqrt(M_AR * KB * TW) * rng.standard_normal((n, 3))
    wall = pmc.Diffuse(0.0, L, temperature=(KB * TW, 1.5 * KB * TW))
    a = pmc.Markers(x=x.copy(), p=p.copy(), w=1.0)
    b = pmc.Markers(x=x.copy(), p=p.copy(), w=1.0, state=np.zeros(n, np.int64))
    one = pmc.Hamiltonian(pmc.bands.SpeciesMasses((M_AR,)), units="si")
    ta = Streamer(pmc.Hamiltonian(pmc.bands.Parabolic(M_AR), units="si"), a, boundary=wall,
                  seed=6)(a, 1e-7, 40)
    tb = Streamer(one, b, boundary=wall, seed=6)(b, 1e-7, 40)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.momenta, b.momenta)
    tally_a, tally_b = ta.wall, tb.wall  # the walls' momentum/energy tallies, not a clock
    assert np.array_equal(tally_a, tally_b)


def test_diffuse_walls_keep_each_species_maxwellian_at_the_wall_temperature():
    # the stationary state between diffuse walls at T_w: each species Maxwellian at T_w
    # (a wall re-emitting with the wrong mass would move He or Ar energy by the mass ratio)
    mk, mass = _mixture(20000, 7)
    Streamer(MIX, mk, boundary=pmc.Diffuse(0.0, L, temperature=KB * TW), seed=8)(
        mk, 2e-7, 200)
    m = np.where(mk.state == 0, M_HE, M_AR)
    e = (mk.momenta ** 2).sum(1) / (2 * m) / (KB * TW)
    for s in (0, 1):
        es = e[mk.state == s]
        z = (es.mean() - 1.5) / math.sqrt(1.5 / es.size)  # var of E/kT is 3/2
        assert abs(z) < 4, (s, es.mean(), z)


def test_bad_input_mixture_walls():
    mk, _ = _mixture(100, 9)
    face = pmc.Freestream(0.0, L, density=1e20, velocity=(0, 0, 0), temperature=KB * TW,
                          weight=1.0, mass=M_AR)
    with pytest.raises(ValueError, match="Freestream"):
        Streamer(MIX, mk, boundary=face, seed=1)
    plain = pmc.Markers(x=mk.positions.copy(), p=mk.momenta.copy(), w=1.0)
    with pytest.raises(ValueError, match="state"):
        Streamer(MIX, plain, boundary=pmc.Diffuse(0.0, L, temperature=KB * TW), seed=1)


def test_fourier_reference_is_the_linear_jump_formula_for_small_temperature_differences():
    prm = fourier_flow.parameters(True)
    prm.update(t1=299.0, t2=301.0)
    th = fourier_flow.theory(prm, dx=1e-12, dt=1e-18)  # no DSMC corrections
    kappa = fourier_flow.kappa_ce(300.0)
    lam = KB * 300.0 / (math.sqrt(2) * math.pi * fourier_flow.DIAMETER ** 2 * th["p"])
    zeta = fourier_flow.D1 * 0.5 * math.sqrt(math.pi) * lam
    assert th["Q"] == pytest.approx(kappa * 2.0 / (th["L"] + 2 * zeta), rel=1e-4)
    # the jump at the cold wall uses the local mean free path and conductivity (T = 299 K)
    local = zeta * 299.0 / 300.0 / fourier_flow.kappa_ce(299.0)
    assert th["jump_lo"] == pytest.approx(local * th["Q"], rel=1e-6)


def test_fourier_reference_without_jump_is_kirchhoff():
    prm = fourier_flow.parameters(True)
    prm.update(kn=1e-6)
    th = fourier_flow.theory(prm, dx=1e-12, dt=1e-18)
    k0 = fourier_flow.kappa_ce(1.0)  # kappa = k0 sqrt(T)
    exact = k0 * (2.0 / 3.0) * (prm["t2"] ** 1.5 - prm["t1"] ** 1.5) / th["L"]
    assert th["Q"] == pytest.approx(exact, rel=1e-4)


def test_couette_reference_is_newton_with_slip_for_slow_plates():
    prm = couette_slip.parameters(True)
    prm.update(u=1e-3)
    th = couette_slip.theory(prm, dx=1e-12, dt=1e-18)
    mu = couette_slip.mu_ce(prm["tw"])
    zeta = couette_slip.K0 * 0.5 * math.sqrt(math.pi) * th["l0"]
    assert th["tau"] == pytest.approx(mu * prm["u"] / (th["L"] + 2 * zeta), rel=1e-10)


def test_mixture_time_averages_per_species_between_diffuse_walls():
    # He and Ar start Maxwellian at T_w between diffuse walls at T_w: stationary, so each
    # species' time-averaged temperature is T_w and its heat flux 0 (within the batch-means
    # errors), and the densities add up to the markers' weights exactly
    mk, mass = _mixture(6000, 11)
    wall = pmc.Diffuse(0.0, L, temperature=KB * TW)
    sim = pmc.Simulation(MIX, mk, dt=2e-8, boundary=wall, cells=pmc.Cells(0.0, L, 4),
                         average=0.0, average_batches=10, seed=12)
    # batches of 300 steps (6 us): longer than the transit times (He ~1 us, Ar ~4 us)
    ds = sim.run(3000 * 2e-8, 60 * 2e-8, progress=False)
    assert list(ds["species"].values) == ["He", "Ar"]
    n = ds["species_number_density_mean"].values  # (species, cell)
    for s in (0, 1):
        total = mk.w[mk.state == s].sum()
        assert n[s].sum() * (L / 4) == pytest.approx(total, rel=1e-12)
    T = ds["species_translational_temperature_mean"].values / (KB * TW)
    Te = ds["species_translational_temperature_mean_stderr"].values / (KB * TW)
    assert np.all(np.abs(T - 1.0) < 4.5 * Te), (T, Te)
    q = ds["species_heat_flux_mean"].values[..., 0]
    qe = ds["species_heat_flux_mean_stderr"].values[..., 0]
    assert np.all(np.abs(q) < 4.5 * qe), (q, qe)
    # the whole gas's moments beside the species' (pmc.sampling.mixture_moments)
    np.testing.assert_allclose(ds["number_density_mean"].values, n.sum(axis=0), rtol=1e-12)
    pressure = ds["wall_pressure_mean"].values  # on the two plates
    assert pressure.shape == (2,)
