"""The cost of walls and cell sampling on SPARTA's deck, pmc and SPARTA side by side, each
sampling the same moments at the same frequency.

The deck is that of ``bench_dsmc.py``: a cube of side 1e-4 m cut into 8 x 8 x 8 collision
cells, N simulation particles of hard-sphere argon (m = 6.6335e-26 kg, d = 3.66e-10 m) at
7.07043e22 m^-3 and 273.15 K, Maxwellian start, dt = 7e-9 s. Three configurations, each run by
both codes:

* ``plain``: periodic on every face, no sampling (bench_dsmc's deck);
* ``walls_sampling``: fully diffuse walls at 273.15 K on the x faces (SPARTA ``surf_collide
  diffuse`` + ``bound_modify``; pmc ``pmc.Diffuse``), periodic y and z, and the per-cell
  moments pmc samples (number density, velocity, temperature, the pressure tensor and the heat
  flux) accumulated every ``every`` steps (SPARTA: ``compute grid`` n u v w temp, ``compute
  pflux/grid`` momxx .. momxz, ``compute eflux/grid`` heatx heaty heatz, all averaged by
  ``fix ave/grid all EVERY ...``; pmc: ``Simulation(average=0.0, sample_every=EVERY)``), for
  ``every`` = 1 and 10.

Both run on one core (SPARTA's stock serial build, found from ``$SPARTA`` or under
/tmp/sparta*/src; pmc with numba on one thread), the configurations interleaved (SPARTA, pmc,
SPARTA, pmc, ...) in ``--repeat`` rounds, the best rate of each kept. Rates are pair
collisions per CPU second (SPARTA: its process's CPU time less that of the same deck without
the timed run), so that the load of a shared machine inflates neither. One JSON line per run,
then one per configuration with the ratio pmc / SPARTA and each code's rate against its plain
deck.

Usage::

    python benchmarks/bench_sampling.py [--n N] [--steps S] [--repeat R]
"""
import argparse
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

import pmc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_couette import find_sparta  # noqa: E402
from bench_dsmc import CELLS, DENSITY, DIAMETER, DT, MASS, SIDE, TEMPERATURE  # noqa: E402

WARM = 20

SPARTA_INPUT = """\
seed              12345
dimension         3
global            gridcut 0.0 comm/sort yes
boundary          {bound} p p
create_box        0 {L} 0 {L} 0 {L}
create_grid       {cells} {cells} {cells}
species           ar.species Ar
mixture           air Ar vstream 0.0 0.0 0.0 temp {T}
global            nrho {n} fnum {fnum}
collide           vss air ar.vss
{walls}
create_particles  air n {N}
timestep          {dt}
stats             {warm}
stats_style       step cpu np nattempt ncoll
run               {warm}
{timed}"""
TIMED = """{sampling}
stats             {steps}
run               {steps}
"""
WALLS = """surf_collide      w diffuse {T} 1.0
bound_modify      xlo xhi collide w"""
SAMPLING = """compute           g grid all all n u v w temp
compute           p pflux/grid all all momxx momyy momzz momxy momyz momxz
compute           e eflux/grid all all heatx heaty heatz
fix               a ave/grid all {every} {count} {steps} c_g[*] c_p[*] c_e[*]"""


