"""The deterministic grid solver: the Boltzmann equation of the markers, on a uniform (x, p) grid.

    df/dt + v(p) df/dx + F(x, t) df/dp = C[f],   C[f]_l = sum_k f_k Q_kl   (paper eqs. 15-17, 46)

with H = eps(p) + U(x, t) any pmc Hamiltonian in 1D1V, F = -dU/dx, and Q the rate matrix of the
collisions on the momentum nodes (the *same* :class:`pmc.collisions.RateMatrix` the markers jump
with). One step is the markers' splitting, done to the distribution instead of the markers:

* streaming, as the markers' push: kick(h/2) . drift(h) . kick(h/2) (leapfrog) or Yoshida's
  4th-order composition of it (H. Yoshida, Phys. Lett. A 150, 262 (1990)), each kick and drift
  an exact constant shift per grid line, done by backward semi-Lagrangian interpolation with
  centred Lagrange polynomials of odd degree (default 5; C. Z. Cheng and G. Knorr, J. Comput.
  Phys. 22, 330 (1976); E. Sonnendruecker, J. Roche, P. Bertrand and A. Ghizzo, J. Comput. Phys.
  149, 201 (1999)) in :mod:`pmc._kernels.semilagrangian`;
* with collisions, Strang splitting as the driver does: stream(dt/2) . collide(dt) .
  stream(dt/2), the collision step f <- f expm(Q dt) exact for each x node (the master
  equation's propagator, precomputed once).

What f means. The solver holds node values f(x_i, p_j) at the bin centres of the
:class:`pmc.PhaseSpaceGrid`. The output ``f`` is the *bin average* of the smooth function
through them, (1 + D2/24 - 17 D4/5760) per axis (6th order), the quantity the markers' histogram
estimates; moments integrate the node values over p (spectrally accurate for smooth f that
vanishes at the ends of the momentum range). The total weight sum f hx hp is the same for both
and is conserved to round-off on a periodic domain. The rate-matrix markers jump between momentum
bins keeping their offset within the bin, so bin populations obey the same master equation, and
node values do too.

Accuracy: a shift by a fraction a of a cell errs by O(a (1 - a) h^(d+1)) for the Lagrange
degree d = ``order``, so at a fixed time step the error is O(h^d) along axes where the shifts are
below one cell (the per-step error is proportional to the shift) and O(h^(d+1) / dt) where they
are larger; the bin averages are 6th order. The splitting error is O(dt^2) (leapfrog) or O(dt^4)
(Yoshida, without collisions). Positivity is not guaranteed by high-order interpolation;
``positivity=True`` applies a conservative limiter per line (negative values set to zero, the
rest scaled to keep the line's sum), which lowers the accuracy where it acts.

Reproducibility: every grid line is shifted by one thread, so the streaming is bitwise
independent of the thread count; the collision product f @ expm(Q dt) is a BLAS call, whose
rounding may depend on BLAS's threads. Grids below ``PARALLEL_MIN`` nodes run on one thread.

Boundaries along x: periodic, absorbing (nothing enters; what leaves is tallied per side) and
inflow (:class:`pmc.Injecting` with a :class:`pmc.Reservoir`: beyond the contact f is the
reservoir's drifting Maxwellian, n exp(-(p - m u)^2 / 2 m kT) / sqrt(2 pi m kT)); without a
boundary the ends of the grid absorb. Along p the ends of the grid absorb (tallied as
``absorbed_p``).
"""
import contextlib
import math
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from .. import _checks, _resources, threads
from .._kernels import push as _push
from .._kernels import semilagrangian as _sl
from .._kernels.evaluate import energy_array, potential_array, velocity_array
from .._kernels.stateful import NO_STATE
from .._run import FrameRun, describe_model, frame_at, potential_tables
from ..boundaries import Absorbing, Boundary, Injecting, Periodic, Reservoir, kane_partition
from ..collisions.rate_matrix import GoldenRule, RateMatrix
from ..grids import PhaseSpaceGrid
from ..hamiltonian import Hamiltonian
from ..potentials import Zero
from ..schema import coordinate, unit_system, variable
from ..states import Distribution
from .initial import initial_density

__all__ = ["Simulation", "simulate", "OBSERVABLES", "ORDERS", "SCHEMES"]

