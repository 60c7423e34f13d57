"""netCDF output written frame by frame, and checkpoints.

Files are netCDF "CDF-5" (``NETCDF3_64BIT_DATA``): the classic format with 64-bit sizes and
integers. It is chosen over HDF5-based netCDF-4 because a classic file grows by appending records
along the unlimited ``time`` dimension and the record count in the header is updated only after a
record is written and synced: a run killed at any moment leaves a file that opens and holds every
completed frame, which HDF5 does not promise. xarray and every netCDF tool read it.

Checkpoints are ``.npz`` files (no pickle) written through :func:`atomic_path` (a unique temporary
name, fsync, rename), so a checkpoint on disk is always complete.
"""
import contextlib
import os
import pathlib
import uuid

import netCDF4
import numpy as np
import xarray as xr

__all__ = ["FrameWriter", "open_dataset", "save_checkpoint", "load_checkpoint",
           "check_writable", "checkpoint_path", "atomic_path", "encoding"]

FORMAT = "NETCDF3_64BIT_DATA"


def open_dataset(path, **kwargs):
    """Open a pmc output file as an :class:`xarray.Dataset` (loaded into memory, file closed).

    Parameters
    ----------
    path : str or path-like
        A netCDF file written by pmc.
    """
    with xr.open_dataset(path, **kwargs) as ds:
        return ds.load()


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
        if mode == "a":
            self._nc = netCDF4.Dataset(self.path, "a")

    def write(self, index, frame):
        """Write ``frame`` (a Dataset with ``time`` of length 1) as record ``index``."""
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
        nc.sync()

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
        nc.sync()

    def set_attrs(self, attrs):
        """Update global attributes (e.g. at the end of a run)."""
        if self._nc is not None:
            self._nc.setncatts(_attrs(attrs))
            self._nc.sync()

    def close(self):
        if self._nc is not None:
            self._nc.close()
            self._nc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _attrs(attrs):
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            v = int(v)
        out[k] = v
    return out


def save_checkpoint(path, arrays, meta):
    """Write ``arrays`` (name -> ndarray) and ``meta`` (name -> number or string) atomically."""
    payload = {f"a_{k}": np.asarray(v) for k, v in arrays.items()}
    payload.update({f"m_{k}": np.asarray(v) for k, v in meta.items()})
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


def load_checkpoint(path):
    """(arrays, meta) as saved by :func:`save_checkpoint`."""
    with np.load(str(path), allow_pickle=False) as z:
        arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")}
        meta = {k[2:]: z[k][()] for k in z.files if k.startswith("m_")}
    for k, v in meta.items():
        if isinstance(v, np.str_):
            meta[k] = str(v)
        elif isinstance(v, np.generic):
            meta[k] = v.item()
    return arrays, meta


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
