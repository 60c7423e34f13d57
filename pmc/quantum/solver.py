"""The time-dependent Schrödinger equation i hbar d psi / dt = [eps(-i hbar grad) + U(x, t)] psi
by the split-operator Fourier method: pmc's quantum reference (docs/design.md §1, paper §II).

One step of length dt is Strang's symmetric splitting

    psi <- exp(-i U(t + dt) dt / 2 hbar) F^-1 exp(-i eps(hbar k) dt / hbar) F exp(-i U(t) dt / 2 hbar) psi,

second order in dt for time-dependent U as well (time enters as a coordinate of the kick). The
free part is exact for any pmc dispersion: eps is evaluated at the momenta hbar k of the periodic
grid by the same scalar kernels the markers use (M. D. Feit, J. A. Fleck and A. Steiger,
J. Comput. Phys. 47, 412 (1982); G. Strang, SIAM J. Numer. Anal. 5, 506 (1968)). Consecutive
half kicks are merged, so a step costs two FFTs and two complex multiplications, like a bare
loop; the phases exp(-i eps dt / hbar) / N and exp(-i U dt / hbar) are tabulated once (the usual
layout of split-operator codes: a pair of FFTW plans and the precomputed full- and half-step
phase arrays).

An optional absorbing layer at the edges is a complex absorbing potential -i W(x) with
W = strength s^power, s the depth into the layer over its width (U. V. Riss and H.-D. Meyer,
J. Phys. B 26, 4503 (1993)); it multiplies psi by exp(-W dt / hbar) with each kick. The
probability each kick removes is tallied per wall before the kick (a sequential sum, bitwise
repeatable), so total_weight + absorbed equals the initial norm to round-off and transmission and
reflection are outputs.

The result is an :class:`xarray.Dataset` in the schema of marker runs (docs/design.md §3): dims
``time``, ``x`` (and ``y``); ``units`` and ``long_name`` on every variable; provenance in the
attributes. :class:`Simulation` runs on the shared run loop :class:`pmc._run.FrameRun`, as the
marker and grid solvers do: frames written to netCDF as they come, checkpoints, resume and a
progress bar.

Checkpoint and resume. The checkpoint holds psi, the absorbed tallies and the step counter; a run
resumed from it continues with the same operations in the same order as an uninterrupted run.
With ``planner="estimate"`` (or the scipy backend) the FFTs are the same in every process, so a
resumed run equals an uninterrupted one bitwise. With ``planner="measure"`` (the default) FFTW
picks its algorithm by timing, so a run resumed in another process may use other FFT algorithms
than the first part did: it continues the same computation equal to round-off, not bitwise
(the same holds for two uninterrupted runs in two processes).
"""
import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.fft

from .. import _checks, _resources
from .._kernels import evaluate, models
from .._kernels.splitoperator import kick_phase, kick_phase_terms, layer_loss
from .._kernels.stateful import NO_STATE
from .._model import Model
from .._run import FrameRun, frame_at, potential_tables
from .._run import describe_model as _model
from ..hamiltonian import Hamiltonian
from ..schema import coordinate, unit_system, variable
from . import _fft

__all__ = ["Absorber", "Simulation", "simulate", "default_dt"]

_AXES = ("x", "y")


@dataclass(frozen=True)
class Absorber(Model):
    """Absorbing layers at both ends of every axis: the complex potential -i W(x) with

        W = strength * s^power,  s = (depth into the layer) / width in [0, 1]

    (U. V. Riss and H.-D. Meyer, J. Phys. B 26, 4503 (1993)). A component of speed v crossing
    the layer once keeps exp(-2 strength width / ((power + 1) v hbar)) of its probability.

    Parameters
    ----------
    width : float
        Thickness of each layer [m], > 0 and less than half the box.
    strength : float, optional
        Peak value of W [J], > 0. Default: 10 (power + 1) hbar v_rms / width, with v_rms the
        root-mean-square group velocity of the initial state, so that a component at v_rms loses
        all but exp(-20) of its probability in one crossing.
    power : float
        Exponent of the profile, >= 1 (default 2: smooth onset, little reflection).
    """

    width: float = 1.0
    strength: float = None
    power: float = 2.0

    def __post_init__(self):
        object.__setattr__(self, "width", _checks.positive("width", self.width))
        if self.strength is not None:
            object.__setattr__(self, "strength", _checks.positive("strength", self.strength))
        p = _checks.finite("power", self.power)
        if p < 1.0:
            raise ValueError(f"power must be a finite number >= 1, got {self.power!r}")
        object.__setattr__(self, "power", p)