#: Observables a run can record (as :class:`pmc.Simulation`).
OBSERVABLES = ("f", "density", "current", "energy_density", "mean_velocity", "temperature")
_DEFAULT_OBSERVABLES = ("f", "density", "current", "energy_density")
#: Degrees of the Lagrange interpolation offered (odd: centred stencils of degree + 1 nodes).
ORDERS = (3, 5, 7)
#: Streaming schemes (as the markers' push) and their order.
SCHEMES = {"leapfrog": 2, "yoshida4": 4}
_SCHEME_CODES = {"leapfrog": _push.LEAPFROG, "yoshida4": _push.YOSHIDA4}
#: Rate matrices up to this size get a dense precomputed propagator expm(Q dt); larger ones are
#: applied with scipy.sparse.linalg.expm_multiply each step.
DENSE_LIMIT = 2048
#: Memory per (x, p) node [B]: f, its shifted copy and the interpolation's two work arrays.
GRID_BYTES_PER_POINT = 4 * 8
#: Grids with fewer nodes than this are stepped on one thread (numba and BLAS): below it the
#: synchronisation of a parallel loop costs more than the shift it shares (and on a loaded
#: machine a descheduled thread stalls every barrier for a whole time slice).
PARALLEL_MIN = 1 << 18

_DETERMINISTIC = "deterministic grid solution: no sampling error (zeros)"


