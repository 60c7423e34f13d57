"""Speed of the push through the path users call, against the fastest C loop and the roofline.

Prints one JSON line per measurement (nothing is asserted):

* ``"kind": "triad"``: the machine's memory bandwidth, a STREAM-like triad in C
  (``triad.c``: a[i] = b[i] + s c[i] over three arrays of ``--triad-n`` doubles, OpenMP, best of 5,
  24 bytes per element as STREAM counts them) on 1 and 2 threads, and from it the memory roofline
  of a push that streams the markers through memory once per step.
* ``"kind": "push"``: one per (case, pmc variant, threads). pmc is timed as a user calls it:
  ``sim.run(t_end, save_every, progress=False)`` of a ``pmc.Simulation(H, markers, dt,
  boundary=pmc.Periodic(lo, hi))`` with no grid (scalars recorded every frame), the whole call
  (frames included: what the user waits for; a run also records the frame it starts from, so
  ``--steps`` is a few frame intervals); and ``sim.step(k)``. Variants: ``run`` with
  ``save_every`` = ``--save-every`` steps and ``run`` with one step (a frame per step), ``step``
  (``sim.step(k)``, k = ``--save-every``). The C loops of ``push_ref.c`` (``gcc -O3 -march=native
  -ffast-math -fopenmp``, libmvec's vector exp) do the same work: the same steps per call
  (``steps_per_call``), each in three variants, ``pass`` (one vectorised pass over the markers
  per step), ``fused`` (steps in registers per marker, not vectorised) and ``block`` (sub-blocks of
  256 markers in L1, steps outer, markers inner, vectorised: the layout of pmc's push_blocks),
  each built twice: at gcc's default vector width for the host and, suffix ``512``, with
  ``-mprefer-vector-width=512`` (pmc's kernels vectorise 512 bits wide on AVX-512 hosts);
  ``c_best`` is the fastest of the six in the same run and thread count, ``ratio`` = pmc rate /
  c_best rate. ``pmc_kernel_rate`` / ``kernel_ratio``: the push kernel pmc's ``Streamer`` picks,
  called directly on the simulation's arrays with the same steps per call (what the driver and the
  frames add is the difference). ``max_abs_diff_vs_pmc``: largest |difference| of x and p
  between pmc and each C variant after ``--steps`` steps of 1000 markers (a check that they
  compute the same thing; the C loops reassociate and use a different exp, so it is small, not
  zero).
* ``"kind": "target"``: one per target of issue 15 (name, value, target, holds).
* ``"kind": "model"``: every potential model pmc has (each analytic term, the table, sums, time
  modulations, 2-D and 3-D terms) and every band with the Gaussian barrier, through ``run`` (a
  frame every ``--save-every`` steps) at ``--models-n`` markers: marker-steps/s on 1 and 2
  threads, CPU ns per marker-step, and the ratio to free flight of the same (dx, dp). No C loop
  exists for most of them: free flight is the reference (skipped with ``--case``).
* ``"kind": "small"``: the small-run table: per-step cost [us] of ``Simulation.step(1)`` and
  ``step(k)`` at 1e3, 1e4, 1e5 markers; ``reference_us_per_step``: the same kernels in the same
  sequence (``StepReference``: half push, collide, half push, the halves between steps composed)
  called from plain Python on a copy of the markers, timed next to the step, and
  ``fixed_cost_us_per_step`` = step - reference (issue 15's overhead: Python, argument encoding,
  allocations, thread-count switches); ``kernels_alone_us_per_step``: each kernel timed warm in
  its own loop (the push kernel ``pmc._kernels.push.push_blocks[_serial]`` /
  ``push_free[_serial]``, chosen as pmc chooses it, and for collisions the kernels of the
  collision step), and ``over_kernels_alone_us_per_step`` = step - that (which also counts the
  kernels of a step evicting each other's data from the caches); with a collision mechanism,
  the collision step (``operator.collide``), its overhead over its kernels, and its ratio to
  the push kernel of one step.

Every push line carries ``busy_cores_*`` (process CPU time / wall time of the best run: about 2
for a 2-thread run that had both cores; less means other processes took them and the figure
understates the code) and ``loadavg_1min`` when it was measured.

Physics (every case): m = 1, hbar = 1, dt = 0.01, periodic box [-40, 40), x uniform in the box, p
standard normal, leapfrog. Cases: free flight; uniform field F = 0.1; harmonic omega = 0.05
(k = 0.0025); the Gaussian barrier of height 1 and width 2 at 0 (analytic); the same barrier as a
4096-point ``pmc.potentials.Gridded`` table (cubic per cell); 1D3V markers in a Kane band
(alpha = 0.5) with the gridded and with the analytic barrier.

Memory roofline and "memory-bound". A pass over the markers reads and writes x and p_x: 32 bytes
per marker for 1D1V with a force, 24 for free flight (p is only read), 48 for 1D3V (x, p_x, p_y,
p_z read, x and p_x written); write-allocate traffic and the frames' reads are not counted (the
triad is counted the same way). A call of k steps crosses memory once (pmc and the C ``fused`` and
``block`` variants keep a block in cache for the k steps; the C ``pass`` variant crosses it k
times), so ``bytes_per_marker_step`` = bytes per pass / ``steps_per_call`` and ``roofline_rate`` =
triad bandwidth (same threads) / that. A case is memory-bound when its 1-thread pmc rate x
``bytes_per_marker_step`` >= 0.8 x the 1-thread triad bandwidth; the 2-thread speed-up target
applies only where it is not.

Times are the best of ``--repeat`` runs after a warm-up on 20000 markers (compilation
excluded); pmc and C runs and the thread counts are interleaved, so that a burst of load hits them
alike. Two kinds of run are timed once per (case, threads) instead, being slow and of little
consequence to the targets: the frame-per-step ``run`` (5 steps; at 10^7 markers its frames, not
its push, take the time) and the C ``fused`` variant (one call; not vectorised, never the fastest
with a force). A last ``"kind": "done"`` line gives the wall time of the whole script.

Usage::

    python benchmarks/bench_push.py            # n = 10^7 (about 10-15 minutes on 2 quiet cores)
    python benchmarks/bench_push.py --quick    # n = 10^5 (under a minute)
    python benchmarks/bench_push.py --case gaussian_1d1v --n 1000000 --repeat 5 --no-small
    python benchmarks/bench_push.py --models-only --model eckart   # one model (+ free flight)
"""
import argparse
import ctypes
import json
import os
import pathlib
import subprocess
import sys
import time

# libgomp (shared by numba's omp threading layer and the C loops) must not keep idle threads
# spinning on the two cores while the other implementation is being timed. The small-run table
# (--small-only; a full run starts it as a child process) times pmc alone, as users run it: with
# the caller's own policy, libgomp's default where none is set (its thread wake-ups are part of
# a small step's cost).
USER_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY")
if "--small-only" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

