"""The driver: markers streamed along the Hamiltonian's characteristics, collided per cell by any
list of :class:`pmc.collisions.Collision` mechanisms (Strang splitting: half push, collide, half
push), observed on a :class:`pmc.PhaseSpaceGrid` at regular times, written to netCDF frame by frame
and checkpointed so that a killed run resumes to the same numbers.

The driver knows the physics only through two protocols: each collision mechanism is prepared
once (``mechanism.prepare(hamiltonian, cells, markers)``, a
:class:`pmc.collisions.JumpOperator` with ``collide(markers, dt, seed, step)``,
``state()``, ``set_state(arrays)``), and each field (:mod:`pmc.fields`) once
(``field.prepare(hamiltonian, cells, markers)``, a :class:`pmc.fields.FieldOperator` whose
``potential(markers, t)`` the push adds to the Hamiltonian's before every push). A step loops
over them; a new mechanism or field never edits the driver.

One class with ``start``/``step``/``run``/``resume`` and a thin function :func:`simulate`, as
QuTiP's solvers do (``qutip/solver/sesolve.py``).
"""
import warnings

import numpy as np
import xarray as xr

from . import _checks
from ._kernels import BLOCK
from ._kernels import evaluate as _evaluate
from ._kernels import threads as _threads
from ._kernels.rng import seed_to_int
from ._run import FrameRun, describe_model, frame_at, potential_tables
from .boundaries import Boundary, check_inside
from .cells import Cells
from .collisions.base import Collision
from .fields import Field
from .grids import PhaseSpaceGrid
from .hamiltonian import Hamiltonian
from .markers import Markers
from .schema import coordinate, unit_system, variable
from .potentials import Zero
from .streaming import SCHEMES, Streamer, StreamTally, check_boundary

__all__ = ["Simulation", "simulate", "OBSERVABLES", "SMALL_RUN"]

#: Runs with fewer markers than this step on one thread: starting the thread pool and meeting at
#: the barrier of each parallel loop (a few per step) costs more than the work it shares.
#: Results do not depend on the thread count.
SMALL_RUN = 1 << 14

#: Observables a run can record on its grid.
OBSERVABLES = ("f", "density", "current", "energy_density", "mean_velocity", "temperature")
_DEFAULT_OBSERVABLES = ("f", "density", "current", "energy_density")
_AXES = "xyz"


