"""Fields: potentials that the marker push sees in addition to the Hamiltonian's own, updated by
the driver at every push (DESIGN section 5, "Fields").

The protocol, as for collisions, separates the description from the run:

* a :class:`Field` is an immutable description (parameters only); a run calls
  ``field.prepare(hamiltonian, cells, markers)`` once and gets a :class:`FieldOperator`;
* before each push of the markers (a half step or, where pushes are composed, a whole step),
  the driver calls ``operator.potential(markers, t)`` on every prepared field and streams the
  markers in the Hamiltonian's potential plus the fields' potentials, held fixed during that
  push;
* ``operator.self_consistent`` says whether the potential depends on the markers (a Poisson
  field does): the driver then never composes two pushes into one, so that the field is updated
  between them;
* ``operator.state()`` / ``operator.set_state(arrays)`` is what a checkpoint saves and restores.

:class:`Prescribed` is the simplest field, a given potential; a self-consistent field
(``pmc.fields.Poisson``) deposits the markers' charge and solves for U in ``potential``.
"""
import dataclasses

from ._model import Model
from .potentials import Potential

__all__ = ["Field", "FieldOperator", "Prescribed"]


class Field:
    """A field acting on the markers through a potential (a description).

    Attributes
    ----------
    name : str
        Label of the field (distinct per field of a run).
    """

    name = "field"

    def prepare(self, hamiltonian, cells, markers):
        """The runtime of this field for one run (a :class:`FieldOperator`).

        Parameters
        ----------
        hamiltonian : pmc.Hamiltonian
            The run's Hamiltonian (its own potential is the static external one).
        cells : pmc.Cells or None
            The run's collision cells, if any.
        markers : pmc.Markers
            The initial markers, for checks of their dimensions; they are not kept.
        """
        raise NotImplementedError


class FieldOperator:
    """A prepared field: the potential of each push.

    Attributes
    ----------
    field : Field
        The description it was prepared from.
    name : str
    self_consistent : bool
        True if :meth:`potential` depends on the markers (then the driver updates it before
        every half push and composes no pushes).
    """

    self_consistent = False

    def __init__(self, field):
        self.field = field
        self.name = field.name

    def potential(self, markers, t):
        """The potential U [J] (a :class:`pmc.potentials.Potential`, possibly time-dependent)
        that the next push, starting at time ``t`` [s], adds to the Hamiltonian's.

        Parameters
        ----------
        markers : pmc.Markers
            The markers at time ``t``.
        t : float
            Start of the push [s].
        """
        raise NotImplementedError

    def state(self):
        """Arrays that must be checkpointed; empty by default."""
        return {}

    def set_state(self, arrays):
        """Restore what :meth:`state` returned."""


@dataclasses.dataclass(frozen=True)
class Prescribed(Model, Field):
    """A prescribed potential, the same at every push whatever the markers: the markers move
    exactly as if it were part of the Hamiltonian's potential.

    Parameters
    ----------
    potential : pmc.potentials.Potential
        U(x, t) [J].
    name : str
        Label of the field.

    Examples
    --------
    >>> import pmc
    >>> field = pmc.fields.Prescribed(pmc.potentials.UniformField(2.0))
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> m = pmc.Markers(x=[0.0], p=[0.0])
    >>> field.prepare(H, None, m).potential(m, 0.0)
    UniformField(F=2.0)
    """

    potential: Potential
    name: str = "prescribed"

    def __post_init__(self):
        if not isinstance(self.potential, Potential):
            raise ValueError(f"potential must be a pmc.potentials model, got "
                             f"{self.potential!r}")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

    def prepare(self, hamiltonian, cells, markers):
        return _PrescribedOperator(self)


class _PrescribedOperator(FieldOperator):
    def potential(self, markers, t):
        return self.field.potential
