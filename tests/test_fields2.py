"""The fused PIC pass (kick, free drift, deposit in one pass over the markers on a 1-D periodic
mesh) and composed pushes with injecting contacts (their own random-key family)."""
import numpy as np
import pytest

import pmc
from pmc import threads
from pmc._kernels import rng as _rng
from pmc.averages import batch_means
from pmc.devices import DopedEquilibrium, Doping

Z = 4.0  # standard errors allowed


def _landau(n, shape, mesh=64, seed=1):
    k, L = 0.5, 4 * np.pi
    mk = pmc.sample(pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, L)), n, seed=seed)
    mk = pmc.Markers(x=mk.x, p=mk.p, w=L / n * (1 + 0.01 * np.cos(k * mk.x)))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), units="natural")
    field = pmc.fields.Poisson(0.0, L, mesh, charge=-1.0, background=1.0, shape=shape)
    return pmc.Simulation(H, mk, dt=0.1, fields=[field], boundary=pmc.Periodic(0.0, L))


@pytest.mark.parametrize("shape", ["ngp", "cic", "tsc"])
@pytest.mark.parametrize("n", [3000, 150_000])
def test_fused_pass_equals_the_three_passes(shape, n):
    """kick . drift . deposit fused: bitwise the numbers of kick, free-flight push, deposit."""
    fused, apart = _landau(n, shape), _landau(n, shape)
    apart._fusable = lambda streamer: None
    for sim in (fused, apart):
        sim.step(7)
        sim.step(4)
    assert fused._fusable(fused._streamer) is not None
    np.testing.assert_array_equal(fused.markers.x, apart.markers.x)
    np.testing.assert_array_equal(fused.markers.p, apart.markers.p)
    np.testing.assert_array_equal(fused.field_operators[0].phi, apart.field_operators[0].phi)


def test_fused_pass_is_independent_of_the_thread_count():
    runs = []
    for nthreads in (1, None):
        with threads.limited(numba_threads=nthreads or threads.available()):
            sim = _landau(150_000, "cic")
            sim.step(6)
            runs.append((sim.markers.x.copy(), sim.markers.p.copy(),
                         sim.field_operators[0].phi.copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_not_fused_when_the_push_is_not_free_flight():
    """A potential (here a prescribed one beside the mesh field) keeps the three passes."""
    sim = _landau(2000, "cic")
    sim = pmc.Simulation(sim.hamiltonian, sim.markers, dt=0.1, boundary=sim.boundary,
                         fields=[*sim.fields, pmc.fields.Prescribed(
                             pmc.potentials.Harmonic(omega=1e-2, center=2 * np.pi), name="trap")])
    sim.step(2)
    assert sim._fusable(sim._streamer) is None


def _contact_box(rule="flux"):
    H = pmc.Hamiltonian(pmc.bands.Kane(mass=1.0, alpha=0.2), hbar=1.0)
    res = pmc.Reservoir(density=100.0, temperature=1.0, weight=0.5, rule=rule,
                        cell=0.5 if rule == "neutral" else None)
    box = pmc.Injecting(0.0, 4.0, left=res, right=res, charge=-1.0)
    mk = pmc.sample(DopedEquilibrium(Doping.uniform(0.0, 4.0, 100.0), H.dispersion, 1.0), 800,
                    seed=1)
    return H, box, mk


def test_composed_pushes_with_contacts_keep_the_equilibrium():
    """Contacts with collisions, the pushes between collisions composed (one push of dt,
    contact streams keyed from rng.COMPOSED_PUSH): the reservoirs inject the same flux as with
    two half pushes (within the counting statistics) and the box stays at the reservoirs'
    density."""
    H, box, mk = _contact_box()
    coll = [pmc.collisions.ElasticIsotropic(rate=2.0)]
    cells = pmc.Cells((0.0,), (4.0,), (4,))
    injected, steps = [], 1500
    for composed in (True, False):
        sim = pmc.Simulation(H, mk, dt=0.05, boundary=box, collisions=coll, cells=cells, seed=4)
        sim._compose_pushes = composed  # on by default
        totals = []
        for _ in range(30):
            sim.step(steps // 30)
            totals.append(sim.markers.w.sum())
        injected.append(sim._injected.copy())
        mean, err = batch_means(np.array(totals[5:]), 5)
        assert abs(mean / 4.0 - 100.0) < Z * err / 4.0 + 1e-9, (composed, mean / 4.0, err / 4.0)
    a, b = injected
    var = 0.5 * (a + b)  # weight 0.5 per marker, Poisson counts: var(weight) = 0.5 * weight
    assert np.all(np.abs(a - b) < Z * np.sqrt(var)), (a, b)


def test_composed_push_keys_are_their_own_family():
    key = _rng.seed_to_int(4)
    composed = int(_rng.stream_key(key, _rng.COMPOSED_PUSH, 0))
    half = {int(_rng.stream_key(key, s, _rng.INJECTION + side)) for s in range(200)
            for side in (0, 1)}
    comp = {int(_rng.stream_key(composed, s, _rng.INJECTION + side)) for s in range(200)
            for side in (0, 1)}
    assert not half & comp
    assert _rng.STREAMS["composed_push"] == _rng.COMPOSED_PUSH


def test_diode_like_run_composes_with_a_kicking_field():
    """Poisson (a kicking, self-consistent field) with contacts and collisions composes
    pushes by default; the run is reproducible from its seed."""
    H, box, mk = _contact_box(rule="neutral")
    field = pmc.fields.Poisson(0.0, 4.0, 33, boundary="dirichlet", charge=-1.0,
                               permittivity=1.0, background=100.0, voltages=(0.0, 0.5))
    runs = []
    for _ in range(2):
        sim = pmc.Simulation(H, mk, dt=0.05, boundary=box, fields=[field],
                             collisions=[pmc.collisions.ElasticIsotropic(rate=2.0)],
                             cells=pmc.Cells((0.0,), (4.0,), (4,)), seed=5)
        assert sim._compose_pushes  # on by default with contacts
        sim.step(20)
        runs.append(sim.markers.x.copy())
    np.testing.assert_array_equal(*runs)
