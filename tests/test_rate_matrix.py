"""The Fermi-rule rate matrix and its exact jump process.

Exact results used:
- a Markov chain with generator Q carries populations p to p @ expm(Q t) for every t, so the
  states of N independent markers after a step of any dt (here 3 / max rate) are multinomial with
  the rows of expm(Q dt): Pearson's chi-square against them, with the known number of degrees of
  freedom, at a fixed false-alarm probability of 1e-3;
- Q_kl = (2 pi / hbar) |V_kl|^2 delta_G(E_k - E_l), written out entry by entry;
- rates Q_kl = A_kl exp(-(E_l - E_k) / 2T) with A symmetric obey detailed balance with the
  Boltzmann weights exp(-E_k / T), which are then the stationary populations;
- plane waves of a cell of size L coupled by U(x) = h exp(-x^2 / 2 s^2) have
  V_kl = h s sqrt(2 pi) exp(-q^2 s^2 / 2 hbar^2) / L with q = p_k - p_l (L >> s).
"""
import math

import numba
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from scipy import stats

import pmc
from pmc import config
from pmc._kernels import jumps
from pmc._kernels.rng import stream_key, uniform_open
from pmc.collisions import GoldenRule, RateMatrix

#: The run's Hamiltonian handed to prepare() (the rate matrix needs nothing from it).
H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))

P_FALSE_ALARM = 1e-3


def _random_generator(rng, m, zeros=()):
    off = rng.uniform(0.2, 3.0, (m, m))
    for k, l in zeros:
        off[k, l] = 0.0
    np.fill_diagonal(off, 0.0)
    return off - np.diag(off.sum(axis=1))


def _chi_square_p(observed, expected):
    """p-value of Pearson's statistic over independent multinomial rows (one per initial
    state): sum of the rows' statistics, dof = sum over rows of (cells - 1)."""
    stat, dof = 0.0, 0
    for o, e in zip(np.atleast_2d(observed), np.atleast_2d(expected)):
        keep = e > 0
        assert np.all(o[~keep] == 0)
        stat += np.sum((o[keep] - e[keep]) ** 2 / e[keep])
        dof += keep.sum() - 1
    return stats.chi2.sf(stat, dof)


def _markers(states, p=None):
    n = len(states)
    return pmc.Markers(x=np.full(n, 0.5), p=np.zeros(n) if p is None else p,
                       state=np.asarray(states))


@pytest.mark.parametrize("method", ["holding", "uniformization"])
def test_populations_after_a_long_step_follow_expm(rng, method):
    m, per_state = 6, 4000
    Q = _random_generator(rng, m, zeros=[(0, 3), (2, 5)])
    rm = RateMatrix(Q, method=method)
    dt = 3.0 / np.max(-np.diag(Q))  # larger than 1 / max rate
    initial = np.repeat(np.arange(m), per_state)
    mk = _markers(initial)
    events = rm.prepare(H, pmc.Cells(0.0, 1.0, 1), mk).collide(mk, dt, seed=11, step=5)
    observed = np.array([np.bincount(mk.state[initial == k], minlength=m) for k in range(m)])
    expected = per_state * scipy.linalg.expm(Q * dt)
    assert _chi_square_p(observed, expected) > P_FALSE_ALARM
    assert events >= np.sum(mk.state != initial)
    # the test has the power to see a 20 % error in the step
    assert _chi_square_p(observed, per_state * scipy.linalg.expm(Q * 0.8 * dt)) < P_FALSE_ALARM


def test_steps_compose_and_markers_outside_the_cells_stay(rng):
    m, n = 4, 20000
    Q = _random_generator(rng, m)
    rm = RateMatrix(Q)
    dt = 2.0 / np.max(-np.diag(Q))
    x = np.where(np.arange(n) % 4 == 0, 5.0, 0.5)  # a quarter outside the cell [0, 1)
    mk = pmc.Markers(x=x, p=np.zeros(n), state=np.zeros(n, np.int64))
    cells = pmc.Cells(0.0, 1.0, 1)
    for step in range(2):
        rm.prepare(H, cells, mk).collide(mk, dt, seed=3, step=step)
    inside = x < 1.0
    assert np.all(mk.state[~inside] == 0)
    observed = np.bincount(mk.state[inside], minlength=m)
    expected = inside.sum() * rm.propagate(np.eye(m)[0], 2 * dt)
    assert _chi_square_p(observed, expected) > P_FALSE_ALARM


