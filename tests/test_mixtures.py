"""Gas mixtures: species, mixing rules, per-species weights, Larsen-Borgnakke rotational exchange
(pmc.Species, pmc.Mixture, pmc.collisions.BinaryMixture)."""
import math

import numpy as np
import pytest
import scipy.stats
import xarray as xr

import pmc
import pmc.config
from pmc._kernels import mixture as kmix

K = pmc.units.K
M_HE, M_AR, M_N2 = 6.646e-27, 6.634e-26, 4.652e-26


def he(weight=1e3):
    return pmc.Species("He", M_HE, pmc.collisions.VHS(2.33e-10, 0.66, 273 * K), weight)


def ar(weight=1e3, alpha=1.0):
    cs = (pmc.collisions.VSS(4.11e-10, 0.81, 273 * K, alpha=alpha) if alpha != 1.0
          else pmc.collisions.VHS(4.17e-10, 0.81, 273 * K))
    return pmc.Species("Ar", M_AR, cs, weight)


def n2(weight=1e3, relaxation=5.0):
    return pmc.Species("N2", M_N2, pmc.collisions.VSS(4.11e-10, 0.74, 273 * K, alpha=1.36),
                       weight, rotational_dof=2, relaxation=relaxation)


def totals(mix, m, cell_of=None):
    """Momentum (.., 3) and energy (..) of the physical particles, per cell if ``cell_of``."""
    mass = mix.masses[m.state]
    e = m.w * (0.5 * np.sum(m.momenta ** 2, axis=1) / mass
               + (m.internal if m.internal is not None else 0.0))
    p = m.w[:, None] * m.momenta
    if cell_of is None:
        return p.sum(axis=0), e.sum()
    ncell = cell_of.max() + 1
    return (np.stack([np.bincount(cell_of, p[:, k], ncell) for k in range(3)], axis=1),
            np.bincount(cell_of, e, ncell))


def prepare(mix, m, L, ncell=1):
    H = pmc.Hamiltonian(mix.band, units="si")
    cells = pmc.Cells([0.0] * 3, [L] * 3, [ncell, 1, 1])
    return pmc.collisions.BinaryMixture(mix).prepare(H, cells, m)


def pairs_in_cells(mix, ncell, L, seed):
    """Two markers per cell, species 0 and 1 (or the only species), at random momenta."""
    rng = np.random.default_rng(seed)
    x = np.zeros((2 * ncell, 3))
    x[:, 0] = (np.repeat(np.arange(ncell), 2) + 0.5) * L / ncell
    x[:, 1:] = 0.5 * L
    state = np.tile([0, min(1, len(mix) - 1)], ncell)
    mass = mix.masses[state]
    p = rng.normal(size=(2 * ncell, 3)) * np.sqrt(mass * 300 * K)[:, None]
    e = rng.exponential(300 * K, 2 * ncell) * (np.array([s.rotational_dof for s in
                                                         mix.species])[state] > 0)
    return pmc.Markers(x, p, mix.weights[state], state=state, internal=e)


@pytest.mark.parametrize("weights", [(1e3, 1e3), (1e3, 7e3)])
def test_pair_by_pair_conservation(weights):
    """Cells of one He and one N2 marker collide many times in a long step: the momentum of
    each pair is conserved to round-off; its energy (translational + rotational) too with equal
    weights, and per cell (the one pair) with unequal ones (Bird's scheme, then each cell's
    momentum and energy restored)."""
    mix = pmc.Mixture([he(weights[0]), n2(weights[1])])
    L, ncell = 1e-6, 200
    m = pairs_in_cells(mix, ncell, L, seed=1)
    cell = np.repeat(np.arange(ncell), 2)
    p0, e0 = totals(mix, m, cell)
    op = prepare(mix, m, L, ncell)
    events = sum(op.collide(m, 2e-7, seed=5, step=s) for s in range(3))
    assert events > 3 * ncell and op.stats["relaxations"] > 0
    cell = (m.positions[:, 0] / (L / ncell)).astype(int)  # the markers were reordered
    p1, e1 = totals(mix, m, cell)
    scale_p = np.abs(mix.weights[m.state][:, None] * m.momenta).max()
    # round-off: the correction of unequal weights (a shift and a scaling) adds a few ulps
    tol = 1e-14 if weights[0] == weights[1] else 1e-12
    assert np.abs(p1 - p0).max() < tol * scale_p
    np.testing.assert_allclose(e1, e0, rtol=10 * tol, atol=0)
    assert np.all(m.internal >= 0)


