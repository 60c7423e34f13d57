"""Time-averaged cell moments of a gas, as DSMC codes sample them (SPARTA's ``compute grid`` and
``fix ave/grid``, src/compute_grid.cpp and src/fix_ave_grid.cpp; G. A. Bird, Molecular Gas
Dynamics and the Direct Simulation of Gas Flows (1994), section 11.1): per collision cell the
weighted sums of 1, p_i, p_i p_j and |p|^2 p_i are accumulated every (k-th) step of the averaging
window; the moments are computed from the sums over the window (ratios of sums, so the mean of a
cell visited rarely is not biased by empty samples), and their standard errors from the moments of
contiguous batches of the window (batch means; H. Flyvbjerg and H. G. Petersen, J. Chem. Phys.
91, 461 (1989)).

With m the molecular mass, n the number density, u the mean velocity and c = v - u:

* T_i = m <c_i^2> (J: k_B T), T = (T_x + T_y + T_z) / 3;
* P_ij = n m <c_i c_j> (Pa in three dimensions), the pressure tensor;
* q_i = n m <|c|^2 c_i> / 2 (W/m^2), the heat-flux vector.

The transient before a stationary state can be detected by the marginal standard error rule
(MSER-5: K. P. White, Simulation 69, 323 (1997); K. P. White, M. J. Cobb and S. C. Spratt, Proc.
Winter Simulation Conf. 2000, 755): the truncation that minimises the squared standard error of
the mean of what is left.
"""
import numpy as np

from . import _checks
from ._kernels import cells as _cells

__all__ = ["CellSampler", "cell_moments", "mixture_moments", "batch_means", "transient_end",
           "window_moments", "batch_moments", "MOMENTS", "NMOMENTS"]

NMOMENTS = _cells.NMOMENTS
#: The moments :func:`cell_moments` returns, with their trailing dimensions.
MOMENTS = {"number_density": (), "flow_velocity": ("direction",),
           "temperature_x": (), "temperature_y": (), "temperature_z": (),
           "translational_temperature": (), "pressure_tensor": ("direction", "direction_2"),
           "heat_flux": ("direction",)}
_NO_MID = np.zeros((7, 0))
_PAIRS = ((0, 0, 4), (1, 1, 5), (2, 2, 6), (0, 1, 7), (0, 2, 8), (1, 2, 9))


def batch_means(series, batches=10, axis=0):
    """(mean, standard error) of a stationary series by ``batches`` contiguous batch means.

    Parameters
    ----------
    series : array_like
        Values along ``axis`` (time), any further axes are averaged independently.
    batches : int
        B >= 2. The first ``N mod B`` values are dropped (the end of the transient), so every
        batch has N // B values.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)

    Examples
    --------
    >>> import numpy as np
    >>> m, s = batch_means(np.arange(20.0), batches=4)
    >>> float(m), round(float(s), 3)
    (9.5, 3.227)
    """
    a = np.moveaxis(np.asarray(series, dtype=np.float64), axis, 0)
    b = int(batches)
    if b < 2:
        raise ValueError(f"batches must be >= 2, got {batches!r}")
    size = a.shape[0] // b
    if size < 1:
        raise ValueError(f"a window of {a.shape[0]} frames cannot make {b} batches")
    a = a[a.shape[0] - size * b:]
    means = a.reshape((b, size) + a.shape[1:]).mean(axis=1)
    return means.mean(axis=0), means.std(axis=0, ddof=1) / np.sqrt(b)


