"""The time-dependent Schrödinger equation i hbar d psi / dt = [eps(-i hbar grad) + U(x, t)] psi
by the split-operator Fourier method: pmc's quantum reference (DESIGN section 1, paper section II).

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
repeatable), so norm + absorbed equals the initial norm to round-off and transmission and
reflection are outputs.

The result is an :class:`xarray.Dataset` in the schema of marker runs (DESIGN section 3): dims
``time``, ``x`` (and ``y``); ``units`` and ``long_name`` on every variable; provenance in the
attributes; written to netCDF frame by frame through :mod:`pmc.io`.
"""
import datetime
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import tomli_w
import xarray as xr

from .. import _checks, io
from .._kernels import evaluate, models
from .._kernels.splitoperator import kick_phase, kick_phase_terms, layer_loss
from .._model import Model
from .._run import _toml_safe, frame_at, potential_tables, whole as _whole
from .._run import describe_model as _model
from .._version import __version__
from ..hamiltonian import Hamiltonian
from . import _fft

__all__ = ["Absorber", "Solver", "solve"]

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


class Solver:
    """Split-operator solver of the Schrödinger equation for a :class:`pmc.Hamiltonian` on a
    periodic grid (see the module docstring for the method and references). One class with
    ``step``/``observe``/``run`` and the thin function :func:`solve`, as QuTiP's Schrödinger
    solver (``qutip/solver/sesolve.py``) and pmc's own :class:`pmc.Simulation`.

    Parameters
    ----------
    hamiltonian : pmc.Hamiltonian
        eps(p) + U(x, t) and hbar [J s]. U may depend on time.
    psi0 : pmc.states.GaussianWavepacket, callable or array_like
        Initial wave function [m^(-d/2)]: a state with a ``psi(x)`` method (its ``hbar`` must be
        the Hamiltonian's), a function of the coordinate arrays (``psi0(x)`` or ``psi0(X, Y)``
        on the ``ij`` mesh), or complex values of shape (len(x),) or (len(x), len(y)).
        Not normalised by the solver.
    x : array_like
        Grid points along x [m]: uniform, increasing, >= 8 points. The grid is periodic with
        period len(x) * dx; powers of two are fastest.
    y : array_like, optional
        Grid points along y [m] for a two-dimensional problem.
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
        between processes; "estimate" is bitwise repeatable).
    use_pyfftw : bool
        Use FFTW through pyFFTW when installed (default); False forces scipy.fft.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
    >>> psi0 = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    >>> s = pmc.quantum.Solver(H, psi0, x=np.linspace(-20, 20, 256, endpoint=False), dt=0.05)
    >>> ds = s.run(t_end=2.0, save_every=1.0)
    >>> ds.density.dims, round(float(ds.norm[-1]), 12)
    (('time', 'x'), 1.0)
    """

    def __init__(self, hamiltonian, psi0, *, x, y=None, dt, absorber=None, t0=0.0, threads=1,
                 planner="measure", use_pyfftw=True):
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
        if absorber is not None and not isinstance(absorber, Absorber):
            raise ValueError(f"absorber must be a pmc.quantum.Absorber or None, got {absorber!r}")
        self.hamiltonian = hamiltonian
        self.hbar = hamiltonian.hbar
        coords = [_checks.uniform_axis("x", x, minimum=8)]
        if y is not None:
            coords.append(_checks.uniform_axis("y", y, minimum=8))
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
        self.psi0_description = _describe_state(psi0)

        psi = _initial_state(psi0, self.coords, self.hbar)
        # positions (d, M) and momenta hbar k (d, M) on the flattened grid (C order)
        mesh = np.meshgrid(*self.coords.values(), indexing="ij")
        self._positions = np.ascontiguousarray(np.stack([m.ravel() for m in mesh]))
        kaxes = [2.0 * math.pi * np.fft.fftfreq(n, d=self.spacing[d])
                 for d, n in zip(self.dims, self.shape)]
        kmesh = np.meshgrid(*kaxes, indexing="ij")
        self._momenta = np.ascontiguousarray(np.stack([self.hbar * k.ravel() for k in kmesh]))
        dkind, dprm, self._terms, self._pprm = hamiltonian.kernel_arguments()
        dprm = np.ascontiguousarray(dprm, dtype=np.float64)
        self._eps = evaluate.energy_array(dkind, dprm, self._momenta, np.empty(self.size))
        self._vel = evaluate.velocity_array(dkind, dprm, self._momenta,
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

    def norm(self):
        """int |psi|^2 d^dx x over the box (dimensionless)."""
        a = self._fft.x
        return float(np.vdot(a, a).real) * self.cell

    def __repr__(self):
        return (f"Solver(t={self.time:.6g}, step={self.step_count}, grid={self.shape}, "
                f"dt={self.dt:g}, fft={self.backend})")

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
        psi_units = "m^-1/2" if d == 1 else "1/m"
        dens_units = "1/m" if d == 1 else "1/m^2"
        cur_units = "1/s" if d == 1 else "1/(m s)"
        data = {
            "psi_real": (self.dims, psi.real.copy(),
                         {"units": psi_units, "long_name": "real part of the wave function"}),
            "psi_imag": (self.dims, psi.imag.copy(),
                         {"units": psi_units, "long_name": "imaginary part of the wave function"}),
            "density": (self.dims, dens, {"units": dens_units,
                                          "long_name": "probability density |psi|^2"}),
        }
        for c, name in enumerate(self.dims):
            suffix = "" if c == 0 else "_" + name
            j = (psi.conj() * vpsi[c]).real
            data["current" + suffix] = (
                self.dims, j,
                {"units": cur_units,
                 "long_name": f"probability current density ({name} component), "
                              f"Re(conj(psi) v(-i hbar grad) psi)"})
        data["norm"] = ((), self.norm(), {"units": "1", "long_name": "probability in the box, "
                                                                    "int |psi|^2"})
        data["energy"] = ((), energy, {"units": "J", "long_name": "<psi|H|psi> in the box"})
        data["momentum"] = (("component",), momentum,
                            {"units": "kg m/s", "long_name": "<psi|p|psi> in the box"})
        data["absorbed"] = (("side",), self._absorbed.copy(),
                            {"units": "1", "long_name": "probability absorbed at each wall since "
                                                        "t0 (cumulative)"})
        coords = {name: (name, self.coords[name].copy(),
                         {"units": "m", "long_name": f"position {name}"}) for name in self.dims}
        coords["component"] = ("component", [f"p{a}" for a in self.dims])
        coords["side"] = ("side", [f"{a}_{s}" for a in self.dims for s in ("lo", "hi")])
        frame = frame_at(t, data, coords)
        for name in ("psi_real", "psi_imag", "density", "norm"):
            if not np.all(np.isfinite(frame[name].values)):
                raise FloatingPointError(f"non-finite {name} at step {self.step_count} "
                                         f"(t = {t:g})")
        return frame

    def run(self, t_end, save_every, output=None, overwrite=False, progress=False):
        """Run to ``t_end``, recording a frame every ``save_every``.

        Parameters
        ----------
        t_end : float
            Final time [s]; ``t_end - t`` must be a whole number (>= 0) of save intervals.
        save_every : float
            Interval between frames [s], a whole number of time steps.
        output : str or path-like, optional
            netCDF file written frame by frame (CDF-5, as marker runs).
        overwrite : bool
            Replace an existing ``output``.
        progress : bool
            tqdm progress bar.

        Returns
        -------
        xarray.Dataset
            dims ``time``, ``x`` (``y``), ``component``, ``side``:

            ``psi_real``, ``psi_imag`` (time, x[, y])
                The wave function [m^-1/2 in 1D, 1/m in 2D].
            ``density`` (time, x[, y])
                |psi|^2 [1/m or 1/m^2].
            ``current`` (and ``current_y``) (time, x[, y])
                Probability current Re(conj(psi) v(p) psi) with v(p) = d eps / dp applied as an
                operator; (hbar / m) Im(conj(psi) dpsi/dx) for a parabolic band [1/s in 1D,
                1/(m s) in 2D].
            ``norm`` (time)
                int |psi|^2 in the box.
            ``energy`` (time)
                <psi|H|psi> [J].
            ``momentum`` (time, component)
                <psi|p|psi> [kg m/s].
            ``absorbed`` (time, side)
                Probability absorbed at each wall since t0 (sides x_lo, x_hi[, y_lo, y_hi]).
        """
        save_every = _checks.positive("save_every", save_every)
        per_save = _whole("save_every", save_every, self.dt, "dt")
        t_end = _checks.finite("t_end", t_end)
        remaining = _whole("t_end - t", t_end - self.time, per_save * self.dt, "save_every",
                           minimum=0)
        attrs = self._provenance(save_every)
        writer = None
        if output is not None:
            output = str(output)
            io.check_writable(output, overwrite=overwrite)
            writer = io.FrameWriter(output, attrs)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=remaining * per_save * self.dt, unit="s(sim)", disable=None,
                       desc="pmc.quantum")
        frames = []
        try:
            for k in range(remaining + 1):
                if k:
                    self.step(per_save)
                    if bar is not None:
                        bar.update(per_save * self.dt)
                frame = self.observe()
                if writer is not None:
                    writer.write(k, frame)
                frames.append(frame)
        finally:
            if writer is not None:
                writer.close()
            if bar is not None:
                bar.close()
        if output is not None:
            return io.open_dataset(output)
        ds = xr.concat(frames, dim="time", data_vars="all", coords="minimal", compat="override",
                       join="exact")
        ds.attrs = attrs
        return ds

    # ------------------------------------------------------------------ provenance
    def _provenance(self, save_every):
        case = {"hamiltonian": {"hbar": self.hbar},
                "dispersion": _model(self.hamiltonian.dispersion),
                "potential": potential_tables(self.hamiltonian.potential),
                "initial_state": self.psi0_description,
                "grid": {d: {"start": float(c[0]), "stop": float(c[-1]), "num": int(c.size)}
                         for d, c in self.coords.items()},
                "run": {"dt": self.dt, "t0": self.t0, "save_every": save_every}}
        if self.absorber is not None:
            case["absorber"] = {**_model(self.absorber), "strength_used": self.strength}
        return {"title": "pmc Schrödinger reference run (split-operator FFT)",
                "case": tomli_w.dumps(_toml_safe(case)),
                "seed": "none (deterministic)",
                "pmc_version": __version__,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "method": "split-operator Fourier, Strang splitting (kick/2, exact drift, kick/2)",
                "fft_backend": self.backend, "fft_planner": self.planner,
                "hbar": self.hbar, "dt": self.dt, "save_every": save_every,
                "Conventions": "CF-1.8"}