def test_equal_weights_conserve_energy():
    """Equal weights, VSS scattering: the total energy is conserved to round-off."""
    mix = pmc.Mixture([he(), ar(alpha=1.4)])
    m = pairs_in_cells(mix, 50, 1e-6, seed=2)
    op = prepare(mix, m, 1e-6, 50)
    p0, e0 = totals(mix, m)
    assert op.collide(m, 1e-7, seed=1, step=0) > 0
    p1, e1 = totals(mix, m)
    assert abs(e1 - e0) < 1e-14 * e0


def test_mixing_rules_and_bird_frequency():
    """Pair parameters by Bird's mixing rules; the pair collision frequency equals Bird 1994 eq.
    4.77, nu_pq = 2 pi^(1/2) d^2 n_q (T / T_ref)^(1 - omega) (2 k T_ref / m_r)^(1/2)."""
    mix = pmc.Mixture([he(), ar()])
    d, omega, t_ref, alpha = mix.pair("Ar", "He")
    assert d == pytest.approx(0.5 * (2.33e-10 + 4.17e-10), rel=1e-15)
    assert omega == pytest.approx(0.735) and t_ref == 273 * K and alpha == 1.0
    mr = M_HE * M_AR / (M_HE + M_AR)
    n, T = 1e21, 700 * K
    bird = (2 * math.sqrt(math.pi) * d ** 2 * n * (T / t_ref) ** (1 - omega)
            * math.sqrt(2 * t_ref / mr))
    assert mix.collision_frequency("He", "Ar", n, T) == pytest.approx(bird, rel=1e-12)
    given = pmc.Mixture([he(), ar()], pairs={("Ar", "He"): pmc.collisions.VHS(3e-10, 0.7, 1.0)})
    assert given.pair("He", "Ar") == (3e-10, 0.7, 1.0, 1.0)


def test_pair_collision_rates_match_bird():
    """Stationary Maxwellian He-Ar mixture with unequal weights: marker collision events per
    pair of species over many steps against N_p N_q w_max <sigma g> dt / V (N_p (N_p - 1) / 2
    for like pairs), <sigma g> = nu_pq / n_q from Bird's formula; within 4 standard errors
    (Poisson counts)."""
    mix = pmc.Mixture([he(1e3), ar(3e3, alpha=1.4)])
    L = 1e-5
    V = L ** 3
    T = 500 * K
    m = mix.sample(((0, L), (0, L), (0, L)), density={"He": 2e22, "Ar": 1.5e22},
                   temperature=T, seed=3)
    N = np.bincount(m.state)
    op = prepare(mix, m, L)
    dt, steps = 2e-10, 300
    for s in range(steps):
        op.collide(m, dt, seed=1, step=s)
    ev = op.stats["pair_events"]
    w = mix.weights
    for p in range(2):
        for q in range(p, 2):
            nq = N[q] * w[q] / V
            sg = mix.collision_frequency(mix.names[p], mix.names[q], nq, T) / nq
            pairs = N[p] * (N[p] - 1) / 2 if p == q else N[p] * N[q]
            expect = pairs * max(w[p], w[q]) * sg * dt / V * steps
            assert abs(ev[p, q] - expect) < 4 * math.sqrt(expect), (p, q, ev[p, q], expect)
    assert ev[1, 0] == 0


def species_temperatures(mix, m):
    mass = mix.masses[m.state]
    out = []
    for s in range(len(mix)):
        k = m.state == s
        v = m.momenta[k] / mass[k, None]
        out.append(mix.masses[s] * np.mean(np.sum((v - v.mean(0)) ** 2, axis=1)) / 3)
    return np.array(out)


