"""Thread control in one place: numba's threads for the kernels and the BLAS threads (via
threadpoolctl) of the numpy calls beside them. Every module that sets a thread count calls these.
"""
import contextlib

import numba
from numba.np.ufunc import parallel as _parallel
from threadpoolctl import threadpool_limits

__all__ = ["available", "get", "set", "limited", "swap", "start"]


def available():
    """The most numba threads this process can use (``NUMBA_NUM_THREADS``)."""
    return int(numba.config.NUMBA_NUM_THREADS)


def start():
    """Start numba's thread pool (once per process; what the first call of a parallel kernel
    does). A kernel compiled without parallel=True that calls a parallel one
    (:func:`.push.push_blocks`), when loaded from the disk cache, does not start it, and its
    first call in a process where nothing started the pool crashes (numba/numba#8578, #4807):
    :func:`.push.kernels` starts it when it hands out such a kernel. Not at import: a process
    that forks after starting GNU OpenMP's pool cannot use it in the child."""
    numba.get_num_threads()


def get():
    """numba's current thread count."""
    return int(numba.get_num_threads())


def set(threads):  # noqa: A001 (the module is the namespace: threads.set)
    """Set numba's thread count to ``threads`` clipped to 1 .. :func:`available`; returns the
    previous count."""
    old = get()
    numba.set_num_threads(max(1, min(int(threads), available())))
    return old


def swap(threads):
    """Set numba's thread count to ``threads`` (an int in 1 .. :func:`available`) and return the
    previous count: about half a microsecond, where :func:`set` and :func:`get` cost a few
    (numba's Python-level functions take the thread-pool locks on every call), for callers that
    switch per step. Calls the threading layer's own setter and getter (numba's public
    functions call them after those locks and checks) once the pool is running; numba's public
    functions otherwise, or where a numba version lacks them."""
    get_, set_ = (getattr(_parallel, "_get_num_threads", None),
                  getattr(_parallel, "_set_num_threads", None))
    if get_ is None or set_ is None or not getattr(_parallel, "_is_initialized", False):
        return set(threads)
    old = get_()
    set_(threads)
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
