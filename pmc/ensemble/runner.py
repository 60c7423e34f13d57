"""The runner: replica ensembles and parameter sweeps of a case on dask.distributed.

The runs go to a dask.distributed cluster: an embedded :class:`distributed.LocalCluster` of worker
*processes* (numba's threads then never share a GIL with the scheduler), or an existing cluster
given by a :class:`distributed.Client` or a scheduler address (``dask scheduler`` / ``dask
worker``, dask-jobqueue, Kubernetes).

Replica seeds
-------------
Replica r of a case with seed s gets ``numpy.random.SeedSequence(s).spawn(R)[r]`` (that is
``SeedSequence(s, spawn_key=(r,))``), used both to sample the initial markers and as the seed of
every random stream of the run. Replica r is therefore the same run whatever R is, so an ensemble
of 8 replicas reuses the parts of an earlier ensemble of 4. QuTiP's multi-trajectory solvers
record the same thing, one ``SeedSequence`` per trajectory (``qutip/solver/multitrajresult.py``,
``seeds``); here the seed is written into each part (attribute ``seed``).

Parts and restarts
------------------
With an output file ``OUT.nc``, replica r writes ``OUT.parts/replica-000r.nc`` (a sweep:
``OUT.parts/<point>/replica-000r.nc``, the point named by its overrides) through the ordinary
:meth:`pmc.Simulation.run` output path, under the temporary name of :func:`pmc.io.atomic_path`
(``replica-000r.nc.<pid>-<random>.tmp``, pid: the writing process) renamed into place when the
run is complete. A finished part is never rewritten: a rerun of the same call skips the parts
whose case and seed match (attributes ``case`` and ``seed``) and redoes the rest, so a crash of
the client or of a worker costs only the unfinished replicas; a worker that dies mid-replica has
its replica rerun from the start by the scheduler on a live worker. A part written by a different
case is an error unless ``overwrite=True``. With a factory instead of a case, a part is
recognised by its seed only. The parts directory must be visible to the client and every worker
(a shared filesystem on a cluster). The merged result is written last, also atomically.
"""
import contextlib
import copy
import dataclasses
import datetime
import functools
import glob
import importlib.util
import inspect
import itertools
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import uuid
import warnings

import numpy as np
import tomli_w
import xarray as xr

from .. import io
from .. import threads as _threads
from .._version import __version__
from ..config import CaseError, build, load_case
from .merging import merge
from .overrides import _plain, _point_name, _without_dir, override

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["ensemble", "sweep", "replica_seeds", "parts_directory", "load_factory"]


