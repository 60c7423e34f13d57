"""Clean-ups of session 7 (tidy): one energy/velocity kernel for bands with and without states,
Markers.take's distinctness check, the SCATTERING/BINARY stream labels, one validation case per
number."""
import io
import pathlib

import numpy as np
import pytest

import pmc
from pmc._kernels import evaluate, models, stateful, valleys
from pmc.validate import discover, numbers, run_cases
from test_models import DISPERSIONS as STATELESS


# ----------------------------------------------------------------------------- item 1
@pytest.mark.parametrize("band", STATELESS, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize("dp", [1, 2, 3])
def test_stateless_arrays_are_the_scalar_functions_bitwise(band, dp, rng):
    """Without states (an empty state array, or all zeros) the array kernels give bitwise the
    scalar functions of models, point by point."""
    kind, prm = band.encode(1.0)
    p = rng.normal(size=(dp, 257))
    n = p.shape[1]
    e_none = evaluate.energy_array(kind, prm, stateful.NO_STATE, p, np.empty(n))
    e_zero = evaluate.energy_array(kind, prm, np.zeros(n, np.int64), p, np.empty(n))
    v_none = evaluate.velocity_array(kind, prm, stateful.NO_STATE, p, np.empty_like(p))
    v_zero = evaluate.velocity_array(kind, prm, np.zeros(n, np.int64), p, np.empty_like(p))
    q = np.zeros((3, n))
    q[:dp] = p
    e_ref = np.array([models.energy(kind, prm, *q[:, i]) for i in range(n)])
    v_ref = np.array([models.velocity(kind, prm, *q[:, i]) for i in range(n)]).T[:dp]
    for got in (e_none, e_zero):
        np.testing.assert_array_equal(got, e_ref)
    for got in (v_none, v_zero):
        np.testing.assert_array_equal(got, v_ref)
    np.testing.assert_array_equal(band.energy(p.T if dp > 1 else p[0]), e_ref)
    np.testing.assert_array_equal(band.velocity(p.T if dp > 1 else p[0]).reshape(n, dp),
                                  v_ref.T)


def test_state_arrays_follow_each_points_valley(rng):
    """With a multi-valley band each point gets its own valley's energy and velocity: the
    flat-table kernels against the band's own table (pmc._kernels.valleys)."""
    band = pmc.materials.get("Si", temperature=300.0).band
    kind, prm = band.encode(1.0)
    n = 500
    p = rng.normal(size=(3, n)) * 3e-25
    s = rng.integers(0, len(band.valleys), size=n).astype(np.int64)
    e = evaluate.energy_array(kind, prm, s, p, np.empty(n))
    v = evaluate.velocity_array(kind, prm, s, p, np.empty_like(p))
    e_ref, v_ref = np.empty(n), np.empty_like(p)
    valleys.energy_velocity_array(band.table(), s, p, e_ref, v_ref)
    np.testing.assert_allclose(e, e_ref, rtol=1e-13, atol=0.0)
    np.testing.assert_allclose(v, v_ref, rtol=1e-12, atol=1e-12 * np.abs(v_ref).max())
    # an empty state array is valley 0 for every point
    e0 = evaluate.energy_array(kind, prm, stateful.NO_STATE, p, np.empty(n))
    np.testing.assert_array_equal(
        e0, evaluate.energy_array(kind, prm, np.zeros(n, np.int64), p, np.empty(n)))


# ----------------------------------------------------------------------------- item 2
def test_take_rejects_repeated_and_out_of_range_indices():
    m = pmc.Markers(np.arange(5.0), np.zeros(5))
    with pytest.raises(ValueError, match=r"distinct indices in 0\.\.4: order\[2\] = 1"):
        m.take(np.array([3, 1, 1]))
    with pytest.raises(ValueError, match=r"order\[1\] = 5"):
        m.take(np.array([0, 5]))
    with pytest.raises(ValueError, match=r"order\[0\] = -1"):
        m.take(np.array([-1]))
    assert m.n == 5 and np.array_equal(m.x, np.arange(5.0))  # left untouched


def test_take_unchecked_is_the_same_gather(rng):
    n = 1000
    x, p, w = rng.normal(size=n), rng.normal(size=(n, 3)), rng.uniform(1, 2, size=n)
    order = rng.permutation(n)[:600]
    a = pmc.Markers(x, p, w, state=np.arange(n))
    b = pmc.Markers(x, p, w, state=np.arange(n))
    a.take(order)
    b.take(order, check=False)
    for name in ("x", "p", "w", "state"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.state, order)


# ----------------------------------------------------------------------------- item 3
def test_scattering_and_binary_label_pairs_never_meet():
    """BINARY and SCATTERING share a value but not an argument: a binary stream is keyed
    (step, BINARY + crc32(name)), a scattering mechanism (SCATTERING, crc32(name)); every label
    that follows the step lies above any crc32, so no step and names make the pairs equal."""
    from pmc._kernels import rng as R
    from pmc.collisions.base import name_label

    assert R.SCATTERING == R.BINARY
    after_step = [v for k, v in R.STREAMS.items() if k not in ("scattering", "composed_push")]
    assert min(after_step) >= 2 ** 32 > max(name_label(n) for n in ("a", "elastic", "x" * 99))
    names = ["elastic", "acoustic", "hs", "vhs"]
    seed = R.seed_to_int(5)
    scattering = {int(R.stream_key(seed, R.SCATTERING, name_label(n))) for n in names}
    binary = {int(R.stream_key(seed, t, R.BINARY + name_label(n)))
              for n in names for t in (0, 1, R.SCATTERING)}
    assert len(scattering) == 4 and len(binary) == 12 and not scattering & binary


# ----------------------------------------------------------------------------- item 4
def test_each_validation_number_names_one_case(tmp_path):
    cases = discover(pathlib.Path(__file__).resolve().parent.parent / "validation")
    by_number = numbers(cases)
    assert sorted(by_number.values()) == sorted(cases)  # every case has one number
    assert by_number[5] == "drude" and by_number[11] == "phonon_relaxation"
    (tmp_path / "a.py").write_text("NUMBER = 3\n")
    (tmp_path / "b.py").write_text('"""doc"""\nNUMBER = 3\n')
    with pytest.raises(ValueError, match=r"'a' and 'b' both have NUMBER = 3"):
        numbers(discover(tmp_path))


def test_validate_takes_a_case_number(tmp_path):
    (tmp_path / "one.py").write_text(
        "import pmc.validate\nNUMBER = 7\n\ndef run(quick, outdir):\n"
        "    return pmc.validate.Verdict('one', 'x', 0.0, 1.0, True, {})\n")
    (tmp_path / "two.py").write_text("NUMBER = 8\n\ndef run(quick, outdir):\n"
                                     "    raise RuntimeError\n")
    out = tmp_path / "out"
    verdicts = run_cases(["7"], directory=tmp_path, outdir=out, stream=io.StringIO())
    assert [v.name for v in verdicts] == ["one"] and verdicts[0].passed
    with pytest.raises(ValueError, match="unknown validation cases"):
        run_cases(["9"], directory=tmp_path, outdir=out, stream=io.StringIO())


# ----------------------------------------------------------------------------- item 6
@pytest.mark.parametrize("dx, shape", [(2, (9, 7, 1)), (3, (6, 5, 4))])
@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("periodic", [True, False])
def test_three_axis_gather_is_the_adjoint_of_the_deposit(dx, shape, order, periodic, rng):
    """The 3-axis deposit and gather share their stencil weights: sum_i w_i F(x_i) gathered
    equals sum over nodes of F times the deposited weight, for any mesh field F; the deposit
    keeps the weight of the markers on the mesh."""
    from pmc._kernels import fieldmesh
    n = np.array(shape, np.int64)
    per = np.full(3, int(periodic), np.int64)
    lo = np.array([-1.0, 0.5, 2.0])
    h = np.array([0.3, 0.2, 0.25])
    m = 3000
    x = np.stack([rng.uniform(lo[a] - h[a], lo[a] + (n[a] + 1) * h[a], m) for a in range(dx)])
    w = rng.uniform(0.5, 1.5, m)
    dep = fieldmesh.deposit(x, w, m, dx, order, lo, 1.0 / h, n, per, np.empty(n.prod()))
    field = rng.normal(size=(2, n.prod()))
    got = fieldmesh.gather(x, m, dx, order, lo, 1.0 / h, n, per, field, np.empty((2, m)))
    np.testing.assert_allclose(got @ w, field @ dep, rtol=1e-12)
    inside = np.ones(m, bool)
    if not periodic:  # a marker outside a bounded mesh deposits nothing, one inside all of it
        for a in range(dx):
            inside &= (x[a] >= lo[a]) & (x[a] <= lo[a] + (n[a] - 1) * h[a])
    assert 0 < inside.sum()
    assert dep.sum() == pytest.approx(w[inside].sum(), rel=1e-12)


# ----------------------------------------------------------------------------- item 7
def test_plate_helpers():
    """The near-continuum plate cases' shared pieces: the DSMC-corrected transport coefficient
    and the three comparisons with the upper plate's sign turned."""
    from pmc.validate import helper
    root = pathlib.Path(__file__).resolve().parent.parent / "validation"
    P = helper(root / "couette_slip.py", "_plates")
    T, p = 300.0, 2.0
    lam = P.KB * T / (np.sqrt(2.0) * np.pi * P.DIAMETER ** 2 * p)
    c0 = np.sqrt(2.0 * P.KB * T / P.MASS)
    assert P.dsmc_coefficient(P.mu_ce, 0.1, T, p, 0.0, 0.0) == P.mu_ce(T)
    assert P.dsmc_coefficient(P.kappa_ce, 0.1, T, p, lam, 2 * lam / c0) == pytest.approx(
        P.kappa_ce(T) * (1.0 + P.AGA + 0.4), rel=1e-14)
    rows = P.plate_rows("shear", (1.0, 0.1), np.array([1.1, -0.9]), np.array([0.2, 0.3]))
    expected_rows = {"gas_shear": (1.0, 0.1), "wall_shear_lo": (1.1, 0.2),
                     "wall_shear_hi": (0.9, 0.3)}
    assert rows == expected_rows
    z = {k: 0.5 for k in rows}
    d = P.row_details(rows, z, knudsen=0.05)
    upper_plate = d["wall_shear_hi"]
    assert upper_plate == {"measured": 0.9, "stderr": 0.3, "z": 0.5}
    assert d["knudsen"] == 0.05
