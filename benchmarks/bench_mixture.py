"""Speed of mixture collisions with rotational exchange (pmc.collisions.BinaryMixture) beside
SPARTA on the same deck.

The deck: SPARTA's collision benchmark (``bench/in.collide``, as ``bench_dsmc.py`` runs it) with
air instead of argon: a periodic cube of side 1e-4 m cut into 8 x 8 x 8 collision cells,
10^6 simulation particles (79 % N2, 21 % O2, equal weights), number density 7.07043e22 m^-3,
273.15 K, VSS cross sections and rotational degrees of freedom from SPARTA's ``data/air.vss``
and ``data/air.species`` (N2: m = 4.65e-26 kg, d = 4.07e-10 m, omega = 0.74, alpha = 1.6; O2:
5.31e-26 kg, 3.96e-10 m, 0.77, 1.4; T_ref = 273.15 K), Larsen-Borgnakke rotational exchange
with probability 0.2 per partner (SPARTA's ``rotrel`` 0.2 with ``collide_modify rotate
smooth``; pmc's relaxation number Z = 8.1 gives about that probability, see
:mod:`pmc._kernels.mixture`); 30 mixing steps of dt = 7e-8 s, then timed steps of dt = 7e-9 s.

pmc is timed over whole steps of :meth:`pmc.Simulation.step` (push, sort, collide) in blocks of
20; SPARTA (a serial build, ``make serial`` with its stock ``src/MAKE/Makefile.serial``, outside
this repository; give its executable with ``--sparta``) runs the same deck as a separate
process, between the pmc blocks, and its rate is read from its log ("Collide occurs" over
"Loop time"). Both print pair collisions per second per core by the wall clock and per CPU
second (pmc: the process's CPU time; SPARTA: the loop's wall time times the CPU / wall ratio of
its process), which the other jobs of a shared machine inflate less. The machine's load average
is printed with them: on a shared machine compare the ratios, not the rates.

Usage::

    python benchmarks/bench_mixture.py --sparta /tmp/sparta-mix/src/spa_serial
    python benchmarks/bench_mixture.py --quick      # 10^5 particles, 40 timed steps
"""
import argparse
import json
import os
import pathlib
import re
import resource
import subprocess
import tempfile
import time

import numba
import numpy as np

import pmc

K = pmc.units.K
SIDE = 1e-4
CELLS = 8
DENSITY = 7.07043e22
TEMPERATURE = 273.15
FRACTIONS = {"N2": 0.79, "O2": 0.21}
DT_MIX, DT = 7e-8, 7e-9
MIX_STEPS = 30
BLOCK_STEPS = 20
Z_ROT = 8.1

# SPARTA's data/air.species and data/air.vss lines for the two species
SPARTA_SPECIES = """\
N2  28.016   4.65E-26  2    0.2   2    1.90114E-5    3371.0    1.0      0.0
O2  32.00    5.31E-26  2    0.2   2    5.58659E-5    2256.0    1.0      0.0
"""
SPARTA_VSS = """\
N2   4.07E-10    0.74  273.15  1.6
O2   3.96E-10    0.77  273.15  1.4
"""
SPARTA_INPUT = """\
seed              12345
dimension         3
global            gridcut 1.0e-5
boundary          p p p
create_box        0 {side} 0 {side} 0 {side}
create_grid       {cells} {cells} {cells}
balance_grid      rcb part
species           air.species N2 O2
mixture           air N2 O2 vstream 0.0 0.0 0.0 temp {temperature}
mixture           air N2 frac {fn2}
mixture           air O2 frac {fo2}
global            nrho {density}
global            fnum {fnum}
collide           vss air air.vss
collide_modify    rotate smooth vibrate no
create_particles  air n {n}
stats             {steps}
stats_style       step cpu np nattempt ncoll
timestep          {dt_mix}
run               {mix_steps}
timestep          {dt}
run               {steps}
"""


def mixture():
    def species(name, mass, d, omega, alpha):
        return pmc.Species(name, mass, pmc.collisions.VSS(d, omega, 273.15 * K, alpha=alpha),
                           weight=1.0, rotational_dof=2, relaxation=Z_ROT)
    return pmc.Mixture([species("N2", 4.65e-26, 4.07e-10, 0.74, 1.6),
                        species("O2", 5.31e-26, 3.96e-10, 0.77, 1.4)])


