"""Streaming: markers follow the characteristics of the Liouville equation (paper eqs. 15-17),
dx/dt = v(p), dp/dt = F(x, t), by a symplectic splitting (see :mod:`pmc._kernels.push`), with the
walls of the box applied at the end of every step."""
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from ._kernels import BLOCK
from ._kernels import inject as _inject
from ._kernels import push as _push
from ._kernels import wigner as _wigner
from ._kernels.rng import seed_to_int
from .bands import Parabolic
from .boundaries import Injecting, check_inside, encode_walls
from .hamiltonian import Hamiltonian
from .markers import Markers

__all__ = ["stream", "Streamer", "StreamTally", "SCHEMES", "check_boundary"]

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
    """

    absorbed_weight: np.ndarray = field(default_factory=lambda: np.zeros((3, 2)))
    absorbed_count: int = 0
    injected_weight: np.ndarray = field(default_factory=lambda: np.zeros(2))
    injected_count: int = 0

    def __iadd__(self, other):
        self.absorbed_weight = self.absorbed_weight + other.absorbed_weight
        self.absorbed_count += other.absorbed_count
        self.injected_weight = self.injected_weight + other.injected_weight
        self.injected_count += other.injected_count
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
    """
    if not isinstance(markers, Markers):
        raise ValueError(f"markers must be pmc.Markers, got {type(markers).__name__}")
    dt = _checks.positive("dt", dt)
    steps = _checks.count("steps", steps, minimum=0)
    step0 = _checks.count("step0", step0, minimum=0)
    t0 = _checks.finite("t0", t0)
    if step0 == 0:  # markers outside the walls at the start are an error
        check_inside(boundary, markers)
    return Streamer(hamiltonian, markers, scheme=scheme, boundary=boundary, seed=seed)(
        markers, dt, steps, t0, step0)


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
        self.key = seed_to_int(seed)
        self._weight = np.zeros((0, 6))
        self._count = np.zeros(0, np.int64)

    def __call__(self, markers, dt, steps, t0=0.0, step0=0):
        """Advance ``markers`` in place by ``steps`` steps of ``dt`` [s] from step ``step0``
        (time ``t0 + step0 * dt``); returns the :class:`StreamTally`."""
        if markers.dx != self.dx:
            raise ValueError(f"the markers have dx={markers.dx}, the streamer was prepared for "
                             f"dx={self.dx}")
        if not self.reservoirs:
            return self._push(markers, t0, step0, dt, steps)
        tally = StreamTally()
        for s in range(step0, step0 + steps):
            tally += self._push(markers, t0, s, dt, 1)
            for side, wall, direction, res in self.reservoirs:
                tally += _inject_step(markers, self.key, s, side, wall, direction, res, dt,
                                      self.wkind, self.lo, self.hi)
        return tally

    def _push(self, markers, t0, step0, dt, steps):
        n = markers.n
        tally = StreamTally()
        if n == 0 or steps == 0:
            return tally
        nblock = (n + BLOCK - 1) // BLOCK
        if self._count.shape[0] < nblock:
            self._weight = np.zeros((nblock, 6))
            self._count = np.zeros(nblock, np.int64)
        weight = self._weight[:nblock]
        count = self._count[:nblock]
        x, p, w, _ = markers.kernel_arrays()
        # the push flags absorbed markers by negating their weight: signed markers are told by
        # the change of sign
        before = w[:n].copy() if markers.signed else None
        self.kernel(x, p, w, n, *self.args, t0, step0, dt, steps, self.wkind, self.lo, self.hi,
                    weight, count)
        if count.any():
            gone = (_push.absorbed_indices(w, n, count) if before is None
                    else _wigner.flipped_indices(w, before, n, count))
            markers.remove(gone)
            tally.absorbed_weight = weight.sum(axis=0).reshape(3, 2)
            tally.absorbed_count = int(count.sum())
        return tally


def _inject_step(markers, key, step, side, wall, direction, res, dt, wkind, lo, hi):
    rate = res.flux(direction) / res.weight  # markers per unit time through a point wall (1D)
    sigma = res.thermal_velocity
    a = direction * res.drift / sigma
    k = _inject.count_arrivals(key, step, side, rate, dt)
    tally = StreamTally()
    if k == 0:
        return tally
    x = np.empty((1, k))
    p = np.empty((markers.dp, k))
    _inject.inject(key, step, side, rate, dt, wall, direction, sigma, a, sigma, res.mass, x, p)
    for side_code, wall_x, past in ((0, lo[0], x[0] < lo[0]), (1, hi[0], x[0] >= hi[0])):
        if wkind[0, side_code] == _push.REFLECTING and past.any():  # crossed the box at once
            x[0, past] = 2.0 * wall_x - x[0, past]
            p[0, past] = -p[0, past]
    inside = (x[0] >= lo[0]) & (x[0] < hi[0])
    k_in = int(inside.sum())
    state = None if markers.state is None else np.zeros(k_in, np.int64)  # enter in state 0
    markers.append(x[:, inside], p[:, inside], np.full(k_in, res.weight), state)
    tally.injected_weight[side] = k * res.weight
    tally.injected_count = k
    out = ~inside
    if out.any():
        far = np.where(x[0, out] < lo[0], 0, 1)
        np.add.at(tally.absorbed_weight[0], far, res.weight)
        tally.absorbed_count = int(out.sum())
    return tally


def check_boundary(boundary, hamiltonian, markers):
    """Check that ``boundary`` fits the markers and the Hamiltonian; returns its reservoirs."""
    encode_walls(boundary, markers.dx)
    reservoirs = boundary.reservoirs() if isinstance(boundary, Injecting) else []
    if not reservoirs:
        return reservoirs
    if markers.dx != 1:
        raise ValueError(f"Injecting needs markers with dx=1, got dx={markers.dx}")
    disp = hamiltonian.dispersion
    if not isinstance(disp, Parabolic):
        raise ValueError("Injecting reservoirs emit Maxwellians of a parabolic band; the "
                         f"Hamiltonian's dispersion is {type(disp).__name__}")
    for _, _, _, res in reservoirs:
        if not np.isclose(res.mass, disp.mass, rtol=1e-12):
            raise ValueError(f"reservoir mass {res.mass} differs from the band mass {disp.mass}")
    return reservoirs
