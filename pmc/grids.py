"""Phase-space grids: binning of weighted markers into the phase-space density f(x, p) and the
moments over the spatial cells (paper eqs. 39-42), returned as labelled xarray objects with their
statistical errors.

Estimators and their standard errors
------------------------------------
The N markers are treated as independent draws of (x, p, w). A bin or cell sum
S = sum_i w_i a_i (a_i = 1 for the density, v_x for the current, eps for the energy) then has the
multinomial variance

    Var(S) ~= sum_i (w_i a_i)^2 - S^2 / N,

where the sum runs over the markers in the bin and N counts all the markers. Ratios of sums (mean
velocity, temperature) get their variance from the delta method: with W = sum w_i over the cell,

    u = sum w_i v_i / W,                   Var(u) ~= sum w_i^2 (v_i - u)^2 / W^2,
    T = sum w_i a_i / (W - sum w_i^2 / W), Var(T) ~= sum w_i^2 (a_i - T')^2 / (W - sum w_i^2 / W)^2,

with a_i = (1/dp) sum_k (p_ik - <p_k>)(v_ik - <v_k>) and T' = sum w_i a_i / W (the temperature
without the small-sample correction). The correction W / (W - sum w^2 / W) (= N_c / (N_c - 1)
for N_c equal weights) makes T the unbiased weighted covariance, as ``numpy.cov(ddof=1,
aweights=w)``.

Units: pmc works in any consistent system of units; the ``units`` attributes name the SI units
(m, kg m/s, J, s), which is what they are when the inputs are SI, and are "1" for a Hamiltonian
in natural units (see :func:`pmc.schema.unit_system`; :meth:`PhaseSpaceGrid.bin` without a
Hamiltonian writes SI).
"""
import math

import numpy as np
import xarray as xr

from . import _checks
from ._kernels import binning
from .hamiltonian import Hamiltonian
from .markers import Markers
from .schema import attrs as _attrs, coordinate, unit_system, variable

__all__ = ["PhaseSpaceGrid"]

#: Spatial axis names (position components 0, 1, 2) and momentum axis names (components 0, 1, 2).
SPATIAL_AXES = ("x", "y", "z")
MOMENTUM_AXES = ("p", "py", "pz")

_COMPONENT = {"p": "p_x", "py": "p_y", "pz": "p_z"}


