"""Binary collisions (pmc.collisions.Binary): Bird's NTC scheme and the Uehling-Uhlenbeck
final-state factors, against exact results and independent numpy references.

* Each accepted pair keeps p1 + p2 and |p1 - p2| (momentum and energy p^2/2m to round-off).
* Isotropic scattering: <cos chi> = 0, <cos^2 chi> = 1/3; VSS: <cos chi> = (alpha-1)/(alpha+1).
* Maxwell molecules accept every candidate, so the number of collisions per step is exactly the
  NTC candidate count floor(remainder + N (N - 1) / 2 * w kappa dt / V), the fraction carried.
* Hard spheres / VHS with a fixed majorant: the expected number of collisions in a step is
  N_cand <sigma g>_pairs / (sigma g)_max, <.>_pairs over all pairs of the cell (numpy).
* Quantum statistics: one candidate is accepted with probability
  <sigma g / (sigma g)_max * F / B>, F the product of the final-state factors counted with the
  colliding pair taken out of its bins (numpy, by Monte Carlo over directions).
* A Fermi sphere with one marker per bin (f = 1 inside) blocks almost every collision and no
  bin ever holds more than K markers.
* Equilibrium collision frequencies: hard spheres 4 n d^2 sqrt(pi kT / m), VHS
  4 n d_ref^2 sqrt(pi kT_ref / m) (T / T_ref)^(1 - omega) (Bird 1994 eq. 4.64), Maxwell n kappa.
Statistical tests use 4 standard errors of the known N.
"""
import math

import numba
import numpy as np
import pytest
import scipy.stats

import pmc
from pmc import config
from pmc._kernels import cells as kcells
from pmc._kernels import dsmc
from pmc.collisions import VHS, VSS, Binary, HardSphere, MaxwellMolecules
from pmc.collisions.occupation import bin_width, occupation

BOX = ((0.0, 1.0), (0.0, 1.0), (0.0, 1.0))


def gas(n, seed=1, density=1e4, temperature=1.0, mass=1.0, dims=3):
    box = BOX[0] if dims == 1 else BOX[:dims]
    dist = pmc.states.Maxwellian(temperature=temperature, mass=mass, x=box, density=density,
                                 momentum_dims=3)
    return pmc.sample(dist, n, seed=seed)


def cube(n=(2, 1, 1)):
    return pmc.Cells([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], list(n))


def prepared(coll, cells, markers, mass=1.0, hbar=1.0):
    """The run of ``coll`` in a parabolic band of mass ``mass`` (its JumpOperator)."""
    return coll.prepare(pmc.Hamiltonian(pmc.bands.Parabolic(mass), hbar=hbar), cells, markers)


def per_cell_totals(markers, cells):
    order, start = cells.sort(markers)
    p = markers.momenta.T
    mom = np.array([p[:, order[start[c]:start[c + 1]]].sum(axis=1) for c in range(cells.count)])
    en = np.array([(p[:, order[start[c]:start[c + 1]]] ** 2).sum() for c in range(cells.count)])
    return mom, en


# ----------------------------------------------------------------------------- the sort
def test_parallel_sort_is_the_stable_sort_for_any_chunking_and_thread_count(rng):
    n, shape = 70_000, np.array([3, 2], np.int64)
    x = rng.uniform(-0.1, 1.1, (2, n))
    x[0, :3] = [np.nan, np.inf, -np.inf]
    lo, inv_h = np.zeros(2), np.array([3.0, 2.0])
    with np.errstate(invalid="ignore"):
        inside = np.all((x >= 0.0) & (x < 1.0), axis=0)
        cell = np.floor(x * inv_h[:, None])
    index = np.where(inside, np.nan_to_num(cell[0] * 2 + cell[1]), -1).astype(np.int64)
    np.testing.assert_array_equal(kcells.cell_index(x, n, lo, inv_h, shape,
                                                    np.empty(n, np.int64)), index)
    expected = np.flatnonzero(inside)[np.argsort(index[inside], kind="stable")]
    assert kcells.sort_chunks(n, 6) > 1  # the parallel path is exercised
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            order, start = kcells.sort_by_cell(index, 6)
            np.testing.assert_array_equal(order, expected)
            np.testing.assert_array_equal(np.diff(start), np.bincount(index[inside],
                                                                      minlength=6))
            for itype, weights, inverse in ((np.int64, np.linspace(0.5, 2.0, n), False),
                                            (np.int32, np.full(n, 0.7), True),
                                            (np.int32, np.r_[np.full(n - 1, 0.7), 0.2], False)):
                idx2, order2, start2 = (np.empty(n, itype), np.empty(n, itype),
                                        np.empty(7, np.int64))
                total, w_min, w_max = kcells.sort_markers(x, weights, n, lo, inv_h, shape,
                                                          idx2, order2, start2, inverse)
                assert (w_min, w_max) == (weights.min(), weights.max())
                np.testing.assert_array_equal(order2[:total], expected)
                np.testing.assert_array_equal(order2[total:], np.flatnonzero(~inside))
                np.testing.assert_array_equal(start2, start)
                if not inverse:
                    np.testing.assert_array_equal(idx2, index)
                    continue
                np.testing.assert_array_equal(idx2[order2], np.arange(n))  # the inverse
                a = rng.normal(size=(3, n))
                scattered = np.empty_like(a)
                kcells.scatter_columns(a, n, idx2, scattered)
                np.testing.assert_array_equal(scattered, a[:, order2])
    finally:
        numba.set_num_threads(before)


