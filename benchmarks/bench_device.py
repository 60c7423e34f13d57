"""Speed of the Si n+-n-n+ diode against GNU Archimedes on the same deck, per core.

Prints one JSON line per measurement (nothing is asserted):

* ``"kind": "pmc"``: the diode of ``validation/si_diode.py`` (1 um, 5e17 / 2e15 cm^-3, ohmic
  contacts, 1 V, 300 K, dt = 1.5 fs, acoustic and intervalley phonons, Poisson on 201 nodes)
  with ``--markers`` markers (default 5.4e5, Archimedes' count in its example), stepped by
  ``Simulation.step`` on one numba thread after a warm-up; ``rate_wall`` = marker-steps per
  second of wall time, ``rate_cpu`` = per second of the process's CPU time (what one core
  delivers; robust to other processes on the machine), and the split of one step into push,
  collisions and field (deposit, solve, kick) from a profile of the same steps.
* ``"kind": "pmc_2d"``: Archimedes' deck itself in pmc (``validation/si_diode_2d.py``'s
  ``build``: 1 um x 0.1 um, Poisson on Archimedes' 101 x 26 nodes with Dirichlet contact faces
  and Neumann insulating sides, ohmic contacts over the full width, 1 V, the same acoustic and
  intervalley phonons, dt = 1.5 fs, ``--markers`` markers), timed as above; its split of a
  step into push, contacts, collisions, deposit, solve (the sparse solve and E = -grad phi)
  and kick (the two half kicks), in CPU ms per step and ns per marker-step.
* ``"kind": "archimedes"``: Archimedes' own ``examples/DIODE/diode.input`` (2D, 100 x 25
  mesh, its physics: acoustic and optical phonons, ohmic contacts, 1 V) run with the binary
  ``--archimedes`` (built from github.com/jmarini/archimedes-nitrides by
  ``gcc -std=c11 -O3 -fms-extensions -Isrc src/*.c -lm``) for two numbers of steps; the
  difference of the two runs removes its start-up (scattering tables, initial particles).
  Rates as for pmc, the CPU time from the child's rusage; particles = the mean of its
  "Actual number of electron super-particles" lines.
* ``"kind": "ratio"``: pmc / Archimedes per core (CPU-time rates) and against the target 3:
  the 1-D diode, and (``"deck": "2d"``) the 2-D deck, per repeat; ``--repeats`` interleaves
  the runs (Archimedes, pmc 2-D, pmc 1-D, then again).

Every line carries ``loadavg_1min``: with other processes on the machine, wall-time rates
understate both codes; compare the CPU-time rates, measured side by side in this script.
Usage: ``python benchmarks/bench_device.py --archimedes /tmp/archimedes/archimedes``.
"""
import argparse
import cProfile
import json
import os
import pathlib
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import pmc
from pmc.devices import Doping, DopedEquilibrium, drift_diffusion
from pmc.units import K, e, epsilon_0, hbar

LENGTH = 1.0e-6
DOPING = Doping([(0.0, 0.3e-6, 5e23), (0.3e-6, 0.7e-6, 2e21), (0.7e-6, 1.0e-6, 5e23)])
NODES = 201
DT = 1.5e-15
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _emit(**kw):
    kw["loadavg_1min"] = os.getloadavg()[0]
    print(json.dumps(kw), flush=True)


def pmc_diode(n, bias=1.0, seed=1):
    T = 300 * K
    mat = pmc.materials.get("Si", temperature=T)
    band = mat.single_valley()
    H = pmc.Hamiltonian(band, hbar=hbar)
    eq = drift_diffusion(DOPING, mobility=0.1, temperature=T, permittivity=11.7 * epsilon_0,
                         nodes=NODES)
    markers = pmc.sample(DopedEquilibrium(DOPING, band, T, profile=(eq.x, eq.density)), n,
                         seed=seed)
    left, right = DOPING.contacts(T, weight=DOPING.total() / n, cell=LENGTH / (NODES - 1))
    nodes = np.linspace(0.0, LENGTH, NODES)
    boxes = np.concatenate([[0.0], 0.5 * (nodes[1:] + nodes[:-1]), [LENGTH]])
    field = pmc.fields.Poisson(0.0, LENGTH, NODES, boundary="dirichlet", charge=-e,
                               permittivity=11.7 * epsilon_0,
                               background=e * DOPING.cell_average(boxes), voltages=(0.0, bias))
    return pmc.Simulation(H, markers, dt=DT,
                          boundary=pmc.Injecting(0.0, LENGTH, left=left, right=right, charge=-e),
                          fields=[field], collisions=mat.collisions(),
                          cells=pmc.Cells((0.0,), (LENGTH,), (1,)), seed=seed)


