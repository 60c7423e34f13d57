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
``_observe_record()`` (optional)
    The same frame as a :class:`FrameRecord`, not yet a Dataset: :meth:`FrameRun.run` keeps
    the records and builds one Dataset of them at the end (:func:`stack_frames`).
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
import contextlib
import datetime
import hashlib
import os
import sys
import time as _time

import numpy as np
import tomli_w
import xarray as xr

from . import _checks, _resources, io, schema
from ._version import __version__

__all__ = ["FrameRun", "FrameRecord", "checkpoint_path", "whole", "describe_model",
           "potential_tables", "frame_at", "frame_record", "stack_frames"]


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

    def _step_to_frame(self, n):
        """:meth:`step` (n) when a frame is recorded right after it (a solver may compute part
        of the frame during the steps)."""
        self.step(n)

    def _first_frame_later(self, n):
        """Whether :meth:`run` (without an output) may record a stand-in for its first frame,
        with the same variables and shapes, and build the first frame after the first ``n``
        steps (:meth:`_first_frame_again`), which compute what it needs of the state before
        them in their own pass over it."""
        return False

    def _first_frame_again(self, n):
        """The first frame of a run (as :meth:`_observe_record` gives it), after the ``n``
        steps that :meth:`_first_frame_later` allowed."""
        raise NotImplementedError

    def _observe_record(self):
        """:meth:`observe`'s frame, as a :class:`FrameRecord` where the solver can make one
        without building the Dataset (else the Dataset)."""
        return self.observe()

    # ------------------------------------------------------------------ running
    def start(self):
        """The frame at the current time: what :meth:`run` records first. Use with
        :meth:`step` and :meth:`observe` to drive a run by hand."""
        return self.observe()

    def run(self, t_end, save_every, output=None, progress=True, overwrite=False, resume=False,
            checkpoint_every=10, load=True, check_resources=True):
        """Run to time ``t_end``, recording a frame every ``save_every``.

        Parameters
        ----------
        t_end : float
            Final time [s]; ``t_end - t`` must be a whole number of save intervals.
        save_every : float
            Interval between frames [s], a whole number of time steps.
        output : str or path-like, optional
            netCDF file written frame by frame (see :mod:`pmc.io`); its checkpoint is
            ``output + ".checkpoint.npz"``, written with the first frame, every
            ``checkpoint_every`` frames and at the end. The output is locked for the run
            (:class:`pmc.io.OutputLock`): a second run to it is refused.
        progress : bool
            tqdm progress bar (shown only on a terminal).
        overwrite : bool
            Replace an existing output file (never one that another run is writing).
        resume : bool
            Continue from the checkpoint of ``output`` (see :meth:`resume`).
        checkpoint_every : int
            Checkpoint after every this many frames (and at the end), >= 1.
        load : bool
            With ``output``: read the file back and return it (default), or return None (for
            a driver that only wants the file, such as :func:`pmc.ensemble`).
        check_resources : bool
            Refuse to start when the frames would not fit in the free disk (with ``output``)
            or the available memory (:mod:`pmc._resources`); default True.

        Returns
        -------
        xarray.Dataset or None
            All frames of the run: the output file's content when ``output`` is given.

        Raises
        ------
        pmc.io.OutputLockedError
            If another run is writing ``output`` (the message names its pid).
        pmc.io.DamagedFileError
            On resume, if the output or its checkpoint is damaged or they do not belong together.
        pmc.io.WriteError
            If writing a frame fails (a full disk): the checkpoint then holds the run at the
            last frame computed, and ``resume=True`` continues it.
        pmc._resources.ResourceError
            If the frames would not fit (see ``check_resources``).
        """
        save_every = _checks.positive("save_every", save_every)
        checkpoint_every = _checks.count("checkpoint_every", checkpoint_every, minimum=1)
        per_save = whole("save_every", save_every, self.dt, "dt")
        if resume and output is None:
            raise ValueError("resume=True needs the output file to resume")
        t_end = _checks.finite("t_end", t_end)
        if output is None:
            return self._run(t_end, save_every, per_save, None, progress, False, 1,
                             check_resources)
        output = str(output)
        io.check_writable(output, overwrite=True)  # the directory, before the lock beside it
        with io.OutputLock(output):
            if resume:
                self.resume(output)
                if not np.isclose(self._saved_every, save_every, rtol=1e-12):
                    raise ValueError(f"save_every = {save_every:g} differs from the resumed "
                                     f"run's {self._saved_every:g}")
            else:
                io.check_writable(output, overwrite=overwrite)
            self._run(t_end, save_every, per_save, output, progress, resume, checkpoint_every,
                      check_resources)
        return io.open_dataset(output) if load else None

    def _run(self, t_end, save_every, per_save, output, progress, resume, checkpoint_every,
             check_resources):
        """The loop of :meth:`run` (with ``output``: under its lock)."""
        remaining = whole("t_end - t", t_end - self.time, per_save * self.dt, "save_every",
                          minimum=0)
        frame_index = self._frame_index if resume else 0
        record_first = not resume or self._pending
        if not resume and output is not None:  # what a resume checks it starts from
            self._initial_hash = (_state_hash(self._state_arrays()) if self.step_count == 0
                                  else "")
        later = (record_first and output is None and remaining > 0
                 and self._first_frame_later(per_save))
        first = self._observe_record() if record_first else None
        frames = []
        writer = None
        if output is not None:
            writer = io.FrameWriter(output, self._provenance(save_every),
                                    mode="a" if resume else "w")
        try:
            per_frame = (writer.record_bytes() if first is None else _frame_bytes(first))
            self._check_resources(per_frame, remaining + record_first, output,
                                  check_resources)
            if record_first:
                frames.append(self._record(writer, frame_index, first))
                frame_index += 1
                if output is not None:  # with the first frame: a run killed at once resumes
                    self._checkpoint_or_fail(output, writer, frame_index, save_every)
            bar = _progress(progress, t_end - self.time, self.progress_label)
            for k in range(remaining):
                before = self._progress_size()
                started = _time.perf_counter()
                self._step_to_frame(per_save)
                if later and k == 0:
                    frames[0] = self._first_frame_again(per_save)
                seconds = max(_time.perf_counter() - started, 1e-9)
                frames.append(self._record(writer, frame_index))
                frame_index += 1
                if output is not None and (frame_index % checkpoint_every == 0
                                           or k == remaining - 1):
                    self._checkpoint_or_fail(output, writer, frame_index, save_every)
                if bar is not None:
                    bar.set_postfix(self._progress_postfix(per_save, seconds, before,
                                                           self._progress_size()))
                    bar.update(per_save * self.dt)
            if bar is not None:
                bar.close()
            if output is not None and remaining == 0 and not record_first:
                self._checkpoint_or_fail(output, writer, frame_index, save_every)
            if writer is not None:
                try:
                    writer.close()
                except (OSError, RuntimeError) as exc:
                    raise io.WriteError(f"closing {output!r} failed ({exc}): its last frames "
                                        f"may not be on disk; check it with pmc info and "
                                        f"continue with resume=True (pmc run --resume)") \
                        from exc
        except _WriteFailed as failure:
            raise self._write_failed(output, writer, failure, save_every) from failure.error
        finally:
            if writer is not None:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.close()
        if output is not None:
            return None
        ds = stack_frames(frames)
        ds.attrs = self._provenance(save_every)
        return ds

    def _progress_size(self):
        return 0

    def _record(self, writer, index, frame=None):
        frame = self._observe_record() if frame is None else frame
        self._frame_recorded()
        if writer is not None:
            try:
                writer.write(index, as_dataset(frame))
            except (OSError, RuntimeError) as exc:
                raise _WriteFailed(index, exc) from exc
        return frame if writer is None else None

    def _check_resources(self, per_frame, frames, output, check):
        """Refuse before the loop when ``frames`` frames of ``per_frame`` bytes would not fit:
        on disk (with an output, which is also read back at the end) and in memory."""
        total = per_frame * frames
        what = f"{frames} frames of {_resources.describe(per_frame)}"
        how = "save fewer frames (a larger save_every), fewer observables or a coarser grid"
        if output is not None:
            _resources.check_disk(output, total, f"writing {what}", how, check=check)
        _resources.check_memory(total if output is not None else 2 * total,
                                f"keeping {what} in memory", how, check=check)

    def _checkpoint_or_fail(self, output, writer, frame_index, save_every):
        try:
            self._checkpoint(output, writer, frame_index, save_every)
        except (OSError, RuntimeError) as exc:
            raise _WriteFailed(frame_index, exc, checkpoint=True) from exc

    def _write_failed(self, output, writer, failure, save_every):
        """After a failed write of frame k: checkpoint the state (which is at frame k: it is
        recorded first on resume), close the file, and say how far the run got. After a failed
        checkpoint (frames 0..k-1 written): the previous checkpoint stands."""
        k = failure.index
        if failure.checkpoint:
            last = getattr(self, "_checkpointed", None)
            kept = ("no checkpoint could be written" if last is None else
                    f"the previous checkpoint (after frame {last - 1}) stands")
            return io.WriteError(f"writing the checkpoint of {output!r} after frame {k - 1} "
                                 f"failed ({failure.error}); frames 0..{k - 1} are complete and "
                                 f"{kept}: free some space and continue with resume=True (pmc "
                                 f"run --resume)")
        if k == 0:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(output)
            return io.WriteError(f"cannot write the first frame of {output!r}: "
                                 f"{failure.error}; nothing was written")
        saved = f"the checkpoint holds the run at t = {self.time:g}, frame {k}"
        try:
            self._checkpoint(output, writer, k, save_every, pending=True)
        except (OSError, RuntimeError) as exc:
            last = getattr(self, "_checkpointed", 1)
            saved = (f"the checkpoint could not be updated ({exc}): the previous one, after "
                     f"frame {last - 1}, stands")
        return io.WriteError(f"writing frame {k} of {output!r} failed ({failure.error}); "
                             f"frames 0..{k - 1} are complete and {saved}: free some space and "
                             f"continue with resume=True (pmc run --resume)")

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint(self, output, writer, frame_index, save_every, pending=False):
        meta = {"step_count": self.step_count, "frame_index": frame_index,
                "save_every": save_every, "fingerprint": self._fingerprint(),
                "pmc_version": __version__, "case": _case_text(self.case),
                "frames_hash": writer.records_hash(frame_index),
                "initial_hash": getattr(self, "_initial_hash", ""),
                "pending": int(pending)}
        io.save_checkpoint(checkpoint_path(output), self._state_arrays(), meta)
        self._checkpointed = frame_index

    def resume(self, output):
        """Restore the state saved in the checkpoint of ``output``. The solver must have been
        built the same way: the case (every key but ``[run] t_end`` and ``[output]``), the
        model, time step, walls, grid, collisions, seed and the initial state are checked, and
        the checkpoint must belong to the output (a hash of its frames). Returns self.

        Raises
        ------
        FileNotFoundError
            Without a checkpoint, or with a checkpoint but no output.
        pmc.io.DamagedFileError
            If the output or the checkpoint is damaged, or they do not belong together.
        ValueError
            If the solver differs from the checkpointed one (naming the case keys that differ).
        """
        output = str(output)
        path = checkpoint_path(output)
        if not os.path.exists(path):
            if not os.path.exists(output):
                raise FileNotFoundError(f"nothing to resume: neither {output!r} nor its "
                                        f"checkpoint {path!r} exists")
            raise FileNotFoundError(f"no checkpoint {path!r} to resume from")
        if not os.path.exists(output):
            raise FileNotFoundError(f"cannot resume: the output {output!r} is missing but its "
                                    f"checkpoint {path!r} is there (the frames before it are "
                                    f"lost); remove the checkpoint and run again without "
                                    f"resume")
        arrays, meta = io.load_checkpoint(path)
        needed = ("step_count", "frame_index", "save_every", "fingerprint", "case",
                  "frames_hash")
        missing = [k for k in needed if k not in meta]
        if missing:
            raise io.DamagedFileError(f"checkpoint {path!r} lacks {missing} (not a pmc "
                                      f"checkpoint, or one from an older pmc): cannot check "
                                      f"that it belongs to {output!r}")
        differ = _case_difference(meta["case"], self.case)
        if differ:
            raise ValueError(f"the checkpoint was written by a different simulation: the case "
                             f"differs in {differ}; refusing to resume (run it to another "
                             f"output, or start again with overwrite)")
        if meta["fingerprint"] != self._fingerprint():
            raise ValueError("the checkpoint was written by a different simulation (model, dt, "
                             "boundary, grid, collisions, seed or options differ); refusing "
                             "to resume")
        initial = meta.get("initial_hash", "")
        if initial and self.step_count == 0 and _state_hash(self._state_arrays()) != initial:
            raise ValueError("the checkpoint was written by a different simulation: its "
                             "initial state (markers, distribution function or wave "
                             "function) differs from this one's; refusing to resume")
        frames = int(meta["frame_index"])
        records, digest = io.check_records(output, frames)
        if records < frames:
            raise io.DamagedFileError(f"{output!r} holds {records} frames but its checkpoint "
                                      f"{path!r} says {frames} were written: frames are lost; "
                                      f"refusing to resume")
        if digest != meta["frames_hash"]:
            raise io.DamagedFileError(f"the checkpoint {path!r} does not belong to {output!r}: "
                                      f"the first {frames} frames of the file are not those "
                                      f"it was written after (the file was replaced or "
                                      f"rewritten); refusing to resume")
        self._restore_state(arrays)
        self.step_count = int(meta["step_count"])
        self._frame_index = frames
        self._saved_every = float(meta["save_every"])
        self._pending = bool(meta.get("pending", 0))
        self._initial_hash = initial
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
    return frame_record(t, data, coords, system).dataset()


