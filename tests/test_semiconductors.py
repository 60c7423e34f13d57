"""Mechanisms of real semiconductors (pmc.collisions.semiconductors).

Each closed-form rate is held against the golden rule integrated numerically over the final
states, Gamma = (2 pi / hbar) (1 / (2 pi)^3) int d^3k' |M|^2 delta(eps' - eps_f), for Kane bands
with alpha > 0: the radial delta gives k_f^2 / |d eps / dk| along each direction and the
directions are integrated by quadrature (over the polar angle about k for the spherical valleys
with q-dependent |M|^2, over the full sphere in the laboratory frame for an ellipsoidal valley,
which checks the Herring-Vogt density of states). The kernels are held to the numpy formulas,
and the jump process relaxes to the equilibrium over the valleys (detailed balance of the
intervalley rates with their Z_f and offsets).
"""
import math

import numpy as np
import pytest
from scipy import integrate

import pmc
from pmc.bands import Kane, MultiValley, Valley
from pmc.collisions import (AcousticDeformation, BrooksHerring, IntervalleyPhonon,
                            PolarOptical)
from pmc.units import K, e as qe, epsilon_0, eV, hbar, m_e

T300 = 300 * K


def _golden_spherical(msq, eps_f, mass, alpha, k):
    """(2 pi/hbar)(1/(2 pi)^3) 2 pi int_{-1}^{1} |M(k, k_f, c)|^2 k_f^2 / |d eps/dk| dc."""
    if eps_f <= 0:
        return 0.0
    kf = math.sqrt(2 * mass * eps_f * (1 + alpha * eps_f)) / hbar
    deps_dk = hbar ** 2 * kf / (mass * (1 + 2 * alpha * eps_f))
    val, _ = integrate.quad(lambda c: msq(k, kf, c), -1, 1, epsabs=0, epsrel=1e-11, limit=200)
    return 2 * math.pi / hbar / (2 * math.pi) ** 3 * 2 * math.pi * val * kf ** 2 / deps_dk


def _golden_ellipsoid(msq_const, eps_f, valley):
    """The same for a q-independent |M|^2 over the full sphere of directions in the lab frame
    of an ellipsoidal Kane valley."""
    inv_m = valley.inverse_mass()
    gamma_f = eps_f * (1 + valley.alpha * eps_f)

    def integrand(phi, theta):
        n = np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi),
                      math.cos(theta)])
        a = 0.5 * hbar ** 2 * n @ inv_m @ n  # gamma = a k^2 along n
        kf = math.sqrt(gamma_f / a)
        deps_dk = 2 * a * kf / (1 + 2 * valley.alpha * eps_f)
        return kf ** 2 / deps_dk * math.sin(theta)

    val, _ = integrate.dblquad(integrand, 0, math.pi, 0, 2 * math.pi, epsabs=0, epsrel=1e-10)
    return 2 * math.pi / hbar / (2 * math.pi) ** 3 * msq_const * val


def _kane_H(mass=0.067 * m_e, alpha=0.64 / eV):
    return pmc.Hamiltonian(Kane(mass=mass, alpha=alpha), hbar=hbar)


ENERGIES = np.array([0.002, 0.02, 0.04, 0.1, 0.3]) * eV


def test_polar_optical_against_the_golden_rule_with_the_kane_overlap():
    m, a = 0.067 * m_e, 0.64 / eV
    po = PolarOptical(0.03536 * eV, 12.9, 10.92, T300)
    H = _kane_H(m, a)
    rates = po.rates(ENERGIES, H)
    np.testing.assert_allclose(rates, po.reference_rates(ENERGIES, H), rtol=1e-10)
    n0 = po.occupation_number
    coupling = qe ** 2 * (1 / 10.92 - 1 / 12.9) / epsilon_0

    def overlap(e):
        return math.sqrt((1 + a * e) / (1 + 2 * a * e)), math.sqrt(a * e / (1 + 2 * a * e))

    for i, eps in enumerate(ENERGIES):
        k = math.sqrt(2 * m * eps * (1 + a * eps)) / hbar
        for j, (sign, occ) in enumerate(((1, n0), (-1, n0 + 1))):
            ef = eps + sign * po.energy
            if ef <= 0:
                assert rates[j, i] == 0.0
                continue
            (a0, c0), (af, cf) = overlap(eps), overlap(ef)

            def msq(k, kf, c):
                q2 = k * k + kf * kf - 2 * k * kf * c
                return coupling * hbar * (po.energy / hbar) / (2 * q2) * occ * (
                    a0 * af + c0 * cf * c) ** 2

            want = _golden_spherical(msq, ef, m, a, k)
            assert rates[j, i] == pytest.approx(want, rel=1e-7), (eps / eV, j)