class Simulation(FrameRun):
    """Deterministic semi-Lagrangian solution of the Boltzmann equation in 1D1V.

    The same solver protocol (:class:`pmc._run.FrameRun`: ``start`` / ``step`` / ``observe`` /
    ``run`` / ``resume``, checkpoints) and the same output
    :class:`xarray.Dataset` as :class:`pmc.Simulation`, so that a marker run and a grid run of
    one case compare variable by variable (``pmc.compare``). See the module docstring for the
    method and its accuracy.

    Parameters
    ----------
    hamiltonian : pmc.Hamiltonian
        Any dispersion (v(p) on the momentum nodes) and any potential, time-dependent included
        (F(x_i, t) at the kick times, as the markers feel it).
    initial : pmc.states.Distribution, array_like (nx, np) or xarray.DataArray
        The initial f [1/(m kg m/s)]: a 1D1V distribution (evaluated at the nodes by
        :func:`pmc.gridsolver.initial_density`), node values on the grid, or a DataArray with
        dimensions ("x", "p") on the grid's coordinates. Finite.
    grid : pmc.PhaseSpaceGrid
        The solver's grid: axes ``x`` and ``p`` only, uniform, each with at least ``order + 2``
        points. Bins are the cells: x covers [x_0 - hx/2, x_last + hx/2).
    dt : float
        Time step [s], > 0. Any Courant number is allowed (the shifts are exact in their
        integer part).
    boundary : pmc.Periodic, pmc.Absorbing or pmc.Injecting, optional
        Walls along x; they must sit at the outer edges of the x bins. ``Injecting`` sides
        without a reservoir must be "absorbing". None: the grid's ends absorb.
    collisions : sequence of pmc.collisions.RateMatrix (or (np, np) rate matrices)
        Master-equation collisions on the momentum nodes, applied in order once per step:
        f <- f expm(Q dt) at every x node. A RateMatrix's ``momentum_grid``, if given, must be
        the grid's p. Plain matrices (array or scipy.sparse, Q[k, l] the rate [1/s] of k -> l,
        rows summing to zero) are accepted under the name "rate_matrix".
    order : {3, 5, 7}
        Degree of the Lagrange interpolation (error O(h^(order + 1)) per shift). Default 5.
    scheme : {"leapfrog", "yoshida4"}
        Streaming composition, order 2 or 4 in dt (as :func:`pmc.stream`).
    positivity : bool
        Apply the conservative positivity limiter after every shift. Default False.
    observables : sequence of str, optional
        Which of ``OBSERVABLES`` to record; default f, density, current and energy density.
    t0 : float
        Time [s] of the initial state.
    case : dict, optional
        The case this solver was built from, stored in the output's attributes.
    fields : sequence of pmc.fields.Poisson
        Self-consistent fields (Vlasov-Poisson; C. Z. Cheng and G. Knorr, J. Comput. Phys. 22,
        330 (1976)): before every kick whose density differs from the last solve (after each
        drift), the charge ``charge * n(x) + background`` with n = int f dp on the x nodes is
        solved on the field's 1D mesh and the force ``charge * E`` added to the potential's on
        the x nodes (linear interpolation between mesh and x nodes where they differ: put the
        mesh nodes on the grid's x nodes, e.g. ``Poisson(x[0], x[0] + L, len(x))`` on a
        periodic box of length L, to avoid it). Frames gain ``potential``,
        ``electric_field`` and ``field_energy``.

    Raises
    ------
    ValueError
        Naming the parameter, for any input outside the ranges above.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> grid = pmc.PhaseSpaceGrid(x=np.linspace(-9.75, 9.75, 40), p=np.linspace(-4, 4, 33))
    >>> packet = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    >>> solver = pmc.gridsolver.Simulation(H, packet, grid=grid, dt=0.1,
    ...                                    boundary=pmc.Periodic(-10.0, 10.0))
    >>> ds = solver.run(t_end=1.0, save_every=0.5, progress=False)
    >>> round(float(ds.total_weight[-1]), 12) == round(float(ds.total_weight[0]), 12)
    True
    """

    def __init__(self, hamiltonian, initial, *, grid, dt, boundary=None, collisions=(), order=5,
                 scheme="leapfrog", positivity=False, observables=None, t0=0.0, case=None,
                 fields=()):
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if not isinstance(grid, PhaseSpaceGrid) or grid.dims != ("x", "p"):
            raise ValueError(f"grid must be a pmc.PhaseSpaceGrid with axes x and p only, got "
                             f"{grid!r}")
        if isinstance(order, bool) or order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        for name in ("x", "p"):
            if grid.coords[name].size < order + 2:
                raise ValueError(f"grid axis {name} needs at least order + 2 = {order + 2} "
                                 f"points, got {grid.coords[name].size}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
        if not isinstance(positivity, (bool, np.bool_)):
            raise ValueError(f"positivity must be True or False, got {positivity!r}")
        if observables is None:
            observables = _DEFAULT_OBSERVABLES
        observables = tuple(observables)
        unknown = [o for o in observables if o not in OBSERVABLES]
        if unknown:
            raise ValueError(f"unknown observables {unknown}; valid: {list(OBSERVABLES)}")
        self.hamiltonian = hamiltonian
        self.grid = grid
        self.dt = _checks.positive("dt", dt)
        self.t0 = _checks.finite("t0", t0)
        self.order = int(order)
        self.scheme = scheme
        self.positivity = bool(positivity)
        self.observables = observables
        self.x = np.ascontiguousarray(grid.x, dtype=np.float64)
        self.p = np.ascontiguousarray(grid.p, dtype=np.float64)
        self.hx, self.hp = grid.spacing["x"], grid.spacing["p"]
        self.boundary = boundary
        self._periodic, self._g_lo, self._g_hi = self._walls(boundary)
        self.collisions = tuple(_RateOperator(c, k, self.p, self.hp) for k, c in
                                enumerate(collisions))
        names = [c.name for c in self.collisions]
        if len(set(names)) != len(names):
            raise ValueError(f"collisions need distinct names, got {names}")
        _resources.check_grid(self.x.size * self.p.size, GRID_BYTES_PER_POINT,
                              "the distribution f(x, p)")
        self.f = self._initial(initial)
        dkind, dprm, terms, pprm = hamiltonian.kernel_arguments()
        self._dkind, self._dprm = int(dkind), np.ascontiguousarray(dprm, np.float64)
        self._terms, self._pprm = terms, np.ascontiguousarray(pprm, np.float64)
        pc = self.p[np.newaxis, :].copy()
        self._v = velocity_array(self._dkind, self._dprm, NO_STATE, pc, np.empty_like(pc))[0].copy()
        self._eps = energy_array(self._dkind, self._dprm, NO_STATE, pc, np.empty(self.p.size))
        self._fields = self._prepare_fields(fields)
        self._free = isinstance(hamiltonian.potential, Zero) and not self._fields
        self._field_force = np.zeros(self.x.size)
        self._field_stale = True
        self.case = case if case is not None else self._describe()
        self.step_count = 0
        self._absorbed = np.zeros(2)
        self._absorbed_p = np.zeros(2)
        self._injected = np.zeros(2)
        self._collision_events = np.zeros(1 + len(self.collisions))
        self._events_at_last_frame = self._collision_events.copy()
        self._tally_x = np.zeros((self.p.size, 3))
        self._tally_p = np.zeros((self.x.size, 3))
        self._prepared_dt = None

    # ------------------------------------------------------------------ construction helpers
    def _walls(self, boundary):
        """(periodic, ghost values below x_lo, ghost values above x_hi) per momentum node."""
        zeros = np.zeros(self.p.size)
        if boundary is None:
            return False, zeros, zeros.copy()
        if not isinstance(boundary, Boundary) or boundary.naxes() != 1:
            raise ValueError(f"boundary must be pmc.Periodic, pmc.Absorbing or pmc.Injecting "
                             f"along x (scalar lo, hi), got {boundary!r}")
        edges = self.grid.edges("x")
        lo, hi = boundary.extent(0)
        tol = 1e-9 * self.hx
        if abs(lo - edges[0]) > tol or abs(hi - edges[-1]) > tol:
            raise ValueError(f"boundary walls [{lo:g}, {hi:g}) must sit at the outer edges of the "
                             f"grid's x bins [{edges[0]:g}, {edges[-1]:g})")
        if isinstance(boundary, Periodic):
            return True, zeros, zeros.copy()
        if isinstance(boundary, Injecting):
            ghosts = []
            for side in (boundary.left, boundary.right):
                if isinstance(side, Reservoir):
                    if side.rule != "flux":
                        raise ValueError(f"boundary: the grid solver's inflow is a reservoir's "
                                         f"thermal flux (rule=\"flux\"), got rule="
                                         f"{side.rule!r}")
                    ghosts.append(_reservoir_density(side, self.p, self.hamiltonian.dispersion))
                elif side == "absorbing":
                    ghosts.append(zeros.copy())
                else:
                    raise ValueError(f"boundary: the grid solver supports inflow (a Reservoir) or "
                                     f"'absorbing' sides of Injecting, got {side!r}")
            return False, ghosts[0], ghosts[1]
        if isinstance(boundary, Absorbing):
            return False, zeros, zeros.copy()
        raise ValueError(f"boundary must be pmc.Periodic, pmc.Absorbing or pmc.Injecting for the "
                         f"grid solver (no {type(boundary).__name__}), got {boundary!r}")

    def _prepare_fields(self, fields):
        """The prepared self-consistent fields (1D :class:`pmc.fields.Poisson`)."""
        from ..fields import Field
        from ..markers import Markers

        fields = tuple(fields)
        ops = []
        probe = Markers(x=[float(self.x[0])], p=[0.0])
        for f in fields:
            if not isinstance(f, Field) or not hasattr(f, "ndim"):
                raise ValueError(f"fields of the grid solver must be pmc.fields.Poisson, got {f!r}")
            ops.append(f.prepare(self.hamiltonian, None, probe))
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"fields need distinct names, got {names}")
        self.fields = fields
        return tuple(ops)

    def _update_fields(self):
        """The fields' force on the x nodes [N] from the density of f: charge q n(x) plus the
        background on each field's mesh (linear interpolation, periodic where the mesh is, where
        the mesh nodes are not the grid's x nodes), solved, and q E back on the x nodes."""
        n = self.f.sum(axis=1) * self.hp
        force = np.zeros(self.x.size)
        for op in self._fields:
            mesh = op.mesh[0]
            same = mesh.size == self.x.size and np.allclose(mesh, self.x, rtol=0,
                                                            atol=1e-9 * self.hx)
            period = (op.field.hi[0] - op.field.lo[0]) if op.periodic[0] else None
            dens = n if same else np.interp(mesh, self.x, n, period=period)
            op.set_density(dens)
            E = op.efield[0]
            force += op.charge * (E if same else np.interp(self.x, mesh, E, period=period))
        self._field_force = force
        self._field_stale = False

    def _initial(self, initial):
        shape = (self.x.size, self.p.size)
        if isinstance(initial, Distribution):
            f = initial_density(initial, self.x, self.p)
        elif hasattr(initial, "dims") and hasattr(initial, "coords"):
            if set(initial.dims) != {"x", "p"}:
                raise ValueError(f"initial as a DataArray needs dimensions ('x', 'p'), got "
                                 f"{initial.dims}")
            da = initial.transpose("x", "p")
            if not (np.allclose(da["x"].values, self.x, rtol=0, atol=1e-9 * self.hx)
                    and np.allclose(da["p"].values, self.p, rtol=0, atol=1e-9 * self.hp)):
                raise ValueError("initial: the DataArray's x and p coordinates differ from the "
                                 "grid's")
            f = da.values
        else:
            f = initial
        f = _checks.finite_array("initial", f, ndim=2)
        if f.shape != shape:
            raise ValueError(f"initial must have the grid's shape (len(x), len(p)) = {shape}, "
                             f"got {f.shape}")
        return np.ascontiguousarray(f, dtype=np.float64).copy()

    # ------------------------------------------------------------------ state
    @property
    def time(self):
        """Current time [s]."""
        return self.t0 + self.step_count * self.dt

    @property
    def total_weight(self):
        """sum f hx hp: the particles (or probability) on the grid."""
        return float(np.sum(self.f)) * self.hx * self.hp

    def __repr__(self):
        return (f"gridsolver.Simulation(t={self.time:.6g}, step={self.step_count}, "
                f"grid={self.x.size}x{self.p.size}, dt={self.dt:g}, order={self.order}, "
                f"scheme={self.scheme!r})")

    # ------------------------------------------------------------------ stepping
    def step(self, n=1):
        """Advance by ``n`` steps (n >= 0). Returns self."""
        n = _checks.count("n", n, minimum=0)
        with _threads(self.f.size):
            if self.collisions and self._prepared_dt != self.dt:
                for c in self.collisions:
                    c.prepare(self.dt)
                self._prepared_dt = self.dt
            self._steps(n)
        return self

    def _steps(self, n):
        for _ in range(n):
            t = self.time
            if not self.collisions:
                self._stream(self.dt, t)
            else:
                half = 0.5 * self.dt
                self._stream(half, t)
                for c in self.collisions:
                    events = c.apply(self.f, self.hx * self.hp)
                    self._collision_events[1 + c.index] += events
                    self._collision_events[0] += events
                self._stream(half, t + half)
            self.step_count += 1

    def _stream(self, h, t):
        # the composition of the marker push (pmc._kernels.push.stage), on the grid
        scheme = _SCHEME_CODES[self.scheme]
        tau = t
        for j in range(_push.stages(scheme)):
            kick, drift = _push.stage(scheme, j, h)
            self._kick(kick, tau)
            self._drift(drift)
            tau = tau + drift
        self._kick(_push.last_kick(scheme, h), t + h)

    def _kick(self, h, t):
        if self._free:
            return
        tally = self._tally_p
        if self._fields:
            if self._field_stale:
                self._update_fields()
            _sl.shift_p_extra(self.f, self.x, 1.0 / self.hp, h, t, self._terms, self._pprm,
                              self._field_force, self.order, self.positivity, tally)
        else:
            _sl.shift_p(self.f, self.x, 1.0 / self.hp, h, t, self._terms, self._pprm,
                        self.order, self.positivity, tally)
        cell = self.hx * self.hp
        lost = tally[:, 2] * cell
        self._absorbed_p[0] += float(np.sum(lost[tally[:, 0] < 0]))
        self._absorbed_p[1] += float(np.sum(lost[tally[:, 0] > 0]))

    def _drift(self, h):
        self._field_stale = True
        shifts = self._v * (h / self.hx)
        tally = self._tally_x
        _sl.shift_x(self.f, shifts, self.order, self._periodic, self._g_lo, self._g_hi,
                    self.positivity, tally)
        if self._periodic:
            return
        cell = self.hx * self.hp
        inflow = tally[:, :2] * cell
        out = (tally[:, 0] + tally[:, 1] + tally[:, 2]) * cell
        self._injected += inflow.sum(axis=0)
        self._absorbed[0] += float(np.sum(out[shifts < 0]))
        self._absorbed[1] += float(np.sum(out[shifts > 0]))

    # ------------------------------------------------------------------ observing
    def cell_averages(self):
        """The bin averages of f [1/(m kg m/s)], (nx, np): what ``f`` in the output holds."""
        with _threads(self.f.size):
            ax = _sl.average_x(self.f, np.empty_like(self.f), self._periodic)
            out = _sl.average_p(ax, np.empty_like(self.f))
        if self.positivity:
            for line in out:  # over x nodes, observation only
                _sl.limit_line(line)
        return out

    def observe(self):
        """A one-frame :class:`xarray.Dataset` of the current state (``time`` of length 1), with
        the variables of a marker run (see :meth:`pmc.Simulation.observe`)."""
        t = self.time
        if not np.all(np.isfinite(self.f)):
            raise FloatingPointError(f"non-finite f at step {self.step_count} (t = {t:g}); the "
                                     f"run is stopped")
        system = unit_system(self.hamiltonian)
        coords = {"x": coordinate("x", self.x.copy(), system),
                  "p": coordinate("p", self.p.copy(), system)}
        data = {}
        if "f" in self.observables:
            f_attrs = {"integrated_over": "", "comment": "bin averages of the deterministic "
                       "grid solution (6th-order from its node values)"}
            for k in ("weight_outside_x_range", "weight_outside_p_range", "weight_outside_grid"):
                f_attrs[k] = 0.0
                f_attrs[k.replace("weight_", "markers_")] = 0
            data["f"] = variable("f", self.cell_averages(), ("x", "p"), system, **f_attrs)
            data["f_stderr"] = variable("f_stderr", np.zeros_like(self.f), ("x", "p"), system,
                                        comment=_DETERMINISTIC)
            for name in ("weight_outside_x_range", "weight_outside_p_range",
                         "weight_outside_grid"):
                data[name] = variable(name, 0.0, system=system, count=0,
                                      comment="the grid solver holds nothing outside its grid "
                                              "(see absorbed, absorbed_p)")
        moments = [o for o in self.observables if o != "f"]
        if moments:
            data.update(self._moments(moments, t, system))
        data.update(self._scalars(t, system))
        if self._fields and self._field_stale:
            self._update_fields()
        for op in self._fields:
            values, axes = op.frame(system)
            data.update(values)
            coords.update(axes)
        return frame_at(t, data, {**coords, **self._scalar_coords()}, system)

    def _moments(self, names, t, system="si"):
        with _threads(self.f.size):
            fx = _sl.average_x(self.f, np.empty_like(self.f), self._periodic)  # x-bin averages
        hp = self.hp
        W = fx.sum(axis=1) * hp
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = {"density": W, "current": fx @ self._v * hp,
                    "energy_density": fx @ self._eps * hp}
            ok = W > 0
            u = np.where(ok, (fx @ self._v) * hp / W, np.nan)
            pm = np.where(ok, (fx @ self.p) * hp / W, np.nan)
            cov = (fx @ (self.p * self._v)) * hp / W - pm * u
            vals["mean_velocity"] = u
            vals["temperature"] = np.where(ok, cov, np.nan)
        for name in names:
            value = vals[name]
            extra = {}
            if name in ("mean_velocity", "temperature"):
                extra = {"comment": "NaN (missing) in cells where f vanishes"}
            out[name] = variable(name, value, ("x",), system, **extra)
            out[name + "_stderr"] = variable(name + "_stderr",
                                             np.where(np.isnan(value), np.nan, 0.0), ("x",),
                                             system, **{"comment": _DETERMINISTIC, **extra})
        return out

    def _scalars(self, t, system="si"):
        cell = self.hx * self.hp
        col = self.f.sum(axis=0)  # over x, per momentum node
        u = potential_array(self._terms, self._pprm, self.x[np.newaxis, :].copy(), float(t),
                            np.empty(self.x.size))
        energy = (float(col @ self._eps) + float(self.f.sum(axis=1) @ u)) * cell
        events = self._collision_events - self._events_at_last_frame
        return {
            "n_markers": variable("n_markers", np.int64(0), system=system,
                                  comment="0: deterministic grid solution, no markers"),
            "total_weight": variable("total_weight", float(col.sum()) * cell, system=system),
            "energy": variable("energy", energy, system=system),
            "momentum": variable("momentum", np.array([float(col @ self.p) * cell]),
                                 system=system),
            "absorbed": variable("absorbed", self._absorbed.copy(), system=system),
            "absorbed_p": variable("absorbed_p", self._absorbed_p.copy(), system=system),
            "injected": variable("injected", self._injected.copy(), system=system),
            "collisions": variable("collisions", events, system=system,
                                   comment="deterministic: the expected collision events (jumps "
                                           "of physical particles), int dt sum_k n_k |Q_kk|, "
                                           "not a count"),
        }

    def _scalar_coords(self):
        return {"component": coordinate("component", ["px"]),
                "side": coordinate("side", ["x_lo", "x_hi"]),
                "p_side": coordinate("p_side", ["p_lo", "p_hi"]),
                "contact": coordinate("contact", ["x_lo", "x_hi"]),
                "mechanism": coordinate("mechanism",
                                        ["total", *[c.name for c in self.collisions]])}

    # ------------------------------------------------------------------ running
    # ------------------------------------------------------------------ run hooks
    progress_label = "pmc grid"

    def _progress_postfix(self, steps, seconds, before, after):
        return {"grid": f"{self.x.size}x{self.p.size}", "steps_per_s": f"{steps / seconds:.3g}"}

    def _frame_recorded(self):
        self._events_at_last_frame = self._collision_events.copy()

    def _fingerprint(self):
        fields = (repr(self.fields),) if self.fields else ()
        return repr((repr(self.hamiltonian), self.dt, self.t0, self.scheme, self.order,
                     self.positivity, repr(self.boundary), repr(self.grid), self.observables,
                     [(c.name, c.fingerprint) for c in self.collisions], *fields))

    def _state_arrays(self):
        return {"f": self.f, "absorbed": self._absorbed, "absorbed_p": self._absorbed_p,
                "injected": self._injected, "collision_events": self._collision_events}

    def _restore_state(self, arrays):
        self.f = np.ascontiguousarray(arrays["f"], dtype=np.float64).copy()
        self._absorbed = arrays["absorbed"].copy()
        self._absorbed_p = arrays["absorbed_p"].copy()
        self._injected = arrays["injected"].copy()
        self._collision_events = arrays["collision_events"].copy()
        self._events_at_last_frame = self._collision_events.copy()
        self._field_stale = True

    def _provenance_extra(self):
        return {"title": "pmc deterministic grid solution (semi-Lagrangian Boltzmann solver)",
                "seed": "none (deterministic)", "scheme": self.scheme, "method": "grid",
                "interpolation_order": self.order, "positivity_limiter": int(self.positivity)}

    def _describe(self):
        case = {"hamiltonian": {"hbar": self.hamiltonian.hbar},
                "dispersion": describe_model(self.hamiltonian.dispersion),
                "potential": potential_tables(self.hamiltonian.potential),
                "run": {"method": "grid", "dt": self.dt, "scheme": self.scheme, "t0": self.t0,
                        "order": self.order, "positivity": self.positivity},
                "collisions": [c.name for c in self.collisions],
                "grid": {d: {"start": float(a[0]), "stop": float(a[-1]), "num": int(a.size)}
                         for d, a in self.grid.coords.items()},
                "observables": list(self.observables)}
        if self.boundary is not None:
            case["boundary"] = [describe_model(self.boundary)]
        return case