class FrameRecord:
    """A frame of :func:`frame_at` before its Dataset is built (the Dataset's indexes cost more
    than the marker sums of 10^6 markers): ``data`` and ``coords``, name -> (dims, values,
    attrs), the data with the leading ``time`` axis of length 1 and the time coordinate among
    the coordinates. :func:`stack_frames` builds one Dataset of many."""

    __slots__ = ("data", "coords")

    def __init__(self, data, coords):
        self.data, self.coords = data, coords

    def nbytes(self):
        """Bytes of the variables over ``time`` (what a frame adds to a run's output)."""
        return sum(v[1].nbytes for v in (*self.data.values(), *self.coords.values())
                   if "time" in v[0])

    def dataset(self):
        """The one-frame :class:`xarray.Dataset`."""
        return xr.Dataset(self.data, coords=self.coords)


def frame_record(t, data, coords, system="si"):
    """:func:`frame_at`'s frame as a :class:`FrameRecord` (no Dataset built)."""
    variables = {}
    for name, v in data.items():
        dims, values, attrs = _triple(v)
        variables[name] = (("time", *dims), np.asarray(values)[np.newaxis], attrs)
    axes = {name: _triple(c) for name, c in coords.items()}
    axes["time"] = schema.spec("time", np.asarray([t]), ("time",), system)
    return FrameRecord(variables, axes)


