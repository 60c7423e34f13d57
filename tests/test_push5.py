"""Issue 15, the push through run(): a frame's marker sums computed by the push's last pass
(bitwise those of a separate pass), the 512-bit vector setting (bitwise the same results), the
branch-free gridded table (the same values as the cubic per cell, the ends outside)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import pmc
from pmc._kernels import WIDE_VECTORS
from pmc.streaming import Streamer

LO, HI = -10.0, 10.0


def _hamiltonian(kind):
    barrier = pmc.potentials.GaussianBarrier(height=1.0, width=0.7, center=0.3)
    if kind == "gaussian":
        return pmc.Hamiltonian(pmc.bands.Parabolic(1.0), barrier, hbar=1.0)
    if kind == "gridded":
        xg = np.linspace(LO + 1.0, HI - 1.0, 301)  # the table ends inside the box
        return pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                               pmc.potentials.Gridded(xg, barrier.potential(xg)), hbar=1.0)
    if kind == "harmonic":  # static: k steps as one map
        return pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                               pmc.potentials.Harmonic(omega=0.2, center=0.5), hbar=1.0)
    if kind == "kane_gaussian":
        return pmc.Hamiltonian(pmc.bands.Kane(1.0, 0.5), barrier, hbar=1.0)
    if kind == "kane_modulated":
        return pmc.Hamiltonian(pmc.bands.Kane(1.0, 0.5), barrier * pmc.potentials.Sinusoidal(
            amplitude=0.3, angular_frequency=2.0), hbar=1.0)
    if kind == "two_terms":
        return pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                               barrier + pmc.potentials.UniformField(F=0.2), hbar=1.0)
    return pmc.Hamiltonian(pmc.bands.Parabolic(1.0),  # 2-D harmonic
                           pmc.potentials.Harmonic(omega=0.2, center=(0.5, -0.2)), hbar=1.0)


def _markers(kind, n, seed):
    rng = np.random.default_rng(seed)
    dx = 2 if kind == "harmonic_2d" else 1
    dp = 3 if kind == "kane_modulated" else dx
    x = rng.uniform(LO, HI, size=(n, dx))
    p = rng.standard_normal(size=(n, dp))
    w = rng.uniform(0.5, 1.5, size=n)
    return pmc.Markers(x, p, w)


@pytest.mark.parametrize("kind", ["gaussian", "gridded", "harmonic", "kane_modulated",
                                  "harmonic_2d"])
@pytest.mark.parametrize("n", [3001, 20011])  # one thread (SMALL_RUN) and several blocks
def test_run_frames_from_the_push_are_bitwise_a_separate_pass(kind, n):
    """run() records frames whose sums the push computed in its last pass; a run driven by
    step() and observe() computes them in a pass of their own: bitwise the same frames."""
    def sim():
        return pmc.Simulation(_hamiltonian(kind), _markers(kind, n, 5), dt=0.05,
                              boundary=pmc.Periodic([LO] * (2 if kind == "harmonic_2d" else 1),
                                                    [HI] * (2 if kind == "harmonic_2d" else 1)))
    a, b = sim(), sim()
    ran = a.run(30 * 0.05, 10 * 0.05, progress=False)
    frames = [b.observe()]
    for _ in range(3):
        b.step(10)
        frames.append(b.observe())
    by_hand = xr.concat(frames, dim="time")
    for name in ("total_weight", "energy", "momentum"):
        np.testing.assert_array_equal(ran[name].values, by_hand[name].values, err_msg=name)
    np.testing.assert_array_equal(a.markers.positions, b.markers.positions)
    # the push computed them: held for the frame, consumed by it
    a._step_to_frame(3)
    assert a._pushed_sums is not None and a._pushed_sums[0] == a.step_count
    sums = a._marker_sums()
    assert a._pushed_sums is None
    b.step(3)
    assert sums[:3] == b._marker_sums()[:3]
    np.testing.assert_array_equal(sums[3], b._marker_sums()[3])


def test_sums_only_where_the_push_can_compute_them():
    """An absorbing wall removes markers after the push: no sums from it (a clear error when
    asked), and run() still records the right frames (by a pass of their own)."""
    H = _hamiltonian("gaussian")
    mk = _markers("gaussian", 5000, 8)
    walls = pmc.Absorbing(LO, HI)
    st = Streamer(H, mk, boundary=walls)
    assert not st.frame_sums
    assert Streamer(H, mk, boundary=pmc.Periodic(LO, HI)).frame_sums
    with pytest.raises(ValueError, match="sums"):
        st(mk, 0.05, 2, sums=np.zeros((2, 6)))
    a = pmc.Simulation(H, mk, dt=0.05, boundary=walls)
    b = pmc.Simulation(H, _markers("gaussian", 5000, 8), dt=0.05, boundary=walls)
    ran = a.run(20 * 0.05, 10 * 0.05, progress=False)
    b.step(10)
    b.step(10)
    assert ran.energy.values[-1] == b.observe().energy.values[-1]


def test_gridded_table_branch_free_values():
    """The gridded potential and force (selects instead of branches): the cubic of each cell
    inside, the first cell's left value left of the table, the last cell's right value right
    of it, zero force outside; against numpy's evaluation of the same coefficients."""
    xg = np.linspace(-2.0, 3.0, 41)
    table = pmc.potentials.Gridded(xg, np.sin(xg) + 0.1 * xg ** 2)
    _, prm = table.encode()
    x0, inv_h, ncell = prm[0], prm[1], int(prm[2])
    c = prm[3:].reshape(ncell, 4)
    x = np.concatenate([np.linspace(-4.0, 5.0, 2001), xg, [np.nextafter(3.0, 4.0)]])
    s = (x - x0) * inv_h
    inside = (s >= 0) & (s < ncell)
    i = np.where(inside, s.astype(np.int64), 0)
    f = s - i
    cc = c[i]
    want_u = np.where(inside, cc[:, 0] + f * (cc[:, 1] + f * (cc[:, 2] + f * cc[:, 3])),
                      np.where(s < 0, c[0, 0], c[-1, 0] + c[-1, 1] + c[-1, 2] + c[-1, 3]))
    want_f = np.where(inside, -inv_h * (cc[:, 1] + f * (2.0 * cc[:, 2] + f * 3.0 * cc[:, 3])),
                      0.0)
    np.testing.assert_array_equal(table.potential(x), want_u)
    np.testing.assert_array_equal(table.force(x), want_f)


