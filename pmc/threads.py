"""Thread control: how many threads the compiled kernels (numba) and the BLAS under numpy use.

The public face of :mod:`pmc._kernels.threads`, where numba is called; every module that sets a
thread count goes through these four functions. Results never depend on the thread count (DESIGN,
"Randomness"), only the speed does.

>>> import pmc.threads
>>> with pmc.threads.limited(numba_threads=1, blas=1):
...     pmc.threads.get()
1
"""
from ._kernels.threads import available, get, limited, set

__all__ = ["available", "get", "set", "limited"]
