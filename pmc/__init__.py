"""pmc: particle Monte Carlo for the Boltzmann equation derived from the Schrödinger equation.

Weighted phase-space markers stream along the characteristics of H(x, p, t) = eps(p) + U(x, t)
and jump between states at Fermi's golden-rule rates. docs/design.md has the physics and the API.
"""
from . import (averages, bands, collisions, fields, gridsolver, materials, potentials, quantum,
               states, units)
from . import devices
from ._version import __version__
from .boundaries import (CLL, Absorbing, Diffuse, Freestream, Injecting, Periodic, Reflecting,
                         Reservoir)
from .cells import Cells
from .collisions.mixture import Mixture, Species
from .compare import compare
from .ensemble import ensemble, sweep
from .grids import PhaseSpaceGrid
from .hamiltonian import Hamiltonian
from .io import open_dataset
from .markers import Markers
from .simulation import Simulation, simulate
from .states import sample
from .streaming import stream

__all__ = ["__version__", "bands", "collisions", "fields", "gridsolver", "potentials", "states", "units",
           "materials", "averages", "devices",
           "Hamiltonian", "Markers", "sample", "PhaseSpaceGrid", "stream",
           "Simulation", "simulate", "open_dataset", "Cells",
           "Periodic", "Reflecting", "Absorbing", "Injecting", "Reservoir",
           "Diffuse", "CLL", "Freestream",
           "ensemble", "sweep", "quantum", "compare", "Species", "Mixture"]
