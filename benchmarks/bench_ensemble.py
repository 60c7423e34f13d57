"""Replica ensembles on dask.distributed: replicas per second on 1 and 2 local workers, parallel
efficiency and the overhead of dask per replica.

The baseline, measured in this process first, is the same work without dask: the R replicas run
one after the other through the very function a worker runs (``pmc.ensemble._run_replica``:
build the case with the replica's spawned seed, run it, write its netCDF part, rename it into
place), then merged with ``pmc.ensemble.merge``; numba on one thread. Then ``pmc.ensemble`` on a
:class:`distributed.LocalCluster` of 1 and of 2 worker processes (one dask thread and one numba
thread each), writing parts and the merged file in a temporary directory. Compile time and
cluster start-up are excluded: every worker first runs a tiny replica (numba's disk cache, then
the first-call dispatch), and that warm-up is reported separately.

Printed, one JSON line each: per variant the best wall time of ``--repeat`` runs, replicas per
second, the ratio to the serial baseline and whether the merged result is bitwise the serial
one; then a summary: parallel efficiency on 2 workers, rate(2) / (2 rate(1)) (target >= 0.85),
and the overhead of dask per replica, (t(1 worker) - t(serial)) / R in ms, measured on R
replicas of the case and on 4 R tiny replicas (200 markers, 20 steps), where the replicas' own
work does not drown it, with dask's own round trip for a no-op task beside it. Nothing is asserted
(the machine may be shared: the lines give the usable cores and the load average).

The case: a coherent state of N markers in a harmonic well (1D1V, leapfrog), binned on a 41 x 33
grid (f, density, current, energy density) at 5 frames.

Usage::

    python benchmarks/bench_ensemble.py            # R = 8 replicas of N = 10000 markers
    python benchmarks/bench_ensemble.py --quick    # R = 4, N = 5000
    python benchmarks/bench_ensemble.py --replicas 16 --markers 50000 --steps 4000
"""
import argparse
import json
import os
import tempfile
import time

# libgomp (numba's omp threading layer) must not keep idle threads spinning on the cores that
# the other processes are being timed on (as in bench_push.py); the workers inherit it
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

import pmc  # noqa: E402
from pmc import config  # noqa: E402
from pmc.ensemble import _run_replica, _Task, merge, replica_seeds  # noqa: E402

TARGET_EFFICIENCY = 0.85


def case(markers, steps):
    dt = 0.005
    return {"run": {"dt": dt, "t_end": steps * dt, "save_every": steps * dt / 4, "seed": 2024},
            "dispersion": {"model": "Parabolic", "mass": 1.0},
            "potential": {"model": "Harmonic", "omega": 0.5},
            "distribution": {"model": "GaussianWavepacket", "n": markers, "x0": -3.0, "p0": 0.5,
                             "sigma_x": 1.0},
            "grid": {"x": {"start": -10.0, "stop": 10.0, "num": 41},
                     "p": {"start": -4.0, "stop": 4.0, "num": 33}}}


def serial(c, replicas, directory):
    """The baseline: the workers' function called in this process, then the merge."""
    numba.set_num_threads(1)
    parts = []
    for r, seed in enumerate(replica_seeds(c["run"]["seed"], replicas)):
        part = os.path.join(directory, f"replica-{r:04d}.nc")
        parts.append(_run_replica(_Task(0, r, c, seed, part, 1)))
    return merge(parts)


def _warm():
    """On a worker: compile or load every kernel of a replica (a tiny run)."""
    sim, opts = config.build(case(100, 8))
    numba.set_num_threads(1)
    t = time.perf_counter()
    sim.run(opts["t_end"], opts["save_every"], progress=False)
    return time.perf_counter() - t


def _noop(k):
    return k


