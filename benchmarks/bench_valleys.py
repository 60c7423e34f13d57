"""Speed of the multi-valley transport step: electrons in silicon at 10 kV/cm.

Prints one JSON line per case and thread count, and a last line with the ratios. Cases:
``multi_valley`` (``pmc.materials.get("Si")``: three ellipsoidal Delta valleys, each marker
streamed with its valley's velocity by the state-aware push, all mechanisms in one
``ValleyScattering``) and ``single_valley`` (the same mechanisms on the Kane approximation,
``Material.single_valley()``, streamed by the single-valley push kernels: the baseline the issue
compares against). Per case: the push-only step (``Simulation.step(1)`` without collisions),
the driver step with the scattering (half push, collide, half push), the collide call alone
and its real scattering events per second. The markers are first brought near the hot steady
state (``--warm`` steps at the field) so the rates are those of the transport regime. Timings
are the best of ``--repeat`` runs, as wall time and as CPU time of the process (``cpu_*``: the
cost of the work, nearly insensitive to other processes); the machine's load average is
printed with them (wall times taken while other processes run are noisy: compare the ratios,
measured in one process).

Usage::

    python benchmarks/bench_valleys.py              # N = 10^5, 10 steps, best of 3, 2 threads
    python benchmarks/bench_valleys.py --n 20000 --threads 1
"""
import argparse
import json
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

import pmc  # noqa: E402
from pmc.units import K, e, hbar  # noqa: E402

DT = 2e-15
FIELD = 1e6  # V/m (10 kV/cm)
SEED = 16


def setup(case):
    mat = pmc.materials.get("Si", temperature=300 * K)
    if case == "multi_valley":
        band, eq = mat.band, mat.equilibrium()
    else:
        band = mat.single_valley()
        eq = pmc.materials.ValleyMaxwellian(
            pmc.bands.MultiValley([pmc.bands.Valley("band", band.mass, alpha=band.alpha)]),
            mat.temperature)
    H = pmc.Hamiltonian(band, pmc.potentials.UniformField(e * FIELD), hbar=hbar)
    return H, eq, mat.collisions()


def simulation(H, markers, collisions):
    return pmc.Simulation(H, markers, dt=DT, cells=pmc.Cells((-1.0,), (1.0,), (1,)),
                          collisions=collisions, seed=SEED)


def best(make, run, repeat):
    """Smallest wall time and smallest CPU time (all threads of the process) of ``run(make())``
    over ``repeat`` runs after a warm-up run, and the last output. The CPU time is what the
    work costs whatever else runs on the machine; the wall time is what a user waits."""
    run(make())
    best_t, best_c, out = np.inf, np.inf, None
    for _ in range(repeat):
        state = make()
        t, c = time.perf_counter(), time.process_time()
        out = run(state)
        best_t = min(best_t, time.perf_counter() - t)
        best_c = min(best_c, time.process_time() - c)
    return best_t, best_c, out


def run_case(case, n, steps, repeat, warm, threads):
    H, eq, collisions = setup(case)
    sim = simulation(H, pmc.sample(eq, n, seed=SEED), collisions)
    sim.step(warm)  # near the hot steady state
    markers = sim.markers.copy()

    def steps_of(s):
        for _ in range(steps):
            s.step(1)

    def collide_only(m):
        op = collisions[0].prepare(H, pmc.Cells((-1.0,), (1.0,), (1,)), m)
        return sum(op.collide(m, DT, SEED, s) for s in range(steps))

    numba.set_num_threads(threads)
    t_push, c_push, _ = best(lambda: simulation(H, markers, []), steps_of, repeat)
    t_step, c_step, _ = best(lambda: simulation(H, markers, collisions), steps_of, repeat)
    t_coll, c_coll, events = best(markers.copy, collide_only, repeat)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return {"case": f"si_10kV_{case}", "threads": threads, "n": n, "steps": steps,
            "push_step_s": t_push / steps, "step_s": t_step / steps,
            "collide_s": t_coll / steps, "events_per_step": events / steps,
            "events_per_s": events / t_coll,
            "events_per_s_per_thread": events / t_coll / threads,
            "ns_per_marker_push": 1e9 * t_push / (steps * n),
            "ns_per_marker_step": 1e9 * t_step / (steps * n),
            "cpu_push_step_s": c_push / steps, "cpu_step_s": c_step / steps,
            "cpu_collide_s": c_coll / steps,
            "cpu_events_per_s_per_thread": events / c_coll,
            "load_average": os.getloadavg()[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10 ** 5, help="markers (default 10^5)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed run")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs, the best is kept")
    ap.add_argument("--warm", type=int, default=100, help="steps at the field before timing")
    ap.add_argument("--threads", type=int, default=min(2, numba.config.NUMBA_NUM_THREADS))
    args = ap.parse_args(argv)
    if min(args.n, args.steps, args.repeat, args.threads) < 1 or args.warm < 0:
        ap.error("--n, --steps, --repeat and --threads must be >= 1, --warm >= 0")
    lines = {}
    for case in ("single_valley", "multi_valley"):
        lines[case] = run_case(case, args.n, args.steps, args.repeat, args.warm, args.threads)
        print(json.dumps(lines[case]), flush=True)
    m, s = lines["multi_valley"], lines["single_valley"]
    print(json.dumps({"case": "ratio_multi_over_single", "threads": args.threads,
                      "step": m["step_s"] / s["step_s"],
                      "push_step": m["push_step_s"] / s["push_step_s"],
                      "collide": m["collide_s"] / s["collide_s"],
                      "multi_step_over_single_push": m["step_s"] / s["push_step_s"],
                      "cpu_step": m["cpu_step_s"] / s["cpu_step_s"],
                      "cpu_push_step": m["cpu_push_step_s"] / s["cpu_push_step_s"],
                      "cpu_collide": m["cpu_collide_s"] / s["cpu_collide_s"],
                      "load_average": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
