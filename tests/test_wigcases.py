"""Signed-particle Wigner transport, wave 6: the split suggestion, the default annihilation
interval, pmc.compare with signed markers."""
import math
import warnings

import numpy as np
import pytest

import pmc
from pmc.collisions import suggest_split
from pmc.collisions.wigner import ANNIHILATE_AFTER

G = pmc.potentials.GaussianBarrier
THIN, WIDE = G(0.9, 0.2), G(0.25, 2.5)
U = THIN + WIDE + pmc.potentials.UniformField(0.01)


def test_split_sums_to_the_potential_and_cuts_at_k_cut():
    s = suggest_split(U, -20.0, 20.0, hbar=1.0, sigma_p=0.5, tolerance=0.01, n=2048)
    assert s.k_cut == pytest.approx(math.sqrt(0.08) * 0.5)
    x = np.linspace(-20.0, 20.0, 2048)
    total = s.smooth.potential(x) + s.fast.potential(x)
    assert np.max(np.abs(total - U.potential(x))) < 1e-10  # the tables interpolate
    # for sigma_p = 2 the wide bump is mostly smooth, the thin barrier mostly fast
    # (sine-spectrum energy above k_cut = 0.566: erfc(k_cut w) of a Gaussian of width w)
    sw = suggest_split(WIDE, -20.0, 20.0, hbar=1.0, sigma_p=2.0, n=2048)
    assert sw.fast_fraction < 0.06
    st = suggest_split(THIN, -20.0, 20.0, hbar=1.0, sigma_p=2.0, n=2048)
    assert st.fast_fraction > 0.8
    # the smooth part's spectrum stops at k_cut: its sine coefficients above vanish
    import scipy.fft
    u = s.smooth.potential(x)
    trend = u[0] + (u[-1] - u[0]) * (x + 20.0) / 40.0
    b = scipy.fft.dst(u[1:-1] - trend[1:-1], type=1)
    k = np.arange(1, 2047) * math.pi / 40.0
    assert np.max(np.abs(b[k > s.k_cut])) < 1e-9 * np.max(np.abs(b))


def test_split_ends():
    # classical end: k_cut beyond every sampled wavenumber -> U itself and nothing fast
    s = suggest_split(U, -20.0, 20.0, hbar=1e-6, sigma_p=0.5, n=256)
    assert s.smooth is U and isinstance(s.fast, pmc.potentials.Zero) and s.fast_fraction == 0
    # Wigner end: k_cut below the first mode -> the smooth part is the linear trend only
    s = suggest_split(U, -20.0, 20.0, hbar=1.0, sigma_p=1e-4, n=256)
    x = np.linspace(-20.0, 20.0, 256)
    u = U.potential(x)
    trend = u[0] + (u[-1] - u[0]) * (x + 20.0) / 40.0
    assert np.max(np.abs(s.smooth.potential(x) - trend)) < 1e-10
    assert np.max(np.abs(s.fast.potential(x) - (u - trend))) < 1e-10
    assert s.fast_fraction == pytest.approx(1.0)


@pytest.mark.parametrize("kw, match", [
    (dict(hbar=0.0), "hbar"), (dict(sigma_p=-1.0), "sigma_p"), (dict(tolerance=1.5), "tolerance"),
    (dict(n=4), "n"), (dict(lo=1.0, hi=0.0), "hi must be > lo")])
def test_split_bad_input(kw, match):
    args = dict(lo=-1.0, hi=1.0, hbar=1.0, sigma_p=1.0)
    args.update(kw)
    lo, hi = args.pop("lo"), args.pop("hi")
    with pytest.raises(ValueError, match=match):
        suggest_split(U, lo, hi, **args)
    with pytest.raises(ValueError, match="potential"):
        suggest_split(1.0, -1.0, 1.0, hbar=1.0, sigma_p=1.0)