def on_cluster(c, replicas, workers, repeat, noop_tasks=0):
    """(merged dataset, best wall time over ``repeat`` ensembles, warm-up time, ms per no-op
    task: dask's own round trip)."""
    from distributed import Client, LocalCluster, as_completed

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    best = float("inf")
    with Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(_warm)
        warm = time.perf_counter() - t0
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as d:  # fresh parts: every replica runs
                t = time.perf_counter()
                ds = pmc.ensemble(c, replicas=replicas, client=client, threads=1,
                                  output=os.path.join(d, "merged.nc"), progress=False)
                best = min(best, time.perf_counter() - t)
        noop_ms = float("nan")
        if noop_tasks:
            t = time.perf_counter()
            for f in as_completed([client.submit(_noop, k, pure=False)
                                   for k in range(noop_tasks)]):
                f.result()
            noop_ms = (time.perf_counter() - t) / noop_tasks * 1e3
    cluster.close()
    return ds, best, warm, noop_ms


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--replicas", type=int)
    ap.add_argument("--markers", type=int)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many (default 3)")
    args = ap.parse_args(argv)
    R = args.replicas or (4 if args.quick else 8)
    N = args.markers or (5000 if args.quick else 10000)
    c = case(N, args.steps)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    common = {"case": "harmonic_1d1v", "replicas": R, "markers": N, "steps": args.steps,
              "repeat": args.repeat,
              "usable_cores": cores, "load_average_1min": round(os.getloadavg()[0], 2)}

    with tempfile.TemporaryDirectory() as d:
        serial(case(100, 8), 1, d)  # compile / load the kernels in this process
    t_serial = float("inf")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            ref = serial(c, R, d)
            t_serial = min(t_serial, time.perf_counter() - t)
    print(json.dumps({**common, "variant": "serial_in_process", "seconds": round(t_serial, 4),
                      "replicas_per_s": round(R / t_serial, 4), "ratio_vs_serial": 1.0}),
          flush=True)
    rates = {}
    for workers in (1, 2):
        ds, seconds, warm, _ = on_cluster(c, R, workers, args.repeat)
        same = all(np.array_equal(ds[v].values, ref[v].values, equal_nan=True)
                   for v in ref.data_vars)
        rates[workers] = R / seconds
        print(json.dumps({**common, "variant": f"dask_{workers}_worker{'s' if workers > 1 else ''}",
                          "seconds": round(seconds, 4), "replicas_per_s": round(R / seconds, 4),
                          "ratio_vs_serial": round(t_serial / seconds, 4),
                          "warmup_seconds_excluded": round(warm, 3),
                          "bitwise_equal_to_serial": bool(same)}), flush=True)
    efficiency = rates[2] / (2.0 * rates[1])
    overhead_ms = (R / rates[1] - t_serial) / R * 1e3
    # the fixed cost per replica, measured where the replicas' own work is small
    R_tiny, tiny = 4 * R, case(200, 20)
    t_tiny = float("inf")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            serial(tiny, R_tiny, d)
            t_tiny = min(t_tiny, time.perf_counter() - t)
    _, t_tiny_dask, _, noop_ms = on_cluster(tiny, R_tiny, 1, args.repeat, noop_tasks=200)
    tiny_overhead_ms = (t_tiny_dask - t_tiny) / R_tiny * 1e3
    print(json.dumps({**common, "case": "tiny_overhead", "replicas": R_tiny, "markers": 200,
                      "steps": 20, "variant": "dask_1_worker_vs_serial",
                      "serial_ms_per_replica": round(t_tiny / R_tiny * 1e3, 2),
                      "dask_ms_per_replica": round(t_tiny_dask / R_tiny * 1e3, 2),
                      "dask_overhead_ms_per_replica": round(tiny_overhead_ms, 2),
                      "dask_noop_task_ms": round(noop_ms, 3)}), flush=True)
    print(json.dumps({**common, "summary": True,
                      "parallel_efficiency_2_workers": round(efficiency, 4),
                      "target_efficiency": TARGET_EFFICIENCY,
                      "efficiency_met": bool(efficiency >= TARGET_EFFICIENCY),
                      "dask_overhead_ms_per_replica": round(tiny_overhead_ms, 2),
                      "dask_overhead_ms_per_replica_this_case": round(overhead_ms, 2),
                      "serial_ms_per_replica": round(t_serial / R * 1e3, 2)}), flush=True)


if __name__ == "__main__":
    main()