import pmc  # noqa: E402
from pmc._kernels import BLOCK  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
BUILD = HERE / "_build"
CFLAGS = ["-O3", "-march=native", "-ffast-math", "-fopenmp", "-shared", "-fPIC"]
TRIAD_CFLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]

LO, HI = -40.0, 40.0
DT = 0.01
HEIGHT, WIDTH, CENTER = 1.0, 2.0, 0.0
FIELD = 0.1
OMEGA = 0.05
MASS, HBAR, ALPHA = 1.0, 1.0, 0.5
NGRID = 4096
RATE = 10.0  # ElasticIsotropic [1/s]: rate dt = 0.1
SEED = 20240611

# name: (potential, band, dp, C prefix)
CASES = {
    "free_1d1v": (None, "parabolic", 1, "free"),
    "uniform_1d1v": ("uniform", "parabolic", 1, "uniform"),
    "harmonic_1d1v": ("harmonic", "parabolic", 1, "harmonic"),
    "gaussian_1d1v": ("gaussian", "parabolic", 1, "gauss"),
    "gridded_1d1v": ("gridded", "parabolic", 1, "grid"),
    "kane_gridded_1d3v": ("gridded", "kane", 3, "kane_grid"),
    "kane_gaussian_1d3v": ("gaussian", "kane", 3, "kane_gauss"),
}
#: The C loops of push_ref.c, each built twice: gcc's default vector width for the host (256 bits on
#: most AVX-512 CPUs) and, suffix "512", with -mprefer-vector-width=512 (pmc's kernels vectorise 512
#: bits wide where the host has AVX-512: the C baseline gets the same choice). The fastest is the
#: baseline.
C_VARIANTS = ("pass", "fused", "block", "pass512", "fused512", "block512")
WIDE = "512"

# issue 15's targets: (name, case, what is compared, threshold)
TARGETS = (
    ("gaussian_vs_c", "gaussian_1d1v", "c", 0.75),
    ("gridded_vs_c", "gridded_1d1v", "c", 0.8),
    ("uniform_vs_free_flight", "uniform_1d1v", "free", 0.8),
    ("harmonic_vs_free_flight", "harmonic_1d1v", "free", 0.8),
    ("kane_gridded_1d3v_vs_c", "kane_gridded_1d3v", "c", 0.5),
    ("kane_gaussian_1d3v_vs_c", "kane_gaussian_1d3v", "c", 0.5),
)
SPEEDUP_TARGET = 1.8
MEMORY_BOUND = 0.8  # of the 1-thread triad bandwidth
OVERHEAD_TARGET_US = 10.0  # per step, no collisions
OVERHEAD_PER_MECHANISM_US = 30.0
COLLIDE_VS_PUSH_TARGET = 3.0  # ElasticIsotropic at 1e4 markers


def loadavg():
    return round(os.getloadavg()[0], 2)


# ----------------------------------------------------------------------------- the physics
def potential(kind):
    if kind is None:
        return None
    if kind == "uniform":
        return pmc.potentials.UniformField(F=FIELD)
    if kind == "harmonic":
        return pmc.potentials.Harmonic(omega=OMEGA, mass=MASS, center=CENTER)
    barrier = pmc.potentials.GaussianBarrier(height=HEIGHT, width=WIDTH, center=CENTER)
    if kind == "gaussian":
        return barrier
    xg = np.linspace(LO, HI, NGRID)
    return pmc.potentials.Gridded(xg, barrier.potential(xg))


def hamiltonian(case):
    pot, band, _, _ = CASES[case]
    disp = pmc.bands.Parabolic(MASS) if band == "parabolic" else pmc.bands.Kane(MASS, ALPHA)
    return pmc.Hamiltonian(disp, potential(pot), hbar=HBAR)


def initial(dp, n, seed=SEED):
    """(x (1, n), p (dp, n)) C-contiguous: x uniform in the box, p standard normal."""
    rng = np.random.default_rng(seed)
    return rng.uniform(LO, HI, size=(1, n)), rng.standard_normal(size=(dp, n))


def bytes_per_pass(case):
    """Bytes a pass over memory moves per marker (see the module docstring)."""
    pot, _, dp, _ = CASES[case]
    if pot is None:
        return 24
    return 16 + 8 * (dp + 1)


