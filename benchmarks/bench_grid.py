"""Speed of the grid solver (``pmc.gridsolver.Simulation``) against a plain numpy/scipy
implementation of the same step, as a ratio measured in the same process.

Prints one JSON line per (case, threads): grid steps per second and node updates per second of
pmc and of numpy, their ratio, the 2-thread speed-up, and the largest difference between the two
solutions after the timed steps (they compute the same numbers up to the summation order). A last
line summarises (nothing is asserted).

The step (1D1V, m = 1, hbar = 1, dt = 0.02, U = 0.5 cos(2 pi x / 10) on the periodic box
[-5, 5), p in [-8, 8), f0 a drifting Maxwellian with a cosine density profile) is leapfrog,
kick(dt/2) . drift(dt) . kick(dt/2), each a semi-Lagrangian shift with degree-5 Lagrange
interpolation (6-node centred stencils, periodic in x, zero beyond the momentum range). Cases:

* ``free``: streaming only;
* ``collisions``: Strang splitting stream(dt/2) . collide(dt) . stream(dt/2) with a golden-rule
  rate matrix on the momentum nodes (Gaussian width 0.5, |V|^2 = 0.0625 hp), applied as
  f <- f expm(Q dt) with the dense propagator computed once (both implementations use the same
  BLAS product: the ratio measures the streaming part).

The numpy version is what one writes without numba: per sub-step, the shift and weights of every
line, six gathers with fancy indexing (``np.take_along_axis``) and a weighted sum, all
vectorised over the grid, with preallocated buffers.

Usage::

    python benchmarks/bench_grid.py            # 1024 x 1024, 10 steps
    python benchmarks/bench_grid.py --quick    # 256 x 256
    python benchmarks/bench_grid.py --nx 512 --np 512 --steps 20 --repeat 5
"""
import argparse
import json
import math
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import pmc  # noqa: E402
from pmc import gridsolver  # noqa: E402

L, PMAX, DT, AMPLITUDE = 10.0, 8.0, 0.02, 0.5
ORDER = 5
CASES = ("free", "collisions")


def setup(nx, npp, case):
    x = -L / 2 + (np.arange(nx) + 0.5) * L / nx
    p = -PMAX + (np.arange(npp) + 0.5) * 2 * PMAX / npp
    grid = pmc.PhaseSpaceGrid(x=x, p=p)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.Periodic(amplitude=AMPLITUDE, period=L))
    X, P = np.meshgrid(x, p, indexing="ij")
    f0 = (1 + 0.5 * np.cos(2 * np.pi * X / L)) * np.exp(-(P - 0.5) ** 2 / 2) / math.sqrt(2 * np.pi)
    collisions = []
    if case == "collisions":
        hp = grid.spacing["p"]
        collisions = [pmc.collisions.RateMatrix.from_golden_rule(
            p ** 2 / 2, 0.25 * math.sqrt(hp), width=0.5, shape="gaussian", momentum_grid=p)]
    return grid, H, f0, collisions


