"""Collisions: stochastic jumps sampled per cell (docs/design.md §1, "Collisions").

Every mechanism implements the small :class:`Collision` interface, so the driver applies any of
them, and any number, without knowing what they are.
"""
from .base import Collision
from .binary import VHS, VSS, Binary, CrossSection, HardSphere, MaxwellMolecules
from .rate_matrix import GoldenRule, RateMatrix
from .mechanisms import AcousticPhonon, ElasticIsotropic, Impurity, Mechanism, OpticalPhonon

__all__ = ["Collision", "Binary", "CrossSection", "HardSphere", "VHS", "VSS", "MaxwellMolecules",
           "RateMatrix", "GoldenRule",
           "Mechanism", "ElasticIsotropic", "AcousticPhonon", "OpticalPhonon", "Impurity"]
