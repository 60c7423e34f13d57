"""Streaming: markers follow the characteristics of the Liouville equation (paper eqs. 15-17),
dx/dt = v(p), dp/dt = F(x, t), by a symplectic splitting (see :mod:`pmc._kernels.push`), with the
walls of the box applied at the end of every step."""
import dataclasses
import math
import struct
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from ._kernels import BLOCK
from ._kernels import inject as _inject
from ._kernels import push as _push
from ._kernels import rng as _rng
from ._kernels import stateful as _stateful
from ._kernels import strang as _strang
from ._kernels import walls as _walls
from ._kernels.rng import (FREESTREAM, FREESTREAM_MARKER, FREESTREAM_SPECIES, WALLS, mix64,
                           seed_to_int)
from .bands import MultiValley, Parabolic, SpeciesMasses
from .boundaries import Freestream, GasWall, Injecting, check_inside, encode_walls
from .hamiltonian import Hamiltonian
from .markers import Markers

__all__ = ["stream", "Streamer", "StreamTally", "SCHEMES", "check_boundary", "Contact"]

#: Integration schemes and their order.
SCHEMES = {"leapfrog": _push.LEAPFROG, "yoshida4": _push.YOSHIDA4}


@dataclass
class StreamTally:
    """What crossed the walls during a call of :func:`stream`.

    Attributes
    ----------
    absorbed_weight : ndarray (dx, 2)
        Weight absorbed at the (lo, hi) wall of each axis.
    absorbed_count : int
        Markers absorbed.
    injected_weight : ndarray (2,)
        Weight injected through the (lo, hi) wall of x.
    injected_count : int
        Markers injected.
    wall : ndarray (6, 5)
        Per wall side 2 axis + side of the gas-surface walls (:class:`pmc.Diffuse`,
        :class:`pmc.CLL`, reflecting sides of a gas run): the momentum given to the wall (3)
        [kg m/s], the kinetic energy given (lab frame) [J] and the weight that hit, each summed
        over the hits with the markers' weights.
    face_injected : ndarray (6,)
        Weight injected through each face 2 axis + side (:class:`pmc.Freestream`).
    """

    absorbed_weight: np.ndarray = field(default_factory=lambda: np.zeros((3, 2)))
    absorbed_count: int = 0
    injected_weight: np.ndarray = field(default_factory=lambda: np.zeros(2))
    injected_count: int = 0
    wall: np.ndarray = field(default_factory=lambda: np.zeros((6, _walls.NTALLY)))
    face_injected: np.ndarray = field(default_factory=lambda: np.zeros(6))

    def __iadd__(self, other):
        self.absorbed_weight = self.absorbed_weight + other.absorbed_weight
        self.absorbed_count += other.absorbed_count
        self.injected_weight = self.injected_weight + other.injected_weight
        self.injected_count += other.injected_count
        self.wall = self.wall + other.wall
        self.face_injected = self.face_injected + other.face_injected
        return self


