"""Signed-particle Wigner transport: the Wigner potential against closed forms and quadrature,
the pair generation's statistics, annihilation, signed markers, thread-count independence and
bad input (pmc.collisions.WignerPotential)."""
import math

import numba
import numpy as np
import pytest
from scipy import integrate, stats

import pmc
from pmc.collisions.wigner import WignerPotential

HBAR = 1.0


def _op(U, lo=-10.0, hi=10.0, markers=None, **kw):
    kw.setdefault("q_max", 6.0)
    wp = WignerPotential(U, lo, hi, **kw)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=HBAR)
    if markers is None:
        markers = pmc.Markers(np.zeros(4), np.zeros(4), signed=True)
    return wp, wp.prepare(H, None, markers)


def test_gaussian_barrier_closed_form():
    # W(x, q) = (2 V0 s sqrt(2 pi) / (L hbar)) exp(-2 k^2 s^2) sin(2 k (x - c)), k = q / hbar,
    # where U(x +- L/2) has vanished (module docstring of pmc.collisions.wigner)
    V0, s, c = 1.0, 0.5, 0.3
    wp = WignerPotential(pmc.potentials.GaussianBarrier(V0, s, c), -10.0, 10.0, q_max=6.0)
    L = wp.lattice(HBAR)[0]
    x, q, W = wp.table(HBAR)
    k = q / HBAR
    exact = (2 * V0 * s * math.sqrt(2 * math.pi) / (L * HBAR)
             * np.exp(-2 * k ** 2 * s ** 2) * np.sin(2 * np.outer(x - c, k)))
    inside = np.abs(x - c) < L / 2 - 6 * s
    # the linear interpolation of U in y: O((q dx / hbar)^2) relative, dx = L / 612 here
    assert np.max(np.abs(W - exact)[inside]) < 2e-4 * np.max(np.abs(exact))


def test_lattice_spacing_and_table_shape():
    wp = WignerPotential(pmc.potentials.GaussianBarrier(1.0, 0.5), -10.0, 10.0, q_max=6.0,
                         coherence_length=8.0)
    L, dq, nq, dx, nx = wp.lattice(HBAR)
    assert L == 8.0 and dq == pytest.approx(math.pi * HBAR / 8.0)
    assert nq == math.floor(6.0 / dq) and nx * dx >= 20.0 > (nx - 1) * dx
    x, q, W = wp.table(HBAR)
    assert W.shape == (nx, nq) and np.allclose(q, dq * np.arange(1, nq + 1))


def _quadrature(U, x, q, L):
    """-(1 / (L hbar)) int_0^L sin(q y / hbar) [U(x + y/2) - U(x - y/2)] dy, by adaptive
    quadrature (an independent evaluation of the definition)."""
    f = lambda y: math.sin(q * y / HBAR) * (float(U.potential(np.array([x + y / 2]))[0])
                                            - float(U.potential(np.array([x - y / 2]))[0]))
    val, _ = integrate.quad(f, 0.0, L, limit=400, points=[2 * abs(x - 0.7)])
    return -val / (L * HBAR)


def test_antisymmetry_and_quadrature_of_a_step():
    # a smooth step: not symmetric about any point, so W has no accidental zeros
    U = pmc.potentials.Step(height=0.8, width=0.3, center=0.7)
    wp = WignerPotential(U, -4.0, 4.0, q_max=4.0)
    L = wp.lattice(HBAR)[0]
    x, q, W = wp.table(HBAR)
    rng = np.random.default_rng(3)
    for i, j in zip(rng.integers(0, x.size, 6), rng.integers(0, q.size, 6)):
        plus = _quadrature(U, x[i], q[j], L)
        minus = _quadrature(U, x[i], -q[j], L)
        assert minus == pytest.approx(-plus, abs=1e-12)
        assert W[i, j] == pytest.approx(plus, rel=2e-3, abs=2e-4 * np.abs(W).max())


def test_gamma_is_the_sum_of_the_positive_part():
    U = pmc.potentials.GaussianBarrier(1.0, 0.5)
    wp, op = _op(U)
    Wfull = np.concatenate([-op.W[:, ::-1], np.zeros((op.W.shape[0], 1)), op.W], axis=1)
    assert np.allclose(op.rate, np.maximum(Wfull, 0.0).sum(axis=1), rtol=1e-12)
    assert np.allclose(op.rate, np.abs(op.W).sum(axis=1), rtol=1e-12)