def ensemble(case_or_factory, replicas, client=None, *, seed=None, output=None,
             overwrite=False, progress=True, workers=None, threads=None):
    """Run ``replicas`` independent replicas of a case and merge them into one dataset.

    Parameters
    ----------
    case_or_factory : dict, str, path-like or callable
        A case dict (as from :func:`pmc.config.load_case`), the path of a TOML case file, or a
        factory ``factory(seed) -> (pmc.Simulation, options)`` that builds replica ``seed`` (a
        :class:`numpy.random.SeedSequence`: sample the markers and seed the simulation with it)
        and returns the run options ``t_end`` [s], ``save_every`` [s] and optionally
        ``checkpoint_every``, as :func:`pmc.config.build` does. A factory must be picklable by
        cloudpickle (defined in an importable module, or registered by value).
    replicas : int
        Number of replicas R, >= 1.
    client : distributed.Client or str, optional
        The dask cluster: a client, or a scheduler address such as ``"tcp://10.0.0.1:8786"``.
        Default: an embedded :class:`distributed.LocalCluster` of ``workers`` processes, started
        for this call and closed after it.
    seed : int or numpy.random.SeedSequence, optional
        Seed the replica seeds are spawned from (dimensionless). Default: the case's ``[run]
        seed`` (0 if absent); for a factory, 0.
    output : str or path-like, optional
        Merged netCDF file; the replicas' parts go to :func:`parts_directory` of it. Without it
        the replicas return their datasets to the client and nothing is kept on disk.
    overwrite : bool
        Replace an existing merged output and any part that a different case wrote. Parts that
        match the case and seed are kept even then: a rerun would reproduce them bitwise.
    progress : bool
        One tqdm bar over the replicas (shown only on a terminal).
    workers : int, optional
        Worker processes of the embedded cluster, >= 1 (default: the usable cores). Only without
        ``client``.
    threads : int, optional
        numba threads per replica, >= 1. Default: with the embedded cluster, the usable cores
        divided by ``workers``; on an existing cluster, numba's thread count divided by the
        worker's dask threads (start workers with ``--nthreads 1`` to give each replica all
        the cores of its worker).

    Returns
    -------
    xarray.Dataset
        The usual schema (docs/design.md §3), merged as :mod:`pmc.ensemble.merging` describes,
        with attributes ``replicas`` (R), ``seed`` (the seed that the replica seeds were spawned
        from) and ``replica_seeds``.

    Raises
    ------
    ValueError
        For ``replicas`` < 1, ``workers`` or ``threads`` < 1, ``workers`` with a client, an
        invalid case (:class:`pmc.config.CaseError`, naming section and key), or a part written
        by a different case.
    FileExistsError
        If ``output`` exists and ``overwrite`` is false.

    Examples
    --------
    Eight replicas of the barrier case on an embedded local cluster (not run as a doctest: it
    starts worker processes)::

        import pmc, pmc.config
        case = pmc.config.load_case("examples/barrier.toml")
        ds = pmc.ensemble(case, replicas=8, output="barrier.nc")
        float(ds.density_stderr.max())
    """
    replicas = _count("replicas", replicas)
    source = _source(case_or_factory)
    if isinstance(source, dict):
        _check_case(source)
    base_seed = _base_seed(source, seed)
    parts = None
    if output is not None:
        output = str(output)
        io.check_writable(output, overwrite=overwrite)
        parts = parts_directory(output)
    point = _Point(source=source, seed=base_seed, directory=parts, overrides={})
    results = _execute([point], replicas, client, overwrite, progress, workers, threads)
    merged = merge([results[(0, r)] for r in range(replicas)])
    merged.attrs.update(_ensemble_attrs(source, base_seed, replicas))
    if output is not None:
        _write(merged, output)
    return merged


