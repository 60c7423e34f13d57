"""Wave-2 checks of the Wigner validation helpers: the reference's binning and the packet's
momenta on the lattice."""
import importlib.util
import pathlib

import numpy as np

import pmc

_spec = importlib.util.spec_from_file_location(
    "pmc_validation__wigner_cases_t",
    pathlib.Path(__file__).parents[1] / "validation" / "_wigner_cases.py")
wc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wc)


def test_bin_quantum_is_exact_for_linear_densities_on_misaligned_grids():
    # 0.0977 grid points per bin of 2: 20 or 21 points per bin (the old sum alternated by 2.4 %)
    x = np.linspace(-100.0, 300.0, 4096, endpoint=False)
    edges = np.arange(0.0, 201.0, 2.0)
    dens = np.stack([np.ones_like(x), 1.0 + 0.01 * x])
    out = wc.bin_quantum(x, dens, edges)
    centre = 0.5 * (edges[1:] + edges[:-1])
    np.testing.assert_allclose(out[0], 1.0, rtol=1e-12)
    # F is interpolated linearly between grid points: error <= dx^2 |n'| / 8 per edge, over
    # the bin width: 0.0977^2 * 0.01 / 8 * 2 / 2 ~ 1.2e-5
    np.testing.assert_allclose(out[1], 1.0 + 0.01 * centre, rtol=0, atol=2e-5)


def test_lattice_markers_have_the_packets_moments():
    hb, nm = pmc.units.hbar, pmc.units.nm
    psi0 = pmc.states.GaussianWavepacket(x0=68.5 * nm, p0=hb * 0.376991 / nm,
                                         sigma_x=7.0711 * nm, hbar=hb)
    dq = np.pi * hb / (50 * nm)
    n = 100_000
    m = wc.signed_markers(psi0, n, np.random.SeedSequence(3, spawn_key=(0,)), dq=dq)
    p = np.ravel(m.p)
    assert np.all(np.abs(p / dq - np.round(p / dq)) < 1e-9)
    sp = psi0.sigma_p
    assert abs(p.mean() - psi0.p0) < 4 * sp / np.sqrt(n)
    assert abs(p.std() / sp - 1.0) < 4 / np.sqrt(2 * n)
