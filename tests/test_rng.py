"""The counter-based generator: uniform, independent between streams, pure function of
(key, counter)."""
import numpy as np
from scipy import stats

from pmc._kernels.rng import fill_uniform, normal, seed_to_int, stream_key, uniform


def test_uniform_is_uniform_and_reproducible():
    key = stream_key(1, 2, 3)
    u = fill_uniform(key, np.empty(200_000))
    assert np.all((u >= 0) & (u < 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    np.testing.assert_array_equal(u, fill_uniform(key, np.empty(200_000)))
    # successive draws are uncorrelated (lag-1 correlation ~ N(0, 1/n))
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 5 / np.sqrt(u.size)


def test_streams_are_independent():
    a = fill_uniform(stream_key(1, 0, 0), np.empty(100_000))
    b = fill_uniform(stream_key(1, 0, 1), np.empty(100_000))
    c = fill_uniform(stream_key(2, 0, 0), np.empty(100_000))
    for x, y in ((a, b), (a, c)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / np.sqrt(x.size)
    # a 2D equidistribution check on pairs from neighbouring streams
    h, _, _ = np.histogram2d(a, b, bins=10)
    assert stats.chisquare(h.ravel()).pvalue > 1e-4


def test_normal_is_standard_normal():
    key = stream_key(9, 9, 9)
    z = np.array([normal(key, i) for i in range(20000)])
    assert stats.kstest(z, "norm").pvalue > 1e-4
    assert uniform(key, 5) == uniform(key, 5)


def test_seed_to_int_follows_seedsequence():
    assert seed_to_int(1) == seed_to_int(np.random.SeedSequence(1))
    assert seed_to_int(1) != seed_to_int(2)
    assert 0 <= seed_to_int(12345) < 2 ** 63