class Simulation(FrameRun):
    """A kinetic simulation of weighted markers.

    Parameters
    ----------
    hamiltonian : pmc.Hamiltonian
    initial : pmc.Markers
        Initial markers; copied, so the caller's object is never modified. The current state is
        :attr:`markers`. (The keyword ``markers=`` is a deprecated spelling.)
    dt : float
        Time step [s], finite and > 0.
    grid : pmc.PhaseSpaceGrid, optional
        Grid on which the observables are binned. Required if any grid observable is asked for.
    boundary : pmc.Boundary or tuple of them, optional
        Walls (one for all axes, or one per axis). Open if omitted.
    collisions : sequence of pmc.collisions.Collision
        Collision mechanisms, applied in order once per step between two half pushes.
    seed : int or numpy.random.SeedSequence
        Seed of every random stream of the run (injection, collisions).
    scheme : {"leapfrog", "yoshida4"}
        Push scheme (orders 2 and 4).
    observables : sequence of str, optional
        Which of ``OBSERVABLES`` to record on the grid; default f, density, current and
        energy density when a grid is given, none otherwise. The scalar time series
        (n_markers, total_weight, energy, momentum, absorbed, injected, collisions) are always
        recorded.
    cells : pmc.Cells, optional
        Collision cells handed to the mechanisms; default the spatial bins of ``grid``.
    fields : sequence of pmc.fields.Field
        Fields whose potentials the push adds to the Hamiltonian's, updated before every push
        (see :mod:`pmc.fields`).
    t0 : float
        Time [s] of the initial markers.
    outside : {"error", "remove"}
        Markers outside the walls of ``boundary`` at the start are an error naming the axis,
        their number and the worst position (default), or are removed from the run's copy with
        a :class:`pmc.boundaries.OutsideWallsWarning` giving their count and weight
        (:func:`pmc.boundaries.check_inside`).
    case : dict, optional
        The case this simulation was built from (as read from a TOML file); stored in the
        output's attributes. Built from the objects if omitted.
    """

    def __init__(self, hamiltonian, initial=None, *, dt, grid=None, boundary=None, collisions=(),
                 seed=0, scheme="leapfrog", observables=None, cells=None, t0=0.0, case=None,
                 fields=(), markers=None, outside="error"):
        markers = _initial_markers(initial, markers)
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if not isinstance(markers, Markers):
            raise ValueError(f"markers must be pmc.Markers, got {type(markers).__name__}")
        if getattr(hamiltonian.dispersion, "needs_state", False):
            raise NotImplementedError(
                "streaming markers in a MultiValley band needs the multi-valley push kernel "
                "(issue 16 item 1, the follow-up of the issue-15 push kernels); for now use "
                "the single-valley Kane approximation, band.single_valley()")
        if grid is not None and not isinstance(grid, PhaseSpaceGrid):
            raise ValueError(f"grid must be a pmc.PhaseSpaceGrid, got {grid!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
        if boundary is not None and not isinstance(boundary, Boundary):
            if not (isinstance(boundary, (tuple, list))
                    and all(isinstance(b, Boundary) for b in boundary)):
                raise ValueError(f"boundary must be a pmc boundary or a tuple of them, got "
                                 f"{boundary!r}")
            boundary = tuple(boundary)
        collisions = tuple(collisions)
        for c in collisions:
            if not isinstance(c, Collision):
                raise ValueError(f"collisions must be pmc.collisions.Collision objects, got {c!r}")
        _distinct_names("collision mechanisms", collisions)
        if observables is None:
            observables = _DEFAULT_OBSERVABLES if grid is not None else ()
        if isinstance(observables, str):
            raise ValueError(f"observables must be a list of names, got the string "
                             f"{observables!r} (write [{observables!r}])")
        observables = tuple(observables)
        unknown = [o for o in observables if o not in OBSERVABLES]
        if unknown:
            raise ValueError(f"unknown observables {unknown}; valid: {list(OBSERVABLES)}")
        if observables and grid is None:
            raise ValueError(f"observables {list(observables)} need a grid")
        if grid is not None:
            grid._check(markers, hamiltonian)
        self._compose_pushes = not check_boundary(boundary, hamiltonian, markers)
        self.hamiltonian = hamiltonian
        self.markers = markers.copy()
        check_inside(boundary, self.markers, outside)
        self.dt = _checks.positive("dt", dt)
        self.t0 = _checks.finite("t0", t0)
        self.grid = grid
        self.boundary = boundary
        self.collisions = collisions
        self.scheme = scheme
        self.observables = observables
        if cells is None and grid is not None:
            cells = Cells.from_grid(grid)
        if collisions and cells is None:
            raise ValueError("collisions need cells: give cells=pmc.Cells(...) or a grid")
        if cells is not None and not isinstance(cells, Cells):
            raise ValueError(f"cells must be pmc.Cells, got {cells!r}")
        self.cells = cells
        self._prepare(collisions, fields)
        self.seed = seed if isinstance(seed, int) else str(seed)
        self._key = seed_to_int(seed)
        self.case = case if case is not None else self._describe()
        # cumulative tallies
        self.step_count = 0
        self._streamer = None  # the push, prepared at its first use
        self._streamer_for = ()
        self._absorbed = np.zeros(2 * self.markers.dx)
        self._injected = np.zeros(2)
        self._collision_events = np.zeros(1 + len(collisions), np.int64)
        self._events_at_last_frame = self._collision_events.copy()

    # ------------------------------------------------------------------ state
    @property
    def time(self):
        """Current time [s]."""
        return self.t0 + self.step_count * self.dt

    def __repr__(self):
        return (f"Simulation(t={self.time:.6g}, step={self.step_count}, markers={self.markers.n}, "
                f"dt={self.dt:g}, scheme={self.scheme!r})")

    def _prepare(self, collisions, fields):
        """The run's prepared operators: :attr:`operators` (one per collision mechanism) and
        :attr:`field_operators` (one per field)."""
        fields = tuple(fields)
        for f in fields:
            if not isinstance(f, Field):
                raise ValueError(f"fields must be pmc.fields.Field objects, got {f!r}")
        _distinct_names("fields", fields)
        self.fields = fields
        self.operators = tuple(c.prepare(self.hamiltonian, self.cells, self.markers)
                               for c in collisions)
        self.field_operators = tuple(f.prepare(self.hamiltonian, self.cells, self.markers)
                                     for f in fields)
        if any(op.self_consistent for op in self.field_operators):
            self._compose_pushes = False

    def step(self, n=1):
        """Advance by ``n`` steps (n >= 0). Returns self.

        A step is the Strang splitting half push . collide . half push: the push streams the
        markers in the Hamiltonian's potential plus the fields' (updated before each push), the
        collision operators act in order between. With collisions, the pushes between the
        collisions of consecutive steps of one call are composed into one; ``step(1)`` called n
        times gives the same physics (the same order in dt) but not bitwise the same numbers as
        ``step(n)``."""
        n = _checks.count("n", n, minimum=0)
        if n == 0:
            return self
        if self.markers.n < SMALL_RUN and _threads.get() > 1:
            with _threads.limited(numba_threads=1):
                return self._steps(n)
        return self._steps(n)

    def _steps(self, n):
        if not self.operators:
            if not self.field_operators:
                self._push(self.dt, n, self.t0, self.step_count)
            else:  # the fields are updated before every step
                for s in range(self.step_count, self.step_count + n):
                    self._push(self.dt, 1, self.t0, s)
            self.step_count += n
            return self
        # the trailing half push of a step and the leading one of the next are composed into
        # one push of dt (starting half a step late) inside a call: one pass over the markers
        # per step instead of two (unless reservoirs inject, whose random streams are keyed by
        # the half steps, or a self-consistent field must be updated between them)
        half = 0.5 * self.dt
        first = self.step_count
        last = first + n - 1
        self._push(half, 1, self.t0, 2 * first)
        for s in range(first, last + 1):
            self._collide(s)
            if s < last and self._compose_pushes:
                self._push(self.dt, 1, self.t0 + half, s)
            else:
                halves = (2 * s + 1,) if s == last else (2 * s + 1, 2 * s + 2)
                for h in halves:
                    self._push(half, 1, self.t0, h)
            self.step_count += 1
        return self

    def _push(self, dt, steps, t0, step0):
        """Stream the markers ``steps`` pushes of ``dt`` from step index ``step0`` (time
        ``t0 + step0 * dt``) in the Hamiltonian plus the fields' potentials."""
        if self.field_operators:  # the potential changes from push to push
            streamer = Streamer(self._push_hamiltonian(t0 + step0 * dt), self.markers,
                                scheme=self.scheme, boundary=self.boundary, seed=self._key)
        else:
            made_for = (self.hamiltonian, self.boundary, self.scheme)
            if self._streamer is None or any(a is not b for a, b in zip(made_for,
                                                                        self._streamer_for)):
                self._streamer = Streamer(self.hamiltonian, self.markers, scheme=self.scheme,
                                          boundary=self.boundary, seed=self._key)
                self._streamer_for = made_for
            streamer = self._streamer
        self._account(streamer(self.markers, dt, steps, t0, step0))

    def _push_hamiltonian(self, t):
        """The Hamiltonian of a push starting at ``t``: the run's, plus every field's potential
        at ``t``."""
        H = self.hamiltonian
        if not self.field_operators:
            return H
        total = None if isinstance(H.potential, Zero) else H.potential
        for op in self.field_operators:
            u = op.potential(self.markers, t)
            total = u if total is None else total + u
        if total is None:
            return H
        return Hamiltonian(H.dispersion, total, hbar=H.hbar, units=H.units)

    def _collide(self, step):
        """Every collision operator, in order, over one step."""
        for k, op in enumerate(self.operators):
            events = int(op.collide(self.markers, self.dt, self._key, step))
            self._collision_events[1 + k] += events
            self._collision_events[0] += events

    def _account(self, tally: StreamTally):
        if tally.absorbed_count == 0 and tally.injected_count == 0:
            return
        self._absorbed += tally.absorbed_weight[:self.markers.dx].ravel()
        self._injected += tally.injected_weight

    # ------------------------------------------------------------------ observing
    def observe(self):
        """A one-frame :class:`xarray.Dataset` of the current state (dims ``time`` of length 1)."""
        mk, H, t = self.markers, self.hamiltonian, self.time
        sums = self._marker_sums()
        if sums[0]:
            for name, a in (("positions", mk.positions), ("momenta", mk.momenta),
                            ("weights", mk.w)):
                if not np.all(np.isfinite(a)):
                    raise FloatingPointError(f"non-finite marker {name} at step "
                                             f"{self.step_count} (t = {t:g}); the run is stopped")
        parts = []
        if self.grid is not None and "f" in self.observables:
            parts.append(self.grid.bin(mk, H))
        moments = [o for o in self.observables if o != "f"]
        if moments:
            m = self.grid.moments(mk, H)
            keep = [v for v in m.data_vars
                    if v.replace("_stderr", "") in moments or v.startswith("weight_outside")]
            parts.append(m[keep])
        parts.append(self._scalars(sums))
        for op in self.operators:  # the mechanisms' own per-frame tallies (signed particles)
            observe = getattr(op, "observe", None)
            if observe is not None:
                parts.append(observe(mk, unit_system(H)))
        data, coords = {}, {}
        for part in parts:  # over the same coordinates; a variable in two parts: the first
            coords.update(part.coords.variables)
            for name, var in part.data_vars.variables.items():
                data.setdefault(name, var)
        frame = frame_at(t, data, coords, unit_system(H))
        for name, var in frame.data_vars.items():
            values = var.values
            if values.dtype.kind != "f" or np.all(np.isfinite(values)):
                continue
            if np.isinf(values).any() or not np.isnan(var.attrs.get("missing_value", 0.0)):
                raise FloatingPointError(f"non-finite {name} at step {self.step_count} "
                                         f"(t = {t:g}); the run is stopped")
        return frame

    def _marker_sums(self):
        """(markers with a non-finite x, p or w; sum w; sum w H; sum w p (dp,)) in one pass,
        summed per block of markers and then over the blocks in order (independent of the
        thread count)."""
        mk, H = self.markers, self.hamiltonian
        n = mk.n
        out = np.zeros(((n + BLOCK - 1) // BLOCK, 6))
        if n:
            x, p, w, _ = mk.kernel_arrays()
            dk, dprm, terms, pprm = H.kernel_arguments()
            _evaluate.marker_sums(dk, dprm, terms, pprm, x, p, w, n, float(self.time), out)
        total = out.sum(axis=0)
        return int(total[0]), float(total[1]), float(total[2]), total[3:3 + mk.dp].copy()

    def _scalars(self, sums=None):
        mk, H, t = self.markers, self.hamiltonian, self.time
        _, total_weight, energy, momentum = self._marker_sums() if sums is None else sums
        sides = [f"{a}_{s}" for a in _AXES[:mk.dx] for s in ("lo", "hi")]
        names = ["total", *[c.name for c in self.collisions]]
        events = self._collision_events - self._events_at_last_frame
        system = unit_system(H)
        return xr.Dataset(
            {"n_markers": variable("n_markers", np.int64(mk.n), system=system),
             "total_weight": variable("total_weight", total_weight, system=system),
             "energy": variable("energy", energy, system=system),
             "momentum": variable("momentum", momentum, system=system),
             "absorbed": variable("absorbed", self._absorbed.copy(), system=system),
             "injected": variable("injected", self._injected.copy(), system=system),
             "collisions": variable("collisions", events, system=system)},
            coords={"component": coordinate("component", [f"p{a}" for a in _AXES[:mk.dp]]),
                    "side": coordinate("side", sides),
                    "contact": coordinate("contact", ["x_lo", "x_hi"]),
                    "mechanism": coordinate("mechanism", names)})

    # ------------------------------------------------------------------ run hooks
    def _progress_size(self):
        return self.markers.n

    def _progress_postfix(self, steps, seconds, before, after):
        rate = steps * 0.5 * (before + after) / seconds
        return {"markers": after, "marker_steps_per_s": f"{rate:.3g}"}

    def _frame_recorded(self):
        self._events_at_last_frame = self._collision_events.copy()
        for op in self.operators:
            if hasattr(op, "frame_recorded"):
                op.frame_recorded()

    def _fingerprint(self):
        fields = (repr(self.fields),) if self.fields else ()
        return repr((repr(self.hamiltonian), self.dt, self.t0, self.scheme, repr(self.boundary),
                     repr(self.grid), self.observables, [c.name for c in self.collisions],
                     self._key, *fields))

    def _state_arrays(self):
        mk = self.markers
        # the storage layout (d, n), which _restore_state hands back to from_components
        arrays = {"positions": mk.positions.T, "momenta": mk.momenta.T, "weights": mk.w,
                  **({} if mk.state is None else {"state": mk.state}),
                  **({"signed": np.ones(1, bool)} if mk.signed else {}),
                  "absorbed": self._absorbed, "injected": self._injected,
                  "collision_events": self._collision_events}
        for k, op in enumerate(self.operators):
            arrays.update({f"collision{k}_{n}": v for n, v in op.state().items()})
        for k, op in enumerate(self.field_operators):
            arrays.update({f"field{k}_{n}": v for n, v in op.state().items()})
        return arrays

    def _restore_state(self, arrays):
        self.markers = Markers.from_components(np.ascontiguousarray(arrays["positions"]),
                                               np.ascontiguousarray(arrays["momenta"]),
                                               np.ascontiguousarray(arrays["weights"]),
                                               arrays.get("state"), "signed" in arrays)
        self._absorbed = arrays["absorbed"].copy()
        self._injected = arrays["injected"].copy()
        self._collision_events = arrays["collision_events"].copy()
        self._events_at_last_frame = self._collision_events.copy()
        for kind, ops in (("collision", self.operators), ("field", self.field_operators)):
            for k, op in enumerate(ops):
                prefix = f"{kind}{k}_"
                op.set_state({n[len(prefix):]: v for n, v in arrays.items()
                              if n.startswith(prefix)})

    def _provenance_extra(self):
        return {"title": "pmc particle Monte Carlo run", "seed": str(self.seed),
                "scheme": self.scheme}

    def _describe(self):
        case = {"hamiltonian": {"hbar": self.hamiltonian.hbar},
                "dispersion": describe_model(self.hamiltonian.dispersion),
                "potential": potential_tables(self.hamiltonian.potential),
                "markers": {"n": self.markers.n, "dx": self.markers.dx, "dp": self.markers.dp,
                            "source": "given directly to pmc.Simulation"},
                "run": {"dt": self.dt, "scheme": self.scheme, "seed": str(self.seed),
                        "t0": self.t0},
                "collisions": [c.name for c in self.collisions]}
        if self.boundary is not None:
            bs = self.boundary if isinstance(self.boundary, tuple) else (self.boundary,)
            case["boundary"] = [describe_model(b) for b in bs]
        if self.grid is not None:
            case["grid"] = {d: {"start": float(a[0]), "stop": float(a[-1]), "num": int(a.size)}
                            for d, a in self.grid.coords.items()}
            case["observables"] = list(self.observables)
        return case


def _distinct_names(what, objects):
    """Each mechanism or field labels its outputs by its name: refuse two with the same one."""
    names = [o.name for o in objects]
    if len(set(names)) != len(names):
        raise ValueError(f"{what} need distinct names, got {names}")


def simulate(hamiltonian, initial=None, *, dt, t_end, save_every, output=None, progress=False,
             **options):
    """Build a :class:`Simulation` and run it: the function form.

    Parameters are those of :class:`Simulation` and :meth:`Simulation.run`.

    Returns
    -------
    xarray.Dataset
    """
    run_keys = ("overwrite", "resume", "checkpoint_every")
    run_opts = {k: options.pop(k) for k in run_keys if k in options}
    sim = Simulation(hamiltonian, initial, dt=dt, **options)
    return sim.run(t_end, save_every, output=output, progress=progress, **run_opts)


def _initial_markers(initial, markers):
    """``initial``, or the deprecated keyword ``markers`` with a DeprecationWarning."""
    if markers is None:
        if initial is None:
            raise ValueError("initial (the initial pmc.Markers) is required")
        return initial
    warnings.warn("markers= is deprecated: give the initial markers as `initial` (the second "
                  "argument)", DeprecationWarning, stacklevel=3)
    if initial is not None:
        raise ValueError("give the initial markers once: initial or markers (deprecated), "
                         "not both")
    return markers
