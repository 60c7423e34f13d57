"""Shared base of the model classes: frozen, validated, encodable to kernel arrays."""
import dataclasses

import numpy as np


def components(name, values, max_dim=3):
    """(n,) or (n, d) array -> C-contiguous (d, n) float64, d <= max_dim, plus the original shape."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 0:  # a single 1-D point: the result is a scalar again
        return np.ascontiguousarray(a.reshape(1, 1)), ()
    if a.ndim == 1:
        return np.ascontiguousarray(a[np.newaxis, :]), a.shape
    if a.ndim == 2 and 1 <= a.shape[1] <= max_dim:
        return np.ascontiguousarray(a.T), a.shape
    raise ValueError(f"{name} must have shape (n,) or (n, d) with 1 <= d <= {max_dim}, "
                     f"got {a.shape}")


def from_components(a, shape):
    """Inverse of :func:`components` for the output of a kernel."""
    if len(shape) <= 1:
        return a[0].reshape(shape) if shape else a[0, 0]
    return np.ascontiguousarray(a.T)


class Model:
    """A named physical model: a frozen dataclass whose fields are its parameters."""

    def parameters(self):
        """The model's parameters as a dict (what a case file names)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def model_name(cls):
        return cls.__name__