def test_brooks_herring_against_the_golden_rule():
    m, a = 0.067 * m_e, 0.64 / eV
    bh = BrooksHerring(1e23, 12.9, T300)
    H = _kane_H(m, a)
    rates = bh.rates(ENERGIES, H)[0]
    np.testing.assert_allclose(rates, bh.reference_rates(ENERGIES, H)[0], rtol=1e-10)
    b2 = bh.screening_wavenumber ** 2
    c2 = (qe ** 2 / (epsilon_0 * 12.9)) ** 2 * 1e23
    for i, eps in enumerate(ENERGIES):
        k = math.sqrt(2 * m * eps * (1 + a * eps)) / hbar

        def msq(k, kf, c):
            return c2 / (k * k + kf * kf - 2 * k * kf * c + b2) ** 2

        assert rates[i] == pytest.approx(_golden_spherical(msq, eps, m, a, k), rel=1e-7)


def test_acoustic_and_intervalley_rates_in_an_ellipsoidal_valley():
    """Si-like valleys: the lab-frame quadrature over the ellipsoid gives the Herring-Vogt
    density of states with m_d; the intervalley rate adds the valley offset and Z_f."""
    alpha = 0.5 / eV
    v1 = Valley.ellipsoid("X1", 0.9163 * m_e, 0.1905 * m_e, axis=(1, 0, 0), alpha=alpha,
                          group="X", degeneracy=2)
    v2 = Valley.ellipsoid("X2", 0.9163 * m_e, 0.1905 * m_e, axis=(0, 1, 1), alpha=alpha,
                          group="X", degeneracy=2)
    up = Valley("U", 0.3 * m_e, alpha=0.2 / eV, energy=0.05 * eV, group="U")
    band = MultiValley([v1, v2, up])
    H = pmc.Hamiltonian(band, hbar=hbar)
    ac = AcousticDeformation(9 * eV, 2329.0, 9.0e3, T300)
    msq_ac = (9 * eV) ** 2 * T300 / (2329.0 * 9.0e3 ** 2)
    for v in (0, 1, 2):
        r = ac.rates(ENERGIES, H, valley=v)[0]
        np.testing.assert_allclose(r, ac.reference_rates(ENERGIES, H, valley=v)[0],
                                   rtol=1e-10)
        for i in (1, 3):
            want = _golden_ellipsoid(msq_ac, ENERGIES[i], band.valleys[v])
            assert r[i] == pytest.approx(want, rel=1e-7)
    f = IntervalleyPhonon(2e8 * eV / pmc.units.cm, 47.4e-3 * eV, 2329.0, T300, 4, "others",
                          initial="X")
    up_ph = IntervalleyPhonon(5e8 * eV / pmc.units.cm, 30e-3 * eV, 2329.0, T300, 3, "U",
                              initial="X")
    omega = 47.4e-3 * eV / hbar
    for mech, final, delta in ((f, v2, 0.0), (up_ph, up, -0.05 * eV)):
        r = mech.rates(ENERGIES, H, valley=0)
        np.testing.assert_allclose(r, mech.reference_rates(ENERGIES, H, valley=0), rtol=1e-10)
        omega = mech.energy / hbar
        n0 = mech.occupation_number
        for i in (1, 3, 4):
            for j, (sign, occ) in enumerate(((1, n0), (-1, n0 + 1))):
                ef = ENERGIES[i] + delta + sign * mech.energy
                msq = hbar * mech.coupling ** 2 * occ / (2 * 2329.0 * omega) \
                    * mech.final_valleys
                want = _golden_ellipsoid(msq, ef, final) if ef > 0 else 0.0
                assert r[j, i] == pytest.approx(want, rel=1e-7, abs=1e-300), (i, j)
    # the valleys a mechanism does not act on
    assert np.all(f.rates(ENERGIES, H, valley=2) == 0)