def test_jumps_are_reproducible_and_independent_of_the_thread_count(rng):
    Q = _random_generator(rng, 5)
    rm = RateMatrix(Q)
    start = rng.integers(0, 5, 3 * 4096 + 17)
    results = []
    threads = numba.get_num_threads()
    try:
        for t in sorted({1, threads}):
            numba.set_num_threads(t)
            mk = _markers(start)
            events = rm.prepare(H, None, mk).collide(mk, 1.0, seed=7, step=2)
            results.append((events, mk.state.copy()))
    finally:
        numba.set_num_threads(threads)
    assert results[0][0] == results[-1][0]
    np.testing.assert_array_equal(results[0][1], results[-1][1])
    other = _markers(start)
    rm.prepare(H, None, other).collide(other, 1.0, seed=7, step=3)
    assert np.any(other.state != results[0][1])  # another step draws other numbers
    # another mechanism name draws other numbers too
    renamed = RateMatrix(Q, name="other")
    again = _markers(start)
    renamed.prepare(H, None, again).collide(again, 1.0, seed=7, step=2)
    assert np.any(again.state != results[0][1])


def test_the_scalar_jump_is_the_exponential_holding_time():
    # 0 -> 1 at rate a, 1 absorbing: the marker jumps iff its first waiting time
    # -log(u0) / a is shorter than dt, i.e. iff u0 < exp(-a dt) fails; exactly one jump then
    a, dt = 1.7, 0.9
    rm = RateMatrix([[-a, a], [0.0, 0.0]])
    args = (rm._indptr, rm._indices, rm._cum, rm._out_rate, rm._lambda, jumps.HOLDING)
    for i in range(300):
        key = stream_key(5, 0, i)
        k, j = jumps.jump_state.py_func(0, *args, key, dt)
        expect = -math.log(uniform_open(key, 0)) / a < dt
        assert (k, j) == ((1, 1) if expect else (0, 0))
        assert jumps.jump_state.py_func(1, *args, key, dt) == (1, 0)


@pytest.mark.parametrize("matrix, message", [
    ([[-1.0, 1.0], [-0.5, 0.5]], "off-diagonal rates must be >= 0"),
    ([[-1.0, 1.0], [0.5, -0.4]], "sum to zero"),
    ([[-np.inf, np.inf], [0.0, 0.0]], "finite"),
    ([[0.0, np.nan], [0.0, 0.0]], "finite"),
    ([[-1.0, 1.0, 0.0], [1.0, -1.0, 0.0]], "square"),
    (np.zeros((0, 0)), "square"),
    ([[-1.0 + 1j, 1.0], [0.5, -0.5]], "real"),
    (sp.csr_matrix(np.array([[-1.0 + 0j, 1.0], [0.5, -0.5]])), "real"),
    (np.zeros((2, 2, 2)), "square"),
])
def test_construction_rejects_bad_matrices(matrix, message):
    with pytest.raises(ValueError, match="matrix") as err:
        RateMatrix(matrix)
    assert message in str(err.value)


def test_row_sums_are_checked_relative_to_the_rows_largest_rate():
    big = 1e15
    RateMatrix([[-big, big], [1.0, -1.0]])                  # exact
    RateMatrix([[-big, big * (1 + 1e-15)], [1.0, -1.0]])    # round-off
    with pytest.raises(ValueError, match="row 0"):
        RateMatrix([[-big, big * (1 + 1e-9)], [1.0, -1.0]])
    # sparse input is checked the same way and stored as CSR
    rm = RateMatrix(sp.coo_matrix(np.array([[-2.0, 2.0], [1.0, -1.0]])))
    assert sp.isspmatrix_csr(rm.matrix) and rm.size == 2


@pytest.mark.parametrize("m, kwargs, name", [
    (2, dict(energies=[0.0, 1.0, 2.0]), "energies"),
    (3, dict(momentum_grid=[0.0, 1.0, 3.0]), "momentum_grid"),   # not uniform
    (2, dict(momentum_grid=[0.0, 1.0, 2.0]), "momentum_grid"),   # wrong length
    (2, dict(hbar=0.0), "hbar"),
    (2, dict(name=""), "name"),
    (2, dict(method="euler"), "method"),
])
def test_bad_options_are_named(m, kwargs, name):
    Q = np.ones((m, m)) - m * np.eye(m)
    with pytest.raises(ValueError, match=name):
        RateMatrix(Q, **kwargs)


