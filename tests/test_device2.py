"""Contacts of a multi-valley band: the reservoir's flux, the law of the markers crossing the
wall and of those an ohmic contact creates, per valley, against closed forms (parabolic
valleys) and quadratures (Kane valleys); composed pushes with ohmic contacts."""
import math

import numpy as np
import pytest
from scipy.integrate import quad

import pmc
from pmc._kernels import inject as kin
from pmc.bands import MultiValley, Valley
from pmc.units import K, eV, m_e

Z = 4.0  # standard errors allowed
KT = 300 * K


def _band(alpha):
    """Three valleys of different minima, masses, degeneracies and orientations (one not along
    a cube axis), so every term of the valley weights and of the Herring-Vogt map matters."""
    return MultiValley([
        Valley.ellipsoid("A", 0.9 * m_e, 0.2 * m_e, axis=(1, 0, 0), alpha=alpha, degeneracy=2),
        Valley.ellipsoid("B", 0.9 * m_e, 0.2 * m_e, axis=(0, 1, 0), alpha=alpha, degeneracy=2),
        Valley.ellipsoid("C", 1.6 * m_e, 0.08 * m_e, axis=(1, 1, 1), alpha=alpha,
                         energy=0.02 * eV, degeneracy=4),
    ])


def _parabolic_reference(band, kT):
    """Closed forms for parabolic valleys: populations d_v m_d^(3/2) exp(-Delta_v/kT) / sum,
    one-sided flux per density sqrt(kT (M^-1)_xx / 2 pi) in each."""
    held = np.array([v.degeneracy * v.density_of_states_mass ** 1.5 * math.exp(-v.energy / kT)
                     for v in band.valleys])
    pop = held / held.sum()
    fpd = np.array([math.sqrt(kT * v.inverse_mass()[0, 0] / (2 * math.pi))
                    for v in band.valleys])
    return pop, fpd


def _kane_moments(v, kT):
    """Per valley (Kane, quadrature over |p*|): Z, the one-sided flux F = int_(v_x>0) v_x f,
    int_(v_x>0) v_x^2 f and int_(v_x>0) v_x E f, with f = exp(-eps/kT) (eps from the valley's
    minimum)."""
    md, a = v.density_of_states_mass, v.alpha
    t2 = md * v.inverse_mass()[0, 0]  # |T^T e_x|^2

    def eps(q):
        g = q * q / (2 * md)
        return 2 * g / (1 + math.sqrt(1 + 4 * a * g))

    s = math.sqrt(2 * md * kT)

    def integral(h):  # int_0^inf h(q) dq in units of s (quad with a relative tolerance)
        return s * quad(lambda u: h(u * s), 0, 60, epsabs=0.0, epsrel=1e-11, limit=200)[0]

    z = integral(lambda q: 4 * math.pi * q * q * math.exp(-eps(q) / kT))
    # int over the half space u = p*_n > 0 of u^k: 2 pi q^(2+k) / (k + 1) per |p*| = q
    speed = lambda q: math.sqrt(t2) / (md * (1 + 2 * a * eps(q)))  # v_x / u  # noqa: E731
    f1 = integral(lambda q: math.pi * q ** 3 * speed(q) * math.exp(-eps(q) / kT))
    f2 = integral(lambda q: 2 * math.pi / 3 * q ** 4 * speed(q) ** 2 * math.exp(-eps(q) / kT))
    fe = integral(lambda q: math.pi * q ** 3 * speed(q) * eps(q) * math.exp(-eps(q) / kT))
    return z, f1, f2, fe


def _inject(table, kT, k, direction=1.0, seed=3):
    x, p, s = np.empty((1, k)), np.empty((3, k)), np.empty(k, np.int64)
    kin.inject_band(seed, 0, 0, 1.0, 0.0, 0.0, direction, kT, table, x, p, s)
    return p.T, s


def _refill(table, kT, k, seed=4):
    x, p, s = np.empty((1, k)), np.empty((3, k)), np.empty(k, np.int64)
    kin.refill_band(seed, 0, 0, 0.0, 1.0, kT, table, x, p, s)
    return x[0], p.T, s