@pytest.mark.parametrize("name", ["Si", "Ge", "GaAs"])
def test_kernels_equal_the_numpy_formulas_for_every_material(name):
    mat = pmc.materials.get(name)
    H = pmc.Hamiltonian(mat.band, hbar=hbar)
    e = np.linspace(0, 1.0, 301) * eV
    for mech in mat.scattering():
        for v in range(len(mat.band)):
            np.testing.assert_allclose(mech.rates(e, H, valley=v),
                                       mech.reference_rates(e, H, valley=v), rtol=1e-10,
                                       atol=0, err_msg=f"{mech.name} valley {v}")


def _collide_only(mat, markers, steps, dt, seed=3):
    H = pmc.Hamiltonian(mat.band, hbar=hbar)
    cells = pmc.Cells((0.0,), (1.0,), (1,))
    ops = [m.prepare(H, cells, markers) for m in mat.collisions()]
    for s in range(steps):
        for op in ops:
            op.collide(markers, dt, seed, s)
    return ops


def test_intervalley_scattering_relaxes_to_the_equilibrium_over_valleys():
    """GaAs at 1500 K (so the L and X valleys hold markers), every marker started at rest in
    Gamma: the jumps alone (no field, no push) must reach the Maxwell-Boltzmann populations of
    the three valleys and its mean energy -- detailed balance of Z_f, offsets and phonons."""
    T = 1500 * K
    mat = pmc.materials.get("GaAs", temperature=T)
    n = 5000
    markers = pmc.Markers(x=np.full(n, 0.5), p=np.zeros((n, 3)) + 1e-30,
                          state=np.zeros(n, np.int64))
    ops = _collide_only(mat, markers, 700, 2e-14)
    eq = mat.equilibrium()
    pops = np.bincount(markers.state, minlength=3) / n
    want = eq.populations()
    assert np.all(np.abs(pops - want) < 5 * np.sqrt(want * (1 - want) / n) + 0.01), (pops, want)
    e = mat.band.energy(markers.p, valley=markers.state)
    assert e.mean() == pytest.approx(eq.mean_energy(), rel=0.03)
    assert sum(op.last_counts["intervalley"] for op in ops) > 0


def test_one_operator_is_needed_for_balance():
    """Forward and reverse intervalley processes as separate operators (operator splitting)
    are off equilibrium by O(rate dt); in one ValleyScattering they balance."""
    T = 1500 * K
    mat = pmc.materials.get("GaAs", temperature=T)
    pair = [m for m in mat.scattering() if m.name in ("intervalley_GL", "intervalley_LG")]
    eq = mat.equilibrium()
    H = pmc.Hamiltonian(mat.band, hbar=hbar)
    cells = pmc.Cells((0.0,), (1.0,), (1,))
    out = {}
    for label, colls in (("split", pair), ("joint", [pmc.collisions.ValleyScattering(pair)])):
        markers = pmc.sample(eq, 8000, seed=4)
        ops = [c.prepare(H, cells, markers) for c in colls]
        for s in range(200):
            for op in ops:
                op.collide(markers, 2e-14, 5, s)
        out[label] = np.mean(markers.state == 0)
    sd = math.sqrt(eq.populations()[0] * (1 - eq.populations()[0]) / 8000)
    assert abs(out["joint"] - eq.populations()[0]) < 5 * sd
    assert abs(out["split"] - eq.populations()[0]) > 5 * sd


