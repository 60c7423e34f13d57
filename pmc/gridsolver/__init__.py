"""The deterministic grid solver (docs/design.md §1, "Grid solver"): the Boltzmann equation of the
markers, same Hamiltonian and same rate matrix, solved on a uniform (x, p) grid by Strang-split
semi-Lagrangian advection and the exact master-equation propagator. It is the reference that
marker results converge to as N^(-1/2) (validation case 8).
"""
from .initial import initial_density
from .solver import OBSERVABLES, ORDERS, SCHEMES, GridSolver, solve

__all__ = ["GridSolver", "solve", "initial_density", "OBSERVABLES", "ORDERS", "SCHEMES"]