def sweep(case, overrides, replicas=1, client=None, *, seed=None, output=None,
          overwrite=False, progress=True, workers=None, threads=None):
    """Run the Cartesian product of case-file overrides; one dimension per swept key.

    Parameters
    ----------
    case : dict, str, path-like or callable
        A case dict (as from :func:`pmc.config.load_case`), the path of a TOML case file, or a
        factory ``factory(seed, **point) -> (pmc.Simulation, options)`` as for :func:`ensemble`
        that also takes the point's values as keyword arguments (see ``overrides``).
    overrides : dict
        For a case: dotted key (:mod:`pmc.ensemble.overrides`: ``"potential.height"``,
        ``"potential.0.height"``, ``"run.seed"``); for a factory: the name of one of its keyword
        arguments. Each maps to a list of values (a swept key: one dimension of the result, named
        by the key, with the values as its coordinate) or a single value (a fixed override, no
        dimension). Values are in the units of the case-file key they replace.
    replicas : int
        Replicas per point, >= 1, merged as by :func:`ensemble`; their seeds are spawned from
        each point's ``[run] seed`` (so sweeping ``run.seed`` gives independent points); for a
        factory, from ``seed``.
    seed : int or numpy.random.SeedSequence, optional
        Only with a factory: the seed every point's replica seeds are spawned from (default 0).
    client, output, overwrite, progress, workers, threads
        As for :func:`ensemble`. The parts of point k go to a subdirectory of the parts
        directory named by the point's overrides.

    Returns
    -------
    xarray.Dataset
        The merged datasets of the points stacked along one dimension per swept key (in the
        order of ``overrides``), placed after ``time`` (the record dimension of the file) and
        before the other dimensions: ``f(time, potential.height, x, p)``. Attributes: ``case``
        (the case with the fixed overrides), ``sweep`` (JSON: the swept keys and values),
        ``replicas``.

    Raises
    ------
    ValueError
        For an empty value list, an invalid dotted key or case (naming the point), points whose
        datasets have different coordinates (e.g. a swept grid), and as :func:`ensemble`.

    Examples
    --------
    A scan of the barrier height with four replicas per point (not run as a doctest)::

        ds = pmc.sweep("examples/barrier.toml",
                       {"potential.height": [0.5, 1.0, 1.5]}, replicas=4, output="scan.nc")
        ds.density.sel({"potential.height": 1.0}, time=30.0)
    """
    replicas = _count("replicas", replicas)
    case = _source(case)
    if seed is not None and isinstance(case, dict):
        raise ValueError("sweep takes seed only with a factory; a case's points are seeded by "
                         "their [run] seed (sweep 'run.seed' for independent points)")
    if not isinstance(overrides, dict):
        raise ValueError(f"overrides must be a dict of dotted key -> values, got {overrides!r}")
    swept, fixed = {}, {}
    for key, values in overrides.items():
        if isinstance(values, (list, tuple, np.ndarray)):
            values = list(values.tolist() if isinstance(values, np.ndarray) else values)
            if not values:
                raise ValueError(f"overrides[{key!r}] must list at least one value")
            swept[key] = [_plain(v) for v in values]
        else:
            fixed[key] = _plain(values)
    factory = None if isinstance(case, dict) else case
    base = override(case, fixed) if factory is None else None
    parts = None
    if output is not None:
        output = str(output)
        io.check_writable(output, overwrite=overwrite)
        parts = parts_directory(output)
    points, names = [], set()
    for combo in itertools.product(*swept.values()):
        point_overrides = dict(zip(swept, combo))
        if factory is not None:
            source = _factory_point(factory, {**fixed, **point_overrides})
            point_seed = _base_seed(factory, seed)
        else:
            try:
                source = override(base, point_overrides)
                _check_case(source)
            except CaseError as exc:
                raise CaseError(f"sweep point {point_overrides}: {exc}") from None
            point_seed = _base_seed(source, None)
        directory = None
        if parts is not None:
            name = _point_name(point_overrides)
            if name in names:  # two values that print alike: fall back to the point's index
                name = f"{name}-{len(points):04d}"
            names.add(name)
            directory = os.path.join(parts, name)
        points.append(_Point(source=source, seed=point_seed, directory=directory,
                             overrides=point_overrides))
    results = _execute(points, replicas, client, overwrite, progress, workers, threads)
    merged = []
    for k, point in enumerate(points):
        ds = merge([results[(k, r)] for r in range(replicas)])
        ds.attrs.update(_ensemble_attrs(point.source, point.seed, replicas))
        merged.append(ds)
    out = _stack(merged, swept)
    out.attrs = {**merged[0].attrs,
                 "title": f"pmc sweep over {', '.join(swept) or 'no key'}, {replicas} "
                          f"replica{'s' if replicas > 1 else ''} per point",
                 "seed": str(_base_seed(base, None) if factory is None
                             else _base_seed(factory, seed)),
                 "sweep": json.dumps(swept),
                 "created": _now()}
    if factory is None:
        out.attrs["case"] = tomli_w.dumps(_plain(_without_dir(base)))
    else:
        out.attrs["factory"] = _factory_name(factory)
        out.attrs["fixed"] = json.dumps(fixed)
    out.attrs.pop("replica_seeds", None)
    if output is not None:
        _write(out, output)
    return out


def replica_seeds(seed, replicas):
    """The seeds of ``replicas`` replicas: ``SeedSequence(seed).spawn(replicas)``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The case seed (dimensionless); a SeedSequence is not modified.
    replicas : int
        Number of replicas, >= 1.

    Returns
    -------
    list of numpy.random.SeedSequence

    Examples
    --------
    >>> [s.spawn_key for s in replica_seeds(7, 3)]
    [(0,), (1,), (2,)]
    """
    replicas = _count("replicas", replicas)
    if isinstance(seed, np.random.SeedSequence):
        parent = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key,
                                        pool_size=seed.pool_size)
    else:
        if isinstance(seed, (bool, np.bool_, float)):
            raise ValueError(f"seed must be a non-negative integer or a SeedSequence, "
                             f"got {seed!r}")
        try:
            parent = np.random.SeedSequence(seed)
        except (TypeError, ValueError):
            raise ValueError(f"seed must be a non-negative integer or a SeedSequence, "
                             f"got {seed!r}") from None
    return parent.spawn(replicas)


def parts_directory(output):
    """Where the replicas' parts of the merged file ``output`` go: ``OUT.parts`` for
    ``OUT.nc`` (``output + ".parts"`` without a suffix)."""
    path = pathlib.Path(output)
    return str(path.with_suffix(".parts") if path.suffix else pathlib.Path(str(path) + ".parts"))


