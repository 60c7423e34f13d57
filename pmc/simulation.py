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
import math
import warnings

import numpy as np
import xarray as xr

from . import _checks
from ._kernels import BLOCK
from ._kernels import evaluate as _evaluate
from ._kernels import threads as _threads
from ._kernels.push import ABSORBING as _ABSORBING
from ._kernels.push import PERIODIC as _PERIODIC
from ._kernels.rng import COMPOSED_PUSH, seed_to_int, stream_key
from ._run import FrameRun, describe_model, frame_record, potential_tables
from .bands import Parabolic as _Parabolic
from .bands import SpeciesMasses
from .boundaries import Boundary, Injecting, check_inside
from .boundaries import encode_walls as _encode_walls
from .cells import Cells
from .collisions.base import Collision
from .collisions.mixture import SPECIES_OBSERVABLES, species_moments
from .fields import Field
from .grids import PhaseSpaceGrid
from .hamiltonian import Hamiltonian
from .markers import Markers
from .schema import CELL_DIMS, coordinate, spec, unit_system, variable
from .potentials import Zero
from .sampling import (MOMENTS, CellSampler, batch_means, batch_moments, transient_end,
                       window_moments)
from .sampling import cell_moments as _cell_moments
from .streaming import SCHEMES, Streamer, StreamTally, check_boundary, gas_walls

__all__ = ["Simulation", "simulate", "OBSERVABLES", "SPECIES_OBSERVABLES", "SMALL_RUN"]

#: Runs with fewer markers than this step on one thread: starting the thread pool and meeting at
#: the barrier of each parallel loop (a few per step) costs more than the work it shares.
#: Results do not depend on the thread count.
SMALL_RUN = 1 << 14

#: Observables a run can record on its grid.
OBSERVABLES = ("f", "density", "current", "energy_density", "mean_velocity", "temperature")
_DEFAULT_OBSERVABLES = ("f", "density", "current", "energy_density")
_AXES = "xyz"
#: The cell moments averaged per species for a mixture (``species_<name>_mean``).
_SPECIES_MOMENTS = {"number_density": (), "flow_velocity": ("direction",),
                    "translational_temperature": (), "heat_flux": ("direction",)}
