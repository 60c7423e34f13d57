"""netCDF output written frame by frame, and checkpoints.

Files are netCDF "CDF-5" (``NETCDF3_64BIT_DATA``): the classic format with 64-bit sizes and
integers. It is chosen over HDF5-based netCDF-4 because a classic file grows by appending records
along the unlimited ``time`` dimension and the record count in the header is updated only after a
record is written and synced: a run killed at any moment leaves a file that opens and holds every
completed frame, which HDF5 does not promise. xarray and every netCDF tool read it.

Checkpoints are ``.npz`` files (no pickle) written through :func:`atomic_path` (a unique temporary
name, fsync, rename), so a checkpoint on disk is always complete.

Nothing is read on trust: :func:`open_dataset` (and so ``pmc info``, ``pmc plot``, the ensemble
merge and ``--resume``) first checks the file with :func:`check_file` -- the netCDF's size against
what its header needs (a truncated classic file otherwise reads as zeros), the time coordinate
finite and increasing, no fill values in the record variables, and no fewer records than the
checkpoint beside it says were written -- and raises :class:`DamagedFileError` saying in one line
what is wrong. One run writes an output at a time: :class:`OutputLock`.
"""
import contextlib
import errno
import hashlib
import os
import pathlib
import struct
import time
import uuid
import zipfile

import netCDF4
import numpy as np
import xarray as xr

from ._resources import ResourceError
from ._resources import unchecked as without_resource_checks

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no lock)
    fcntl = None

__all__ = ["FrameWriter", "open_dataset", "save_checkpoint", "load_checkpoint",
           "check_writable", "checkpoint_path", "atomic_path", "encoding", "check_file",
           "check_container", "check_records", "records_hash", "OutputLock", "DamagedFileError", "OutputLockedError", "WriteError",
           "ResourceError", "without_resource_checks"]

FORMAT = "NETCDF3_64BIT_DATA"


class DamagedFileError(ValueError):
    """A pmc file (an output or a checkpoint) is damaged, incomplete, or does not belong to the
    run that reads it; the message names the file and what is wrong."""


class OutputLockedError(RuntimeError):
    """Another run holds the output's lock; the message names its pid."""


class WriteError(OSError):
    """Writing an output failed (a full disk, a lost device): the message says how far the run
    got and how to resume."""


def open_dataset(path, check=True, **kwargs):
    """Open a pmc output file as an :class:`xarray.Dataset` (loaded into memory, file closed).

    Parameters
    ----------
    path : str or path-like
        A netCDF file written by pmc.
    check : bool
        Check the file first (:func:`check_file`); default True.

    Raises
    ------
    DamagedFileError
        If the file is not a netCDF file, is truncated, or holds incomplete frames.
    FileNotFoundError
        If there is no such file.
    """
    path = str(path)
    if check:
        _check_container(path)
    try:
        with xr.open_dataset(path, **kwargs) as ds:
            ds = ds.load()
    except (OSError, ValueError, KeyError, IndexError, RuntimeError) as exc:
        raise DamagedFileError(f"{path!r} cannot be read as netCDF: "
                               f"{_one_line(exc)}") from None
    if check:
        _check_records(path, ds)
    return ds


def check_file(path):
    """Check a pmc output file without keeping it: see :func:`open_dataset`. Returns the
    number of complete frames (records)."""
    ds = open_dataset(path)
    return int(ds.sizes.get("time", 0))


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def check_container(path):
    """Raise :class:`DamagedFileError` unless ``path`` is a netCDF file as long as its header
    says (classic format; a netCDF-4 file is recognised by its signature only). The cheap part
    of :func:`open_dataset`'s check, for a file read lazily."""
    _check_container(str(path))


def _check_container(path):
    """The file exists, is a netCDF file, and (classic format) is as long as its header says."""
    p = pathlib.Path(path)
    if p.is_dir():
        raise DamagedFileError(f"{path!r} is a directory, not a pmc output file")
    if not p.exists():
        raise FileNotFoundError(f"no file {path!r}")
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DamagedFileError(f"{path!r} cannot be read: {_one_line(exc)}") from None
    if head[:3] == b"CDF" and head[3:4] in (b"\x01", b"\x02", b"\x05"):
        need, records = _classic_size(p)
        size = p.stat().st_size
        if size < need:
            raise DamagedFileError(f"{path!r} is truncated: {size} bytes of the {need} its "
                                   f"header needs for {records} frames")
        return
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return
    if not head:
        raise DamagedFileError(f"{path!r} is empty, not a netCDF file")
    raise DamagedFileError(f"{path!r} is not a netCDF file (it starts with {head[:8]!r})")