# ----------------------------------------------------------------------------- one pair
@pytest.mark.parametrize("alpha", [1.0, 1.6])
def test_scatter_conserves_the_pair_and_has_the_right_angular_law(rng, alpha):
    k = 40_000
    p1, p2 = rng.normal(size=(k, 3)), rng.normal(size=(k, 3)) + 0.3
    out = np.empty(6)
    new = np.empty((k, 6))
    for i in range(k):
        dsmc.scatter(p1[i], p2[i], out, 77, 3 * i, alpha)
        new[i] = out
    q1, q2 = new[:, :3], new[:, 3:]
    scale = np.abs(p1).max() + np.abs(p2).max()
    assert np.abs(q1 + q2 - p1 - p2).max() <= 4e-16 * scale
    e0 = (p1 ** 2).sum(1) + (p2 ** 2).sum(1)
    assert np.abs((q1 ** 2).sum(1) + (q2 ** 2).sum(1) - e0).max() <= 1e-15 * e0.max()
    g0, g1 = p1 - p2, q1 - q2
    cos = (g0 * g1).sum(1) / np.sqrt((g0 ** 2).sum(1) * (g1 ** 2).sum(1))
    mean = (alpha - 1.0) / (alpha + 1.0)  # E[2 u^(1/alpha) - 1]
    assert abs(cos.mean() - mean) < 4 * cos.std() / math.sqrt(k)
    if alpha == 1.0:
        c2 = cos ** 2
        assert abs(c2.mean() - 1 / 3) < 4 * c2.std() / math.sqrt(k)
    # the azimuth of the new relative momentum about the old one is uniform on the circle:
    # its cosine and sine average to zero (a sine of the wrong sign on half the circle would not)
    e1 = np.cross(g0, [0.0, 0.0, 1.0])
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(g0 / np.linalg.norm(g0, axis=1)[:, None], e1)
    psi = np.arctan2((g1 * e2).sum(1), (g1 * e1).sum(1))
    for t in (np.cos(psi), np.sin(psi), np.cos(2 * psi), np.sin(2 * psi)):
        assert abs(t.mean()) < 4 * t.std() / math.sqrt(k)


def test_azimuth_is_uniform_on_the_circle_by_either_path(rng):
    # von Neumann's polar method inside the disc, cos/sin of a fresh draw outside: the angle is
    # uniform on [0, 2 pi) (Kolmogorov-Smirnov at the 1e-3 level), the two paths are taken with
    # probabilities pi/4 and 1 - pi/4, and cos^2 + sin^2 = 1 to round-off
    k = 200_000
    bits = rng.integers(0, 2**63, size=k, dtype=np.uint64) * np.uint64(2) + \
        rng.integers(0, 2, size=k, dtype=np.uint64)
    cs = np.array([dsmc.azimuth(*dsmc.disc_point(b), 91, i) for i, b in enumerate(bits)])
    inside = np.array([sum(v * v for v in dsmc.disc_point(b)) < 1.0 for b in bits[:20_000]])
    p_in = math.pi / 4
    assert abs(inside.mean() - p_in) < 4 * math.sqrt(p_in * (1 - p_in) / inside.size)
    assert np.abs(cs[:, 0] ** 2 + cs[:, 1] ** 2 - 1.0).max() < 1e-15
    angle = np.mod(np.arctan2(cs[:, 1], cs[:, 0]), 2 * np.pi)
    assert scipy.stats.kstest(angle / (2 * np.pi), "uniform").pvalue > 1e-3