def time_pmc(n, steps, half_pushes=False):
    with pmc.threads.limited(numba_threads=1):
        sim = pmc_diode(n)
        # composed pushes (one push of dt between collisions; contact streams keyed from
        # rng.COMPOSED_PUSH) are the default; --half-pushes also times two half pushes
        sim._compose_pushes = not half_pushes
        sim.step(3)  # compile and warm
        n0, w0, c0 = sim.markers.n, time.perf_counter(), time.process_time()
        sim.step(steps)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        work = steps * 0.5 * (n0 + sim.markers.n)
        prof = cProfile.Profile()
        prof.enable()
        sim.step(max(steps // 2, 2))
        prof.disable()
    stats = pstats.Stats(prof)
    split = {}
    for (fname, _, func), row in stats.stats.items():
        for key, where in (("push", ("streaming.py", "_push")),
                           ("collisions", ("simulation.py", "_collide")),
                           ("field_update", ("simulation.py", "_update_fields")),
                           ("field_kick", ("simulation.py", "_kick_fields")),
                           ("contacts", ("streaming.py", "_inject_step"))):
            if fname.endswith(where[0]) and func == where[1]:
                split[key] = split.get(key, 0.0) + row[3]
    total = sum(split.values()) or 1.0
    _emit(kind="pmc", markers=int(n), steps=steps, half_pushes=half_pushes,
          rate_wall=work / wall, rate_cpu=work / cpu,
          busy_cores=cpu / wall, split_seconds=split,
          split_fraction={k: v / total for k, v in split.items()})
    return work / cpu


#: the split of a 2-D step: (name, file, function) of the profile rows summed into it
SPLIT_2D = (("push", "streaming.py", "_push"), ("contacts", "streaming.py", "_inject_step"),
            ("collisions", "simulation.py", "_collide"), ("deposit", "fields.py", "deposit"),
            ("solve", "fields.py", "solve"), ("solve", "fields.py", "electric_field"),
            ("kick", "fields.py", "kick"))


def time_pmc_2d(n, steps):
    """pmc on Archimedes' 2-D deck: (CPU rate, the emitted record)."""
    sys.path.insert(0, str(ROOT / "validation"))
    import si_diode_2d as deck
    with pmc.threads.limited(numba_threads=1):
        sim = deck.build(n, 1.0, seed=1)
        sim.step(3)  # compile and warm
        n0, w0, c0 = sim.markers.n, time.perf_counter(), time.process_time()
        sim.step(steps)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        work = steps * 0.5 * (n0 + sim.markers.n)
        prof = cProfile.Profile(time.process_time)  # CPU time, as the rates
        k = max(steps // 2, 2)
        m0 = sim.markers.n
        c1 = time.process_time()
        prof.enable()
        sim.step(k)
        prof.disable()
        cpu_prof = time.process_time() - c1
        per = k * 0.5 * (m0 + sim.markers.n) / k  # markers per profiled step
    split = {}
    for (fname, _, func), row in pstats.Stats(prof).stats.items():
        for key, where, name in SPLIT_2D:
            if fname.endswith(where) and func == name:
                split[key] = split.get(key, 0.0) + row[3]
    step_ms = {key: 1e3 * v / k for key, v in split.items()}
    step_ms["other"] = max(1e3 * cpu_prof / k - sum(step_ms.values()), 0.0)
    _emit(kind="pmc_2d", markers=int(n), steps=steps, mesh=list(deck.NODES),
          rate_wall=work / wall, rate_cpu=work / cpu, busy_cores=cpu / wall,
          split_ms_per_step=step_ms,
          split_ns_per_marker_step={key: 1e6 * v / per for key, v in step_ms.items()})
    return work / cpu


def _archimedes_run(binary, deck, steps):
    src = pathlib.Path(deck).read_text()
    src = re.sub(r"FINALTIME\s+\S+", f"FINALTIME {steps * DT:.6e}", src)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "diode.input"
        path.write_text(src)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        out = subprocess.run([str(binary), "diode.input"], cwd=tmp, capture_output=True,
                             text=True, check=True).stdout
        wall = time.perf_counter() - w0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    counts = [int(m) for m in re.findall(r"Actual number of electron super-particles = (\d+)",
                                         out)]
    return wall, cpu, counts


def time_archimedes(binary, deck, steps):
    short = max(steps // 4, 2)
    w1, c1, n1 = _archimedes_run(binary, deck, short)
    w2, c2, n2 = _archimedes_run(binary, deck, steps)
    particles = float(np.mean(n2)) if n2 else float("nan")
    work = (len(n2) - len(n1)) * particles if n2 else float("nan")
    _emit(kind="archimedes", particles=particles, steps=len(n2) - len(n1),
          rate_wall=work / (w2 - w1), rate_cpu=work / (c2 - c1),
          startup_cpu_seconds=c1 - (c2 - c1) * len(n1) / max(len(n2) - len(n1), 1))
    return work / (c2 - c1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markers", type=float, default=5.4e5)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--archimedes", default=shutil.which("archimedes"),
                    help="the Archimedes binary (default: on PATH)")
    ap.add_argument("--deck", default=None,
                    help="its diode deck (default: examples/DIODE/diode.input beside the binary)")
    ap.add_argument("--half-pushes", action="store_true",
                    help="also time pmc with two half pushes per step (composition off)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="interleaved repeats of Archimedes, pmc 2-D and pmc 1-D")
    ap.add_argument("--no-1d", action="store_true", help="time the 2-D deck only")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    for repeat in range(args.repeats):
        rate_a = None
        if args.archimedes:
            deck = args.deck or (pathlib.Path(args.archimedes).resolve().parent / "examples"
                                 / "DIODE" / "diode.input")
            rate_a = time_archimedes(args.archimedes, deck, args.steps)
        rate_2 = time_pmc_2d(int(args.markers), args.steps)
        if rate_a:
            _emit(kind="ratio", deck="2d", repeat=repeat, pmc_over_archimedes=rate_2 / rate_a,
                  target=3.0, holds=rate_2 / rate_a >= 3.0)
        if args.no_1d:
            continue
        if args.half_pushes:
            rate_h = time_pmc(int(args.markers), args.steps, half_pushes=True)
            if rate_a:
                _emit(kind="ratio_half_pushes", pmc_over_archimedes=rate_h / rate_a)
        rate_p = time_pmc(int(args.markers), args.steps)
        if rate_a:
            _emit(kind="ratio", deck="1d", repeat=repeat, pmc_over_archimedes=rate_p / rate_a,
                  target=3.0, holds=rate_p / rate_a >= 3.0)
    _emit(kind="done", seconds=time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
