"""Replica ensembles and sweeps on dask.distributed (pmc.ensemble, pmc.sweep, the CLI).

Exact results: the merge rules against numpy on synthetic replicas (weighted mean, sum, the
standard error of a weighted mean sqrt(K/(K-1) sum w^2 (x - mean)^2), which is
std(ddof=1)/sqrt(R) for equal weights); replica r equals a plain run seeded with
SeedSequence(seed).spawn(R)[r]; bitwise equality of merged results across worker counts,
threads, a SIGKILLed worker and a rerun over finished parts.
Statistics: R replicas of N markers agree with one run of R*N markers within the errors.

Worker kill: a real LocalCluster of 2 worker processes (each under a nanny). While the ensemble
runs, a thread watches the parts directory for a replica's temporary file, whose name carries the
pid of the worker process writing it, and sends that process SIGKILL. The nanny starts a fresh
worker, the scheduler reruns the lost replica, and the merged result must equal, bit for bit, the
one of an undisturbed run.
"""
import functools
import glob
import json
import os
import pathlib
import signal
import sys
import threading
import time

import cloudpickle
import numpy as np
import pytest
import xarray as xr
from distributed import Client, LocalCluster

import pmc
from pmc import cli, config
from pmc.ensemble import load_factory, merge, override, parts_directory, replica_seeds

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # factories defined here

ALL_OBSERVABLES = ["f", "density", "current", "energy_density", "mean_velocity", "temperature"]


def _case(n=1000, t_end=2.0, save_every=1.0, dt=0.05, seed=11, observables=None):
    """A coherent state in a harmonic well, binned on a 41 x 33 grid."""
    grid = {"x": {"start": -10.0, "stop": 10.0, "num": 41},
            "p": {"start": -4.0, "stop": 4.0, "num": 33}}
    if observables is not None:
        grid["observables"] = observables
    return {"run": {"dt": dt, "t_end": t_end, "save_every": save_every, "seed": seed},
            "dispersion": {"model": "Parabolic", "mass": 1.0},
            "potential": {"model": "Harmonic", "omega": 0.5},
            "distribution": {"model": "GaussianWavepacket", "n": n, "x0": -3.0, "p0": 0.5,
                             "sigma_x": 1.0},
            "grid": grid}


def _factory(seed, n=500, t_end=1.0, save_every=0.5):
    """The objects of :func:`_case`, built with the public API."""
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Harmonic(omega=0.5))
    markers = pmc.sample(pmc.states.GaussianWavepacket(x0=-3.0, p0=0.5, sigma_x=1.0), n=n,
                         seed=seed)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-10, 10, 41), p=np.linspace(-4, 4, 33))
    sim = pmc.Simulation(H, markers, dt=0.05, grid=grid, seed=seed)
    return sim, {"t_end": t_end, "save_every": save_every}