def _sim(n=2000, seed=0, every=None, t_end=None):
    U = pmc.potentials.GaussianBarrier(1.0, 0.3)
    wp = pmc.collisions.WignerPotential(U, -15.0, 15.0, q_max=4.0, coherence_length=8.0,
                                        every=every)
    psi0 = pmc.states.GaussianWavepacket(x0=-4.0, p0=1.2, sigma_x=1.0, hbar=1.0)
    m = pmc.sample(psi0, n=n, seed=np.random.SeedSequence(5, spawn_key=(seed,)))
    mk = pmc.Markers(m.x, m.p, m.w, signed=True)
    H0 = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)
    grid = pmc.PhaseSpaceGrid(x=np.arange(-14.75, 15.0, 0.5), p=np.arange(-3.95, 4.0, 0.1))
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-15, 15, 3),
                                                   p=np.linspace(-1, 1, 3)))
    sim = pmc.Simulation(H0, mk, dt=0.01, grid=grid, observables=["f"], cells=cells,
                         collisions=[wp], boundary=pmc.Absorbing(-15.0, 15.0), seed=seed)
    return sim, grid, U, psi0


def test_default_annihilation_interval_from_the_rate():
    sim, *_ = _sim(n=10)
    op = sim.operators[0]
    g = float(op.gamma.max())
    k = op.every(0.01)
    assert k >= 1 and g * 0.01 * k <= ANNIHILATE_AFTER < g * 0.01 * (k + 1)
    assert op.every(1e3) == 1
    assert op.a_dx == pytest.approx(math.pi / (8 * 4.0))


def test_compare_signed_needs_ensembles_and_uses_their_scatter():
    K = 3
    runs = []
    for r in range(K):
        sim, grid, U, psi0 = _sim(seed=r)
        runs.append(sim.run(2.0, 1.0, progress=False))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), U, hbar=1.0)
    q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-30, 30, 1024, endpoint=False),
                             t_end=2.0, save_every=1.0)
    rho = pmc.quantum.envelope(q, grid, pmc.quantum.GaussianWindow(sigma_x=1.0), warn=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="signed-marker runs"):
            pmc.compare(runs[:1], rho)
        c = pmc.compare(runs, rho, divide=0.0)
        singles = [pmc.compare(runs[i:i + 2], rho, divide=0.0) for i in range(K - 1)]
    assert singles  # pairs work too
    # the transmitted fraction's error is the scatter of the ensembles' own values
    x = runs[0].x.values
    T = []
    for r in runs:
        smoothed = pmc.quantum.Smoother(x, runs[0].p.values, pmc.quantum.GaussianWindow(1.0),
                                        1.0, True)(r.f.transpose("time", "x", "p").values)
        T.append(smoothed[:, x > 0.0, :].sum(axis=(1, 2)) * 0.5 * 0.1
                 + r.absorbed.sel(side="x_hi").values)
    T = np.array(T)
    np.testing.assert_allclose(c.transmitted_difference_stderr.values,
                               T.std(axis=0, ddof=1) / math.sqrt(K), rtol=1e-9)
    np.testing.assert_allclose(c.transmitted_markers.values, T.mean(axis=0), rtol=1e-9)


def test_taper_multiplies_the_table_by_sigma_factors():
    U = pmc.potentials.GaussianBarrier(1.0, 0.3)
    plain = pmc.collisions.WignerPotential(U, -5.0, 5.0, q_max=4.0)
    tapered = pmc.collisions.WignerPotential(U, -5.0, 5.0, q_max=4.0, taper=True)
    _, q, W = plain.table(1.0)
    _, _, Wt = tapered.table(1.0)
    j = np.arange(1, q.size + 1)
    np.testing.assert_allclose(Wt, W * np.sinc(j / (q.size + 1)), rtol=1e-14)
    with pytest.raises(ValueError, match="taper"):
        pmc.collisions.WignerPotential(U, -5.0, 5.0, q_max=4.0, taper="yes")
