"""Property tests (hypothesis): invariants that must hold for any input."""
import numpy as np
from hypothesis import given, settings, strategies as st

import pmc
from pmc._kernels.push import ABSORBING, OPEN, PERIODIC, REFLECTING
from pmc._kernels.push import wall as apply_boundary

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
box = st.tuples(st.floats(-100, 100), st.floats(1e-3, 100)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=300, deadline=None)
@given(x=finite, p=finite, lohi=box)
def test_periodic_wall_lands_inside(x, p, lohi):
    lo, hi = lohi
    y, q, side = apply_boundary.py_func(PERIODIC, PERIODIC, lo, hi, x, p)
    assert lo <= y < hi and q == p and side == -1


@settings(max_examples=300, deadline=None)
@given(x=st.floats(-300, 300), p=finite, lohi=box)
def test_reflecting_wall_lands_inside_or_gives_up_far_away(x, p, lohi):
    lo, hi = lohi
    y, q, side = apply_boundary.py_func(REFLECTING, REFLECTING, lo, hi, x, p)
    assert side == -1 and abs(q) == abs(p)
    if abs(x - lo) < 32 * (hi - lo):  # within the crossings one step can make
        assert lo <= y < hi


@settings(max_examples=200, deadline=None)
@given(x=finite, lohi=box)
def test_absorbing_wall_reports_the_side_it_crossed(x, lohi):
    lo, hi = lohi
    _, _, side = apply_boundary.py_func(ABSORBING, ABSORBING, lo, hi, x, 1.0)
    assert side == (-1 if lo <= x < hi else (0 if x < lo else 1))
    assert apply_boundary.py_func(OPEN, OPEN, lo, hi, x, 1.0) == (x, 1.0, -1)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 60), data=st.data())
def test_remove_keeps_exactly_the_other_markers(n, data):
    gone = sorted(data.draw(st.sets(st.integers(0, n - 1))))
    x = np.arange(n, dtype=float)
    mk = pmc.Markers(x=x, p=-x, w=np.arange(1, n + 1, dtype=float), state=np.arange(n))
    mk.remove(np.array(gone, dtype=np.int64))
    keep = sorted(set(range(n)) - set(gone))
    assert sorted(mk.x.tolist()) == [float(k) for k in keep]
    np.testing.assert_array_equal(mk.p, -mk.x)
    np.testing.assert_array_equal(mk.w, mk.x + 1)
    np.testing.assert_array_equal(mk.state, mk.x.astype(int))


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 3000), seed=st.integers(0, 2 ** 32 - 1))
def test_binning_accounts_for_every_marker(n, seed):
    rng = np.random.default_rng(seed)
    mk = pmc.Markers(x=rng.normal(scale=3, size=n), p=rng.normal(scale=2, size=n),
                     w=rng.uniform(0.1, 2.0, n))
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-4, 4, 9), p=np.linspace(-3, 3, 7))
    ds = grid.bin(mk)
    inside = float(ds.f.sum()) * grid.bin_volume
    outside = float(ds.weight_outside_grid) * mk.total_weight
    np.testing.assert_allclose(inside + outside, mk.total_weight, rtol=1e-12)