@dataclasses.dataclass(frozen=True)
class _Point:
    source: object           # case dict or factory
    seed: object             # int or SeedSequence the replica seeds are spawned from
    directory: object        # parts directory, or None (datasets returned in memory)
    overrides: dict


@dataclasses.dataclass(frozen=True)
class _Task:
    point: int
    replica: int
    source: object
    seed: np.random.SeedSequence
    part: object             # final path of the part, or None
    threads: object          # numba threads, or None (decided on the worker)


def _execute(points, replicas, client, overwrite, progress, workers, threads):
    """Run every (point, replica) not already on disk; {(point, replica): path or Dataset}."""
    if workers is not None:
        if client is not None:
            raise ValueError("workers sets the size of the embedded cluster; with a client the "
                             "cluster is the client's")
        workers = _count("workers", workers)
    if threads is not None:
        threads = _count("threads", threads)
    results, todo = {}, []
    for k, point in enumerate(points):
        if point.directory is not None:
            os.makedirs(point.directory, exist_ok=True)
        expected = _case_text(point.source)
        for r, child in enumerate(replica_seeds(point.seed, replicas)):
            part = None
            if point.directory is not None:
                part = os.path.join(point.directory, f"replica-{r:04d}.nc")
                if os.path.exists(part):
                    if _part_matches(part, expected, child):
                        results[(k, r)] = part
                        continue
                    if not overwrite:
                        raise ValueError(f"part {part!r} was written by a different case or "
                                         f"seed; pass overwrite=True (--overwrite) to redo it, or "
                                         f"remove {point.directory!r}")
                    os.remove(part)
            todo.append(_Task(k, r, _shipped(point.source), child, part, threads))
    if todo:
        bar = _bar(progress, len(points) * replicas, len(results))
        try:
            with _engine(client, workers, threads) as (cl, default_threads):
                _submit_and_collect(cl, todo, default_threads, results, bar)
        finally:
            if bar is not None:
                bar.close()
    for point in points:
        if point.directory is not None:
            _remove_stale(point.directory)
    return results


def _submit_and_collect(client, todo, default_threads, results, bar):
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    for t in todo:
        if t.threads is None and default_threads is not None:
            t = dataclasses.replace(t, threads=default_threads)
        fut = client.submit(_run_replica, t, key=f"pmc-replica-{token}-{t.point}-{t.replica}",
                            pure=False)
        futures[fut] = t
    try:
        for fut in as_completed(list(futures)):
            t = futures[fut]
            results[(t.point, t.replica)] = fut.result()
            if bar is not None:
                bar.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise


@contextlib.contextmanager
def _engine(client, workers, threads):
    """(client, default numba threads per replica) for the duration of the block."""
    if client is None:
        from distributed import Client, LocalCluster

        cores = _usable_cores()
        n = workers or cores
        with warnings.catch_warnings():
            # no dashboard; its HTTP server moves to a free port if 8787 is taken: say nothing
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        try:
            with Client(cluster) as cl:
                yield cl, threads or max(1, cores // n)
        finally:
            cluster.close()
    elif isinstance(client, str):
        from distributed import Client

        with Client(client) as cl:
            yield cl, threads
    else:
        yield client, threads


def _run_replica(task):
    """On a worker: run one replica; the path of its part, or its Dataset without a part."""
    if task.part is not None and os.path.exists(task.part):
        return task.part  # finished by an earlier attempt (the client checked the case)
    _threads.set(_replica_threads(task.threads))
    sim, options = _build_replica(task.source, task.seed)
    scratch = None
    if task.part is None:
        scratch = tempfile.mkdtemp(prefix="pmc-replica-")
        final = os.path.join(scratch, "replica.nc")
    else:
        final = task.part
    checkpoint = None
    try:
        with io.atomic_path(final) as tmp:
            checkpoint = io.checkpoint_path(tmp)
            # BLAS on one thread wherever a replica runs: numba's threads do the parallel work,
            # and a BLAS reduction's summation order (the total momentum, w @ p) depends on its
            # thread count, which dask's nannies set to 1 (OPENBLAS_NUM_THREADS) and a client
            # does not
            with _threads.limited(blas=1):
                sim.run(options["t_end"], options["save_every"], output=tmp, progress=False,
                        overwrite=True, checkpoint_every=options.get("checkpoint_every", 10),
                        load=False)
            with contextlib.suppress(FileNotFoundError):
                os.remove(checkpoint)
            if scratch is not None:
                return io.open_dataset(tmp)
        return final
    finally:
        if checkpoint is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(checkpoint)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class _Pickled:
    """A factory as cloudpickle bytes."""
    data: bytes


def _shipped(source):
    """A case as it is; a factory pickled by cloudpickle here, so that a function registered
    by value (:func:`load_factory`) reaches workers that cannot import its module (dask would
    pickle it by reference)."""
    if not callable(source):
        return source
    import cloudpickle

    return _Pickled(cloudpickle.dumps(source))


def _build_replica(source, seed):
    if isinstance(source, _Pickled):
        import cloudpickle

        source = cloudpickle.loads(source.data)
    if callable(source):
        built = source(seed)
        if not (isinstance(built, tuple) and len(built) == 2):
            raise ValueError("a replica factory must return (pmc.Simulation, options dict with "
                             "t_end and save_every)")
        return built
    case = copy.deepcopy(source)
    case.setdefault("run", {})
    case["run"] = dict(case["run"], seed=seed)
    sim, options = build(case)
    sim.case = _without_dir(source)  # recorded with the case seed; the attribute seed is r's
    return sim, options


def _replica_threads(threads):
    """numba threads for a replica: ``threads``, or without it the process's threads shared
    among the dask worker's concurrent tasks."""
    if threads is not None:
        return threads
    per = 1
    try:
        from distributed import get_worker

        per = max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        pass
    return max(1, _threads.available() // per)


def _part_matches(part, expected_case, seed):
    """Whether a finished part was written by this case (its TOML) and seed."""
    import netCDF4

    try:
        io.check_container(part)  # a truncated part (a killed replica) is run again
        with netCDF4.Dataset(part, "r") as nc:
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
    except (OSError, io.DamagedFileError):
        return False
    if str(attrs.get("seed")) != str(seed):
        return False
    if expected_case is None:  # a factory: recognised by its seed only
        return True
    try:
        return tomllib.loads(str(attrs.get("case", ""))) == expected_case
    except tomllib.TOMLDecodeError:
        return False


def _case_text(source):
    """The case as its part's ``case`` attribute reads back (None for a factory)."""
    if callable(source):
        return None
    return tomllib.loads(tomli_w.dumps(_plain(_without_dir(source))))


def _remove_stale(directory):
    """Temporary files of attempts that died (their replica was redone or is finished)."""
    for path in glob.glob(os.path.join(glob.escape(directory), "replica-*.nc.*.tmp*")):
        final = path.split(".nc.", 1)[0] + ".nc"
        if os.path.exists(final):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def _usable_cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def _bar(enabled, total, initial):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="replica", disable=None, dynamic_ncols=True,
                desc="pmc replicas")


# ============================================================================ helpers
def _count(name, value):
    """An integer >= 1 (a bool or a fractional float refused), or a ValueError naming
    ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, float) and value.is_integer()):
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _source(case_or_factory):
    if isinstance(case_or_factory, dict):
        return case_or_factory
    if isinstance(case_or_factory, (str, os.PathLike)):
        return load_case(case_or_factory)
    if callable(case_or_factory):
        return case_or_factory
    raise ValueError(f"case_or_factory must be a case dict, a TOML file or a callable "
                     f"factory(seed) -> (Simulation, options), got {case_or_factory!r}")


def load_factory(spec):
    """The Python factory named by ``spec``, for the command line (``pmc sweep``, ``pmc run
    --replicas``): ``"package.module:function"`` (imported; the current directory is searched
    first) or ``"path/to/file.py:function"`` (``function`` defaults to ``factory``). The
    function's module is pickled by value (cloudpickle), so dask workers need not import it.

    This runs the named Python file, as ``python file.py`` would: it is for the user's own code
    and is never reached from a case file.

    Raises
    ------
    ValueError
        If the module or file cannot be loaded, or has no callable of that name.
    """
    text = str(spec)
    where, sep, name = text.rpartition(":")
    if text.endswith(".py") or not sep:
        where, name = text, ""
    name = name or "factory"
    if where.endswith(".py"):
        path = pathlib.Path(where)
        if not path.is_file():
            raise ValueError(f"factory file {where!r} does not exist")
        digest = uuid.uuid5(uuid.NAMESPACE_URL, str(path.resolve())).hex[:8]
        module_name = f"pmc_factory_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}_{digest}"
        module = sys.modules.get(module_name)
        if module is None:
            spec_ = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec_)
            sys.modules[module_name] = module
            try:
                spec_.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
    else:
        added = os.getcwd() not in sys.path
        if added:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise ValueError(f"factory module {where!r} cannot be imported: {exc}") from None
        finally:
            if added:
                sys.path.remove(os.getcwd())
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ValueError(f"{where!r} has no callable {name!r}: name the factory as "
                         f"'{where}:function'")
    import cloudpickle

    cloudpickle.register_pickle_by_value(module)
    return factory


def _factory_point(factory, values):
    """The factory of one sweep point: ``factory(seed, **values)``, checked against its
    signature."""
    try:
        inspect.signature(factory).bind(None, **values)
    except TypeError as exc:
        raise ValueError(f"sweep over a factory: its keyword arguments are the swept keys; "
                         f"{_factory_name(factory)}(seed, **{values}) fails: {exc}") from None
    except ValueError:  # no signature (a builtin): checked when it runs
        pass
    return functools.partial(factory, **values)


def _factory_name(factory):
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', '?')}"


def _base_seed(source, seed):
    if seed is not None:
        return seed
    if isinstance(source, dict):
        run = source.get("run", {})
        return run.get("seed", 0) if isinstance(run, dict) else 0
    return 0


def _check_case(case):
    """Build the case with a handful of markers: every error a real build would raise, early."""
    probe = copy.deepcopy(case)
    dist = probe.get("distribution")
    if isinstance(dist, dict) and isinstance(dist.get("n"), int) and dist["n"] > 8:
        dist["n"] = 8
    build(probe)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _ensemble_attrs(source, seed, replicas):
    attrs = {"title": f"pmc ensemble of {replicas} replica{'s' if replicas > 1 else ''}",
             "replicas": int(replicas), "seed": str(seed), "pmc_version": __version__,
             "created": _now()}
    if isinstance(source, dict):
        attrs["case"] = tomli_w.dumps(_plain(_without_dir(source)))
    return attrs


def _stack(datasets, swept):
    """Point datasets (in the order of the product) stacked along one dim per swept key."""
    if not swept:
        return datasets[0]
    def nest(flat, shape):  # row-major, as itertools.product enumerates the points
        if len(shape) == 1:
            return list(flat)
        size = len(flat) // shape[0]
        return [nest(flat[i * size:(i + 1) * size], shape[1:]) for i in range(shape[0])]

    nested = nest(list(datasets), [len(v) for v in swept.values()])
    try:
        out = xr.combine_nested(nested, concat_dim=list(swept), data_vars="all",
                                coords="minimal", compat="override", join="exact",
                                combine_attrs="drop_conflicts")
    except ValueError as exc:
        raise ValueError(f"the sweep's points have different coordinates (a swept key changes "
                         f"the grid, times or markers' dimensions?): {exc}") from None
    coords = {}
    for key, values in swept.items():
        coords[key] = (key, np.asarray(values),
                       {"long_name": f"swept case key {key}",
                        "units": "as in the case file"})
    # time stays the first dimension (the record dimension of the file), the swept ones next
    out = out.assign_coords(coords).transpose("time", *swept, ...)
    for name in list(out.data_vars):
        # scalars without a swept dimension (identical at every point) gain it too
        missing = [k for k in swept if k not in out[name].dims]
        if missing:
            out[name] = out[name].expand_dims({k: out.sizes[k] for k in missing})
    return out


def _write(ds, output):
    """Write a merged dataset (``time`` its first dimension) atomically
    (:func:`pmc.io.atomic_path`): frame by frame through :class:`pmc.io.FrameWriter`, so it has
    the format and types of a run's output."""
    ds = ds.copy()
    for var in ds.data_vars.values():
        # declared missing values come back from the parts in the encoding
        if "missing_value" in var.encoding and "missing_value" not in var.attrs:
            var.attrs["missing_value"] = var.encoding["missing_value"]
    with io.atomic_path(output) as tmp, io.FrameWriter(tmp, ds.attrs) as writer:
        for k in range(ds.sizes["time"]):
            writer.write(k, ds.isel(time=[k]))