def _triple(v):
    """(dims, values, attrs) of a Variable, a DataArray or a (dims, values[, attrs]) tuple."""
    if isinstance(v, tuple) and len(v) in (2, 3):
        dims = (v[0],) if isinstance(v[0], str) else tuple(v[0])
        return dims, np.asarray(v[1]), v[2] if len(v) == 3 else {}
    if not isinstance(v, (xr.Variable, xr.DataArray)):
        v = xr.Variable(*v)
    return v.dims, v.values, v.attrs


def _frame_bytes(frame):
    """Bytes a frame (:class:`FrameRecord` or Dataset) adds to a run's output."""
    if isinstance(frame, FrameRecord):
        return frame.nbytes()
    return sum(v.nbytes for v in frame.variables.values() if "time" in v.dims)


def as_dataset(frame):
    """A frame (:class:`FrameRecord` or one-frame Dataset) as a Dataset."""
    return frame.dataset() if isinstance(frame, FrameRecord) else frame


def stack_frames(frames):
    """One Dataset of the frames (:class:`FrameRecord` or one-frame Datasets) along ``time``:
    ``xr.concat(frames, dim="time", data_vars="all", coords="minimal", compat="override",
    join="exact")``, built in one construction (each variable's values concatenated) where the
    frames have the same variables, dtypes, shapes beyond time and dimension coordinates; else
    by xr.concat itself (which then aligns, promotes or refuses as it does)."""
    records = [_as_record(f) for f in frames]
    first = records[0]
    if not all(_stackable(first, r) for r in records[1:]):
        return xr.concat([as_dataset(f) for f in frames], dim="time", data_vars="all",
                         coords="minimal", compat="override", join="exact")

    def stacked(group):
        out = {}
        for name, (dims, values, attrs) in getattr(first, group).items():
            if "time" in dims:
                values = np.concatenate([getattr(r, group)[name][1] for r in records], axis=0)
            out[name] = (dims, values, attrs)
        return out

    return xr.Dataset(stacked("data"), coords=stacked("coords"))