def stream(markers, hamiltonian, dt, steps, *, t0=0.0, step0=0, scheme="leapfrog",
           boundary=None, seed=0):
    """Advance ``markers`` in place by ``steps`` steps of length ``dt``.

    Parameters
    ----------
    markers : pmc.Markers
        Modified in place; absorbed markers are removed, injected ones appended.
    hamiltonian : pmc.Hamiltonian
    dt : float
        Time step [s], finite and > 0.
    steps : int
        Number of steps, >= 0.
    t0 : float
        Time [s] at step 0; step k starts at ``t0 + k * dt``.
    step0 : int
        Index of the first step (keys the random streams of injection and the time).
    scheme : {"leapfrog", "yoshida4"}
        Kick-drift-kick leapfrog (order 2) or Yoshida's 4th-order composition.
    boundary : pmc.Boundary, tuple of them (one per axis), or None
        Walls; None leaves the box open.
    seed : int or numpy.random.SeedSequence
        Seed of the injection streams.

    Returns
    -------
    StreamTally

    Raises
    ------
    FloatingPointError
        If a marker's position or momentum is not finite after the push (a force or velocity
        that overflowed, a sine or cosine argument beyond 2^40); the markers are left as the
        push made them.
    """
    if not isinstance(markers, Markers):
        raise ValueError(f"markers must be pmc.Markers, got {type(markers).__name__}")
    dt = _checks.positive("dt", dt)
    steps = _checks.count("steps", steps, minimum=0)
    step0 = _checks.count("step0", step0, minimum=0)
    t0 = _checks.finite("t0", t0)
    if step0 == 0:  # markers outside the walls at the start are an error
        check_inside(boundary, markers)
    tally = Streamer(hamiltonian, markers, scheme=scheme, boundary=boundary, seed=seed)(
        markers, dt, steps, t0, step0)
    x, p, _, _ = markers.kernel_arrays()
    n = markers.n
    if steps and not (np.isfinite(x[:, :n]).all() and np.isfinite(p[:, :n]).all()):
        # a force or velocity overflowed, or an argument left the range of the vectorised
        # sin / cos (pmc._kernels.vecmath.TRIG_MAX): nothing returns NaN markers silently
        raise FloatingPointError(
            f"non-finite marker positions or momenta after steps {step0}..{step0 + steps - 1} "
            f"(t = {t0 + (step0 + steps) * dt:g}); the markers hold them (modified in place)")
    return tally