class Simulation(FrameRun):
    """Split-operator solver of the Schrödinger equation for a :class:`pmc.Hamiltonian` on a
    periodic grid (see the module docstring for the method and references). It implements the
    solver protocol of :class:`pmc._run.FrameRun` (``start``/``step``/``observe``/``run``/
    ``resume``, checkpoints), as :class:`pmc.Simulation` and :class:`pmc.gridsolver.Simulation`
    do, with the thin function form :func:`simulate`.

    Parameters
    ----------
    hamiltonian : pmc.Hamiltonian
        eps(p) + U(x, t) and hbar [J s]. U may depend on time.
    initial : pmc.states.GaussianWavepacket, callable or array_like
        Initial wave function [m^(-d/2)]: a state with a ``psi(x)`` method (its ``hbar`` must be
        the Hamiltonian's), a function of the coordinate arrays (``initial(x)`` or
        ``initial(X, Y)`` on the ``ij`` mesh), or complex values of shape (len(x),) or
        (len(x), len(y)). Not normalised by the solver.
    grid : array_like or tuple of two array_like
        The position grid: the points along x [m], or a tuple (x, y) for a two-dimensional
        problem. Each axis uniform, increasing, >= 8 points; the grid is periodic with period
        len(x) * dx; powers of two are fastest.
    dt : float
        Time step [s], > 0.
    absorber : pmc.quantum.Absorber, optional
        Absorbing layers at the edges of every axis; none (a periodic box) by default.
    t0 : float
        Initial time [s].
    threads : int
        FFT threads, >= 1 (default 1).
    planner : {"measure", "estimate", "patient"}
        FFTW planning effort (FFTW_MEASURE by default: fastest steps, last-bit differences
        between processes; "estimate" is bitwise repeatable, and makes resume bitwise).
    use_pyfftw : bool
        Use FFTW through pyFFTW when installed (default); False forces scipy.fft.
    case : dict, optional
        The case this run was built from (as read from a TOML file); stored in the output's
        attributes. Built from the objects if omitted.
    x, y, psi0 : optional
        Deprecated spellings of ``grid=x``, ``grid=(x, y)`` and ``initial``.

    Notes
    -----
    :meth:`run` (:meth:`pmc._run.FrameRun.run`) returns, and writes to ``output``, an
    :class:`xarray.Dataset` with dims ``time``, ``x`` (``y``), ``component``, ``side``:

    ``psi_real``, ``psi_imag`` (time, x[, y])
        The wave function [m^-1/2 in 1D, 1/m in 2D].
    ``density`` (time, x[, y])
        |psi|^2 [1/m or 1/m^2].
    ``current`` (and ``current_y``) (time, x[, y])
        Probability current Re(conj(psi) v(p) psi) with v(p) = d eps / dp applied as an
        operator; (hbar / m) Im(conj(psi) dpsi/dx) for a parabolic band [1/s in 1D, 1/(m s) in
        2D].
    ``total_weight`` (time)
        int |psi|^2 in the box: the probability, which is what a marker run's total weight is
        when the markers carry probability.
    ``energy`` (time)
        <psi|H|psi> [J].
    ``momentum`` (time, component)
        <psi|p|psi> [kg m/s].
    ``absorbed`` (time, side)
        Probability absorbed at each wall since t0 (sides x_lo, x_hi[, y_lo, y_hi]).

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    >>> psi0 = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    >>> s = pmc.quantum.Simulation(H, psi0, grid=np.linspace(-20, 20, 256, endpoint=False),
    ...                            dt=0.05)
    >>> ds = s.run(t_end=2.0, save_every=1.0, progress=False)
    >>> ds.density.dims, round(float(ds.total_weight[-1]), 12)
    (('time', 'x'), 1.0)
    """

    #: Label of the progress bar.
    progress_label = "pmc.quantum"

    def __init__(self, hamiltonian, initial=None, *, grid=None, dt, absorber=None, t0=0.0,
                 threads=1, planner="measure", use_pyfftw=True, case=None, x=None, y=None,
                 psi0=None):
        initial = _deprecated_initial(initial, psi0)
        axes = _grid_axes(grid, x, y)
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if absorber is not None and not isinstance(absorber, Absorber):
            raise ValueError(f"absorber must be a pmc.quantum.Absorber or None, got {absorber!r}")
        self.hamiltonian = hamiltonian
        self.hbar = hamiltonian.hbar
        coords = [_checks.uniform_axis(d, a, minimum=8) for d, a in zip(_AXES, axes)]
        self.coords = {d: c for d, (c, _) in zip(_AXES, coords)}
        self.spacing = {d: float(h) for d, (_, h) in zip(_AXES, coords)}
        self.dims = tuple(self.coords)
        self.shape = tuple(c.size for c in self.coords.values())
        self.ndim = len(self.shape)
        self.cell = math.prod(self.spacing.values())
        self.size = math.prod(self.shape)
        self.dt = _checks.positive("dt", dt)
        self.t0 = _checks.finite("t0", t0)
        threads = _checks.count("threads", threads, minimum=1)
        self.absorber = absorber
        self.planner = planner
        self.initial_description = _describe_state(initial)

        _resources.check_grid(self.size, _resources.QUANTUM_BYTES_PER_POINT,
                              "the wave function")
        psi = _initial_state(initial, self.coords, self.hbar)
        _check_resolution(initial, self.spacing, self.shape, self.hbar)
        # positions (d, M) and momenta hbar k (d, M) on the flattened grid (C order)
        mesh = np.meshgrid(*self.coords.values(), indexing="ij")
        self._positions = np.ascontiguousarray(np.stack([m.ravel() for m in mesh]))
        kaxes = [2.0 * math.pi * np.fft.fftfreq(n, d=self.spacing[d])
                 for d, n in zip(self.dims, self.shape)]
        kmesh = np.meshgrid(*kaxes, indexing="ij")
        self._momenta = np.ascontiguousarray(np.stack([self.hbar * k.ravel() for k in kmesh]))
        dkind, dprm, self._terms, self._pprm = hamiltonian.kernel_arguments()
        dprm = np.ascontiguousarray(dprm, dtype=np.float64)
        self._eps = evaluate.energy_array(dkind, dprm, NO_STATE, self._momenta,
                                          np.empty(self.size))
        self._vel = evaluate.velocity_array(dkind, dprm, NO_STATE, self._momenta,
                                            np.empty_like(self._momenta))
        # the drift, with the 1/M of the inverse transform folded in
        self._drift = (np.exp(-1j * self._eps * (self.dt / self.hbar)) / self.size).reshape(
            self.shape)

        self._fft = _fft.PlannedFFT(self.shape, threads=threads, planner=planner,
                                    use_pyfftw=use_pyfftw)
        self._fft.x[...] = psi
        self.backend = self._fft.backend
        self.threads = threads
        self.use_pyfftw = use_pyfftw

        # absorbing layers: damping per full and half kick, and the tally's points
        nside = 2 * self.ndim
        self.strength = None
        self._mask_full = np.ones(self.size)
        self._mask_half = np.ones(self.size)
        self._layer_index = np.zeros(0, np.int64)
        if absorber is not None:
            for d, c in self.coords.items():
                if not absorber.width < 0.5 * (c[-1] - c[0]):
                    raise ValueError(f"absorber width {absorber.width:g} must be < half the box "
                                     f"along {d} ({0.5 * (c[-1] - c[0]):g})")
            self.strength = (absorber.strength if absorber.strength is not None
                             else self._default_strength(psi, absorber))
            per_side = np.zeros((nside, self.size))
            for a, d in enumerate(self.dims):
                c = self._positions[a]
                lo, hi = self.coords[d][0], self.coords[d][-1]
                w = absorber.width
                s_lo = np.maximum(lo + w - c, 0.0) / w
                s_hi = np.maximum(c - (hi - w), 0.0) / w
                per_side[2 * a] = self.strength * s_lo ** absorber.power
                per_side[2 * a + 1] = self.strength * s_hi ** absorber.power
            W = per_side.sum(axis=0)
            self._mask_full = np.exp(-W * self.dt / self.hbar)
            self._mask_half = np.exp(-W * 0.5 * self.dt / self.hbar)
            inside = W > 0.0
            self._layer_index = np.flatnonzero(inside).astype(np.int64)
            # each point's loss goes to the wall whose layer is deepest there
            self._layer_side = np.argmax(per_side[:, inside], axis=0).astype(np.int64)
            self._loss_full = (1.0 - self._mask_full[inside] ** 2) * self.cell
            self._loss_half = (1.0 - self._mask_half[inside] ** 2) * self.cell

        self._kick = np.empty(self.size, np.complex128)
        self._static = not hamiltonian.time_dependent
        # U(x, t) = sum_k g_k(t) U_k(x): the static terms tabulated once on the grid
        terms = np.array(self._terms, copy=True)
        self._modulations = terms[:, 2:].copy()
        self._u_terms = np.empty((terms.shape[0], self.size))
        for k in range(terms.shape[0]):  # over the potential's terms (a few)
            row = terms[k:k + 1].copy()
            row[0, 2] = models.STATIC
            evaluate.potential_array(row, self._pprm, self._positions, 0.0, self._u_terms[k])
        if self._static:
            u = self._potential(self.t0)
            self._kick_full = kick_phase(u, self.dt / self.hbar, self._mask_full,
                                         np.empty(self.size, np.complex128))
            self._kick_half = kick_phase(u, 0.5 * self.dt / self.hbar, self._mask_half,
                                         np.empty(self.size, np.complex128))
        self.step_count = 0
        self._absorbed = np.zeros(nside)
        self._norm0 = self.norm()
        self.case = case if case is not None else self._describe()

    # ------------------------------------------------------------------ state
    @property
    def time(self):
        """Current time [s]."""
        return self.t0 + self.step_count * self.dt

    @property
    def psi(self):
        """A copy of the current wave function [m^(-d/2)], shape :attr:`shape`."""
        return self._fft.x.copy()

    @property
    def absorbed(self):
        """Probability absorbed at each wall since t0: (x_lo, x_hi[, y_lo, y_hi])."""
        return self._absorbed.copy()

    @property
    def total_weight(self):
        """int |psi|^2 d^dx x over the box: the output's ``total_weight`` (:meth:`norm`)."""
        return self.norm()

    def norm(self):
        """int |psi|^2 d^dx x over the box (dimensionless)."""
        a = self._fft.x
        return float(np.vdot(a, a).real) * self.cell

    def __repr__(self):
        return (f"quantum.Simulation(t={self.time:.6g}, step={self.step_count}, "
                f"grid={self.shape}, dt={self.dt:g}, fft={self.backend})")

    def _modulation(self, t):
        """g_k(t) of every term (1 for static terms)."""
        return np.array([models.modulation(int(mk), self._pprm, int(mo), float(t))
                         for mk, mo in self._modulations])

    def _potential(self, t):
        """U(x, t) [J] on the flattened grid."""
        return self._modulation(t) @ self._u_terms

    def _default_strength(self, psi, absorber):
        spec = np.abs(scipy.fft.fftn(psi)) ** 2
        v2 = np.sum(self._vel ** 2, axis=0).reshape(self.shape)
        total = spec.sum()
        v_rms = math.sqrt(float(np.sum(spec * v2) / total)) if total > 0 else 0.0
        if not v_rms > 0.0:  # a state at rest: use the slowest resolved speed instead
            v_rms = float(np.sqrt(np.sum(self._vel ** 2, axis=0))[1:].min()) or 1.0
        return 10.0 * (absorber.power + 1.0) * self.hbar * v_rms / absorber.width

    # ------------------------------------------------------------------ stepping
    def _apply_kick(self, t, half):
        flat = self._fft.x.reshape(-1)
        if self._layer_index.size:
            layer_loss(flat, self._layer_index, self._loss_half if half else self._loss_full,
                       self._layer_side, self._absorbed)
        if self._static:
            kick = self._kick_half if half else self._kick_full
        else:
            scale = (0.5 if half else 1.0) * self.dt / self.hbar
            kick = kick_phase_terms(self._u_terms, self._modulation(t), scale,
                                    self._mask_half if half else self._mask_full, self._kick)
        np.multiply(flat, kick, out=flat)

    def step(self, n=1):
        """Advance by ``n`` steps of :attr:`dt` (n >= 0). Returns self."""
        n = _checks.count("n", n, minimum=0)
        if n == 0:
            return self
        k = self._fft.k
        fwd, bwd, drift = self._fft.forward, self._fft.backward, self._drift
        t = self.time
        self._apply_kick(t, half=True)
        for i in range(n):
            fwd()
            np.multiply(k, drift, out=k)
            bwd()
            self._apply_kick(t + (i + 1) * self.dt, half=(i == n - 1))
        self.step_count += n
        return self

    # ------------------------------------------------------------------ observing
    def observe(self):
        """A one-frame :class:`xarray.Dataset` of the current state (``time`` of length 1)."""
        psi = self._fft.x
        d = self.ndim
        t = self.time
        with _fft.backend(self.use_pyfftw):
            spec = scipy.fft.fftn(psi)
            vpsi = [scipy.fft.ifftn(self._vel[c].reshape(self.shape) * spec) for c in range(d)]
        dens = psi.real ** 2 + psi.imag ** 2
        spec2 = (spec.real ** 2 + spec.imag ** 2).reshape(-1) * (self.cell / self.size)
        u = self._potential(t).reshape(self.shape)
        energy = float(spec2 @ self._eps) + float(np.sum(u * dens)) * self.cell
        momentum = self._momenta @ spec2
        system = unit_system(self.hamiltonian)
        dims = self.dims
        data = {"psi_real": variable("psi_real", psi.real.copy(), dims, system),
                "psi_imag": variable("psi_imag", psi.imag.copy(), dims, system),
                "density": variable("density", dens, dims, system)}
        for c, name in enumerate(dims):
            suffix = "" if c == 0 else "_" + name
            j = (psi.conj() * vpsi[c]).real
            data["current" + suffix] = variable("current" + suffix, j, dims, system)
        in_box = "in the box (the grid)"
        data["total_weight"] = variable("total_weight", self.norm(), system=system,
                                        comment="probability int |psi|^2 " + in_box)
        data["energy"] = variable("energy", energy, system=system,
                                  comment="<psi|H|psi> " + in_box)
        data["momentum"] = variable("momentum", momentum, system=system,
                                    comment="<psi|p|psi> " + in_box)
        data["absorbed"] = variable("absorbed", self._absorbed.copy(), system=system)
        coords = {name: coordinate(name, self.coords[name].copy(), system) for name in dims}
        coords["component"] = coordinate("component", [f"p{a}" for a in dims])
        coords["side"] = coordinate("side", [f"{a}_{s}" for a in dims for s in ("lo", "hi")])
        frame = frame_at(t, data, coords, system)
        for name in ("psi_real", "psi_imag", "density", "total_weight"):
            if not np.all(np.isfinite(frame[name].values)):
                raise FloatingPointError(f"non-finite {name} at step {self.step_count} "
                                         f"(t = {t:g})")
        return frame

    # ------------------------------------------------------------------ run hooks
    def _progress_postfix(self, steps, seconds, before, after):
        return {"grid": "x".join(map(str, self.shape)), "steps_per_s": f"{steps / seconds:.3g}"}

    def _fingerprint(self):
        return repr((repr(self.hamiltonian), self.dt, self.t0,
                     {d: (float(c[0]), self.spacing[d], c.size) for d, c in self.coords.items()},
                     None if self.absorber is None else (self.absorber.width, self.absorber.power),
                     self.strength, self.backend, self.planner))

    def _state_arrays(self):
        return {"psi": self._fft.x, "absorbed": self._absorbed}

    def _restore_state(self, arrays):
        psi = arrays["psi"]
        if psi.shape != self.shape:
            raise ValueError(f"the checkpoint's psi has shape {psi.shape}, the grid {self.shape}")
        self._fft.x[...] = psi
        self._absorbed = arrays["absorbed"].copy()

    def _provenance_extra(self):
        return {"title": "pmc Schrödinger reference run (split-operator FFT)",
                "seed": "none (deterministic)",
                "method": "split-operator Fourier, Strang splitting (kick/2, exact drift, kick/2)",
                "fft_backend": self.backend, "fft_planner": self.planner, "hbar": self.hbar}

    def _describe(self):
        case = {"run": {"method": "quantum", "dt": self.dt, "t0": self.t0},
                "hamiltonian": {"hbar": self.hbar},
                "dispersion": _model(self.hamiltonian.dispersion),
                "potential": potential_tables(self.hamiltonian.potential),
                "distribution": self.initial_description,
                # the periodic box [start, stop) of each axis, as in a case file's [quantum]
                "quantum": {d: {"start": float(c[0]),
                                "stop": float(c[0] + c.size * self.spacing[d]),
                                "num": int(c.size)} for d, c in self.coords.items()}}
        case["quantum"]["planner"] = self.planner
        if self.absorber is not None:
            # the strength used (the default one when none was given)
            case["quantum"]["absorber"] = {**self.absorber.parameters(),
                                           "strength": self.strength}
        return case


