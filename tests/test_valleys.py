"""Multi-valley bands (pmc.bands.Valley, MultiValley): the Herring-Vogt transform, energy and
velocity in numpy and in the kernels, and the materials' equilibrium over valleys."""
import numpy as np
import pytest

import pmc
from pmc.bands import MultiValley, Valley
from pmc.units import K, eV, m_e


def _rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


@pytest.fixture
def band():
    return MultiValley([
        Valley("A", (0.9 * m_e, 0.2 * m_e, 0.3 * m_e), alpha=0.5 / eV, orientation=_rotation(1)),
        Valley.ellipsoid("B", 1.6 * m_e, 0.08 * m_e, axis=(1, 1, 1), alpha=0.3 / eV,
                         energy=0.1 * eV, degeneracy=4),
        Valley("C", 0.067 * m_e, alpha=0.64 / eV, energy=0.3 * eV)])


def test_energy_is_the_kane_energy_of_the_principal_axes(band):
    rng = np.random.default_rng(2)
    p = rng.normal(size=(50, 3)) * 3e-26
    for k, v in enumerate(band.valleys):
        gamma = 0.5 * np.einsum("ni,ij,nj->n", p, v.inverse_mass(), p)
        eps = band.energy(p, valley=k) - v.energy
        np.testing.assert_allclose(eps * (1 + v.alpha * eps), gamma, rtol=1e-12)


def test_velocity_is_the_gradient_of_the_energy(band):
    rng = np.random.default_rng(3)
    p = rng.normal(size=(20, 3)) * 3e-26
    h = 1e-33
    for k in range(len(band)):
        v = band.velocity(p, valley=k)
        fd = np.empty_like(p)
        for a in range(3):
            dp = np.zeros(3)
            dp[a] = h
            fd[:, a] = (band.energy(p + dp, valley=k) - band.energy(p - dp, valley=k)) / (2 * h)
        np.testing.assert_allclose(v, fd, rtol=1e-6, atol=1e-9 * np.abs(v).max())


def test_herring_vogt_makes_every_valley_isotropic(band):
    rng = np.random.default_rng(4)
    d = rng.normal(size=(200, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    for k, v in enumerate(band.valleys):
        T, Tinv = v.transform()
        np.testing.assert_allclose(T @ Tinv, np.eye(3), atol=1e-12)
        np.testing.assert_allclose(np.linalg.det(T), 1.0, rtol=1e-12)  # m_d preserves volume
        p = (d * 2e-26) @ Tinv.T  # |p*| fixed, every direction
        e = band.energy(p, valley=k)
        np.testing.assert_allclose(e, e[0], rtol=1e-12)
        np.testing.assert_allclose(band.spherical_momentum(p, k), d * 2e-26, rtol=1e-10,
                                   atol=1e-40)


def test_masses_and_checks():
    v = Valley.ellipsoid("X", 0.916 * m_e, 0.19 * m_e, axis=(0, 0, 1))
    assert v.density_of_states_mass == pytest.approx((0.916 * 0.19 ** 2) ** (1 / 3) * m_e)
    assert v.conductivity_mass == pytest.approx(3 / (1 / 0.916 + 2 / 0.19) * m_e)
    with pytest.raises(ValueError, match="masses"):
        Valley("bad", (1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="orientation"):
        Valley("bad", 1.0, orientation=np.ones((3, 3)))
    with pytest.raises(ValueError, match="distinct names"):
        MultiValley([Valley("a", 1.0), Valley("a", 2.0)])
    band = MultiValley([Valley("a", 1.0), Valley("b", 2.0)])
    with pytest.raises(ValueError, match="valley"):
        band.energy([[1.0, 0.0, 0.0]])
    assert isinstance(band.single_valley(1), pmc.bands.Kane)


@pytest.mark.parametrize("name", ["Si", "GaAs"])
def test_equilibrium_over_valleys(name):
    T = 1200 * K if name == "GaAs" else 300 * K
    mat = pmc.materials.get(name, temperature=T)
    eq = mat.equilibrium(x=(0.0, 1e-6), density=1e22)
    markers = pmc.sample(eq, 40_000, seed=5)
    assert markers.state is not None and markers.total_weight == pytest.approx(1e22 * 1e-6)
    pops = np.bincount(markers.state, minlength=len(mat.band)) / markers.n
    want = eq.populations()
    assert np.all(np.abs(pops - want) <= 4 * np.sqrt(want * (1 - want) / markers.n) + 1e-12)
    if name == "Si":
        np.testing.assert_allclose(want, 1 / 3)
    e = mat.band.energy(markers.p, valley=markers.state)
    assert e.mean() == pytest.approx(eq.mean_energy(), rel=0.02)
    # a parabolic valley has <eps> = 3/2 kT
    par = pmc.materials.ValleyMaxwellian(MultiValley([Valley("a", m_e)]), 300 * K)
    assert par.mean_energy() == pytest.approx(1.5 * 300 * K, rel=1e-4)
