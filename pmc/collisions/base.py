"""The protocol of collision mechanisms: an immutable description and its prepared jump operator.

A mechanism (``ElasticIsotropic(rate=...)``, ``Binary(HardSphere(...))``, ``RateMatrix(Q)``) only
holds parameters: it can be shared between runs, compared, written to a case file. A run calls
``mechanism.prepare(hamiltonian, cells, markers)`` once and gets a :class:`JumpOperator`, the
object that holds what changes while it runs (majorants, buffers, counters, timers) and the
parameters encoded for the kernels; the driver then calls only its ``collide``, ``state`` and
``set_state``.
"""

import zlib

__all__ = ["Collision", "JumpOperator", "name_label"]


def name_label(name):
    """The label of a mechanism named ``name`` inside its family of random streams (its crc32,
    < 2^32; the families are the labels of :data:`pmc._kernels.rng.STREAMS`)."""
    return zlib.crc32(name.encode())


class Collision:
    """A collision mechanism acting on the markers of each spatial cell (a description).

    Attributes
    ----------
    name : str
        Label of the mechanism in the output's ``mechanism`` dimension.
    """

    name = "collision"

    def prepare(self, hamiltonian, cells, markers):
        """The runtime of this mechanism for one run.

        Parameters
        ----------
        hamiltonian : pmc.Hamiltonian
            The run's Hamiltonian: the band energy eps(p), the mass and hbar the mechanism
            needs are taken from it, never given twice.
        cells : pmc.Cells or None
            The collision cells (by default the spatial bins of the run's grid).
        markers : pmc.Markers
            The run's markers, for the checks of their dimensions; they are not kept.

        Returns
        -------
        JumpOperator
        """
        raise NotImplementedError


class JumpOperator:
    """A prepared collision mechanism: the jumps of one run.

    The driver calls :meth:`collide` once per time step, between two half pushes (Strang
    splitting). Implementations draw every random number from the counter-based streams of
    :mod:`pmc._kernels.rng` keyed by the run's seed, the step and the mechanism's label in
    :data:`pmc._kernels.rng.STREAMS`, so that results do not depend on the thread count and a
    checkpoint needs only the step counter plus :meth:`state`.

    Attributes
    ----------
    mechanism : Collision
        The description this operator was prepared from.
    name : str
        ``mechanism.name``.
    hamiltonian : pmc.Hamiltonian
    cells : pmc.Cells or None
    """

    def __init__(self, mechanism, hamiltonian, cells):
        self.mechanism = mechanism
        self.name = mechanism.name
        self.hamiltonian = hamiltonian
        self.cells = cells

    def __repr__(self):
        return f"{type(self).__name__}({self.mechanism!r})"

    def collide(self, markers, dt, seed, step):
        """Apply the jumps of one step of length ``dt`` [s] to ``markers`` in place.

        Parameters
        ----------
        markers : pmc.Markers
        dt : float
            Time step [s], > 0.
        seed : int
            63-bit key of the run's random streams.
        step : int
            Index of the step, >= 0.

        Returns
        -------
        int
            Number of collision events in the step.
        """
        raise NotImplementedError

    def state(self):
        """Arrays that must be checkpointed (e.g. running majorants); empty by default."""
        return {}

    def set_state(self, arrays):
        """Restore what :meth:`state` returned."""