class Streamer:
    """:func:`stream` prepared once for a run: the Hamiltonian and the walls encoded for the
    kernels, the kernel chosen, the tally buffers kept, so that a call costs the push and little
    else (the driver calls it once or twice per step).

    Parameters
    ----------
    hamiltonian : pmc.Hamiltonian
    markers : pmc.Markers
        Markers of the run (their dimensions; checked against the walls).
    scheme, boundary, seed
        As for :func:`stream`.
    """

    def __init__(self, hamiltonian, markers, *, scheme="leapfrog", boundary=None, seed=0):
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
        self.dx = markers.dx
        self.wkind, self.lo, self.hi = encode_walls(boundary, markers.dx)
        self.reservoirs = check_boundary(boundary, hamiltonian, markers)
        self.args = (SCHEMES[scheme], *hamiltonian.kernel_arguments())
        self.kernel = _push.kernels(markers.dx, *self.args[:2], self.args[3], self.wkind)
        self.mirror = _mirror(hamiltonian.dispersion, markers, self.wkind)
        self.key = seed_to_int(seed)
        self._weight = np.zeros((0, 6))
        self._count = np.zeros(0, np.int64)
        self._blocks = (-1, None, None)  # (nblock, its rows of _weight and _count)
        # the push's absorbed flags (written only where a wall absorbs)
        self._absorbing = bool((self.wkind[:markers.dx] == _push.ABSORBING).any())
        self._gone = np.zeros(0, np.uint8)
        self.gas = gas_walls(boundary, hamiltonian, markers, scheme)
        #: whether a call can also return a frame's marker sums (``sums``): the block push with
        #: nothing that removes or adds markers after it
        self.frame_sums = bool(getattr(self.kernel, "frame_sums", False) and not self._absorbing
                               and not self.reservoirs and self.gas is None)
        if self.gas is not None:
            self.wprm, self.faces = self.gas
            disp = hamiltonian.dispersion
            # one mass, or one per species (the marker state) for pmc.bands.SpeciesMasses
            self.masses = np.atleast_1d(np.asarray(
                disp.masses if isinstance(disp, SpeciesMasses) else disp.mass, np.float64))
            self._by_state = isinstance(disp, SpeciesMasses)
            self._tally = np.zeros((0, 6, _walls.NTALLY))

    def __call__(self, markers, dt, steps, t0=0.0, step0=0, key=None, sample=None, sums=None,
                 start_sums=None):
        """Advance ``markers`` in place by ``steps`` steps of ``dt`` [s] from step ``step0``
        (time ``t0 + step0 * dt``); returns the :class:`StreamTally`. ``key`` (default: the
        seed's) keys the reservoirs' injection streams (a composed push passes its own family,
        :data:`pmc._kernels.rng.COMPOSED_PUSH`). ``sample`` (a gas push only): (sampler,
        t_mid), a :class:`pmc.sampling.CellSampler` that samples the markers at time t_mid
        [s] <= dt of the first step in the same pass (the molecules that entered through
        freestream faces too, when t_mid = dt). ``sums`` (float64 (nblock, 6), only where
        :attr:`frame_sums`): receives the rows of :func:`pmc._kernels.evaluate.marker_sums` at
        the end time, computed by the push's last pass; ``start_sums`` likewise at the start
        time, computed by its first pass."""
        if (sums is not None or start_sums is not None) and not self.frame_sums:
            raise ValueError("sums: this push cannot compute a frame's sums (frame_sums is "
                             "False)")
        if markers.dx != self.dx:
            raise ValueError(f"the markers have dx={markers.dx}, the streamer was prepared for "
                             f"dx={self.dx}")
        if self.gas is not None:
            return self._fly(markers, t0, step0, dt, steps, sample)
        if sample is not None:
            raise ValueError("only the gas push samples in its pass")
        if not self.reservoirs:
            return self._push(markers, t0, step0, dt, steps, sums, start_sums)
        key = self.key if key is None else key
        tally = StreamTally()
        for s in range(step0, step0 + steps):
            tally += self._push(markers, t0, s, dt, 1)
            for contact in self.reservoirs:
                tally += _inject_step(markers, key, s, contact, dt, self.wkind, self.lo,
                                      self.hi)
        return tally

    def free_1d(self):
        """(1/m [1/kg], lo, hi [m], kind at lo, kind at hi) when this push is the free flight
        of a parabolic band (:func:`pmc._kernels.push.free_flight`: periodic, reflecting or
        open walls) in one dimension with nothing injected; else None. (Such a push may be
        fused with a mesh field's kick and deposit.)"""
        if (self.dx != 1 or self.reservoirs or self.gas is not None or self.mirror is not None
                or not _push.free_flight(self.dx, self.args[0], self.args[1], self.args[3],
                                         self.wkind)):
            return None
        return (1.0 / self.args[2][0], float(self.lo[0]), float(self.hi[0]),
                int(self.wkind[0, 0]), int(self.wkind[0, 1]))

    def _push(self, markers, t0, step0, dt, steps, sums=None, start_sums=None):
        tally = self._advance(markers, t0, step0, dt, steps, sums, start_sums)
        return StreamTally() if tally is None else tally

    def _advance(self, markers, t0, step0, dt, steps, sums=None, start_sums=None):
        """The push kernel over ``markers`` (no reservoirs, no gas walls; arguments as in
        :meth:`__call__`): None, or the :class:`StreamTally` of the markers absorbing walls
        removed. The per-step path of :class:`pmc.Simulation`: nothing is allocated unless a
        marker was absorbed."""
        n = markers.n
        if n == 0 or steps == 0:
            return None
        nblock = (n + BLOCK - 1) // BLOCK
        if self._blocks[0] != nblock:  # the tally rows of nblock blocks (kept while n stays)
            if self._count.shape[0] < nblock:
                self._weight = np.zeros((nblock, 6))
                self._count = np.zeros(nblock, np.int64)
            self._blocks = (nblock, self._weight[:nblock], self._count[:nblock])
        _, weight, count = self._blocks
        if self._absorbing and self._gone.shape[0] < n:
            self._gone = np.zeros(max(n, 2 * self._gone.shape[0]), np.uint8)
        x, p, w, state = markers.kernel_arrays()
        extra = () if self.mirror is None else (state, self.mirror)
        if sums is not None or start_sums is not None:
            extra = (sums, start_sums)
        self.kernel(x, p, w, n, *self.args, t0, step0, dt, steps, self.wkind, self.lo, self.hi,
                    weight, count, self._gone, *extra)
        if self._absorbing and count.any():  # only absorbing walls remove markers
            markers.remove(_push.absorbed_indices(self._gone, n, count))
            return StreamTally(absorbed_weight=weight.sum(axis=0).reshape(3, 2),
                               absorbed_count=int(count.sum()))
        return None

    def _strang(self, markers, t0, first, nsteps, dt, scatter):
        """``nsteps`` Strang steps from step ``first`` with a constant-rate scattering between
        the half pushes, in one pass per sub-block (:func:`pmc._kernels.strang.strang_blocks`;
        ``scatter``: its arguments after ``hi``), where :attr:`frame_sums` (the block push,
        nothing removed or added); bitwise the separate passes. Returns (events, events of the
        last step)."""
        n = markers.n
        x, p, _, _ = markers.kernel_arrays()
        kernel = (_strang.strang_blocks_serial if n * nsteps <= _push.SERIAL_WORK
                  else _strang.strang_blocks)
        return kernel(x, p, n, *self.args, t0, first, nsteps, dt, self.wkind, self.lo, self.hi,
                      *scatter)

    def _fly(self, markers, t0, step0, dt, steps, sample=None):
        """The gas push (:func:`pmc._kernels.walls.push_gas`), with the freestream faces
        injecting after each step."""
        tally = StreamTally()
        label = WALLS + int(mix64(struct.unpack("<Q", struct.pack("<d", dt))[0])
                            & 0xFFFFFFFF)
        per_call = 1 if self.faces or sample is not None else steps
        for s in range(step0, step0 + steps, per_call):
            n = markers.n
            if n:
                nblock = (n + BLOCK - 1) // BLOCK
                if self._tally.shape[0] < nblock:
                    self._weight = np.zeros((nblock, 6))
                    self._count = np.zeros(nblock, np.int64)
                    self._tally = np.zeros((nblock, 6, _walls.NTALLY))
                weight = self._weight[:nblock]
                count = self._count[:nblock]
                wall = self._tally[:nblock]
                x, p, w, state = markers.kernel_arrays()
                if not self._by_state:
                    state = _stateful.NO_STATE  # a gas of one mass
                if self._absorbing and self._gone.shape[0] < n:
                    self._gone = np.zeros(max(n, 2 * self._gone.shape[0]), np.uint8)
                if sample is not None and s == step0:
                    _walls.push_gas_sampled(x, p, w, state, n, self.masses, dt, self.key, label,
                                            s, self.wkind, self.lo, self.hi, self.wprm, weight,
                                            count, self._gone, wall,
                                            *sample[0].push_arguments(markers, sample[1]))
                else:
                    kernel = (_walls.push_gas_serial if n * per_call <= _walls.SERIAL_WORK
                              else _walls.push_gas)
                    kernel(x, p, w, state, n, self.masses, dt, per_call, self.key, label, s,
                           self.wkind, self.lo, self.hi, self.wprm, weight, count, self._gone,
                           wall)
                tally.wall = tally.wall + wall.sum(axis=0)
                if count.any():
                    markers.remove(_push.absorbed_indices(self._gone, n, count))
                    tally.absorbed_weight = (tally.absorbed_weight
                                             + weight.sum(axis=0).reshape(3, 2))
                    tally.absorbed_count += int(count.sum())
            elif sample is not None and s == step0:
                sample[0].sample(markers)  # an empty sample
            entered = markers.n
            for axis, side, face in self.faces:
                tally += _inject_face(markers, self.key, s, axis, side, face, dt, self.wkind,
                                      self.lo, self.hi)
            if sample is not None and s == step0 and sample[1] >= dt:  # there at mid-flight
                sample[0].add(markers, entered)
        return tally