def test_golden_rule_against_a_hand_computation():
    E = [0.0, 0.5, 2.0]
    V = [[9.9, 0.3, 0.1j], [0.3, 9.9, -0.2], [0.1, -0.2, 9.9]]  # the diagonal plays no part
    G, hbar = 0.4, 0.7
    lor = RateMatrix.from_golden_rule(E, V, width=G, hbar=hbar).matrix.toarray()
    # Q_01 = 2 pi / hbar * 0.09 * (G / pi) / (0.5^2 + G^2), etc.
    q01 = 2 * math.pi / 0.7 * 0.09 * (0.4 / math.pi) / (0.25 + 0.16)
    q02 = 2 * math.pi / 0.7 * 0.01 * (0.4 / math.pi) / (4.0 + 0.16)
    q12 = 2 * math.pi / 0.7 * 0.04 * (0.4 / math.pi) / (2.25 + 0.16)
    hand = np.array([[-(q01 + q02), q01, q02], [q01, -(q01 + q12), q12],
                     [q02, q12, -(q02 + q12)]])
    np.testing.assert_allclose(lor, hand, rtol=1e-14)
    gau = RateMatrix.from_golden_rule(E, V, width=G, hbar=hbar, shape="gaussian").matrix
    g01 = 2 * math.pi / 0.7 * 0.09 * math.exp(-0.25 / (2 * 0.16)) / (0.4 * math.sqrt(2 * math.pi))
    assert gau[0, 1] == pytest.approx(g01, rel=1e-14)
    assert gau[1, 0] == pytest.approx(g01, rel=1e-14)
    np.testing.assert_allclose(np.asarray(gau.sum(axis=1)).ravel(), 0.0, atol=1e-14)


def test_golden_rule_couplings_scalar_dense_and_sparse_agree():
    E = np.array([0.0, 0.1, 0.3, 0.35])
    dense = np.full((4, 4), 0.2)
    a = RateMatrix.from_golden_rule(E, 0.2, width=0.1).matrix.toarray()
    b = RateMatrix.from_golden_rule(E, dense, width=0.1).matrix.toarray()
    c = RateMatrix.from_golden_rule(E, sp.csr_matrix(dense), width=0.1).matrix.toarray()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c, rtol=1e-15)
    # a sparse coupling gives rates only where it has entries
    arrow = sp.lil_matrix((4, 4))
    arrow[0, 1:] = 0.2
    arrow[1:, 0] = 0.2
    d = RateMatrix.from_golden_rule(E, arrow, width=0.1).matrix.toarray()
    assert d[1, 2] == 0.0 and d[1, 0] == a[1, 0]
    for kwargs, name in ((dict(width=0.0), "width"), (dict(width=0.1, shape="box"), "shape"),
                         (dict(width=0.1, hbar=-1.0), "hbar")):
        with pytest.raises(ValueError, match=name):
            RateMatrix.from_golden_rule(E, 0.2, **kwargs)
    with pytest.raises(ValueError, match="V"):
        RateMatrix.from_golden_rule(E, np.ones((3, 3)), width=0.1)
    with pytest.raises(ValueError, match="E"):
        RateMatrix.from_golden_rule([0.0, np.nan], 0.1, width=0.1)


def test_stationary_is_the_boltzmann_distribution_of_a_detailed_balance_matrix(rng):
    m, T = 7, 0.6
    E = rng.uniform(0.0, 2.0, m)
    A = rng.uniform(0.1, 1.0, (m, m))
    A = A + A.T
    off = A * np.exp(-(E[None, :] - E[:, None]) / (2 * T))
    np.fill_diagonal(off, 0.0)
    rm = RateMatrix(off - np.diag(off.sum(axis=1)), energies=E)
    boltzmann = np.exp(-E / T) / np.exp(-E / T).sum()
    np.testing.assert_allclose(rm.stationary(), boltzmann, rtol=1e-12)
    assert rm.check_detailed_balance(T) < 1e-13
    np.testing.assert_allclose(rm.stationary() @ rm.matrix.toarray(), 0.0, atol=1e-14)
    with pytest.raises(ValueError, match="detailed balance"):
        rm.check_detailed_balance(2 * T)
    # a symmetric golden-rule matrix is balanced only at infinite temperature: the violation is
    # reported, and the equilibrium is uniform
    sym = RateMatrix.from_golden_rule(E, 0.3, width=0.5)
    worst = sym.check_detailed_balance(T, rtol=None)
    # Q_kl = Q_lk = q: |q e^{-dE/2T} - q e^{dE/2T}| / (q e^{|dE|/2T}) = 1 - exp(-|dE| / T)
    assert worst == pytest.approx(1 - np.exp(-np.ptp(E) / T), rel=1e-12)
    np.testing.assert_allclose(sym.stationary(), 1 / m, rtol=1e-12)
    with pytest.raises(ValueError, match="energies"):
        RateMatrix(rm.matrix).check_detailed_balance(T)