def test_pair_generation_statistics():
    """Markers at one point: the number of pairs of the branching process over dt (children
    generate too) against its mean, the law of the lattice momentum j (|W_j| / gamma) and the
    signs (W's) of the first generation's pairs."""
    U = pmc.potentials.GaussianBarrier(1.0, 0.5)
    n = 20000
    x0, p0 = 1.3, 0.4
    mk = pmc.Markers(np.full(n, x0), np.full(n, p0), np.full(n, 1.0 / n), signed=True)
    wp, op = _op(U, markers=mk)
    i = int((x0 - (op.x[0] - 0.5 * op.dx)) / op.dx)
    gamma = op.rate[i]
    dt = 0.02 / gamma  # few second generations: the children's p differ from p0
    pairs = op.generate(mk, dt, seed=5, step=0)
    # the expected number of events in the branching process over dt: n (exp(2 gamma dt) - 1) / 2
    mean = n * (math.exp(2 * gamma * dt) - 1) / 2
    assert abs(pairs - mean) < 5 * math.sqrt(mean)
    new = slice(n, mk.n)
    dpx = mk.p[new] - p0
    # pairs of the first generation: their midpoint is the parents' p0 (a later generation's
    # is p0 + a lattice momentum, but for the rare parent back at p0)
    first = np.isclose(0.5 * (dpx[::2] + dpx[1::2]), 0.0, atol=1e-9 * op.dq)
    j = np.round(dpx[::2] / op.dq).astype(int)  # the + child of each pair
    counts = np.bincount(j[first] - 1, minlength=op.q.size)
    expected = np.abs(op.W[i]) / gamma * counts.sum()
    ok = expected > 5
    chi2 = np.sum((counts[ok] - expected[ok]) ** 2 / expected[ok])
    assert stats.chi2.sf(chi2, ok.sum() - 1) > 1e-3
    # the child at p + q_j carries sign(W_j) w, the one at p - q_j the opposite
    plus = mk.w[n::2][first]
    assert np.all(np.sign(plus) == np.sign(op.W[i, j[first] - 1]))
    assert np.allclose(mk.w[n + 1::2][first], -plus)
    # the signed weight is unchanged (pairs have zero net weight)
    assert mk.total_weight == pytest.approx(1.0, abs=1e-12)


def _cell_sums(op, mk):
    ix = np.floor((mk.x - op.mechanism.lo) / op.a_dx).astype(np.int64)
    ip = np.floor(mk.p / op.a_dp + 0.5).astype(np.int64)
    keys = ix * 1_000_003 + ip
    u, inv = np.unique(keys, return_inverse=True)
    return dict(zip(u, np.bincount(inv, mk.w)))


def test_annihilation_conserves_the_signed_weight_per_cell():
    rng = np.random.default_rng(7)
    n = 50000
    x = rng.uniform(-10, 10, n)
    p = rng.normal(0, 1.5, n)
    w = rng.choice([-1.0, 1.0], n, p=[0.4, 0.6]) / n
    mk = pmc.Markers(x, p, w, signed=True)
    U = pmc.potentials.GaussianBarrier(1.0, 0.5)
    for target in (10 * n, 5000):  # pure cancellation; merging down towards a budget
        m = mk.copy()
        wp, op = _op(U, markers=m, annihilation_dx=0.5, annihilation_dp=0.3)
        before = _cell_sums(op, m)
        removed = op.annihilate(m, seed=1, step=0, target=target)
        after = _cell_sums(op, m)
        for key, s in before.items():
            assert after.get(key, 0.0) == pytest.approx(s, rel=1e-12, abs=1e-15)
        assert removed == pytest.approx(np.abs(mk.w).sum() - np.abs(m.w).sum())
        # each cell keeps markers of one sign only
        ix = np.floor((m.x + 10) / 0.5).astype(np.int64) * 1_000_003 + np.floor(m.p / 0.3 + 0.5)
        signs = {}
        for k, s in zip(ix, np.sign(m.w)):
            assert signs.setdefault(k, s) == s
        if target > n:  # equal weights: exactly |n+ - n-| markers per cell remain
            assert np.allclose(np.abs(m.w), 1.0 / n)
        else:
            assert m.n <= target + len(before) // 50 or m.n <= len(before)


def test_free_flight_limit():
    """U_f = 0: no pairs, and the run equals the classical one (up to the rounding of the
    half pushes the collision step splits the push into)."""
    psi0 = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.0, sigma_x=1.0)
    mk = pmc.sample(psi0, n=2000, seed=1)
    signed = pmc.Markers(mk.x, mk.p, mk.w, signed=True)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-20, 20, 3),
                                                   p=np.linspace(-5, 5, 3)))
    wp = WignerPotential(pmc.potentials.Zero(), -20.0, 20.0, q_max=4.0)
    a = pmc.Simulation(H, signed, dt=0.01, collisions=[wp], cells=cells, seed=3)
    b = pmc.Simulation(H, mk, dt=0.01, seed=3)
    a.step(200)
    b.step(200)
    assert a.markers.n == b.markers.n
    assert np.allclose(a.markers.x, b.markers.x, rtol=0, atol=1e-9)
    assert np.allclose(a.markers.p, b.markers.p, rtol=0, atol=1e-9)
    assert int(a.observe().pairs_generated.item()) == 0