def test_silicon_f_and_g_processes_equalise_the_six_valleys():
    mat = pmc.materials.get("Si")
    n = 6000
    markers = pmc.Markers(x=np.full(n, 0.5), p=np.full((n, 3), 1e-26),
                          state=np.zeros(n, np.int64))
    _collide_only(mat, markers, 400, 1e-13)
    pops = np.bincount(markers.state, minlength=3) / n
    np.testing.assert_allclose(pops, 1 / 3, atol=0.03)


def test_equivalent_valley_approximation_runs_with_the_kane_push():
    """With a one-valley Kane band every process stays in the valley (Z_f kept): silicon's
    mechanisms in the single-valley push, a low field: a positive drift of the right order."""
    mat = pmc.materials.get("Si")
    H = pmc.Hamiltonian(mat.single_valley(), pmc.potentials.UniformField(qe * 1e5),
                        hbar=hbar)
    gas = pmc.states.Maxwellian(temperature=T300, mass=mat.single_valley().mass,
                                x=(0.0, 1.0), momentum_dims=3)
    markers = pmc.sample(gas, 2000, seed=1)
    sim = pmc.Simulation(H, markers, dt=2e-15, collisions=mat.collisions(),
                         cells=pmc.Cells((0.0,), (1.0,), (1,)), seed=2)
    sim.step(500)
    v = H.velocity(sim.markers.p)[:, 0].mean()
    assert 2e3 < v < 3e5  # m/s at 1 kV/cm (mu between 200 and 3000 cm^2/Vs)


def test_checks():
    with pytest.raises(ValueError, match="classical"):
        AcousticDeformation(1.0, 1.0, 1.0, 1.0, statistics="fermi")
    with pytest.raises(ValueError, match="static_permittivity"):
        PolarOptical(1.0, 10.0, 12.0, 1.0)
    mat = pmc.materials.get("Si")
    H = pmc.Hamiltonian(mat.band, hbar=hbar)
    m = pmc.Markers(x=np.zeros(3), p=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="state"):
        mat.scattering()[0].prepare(H, pmc.Cells((0.0,), (1.0,), (1,)), m)
    with pytest.raises(ValueError, match="unknown material"):
        pmc.materials.get("Sn")
    si77 = pmc.materials.get("Si", temperature=77 * K, doping=1e22)
    assert si77.scattering()[-1].name == "brooks_herring"
    assert pmc.materials.get("Si").replace(mass_density=1.0).mass_density == 1.0


def test_material_from_a_case_file(tmp_path):
    """[material] name = "Si", temperature = "300 K": the band (multi-valley by default), the
    scattering as one collision and the equilibrium stand in for [dispersion], [collisions] and
    a [distribution] model."""
    case = tmp_path / "si.toml"
    case.write_text('[material]\nname = "Si"\ntemperature = "300 K"\n\n'
                    '[potential]\nmodel = "UniformField"\nF = 1.602176634e-14\n\n'
                    '[distribution]\nn = 300\nx = [0.0, 1e-6]\n\n'
                    '[cells]\nlo = [0.0]\nhi = [1e-6]\nn = [1]\n\n'
                    '[run]\ndt = "2 fs"\nt_end = "0.1 ps"\nsave_every = "0.1 ps"\n')
    sim, opts = pmc.config.build(pmc.config.load_case(case))
    assert isinstance(sim.hamiltonian.dispersion, pmc.bands.MultiValley)
    assert sim.markers.state is not None
    assert [c.name for c in sim.collisions] == ["material"]
    assert sim.collisions[0].mechanisms[0].temperature == pytest.approx(300 * K)
    ds = sim.run(opts["t_end"], opts["save_every"], progress=False)
    assert int(ds["collisions"].sel(mechanism="material")[-1]) > 0
    single = case.read_text().replace('name = "Si"', 'name = "Si"\nband = "single_valley"')
    case.write_text(single)
    assert isinstance(pmc.config.build(pmc.config.load_case(case))[0].hamiltonian.dispersion,
                      Kane)
    bad = case.read_text().replace('name = "Si"', 'name = "Sn"')
    case.write_text(bad)
    with pytest.raises(pmc.config.CaseError, match="material"):
        pmc.config.build(pmc.config.load_case(case))