def test_equilibrium_species_temperatures_equal():
    """He at 300 K and Ar at 1500 K (unequal weights) relax to one temperature: the species
    temperatures agree with each other and with the common temperature fixed by energy
    conservation, within the sampling error of a Maxwellian (kT sqrt(2 / (3 N)))."""
    mix = pmc.Mixture([he(1e3), ar(2e3)])
    L = 1e-5
    m = mix.sample(((0, L), (0, L), (0, L)), density={"He": 2e22, "Ar": 2e22},
                   temperature={"He": 300 * K, "Ar": 1500 * K}, seed=4)
    _, e0 = totals(mix, m)
    p0, _ = totals(mix, m)
    M = np.sum(m.w * mix.masses[m.state])
    t_final = (e0 - 0.5 * np.sum(p0 ** 2) / M) / (1.5 * m.w.sum())
    op = prepare(mix, m, L)
    for s in range(150):
        op.collide(m, 3e-8, seed=2, step=s)
    t = species_temperatures(mix, m)
    N = np.bincount(m.state)
    se = t_final * np.sqrt(2.0 / (3.0 * N))
    assert np.all(np.abs(t - t_final) < 4 * se), (t / K, t_final / K)
    _, e1 = totals(mix, m)
    assert e1 == pytest.approx(e0, rel=1e-12)


@pytest.mark.parametrize("relaxation", [2.5, pmc.collisions.Parker(18.1, 91.5 * K)])
def test_larsen_borgnakke_equipartition(relaxation):
    """Nitrogen with T_rot = 2 T_tr relaxes to equipartition (constant Z or Parker's Z(T)):
    rotational energies exponential with mean k T_f (Kolmogorov-Smirnov) and
    T_tr = T_rot = T_f, T_f fixed by energy conservation, (5/2) k T_f = <E_tr> + <e_rot> per
    molecule."""
    mix = pmc.Mixture([n2(relaxation=relaxation)])
    L = 1e-5
    m = mix.sample(((0, L), (0, L), (0, L)), density=3e22, temperature=300 * K,
                   rotational_temperature=600 * K, seed=5)
    p0, e0 = totals(mix, m)
    t_final = (e0 - 0.5 * np.sum(p0 ** 2) / (M_N2 * m.w.sum())) / (2.5 * m.w.sum())
    op = prepare(mix, m, L)
    for s in range(200):
        op.collide(m, 2e-8, seed=3, step=s)
    assert 2 * op.stats["events"] / m.n > 40  # collisions per molecule: many relaxation times
    n = m.n
    t_rot = m.internal.mean()
    t_tr = species_temperatures(mix, m)[0]
    assert abs(t_rot - t_final) < 4 * t_final / math.sqrt(n)
    assert abs(t_tr - t_final) < 4 * t_final * math.sqrt(2 / (3 * n))
    assert scipy.stats.kstest(m.internal, "expon", args=(0, t_final)).pvalue > 1e-3


def test_relaxation_probability():
    """The exchange probability gives the Landau-Teller number: P b (1 - c P) = 1 / Z between
    two rotating partners, P b = 1 / Z against an atom; clipped at 1; Parker's Z(T)."""
    omega, z = 0.74, 5.0
    a = 2.5 - omega
    b, c = a / (1 + a), 0.5 / (1 + a)
    p = kmix.exchange_probability(z, omega, True)
    assert p * b * (1 - c * p) == pytest.approx(1 / z, rel=1e-12)
    assert kmix.exchange_probability(z, omega, False) * b == pytest.approx(1 / z, rel=1e-12)
    assert kmix.exchange_probability(1.0, omega, True) == 1.0
    parker = pmc.collisions.Parker(18.1, 91.5 * K)
    t = 300 * K
    r = 91.5 / 300
    assert parker(t) == pytest.approx(18.1 / (1 + math.pi ** 1.5 / 2 * math.sqrt(r)
                                              + (math.pi + math.pi ** 2 / 4) * r))
    assert kmix.parker(18.1, 91.5 * K, t) == pytest.approx(parker(t), rel=1e-14)
    assert pmc.Species("N2", M_N2, pmc.collisions.VHS(4e-10, 0.74, 273 * K), 1.0,
                       rotational_dof=2, relaxation=parker).relaxation_number(t) == parker(t)


