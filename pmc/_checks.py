"""Validation of user input: every error names the parameter and the allowed range."""
import math

import numpy as np


def positive(name, value):
    """A finite float > 0."""
    v = _real(name, value)
    if not v > 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def non_negative(name, value):
    """A finite float >= 0."""
    v = _real(name, value)
    if not v >= 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def finite(name, value):
    """A finite float."""
    return _real(name, value)


def _real(name, value):
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def count(name, value, minimum=1):
    """An integer >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, float) and value.is_integer()):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return v


def finite_array(name, values, ndim=None):
    """A float64 array with only finite entries (and the given number of dimensions)."""
    a = np.asarray(values, dtype=np.float64)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array, got shape {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{name} must be finite everywhere; {int(bad.sum())} entries are "
                         f"NaN or inf (first at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
    return a


def uniform_axis(name, values, minimum=2):
    """A 1-D, finite, strictly increasing, uniformly spaced axis with at least ``minimum`` points.
    Returns (array, spacing)."""
    a = finite_array(name, values, ndim=1)
    if a.size < minimum:
        raise ValueError(f"{name} must have at least {minimum} points, got {a.size}")
    d = np.diff(a)
    if not np.all(d > 0):
        raise ValueError(f"{name} must be strictly increasing")
    h = (a[-1] - a[0]) / (a.size - 1)
    if np.max(np.abs(d - h)) > 1e-6 * abs(h):
        raise ValueError(f"{name} must be uniformly spaced (max deviation of the spacing "
                         f"{np.max(np.abs(d - h)):.3g} against spacing {h:.3g})")
    return a, h