def _mirror(dispersion, markers, wkind):
    """None for a stateless dispersion; else its ``mirror_states()`` table, after checking that
    the markers carry states and that every reflecting wall has a mirror state."""
    if not _stateful.needs_state(dispersion.kind):
        return None
    if markers.state is None:
        raise ValueError(f"a {type(dispersion).__name__} band streams each marker in its state "
                         "(valley): the markers need state= (e.g. pmc.sample of "
                         "Material.equilibrium())")
    nstate = markers.state.max() + 1 if markers.n else 1
    table = getattr(dispersion, "mirror_states", None)  # none: a wall never changes the state
    mirror = np.ascontiguousarray(table() if table is not None else
                                  np.repeat(np.arange(nstate), 3).reshape(nstate, 3),
                                  dtype=np.int64)
    if markers.n and (markers.state.min() < 0 or markers.state.max() >= mirror.shape[0]):
        raise ValueError(f"marker states must lie in 0..{mirror.shape[0] - 1} (the band's "
                         f"states), got {markers.state.min()}..{markers.state.max()}")
    for a in range(markers.dx):
        if (wkind[a] == _push.REFLECTING).any() and (mirror[:, a] < 0).any():
            raise ValueError(f"a reflecting wall on axis {a} maps a valley to its mirror image, "
                             "which this band lacks; use periodic walls or add the mirror "
                             "valleys")
    return mirror


