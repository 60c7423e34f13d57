"""Thread control in one place: numba's threads for the kernels and the BLAS threads (via
threadpoolctl) of the numpy calls beside them. Every module that sets a thread count calls these.
"""
import contextlib

import numba
from threadpoolctl import threadpool_limits

__all__ = ["available", "get", "set", "limited", "swap"]


def available():
    """The most numba threads this process can use (``NUMBA_NUM_THREADS``)."""
    return int(numba.config.NUMBA_NUM_THREADS)


def get():
    """numba's current thread count."""
    return int(numba.get_num_threads())


def set(threads):  # noqa: A001 (the module is the namespace: threads.set)
    """Set numba's thread count to ``threads`` clipped to 1 .. :func:`available`; returns the
    previous count."""
    old = get()
    numba.set_num_threads(max(1, min(int(threads), available())))
    return old


# Not cached (numba's thread-count functions are dynamic globals), so compiled in each process;
# compiling it starts the thread pool, which the compiled functions assume.
@numba.njit(nogil=True)
def swap(threads):
    """Set numba's thread count to ``threads`` (an int in 1 .. :func:`available`) and return the
    previous count, in one compiled call: a fraction of a microsecond, where :func:`set` costs a
    few (numba's Python-level functions take the thread-pool locks on every call), for callers
    that switch per step."""
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    return old


@contextlib.contextmanager
def limited(numba_threads=None, blas=None):
    """Run a block with at most ``numba_threads`` numba threads and ``blas`` BLAS threads (None:
    leave that count alone); the numba count is restored after the block."""
    old = set(numba_threads) if numba_threads is not None else None
    try:
        if blas is None:
            yield
        else:
            with threadpool_limits(limits=int(blas), user_api="blas"):
                yield
    finally:
        if old is not None:
            numba.set_num_threads(old)