def transient_end(series, batch=5):
    """Index of the first value after the transient of ``series`` (MSER-``batch``): the
    truncation d (a multiple of ``batch``, at most half the series) minimising
    sum_{i >= d} (Y_i - mean(Y_d:))^2 / (N - d)^2 over the batch means Y.

    Parameters
    ----------
    series : array_like (N, ...)
        Values along the first axis; further axes are series of their own and the latest
        truncation of them all is returned (NaN values are ignored).
    batch : int
        Values per batch, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.linspace(10.0, 1.0, 20), np.ones(80)] + 0.01 * np.sin(np.arange(100))
    >>> transient_end(y)
    20
    """
    a = np.asarray(series, dtype=np.float64)
    a = a.reshape(a.shape[0], -1)
    if int(batch) < 1:
        raise ValueError(f"batch must be >= 1, got {batch!r}")
    nb = a.shape[0] // batch
    if nb < 4:
        return 0
    y = a[:nb * batch].reshape(nb, batch, -1).mean(axis=1)  # (nb, series)
    best = 0
    for j in range(y.shape[1]):  # over the series (a few: quantities of a run)
        col = y[:, j]
        if not np.all(np.isfinite(col)):
            continue
        tail = col[::-1]
        k = np.arange(1, nb + 1)
        s1 = np.cumsum(tail)
        s2 = np.cumsum(tail * tail)
        sse = np.maximum(s2 - s1 * s1 / k, 0.0)
        stat = (sse / (k * k))[::-1]  # stat[d] for truncation d batches
        d = int(np.argmin(stat[:nb // 2 + 1]))
        best = max(best, d)
    return best * batch


def cell_moments(sums, volume, mass):
    """The moments of :data:`MOMENTS` from accumulated cell sums.

    Parameters
    ----------
    sums : ndarray (..., NMOMENTS)
        Sums over the samples of the weighted momentum sums of each cell
        (:func:`pmc._kernels.cells.accumulate_moments`) divided by the number of samples.
    volume : float
        Cell volume [m^dx].
    mass : float or ndarray broadcasting against ``sums[..., 0]``
        Molecular mass [kg].

    Returns
    -------
    dict of ndarray
        The moments (NaN in cells with no weight).
    """
    s = np.asarray(sums, dtype=np.float64)
    m = np.asarray(mass, dtype=np.float64)
    w = s[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(w > 0, 1.0 / w, np.nan)
        n = w / volume
        u = s[..., 1:4] / m[..., None] * inv[..., None]
        vv = np.empty(s.shape[:-1] + (3, 3))
        for i, j, k in _PAIRS:  # the six pairs of the symmetric tensor
            vv[..., i, j] = vv[..., j, i] = s[..., k] / (m * m) * inv
        P = (m * n)[..., None, None] * (vv - u[..., :, None] * u[..., None, :])
        v2v = s[..., 10:13] / (m * m * m)[..., None] * inv[..., None]
        v2 = np.trace(vv, axis1=-2, axis2=-1)
        u2 = np.sum(u * u, axis=-1)
        c2c = (v2v - u * v2[..., None] - 2.0 * np.einsum("...j,...ji->...i", u, vv)
               + 2.0 * u * u2[..., None])
        q = 0.5 * (m * n)[..., None] * c2c
        T = np.stack([P[..., i, i] for i in range(3)], axis=-1) / n[..., None]
    n = np.where(w > 0, n, 0.0)
    return {"number_density": n, "flow_velocity": u, "temperature_x": T[..., 0],
            "temperature_y": T[..., 1], "temperature_z": T[..., 2],
            "translational_temperature": T.mean(axis=-1), "pressure_tensor": P,
            "heat_flux": q}


def mixture_moments(sums, volume, masses):
    """The whole-gas moments of :data:`MOMENTS` of a mixture from per-species cell sums.

    The mixture's number density is n = sum_s n_s, its flow velocity the mass-weighted mean
    u = sum_s rho_s u_s / rho, and the thermal velocities are taken about u: P_ij =
    sum_s n_s m_s <c_i c_j>_s, q_i = sum_s n_s m_s <|c|^2 c_i>_s / 2, k_B T_i = P_ii / n (as
    SPARTA's ``compute thermal/grid`` takes a group of species' temperature: thermal velocities
    about the group's centre-of-mass velocity, doc/compute_thermal_grid). The species' sums
    become the sums of one gas of the cell's mean molecular mass m = rho / n: sum w, sum w p_i,
    m sum_s (sum w p_i p_j) / m_s and m^2 sum_s (sum w |p|^2 p_i) / m_s^2 (the mass-weighted
    velocity moments, additive over the species, times m and m^2), so that
    :func:`cell_moments` applies.

    Parameters
    ----------
    sums : ndarray (S, ..., NMOMENTS)
        Per-species sums, the species axis first (as :func:`cell_moments` takes them).
    volume : float
        Cell volume [m^dx].
    masses : sequence of float (S,)
        The species' molecular masses [kg].

    Returns
    -------
    dict of ndarray
        The moments without the species axis (NaN in cells with no weight).
    """
    s = np.asarray(sums, dtype=np.float64)
    m = np.asarray(masses, dtype=np.float64).reshape((-1,) + (1,) * (s.ndim - 1))
    number = s[..., 0].sum(axis=0)
    rho = (s[..., 0] * m[..., 0]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mbar = np.where(number > 0, rho / number, np.nan)
    eq = np.empty(s.shape[1:])
    eq[..., 0] = number
    eq[..., 1:4] = s[..., 1:4].sum(axis=0)
    eq[..., 4:10] = (s[..., 4:10] / m).sum(axis=0) * mbar[..., None]
    eq[..., 10:13] = (s[..., 10:13] / (m * m)).sum(axis=0) * (mbar * mbar)[..., None]
    return cell_moments(eq, volume, np.where(number > 0, mbar, 1.0))


def _moments(sums, volume, mass, mixture, species_axis):
    if not mixture:
        return cell_moments(sums, volume, mass)
    return mixture_moments(np.moveaxis(sums, species_axis, 0), volume, np.ravel(mass))


def batch_moments(frame_sums, frame_counts, volume, mass, batches=10, mixture=False):
    """The cell moments of each of ``batches`` contiguous batches of a window's frames.

    Parameters
    ----------
    frame_sums, frame_counts, volume, mass, batches
        As for :func:`window_moments`.
    mixture : bool
        The sums have a species axis after the frame axis ((F, S, cells..., NMOMENTS)) and
        ``mass`` holds the S masses: the whole-gas moments (:func:`mixture_moments`).

    Returns
    -------
    dict of ndarray
        Each moment with a leading batch axis (B, ...).
    """
    sums = np.asarray(frame_sums, dtype=np.float64)
    counts = np.asarray(frame_counts, dtype=np.float64)
    b = int(batches)
    size = sums.shape[0] // b
    if b < 2 or size < 1:
        raise ValueError(f"a window of {sums.shape[0]} frames cannot make {b} batches")
    keep = sums[sums.shape[0] - size * b:]
    kc = counts[counts.shape[0] - size * b:]
    bs = keep.reshape((b, size) + keep.shape[1:]).sum(axis=1)
    bc = kc.reshape(b, size).sum(axis=1)
    return _moments(bs / bc.reshape((b,) + (1,) * (bs.ndim - 1)), volume, mass, mixture, 1)


def window_moments(frame_sums, frame_counts, volume, mass, batches=10, mixture=False):
    """Means and batch-means standard errors of the cell moments over a window of frames.

    Parameters
    ----------
    frame_sums : ndarray (F, ..., NMOMENTS)
        The sums accumulated in each frame interval of the window.
    frame_counts : ndarray (F,)
        Samples accumulated in each interval.
    volume, mass
        As for :func:`cell_moments`.
    batches : int
        B >= 2 contiguous batches of frames (the first F mod B frames are dropped from the
        error estimate only).
    mixture : bool
        Whole-gas moments of a mixture (:func:`batch_moments`).

    Returns
    -------
    (dict, dict)
        The moments of the window's total sums, and their standard errors: the standard
        deviation of the batches' moments over sqrt(B) (NaN where a batch has an empty cell).
    """
    sums = np.asarray(frame_sums, dtype=np.float64)
    counts = np.asarray(frame_counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise ValueError("the averaging window holds no samples")
    mean = _moments(sums.sum(axis=0) / total, volume, mass, mixture, 0)
    per = batch_moments(sums, counts, volume, mass, batches, mixture)
    b = int(batches)
    err = {k: np.std(v, axis=0, ddof=1) / np.sqrt(b) for k, v in per.items()}
    return mean, err


class CellSampler:
    """Accumulates the cell sums of :func:`pmc._kernels.cells.accumulate_moments` over the
    collision ``cells`` for ``groups`` marker states (1: all markers together).

    Parameters
    ----------
    cells : pmc.Cells
        The cells the sums are kept on.
    groups : int
        Marker states summed apart (a mixture's species), >= 1.
    mass : float or sequence of float, optional
        Molecular mass [kg] of each group (one value for all), for the velocity v = p / m by
        which :meth:`sample` advances the positions; default 1 (p is a velocity).
    periodic : sequence of bool, optional
        Per cell axis, whether the axis is periodic over exactly the cells' extent (the
        advanced positions wrap there; on the other axes they are clamped to the edge cells).
    """

    def __init__(self, cells, groups=1, mass=None, periodic=None):
        self.cells = cells
        self.groups = _checks.count("groups", groups, minimum=1)
        self.sums = np.zeros((self.groups, cells.count, NMOMENTS))
        self.count = 0
        self._inv_h = 1.0 / cells.spacing
        m = np.broadcast_to(np.asarray(1.0 if mass is None else mass, np.float64),
                            (self.groups,))
        if not np.all(np.isfinite(m) & (m > 0)):
            raise ValueError(f"mass must be > 0 [kg] (one per group), got {mass!r}")
        self._inv_mass = 1.0 / m
        wrap = np.zeros(cells.ndim, np.int64)
        if periodic is not None:
            if len(periodic) != cells.ndim:
                raise ValueError(f"periodic needs one flag per cell axis ({cells.ndim}), got "
                                 f"{periodic!r}")
            wrap[:] = [bool(f) for f in periodic]
        self._wrap = wrap
        self._scratch = np.empty((0, self.groups * cells.count, NMOMENTS))
        self._deferred = np.empty(0, np.int64)
        self._ndeferred = None
        self._no_counts = np.zeros(0, np.int64)
        self._flags = np.empty(0, np.uint8)
        self._mid = np.empty((7, 0))
        self._counts = np.zeros(_cells.MAX_MOMENT_CHUNKS, np.int64)
        self._n_sampled = 0

    def _chunks(self, n):
        """Chunks of the sums of ``n`` markers, the scratch rows grown to hold them."""
        slots = self._scratch.shape[1]
        chunks = int(_cells.moment_chunks(n, slots))
        if self._scratch.shape[0] < chunks:
            self._scratch = np.empty((chunks, slots, NMOMENTS))
        return chunks

    def sample(self, markers, shift=0.0, defer=False):
        """Add the current markers' sums (one sample), each marker binned at its position
        advanced by v ``shift`` [s] (0: where it is). After the collisions of a step of dt,
        ``shift`` = dt/2 bins each marker at the middle of its coming free flight: the sums are
        then the time averages over the flights (to O(dt^2)), so the sampled pressure tensor
        and heat flux are the transported fluxes; sampled at the start of the flights they
        differ from them by (dt/2) d/dx_k (n <v_k ...>), O(dt).

        A flight that meets a wall (a bounded axis) before its middle is binned where it
        starts, or with ``defer`` held back for :meth:`finish`, to be binned at its middle
        on its way back from the wall (no marker may be removed or reordered in between)."""
        x, p, w, state = markers.kernel_arrays()
        n = markers.n
        st = state if self.groups > 1 else np.zeros(0, np.int64)
        chunks = self._chunks(n)
        if defer:
            if self._deferred.shape[0] < n:
                self._deferred = np.empty(markers.capacity, np.int64)
            self._ndeferred = self._counts[:chunks]
            deferred = self._deferred
        else:
            self._ndeferred = None
            deferred = np.empty(0, np.int64)
        _cells.accumulate_moments(x, p, w, st, 0, n, self.cells.lo, self._inv_h,
                                  self.cells.shape, self._wrap, float(shift), self._inv_mass,
                                  deferred, self._ndeferred if defer else self._no_counts,
                                  self._scratch[:chunks], self.sums)
        self._n_sampled = n
        self.count += 1

    def push_arguments(self, markers, t_mid):
        """The sampler's arguments of :func:`pmc._kernels.walls.push_gas_sampled` (group, cell
        geometry, ``t_mid`` [s], buffers, sums) for the current markers, counting one sample:
        the gas push then adds the sums of each marker at time ``t_mid`` of its flight (the
        middle of the free flight after the collisions) in its own pass."""
        x, p, w, state = markers.kernel_arrays()
        n = markers.n
        st = state if self.groups > 1 else np.zeros(0, np.int64)
        chunks = self._chunks(n)
        if self._deferred.shape[0] < n:
            self._deferred = np.empty(markers.capacity, np.int64)
        if self._flags.shape[0] < n:
            self._flags = np.empty(markers.capacity, np.uint8)
            self._mid = np.empty((7, markers.capacity))
        self._ndeferred = None
        self.count += 1
        return (st, self.cells.lo, self._inv_h, self.cells.shape, self._wrap, float(t_mid),
                self._inv_mass, self._flags, self._deferred, self._counts[:chunks], self._mid,
                self._scratch[:chunks], self.sums)

    def add(self, markers, start):
        """Add markers start..n-1, where they are, to the current sample (the molecules that
        entered during a push that ends at mid-flight)."""
        if markers.n <= start:
            return
        x, p, w, state = markers.kernel_arrays()
        st = state if self.groups > 1 else np.zeros(0, np.int64)
        chunks = self._chunks(markers.n - start)
        _cells.accumulate_moments(x, p, w, st, start, markers.n, self.cells.lo, self._inv_h,
                                  self.cells.shape, self._wrap, 0.0, self._inv_mass,
                                  np.empty(0, np.int64), self._no_counts,
                                  self._scratch[:chunks], self.sums)

    def finish(self, markers, shift):
        """Bin the flights :meth:`sample` held back, now that they have been flown, each at
        its position advanced by v ``shift`` [s] (dt/2 less the time flown since the sample,
        <= 0: the middle of the flight, on its way back from the wall)."""
        if self._ndeferred is None:
            return
        x, p, w, state = markers.kernel_arrays()
        st = state if self.groups > 1 else np.zeros(0, np.int64)
        _cells.accumulate_deferred(x, p, w, st, 0, self._n_sampled, self.cells.lo,
                                   self._inv_h, self.cells.shape, self._wrap, float(shift),
                                   self._inv_mass, self._deferred, self._ndeferred, _NO_MID,
                                   self.sums)
        self._ndeferred = None

    def take(self):
        """(sums (groups, cells..., NMOMENTS), count) since the last take; resets."""
        out = self.sums.reshape((self.groups, *self.cells.shape, NMOMENTS)).copy()
        count = self.count
        self.sums[:] = 0.0
        self.count = 0
        return out, count