# ----------------------------------------------------------------------------- NTC counts
def test_maxwell_molecules_collide_exactly_the_ntc_candidate_count():
    # 5 markers per cell, w = V = kappa = 1, dt = 1/4: N(N-1)/2 w kappa dt / V = 2.5 candidates
    # per step, all accepted (sigma g = kappa everywhere): 2, 3, 2, 3, ... with the half carried
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.45, 1.6, 1.7, 1.8, 1.9, 1.95])
    p = np.random.default_rng(3).normal(size=(10, 3))
    mk = pmc.Markers(x=x, p=p, w=1.0)
    cells = pmc.Cells(0.0, 2.0, 2)  # two cells of volume 1
    coll = prepared(Binary(MaxwellMolecules(kappa=1.0)), cells, mk)
    events = [coll.collide(mk, dt=0.25, seed=5, step=s) for s in range(6)]
    assert events == [4, 6, 4, 6, 4, 6]
    assert coll.stats["candidates"] == 30 and coll.stats["clipped"] == 0
    np.testing.assert_array_equal(coll.state()["majorant"], [1.0, 1.0])


@pytest.mark.parametrize("cross_section", [HardSphere(diameter=0.01),
                                           VHS(diameter=0.01, omega=0.75, t_ref=2.0),
                                           VSS(diameter=0.01, omega=0.6, t_ref=1.0, alpha=1.5)])
def test_collisions_in_a_step_match_the_pairwise_expectation(cross_section):
    mk = gas(1200, seed=11)
    cells = cube()
    mass, w, dt = 1.0, mk.w[0], 1.0
    order, start = cells.sort(mk)
    a, beta, _ = cross_section.encode(mass)
    expected = var = 0.0
    ncand = 0
    majorants = []
    for c in range(cells.count):
        p = mk.momenta.T[:, order[start[c]:start[c + 1]]]
        i, j = np.triu_indices(p.shape[1], 1)
        g = np.sqrt(((p[:, i] - p[:, j]) ** 2).sum(0)) / mass
        sg = cross_section.sigma(g, mass) * g  # sigma(g) g from the docstring formula
        maj = 1.5 * sg.max()
        majorants.append(maj)
        nc = math.floor(g.size * w * maj * dt / cells.volume)  # N (N - 1) / 2 pairs
        ncand += nc
        prob = sg.mean() / maj
        expected += nc * prob
        var += nc * prob * (1 - prob)
    np.testing.assert_allclose(sg, a * g ** beta, rtol=1e-12)
    coll = prepared(Binary(cross_section), cells, mk, mass=mass)
    coll.set_state({"majorant": np.array(majorants), "remainder": np.zeros(cells.count)})
    events = coll.collide(mk, dt=dt, seed=3, step=0)
    assert coll.stats["candidates"] == ncand > 5000
    assert abs(events - expected) < 4 * math.sqrt(var)


def test_equilibrium_collision_frequencies_have_their_closed_forms():
    n, kt, m, d = 3e20, 4e-21, 6.6e-26, 3.7e-10
    hs = HardSphere(diameter=d).collision_frequency(n, kt, m)
    assert hs == pytest.approx(4 * n * d ** 2 * math.sqrt(math.pi * kt / m), rel=1e-13)
    for omega in (0.5, 0.81, 1.0):
        vhs = VHS(diameter=d, omega=omega, t_ref=1.7 * kt).collision_frequency(n, kt, m)
        bird = 4 * d ** 2 * n * math.sqrt(math.pi * 1.7 * kt / m) * (1 / 1.7) ** (1 - omega)
        assert vhs == pytest.approx(bird, rel=1e-13)
    assert MaxwellMolecules(kappa=2e-16).collision_frequency(n, kt, m) == pytest.approx(
        n * 2e-16, rel=1e-15)
    # VHS: d^2 = d_ref^2 (2 kT_ref / (m_r g^2))^(omega - 1/2) / Gamma(5/2 - omega)
    g, omega, tr = 517.0, 0.81, 3.8e-21
    d2 = d ** 2 * (2 * tr / (m / 2 * g ** 2)) ** (omega - 0.5) / math.gamma(2.5 - omega)
    assert VHS(diameter=d, omega=omega, t_ref=tr).sigma(g, m) == pytest.approx(math.pi * d2,
                                                                               rel=1e-13)