def _assert_bitwise(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    for name in a.coords:
        assert np.array_equal(a[name].values, b[name].values), name


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


# ------------------------------------------------------------------ no cluster needed
def test_override_addresses_tables_lists_and_creates_sections():
    case = {"potential": [{"model": "Harmonic", "omega": 1.0}, {"model": "Quartic", "a": 1.0}],
            "grid": {"x": {"start": 0.0, "stop": 1.0, "num": 11}}, "run": {"seed": 1}}
    out = override(case, {"potential.1.a": 2.0, "grid.x.num": 21, "run.seed": 4,
                          "hamiltonian.hbar": 0.5})
    assert out["potential"][1]["a"] == 2.0 and out["grid"]["x"]["num"] == 21
    assert out["run"]["seed"] == 4 and out["hamiltonian"] == {"hbar": 0.5}
    # the input is not modified
    assert case["potential"][1]["a"] == 1.0 and "hamiltonian" not in case
    with pytest.raises(config.CaseError, match=r"potential\.0\.omega"):
        override(case, {"potential.omega": 2.0})
    with pytest.raises(config.CaseError, match="out of range"):
        override(case, {"potential.2.omega": 2.0})
    with pytest.raises(config.CaseError, match="not a table"):
        override(case, {"run.seed.x": 2})
    with pytest.raises(config.CaseError, match="dotted"):
        override(case, {"run..seed": 2})


def test_replica_seeds_are_spawned_from_the_case_seed():
    seeds = replica_seeds(7, 3)
    ref = np.random.SeedSequence(7).spawn(3)
    for s, r in zip(seeds, ref):
        assert np.array_equal(s.generate_state(4), r.generate_state(4))
    parent = np.random.SeedSequence(7)
    replica_seeds(parent, 2)
    assert parent.n_children_spawned == 0  # the caller's SeedSequence is not advanced
    with pytest.raises(ValueError, match="replicas"):
        replica_seeds(7, 0)


def _synthetic(values, weights, density, outside, n_markers):
    """A replica-like dataset with given values."""
    t = np.array([0.0, 1.0])
    return xr.Dataset(
        {"density": (("time", "x"), values, {"units": "1/m", "long_name": "d"}),
         "density_stderr": (("time", "x"), np.zeros_like(values), {"units": "1/m"}),
         "mean_velocity": (("time", "x"), values ** 2, {"units": "m/s", "long_name": "u"}),
         "mean_velocity_stderr": (("time", "x"), np.zeros_like(values), {"units": "m/s"}),
         "total_weight": (("time",), weights, {"units": "1"}),
         "weight_outside_grid": (("time",), outside, {"units": "1", "count": 3}),
         "n_markers": (("time",), np.array(n_markers, np.int64), {"units": "1"})},
        coords={"time": t, "x": [0.0, 1.0, 2.0]}, attrs={"seed": "s"})


def test_merge_rules_against_numpy():
    rng = np.random.default_rng(5)
    R = 5
    vals = [rng.normal(size=(2, 3)) + 3.0 for _ in range(R)]
    # replicas of unequal initial weight, total weights changing in time
    tw = [np.array([1.0 + r, 0.5 + r]) for r in range(R)]
    outside = [np.array([0.1 * r, 0.2]) for r in range(R)]
    nm = [[100 + r, 90 + r] for r in range(R)]
    ds = merge([_synthetic(v, w, v, o, n) for v, w, o, n in zip(vals, tw, outside, nm)])
    v = np.array(vals)
    a = np.array([w[0] for w in tw])
    omega = a / a.sum()
    mean = np.einsum("r,rij->ij", omega, v)
    np.testing.assert_allclose(ds.density.values, mean, rtol=1e-13)
    se = np.sqrt(R / (R - 1) * np.einsum("r,rij->ij", omega ** 2, (v - mean) ** 2))
    np.testing.assert_allclose(ds.density_stderr.values, se, rtol=1e-12)
    # ratio: weighted per cell by the replica's density (the pooled sum w v / sum w)
    u = v ** 2
    np.testing.assert_allclose(ds.mean_velocity.values, (v * u).sum(0) / v.sum(0), rtol=1e-13)
    wn = v / v.sum(0)
    uu = (v * u).sum(0) / v.sum(0)
    np.testing.assert_allclose(ds.mean_velocity_stderr.values,
                               np.sqrt(R / (R - 1) * (wn ** 2 * (u - uu) ** 2).sum(0)),
                               rtol=1e-12)
    # fraction: weighted by the total weight at each time; counts summed
    frac = (np.array(outside) * np.array(tw)).sum(0) / np.array(tw).sum(0)
    np.testing.assert_allclose(ds.weight_outside_grid.values, frac, rtol=1e-13)
    assert ds.weight_outside_grid.attrs["count"] == 3 * R
    assert ds.n_markers.dtype == np.int64
    assert ds.n_markers.values.tolist() == np.array(nm).sum(0).tolist()
    np.testing.assert_allclose(ds.total_weight.values,
                               np.einsum("r,rt->t", omega, np.array(tw)), rtol=1e-13)
    # equal weights: the textbook standard error of the mean, s / sqrt(R)
    eq = merge([_synthetic(v, np.ones(2), v, np.zeros(2), [1, 1]) for v in vals])
    np.testing.assert_allclose(eq.density_stderr.values, v.std(0, ddof=1) / np.sqrt(R),
                               rtol=1e-12)
    assert json.loads(eq.attrs["replica_seeds"]) == ["s"] * R
    # a replica with an empty cell (NaN ratio) does not contribute there
    broken = [_synthetic(v, np.ones(2), v, np.zeros(2), [1, 1]) for v in vals[:3]]
    broken[0]["mean_velocity"][0, 0] = np.nan
    m = merge(broken)
    d, uu = np.array(vals[1:3])[:, 0, 0], np.array(vals[1:3])[:, 0, 0] ** 2
    np.testing.assert_allclose(m.mean_velocity.values[0, 0], (d * uu).sum() / d.sum(),
                               rtol=1e-13)
    with pytest.raises(ValueError, match="coordinate"):
        merge([broken[1], broken[2].assign_coords(x=[0.0, 1.0, 3.0])])


def test_bad_arguments_are_refused():
    case = _case()
    with pytest.raises(ValueError, match="replicas"):
        pmc.ensemble(case, replicas=0)
    with pytest.raises(ValueError, match="workers"):
        pmc.ensemble(case, replicas=2, client="tcp://127.0.0.1:1", workers=2)
    with pytest.raises(ValueError, match="threads"):
        pmc.ensemble(case, replicas=2, threads=0)
    with pytest.raises(config.CaseError, match="dispersion"):
        pmc.ensemble({**case, "dispersion": {"model": "Nope"}}, replicas=2)
    with pytest.raises(ValueError, match="at least one value"):
        pmc.sweep(case, {"potential.omega": []})
    with pytest.raises(config.CaseError, match=r"sweep point .*omega"):
        pmc.sweep(case, {"potential.omega": [1.0, -1.0]})
    with pytest.raises(ValueError, match="case_or_factory"):
        pmc.ensemble(3, replicas=2)
    assert parts_directory("a/b.nc") == "a/b.parts" and parts_directory("out") == "out.parts"


# ------------------------------------------------------------------ on a 2-worker cluster
def test_replica_is_a_plain_run_with_the_spawned_seed(client, tmp_path):
    case = _case()
    ds = pmc.ensemble(case, replicas=2, client=client, output=tmp_path / "e.nc",
                      progress=False)
    part = pmc.open_dataset(tmp_path / "e.parts" / "replica-0001.nc")
    child = np.random.SeedSequence(11).spawn(2)[1]
    assert part.attrs["seed"] == str(child)
    # the independent reference: the same objects, that seed given to sampling and run
    sim, opts = _factory(child, n=1000, t_end=2.0, save_every=1.0)
    ref = sim.run(opts["t_end"], opts["save_every"], progress=False)
    _assert_bitwise(part, ref)
    assert ds.attrs["replicas"] == 2 and ds.attrs["seed"] == "11"
    assert int(ds.n_markers[0]) == 2 * 1000
    # more replicas later: the first two parts are reused as they are
    kept = {p: os.stat(p).st_mtime_ns for p in glob.glob(str(tmp_path / "e.parts" / "*.nc"))}
    more = pmc.ensemble(case, replicas=3, client=client, output=tmp_path / "e.nc",
                        overwrite=True, progress=False)
    assert {p: os.stat(p).st_mtime_ns for p in kept} == kept
    assert int(more.n_markers[0]) == 3 * 1000


def test_merged_replicas_agree_with_one_run_of_all_markers(client):
    R, N = 8, 1000
    ens = pmc.ensemble(_case(n=N), replicas=R, client=client, progress=False)
    sim, opts = config.build(_case(n=R * N, seed=99))
    one = sim.run(opts["t_end"], opts["save_every"], progress=False)
    f_e, se_e = ens.f.isel(time=-1).values, ens.f_stderr.isel(time=-1).values
    f_1, se_1 = one.f.isel(time=-1).values, one.f_stderr.isel(time=-1).values
    bin_volume = 0.5 * 0.25
    counts = f_1 * bin_volume * R * N  # markers per bin in the single run (total weight 1)
    use = counts >= 25
    K = int(use.sum())
    assert K >= 30
    # both estimate f with the variance of one run of R*N markers: the difference has
    # variance 2 se_1^2, so chi^2 / K = 1 +- sqrt(2 / K)
    chi2 = np.mean(((f_e - f_1)[use] / (np.sqrt(2.0) * se_1[use])) ** 2)
    assert abs(chi2 - 1.0) < 4.0 * np.sqrt(2.0 / K), chi2
    # the spread-based standard error estimates that same variance, with R - 1 degrees of
    # freedom per bin
    ratio = np.sum(se_e[use] ** 2) / np.sum(se_1[use] ** 2)
    assert abs(ratio - 1.0) < 4.0 * np.sqrt(2.0 / ((R - 1) * K)), ratio


def _kill_first_running_replica(parts, worker_pids, done, record):
    """Poll ``parts`` for a replica's temporary file; SIGKILL the worker process writing it."""
    while not done.is_set():
        for tmp in glob.glob(os.path.join(parts, "replica-*.nc.*.tmp")):
            final = tmp.split(".nc.", 1)[0] + ".nc"
            pid = int(os.path.basename(tmp).split(".nc.", 1)[1].split("-", 1)[0])
            if pid in worker_pids and not os.path.exists(final):
                finished = sorted(glob.glob(os.path.join(parts, "replica-*.nc")))
                os.kill(pid, signal.SIGKILL)
                record.update(pid=pid, part=final, finished_before=finished)
                return
        time.sleep(0.005)


def test_killed_worker_costs_nothing_and_rerun_skips_finished_parts(client, tmp_path):
    # replicas of ~0.5 s each (6e7 marker steps on one thread), so the kill lands mid-run
    case = _case(n=4000, t_end=15.0, save_every=5.0, dt=0.005, observables=ALL_OBSERVABLES)
    R = 4
    calm = pmc.ensemble(case, replicas=R, client=client, output=tmp_path / "calm.nc",
                        progress=False)
    parts = str(tmp_path / "hit.parts")
    pids = set(client.run(os.getpid).values())
    done, record = threading.Event(), {}
    killer = threading.Thread(target=_kill_first_running_replica,
                              args=(parts, pids, done, record))
    killer.start()
    try:
        hit = pmc.ensemble(case, replicas=R, client=client, output=tmp_path / "hit.nc",
                           progress=False)
    finally:
        done.set()
        killer.join()
    assert record, "no worker was killed"
    assert record["part"] not in record["finished_before"]  # it died mid-replica
    client.wait_for_workers(2, timeout=60)
    assert record["pid"] not in set(client.run(os.getpid).values())  # a new process
    assert os.path.exists(record["part"])  # the lost replica was redone
    assert not glob.glob(os.path.join(parts, "*.tmp*"))  # the dead attempt's file is gone
    _assert_bitwise(hit, calm)
    _assert_bitwise(pmc.open_dataset(tmp_path / "hit.nc"), calm)

    # a crashed client: one part missing, a stale temporary file left behind; the rerun
    # redoes only that replica
    lost = os.path.join(parts, "replica-0002.nc")
    os.remove(lost)
    os.remove(tmp_path / "hit.nc")
    pathlib.Path(lost + ".12345-deadbeef.tmp").write_bytes(b"partial")
    kept = {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(parts, "replica-*.nc"))}
    again = pmc.ensemble(case, replicas=R, client=client, output=tmp_path / "hit.nc",
                         progress=False)
    assert {p: os.stat(p).st_mtime_ns for p in kept} == kept
    assert os.path.exists(lost) and not glob.glob(os.path.join(parts, "*.tmp*"))
    _assert_bitwise(again, calm)
    # a changed case is refused, then redone on request
    with pytest.raises(FileExistsError):
        pmc.ensemble(case, replicas=R, client=client, output=tmp_path / "hit.nc")
    changed = override(case, {"potential.omega": 0.6})
    os.remove(tmp_path / "hit.nc")
    with pytest.raises(ValueError, match="different case"):
        pmc.ensemble(changed, replicas=1, client=client, output=tmp_path / "hit.nc",
                     progress=False)
    redo = pmc.ensemble(changed, replicas=1, client=client, output=tmp_path / "hit.nc",
                        overwrite=True, progress=False)
    assert "omega = 0.6" in redo.attrs["case"]
    assert "omega = 0.6" in pmc.open_dataset(os.path.join(parts, "replica-0000.nc")).attrs["case"]