def _as_record(frame):
    """A frame (:class:`FrameRecord` or one-frame Dataset) as a :class:`FrameRecord`."""
    if isinstance(frame, FrameRecord):
        return frame
    return FrameRecord({k: _triple(frame.variables[k]) for k in frame.data_vars},
                       {k: _triple(v) for k, v in frame.coords.variables.items()})


def _stackable(a, b):
    """Whether the frames ``a`` and ``b`` have the same variables (in dims, dtype and shape
    beyond time) and equal dimension coordinates (what ``join="exact"`` asks)."""
    if a.data.keys() != b.data.keys() or a.coords.keys() != b.coords.keys():
        return False
    for group in ("data", "coords"):
        for name, (dims, u, _) in getattr(a, group).items():
            v_dims, v, _ = getattr(b, group)[name]
            if dims != v_dims or u.dtype != v.dtype:
                return False
            if "time" in dims:
                if dims[0] != "time" or u.shape[1:] != v.shape[1:]:
                    return False
            elif u.shape != v.shape or (dims == (name,) and u is not v
                                        and not np.array_equal(u, v)):
                return False
    return True


checkpoint_path = io.checkpoint_path


class _WriteFailed(Exception):
    """Writing frame ``index`` failed with ``error`` (handled by :meth:`FrameRun._run`)."""

    def __init__(self, index, error, checkpoint=False):
        super().__init__(index, error)
        self.index, self.error, self.checkpoint = index, error, checkpoint


