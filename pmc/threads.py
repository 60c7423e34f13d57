"""Thread control: how many threads the compiled kernels (numba) and the BLAS under numpy use.

The public face of :mod:`pmc._kernels.threads`, where numba is called; every module that sets a
thread count goes through these four functions. Results never depend on the thread count (DESIGN,
"Randomness"), only the speed does.

Vector width: on a CPU with AVX-512, importing pmc lets numba vectorise loops 512 bits wide
(LLVM's default tuning prefers 256 bits on most such CPUs); the push's loops run about 1.4 times
faster, and results are bitwise the same (only the instructions differ, no arithmetic is
reordered). It applies to every function numba compiles in the process after pmc is imported.
Numba's own ``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` environment variables keep numba's
choice (e.g. ``NUMBA_CPU_FEATURES`` set to the host's features as numba's code generator lists
them, ``get_host_cpu_features()``), as does compiling a numba function before importing pmc.

>>> import pmc.threads
>>> with pmc.threads.limited(numba_threads=1, blas=1):
...     pmc.threads.get()
1
"""
from ._kernels.threads import available, get, limited, set

__all__ = ["available", "get", "set", "limited"]
