"""Speed of the Schrödinger reference (``pmc.quantum``) as ratios against bare loops measured in
the same process.

Prints one JSON line per case (nothing is asserted; a last line says which targets are met):

``tdse_step``
    Split-operator steps per second of ``pmc.quantum.Simulation.step`` on 2^16 points (1D,
    parabolic band, Gaussian barrier, dt = 0.01, hbar = m = 1) against a bare split-step loop written
    directly with pyFFTW: FFTW_MEASURE plans on preallocated aligned arrays, the kinetic phase
    with the 1/N folded in, merged kicks, so per step exactly one complex multiply, one forward
    FFT, one multiply, one backward FFT (both the in-place and the out-of-place form are timed;
    the faster is the baseline). ``time_ratio`` = pmc's time per step / the bare loop's; target
    <= 1.2. Variants: ``static`` (the benchmark proper), ``absorber`` (pmc also tallies the
    absorbed probability per wall each step; the bare loop folds the same damping into its kick
    without a tally) and ``time_dependent`` (pmc recomputes the kick phase each step; the bare
    loop too, with numpy). All single-threaded.
``tdse_step_fallback``
    The same step without pyFFTW (scipy.fft) against bare numpy.fft and scipy.fft loops: what a
    user without FFTW gets.
``envelope``
    Throughput of ``pmc.quantum.envelope`` in grid points per second (docs/design.md §2: 8192
    solver points, a 321 x 161 grid, Gaussian window, one frame) against the direct quadrature
    rho(x0, p0) = |sum_x g(x - x0) exp(-i p0 x / hbar) psi(x) dx|^2 / 2 pi hbar evaluated by dense
    numpy matrix products (one product per momentum row); ``speedup`` = pmc's rate / baseline's.

Timings are the best of ``--repeat`` interleaved repetitions (pmc and baseline alternate, so a
load change on this shared machine hits both).

Usage::

    python benchmarks/bench_tdse.py            # 2^16 points, 200 steps x 7 repeats
    python benchmarks/bench_tdse.py --quick    # 2^14 points, 50 steps x 3 repeats
"""
import argparse
import json
import math
import time

import numpy as np
import scipy.fft

import pmc
from pmc import quantum as Q
from pmc.quantum import _fft

try:
    import pyfftw
except ImportError:  # pragma: no cover
    pyfftw = None

TARGET = 1.2
HBAR, MASS, DT = 1.0, 1.0, 0.01


def _setup(n):
    x = np.linspace(-200.0, 200.0, n, endpoint=False)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), pmc.potentials.GaussianBarrier(1.0, 2.0),
                        hbar=HBAR)
    psi0 = pmc.states.GaussianWavepacket(x0=-20.0, p0=1.5, sigma_x=2.0, hbar=HBAR)
    return x, H, psi0


def _phases(x, H, t=0.0, mask=None):
    n = x.size
    k = 2 * np.pi * np.fft.fftfreq(n, x[1] - x[0])
    drift = np.exp(-1j * (HBAR * k) ** 2 / (2 * MASS) * DT / HBAR) / n
    u = H.potential.potential(x, t)
    kick = np.exp(-1j * u * DT / HBAR)
    if mask is not None:
        kick = kick * mask
    return drift, kick, u


class BareFFTW:
    """The bare split-step loop: FFTW_MEASURE plans, preallocated aligned arrays."""

    def __init__(self, psi, drift, kick, inplace):
        n = psi.size
        self.a = pyfftw.empty_aligned(n, dtype=np.complex128)
        self.b = self.a if inplace else pyfftw.empty_aligned(n, dtype=np.complex128)
        flags = ("FFTW_MEASURE", "FFTW_DESTROY_INPUT")
        self.fwd = pyfftw.FFTW(self.a, self.b, direction="FFTW_FORWARD", flags=flags, threads=1)
        self.bwd = pyfftw.FFTW(self.b, self.a, direction="FFTW_BACKWARD", flags=flags,
                               threads=1, normalise_idft=False)
        self.a[:] = psi
        self.drift = pyfftw.empty_aligned(n, dtype=np.complex128)
        self.drift[:] = drift
        self.kick = pyfftw.empty_aligned(n, dtype=np.complex128)
        self.kick[:] = kick

    def steps(self, n):
        a, b, kick, drift = self.a, self.b, self.kick, self.drift
        fwd, bwd = self.fwd.execute, self.bwd.execute
        for _ in range(n):
            np.multiply(a, kick, out=a)
            fwd()
            np.multiply(b, drift, out=b)
            bwd()


class BareTimeDependentFFTW(BareFFTW):
    """The bare loop with the kick recomputed each step from U(x, t) = g(t) U(x) (numpy)."""

    def __init__(self, psi, drift, u_static, inplace):
        super().__init__(psi, drift, np.ones_like(psi), inplace)
        self.u = u_static
        self.phase = np.empty_like(u_static)
        self.t = 0.0

    def steps(self, n):
        a, b, kick, drift = self.a, self.b, self.kick, self.drift
        fwd, bwd = self.fwd.execute, self.bwd.execute
        for _ in range(n):
            self.t += DT
            g = 1.0 + 0.5 * math.sin(0.3 * self.t)
            np.multiply(self.u, -g * DT / HBAR, out=self.phase)
            np.exp(1j * self.phase, out=kick)
            np.multiply(a, kick, out=a)
            fwd()
            np.multiply(b, drift, out=b)
            bwd()


class BareNumpy:
    """A bare loop over numpy.fft or scipy.fft (allocating transforms: their only API)."""

    def __init__(self, psi, drift, kick, module):
        self.a = psi.copy()
        self.drift, self.kick, self.m = drift, kick, module

    def steps(self, n):
        a = self.a
        for _ in range(n):
            a *= self.kick
            a = self.m.ifft(self.m.fft(a) * self.drift, norm="forward")
        self.a = a