def _inject_face(markers, key, step, axis, side, face, dt, wkind, lo, hi):
    """Inject one step of :class:`pmc.Freestream` molecules (each species of a mixture in
    turn) through face (axis, side); those that leave the box in the same step (through any
    non-periodic wall) are counted as absorbed there."""
    tally = StreamTally()
    for species in range(face.species):
        tally += _inject_species(markers, key, step, axis, side, face, species, dt, wkind, lo,
                                 hi)
    return tally


def _inject_species(markers, key, step, axis, side, face, species, dt, wkind, lo, hi):
    dx = markers.dx
    area = float(np.prod([hi[b] - lo[b] for b in range(dx) if b != axis]))
    code = 2 * axis + side
    weight = face.species_weight(species)
    rate = face.flux(axis, side, species) * area / weight
    base, c = ((FREESTREAM, code) if species == 0
               else (FREESTREAM_SPECIES, 6 * (species - 1) + code))
    k = _inject.poisson_count(_rng.stream_key(key, step, base + c), rate, dt)
    tally = StreamTally()
    if k == 0:
        return tally
    x = np.empty((dx, k))
    p = np.empty((3, k))
    e = np.empty(k)
    wall = lo[axis] if side == 0 else hi[axis]
    direction = 1.0 if side == 0 else -1.0
    _walls.inject_face(key, step, base + c, base + (c + 1) * FREESTREAM_MARKER, rate, dt, axis,
                       wall, direction, lo, hi, face.thermal_velocity(side, species),
                       np.asarray(face.velocity[side]), face._mass(species),
                       face.rotational_dof(species), x, p, e)
    inside = np.ones(k, bool)
    for b in range(dx):
        if wkind[b, 0] == _push.PERIODIC:
            length = hi[b] - lo[b]
            x[b] = lo[b] + np.mod(x[b] - lo[b], length)
            continue
        if wkind[b, 0] == _push.OPEN and wkind[b, 1] == _push.OPEN:
            continue
        for s, past in ((0, x[b] < lo[b]), (1, x[b] >= hi[b])):
            out = past & inside
            if out.any():
                tally.absorbed_weight[b, s] += weight * out.sum()
                tally.absorbed_count += int(out.sum())
                inside &= ~out
    k_in = int(inside.sum())
    state = None if markers.state is None else np.full(k_in, species, np.int64)
    internal = None if markers.internal is None else e[inside]
    markers.append(x[:, inside], p[:markers.dp, inside], np.full(k_in, weight), state,
                   internal)
    tally.face_injected[code] = k * weight
    if axis == 0:
        tally.injected_weight[side] = k * weight
    tally.injected_count = k
    return tally


