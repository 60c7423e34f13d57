"""Issue 15, the fixed cost of small runs and the one-loop leapfrog step: the faster kernels give
bitwise what the reference code gives.

* The one-loop leapfrog step of a parabolic band in a uniform field or a harmonic potential
  (push.fused_step), with open, periodic and reflecting walls, markers fast enough to cross the
  box several times in a step, static and modulated potentials: bitwise the per-marker
  reference push_markers, on one thread and two (a static one over several steps is one
  affine map, push.linear_steps: bitwise the same on one thread and two, and the reference
  within roundings).
* The scattering kernels' band index from the exponent bits: math.frexp's, for every kind of
  double.
* The rate matrix's first-draw filter (jumps.stay_thresholds): bitwise the per-marker
  jump_state for every marker, in both samplers, including rates whose rate dt underflows.
* The frame's marker sums (evaluate.marker_sums, energies by sub-blocks): bitwise the pairwise
  sums (fixed sub-blocks) of the per-marker stateful.energy + models.potential, with and without
  marker states, on one thread and two.
* threads.swap sets and returns numba's thread count; Simulation.step on one thread for small
  runs leaves the count as it was.
(The order of accuracy of the push is held by tests/test_push.py.)
"""
import math

import numba
import numpy as np
import pytest
from numba import njit

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import jumps as J
from pmc._kernels import push as P
from pmc._kernels import scatter as S
from pmc._kernels import stateful
from pmc._kernels import threads as T
from pmc._kernels.models import column, potential
from pmc._kernels.rng import stream_key
from pmc.boundaries import encode_walls


def _bits(a):
    return a.view(np.int64) if a.dtype == np.float64 else a


def _push(kernel, x, p, n, args):
    nb = (n + BLOCK - 1) // BLOCK
    xx, pp, ww = x.copy(), p.copy(), np.ones(n)
    aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
    kernel(xx, pp, ww, n, *args, aw, ac, gone)
    return xx, pp, aw, ac


@pytest.mark.parametrize("kind", ["uniform", "harmonic"])
@pytest.mark.parametrize("walls", ["open", "periodic", "reflecting"])
def test_one_loop_leapfrog_step_is_bitwise_the_reference(kind, walls):
    P_ = pmc.potentials
    for trial in range(4):
        rng = np.random.default_rng(1000 + trial + 31 * len(kind) + 7 * len(walls))
        lo_, hi_ = -rng.uniform(2, 10), rng.uniform(2, 10)
        U = (P_.UniformField(F=rng.uniform(-2, 2)) if kind == "uniform"
             else P_.Harmonic(omega=rng.uniform(0.2, 2), mass=1.0, center=rng.uniform(-1, 1)))
        if trial % 2:
            U = U * P_.Sinusoidal(amplitude=0.4, angular_frequency=1.3)
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=rng.uniform(0.5, 2)), U)
        boundary = {"open": None, "periodic": pmc.Periodic(lo_, hi_),
                    "reflecting": pmc.Reflecting(lo_, hi_)}[walls]
        n = int(rng.choice([5, 300, 2 * BLOCK + 77]))
        dp = 1 + trial % 3
        wk, lo, hi = encode_walls(boundary, 1)
        x = rng.uniform(lo_, hi_, size=(1, n))
        # a few markers fast enough to cross the box more than once per step
        p = rng.normal(scale=2.0, size=(dp, n))
        p[0, ::17] *= 50.0
        p[:, :2] = -0.0
        dk, dprm, terms, pprm = H.kernel_arguments()
        dt, nsteps, step0 = rng.uniform(0.01, 0.5), int(rng.integers(1, 9)), int(rng.integers(0, 9))
        args = (P.LEAPFROG, dk, dprm, terms, pprm, 0.3, step0, dt, nsteps, wk, lo, hi)
        ref = _push(P.push_markers, x, p, n, args)
        outs = [_push(P.push_blocks_serial, x, p, n, args)]
        for threads in (1, 2):
            with T.limited(numba_threads=threads):
                outs.append(_push(P.push_blocks, x, p, n, args))
        # a static term over >= 2 steps is one affine map per call (push.linear_steps): the
        # same map with other roundings; the kernels still agree bitwise among themselves and
        # on any thread count
        closed_form = P.linear_closed_form(1, P.LEAPFROG, dk, dprm, terms, pprm, wk, dt, nsteps)
        for out in outs:
            for a, b in zip(outs[0] if closed_form else ref, out):
                np.testing.assert_array_equal(_bits(a), _bits(b))
        if closed_form:  # within roundings (see tests/test_push_kernels.py's _agree)
            for a, b in zip(outs[0], ref):
                np.testing.assert_allclose(a, b, rtol=0,
                                           atol=1e-12 * max(1.0, float(np.abs(b).max())))


