"""The solver protocol: the one run loop of every pmc solver.

Every solver -- markers (:class:`pmc.Simulation`), grid (:class:`pmc.gridsolver.Simulation`),
Schrödinger (:class:`pmc.quantum.Simulation`) and those to come -- is a :class:`FrameRun`. The
loop here records a frame every ``save_every``, writes it to netCDF as it comes
(:mod:`pmc.io`), checkpoints every ``checkpoint_every`` frames and at the end, resumes from the
checkpoint, stamps the provenance and shows a tqdm bar; a solver never writes its own loop.

One vocabulary for all solvers::

    Simulation(hamiltonian, initial, *, grid=..., dt=..., t0=..., ...)
    .run(t_end, save_every, output=None, progress=True, overwrite=False, resume=False,
         checkpoint_every=10)
    simulate(hamiltonian, initial, *, dt, t_end, save_every, grid=..., output=None, **options)

What a solver implements
------------------------
attributes
    ``dt`` (time step [s]), ``step_count`` (steps taken; set by :meth:`FrameRun.resume`),
    ``time`` (``t0 + step_count * dt``), ``case`` (a dict stored as TOML in the output's
    ``case`` attribute: the case file it was built from, or a description of its objects).
``step(n)``
    Advance ``n`` steps of ``dt``; returns self. The loop calls ``step(k)`` once per frame with
    the same ``k`` (steps per frame), so a resumed run repeats the calls of the uninterrupted
    one; ``step(a)`` then ``step(b)`` equals ``step(a + b)`` to round-off at least.
``observe()``
    The current state as a one-frame :class:`xarray.Dataset` (a leading ``time`` of length 1,
    see :func:`frame_at`).
``_state_arrays()`` / ``_restore_state(arrays)``
    The arrays that, with ``step_count``, determine the solver's future (the checkpoint), and
    their restoration: a resumed run must continue bitwise as the uninterrupted one.
``_fingerprint()``
    A string that differs between solvers that would not continue each other (model, dt, grid,
    walls, options, seed); resume refuses a checkpoint with another fingerprint.
``_provenance_extra()``
    Solver-specific global attributes (title, seed, method, ...).
optional
    ``progress_label``, ``_progress_size()``, ``_progress_postfix(...)`` (the bar's counters),
    ``_frame_recorded()`` (reset per-frame counters).

:class:`FrameRun` provides ``start``, ``run`` and ``resume`` over them.
"""
import datetime
import pathlib
import time as _time

import numpy as np
import tomli_w
import xarray as xr

from . import _checks, io, schema
from ._version import __version__

__all__ = ["FrameRun", "checkpoint_path", "whole", "describe_model", "potential_tables",
           "frame_at"]


class FrameRun:
    """Base class of every solver: :meth:`start`, :meth:`run` and :meth:`resume` over the
    solver's ``step``, ``observe`` and hooks (the protocol of the module docstring)."""

    #: Label of the progress bar.
    progress_label = "pmc"

    # ------------------------------------------------------------------ hooks
    def _state_arrays(self):
        """Arrays that, with the step counter, determine the solver's future (checkpointed)."""
        raise NotImplementedError

    def _restore_state(self, arrays):
        """Restore what :meth:`_state_arrays` returned."""
        raise NotImplementedError

    def _fingerprint(self):
        """A string that differs between solvers that would not continue each other."""
        raise NotImplementedError

    def _provenance_extra(self):
        """Solver-specific global attributes."""
        return {}

    def _progress_postfix(self, steps, seconds, before, after):
        return {}

    def _frame_recorded(self):
        """Called after each frame (e.g. to reset per-interval counters)."""

    # ------------------------------------------------------------------ running
    def start(self):
        """The frame at the current time: what :meth:`run` records first. Use with
        :meth:`step` and :meth:`observe` to drive a run by hand."""
        return self.observe()

    def run(self, t_end, save_every, output=None, progress=True, overwrite=False, resume=False,
            checkpoint_every=10, load=True):
        """Run to time ``t_end``, recording a frame every ``save_every``.

        Parameters
        ----------
        t_end : float
            Final time [s]; ``t_end - t`` must be a whole number of save intervals.
        save_every : float
            Interval between frames [s], a whole number of time steps.
        output : str or path-like, optional
            netCDF file written frame by frame (see :mod:`pmc.io`); its checkpoint is
            ``output + ".checkpoint.npz"``.
        progress : bool
            tqdm progress bar (shown only on a terminal).
        overwrite : bool
            Replace an existing output file.
        resume : bool
            Continue from the checkpoint of ``output`` (see :meth:`resume`).
        checkpoint_every : int
            Checkpoint after every this many frames (and at the end), >= 1.
        load : bool
            With ``output``: read the file back and return it (default), or return None (for
            a driver that only wants the file, such as :func:`pmc.ensemble`).

        Returns
        -------
        xarray.Dataset or None
            All frames of the run: the output file's content when ``output`` is given.
        """
        save_every = _checks.positive("save_every", save_every)
        checkpoint_every = _checks.count("checkpoint_every", checkpoint_every, minimum=1)
        per_save = whole("save_every", save_every, self.dt, "dt")
        if resume and output is None:
            raise ValueError("resume=True needs the output file to resume")
        frame_index = 0
        if output is not None:
            output = str(output)
            if resume:
                self.resume(output)
                if not np.isclose(self._saved_every, save_every, rtol=1e-12):
                    raise ValueError(f"save_every = {save_every:g} differs from the resumed "
                                     f"run's {self._saved_every:g}")
                frame_index = self._frame_index
            else:
                io.check_writable(output, overwrite=overwrite)
        t_end = _checks.finite("t_end", t_end)
        remaining = whole("t_end - t", t_end - self.time, per_save * self.dt, "save_every",
                          minimum=0)
        frames = []
        writer = None
        if output is not None:
            writer = io.FrameWriter(output, self._provenance(save_every),
                                    mode="a" if resume else "w")
        try:
            if not resume:
                frames.append(self._record(writer, frame_index))
                frame_index += 1
            bar = _progress(progress, t_end - self.time, self.progress_label)
            for k in range(remaining):
                before = self._progress_size()
                started = _time.perf_counter()
                self.step(per_save)
                seconds = max(_time.perf_counter() - started, 1e-9)
                frames.append(self._record(writer, frame_index))
                frame_index += 1
                if output is not None and (frame_index % checkpoint_every == 0
                                           or k == remaining - 1):
                    self._checkpoint(output, frame_index, save_every)
                if bar is not None:
                    bar.set_postfix(self._progress_postfix(per_save, seconds, before,
                                                           self._progress_size()))
                    bar.update(per_save * self.dt)
            if bar is not None:
                bar.close()
            if output is not None and remaining == 0:
                self._checkpoint(output, frame_index, save_every)
        finally:
            if writer is not None:
                writer.close()
        if output is not None:
            return io.open_dataset(output) if load else None
        ds = xr.concat(frames, dim="time", data_vars="all", coords="minimal",
                       compat="override", join="exact")
        ds.attrs = self._provenance(save_every)
        return ds

    def _progress_size(self):
        return 0

    def _record(self, writer, index):
        frame = self.observe()
        self._frame_recorded()
        if writer is not None:
            writer.write(index, frame)
        return frame

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint(self, output, frame_index, save_every):
        meta = {"step_count": self.step_count, "frame_index": frame_index,
                "save_every": save_every, "fingerprint": self._fingerprint(),
                "pmc_version": __version__}
        io.save_checkpoint(checkpoint_path(output), self._state_arrays(), meta)

    def resume(self, output):
        """Restore the state saved in the checkpoint of ``output``. The solver must have been
        built the same way (model, time step, walls, grid, collisions, seed): this is checked.
        Returns self."""
        path = checkpoint_path(output)
        if not pathlib.Path(path).exists():
            raise FileNotFoundError(f"no checkpoint {path!r} to resume from")
        arrays, meta = io.load_checkpoint(path)
        if meta["fingerprint"] != self._fingerprint():
            raise ValueError("the checkpoint was written by a different simulation (model, dt, "
                             "boundary, grid, collisions, seed or options differ); refusing "
                             "to resume")
        self._restore_state(arrays)
        self.step_count = int(meta["step_count"])
        self._frame_index = int(meta["frame_index"])
        self._saved_every = float(meta["save_every"])
        return self

    # ------------------------------------------------------------------ provenance
    def _provenance(self, save_every):
        return {"title": "pmc run",
                "case": tomli_w.dumps(_toml_safe(self.case)),
                "pmc_version": __version__,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "dt": self.dt, "save_every": save_every,
                **self._provenance_extra(),
                "Conventions": schema.CONVENTIONS}


