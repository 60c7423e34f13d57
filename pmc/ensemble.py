"""Replica ensembles and parameter sweeps of a case, run on dask.distributed.

A Monte Carlo error bar shrinks as 1/sqrt(total markers), and a study is a sweep over case
parameters; both are sets of independent runs. :func:`ensemble` runs R replicas of one case with
seeds spawned from the case seed and merges them into one dataset of the usual schema;
:func:`sweep` runs the Cartesian product of case-file overrides (each point an ensemble) and
stacks the points along one dimension per swept key. The runs go to a dask.distributed cluster:
an embedded :class:`distributed.LocalCluster` of worker *processes* (numba's threads then never
share a GIL with the scheduler), or an existing cluster given by a :class:`distributed.Client` or
a scheduler address (``dask scheduler`` / ``dask worker``, dask-jobqueue, Kubernetes).

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
:meth:`pmc.Simulation.run` output path, under a temporary name
``replica-000r.nc.<pid>-<random>.tmp`` (pid: the writing process) renamed into place when the run
is complete. A finished part is never rewritten: a rerun of the same call skips the parts whose
case and seed match (attributes ``case`` and ``seed``) and redoes the rest, so a crash of the
client or of a worker costs only the unfinished replicas; a worker that dies mid-replica has its
replica rerun from the start by the scheduler on a live worker. A part written by a different
case is an error unless ``overwrite=True``. With a factory instead of a case, a part is
recognised by its seed only. The parts directory must be visible to the client and every worker
(a shared filesystem on a cluster). The merged result is written last, also atomically.

Merging R replicas
------------------
Replica r contributes with the weight a_r = its total weight at the first frame (the number of
physical particles its markers stand for; equal weights if every a_r is 0), normalised to
omega_r = a_r / sum_s a_s. For every quantity X the ensemble value and its standard error are

    X = sum_r omega_r X_r,    stderr(X)^2 = K / (K - 1) sum_r omega_r^2 (X_r - X)^2,

over the K replicas that contribute (omega_r > 0 and X_r finite): the standard error of a
weighted mean from the spread between the replicas, Cochran's ratio-estimator formula as given
by Gatz & Smith, Atmos. Environ. 29, 1185 (1995) (their sum of three terms is this one square),
which for equal weights is the familiar s / sqrt(R). It is computed in two passes (mean, then squared deviations), not as <X^2> - <X>^2
as QuTiP's ``MultiTrajResult`` does, which cancels catastrophically when the spread is small.
Per variable of the schema:

* ``f``, ``density``, ``current*``, ``energy_density``, and the scalars ``total_weight``,
  ``energy``, ``momentum``, ``absorbed``, ``injected``: weighted mean as above. For replicas of
  one case (equal a_r) this is exactly what one run of sum_r N_r markers estimates, because each
  replica's markers carry the whole physical weight between them. Any other variable (of a later
  schema) is merged the same way.
* ``mean_velocity*`` and ``temperature``: ratios, weighted per cell and time by the replica's
  density (its sum of weights in the cell), so that the mean velocity is exactly the pooled
  sum w v / sum w; replicas with an empty cell (NaN) do not contribute. The temperature is the
  density-weighted mean of the replicas' temperatures (the pooled estimate would add the spread
  of the replicas' mean velocities, a term of relative order 1 / (markers in the cell)). Without a recorded
  ``density`` the weights are omega_r.
* ``weight_outside_*`` (fractions of the total weight): weighted by each replica's total weight
  at that time, which is the pooled fraction.
* ``n_markers`` and ``collisions``: summed (the ensemble's markers and events); integer
  attributes ``count`` and ``markers_outside_*``: summed too.
* ``*_stderr``: from the spread, as above, with K >= 2; with R = 1 the merged dataset is the
  single replica's, with its within-run standard errors.

The merge reads the parts one at a time in replica order, so its memory is a few copies of one
replica and its result is bitwise the same whatever the number of workers, the threads per
worker and the order in which replicas finished (each replica is itself bitwise independent of
the thread count: docs/design.md §1).

Dotted keys
-----------
An override ``"section.key"`` sets ``case[section][key]``; deeper tables are walked the same way
(``"grid.x.num"``, ``"potential.modulation.amplitude"``), and a section written as a list of
tables (``[[potential]]``) is addressed by the table's index: ``"potential.0.height"``. Missing
tables are created; whether the key is valid is then checked by :func:`pmc.config.build`, which
lists the valid keys.
"""
import contextlib
import copy
import dataclasses
import datetime
import glob
import itertools
import json
import math
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
from threadpoolctl import threadpool_limits