def test_result_independent_of_workers_threads_and_storage(client, tmp_path):
    case = _case(observables=ALL_OBSERVABLES)
    two = pmc.ensemble(case, replicas=4, client=client, progress=False)  # 2 workers x 1 thread
    # the embedded cluster: one worker process, numba on 2 threads
    one = pmc.ensemble(case, replicas=4, workers=1, threads=2, output=tmp_path / "one.nc",
                       progress=False)
    _assert_bitwise(one, two)
    _assert_bitwise(pmc.open_dataset(tmp_path / "one.nc"), two)


def test_sweep_has_a_dimension_per_key_and_matches_ensembles(client, tmp_path):
    case = _case()
    ds = pmc.sweep(case, {"potential.omega": [0.4, 0.6], "run.seed": [1, 2, 3],
                          "distribution.p0": 0.25}, replicas=2, client=client,
                   output=tmp_path / "s.nc", progress=False)
    assert ds.f.dims == ("time", "potential.omega", "run.seed", "x", "p")
    assert ds.n_markers.dims == ("time", "potential.omega", "run.seed")
    assert ds["potential.omega"].values.tolist() == [0.4, 0.6]
    assert ds["run.seed"].values.tolist() == [1, 2, 3]
    assert json.loads(ds.attrs["sweep"]) == {"potential.omega": [0.4, 0.6], "run.seed": [1, 2, 3]}
    assert "p0 = 0.25" in ds.attrs["case"]
    point = override(case, {"potential.omega": 0.6, "run.seed": 2, "distribution.p0": 0.25})
    ref = pmc.ensemble(point, replicas=2, client=client, progress=False)
    _assert_bitwise(ds.sel({"potential.omega": 0.6, "run.seed": 2})
                    .drop_vars(["potential.omega", "run.seed"]), ref)
    _assert_bitwise(pmc.open_dataset(tmp_path / "s.nc"), ds)
    assert len(glob.glob(str(tmp_path / "s.parts" / "*" / "replica-*.nc"))) == 12


