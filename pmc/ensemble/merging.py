"""The statistical merge of replicas: R runs of one case into one dataset of the usual schema.

Replica r contributes with the weight a_r = its total weight at the first frame (the number of
physical particles its markers stand for; equal weights if every a_r is 0), normalised to
omega_r = a_r / sum_s a_s. For every quantity X the ensemble value and its standard error are

    X = sum_r omega_r X_r,    stderr(X)^2 = K / (K - 1) sum_r omega_r^2 (X_r - X)^2,

over the K replicas that contribute (omega_r > 0 and X_r finite): the standard error of a
weighted mean from the spread between the replicas, Cochran's ratio-estimator formula as given
by Gatz & Smith, Atmos. Environ. 29, 1185 (1995) (their sum of three terms is this one square),
which for equal weights is the familiar s / sqrt(R). It is computed in two passes (mean, then
squared deviations), not as <X^2> - <X>^2 as QuTiP's ``MultiTrajResult`` does, which cancels
catastrophically when the spread is small. Each variable follows one rule, :func:`rule`:

* ``f``, ``density``, ``current*``, ``energy_density``, and the scalars ``total_weight``,
  ``energy``, ``momentum``, ``absorbed``, ``injected``: weighted mean as above ("mean"). For
  replicas of one case (equal a_r) this is exactly what one run of sum_r N_r markers estimates,
  because each replica's markers carry the whole physical weight between them. Any other
  variable (of a later schema) is merged the same way.
* ``mean_velocity*`` and ``temperature``: ratios ("ratio"), weighted per cell and time by the
  replica's density (its sum of weights in the cell), so that the mean velocity is exactly the
  pooled sum w v / sum w; replicas with an empty cell (NaN) do not contribute. The temperature is
  the density-weighted mean of the replicas' temperatures (the pooled estimate would add the
  spread of the replicas' mean velocities, a term of relative order 1 / (markers in the cell)).
  Without a recorded ``density`` the weights are omega_r.
* ``weight_outside_*`` (fractions of the total weight, "fraction"): weighted by each replica's
  total weight at that time, which is the pooled fraction.
* ``n_markers`` and ``collisions``: summed ("sum": the ensemble's markers and events); integer
  attributes ``count`` and ``markers_outside_*``: summed too.
* ``*_stderr``: from the spread, as above, with K >= 2; with R = 1 the merged dataset is the
  single replica's, with its within-run standard errors.

The merge reads the parts one at a time in replica order, so its memory is a few copies of one
replica and its result is bitwise the same whatever the number of workers, the threads per
worker and the order in which replicas finished (each replica is itself bitwise independent of
the thread count: docs/design.md §1).

The passes are written over numpy arrays rather than as ``xr.concat(parts, "replica")`` followed
by ``.weighted(omega)``: the concatenation holds all R replicas in one array (the loop reads one
replica at a time and keeps running sums, and beyond ``MERGE_MEMORY`` streams the parts from
disk), and it is slower for the same bits. xarray carries the coordinates, the attributes and the
reading of the parts.
"""
import contextlib
import json
import math

import numpy as np
import xarray as xr

from .. import io, schema

__all__ = ["merge", "rule", "MERGE_MEMORY"]

#: merge keeps the replicas in memory between its passes while they take at most this many
#: bytes together [B]; beyond, it reads them from their files once per pass.
MERGE_MEMORY = 2 * 2**30


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
    kind = {n: rule(n, first) for n in names}
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


def rule(name, ds=None):
    """How the ensemble merges variable ``name``: ``"mean"``, ``"ratio"``, ``"fraction"`` or
    ``"sum"`` (the rules of the module docstring), as :mod:`pmc.schema` declares it with the
    variable (``ds`` is not needed; kept for callers that pass the replica)."""
    return schema.merge_rule(name)


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
        io.check_container(part)  # a truncated part would read as zeros
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
