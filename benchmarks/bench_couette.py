"""A wall-bounded DSMC deck run side by side with SPARTA on the same problem: Couette flow of
hard-sphere argon between diffuse plates, with the time averages sampled every step.

The deck: plates at x = 0 and x = 1 mm, both at 273.15 K, the lower moving at -150 m/s and the
upper at +150 m/s along y (SPARTA: ``surf_collide diffuse 273.15 1.0 translate``, applied to the
box faces by ``bound_modify``; pmc: ``pmc.Diffuse``); argon hard spheres (m = 6.63e-26 kg,
d = 3.66e-10 m) at n = 1.68e22 m^-3 (mean free path 0.1 mm, Kn = 0.1); 50 collision cells
across the gap (SPARTA: a 50 x 1 x 1 grid of a thin periodic slab; pmc: one position axis);
N simulation particles; dt = 20 ns; 3000 mixing steps (the profile settles), then timed steps
with the cell moments
sampled every step (SPARTA: ``compute grid`` + ``fix ave/grid``; pmc: ``average=``) and the
wall stresses tallied (SPARTA: ``compute boundary`` + ``fix ave/time``; pmc: ``wall_*``).

Both run on one core (SPARTA's stock serial build, pmc with numba on one thread). SPARTA is
found from ``$SPARTA`` (the ``spa_serial`` executable) or under /tmp/sparta*/src; without it
only pmc's numbers are printed. One JSON line per code: steps per second, particle-steps per
second, the wall shear stress on the upper plate (averaged over the timed steps), the load
average; then the ratio. Timings on a shared machine are only comparable within one run.

Usage::

    python benchmarks/bench_couette.py [--quick] [--n N] [--steps S]
"""
import argparse
import glob
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

MASS = 6.63e-26
DIAMETER = 3.66e-10
DENSITY = 1.68e22
TEMPERATURE = 273.15
U_WALL = 150.0
LENGTH = 1e-3
SLAB = 1e-5  # SPARTA's periodic y and z extent
CELLS = 50
DT = 2e-8
KB = 1.380649e-23


def find_sparta():
    """The spa_serial executable: $SPARTA, else the first under /tmp/sparta*/src."""
    exe = os.environ.get("SPARTA")
    if exe and os.access(exe, os.X_OK):
        return exe
    for path in sorted(glob.glob("/tmp/sparta*/src/spa_serial")):
        if os.access(path, os.X_OK):
            return path
    return None


