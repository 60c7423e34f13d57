"""The push kernels that runs use are bitwise the generic per-marker kernel, for random
configurations: same x, p and tallies to the last bit (a static uniform field or harmonic term
over several steps of one call is one affine map, push.linear_steps: there within roundings,
and bitwise the same among the kernels). The sub-block kernel (any Hamiltonian,
scheme and walls) and the free-flight kernel (no potential, parabolic band, leapfrog, open,
periodic or reflecting walls). Also: the vectorisable exp is within 1 ulp of the C library's."""
import numpy as np
import pytest

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import push as P
from pmc.boundaries import Boundary, encode_walls


def _bits(a):
    return a.view(np.int64) if a.dtype == np.float64 else a


def _same_bits(x, p, *kernels):
    """Each ``kernel(x, p, w, absorbed_weight, absorbed_count, gone)`` on its own copies of
    the markers: all must leave the same x, p, weights, tallies and absorbed flags, to the last
    bit."""
    n = x.shape[1]
    nb = (n + BLOCK - 1) // BLOCK
    out = []
    for kernel in kernels:
        xx, pp, ww = x.copy(), p.copy(), np.ones(n)
        aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
        kernel(xx, pp, ww, aw, ac, gone)
        out.append((xx, pp, ww, aw, ac, gone))
    for arrays in zip(*out):
        for other in arrays[1:]:
            np.testing.assert_array_equal(_bits(arrays[0]), _bits(other))


def _agree(x, p, closed_form, kernels, reference):
    """The ``kernels`` bitwise the same among themselves (:func:`_same_bits`), and bitwise
    ``reference`` unless ``closed_form`` (:func:`push.linear_closed_form`: the same affine map
    composed in one piece, whose roundings differ from the step-by-step ones by a few ulp per
    step; 1e-12 of the largest |x| or |p| is ~4500 ulp, far above k <= 12 steps' roundings and
    far below any wrong wall treatment, which is off by a box or a reversed momentum)."""
    if not closed_form:
        _same_bits(x, p, *kernels, reference)
        return
    _same_bits(x, p, *kernels)
    n = x.shape[1]
    nb = (n + BLOCK - 1) // BLOCK
    out = []
    for kernel in (kernels[0], reference):
        xx, pp, ww = x.copy(), p.copy(), np.ones(n)
        aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
        kernel(xx, pp, ww, aw, ac, gone)
        out.append((xx, pp, ww, aw, ac, gone))
    for got, ref in zip(*out):
        scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


def _random_potential(rng, dx, lo_, hi_):
    """A sum of 1-3 random terms of every kind pmc encodes, some time modulated."""
    P_ = pmc.potentials
    c = list(rng.uniform(-1, 1, dx))
    makers = [
        lambda: P_.Harmonic(omega=rng.uniform(0.1, 1), mass=rng.uniform(0.5, 2), center=c),
        lambda: P_.Quartic(a4=rng.uniform(0, 0.01), a2=rng.uniform(0, 0.1), center=c),
        lambda: P_.GaussianBarrier(height=rng.uniform(-2, 2), width=rng.uniform(0.5, 3),
                                   center=rng.uniform(-2, 2)),
        lambda: P_.Eckart(height=rng.uniform(0.1, 2), width=rng.uniform(0.5, 3)),
        lambda: P_.Step(height=rng.uniform(-1, 1), width=rng.uniform(0.5, 3)),
        lambda: P_.Periodic(amplitude=rng.uniform(0.1, 1), period=rng.uniform(1, 5)),
        lambda: P_.UniformField(F=list(rng.uniform(-1, 1, dx))),
        lambda: P_.Gridded(*_table(rng, lo_, hi_)),
    ]
    mods = [None, lambda: P_.Sinusoidal(amplitude=0.3, angular_frequency=rng.uniform(0.5, 3)),
            lambda: P_.Ramp(duration=rng.uniform(0.1, 2))]
    U = None
    for _ in range(int(rng.integers(1, 4))):
        term = makers[int(rng.integers(0, len(makers)))]()
        mod = mods[int(rng.integers(0, len(mods)))]
        if mod is not None:
            term = term * mod()
        U = term if U is None else U + term
    return U


def _table(rng, lo_, hi_):
    xg = np.linspace(1.1 * lo_, 1.1 * hi_, int(rng.integers(50, 2000)))
    return xg, np.exp(-xg ** 2 / 8) + 0.1 * np.sin(xg)