def pmc_simulation(n, seed=1):
    mix = mixture()
    volume = SIDE ** 3
    weight = DENSITY * volume / n
    mix = pmc.Mixture([pmc.Species(s.name, s.mass, s.cross_section, weight,
                                   rotational_dof=2, relaxation=Z_ROT) for s in mix.species])
    box = ((0.0, SIDE),) * 3
    markers = mix.sample(box, density={k: v * DENSITY for k, v in FRACTIONS.items()},
                         temperature=TEMPERATURE * K, seed=seed)
    return pmc.Simulation(pmc.Hamiltonian(mix.band, units="si"), markers, dt=DT_MIX,
                          boundary=pmc.Periodic([0.0] * 3, [SIDE] * 3),
                          collisions=[pmc.collisions.BinaryMixture(mix)],
                          cells=pmc.Cells([0.0] * 3, [SIDE] * 3, CELLS), seed=seed)


def time_pmc(sim, steps, threads):
    """(pair collisions per second per core over ``steps`` whole steps: by the wall clock and
    by the CPU time of the process; collisions per particle per step)."""
    numba.set_num_threads(threads)
    op = sim.operators[0]
    sim.dt = DT
    before = op.stats["events"]
    seconds = cpu = 0.0
    done = 0
    while done < steps:
        k = min(BLOCK_STEPS, steps - done)
        t, c = time.perf_counter(), time.process_time()
        sim.step(k)
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        done += k
    events = op.stats["events"] - before
    return events / seconds / threads, events / cpu, events / (steps * sim.markers.n)


def time_sparta(exe, n, steps):
    """(pair collisions per second by the wall clock, and by CPU time: the timed loop's wall
    time scaled by the CPU / wall ratio of the whole process; collisions per particle per
    step) of SPARTA on the deck, from its log."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "air.species").write_text(SPARTA_SPECIES)
        (tmp / "air.vss").write_text(SPARTA_VSS)
        (tmp / "in.mixture").write_text(SPARTA_INPUT.format(
            side=SIDE, cells=CELLS, temperature=TEMPERATURE, fn2=FRACTIONS["N2"],
            fo2=FRACTIONS["O2"], density=DENSITY, fnum=DENSITY * SIDE ** 3 / n, n=n,
            steps=steps, dt_mix=DT_MIX, mix_steps=MIX_STEPS, dt=DT))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run([str(exe), "-in", "in.mixture", "-log", "log.sparta", "-echo", "none"],
                       cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_share = (after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime) / wall
        log = (tmp / "log.sparta").read_text()
    loops = re.findall(r"Loop time of ([0-9.eE+-]+) on 1 procs for (\d+) steps", log)
    occurs = re.findall(r"Collide occurs\s*=\s*(\d+)", log)
    seconds, nsteps = float(loops[-1][0]), int(loops[-1][1])
    events = int(occurs[-1])
    return events / seconds, events / (seconds * cpu_share), events / (nsteps * n)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sparta", default=None, help="SPARTA's serial executable")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args(argv)
    n = 100_000 if args.quick else 1_000_000
    steps = 40 if args.quick else 200
    sim = pmc_simulation(n)
    sim.step(MIX_STEPS)  # the mixing steps (and the compilation)
    results = []
    sparta = pathlib.Path(args.sparta) if args.sparta else None
    for threads in args.threads:
        rate, rate_cpu, per_particle = time_pmc(sim, steps, threads)
        results.append({"impl": "pmc", "threads": threads, "pair_collisions_per_s_per_core":
                        rate, "pair_collisions_per_cpu_s": rate_cpu,
                        "collisions_per_particle_per_step": per_particle,
                        "load": os.getloadavg()[0]})
        print(json.dumps(results[-1]))
        if sparta is not None and threads == args.threads[0]:
            rate_s, rate_s_cpu, per_particle_s = time_sparta(sparta, n, steps)
            results.append({"impl": "sparta_serial", "threads": 1,
                            "pair_collisions_per_s_per_core": rate_s,
                            "pair_collisions_per_cpu_s": rate_s_cpu,
                            "collisions_per_particle_per_step": per_particle_s,
                            "load": os.getloadavg()[0]})
            print(json.dumps(results[-1]))
    if sparta is not None:
        top = {r["impl"]: r for r in results if r["threads"] == 1}
        print(json.dumps({"ratio_pmc_over_sparta_one_core":
                          top["pmc"]["pair_collisions_per_s_per_core"]
                          / top["sparta_serial"]["pair_collisions_per_s_per_core"],
                          "ratio_per_cpu_second": top["pmc"]["pair_collisions_per_cpu_s"]
                          / top["sparta_serial"]["pair_collisions_per_cpu_s"],
                          "stats": {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                    for k, v in sim.operators[0].stats.items()}}))
    return results


if __name__ == "__main__":
    main()
