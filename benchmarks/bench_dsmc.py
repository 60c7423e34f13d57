"""Speed of binary collisions (DSMC) on SPARTA's deck, as ratios against SPARTA's measured rates
and against a plain numba step measured in the same process.

The deck (SPARTA cannot be built here; its rates on this machine, from the issue, are 0.56e6
pair collisions per second per core with default settings and 0.8e6 with particle reordering):
a periodic cube of side 1e-4 m cut into 8 x 8 x 8 collision cells, 10^6 simulation particles of
hard-sphere argon (m = 6.6335e-26 kg, d = 3.66e-10 m), number density 7.07043e22 m^-3, 273.15 K,
Maxwellian start; 30 mixing steps of dt = 7e-8 s, then timed steps of dt = 7e-9 s (about 0.056
pair collisions per particle per step).

Implementations, each timed over the same steps, interleaved in blocks so that the load of this
shared machine falls on all alike:

* ``pmc``: the whole step of ``pmc.Simulation.step``, called for a block of 20 steps (Strang:
  half push by ``pmc.stream``, ``pmc.collisions.Binary``, half push, the half pushes between two
  collisions composed into one push), phases: move (the pushes and the driver),
  sort (the equal-weight check, cell index, counting sort, and every 3 steps the reordering of
  positions and weights into cell order) and collide (per cell: the momenta gathered into a
  block, the candidates, the block written back, or in cell order on reordering steps).
* ``pmc_binary_plain_move``: the prepared ``Binary``'s ``collide`` after the plain numba drift
  of the reference: pmc's collision machinery with a move as cheap as the reference's.
* ``pmc_walls_sampling``: ``pmc`` with diffuse walls on x (``pmc.Diffuse`` at the gas's
  temperature), periodic y and z, and the cell sums of the time averages accumulated every step
  (``average=0.0``): the cost of walls and sampling.
* ``numba_reference``: a plain numba step written here: a parallel drift with periodic wrap, a
  parallel cell index, a serial counting sort, and NTC collisions per cell in parallel over
  cells with a per-cell counter-based generator and the same majorant and remainder rules
  (SPARTA's ``CollideVSS::attempt_collision`` / ``test_collision`` logic; no reordering).

Each prints one JSON line per thread count: pair collisions per second per core for the whole
step (wall clock: collisions / (seconds * threads); and CPU time: collisions / CPU seconds of
the process, which the other jobs on this machine do not inflate), per phase, the measured pair
collisions per particle per step, and the ratios to SPARTA and to the numba reference. A last
line says which targets are met (at least 2e6 per core for the whole step on 2 threads);
nothing is asserted.

The threads wait between parallel loops as ``OMP_WAIT_POLICY`` says (unset: libgomp's default,
as for any pmc user; ``OMP_WAIT_POLICY=PASSIVE`` makes every parallel loop pay a wake-up, 20-30%
of a step here).

Usage::

    python benchmarks/bench_dsmc.py              # the deck: n = 10^6, 200 timed steps
    python benchmarks/bench_dsmc.py --quick      # n = 10^5, 40 timed steps
"""
import argparse
import json
import math
import os
import time

import numba
import numpy as np
from numba import njit, prange

import pmc

#: libgomp's wait policy as the environment sets it (unset: its default, spin a while after a
#: parallel loop, then sleep: what a pmc user gets). Every implementation runs in this one
#: process on numba's one thread pool, so no other timed work competes with a spinning thread;
#: PASSIVE (sleep at once) costs every parallel loop a wake-up.
WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "default")

SIDE = 1e-4
CELLS = 8
MASS = 6.6335e-26
DIAMETER = 3.66e-10
DENSITY = 7.07043e22
TEMPERATURE = 273.15  # K
DT_MIX, DT = 7e-8, 7e-9
MIX_STEPS = 30
SPARTA = {"default": 0.56e6, "reorder": 0.8e6}
TARGET_PER_CORE = 2e6
BLOCK_STEPS = 20


