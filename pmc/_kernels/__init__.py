"""numba kernels over flat arrays.

This layer imports numpy, numba and math only (and :mod:`pmc._kernels.threads`, the one place
that sets thread counts, threadpoolctl for BLAS; llvmlite, numba's code generator, for the IR of
``@intrinsic`` functions); it never sees a pmc class. All of pmc's numba
code lives here. Physics modules above
encode their models as integer codes and float64 parameter arrays (see :mod:`pmc._kernels.models`)
and hand those arrays down. Every kernel is a module-level function compiled with the flags below,
so numba's disk cache serves every process (``cache=True``).
"""

#: The one set of JIT flags for scalar (per-marker) functions.
JIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
#: Flags for the parallel loops over markers.
JIT_PARALLEL = dict(JIT, parallel=True)

#: Markers are processed in blocks of this many; tallies are summed per block and then in block
#: order, so results are bitwise independent of the number of threads.
BLOCK = 4096