def test_cli_replicas_and_sweep_on_an_existing_scheduler(client, tmp_path):
    import tomli_w

    case = _case()
    path = tmp_path / "case.toml"
    path.write_text(tomli_w.dumps(case))
    address = client.scheduler.address
    out = tmp_path / "run.nc"
    assert cli.main(["run", str(path), "--replicas", "2", "--scheduler", address,
                     "-o", str(out), "-q"]) == 0
    ref = pmc.ensemble(case, replicas=2, client=client, progress=False)
    _assert_bitwise(pmc.open_dataset(out), ref)
    assert cli.main(["sweep", str(path), "--set", "potential.omega=0.4,0.6", "--scheduler",
                     address, "-o", str(tmp_path / "sw.nc"), "-q"]) == 0
    sw = pmc.open_dataset(tmp_path / "sw.nc")
    assert sw["potential.omega"].values.tolist() == [0.4, 0.6]
    assert "run.seed" not in sw.dims
    # errors are one line with exit status 2
    assert cli.main(["sweep", str(path), "--set", "potential.nope=1", "-q",
                     "-o", str(tmp_path / "bad.nc")]) == 2
    assert cli.main(["run", str(path), "--scheduler", address, "-o", str(out)]) == 2


def test_factory_replicas(client, tmp_path):
    ds = pmc.ensemble(_factory, replicas=3, client=client, seed=5, output=tmp_path / "f.nc",
                      progress=False)
    sim, opts = _factory(np.random.SeedSequence(5).spawn(3)[2])
    ref = sim.run(opts["t_end"], opts["save_every"], progress=False)
    _assert_bitwise(pmc.open_dataset(tmp_path / "f.parts" / "replica-0002.nc"), ref)
    assert int(ds.n_markers[0]) == 1500