def simulate(hamiltonian, initial=None, *, t_end, save_every, grid=None, dt=None, absorber=None,
             t0=0.0, output=None, overwrite=False, progress=False, threads=1, planner="measure",
             use_pyfftw=True, resume=False, checkpoint_every=10, x=None, y=None, psi0=None):
    """Solve the time-dependent Schrödinger equation: :class:`Simulation` and
    :meth:`Simulation.run` in one call (as :func:`pmc.simulate`).

    Parameters
    ----------
    hamiltonian, initial, grid, absorber, t0, threads, planner, use_pyfftw
        As for :class:`Simulation` (``x=``, ``y=`` and ``psi0=`` are deprecated spellings).
    t_end : float
        Final time [s].
    save_every : float
        Interval between frames [s].
    dt : float, optional
        Time step [s]. Default: the largest save_every / n (n a whole number) not above
        0.1 hbar / E_ref, where E_ref is the larger of |<eps>| + 4 std(eps) and 4 std(U) in the
        initial state: every phase the state's energy spread picks up in a step is then below
        ~0.1 rad (:func:`default_dt`).
    output, overwrite, progress, resume, checkpoint_every
        As for :meth:`pmc._run.FrameRun.run`.

    Returns
    -------
    xarray.Dataset
        See :class:`Simulation` ("Output").

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(), pmc.potentials.Harmonic(omega=1.0))
    >>> psi0 = pmc.states.GaussianWavepacket(x0=2.0, p0=0.0, sigma_x=0.5 ** 0.5)
    >>> q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-10, 10, 256, endpoint=False),
    ...                          t_end=np.pi, save_every=np.pi, dt=np.pi / 200)
    >>> x_mean = float((q.density * q.x).sum("x")[-1] * 20 / 256)   # half a period: -x0
    >>> round(x_mean, 6)
    -2.0
    """
    initial = _deprecated_initial(initial, psi0, stacklevel=3)
    grid = _grid_axes(grid, x, y, stacklevel=3)
    save_every = _checks.positive("save_every", save_every)
    if dt is None:
        dt = default_dt(hamiltonian, initial, grid=grid, save_every=save_every, t0=t0)
    solver = Simulation(hamiltonian, initial, grid=grid, dt=dt, absorber=absorber, t0=t0,
                        threads=threads, planner=planner, use_pyfftw=use_pyfftw)
    return solver.run(t_end, save_every, output=output, overwrite=overwrite, progress=progress,
                      resume=resume, checkpoint_every=checkpoint_every)