def test_markers_carry_internal():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(10, 3))
    e = np.arange(10.0)
    m = pmc.Markers(x, rng.normal(size=(10, 3)), 1.0, state=np.arange(10) % 2, internal=e)
    c = m.copy()
    assert np.array_equal(c.internal, e) and c.internal is not m.internal
    m.append(np.zeros((3, 2)), np.array([[5.0, 6.0]] * 3),
             np.ones(2), state=np.zeros(2, np.int64),
             internal=np.array([20.0, 21.0]))
    assert m.internal[-2:].tolist() == [20.0, 21.0]
    m.remove(np.array([0, 3]))
    assert sorted(m.internal.tolist()) == sorted([1, 2, 4, 5, 6, 7, 8, 9, 20.0, 21.0])
    before = dict(zip(m.momenta[:, 0].tolist(), m.internal.tolist()))
    m.reorder(np.arange(m.n)[::-1].copy())
    assert dict(zip(m.momenta[:, 0].tolist(), m.internal.tolist())) == before
    with pytest.raises(ValueError, match="append needs internal"):
        m.append(np.zeros((3, 1)), np.zeros((3, 1)), np.ones(1), state=np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="internal"):
        pmc.Markers(x, x, 1.0, internal=-np.ones(10))
    assert m.with_internal(np.ones(m.n)).internal.sum() == m.n


def test_species_band():
    band = pmc.Mixture([he(), ar()]).band
    p = np.array([[1e-23, 0, 0], [1e-23, 0, 0]])
    np.testing.assert_allclose(band.velocity(p, species=[0, 1])[:, 0], [1e-23 / M_HE,
                                                                        1e-23 / M_AR])
    assert band.names == ("He", "Ar") and band.needs_state


def test_sample_weights_and_states():
    mix = pmc.Mixture([he(1e3), n2(2e3)])
    L = 1e-5
    m = mix.sample(((0, L), (0, L), (0, L)), density={"He": 1e22, "N2": 2e22},
                   temperature=300 * K, seed=1)
    N = np.bincount(m.state)
    assert N.tolist() == [10000, 10000]
    assert np.all(m.w[m.state == 1] == 2e3)
    assert np.all(m.internal[m.state == 0] == 0) and m.internal[m.state == 1].mean() > 0


@pytest.mark.parametrize("make, match", [
    (lambda: pmc.Species("X", -1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0), "mass"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 0.0), "weight"),
    (lambda: pmc.Species("", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0), "name"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.MaxwellMolecules(1.0), 1.0), "cross_section"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0,
                         rotational_dof=3, relaxation=5.0), "rotational_dof"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0,
                         rotational_dof=2), "relaxation"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0,
                         rotational_dof=2, relaxation=0.5), "relaxation must be >= 1"),
    (lambda: pmc.Species("X", 1.0, pmc.collisions.VHS(1e-10, 0.7, 1.0), 1.0,
                         relaxation=5.0), "relaxation"),
    (lambda: pmc.Mixture([he(), he()]), "distinct"),
    (lambda: pmc.Mixture([]), "non-empty"),
    (lambda: pmc.Mixture([he()]).index("Xe"), "unknown species 'Xe'"),
    (lambda: pmc.Mixture([he()], pairs={("He", "Xe"): pmc.collisions.VHS(1e-10, 0.7, 1.0)}),
     "unknown species"),
    (lambda: pmc.Mixture([he()]).sample((0, 1), density={"Xe": 1.0}, temperature=1.0, seed=1),
     "unknown species"),
    (lambda: pmc.collisions.Parker(-1.0, 1.0), "z_inf"),
    (lambda: pmc.collisions.BinaryMixture(he()), "mixture"),
    (lambda: pmc.bands.SpeciesMasses([1.0, -2.0]), r"masses\[1\]"),
])
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_markers_and_band():
    mix = pmc.Mixture([he(1e3), ar(2e3)])
    L = 1e-6
    m = pairs_in_cells(mix, 4, L, seed=0)
    H = pmc.Hamiltonian(mix.band, units="si")
    cells = pmc.Cells([0.0] * 3, [L] * 3, [4, 1, 1])
    coll = pmc.collisions.BinaryMixture(mix)
    with pytest.raises(ValueError, match="mixture's band"):
        coll.prepare(pmc.Hamiltonian(pmc.bands.Parabolic(M_HE), units="si"), cells, m)
    with pytest.raises(ValueError, match="weights must equal"):
        coll.prepare(H, cells, pmc.Markers(m.positions, m.momenta, 1.0, state=m.state))
    with pytest.raises(ValueError, match="no species"):
        coll.prepare(H, cells, m.with_state(np.full(m.n, 2)))
    with pytest.raises(ValueError, match="species as state"):
        coll.prepare(H, cells, pmc.Markers(m.positions, m.momenta, 1e3))
    op = coll.prepare(H, cells, m)
    m.w[0] = 5.0
    with pytest.raises(ValueError, match="weights must equal"):
        op.collide(m, 1e-3, seed=1, step=0)