@njit
def _frexp_band(eps, inv_ref):
    """The band index as math.frexp gives it (the former form of scatter.energy_band)."""
    if not eps > 0.0:
        return 0
    x = eps * inv_ref
    if x < 2.0 ** -S.BAND0:
        return 0
    if x >= 2.0 ** (S.NBAND - 1 - S.BAND0):
        return S.NBAND - 1
    _, e = math.frexp(x)
    return e + S.BAND0


@njit
def _bands(eps, inv_ref, out_a, out_b):
    for i in range(eps.shape[0]):
        out_a[i] = _frexp_band(eps[i], inv_ref[i])
        out_b[i] = S.energy_band(eps[i], inv_ref[i])


def test_energy_band_from_the_exponent_bits_is_frexps():
    rng = np.random.default_rng(5)
    n = 200_000
    eps = np.exp(rng.uniform(-150, 150, n)) * rng.choice([-1.0, 1.0, 1.0], n)
    eps[:12] = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1e308, 2.0 ** -40, 2.0 ** 23,
                np.nextafter(2.0 ** 23, 0), np.nextafter(2.0 ** -40, 0), 1.0]
    twos = 2.0 ** rng.integers(-60, 40, n).astype(float)
    inv_ref = np.exp(rng.uniform(-40, 40, n))
    inv_ref[:12] = 1.0
    for e, r in ((eps, inv_ref), (twos, np.ones(n)), (np.nextafter(twos, 0), np.ones(n)),
                 (np.nextafter(twos, np.inf), np.ones(n))):
        a, b = np.empty(n, np.int64), np.empty(n, np.int64)
        _bands(e, r, a, b)
        np.testing.assert_array_equal(a, b)


@njit
def _reference_jumps(state, n, indptr, indices, cum, out_rate, lam, method, key, dt):
    """jump_states without its first-draw filter: jump_state for every marker."""
    total = 0
    for i in range(n):
        k, j = J.jump_state(state[i], indptr, indices, cum, out_rate, lam, method,
                            stream_key(key, i, 0), dt)
        state[i] = k
        total += j
    return total


@pytest.mark.parametrize("method", ["holding", "uniformization"])
def test_rate_matrix_first_draw_filter_is_bitwise_the_reference(method):
    rng = np.random.default_rng(11)
    code = pmc.collisions.rate_matrix.METHODS[method]
    for m, scale in ((2, 1.0), (6, 40.0), (5, 1e5)):  # the last: rate dt up to ~1e3
        A = rng.exponential(scale, (m, m))
        np.fill_diagonal(A, 0.0)
        A[0] = 0.0  # an absorbing state
        rm = pmc.collisions.RateMatrix(A - np.diag(A.sum(axis=1)), method=method)
        n = 3 * BLOCK + 5
        state = rng.integers(0, m, n)
        args = (rm._indptr, rm._indices, rm._cum, rm._out_rate, rm._lambda, code)
        for step in range(3):
            key = stream_key(99, step, 7)
            a, b = state.copy(), state.copy()
            ja, _ = J.jump_states(a, n, np.empty((1, 0)), np.empty(0), np.empty(0),
                               np.empty(0, np.int64), *args, key, 0.01)
            jb = _reference_jumps(b, n, *args, key, 0.01)
            np.testing.assert_array_equal(a, b)
            assert ja == jb


def test_thread_swap_and_small_runs_keep_the_thread_count():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two numba threads")  # the swap is then a no-op to test
    old = T.swap(1)
    try:
        assert numba.get_num_threads() == 1
        assert T.swap(2) == 1
        assert numba.get_num_threads() == 2
    finally:
        T.swap(old)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0), pmc.potentials.UniformField(F=0.1))
    mk = pmc.Markers(np.linspace(-1, 1, 100)[:, None], np.zeros((100, 1)))
    sim = pmc.Simulation(H, mk, dt=0.01, boundary=pmc.Periodic(-2.0, 2.0))
    with T.limited(numba_threads=2):
        sim.step(3)
        assert numba.get_num_threads() == 2