# netCDF classic header (CDF-1, -2, -5): https://docs.unidata.ucar.edu/netcdf-c/current/file_format_specifications.html
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}


def _classic_size(path):
    """(bytes the header of a classic netCDF file needs, its record count)."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
        version = data[3]
        big = version == 5
        pos = 4
        if len(data) >= (1 << 20):  # a header longer than 1 MiB: read on as needed
            data += fh.read()

    def count():
        nonlocal pos
        fmt, n = (">Q", 8) if big else (">I", 4)
        if pos + n > len(data):
            raise DamagedFileError(f"{str(path)!r} is truncated inside its header")
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += n
        return value

    def name():
        nonlocal pos
        n = count()
        pos += (n + 3) // 4 * 4

    def tag():
        nonlocal pos
        pos += 4  # NC_DIMENSION, NC_ATTRIBUTE, NC_VARIABLE or ZERO: 32 bits in every version

    def attributes():
        nonlocal pos
        tag()
        for _ in range(count()):
            name()
            kind = struct.unpack_from(">I", data, pos)[0]
            pos += 4
            n = count()
            pos += (n * _TYPE_SIZE.get(kind, 1) + 3) // 4 * 4

    records = count()
    if records in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):  # streaming: no count to check
        return 0, 0
    tag()
    dims = []
    for _ in range(count()):
        name()
        dims.append(count())
    attributes()
    tag()
    need, record_vars, record_size = 0, [], 0
    for _ in range(count()):
        name()
        ids = [count() for _ in range(count())]
        attributes()
        kind = struct.unpack_from(">I", data, pos)[0]
        pos += 4
        vsize = count()
        fmt, n = (">Q", 8) if version in (2, 5) else (">I", 4)
        begin = struct.unpack_from(fmt, data, pos)[0]
        pos += n
        shape = [dims[i] for i in ids]
        item = _TYPE_SIZE.get(kind, 1)
        if ids and shape[0] == 0:  # the record dimension
            bytes_ = item * int(np.prod(shape[1:], dtype=np.int64))
            record_vars.append((begin, bytes_))
            record_size += vsize
        else:
            need = max(need, begin + item * int(np.prod(shape, dtype=np.int64)))
    if len(record_vars) == 1:
        record_size = record_vars[0][1]  # one record variable: records are not padded
    if records:
        for begin, bytes_ in record_vars:
            need = max(need, begin + (records - 1) * record_size + bytes_)
    if pos > len(data):
        raise DamagedFileError(f"{str(path)!r} is truncated inside its header")
    return max(need, pos), records


def _check_records(path, ds, checkpoint=True):
    """Times finite and increasing, no fill values in record variables, records >= the
    checkpoint's frame count."""
    if "time" not in ds.variables or "time" not in ds.sizes:
        return
    t = np.asarray(ds["time"].values)
    if t.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise DamagedFileError(f"{path!r} is damaged: time[{bad[0]}] = {t[bad[0]]} is not "
                                   f"finite")
    if t.dtype.kind in "fiu" and t.size > 1:
        bad = np.flatnonzero(np.diff(t) <= 0)
        if bad.size:
            k = int(bad[0]) + 1
            raise DamagedFileError(f"{path!r} is damaged: time[{k}] = {t[k]:g} does not come "
                                   f"after time[{k - 1}] = {t[k - 1]:g} (frames missing or "
                                   f"overwritten)")
    for name, var in ds.variables.items():
        if "time" not in var.dims or var.dtype.kind not in "fiu":
            continue
        fill = netCDF4.default_fillvals.get(var.dtype.str[1:])
        if fill is None:
            continue
        values = np.asarray(var.values)
        hit = values == np.asarray(fill, dtype=values.dtype)
        if hit.any():
            axis = var.dims.index("time")
            k = int(np.flatnonzero(np.moveaxis(hit, axis, 0).reshape(hit.shape[axis], -1)
                                   .any(axis=1))[0])
            raise DamagedFileError(f"{path!r} is damaged: variable {name!r} holds fill values "
                                   f"(never written) at frame {k} of {t.size}")
    ckpt = checkpoint_path(path)
    if checkpoint and os.path.exists(ckpt):
        try:
            meta = load_checkpoint(ckpt)[1]
        except DamagedFileError:
            return  # checked when it is resumed from
        frames = meta.get("frame_index")
        if isinstance(frames, int) and frames > t.size:
            raise DamagedFileError(f"{path!r} holds {t.size} frames but its checkpoint "
                                   f"{ckpt!r} says {frames} were written: frames are missing")


