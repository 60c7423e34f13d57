"""The published hard-sphere references of validation cases 54/55 (validation/_hardsphere.py), the
slip/jump-length estimator of the Kn sweeps and the shock re-centring of case 51."""
import math
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "validation"))
import _hardsphere  # noqa: E402

FREE = 1.0 / math.sqrt(math.pi)


@pytest.mark.parametrize("problem", _hardsphere.PROBLEMS)
def test_tables_match_the_slip_and_jump_solution_at_small_kn(problem):
    """The first two published points agree with the first-order slip (Couette) or jump
    (Fourier) solution built from Sone's hard-sphere coefficients to 0.1 %: the tables and the
    coefficients (two sources) are consistent, and were read with the right normalisation."""
    kn, v, _ = _hardsphere.table(problem)
    dev = v[:2] / _hardsphere.continuum(problem, kn[:2]) - 1.0
    assert np.all(np.abs(dev) < 1e-3), dev


@pytest.mark.parametrize("problem", _hardsphere.PROBLEMS)
def test_tables_rise_monotonically_towards_the_free_molecular_limit(problem):
    """sigma and Q grow with Kn and stay below the exact free-molecular 1/sqrt(pi), which the
    last point approaches (within 4 %: the approach is O(delta log delta))."""
    kn, v, _ = _hardsphere.table(problem)
    assert np.all(np.diff(kn) > 0) and np.all(np.diff(v) > 0)
    assert v[-1] < FREE and v[-1] > 0.96 * FREE


@pytest.mark.parametrize("problem, worst", [("couette", 0.01), ("fourier", 0.02)])
def test_s_model_solver_is_within_its_stated_allowance_of_the_tables(problem, worst):
    """The linearised S-model (validation/_kinetic.py) at the hard-sphere viscosity
    (conductivity) lies within 1 % (2 %) of the published hard-sphere values at every point: an
    independent check of both, and of the 2 % model allowance cases 54/55 used before."""
    import _kinetic
    kn, v, _ = _hardsphere.table(problem)
    if problem == "couette":
        delta, fn = 1.0 / (2.0 * _hardsphere.MU_HAT * kn), _kinetic.couette
    else:
        delta, fn = 15.0 / (8.0 * _hardsphere.LAMBDA_HAT * kn), _kinetic.fourier
    s = np.array([fn(d, n=60, nc=48)[0] for d in delta[::3]])
    assert np.max(np.abs(s / v[::3] - 1.0)) < worst


@pytest.mark.parametrize("problem", _hardsphere.PROBLEMS)
def test_reference_interpolates_the_points_and_falls_back_to_the_slip_solution(problem):
    kn, v, _ = _hardsphere.table(problem)
    for i in (0, 3, kn.size - 1):
        val, err = _hardsphere.reference(problem, kn[i])
        assert val == pytest.approx(v[i], rel=1e-12)
        assert 0.0 < err < 0.01
    val, err = _hardsphere.reference(problem, 0.01)
    assert val == pytest.approx(float(_hardsphere.continuum(problem, 0.01)), rel=1e-12)
    assert 0.0 < err < 0.005
    # between points: within the bracketing values
    mid = math.sqrt(kn[4] * kn[5])
    assert v[4] < _hardsphere.reference(problem, mid)[0] < v[5]


def test_reference_bad_input():
    with pytest.raises(ValueError, match="kn must be in"):
        _hardsphere.reference("couette", 0.0)
    with pytest.raises(ValueError, match="kn must be in"):
        _hardsphere.reference("couette", 30.0)
    with pytest.raises(ValueError, match="problem must be one of"):
        _hardsphere.reference("poiseuille", 1.0)


def test_wall_length_recovers_a_known_slip_past_knudsen_layers():
    """A linear bulk profile with slip length s at both walls, plus Knudsen-layer distortions
    confined near the walls (their tails at the fit's edge are 2e-9 U): the estimator returns s."""
    import _knudsen
    L, s, U = 1.0, 0.03, 2.0
    x = (np.arange(400) + 0.5) / 400 * L
    slope = np.array([U / (L + 2 * s), 0.9 * U / (L + 2 * s)])
    u = -0.5 * U + slope[:, None] * (s + x[None, :])
    u += 0.2 * U * (np.exp(-x / 0.01) - np.exp(-(L - x) / 0.01))[None, :]
    walls = (-0.5 * U, -0.5 * U + slope[0] * (L + 2 * s))
    got = _knudsen.wall_length(x, u[:1], walls, L, 0.2)
    assert got[0] == pytest.approx(s, rel=1e-6)


def test_recentring_undoes_the_wander():
    """Frames of one tanh shock displaced by random shifts: the re-centred average has the
    maximum slope of the unshifted profile (same estimator; to the linear-interpolation error),
    the plain average a smaller one, and the positions are recovered up to a constant."""
    import normal_shock
    rng = np.random.default_rng(7)
    xc = np.arange(0.0, 40.0, 0.25) + 0.125
    n1, n2, w = 1.0, 3.0, 1.5
    shifts = rng.normal(0.0, 1.0, 60)
    frames = n1 + 0.5 * (n2 - n1) * (1.0 + np.tanh((xc[None, :] - 20.0 - shifts[:, None]) / w))
    region = (xc > 4.0) & (xc < 36.0)
    shifted, xs = normal_shock.recentred(xc, frames, n1, n2, region)
    assert np.allclose(xs - xs.mean(), shifts - shifts.mean(), atol=1e-6)
    exact = normal_shock.thickness(xc, frames[0] * 0 + n1 + 0.5 * (n2 - n1) * (
        1.0 + np.tanh((xc - 20.0) / w)), n1, n2)[0]
    assert exact == pytest.approx(1.0 / (2.0 * w), rel=0.02)
    plain = normal_shock.thickness(xc, frames.mean(axis=0), n1, n2)[0]
    again = normal_shock.thickness(xc, shifted.mean(axis=0), n1, n2)[0]
    assert again == pytest.approx(exact, rel=0.01)
    assert plain < 0.9 * exact


@pytest.mark.parametrize("problem", _hardsphere.PROBLEMS)
def test_flux_wall_length_inverts_the_first_order_solution(problem):
    """Fed the first-order hard-sphere flux, the estimator returns Sone's slip (jump) length,
    1.111 (2.127) mean free paths; fed the published point at Kn = 0.113, within 1 % of it."""
    import _knudsen
    kn = 0.05
    value = float(_hardsphere.continuum(problem, kn))
    length, dlen, expected = _knudsen.flux_wall_length(problem, kn, value)
    assert length == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.1113 if problem == "couette" else 2.1271, rel=1e-4)
    assert dlen > 0
    knt, v, _ = _hardsphere.table(problem)
    published_length = _knudsen.flux_wall_length(problem, knt[0], v[0])[0]
    assert published_length == pytest.approx(expected, rel=0.01)