def _sparta(exe, deck):
    """(stdout, CPU seconds) of SPARTA on the input ``deck``."""
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "ar.species").write_text(f"Ar 39.948 {MASS} 0 0 0 0 0 0 0\n")
        (d / "ar.vss").write_text(f"Ar {DIAMETER} 0.5 {TEMPERATURE} 1.0\n")
        (d / "in.deck").write_text(deck)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([exe, "-in", "in.deck"], cwd=d, capture_output=True, text=True,
                           timeout=3600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"SPARTA failed: {r.stdout[-2000:]} {r.stderr[-2000:]}")
    return r.stdout, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def run_sparta(exe, n, steps, config, every):
    fnum = DENSITY * SIDE ** 3 / n
    walls = WALLS.format(T=TEMPERATURE) if config != "plain" else ""
    sampling = SAMPLING.format(every=every, count=steps // every, steps=steps) \
        if config != "plain" else ""
    fmt = dict(bound="s" if config != "plain" else "p", L=SIDE, cells=CELLS, T=TEMPERATURE,
               n=DENSITY, fnum=fnum, walls=walls, N=n, dt=DT, warm=WARM)
    # the timed steps' CPU time: the run with them less the same run without (set-up and
    # warm-up cancel)
    out, cpu_all = _sparta(exe, SPARTA_INPUT.format(
        timed=TIMED.format(sampling=sampling, steps=steps), **fmt))
    _, cpu_setup = _sparta(exe, SPARTA_INPUT.format(timed="", **fmt))
    cpu = cpu_all - cpu_setup
    loops = re.findall(r"Loop time of ([0-9.eE+-]+) on 1 procs for (\d+) steps", out)
    # the collisions of the timed run: the last run's summary, "Collide occurs = N"
    occurs = re.findall(r"Collide occurs\s*=\s*(\d+)", out)
    per_step = int(occurs[-1]) / steps
    return {"code": "sparta", "config": config, "every": every, "particles": n,
            "steps": steps, "seconds": float(loops[-1][0]), "cpu_seconds": cpu,
            "collisions_per_step": per_step, "collisions_per_cpu_s": per_step * steps / cpu,
            "load_average": os.getloadavg()[0]}


def run_pmc(n, steps, config, every):
    numba.set_num_threads(1)
    rng = np.random.default_rng(1)
    kt = TEMPERATURE * pmc.units.K
    markers = pmc.Markers(x=rng.uniform(0.0, SIDE, (n, 3)),
                          p=np.sqrt(MASS * kt) * rng.standard_normal((n, 3)),
                          w=np.full(n, DENSITY * SIDE ** 3 / n))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si")
    cells = pmc.Cells([0.0] * 3, [SIDE] * 3, CELLS)
    binary = pmc.collisions.Binary(pmc.collisions.HardSphere(DIAMETER))
    if config == "plain":
        sim = pmc.Simulation(H, markers, dt=DT, boundary=pmc.Periodic(0.0, SIDE),
                             collisions=[binary], cells=cells, seed=1)
    else:
        box = (pmc.Diffuse(0.0, SIDE, temperature=kt), pmc.Periodic(0.0, SIDE),
               pmc.Periodic(0.0, SIDE))
        sim = pmc.Simulation(H, markers, dt=DT, boundary=box, collisions=[binary],
                             cells=cells, seed=1, average=0.0, sample_every=every)
    sim.step(WARM)
    events = int(sim._collision_events[0])
    c0, t0 = time.process_time(), time.perf_counter()
    sim.step(steps)
    cpu = time.process_time() - c0
    seconds = time.perf_counter() - t0
    coll = int(sim._collision_events[0]) - events
    return {"code": "pmc", "config": config, "every": every, "particles": n, "steps": steps,
            "seconds": seconds, "cpu_seconds": cpu, "collisions_per_step": coll / steps,
            "collisions_per_cpu_s": coll / cpu, "load_average": os.getloadavg()[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="simulation particles (10^6)")
    ap.add_argument("--steps", type=int, default=100, help="timed steps per run (100)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="rounds over the configurations; the best rate of each is kept (2)")
    args = ap.parse_args(argv)
    exe = find_sparta()
    run_pmc(20_000, 10, "walls_sampling", 1)  # compile
    configs = [("plain", 1), ("walls_sampling", 1), ("walls_sampling", 10)]
    best = {}
    for _ in range(args.repeat):  # rounds: a burst of load spoils one run, not the best
        for config, every in configs:
            rows = [run_sparta(exe, args.n, args.steps, config, every)] if exe else []
            rows.append(run_pmc(args.n, args.steps, config, every))
            for row in rows:
                print(json.dumps(row), flush=True)
                key = (row["code"], config, every)
                best[key] = max(best.get(key, 0.0), row["collisions_per_cpu_s"])
    for config, every in configs:
        line = {"config": config, "every": every,
                "pmc_collisions_per_cpu_s": best[("pmc", config, every)],
                "pmc_over_plain": best[("pmc", config, every)] / best[("pmc", "plain", 1)]}
        if exe is not None:
            line.update(sparta_collisions_per_cpu_s=best[("sparta", config, every)],
                        sparta_over_plain=best[("sparta", config, every)]
                        / best[("sparta", "plain", 1)],
                        pmc_over_sparta=best[("pmc", config, every)]
                        / best[("sparta", config, every)])
        line["load_average"] = os.getloadavg()[0]
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
