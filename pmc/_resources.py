"""Resources up front: a run or a draw estimates its memory and its output before it allocates or
writes, and refuses with the estimate when the machine does not have them.

The available memory is ``MemAvailable`` of ``/proc/meminfo`` (Linux; elsewhere the free pages of
:func:`os.sysconf`), and no more than the address space a ``ulimit -v`` leaves; the free disk is
:func:`shutil.disk_usage` of the output's directory. Checks are on by default; pass
``check_resources=False`` to the call, or run a block under :func:`unchecked` (what ``pmc run
--no-resource-check`` does), to proceed anyway.
"""
import contextlib
import contextvars
import os
import shutil

try:
    import resource
except ImportError:  # pragma: no cover (Windows)
    resource = None

__all__ = ["ResourceError", "available_memory", "free_disk", "check_memory", "check_disk",
           "unchecked", "enabled", "describe"]

_ENABLED = contextvars.ContextVar("pmc_resource_checks", default=True)


class ResourceError(MemoryError):
    """A run or draw would need more memory or disk than the machine has; the message gives
    the estimate, what is available and how to proceed anyway."""


@contextlib.contextmanager
def unchecked():
    """Skip the resource checks inside the block."""
    token = _ENABLED.set(False)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def enabled(check=True):
    """Whether a check asked for with ``check`` runs (not inside :func:`unchecked`)."""
    return bool(check) and _ENABLED.get()


def describe(nbytes):
    """``nbytes`` in words: '12.8 GB'."""
    nbytes = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(nbytes) < 1000.0 or unit == "PB":
            return f"{nbytes:.3g} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1000.0
    return f"{nbytes:.3g} PB"  # pragma: no cover


def available_memory():
    """Bytes this process can still allocate, or None if unknown."""
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            avail = None
    limit = -1 if resource is None else resource.getrlimit(resource.RLIMIT_AS)[0]
    if resource is not None and limit not in (resource.RLIM_INFINITY, -1) and limit > 0:
        room = limit - _address_space()
        avail = room if avail is None else min(avail, room)
    return avail


def _address_space():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    return 0


def free_disk(path):
    """Free bytes on the filesystem that holds ``path`` (its directory if it does not exist)."""
    directory = os.path.dirname(os.path.abspath(str(path)))
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def check_memory(nbytes, what, how, check=True):
    """Raise :class:`ResourceError` if ``nbytes`` exceed the available memory. ``what``: the
    allocation ('sampling 4e8 markers (dx + dp + 1 = 3 values of 8 B each, twice while drawn)');
    ``how``: how to need less."""
    if not enabled(check):
        return
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise ResourceError(f"{what} needs about {describe(nbytes)} of memory, more than the "
                            f"{describe(avail)} available; {how}, or pass "
                            f"check_resources=False (pmc run --no-resource-check) to try anyway")


def check_disk(path, nbytes, what, how, check=True):
    """Raise :class:`ResourceError` if ``nbytes`` exceed the free disk where ``path`` goes."""
    if not enabled(check):
        return
    free = free_disk(path)
    if free is not None and nbytes > free:
        raise ResourceError(f"{what} needs about {describe(nbytes)} of disk, more than the "
                            f"{describe(free)} free for {str(path)!r}; {how}, or pass "
                            f"check_resources=False (pmc run --no-resource-check) to try anyway")


#: Copies of the marker arrays alive at once while markers are drawn (the draw's temporaries
#: and the arrays of :class:`pmc.Markers`).
DRAW_COPIES = 2


def marker_bytes(n, dx, dp):
    """Bytes of ``n`` markers: positions, momenta and weight, 8 B each: (dx + dp + 1) * 8."""
    return int(n) * (int(dx) + int(dp) + 1) * 8


def check_markers(n, dx, dp, check=True):
    """Refuse a draw of ``n`` markers that would not fit in memory, before allocating."""
    nbytes = DRAW_COPIES * marker_bytes(n, dx, dp)
    check_memory(nbytes, f"drawing {n} markers (positions, momenta and weight: "
                         f"(dx + dp + 1) x 8 B = {(dx + dp + 1) * 8} B each, "
                         f"{DRAW_COPIES} copies while they are drawn)",
                 "use fewer markers (several replicas with pmc run --replicas keep the "
                 "statistics)", check=check)


#: Bytes per grid point of the Schrödinger solver: psi, the FFT's input and output buffers and
#: the kinetic and potential phase factors, complex128 each.
QUANTUM_BYTES_PER_POINT = 5 * 16
#: Bytes per phase-space cell of the grid solver: f and the work arrays of a split step,
#: float64 each.
GRID_BYTES_PER_CELL = 6 * 8


def check_grid(points, per_point, what, check=True):
    """Refuse, before allocating, a solver grid of ``points`` points of ``per_point`` bytes
    each that would not fit in memory (the one-line hook of a solver's constructor, e.g.
    ``_resources.check_grid(psi.size, _resources.QUANTUM_BYTES_PER_POINT, "the wave
    function")``)."""
    check_memory(int(points) * int(per_point),
                 f"{what} on {int(points)} grid points ({int(per_point)} B each)",
                 "use a coarser grid", check=check)
