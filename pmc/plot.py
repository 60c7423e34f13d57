"""Figures of pmc output files, drawn from the declared schema (:mod:`pmc.schema`): ``pmc plot``.

One column per run: the phase-space density at the chosen times (a marker or grid run's ``f``,
an envelope's ``rho``, the Wigner function of a Schrödinger run's wave function, or a comparison's
reference and marker densities), then the moments over x at those times, then the scalars against
time, one quantity per axis. Several files are drawn side by side with one colour scale per row.
Densities (f, rho: non-negative quantities) get a sequential colour map from zero with negative
values clipped: round-off (below 1e-9 of the largest value) silently, a larger undershoot (the
grid solver's interpolation without its positivity limiter) with a note in the panel's title. A
Wigner function, which is signed, gets a diverging map symmetric about zero. Axis labels carry
the units the file declares. The points of a sweep (``pmc sweep``) are columns too, at most
MAX_POINTS of them.
"""
import itertools

import numpy as np

from . import io, schema

__all__ = ["figure", "plot", "NothingToPlot"]

#: Negative values of a density smaller than this fraction of its largest value are round-off.
ROUND_OFF = 1e-9
#: Moments over x drawn at the chosen times, and scalars drawn against time, when present.
PROFILES = ("density", "current", "energy_density", "mean_velocity", "temperature")
SERIES = (("total_weight",), ("energy",), ("n_markers",), ("rho_integral",),
          ("distance", "noise_floor"), ("mean_x_reference", "mean_x_markers"),
          ("mean_p_reference", "mean_p_markers"), ("transmitted_reference", "transmitted_markers"))
SEQUENTIAL, DIVERGING = "viridis", "RdBu_r"
#: At most this many points of a sweep are drawn (the first ones, in the order of the product).
MAX_POINTS = 4


class NothingToPlot(ValueError):
    """A file holds no variable that ``pmc plot`` draws."""


def _units(ds, name):
    var = ds[name] if name in ds.variables else None
    u = None if var is None else var.attrs.get("units")
    if u is None and schema.declared(name):
        u = schema.units(name, var.dims if var is not None else (), schema.system_of(ds))
    return u


def _label(ds, name):
    u = _units(ds, name)
    return name if u is None else f"{name} [{u}]"


def _phase_space(ds, p=None):
    """[(column label, DataArray over (time, x, p))] of a file, or []; ``p``: the momentum
    axis to evaluate a Wigner function on (default: where it is not negligible)."""
    if "rho_reference" in ds and "rho_markers" in ds:
        return [("reference", ds["rho_reference"]), ("markers", ds["rho_markers"])]
    for name in ("f", "rho"):
        if name in ds:
            return [("", _marginal(ds[name], ds))]
    if "psi_real" in ds and ds["psi_real"].dims[-1:] == ("x",) and ds["psi_real"].ndim == 2:
        return [("", _wigner(ds, p))]
    return []


def _marginal(f, ds):
    """f over (time, x, p): integrated over any other axis (y, z, py, pz)."""
    extra = [d for d in f.dims if d not in ("time", "x", "p")]
    if not extra:
        return f
    spacing = np.prod([float(ds[d][1] - ds[d][0]) for d in extra])
    g = f.sum(extra) * spacing
    g.attrs = dict(f.attrs)
    g.attrs["units"] = schema.units("f", ("x", "p"), schema.system_of(ds))
    g.attrs["long_name"] = f"{f.attrs.get('long_name', f.name)} integrated over " \
                           f"{', '.join(extra)}"
    return g


def _wigner(ds, p=None):
    import xarray as xr

    from .quantum import wigner

    hbar = float(ds.attrs.get("hbar", 1.0))
    x = ds["x"].values
    frames = [wigner(ds["psi_real"].values[k] + 1j * ds["psi_imag"].values[k], x, p=p,
                     hbar=hbar) for k in range(ds.sizes["time"])]
    w = xr.concat(frames, dim="time").assign_coords(time=ds["time"])
    w = w.transpose("time", "x", "p")
    if p is None:  # the full momentum range of the grid: keep where W is not negligible
        big = np.abs(w.values).max(axis=(0, 1))
        keep = np.nonzero(big > 1e-4 * big.max())[0] if big.max() > 0 else [0, big.size - 1]
        w = w.isel(p=slice(max(keep[0] - 2, 0), keep[-1] + 3))
    w.attrs["units"] = schema.units("wigner", ("x", "p"), schema.system_of(ds))
    w.name = "wigner"
    return w