def solve(hamiltonian, psi0, *, x, t_end, save_every, y=None, dt=None, absorber=None, t0=0.0,
          output=None, overwrite=False, progress=False, threads=1, planner="measure",
          use_pyfftw=True):
    """Solve the time-dependent Schrödinger equation: :class:`Solver` and :meth:`Solver.run` in
    one call.

    Parameters
    ----------
    hamiltonian, psi0, x, y, absorber, t0, threads, planner, use_pyfftw
        As for :class:`Solver`.
    t_end : float
        Final time [s].
    save_every : float
        Interval between frames [s].
    dt : float, optional
        Time step [s]. Default: the largest save_every / n (n a whole number) not above
        0.1 hbar / E_ref, where E_ref is the larger of |<eps>| + 4 std(eps) and 4 std(U) in psi0:
        every phase the state's energy spread picks up in a step is then below ~0.1 rad.
    output, overwrite, progress
        As for :meth:`Solver.run`.

    Returns
    -------
    xarray.Dataset
        See :meth:`Solver.run`.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(), pmc.potentials.Harmonic(omega=1.0))
    >>> psi0 = pmc.states.GaussianWavepacket(x0=2.0, p0=0.0, sigma_x=0.5 ** 0.5)
    >>> q = pmc.quantum.solve(H, psi0, x=np.linspace(-10, 10, 256, endpoint=False),
    ...                       t_end=np.pi, save_every=np.pi, dt=np.pi / 200)
    >>> x_mean = float((q.density * q.x).sum("x")[-1] * 20 / 256)   # half a period: -x0
    >>> round(x_mean, 6)
    -2.0
    """
    save_every = _checks.positive("save_every", save_every)
    if dt is None:
        dt = default_dt(hamiltonian, psi0, x=x, y=y, save_every=save_every, t0=t0)
    solver = Solver(hamiltonian, psi0, x=x, y=y, dt=dt, absorber=absorber, t0=t0,
                    threads=threads, planner=planner, use_pyfftw=use_pyfftw)
    return solver.run(t_end, save_every, output=output, overwrite=overwrite, progress=progress)


