"""The specialised push kernels are bitwise the generic per-marker kernel, for random
configurations: same x, p and tallies to the last bit. The vectorised sub-block kernel (one
axis, leapfrog, a single static gridded force, periodic or open walls) and the free-flight
kernel (no potential, parabolic band, leapfrog, open, periodic or reflecting walls)."""
import numpy as np
import pytest

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import push as P
from pmc.boundaries import Boundary, encode_walls


def _bits(a):
    return a.view(np.int64) if a.dtype == np.float64 else a


def _same_bits(x, p, *kernels):
    """Each ``kernel(x, p, w, absorbed_weight, absorbed_count)`` on its own copies of the
    markers: all must leave the same x, p and tallies, to the last bit."""
    n = x.shape[1]
    nb = (n + BLOCK - 1) // BLOCK
    out = []
    for kernel in kernels:
        xx, pp, ww = x.copy(), p.copy(), np.ones(n)
        aw, ac = np.zeros((nb, 6)), np.zeros(nb, np.int64)
        kernel(xx, pp, ww, aw, ac)
        out.append((xx, pp, aw, ac))
    for a, b in zip(*out):
        np.testing.assert_array_equal(_bits(a), _bits(b))


@pytest.mark.parametrize("trial", range(12))
def test_vectorised_kernel_is_bitwise_the_generic_one(trial):
    rng = np.random.default_rng(100 + trial)
    if trial % 2:
        band, dp = pmc.bands.Kane(mass=rng.uniform(0.5, 2), alpha=rng.uniform(0, 1)), 3
    else:
        band, dp = pmc.bands.Parabolic(mass=rng.uniform(0.5, 2)), int(rng.choice([1, 2, 3]))
    lo_, hi_ = -rng.uniform(5, 20), rng.uniform(5, 20)
    xg = np.linspace(1.1 * lo_, 1.1 * hi_, int(rng.integers(50, 2000)))
    U = pmc.potentials.Gridded(xg, np.exp(-xg ** 2 / 8) + 0.1 * np.sin(xg))
    H = pmc.Hamiltonian(band, U)
    boundary = pmc.Periodic(lo_, hi_) if trial % 3 else None
    n = int(rng.choice([7, 257, 4097, 3 * BLOCK + 17]))
    x = rng.uniform(lo_, hi_, size=(1, n))
    p = rng.normal(scale=rng.uniform(0.5, 4), size=(dp, n))
    wk, lo, hi = encode_walls(boundary, 1)
    dk, dprm, terms, pprm = H.kernel_arguments()
    variant = P.vectorised_variant(1, dp, P.LEAPFROG, dk, terms, wk)
    assert variant, "this configuration should take the vectorised kernel"
    dt, nsteps, step0 = rng.uniform(0.001, 0.3), int(rng.integers(1, 12)), int(rng.integers(0, 50))
    _same_bits(
        x, p,
        lambda xx, pp, ww, aw, ac: P.push_vectorised(xx, pp, n, variant, dprm, terms, pprm, 0.3,
                                                     step0, dt, nsteps, lo, hi, aw, ac),
        lambda xx, pp, ww, aw, ac: P.push_markers(xx, pp, ww, n, P.LEAPFROG, dk, dprm, terms,
                                                  pprm, 0.3, step0, dt, nsteps, wk, lo, hi, aw,
                                                  ac))

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
        lambda xx, pp, ww, aw, ac: P.push_free(xx, pp, n, dprm, dt, nsteps, wk, lo, hi, aw, ac),
        lambda xx, pp, ww, aw, ac: P.push_markers(xx, pp, ww, n, P.LEAPFROG, dk, dprm, terms,
                                                  pprm, 0.0, 0, dt, nsteps, wk, lo, hi, aw, ac))
