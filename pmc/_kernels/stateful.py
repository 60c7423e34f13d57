"""Dispersions whose energy and velocity depend on the marker's discrete ``state``.

A dispersion code >= :data:`STATEFUL` reads the marker's state (``Markers.state``, int64): the
valley of a multi-valley band (:data:`pmc._kernels.valleys.MULTIVALLEY`, code 16), the species
of a mixture (code 17, "species masses", v = p / m[state], to be added here). Its parameters
are a table with one row of :func:`width` numbers per state, stored flat (row-major) in the
same float64 ``prm`` array the other dispersions use.

:func:`energy` and :func:`velocity` take (kind, prm, state, p0, p1, p2) for every dispersion:
for the codes below :data:`STATEFUL` they call :func:`pmc._kernels.models.energy` /
:func:`~pmc._kernels.models.velocity` and ignore the state, so a kernel written with them gives
bitwise the results of the stateless functions. The push, the marker sums and the grid moments
use them; a kernel that has no state array passes state 0.

Adding a stateful dispersion: a code >= STATEFUL, its row width in :func:`width`, a branch in
:func:`energy` and :func:`velocity`, and (in Python) ``needs_state = True`` on its class in
:mod:`pmc.bands` with ``encode`` giving the flat table and ``mirror_states(dx)`` the state a
marker takes when a reflecting wall flips its momentum component (see
:meth:`pmc.bands.MultiValley.mirror_states`).
"""
import numpy as np
from numba import njit

from . import models, valleys
from .models import SCALAR

#: Dispersion codes from this one on need the marker's state.
STATEFUL = 16
#: The state array of points without states (kernels read state 0 for every point).
NO_STATE = np.empty(0, np.int64)
MULTIVALLEY = valleys.MULTIVALLEY
#: Species masses of a gas mixture (pmc.bands.SpeciesMasses): prm = [m_0, m_1, ...] [kg],
#: eps = p^2 / (2 m_s), v = p / m_s.
SPECIES_MASSES = 17


def needs_state(kind):
    """Whether dispersion code ``kind`` reads the marker's state (Python-side helper)."""
    return int(kind) >= STATEFUL


@njit(**SCALAR)
def width(kind):
    """Numbers per state in the parameter table of a stateful dispersion."""
    if kind == MULTIVALLEY:
        return valleys.NVPRM
    return 1


@njit(**SCALAR)
def _valley(prm, s, p0, p1, p2):
    """(p* = T p, eps, 1 / (m_d (1 + 2 alpha eps)), row offset) of valley ``s`` of a flat
    multi-valley table (:mod:`.valleys`: rows of NVPRM numbers)."""
    o = s * valleys.NVPRM
    q0 = prm[o + 4] * p0 + prm[o + 5] * p1 + prm[o + 6] * p2
    q1 = prm[o + 7] * p0 + prm[o + 8] * p1 + prm[o + 9] * p2
    q2 = prm[o + 10] * p0 + prm[o + 11] * p1 + prm[o + 12] * p2
    md = prm[o + valleys.MD]
    al = prm[o + valleys.ALPHA]
    eps = valleys.kane((q0 * q0 + q1 * q1 + q2 * q2) / (2.0 * md), al)
    return q0, q1, q2, eps, 1.0 / (md * (1.0 + 2.0 * al * eps)), o


@njit(**SCALAR)
def energy(kind, prm, s, p0, p1, p2):
    """Band energy [J] of momentum (p0, p1, p2) [kg m/s] in state ``s``."""
    if kind < STATEFUL:
        return models.energy(kind, prm, p0, p1, p2)
    if kind == SPECIES_MASSES:
        return (p0 * p0 + p1 * p1 + p2 * p2) / (2.0 * prm[s])
    # MULTIVALLEY: p measured from the minimum of valley s (valleys.energy on the flat table)
    _, _, _, eps, _, o = _valley(prm, s, p0, p1, p2)
    return prm[o + valleys.DELTA] + eps


@njit(**SCALAR)
def velocity(kind, prm, s, p0, p1, p2):
    """Group velocity dE/dp [m/s] in state ``s``, three components."""
    if kind < STATEFUL:
        return models.velocity(kind, prm, p0, p1, p2)
    if kind == SPECIES_MASSES:
        inv_m = 1.0 / prm[s]
        return p0 * inv_m, p1 * inv_m, p2 * inv_m
    # MULTIVALLEY: v = T^T p* / (m_d (1 + 2 alpha eps)) (valleys.velocity on the flat table)
    q0, q1, q2, _, f, o = _valley(prm, s, p0, p1, p2)
    return ((prm[o + 4] * q0 + prm[o + 7] * q1 + prm[o + 10] * q2) * f,
            (prm[o + 5] * q0 + prm[o + 8] * q1 + prm[o + 11] * q2) * f,
            (prm[o + 6] * q0 + prm[o + 9] * q1 + prm[o + 12] * q2) * f)
