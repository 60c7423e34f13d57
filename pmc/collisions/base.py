"""The interface every collision mechanism implements."""

__all__ = ["Collision"]


class Collision:
    """A collision mechanism acting on the markers of each spatial cell.

    The driver calls :meth:`collide` once per time step, between two half pushes (Strang
    splitting). Implementations draw every random number from the counter-based streams of
    :mod:`pmc._kernels.rng` keyed by ``(seed, step, cell)``, so that results do not depend on the
    thread count and a checkpoint needs only the step counter plus :meth:`state`.

    Attributes
    ----------
    name : str
        Label of the mechanism in the output's ``mechanism`` dimension.
    """

    name = "collision"

    def collide(self, markers, cells, dt, seed, step, *, hamiltonian=None):
        """Apply the jumps of one step of length ``dt`` [s] to ``markers`` in place.

        Parameters
        ----------
        markers : pmc.Markers
        cells : pmc.Cells
            The collision cells (by default the spatial bins of the run's grid);
            ``cells.sort(markers)`` gives the markers of each cell.
        dt : float
            Time step [s].
        seed : int
            63-bit key of the run's random streams.
        step : int
            Index of the step.
        hamiltonian : pmc.Hamiltonian, optional
            The run's Hamiltonian, for mechanisms that need the band energy eps(p); the driver
            always passes it.

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