def _best(fns, steps, repeat):
    """Interleaved timing: best seconds per step of each callable."""
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f(steps)
            best[i] = min(best[i], (time.perf_counter() - t0) / steps)
    return best


def bench_steps(n, steps, repeat):
    x, H, psi0 = _setup(n)
    psi = psi0.psi(x).astype(np.complex128)
    drift, kick, u = _phases(x, H)
    lines = []
    if pyfftw is not None:
        variants = {
            "static": (H, None),
            "absorber": (H, Q.Absorber(width=40.0, strength=1.0)),
            "time_dependent": (pmc.Hamiltonian(
                H.dispersion, H.potential * pmc.potentials.Sinusoidal(0.5, 0.3), hbar=HBAR),
                None),
        }
        for name, (h, absorber) in variants.items():
            solver = Q.Simulation(h, psi0, grid=x, dt=DT, absorber=absorber, planner="measure")
            solver.step(5)
            mask = None if absorber is None else solver._mask_full
            if name == "time_dependent":
                bare = [BareTimeDependentFFTW(psi, drift, u, inplace) for inplace in (True, False)]
            else:
                k = kick if mask is None else kick * mask
                bare = [BareFFTW(psi, drift, k, inplace) for inplace in (True, False)]
            for b in bare:
                b.steps(5)
            t_pmc, t_in, t_out = _best([solver.step, bare[0].steps, bare[1].steps], steps, repeat)
            t_bare = min(t_in, t_out)
            lines.append({"benchmark": "tdse_step", "variant": name, "n_points": n,
                          "steps": steps, "repeat": repeat,
                          "pmc_steps_per_s": round(1 / t_pmc, 1),
                          "bare_fftw_inplace_steps_per_s": round(1 / t_in, 1),
                          "bare_fftw_outofplace_steps_per_s": round(1 / t_out, 1),
                          "time_ratio": round(t_pmc / t_bare, 3), "target": TARGET,
                          "met": t_pmc / t_bare <= TARGET, "fft_backend": solver.backend})
    solver = Q.Simulation(H, psi0, grid=x, dt=DT, use_pyfftw=False)
    solver.step(5)
    bn = BareNumpy(psi, drift, kick, np.fft)
    bs = BareNumpy(psi, drift, kick, scipy.fft)
    t_pmc, t_np, t_sp = _best([solver.step, bn.steps, bs.steps], steps, repeat)
    line = {"benchmark": "tdse_step_fallback", "variant": "static", "n_points": n,
            "steps": steps, "repeat": repeat, "pmc_scipy_steps_per_s": round(1 / t_pmc, 1),
            "bare_numpy_fft_steps_per_s": round(1 / t_np, 1),
            "bare_scipy_fft_steps_per_s": round(1 / t_sp, 1),
            "time_ratio_vs_scipy": round(t_pmc / t_sp, 3)}
    if lines:
        fftw_rate = lines[0]["bare_fftw_inplace_steps_per_s"]
        line["bare_fftw_over_scipy"] = round(fftw_rate * t_sp, 2)
        line["bare_fftw_over_numpy"] = round(fftw_rate * t_np, 2)
    lines.append(line)
    return lines


def bench_envelope(repeat, n=8192, nx=321, npp=161):
    x = np.linspace(-80.0, 80.0, n, endpoint=False)
    psi0 = pmc.states.GaussianWavepacket(x0=-20.0, p0=1.5, sigma_x=2.0, hbar=HBAR)
    psi = psi0.psi(x)
    q = {"psi_real": ("x", psi.real), "psi_imag": ("x", psi.imag)}
    import xarray as xr
    q = xr.Dataset(q, coords={"x": x}, attrs={"hbar": HBAR})
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-40, 40, nx), p=np.linspace(-4, 4, npp))
    window = Q.GaussianWindow(sigma_x=1.0)
    dx = x[1] - x[0]
    G = window.g(x[None, :] - grid.x[:, None])  # (nx, n)

    def baseline():
        out = np.empty((nx, npp))
        for b, p0 in enumerate(grid.p):  # one dense product per momentum row
            out[:, b] = np.abs(G @ (np.exp(-1j * p0 * x / HBAR) * psi)) ** 2
        return out * dx * dx / (2 * math.pi * HBAR)

    ref = baseline()
    got = Q.envelope(q, grid, window, warn=False).rho[0].values
    err = float(np.abs(got - ref).max() / ref.max())
    t_pmc, t_base = _best([lambda _: Q.envelope(q, grid, window, warn=False),
                           lambda _: baseline()], 1, repeat)
    pts = nx * npp
    return {"benchmark": "envelope", "solver_points": n, "grid": [nx, npp],
            "window": "GaussianWindow(sigma_x=1)", "repeat": repeat,
            "pmc_grid_points_per_s": round(pts / t_pmc, 0),
            "dense_quadrature_grid_points_per_s": round(pts / t_base, 0),
            "speedup": round(t_base / t_pmc, 2), "max_relative_difference": err,
            "fft_backend": _fft.backend_name()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None, help="grid points (default 2^16)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.n or (2 ** 14 if args.quick else 2 ** 16)
    steps = args.steps or (50 if args.quick else 200)
    repeat = args.repeat or (3 if args.quick else 7)
    lines = bench_steps(n, steps, repeat)
    lines.append(bench_envelope(repeat))
    for line in lines:
        print(json.dumps(line), flush=True)
    static = [ln for ln in lines if ln.get("variant") == "static" and "met" in ln]
    print(json.dumps({"summary": "targets", "tdse_step_within_1.2x_of_bare_fftw":
                      bool(static and static[0]["met"])}))


if __name__ == "__main__":
    main()