def _random_band(rng, dx):
    b = pmc.bands
    dp = int(rng.integers(dx, 4))
    choice = int(rng.integers(0, 5))
    if choice == 0:
        return b.Parabolic(mass=rng.uniform(0.5, 2)), dp
    if choice == 1:
        return b.Kane(mass=rng.uniform(0.5, 2), alpha=rng.uniform(0, 1)), dp
    if choice == 2:
        return b.Linear(speed=rng.uniform(0.5, 2)), dp
    if choice == 3:
        return b.TightBinding(hopping=rng.uniform(0.5, 2), lattice_constant=rng.uniform(0.2, 1)), dp
    return b.Relativistic(mass=rng.uniform(0.5, 2), speed_of_light=rng.uniform(2, 5)), dp


@pytest.mark.parametrize("trial", range(24))
def test_block_kernel_is_bitwise_the_generic_one(trial):
    """Any Hamiltonian (every band, sums of every potential kind, time modulations), both
    schemes, 1-3 dimensions, any mix of open, periodic, reflecting and absorbing walls: the
    sub-block kernel gives every marker, and the absorbed tallies, bitwise what the per-marker
    kernel gives."""
    rng = np.random.default_rng(100 + trial)
    dx = 1 + trial % 3
    band, dp = _random_band(rng, dx)
    lo_, hi_ = -rng.uniform(5, 20), rng.uniform(5, 20)
    H = pmc.Hamiltonian(band, _random_potential(rng, dx, lo_, hi_))
    kinds = (Boundary, pmc.Periodic, pmc.Reflecting, pmc.Absorbing)
    boundary = tuple(kinds[int(rng.integers(0, 4))](lo_, hi_) for _ in range(dx))
    if trial % 5 == 4:
        boundary = None
    n = int(rng.choice([7, 257, 4097, 3 * BLOCK + 17]))
    wk, lo, hi = encode_walls(boundary, dx)
    x = rng.uniform(lo_, hi_, size=(dx, n))
    p = rng.normal(scale=rng.uniform(0.5, 4), size=(dp, n))
    p[:, :3] = -0.0
    dk, dprm, terms, pprm = H.kernel_arguments()
    scheme = P.LEAPFROG if trial % 2 else P.YOSHIDA4
    dt, nsteps, step0 = rng.uniform(0.001, 0.3), int(rng.integers(1, 12)), int(rng.integers(0, 50))
    args = (scheme, dk, dprm, terms, pprm, 0.3, step0, dt, nsteps, wk, lo, hi)
    _agree(
        x, p, P.linear_closed_form(dx, scheme, dk, dprm, terms, pprm, wk, dt, nsteps),
        (lambda xx, pp, ww, aw, ac, g: P.push_blocks(xx, pp, ww, n, *args, aw, ac, g),
         lambda xx, pp, ww, aw, ac, g: P.push_blocks_serial(xx, pp, ww, n, *args, aw, ac, g)),
        lambda xx, pp, ww, aw, ac, g: P.push_markers(xx, pp, ww, n, *args, aw, ac, g))


@pytest.mark.parametrize("trial", range(12))
def test_free_flight_kernel_is_bitwise_the_generic_one(trial):
    """No potential, parabolic band, leapfrog, any mix of open, periodic and reflecting walls in
    1-3 dimensions: the axis-by-axis drift gives every marker bitwise what the generic kernel
    gives it, including markers that cross the box several times in a call."""
    rng = np.random.default_rng(200 + trial)
    dx = 1 + trial % 3
    dp = int(rng.integers(dx, 4))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=rng.uniform(0.5, 2)))
    kinds = (Boundary, pmc.Periodic, pmc.Reflecting)  # open, periodic, reflecting
    boundary = tuple(kinds[int(rng.integers(0, 3))](-rng.uniform(1, 5), rng.uniform(1, 5))
                     for _ in range(dx))
    if trial % 4 == 3:
        boundary = None  # open on every axis, no box at all
    n = int(rng.choice([7, 257, 4097, 3 * BLOCK + 17]))
    wk, lo, hi = encode_walls(boundary, dx)
    x = rng.uniform(lo[:dx, None], hi[:dx, None], size=(dx, n)) if boundary else rng.normal(
        size=(dx, n))
    p = rng.normal(scale=rng.uniform(0.5, 40), size=(dp, n))
    p[:, :3] = -0.0  # the sign of a zero momentum survives both kernels alike
    dk, dprm, terms, pprm = H.kernel_arguments()
    assert P.free_flight(dx, P.LEAPFROG, dk, terms, wk), "should take the free-flight kernel"
    dt, nsteps = rng.uniform(0.001, 0.3), int(rng.integers(1, 12))
    _same_bits(
        x, p,
        lambda xx, pp, ww, aw, ac, g: P.push_free(xx, pp, n, dprm, dt, nsteps, wk, lo, hi, aw,
                                                  ac),
        lambda xx, pp, ww, aw, ac, g: P.push_free_serial(xx, pp, n, dprm, dt, nsteps, wk, lo, hi,
                                                         aw, ac),
        lambda xx, pp, ww, aw, ac, g: P.push_markers(xx, pp, ww, n, P.LEAPFROG, dk, dprm, terms,
                                                     pprm, 0.0, 0, dt, nsteps, wk, lo, hi, aw,
                                                     ac, g))


