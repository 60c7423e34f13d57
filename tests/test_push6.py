"""Issue 15, session 9: the Gaussian kick's exponential with the cheaper scaling for arguments
that are never positive, bitwise the general one; the one-axis leapfrog in sub-blocks of
SUB_1D markers, bitwise the same markers and frame sums as sub-blocks of SUB."""
import numpy as np
from numba import njit

from pmc._kernels import vecmath


@njit
def _both(a, general, nonpositive):
    for i in range(a.size):
        general[i] = vecmath.exp(a[i])
        nonpositive[i] = vecmath.exp_nonpositive(a[i])


def test_exp_nonpositive_is_bitwise_exp():
    """exp_nonpositive(x) = exp(x) bit for bit for x <= 0: normal results, the subnormal range
    (x < -708.4), the underflow to zero (x < -745.13), -0.0, -inf and NaN."""
    rng = np.random.default_rng(11)
    x = np.concatenate([-rng.uniform(0, 746, 400_000), -rng.uniform(700, 746, 400_000),
                        -rng.uniform(0, 1e-3, 10_000),
                        [0.0, -0.0, -np.inf, np.nan, -745.13, -745.14, -708.39, -708.4,
                         -1e300, -5e-324]])
    general, nonpositive = np.empty_like(x), np.empty_like(x)
    _both(x, general, nonpositive)
    np.testing.assert_array_equal(general.view(np.int64)[~np.isnan(x)],
                                  nonpositive.view(np.int64)[~np.isnan(x)])
    assert np.isnan(general[np.isnan(x)]).all() and np.isnan(nonpositive[np.isnan(x)]).all()
    assert (nonpositive[(x < -708.4) & (x > -745.1)] < 2.0 ** -1022).all()  # subnormal
    assert (nonpositive[(x < -745.14)] == 0.0).all()


def test_stream_refuses_to_return_non_finite_markers():
    """pmc.stream raises FloatingPointError, naming the steps, where the push made a marker
    non-finite (here a periodic potential's sine beyond vecmath.TRIG_MAX = 2^40 gives NaN);
    finite markers next to it stream as before."""
    import pytest

    import pmc
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                        pmc.potentials.Periodic(amplitude=1.0, period=1.0), hbar=1.0)
    far = pmc.Markers(x=np.array([0.3, 1e13]), p=np.array([0.1, 0.2]))
    with pytest.raises(FloatingPointError, match=r"steps 5\.\.7"):
        pmc.stream(far, H, dt=0.01, steps=3, step0=5)
    near = pmc.Markers(x=np.array([0.3, 1e3]), p=np.array([0.1, 0.2]))
    pmc.stream(near, H, dt=0.01, steps=3)
    assert np.isfinite(near.x).all() and np.isfinite(near.p).all()