def test_stationary_refuses_a_chain_with_two_closed_classes():
    Q = np.zeros((4, 4))
    Q[0, 1] = Q[1, 0] = Q[2, 3] = Q[3, 2] = 1.0
    rm = RateMatrix(Q - np.diag(Q.sum(axis=1)))
    with pytest.raises(ValueError, match="not unique"):
        rm.stationary()
    # transient states are fine: 0 -> 1 <-> 2
    Q = np.array([[-1.0, 1.0, 0.0], [0.0, -2.0, 2.0], [0.0, 1.0, -1.0]])
    np.testing.assert_allclose(RateMatrix(Q).stationary(), [0.0, 1 / 3, 2 / 3], atol=1e-15)


def test_propagate_equals_the_dense_matrix_exponential(rng):
    m = 5
    Q = _random_generator(rng, m)
    rm = RateMatrix(Q)
    U = scipy.linalg.expm(Q * 0.8)
    p = rng.uniform(0, 1, (2, 3, m))
    np.testing.assert_allclose(rm.propagate(p, 0.8), p @ U, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rm.propagate(p[0, 0], 0.8), p[0, 0] @ U, rtol=1e-12)
    np.testing.assert_array_equal(rm.propagate(p[0, 0], 0.0), p[0, 0])
    with pytest.raises(ValueError, match="populations"):
        rm.propagate(np.ones(m + 1), 1.0)
    with pytest.raises(ValueError, match="t must"):
        rm.propagate(np.ones(m), -1.0)


def test_momentum_grid_mode_moves_p_x_between_bins(rng):
    grid = np.linspace(-2.0, 2.0, 9)  # spacing h = 0.5
    m, h, per_bin = grid.size, 0.5, 1500
    Q = _random_generator(rng, m)
    rm = RateMatrix(Q, momentum_grid=grid)
    k0 = np.repeat(np.arange(m), per_bin)
    offset = rng.uniform(-0.49 * h, 0.49 * h, k0.size)
    n_out = 200
    far = rng.choice([-1, 1], n_out) * rng.uniform(2.3, 5, n_out)  # |p_x| > 2 + h / 2
    px = np.concatenate([grid[k0] + offset, far])
    p = np.column_stack([px, rng.normal(size=(px.size, 2))])
    mk = pmc.Markers(x=np.full(px.size, 0.5), p=p)
    dt = 3.0 / np.max(-np.diag(Q))
    op = rm.prepare(H, pmc.Cells(0.0, 1.0, 1), mk)
    op.collide(mk, dt, seed=2, step=0)
    new = mk.p
    assert op.last_outside == n_out and op.outside == n_out
    np.testing.assert_array_equal(new[-n_out:], p[-n_out:])      # outside the grid: untouched
    np.testing.assert_array_equal(new[:, 1:], p[:, 1:])          # only p_x moves
    k1 = np.rint((new[:-n_out, 0] - grid[0]) / h).astype(int)
    # the offset within the bin is kept
    np.testing.assert_allclose(new[:-n_out, 0] - grid[k1], offset, atol=1e-12)
    observed = np.array([np.bincount(k1[k0 == k], minlength=m) for k in range(m)])
    assert _chi_square_p(observed, per_bin * scipy.linalg.expm(Q * dt)) > P_FALSE_ALARM
    assert op.state()["outside"][0] == n_out


def test_collide_needs_states_within_the_matrix():
    rm = RateMatrix([[-1.0, 1.0], [1.0, -1.0]])
    for markers, match, dt in ((pmc.Markers(x=[0.0], p=[0.0]), "state", 1.0),
                               (_markers([0, 2]), "state", 1.0), (_markers([0, 1]), "dt", 0.0)):
        with pytest.raises(ValueError, match=match):
            rm.prepare(H, None, markers).collide(markers, dt, 0, 0)


