"""Speed of continuous-momentum scattering: optical phonons on 1D3V markers.

Prints one JSON line per (case, threads): scattering events per second of the prepared
``OpticalPhonon``'s ``collide`` (real events; the candidates per real event measure the self-scattering
overhead of the null-collision majorant), and the cost of a driver step with collisions
(half push, collide, half push) relative to a push-only step of the same markers, both measured
here in the same process (the baseline). The push-only step is ``Simulation.step(1)`` without
collisions; the collision step is ``Simulation.step(1)`` with the mechanism. A last line gives
the 2-thread speed-ups. Nothing is asserted.

Setup (units m = kT = hbar = 1): N markers drawn from a Maxwellian at kT in a periodic box
[0, 1) split into 64 collision cells, a uniform field F = 0.5, dt = 0.1; OpticalPhonon with
hbar w = kT, coupling 2.5, mass density 1 (rates about 1 to 5 per unit time, so about a fifth of
the markers scatter per step); every timed run starts from the same markers. Cases:
``parabolic`` (classical statistics: markers in parallel), ``kane`` (alpha = 0.5, coupling 1.4
for similar rates), ``fermi`` (parabolic band, Pauli blocking with degeneracy 2 and K = 16
markers per full bin, density of a Fermi gas at mu = kT: cells in parallel, events of a cell in
time order).

Usage::

    python benchmarks/bench_collide.py            # N = 10^6, 10 steps, best of 3
    python benchmarks/bench_collide.py --quick    # N = 10^5
    python benchmarks/bench_collide.py --case fermi --n 200000
"""
import argparse
import json
import os
import time

# libgomp threads must not spin on the two cores while the other variant is timed
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

import pmc  # noqa: E402

CASES = ("parabolic", "kane", "fermi")
DT = 0.1
FORCE = 0.5
NCELL = 64
SEED = 20240612


def setup(case, n):
    band = pmc.bands.Kane(mass=1.0, alpha=0.5) if case == "kane" else pmc.bands.Parabolic(1.0)
    H = pmc.Hamiltonian(band, pmc.potentials.UniformField(FORCE), hbar=1.0)
    opts = {}
    if case == "fermi":
        gas = pmc.states.FermiDirac(temperature=1.0, chemical_potential=1.0, mass=1.0,
                                    x=(0.0, 1.0), momentum_dims=3, degeneracy=2.0)
        opts = dict(statistics="fermi", degeneracy=2.0, capacity=16)
    else:
        gas = pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, 1.0), momentum_dims=3)
    markers = pmc.sample(gas, n, seed=SEED)
    # the Kane band's larger density of states: a weaker coupling for similar rates
    mech = pmc.collisions.OpticalPhonon(coupling=1.4 if case == "kane" else 2.5,
                                        mass_density=1.0, energy=1.0, temperature=1.0, **opts)
    return H, markers, mech


def simulation(H, markers, collisions):
    return pmc.Simulation(H, markers, dt=DT, boundary=pmc.Periodic(0.0, 1.0),
                          cells=pmc.Cells(0.0, 1.0, NCELL), collisions=collisions, seed=SEED)


def best(make, run, repeat):
    """Smallest wall time of ``run(make())`` over ``repeat`` runs (after a warm-up run), each on
    a fresh state from ``make`` (not timed), and the output of the last run."""
    run(make())  # warm-up: compilation or the disk cache, page faults
    best_t, out = np.inf, None
    for _ in range(repeat):
        state = make()
        t = time.perf_counter()
        out = run(state)
        best_t = min(best_t, time.perf_counter() - t)
    return best_t, out


def run_case(case, n, steps, repeat, threads):
    H, markers, mech = setup(case, n)
    cells = pmc.Cells(0.0, 1.0, NCELL)

    def steps_of(sim):
        for _ in range(steps):
            sim.step(1)

    def collide_only(m):
        total = dict(events=0, candidates=0, blocked=0)
        op = mech.prepare(H, cells, m)
        for s in range(steps):
            out = op.collide_counts(m, DT, SEED, s)
            for key in total:
                total[key] += out[key]
        return total

    def sort_only(m):
        for _ in range(steps):
            cells.sort(m)

    lines = []
    for k in threads:
        numba.set_num_threads(k)
        t_push, _ = best(lambda: simulation(H, markers, []), steps_of, repeat)
        t_step, _ = best(lambda: simulation(H, markers, [mech]), steps_of, repeat)
        t_coll, counts = best(markers.copy, collide_only, repeat)
        t_sort, _ = best(markers.copy, sort_only, repeat)
        events = counts["events"]
        lines.append({
            "case": f"optical_1d3v_{case}", "threads": k, "n": n, "steps": steps,
            "events_per_step": events / steps,
            "events_per_s": events / t_coll,
            "candidates_per_event": counts["candidates"] / max(events, 1),
            "blocked_per_event": counts["blocked"] / max(events, 1),
            "push_step_s": t_push / steps,
            "collision_step_s": t_step / steps,
            "collide_s": t_coll / steps,
            "sort_s": t_sort / steps,
            "step_cost_ratio": t_step / t_push,
            "collide_over_push_step": t_coll / t_push,
            "ns_per_marker_collide": 1e9 * t_coll / (steps * n),
        })
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 10^5")
    ap.add_argument("--n", type=int, default=None, help="markers (default 10^6)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed run (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs, the best is kept")
    ap.add_argument("--case", action="append", choices=CASES,
                    help="run only this case (repeatable)")
    args = ap.parse_args(argv)
    n = args.n if args.n is not None else (10 ** 5 if args.quick else 10 ** 6)
    if n < 1 or args.steps < 1 or args.repeat < 1:
        ap.error("--n, --steps and --repeat must be >= 1")
    threads = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]
    lines = []
    for case in args.case or CASES:
        for line in run_case(case, n, args.steps, args.repeat, threads):
            print(json.dumps(line), flush=True)
            lines.append(line)
    if len(threads) > 1:
        speedup = {}
        for case in args.case or CASES:
            by = {x["threads"]: x for x in lines if x["case"] == f"optical_1d3v_{case}"}
            speedup[case] = {"collide": by[1]["collide_s"] / by[2]["collide_s"],
                             "collision_step": by[1]["collision_step_s"]
                             / by[2]["collision_step_s"]}
        print(json.dumps({"case": "speedup_2_threads", **speedup}), flush=True)


if __name__ == "__main__":
    main()