# ----------------------------------------------------------------------------- the reference
@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _uniform(key, counter):
    return float(_mix(key + np.uint64(counter) * np.uint64(0x9E3779B97F4A7C15))
                 >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(parallel=True, cache=True)
def ref_move(x, v, n, dt, side):
    for i in prange(n):
        for a in range(3):
            y = x[a, i] + dt * v[a, i]
            if y >= side:
                y -= side
            elif y < 0.0:
                y += side
            x[a, i] = y


@njit(parallel=True, cache=True)
def ref_index(x, n, inv_h, ncell_axis, out):
    for i in prange(n):
        c = 0
        for a in range(3):
            j = min(int(x[a, i] * inv_h), ncell_axis - 1)
            c = c * ncell_axis + j
        out[i] = c


@njit(cache=True)
def ref_sort(index, ncell):
    start = np.zeros(ncell + 1, np.int64)
    for i in range(index.shape[0]):
        start[index[i] + 1] += 1
    for c in range(ncell):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    order = np.empty(index.shape[0], np.int64)
    for i in range(index.shape[0]):
        c = index[i]
        order[fill[c]] = i
        fill[c] += 1
    return order, start


@njit(parallel=True, cache=True)
def ref_collide(v, order, start, rate, sigma, vremax, remain, seed, step, events):
    """NTC per cell: candidates 0.5 N (N-1) F_N dt (sigma g)_max / V + remainder, accept with
    sigma g / (sigma g)_max, isotropic scattering; ``rate`` = F_N dt / V."""
    ncell = start.shape[0] - 1
    for c in prange(ncell):
        n = start[c + 1] - start[c]
        events[c] = 0
        if n < 2:
            continue
        key = _mix(np.uint64(seed) * np.uint64(1000003) + np.uint64(step) * np.uint64(ncell)
                   + np.uint64(c))
        ctr = 0
        att = 0.5 * n * (n - 1) * rate * vremax[c] + remain[c]
        na = int(att)
        remain[c] = att - na
        for _ in range(na):
            ki = min(int(_uniform(key, ctr) * n), n - 1)
            kj = min(int(_uniform(key, ctr + 1) * (n - 1)), n - 2)
            if kj >= ki:
                kj += 1
            i = order[start[c] + ki]
            j = order[start[c] + kj]
            ctr += 2
            g0 = v[0, i] - v[0, j]
            g1 = v[1, i] - v[1, j]
            g2 = v[2, i] - v[2, j]
            g = math.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
            sg = sigma * g
            if sg > vremax[c]:
                vremax[c] = sg
            u = _uniform(key, ctr)
            ctr += 1
            if sg < u * vremax[c]:
                continue
            cx = 2.0 * _uniform(key, ctr) - 1.0
            phi = 2.0 * math.pi * _uniform(key, ctr + 1)
            ctr += 2
            sx = math.sqrt(1.0 - cx * cx)
            h0 = 0.5 * (v[0, i] + v[0, j])
            h1 = 0.5 * (v[1, i] + v[1, j])
            h2 = 0.5 * (v[2, i] + v[2, j])
            q0 = 0.5 * g * cx
            q1 = 0.5 * g * sx * math.cos(phi)
            q2 = 0.5 * g * sx * math.sin(phi)
            v[0, i] = h0 + q0
            v[1, i] = h1 + q1
            v[2, i] = h2 + q2
            v[0, j] = h0 - q0
            v[1, j] = h1 - q1
            v[2, j] = h2 - q2
            events[c] += 1


class Reference:
    """The plain numba step on its own copy of the particles (velocities, not momenta)."""

    def __init__(self, markers):
        self.x = np.ascontiguousarray(markers.positions.T)  # (3, n)
        self.v = np.ascontiguousarray(markers.momenta.T) / MASS
        self.n = markers.n
        self.w = markers.w[0]
        self.ncell = CELLS ** 3
        self.volume = (SIDE / CELLS) ** 3
        sigma = math.pi * DIAMETER ** 2
        vmp = math.sqrt(2.0 * pmc.units.k_B * TEMPERATURE / MASS)
        self.sigma = sigma
        self.vremax = np.full(self.ncell, 2.0 * sigma * vmp)  # SPARTA's vremax_init
        self.remain = np.zeros(self.ncell)
        self.index = np.empty(self.n, np.int64)
        self.events = np.zeros(self.ncell, np.int64)
        self.times = dict(move=0.0, sort=0.0, collide=0.0)
        self.step_count = 0

    def run(self, dt, steps):
        return sum(self.step(dt) for _ in range(steps))

    def step(self, dt):
        t0 = time.perf_counter()
        ref_move(self.x, self.v, self.n, dt, SIDE)
        t1 = time.perf_counter()
        ref_index(self.x, self.n, CELLS / SIDE, CELLS, self.index)
        order, start = ref_sort(self.index, self.ncell)
        t2 = time.perf_counter()
        ref_collide(self.v, order, start, self.w * dt / self.volume, self.sigma, self.vremax,
                    self.remain, 1, self.step_count, self.events)
        t3 = time.perf_counter()
        self.step_count += 1
        self.times["move"] += t1 - t0
        self.times["sort"] += t2 - t1
        self.times["collide"] += t3 - t2
        return int(self.events.sum())


# ----------------------------------------------------------------------------- pmc
class PmcSimulation:
    """``pmc.Simulation.step``: half push, Binary, half push."""

    def __init__(self, markers):
        self.H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si")
        self.cells = pmc.Cells([0.0] * 3, [SIDE] * 3, CELLS)
        self.binary = pmc.collisions.Binary(pmc.collisions.HardSphere(DIAMETER))
        self.markers = markers.copy()
        self.sims = {}
        self.times = dict(move=0.0, sort=0.0, collide=0.0)

    def run(self, dt, steps):
        sim = self.sims.get(dt)
        if sim is None:  # one driver per time step; the collisions' state carries over
            sim = pmc.Simulation(self.H, self.markers, dt=dt, boundary=pmc.Periodic(0.0, SIDE),
                                 collisions=[self.binary], cells=self.cells, seed=1)
            step0 = sum(s.step_count for s in self.sims.values())
            sim.step_count = step0
            for other in self.sims.values():
                sim.operators[0].set_state(other.operators[0].state())
                other.markers = None
            self.sims = {dt: sim}
        stats = sim.operators[0].stats
        before = dict(stats)
        t0 = time.perf_counter()
        sim.step(steps)  # one call: the pushes between collisions are composed
        total = time.perf_counter() - t0
        self.markers = sim.markers
        sort = stats["seconds_sort"] - before["seconds_sort"]
        collide = stats["seconds_collide"] - before["seconds_collide"]
        self.times["sort"] += sort
        self.times["collide"] += collide
        self.times["move"] += total - sort - collide
        return stats["events"] - before["events"]


class PmcWallsSampling(PmcSimulation):
    """:class:`PmcSimulation` with gas-surface walls and sampling on: diffuse walls at the
    gas's temperature on x (pmc.Diffuse; the gas stays in equilibrium, so the collision rate
    is the deck's), periodic y and z, and the time-averaging window open from the start (the
    cell sums of every step accumulated on the 8^3 cells)."""

    def run(self, dt, steps):
        sim = self.sims.get(dt)
        if sim is None:
            kt = TEMPERATURE * pmc.units.K
            box = (pmc.Diffuse(0.0, SIDE, temperature=kt), pmc.Periodic(0.0, SIDE),
                   pmc.Periodic(0.0, SIDE))
            sim = pmc.Simulation(self.H, self.markers, dt=dt, boundary=box,
                                 collisions=[self.binary], cells=self.cells, seed=1,
                                 average=0.0)
            step0 = sum(s.step_count for s in self.sims.values())
            sim.step_count = step0
            for other in self.sims.values():
                sim.operators[0].set_state(other.operators[0].state())
                other.markers = None
            self.sims = {dt: sim}
        return super().run(dt, steps)


class PmcBinaryPlainMove:
    """The prepared ``Binary``'s ``collide`` after the reference's plain drift (same markers
    layout as pmc)."""

    def __init__(self, markers):
        self.cells = pmc.Cells([0.0] * 3, [SIDE] * 3, CELLS)
        self.markers = markers.copy()
        self.binary = pmc.collisions.Binary(pmc.collisions.HardSphere(DIAMETER)).prepare(
            pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si"), self.cells, self.markers)
        self.step_count = 0
        self.times = dict(move=0.0, sort=0.0, collide=0.0)

    def run(self, dt, steps):
        return sum(self.step(dt) for _ in range(steps))

    def step(self, dt):
        mk = self.markers
        before = dict(self.binary.stats)
        t0 = time.perf_counter()
        x, p, _, _ = mk.kernel_arrays()
        ref_move(x, p, mk.n, dt / MASS, SIDE)  # x += (p / m) dt
        t1 = time.perf_counter()
        events = self.binary.collide(mk, dt, 1, self.step_count)
        self.step_count += 1
        self.times["move"] += t1 - t0
        self.times["sort"] += self.binary.stats["seconds_sort"] - before["seconds_sort"]
        self.times["collide"] += (self.binary.stats["seconds_collide"]
                                  - before["seconds_collide"])
        return events


# ----------------------------------------------------------------------------- the benchmark
def initial(n, seed=20241124):
    gas = pmc.states.Maxwellian(temperature=pmc.units.k_B * TEMPERATURE, mass=MASS,
                                x=((0.0, SIDE),) * 3, density=DENSITY)
    return pmc.sample(gas, n, seed=seed)


def measure(impls, steps, threads, n):
    numba.set_num_threads(threads)
    for impl in impls.values():
        impl.times = dict(move=0.0, sort=0.0, collide=0.0)
    events = dict.fromkeys(impls, 0)
    wall = dict.fromkeys(impls, 0.0)
    cpu = dict.fromkeys(impls, 0.0)
    done = 0
    while done < steps:
        block = min(BLOCK_STEPS, steps - done)
        for name, impl in impls.items():  # interleaved: the machine's load falls on all alike
            c0, t0 = time.process_time(), time.perf_counter()
            events[name] += impl.run(DT, block)
            wall[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0
        done += block
    rows = {}
    for name, impl in impls.items():
        ev = events[name]
        per_core = ev / (wall[name] * threads)
        rows[name] = {
            "case": "sparta_deck_hard_sphere_argon", "impl": name, "threads": threads,
            "omp_wait_policy": WAIT_POLICY,
            "particles": n, "steps": steps,
            "pair_collisions_per_s_per_core": per_core,
            "pair_collisions_per_cpu_s": ev / cpu[name],
            "per_phase_pair_collisions_per_s_per_core": {
                k: (ev / (v * threads) if v > 0 else None) for k, v in impl.times.items()},
            "per_phase_ms_per_step": {k: 1e3 * v / steps for k, v in impl.times.items()},
            "step_ms": 1e3 * wall[name] / steps,
            "pair_collisions_per_particle_per_step": ev / (n * steps),
            "ratio_vs_sparta_default": per_core / SPARTA["default"],
            "ratio_vs_sparta_reorder": per_core / SPARTA["reorder"]}
    ref = rows["numba_reference"]["pair_collisions_per_s_per_core"]
    ref_cpu = rows["numba_reference"]["pair_collisions_per_cpu_s"]
    for row in rows.values():
        row["ratio_vs_numba_reference"] = row["pair_collisions_per_s_per_core"] / ref
        row["ratio_vs_numba_reference_cpu_time"] = row["pair_collisions_per_cpu_s"] / ref_cpu
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 10^5, 40 timed steps")
    ap.add_argument("--n", type=int, default=None, help="simulation particles (10^6)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (200)")
    ap.add_argument("--threads", type=int, nargs="+", default=None,
                    help="thread counts (default 1 and the maximum, at most 2)")
    args = ap.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)
    steps = args.steps or (40 if args.quick else 200)
    threads = args.threads or sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})
    markers = initial(n)
    impls = {"pmc": PmcSimulation(markers), "pmc_binary_plain_move": PmcBinaryPlainMove(markers),
             "numba_reference": Reference(markers),
             "pmc_walls_sampling": PmcWallsSampling(markers)}
    numba.set_num_threads(max(threads))
    for impl in impls.values():  # mixing (also compiles)
        impl.run(DT_MIX, MIX_STEPS)
    last = None
    for k in threads:
        rows = measure(impls, steps, k, n)
        for row in rows.values():
            print(json.dumps(row), flush=True)
        last = rows
    top = last["pmc"]
    summary = {"case": "targets", "threads": max(threads),
               "pmc_whole_step_per_core": top["pair_collisions_per_s_per_core"],
               "target_per_core": TARGET_PER_CORE,
               "pmc_whole_step_meets_target": top["pair_collisions_per_s_per_core"]
               >= TARGET_PER_CORE,
               "pmc_binary_plain_move_per_core":
                   last["pmc_binary_plain_move"]["pair_collisions_per_s_per_core"],
               "pmc_binary_plain_move_meets_target":
                   last["pmc_binary_plain_move"]["pair_collisions_per_s_per_core"]
                   >= TARGET_PER_CORE,
               "numba_reference_per_core":
                   last["numba_reference"]["pair_collisions_per_s_per_core"],
               "faster_than_sparta_reorder": top["ratio_vs_sparta_reorder"] > 1.0,
               "load_average": os.getloadavg()[0]}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