def default_dt(hamiltonian, initial=None, *, save_every, grid=None, t0=0.0, x=None, y=None,
               psi0=None):
    """The default time step of :func:`simulate` [s] (see there)."""
    initial = _deprecated_initial(initial, psi0, stacklevel=3)
    axes = _grid_axes(grid, x, y, stacklevel=3)
    if not isinstance(hamiltonian, Hamiltonian):
        raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
    coords = {d: _checks.uniform_axis(d, a, minimum=8)[0] for d, a in zip(_AXES, axes)}
    psi = _initial_state(initial, coords, hamiltonian.hbar)
    spacing = [c[1] - c[0] for c in coords.values()]
    k = np.meshgrid(*[2 * math.pi * np.fft.fftfreq(c.size, d=h)
                      for c, h in zip(coords.values(), spacing)], indexing="ij")
    p = np.stack([hamiltonian.hbar * a.ravel() for a in k])
    w_p = np.abs(scipy.fft.fftn(psi)).ravel() ** 2
    w_p /= w_p.sum()
    eps = hamiltonian.dispersion.energy(p.T if p.shape[0] > 1 else p[0], hbar=hamiltonian.hbar)
    mesh = np.meshgrid(*coords.values(), indexing="ij")
    pos = np.stack([m.ravel() for m in mesh])
    u = hamiltonian.potential.potential(pos.T if pos.shape[0] > 1 else pos[0], t0)
    w_x = np.abs(psi).ravel() ** 2
    w_x /= w_x.sum()

    def spread(values, w):
        mean = float(w @ values)
        return mean, math.sqrt(max(float(w @ (values - mean) ** 2), 0.0))

    e_mean, e_std = spread(eps, w_p)
    _, u_std = spread(u, w_x)
    e_ref = max(abs(e_mean) + 4.0 * e_std, 4.0 * u_std)
    if not e_ref > 0.0:
        return save_every
    n = max(1, math.ceil(save_every / (0.1 * hamiltonian.hbar / e_ref)))
    return save_every / n