# ----------------------------------------------------------------------------- conservation
def test_collisions_conserve_number_momentum_and_energy_per_cell():
    mk = gas(3000, seed=2)
    cells = cube((2, 2, 1))
    mom0, en0 = per_cell_totals(mk, cells)
    coll = prepared(Binary(VSS(diameter=0.02, omega=0.7, t_ref=1.0, alpha=1.4),
                           reorder_every=0), cells, mk)
    events = sum(coll.collide(mk, dt=0.03, seed=4, step=s) for s in range(3))
    assert events > 1000 and mk.n == 3000  # every marker collided a few times
    mom1, en1 = per_cell_totals(mk, cells)
    scale = np.abs(mk.momenta.T).max() * 1000
    assert np.abs(mom1 - mom0).max() < 1e-13 * scale
    np.testing.assert_allclose(en1, en0, rtol=1e-13)


def test_results_do_not_depend_on_threads_and_reordering_only_permutes():
    before = numba.get_num_threads()
    runs = {}
    try:
        for threads, reorder in ((1, 0), (min(2, numba.config.NUMBA_NUM_THREADS), 0), (1, 1)):
            numba.set_num_threads(threads)
            mk = gas(4000, seed=8)
            cells = cube((2, 2, 2))
            coll = prepared(Binary(HardSphere(diameter=0.01), reorder_every=reorder), cells, mk)
            for s in range(3):
                coll.collide(mk, dt=0.01, seed=9, step=s)
            runs[threads, reorder] = (mk, cells)
    finally:
        numba.set_num_threads(before)
    (a, _), (b, _) = runs[1, 0], runs[min(2, numba.config.NUMBA_NUM_THREADS), 0]
    np.testing.assert_array_equal(a.momenta.T, b.momenta.T)
    # reordering stores the markers by cell; the markers of each cell, in their order, and
    # their collisions are the same, so the sets of (x, p) agree bitwise
    c, cells = runs[1, 1]
    assert not np.array_equal(a.positions.T, c.positions.T)
    key = lambda m: np.lexsort(np.vstack([m.momenta.T, m.positions.T]))  # noqa: E731
    np.testing.assert_array_equal(a.momenta.T[:, key(a)], c.momenta.T[:, key(c)])
    np.testing.assert_array_equal(a.positions.T[:, key(a)], c.positions.T[:, key(c)])
    assert np.all(np.diff(cells.index(c)) >= 0)  # stored in cell order


def test_reordering_carries_states_weights_and_markers_outside_the_cells():
    """Reordering (here every step) moves every array of a marker together: its discrete
    state, its weight, and the markers of no cell (kept, after the others)."""
    mk = gas(3000, seed=4)
    mk = mk.with_state(np.arange(mk.n) % 3)
    mk.w[:] *= 1.0 + 1e-14 * (np.arange(mk.n) % 7)  # equal within 1e-12, not bitwise
    mk.positions.T[0, :50] += 2.0  # outside the cells (x in [0, 1))
    tag = mk.positions.T[0] * 1e3 + mk.positions.T[1]  # identifies a marker (positions stay)
    before = dict(zip(tag, mk.state))
    weight = dict(zip(tag, mk.w))
    cells = cube((2, 2, 1))
    coll = prepared(Binary(HardSphere(diameter=0.01), reorder_every=1), cells, mk)
    for s in range(2):
        coll.collide(mk, dt=0.01, seed=3, step=s)
    tag_after = mk.positions.T[0] * 1e3 + mk.positions.T[1]
    assert sorted(tag_after) == sorted(tag)
    assert all(before[t] == s for t, s in zip(tag_after, mk.state))
    assert all(weight[t] == w for t, w in zip(tag_after, mk.w))
    index = cells.index(mk)
    assert np.all(index[-50:] == -1) and np.all(np.diff(index[:-50]) >= 0)