@njit
def _summands(dkind, dprm, terms, pprm, x, p, w, state, n, t):
    """The six summands of evaluate.marker_sums per marker, one marker at a time through
    stateful.energy and models.potential: (non-finite flag, w, w H, w p_0, w p_1, w p_2)."""
    dx, dp = x.shape[0], p.shape[0]
    has_state = state.shape[0] > 0
    q = np.zeros((6, n))
    for i in range(n):
        x0, x1, x2 = column(x, i, dx)
        p0, p1, p2 = column(p, i, dp)
        wi = w[i]
        check = 0.0 * x0 + 0.0 * x1 + 0.0 * x2 + 0.0 * p0 + 0.0 * p1 + 0.0 * p2 + 0.0 * wi
        q[0, i] = 0.0 if math.isfinite(check) else 1.0
        q[1, i] = wi
        s = state[i] if has_state else 0
        q[2, i] = wi * (stateful.energy(dkind, dprm, s, p0, p1, p2)
                        + potential(terms, pprm, x0, x1, x2, t))
        q[3, i] = wi * p0
        q[4, i] = wi * p1
        q[5, i] = wi * p2
    return q


def _reference_sums(q, n, sub):
    """Per block of BLOCK markers: per sub-block of ``sub`` (zero-padded), the pairwise sum
    (halves added elementwise down to one), the sub-block sums added in order."""
    out = np.zeros(((n + BLOCK - 1) // BLOCK, 6))
    for b in range(out.shape[0]):
        for a0 in range(b * BLOCK, min(n, (b + 1) * BLOCK), sub):
            part = np.zeros((6, sub))
            m = min(sub, min(n, (b + 1) * BLOCK) - a0)
            part[:, :m] = q[:, a0:a0 + m]
            while part.shape[1] > 1:
                h = part.shape[1] // 2
                part = part[:, :h] + part[:, h:]
            out[b] += part[:, 0]
    return out


def test_marker_sums_by_sub_blocks_are_bitwise_the_pairwise_per_marker_sums():
    from pmc._kernels import evaluate as E
    from test_push_kernels import _random_band, _random_potential  # tests/ is on the path
    si = pmc.materials.get("Si", temperature=300.0)
    for trial in range(14):
        rng = np.random.default_rng(500 + trial)
        dx = 1 + trial % 3
        band, dp = _random_band(rng, dx)
        n = int(rng.choice([3, 700, 2 * BLOCK + 300]))
        state = np.empty(0, np.int64)
        scale = 1.0
        if trial >= 12:  # a multi-valley band: each marker's energy in its valley
            band, dp, scale = si.band, 3, 3e-26
            state = rng.integers(0, len(band), n)
        H = pmc.Hamiltonian(band, _random_potential(rng, dx, -5.0, 5.0))
        x = rng.uniform(-6, 6, size=(dx, n))
        p = rng.normal(size=(dp, n)) * scale
        w = rng.uniform(0.5, 2.0, n)
        if trial % 4 == 3:
            x[0, n // 2] = np.nan
            p[-1, 0] = np.inf
        dk, dprm, terms, pprm = H.kernel_arguments()
        nb = (n + BLOCK - 1) // BLOCK
        a = np.zeros((nb, 6))
        E.marker_sums(dk, dprm, terms, pprm, x, p, w, state, n, 0.7, a)
        q = _summands(dk, dprm, terms, pprm, x, p, w, state, n, 0.7)
        np.testing.assert_array_equal(_bits(a), _bits(_reference_sums(q, n, E._SUB)))
        assert a[:, 0].sum() == (2 if trial % 4 == 3 else 0)  # markers with a NaN or inf
        for threads in (1, 2):  # the same bits on any number of threads
            c = np.zeros((nb, 6))
            with T.limited(numba_threads=threads):
                E.marker_sums(dk, dprm, terms, pprm, x, p, w, state, n, 0.7, c)
            np.testing.assert_array_equal(_bits(c), _bits(a))