def test_momentum_lattice_couplings_are_the_fourier_transform_of_the_potential():
    hbar, L, m = 1.0, 40.0, 24
    dp = 2 * math.pi * hbar / L
    p = (np.arange(m) - (m - 1) / 2) * dp
    height, s, G, mass = 0.3, 0.8, 0.05, 0.7
    band = pmc.bands.Parabolic(mass=mass)
    rm = RateMatrix.from_momentum_lattice(p, pmc.potentials.GaussianBarrier(height, s),
                                          width=G, hbar=hbar, dispersion=band, cell_size=L)
    q = p[:, None] - p[None, :]
    V = height * s * math.sqrt(2 * math.pi) * np.exp(-q ** 2 * s ** 2 / (2 * hbar ** 2)) / L
    E = p ** 2 / (2 * mass)
    dE = E[:, None] - E[None, :]
    expect = 2 * math.pi / hbar * V ** 2 * (G / math.pi) / (dE ** 2 + G ** 2)
    np.fill_diagonal(expect, 0.0)
    got = rm.matrix.toarray()
    np.fill_diagonal(got, 0.0)
    np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-14 * expect.max())
    np.testing.assert_array_equal(rm.momentum_grid, p)
    np.testing.assert_allclose(rm.energies, E, rtol=1e-15)
    # the same from the table of V~(n dp) [J m]
    table = height * s * math.sqrt(2 * math.pi) * np.exp(-(np.arange(m) * dp * s) ** 2 / 2)
    rt = RateMatrix.from_momentum_lattice(p, table, width=G, hbar=hbar, dispersion=band)
    np.testing.assert_allclose(rt.matrix.toarray(), rm.matrix.toarray(), rtol=1e-10,
                               atol=1e-14 * expect.max())
    with pytest.raises(ValueError, match="cell_size"):
        RateMatrix.from_momentum_lattice(p, 0.1, width=G, hbar=hbar, cell_size=2 * L)
    with pytest.raises(ValueError, match="coupling"):
        RateMatrix.from_momentum_lattice(p, np.ones(m + 1), width=G, hbar=hbar)
    with pytest.raises(ValueError, match="static"):
        RateMatrix.from_momentum_lattice(
            p, pmc.potentials.GaussianBarrier(height, s) * pmc.potentials.Ramp(1.0),
            width=G, hbar=hbar)


def test_golden_rule_in_a_simulation_and_a_case_file(tmp_path):
    E = np.array([0.0, 0.2, 0.4])
    g = GoldenRule(energies=E, coupling=0.3, width=0.5, name="levels")
    expect = RateMatrix.from_golden_rule(E, 0.3, width=0.5).matrix.toarray()
    np.testing.assert_array_equal(g.rate_matrix.matrix.toarray(), expect)
    n = 3000
    mk = pmc.Markers(x=np.linspace(0.1, 0.9, n), p=np.zeros(n), state=np.zeros(n, np.int64))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    sim = pmc.Simulation(H, mk, dt=0.5, collisions=[g], cells=pmc.Cells(0.0, 1.0, 2), seed=4)
    ds = sim.run(2.0, 1.0, progress=False)
    assert list(ds["mechanism"].values) == ["total", "levels"]
    assert int(ds["collisions"].sel(mechanism="levels").sum()) > 0
    np.testing.assert_array_equal(ds["collisions"].sel(mechanism="total"),
                                  ds["collisions"].sel(mechanism="levels"))
    assert np.any(sim.markers.state != 0)
    with pytest.raises(ValueError, match="hbar"):  # hbar is the Hamiltonian's, not another
        pmc.Simulation(pmc.Hamiltonian(pmc.bands.Parabolic(1.0), hbar=0.5), mk, dt=0.5,
                       collisions=[g], cells=pmc.Cells(0.0, 1.0, 2))
    # from a case file: the momentum-grid form needs no marker states
    case = config.load_case(_write(tmp_path, CASE))
    sim, options = config.build(case)
    (mech,) = sim.collisions
    assert isinstance(mech, GoldenRule) and mech.rate_matrix.momentum_grid.size == 5
    ds = sim.run(options["t_end"], options["save_every"], progress=False)
    assert int(ds["collisions"].sel(mechanism="golden_rule").sum()) > 0


CASE = """
[run]
dt = 0.5
t_end = 1.0
save_every = 0.5
seed = 2

[dispersion]
model = "Parabolic"
mass = 1.0

[distribution]
model = "Maxwellian"
n = 2000
temperature = 0.5
mass = 1.0
x = [0.0, 1.0]

[cells]
lo = 0.0
hi = 1.0
n = 1

[[collisions]]
model = "GoldenRule"
energies = [0.5, 0.125, 0.0, 0.125, 0.5]
coupling = 0.2
width = 0.3
momentum_grid = [-1.0, -0.5, 0.0, 0.5, 1.0]
"""


def _write(tmp_path, text):
    path = tmp_path / "case.toml"
    path.write_text(text)
    return path
