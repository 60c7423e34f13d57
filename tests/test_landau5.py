"""The fused PIC pass (kick, free drift with the walls, deposit in one pass over the markers) on
bounded 1-D meshes: bitwise the numbers of the three separate passes (kick, free-flight push,
deposit), for each shape and wall kind the free-flight push covers; walls that remove markers
keep the separate passes."""
import numpy as np
import pytest

import pmc
from pmc import threads


def _slab(n, shape, boundary, walls, mesh=33, seed=3):
    """Electrons (plasma units) in [0, L] over a fixed ion background, with a density ripple so
    that the field is not zero; ``walls`` the markers' boundary class."""
    L = 4 * np.pi
    mk = pmc.sample(pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, L)), n, seed=seed)
    mk = pmc.Markers(x=mk.x, p=mk.p, w=L / n * (1 + 0.05 * np.cos(0.5 * mk.x)))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), units="natural")
    field = pmc.fields.Poisson(0.0, L, mesh, boundary=boundary, charge=-1.0, background=1.0,
                               shape=shape)
    return pmc.Simulation(H, mk, dt=0.1, fields=[field], boundary=walls(0.0, L))


def _assert_fused_equals_apart(n, shape, boundary, walls, steps):
    """The same run fused and with the fusion switched off: bitwise the same markers and
    potential."""
    fused = _slab(n, shape, boundary, walls)
    apart = _slab(n, shape, boundary, walls)
    apart._fusable = lambda streamer: None
    for sim in (fused, apart):
        sim.step(steps)
    assert fused._fusable(fused._streamer) is not None
    np.testing.assert_array_equal(fused.markers.x, apart.markers.x)
    np.testing.assert_array_equal(fused.markers.p, apart.markers.p)
    np.testing.assert_array_equal(fused.field_operators[0].phi, apart.field_operators[0].phi)
    return fused


@pytest.mark.parametrize("shape", ["ngp", "cic", "tsc"])
@pytest.mark.parametrize("boundary", ["dirichlet", "neumann"])
def test_bounded_fused_pass_equals_the_three_passes(shape, boundary):
    fused = _assert_fused_equals_apart(6000, shape, boundary, pmc.Reflecting, 9)
    assert np.all((fused.markers.x >= 0.0) & (fused.markers.x < 4 * np.pi))


def test_bounded_fused_pass_is_independent_of_the_thread_count():
    runs = []
    for nthreads in (1, None):
        with threads.limited(numba_threads=nthreads or threads.available()):
            sim = _slab(120_000, "cic", "dirichlet", pmc.Reflecting)
            sim.step(5)
            runs.append((sim.markers.x.copy(), sim.markers.p.copy(),
                         sim.field_operators[0].phi.copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_periodic_markers_on_a_bounded_mesh_are_fused_too():
    """The walls of the push and the mesh's boundary are independent: periodic markers over a
    bounded (Neumann) mesh take the fused pass with the same numbers."""
    _assert_fused_equals_apart(4000, "tsc", "neumann", pmc.Periodic, 6)


def test_absorbing_walls_keep_the_separate_passes():
    """Absorbing walls remove markers (and tally them): not a free-flight push, not fused; the
    run still works and loses markers."""
    sim = _slab(3000, "cic", "dirichlet", pmc.Absorbing)
    sim.step(3)
    assert sim._fusable(sim._streamer) is None
    assert sim.markers.n < 3000