def gas_walls(boundary, hamiltonian, markers, scheme):
    """(wprm (3, 2, NPRM), faces [(axis, side, Freestream)]) for a boundary with gas-surface
    walls or freestream faces, after checking that the run can use them (a parabolic band,
    3 momentum components, no potential, leapfrog); None for other boundaries."""
    if boundary is None:
        return None
    dx = markers.dx
    per_axis = list(boundary) if isinstance(boundary, tuple) else [boundary] * dx
    if not any(isinstance(b, (GasWall, Freestream)) for b in per_axis):
        return None
    kinds = [type(b).__name__ for b in per_axis if isinstance(b, (GasWall, Freestream))]
    disp = hamiltonian.dispersion
    if not isinstance(disp, (Parabolic, SpeciesMasses)):
        raise ValueError(f"{kinds[0]} walls act on a gas: the Hamiltonian's dispersion must be "
                         f"pmc.bands.Parabolic (one mass) or pmc.bands.SpeciesMasses (a "
                         f"mixture), got {type(disp).__name__}")
    for b in per_axis:
        if not isinstance(b, Freestream):
            continue
        if isinstance(disp, SpeciesMasses) and b.mixture is None:
            raise ValueError("Freestream faces without mixture= inject molecules of one mass: "
                             "with pmc.bands.SpeciesMasses give mixture= and fractions=")
        if b.mixture is not None and b.mixture.band != disp:
            raise ValueError(f"Freestream mixture= must be the run's mixture: its band "
                             f"{b.mixture.band!r} differs from the Hamiltonian's {disp!r}")
    if isinstance(disp, SpeciesMasses) and markers.state is None:
        raise ValueError("walls with pmc.bands.SpeciesMasses need markers with a state (the "
                         "species index of each marker)")
    if markers.dp != 3:
        raise ValueError(f"{kinds[0]} walls re-emit molecules with 3 velocity components: the "
                         f"markers need dp=3, got dp={markers.dp}")
    if hamiltonian.kernel_arguments()[2].shape[0] != 0:
        raise ValueError(f"{kinds[0]} walls need free flight between the walls (no potential); "
                         f"the Hamiltonian has {hamiltonian.potential!r}")
    if scheme != "leapfrog":
        raise ValueError(f"{kinds[0]} walls need scheme='leapfrog' (free flight is exact), got "
                         f"{scheme!r}")
    wprm = np.zeros((3, 2, _walls.NPRM))
    faces = []
    for a, b in enumerate(per_axis):
        if isinstance(b, GasWall):
            wprm[a] = b.wall_parameters(a)
        if isinstance(b, Freestream) and b.mixture is not None:
            faces.extend((a, side, b) for side in b.INFLOW[b.inflow])
        elif isinstance(b, Freestream):
            if b.mass is None:
                b = dataclasses.replace(b, mass=float(disp.mass))
            if not abs(b.mass - disp.mass) <= 1e-12 * disp.mass:
                raise ValueError(f"Freestream mass {b.mass} differs from the band mass "
                                 f"{disp.mass}")
            faces.extend((a, side, b) for side in b.INFLOW[b.inflow])
    return wprm, faces


@dataclass(frozen=True)
class Contact:
    """A reservoir prepared for a run: where it is and what it emits.

    Attributes
    ----------
    side : int
        0 (the wall at lo) or 1 (at hi).
    wall : float
        Wall position [m].
    direction : float
        +1 (markers enter towards +x) or -1.
    reservoir : pmc.Reservoir
    mass, alpha : float or None
        The band's mass [kg] and non-parabolicity [1/J] (parabolic: 0; a multi-valley band:
        None, see ``table``).
    exact_maxwellian : bool
        A parabolic band with the flux rule: the drifting-Maxwellian kernel (any dp).
    rate : float
        Markers per unit time through the wall (flux rule) [1/s].
    table : ndarray
        The band's valleys for the injection kernels (:meth:`pmc.Reservoir.emission`).
    mirror : ndarray or None
        A multi-valley band: the valley each valley becomes when the momentum component of an
        axis is reversed, (valleys, 3) (a marker that meets a reflecting wall in its first
        step).
    area : float
        Area of the contact face [m^(dx-1)] (1 in one dimension).
    velocity : callable or None
        v(p (k, dp), state) [m/s] of the run's band: the flight across the face of a marker
        entering in two or three dimensions.
    """

    side: int
    wall: float
    direction: float
    reservoir: object
    mass: float
    alpha: float
    exact_maxwellian: bool
    rate: float
    table: np.ndarray = None
    mirror: np.ndarray = None
    area: float = 1.0
    velocity: object = None


def _inject_step(markers, key, step, contact, dt, wkind, lo, hi):
    res = contact.reservoir
    tally = _flux_step(markers, key, step, contact, dt, wkind, lo, hi)
    if res.rule == "neutral":
        tally += _refill_step(markers, key, step, contact, lo, hi)
    return tally