#: Case keys that do not change a run's frames: a resume may differ in them.
_RESUMABLE = (("run", "t_end"), ("output",))


def _case_text(case):
    """The case as compared on resume: TOML, without the keys of ``_RESUMABLE``."""
    case = _toml_safe(dict(case))
    case.pop("__dir__", None)
    for key in _RESUMABLE:
        table = case
        for part in key[:-1]:
            table = table.get(part) if isinstance(table, dict) else None
        if isinstance(table, dict):
            table.pop(key[-1], None)
    return tomli_w.dumps(case)


def _case_difference(saved_text, case):
    """'distribution.n (3000, was 2000), ...' for the keys in which ``case`` differs from
    the checkpoint's, or '' if none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        saved = tomllib.loads(saved_text)
    except tomllib.TOMLDecodeError:
        return "(the checkpoint's case cannot be read)"
    now = tomllib.loads(_case_text(case))
    a, b = _flatten(saved), _flatten(now)
    keys = sorted(set(a) | set(b))
    parts = [f"{k} ({b.get(k, 'absent')!r}, was {a.get(k, 'absent')!r})"
             for k in keys if a.get(k, _MISSING) != b.get(k, _MISSING)]
    return ", ".join(parts)


_MISSING = object()


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: value}


def _state_hash(arrays):
    """A hash of a solver's state arrays (what :meth:`FrameRun._state_arrays` returns)."""
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.view(np.uint8).reshape(-1) if a.size else b"")
    return h.hexdigest()


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