def test_markers_reorder_moves_every_array_and_reuses_the_spares():
    """Markers.reorder(position) puts marker i at position[i], all its arrays alike, into
    spare arrays that the next reorder reuses (no allocation in steady state)."""
    rng = np.random.default_rng(2)
    n = 50
    mk = pmc.Markers(x=rng.random((n, 2)), p=rng.random((n, 3)), w=rng.random(n) + 0.5,
                     state=rng.integers(0, 4, n))
    old = mk.copy()
    position = rng.permutation(n)
    mk.reorder(position)
    for name in ("positions", "momenta"):
        np.testing.assert_array_equal(getattr(mk, name)[position], getattr(old, name))
    np.testing.assert_array_equal(mk.w[position], old.w)
    np.testing.assert_array_equal(mk.state[position], old.state)
    first = mk.kernel_arrays()
    out = mk.spare_momenta()  # a kernel writes the momenta in the new order here
    back = np.argsort(position)  # undoes the permutation
    out[:, back] = mk.momenta.T
    mk.reorder(back, momenta=out)
    np.testing.assert_array_equal(mk.positions.T, old.positions.T)
    np.testing.assert_array_equal(mk.momenta.T, old.momenta.T)
    np.testing.assert_array_equal(mk.w, old.w)
    np.testing.assert_array_equal(mk.state, old.state)
    assert mk.kernel_arrays().p is out
    mk.reorder(position, equal_weights=True)  # weights declared equal stay in place
    np.testing.assert_array_equal(mk.w, old.w)
    again = mk.kernel_arrays()  # the arrays of the first reorder came back as spares
    assert again.x is first.x and again.state is first.state
    with pytest.raises(ValueError, match="spare_momenta"):
        mk.reorder(position, momenta=np.empty_like(mk.kernel_arrays().p))


@pytest.mark.parametrize("position, where", [
    (np.array([0, 1, 1, 3]), r"position\[2\] = 1"),   # a repeat
    (np.array([0, 1, 2, 4]), r"position\[3\] = 4"),   # out of range
    (np.array([0, -1, 2, 3]), r"position\[1\] = -1"),
    (np.array([0, 1, 2]), "n=4"),                    # too short
    (np.zeros((2, 2), np.int64), "1-D"),
])
def test_markers_reorder_refuses_what_is_not_a_permutation(position, where):
    """A position array that is not a permutation of 0..n-1 is refused before anything moves
    (it would write outside the arrays), naming the first bad entry; the markers are intact."""
    mk = pmc.Markers(x=np.arange(4.0)[:, None], p=np.ones((4, 1)), w=np.ones(4))
    with pytest.raises(ValueError, match=where):
        mk.reorder(position)
    np.testing.assert_array_equal(mk.positions[:, 0], np.arange(4.0))


def test_state_round_trip_continues_bitwise():
    cells = cube((2, 1, 1))
    a = gas(1000, seed=5)
    binary = Binary(HardSphere(diameter=0.01))
    ca = prepared(binary, cells, a)
    for s in range(4):
        ca.collide(a, dt=0.01, seed=2, step=s)
    b = gas(1000, seed=5)
    cb = prepared(binary, cells, b)
    for s in range(2):
        cb.collide(b, dt=0.01, seed=2, step=s)
    cc = prepared(binary, cells, b)  # a fresh run of the same description
    cc.set_state(cb.state())
    for s in range(2, 4):
        cc.collide(b, dt=0.01, seed=2, step=s)
    np.testing.assert_array_equal(a.momenta.T, b.momenta.T)
    np.testing.assert_array_equal(ca.state()["remainder"], cc.state()["remainder"])


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_simulation_with_streaming_conserves_momentum_and_energy(dims):
    mk = gas(1500, seed=dims, dims=dims)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    cells = pmc.Cells([0.0] * dims, [1.0] * dims, [3] * dims)
    coll = Binary(HardSphere(diameter=0.02))
    sim = pmc.Simulation(H, mk, dt=0.01, boundary=pmc.Periodic(0.0, 1.0), collisions=[coll],
                         cells=cells, seed=3)
    p0, e0 = mk.momenta.sum(axis=0), (mk.momenta.T ** 2).sum()
    sim.step(4)
    assert sim.operators[0].stats["events"] > 300
    p1, e1 = sim.markers.momenta.sum(axis=0), (sim.markers.momenta.T ** 2).sum()
    assert np.abs(p1 - p0).max() < 1e-12 * np.abs(mk.momenta.T).sum()
    assert e1 == pytest.approx(e0, rel=1e-13)