def test_vectorisable_exp_is_within_one_ulp_of_libm():
    """pmc._kernels.vecmath.exp against math.exp (glibc's, correctly rounded in practice) on
    10^6 arguments over the whole range and at the edges: at most 1 ulp apart, the same
    infinities, zeros and NaN."""
    import math
    from pmc._kernels import vecmath
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-745.2, 709.8, 500_000), rng.uniform(-2, 2, 500_000),
                        [0.0, -0.0, 1e-300, -1e-300, 709.78, 709.79, 710.0, -745.13, -745.14,
                         -746.0, -1e4, 1e4, np.inf, -np.inf, np.nan]])
    def libm(v):
        try:
            return math.exp(v)
        except OverflowError:
            return math.inf

    ref = np.array([libm(v) for v in x])
    got = np.empty_like(x)
    from numba import njit

    @njit
    def run(a, out):
        for i in range(a.size):
            out[i] = vecmath.exp(a[i])

    run(x, got)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    fin = np.isfinite(ref)
    np.testing.assert_array_equal(got[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)])
    ulps = np.abs(got[fin].view(np.int64) - ref[fin].view(np.int64))
    assert ulps.max() <= 1, f"max {ulps.max()} ulp"


@pytest.mark.parametrize("kind", ["harmonic", "quartic", "gaussian", "eckart", "step", "periodic",
                                  "uniform", "gridded", "sum"])
def test_fused_leapfrog_pass_is_bitwise_the_generic_one(kind):
    """One axis, leapfrog, parabolic or Kane band (dp 1-3), no absorbing wall: the sub-block
    kernel's two-loop step (kick-drift-wrap, then force-kick) for each potential kind, static
    and modulated, open, periodic and reflecting walls."""
    P_ = pmc.potentials
    for trial in range(6):
        rng = np.random.default_rng(300 + trial + 17 * len(kind))
        lo_, hi_ = -rng.uniform(5, 20), rng.uniform(5, 20)
        U = {"harmonic": lambda: P_.Harmonic(omega=0.5, center=0.3),
             "quartic": lambda: P_.Quartic(a4=0.01, a2=0.05),
             "gaussian": lambda: P_.GaussianBarrier(height=1.0, width=2.0, center=0.5),
             "eckart": lambda: P_.Eckart(height=1.0, width=2.0),
             "step": lambda: P_.Step(height=0.5, width=1.0),
             "periodic": lambda: P_.Periodic(amplitude=0.5, period=3.0),
             "uniform": lambda: P_.UniformField(F=0.3),
             "gridded": lambda: P_.Gridded(*_table(rng, lo_, hi_)),
             "sum": lambda: P_.GaussianBarrier(1.0, 2.0) + P_.UniformField(F=0.1)}[kind]()
        if trial % 2:
            U = U * P_.Sinusoidal(amplitude=0.4, angular_frequency=1.3)
        dp = 1 + trial % 3
        band = (pmc.bands.Kane(mass=1.3, alpha=0.4) if trial % 3 == 1
                else pmc.bands.Parabolic(mass=0.8))
        boundary = [None, pmc.Periodic(lo_, hi_), pmc.Reflecting(lo_, hi_)][trial % 3]
        H = pmc.Hamiltonian(band, U)
        n = int(rng.choice([7, 300, 4097 + 513]))
        wk, lo, hi = encode_walls(boundary, 1)
        x = rng.uniform(lo_, hi_, size=(1, n))
        p = rng.normal(scale=2.0, size=(dp, n))
        p[:, :3] = -0.0
        dk, dprm, terms, pprm = H.kernel_arguments()
        dt, nsteps, step0 = rng.uniform(0.01, 0.5), int(rng.integers(1, 9)), int(rng.integers(0, 9))
        args = (P.LEAPFROG, dk, dprm, terms, pprm, 0.3, step0, dt, nsteps, wk, lo, hi)
        _agree(
            x, p, P.linear_closed_form(1, P.LEAPFROG, dk, dprm, terms, pprm, wk, dt, nsteps),
            (lambda xx, pp, ww, aw, ac, g: P.push_blocks(xx, pp, ww, n, *args, aw, ac, g),),
            lambda xx, pp, ww, aw, ac, g: P.push_markers(xx, pp, ww, n, *args, aw, ac, g))
