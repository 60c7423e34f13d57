"""Small-run fast paths (issue 15 item 3): the constant-rate scattering kernel and the jump
kernels that locate cells themselves give bitwise the numbers of the general paths, whatever the
thread count and however the operators' buffers were sized before."""
import numba
import numpy as np
import pytest
from numba import njit

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import jumps as J
from pmc._kernels import scatter as S
from pmc._kernels.rng import stream_key


def _markers(n, dx, dp, seed, lo=-1.0, hi=1.0):
    """Markers spread a little beyond the cells [lo, hi) on every axis (some outside)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo - 0.2, hi + 0.2, (n, dx))
    p = rng.standard_normal((n, dp))
    return pmc.Markers(x[:, 0] if dx == 1 else x, p[:, 0] if dp == 1 else p, np.ones(n))


def _general_scatter(op, markers, dt, seed, step):
    """The classical path of ScatteringOperator for any mechanism (per-marker rates, majorant
    table, scatter_independent), on ``markers`` in place; returns the tally's column sums."""
    mkind, mprm, bkind, bprm, mass, alpha, hbar = op._code
    n = markers.n
    p = markers.kernel_arrays().p
    index = op.cells.index(markers)
    rate, band = np.empty(n), np.empty(n, np.int8)
    S.marker_rates(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n, op._inv_ref, rate, band)
    table = S.cell_band_table(index, band, rate, n, np.empty((op.cells.count, S.NBAND)))
    quiet = np.exp(np.multiply(table, -dt))
    tally = np.zeros(((n + BLOCK - 1) // BLOCK, S.NTALLY), np.int64)
    S.scatter_independent(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n, index, band, table,
                          quiet, op._inv_ref, dt, op.mechanism._key(seed), step, tally)
    return tally.sum(axis=0)


CASES = [  # (dx, dp, band, cells)
    (1, 1, pmc.bands.Parabolic(1.0), pmc.Cells(-1.0, 1.0, 8)),
    (1, 2, pmc.bands.Parabolic(2.0), pmc.Cells(-1.0, 1.0, 3)),
    (1, 3, pmc.bands.Kane(1.0, 0.5), pmc.Cells(-1.0, 1.0, 8)),
    (2, 3, pmc.bands.Parabolic(1.0), pmc.Cells((-1.0, -1.0), (1.0, 1.0), (4, 3))),
    (3, 3, pmc.bands.Linear(2.0), pmc.Cells((-1.0,) * 3, (1.0,) * 3, 2)),
]


@pytest.mark.parametrize("dx, dp, band, cells", CASES)
@pytest.mark.parametrize("rate_dt", [0.1, 2.5])  # the second: several events per marker
def test_elastic_constant_rate_is_bitwise_the_general_path(dx, dp, band, cells, rate_dt):
    H = pmc.Hamiltonian(band)
    dt = 1e-2
    mech = pmc.collisions.ElasticIsotropic(rate=rate_dt / dt)
    n = 2 * BLOCK + 37
    fast, slow = _markers(n, dx, dp, 3), _markers(n, dx, dp, 3)
    op = mech.prepare(H, cells, fast)
    for step in (0, 1, 7):
        counts = op.collide_counts(fast, dt, 11, step)
        ref = _general_scatter(op, slow, dt, 11, step)
        np.testing.assert_array_equal(fast.kernel_arrays().p, slow.kernel_arrays().p)
        assert counts["events"] == counts["elastic"] == counts["candidates"] == ref[0] == ref[3]
        assert counts["events"] > 0 and ref[1] == ref[2] == 0
    outside = op.cells.index(fast) < 0
    assert outside.any()  # markers outside the cells never scatter
    np.testing.assert_array_equal(fast.momenta[outside], _markers(n, dx, dp, 3).momenta[outside])


def _threads(k, fn):
    with pmc.threads.limited(numba_threads=k):
        return fn()


def test_elastic_and_jumps_are_thread_count_independent():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two numba threads")
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    cells = pmc.Cells(-1.0, 1.0, 5)
    n = 3 * BLOCK + 5
    runs = []
    for k in (1, 2):
        mk = _markers(n, 1, 3, 5)
        mk = pmc.Markers(mk.x, mk.momenta, mk.w, state=np.arange(n) % 3)
        el = pmc.collisions.ElasticIsotropic(rate=40.0).prepare(H, cells, mk)
        rm = pmc.collisions.RateMatrix([[-3.0, 2.0, 1.0], [1.0, -1.0, 0.0], [0.0, 5.0, -5.0]])
        rmop = rm.prepare(H, cells, mk)
        counts = []
        for step in range(3):
            counts.append(_threads(k, lambda: el.collide(mk, 0.01, 2, step)))
            counts.append(_threads(k, lambda: rmop.collide(mk, 0.05, 2, step)))
        runs.append((mk.momenta.copy(), mk.state.copy(), counts))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]


@pytest.mark.parametrize("mechanism", [
    pmc.collisions.ElasticIsotropic(rate=30.0),
    pmc.collisions.AcousticPhonon(deformation_potential=1.0, mass_density=1.0,
                                  sound_velocity=1.0, temperature=50.0),
])
def test_operator_buffers_reused_across_sizes_give_fresh_results(mechanism):
    """One operator stepping markers of 5000, then 3 * BLOCK + 1, then 300 markers (its work
    arrays and tally grown, then sliced) gives what a fresh operator gives for each."""
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    cells = pmc.Cells(-1.0, 1.0, 4)
    sizes = (5000, 3 * BLOCK + 1, 300)
    shared = mechanism.prepare(H, cells, _markers(10, 1, 3, 0))
    for k, n in enumerate(sizes):
        a, b = _markers(n, 1, 3, 20 + k), _markers(n, 1, 3, 20 + k)
        ca = shared.collide_counts(a, 0.02, 4, k)
        cb = mechanism.prepare(H, cells, b).collide_counts(b, 0.02, 4, k)
        np.testing.assert_array_equal(a.momenta, b.momenta)
        assert {key: v for key, v in ca.items() if key != "max_occupation"} == \
            {key: v for key, v in cb.items() if key != "max_occupation"}
        assert ca["events"] > 0


@njit
def _reference_states(state, n, cell, indptr, indices, cum, out_rate, lam, method, key, dt):
    """Every marker inside a cell (cell[i] >= 0) through jump_state, no first-draw filter."""
    total = 0
    for i in range(n):
        if cell[i] < 0:
            continue
        k, j = J.jump_state(state[i], indptr, indices, cum, out_rate, lam, method,
                            stream_key(key, i, 0), dt)
        state[i] = k
        total += j
    return total


@njit
def _reference_momenta(px, n, cell, grid, inv_dp, indptr, indices, cum, out_rate, lam, method,
                       key, dt):
    total = 0
    outside = 0
    for i in range(n):
        if cell[i] < 0:
            continue
        k = J.grid_bin(px[i], grid[0], inv_dp, grid.shape[0])
        if k < 0:
            outside += 1
            continue
        l, j = J.jump_state(k, indptr, indices, cum, out_rate, lam, method,
                            stream_key(key, i, 0), dt)
        px[i] += grid[l] - grid[k]
        total += j
    return total, outside


@pytest.mark.parametrize("method", ["holding", "uniformization"])
def test_jump_kernels_locate_cells_bitwise_the_cell_array(method):
    rng = np.random.default_rng(8)
    code = pmc.collisions.rate_matrix.METHODS[method]
    m = 5
    A = rng.exponential(20.0, (m, m))
    np.fill_diagonal(A, 0.0)
    rm = pmc.collisions.RateMatrix(A - np.diag(A.sum(axis=1)), method=method)
    args = (rm._indptr, rm._indices, rm._cum, rm._out_rate, rm._lambda, code)
    grid = np.linspace(-2.0, 2.0, m)
    inv_dp = 1.0 / (grid[1] - grid[0])
    n = 2 * BLOCK + 9
    for cells in (pmc.Cells(-1.0, 1.0, 6), pmc.Cells((-1.0, -1.0), (1.0, 1.0), (3, 2))):
        mk = _markers(n, cells.ndim, cells.ndim, 9)
        where = cells.kernel_arguments(mk)
        cell = cells.index(mk)
        assert (cell < 0).any() and (cell >= 0).any()
        for step in range(3):
            key = stream_key(99, step, 7)
            state = rng.integers(0, m, n)
            a, b = state.copy(), state.copy()
            ja, bad = J.jump_states(a, n, *where, *args, key, 0.03)
            jb = _reference_states(b, n, cell, *args, key, 0.03)
            np.testing.assert_array_equal(a, b)
            assert (ja, bad) == (jb, 0) and ja > 0
            px = rng.uniform(-2.6, 2.6, n)  # some outside the momentum grid
            pa, pb = px.copy(), px.copy()
            ra = J.jump_momenta(pa, n, *where, grid, inv_dp, *args, key, 0.03)
            rb = _reference_momenta(pb, n, cell, grid, inv_dp, *args, key, 0.03)
            np.testing.assert_array_equal(pa, pb)
            assert ra == rb and ra[0] > 0 and ra[1] > 0


@pytest.mark.parametrize("bad", [3, -1])
def test_rate_matrix_refuses_states_outside_the_matrix(bad):
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    mk = pmc.Markers(np.linspace(-0.9, 0.9, 50), np.zeros(50), np.ones(50),
                     state=np.zeros(50, np.int64))
    mk.state[17] = bad  # e.g. set by hand after the markers checked theirs
    rm = pmc.collisions.RateMatrix([[-1.0, 0.5, 0.5], [1.0, -1.0, 0.0], [0.0, 2.0, -2.0]])
    op = rm.prepare(H, pmc.Cells(-1.0, 1.0, 2), mk)
    with pytest.raises(ValueError, match=r"markers.state must be in 0 \.\. 2.*1 markers"):
        op.collide(mk, 0.1, 1, 0)
