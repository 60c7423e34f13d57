"""Steady-state time averages of a run, with batch-means standard errors (DESIGN §5 "Time
averages").

After a transient, the frames of a run sample a stationary process whose successive values are
correlated. The average over the window is unbiased, but its error is not sigma / sqrt(N): it is
sigma sqrt(tau_int / N), tau_int = 1 + 2 sum_k rho(k) the integrated autocorrelation time in
frames. Batch means estimate it without the autocorrelation function: the window is cut into B
contiguous batches; when a batch is much longer than tau_int the batch averages are nearly
independent and the standard error of the mean is std(batch averages) / sqrt(B) (H. Flyvbjerg
and H. G. Petersen, J. Chem. Phys. 91, 461 (1989); W. Janke, in Quantum Simulations of Complex
Many-Body Systems, NIC Series 10, 423 (2002)).

:func:`steady_state` applies this to every time series of a run's :class:`xarray.Dataset`
and adds the transport observables of an ensemble Monte Carlo (C. Jacoboni and L. Reggiani,
Rev. Mod. Phys. 55, 645 (1983), section IV): the mean energy per particle, the mobility
<v> / E and the diffusion coefficient D = (1/2) d var(x) / dt from the growth of the spread.
Each result ``name_mean`` comes with ``name_mean_stderr``, declared in :mod:`pmc.schema`.
"""
import numpy as np
import xarray as xr

from . import schema
from .sampling import batch_means, transient_end

__all__ = ["batch_means", "transient_end", "steady_state", "diffusion_coefficient"]


def _window(ds, start):
    if "time" not in ds.dims:
        raise ValueError("the dataset has no time dimension")
    if start is None:
        return ds
    out = ds.sel(time=ds["time"] >= start)
    if out.sizes["time"] == 0:
        raise ValueError(f"no frame at or after start = {start!r}")
    return out


def diffusion_coefficient(ds, start=None, batches=10, variance="position_variance"):
    """(D, stderr) [m^2/s]: D = (1/2) d var(x) / dt, the slope fitted in each batch of the
    window and the slopes' batch mean (the increments of the spread are stationary in a
    steady state)."""
    w = _window(ds, start)
    t = np.asarray(w["time"].values, dtype=np.float64)
    y = np.asarray(w[variance].values, dtype=np.float64)
    b = int(batches)
    size = t.size // b
    if size < 2:
        raise ValueError(f"{t.size} frames cannot make {b} batches of >= 2 frames")
    t, y = t[t.size - size * b:], y[y.shape[0] - size * b:]
    slopes = []
    for k in range(b):
        tt = t[k * size:(k + 1) * size]
        yy = y[k * size:(k + 1) * size]
        tc = tt - tt.mean()
        slopes.append(np.tensordot(tc, yy - yy.mean(axis=0), axes=(0, 0)) / np.sum(tc * tc))
    slopes = 0.5 * np.array(slopes)
    return slopes.mean(axis=0), slopes.std(axis=0, ddof=1) / np.sqrt(b)


def steady_state(ds, start=None, batches=10, variables=None, field=None,
                 velocity="mean_velocity"):
    """Time averages over the frames at and after ``start`` with batch-means errors.

    Parameters
    ----------
    ds : xarray.Dataset
        A run's output (a ``time`` dimension).
    start : float, optional
        Start of the window [s] (the end of the transient); default the first frame.
    batches : int
        Number of batches B (>= 2); each should be much longer than the correlation time.
    variables : sequence of str, optional
        Variables to average; default every floating-point variable over ``time`` (``*_stderr``
        excluded).
    field : float, optional
        The driving field along the velocity's component [V/m]: adds ``mobility_mean``
        = ``<velocity>`` / ``field`` (positive when the carriers drift along ``field``).
    velocity : str
        The velocity variable for the mobility.

    Returns
    -------
    xarray.Dataset
        ``<name>_mean`` and ``<name>_mean_stderr`` for each variable, ``mean_energy_mean``
        (energy / total_weight) when both exist, ``mobility_mean`` with a ``field``,
        ``diffusion_coefficient_mean`` when ``position_variance`` exists; attributes
        ``average_start``, ``average_stop``, ``average_batches``, ``average_frames``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> t = np.arange(100.0)
    >>> ds = xr.Dataset({"energy": ("time", np.full(100, 2.0)),
    ...                  "total_weight": ("time", np.ones(100))}, coords={"time": t})
    >>> out = steady_state(ds, start=50.0, batches=5)
    >>> float(out["mean_energy_mean"]), float(out["mean_energy_mean_stderr"])
    (2.0, 0.0)
    """
    w = _window(ds, start)
    if variables is None:
        variables = [n for n, v in w.data_vars.items()
                     if "time" in v.dims and v.dtype.kind == "f" and not n.endswith("_stderr")]
    series = {n: w[n] for n in variables}
    if "energy" in w and "total_weight" in w:
        series["mean_energy"] = w["energy"] / w["total_weight"]
    out = {}
    for name, da in series.items():
        if "time" not in da.dims:
            raise ValueError(f"{name!r} has no time dimension")
        da = da.transpose("time", ...)
        m, s = batch_means(da.values, batches)
        dims = da.dims[1:]
        out[f"{name}_mean"] = _var(f"{name}_mean", m, dims, da)
        out[f"{name}_mean_stderr"] = _var(f"{name}_mean_stderr", s, dims, da)
    if field is not None:
        f = float(field)
        if not np.isfinite(f) or f == 0.0:
            raise ValueError(f"field must be finite and non-zero [V/m], got {field!r}")
        if f"{velocity}_mean" not in out:
            raise ValueError(f"mobility needs the velocity variable {velocity!r} in the run")
        v = out[f"{velocity}_mean"]
        out["mobility_mean"] = _var("mobility_mean", v.values / f, v.dims, None)
        out["mobility_mean_stderr"] = _var("mobility_mean_stderr",
                                           out[f"{velocity}_mean_stderr"].values / abs(f),
                                           v.dims, None)
    if "position_variance" in w:
        d, s = diffusion_coefficient(ds, start, batches)
        dims = w["position_variance"].dims[1:]
        out["diffusion_coefficient_mean"] = _var("diffusion_coefficient_mean", d, dims, None)
        out["diffusion_coefficient_mean_stderr"] = _var("diffusion_coefficient_mean_stderr", s,
                                                        dims, None)
    coords = {k: c for k, c in w.coords.items() if "time" not in c.dims}
    times = w["time"].values
    attrs = {"average_start": float(times[0]), "average_stop": float(times[-1]),
             "average_batches": int(batches), "average_frames": int(times.size)}
    return xr.Dataset(out, coords=coords, attrs=attrs)


def _var(name, values, dims, like):
    system = "si"
    if like is not None and like.attrs.get("units") == "1":
        system = "natural"
    if schema.declared(name):
        return schema.variable(name, values, dims=tuple(dims), system=system)
    attrs = {"long_name": f"time average of {name}"}
    if like is not None and "units" in like.attrs:
        attrs["units"] = like.attrs["units"]
    return xr.Variable(tuple(dims), values, attrs)
