"""Cost of signed-particle Wigner transport (pmc.collisions.WignerPotential).

1. One step of 1e6 markers on a 512 x 512 Wigner lattice (512 table cells in x, 512 lattice
   momenta; nano-archimedes' GaAs barrier): the push, the pair generation and the
   annihilation timed separately, and the marker-count history over the steps.
2. nano-archimedes' example (validation case 70's physics): pmc's marker-steps per second per
   thread, to be set beside nano-archimedes' particle-steps per second (its own timing, built
   with ``gcc nano-archimedes.c -lm -Ofast`` and run on the same machine: pass its wall time
   and particle count with --nano-seconds and --nano-particle-steps; or run
   benchmarks/bench_wigner_nano.py, which builds and times it beside pmc).

Timings on a shared machine are unreliable: the script prints the load (os.getloadavg) with
them. ::

    python benchmarks/bench_wigner.py [--markers 1000000] [--steps 20] [--threads 1]
"""
import argparse
import os
import time

import numba
import numpy as np

import pmc

nm, fs, eV = pmc.units.nm, pmc.units.fs, pmc.units.eV


def barrier():
    return (pmc.potentials.Step(height=0.3 * eV, width=0.005 * nm, center=97 * nm)
            + pmc.potentials.Step(height=-0.3 * eV, width=0.005 * nm, center=103 * nm))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markers", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=numba.config.NUMBA_NUM_THREADS)
    ap.add_argument("--nano-seconds", type=float, default=None)
    ap.add_argument("--nano-particle-steps", type=float, default=None)
    a = ap.parse_args()
    numba.set_num_threads(a.threads)
    hb = pmc.units.hbar
    m = 0.067 * pmc.units.m_e
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Zero(), hbar=hb)
    L = 200 * nm
    # 512 lattice momenta: dq = pi hbar / L, q_max = 512 dq; 512 table cells: resolution 1
    dq = np.pi * hb / L
    wp = pmc.collisions.WignerPotential(barrier(), 0.0, L, q_max=512 * dq * (1 + 1e-9),
                                        resolution=1, budget=a.markers + a.markers // 100, keep=0.97,
                                        p_max=hb * 2.0 / nm)
    psi0 = pmc.states.GaussianWavepacket(x0=100 * nm, p0=hb * 0.376991 / nm,
                                         sigma_x=7.0711 * nm, hbar=hb)
    mk = pmc.sample(psi0, n=a.markers, seed=1)
    mk = pmc.Markers(mk.x, mk.p, mk.w, signed=True)
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(0, L, 3),
                                                   p=np.linspace(-1e-24, 1e-24, 3)))
    sim = pmc.Simulation(H, mk, dt=0.01 * fs, boundary=pmc.Absorbing(0.0, L), collisions=[wp],
                         cells=cells, seed=1)
    op = sim.operators[0]
    print(f"lattice: {op.x.size} x cells x {op.q.size} momenta; gamma max {op.rate.max():.3g}"
          f" 1/s; threads {a.threads}; load {os.getloadavg()}")
    sim.step(2)  # compile
    wall = np.zeros(3)  # push, generation, annihilation
    cpu = np.zeros(3)
    history = []

    def timed(k, f, *args):
        w0, c0 = time.perf_counter(), time.process_time()
        out = f(*args)
        wall[k] += time.perf_counter() - w0
        cpu[k] += time.process_time() - c0
        return out

    for s in range(a.steps):
        n0 = sim.markers.n
        timed(0, sim._push, sim.dt, 1, sim.t0, sim.step_count)
        pairs = timed(1, op.generate, sim.markers, sim.dt, sim._key, sim.step_count)
        n1 = sim.markers.n
        if sim.markers.n > wp.budget:
            timed(2, op.annihilate, sim.markers, sim._key, sim.step_count,
                  int(wp.keep * wp.budget))
        sim.step_count += 1
        history.append((n0, pairs, n1, sim.markers.n))
    k = a.steps
    names = ("push", "generation", "annihilation")
    print("per step (mean over %d steps), CPU [wall] ms: " % k + ", ".join(
        f"{nm} {c / k * 1e3:.2f} [{w / k * 1e3:.2f}]" for nm, c, w in zip(names, cpu, wall)))
    print("marker count history (before, pairs, after generation, after annihilation):")
    for row in history:
        print("  ", *row)
    steps = sum(h[0] for h in history)
    print(f"marker-steps per second: {steps / wall.sum():.3g} wall ({steps / wall.sum() / a.threads:.3g}"
          f" per thread), {steps / cpu.sum():.3g} per CPU second (all threads); load "
          f"{os.getloadavg()}")
    if a.nano_seconds and a.nano_particle_steps:
        nano = a.nano_particle_steps / a.nano_seconds
        print(f"nano-archimedes: {nano:.3g} particle-steps/s (one core): ratio "
              f"{steps / cpu.sum() / nano:.2f} per CPU second")


if __name__ == "__main__":
    main()