# ----------------------------------------------------------------------------- pmc
class PmcRunner:
    """A ``pmc.Simulation`` of the case, timed through ``run`` or ``step``."""

    def __init__(self, case, x, p):
        self.sim = pmc.Simulation(hamiltonian(case), markers(x, p), dt=DT,
                                  boundary=pmc.Periodic(LO, HI))

    def run(self, variant, steps, per_call):
        sim = self.sim
        if variant == "step":
            for _ in range(steps // per_call):
                sim.step(per_call)
        else:
            sim.run(sim.time + steps * DT, per_call * DT, progress=False)

    def state(self):
        return self.sim.markers.positions.T, self.sim.markers.momenta.T  # (d, n), as the references


def markers(x, p):
    return pmc.Markers.from_components(x.copy(), p.copy(), np.full(x.shape[1], 1.0))


def set_threads(so, k):
    numba.set_num_threads(k)
    so.set_threads(k)


# ----------------------------------------------------------------------------- C
class _Band(ctypes.Structure):
    _fields_ = [("mass", ctypes.c_double), ("alpha", ctypes.c_double)]


class _Uniform(ctypes.Structure):
    _fields_ = [("f0", ctypes.c_double)]


class _Harmonic(ctypes.Structure):
    _fields_ = [("k", ctypes.c_double), ("center", ctypes.c_double)]


class _Gauss(ctypes.Structure):
    _fields_ = [("height", ctypes.c_double), ("inv_w", ctypes.c_double),
                ("center", ctypes.c_double)]


class _Grid(ctypes.Structure):
    _fields_ = [("x0", ctypes.c_double), ("inv_h", ctypes.c_double), ("ncell", ctypes.c_long),
                ("c", ctypes.c_void_p)]


def compile_c(name, flags, tag=""):
    """Compile ``name``.c into _build/``name````tag``.so (again only when the source changed);
    load it."""
    BUILD.mkdir(exist_ok=True)
    source = HERE / f"{name}.c"
    lib = BUILD / f"{name}{tag}.so"
    if not lib.exists() or lib.stat().st_mtime < source.stat().st_mtime:
        subprocess.run(["gcc", *flags, str(source), "-o", str(lib), "-lm"], check=True)
    return ctypes.CDLL(str(lib))


class _CLoops:
    """The two builds of push_ref.c: ``<prefix>_<variant>`` from the default build,
    ``<prefix>_<variant>512`` from the 512-bit one; set_threads sets both."""

    def __init__(self, narrow, wide):
        self.narrow, self.wide = narrow, wide

    def __getattr__(self, name):
        if name.endswith(WIDE):
            return getattr(self.wide, name[:-len(WIDE)])
        return getattr(self.narrow, name)

    def set_threads(self, k):
        self.narrow.set_threads(k)
        self.wide.set_threads(k)


def build_c():
    libs = (compile_c("push_ref", CFLAGS),
            compile_c("push_ref", CFLAGS[:2] + ["-mprefer-vector-width=512"] + CFLAGS[2:],
                      "_w512"))
    dbl, ptr = ctypes.c_double, ctypes.c_void_p
    for lib in libs:
        for prefix in {c[3] for c in CASES.values()}:
            for v in C_VARIANTS[:3]:
                fn = getattr(lib, f"{prefix}_{v}")
                fn.restype = None
                fn.argtypes = [ptr, ptr, ctypes.c_long, ctypes.c_int, dbl, ptr, dbl, dbl, ptr]
        lib.set_threads.argtypes = [ctypes.c_int]
        lib.set_threads.restype = None
    return _CLoops(*libs)


class CRunner:
    def __init__(self, so, case, x, p):
        pot, band, _, prefix = CASES[case]
        self.x, self.p = x.copy(), p.copy()
        self.n = x.shape[1]
        self.band = _Band(MASS, ALPHA if band == "kane" else 0.0)
        if pot is None:
            self.prm = _Uniform(0.0)  # not read
        elif pot == "uniform":
            self.prm = _Uniform(FIELD)
        elif pot == "harmonic":
            self.prm = _Harmonic(MASS * OMEGA ** 2, CENTER)
        elif pot == "gaussian":
            self.prm = _Gauss(HEIGHT, 1.0 / WIDTH, CENTER)
        else:
            _, prm = potential("gridded").encode()
            x0, inv_h, ncell = prm[0], prm[1], int(prm[2])
            self.coef = np.ascontiguousarray(prm[3:].reshape(ncell, 4))
            self.prm = _Grid(x0, inv_h, ncell, self.coef.ctypes.data)
        self.fn = {v: getattr(so, f"{prefix}_{v}") for v in C_VARIANTS}

    def run(self, variant, steps, per_call):
        fn = self.fn[variant]
        for _ in range(steps // per_call):
            fn(self.x.ctypes.data, self.p.ctypes.data, self.n, per_call, DT,
               ctypes.addressof(self.band), LO, HI, ctypes.addressof(self.prm))

    def state(self):
        return self.x, self.p


# ----------------------------------------------------------------------------- timing
def timed(fn):
    """(wall seconds, process CPU seconds / wall seconds) of fn()."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    wall = time.perf_counter() - t
    return wall, (time.process_time() - c) / wall


def agreement(so, case, steps):
    """Largest |difference| of x and p between pmc (``Simulation.step``) and each C variant
    after ``steps`` steps of 1000 markers (one call)."""
    x, p = initial(CASES[case][2], 1000, seed=1)
    ref = PmcRunner(case, x, p)
    ref.run("step", steps, steps)
    rx, rp = ref.state()
    out = {}
    for v in C_VARIANTS:
        c = CRunner(so, case, x, p)
        c.run(v, steps, steps)
        cx, cp = c.state()
        out[v] = float(max(np.max(np.abs(cx - rx)), np.max(np.abs(cp - rp))))
    return out


#: Steps of the frame-per-step run (each frame costs a pass over the markers and more) and of
#: the C ``fused`` variant per call: both are timed once per (case, threads), see the docstring.
FRAME_STEPS = 5
WARM_N = 20000  # markers of the warm-up runs: above the serial threshold of one step


def measure_case(so, case, n, steps, per_call, repeat, threads):
    """Best (marker-steps/s, busy cores) of every pmc variant and C variant on every thread
    count: {((who, variant, steps_per_call), threads): (rate, busy)}."""
    pmc_variants = [("run", per_call), ("run", 1), ("step", per_call)]
    c_calls = sorted({pc for _, pc in pmc_variants}, reverse=True)

    def jobs_for(n_markers):
        x, p = initial(CASES[case][2], n_markers)
        pmc_runner = PmcRunner(case, x, p)
        c_runner = CRunner(so, case, x, p)
        jobs = []  # (key, fn, steps, repeated)
        for v, pc in pmc_variants:
            s = steps if pc > 1 else min(steps, FRAME_STEPS)
            jobs.append((("pmc", v, pc), lambda v=v, pc=pc, s=s: pmc_runner.run(v, s, pc), s,
                         pc > 1))
        kernel = push_kernel(pmc_runner.sim)
        for pc in c_calls:
            jobs.append((("pmc", "kernel", pc),
                         lambda pc=pc: [kernel(pc, DT) for _ in range(steps // pc)], steps, True))
            for v in C_VARIANTS:
                fused = v.startswith("fused")
                s = pc if fused else steps
                jobs.append((("c", v, pc), lambda v=v, pc=pc, s=s: c_runner.run(v, s, pc), s,
                             not fused))
        return jobs

    set_threads(so, max(threads))
    for _, fn, _, _ in jobs_for(WARM_N):  # warm-up: compilation or the disk cache
        fn()
    jobs = jobs_for(n)
    best = {}
    for r in range(repeat):
        for k in threads:
            set_threads(so, k)
            for key, fn, s, repeated in jobs:
                if r > 0 and not repeated:
                    continue
                wall, busy = timed(fn)
                rate = n * s / wall
                if (key, k) not in best or rate > best[key, k][0]:
                    best[key, k] = (rate, busy)
    set_threads(so, max(threads))
    return best, pmc_variants


def run_case(so, case, n, steps, per_call, repeat, threads, triad_bw, free_rates):
    best, pmc_variants = measure_case(so, case, n, steps, per_call, repeat, threads)
    agree = agreement(so, case, steps)
    rate = {key: r for key, (r, _) in best.items()}
    lines = []
    for v, pc in pmc_variants:
        rate_1 = rate[("pmc", v, pc), 1]
        bpm = bytes_per_pass(case) / pc
        memory_bound = rate_1 * bpm >= MEMORY_BOUND * triad_bw[1] if triad_bw else None
        for k in threads:
            r = rate[("pmc", v, pc), k]
            c_rates = {cv: rate[("c", cv, pc), k] for cv in C_VARIANTS}
            c_best = max(c_rates, key=c_rates.get)
            top = max(threads)
            line = {
                "kind": "push", "case": case, "variant": v, "n": n,
                "steps": steps if pc > 1 else min(steps, FRAME_STEPS),
                "steps_per_call": pc, "save_every_steps": pc if v == "run" else None,
                "save_every": pc * DT if v == "run" else None,
                "threads": k,
                "pmc_rate": round(r),
                "c_best_rate": round(c_rates[c_best]), "c_best_variant": c_best,
                "ratio": round(r / c_rates[c_best], 3),
                "pmc_kernel_rate": round(rate[("pmc", "kernel", pc), k]),
                "kernel_ratio": round(rate[("pmc", "kernel", pc), k] / c_rates[c_best], 3),
                "c_rates": {cv: round(val) for cv, val in c_rates.items()},
                "speedup_pmc": round(rate[("pmc", v, pc), top] / rate_1, 3) if top > 1 else None,
                "speedup_c_best": (round(max(rate[("c", cv, pc), top] for cv in C_VARIANTS)
                                         / max(rate[("c", cv, pc), 1] for cv in C_VARIANTS), 3)
                                   if top > 1 else None),
                "bytes_per_marker_step": round(bpm, 2),
                "roofline_rate": round(triad_bw[k] / bpm) if triad_bw else None,
                "memory_bound_1_thread": memory_bound,
                "busy_cores_pmc": round(best[("pmc", v, pc), k][1], 2),
                "busy_cores_c": round(best[("c", c_best, pc), k][1], 2),
                "loadavg_1min": loadavg(),
                "max_abs_diff_vs_pmc": agree,
            }
            if case == "free_1d1v":
                free_rates[v, pc, k] = r
            elif (v, pc, k) in free_rates:
                line["ratio_vs_pmc_free_flight"] = round(r / free_rates[v, pc, k], 3)
            lines.append(line)
    return lines


def target_lines(lines, threads):
    """A line per target of issue 15, on the most threads, for every pmc variant."""
    top = max(threads)
    out = []
    by = {(ln["case"], ln["variant"], ln["steps_per_call"], ln["threads"]): ln for ln in lines}
    variants = sorted({(ln["variant"], ln["steps_per_call"]) for ln in lines},
                      key=lambda vp: (vp[0], -vp[1]))
    for v, pc in variants:
        for name, case, against, goal in TARGETS:
            ln = by.get((case, v, pc, top))
            if ln is None:
                continue
            value = ln["ratio"] if against == "c" else ln.get("ratio_vs_pmc_free_flight")
            if value is None:
                continue
            out.append({"kind": "target", "name": name, "variant": v, "steps_per_call": pc,
                        "value": value, "target": f">= {goal}", "holds": value >= goal})
        if top < 2:
            continue
        for case in CASES:
            ln = by.get((case, v, pc, top))
            if ln is None:
                continue
            bound = ln["memory_bound_1_thread"]
            out.append({"kind": "target", "name": f"speedup_{top}_threads_{case}", "variant": v,
                        "steps_per_call": pc, "value": ln["speedup_pmc"],
                        "target": f">= {SPEEDUP_TARGET} unless memory-bound",
                        "memory_bound_1_thread": bound,
                        # what the machine gave: C's own speed-up and the cores pmc had
                        "speedup_c_best": ln["speedup_c_best"],
                        "busy_cores_pmc": ln["busy_cores_pmc"],
                        "holds": None if bound else ln["speedup_pmc"] >= SPEEDUP_TARGET})
    return out


# ----------------------------------------------------------------------------- triad
def triad(n, threads, reps=5):
    so = compile_c("triad", TRIAD_CFLAGS)
    so.triad.restype = ctypes.c_double
    so.triad.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_int]
    bw = {k: so.triad(n, k, reps) for k in threads}
    if not all(bw.values()):
        return None
    line = {"kind": "triad", "n": n, "arrays": 3, "bytes_per_element": 24, "repeat": reps,
            **{f"bandwidth_GBps_{k}_thread{'s' if k > 1 else ''}": round(bw[k] / 1e9, 2)
               for k in threads},
            **{f"roofline_per_step_{b}B_{k}_thread{'s' if k > 1 else ''}": round(bw[k] / b)
               for b in (24, 32, 48) for k in threads},
            "loadavg_1min": loadavg()}
    return bw, line


# ----------------------------------------------------------------------------- every model
def _model_cases():
    """name: (dx, dp, potential, band) for every potential model pmc has, sums and time
    modulations, 2-D and 3-D terms and every band (the issue's "any Hamiltonian pmc can
    build"), all in the periodic box of the other cases."""
    P, B = pmc.potentials, pmc.bands
    barrier = P.GaussianBarrier(height=HEIGHT, width=WIDTH, center=CENTER)
    xg = np.linspace(LO, HI, NGRID)
    table = P.Gridded(xg, barrier.potential(xg))
    par = B.Parabolic(MASS)
    return {
        "free": (1, 1, None, par),
        "uniform": (1, 1, P.UniformField(F=FIELD), par),
        "harmonic": (1, 1, P.Harmonic(omega=OMEGA, mass=MASS, center=CENTER), par),
        "quartic": (1, 1, P.Quartic(a4=1e-5, a2=1e-3, center=CENTER), par),
        "gaussian": (1, 1, barrier, par),
        "eckart": (1, 1, P.Eckart(height=HEIGHT, width=WIDTH, center=CENTER), par),
        "step": (1, 1, P.Step(height=HEIGHT, width=WIDTH, center=CENTER), par),
        "periodic": (1, 1, P.Periodic(amplitude=HEIGHT, period=5.0), par),
        "gridded": (1, 1, table, par),
        "gaussian+uniform": (1, 1, barrier + P.UniformField(F=FIELD), par),
        "gridded+uniform": (1, 1, table + P.UniformField(F=FIELD), par),
        "gaussian*sinusoidal": (1, 1, barrier * P.Sinusoidal(amplitude=0.3,
                                                             angular_frequency=1.0), par),
        "gaussian*ramp": (1, 1, barrier * P.Ramp(duration=1.0), par),
        "free_2d": (2, 2, None, par),
        "harmonic_2d": (2, 2, P.Harmonic(omega=OMEGA, mass=MASS, center=[0.0, 0.0]), par),
        "gaussian_2d": (2, 2, barrier, par),
        "free_3d": (3, 3, None, par),
        "quartic_3d": (3, 3, P.Quartic(a4=1e-5, a2=1e-3, center=[0.0, 0.0, 0.0]), par),
        "free_1d3v": (1, 3, None, par),
        "gaussian_kane_1d3v": (1, 3, barrier, B.Kane(MASS, ALPHA)),
        "gaussian_linear_1d3v": (1, 3, barrier, B.Linear(speed=1.0)),
        "gaussian_tight_binding": (1, 1, barrier, B.TightBinding(hopping=1.0,
                                                                 lattice_constant=1.0)),
        "gaussian_relativistic_1d3v": (1, 3, barrier, B.Relativistic(mass=MASS,
                                                                     speed_of_light=3.0)),
    }


def model_lines(n, steps, per_call, repeat, threads, names=None):
    """One line per model case: marker-steps/s through ``run`` (a frame every ``per_call``
    steps) on each thread count, the process's CPU ns per marker-step, and the ratio to free
    flight of the same dimensions on the most threads."""
    out, free = [], {}
    for name, (dx, dp, pot, band) in _model_cases().items():
        if names and name not in names and not name.startswith("free"):
            continue
        rng = np.random.default_rng(SEED)
        x = rng.uniform(LO, HI, size=(dx, n))
        p = rng.standard_normal(size=(dp, n))
        H = pmc.Hamiltonian(band, pot, hbar=HBAR)
        sim = pmc.Simulation(H, markers(x, p), dt=DT,
                             boundary=pmc.Periodic([LO] * dx, [HI] * dx))
        sim.run(sim.time + per_call * DT, per_call * DT, progress=False)  # compile / cache
        line = {"kind": "model", "case": name, "dx": dx, "dp": dp, "n": n,
                "band": type(band).__name__, "steps": steps, "save_every_steps": per_call}
        for k in threads:
            numba.set_num_threads(k)
            best_wall, best_cpu = np.inf, np.inf
            for _ in range(repeat):
                w0, c0 = time.perf_counter(), time.process_time()
                sim.run(sim.time + steps * DT, per_call * DT, progress=False)
                best_wall = min(best_wall, time.perf_counter() - w0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            line[f"rate_{k}_thread{'s' if k > 1 else ''}"] = round(n * steps / best_wall)
            line[f"cpu_ns_per_marker_step_{k}"] = round(best_cpu / (n * steps) * 1e9, 3)
        top = f"rate_{max(threads)}_thread{'s' if max(threads) > 1 else ''}"
        if pot is None:
            free[dx, dp] = line[top]
        ref = free.get((dx, dp))
        line["ratio_vs_free_flight"] = round(line[top] / ref, 3) if ref else None
        line["loadavg_1min"] = loadavg()
        out.append(line)
    numba.set_num_threads(max(threads))
    return out


def _model_table(lines):
    """The every-model table (markdown lines) from the "model" lines of a run."""
    keys = [key for key in lines[0] if key.startswith("rate_")]
    cpu = [key for key in lines[0] if key.startswith("cpu_ns")]
    out = [f"Every model through `run` (frame every {lines[0]['save_every_steps']} steps, "
           f"n = {lines[0]['n']:.0e}; load average {lines[-1].get('loadavg_1min', '?')}); "
           "ratio = rate / free flight of the same dimensions (dx, dp) on the most threads:",
           "",
           "| case | band | " + " | ".join(k.replace("_", " ") for k in keys + cpu)
           + " | / free flight |",
           "|---|---|" + "---|" * (len(keys) + len(cpu) + 1)]
    for ln in lines:
        out.append(f"| {ln['case']} | {ln['band']} | "
                   + " | ".join(f"{ln[k]:.2e}" for k in keys) + " | "
                   + " | ".join(f"{ln[k]:.2f}" for k in cpu)
                   + f" | {ln['ratio_vs_free_flight']} |")
    return out


# ----------------------------------------------------------------------------- small runs
def push_kernel(sim, markers=None, fresh=False):
    """The kernel pmc's Streamer calls for ``sim`` (the one :func:`pmc._kernels.push.kernels`
    picks), as a function of (nsteps, dt, t0, step0) over the arrays of ``markers`` (default:
    the simulation's); ``fresh``: the arrays are fetched per call (a binary mechanism's reorder
    replaces them)."""
    st = pmc.streaming.Streamer(sim.hamiltonian, sim.markers, scheme=sim.scheme,
                                boundary=sim.boundary)
    mk = sim.markers if markers is None else markers
    x, p, w, _ = mk.kernel_arrays()
    n = mk.n
    nblock = (n + BLOCK - 1) // BLOCK
    weight, count = np.zeros((nblock, 6)), np.zeros(nblock, np.int64)
    gone = np.zeros(n, np.uint8)
    kernel, args, wkind, lo, hi = st.kernel, st.args, st.wkind, st.lo, st.hi

    if fresh:
        def call(nsteps, dt, t0=0.0, step0=0):
            x, p, w, _ = mk.kernel_arrays()
            kernel(x, p, w, n, *args, t0, step0, dt, nsteps, wkind, lo, hi, weight, count, gone)
        return call

    def call(nsteps, dt, t0=0.0, step0=0):
        kernel(x, p, w, n, *args, t0, step0, dt, nsteps, wkind, lo, hi, weight, count, gone)
    return call


class StepReference:
    """The kernels of ``Simulation.step`` in the same sequence, from plain Python, on a copy of
    the simulation's markers (and of its collision operators' state) in preallocated arrays:
    what a step costs without pmc's driver. ``ref(k)`` advances the copy as ``sim.step(k)``
    advances the simulation, bitwise (a run without fields, sampling or injecting walls; one
    collision mechanism at most): one push of k steps without collisions; with them the
    Strang splitting half push, collide, half push, the trailing half push of one step and the
    leading one of the next composed into one push of dt that starts half a step late
    (``Simulation._steps``). ``sim.step(k) - ref(k)`` is the step's fixed cost: the Python,
    the encoding, the allocations and the thread-count switch, with the kernels touching the
    same data in the same order."""

    def __init__(self, sim):
        if sim.field_operators or sim._sampler is not None or sim._gas is not None \
                or len(sim.operators) > 1 or not sim._compose_pushes:
            raise ValueError("StepReference: a run without fields, sampling or gas walls, "
                             "with one collision mechanism at most")
        self.markers = sim.markers.copy()
        self.step_count = sim.step_count
        self.t0, self.dt = sim.t0, sim.dt
        op = sim.operators[0] if sim.operators else None
        reorders = isinstance(op, pmc.collisions.binary.BinaryOperator)
        self.push = push_kernel(sim, self.markers, fresh=reorders)
        self.collide = (collide_kernels(sim, op, self.markers, own_state=True)
                        if op is not None else None)
        if op is not None and self.collide is None:
            raise ValueError(f"StepReference: no kernels for {op!r}")

    def __call__(self, n):
        push, t0, dt = self.push, self.t0, self.dt
        first = self.step_count
        if self.collide is None:
            push(n, dt, t0, first)
            self.step_count += n
            return self
        half = 0.5 * dt
        last = first + n - 1
        push(1, half, t0, 2 * first)
        for s in range(first, last + 1):
            self.collide(s)
            if s < last:
                push(1, dt, t0 + half, s)
            else:
                push(1, half, t0, 2 * s + 1)
        self.step_count += n
        return self


def collide_kernels(sim, op, markers=None, own_state=False):
    """The kernels of ``op.collide`` called directly on preallocated arrays of ``markers``
    (default: the simulation's), as a function of the step index (what the operator's Python
    adds is the difference): the classical scattering step (cell index, rates, majorant table,
    events; a constant rate: the events alone), the rate matrix's jumps (the cells located in
    them) or the binary collisions (cell sort, pair collisions, and every ``reorder_every``
    steps the markers stored in cell order); None for another operator. ``own_state``: the
    binary collisions update copies of the operator's majorants and fractional candidates
    (else the operator's own)."""
    from pmc._kernels import cells as _cells
    from pmc._kernels import dsmc as _dsmc
    from pmc._kernels import jumps as _jumps
    from pmc._kernels import scatter as _scatter
    from pmc._kernels.rng import stream_key
    from pmc.collisions import binary as _binary
    from pmc.collisions import mechanisms as _mechanisms
    from pmc.collisions import rate_matrix as _rate_matrix
    mk, cells = (sim.markers if markers is None else markers), sim.cells
    n = mk.n
    x, p, w, state = mk.kernel_arrays()
    index = np.empty(n, np.int64)
    lo, inv_h, shape = cells.lo, 1.0 / cells.spacing, cells.shape
    if isinstance(op, _mechanisms.ScatteringOperator) and op._code[0] == _scatter.ELASTIC \
            and op.mechanism.statistics == "classical":  # a constant rate: the events alone
        rate = float(op._code[1][0])
        quiet = float(np.exp(-rate * DT))
        key = op.mechanism._key(sim._key)

        def call(step):
            _scatter.scatter_constant_isotropic(p, n, x, lo, inv_h, shape, rate, quiet, DT,
                                                key, step)
        return call
    if isinstance(op, _mechanisms.ScatteringOperator):
        mkind, mprm, bkind, bprm, mass, alpha, hbar = op._code
        inv_ref = op._inv_ref
        key = op.mechanism._key(sim._key)
        rate = np.empty(n)
        band = np.empty(n, np.int8)
        table = np.empty((cells.count, _scatter.NBAND))
        tally = np.zeros(((n + BLOCK - 1) // BLOCK, _scatter.NTALLY), np.int64)

        def call(step):
            _cells.cell_index(x, n, lo, inv_h, shape, index)
            _scatter.marker_rates(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n, inv_ref,
                                  rate, band)
            _scatter.cell_band_table(index, band, rate, n, table)
            _scatter.scatter_independent(mkind, mprm, bkind, bprm, mass, alpha, hbar, p, n,
                                         index, band, table, np.exp(-table * DT), inv_ref, DT,
                                         key, step, tally)
        return call
    if isinstance(op, _rate_matrix.RateMatrixOperator):
        rm = op.rate_matrix
        method = _rate_matrix.METHODS[rm.method]

        def call(step):
            key = stream_key(sim._key, step, rm._label)
            _jumps.jump_states(state, n, x, lo, inv_h, shape, rm._indptr, rm._indices, rm._cum,
                               rm._out_rate, rm._lambda, method, key, DT)
        return call
    if isinstance(op, _binary.BinaryOperator):
        itype = np.int32
        order, index32 = np.empty(n, itype), np.empty(n, itype)
        start = np.empty(cells.count + 1, np.int64)
        op._arrays(cells.count)
        majorant, remainder, tally = op._majorant, op._remainder, op._tally
        if own_state:
            majorant, remainder, tally = majorant.copy(), remainder.copy(), tally.copy()
        a, beta, alpha = op._code
        mech = op.mechanism
        pair_rate = float(w[0]) * DT / cells.volume

        every = mech.reorder_every

        def call(step):
            # as the operator: every reorder_every steps the new momenta go out in cell order
            # and the markers are stored in that order (their arrays change: fetched per call)
            reorder = bool(every) and step % every == 0
            x, p, w, _ = mk.kernel_arrays()
            total, _, _ = _cells.sort_markers(x, w, n, lo, inv_h, shape, index32, order, start,
                                              reorder)
            out = mk.spare_momenta() if reorder else p
            key = stream_key(sim._key, step, op._label)
            _dsmc.collide(p, order if reorder else order[:total], start, key, pair_rate,
                          1.0 / op.mass, a, beta, alpha, _binary.STATISTICS["classical"], 1.0,
                          1.0 / mech.bin_capacity, majorant, remainder, tally, out, reorder)
            if reorder:  # a permutation the sort built: not checked, as the operator does
                mk.reorder(index32, momenta=out, equal_weights=True, check=False)
        return call
    return None


def best_per_call(fn, calls, repeat, clock="wall"):
    """Best over ``repeat`` of the mean time [s] of ``calls`` calls of fn(i): wall time, or
    with ``clock="cpu"`` the process's CPU time."""
    now = time.perf_counter if clock == "wall" else time.process_time
    best = None
    for _ in range(repeat):
        t = now()
        for i in range(calls):
            fn(i)
        dt = (now() - t) / calls
        best = dt if best is None else min(best, dt)
    return best


SMALL_REPEAT = 7  # at least: the small runs are cheap and the most sensitive to load

def _collisions(kind):
    """(collisions, cells, markers carry states) of a small-run case."""
    if kind is None:
        return (), None, False
    cells = pmc.Cells(LO, HI, 8)
    if kind == "elastic":
        return [pmc.collisions.ElasticIsotropic(rate=RATE)], cells, False
    if kind == "rate_matrix":  # two states, rates 2 and 1 [1/s]: rate dt = 0.02 and 0.01
        return [pmc.collisions.RateMatrix([[-2.0, 2.0], [1.0, -1.0]])], cells, True
    # hard spheres, about 0.1 collisions per marker and step at 1e4 markers
    return [pmc.collisions.Binary(pmc.collisions.HardSphere(BINARY_DIAMETER))], cells, False


BINARY_DIAMETER = 1e-2

SMALL_CASES = {
    # name: (potential, dp, collision mechanism)
    "free_1d1v": (None, 1, None),
    "gaussian_1d1v": ("gaussian", 1, None),
    "gaussian_elastic_1d3v": ("gaussian", 3, "elastic"),
    "free_rate_matrix_1d1v": (None, 1, "rate_matrix"),
    "free_binary_1d3v": (None, 3, "binary"),
}


def small_lines(sizes, k, repeat, threads, cases=None):
    out = []
    for case, (pot, dp, kind) in SMALL_CASES.items():
        if cases and case not in cases:
            continue
        for n in sizes:
            x, p = initial(dp, n)
            H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), potential(pot), hbar=HBAR)
            collisions, cells, states = _collisions(kind)
            mk = markers(x, p)
            if states:
                mk = pmc.Markers(x.T, p.T, np.ones(n), state=np.zeros(n, np.int64))
            sim = pmc.Simulation(H, mk, dt=DT, boundary=pmc.Periodic(LO, HI),
                                 collisions=collisions, cells=cells)
            kern = push_kernel(sim)
            ops = sim.operators
            ckern = collide_kernels(sim, ops[0]) if ops else None
            ref = StepReference(sim)
            calls = max(3, min(200, int(3e5 / n)))
            sim.step(k)  # warm-up: compilation
            kern(1, DT)
            kern(k, DT)
            ref(k)
            if ckern is not None:
                ckern(0)
            # the step and its reference (the same kernels in the same sequence from plain
            # Python) next to each other, then the kernels alone
            fns = {"step1": lambda i: sim.step(1), "ref1": lambda i: ref(1),
                   "stepk": lambda i: sim.step(k), "refk": lambda i: ref(k),
                   "push1": lambda i: kern(1, DT), "pushk": lambda i: kern(k, DT)}
            if ops:
                fns["collide"] = lambda i: ops[0].collide(sim.markers, DT, sim._key, i)
                if ckern is not None:
                    fns["collide_kernel"] = ckern
            best = {}
            # interleaved, so that a burst of load hits all alike; the pieces on as many threads
            # as Simulation.step uses (one below SMALL_RUN markers), where the process's CPU
            # time is a second measure that load inflates less than wall time
            one = n < pmc.simulation.SMALL_RUN  # Simulation.step runs these on one thread
            for _ in range(repeat):
                for name, fn in fns.items():
                    # the reference and the pieces on the step's threads; the step as the user
                    # calls it (its own switch of the thread count included)
                    piece = one and not name.startswith("step")
                    with pmc.threads.limited(numba_threads=1 if piece else None):
                        for clock in ("wall", "cpu"):
                            t = best_per_call(fn, calls, 1, clock)
                            best[name, clock] = min(best.get((name, clock), t), t)
            for steps in (1, k):
                line = {"kind": "small", "case": case, "n": n, "call": f"step({steps})",
                        "threads": 1 if one else threads}
                for clock in ("wall", "cpu"):
                    line.update(small_figures(best, clock, steps, k, ops, n))
                line["loadavg_1min"] = loadavg()
                # the 2-thread lines depend on it (a sleeping worker thread wakes per region)
                line["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "default")
                out.append(line)
    return out


def small_figures(best, clock, steps, k, ops, n):
    """The figures of one small-run line for one clock ("wall"; "cpu": the same keys with the
    suffix _cpu). ``fixed_cost_us_per_step`` (the issue's overhead, its target in
    ``overhead_target_us``) = the step - :class:`StepReference` (the same kernels in the same
    sequence from plain Python, timed next to it): Python, encoding, allocations and thread-count
    switches. ``over_kernels_alone_us_per_step`` = the step - ``kernels_alone_us_per_step`` (each
    kernel timed warm in its own loop): that also counts the cache misses of the step's kernels
    evicting each other's data, which grow with n."""
    sfx = "" if clock == "wall" else "_cpu"
    push1, pushk = best["push1", clock], best["pushk", clock] / k
    coll, coll_kernel = best.get(("collide", clock)), best.get(("collide_kernel", clock))
    measured = best["step1" if steps == 1 else "stepk", clock] / steps
    reference = best["ref1" if steps == 1 else "refk", clock] / steps
    if ops:  # (steps + 1) pushes of one step (half, full..., half) and the collisions
        alone = ((steps + 1) * push1 + steps * (coll_kernel or np.nan)) / steps
        goal = OVERHEAD_TARGET_US + OVERHEAD_PER_MECHANISM_US * len(ops)
    else:
        alone = push1 if steps == 1 else pushk
        goal = OVERHEAD_TARGET_US
    fixed = (measured - reference) * 1e6
    over_alone = (measured - alone) * 1e6
    line = {f"us_per_step{sfx}": round(measured * 1e6, 2),
            f"reference_us_per_step{sfx}": round(reference * 1e6, 2),
            f"fixed_cost_us_per_step{sfx}": round(fixed, 2),
            "overhead_target_us": goal,
            f"fixed_cost_holds{sfx}": bool(fixed <= goal),
            f"kernels_alone_us_per_step{sfx}": round(alone * 1e6, 2),
            f"over_kernels_alone_us_per_step{sfx}": (round(over_alone, 2)
                                                     if np.isfinite(over_alone) else None)}
    if ops:
        ratio = coll / push1
        line.update({f"collide_us{sfx}": round(coll * 1e6, 2),
                     f"collide_kernel_us{sfx}": (round(coll_kernel * 1e6, 2)
                                                 if coll_kernel else None),
                     f"collide_overhead_us{sfx}": (round((coll - coll_kernel) * 1e6, 2)
                                                   if coll_kernel else None),
                     f"push_kernel_us{sfx}": round(push1 * 1e6, 2),
                     f"collide_vs_push{sfx}": round(ratio, 2)})
        if n == 10 ** 4 and isinstance(ops[0], pmc.collisions.mechanisms.ScatteringOperator):
            line.update({"collide_vs_push_target": COLLIDE_VS_PUSH_TARGET,
                         f"collide_vs_push_holds{sfx}": bool(ratio <= COLLIDE_VS_PUSH_TARGET)})
    return line


def _small_table(small):
    """The small-run table (markdown lines) from the "small" lines of a run: CPU time on one
    thread, wall time on more (the process's CPU time then sums the threads, idle waits
    included)."""
    cpu = "us_per_step_cpu" in small[0]
    out = [f"Small runs, us per step (`Simulation.step` on one thread below "
           f"{pmc.simulation.SMALL_RUN} markers, as it runs them: {'CPU' if cpu else 'wall'} "
           "time; on more threads: wall time; load average "
           f"{small[-1].get('loadavg_1min', '?')}). Fixed cost = the step - the same kernels "
           "in the same sequence called from plain Python on preallocated arrays, timed next to "
           "it (Python, encoding, allocations, thread-count switches: issue 15's overhead, "
           f"target {OVERHEAD_TARGET_US:g} us + {OVERHEAD_PER_MECHANISM_US:g} us per collision "
           "mechanism); over kernels alone = the step - each kernel timed warm in its own loop "
           "(also counts the kernels evicting each other's data from the caches, which grows "
           "with n):", "",
           "| case | n | threads | `step(1)` | fixed cost | over kernels alone | `step(k)` | "
           "fixed cost | over kernels alone | collide | collide overhead | collide / push |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = {}
    for ln in small:
        rows.setdefault((ln["case"], ln["n"]), []).append(ln)

    def fig(ln, key, digits=1):
        v = ln.get(key + ("_cpu" if cpu and ln["threads"] == 1 else ""))
        return "" if v is None else f"{v:.{digits}f}"
    for (case, n_small), lns in rows.items():
        one, many = lns[0], lns[-1]
        out.append(f"| {case} | {n_small:.0e} | {one['threads']} | "
                   + " | ".join(fig(ln, key) for ln, key in (
                       (one, "us_per_step"), (one, "fixed_cost_us_per_step"),
                       (one, "over_kernels_alone_us_per_step"), (many, "us_per_step"),
                       (many, "fixed_cost_us_per_step"),
                       (many, "over_kernels_alone_us_per_step"), (one, "collide_us"),
                       (one, "collide_overhead_us"))) + f" | {fig(one, 'collide_vs_push', 2)} |")
    return out


def markdown(lines):
    """The README's tables from the JSON lines of a run: per case, the pmc rates on the most
    threads through run() (a frame every ``save_every`` steps and every step) and step(k), the
    fastest C loop for the same work, the ratios and the 2-thread speed-up; then the small
    runs."""
    push = [ln for ln in lines if ln.get("kind") == "push"]
    small = [ln for ln in lines if ln.get("kind") == "small"]
    models = [ln for ln in lines if ln.get("kind") == "model"]
    triad_line = next((ln for ln in lines if ln.get("kind") == "triad"), None)
    done = next((ln for ln in lines if ln.get("kind") == "done"), {})
    if not push:  # a --small-only or --models-only run
        return "\n".join((_model_table(models) + [""] if models else [])
                         + (_small_table(small) if small else []))
    top = max(ln["threads"] for ln in push)
    by = {(ln["case"], ln["variant"], ln["steps_per_call"], ln["threads"]): ln for ln in push}
    k = max(ln["steps_per_call"] for ln in push)
    n = push[0]["n"]
    out = [f"Marker-steps/s on {top} threads, n = {n:.0e} markers (`bench_push.py`; load average "
           f"{done.get('loadavg_1min', '?')}); ratio = pmc / fastest C loop of the same work:",
           "",
           f"| case | `run`, frame every {k} steps | `run`, frame every step | `step({k})` "
           f"| kernel alone | C best ({k} steps per call) | `step({k})` / C | "
           f"speed-up 1 -> {top} threads |",
           "|---|---|---|---|---|---|---|---|"]
    for case in CASES:
        run_k = by.get((case, "run", k, top))
        if run_k is None:
            continue
        step_k = by[case, "step", k, top]
        run_1 = by[case, "run", 1, top]
        out.append(f"| {case} | {run_k['pmc_rate']:.2e} | {run_1['pmc_rate']:.2e} | "
                   f"{step_k['pmc_rate']:.2e} | {step_k['pmc_kernel_rate']:.2e} | "
                   f"{step_k['c_best_rate']:.2e} ({step_k['c_best_variant']}) | "
                   f"{step_k['ratio']:.2f} | {step_k['speedup_pmc']} |")
    if triad_line:
        bw = [v for key, v in triad_line.items() if key.startswith("bandwidth")]
        out += ["", f"Triad bandwidth {' / '.join(map(str, bw))} GB/s (1 / 2 threads)."]
    if models:
        out += [""] + _model_table(models)
    if small:
        out += [""] + _small_table(small)
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 10^5")
    ap.add_argument("--n", type=int, default=None, help="markers (default 10^7)")
    ap.add_argument("--steps", type=int, default=50,
                    help="steps per timed run, a multiple of --save-every (default 50: a run "
                         "records its first frame too, so 6 frames per 50 steps; a 10-step "
                         "run would time 2 frames per 10 steps)")
    ap.add_argument("--save-every", type=int, default=10,
                    help="steps per frame of run() and per step() call (default 10)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="timed runs, the best is kept (default 3; 5 with --quick)")
    ap.add_argument("--triad-n", type=int, default=None,
                    help="doubles per triad array (default 8 x 10^7)")
    ap.add_argument("--case", action="append", choices=sorted(set(CASES) | set(SMALL_CASES)),
                    help="run only this case (repeatable)")
    ap.add_argument("--small-only", action="store_true",
                    help="only the small-run table (with --case: its small cases)")
    ap.add_argument("--no-small", action="store_true", help="skip the small-run table")
    ap.add_argument("--models-only", action="store_true",
                    help="only the every-model table (with --model: those models)")
    ap.add_argument("--no-models", action="store_true", help="skip the every-model table")
    ap.add_argument("--model", action="append", help="a case of the every-model table "
                    "(repeatable; free flight always runs)")
    ap.add_argument("--models-n", type=int, default=None,
                    help="markers of the every-model table (default 2 x 10^6; 10^5 with --quick)")
    ap.add_argument("--table", metavar="JSONL",
                    help="print the README tables from the output of a run, and exit")
    args = ap.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(markdown([json.loads(ln) for ln in f if ln.startswith("{")]))
        return
    n = args.n if args.n is not None else (10 ** 5 if args.quick else 10 ** 7)
    if args.repeat is None:
        args.repeat = 5 if args.quick else 3
    triad_n = args.triad_n or 8 * 10 ** 7
    if n < 1 or args.steps < 1 or args.repeat < 1 or args.save_every < 1:
        ap.error("--n, --steps, --save-every and --repeat must be >= 1")
    if args.steps % args.save_every:
        ap.error("--steps must be a multiple of --save-every")
    started = time.perf_counter()
    models_n = args.models_n or (10 ** 5 if args.quick else 2 * 10 ** 6)
    threads = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]
    if args.models_only:
        for line in model_lines(models_n, args.steps, args.save_every, args.repeat, threads,
                                args.model):
            print(json.dumps(line), flush=True)
        return
    if args.small_only:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        for line in small_lines((10 ** 3, 10 ** 4, 10 ** 5), args.save_every,
                                max(args.repeat, SMALL_REPEAT), numba.get_num_threads(),
                                args.case):
            print(json.dumps(line), flush=True)
        return
    so = build_c()
    tri = triad(triad_n, threads)
    triad_bw = None
    if tri is not None:
        triad_bw, line = tri
        print(json.dumps(line), flush=True)
    cases = [c for c in CASES if not args.case or c in args.case]
    if "free_1d1v" not in cases and any(c in ("uniform_1d1v", "harmonic_1d1v") for c in cases):
        cases.insert(0, "free_1d1v")  # the reference of the uniform and harmonic targets
    lines, free_rates = [], {}
    for case in cases:
        for line in run_case(so, case, n, args.steps, args.save_every, args.repeat, threads,
                             triad_bw, free_rates):
            print(json.dumps(line), flush=True)
            lines.append(line)
    for line in target_lines(lines, threads):
        print(json.dumps(line), flush=True)
    if not args.no_models and not args.case:
        for line in model_lines(models_n, args.steps, args.save_every, args.repeat, threads):
            print(json.dumps(line), flush=True)
    if not args.no_small:  # in a child process with the caller's OpenMP wait policy
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        if USER_WAIT_POLICY is not None:
            env["OMP_WAIT_POLICY"] = USER_WAIT_POLICY
        child = [sys.executable, __file__, "--small-only", "--save-every", str(args.save_every),
                 "--repeat", str(max(args.repeat, SMALL_REPEAT))]
        subprocess.run(child, env=env, check=True)
    print(json.dumps({"kind": "done", "seconds": round(time.perf_counter() - started, 1),
                      "loadavg_1min": loadavg()}), flush=True)


if __name__ == "__main__":
    main()