class NumpyStep:
    """The same step in plain numpy/scipy."""

    def __init__(self, grid, H, f0, collisions):
        self.x, self.p = grid.x, grid.p
        self.hx, self.hp = grid.spacing["x"], grid.spacing["p"]
        self.H = H
        self.f = f0.copy()
        self.v = self.p.copy()  # parabolic, m = 1
        self.prop = None
        if collisions:
            q = collisions[0].matrix.toarray()
            prop = scipy.linalg.expm(q * DT)
            np.maximum(prop, 0.0, out=prop)
            self.prop = prop / prop.sum(axis=1, keepdims=True)
        self.t = 0.0
        S = ORDER + 1
        self.offsets = np.arange(S) - (S // 2 - 1)
        nx, npp = self.f.shape
        self.pad = np.zeros((nx, npp + 2 * S + 2))  # zero ghosts along p

    @staticmethod
    def weights(a):
        """Lagrange weights (k, S) at a + S/2 - 1 for fractional shifts a (k,)."""
        S = ORDER + 1
        pos = a[:, None] + S // 2 - 1
        w = np.ones((a.size, S))
        for m in range(S):
            for k in range(S):
                if k != m:
                    w[:, m] *= (pos[:, 0] - k) / (m - k)
        return w

    def drift(self, h):
        nx = self.f.shape[0]
        t = -self.v * h / self.hx
        K = np.floor(t)
        w = self.weights(t - K)
        out = np.zeros_like(self.f)
        i = np.arange(nx)[:, None]
        for m, off in enumerate(self.offsets):
            idx = (i + K[None, :].astype(np.int64) + off) % nx
            out += w[None, :, m] * np.take_along_axis(self.f, idx, axis=0)
        self.f = out

    def kick(self, h, t):
        nx, npp = self.f.shape
        S = ORDER + 1
        F = self.H.force(self.x, t)
        tt = -F * h / self.hp
        K = np.floor(tt)
        w = self.weights(tt - K)
        g = S + 1  # ghost width of the padded array
        self.pad[:, g:g + npp] = self.f
        j = np.arange(npp)[None, :]
        out = np.zeros_like(self.f)
        for m, off in enumerate(self.offsets):
            idx = np.clip(j + K[:, None].astype(np.int64) + off + g, 0, npp + 2 * g - 1)
            out += w[:, m][:, None] * np.take_along_axis(self.pad, idx, axis=1)
        self.f = out

    def stream(self, h, t):
        self.kick(0.5 * h, t)
        self.drift(h)
        self.kick(0.5 * h, t + h)

    def run(self, steps):
        for _ in range(steps):
            if self.prop is None:
                self.stream(DT, self.t)
            else:
                self.stream(0.5 * DT, self.t)
                self.f = self.f @ self.prop
                self.stream(0.5 * DT, self.t + 0.5 * DT)
            self.t += DT


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_case(case, nx, npp, steps, repeat, threads):
    grid, H, f0, collisions = setup(nx, npp, case)
    lines, rates = [], {}
    for k in threads:
        numba.set_num_threads(k)
        with threadpool_limits(limits=k, user_api="blas"):
            solver = gridsolver.Simulation(H, f0, grid=grid, dt=DT,
                                           boundary=pmc.Periodic(-L / 2, L / 2),
                                           collisions=collisions)
            solver.step(1)  # compile, precompute the propagator
            solver.f[...] = f0
            solver.step_count = 0
            t_pmc = best(lambda: solver.step(steps), repeat)
            ref = NumpyStep(grid, H, f0, collisions)
            ref.run(1)
            t_np = best(lambda: ref.run(steps), max(1, min(repeat, 2)))
        rates[k] = steps / t_pmc
        # agreement: the same number of steps from the same start
        check = gridsolver.Simulation(H, f0, grid=grid, dt=DT,
                                      boundary=pmc.Periodic(-L / 2, L / 2),
                                      collisions=collisions).step(3)
        again = NumpyStep(grid, H, f0, collisions)
        again.run(3)
        diff = float(np.abs(check.f - again.f).max() / np.abs(f0).max())
        lines.append({"case": case, "threads": k, "nx": nx, "np": npp, "steps": steps,
                      "steps_per_s_pmc": steps / t_pmc, "steps_per_s_numpy": steps / t_np,
                      "node_updates_per_s_pmc": nx * npp * steps / t_pmc,
                      "ratio_vs_numpy": t_np / t_pmc,
                      "max_rel_diff_vs_numpy": diff})
    top = max(threads)
    for line in lines:
        line[f"speedup_{top}_threads_pmc"] = rates[top] / rates[1] if top > 1 else None
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="256 x 256")
    ap.add_argument("--nx", type=int, default=None, help="x nodes (default 1024)")
    ap.add_argument("--np", type=int, default=None, help="p nodes (default 1024)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed run (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs, the best is kept")
    ap.add_argument("--case", action="append", choices=CASES, help="only this case")
    args = ap.parse_args(argv)
    size = 256 if args.quick else 1024
    nx, npp = args.nx or size, args.np or size
    if min(nx, npp) < ORDER + 2 or args.steps < 1 or args.repeat < 1:
        ap.error(f"--nx and --np must be >= {ORDER + 2}; --steps, --repeat >= 1")
    threads = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]
    old = numba.get_num_threads()
    lines = []
    try:
        for case in args.case or CASES:
            for line in run_case(case, nx, npp, args.steps, args.repeat, threads):
                print(json.dumps(line), flush=True)
                lines.append(line)
    finally:
        numba.set_num_threads(old)
    ratios = {f"{x['case']}/{x['threads']}": round(x["ratio_vs_numpy"], 2) for x in lines}
    print(json.dumps({"case": "summary", "nx": nx, "np": npp, "ratio_vs_numpy": ratios,
                      "agree": all(x["max_rel_diff_vs_numpy"] < 1e-12 for x in lines)}),
          flush=True)


if __name__ == "__main__":
    main()