def _flux_step(markers, key, step, contact, dt, wkind, lo, hi):
    """The reservoir's one-sided thermal flux through the wall over one step."""
    res = contact.reservoir
    side, wall, direction = contact.side, contact.wall, contact.direction
    rate = contact.rate
    k = _inject.count_arrivals(key, step, side, rate, dt)
    tally = StreamTally()
    if k == 0:
        return tally
    x = np.empty((1, k))
    p = np.empty((markers.dp, k))
    if contact.exact_maxwellian:
        sigma = math.sqrt(res.temperature / contact.mass)
        a = direction * res.drift / sigma
        _inject.inject(key, step, side, rate, dt, wall, direction, sigma, a, sigma,
                       contact.mass, x, p)
        state = None
    else:
        state = np.empty(k, np.int64)
        _inject.inject_band(key, step, side, rate, dt, wall, direction, res.temperature,
                            contact.table, x, p, state)
    for side_code, wall_x, past in ((0, lo[0], x[0] < lo[0]), (1, hi[0], x[0] >= hi[0])):
        if wkind[0, side_code] == _push.REFLECTING and past.any():  # crossed the box at once
            x[0, past] = 2.0 * wall_x - x[0, past]
            p[0, past] = -p[0, past]
            if state is not None and contact.mirror is not None:
                state[past] = contact.mirror[state[past], 0]
    if markers.dx > 1:
        # the entry point uniform on the face, then the flight across for the same time as
        # along x: (x - wall) / v_x (v_x != 0 for a marker that crossed the wall)
        across = _across_face(key, step, _rng.CONTACT_FACE + side, k, markers.dx, lo, hi)
        v = contact.velocity(np.ascontiguousarray(p.T),
                             state if state is not None else np.zeros(k, np.int64))
        v = v.reshape(k, -1)
        flight = (x[0] - wall) / v[:, 0]
        across += v[:, 1:markers.dx].T * flight
        state = _fold_across(across, p, state, contact.mirror, lo, hi)
        x = np.vstack([x, across])
    return _append(markers, x, p, state, res.weight, side, k, lo, hi)


def _across_face(key, step, label, k, dx, lo, hi):
    """Positions (dx - 1, k) [m] uniform on a contact face (the box's extent across x), from
    stream_key(key, step, label) (:data:`pmc._kernels.rng.CONTACT_FACE`)."""
    u = _rng.fill_uniform(_rng.stream_key(key, step, label), np.empty(k * (dx - 1)))
    u = u.reshape(k, dx - 1).T
    return lo[1:dx, np.newaxis] + (hi[1:dx] - lo[1:dx])[:, np.newaxis] * u


def _fold_across(across, p, state, mirror, lo, hi):
    """Fold positions ``across`` (axes 1.., in place) into the box by specular reflection at
    its insulating sides, reversing p along the axis (and a multi-valley marker's valley to
    its mirror image) for an odd number of reflections; returns the states."""
    for b in range(across.shape[0]):
        a = b + 1
        length = hi[a] - lo[a]
        u = np.mod(across[b] - lo[a], 2.0 * length)
        odd = u >= length
        across[b] = lo[a] + np.where(odd, 2.0 * length - u, u)
        if odd.any():
            p[a, odd] = -p[a, odd]
            if state is not None and mirror is not None:
                state[odd] = mirror[state[odd], a]
    return state


def _append(markers, x, p, state, weight, side, k, lo, hi):
    """Append the new markers (valleys ``state``, None: state 0) that are inside [lo, hi) and
    tally them as injected through ``side`` (those already past a wall as absorbed there)."""
    tally = StreamTally()
    inside = (x[0] >= lo[0]) & (x[0] < hi[0])
    k_in = int(inside.sum())
    if markers.state is not None:
        state = np.zeros(k_in, np.int64) if state is None else state[inside]
    markers.append(x[:, inside], p[:, inside], np.full(k_in, weight),
                   None if markers.state is None else state)
    tally.injected_weight[side] = k * weight
    tally.injected_count = k
    out = ~inside
    if out.any():
        far = np.where(x[0, out] < lo[0], 0, 1)
        np.add.at(tally.absorbed_weight[0], far, weight)
        tally.absorbed_count = int(out.sum())
    return tally