#: Yoshida's composition of three leapfrogs (as pmc._kernels.push.stage): w1, w0, w1.
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_YOSHIDA = (_W1, 1.0 - 2.0 * _W1, _W1)


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
        Which of ``OBSERVABLES`` (and, for a gas mixture, of ``SPECIES_OBSERVABLES``: moments
        per species, :func:`pmc.collisions.mixture.species_moments`) to record on the grid; default f, density, current and
        energy density when a grid is given, none otherwise. The scalar time series
        (n_markers, total_weight, energy, momentum, absorbed, injected, collisions) are always
        recorded; with :class:`pmc.Injecting` walls also the terminal currents
        ``contact_current`` (charge injected minus absorbed per frame interval) and
        ``ramo_current`` (Ramo-Shockley: -q sum w v . grad phi_contact) per contact, each the
        current into the device through the contact [charge/s].
    cells : pmc.Cells, optional
        Collision cells handed to the mechanisms; default the spatial bins of ``grid``.
    fields : sequence of pmc.fields.Field
        Fields whose potentials the push adds to the Hamiltonian's, updated before every push
        (see :mod:`pmc.fields`). A field that kicks (:class:`pmc.fields.Poisson`) wraps each
        push of h instead: kick(h/2) with the current field, the push, the field recomputed
        from the new positions, kick(h/2) (the particle-in-cell leapfrog; the trailing and
        leading half kicks of consecutive steps merged; with collisions the pushes between
        them composed into one of dt; for free flight on a 1-D periodic mesh kick, drift and
        deposit are one pass over the markers, the same numbers); frames then hold its
        ``potential``, ``electric_field`` and ``field_energy`` (``energy`` stays the markers'
        sum w H).
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
    average : float or "auto", optional
        Start [s] of the time-averaging window of a gas (a parabolic band, dp = 3), or "auto":
        from the end of the transient detected by MSER-5 (:func:`pmc.averages.transient_end`)
        over the frames' cell moments and wall stresses. The cell sums are accumulated every
        ``sample_every`` steps on the collision ``cells``, after the collisions with each marker
        binned at the middle of its coming free flight, so the pressure tensor and heat flux
        are the transported fluxes (a flight that meets a wall before its middle is binned
        after the push, back from its end along its velocity after the wall; where walls may
        remove markers, Freestream or absorbing faces, at its start); :meth:`run` adds the
        time averages
        (:meth:`time_averages`: ``number_density_mean``, ``flow_velocity_mean``,
        ``temperature_x_mean`` .., ``pressure_tensor_mean``, ``heat_flux_mean``, the
        ``wall_*_mean`` of gas-surface walls, each with ``*_mean_stderr`` by batch means over
        the frames) to its output.
    sample_every : int
        Steps between two samples of the cell sums, >= 1.
    average_batches : int
        Batches of frames for the standard errors, >= 2 (at most the frames in the window).
    """

    def __init__(self, hamiltonian, initial=None, *, dt, grid=None, boundary=None, collisions=(),
                 seed=0, scheme="leapfrog", observables=None, cells=None, t0=0.0, case=None,
                 fields=(), markers=None, outside="error", average=None, sample_every=1,
                 average_batches=10):
        markers = _initial_markers(initial, markers)
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if not isinstance(markers, Markers):
            raise ValueError(f"markers must be pmc.Markers, got {type(markers).__name__}")
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
        unknown = [o for o in observables if o not in OBSERVABLES + SPECIES_OBSERVABLES]
        if unknown:
            raise ValueError(f"unknown observables {unknown}; valid: {list(OBSERVABLES)} and, "
                             f"for a gas mixture, {list(SPECIES_OBSERVABLES)}")
        if (set(observables) & set(SPECIES_OBSERVABLES)
                and not isinstance(hamiltonian.dispersion, SpeciesMasses)):
            raise ValueError(f"observables {sorted(set(observables) & set(SPECIES_OBSERVABLES))} "
                             f"are per species of a gas mixture: they need its band "
                             f"(pmc.Mixture.band), got {type(hamiltonian.dispersion).__name__}")
        if observables and grid is None:
            raise ValueError(f"observables {list(observables)} need a grid")
        if grid is not None:
            grid._check(markers, hamiltonian)
        # composed pushes also with contacts (their streams have their own key family,
        # rng.COMPOSED_PUSH); check_boundary refuses a boundary that does not fit the run
        check_boundary(boundary, hamiltonian, markers)
        self._compose_pushes = True
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
        self._gas = gas_walls(boundary, hamiltonian, markers, scheme)
        if self._gas is not None and self._gas[1]:  # freestream faces inject per half step
            self._compose_pushes = False
        self._setup_averages(average, sample_every, average_batches)
        self.seed = seed if isinstance(seed, int) else str(seed)
        self._key = seed_to_int(seed)
        self._composed_key = int(stream_key(self._key, COMPOSED_PUSH, 0))
        self.case = case if case is not None else self._describe()
        # cumulative tallies
        self.step_count = 0
        self._streamer = None  # the push, prepared at its first use
        self._streamer_for = ()
        self._to_frame = False  # whether a frame follows this step() (run's loop)
        self._pushed_sums = None  # (step count, marker sums) computed by the push for it
        self._want_start_sums = False  # the next frame push: also the sums at its start
        self._labels = {}  # (name, labels) -> the frames' label coordinate (one array each)
        self._start_sums = None  # (step count, marker sums) at the start of that push
        self._absorbed = np.zeros(2 * self.markers.dx)
        # freestream faces count what enters through every face (x_lo, x_hi, y_lo, ...)
        self._faces = self._gas is not None and bool(self._gas[1])
        self._injected = np.zeros(2 * self.markers.dx if self._faces else 2)
        self._collision_events = np.zeros(1 + len(collisions), np.int64)
        self._events_at_last_frame = self._collision_events.copy()
        # terminal currents: (time, absorbed x_lo, x_hi, injected x_lo, x_hi) at the last frame
        self._contacts = isinstance(boundary, Injecting)
        self._contact_frame = np.array([self.t0, 0.0, 0.0, 0.0, 0.0])

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
        if any(op.self_consistent and not op.kicks for op in self.field_operators):
            self._compose_pushes = False  # a kicking field is updated inside each push
        # fields that act by kicks around the push (a mesh field): see _push_kicked
        self._kickers = tuple(op for op in self.field_operators if op.kicks)
        self._fields_current = False
        if self._kickers and self.scheme != "leapfrog" \
                and check_boundary(self.boundary, self.hamiltonian, self.markers):
            raise NotImplementedError("a kicking field (Poisson) with injecting reservoirs "
                                      "needs scheme='leapfrog'")

    def step(self, n=1):
        """Advance by ``n`` steps (n >= 0). Returns self.

        A step is the Strang splitting half push . collide . half push: the push streams the
        markers in the Hamiltonian's potential plus the fields' (updated before each push), the
        collision operators act in order between. With collisions, the pushes between the
        collisions of consecutive steps of one call are composed into one; ``step(1)`` called n
        times gives the same physics (the same order in dt) but not bitwise the same numbers as
        ``step(n)``. So does a run without collisions in a static uniform field or harmonic
        potential alone (parabolic band, one axis): its n steps of one call are one affine map
        (the same map, other roundings)."""
        n = _checks.count("n", n, minimum=0)
        if n == 0:
            return self
        if self.markers.n >= SMALL_RUN:
            return self._steps(n)
        old = _threads.swap(1)
        try:
            return self._steps(n)
        finally:
            _threads.swap(old)

    def _steps(self, n):
        if not self.operators:
            if self._sampler is not None:  # a sample after every step
                for s in range(self.step_count, self.step_count + n):
                    self._push(self.dt, 1, self.t0, s)
                    self._sample(s)
            elif len(self._kickers) == len(self.field_operators):
                self._push(self.dt, n, self.t0, self.step_count, frame=self._to_frame)
            else:  # the fields are updated before every step
                for s in range(self.step_count, self.step_count + n):
                    self._push(self.dt, 1, self.t0, s)
            self.step_count += n
            return self
        # the trailing half push of a step and the leading one of the next are composed into
        # one push of dt (starting half a step late) inside a call: one pass over the markers
        # per step instead of two (unless freestream faces inject per half step, or a
        # self-consistent field that does not kick must be updated between them); its contact
        # streams are keyed from their own family (rng.COMPOSED_PUSH), not by half-step index
        half = 0.5 * self.dt
        first = self.step_count
        last = first + n - 1
        self._push(half, 1, self.t0, 2 * first)
        for s in range(first, last + 1):
            self._collide(s)
            sampled = self._sample(s, half)  # at mid-flight: the flights' time average
            # the gas push samples in its own pass (self._fuse), at mid-flight of its flights
            take = (self._sampler, half) if sampled and self._fuse else None
            if s < last and self._compose_pushes:
                self._push(self.dt, 1, self.t0 + half, s, self._composed_key, take)
                flown = self.dt
            else:
                halves = (2 * s + 1,) if s == last else (2 * s + 1, 2 * s + 2)
                for h in halves:
                    self._push(half, 1, self.t0, h, sample=take if h == 2 * s + 1 else None)
                flown = half * len(halves)
            if sampled and not self._fuse:  # flights that met a wall first, to their middle
                self._sampler.finish(self.markers, half - flown)
            self.step_count += 1
        return self

    def _step_to_frame(self, n):
        """:meth:`step` (n) before a frame: the push may compute the frame's marker sums in its
        last pass over the markers (:meth:`_marker_sums`)."""
        self._to_frame = True
        try:
            self.step(n)
        finally:
            self._to_frame = False

    def _push(self, dt, steps, t0, step0, key=None, sample=None, frame=False):
        """Stream the markers ``steps`` pushes of ``dt`` from step index ``step0`` (time
        ``t0 + step0 * dt``) in the Hamiltonian plus the fields' potentials; ``key`` keys the
        contacts' streams (default: the seed's); ``sample``: (sampler, t_mid) for the gas push
        to sample in its pass (:class:`pmc.streaming.Streamer`). ``frame``: the last push before
        a frame, which then computes the frame's marker sums where the push can (no fields)."""
        if self._kickers:
            self._push_kicked(dt, steps, t0, step0, key)
            return
        if self.field_operators:  # the potential changes from push to push
            streamer = Streamer(self._push_hamiltonian(t0 + step0 * dt), self.markers,
                                scheme=self.scheme, boundary=self.boundary, seed=self._key)
        else:
            streamer = self._static_streamer()
        if frame and sample is None and streamer.frame_sums and not self.field_operators:
            sums = np.zeros(((self.markers.n + BLOCK - 1) // BLOCK, 6))
            start = np.zeros_like(sums) if self._want_start_sums else None
            self._want_start_sums = False
            self._account(streamer(self.markers, dt, steps, t0, step0, key, sums=sums,
                                   start_sums=start))
            self._pushed_sums = (step0 + steps, self._total_sums(sums))
            if start is not None:
                self._start_sums = (step0, self._total_sums(start))
            return
        if sample is None and streamer.gas is None and not streamer.reservoirs:
            tally = streamer._advance(self.markers, t0, step0, dt, steps)  # the kernel alone
            if tally is not None:
                self._account(tally)
            return
        self._account(streamer(self.markers, dt, steps, t0, step0, key, sample))

    def _static_streamer(self):
        """The push of the run's Hamiltonian (kept while it, the walls and the scheme stay)."""
        made = self._streamer_for
        if (self._streamer is None or made[0] is not self.hamiltonian
                or made[1] is not self.boundary or made[2] is not self.scheme):
            made_for = (self.hamiltonian, self.boundary, self.scheme)
            self._streamer = Streamer(self.hamiltonian, self.markers, scheme=self.scheme,
                                      boundary=self.boundary, seed=self._key)
            self._streamer_for = made_for
        return self._streamer

    def _first_frame_later(self, n):
        """Without collisions, fields or sampling, when the frames hold only the marker sums
        and what the push leaves as it was (no grid observables; the push neither removes nor
        adds markers: :attr:`Streamer.frame_sums`): the first push of the run computes the
        sums of the state before it in its first pass, so the first frame needs no pass of
        its own. The stand-in frame has zero sums."""
        if (self.operators or self.field_operators or self._sampler is not None
                or self.average is not None or self.markers.n == 0
                or any(o != "f" or self.grid is not None for o in self.observables)):
            return False
        if not self._static_streamer().frame_sums:
            return False
        self._want_start_sums = True
        self._start_sums = None
        self._pushed_sums = (self.step_count, (0, 0.0, 0.0, np.zeros(self.markers.dp)))
        return True

    def _first_frame_again(self, n):
        """The first frame, observed at the step n steps back with the sums the push computed
        at its start (:meth:`_first_frame_later`): bitwise the frame observe() gave there."""
        start, self._start_sums = self._start_sums, None
        self._want_start_sums = False
        if start is None or start[0] != self.step_count - n:
            raise RuntimeError("the first frame's marker sums were not computed by the push")
        end, self._pushed_sums = self._pushed_sums, start
        self.step_count -= n
        try:
            return self._observe_record()
        finally:
            self.step_count += n
            self._pushed_sums = end

    def _push_kicked(self, h, steps, t0, step0, key=None):
        """``steps`` pushes of ``h`` with the kicking fields: per push (per stage of Yoshida's
        composition of leapfrogs) kick(h/2) . stream(h) . update . kick(h/2), the stream in the
        Hamiltonian plus the other fields (its own kicks commute with the field's, so the step is
        the leapfrog of the total H), the field updated from the positions after the drift; the
        trailing half kick of one push and the leading one of the next are one kick."""
        if not self._fields_current:
            self._update_fields(t0 + step0 * h)
        fractions = (1.0,) if self.scheme == "leapfrog" else _YOSHIDA
        pending = 0.0
        for s in range(step0, step0 + steps):
            t = t0 + s * h
            H = self._push_hamiltonian(t)
            streamer = self._leapfrog_streamer(H)
            free = self._fusable(streamer) if len(fractions) == 1 else None
            if free is not None:  # kick, free drift, deposit in one pass; the same numbers
                self._kickers[0].kick_drift_update(self.markers, pending + 0.5 * h, h, *free)
                pending = 0.5 * h
                continue
            tau = t
            for frac in fractions:
                hh = frac * h
                self._kick_fields(pending + 0.5 * hh)
                if len(fractions) == 1:
                    self._account(streamer(self.markers, h, 1, t0, s, key))
                else:
                    self._account(streamer(self.markers, hh, 1, tau, 0, key))
                tau = tau + hh
                self._update_fields(tau)
                pending = 0.5 * hh
        self._kick_fields(pending)

    def _fusable(self, streamer):
        """(1/m, lo, hi, wall kinds) of :meth:`Streamer.free_1d` when the push and the one
        field (a kicking one on a 1-D mesh) can be done in one pass; else None."""
        if len(self.field_operators) != 1 or not getattr(self._kickers[0], "fusable", False):
            return None
        return streamer.free_1d()

    def _leapfrog_streamer(self, H):
        """The leapfrog push of ``H`` (kept while H, the walls and the markers' layout stay)."""
        made_for = (H, self.boundary, "leapfrog")
        if self._streamer is None or any(a is not b for a, b in zip(made_for,
                                                                    self._streamer_for)):
            self._streamer = Streamer(H, self.markers, scheme="leapfrog",
                                      boundary=self.boundary, seed=self._key)
            self._streamer_for = made_for
        return self._streamer

    def _update_fields(self, t):
        for op in self._kickers:
            op.update(self.markers, t)
        self._fields_current = True

    def _kick_fields(self, h):
        if h != 0.0:
            for op in self._kickers:
                op.kick(self.markers, h)

    def _push_hamiltonian(self, t):
        """The Hamiltonian of a push starting at ``t``: the run's, plus every field's potential
        at ``t``."""
        H = self.hamiltonian
        if not self.field_operators:
            return H
        total = None if isinstance(H.potential, Zero) else H.potential
        for op in self.field_operators:
            if op.kicks:
                continue
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
        if self._gas is not None:
            self._wall += tally.wall
        if tally.absorbed_count == 0 and tally.injected_count == 0:
            return
        self._absorbed += tally.absorbed_weight[:self.markers.dx].ravel()
        self._injected += (tally.face_injected[:self._injected.size] if self._faces
                           else tally.injected_weight)

    # ------------------------------------------------------------------ gas averages
    def _setup_averages(self, average, sample_every, average_batches):
        """The averaging window, the cell sampler and the wall accumulators."""
        self.sample_every = _checks.count("sample_every", sample_every, minimum=1)
        self.average_batches = _checks.count("average_batches", average_batches, minimum=2)
        if average is not None and not (isinstance(average, str) and average == "auto"):
            if isinstance(average, str):
                raise ValueError(f"average must be a start time [s] or 'auto', got {average!r}")
            average = _checks.finite("average", average)
        self.average = average
        self._sampler = None
        self._fuse = False
        self._wall = np.zeros((6, 5))
        self._wall_since = self.t0  # start of the current frame interval
        self._history = {"time": [], "start": [], "sums": [], "count": [], "wall": []}
        if average is None:
            return
        if self.cells is None:
            raise ValueError("average needs collision cells: give cells=pmc.Cells(...) or a grid")
        disp = self.hamiltonian.dispersion
        if not isinstance(disp, (_Parabolic, SpeciesMasses)) or self.markers.dp != 3:
            raise ValueError("average samples the moments of a gas: it needs a parabolic band "
                             "(pmc.bands.Parabolic, the molecular mass) or a mixture "
                             "(pmc.bands.SpeciesMasses) and markers with dp=3")
        if self.cells.ndim > self.markers.dx:
            raise ValueError(f"cells in {self.cells.ndim} dimensions need markers with dx >= "
                             f"{self.cells.ndim}, got dx={self.markers.dx}")
        # a mixture samples per species (the marker state) and averages each species' moments
        groups = len(disp.masses) if isinstance(disp, SpeciesMasses) else 1
        mass = disp.masses if isinstance(disp, SpeciesMasses) else disp.mass
        kinds, lo, hi = _encode_walls(self.boundary, self.markers.dx)
        c = self.cells
        periodic = [bool(kinds[a, 0] == _PERIODIC and np.isclose(lo[a], c.lo[a], rtol=0,
                                                                  atol=1e-9 * c.spacing[a])
                         and np.isclose(hi[a], c.hi[a], rtol=0, atol=1e-9 * c.spacing[a]))
                    for a in range(c.ndim)]
        self._sampler = CellSampler(c, groups=groups, mass=mass, periodic=periodic)
        # the gas push samples in its own pass, each flight at its middle traced through the
        # walls; else flights that meet a wall before their middle are binned on their way
        # back, after the push, unless a wall may remove markers (the indices would not hold)
        self._fuse = self._gas is not None and not self.field_operators
        self._defer = not np.any(kinds[:self.markers.dx] == _ABSORBING)

    def _sample(self, step, shift=0.0):
        """Accumulate the cell sums after step ``step`` if it is a sampling step of the
        window (a detected window samples from the start), the markers binned ``shift`` [s] of
        flight ahead (dt/2 after the collisions: the middle of the free flights; a gas push
        samples in its own pass, called with the sampler when this returns True)."""
        if self._sampler is None or (step + 1) % self.sample_every:
            return False
        if self.average != "auto" and self.t0 + (step + 1) * self.dt < self.average:
            return False
        if not (self._fuse and shift > 0):
            self._sampler.sample(self.markers, shift, defer=self._defer and shift > 0)
        return True

    def _sides(self):
        return [f"{a}_{s}" for a in _AXES[:self.markers.dx] for s in ("lo", "hi")]

    def _wall_values(self, acc, duration):
        """(pressure (sides,), shear (sides, 3), heat flux (sides,)) from wall tallies
        ``acc`` (..., 6, 5) over ``duration`` [s] (NaN for a zero duration)."""
        dx = self.markers.dx
        _, lo, hi = _encode_walls(self.boundary, dx)
        wprm = self._gas[0]
        acc = np.asarray(acc, dtype=float)[..., :2 * dx, :]
        span = np.asarray(duration, dtype=float)[..., None]
        pressure = np.full(acc.shape[:-1], np.nan)
        shear = np.full(acc.shape[:-1] + (3,), np.nan)
        heat = np.full(acc.shape[:-1], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            for a in range(dx):  # over the axes (1 to 3)
                area = float(np.prod([hi[b] - lo[b] for b in range(dx) if b != a]))
                for side in range(2):
                    k = 2 * a + side
                    t = area * span[..., 0]
                    dp = acc[..., k, 0:3]
                    outward = -1.0 if side == 0 else 1.0
                    pressure[..., k] = outward * dp[..., a] / t
                    tangential = dp.copy()
                    tangential[..., a] = 0.0
                    shear[..., k, :] = tangential / t[..., None]
                    u = wprm[a, side, 1:4]
                    heat[..., k] = (acc[..., k, 3] - dp @ u) / t
        return pressure, shear, heat

    def _wall_frame(self, system):
        """The frame's wall_* variables (over the interval since the last frame)."""
        duration = self.time - self._wall_since
        p, s, q = self._wall_values(self._wall, duration if duration > 0 else np.nan)
        return {"wall_pressure": variable("wall_pressure", p, system=system),
                "wall_shear_stress": variable("wall_shear_stress", s, system=system),
                "wall_heat_flux": variable("wall_heat_flux", q, system=system)}

    def _frame_recorded_averages(self):
        """Close the frame interval: keep its cell sums and wall tallies for the averages."""
        if self._sampler is not None or self._gas is not None:
            h = self._history
            if self.time > self._wall_since:
                h["start"].append(self._wall_since)
                h["time"].append(self.time)
                h["wall"].append(self._wall.copy())
                if self._sampler is not None:
                    sums, count = self._sampler.take()
                    h["sums"].append(sums)
                    h["count"].append(count)
        self._wall[:] = 0.0
        self._wall_since = self.time

    def _window(self):
        """(frame indices, batches, mass) of the averaging window's frames with samples."""
        if self.average is None:
            raise ValueError("time averages need the averaging window: Simulation(..., "
                             "average=start time or 'auto')")
        h = self._history
        start = np.asarray(h["start"], dtype=float)
        if self._sampler is not None:
            keep = np.asarray(h["count"], dtype=float) > 0
        else:
            keep = np.ones(start.size, bool)
        if self.average != "auto":
            keep &= start >= self.average - 1e-9 * self.dt
        idx = np.flatnonzero(keep)
        mass = self._sample_masses()
        if self.average == "auto" and idx.size:
            idx = idx[self._transient_end(idx, mass):]
        if idx.size < 2:
            raise ValueError(f"the averaging window holds {idx.size} frame(s) with samples; it "
                             f"needs >= 2 (start the window earlier or run longer)")
        return idx, min(self.average_batches, idx.size), mass

    def _cell_coords(self, system):
        cells = self.cells
        dims = tuple(schema_cell_dims(cells.ndim))
        coords = {d: coordinate(d, cells.lo[k] + (np.arange(cells.shape[k]) + 0.5)
                                * cells.spacing[k], system=system) for k, d in enumerate(dims)}
        coords["direction"] = coordinate("direction", list("xyz"))
        coords["direction_2"] = coordinate("direction_2", list("xyz"))
        if isinstance(self.hamiltonian.dispersion, SpeciesMasses):
            coords["species"] = coordinate("species", list(self.hamiltonian.dispersion.names))
        return dims, coords

    def time_averages(self):
        """Time averages over the window (``average``) of the frames recorded so far: the cell
        moments of :data:`pmc.sampling.MOMENTS` (on the collision cells, dims ``cell_x`` ..;
        for a mixture those of the whole gas, :func:`pmc.sampling.mixture_moments`, and each
        species' ``species_*``) and the wall stresses and heat flux of gas-surface walls, each
        ``*_mean`` with ``*_mean_stderr`` (batch means over the frames of the window).
        Attributes ``average_start``, ``average_stop``, ``average_frames``,
        ``average_batches``.

        Returns
        -------
        xarray.Dataset
        """
        idx, batches, mass = self._window()
        h = self._history
        start = np.asarray(h["start"], dtype=float)
        stop = np.asarray(h["time"], dtype=float)
        system = unit_system(self.hamiltonian)
        dims, coords = self._cell_coords(system)
        data = {}
        if self._sampler is not None:
            counts = np.asarray(h["count"], dtype=float)[idx]
            sums = np.stack([h["sums"][i] for i in idx])  # (frames, groups, cells..., 13)
            vol = self.cells.volume
            mixture = np.ndim(mass) != 0
            mean, err = window_moments(sums if mixture else sums[:, 0], counts, vol, mass,
                                       batches, mixture=mixture)
            for name, extra in MOMENTS.items():
                for suffix, values in (("_mean", mean[name]), ("_mean_stderr", err[name])):
                    data[name + suffix] = variable(name + suffix, values, dims=dims + extra,
                                                   system=system)
            if mixture:  # each species' moments (sums (frames, species, cells..., 13))
                mean, err = window_moments(sums, counts, vol, mass, batches)
                for name, extra in _SPECIES_MOMENTS.items():
                    for suffix, values in (("_mean", mean[name]), ("_mean_stderr", err[name])):
                        data["species_" + name + suffix] = variable(
                            "species_" + name + suffix, values, dims=("species",) + dims + extra,
                            system=system)
        if self._gas is not None:
            wall = np.stack([h["wall"][i] for i in idx])
            span = stop[idx] - start[idx]
            total = self._wall_values(wall.sum(axis=0), span.sum())
            frames = self._wall_values(wall, span)
            coords["side"] = coordinate("side", self._sides())
            for name, m, series in zip(("wall_pressure", "wall_shear_stress", "wall_heat_flux"),
                                       total, frames):
                _, e = batch_means(series, batches)
                vdims = ("side",) if m.ndim == 1 else ("side", "direction")
                data[name + "_mean"] = variable(name + "_mean", m, dims=vdims, system=system)
                data[name + "_mean_stderr"] = variable(name + "_mean_stderr", e, dims=vdims,
                                                       system=system)
        attrs = {"average_start": float(start[idx[0]]), "average_stop": float(stop[idx[-1]]),
                 "average_frames": int(idx.size), "average_batches": int(batches)}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def window_batches(self, batches=None):
        """The cell moments of each of ``batches`` contiguous batches of the averaging window's
        frames (the frames of :meth:`time_averages`; the first F mod B frames are left out).

        The cells' errors are correlated, so the standard error of a quantity that combines
        cells (a mean over cells, a fitted profile, a slip or jump extrapolated to a wall) is
        not given by the per-cell ``*_mean_stderr``: compute the quantity from each batch and
        take the batch-means error of those values,
        ``values.std(axis=0, ddof=1) / sqrt(B)``.

        Parameters
        ----------
        batches : int, optional
            B >= 2, at most the frames of the window; default ``average_batches``.

        Returns
        -------
        xarray.Dataset
            The moments of :data:`pmc.sampling.MOMENTS` (for a mixture the whole gas's, and
            each species' ``species_*``), dims (``batch``, ``cell_x``, ...); attributes as
            :meth:`time_averages`.
        """
        if self._sampler is None:
            raise ValueError("window_batches needs the cell sampler: Simulation(..., "
                             "average=..., cells=...) with a gas")
        idx, default, mass = self._window()
        b = default if batches is None else _checks.count("batches", batches, minimum=2)
        if b > idx.size:
            raise ValueError(f"batches must be <= the {idx.size} frames of the window, got {b}")
        h = self._history
        system = unit_system(self.hamiltonian)
        dims, coords = self._cell_coords(system)
        counts = np.asarray(h["count"], dtype=float)[idx]
        sums = np.stack([h["sums"][i] for i in idx])
        vol = self.cells.volume
        mixture = np.ndim(mass) != 0
        data = {}
        per = batch_moments(sums if mixture else sums[:, 0], counts, vol, mass, b,
                            mixture=mixture)
        for name, extra in MOMENTS.items():
            data[name] = variable(name, per[name], dims=("batch",) + dims + extra,
                                  system=system)
        if mixture:
            per = batch_moments(sums, counts, vol, mass, b)
            for name, extra in _SPECIES_MOMENTS.items():
                data["species_" + name] = variable(
                    "species_" + name, np.moveaxis(per[name], 1, 0),
                    dims=("species", "batch") + dims + extra, system=system)
        start = np.asarray(h["start"], dtype=float)
        stop = np.asarray(h["time"], dtype=float)
        attrs = {"average_start": float(start[idx[0]]), "average_stop": float(stop[idx[-1]]),
                 "average_frames": int(idx.size), "average_batches": int(b)}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def _sample_masses(self):
        """The molecular mass [kg] of the sampled gas, or for a mixture the species' masses
        shaped (species, 1, ...) to broadcast against the per-species cell sums."""
        disp = self.hamiltonian.dispersion
        if isinstance(disp, SpeciesMasses):
            return np.asarray(disp.masses, np.float64).reshape((-1,) + (1,) * self.cells.ndim)
        return float(disp.mass)

    def _transient_end(self, idx, mass):
        """Frames (of ``idx``) to drop as the transient (MSER-5 over the cell moments and wall
        stresses of each frame)."""
        h = self._history
        series = []
        if self._sampler is not None:
            sums = np.stack([h["sums"][i][0] if np.ndim(mass) == 0 else h["sums"][i]
                             for i in idx])
            counts = np.asarray(h["count"], dtype=float)[idx]
            per = {}
            for k in range(idx.size):  # over frames: the moments of each
                m = _cell_moments(sums[k] / counts[k], self.cells.volume, mass)
                for name in ("number_density", "flow_velocity", "translational_temperature"):
                    per.setdefault(name, []).append(m[name])
            series += [np.asarray(v).reshape(idx.size, -1) for v in per.values()]
        if self._gas is not None:
            start = np.asarray(h["start"])[idx]
            stop = np.asarray(h["time"])[idx]
            wall = np.stack([h["wall"][i] for i in idx])
            series += [np.asarray(v).reshape(idx.size, -1)
                       for v in self._wall_values(wall, stop - start)]
        return transient_end(np.concatenate(series, axis=1)) if series else 0

    def _run(self, t_end, save_every, per_save, output, progress, resume, checkpoint_every,
             check_resources):
        out = super()._run(t_end, save_every, per_save, output, progress, resume,
                           checkpoint_every, check_resources)
        if self.average is None:
            return out
        means = self.time_averages()
        if output is None:
            merged = out.assign(means.data_vars)
            merged.attrs.update(means.attrs)
            return merged
        means.to_netcdf(output, mode="a")
        return out

    # ------------------------------------------------------------------ observing
    def observe(self):
        """A one-frame :class:`xarray.Dataset` of the current state (dims ``time`` of length 1)."""
        return self._observe_record().dataset()

    def _observe_record(self):
        """:meth:`observe`'s frame as a :class:`pmc._run.FrameRecord` (no Dataset built)."""
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
        moments = [o for o in self.observables if o != "f" and o not in SPECIES_OBSERVABLES]
        if moments:
            m = self.grid.moments(mk, H)
            keep = [v for v in m.data_vars
                    if v.replace("_stderr", "") in moments or v.startswith("weight_outside")]
            parts.append(m[keep])
        per_species = [o for o in self.observables if o in SPECIES_OBSERVABLES]
        if per_species:
            parts.append(species_moments(mk, H.dispersion, self.grid, per_species,
                                         unit_system(H)))
        parts.append(self._scalars(sums))
        if self._kickers and not self._fields_current:
            self._update_fields(t)
        for op in self.operators:  # the mechanisms' own per-frame tallies (signed particles)
            observe = getattr(op, "observe", None)
            if observe is not None:
                parts.append(observe(mk, unit_system(H)))
        data, coords = {}, {}
        for op in self.field_operators:
            values, axes = op.frame(unit_system(H))
            data.update(values)
            coords.update(axes)
        for part in parts:  # over the same coordinates; a variable in two parts: the first
            part_data, part_coords = ((part.data_vars.variables, part.coords.variables)
                                      if isinstance(part, xr.Dataset) else part)
            coords.update(part_coords)
            for name, var in part_data.items():
                data.setdefault(name, var)
        frame = frame_record(t, data, coords, unit_system(H))
        for name, (_, values, attrs) in frame.data.items():
            if values.dtype.kind != "f" or (math.isfinite(values.flat[0]) if values.size == 1
                                            else np.isfinite(values).all()):
                continue
            if np.isinf(values).any() or not np.isnan(attrs.get("missing_value", 0.0)):
                raise FloatingPointError(f"non-finite {name} at step {self.step_count} "
                                         f"(t = {t:g}); the run is stopped")
        return frame

    def _marker_sums(self):
        """(markers with a non-finite x, p or w; sum w; sum w H; sum w p (dp,)) in one pass,
        summed per block of markers and then over the blocks in order (independent of the
        thread count). Those the push computed for this frame (:meth:`_step_to_frame`) are
        taken instead: bitwise the same numbers."""
        pushed, self._pushed_sums = self._pushed_sums, None
        if pushed is not None and pushed[0] == self.step_count:
            return pushed[1]
        mk, H = self.markers, self.hamiltonian
        n = mk.n
        out = np.zeros(((n + BLOCK - 1) // BLOCK, 6))
        if n:
            x, p, w, _ = mk.kernel_arrays()
            dk, dprm, terms, pprm = H.kernel_arguments()
            old = _threads.swap(1) if n < SMALL_RUN else None  # one block: no thread wake-up
            try:
                _evaluate.marker_sums(dk, dprm, terms, pprm, x, p, w, H.marker_states(mk), n,
                                      float(self.time), out)
            finally:
                if old is not None:
                    _threads.swap(old)
        return self._total_sums(out)

    def _total_sums(self, out):
        """:meth:`_marker_sums` from the per-block rows ``out`` (nblock, 6), added in order."""
        total = out.sum(axis=0)
        return int(total[0]), float(total[1]), float(total[2]), total[3:3 + self.markers.dp].copy()

    def _scalars(self, sums=None):
        """The frame's scalars as (variables, coordinates): dicts of :class:`xarray.Variable`
        or (dims, values, attrs) (:func:`pmc.schema.spec`; no Dataset or Variable built: their
        indexes and checks cost more than the sums of 10^6 markers)."""
        mk, H, t = self.markers, self.hamiltonian, self.time
        _, total_weight, energy, momentum = self._marker_sums() if sums is None else sums
        sides = [f"{a}_{s}" for a in _AXES[:mk.dx] for s in ("lo", "hi")]
        names = ["total", *[c.name for c in self.collisions]]
        events = self._collision_events - self._events_at_last_frame
        system = unit_system(H)
        walls = {} if self._gas is None else self._wall_frame(system)
        coords = {} if self._gas is None else {"direction": coordinate("direction", list("xyz"))}
        extra, extra_coords = self._transport(system) if H.needs_state else ({}, {})
        return _variables(
            {**walls, **extra,
             "n_markers": spec("n_markers", np.int64(mk.n), system=system),
             "total_weight": spec("total_weight", total_weight, system=system),
             "energy": spec("energy", energy, system=system),
             **({} if mk.internal is None else {"internal_energy": variable(
                 "internal_energy", float(mk.w @ mk.internal), system=system)}),
             "momentum": spec("momentum", momentum, system=system),
             "absorbed": spec("absorbed", self._absorbed.copy(), system=system),
             "injected": spec("injected", self._injected.copy(), system=system),
             "collisions": spec("collisions", events, system=system),
             **self._current_variables(system)},
            coords={"component": self._label("component", [f"p{a}" for a in _AXES[:mk.dp]]),
                    "side": self._label("side", sides),
                    "contact": self._label("contact", sides if self._faces
                                           else ["x_lo", "x_hi"]),
                    "mechanism": self._label("mechanism", names), **coords,
                    **extra_coords})

    def _label(self, name, labels):
        """The label coordinate ``name`` (:func:`pmc.schema.spec`), the same one for every
        frame with these labels (frames stack without comparing them)."""
        key = (name, tuple(labels))
        if key not in self._labels:
            self._labels[key] = spec(name, np.asarray(labels), (name,))
        return self._labels[key]

    def _current_variables(self, system):
        if not self._contacts:
            return {}
        contact, ramo = self._terminal_currents()
        return {"contact_current": variable("contact_current", contact, system=system),
                "ramo_current": variable("ramo_current", ramo, system=system)}

    def _transport(self, system):
        """Scalars of steady-state transport for a band with states (a multi-valley band):
        ``band_energy`` (sum w E(p)), ``drift_velocity`` (sum w v / sum w), ``position_variance`` (weighted, about the mean,
        per axis; its growth gives the diffusion coefficient, :mod:`pmc.averages`) and, for a
        band with named valleys, ``valley_population``. Whole-array numpy reductions (their
        order does not depend on the thread count)."""
        mk, H = self.markers, self.hamiltonian
        w = mk.w
        total = w.sum()
        inv = 1.0 / total if total != 0.0 else 0.0
        v = H.velocity(mk.momenta, state=mk.state).reshape(mk.n, mk.dp)
        x = mk.positions.reshape(mk.n, mk.dx)
        mean_x = (w @ x) * inv
        dk, dprm = H.kernel_arguments()[:2]
        p = np.ascontiguousarray(mk.momenta.reshape(mk.n, mk.dp).T)
        band = _evaluate.energy_array(dk, dprm, mk.state, p, np.empty(mk.n))
        out = {"band_energy": variable("band_energy", w @ band, system=system),
               "drift_velocity": variable("drift_velocity", (w @ v) * inv, system=system),
               "position_variance": variable("position_variance",
                                             (w @ (x - mean_x) ** 2) * inv, system=system)}
        coords = {"axis": coordinate("axis", list(_AXES[:mk.dx]))}
        names = (None if isinstance(H.dispersion, SpeciesMasses)  # species: species_density
                 else getattr(H.dispersion, "names", None))
        if names is not None:
            pop = np.bincount(mk.state, weights=w, minlength=len(names))[:len(names)] * inv
            out["valley_population"] = variable("valley_population", pop, system=system)
            coords["valley"] = coordinate("valley", list(names))
        return out, coords

    # ------------------------------------------------------------------ run hooks
    def _progress_size(self):
        return self.markers.n

    def _progress_postfix(self, steps, seconds, before, after):
        rate = steps * 0.5 * (before + after) / seconds
        return {"markers": after, "marker_steps_per_s": f"{rate:.3g}"}

    def _frame_recorded(self):
        self._events_at_last_frame = self._collision_events.copy()
        self._frame_recorded_averages()
        if self._contacts:
            self._contact_frame = np.array([self.time, *self._absorbed[:2], *self._injected])
        for op in self.operators:
            if hasattr(op, "frame_recorded"):
                op.frame_recorded()

    def _terminal_currents(self):
        """(contact_current, ramo_current) [charge/s] per contact (x_lo, x_hi), each the
        current into the device through the contact.

        The contact current is the charge injected minus the charge absorbed at the contact
        over the interval since the last frame, divided by its length (0 at the first frame).
        The Ramo-Shockley current is instantaneous: I_c = -q sum_i w_i v_i . grad(phi_c)(x_i)
        with the weighting potential phi_c, the Laplace solution with 1 on contact c and 0 on
        the other (S. Ramo, Proc. IRE 27, 584 (1939); W. Shockley, J. Appl. Phys. 9, 635
        (1938)); in one dimension phi_hi = (x - x_lo) / L and phi_lo = 1 - phi_hi. In two or
        three dimensions with a :class:`pmc.fields.Poisson` field on the box (Dirichlet on the
        contact faces), phi_c is solved on its mesh (no charge, its permittivity, 1 on contact
        c and 0 on every other Dirichlet side, its Neumann sides insulating) and grad phi_c
        interpolated to the markers with the field's shape function; without one, the box's
        insulating sides make phi_c linear in x as in one dimension. In a steady state the time
        averages of the two agree (the displacement current averages to 0)."""
        q = self.boundary.charge
        t_prev, *prev = self._contact_frame
        now = np.array([*self._absorbed[:2], *self._injected])
        d = now - np.array(prev)
        span = self.time - t_prev
        contact = q * (d[2:] - d[:2]) / span if span > 0 else np.zeros(2)
        mk = self.markers
        lo, hi = self.boundary.extent(0)
        weighting = self._weighting_fields() if mk.dx > 1 else None
        if weighting is not None:
            op, fields = weighting
            ramo = np.zeros(2)
            if mk.n:
                v = self.hamiltonian.velocity(mk.momenta, state=mk.state)[:, :mk.dx]
                for c in range(2):  # -grad phi_c at the markers, (dx, n)
                    g = op.interpolate(mk, fields[c])
                    ramo[c] = q * float(np.dot(mk.w, np.einsum("ij,ji->i", v, g)))
            return contact, ramo
        flow = 0.0
        if mk.n:
            v = self.hamiltonian.velocity(mk.momenta, state=mk.state)
            v = v if v.ndim == 1 else v[:, 0]
            flow = float(np.dot(mk.w, v))
        ramo = np.array([1.0, -1.0]) * q * flow / (hi - lo)
        return contact, ramo

    def _weighting_fields(self):
        """(operator, (E_lo, E_hi)) with E_c = -grad phi_c [1/m] on the mesh of the run's
        Poisson field of the markers' dimension whose x sides are Dirichlet (the first such),
        computed once; None without one."""
        cached = getattr(self, "_weighting", False)
        if cached is not False:
            return cached
        self._weighting = None
        for op in self.field_operators:
            if (getattr(op, "ndim", 0) == self.markers.dx and hasattr(op, "solve")
                    and op.sides[0] == ("dirichlet", "dirichlet")):
                zero = np.zeros(op.shape)
                others = [(0.0, 0.0)] * op.ndim
                fields = []
                for volts in ((1.0, 0.0), (0.0, 1.0)):
                    phi = op.solve(zero, voltages=[volts] + others[1:])
                    fields.append(op.electric_field(phi))
                self._weighting = (op, tuple(fields))
                break
        return self._weighting

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
                  **({} if mk.internal is None else {"internal": mk.internal}),
                  **({"signed": np.ones(1, bool)} if mk.signed else {}),
                  "absorbed": self._absorbed, "injected": self._injected,
                  "collision_events": self._collision_events,
                  **({"contact_frame": self._contact_frame} if self._contacts else {})}
        for k, op in enumerate(self.operators):
            arrays.update({f"collision{k}_{n}": v for n, v in op.state().items()})
        for k, op in enumerate(self.field_operators):
            arrays.update({f"field{k}_{n}": v for n, v in op.state().items()})
        if self._sampler is not None or self._gas is not None:  # the frames of the averages
            h = self._history
            arrays.update({"average_start": np.asarray(h["start"], float),
                           "average_time": np.asarray(h["time"], float),
                           "average_wall": np.asarray(h["wall"], float).reshape(-1, 6, 5),
                           "average_now": np.array([self._wall_since])})
            if self._sampler is not None:
                shape = (-1, 1, *self.cells.shape, self._sampler.sums.shape[-1])
                arrays["average_sums"] = np.asarray(h["sums"], float).reshape(shape)
                arrays["average_count"] = np.asarray(h["count"], np.int64)
        return arrays

    def _restore_state(self, arrays):
        self.markers = Markers.from_components(np.ascontiguousarray(arrays["positions"]),
                                               np.ascontiguousarray(arrays["momenta"]),
                                               np.ascontiguousarray(arrays["weights"]),
                                               arrays.get("state"), arrays.get("internal"),
                                               "signed" in arrays)
        self._absorbed = arrays["absorbed"].copy()
        self._injected = arrays["injected"].copy()
        self._collision_events = arrays["collision_events"].copy()
        self._events_at_last_frame = self._collision_events.copy()
        if self._contacts:
            self._contact_frame = arrays["contact_frame"].copy()
        self._fields_current = False
        if "average_start" in arrays:
            self._history = {"start": list(arrays["average_start"]),
                             "time": list(arrays["average_time"]),
                             "wall": list(arrays["average_wall"]),
                             "sums": list(arrays.get("average_sums", [])),
                             "count": list(arrays.get("average_count", []))}
            self._wall_since = float(arrays["average_now"][0])
            self._wall[:] = 0.0
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


def schema_cell_dims(ndim):
    """The dimension names of ``ndim`` collision-cell axes."""
    return CELL_DIMS[:ndim]


def _variables(data, coords):
    """A frame part as (variables, coordinates), the two dicts a Dataset would be built from
    (:meth:`Simulation.observe` merges the parts into one Dataset)."""
    return data, coords


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