def run_pmc(n, mix, steps):
    numba.set_num_threads(1)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si")
    kt = TEMPERATURE * pmc.units.K
    rng = np.random.default_rng(1)
    markers = pmc.Markers(x=rng.uniform(0.0, LENGTH, (n, 1)),
                          p=MASS * np.sqrt(kt / MASS) * rng.standard_normal((n, 3)),
                          w=np.full(n, DENSITY * LENGTH / n))
    plates = pmc.Diffuse(0.0, LENGTH, temperature=kt,
                         velocity=((0.0, -U_WALL, 0.0), (0.0, U_WALL, 0.0)))
    binary = pmc.collisions.Binary(pmc.collisions.HardSphere(DIAMETER))
    sim = pmc.Simulation(H, markers, dt=DT, boundary=plates, collisions=[binary],
                         cells=pmc.Cells(0.0, LENGTH, CELLS), seed=2, average=mix * DT,
                         average_batches=5)
    sim.step(mix)
    sim.observe()
    sim._frame_recorded()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(5):  # five frames: the batches of the averages
        sim.step(steps // 5)
        sim.observe()
        sim._frame_recorded()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    avg = sim.time_averages()
    return {"code": "pmc", "particles": n, "steps": steps, "seconds": seconds,
            "cpu_seconds": cpu, "steps_per_s": steps / seconds, "steps_per_cpu_s": steps / cpu,
            "particle_steps_per_s": n * steps / seconds,
            "wall_shear_hi_Pa": float(avg["wall_shear_stress_mean"][1, 1]),
            "wall_shear_hi_stderr_Pa": float(avg["wall_shear_stress_mean_stderr"][1, 1]),
            "collisions": int(sim._collision_events[0]), "threads": 1,
            "load_average": os.getloadavg()[0]}


SPARTA_INPUT = """\
seed              12345
dimension         3
global            gridcut 0.0 comm/sort yes
boundary          s p p
create_box        0 {L} 0 {S} 0 {S}
create_grid       {cells} 1 1
species           ar.species Ar
mixture           air Ar vstream 0.0 0.0 0.0 temp {T}
global            nrho {n} fnum {fnum}
collide           vss air ar.vss
surf_collide      lo diffuse {T} 1.0 translate 0.0 {ulo} 0.0
surf_collide      hi diffuse {T} 1.0 translate 0.0 {uhi} 0.0
bound_modify      xlo collide lo
bound_modify      xhi collide hi
create_particles  air n {N}
timestep          {dt}
run               {mix}
reset_timestep    0
compute           g grid all all n u v w temp
fix               g ave/grid all 1 {steps} {steps} c_g[*]
compute           b boundary all press shx shy shz
fix               b ave/time 1 {steps} {steps} c_b[3] mode vector file boundary.txt
stats             {steps}
stats_style       step cpu np nattempt ncoll
run               {steps}
"""


def run_sparta(exe, n, mix, steps):
    fnum = DENSITY * LENGTH * SLAB * SLAB / n
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "ar.species").write_text("Ar 39.948 6.63e-26 0 0 0 0 0 0 0\n")
        (d / "ar.vss").write_text(f"Ar {DIAMETER} 0.5 {TEMPERATURE} 1.0\n")
        (d / "in.couette").write_text(SPARTA_INPUT.format(
            L=LENGTH, S=SLAB, cells=CELLS, T=TEMPERATURE, n=DENSITY, fnum=fnum, ulo=-U_WALL,
            uhi=U_WALL, N=n, dt=DT, mix=mix, steps=steps))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([exe, "-in", "in.couette"], cwd=d, capture_output=True, text=True,
                           timeout=3600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if r.returncode != 0:
            raise RuntimeError(f"SPARTA failed: {r.stdout[-2000:]} {r.stderr[-2000:]}")
        loops = re.findall(r"Loop time of ([0-9.eE+-]+) on 1 procs for (\d+) steps", r.stdout)
        seconds, nsteps = float(loops[-1][0]), int(loops[-1][1])
        # CPU time of the timed run: the process's, less the setup and mixing run's share
        # by wall clock (SPARTA prints the loop times of both runs)
        first = float(loops[0][0])
        cpu = cpu_total * seconds / (first + seconds)
        rows = [line.split() for line in (d / "boundary.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
        # the last block: a header "step nrows", then one row per box face (xlo, xhi, ...)
        shear_hi = float(rows[-6 + 1][1]) if len(rows) >= 7 else float("nan")
    return {"code": "sparta", "executable": exe, "particles": n, "steps": nsteps,
            "seconds": seconds, "cpu_seconds_estimate": cpu, "steps_per_s": nsteps / seconds,
            "steps_per_cpu_s": nsteps / cpu,
            "particle_steps_per_s": n * nsteps / seconds, "wall_shear_hi_Pa": shear_hi,
            "load_average": os.getloadavg()[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="N = 20000, 200 + 250 steps (in the transient)")
    ap.add_argument("--n", type=int, default=None, help="simulation particles (50000)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (1000)")
    args = ap.parse_args(argv)
    n = args.n or (20_000 if args.quick else 50_000)
    steps = args.steps or (250 if args.quick else 1000)
    mix = 200 if args.quick else 3000  # the velocity profile settles in ~ L^2 rho / mu = 2600 steps
    exe = find_sparta()
    rows = []
    if exe is not None:
        rows.append(run_sparta(exe, n, mix, steps))
        print(json.dumps(rows[-1]), flush=True)
    rows.append(run_pmc(n, mix, steps))
    print(json.dumps(rows[-1]), flush=True)
    if exe is not None:
        print(json.dumps({"case": "couette_vs_sparta",
                          "pmc_over_sparta_steps_per_s": rows[1]["steps_per_s"]
                          / rows[0]["steps_per_s"],
                          "pmc_over_sparta_steps_per_cpu_s": rows[1]["steps_per_cpu_s"]
                          / rows[0]["steps_per_cpu_s"],
                          "load_average": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
