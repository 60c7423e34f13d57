"""The deterministic grid solver (docs/design.md §1, "Grid solver"): the Boltzmann equation of the
markers, same Hamiltonian and same rate matrix, solved on a uniform (x, p) grid by Strang-split
semi-Lagrangian advection and the exact master-equation propagator. It is the reference that
marker results converge to as N^(-1/2) (validation case 8).
"""
from .initial import initial_density
from .solver import OBSERVABLES, ORDERS, SCHEMES, Simulation, _deprecated, simulate

__all__ = ["Simulation", "simulate", "initial_density", "OBSERVABLES", "ORDERS", "SCHEMES"]


def __getattr__(name):
    """``GridSolver`` and ``solve``: deprecated aliases of :class:`Simulation` and
    :func:`simulate` (they warn with a DeprecationWarning)."""
    return _deprecated(name, __name__)
