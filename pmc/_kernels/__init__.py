"""numba kernels over flat arrays.

This layer imports numpy, numba and math only (and :mod:`pmc._kernels.threads`, the one place
that sets thread counts, threadpoolctl for BLAS; llvmlite, numba's code generator, for the IR of
``@intrinsic`` functions); it never sees a pmc class. All of pmc's numba
code lives here. Physics modules above
encode their models as integer codes and float64 parameter arrays (see :mod:`pmc._kernels.models`)
and hand those arrays down. Every kernel is a module-level function compiled with the flags below,
so numba's disk cache serves every process (``cache=True``).

Vector width. On a CPU with AVX-512, LLVM's default tuning for most models is to vectorise loops
256 bits wide (``prefer-256-bit``: older server parts lowered their clock for 512-bit code). The
push's vectorised loops (the exponential of :mod:`.vecmath`, the kicks and drifts over a
sub-block) run about 1.4 times faster at 512 bits on the CPUs this was measured on, so importing
this package drops that preference for every function numba compiles in the process
(:data:`WIDE_VECTORS`), before the first one is compiled. It changes which vector instructions are
used, never the arithmetic (no reassociation, no contraction: ``fastmath`` stays off), so results
are bitwise the same. Setting ``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` (numba's own switches)
keeps numba's choice; so does a process that compiled a numba function before importing pmc.

Disk cache. numba keys a cached function by its own source file only: a kernel that inlines a
function from another module keeps its stale machine code after that module changes (numba's
documented limitation; numba/numba#8396 would track such dependencies but is not merged), which
has crashed a process when a kernel's signature changed under it. So the cache lives in a
directory named by a hash of every source file of this package (:data:`CACHE_DIR`): any change
to any kernel starts a fresh cache, and caches of different pmc versions never mix. It lies under
``NUMBA_CACHE_DIR`` where the user set one, else in this package's ``__pycache__`` where that is
writable, else in the user's cache directory; numba functions of the user's own that ask for
``cache=True`` are cached there too.
"""
import hashlib as _hashlib
import os as _os
import pathlib as _pathlib

from numba.core import config as _config
from numba.core.codegen import get_host_cpu_features as _host_features
from numba.core.registry import cpu_target as _cpu_target


def _wide_vectors():
    """Let LLVM vectorise 512 bits wide where the host has AVX-512 (see the module docstring);
    whether it did."""
    if _config.CPU_NAME is not None or _config.CPU_FEATURES is not None:
        return False  # the user's choice
    if "_toplevel_target_context" in vars(_cpu_target):
        return False  # numba's code generator exists already: too late to change it
    features = _host_features()
    if "+avx512f" not in features.split(","):
        return False
    _config.CPU_FEATURES = features + ",-prefer-256-bit"
    return True


#: Whether importing pmc let numba vectorise 512 bits wide (see the module docstring).
WIDE_VECTORS = _wide_vectors()


def source_key(directory):
    """A short hash of the names and contents of the ``*.py`` files in ``directory`` (str)."""
    digest = _hashlib.sha256()
    for path in sorted(_pathlib.Path(directory).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _cache_dir():
    """numba's cache directory for this package's sources (see the module docstring)."""
    here = _pathlib.Path(__file__).resolve().parent
    if _config.CACHE_DIR:
        base = _pathlib.Path(_config.CACHE_DIR)
    elif _os.access(here, _os.W_OK):
        base = here / "__pycache__"
    else:
        from numba.misc.appdirs import AppDirs
        base = _pathlib.Path(AppDirs(appname="pmc", appauthor=False).user_cache_dir)
    path = str(base / f"numba-{source_key(here)}")
    _config.CACHE_DIR = path
    return path


#: The directory numba caches compiled functions in (set on import; see the module docstring).
CACHE_DIR = _cache_dir()

#: The one set of JIT flags for scalar (per-marker) functions.
JIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
#: Flags for the parallel loops over markers.
JIT_PARALLEL = dict(JIT, parallel=True)

#: Markers are processed in blocks of this many; tallies are summed per block and then in block
#: order, so results are bitwise independent of the number of threads.
BLOCK = 4096