# ----------------------------------------------------------------------------- helpers
def _deprecated_initial(initial, psi0, stacklevel=3):
    """``initial``, or the deprecated keyword ``psi0`` with a DeprecationWarning."""
    if psi0 is None:
        if initial is None:
            raise ValueError("initial (the initial wave function) is required")
        return initial
    warnings.warn("psi0= is deprecated: give the initial state as `initial` (the second "
                  "argument)", DeprecationWarning, stacklevel=stacklevel)
    if initial is not None:
        raise ValueError("give the initial state once: initial or psi0 (deprecated), not both")
    return psi0


def _grid_axes(grid, x, y, stacklevel=3):
    """The position axes as a tuple (x,) or (x, y): from ``grid`` (an array, or a tuple of two
    arrays) or from the deprecated keywords ``x=``, ``y=`` (with a DeprecationWarning)."""
    if x is not None or y is not None:
        warnings.warn("x= and y= are deprecated: give the position grid as grid=x or "
                      "grid=(x, y)", DeprecationWarning, stacklevel=stacklevel)
        if grid is not None:
            raise ValueError("give the position grid once: grid, or x/y (deprecated), not both")
        if x is None:
            raise ValueError("y needs x")
        return (x,) if y is None else (x, y)
    if grid is None:
        raise ValueError("grid (the position grid: an array of x, or a tuple (x, y)) is required")
    if isinstance(grid, (tuple, list)) and grid and all(np.ndim(a) == 1 for a in grid):
        axes = tuple(grid)
    else:
        axes = (grid,)
    if len(axes) > len(_AXES) or any(np.ndim(a) != 1 for a in axes):
        raise ValueError(f"grid must be a one-dimensional array of x or a tuple (x, y) of "
                         f"them, got {np.shape(grid) if len(axes) == 1 else len(axes)}")
    return axes