FACTORY_FILE = """
import numpy as np
import pmc


def make(seed, omega=0.5, n=300):
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.Harmonic(omega=omega))
    markers = pmc.sample(pmc.states.GaussianWavepacket(x0=-3.0, p0=0.5, sigma_x=1.0), n=n,
                         seed=seed)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-10, 10, 41), p=np.linspace(-4, 4, 33))
    return pmc.Simulation(H, markers, dt=0.05, grid=grid, seed=seed), {"t_end": 1.0,
                                                                       "save_every": 0.5}
"""


def test_sweep_of_a_python_factory_from_the_command_line(client, tmp_path):
    source = tmp_path / "factory_case.py"
    source.write_text(FACTORY_FILE)
    out = tmp_path / "fs.nc"
    assert cli.main(["sweep", f"{source}:make", "--set", "omega=0.4,0.6", "--set", "n=200",
                     "--replicas", "2", "--scheduler", client.scheduler.address,
                     "-o", str(out), "-q"]) == 0
    sw = pmc.open_dataset(out)
    assert sw.f.dims == ("time", "omega", "n", "x", "p")
    assert sw["omega"].values.tolist() == [0.4, 0.6] and sw["n"].values.tolist() == [200]
    assert int(sw.n_markers.sel(omega=0.4, n=200)[0]) == 400
    assert sw.attrs["factory"].endswith(".make")
    # each point is the ensemble of the factory with the point's keywords, seeded from 0
    make = load_factory(f"{source}:make")
    ref = pmc.ensemble(functools.partial(make, omega=0.6, n=200), replicas=2, client=client,
                       seed=0, progress=False)
    _assert_bitwise(sw.sel(omega=0.6, n=200).drop_vars(["omega", "n"]), ref)
    # the points differ: omega is really passed on
    assert not np.array_equal(sw.f.sel(omega=0.4).values, sw.f.sel(omega=0.6).values)
    # pmc run --replicas takes the same factory (its defaults: omega 0.5, n 300)
    assert cli.main(["run", str(source) + ":make", "--replicas", "2", "--scheduler",
                     client.scheduler.address, "-o", str(tmp_path / "fr.nc"), "-q"]) == 0
    _assert_bitwise(pmc.open_dataset(tmp_path / "fr.nc"),
                    pmc.ensemble(make, replicas=2, client=client, seed=0, progress=False))
    assert cli.main(["run", str(source) + ":make", "-o", str(tmp_path / "one.nc")]) == 2
    # a key that is not a keyword of the factory is refused before anything runs
    assert cli.main(["sweep", f"{source}:make", "--set", "nope=1", "-q",
                     "-o", str(tmp_path / "bad.nc")]) == 2
    assert not (tmp_path / "bad.parts").exists()
    with pytest.raises(ValueError, match="no callable 'nothing'"):
        load_factory(f"{source}:nothing")
    with pytest.raises(ValueError, match="seed only with a factory"):
        pmc.sweep(_case(), {"potential.omega": [0.4]}, seed=1)