def _series_names(nc):
    """The small record variables of an open :class:`netCDF4.Dataset`: the time coordinate and
    the scalar series (at most 64 values a frame), whose hash ties a checkpoint to its file."""
    names = []
    for name in sorted(nc.variables):
        v = nc.variables[name]
        if (v.dimensions and v.dimensions[0] == "time" and v.dtype.kind in "fiub"
                and int(np.prod(v.shape[1:], dtype=np.int64)) <= 64):
            names.append(name)
    return names


def read_series(nc):
    """{name: the values of every record} of :func:`_series_names` (raw, no masking)."""
    out = {}
    for name in _series_names(nc):
        v = nc.variables[name]
        v.set_auto_maskandscale(False)
        out[name] = np.array(v[:])
    return out


def records_hash(series, records):
    """A hash of the first ``records`` records of ``series`` ({name: array over time}, as
    :func:`read_series` gives), or None if a series holds fewer."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(int(records)).encode())
    for name in sorted(series):
        values = np.asarray(series[name])[:records]
        if values.shape[:1] != (records,):
            return None
        h.update(name.encode())
        h.update(np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def check_records(path, frames=None):
    """The light check of an output that a run resumes: the container (:func:`_check_container`)
    and the time coordinate and scalar series of every record (finite, increasing, no fill
    values), without reading the large variables. Returns (records, hash of the first
    ``frames`` records or None)."""
    path = str(path)
    _check_container(path)
    try:
        with netCDF4.Dataset(path, "r") as nc:
            series = read_series(nc)
            records = len(nc.dimensions["time"]) if "time" in nc.dimensions else 0
    except (OSError, RuntimeError, KeyError, ValueError, IndexError) as exc:
        raise DamagedFileError(f"{path!r} cannot be read as netCDF: {_one_line(exc)}") \
            from None
    if "time" not in series:
        raise DamagedFileError(f"{path!r} has no time coordinate: not a pmc output")
    ds = xr.Dataset({k: (("time",) + tuple(f"{k}_{i}" for i in range(v.ndim - 1)), v)
                     for k, v in series.items() if k != "time"},
                    coords={"time": series["time"]})
    _check_records(path, ds, checkpoint=False)
    return records, (None if frames is None else records_hash(series, frames))


def encoding(ds):
    """The ``encoding`` for :meth:`xarray.Dataset.to_netcdf` that keeps a dataset CF-compliant:
    no ``_FillValue`` on coordinates (CF section 2.5.1) nor on variables that declare no missing
    value (xarray adds NaN fill values to every float variable otherwise)."""
    out = {}
    for name, var in ds.variables.items():
        if var.dtype.kind == "f" and "missing_value" not in var.attrs:
            out[name] = {"_FillValue": None}
    return out


def check_writable(path, overwrite=False):
    """Raise before a run starts if ``path`` cannot be written: missing or read-only directory,
    or an existing file without ``overwrite``."""
    path = pathlib.Path(path)
    parent = path.parent if str(path.parent) else pathlib.Path(".")
    if path.is_dir():
        raise ValueError(f"output {str(path)!r} is a directory; give a file name such as "
                         f"{str(path / 'out.nc')!r}")
    if not parent.is_dir():
        raise ValueError(f"output directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"output directory {str(parent)!r} is not writable")
    if path.exists() and not overwrite:
        raise FileExistsError(f"output file {str(path)!r} exists; pass overwrite=True "
                              f"(--overwrite) to replace it or resume=True (--resume) to continue")


class FrameWriter:
    """Write an :class:`xarray.Dataset` one ``time`` frame at a time.

    The first frame fixes the variables, dimensions and attributes. Variables without a ``time``
    dimension (coordinates such as ``x`` and ``p``) are written once. Frame ``k`` is written at
    record ``k``, so a resumed run rewrites the frames after its checkpoint in place.

    Parameters
    ----------
    path : str or path-like
    attrs : dict
        Global attributes (provenance).
    mode : {"w", "a"}
        Create a new file or continue an existing one.
    """

    def __init__(self, path, attrs, mode="w"):
        self.path = str(path)
        self._attrs = dict(attrs)
        self._nc = None
        self._mode = mode
        self._series = {}
        self._failed = False
        if mode == "a":
            self._nc = netCDF4.Dataset(self.path, "a")
            self._series = {k: list(v) for k, v in read_series(self._nc).items()}

    def write(self, index, frame):
        """Write ``frame`` (a Dataset with ``time`` of length 1) as record ``index``."""
        try:
            self._write(index, frame)
        except (OSError, RuntimeError):
            self._failed = True
            raise

    def _write(self, index, frame):
        if self._nc is None:
            self._create(frame)
        nc = self._nc
        nc.variables["time"][index] = frame["time"].values[0]
        for name, var in frame.data_vars.items():
            if "time" not in var.dims:
                continue
            values = np.asarray(var.values)
            if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
                # NaN only where the variable declares it as its missing value
                missing_ok = np.isnan(var.attrs.get("missing_value", 0.0))
                if np.isinf(values).any() or not missing_ok:
                    raise FloatingPointError(f"refusing to write non-finite values of {name!r} "
                                             f"at frame {index}")
            nc.variables[name][index, ...] = values[0]
        for name, series in self._series.items():
            value = np.asarray(frame[name].values[0], dtype=nc.variables[name].dtype)
            del series[index:]
            if len(series) < index:
                raise IndexError(f"frame {index} written after {len(series)} frames")
            series.append(value)
        nc.sync()

    def record_bytes(self):
        """Bytes of one frame of the open file (its record variables)."""
        if self._nc is None:
            return 0
        return sum(v.dtype.itemsize * int(np.prod(v.shape[1:], dtype=np.int64))
                   for v in self._nc.variables.values()
                   if v.dimensions and v.dimensions[0] == "time")

    def records_hash(self, records):
        """:func:`records_hash` of the first ``records`` frames written (kept in memory, so it
        is known even when the file can no longer be read)."""
        return records_hash({k: np.asarray(v) for k, v in self._series.items()}, records)

    def _create(self, frame):
        nc = netCDF4.Dataset(self.path, "w", format=FORMAT)
        self._nc = nc
        for dim, size in frame.sizes.items():
            nc.createDimension(dim, None if dim == "time" else size)
        t = nc.createVariable("time", "f8", ("time",))
        t.setncatts(_attrs(frame["time"].attrs))
        for name, coord in frame.coords.items():
            if name == "time":
                continue
            if coord.dtype.kind in "UOS":  # labels: a char array, decoded back by xarray
                labels = np.asarray(coord.values).astype(str)
                width = max(1, max(len(s) for s in labels))
                nc.createDimension(f"{name}_strlen", width)
                v = nc.createVariable(name, "S1", (*coord.dims, f"{name}_strlen"))
                v.setncatts({**_attrs(coord.attrs), "_Encoding": "utf-8"})
                v[...] = netCDF4.stringtochar(labels.astype(f"S{width}"))
                continue
            v = nc.createVariable(name, coord.dtype, coord.dims)
            v.setncatts(_attrs(coord.attrs))
            v[...] = coord.values
        for name, var in frame.data_vars.items():
            v = nc.createVariable(name, var.dtype, var.dims)
            v.setncatts(_attrs(var.attrs))
            if "time" not in var.dims:
                v[...] = var.values
        nc.setncatts(_attrs(self._attrs))
        self._series = {k: [] for k in _series_names(nc)}
        nc.sync()

    def set_attrs(self, attrs):
        """Update global attributes (e.g. at the end of a run)."""
        if self._nc is not None:
            self._nc.setncatts(_attrs(attrs))
            self._nc.sync()

    def close(self):
        """Close the file; raises if the last data cannot be flushed.

        After a failed write (a full disk) the file is closed without raising: netCDF-C
        releases the file's state in a failing ``nc_close``, and netCDF4-python's ``close()``
        would then leave its object marked open, to be closed a second time when it is
        collected -- a crash, or (if space was freed meanwhile and the run resumed in this
        process) a stale header written over the resumed file. ``Dataset._close(False)``
        closes once and marks it closed. The header keeps the records of the last successful
        sync."""
        nc, self._nc = self._nc, None
        if nc is None:
            return
        if not self._failed:
            try:
                nc.sync()
            except (OSError, RuntimeError):
                self._failed = True
                _close_quietly(nc)
                raise
            nc.close()
            return
        _close_quietly(nc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _close_quietly(nc):
    """Close a netCDF4.Dataset whose last write failed, once, ignoring the error."""
    close = getattr(nc, "_close", None)
    if close is None:  # pragma: no cover (another netCDF4): leave it to the collector
        return
    with contextlib.suppress(OSError, RuntimeError):
        close(False)


def _attrs(attrs):
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            v = int(v)
        out[k] = v
    return out


def save_checkpoint(path, arrays, meta):
    """Write ``arrays`` (name -> ndarray) and ``meta`` (name -> number or string) atomically.
    Object arrays are refused: a checkpoint never needs pickle."""
    payload = {f"a_{k}": np.asarray(v) for k, v in arrays.items()}
    payload.update({f"m_{k}": np.asarray(v) for k, v in meta.items()})
    for k, v in payload.items():
        if v.dtype.kind == "O":
            raise TypeError(f"checkpoint entry {k[2:]!r} is an object array (it would need "
                            f"pickle)")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


def load_checkpoint(path):
    """(arrays, meta) as saved by :func:`save_checkpoint`.

    Raises
    ------
    DamagedFileError
        If the file is not a complete checkpoint (truncated, random bytes, an object array).
    FileNotFoundError
        If there is no such file.
    """
    path = str(path)
    if os.path.isdir(path):
        raise DamagedFileError(f"checkpoint {path!r} is a directory")
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"PK":
                raise zipfile.BadZipFile("not a zip archive")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")}
            meta = {k[2:]: z[k][()] for k in z.files if k.startswith("m_")}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile,
            zipfile.LargeZipFile, struct.error) as exc:
        if "pickle" in str(exc):
            reason = "it holds an object array (checkpoints never need pickle)"
        elif isinstance(exc, (zipfile.BadZipFile, EOFError, struct.error)) or \
                os.path.getsize(path) == 0:
            reason = "it is not a complete .npz archive (empty, cut short or overwritten)"
        else:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else \
                type(exc).__name__
        raise DamagedFileError(f"checkpoint {path!r} is damaged or not a pmc checkpoint: "
                               f"{reason}; remove it to start again (a run that resumes "
                               f"needs an intact checkpoint)") from None
    for k, v in meta.items():
        if isinstance(v, np.str_):
            meta[k] = str(v)
        elif isinstance(v, np.generic):
            meta[k] = v.item()
    return arrays, meta


class OutputLock:
    """One writer per output: an exclusive OS lock (``flock``) on ``OUTPUT.lock``, which holds
    the pid of its holder, taken for the whole of a run and released when it ends -- by the
    operating system too, when the process dies. A second run to the same output, with or
    without ``overwrite``, is refused with :class:`OutputLockedError` naming that pid.

    The lock file is removed on release; a stale one left by a killed process holds no lock
    and is taken over. (Where ``fcntl`` does not exist -- Windows -- there is no lock.)
    """

    def __init__(self, output):
        self.output = str(output)
        self.path = self.output + ".lock"
        self._fd = None

    def acquire(self):
        if fcntl is None or self._fd is not None:  # pragma: no cover
            return self
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except IsADirectoryError:
                raise ValueError(f"lock file {self.path!r} of the output is a directory") \
                    from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                pid = _holder(fd)
                os.close(fd)
                raise OutputLockedError(
                    f"output {self.output!r} is being written by another pmc run (pid {pid}, "
                    f"lock {self.path!r}); wait for it to end, stop it, or write elsewhere"
                ) from None
            try:  # the holder before us may have removed the file between open and flock
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)  # while still held: a waiting opener sees another inode
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _holder(fd):
    """The pid written in a lock file (the holder may not have written it yet: wait a bit)."""
    for _ in range(20):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


def checkpoint_path(output):
    """Where the checkpoint of ``output`` lives."""
    return str(output) + ".checkpoint.npz"


@contextlib.contextmanager
def atomic_path(path):
    """Write a whole file at ``path`` atomically: the block writes to the yielded temporary name
    in the same directory (unique per writer: ``path.<pid>-<random>.tmp``, so two processes or
    threads never share one); when the block ends without an error the file is flushed to disk
    (fsync) and renamed onto ``path`` (``os.replace``, atomic on POSIX and Windows), and the
    directory entry is synced too. A reader sees the old file or the complete new one, never a
    partial one; on an error the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("complete")
    >>> target.read_text()
    'complete'
    """
    path = str(path)
    tmp = f"{path}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_directory(os.path.dirname(os.path.abspath(path)))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def _fsync_directory(directory):
    """Make a rename in ``directory`` durable (POSIX; a no-op where directories cannot be
    opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover (filesystems without directory fsync)
        pass
    finally:
        os.close(fd)