# ----------------------------------------------------------------------------- quantum
def _uu_reference(p, K, maj, statistics, cross_section, rng, ndir=4000):
    """P(one candidate collides) = mean over pairs of sigma g / maj * E_dir[F] / B, with F the
    final-state factor counted with the pair taken out of its bins (bins floor(p), dp = 1);
    returns (P, its Monte Carlo standard error, B)."""
    n = p.shape[1]
    bins = [tuple(b) for b in np.floor(p.T).astype(int)]
    counts = {}
    for b in bins:
        counts[b] = counts.get(b, 0) + 1
    bound = (1 + (max(counts.values()) + 1) / K) ** 2 if statistics == "bose" else 1.0
    total = var = 0.0
    a, beta, _ = cross_section.encode(1.0)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            P, q = 0.5 * (p[:, i] + p[:, j]), 0.5 * (p[:, i] - p[:, j])
            g = 2 * np.linalg.norm(q)
            c = rng.uniform(-1, 1, ndir)
            phi = rng.uniform(0, 2 * np.pi, ndir)
            s = np.sqrt(1 - c * c)
            d = np.linalg.norm(q) * np.array([c, s * np.cos(phi), s * np.sin(phi)])
            b3 = np.floor(P[:, None] + d).astype(int).T
            b4 = np.floor(P[:, None] - d).astype(int).T
            f = np.empty(ndir)
            for k in range(ndir):
                t3, t4 = tuple(b3[k]), tuple(b4[k])
                n3 = counts.get(t3, 0) - (t3 == bins[i]) - (t3 == bins[j])
                n4 = counts.get(t4, 0) - (t4 == bins[i]) - (t4 == bins[j]) + (t4 == t3)
                if statistics == "fermi":
                    f[k] = max(0.0, 1 - n3 / K) * max(0.0, 1 - n4 / K)
                else:
                    f[k] = (1 + n3 / K) * (1 + n4 / K) / bound
            total += a * g ** beta / maj * f.mean()
            var += (a * g ** beta / maj) ** 2 * f.var() / ndir
    npair = n * (n - 1)
    return total / npair, math.sqrt(var) / npair, bound


@pytest.mark.parametrize("statistics", ["fermi", "bose"])
def test_one_candidate_is_accepted_with_the_uehling_uhlenbeck_probability(statistics):
    rng = np.random.default_rng(21)
    K = 2
    # 10 markers crowded into a few unit momentum bins (up to K per bin for fermions, more
    # for bosons), so that the final-state factors matter
    cells_ = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (-1, 0, 0)]
    picks = [0, 0, 1, 1, 2, 3, 4, 4, 2, 3] if statistics == "fermi" else \
        [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]
    p = np.array([cells_[k] for k in picks], float).T + rng.uniform(0.05, 0.95, (3, 10))
    cs = HardSphere(diameter=0.5)
    i, j = np.triu_indices(10, 1)
    maj = 1.01 * cs.encode(1.0)[0] * np.sqrt(((p[:, i] - p[:, j]) ** 2).sum(0)).max()
    expected, expected_sd, bound = _uu_reference(p, K, maj, statistics, cs, rng)
    n, trials = p.shape[1], 4000
    rate = 1.5 / (0.5 * n * (n - 1) * maj * bound)  # one candidate per trial
    members = np.arange(n)
    tally = np.zeros(dsmc.NTALLY, np.int64)
    code = {"fermi": dsmc.FERMI, "bose": dsmc.BOSE}[statistics]
    a, beta, alpha = cs.encode(1.0)
    events = 0
    for t in range(trials):
        q = p.copy()
        tally[:] = 0
        dsmc.collide_cell(q, members, 1000 + t, rate, 1.0, a, beta, alpha, code, 1.0, 1.0 / K,
                          maj, 0.0, tally, q, -1)
        assert tally[dsmc.T_CANDIDATES] == 1
        events += tally[dsmc.T_EVENTS]
    sd = math.sqrt(expected * (1 - expected) / trials + expected_sd ** 2)
    assert abs(events / trials - expected) < 4 * sd
    assert 0.05 < expected < 0.95


def _fermi_sphere(radius):
    r = np.arange(-radius, radius)
    grid = np.stack(np.meshgrid(r, r, r, indexing="ij"), 0).reshape(3, -1) + 0.5
    inside = (grid ** 2).sum(0) < radius ** 2
    return grid[:, inside]


