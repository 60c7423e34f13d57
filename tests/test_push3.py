"""Issue 15 (session 6): the push's explicit absorbed flag and the frame's one-pass sums.

* Absorbing walls with signed (Wigner) markers: the push flags the absorbed markers in its own
  output (``gone``) and leaves every weight as it was, so pmc.stream removes exactly the markers
  that crossed a wall, whatever their sign, and tallies their signed weights per side; the
  stateless block kernels and the per-marker reference agree on the flags (with states too,
  tests/test_valley_push.py).
* The frame's scalars (Simulation.observe: total_weight, energy, momentum) against exact sums
  (math.fsum of the per-marker values): within a few ulp of the totals for 1e5 markers, the
  same bits on one thread and two, and a non-finite marker stops the run.
"""
import math

import numpy as np
import pytest

import pmc
from pmc._kernels import BLOCK
from pmc._kernels import push as P
from pmc._kernels import threads as T
from pmc.boundaries import encode_walls


def _signed_markers(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    p = rng.normal(scale=3.0, size=n)
    w = rng.uniform(0.5, 2.0, n) * np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return x, p, w


@pytest.mark.parametrize("n", [7, 2 * BLOCK + 301])
def test_signed_markers_absorbed_by_their_crossing_not_their_sign(n):
    """A harmonic potential (the block kernels, not free flight), Absorbing(-1, 1): the markers
    left are those the per-marker reference keeps, with their signed weights unchanged; the
    tally holds the signed weight of the removed ones per side."""
    x, p, w = _signed_markers(n, 40 + n)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.Harmonic(omega=0.5, mass=1.0))
    mk = pmc.Markers(x[:, None].copy(), p[:, None].copy(), w.copy(), signed=True)  # no views
    tally = pmc.stream(mk, H, dt=0.05, steps=6, boundary=pmc.Absorbing(-1.0, 1.0))
    # the reference: the per-marker kernel on copies, its flags
    wk, lo, hi = encode_walls(pmc.Absorbing(-1.0, 1.0), 1)
    nb = (n + BLOCK - 1) // BLOCK
    xx, pp, ww = x[None, :].copy(), p[None, :].copy(), w.copy()
    aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
    P.push_markers(xx, pp, ww, n, P.LEAPFROG, *H.kernel_arguments(), 0.0, 0, 0.05, 6, wk, lo,
                   hi, aw, ac, gone)
    np.testing.assert_array_equal(ww, w)  # the kernel leaves weights alone
    keep = gone == 0
    assert 0 < keep.sum() < n or n < 10
    assert mk.n == keep.sum() == n - tally.absorbed_count
    # the same (x, w) pairs (removal may reorder the markers)
    got = np.stack([mk.positions[:, 0], mk.w])
    want = np.stack([xx[0, keep], w[keep]])
    np.testing.assert_array_equal(got[:, np.lexsort(got)], want[:, np.lexsort(want)])
    assert (w[~keep] < 0).any() or n < 10  # negative markers were among the absorbed
    side_lo = ~keep & (xx[0] <= -1.0)
    np.testing.assert_allclose(tally.absorbed_weight[0],
                               [w[side_lo].sum(), w[~keep & ~side_lo].sum()], rtol=1e-12,
                               atol=1e-12)


def test_block_kernels_flag_what_the_reference_flags():
    """push_blocks, push_blocks_serial and push_markers with absorbing walls on 1-3 axes: the
    same flags, tallies and positions; weights untouched."""
    rng = np.random.default_rng(3)
    for dx in (1, 2, 3):
        n = 2 * BLOCK + 77
        x = rng.uniform(-1, 1, size=(dx, n))
        p = rng.normal(scale=4.0, size=(dx, n))
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                            pmc.potentials.Harmonic(omega=0.3, mass=1.0, center=[0.1] * dx))
        wk, lo, hi = encode_walls(tuple(pmc.Absorbing(-1.0, 1.0) for _ in range(dx)), dx)
        args = (P.LEAPFROG, *H.kernel_arguments(), 0.0, 0, 0.03, 5, wk, lo, hi)
        nb = (n + BLOCK - 1) // BLOCK
        outs = []
        for kernel in (P.push_markers, P.push_blocks, P.push_blocks_serial):
            xx, pp, ww = x.copy(), p.copy(), np.ones(n)
            aw, ac, gone = np.zeros((nb, 6)), np.zeros(nb, np.int64), np.zeros(n, np.uint8)
            kernel(xx, pp, ww, n, *args, aw, ac, gone)
            assert (ww == 1.0).all() and gone.sum() == ac.sum() > 0
            outs.append((xx, pp, aw, ac, gone))
        for other in outs[1:]:
            for a, b in zip(outs[0], other):
                np.testing.assert_array_equal(a, b)


def _frame_scalars(sim, threads):
    with T.limited(numba_threads=threads):
        f = sim.observe().isel(time=0)
    return (float(f.total_weight), float(f.energy), f.momentum.values.copy())


@pytest.mark.parametrize("case", ["gaussian_1d1v", "kane_harmonic_2d3v"])
def test_frame_sums_match_exact_sums(case):
    rng = np.random.default_rng(9)
    n = 100_003
    if case == "gaussian_1d1v":
        dx, dp = 1, 1
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                            pmc.potentials.GaussianBarrier(height=1.0, width=2.0, center=0.3))
    else:
        dx, dp = 2, 3
        H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.5),
                            pmc.potentials.Harmonic(omega=0.2, mass=1.0, center=[0.0, 0.5]))
    x = rng.uniform(-5, 5, size=(n, dx))
    p = rng.normal(size=(n, dp))
    w = rng.uniform(0.1, 3.0, n)
    sim = pmc.Simulation(H, pmc.Markers(x, p, w), dt=0.01)
    one = _frame_scalars(sim, 1)
    two = _frame_scalars(sim, 2)
    assert one[0] == two[0] and one[1] == two[1] and np.array_equal(one[2], two[2])
    H_each = H.energy(x, p)
    exact_w = math.fsum(w)
    exact_e = math.fsum(w * np.ravel(H_each))
    # pairwise over 256-marker sub-blocks, then ~n/256 in order: error <~ (8 + n/256) eps sum|.|
    bound = (8 + n / 256) * np.finfo(float).eps
    assert abs(one[0] - exact_w) <= bound * np.abs(w).sum()
    assert abs(one[1] - exact_e) <= bound * np.abs(w * np.ravel(H_each)).sum()
    for a in range(dp):
        exact = math.fsum(w * p[:, a])
        assert abs(one[2][a] - exact) <= bound * np.abs(w * p[:, a]).sum()


def test_a_non_finite_marker_stops_the_frame():
    x = np.linspace(-1, 1, 5000)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Zero())
    sim = pmc.Simulation(H, pmc.Markers(x[:, None], np.zeros((5000, 1))), dt=0.1)
    sim.markers.kernel_arrays()[0][0, 4321] = np.nan  # as a push gone wrong would leave it
    with pytest.raises(FloatingPointError, match="non-finite marker positions"):
        sim.observe()
