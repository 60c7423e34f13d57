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
"""
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

#: The one set of JIT flags for scalar (per-marker) functions.
JIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
#: Flags for the parallel loops over markers.
JIT_PARALLEL = dict(JIT, parallel=True)

#: Markers are processed in blocks of this many; tallies are summed per block and then in block
#: order, so results are bitwise independent of the number of threads.
BLOCK = 4096
