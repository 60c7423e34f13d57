"""Contacts on the faces of a 2-D box (pmc.Injecting with one extent per axis), the 2-D
Ramo-Shockley weighting potential, DopedEquilibrium across a width, and the unrolled 2-D CIC
deposit and gather (validation case 42, si_diode_2d)."""
import math
import pathlib
import sys

import numpy as np
import pytest
from scipy import stats

import pmc
from pmc._kernels import fieldmesh as fm
from pmc.devices import Doping, DopedEquilibrium
from pmc.units import K, e, hbar

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "validation"))  # case 42's deck
L, W = 1.0e-6, 0.1e-6
T = 300 * K


def _mesh(per):
    lo = np.array([0.0, -0.3, 0.0])
    n = np.array([11, 7, 1])
    hi = np.array([1.0, 0.4, 1.0])
    inv_h = np.array([(n[a] if per else n[a] - 1) / (hi[a] - lo[a]) for a in range(2)] + [1.0])
    return lo, inv_h, n, np.array([per, per, 0], np.int64)


@pytest.mark.parametrize("per", [0, 1])
def test_cic_2d_is_the_generic_path_bitwise(per):
    lo, inv_h, n, p = _mesh(per)
    rng = np.random.default_rng(3)
    k = 2000
    x = np.ascontiguousarray(np.vstack([rng.uniform(-0.1, 1.1, k), rng.uniform(-0.4, 0.5, k)]))
    x[:, :4] = [[0.0, 1.0, 0.5, 1.0], [-0.3, 0.4, 0.4, -0.3]]  # corners and walls
    w = rng.random(k)
    a = np.zeros(int(n.prod()))
    b = np.zeros_like(a)
    fm._deposit_range(x, w, 0, k, 2, fm.CIC, lo, inv_h, n, p, a)
    fm.deposit(x, w, k, 2, fm.CIC, lo, inv_h, n, p, b)  # the unrolled (sub-block) path
    assert np.array_equal(a, b)
    field = rng.standard_normal((2, a.size))
    ga = rng.standard_normal((2, k))
    gb = ga.copy()
    fm._gather_block(x, 0, k, 2, fm.CIC, lo, inv_h, n, p, field, ga, 1.0, False)
    fm.gather(x, k, 2, fm.CIC, lo, inv_h, n, p, field, gb)
    assert np.array_equal(ga, gb)
    ga = rng.standard_normal((3, k))
    gb = ga.copy()
    fm._gather_block(x, 0, k, 2, fm.CIC, lo, inv_h, n, p, field, ga, 0.37, True)
    fm.kick(x, gb, k, 2, fm.CIC, lo, inv_h, n, p, field, 0.37)
    assert np.array_equal(ga, gb)


def _box(rule="flux", density=1e23, weight=None):
    band = pmc.bands.Parabolic(mass=0.26 * 9.1093837e-31)
    weight = weight or density * L * W / 2000
    res = pmc.Reservoir(density=density, temperature=T, weight=weight, rule=rule,
                        cell=L / 20 if rule == "neutral" else None)
    return band, res, pmc.Injecting((0.0, 0.0), (L, W), left=res, right=res, charge=-e)


def test_injecting_2d_bad_inputs():
    band, res, inj = _box()
    H = pmc.Hamiltonian(band, hbar=hbar)
    m2 = pmc.Markers(x=np.full((4, 2), 0.05e-6), p=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="one number per axis"):
        pmc.simulate(H, m2, dt=1e-15, t_end=1e-15, save_every=1e-15,
                     boundary=pmc.Injecting(0.0, L, left=res, charge=-e))
    with pytest.raises(ValueError, match="width must be"):
        DopedEquilibrium(Doping.uniform(0.0, L, 1e23), band, T, width=(W, 0.0))


def test_face_flux_and_entry_points():
    """Markers entering through the two faces of an empty box: the count is Poisson with the
    reservoir's flux times the face width times the time; the entry points are uniform across
    the face and every marker lies inside the box after its first flight."""
    band, res, inj = _box()
    H = pmc.Hamiltonian(band, hbar=hbar)
    m = pmc.Markers(x=np.zeros((0, 2)), p=np.zeros((0, 3)), w=np.zeros(0))
    dt, steps = 2e-15, 40
    tally = pmc.streaming.stream(m, H, dt, steps, boundary=inj, seed=5)
    expected = res.flux(1.0, band) * W * dt * steps / res.weight  # per face
    for side in (0, 1):
        count = tally.injected_weight[side] / res.weight
        assert abs(count - expected) < 4 * math.sqrt(expected)
    y = m.positions[:, 1]
    assert np.all((y >= 0.0) & (y < W)) and np.all((m.x >= 0.0) & (m.x < L))
    assert stats.kstest(y / W, "uniform").pvalue > 1e-3
    # the insulating sides reflect: a marker never leaves across y
    pmc.streaming.stream(m, H, dt, steps, step0=steps, boundary=inj, seed=5)
    assert np.all((m.positions[:, 1] >= 0.0) & (m.positions[:, 1] <= W))