def test_flux_of_parabolic_valleys_is_the_closed_form():
    band = _band(0.0)
    pop, fpd = _parabolic_reference(band, KT)
    res = pmc.Reservoir(density=1e23, temperature=KT)
    table, flux_per_density = res.emission(band, 3)
    assert flux_per_density == pytest.approx(np.sum(pop * fpd), rel=1e-9)
    assert res.flux(1.0, band, 3) == pytest.approx(1e23 * np.sum(pop * fpd), rel=1e-9)
    assert np.diff(table[:, kin.POP], prepend=0.0) == pytest.approx(pop, rel=1e-9)
    share = pop * fpd / np.sum(pop * fpd)
    assert np.diff(table[:, kin.FLUX], prepend=0.0) == pytest.approx(share, rel=1e-9)


def test_flux_of_kane_valleys_is_the_quadrature():
    band = _band(0.5 / eV)
    res = pmc.Reservoir(density=1.0, temperature=KT)
    _, fpd = res.emission(band, 3)
    mom = [_kane_moments(v, KT) for v in band.valleys]
    held = np.array([v.degeneracy * m[0] * math.exp(-v.energy / KT)
                     for v, m in zip(band.valleys, mom)])
    flux = sum(h * m[1] / m[0] for h, m in zip(held, mom)) / held.sum()
    assert fpd == pytest.approx(flux, rel=1e-7)


@pytest.mark.parametrize("alpha", [0.0, 0.5 / eV])
@pytest.mark.parametrize("direction", [1.0, -1.0])
def test_injected_markers_have_the_flux_law_per_valley(alpha, direction):
    """Markers crossing the wall: valley shares (multinomial), and per valley <v_x>,
    the flux-weighted moments <v_x> = int v_x^2 f / int v_x f and <E - Delta> =
    int v_x E f / int v_x f (quadratures over the Herring-Vogt momentum)."""
    band = _band(alpha)
    res = pmc.Reservoir(density=1.0, temperature=KT)
    table, _ = res.emission(band, 3)
    n = 120_000
    p, s = _inject(table, KT, n, direction)
    share = np.diff(table[:, kin.FLUX], prepend=0.0)
    counts = np.bincount(s, minlength=3)
    assert np.all(np.abs(counts - n * share) <= Z * np.sqrt(n * share * (1 - share)))
    vel = band.velocity(p, valley=s)
    en = band.energy(p, valley=s)
    for k, v in enumerate(band.valleys):
        z, f1, f2, fe = _kane_moments(v, KT)
        vx = vel[s == k, 0] * direction
        assert np.all(vx > 0)
        for got, ref in ((vx, f2 / f1), (en[s == k] - v.energy, fe / f1)):
            err = got.std() / math.sqrt(got.size)
            assert abs(got.mean() - ref) < Z * err, (v.name, got.mean(), ref, err)


@pytest.mark.parametrize("alpha", [0.0, 0.5 / eV])
def test_refill_is_the_equilibrium_per_valley(alpha):
    """Markers an ohmic contact creates: valleys by population; per valley <E - Delta> the
    Kane equilibrium mean (quadrature) and, parabolic, <p p^T> = kT M (the mass tensor)."""
    band = _band(alpha)
    table, _ = pmc.Reservoir(temperature=KT).emission(band, 3)
    n = 120_000
    x, p, s = _refill(table, KT, n)
    assert x.min() >= 0.0 and x.max() < 1.0
    pop = np.diff(table[:, kin.POP], prepend=0.0)
    if alpha == 0.0:
        assert pop == pytest.approx(_parabolic_reference(band, KT)[0], rel=1e-9)
    counts = np.bincount(s, minlength=3)
    assert np.all(np.abs(counts - n * pop) <= Z * np.sqrt(n * pop * (1 - pop)))
    en = band.energy(p, valley=s)
    for k, v in enumerate(band.valleys):
        sel = s == k
        md, a = v.density_of_states_mass, v.alpha
        g = lambda e_: math.sqrt(e_ * (1 + a * e_)) * (1 + 2 * a * e_) * math.exp(-e_ / KT)  # noqa: E731
        ref = KT * (quad(lambda u: u * g(u * KT), 0, 60, epsabs=0.0, epsrel=1e-11)[0]
                    / quad(lambda u: g(u * KT), 0, 60, epsabs=0.0, epsrel=1e-11)[0])
        got = en[sel] - v.energy
        assert abs(got.mean() - ref) < Z * got.std() / math.sqrt(got.size)
        if alpha == 0.0:
            mass = np.linalg.inv(v.inverse_mass())
            pp = p[sel][:, :, None] * p[sel][:, None, :]
            err = pp.std(axis=0) / math.sqrt(sel.sum())
            assert np.all(np.abs(pp.mean(axis=0) - KT * mass) < Z * err + 1e-12 * KT * md)