def default_dt(hamiltonian, psi0, *, x, save_every, y=None, t0=0.0):
    """The default time step of :func:`solve` [s] (see there)."""
    if not isinstance(hamiltonian, Hamiltonian):
        raise ValueError(f"hamiltonian must be a pmc.Hamiltonian, got {hamiltonian!r}")
    coords = {"x": _checks.uniform_axis("x", x, minimum=8)[0]}
    if y is not None:
        coords["y"] = _checks.uniform_axis("y", y, minimum=8)[0]
    psi = _initial_state(psi0, coords, hamiltonian.hbar)
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
def _initial_state(psi0, coords, hbar):
    shape = tuple(c.size for c in coords.values())
    if hasattr(psi0, "psi") and callable(psi0.psi):
        if len(coords) != 1:
            raise ValueError(f"{type(psi0).__name__} is one-dimensional; give a function or an "
                             f"array for a two-dimensional grid")
        state_hbar = getattr(psi0, "hbar", hbar)
        if not np.isclose(state_hbar, hbar, rtol=1e-12):
            raise ValueError(f"psi0.hbar = {state_hbar!r} differs from the Hamiltonian's hbar = "
                             f"{hbar!r}")
        values = psi0.psi(coords["x"])
    elif callable(psi0):
        values = psi0(*np.meshgrid(*coords.values(), indexing="ij"))
    else:
        values = psi0
    values = np.asarray(values, dtype=np.complex128)
    if values.shape != shape:
        raise ValueError(f"psi0 must have the grid's shape {shape}, got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("psi0 must be finite everywhere")
    if not np.any(values != 0):
        raise ValueError("psi0 must not vanish everywhere")
    return values


def _describe_state(psi0):
    if hasattr(psi0, "parameters"):
        return _model(psi0)
    if callable(psi0):
        return {"model": "function", "name": getattr(psi0, "__name__", repr(psi0))}
    return {"model": "array", "shape": list(np.shape(psi0))}