from . import _checks, io
from ._version import __version__
from .config import CaseError, build, load_case

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["ensemble", "sweep", "override", "merge", "replica_seeds", "parts_directory"]

#: Variables summed over the replicas; every other variable is a weighted mean.
SUMMED = ("n_markers", "collisions")
#: Prefixes of ratio variables, weighted per cell by the replica's density.
RATIOS = ("mean_velocity", "temperature")
#: Prefix of the fractions of the total weight, weighted by each replica's total weight.
FRACTIONS = ("weight_outside_",)
#: merge keeps the replicas in memory between its passes while they take at most this many
#: bytes together [B]; beyond, it reads them from their files once per pass.
MERGE_MEMORY = 2 * 2**30


# ============================================================================ public API
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
        The usual schema (docs/design.md §3), merged as in the module docstring, with attributes
        ``replicas`` (R), ``seed`` (the seed that the replica seeds were spawned from) and
        ``replica_seeds``.

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
    replicas = _checks.count("replicas", replicas, minimum=1)
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


def sweep(case, overrides, replicas=1, client=None, *, output=None, overwrite=False,
          progress=True, workers=None, threads=None):
    """Run the Cartesian product of case-file overrides; one dimension per swept key.

    Parameters
    ----------
    case : dict, str or path-like
        A case dict (as from :func:`pmc.config.load_case`) or the path of a TOML case file.
    overrides : dict
        Dotted key (see the module docstring: ``"potential.height"``, ``"potential.0.height"``,
        ``"run.seed"``) -> a list of values (a swept key: one dimension of the result, named by
        the key, with the values as its coordinate) or a single value (a fixed override, no
        dimension). Values are in the units of the case-file key they replace.
    replicas : int
        Replicas per point, >= 1, merged as by :func:`ensemble`; their seeds are spawned from
        each point's ``[run] seed`` (so sweeping ``run.seed`` gives independent points).
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
    replicas = _checks.count("replicas", replicas, minimum=1)
    case = _source(case)
    if not isinstance(case, dict):
        raise ValueError("sweep needs a case (a dict or a TOML file), not a factory")
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
    base = override(case, fixed)
    parts = None
    if output is not None:
        output = str(output)
        io.check_writable(output, overwrite=overwrite)
        parts = parts_directory(output)
    points, names = [], set()
    for combo in itertools.product(*swept.values()):
        point_overrides = dict(zip(swept, combo))
        try:
            point_case = override(base, point_overrides)
            _check_case(point_case)
        except CaseError as exc:
            raise CaseError(f"sweep point {point_overrides}: {exc}") from None
        directory = None
        if parts is not None:
            name = _point_name(point_overrides)
            if name in names:  # two values that print alike: fall back to the point's index
                name = f"{name}-{len(points):04d}"
            names.add(name)
            directory = os.path.join(parts, name)
        points.append(_Point(source=point_case, seed=_base_seed(point_case, None),
                             directory=directory, overrides=point_overrides))
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
                 "case": tomli_w.dumps(_plain(_without_dir(base))),
                 "seed": str(_base_seed(base, None)),
                 "sweep": json.dumps(swept),
                 "created": _now()}
    out.attrs.pop("replica_seeds", None)
    if output is not None:
        _write(out, output)
    return out


def override(case, overrides):
    """A copy of ``case`` with dotted keys set (see the module docstring); ``case`` is not
    modified.

    Parameters
    ----------
    case : dict
        A case dict, as from :func:`pmc.config.load_case`.
    overrides : dict
        Dotted key -> value (in the units of the case-file key it replaces).

    Returns
    -------
    dict

    Raises
    ------
    pmc.config.CaseError
        For an empty or malformed key, a list section addressed without an index (the message
        shows the form ``"potential.0.height"``), an index out of range, or a key that walks
        into a value that is not a table.

    Examples
    --------
    >>> c = {"potential": [{"model": "Harmonic", "omega": 1.0}, {"model": "Quartic"}]}
    >>> override(c, {"potential.0.omega": 2.0})["potential"][0]["omega"]
    2.0
    >>> c["potential"][0]["omega"]
    1.0
    """
    out = copy.deepcopy(case)
    for key, value in overrides.items():
        _set(out, key, value)
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
    replicas = _checks.count("replicas", replicas, minimum=1)
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


# ============================================================================ merging
def merge(parts):
    """Merge replica datasets (or the paths of their netCDF parts) into one.

    Parameters
    ----------
    parts : sequence of xarray.Dataset or path-like
        Replicas of one case, in replica order, with identical coordinates.

    Returns
    -------
    xarray.Dataset
        Values and ``*_stderr`` as in the module docstring; attribute ``replica_seeds``.

    Raises
    ------
    ValueError
        If ``parts`` is empty or the replicas differ in variables or coordinates.
    """
    parts = list(parts)
    if not parts:
        raise ValueError("merge needs at least one replica")
    R = len(parts)
    first = _load(parts[0])
    # each part is read once and kept for the three passes, unless they would take more
    # than MERGE_MEMORY together (then read lazily in pass 0 and again in passes 1 and 2)
    loaded = {0: first}
    keep = first.nbytes * R <= MERGE_MEMORY

    def replica(r):
        ds = loaded.get(r)
        if ds is None:
            ds = _load(parts[r], indexes=False)
            if keep:
                loaded[r] = ds
        return ds

    seeds = [first.attrs.get("seed", "?")]
    # pass 0: the replica weights a_r (total weight at the first frame) and the ensemble's
    # total weight at each time (the weights of the fractions)
    a = np.empty(R)
    a[0] = _initial_weight(first)
    total = _total_weight(first)
    for r in range(1, R):
        with (contextlib.nullcontext(replica(r)) if keep else _peek(parts[r])) as ds:
            _check_alike(first, ds, r)
            a[r] = _initial_weight(ds)
            total = total + _total_weight(ds)
            seeds.append(ds.attrs.get("seed", "?"))
    if R == 1:
        out = first.copy(deep=True)
        out.attrs["replica_seeds"] = json.dumps(seeds)
        return out
    omega = a / a.sum() if a.sum() > 0.0 else np.full(R, 1.0 / R)
    names = [n for n in first.data_vars if not n.endswith("_stderr")]
    kind = {n: _kind(n, first) for n in names}
    # pass 1: weighted sums
    num, den, attr_acc = {}, {}, {}
    for r in range(R):
        ds = replica(r)
        for n in names:
            x, wgt = _values_and_weight(ds, n, kind[n], omega[r], total)
            if kind[n] == "sum":
                num[n] = x.copy() if r == 0 else num[n] + x
                continue
            ok = np.isfinite(x) & (wgt > 0)
            term = np.where(ok, wgt * np.where(ok, x, 0.0), 0.0)
            w_ok = np.where(ok, wgt, 0.0)
            num[n] = term if r == 0 else num[n] + term
            den[n] = w_ok if r == 0 else den[n] + w_ok
            for key, value in ds[n].attrs.items():
                _accumulate_attr(attr_acc, n, key, value, omega[r], r)
    mean = {}
    for n in names:
        if kind[n] == "sum":
            mean[n] = num[n]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[n] = np.where(den[n] > 0, num[n] / np.where(den[n] > 0, den[n], 1.0),
                                   np.nan)
    # pass 2: squared deviations from the mean, for the *_stderr companions
    spread = [n for n in names if f"{n}_stderr" in first.data_vars and kind[n] != "sum"]
    dev, count = {}, {}
    for r in range(R):
        ds = replica(r)
        for n in spread:
            x, wgt = _values_and_weight(ds, n, kind[n], omega[r], total)
            ok = np.isfinite(x) & (wgt > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                w_norm = np.where(ok, wgt / np.where(den[n] > 0, den[n], 1.0), 0.0)
                term = np.where(ok, (w_norm * (np.where(ok, x, 0.0) - mean[n])) ** 2, 0.0)
            dev[n] = term if r == 0 else dev[n] + term
            count[n] = ok.astype(np.int64) if r == 0 else count[n] + ok
    # the merged variables replace replica 0's in one construction (Variables: no alignment)
    data = {name: var.copy(deep=True) for name, var in first.data_vars.variables.items()}
    for n in names:
        var = data[n]
        data[n] = var.copy(data=mean[n].astype(np.result_type(var.dtype, mean[n].dtype)))
        data[n].attrs.update(attr_acc.get(n, {}))
        data[n].attrs["ensemble"] = _RULE_TEXT[kind[n]].format(R=R)
    for n in spread:
        k = count[n]
        with np.errstate(invalid="ignore", divide="ignore"):
            err = np.where(k >= 2, np.sqrt(k / np.maximum(k - 1, 1) * dev[n]), np.nan)
        name = f"{n}_stderr"
        data[name] = data[name].copy(data=err)
        data[name].attrs["ensemble"] = (f"standard error of the ensemble value from the spread "
                                        f"between the {R} replicas")
    out = xr.Dataset(data, coords=first.coords.copy(deep=True), attrs=dict(first.attrs))
    out.attrs["replica_seeds"] = json.dumps(seeds)
    return out


_RULE_TEXT = {
    "mean": "mean over {R} replicas weighted by their initial total weight",
    "ratio": "mean over {R} replicas weighted per cell by their density",
    "fraction": "mean over {R} replicas weighted by their total weight at each time",
    "sum": "sum over {R} replicas",
}


def _kind(name, ds):
    if name in SUMMED:
        return "sum"
    if name.startswith(FRACTIONS):
        return "fraction"
    if name.startswith(RATIOS):
        return "ratio"
    return "mean"


def _values_and_weight(ds, name, kind, omega_r, total):
    """The replica's values of ``name`` and the (unnormalised) weight of each element;
    ``total``: the ensemble's total weight at each time."""
    var = ds.variables[name]  # Variables, not DataArrays: no coordinates to carry along
    x = np.asarray(var.values)
    if kind == "sum":
        return x, None
    x = x.astype(np.float64)
    density = ds.variables.get("density")
    if kind == "ratio" and density is not None and density.dims == var.dims:
        w = np.asarray(density.values, dtype=np.float64)
    elif kind == "fraction":  # the replica's total weight at each time, where there is any
        tw = ds.variables["total_weight"]
        w = np.where(total > 0.0, np.asarray(tw.values, dtype=np.float64), omega_r)
        w = tw.copy(data=w).set_dims(dict(zip(var.dims, var.shape))).transpose(*var.dims)
        w = np.asarray(w.values)
    else:
        w = np.full(x.shape, omega_r)
    return x, w