def test_kane_band_table_is_one_valley_with_the_identity():
    """A Kane band goes through the same kernels as one valley with T = 1: the table row."""
    table, fpd = pmc.Reservoir(temperature=KT).emission(pmc.bands.Kane(mass=0.26 * m_e,
                                                                       alpha=0.5 / eV), 3)
    assert table.shape == (1, kin.NCOL)
    assert table[0, kin.A0:] == pytest.approx(np.eye(3).ravel())
    assert table[0, kin.SPEED] == 1.0


@pytest.mark.parametrize("rule", ["flux", "neutral"])
def test_free_box_between_multivalley_reservoirs_holds_their_equilibrium(rule):
    """Two reservoirs of the same state (thermal flux; or ohmic contacts, which also refill
    their 5 nm cells by the valley populations) on either side of a free box keep it at their
    equilibrium: density n and the valley populations (batch means over the steps)."""
    band = pmc.materials.get("Si").band
    H = pmc.Hamiltonian(band)
    L, n, w = 50e-9, 1e23, 1e23 * 50e-9 / 2000
    res = pmc.Reservoir(density=n, temperature=KT, weight=w, rule=rule,
                        cell=5e-9 if rule == "neutral" else None)
    box = pmc.Injecting(0.0, L, left=res, right=res, charge=-pmc.units.e)
    mk = pmc.sample(pmc.materials.ValleyMaxwellian(band, KT, x=(0.0, L), density=n), 2000,
                    seed=5)
    streamer = pmc.streaming.Streamer(H, mk, boundary=box, seed=11)
    dt = 2e-15
    streamer(mk, dt, 400)  # forget the start (crossing time L / v ~ 0.5 ps)
    dens, pops = [], []
    for b in range(20):
        streamer(mk, dt, 50, step0=400 + 50 * b)
        dens.append(mk.w.sum() / L)
        pops.append(np.bincount(mk.state, weights=mk.w, minlength=3) / mk.w.sum())
    dens, pops = np.array(dens), np.array(pops)
    err = dens.std(ddof=1) / math.sqrt(dens.size)
    assert abs(dens.mean() - n) < Z * err + 1e-3 * n
    perr = pops.std(axis=0, ddof=1) / math.sqrt(dens.size)
    assert np.all(np.abs(pops.mean(axis=0) - 1 / 3) < Z * perr + 1e-3)


def test_doped_equilibrium_of_a_multivalley_band_carries_valleys():
    si = pmc.materials.get("Si")
    dop = pmc.devices.Doping([(0.0, 1e-7, 1e23, 0.0), (1e-7, 2e-7, 1e21, 0.0)])
    mk = pmc.sample(pmc.devices.DopedEquilibrium(dop, si.band, KT), 30_000, seed=2)
    assert mk.state is not None and set(np.unique(mk.state)) == {0, 1, 2}
    assert mk.w.sum() == pytest.approx(1e23 * 1e-7 + 1e21 * 1e-7, rel=1e-12)
    with pytest.raises(ValueError, match="momentum_dims"):
        pmc.devices.DopedEquilibrium(dop, si.band, KT, momentum_dims=1)


def test_multivalley_reservoir_bad_input():
    band = _band(0.0)
    with pytest.raises(ValueError, match="mass must be None"):
        pmc.Reservoir(mass=m_e).emission(band, 3)
    with pytest.raises(ValueError, match="drift must be 0"):
        pmc.Reservoir(drift=1.0).emission(band, 3)
    with pytest.raises(ValueError, match="3 momentum dimensions"):
        pmc.Reservoir().emission(band, 2)