def test_neutral_contact_cell_spans_the_width():
    """The ohmic contact brings its cell (depth x width) to density x cell x width, within one
    marker, and creates its markers uniformly across the width."""
    band, res, inj = _box(rule="neutral")
    H = pmc.Hamiltonian(band, hbar=hbar)
    m = pmc.Markers(x=np.zeros((0, 2)), p=np.zeros((0, 3)), w=np.zeros(0))
    pmc.streaming.stream(m, H, 1e-15, 1, boundary=inj, seed=2)
    x = m.positions
    for a, b in ((0.0, res.cell), (L - res.cell, L)):
        inside = (x[:, 0] >= a) & (x[:, 0] < b)
        held = m.w[inside].sum()
        assert abs(held - res.density * res.cell * W) <= res.weight * (1 + 1e-9)
    assert stats.kstest(x[:, 1] / W, "uniform").pvalue > 1e-3


def test_doped_equilibrium_width():
    doping = Doping([(0.0, 0.3e-6, 5e23), (0.3e-6, 1e-6, 2e21)])
    band = pmc.materials.get("Si", temperature=T).single_valley()
    d = DopedEquilibrium(doping, band, T, width=(0.0, W))
    m = pmc.sample(d, 3000, seed=1)
    assert m.dx == 2 and d.total_weight == pytest.approx(doping.total() * W, rel=1e-12)
    assert m.total_weight == pytest.approx(doping.total() * W, rel=1e-12)
    assert np.all((m.positions[:, 1] >= 0.0) & (m.positions[:, 1] < W))


def test_ramo_weighting_potential_2d_is_linear_in_x():
    """Contacts over the full width, insulating sides, one permittivity: the weighting
    potential solved on the 2-D mesh is (x - x_lo) / L, so the Ramo-Shockley current is the
    one-dimensional q sum w v_x / L (to rounding)."""
    import si_diode_2d

    sim = si_diode_2d.build(400, 0.5, seed=3)
    sim.step(2)
    _, ramo = sim._terminal_currents()
    mk = sim.markers
    v = sim.hamiltonian.velocity(mk.momenta, state=mk.state)[:, 0]
    flow = -e * float(np.dot(mk.w, v)) / si_diode_2d.LENGTH
    scale = e * float(np.dot(mk.w, np.abs(v))) / si_diode_2d.LENGTH  # the sum cancels
    assert np.abs(ramo - [flow, -flow]).max() < 1e-7 * scale  # the sparse solve rounds
    op, (e_lo, e_hi) = sim._weighting_fields()  # (identity Dirichlet rows beside 1/h^2 ones:
    # the LU solve rounds at ~1e-7 of the field)
    assert np.allclose(e_hi[0], -1.0 / si_diode_2d.LENGTH, rtol=1e-6)
    assert np.allclose(e_hi[1], 0.0, atol=1e-6 / si_diode_2d.LENGTH)
    assert np.allclose(e_lo, -e_hi, rtol=1e-6, atol=1e-6 / si_diode_2d.LENGTH)


def _diode_2d(n, seed=3):
    import si_diode_2d

    return si_diode_2d.build(n, 1.0, seed=seed)


def test_diode_2d_resume_and_thread_count_bitwise(tmp_path):
    """The 2-D diode (contacts on faces, Poisson, phonons): a resumed run equals the
    uninterrupted one, and the markers do not depend on the number of threads."""
    dt = _diode_2d(10).dt
    whole = _diode_2d(300).run(8 * dt, 2 * dt)
    out = tmp_path / "r.nc"
    _diode_2d(300).run(4 * dt, 2 * dt, output=out, checkpoint_every=1)
    resumed = _diode_2d(300).run(8 * dt, 2 * dt, output=out, resume=True)
    for name in ("contact_current", "ramo_current", "potential"):
        np.testing.assert_array_equal(whole[name].values, resumed[name].values)
    runs = []
    for nthreads in (1, 2):
        with pmc.threads.limited(numba_threads=nthreads):
            sim = _diode_2d(20_000)  # above the small-run size: the parallel kernels
            sim.step(3)
            runs.append((sim.markers.positions.copy(), sim.markers.momenta.copy(),
                         sim.field_operators[0].phi.copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