def test_a_full_fermi_sphere_blocks_almost_every_collision_and_never_overfills():
    p = _fermi_sphere(6)  # one marker at the centre of every unit bin inside |p| < 6
    n = p.shape[1]
    mk = pmc.Markers(x=np.full(n, 0.5), p=p.T, w=1.0)
    cells = pmc.Cells(0.0, 1.0, 1)
    hbar = 1.0 / (2 * math.pi)  # 2 pi hbar = 1: with w = V = g = K = 1 the bins are unit cubes
    assert bin_width(1.0, 1.0, hbar=hbar, degeneracy=1.0, capacity=1) == 1.0
    coll = prepared(Binary(MaxwellMolecules(kappa=1.0), statistics="fermi", degeneracy=1.0,
                           bin_capacity=1), cells, mk, hbar=hbar)
    e0, m0 = (p ** 2).sum(), p.sum(axis=1)
    dt = 3000 / (0.5 * n * (n - 1))  # 3000 candidates per step
    for s in range(4):
        coll.collide(mk, dt=dt, seed=1, step=s)
        f = occupation(mk, cells, hbar=hbar, degeneracy=1.0, capacity=1)
        _, counts = np.unique(np.floor(mk.momenta.T).astype(int), axis=1, return_counts=True)
        assert counts.max() == 1 and f.max() == 1.0  # f <= 1, counted two ways
    st = coll.stats
    assert st["accepted_classically"] == st["candidates"]
    assert abs(st["candidates"] - 12000) <= 1  # 4 x 3000 up to the rounding of dt
    assert st["blocked"] > 0.9 * st["accepted_classically"]
    assert (mk.momenta.T ** 2).sum() == pytest.approx(e0, rel=1e-13)
    assert np.abs(mk.momenta.sum(axis=0) - m0).max() < 1e-11


# ----------------------------------------------------------------------------- input
def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="diameter"):
        HardSphere(diameter=0.0)
    with pytest.raises(ValueError, match="omega"):
        VHS(diameter=1.0, omega=0.4, t_ref=1.0)
    with pytest.raises(ValueError, match="t_ref"):
        VHS(diameter=1.0, omega=0.7, t_ref=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        VSS(diameter=1.0, omega=0.7, t_ref=1.0, alpha=2.5)
    with pytest.raises(ValueError, match="kappa"):
        MaxwellMolecules(kappa=float("nan"))
    with pytest.raises(ValueError, match="statistics"):
        Binary(HardSphere(1.0), statistics="boltzmann")
    with pytest.raises(ValueError, match="degeneracy"):
        Binary(HardSphere(1.0), degeneracy=0.5)
    with pytest.raises(ValueError, match="bin_capacity"):
        Binary(HardSphere(1.0), bin_capacity=0)
    with pytest.raises(ValueError, match="cross_section"):
        Binary(1.0)
    coll = Binary(HardSphere(0.01))
    mk = gas(100)
    mk.w[0] *= 2.0
    with pytest.raises(ValueError, match="equal weight"):
        prepared(coll, cube(), mk).collide(mk, dt=0.1, seed=1, step=0)
    flat = pmc.Markers(x=np.linspace(0, 1, 10), p=np.ones(10))
    with pytest.raises(ValueError, match="dp = 3"):
        prepared(coll, pmc.Cells(0.0, 1.0, 2), flat)
    with pytest.raises(ValueError, match="cells.ndim"):
        prepared(coll, pmc.Cells(0.0, 1.0, 2), gas(100)).collide(gas(100), dt=0.1, seed=1,
                                                                 step=0)


def test_mass_and_hbar_come_from_the_hamiltonian():
    """Binary takes m and hbar from the band; mass= and hbar= are deprecated and checked."""
    mk = gas(200, seed=3)
    cells = cube()
    with pytest.warns(DeprecationWarning, match="mass"):
        old = Binary(HardSphere(0.01), mass=2.0)
    with pytest.raises(ValueError, match="band's mass"):
        prepared(old, cells, mk, mass=1.0)
    a, b = mk.copy(), mk.copy()
    prepared(old, cells, a, mass=2.0).collide(a, dt=0.1, seed=1, step=0)
    prepared(Binary(HardSphere(0.01)), cells, b, mass=2.0).collide(b, dt=0.1, seed=1, step=0)
    np.testing.assert_array_equal(a.momenta.T, b.momenta.T)
    with pytest.warns(DeprecationWarning, match="hbar"):
        old_h = Binary(HardSphere(0.01), statistics="fermi", hbar=0.5)
    with pytest.raises(ValueError, match="hbar"):
        prepared(old_h, cells, mk, hbar=1.0)
    kane = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.1))
    with pytest.raises(ValueError, match="parabolic"):
        Binary(HardSphere(0.01)).prepare(kane, cells, mk)