class _RateOperator:
    """One collision mechanism as the propagator of its master equation on the momentum nodes."""

    def __init__(self, mechanism, index, p, hp):
        if isinstance(mechanism, GoldenRule):
            mechanism = mechanism.rate_matrix
        if isinstance(mechanism, RateMatrix):
            matrix, self.name = mechanism.matrix, mechanism.name
        elif scipy.sparse.issparse(mechanism) or isinstance(mechanism, (np.ndarray, list, tuple)):
            matrix, self.name = mechanism, "rate_matrix"
        else:
            raise ValueError(f"collisions: the grid solver takes rate-matrix collisions "
                             f"(pmc.collisions.RateMatrix, GoldenRule or an (np, np) matrix), "
                             f"got {type(mechanism).__name__}")
        self.index = index
        q = scipy.sparse.csr_matrix(matrix, dtype=np.float64)
        m = p.size
        if q.shape != (m, m):
            raise ValueError(f"collisions: the rate matrix {self.name!r} must be (np, np) = "
                             f"({m}, {m}) on the grid's momentum nodes, got {q.shape}")
        grid = getattr(mechanism, "momentum_grid", None)
        if grid is not None:
            grid = np.asarray(grid, np.float64)
            if grid.shape != p.shape or np.max(np.abs(grid - p)) > 1e-9 * hp:
                raise ValueError(f"collisions: the momentum_grid of {self.name!r} must be the "
                                 f"grid's p nodes")
        if not np.all(np.isfinite(q.data)):
            raise ValueError(f"collisions: the rate matrix {self.name!r} must be finite")
        off = q - scipy.sparse.diags(q.diagonal())
        if off.nnz and off.data.min() < 0.0:
            raise ValueError(f"collisions: the rate matrix {self.name!r} has negative "
                             f"off-diagonal rates (must be >= 0)")
        rows = np.asarray(q.sum(axis=1)).ravel()
        scale = np.maximum(np.abs(q).max(axis=1).toarray().ravel(), np.finfo(float).tiny)
        if np.any(np.abs(rows) > 1e-12 * scale * max(1, m) ** 0.5 + 1e-300):
            raise ValueError(f"collisions: the rows of the rate matrix {self.name!r} must sum to "
                             f"zero (Q[k, k] = -sum of the other rates of row k)")
        self.q = q
        self.rates = -q.diagonal()  # total out-rate of each node [1/s]
        self.fingerprint = (m, q.nnz, float(np.abs(q).sum()), float(q.diagonal() @ p))
        self._dense = None
        self._jumps = None

    def prepare(self, dt):
        """Precompute the propagator expm(Q dt) (rows renormalised to sum exactly 1, round-off
        negatives removed) and the expected jumps per unit weight of each node over dt,
        g = int_0^dt expm(Q s) r ds with r = -diag(Q) (the augmented-matrix identity
        expm([[Q, r], [0, 0]] dt)[:, -1] = [g, 1]; C. Van Loan, IEEE Trans. Autom. Control 23,
        395 (1978))."""
        m = self.q.shape[0]
        aug = scipy.sparse.bmat([[self.q, scipy.sparse.csr_matrix(self.rates[:, None])],
                                 [None, scipy.sparse.csr_matrix((1, 1))]], format="csc")
        e = np.zeros(m + 1)
        e[-1] = 1.0
        self._jumps = scipy.sparse.linalg.expm_multiply(aug * dt, e)[:m]
        if m <= DENSE_LIMIT:
            prop = scipy.linalg.expm(self.q.toarray() * dt)
            np.maximum(prop, 0.0, out=prop)
            prop /= prop.sum(axis=1, keepdims=True)
            self._dense = np.ascontiguousarray(prop)
        else:
            self._qt_dt = (self.q.T * dt).tocsr()

    def apply(self, f, cell):
        """f <- f expm(Q dt) for every x node, in place (``cell`` = hx hp, the bin area);
        returns the expected number of jumps of the physical particles in the step."""
        jumps = float(f.sum(axis=0) @ self._jumps) * cell
        if self._dense is not None:
            f[...] = f @ self._dense
        else:
            f[...] = scipy.sparse.linalg.expm_multiply(self._qt_dt, f.T).T
        return jumps