def _refill_step(markers, key, step, contact, lo, hi):
    """The ohmic contact: bring the contact cell's weight to density x cell, creating the
    markers it lacks (tallied as injected through the contact) or removing, at random among
    those in the cell, the markers it has in excess (tallied as absorbed there)."""
    res = contact.reservoir
    if contact.direction > 0:
        a, b = contact.wall, contact.wall + res.cell
    else:
        a, b = contact.wall - res.cell, contact.wall
    x, _, w, _ = markers.kernel_arrays()
    held = _inject.weight_in(x, w, markers.n, a, b)
    deficit = (res.density * res.cell * contact.area - held) / res.weight
    tally = StreamTally()
    k = _inject.count_refill(key, step, contact.side, abs(deficit))
    if k == 0:
        return tally
    if deficit < 0.0:
        pos = markers.positions[:, 0]
        inside = np.flatnonzero((pos >= a) & (pos < b))
        k = min(k, inside.size)
        draws = _rng.fill_uniform(_rng.stream_key(key, step, _rng.OHMIC + 2 + contact.side),
                                  np.empty(inside.size))
        gone = inside[np.argpartition(draws, k - 1)[:k]] if k < inside.size else inside
        tally.absorbed_weight[0, contact.side] = float(markers.w[gone].sum())
        tally.absorbed_count = k
        markers.remove(np.sort(gone))
        return tally
    xn = np.empty((1, k))
    pn = np.empty((markers.dp, k))
    state = np.empty(k, np.int64)
    _inject.refill_band(key, step, contact.side, a, b, res.temperature, contact.table, xn, pn,
                        state)
    if markers.dx > 1:  # uniform across the contact cell
        xn = np.vstack([xn, _across_face(key, step, _rng.CONTACT_FACE + 2 + contact.side, k,
                                         markers.dx, lo, hi)])
    markers.append(xn, pn, np.full(k, res.weight), None if markers.state is None else state)
    tally.injected_weight[contact.side] = k * res.weight
    tally.injected_count = k
    return tally


def check_boundary(boundary, hamiltonian, markers):
    """Check that ``boundary`` fits the markers and the Hamiltonian; returns its reservoirs
    prepared for the run (a list of :class:`Contact`)."""
    encode_walls(boundary, markers.dx)
    reservoirs = boundary.reservoirs() if isinstance(boundary, Injecting) else []
    if not reservoirs:
        return reservoirs
    if boundary.naxes() != markers.dx:
        raise ValueError(f"Injecting with markers of dx={markers.dx} needs lo and hi with one "
                         f"number per axis ({markers.dx}; the contacts are the faces normal to "
                         f"x), got lo={boundary.lo!r}, hi={boundary.hi!r}")
    disp = hamiltonian.dispersion
    out = []
    lo, hi = boundary.extent(0)
    area = boundary.face_area()
    velocity = None
    if markers.dx > 1:  # (Markers have dp >= dx)
        def velocity(p, state):
            return hamiltonian.velocity(p, state=state)
    for side, wall, direction, res in reservoirs:
        table, _ = res.emission(disp, markers.dp)
        mass, alpha = ((None, None) if isinstance(disp, MultiValley)
                       else res.band_parameters(disp, markers.dp))
        if res.rule == "neutral" and res.cell > hi - lo:
            raise ValueError(f"the contact cell ({res.cell:g} m) is wider than the box "
                             f"[{lo:g}, {hi:g}]")
        exact = isinstance(disp, Parabolic) and res.rule == "flux"
        rate = res.flux(direction, disp, markers.dp) * area / res.weight  # per unit time
        mirror = disp.mirror_states() if isinstance(disp, MultiValley) else None
        out.append(Contact(side, wall, direction, res, mass, alpha, exact, rate, table, mirror,
                           area, velocity))
    return out