def test_a_description_is_immutable_and_holds_no_run_state():
    coll = Binary(HardSphere(0.01))
    assert coll == Binary(HardSphere(0.01)) and hash(coll) == hash(Binary(HardSphere(0.01)))
    mk = gas(300)
    first = prepared(coll, cube(), mk)
    first.collide(mk, dt=0.1, seed=1, step=0)
    assert prepared(coll, cube(), mk).state() == {}  # a new run starts afresh
    assert first.state()["majorant"].size == 2
    with pytest.raises(AttributeError):
        coll.reorder_every = 1


def test_case_file_names_the_cross_section_as_a_nested_table(tmp_path):
    case = tmp_path / "gas.toml"
    case.write_text("""
[run]
dt = 0.01
t_end = 0.02
save_every = 0.01
seed = 1
[dispersion]
model = "Parabolic"
mass = 1.0
[distribution]
model = "Maxwellian"
n = 500
temperature = 1.0
mass = 1.0
x = [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
density = 1e4
[boundary]
model = "Periodic"
lo = 0.0
hi = 1.0
[cells]
lo = [0.0, 0.0, 0.0]
hi = [1.0, 1.0, 1.0]
n = [2, 2, 2]
[[collisions]]
model = "Binary"
cross_section = { model = "VHS", diameter = 0.01, omega = 0.74, t_ref = 1.0 }
""")
    sim, run = config.build(config.load_case(case))
    (coll,) = sim.collisions
    assert isinstance(coll, Binary)
    assert coll.cross_section == VHS(diameter=0.01, omega=0.74, t_ref=1.0)
    ds = sim.run(run["t_end"], run["save_every"], progress=False)
    events = sim.operators[0].stats["events"]
    assert int(ds.collisions.sel(mechanism="binary").sum()) == events > 0
    bad = case.read_text().replace('"VHS"', '"Sphere"')
    case.write_text(bad)
    with pytest.raises(config.CaseError, match="HardSphere"):
        config.build(config.load_case(case))


def test_binary_runs_beside_another_mechanism_in_the_driver():
    # elastic scattering off fixed centres keeps |p|, binary collisions keep the pair's energy:
    # together they conserve the total energy (not the momentum)
    mk = gas(2000, seed=4, dims=1)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
    binary = Binary(HardSphere(diameter=0.02))
    elastic = pmc.collisions.ElasticIsotropic(rate=2.0)
    sim = pmc.Simulation(H, mk, dt=0.01, boundary=pmc.Periodic(0.0, 1.0),
                         collisions=[binary, elastic], cells=pmc.Cells(0.0, 1.0, 4), seed=1)
    e0 = (mk.momenta.T ** 2).sum()
    ds = sim.run(0.05, 0.05, progress=False)
    counts = ds.collisions.isel(time=-1)
    assert int(counts.sel(mechanism="binary")) == sim.operators[0].stats["events"] > 0
    assert int(counts.sel(mechanism="elastic_isotropic")) > 0
    assert (sim.markers.momenta.T ** 2).sum() == pytest.approx(e0, rel=1e-13)


def test_a_resumed_run_equals_the_uninterrupted_one(tmp_path):
    def simulation():
        mk = gas(1000, seed=6)
        H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0))
        coll = Binary(HardSphere(diameter=0.02), reorder_every=3)
        return pmc.Simulation(H, mk, dt=0.01, boundary=pmc.Periodic(0.0, 1.0),
                              collisions=[coll], cells=cube((2, 2, 2)), seed=4)
    whole = simulation()
    whole.run(0.08, 0.02, output=tmp_path / "whole.nc", progress=False)
    part = simulation()
    part.run(0.04, 0.02, output=tmp_path / "part.nc", progress=False)
    resumed = simulation()  # fresh mechanism: its majorants come from the checkpoint
    resumed.run(0.08, 0.02, output=tmp_path / "part.nc", progress=False, resume=True)
    np.testing.assert_array_equal(resumed.markers.momenta.T, whole.markers.momenta.T)
    np.testing.assert_array_equal(resumed.markers.positions.T, whole.markers.positions.T)
    a = pmc.open_dataset(tmp_path / "whole.nc")
    b = pmc.open_dataset(tmp_path / "part.nc")
    np.testing.assert_array_equal(a.collisions.values, b.collisions.values)