def _run(threads, steps=30):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(threads)
        psi0 = pmc.states.GaussianWavepacket(x0=-3.0, p0=1.5, sigma_x=1.0)
        m = pmc.sample(psi0, n=30000, seed=2)
        mk = pmc.Markers(m.x, m.p, m.w, signed=True)
        U = pmc.potentials.GaussianBarrier(1.0, 0.3)
        wp = WignerPotential(U, -15.0, 15.0, q_max=8.0, coherence_length=6.0, budget=32000)
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)
        cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-15, 15, 3),
                                                       p=np.linspace(-5, 5, 3)))
        sim = pmc.Simulation(H, mk, dt=0.01, collisions=[wp], cells=cells, seed=4,
                             boundary=pmc.Absorbing(-15.0, 15.0))
        sim.step(steps)
        return sim
    finally:
        numba.set_num_threads(before)


def test_thread_count_independence_and_annihilation_in_a_run():
    one = _run(1)
    many = _run(numba.config.NUMBA_NUM_THREADS)
    assert one.markers.n == many.markers.n
    assert np.array_equal(one.markers.x, many.markers.x)
    assert np.array_equal(one.markers.p, many.markers.p)
    assert np.array_equal(one.markers.w, many.markers.w)
    frame = one.observe().isel(time=0)
    assert int(frame.n_positive) + int(frame.n_negative) == one.markers.n
    assert int(frame.pairs_generated) > 0 and float(frame.annihilated_weight) > 0
    assert one.markers.n <= 32000 + 16000  # annihilated at the budget
    assert float(frame.total_weight) == pytest.approx(float(np.sum(one.markers.w)), rel=1e-12)


def test_checkpoint_resume(tmp_path):
    psi0 = pmc.states.GaussianWavepacket(x0=-3.0, p0=1.5, sigma_x=1.0)
    m = pmc.sample(psi0, n=3000, seed=2)
    mk = pmc.Markers(m.x, m.p, m.w, signed=True)
    U = pmc.potentials.GaussianBarrier(1.0, 0.3)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-15, 15, 3),
                                                   p=np.linspace(-5, 5, 3)))

    def sim():
        wp = WignerPotential(U, -15.0, 15.0, q_max=8.0, coherence_length=6.0, budget=6000)
        return pmc.Simulation(H, mk, dt=0.01, collisions=[wp], cells=cells, seed=4,
                              boundary=pmc.Absorbing(-15.0, 15.0))

    full = sim().run(0.4, 0.1, output=tmp_path / "a.nc")
    sim().run(0.2, 0.1, output=tmp_path / "b.nc", checkpoint_every=1)
    resumed = sim().run(0.4, 0.1, output=tmp_path / "b.nc", resume=True)
    for v in ("n_markers", "n_negative", "pairs_generated", "annihilated_weight",
              "total_weight"):
        assert np.array_equal(full[v].values, resumed[v].values), v


def test_signed_markers():
    m = pmc.Markers([0.0, 1.0], [0.0, 0.0], [0.5, -0.25], signed=True)
    assert m.signed and m.total_weight == 0.25
    assert m.copy().signed and m.with_state([0, 1]).signed
    with pytest.raises(ValueError, match="w must be > 0.*signed=True"):
        pmc.Markers([0.0, 1.0], [0.0, 0.0], [0.5, -0.25])
    with pytest.raises(ValueError, match="nonzero"):
        pmc.Markers([0.0, 1.0], [0.0, 0.0], [0.5, 0.0], signed=True)
    with pytest.raises(ValueError, match="signed must be True or False"):
        pmc.Markers([0.0], [0.0], signed="yes")


@pytest.mark.parametrize("kw, match", [
    (dict(potential=1.0), "potential must be a pmc.potentials.Potential"),
    (dict(lo=1.0, hi=1.0), "hi must be > lo"),
    (dict(q_max=None), "q_max .* is required"),
    (dict(q_max=-1.0), "q_max must be a finite number > 0"),
    (dict(coherence_length=0.0), "coherence_length must be a finite number > 0"),
    (dict(resolution=0), "resolution"),
    (dict(budget=1), "budget"),
    (dict(keep=1.5), r"keep must be in \(0, 1\]"),
    (dict(annihilation_dx=-1.0), "annihilation_dx must be"),
    (dict(name=""), "name must be a non-empty string"),
    (dict(q_max=0.01), "q_max=.* is below the lattice spacing"),
])
def test_bad_input(kw, match):
    args = dict(potential=pmc.potentials.GaussianBarrier(1.0, 0.5), lo=-10.0, hi=10.0,
                q_max=6.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        wp = WignerPotential(**args)
        wp.lattice(1.0)


def test_needs_signed_one_dimensional_markers():
    U = pmc.potentials.GaussianBarrier(1.0, 0.5)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero(), hbar=1.0)
    wp = WignerPotential(U, -10.0, 10.0, q_max=6.0)
    with pytest.raises(ValueError, match="signed markers"):
        wp.prepare(H, None, pmc.Markers(np.zeros(3), np.zeros(3)))
    with pytest.raises(ValueError, match="one position dimension"):
        wp.prepare(H, None, pmc.Markers(np.zeros((3, 2)), np.zeros((3, 2)), signed=True))