def mixture_simulation(mix, seed=1):
    L = 1e-5
    m = mix.sample(((0, L), (0, L), (0, L)), density={"He": 1e22, "N2": 1e22},
                   temperature={"He": 300 * K, "N2": 900 * K}, rotational_temperature=100 * K,
                   seed=seed)
    grid = pmc.PhaseSpaceGrid(x=np.array([0.25 * L, 0.75 * L]), p=np.linspace(-1e-22, 1e-22, 3))
    return pmc.Simulation(pmc.Hamiltonian(mix.band, units="si"), m, dt=2e-9,
                          boundary=pmc.Periodic([0, 0, 0], [L, L, L]),
                          collisions=[pmc.collisions.BinaryMixture(mix)],
                          cells=pmc.Cells([0, 0, 0], [L, L, L], [2, 2, 1]), grid=grid,
                          observables=list(pmc.collisions.mixture.SPECIES_OBSERVABLES), seed=seed)


def test_simulation_streams_species_and_resumes(tmp_path):
    """A mixture run: markers stream with their species' velocity p / m_s; per-species
    moments in the frames; a resumed run (internal energies in the checkpoint) equals an
    uninterrupted one."""
    mix = pmc.Mixture([he(1e3), n2(2e3)])
    sim = mixture_simulation(mix)
    x0 = sim.markers.positions.copy()
    v = sim.markers.momenta / mix.masses[sim.markers.state][:, None]
    sim._push(1e-9, 1, 0.0, 0)
    L = 1e-5
    np.testing.assert_allclose(sim.markers.positions, (x0 + v * 1e-9) % L, rtol=1e-12,
                               atol=1e-12 * L)
    out = tmp_path / "mix.nc"
    mixture_simulation(mix).run(8e-9, 4e-9, output=out, progress=False)
    ds = mixture_simulation(mix).run(1.6e-8, 4e-9, output=out, resume=True, progress=False)
    whole = mixture_simulation(mix).run(1.6e-8, 4e-9, progress=False)
    xr.testing.assert_equal(ds, whole)
    assert ds.species_density.dims == ("time", "species", "x")
    assert ds.species_velocity.dims == ("time", "species", "component", "x")
    t = ds.species_temperature.isel(time=0).mean("x").values / K
    assert abs(t[0] - 300) < 30 and abs(t[1] - 900) < 60
    rot = ds.rotational_temperature.isel(time=0).values
    assert np.all(np.isnan(rot[0])) and np.all(np.abs(rot[1] / K - 100) < 20)
    # a density per unit length along the binned axis x: times the bin width, the weight
    total = ds.energy + ds.internal_energy  # translation + rotation, conserved
    np.testing.assert_allclose(total, total[0], rtol=1e-12)
    assert float(ds.internal_energy[-1]) > float(ds.internal_energy[0])
    n = ds.species_density.isel(time=-1).sum("x").values * 0.5 * L
    assert n.tolist() == pytest.approx([1e22 * L ** 3, 1e22 * L ** 3], rel=1e-12)


