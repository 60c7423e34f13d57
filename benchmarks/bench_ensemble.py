"""Replica ensembles on dask.distributed: replicas per second on 1 and 2 local workers, parallel
efficiency and the overhead of dask per replica.

The baseline, measured in this process first, is the same work without dask: the R replicas run
one after the other through the very function a worker runs (``pmc.ensemble.runner._run_replica``:
build the case with the replica's spawned seed, run it, write its netCDF part, rename it into
place), then merged with ``pmc.ensemble.merge``; numba on one thread. Then ``pmc.ensemble`` on a
:class:`distributed.LocalCluster` of 1 and of 2 worker processes (one dask thread and one numba
thread each), writing parts and the merged file in a temporary directory. Compile time and
cluster start-up are excluded: every worker first runs a tiny replica through the workers'
function (numba's disk cache, the first-call dispatch, the first netCDF part), and that warm-up
is reported separately. Both clusters stay up for the whole measurement, and in each of
``--repeat`` rounds the serial run and the two ensembles take turns, so that the load of this
shared machine (its speed drifts by 20% from minute to minute) falls on all alike.

The machine's own scaling is measured beside them: the same replicas run by a
:class:`concurrent.futures.ProcessPoolExecutor` of 1 and of 2 processes (no dask), merged here;
its efficiency is the ceiling that dask's can be read against.

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
import contextlib
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
from pmc.ensemble import merge, replica_seeds  # noqa: E402
from pmc.ensemble.runner import _run_replica, _Task  # noqa: E402

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
    """On a worker: compile or load every kernel of a replica and take every first-call cost
    of its path (netCDF part, BLAS thread limit): one tiny replica through the workers'
    function."""
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        _run_replica(_Task(0, 0, case(100, 8), replica_seeds(1, 1)[0],
                           os.path.join(d, "warm.nc"), 1))
    return time.perf_counter() - t


def _noop(k):
    return k


@contextlib.contextmanager
def cluster(workers):
    """(client, warm-up seconds) of a fresh LocalCluster of ``workers`` processes, each warmed
    up (:func:`_warm`)."""
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None)
    try:
        with Client(local) as client:
            client.wait_for_workers(workers)
            client.run(_warm)
            yield client, time.perf_counter() - t0
    finally:
        local.close()


def on_client(client, c, replicas):
    """(merged dataset, seconds) of one ensemble on ``client``, into fresh parts."""
    with tempfile.TemporaryDirectory() as d:  # fresh parts: every replica runs
        t = time.perf_counter()
        ds = pmc.ensemble(c, replicas=replicas, client=client, threads=1,
                          output=os.path.join(d, "merged.nc"), progress=False)
        return ds, time.perf_counter() - t


@contextlib.contextmanager
def process_pool(workers):
    """A :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` spawned processes, each
    warmed up: the same work without dask, for the machine's own scaling."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm_once, range(4 * workers)))
        yield pool


def _warm_once(_):
    numba.set_num_threads(1)
    return _warm()


def on_pool(pool, c, replicas):
    """(merged dataset, seconds) of the replicas run by ``pool``, then merged here."""
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        tasks = [_Task(0, r, c, seed, os.path.join(d, f"replica-{r:04d}.nc"), 1)
                 for r, seed in enumerate(replica_seeds(c["run"]["seed"], replicas))]
        ds = merge(list(pool.map(_run_replica, tasks)))
        return ds, time.perf_counter() - t


def noop_round_trip(client, tasks):
    """Milliseconds per no-op task: dask's own round trip."""
    from distributed import as_completed

    t = time.perf_counter()
    for f in as_completed([client.submit(_noop, k, pure=False) for k in range(tasks)]):
        f.result()
    return (time.perf_counter() - t) / tasks * 1e3


def interleaved(variants, repeat):
    """Best seconds of each variant over ``repeat`` rounds, the variants taking turns within
    a round (so that the load of this shared machine falls on all alike); and each variant's
    last result."""
    best = dict.fromkeys(variants, float("inf"))
    last = {}
    for _ in range(repeat):
        for name, run in variants.items():
            last[name], seconds = run()
            best[name] = min(best[name], seconds)
    return best, last


def _timed(f, *args):
    t = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--replicas", type=int)
    ap.add_argument("--markers", type=int)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5, help="best of this many (default 5)")
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

    def in_process(case_, replicas):
        def run():
            with tempfile.TemporaryDirectory() as d:
                return _timed(serial, case_, replicas, d)
        return run

    # every engine is up for the whole measurement (the idle ones sleep)
    with (process_pool(1) as pool1, process_pool(2) as pool2, cluster(1) as (one, warm1),
          cluster(2) as (two, warm2)):
        best, last = interleaved({
            "serial_in_process": in_process(c, R),
            "process_pool_1": lambda: on_pool(pool1, c, R),
            "process_pool_2": lambda: on_pool(pool2, c, R),
            "dask_1_worker": lambda: on_client(one, c, R),
            "dask_2_workers": lambda: on_client(two, c, R)}, args.repeat)
        pool_efficiency = best["process_pool_1"] / (2.0 * best["process_pool_2"])
        ref = last["serial_in_process"]
        warm = {"dask_1_worker": warm1, "dask_2_workers": warm2}
        for name, seconds in best.items():
            row = {**common, "variant": name, "seconds": round(seconds, 4),
                   "replicas_per_s": round(R / seconds, 4),
                   "ratio_vs_serial": round(best["serial_in_process"] / seconds, 4)}
            if name != "serial_in_process":
                ds = last[name]
                if name in warm:
                    row["warmup_seconds_excluded"] = round(warm[name], 3)
                row["bitwise_equal_to_serial"] = all(
                    np.array_equal(ds[v].values, ref[v].values, equal_nan=True)
                    for v in ref.data_vars)
            print(json.dumps(row), flush=True)
        # the fixed cost per replica, measured where the replicas' own work is small
        R_tiny, tiny = 4 * R, case(200, 20)
        tiny_best, _ = interleaved({
            "serial": in_process(tiny, R_tiny),
            "dask_1_worker": lambda: on_client(one, tiny, R_tiny)}, args.repeat)
        noop_ms = noop_round_trip(one, 200)
    efficiency = best["dask_1_worker"] / (2.0 * best["dask_2_workers"])  # rate(2) / 2 rate(1)
    overhead_ms = (best["dask_1_worker"] - best["serial_in_process"]) / R * 1e3
    tiny_overhead_ms = (tiny_best["dask_1_worker"] - tiny_best["serial"]) / R_tiny * 1e3
    print(json.dumps({**common, "case": "tiny_overhead", "replicas": R_tiny, "markers": 200,
                      "steps": 20, "variant": "dask_1_worker_vs_serial",
                      "serial_ms_per_replica": round(tiny_best["serial"] / R_tiny * 1e3, 2),
                      "dask_ms_per_replica":
                          round(tiny_best["dask_1_worker"] / R_tiny * 1e3, 2),
                      "dask_overhead_ms_per_replica": round(tiny_overhead_ms, 2),
                      "dask_noop_task_ms": round(noop_ms, 3)}), flush=True)
    print(json.dumps({**common, "summary": True,
                      "parallel_efficiency_2_workers": round(efficiency, 4),
                      "target_efficiency": TARGET_EFFICIENCY,
                      "efficiency_met": bool(efficiency >= TARGET_EFFICIENCY),
                      "parallel_efficiency_2_processes_without_dask": round(pool_efficiency, 4),
                      "dask_overhead_ms_per_replica": round(tiny_overhead_ms, 2),
                      "dask_overhead_ms_per_replica_this_case": round(overhead_ms, 2),
                      "serial_ms_per_replica": round(best["serial_in_process"] / R * 1e3, 2),
                      "load_average_1min_end": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