def _initial_state(initial, coords, hbar):
    shape = tuple(c.size for c in coords.values())
    if hasattr(initial, "psi") and callable(initial.psi):
        if len(coords) != 1:
            raise ValueError(f"{type(initial).__name__} is one-dimensional; give a function or "
                             f"an array for a two-dimensional grid")
        state_hbar = getattr(initial, "hbar", hbar)
        if not np.isclose(state_hbar, hbar, rtol=1e-12):
            raise ValueError(f"initial.hbar = {state_hbar!r} differs from the Hamiltonian's "
                             f"hbar = {hbar!r}")
        values = initial.psi(coords["x"])
    elif isinstance(initial, Model):
        raise ValueError(f"initial must be a wave function; {type(initial).__name__} has none "
                         f"(a state with psi(x), such as GaussianWavepacket, a function or an "
                         f"array)")
    elif callable(initial):
        values = initial(*np.meshgrid(*coords.values(), indexing="ij"))
    else:
        values = initial
    values = np.asarray(values, dtype=np.complex128)
    if values.shape != shape:
        raise ValueError(f"initial must have the grid's shape {shape}, got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("initial must be finite everywhere")
    if not np.any(values != 0):
        raise ValueError("initial must not vanish everywhere")
    return values


#: The momenta of a state with mean p0 and spread sigma_p reach |p0| + NYQUIST_SIGMAS sigma_p.
NYQUIST_SIGMAS = 4.0


def _check_resolution(initial, spacing, shape, hbar):
    """Refuse a grid whose Nyquist momentum pi hbar / dx is below |p0| + 4 sigma_p of a state
    that states its momenta (``p0``, ``sigma_p``): its samples would alias to other momenta."""
    p0, sigma_p = getattr(initial, "p0", None), getattr(initial, "sigma_p", None)
    if p0 is None or sigma_p is None:
        return
    dx = spacing["x"]
    nyquist = math.pi * hbar / dx
    need = abs(float(p0)) + NYQUIST_SIGMAS * float(sigma_p)
    if need > nyquist:
        dx_need = math.pi * hbar / need
        num = math.ceil(shape[0] * dx / dx_need)
        raise ValueError(
            f"the grid spacing dx = {dx:.6g} cannot represent the initial state's momenta: "
            f"|p0| + {NYQUIST_SIGMAS:g} sigma_p = {need:.6g} (p0 = {float(p0):.6g}, sigma_p = "
            f"{float(sigma_p):.6g}) exceeds the grid's Nyquist momentum pi hbar / dx = "
            f"{nyquist:.6g}; the state needs dx <= {dx_need:.6g} (num >= {num} points over the "
            f"same box)")


def _describe_state(initial):
    if hasattr(initial, "parameters"):
        return _model(initial)
    if callable(initial):
        return {"model": "function", "name": getattr(initial, "__name__", repr(initial))}
    return {"model": "array", "shape": list(np.shape(initial))}


def __getattr__(name):
    return _deprecated(name, __name__)


def _deprecated(name, module):
    """The deprecated names ``Solver`` and ``solve`` (module attribute access warns)."""
    new = {"Solver": "Simulation", "solve": "simulate"}.get(name)
    if new is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    warnings.warn(f"pmc.quantum.{name} is deprecated: use pmc.quantum.{new}", DeprecationWarning,
                  stacklevel=3)
    return globals()[new]
