"""Issue 15 item 2, the cost of a frame: the marker sums (evaluate.marker_sums and the push's
frame sums) made with the first pairwise level in the loop that makes the summands and the
parabolic energy by a corrected reciprocal are bitwise the pairwise sums of the summands
computed one by one; run() builds its Dataset once from the frames' records, identical to
concatenating the frames that step() and observe() give."""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc._kernels import BLOCK, evaluate
from pmc._kernels import threads
from pmc._run import frame_record, stack_frames
from test_frames import _by_hand, _sim

SUB = evaluate._SUB


def _pairwise(s):
    """The sum of ``s`` (<= SUB values) padded with zeros to SUB, halves added elementwise."""
    q = np.zeros(SUB)
    q[:s.size] = s
    h = SUB // 2
    while h:
        q[:h] = q[:h] + q[h:2 * h]
        h //= 2
    return q[0]


def _reference_rows(H, x, p, w, t):
    """marker_sums' rows from the summands computed marker by marker (energy_array and
    potential_array: bitwise models.energy and models.potential), each sub-block summed by
    :func:`_pairwise` and the sub-block sums added in order."""
    dk, dprm, terms, pprm = H.kernel_arguments()
    n = w.size
    eps = evaluate.energy_array(dk, dprm, np.empty(0, np.int64), p, np.empty(n))
    u = evaluate.potential_array(terms, pprm, x, t, np.empty(n))
    e = eps + u
    with np.errstate(invalid="ignore"):
        bad = (~(np.isfinite(x).all(axis=0) & np.isfinite(p).all(axis=0)
                 & np.isfinite(w))).astype(float)
        rows = [bad, w, w * e] + [w * p[a] for a in range(p.shape[0])]
    out = np.zeros(((n + BLOCK - 1) // BLOCK, 6))
    for b in range(out.shape[0]):
        for k, r in enumerate(rows):
            acc = 0.0
            for a0 in range(b * BLOCK, min(n, (b + 1) * BLOCK), SUB):
                acc += _pairwise(r[a0:min(a0 + SUB, (b + 1) * BLOCK, n)])
            out[b, k] = acc
    return out


def _hamiltonian(band):
    barrier = pmc.potentials.GaussianBarrier(height=1.0, width=0.7, center=0.3)
    if band == "kane":
        return pmc.Hamiltonian(pmc.bands.Kane(0.9, 0.5), barrier, hbar=1.0)
    if band == "si":  # SI magnitudes: p ~ 1e-25, 2m ~ 5e-31
        return pmc.Hamiltonian(pmc.bands.Parabolic(0.26 * pmc.units.m_e),
                               pmc.potentials.Harmonic(omega=1e13, mass=0.26 * pmc.units.m_e),
                               units="si")
    if band == "linear":  # a band the sums take through block_energy
        return pmc.Hamiltonian(pmc.bands.Linear(0.8), barrier, hbar=1.0)
    return pmc.Hamiltonian(pmc.bands.Parabolic(1.3),
                           pmc.potentials.Harmonic(omega=0.4, center=0.2), hbar=1.0)


@pytest.mark.parametrize("band", ["parabolic", "kane", "si", "linear"])
@pytest.mark.parametrize("dx,dp", [(1, 1), (1, 3), (2, 2), (3, 3), (1, 2)])
def test_marker_sums_bitwise_the_pairwise_sums(band, dx, dp):
    """Odd sub-block sizes m < SUB, n not a multiple of BLOCK, every layout (fused or through
    block_energy), momenta whose p^2 underflows or overflows (the energy by the division
    there), signed zeros, and non-finite markers (counted): bitwise the reference rows."""
    H = _hamiltonian(band)
    if band != "parabolic" and band != "si" and dx > 1:
        H = pmc.Hamiltonian(H.dispersion, pmc.potentials.Harmonic(omega=0.4), hbar=1.0)
    scale = 1e-25 if band == "si" else 1.0
    rng = np.random.default_rng(dx * 10 + dp)
    for n in (1, 7, SUB - 1, SUB + 1, SUB // 2, BLOCK + 300, 2 * BLOCK):
        x = rng.uniform(-2.0, 2.0, size=(dx, n))
        p = rng.standard_normal(size=(dp, n)) * scale
        w = rng.uniform(0.5, 1.5, size=n)
        if n > 20:
            p[:, 3] = 1e-170 * scale  # p^2 subnormal or 0
            p[0, 5] = 1e160           # p^2 inf
            p[:, 9] = -0.0
            w[11] = -0.0
        for nonfinite in (False, True):
            if nonfinite and n > 20:
                x[0, n - 2] = np.inf
                w[n // 3] = np.nan
            out = np.zeros(((n + BLOCK - 1) // BLOCK, 6))
            evaluate.marker_sums(*H.kernel_arguments(), x, p, w, np.empty(0, np.int64), n,
                                 0.25, out)
            ref = _reference_rows(H, x, p, w, 0.25)
            assert np.array_equal(out, ref, equal_nan=True), (n, nonfinite)
            finite = np.isfinite(ref)
            assert np.array_equal(out[finite].view(np.int64), ref[finite].view(np.int64))


def test_quotient_bitwise_the_division():
    """evaluate._quotient (a * (1/b) corrected twice) is bitwise a / b wherever
    _quotient_range admits a, over magnitudes from the SI range to natural units and
    significands near 1 and 2 (the hard cases of division)."""
    rng = np.random.default_rng(7)
    bs = [2.0, 2.6, np.nextafter(2.0, 0.0), 1.5, 0.7, 2 * 0.26 * pmc.units.m_e, 3e-300, 1e290,
          *np.exp(rng.uniform(-600.0, 600.0, 8))]
    for b in bs:
        lo, hi = evaluate._quotient_range(b)
        y = 1.0 / b
        a = np.concatenate([
            rng.random(400) * 10.0 ** rng.integers(-300, 300, 400),
            (2.0 - rng.integers(1, 2 ** 20, 200) * 2.0 ** -52) * 2.0 ** rng.integers(-900, 900, 200),
            (1.0 + rng.integers(0, 2 ** 20, 200) * 2.0 ** -52) * 2.0 ** rng.integers(-900, 900, 200),
            [0.0, lo, hi]])
        a = a[(a == 0.0) | ((a >= lo) & (a <= hi))]
        q = np.array([evaluate._quotient(v, b, y) for v in a])
        assert np.array_equal(q.view(np.int64), (a / b).view(np.int64)), b
    lo, hi = evaluate._quotient_range(1e-310)  # 1/b not normal: nothing admitted, 0 neither
    assert hi < 0.0 < lo


@pytest.mark.parametrize("kind", ["gaussian", "kane_gaussian", "two_terms", "harmonic_2d"])
@pytest.mark.parametrize("n", [1, SUB - 3, BLOCK + 129])  # a partial sub-block, several blocks
def test_run_frames_bitwise_step_and_observe(kind, n):
    """run()'s Dataset (one construction from the frames' records, the sums from the push) is
    identical to xr.concat of the frames of step() and observe(), on one and two threads: the
    same values, dtypes, attributes, and the same order of variables and coordinates."""
    ran = []
    for k in (1, 2):
        old = threads.swap(k)
        try:
            ran.append(_sim(kind, n).run(7 * 0.05 * 3, 7 * 0.05, progress=False))
        finally:
            threads.swap(old)
    hand = _by_hand(_sim(kind, n), 3, 7)
    for ds in ran:
        xr.testing.assert_identical(ds.drop_attrs(), hand.drop_attrs())
        assert list(ds.data_vars) == list(hand.data_vars)
        assert list(ds.coords) == list(hand.coords)
        for name, v in hand.variables.items():
            assert ds[name].dtype == v.dtype, name


def test_stack_frames_is_concat():
    """stack_frames of grid-observable frames (f, density, ... on a PhaseSpaceGrid) and of
    Datasets equals xr.concat; frames over other dimension coordinates go through xr.concat
    (which refuses them, as before)."""
    rng = np.random.default_rng(3)
    n = 2000
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-2, 2, 17), p=np.linspace(-3, 3, 13))
    sim = pmc.Simulation(pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                                         pmc.potentials.Harmonic(omega=0.5), hbar=1.0),
                         pmc.Markers(rng.uniform(-2, 2, n), rng.standard_normal(n),
                                     np.ones(n)),
                         dt=0.05, grid=grid, boundary=pmc.Periodic(-2.0, 2.0),
                         observables=("f", "density", "current", "energy_density"))
    frames = [sim.observe()]
    records = [sim._observe_record()]
    for _ in range(3):
        sim.step(2)
        frames.append(sim.observe())
        records.append(sim._observe_record())
    concat = xr.concat(frames, dim="time", data_vars="all", coords="minimal",
                       compat="override", join="exact")
    for got in (stack_frames(records), stack_frames(frames), stack_frames(records[:1])):
        want = concat.isel(time=slice(0, got.sizes["time"]))
        xr.testing.assert_identical(got, want)
        assert list(got.data_vars) == list(want.data_vars)
    other = frame_record(9.0, {"density": (("x",), np.zeros(3), {})},
                         {"x": xr.Variable(("x",), [0.0, 1.0, 3.0])})
    first = frame_record(8.0, {"density": (("x",), np.zeros(3), {})},
                         {"x": xr.Variable(("x",), [0.0, 1.0, 2.0])})
    with pytest.raises(ValueError):
        stack_frames([first, other])


def test_a_fresh_process_pushes_in_parallel_from_the_disk_cache():
    """A push of more than SERIAL_WORK marker-steps as the first parallel call of a process,
    its kernels loaded from numba's disk cache (the second process): no crash (push.kernels
    starts the thread pool; numba/numba#8578)."""
    import subprocess
    import sys
    code = ("import numpy as np, pmc\n"
            "rng = np.random.default_rng(1)\n"
            "n = 20000\n"
            "H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0), pmc.potentials.GaussianBarrier("
            "height=1.0, width=2.0), hbar=1.0)\n"
            "m = pmc.Markers(rng.uniform(-19, 19, n), rng.standard_normal(n), np.ones(n))\n"
            "pmc.Simulation(H, m, dt=0.02, boundary=pmc.Reflecting(-20.0, 20.0)).step(2)\n")
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