def _limits(arrays, signed=False):
    """(cmap, vmin, vmax, arrays clipped) for arrays drawn on one scale: a sequential map from
    zero with negative values clipped, or for a ``signed`` quantity with values below round-off,
    a diverging map symmetric about zero."""
    top = max((float(np.nanmax(np.abs(a))) for a in arrays if a.size), default=0.0)
    low = min((float(np.nanmin(a)) for a in arrays if a.size), default=0.0)
    if top == 0.0:
        return SEQUENTIAL, 0.0, 1.0, arrays
    if signed and low < -ROUND_OFF * top:
        return DIVERGING, -top, top, arrays
    return SEQUENTIAL, 0.0, top, [np.where(a < 0.0, 0.0, a) for a in arrays]


def _pick_times(ds, times):
    t = ds["time"].values if "time" in ds.dims else np.array([0.0])
    if times is None:
        return sorted({float(t[0]), float(t[len(t) // 2]), float(t[-1])})
    return [float(v) for v in times]


def _points(label, ds):
    """[(label, dataset)]: one per point of a sweep's dims (those no schema declaration has),
    at most MAX_POINTS."""
    known = {"time", *schema.SPATIAL_DIMS, *schema.MOMENTUM_DIMS}
    known |= {n for n in schema.names() if schema.declaration(n).coordinate}
    swept = [d for d in ds.dims if d not in known]
    if not swept:
        return [(label, ds)]
    out = []
    for index in itertools.islice(itertools.product(*(range(ds.sizes[d]) for d in swept)),
                                  MAX_POINTS):
        sel = dict(zip(swept, index))
        text = ", ".join(f"{d} = {ds[d].values[i]}" if d in ds.coords else f"{d} = {i}"
                         for d, i in sel.items())
        out.append((f"{label} ({text})", ds.isel(sel)))
    return out


def figure(sources, times=None):
    """A :class:`matplotlib.figure.Figure` of one or more pmc files side by side.

    Parameters
    ----------
    sources : path, xarray.Dataset or a sequence of them
        Output of any solver (markers, grid, Schrödinger), an envelope projection or a
        comparison (:func:`pmc.compare`).
    times : sequence of float, optional
        Times of the phase-space and profile panels (nearest saved frame); default the first,
        middle and last frames of the first file.

    Raises
    ------
    NothingToPlot
        If no file holds a variable this function draws.
    """
    import matplotlib.pyplot as plt
    import xarray as xr

    if isinstance(sources, (str, xr.Dataset)) or hasattr(sources, "__fspath__"):
        sources = [sources]
    files = []
    for s in sources:
        ds = s if isinstance(s, xr.Dataset) else io.open_dataset(s)
        label = str(s) if not isinstance(s, xr.Dataset) else ds.attrs.get("title", "run")
        files += _points(label, ds)
    times = _pick_times(files[0][1], times)
    # columns: one per phase-space density (a comparison has two), else one per file
    columns = []
    p_axis = next((ds["p"].values for _, ds in files if "p" in ds.coords), None)
    for label, ds in files:
        phase = _phase_space(ds, p_axis)
        for k, (sub, arr) in enumerate(phase or [("", None)]):
            columns.append({"label": f"{label} {sub}".strip(), "ds": ds, "phase": arr,
                            "first": k == 0})
    profiles = [n for n in PROFILES if any(n in c["ds"] and "x" in c["ds"][n].dims
                                           for c in columns)]
    series = [g for g in SERIES if any(g[0] in c["ds"] for c in columns)]
    has_phase = any(c["phase"] is not None for c in columns)
    rows = ([("phase", t) for t in times] if has_phase else []) + \
        [("profile", n) for n in profiles] + [("series", g) for g in series]
    if not rows:
        raise NothingToPlot("nothing to plot: no phase-space density, moment or time series "
                            "declared in pmc.schema in " + ", ".join(lab for lab, _ in files))
    ncol = len(columns)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(4.2 * ncol + 1.0, 3.0 * len(rows)),
                             squeeze=False, layout="constrained")
    for r, (kind, what) in enumerate(rows):
        if kind == "phase":
            _phase_row(fig, axes[r], columns, what)
        elif kind == "profile":
            _profile_row(axes[r], columns, what, times)
        else:
            _series_row(axes[r], columns, what)
    for c, col in enumerate(columns):  # the file above the first panel of its column
        ax = next((a for a in axes[:, c] if a.get_visible()), None)
        if ax is not None:
            ax.set_title(f"{col['label']}\n{ax.get_title()}", fontsize="small")
    return fig


def _phase_row(fig, row, columns, t):
    snaps = []
    for col in columns:
        a = col["phase"]
        if a is None:
            snaps.append(None)
            continue
        snaps.append(a.sel(time=t, method="nearest") if "time" in a.dims else a)
    present = [s for s in snaps if s is not None]
    signed = any(s.name == "wigner" for s in present)
    cmap, vmin, vmax, clipped = _limits([np.asarray(s.values, dtype=float) for s in present],
                                        signed)
    it = iter(clipped)
    mesh = None
    for ax, col, snap in zip(row, columns, snaps):
        if snap is None:
            ax.set_visible(False)
            continue
        ds = col["ds"]
        values = next(it)
        low = float(np.nanmin(snap.values))
        mesh = ax.pcolormesh(snap["x"].values, snap["p"].values,
                             values.T if snap.dims == ("x", "p") else values,
                             cmap=cmap, vmin=vmin, vmax=vmax, shading="nearest")
        ax.set_xlabel(_label(ds, "x"))
        ax.set_ylabel(_label(ds, "p"))
        t_here = float(snap["time"]) if "time" in snap.coords else 0.0
        note = (f"\n(min {low:.2g} clipped)" if cmap == SEQUENTIAL and low < -ROUND_OFF * vmax
                else "")
        ax.set_title(f"{snap.name}, t = {t_here:g}{note}", fontsize="small")
    if mesh is not None:
        drawn = [a for a in row if a.get_visible()]
        for ax in drawn[1:]:  # side by side: the same window in phase space
            ax.set_xlim(drawn[0].get_xlim())
            ax.set_ylim(drawn[0].get_ylim())
        name = present[0].name
        u = present[0].attrs.get("units")
        fig.colorbar(mesh, ax=drawn, label=name if u is None else f"{name} [{u}]")


def _profile_row(row, columns, name, times):
    for ax, col in zip(row, columns):
        ds = col["ds"]
        if not col["first"] or name not in ds or "x" not in ds[name].dims:
            ax.set_visible(False)
            continue
        var = ds[name]
        for t in times:
            snap = var.sel(time=t, method="nearest") if "time" in var.dims else var
            snap = snap.mean([d for d in snap.dims if d != "x"]) if snap.ndim > 1 else snap
            ax.plot(ds["x"].values, snap.values, label=f"t = {float(snap['time']):g}"
                    if "time" in snap.coords else None)
        ax.set_xlabel(_label(ds, "x"))
        ax.set_ylabel(_label(ds, name))
        ax.set_title(var.attrs.get("long_name", name).split(" (")[0], fontsize="small")
        if len(times) > 1:
            ax.legend(fontsize="x-small")
    drawn = [a for a in row if a.get_visible()]
    for ax in drawn[1:]:  # side by side: the same window in x
        ax.set_xlim(drawn[0].get_xlim())


def _series_row(row, columns, group):
    for ax, col in zip(row, columns):
        ds = col["ds"]
        names = [n for n in group if n in ds]
        if not col["first"] or not names or "time" not in ds[names[0]].dims:
            ax.set_visible(False)
            continue
        for n in names:
            var = ds[n]
            values = var.values if var.ndim == 1 else var.sum([d for d in var.dims
                                                              if d != "time"]).values
            ax.plot(ds["time"].values, values, marker=".", label=n)
        ax.set_xlabel(_label(ds, "time"))
        ax.set_ylabel(_label(ds, names[0]) if len(names) == 1 else
                      f"{group[0].split('_reference')[0]} [{_units(ds, names[0])}]")
        if len(names) > 1:
            ax.legend(fontsize="x-small")


def plot(files, output=None, times=None):
    """Draw :func:`figure` of ``files`` into a PNG; returns its path (default: the first file's
    name with ``.png``)."""
    import matplotlib.pyplot as plt

    files = [files] if isinstance(files, str) or hasattr(files, "__fspath__") else list(files)
    fig = figure(files, times)
    out = output or str(files[0]).rsplit(".", 1)[0] + ".png"
    try:
        fig.savefig(out, dpi=110)
    finally:
        plt.close(fig)
    return out
