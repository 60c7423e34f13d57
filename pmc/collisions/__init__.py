"""Collisions: stochastic jumps sampled per cell (DESIGN section 1, "Collisions").

Every mechanism implements the small :class:`Collision` interface, so the driver applies any of
them, and any number, without knowing what they are.
"""
from .base import Collision

__all__ = ["Collision"]