class PhaseSpaceGrid:
    """A uniform grid of bins in phase space, given by the bin centres on each axis.

    Each point of an axis is the centre of a bin of width h (the spacing), so
    ``np.linspace(-40, 40, 321)`` makes 321 bins of width 0.25 covering [-40.125, 40.125).
    Axes that are not given are integrated over: 1D3V markers binned on ``(x, p)`` give the
    marginal f(x, p_x) = int f dp_y dp_z, and a grid with ``x`` only for 2D markers gives
    densities per unit length integrated over y.

    Parameters
    ----------
    x : array_like
        Bin centres along the first position component [m]: at least 2 points, finite,
        increasing and uniformly spaced. Required.
    p : array_like
        Bin centres along the first momentum component p_x [kg m/s]. Required.
    y, z : array_like, optional
        Bin centres along the second and third position components [m].
    py, pz : array_like, optional
        Bin centres along the second and third momentum components [kg m/s].

    Raises
    ------
    ValueError
        Naming the axis, if it has fewer than 2 points, is not finite, not increasing or not
        uniformly spaced.

    Notes
    -----
    Dimensions of every output follow docs/design.md §3: spatial axes first (``x, y, z``), then the
    momentum axes (``p, py, pz``), each labelled by its bin centres. A bin is the half-open
    interval [centre - h/2, centre + h/2); a marker on the upper outer edge is outside.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> grid = pmc.PhaseSpaceGrid(x=np.linspace(-1.5, 1.5, 4), p=np.linspace(-1, 1, 3))
    >>> grid.dims, grid.shape, grid.spacing["x"]
    (('x', 'p'), (4, 3), 1.0)
    >>> m = pmc.Markers(x=[0.4, 0.6, 5.0], p=[0.0, 0.1, 0.0], w=[1.0, 2.0, 1.0])
    >>> ds = grid.bin(m)
    >>> float(ds.f.sel(x=0.5, p=0.0))   # weight 3 in a bin of area 1 * 1
    3.0
    >>> float(ds.weight_outside_x_range)
    0.25
    """

    def __init__(self, *, x, p, y=None, z=None, py=None, pz=None):
        given = {"x": x, "y": y, "z": z, "p": p, "py": py, "pz": pz}
        self._axes = {}
        self._spacing = {}
        for name in SPATIAL_AXES + MOMENTUM_AXES:
            values = given[name]
            if values is None:
                continue
            a, h = _checks.uniform_axis(name, values)
            a = a.copy()
            a.setflags(write=False)
            self._axes[name] = a
            self._spacing[name] = float(h)

    # ------------------------------------------------------------------ geometry
    @property
    def dims(self):
        """Names of the binned axes in output order: spatial first, then momentum."""
        return tuple(self._axes)

    @property
    def spatial_dims(self):
        """Names of the binned spatial axes (a prefix-free subset of ``("x", "y", "z")``)."""
        return tuple(d for d in self._axes if d in SPATIAL_AXES)

    @property
    def momentum_dims(self):
        """Names of the binned momentum axes (a subset of ``("p", "py", "pz")``)."""
        return tuple(d for d in self._axes if d in MOMENTUM_AXES)

    @property
    def shape(self):
        """Number of bins along each of :attr:`dims`."""
        return tuple(a.size for a in self._axes.values())

    @property
    def coords(self):
        """Bin centres of each axis (read-only arrays), keyed by name."""
        return dict(self._axes)

    @property
    def spacing(self):
        """Bin width h of each axis [m or kg m/s], keyed by name."""
        return dict(self._spacing)

    def edges(self, name):
        """The size + 1 bin edges along axis ``name`` [m or kg m/s]."""
        if name not in self._axes:
            raise ValueError(f"name must be one of the grid's axes {self.dims}, got {name!r}")
        a, h = self._axes[name], self._spacing[name]
        return a[0] - 0.5 * h + h * np.arange(a.size + 1)

    @property
    def cell_volume(self):
        """Product of the spatial bin widths [m^k for k binned spatial axes]."""
        return math.prod(self._spacing[d] for d in self.spatial_dims)

    @property
    def bin_volume(self):
        """Product of all bin widths: the phase-space volume of one bin."""
        return math.prod(self._spacing.values())

    x = property(lambda self: self._axes.get("x"), doc="Bin centres along x [m].")
    y = property(lambda self: self._axes.get("y"), doc="Bin centres along y [m], or None.")
    z = property(lambda self: self._axes.get("z"), doc="Bin centres along z [m], or None.")
    p = property(lambda self: self._axes.get("p"), doc="Bin centres along p_x [kg m/s].")
    py = property(lambda self: self._axes.get("py"), doc="Bin centres along p_y, or None.")
    pz = property(lambda self: self._axes.get("pz"), doc="Bin centres along p_z, or None.")

    def __repr__(self):
        parts = [f"{d}={a.size} bins on [{e[0]:.6g}, {e[-1]:.6g})"
                 for d, a, e in ((d, a, self.edges(d)) for d, a in self._axes.items())]
        return f"PhaseSpaceGrid({', '.join(parts)})"

    def __eq__(self, other):
        if not isinstance(other, PhaseSpaceGrid):
            return NotImplemented
        return self.dims == other.dims and all(
            np.array_equal(self._axes[d], other._axes[d]) for d in self.dims)

    def __hash__(self):
        return hash(tuple((d, a.tobytes()) for d, a in self._axes.items()))

    # ------------------------------------------------------------------ binning
    def bin(self, markers, hamiltonian=None, time=None):
        """Phase-space density f on the grid, by nearest-grid-point binning.

        f in a bin is the sum of the weights of the markers in the bin divided by the bin's
        phase-space volume (the product of all bin widths); momentum and spatial components
        without an axis are integrated over. Markers outside the grid are never dropped
        silently: their weight fractions are returned (and attached to ``f`` as attributes).

        Parameters
        ----------
        markers : pmc.Markers
            Must have at least as many position (momentum) components as the grid has spatial
            (momentum) axes, counting ``y``/``py`` as component 2 and ``z``/``pz`` as 3.
        hamiltonian : pmc.Hamiltonian, optional
            Not needed for f (accepted so that :meth:`bin` and :meth:`moments` take the same
            arguments); checked if given.
        time : float, optional
            Time [s] of the markers, added as a scalar coordinate ``time`` so that snapshots
            concatenate along ``time``.

        Returns
        -------
        xarray.Dataset
            ``f`` (dims :attr:`dims`): phase-space density [1/(m^k (kg m/s)^l) for k spatial and
            l momentum axes, "1/(m kg m/s)" in 1D1V], with attributes ``units``, ``long_name``,
            ``integrated_over`` (the components integrated out) and the three fractions below.
            ``f_stderr``: its standard error, sqrt(sum w^2 - (sum w)^2 / N) / bin volume.
            Scalars (fractions of the total weight, units "1"; attribute ``count``: markers):
            ``weight_outside_p_range`` (some binned momentum component outside the grid),
            ``weight_outside_x_range`` (some binned position component outside) and
            ``weight_outside_grid`` (either: the weight missing from f). The integral of f
            over the grid is (1 - weight_outside_grid) times the total weight.

        Raises
        ------
        ValueError
            If the grid has more spatial axes than ``markers.dx`` or momentum axes than
            ``markers.dp``.
        """
        self._check(markers, hamiltonian)
        src, comp, lo, inv_h, nbin, stride = self._spec(self.dims)
        ka = markers.kernel_arrays()
        sums, tally = binning.histogram(ka.x[:, :markers.n], ka.p[:, :markers.n], markers.w,
                                        src, comp, lo, inv_h, nbin, stride,
                                        int(np.prod(self.shape)))
        n = markers.n
        vol = self.bin_volume
        sw, sw2 = sums[:, 0], sums[:, 1]
        var = np.maximum(sw2 - sw ** 2 / max(n, 1), 0.0)
        f = (sw / vol).reshape(self.shape)
        f_err = (np.sqrt(var) / vol).reshape(self.shape)
        system = unit_system(hamiltonian)
        outside = _outside(tally, float(np.sum(markers.w)), ("x", "p", "grid"), system)
        integrated = [name for name in SPATIAL_AXES[:markers.dx] if name not in self._axes]
        integrated += [_COMPONENT[name] for name in MOMENTUM_AXES[:markers.dp]
                       if name not in self._axes]
        counts = {"integrated_over": " ".join(integrated)}
        counts.update({k: float(v.values) for k, v in outside.items()})
        counts.update({k.replace("weight_", "markers_"): v.attrs["count"]
                       for k, v in outside.items()})
        ds = xr.Dataset(
            {"f": variable("f", f, self.dims, system, **counts),
             "f_stderr": variable("f_stderr", f_err, self.dims, system),
             **outside},
            coords=self._coords(self.dims, system))
        return _with_time(ds, time, system)

    # ------------------------------------------------------------------ moments
    def moments(self, markers, hamiltonian, time=None):
        """Moments of the markers over the spatial cells of the grid (paper eqs. 39-42).

        All momenta count, including those outside the momentum range of the grid; markers
        outside the spatial range are counted in ``weight_outside_x_range``. v(p) and eps(p)
        come from the Hamiltonian's dispersion. With k binned spatial axes, volumes are
        products of the k spatial bin widths (unbinned position components are integrated
        over). See the module docstring for the standard errors.

        Parameters
        ----------
        markers : pmc.Markers
        hamiltonian : pmc.Hamiltonian
            Its dispersion gives v(p) and eps(p).
        time : float, optional
            Time [s], added as a scalar coordinate ``time``.

        Returns
        -------
        xarray.Dataset
            Dims :attr:`spatial_dims`; each variable has ``units``, ``long_name`` and a
            ``*_stderr`` companion (same units):

            ``density``
                sum w / V [1/m^k].
            ``current``, ``current_y``, ``current_z``
                Particle current density sum w v_i / V along each of the markers' dx position
                axes (``current`` is the x component; ``_y``, ``_z`` only when
                ``markers.dx`` >= 2, 3) [1/s in 1D, 1/(m s) in 2D, 1/(m^2 s) in 3D].
            ``energy_density``
                Kinetic (band) energy density sum w eps(p) / V [J/m^k].
            ``mean_velocity``, ``mean_velocity_y``, ``mean_velocity_z``
                current / density [m/s]; NaN in empty cells.
            ``temperature``
                (1/dp) sum_k cov_w(p_k, v_k) over all dp momentum components [J]: the
                generalised equipartition <p_k d eps/dp_k> = kT, equal to kT in equilibrium for
                any dispersion (for the tight-binding band only while the zone edges are
                empty) and to m <|v - u|^2> / dp for a parabolic band. NaN in cells with fewer
                than two markers.
            ``weight_outside_x_range``
                Scalar: fraction of the total weight outside the spatial range (attribute
                ``count``: number of markers).

        Raises
        ------
        ValueError
            If the grid has more spatial or momentum axes than the markers have components.
        """
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        self._check(markers, hamiltonian)
        dkind, dprm = hamiltonian.kernel_arguments()[:2]
        dprm = np.ascontiguousarray(dprm, dtype=np.float64)
        sdims = self.spatial_dims
        _, comp, lo, inv_h, nbin, stride = self._spec(sdims)
        shape = tuple(self._axes[d].size for d in sdims)
        ncell = int(np.prod(shape))
        x, p, w = markers.positions.T, markers.momenta.T, markers.w  # (d, n) views
        state = hamiltonian.marker_states(markers)
        s1, tally = binning.moment_sums(x, p, w, state, comp, lo, inv_h, nbin, stride, ncell,
                                        int(dkind), dprm)
        s1 = s1.T  # (NMOM1, ncell)
        W, W2 = s1[binning.M_W], s1[binning.M_W2]
        with np.errstate(invalid="ignore", divide="ignore"):
            pmean = s1[binning.M_WP:binning.M_WP + 3] / W
            vmean = s1[binning.M_WV:binning.M_WV + 3] / W
        s2 = binning.central_sums(x, p, w, state, comp, lo, inv_h, nbin, stride, ncell, int(dkind),
                                  dprm, np.ascontiguousarray(pmean), np.ascontiguousarray(vmean))
        s2 = s2.T  # (NMOM2, ncell)

        n = max(markers.n, 1)
        vol = self.cell_volume
        k = len(sdims)

        def total(s, s_sq):  # cell sum over V and its multinomial standard error
            return s / vol, np.sqrt(np.maximum(s_sq - s * s / n, 0.0)) / vol

        out = {}
        out["density"] = total(W, W2)
        for c, name in enumerate(SPATIAL_AXES[:markers.dx]):
            suffix = "" if c == 0 else "_" + name
            s = s1[binning.M_WV + c]
            out["current" + suffix] = total(s, s1[binning.M_WV2 + c])
        out["energy_density"] = total(s1[binning.M_WE], s1[binning.M_WE2])
        with np.errstate(invalid="ignore", divide="ignore"):
            for c, name in enumerate(SPATIAL_AXES[:markers.dx]):
                suffix = "" if c == 0 else "_" + name
                u = np.where(W > 0, vmean[c], np.nan)
                u_err = np.where(W > 0, np.sqrt(s2[binning.M_U2 + c]) / W, np.nan)
                out["mean_velocity" + suffix] = (u, u_err)
            # temperature with the small-sample (reliability weights) correction
            n_eff = W * W / W2
            ok = (W > 0) & (n_eff > 1.0 + 1e-9)
            denom = np.where(ok, W - W2 / W, np.nan)
            t_pop = s2[binning.M_WA] / W
            temp = np.where(ok, s2[binning.M_WA] / denom, np.nan)
            var_t = (s2[binning.M_W2A2] - 2.0 * t_pop * s2[binning.M_W2A] + t_pop ** 2 * W2)
            t_err = np.where(ok, np.sqrt(np.maximum(var_t, 0.0)) / denom, np.nan)
        out["temperature"] = (temp, t_err)

        system = unit_system(hamiltonian)
        data = {}
        for name, (value, err) in out.items():
            extra = {}
            if name.startswith(("mean_velocity", "temperature")):
                # undefined where a cell has too few markers: declared missing, not a result
                extra = {"comment": "NaN (missing) in cells with too few markers"}
            data[name] = variable(name, value.reshape(shape), sdims, system, **extra)
            data[name + "_stderr"] = variable(name + "_stderr", err.reshape(shape), sdims,
                                              system, **extra)
        outside = _outside(tally, float(np.sum(w)), ("x",), system)
        ds = xr.Dataset({**data, **outside}, coords=self._coords(sdims, system))
        return _with_time(ds, time, system)

    # ------------------------------------------------------------------ helpers
    def _check(self, markers, hamiltonian):
        if not isinstance(markers, Markers):
            raise ValueError(f"markers must be pmc.Markers, got {type(markers).__name__}")
        if hamiltonian is not None and not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian or None, got "
                             f"{hamiltonian!r}")
        for names, have, what in ((SPATIAL_AXES, markers.dx, "dx (position components)"),
                                  (MOMENTUM_AXES, markers.dp, "dp (momentum components)")):
            for c, name in enumerate(names):
                if name in self._axes and c >= have:
                    raise ValueError(
                        f"grid axis {name!r} needs markers with {what} >= {c + 1}, but the "
                        f"markers have {what.split()[0]}={have}: the grid and the markers have "
                        f"inconsistent dimensions")

    def _spec(self, dims):
        """Axis description arrays for the kernels (see :mod:`pmc._kernels.binning`)."""
        src = np.array([0 if d in SPATIAL_AXES else 1 for d in dims], np.int64)
        comp = np.array([(SPATIAL_AXES if d in SPATIAL_AXES else MOMENTUM_AXES).index(d)
                         for d in dims], np.int64)
        lo = np.array([self._axes[d][0] - 0.5 * self._spacing[d] for d in dims])
        inv_h = np.array([1.0 / self._spacing[d] for d in dims])
        nbin = np.array([self._axes[d].size for d in dims], np.int64)
        stride = np.ones(len(dims), np.int64)
        for i in range(len(dims) - 2, -1, -1):
            stride[i] = stride[i + 1] * nbin[i + 1]
        return src, comp, lo, inv_h, nbin, stride

    def _coords(self, dims, system="si"):
        return {d: coordinate(d, np.array(self._axes[d]), system) for d in dims}


def _outside(tally, total_weight, which, system="si"):
    """Scalar variables: fractions of the total weight outside the grid, counts as attributes."""
    col = {"x": binning.OUT_X, "p": binning.OUT_P, "grid": binning.OUT_ANY}
    out = {}
    for key in which:
        c = col[key]
        frac = tally[c] / total_weight if total_weight > 0 else 0.0
        name = "weight_outside_grid" if key == "grid" else f"weight_outside_{key}_range"
        out[name] = variable(name, float(frac), system=system, count=int(tally[3 + c]))
    return out


def _with_time(ds, time, system="si"):
    if time is None:
        return ds
    t = _checks.finite("time", time)
    return ds.assign_coords(time=((), t, _attrs("time", system=system)))
