"""Collisions: stochastic jumps sampled per cell (docs/design.md §1, "Collisions").

Every mechanism is an immutable description implementing :class:`Collision`: its
``prepare(hamiltonian, cells, markers)`` gives the run's :class:`JumpOperator`, whose
``collide(markers, dt, seed, step)`` the driver calls, so it applies any of them, and any
number, without knowing what they are.
"""
from .base import Collision, JumpOperator
from .binary import VHS, VSS, Binary, CrossSection, HardSphere, MaxwellMolecules
from .mixture import BinaryMixture, Mixture, Parker, Species
from .rate_matrix import GoldenRule, RateMatrix
from .mechanisms import AcousticPhonon, ElasticIsotropic, Impurity, Mechanism, OpticalPhonon
from .semiconductors import (AcousticDeformation, BrooksHerring, InelasticAcoustic,
                             IntervalleyPhonon, PolarOptical,
                             ValleyMechanism, ValleyScattering)
from .wigner import WignerPotential
from .wigner_split import Split, suggest_split

__all__ = ["Collision", "JumpOperator", "Binary", "CrossSection", "HardSphere", "VHS", "VSS", "MaxwellMolecules",
           "RateMatrix", "GoldenRule",
           "Mechanism", "ElasticIsotropic", "AcousticPhonon", "OpticalPhonon", "Impurity",
           "ValleyMechanism", "ValleyScattering", "AcousticDeformation", "InelasticAcoustic",
           "IntervalleyPhonon", "PolarOptical",
           "BrooksHerring", "BinaryMixture", "Mixture", "Parker", "Species",
           "WignerPotential", "Split", "suggest_split"]