def _accumulate_attr(acc, name, key, value, omega_r, r):
    """Numeric per-replica attributes: counts summed, weight fractions averaged."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return
    slot = acc.setdefault(name, {})
    if key == "count" or key.startswith("markers_outside"):
        slot[key] = value if r == 0 else slot[key] + value
    elif key.startswith("weight_outside"):
        slot[key] = omega_r * value if r == 0 else slot[key] + omega_r * value


def _total_weight(ds):
    if "total_weight" not in ds.data_vars:
        return np.zeros(1)
    return np.asarray(ds["total_weight"].values, dtype=np.float64)


@contextlib.contextmanager
def _peek(part):
    """A replica without loading its arrays (a file is opened lazily and closed after)."""
    if isinstance(part, xr.Dataset):
        yield part
    else:
        with xr.open_dataset(part) as ds:
            yield ds


def _initial_weight(ds):
    if "total_weight" not in ds.data_vars:
        return 1.0
    w = float(np.asarray(ds["total_weight"].values).reshape(-1)[0])
    return w if math.isfinite(w) and w > 0.0 else 0.0


def _check_alike(first, ds, r):
    if set(first.data_vars) != set(ds.data_vars):
        raise ValueError(f"replica {r} has variables {sorted(ds.data_vars)}, replica 0 has "
                         f"{sorted(first.data_vars)}: not replicas of one case")
    for name, coord in first.coords.items():
        other = ds.coords.get(name)
        if other is None or other.shape != coord.shape or not np.array_equal(
                np.asarray(other.values), np.asarray(coord.values)):
            raise ValueError(f"replica {r} has a different coordinate {name!r} than replica 0: "
                             f"not replicas of one case")


def _load(part, indexes=True):
    """A part in memory; ``indexes=False`` skips building the coordinates' indexes (a third
    of the time to read a small part), for parts whose values alone are read."""
    if isinstance(part, xr.Dataset):
        return part
    if not indexes:
        with contextlib.suppress(TypeError):  # xarray older than 2025.7 builds them anyway
            return io.open_dataset(part, create_default_indexes=False)
    return io.open_dataset(part)


# ============================================================================ running
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
        workers = _checks.count("workers", workers, minimum=1)
    if threads is not None:
        threads = _checks.count("threads", threads, minimum=1)
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
            todo.append(_Task(k, r, point.source, child, part, threads))
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
    _set_numba_threads(task.threads)
    sim, options = _build_replica(task.source, task.seed)
    scratch = None
    if task.part is None:
        scratch = tempfile.mkdtemp(prefix="pmc-replica-")
        final = os.path.join(scratch, "replica.nc")
    else:
        final = task.part
    tmp = f"{final}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    from ._run import checkpoint_path

    try:
        # BLAS on one thread wherever a replica runs: numba's threads do the parallel work, and
        # a BLAS reduction's summation order (the total momentum, w @ p) depends on its thread
        # count, which dask's nannies set to 1 (OPENBLAS_NUM_THREADS) and a client does not
        with threadpool_limits(limits=1, user_api="blas"):
            sim.run(options["t_end"], options["save_every"], output=tmp, progress=False,
                    overwrite=True, checkpoint_every=options.get("checkpoint_every", 10),
                    load=False)
        with contextlib.suppress(FileNotFoundError):
            os.remove(checkpoint_path(tmp))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if scratch is not None:
            return io.open_dataset(tmp)
        os.replace(tmp, final)
        return final
    finally:
        for path in (tmp, checkpoint_path(tmp)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _build_replica(source, seed):
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


def _set_numba_threads(threads):
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        per = 1
        try:
            from distributed import get_worker

            per = max(1, int(get_worker().state.nthreads))
        except (ImportError, ValueError, AttributeError):
            pass
        threads = max(1, limit // per)
    numba.set_num_threads(max(1, min(int(threads), limit)))


def _part_matches(part, expected_case, seed):
    """Whether a finished part was written by this case (its TOML) and seed."""
    import netCDF4

    try:
        with netCDF4.Dataset(part, "r") as nc:
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
    except OSError:
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
def _source(case_or_factory):
    if isinstance(case_or_factory, dict):
        return case_or_factory
    if isinstance(case_or_factory, (str, os.PathLike)):
        return load_case(case_or_factory)
    if callable(case_or_factory):
        return case_or_factory
    raise ValueError(f"case_or_factory must be a case dict, a TOML file or a callable "
                     f"factory(seed) -> (Simulation, options), got {case_or_factory!r}")


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


def _set(case, key, value):
    if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
        raise CaseError(f"override key {key!r} must be dotted names such as 'potential.height'")
    parts = key.split(".")
    if parts[0] == "__dir__":
        raise CaseError("override key '__dir__' is not a case-file key")
    node, path = case, []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if isinstance(node, list):
            if not re.fullmatch(r"\d+", part):
                where = ".".join(path)
                raise CaseError(f"override {key!r}: [{where}] is a list of {len(node)} tables; "
                                f"address one by its index, e.g. "
                                f"'{where}.0.{'.'.join(parts[k:])}'")
            index = int(part)
            if index >= len(node):
                raise CaseError(f"override {key!r}: index {index} out of range, [{'.'.join(path)}]"
                                f" has {len(node)} entries (0 .. {len(node) - 1})")
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise CaseError(f"override {key!r}: {'.'.join(path)} is a value ({node!r}), not a "
                            f"table")
        path.append(part)


def _point_name(overrides):
    text = ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                    for k, v in overrides.items()) or "point"
    safe = re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)
    if len(safe) > 120:
        safe = safe[:100] + "-" + uuid.uuid5(uuid.NAMESPACE_URL, text).hex[:12]
    return safe


def _plain(value):
    """TOML- and JSON-safe plain Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _without_dir(case):
    return {k: v for k, v in case.items() if k != "__dir__"}


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
    """Write a merged dataset (``time`` its first dimension) atomically: frame by frame through
    :class:`pmc.io.FrameWriter`, so it has the format and types of a run's output, under a
    temporary name renamed when complete."""
    tmp = f"{output}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    ds = ds.copy()
    for var in ds.data_vars.values():
        # declared missing values come back from the parts in the encoding
        if "missing_value" in var.encoding and "missing_value" not in var.attrs:
            var.attrs["missing_value"] = var.encoding["missing_value"]
    try:
        with io.FrameWriter(tmp, ds.attrs) as writer:
            for k in range(ds.sizes["time"]):
                writer.write(k, ds.isel(time=[k]))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
