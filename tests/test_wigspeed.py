"""The fast paths of signed-particle Wigner transport (issue 19, item 5): generation 0 by
thinning against the exact branching mean cell by cell, thread-count independence of the
generation and of the annihilation, the compaction of the kept markers (Markers.take), and
signed markers absorbed at walls found by position."""
import math

import numba
import numpy as np
import pytest
from scipy import stats

import pmc
from pmc.collisions.wigner import WignerPotential

H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)


def _spread(n, seed=3, lo=-10.0, hi=10.0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, n)
    p = rng.normal(0.0, 1.0, n)
    w = rng.choice([-1.0, 1.0], n) / n
    return pmc.Markers(x, p, w, signed=True)


def _threads(k, f):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(k)
        return f()
    finally:
        numba.set_num_threads(before)


def test_thinned_generation_matches_the_branching_mean_cell_by_cell():
    """Markers spread over x, where gamma(x) varies by orders of magnitude: the pairs made per
    x bin against the exact mean of the branching process, sum over the bin's markers of
    (exp(2 gamma dt) - 1) / 2, by a chi^2 test (a Poisson count per bin: gamma dt <= 0.05, so
    that second generations are rare and the count is near Poisson)."""
    n = 200_000
    mk = _spread(n)
    wp = WignerPotential(pmc.potentials.GaussianBarrier(1.0, 0.5), -10.0, 10.0, q_max=6.0)
    op = wp.prepare(H, None, mk)
    x0 = mk.x.copy()
    dt = 0.05 / op.rate.max()
    cell = np.floor((x0 - (op.x[0] - 0.5 * op.dx)) / op.dx).astype(int)
    mean_per_marker = np.expm1(2 * op.rate[cell] * dt) / 2
    pairs = op.generate(mk, dt, seed=11, step=3)
    edges = np.linspace(-10, 10, 41)
    made, _ = np.histogram(mk.x[n::2], edges)  # a pair sits at its source's x
    expected, _ = np.histogram(x0, edges, weights=mean_per_marker)
    assert made.sum() == pairs
    assert abs(pairs - expected.sum()) < 5 * math.sqrt(expected.sum())
    ok = expected > 10
    chi2 = np.sum((made[ok] - expected[ok]) ** 2 / expected[ok])
    assert stats.chi2.sf(chi2, ok.sum()) > 1e-3
    # bins where gamma vanishes (beyond L/2 of the barrier... none here) and the sign of W
    # are checked in tests/test_wigner.py; the signed weight stays
    assert mk.total_weight == pytest.approx(np.sum(mk.w[:n]), abs=1e-12)


def test_generation_and_annihilation_are_thread_count_independent():
    def once():
        mk = _spread(60_000, seed=5)
        wp = WignerPotential(pmc.potentials.GaussianBarrier(1.0, 0.5), -10.0, 10.0, q_max=6.0,
                             annihilation_dx=0.2, annihilation_dp=0.2)
        op = wp.prepare(H, None, mk)
        op.generate(mk, 0.2 / op.rate.max(), seed=2, step=7)
        made = mk.n
        gone = op.annihilate(mk, seed=2, step=7, target=20_000)
        return made, gone, mk.x.copy(), mk.p.copy(), mk.w.copy()

    a = _threads(1, once)
    b = _threads(numba.config.NUMBA_NUM_THREADS, once)
    assert a[0] == b[0] and a[1] == b[1]
    for u, v in zip(a[2:], b[2:]):
        assert np.array_equal(u, v)


def test_annihilation_keeps_markers_in_cell_order_and_tallies_the_removed_weight():
    mk = _spread(50_000, seed=9)
    wp = WignerPotential(pmc.potentials.GaussianBarrier(1.0, 0.5), -10.0, 10.0, q_max=6.0,
                         annihilation_dx=0.5, annihilation_dp=0.25)
    op = wp.prepare(H, None, mk)
    before = np.abs(mk.w).sum()
    gone = op.annihilate(mk, seed=1, step=0, target=10 ** 7)
    assert gone == pytest.approx(before - np.abs(mk.w).sum(), rel=1e-12)
    ip_min = math.floor(np.min(_spread(50_000, seed=9).p) / 0.25 + 0.5)
    cell = (np.floor((mk.x + 10) / 0.5).astype(np.int64) * 10 ** 6
            + np.floor(mk.p / 0.25 + 0.5).astype(np.int64) - ip_min)
    assert np.all(np.diff(cell) >= 0)


def test_markers_take():
    m = pmc.Markers(np.arange(6.0), np.arange(6.0) * 10, np.arange(1.0, 7.0), state=np.arange(6))
    m.take(np.array([4, 1, 5]))
    assert m.n == 3
    assert np.array_equal(m.x, [4.0, 1.0, 5.0]) and np.array_equal(m.p, [40.0, 10.0, 50.0])
    assert np.array_equal(m.w, [5.0, 2.0, 6.0]) and np.array_equal(m.state, [4, 1, 5])
    m.take(np.zeros(0, np.int64))
    assert m.n == 0
    m = pmc.Markers(np.arange(3.0), np.zeros(3))
    for bad in ([3], [-1], [[0, 1]], [0, 1, 2, 0]):
        with pytest.raises(ValueError, match="order must be"):
            m.take(np.array(bad))


@pytest.mark.parametrize("potential, dims", [(pmc.potentials.Zero(), 1),
                                             (pmc.potentials.UniformField(0.5), 1),
                                             (pmc.potentials.Zero(), 2)])
def test_signed_markers_absorbed_by_position(potential, dims):
    """Signed markers through absorbing walls leave exactly as unsigned markers do (their
    positions do not depend on the weights), with or without collisions between pushes."""
    rng = np.random.default_rng(4)
    n = 20_000
    x = rng.uniform(-1, 1, (n, dims)) if dims > 1 else rng.uniform(-1, 1, n)
    p = rng.normal(0, 2.0, (n, dims)) if dims > 1 else rng.normal(0, 2.0, n)
    w = rng.choice([-1.0, 1.0], n)
    Hd = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), potential, hbar=1.0)
    box = pmc.Absorbing(-1.0, 1.0)
    signed = pmc.Simulation(Hd, pmc.Markers(x, p, w, signed=True), dt=0.01, boundary=box, seed=1)
    plain = pmc.Simulation(Hd, pmc.Markers(x, p, np.abs(w)), dt=0.01, boundary=box, seed=1)
    signed.step(25)
    plain.step(25)
    assert 0 < signed.markers.n < n
    assert np.array_equal(signed.markers.positions, plain.markers.positions)
    assert np.array_equal(np.abs(signed.markers.w), plain.markers.w)
