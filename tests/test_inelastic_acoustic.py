"""Inelastic acoustic deformation-potential scattering (pmc.collisions.InelasticAcoustic).

The kernel's rate (the golden rule integrated over the phonon wavenumber q between the
momentum-conservation limits, Gauss-Legendre) is held to an independent quadrature of the golden
rule over the direction of the final state (scipy quad, the final |k'| by brentq for each
direction: :meth:`InelasticAcoustic.reference_rates`); its high-temperature limit is the elastic
equipartition rate; the jumps alone relax a hot Maxwellian to the lattice temperature (the
final-state law and the Bose-Einstein occupations in detailed balance).
"""
import numpy as np
import pytest

import pmc
from pmc.bands import MultiValley, Valley
from pmc.collisions import AcousticDeformation, InelasticAcoustic, ValleyScattering
from pmc.materials import ValleyMaxwellian
from pmc.units import K, eV, hbar, m_e

SI = dict(deformation_potential=9.0 * eV, mass_density=2329.0, sound_velocity=9.0e3)


def _si_band():
    return pmc.materials.get("Si").band


@pytest.mark.parametrize("T", [77.0, 300.0])
def test_rates_equal_the_golden_rule_by_quadrature_over_directions(T):
    H = pmc.Hamiltonian(_si_band(), hbar=hbar)
    mech = InelasticAcoustic(**SI, temperature=T * K)
    e = np.array([1e-3, 5e-3, 0.02, 0.1, 0.5]) * eV
    got = mech.rates(e, H)
    want = mech.reference_rates(e, H)
    assert np.all(want > 0)
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_parabolic_limits_and_no_emission_below_the_sound_velocity():
    """Parabolic band (alpha = 0): the q range of emission ends at 2 k - 2 m u / hbar; an
    electron slower than sound cannot emit."""
    m, u, T = 0.3 * m_e, 9.0e3, 77 * K
    band = MultiValley([Valley("v", m)])
    H = pmc.Hamiltonian(band, hbar=hbar)
    mech = InelasticAcoustic(9.0 * eV, 2329.0, u, T)
    slow = 0.5 * m * (0.9 * u) ** 2
    assert mech.rates(np.array([slow]), H)[1, 0] == 0.0
    assert mech.rates(np.array([slow]), H)[0, 0] > 0.0
    e = np.array([2e-3, 0.01, 0.05]) * eV
    np.testing.assert_allclose(mech.rates(e, H), mech.reference_rates(e, H), rtol=1e-8)


def test_high_temperature_limit_is_the_elastic_rate():
    """300 K, 5-100 meV: hbar u q << kT and << eps, so absorption + emission = the elastic
    equipartition rate to the order hbar u k / kT (about 1 %)."""
    H = pmc.Hamiltonian(_si_band(), hbar=hbar)
    e = np.array([5e-3, 0.02, 0.05, 0.1]) * eV
    inel = InelasticAcoustic(**SI, temperature=300 * K).rates(e, H).sum(axis=0)
    el = AcousticDeformation(**SI, temperature=300 * K).rates(e, H)[0]
    np.testing.assert_allclose(inel, el, rtol=0.015)


def test_jumps_relax_a_hot_maxwellian_to_the_lattice_temperature():
    """One strongly inelastic Kane valley (u = 4e4 m/s: m u^2 = 0.4 kT at 77 K; a large
    deformation potential for speed): from a Maxwellian at 3 T the jumps alone reach the mean
    energy of the equilibrium at T, within a few standard errors."""
    T = 77 * K
    band = MultiValley([Valley("v", 0.3 * m_e, alpha=0.5 / eV)])
    H = pmc.Hamiltonian(band, hbar=hbar)
    op_desc = ValleyScattering([InelasticAcoustic(300 * eV, 2329.0, 4e4, T)])
    n = 4000
    markers = pmc.sample(ValleyMaxwellian(band, 3 * T), n, seed=3)
    op = op_desc.prepare(H, pmc.Cells((0.0,), (1.0,), (1,)), markers)
    want = ValleyMaxwellian(band, T).mean_energy()
    means = []
    for s in range(300):
        op.collide(markers, 5e-14, 7, s)
        if s >= 100 and s % 20 == 0:
            means.append(band.energy(markers.p, valley=markers.state).mean())
    energy = band.energy(markers.p, valley=markers.state)
    stderr = energy.std() / np.sqrt(n)
    assert abs(np.mean(means) - want) < 4 * stderr, (np.mean(means) / want, stderr / want)
    assert op.last_counts["absorption"] > 0 and op.last_counts["emission"] > 0


def test_material_option_and_checks():
    si = pmc.materials.get("Si", temperature=77 * K, acoustic="inelastic")
    assert si.acoustic_model == "inelastic"
    assert isinstance(si.scattering()[0], InelasticAcoustic)
    assert si.scattering()[0].processes == ("absorption", "emission")
    assert isinstance(pmc.materials.get("Si").scattering()[0], AcousticDeformation)
    # a tuple still replaces the deformation potentials
    assert pmc.materials.get("Si", acoustic=(("X", 8 * eV),)).acoustic[0][1] == 8 * eV
    with pytest.raises(ValueError, match="acoustic_model"):
        pmc.materials.get("Si", acoustic="cold")
    for field in ("deformation_potential", "mass_density", "sound_velocity", "temperature"):
        kw = dict(SI, temperature=77 * K)
        kw[field] = -1.0
        with pytest.raises(ValueError, match=field):
            InelasticAcoustic(**kw)
