"""pmc beside nano-archimedes on nano-archimedes' own example (issue 19, item 5), CPU time per
particle-step on one core, the runs interleaved.

The example (validation case 70, ``validation/wigner_nano_archimedes.py``): GaAs m* = 0.067, a
+0.3 eV barrier on [97, 103] nm of a [0, 200] nm box, a Gaussian packet (|psi|^2 std 7.0711 nm
at 68.5 nm, k0 = 0.376991 / nm), 0.01 fs steps, coherence length 50 nm. nano-archimedes is
built here from its source (``--nano-source``: the ``src-1D-ballistic`` folder of
github:borisov-r/nano-archimedes) with ``gcc -Ofast``, twice: as published but for the number
of steps (its ``ITMAX``), and with its per-step output files (``save(i)``) left out, so that
only its computation is timed. pmc runs case 70's full-size deck (annihilation settings,
budget) from ``--markers`` initial markers on one thread (sampling and set-up included,
compilation not). Each side's rate is particle-steps (markers at each step, summed over the
steps) per CPU second (user + system: ``resource.getrusage`` of the child for nano-archimedes,
``time.process_time`` for pmc). The runs alternate ``--repeats`` times; the machine's load is
printed with them. ::

    python benchmarks/bench_wigner_nano.py --nano-source DIR [--steps 400] [--markers 1000000]
        [--repeats 2] [--no-published]
"""
import argparse
import importlib.util
import math
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

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "validation" /
                                                  f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_nano(source, steps, outdir, save):
    """Compile nano-archimedes with ``steps`` time steps (and without its per-step output files
    unless ``save``) into ``outdir``; returns the executable's path."""
    source = pathlib.Path(source)
    build = pathlib.Path(outdir) / ("save" if save else "nosave")
    build.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        if f.suffix in (".c", ".h"):
            (build / f.name).write_text(f.read_text())
    main = (build / "nano-archimedes.c").read_text()
    main, k = re.subn(r"ITMAX=\d+;", f"ITMAX={int(steps)};", main)
    if k != 1:
        raise ValueError(f"nano-source: no 'ITMAX=...;' in {source / 'nano-archimedes.c'}")
    if not save:
        main, k = re.subn(r"\n\s*save\(i\);", "\n", main)
        if k != 1:
            raise ValueError("nano-source: no per-step 'save(i);' in nano-archimedes.c")
    (build / "nano-archimedes.c").write_text(main)
    exe = build / "na"
    subprocess.run(["gcc", "-Ofast", "-o", str(exe), str(build / "nano-archimedes.c"), "-lm"],
                   check=True, cwd=build)
    return exe


def run_nano(exe, workdir):
    """(particle-steps, CPU seconds) of one run of ``exe`` in ``workdir``: the particles at the
    start of each step (its log's first 'INUM = a -- particles created = b' line of a step:
    a - b), summed."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([str(exe)], cwd=workdir, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    steps = 0
    first = True
    for line in out.stdout.splitlines():
        if " of " in line and "TIME=" in line:
            first = True
        m = re.match(r"INUM = (\d+) -- particles created = (\d+)", line)
        if m and first:
            steps += int(m.group(1)) - int(m.group(2))
            first = False
    return steps, cpu


def run_pmc(n, steps, seed):
    """(marker-steps, CPU seconds, markers at the end) of case 70's full-size deck from ``n``
    markers over ``steps`` steps on the calling thread's numba threads."""
    case = _load("wigner_nano_archimedes")
    wc = case.wc
    c = case.parameters(False)
    nm, fs, eV = wc.nm, wc.fs, wc.eV
    hb = pmc.units.hbar
    cpu0 = time.process_time()
    # the deck of validation/wigner_nano_archimedes.py's run()
    Uf = wc.rectangular_barrier(0.3 * eV, 97 * nm, 103 * nm)
    H0 = pmc.Hamiltonian(pmc.bands.Parabolic(mass=0.067 * pmc.units.m_e), pmc.potentials.Zero(),
                         hbar=hb)
    psi0 = pmc.states.GaussianWavepacket(x0=68.5 * nm, p0=hb * 0.376991 / nm,
                                         sigma_x=7.0711 * nm, hbar=hb)
    wp = pmc.collisions.WignerPotential(
        Uf, 0.0, 200 * nm, q_max=hb * c["k_max"] / nm, coherence_length=c["coherence"] * nm,
        budget=c["budget"], every=c["every"], p_max=hb * c["p_domain"] / nm,
        annihilation_dx=(c["a_dx"] * math.pi / (2 * c["k_max"]) * nm if c["a_dx"] else None))
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(0, 200 * nm, 3),
                                                   p=np.linspace(-1e-24, 1e-24, 3)))
    mk = wc.signed_markers(psi0, n, seed=np.random.SeedSequence(70, spawn_key=(seed,)))
    sim = pmc.Simulation(H0, mk, dt=0.01 * fs, boundary=pmc.Absorbing(0.0, 200 * nm),
                         collisions=[wp], cells=cells, seed=seed)
    op = sim.operators[0]
    counted = [0]
    collide = op.collide

    def counting(markers, dt, seed, step):  # the markers of each step (after its half push)
        counted[0] += markers.n
        return collide(markers, dt, seed, step)

    op.collide = counting
    sim.step(steps)
    return counted[0], time.process_time() - cpu0, sim.markers.n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nano-source", required=True,
                    help="nano-archimedes' src-1D-ballistic folder")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--markers", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-published", action="store_true",
                    help="time only the build without output files")
    a = ap.parse_args()
    numba.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        exes = {"nano (output off)": build_nano(a.nano_source, a.steps, tmp, save=False)}
        if not a.no_published:
            exes["nano (as published)"] = build_nano(a.nano_source, a.steps, tmp, save=True)
        run_pmc(20_000, 20, 0)  # compile
        rows = {name: [] for name in ("pmc", *exes)}
        for r in range(a.repeats):
            for name, exe in exes.items():
                steps, cpu = run_nano(exe, pathlib.Path(tmp) / f"run{r}")
                rows[name].append((steps, cpu, os.getloadavg()[0]))
                print(f"{name:22s} {steps:.4g} particle-steps in {cpu:7.2f} CPU s: "
                      f"{steps / cpu:.3g} /s  (load {os.getloadavg()[0]:.1f})", flush=True)
            steps, cpu, n_end = run_pmc(a.markers, a.steps, r)
            rows["pmc"].append((steps, cpu, os.getloadavg()[0]))
            print(f"{'pmc':22s} {steps:.4g} marker-steps   in {cpu:7.2f} CPU s: "
                  f"{steps / cpu:.3g} /s  ({n_end} markers at the end; load "
                  f"{os.getloadavg()[0]:.1f})", flush=True)
    rate = {k: sum(s for s, _, _ in v) / sum(c for _, c, _ in v) for k, v in rows.items()}
    for k in exes:
        print(f"pmc / {k}: {rate['pmc'] / rate[k]:.2f} per CPU second "
              f"({a.threads} pmc thread(s), {a.steps} steps, {a.repeats} repeats)")


if __name__ == "__main__":
    main()