@contextlib.contextmanager
def _threads(size):
    """One numba and one BLAS thread for grids below ``PARALLEL_MIN`` nodes (the shifts do not
    depend on the thread count: every grid line is computed by one thread)."""
    if size >= PARALLEL_MIN:
        yield
        return
    with threads.limited(numba_threads=1, blas=1):
        yield


def _reservoir_density(res, p, dispersion):
    """f [1/(m kg m/s)] of a reservoir: n exp(-(p - m u)^2 / (2 m kT)) / sqrt(2 pi m kT) with the
    reservoir's mass (or, not given, the band's); for a Kane band without a given mass its
    equilibrium n exp(-eps(p)/kT) / Z."""
    mass = res.mass
    if mass is None:
        mass, alpha = res.band_parameters(dispersion, 1)
        if alpha > 0.0:
            return (res.density * np.exp(-dispersion.energy(p) / res.temperature)
                    / kane_partition(res.temperature, mass, alpha, 1))
    var = mass * res.temperature
    return (res.density * np.exp(-(p - mass * res.drift) ** 2 / (2.0 * var))
            / math.sqrt(2.0 * math.pi * var))


def simulate(hamiltonian, initial, *, grid, dt, t_end, save_every, output=None, progress=False,
             **options):
    """Build a :class:`Simulation` and run it: the function form (as :func:`pmc.simulate`).

    Parameters are those of :class:`Simulation` and :meth:`pmc._run.FrameRun.run`.

    Returns
    -------
    xarray.Dataset
    """
    run_keys = ("overwrite", "resume", "checkpoint_every")
    run_opts = {k: options.pop(k) for k in run_keys if k in options}
    solver = Simulation(hamiltonian, initial, grid=grid, dt=dt, **options)
    return solver.run(t_end, save_every, output=output, progress=progress, **run_opts)


def __getattr__(name):
    return _deprecated(name, __name__)


def _deprecated(name, module):
    """The deprecated names ``GridSolver`` and ``solve`` (module attribute access warns)."""
    new = {"GridSolver": "Simulation", "solve": "simulate"}.get(name)
    if new is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    warnings.warn(f"pmc.gridsolver.{name} is deprecated: use pmc.gridsolver.{new}",
                  DeprecationWarning, stacklevel=3)
    return globals()[new]