CASE = """
[run]
dt = "2 ns"
t_end = "4 ns"
save_every = "2 ns"
seed = 3

[hamiltonian]
units = "si"

[[species]]
name = "N2"
mass = 4.652e-26
weight = 1e3
cross_section = { model = "VSS", diameter = 4.11e-10, omega = 0.74, t_ref = "273 K", alpha = 1.36 }
rotational_dof = 2
relaxation = { model = "Parker", z_inf = 18.1, t_star = "91.5 K" }
density = 2e22
temperature = "300 K"
rotational_temperature = "600 K"

[[species]]
name = "Ar"
mass = 6.634e-26
weight = 2e3
cross_section = { model = "VHS", diameter = 4.17e-10, omega = 0.81, t_ref = "273 K" }
density = 1e22
temperature = "300 K"

[mixture]
x = [[0.0, 1e-5], [0.0, 1e-5], [0.0, 1e-5]]

[boundary]
model = "Periodic"
lo = [0.0, 0.0, 0.0]
hi = [1e-5, 1e-5, 1e-5]

[cells]
lo = [0.0, 0.0, 0.0]
hi = [1e-5, 1e-5, 1e-5]
n = [4, 1, 1]

[[collisions]]
model = "BinaryMixture"
"""


def test_case_file(tmp_path):
    path = tmp_path / "mix.toml"
    path.write_text(CASE)
    sim, _ = pmc.config.build(pmc.config.load_case(path))
    op = sim.operators[0]
    mix = op.mixture
    assert mix.names == ("N2", "Ar")
    assert mix.species[0].relaxation == pmc.collisions.Parker(18.1, 91.5 * K)
    assert mix.species[0].cross_section.t_ref == pytest.approx(273 * K)
    assert np.bincount(sim.markers.state).tolist() == [20000, 5000]
    assert sim.markers.internal[sim.markers.state == 0].mean() == pytest.approx(600 * K,
                                                                                rel=0.05)


@pytest.mark.parametrize("edit, match", [
    (lambda c: c.replace('name = "Ar"', 'name = "N2"'), "distinct"),
    (lambda c: c.replace("mass = 6.634e-26", "mass = -1.0"), "mass"),
    (lambda c: c.replace("density = 1e22\n", ""), "density"),
    (lambda c: c.replace("weight = 2e3", "weight = 2e3\ncolour = 1"), "colour"),
    (lambda c: c.replace('[mixture]\nx = [[0.0, 1e-5], [0.0, 1e-5], [0.0, 1e-5]]', ''),
     r"\[mixture\] x"),
    (lambda c: c.replace('model = "BinaryMixture"', 'model = "BinaryMixture"\nmixture = 1'),
     "mixture"),
    (lambda c: c + '\n[dispersion]\nmodel = "Parabolic"\nmass = 1.0\n', r"leave out \[dispersion\]"),
    (lambda c: c.replace('model = "Parker", z_inf', 'model = "Landau", z_inf'), "Landau"),
])
def test_bad_case(tmp_path, edit, match):
    path = tmp_path / "mix.toml"
    path.write_text(edit(CASE))
    with pytest.raises(pmc.config.CaseError, match=match):
        pmc.config.build(pmc.config.load_case(path))


def test_species_observables_need_a_mixture():
    m = pmc.Markers(np.zeros((4, 3)), np.ones((4, 3)), 1.0)
    grid = pmc.PhaseSpaceGrid(x=np.array([0.25, 0.75]), p=np.linspace(-1, 1, 3))
    with pytest.raises(ValueError, match="per species of a gas mixture"):
        pmc.Simulation(pmc.Hamiltonian(pmc.bands.Parabolic(1.0)), m, dt=0.1, grid=grid,
                       observables=["species_density"])