#: Attributes of the time coordinate of every output (SI).
TIME_ATTRS = schema.attrs("time")


def frame_at(t, data, coords, system="si"):
    """A one-frame :class:`xarray.Dataset` at time ``t`` [s]: every data variable gets a leading
    ``time`` dimension of length 1 (what ``expand_dims("time")`` gives), built in one
    construction, with no merge or alignment (those cost more than the binning).

    ``data``: name -> :class:`xarray.Variable` or (dims, values, attrs); ``coords`` as for
    :class:`xarray.Dataset`, none of them over ``time``; ``system``: the unit system of the
    time coordinate (see :func:`pmc.schema.units`)."""
    variables = {}
    for name, v in data.items():
        v = v if isinstance(v, xr.Variable) else xr.Variable(*v)
        variables[name] = xr.Variable(("time", *v.dims), np.asarray(v.values)[np.newaxis],
                                      v.attrs)
    time = schema.coordinate("time", [t], system)
    return xr.Dataset(variables, coords={**coords, "time": time})


checkpoint_path = io.checkpoint_path


def whole(name, value, unit, unit_name, minimum=1):
    """``value / unit`` as an integer >= minimum, or a ValueError naming ``name``."""
    k = round(value / unit)
    if k < minimum or abs(k * unit - value) > 1e-9 * max(abs(value), abs(unit)):
        raise ValueError(f"{name} = {value:g} must be a whole number (>= {minimum}) of "
                         f"{unit_name} = {unit:g}")
    return int(k)


def _progress(enabled, total, label):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=0.0, unit="s(sim)", disable=None, dynamic_ncols=True,
                desc=label)


def describe_model(obj):
    """A model as a case-file table: {"model": class name, **parameters} (nested models too)."""
    if obj is None:
        return {"model": "None"}
    out = {"model": type(obj).__name__}
    for k, v in obj.parameters().items():
        if hasattr(v, "parameters"):
            v = describe_model(v)
        elif isinstance(v, (tuple, list)) and v and hasattr(v[0], "parameters"):
            v = [describe_model(e) for e in v]
        out[k] = v
    return out


def potential_tables(potential):
    """The potential as case-file tables: one per term, each with its optional modulation."""
    parts = potential.parts if hasattr(potential, "parts") else (potential,)
    tables = []
    for part in parts:
        if hasattr(part, "modulation") and hasattr(part, "base"):
            tables.append({**describe_model(part.base),
                           "modulation": describe_model(part.modulation)})
        else:
            tables.append(describe_model(part))
    return tables


def _toml_safe(value):
    if isinstance(value, dict):
        return {str(k): _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_toml_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _toml_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None:
        return "None"
    if not isinstance(value, (str, int, float, bool, datetime.datetime)):
        return repr(value)
    return value