_WIDTH_SCRIPT = r"""
import json, sys
import numpy as np
import pmc
from numba import njit
from pmc._kernels import WIDE_VECTORS, models

@njit
def kicks(x, p, prm, h):
    for i in range(x.size):
        p[i] += h * models.term_force(models.GAUSSIAN, prm, 0, x[i], 0.0, 0.0)[0]
        x[i] += h * p[i]

x = np.linspace(-30.0, 30.0, 4099)
p = np.cos(x)
for _ in range(20):
    kicks(x, p, np.array([1.3, 0.7, 0.2]), 0.05)
print(json.dumps({"wide": WIDE_VECTORS, "x": x.tolist(), "p": p.tolist()}))
"""


@pytest.mark.skipif("+avx512f" not in __import__("numba.core.codegen", fromlist=["x"])
                    .get_host_cpu_features().split(","), reason="the host has no AVX-512")
def test_512_bit_vectors_give_bitwise_the_same_results(tmp_path):
    """Importing pmc lets numba vectorise 512 bits wide (unless NUMBA_CPU_NAME or
    NUMBA_CPU_FEATURES is set); a vectorised Gaussian kick loop gives bitwise the same numbers
    as at numba's default width (256 bits, set through NUMBA_CPU_FEATURES)."""
    from numba.core.codegen import get_host_cpu_features
    if "NUMBA_CPU_NAME" not in os.environ and "NUMBA_CPU_FEATURES" not in os.environ:
        assert WIDE_VECTORS
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_NAME",
                                                           "NUMBA_CPU_FEATURES")}
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    out = {}
    for width, extra in (("wide", {}), ("default", {"NUMBA_CPU_FEATURES":
                                                    get_host_cpu_features()})):
        run = subprocess.run([sys.executable, "-c", _WIDTH_SCRIPT], env={**env, **extra},
                             capture_output=True, text=True, check=True)
        out[width] = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["wide"]["wide"] and not out["default"]["wide"]
    assert out["wide"]["x"] == out["default"]["x"]
    assert out["wide"]["p"] == out["default"]["p"]
