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
* ``operator.state()`` / ``operator.set_state(arrays)`` is what a checkpoint saves and restores;
* ``operator.kicks``: an operator that acts by kicks (a mesh field, :class:`Poisson`) is not
  added to the Hamiltonian; the driver wraps every push of length h in
  ``operator.kick(markers, h / 2)`` before and ``operator.update(markers, t)``,
  ``operator.kick(markers, h / 2)`` after it, so that the second half kick feels the field of the
  positions after the drift (the particle-in-cell leapfrog);
* ``operator.frame(system)``: the variables it adds to each observed frame.

:class:`Prescribed` is the simplest field, a given potential; :class:`Poisson` is the field the
markers make: their charge deposited on a mesh, the Poisson equation solved on it, the field
interpolated back.
"""
import dataclasses

import numpy as np

from . import _checks, units as _units
from ._kernels import fieldmesh as _mesh
from ._model import Model
from .potentials import Gridded, Potential

__all__ = ["Field", "FieldOperator", "Prescribed", "Poisson", "PoissonOperator", "SHAPES",
           "BOUNDARIES"]

#: Shape functions of the charge assignment and their order.
SHAPES = {"ngp": _mesh.NGP, "cic": _mesh.CIC, "tsc": _mesh.TSC}
#: Boundary conditions of the Poisson equation per axis side.
BOUNDARIES = ("periodic", "dirichlet", "neumann")


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
    #: True if the operator acts by :meth:`kick` (see the module docstring) instead of through
    #: :meth:`potential`.
    kicks = False

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

    def update(self, markers, t):
        """Recompute the field from the markers at time ``t`` [s] (operators that kick)."""

    def kick(self, markers, h):
        """p <- p + h F(x) [kg m/s] with the current field (operators that kick)."""

    def frame(self, system="si"):
        """(variables, coordinates) this field adds to an observed frame: dicts of
        :class:`xarray.Variable` without the ``time`` dimension; empty by default."""
        return {}, {}

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


# ============================================================================ Poisson
def _per_axis(name, value, d, convert):
    """A scalar (every axis) or a sequence of d values, each through ``convert``."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != d:
            raise ValueError(f"{name} must have one entry per axis ({d}), got {value!r}")
        return tuple(convert(f"{name}[{a}]", v) for a, v in enumerate(value))
    return tuple(convert(name, value) for _ in range(d))


def _sides(value, d):
    """boundary -> ((kind_lo, kind_hi), ...) per axis."""
    def one(name, v):
        pair = (v, v) if isinstance(v, str) else tuple(v) if isinstance(v, (list, tuple)) else None
        if pair is None or len(pair) != 2 or not all(isinstance(k, str) for k in pair):
            raise ValueError(f"{name} must be one of {BOUNDARIES} or a (lo, hi) pair of them, "
                             f"got {v!r}")
        for k in pair:
            if k not in BOUNDARIES:
                raise ValueError(f"{name} must be one of {BOUNDARIES} (or a (lo, hi) pair of "
                                 f"them), got {k!r}")
        if ("periodic" in pair) and pair != ("periodic", "periodic"):
            raise ValueError(f"{name}: a periodic axis is periodic on both sides, got {pair}")
        return pair
    if isinstance(value, str):
        return tuple(one("boundary", value) for _ in range(d))
    if d == 1 and isinstance(value, (list, tuple)) and len(value) == 2 \
            and all(isinstance(k, str) for k in value):
        return (one("boundary", tuple(value)),)
    if not isinstance(value, (list, tuple)) or len(value) != d:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, or one entry (a kind or a (lo, "
                         f"hi) pair) per axis ({d}), got {value!r}")
    return tuple(one(f"boundary[{a}]", v) for a, v in enumerate(value))


@dataclasses.dataclass(frozen=True, eq=False)
class Poisson(Model, Field):
    r"""The field the markers make: their charge deposited on a mesh, the Poisson equation

        -div(eps grad phi) = rho_markers + rho_background

    solved on it, and the force charge * E = -charge * grad phi interpolated back to the markers
    (particle-in-cell; C. K. Birdsall and A. B. Langdon, *Plasma Physics via Computer
    Simulation*, chapters 2, 4 and 8; R. W. Hockney and J. W. Eastwood, *Computer Simulation
    Using Particles*, chapter 5).

    Sign conventions: phi [V] is the electrostatic potential, E = -grad phi [V/m], and a marker
    of charge q per unit weight (q = ``charge``, -e for electrons) has the potential energy
    U = q phi [J] per physical particle and feels the force q E [N]. The markers' charge density
    is rho(x_j) = q sum_i w_i S(x_i - x_j) / V_j [C/m^d] (weights: particles per marker; in fewer
    than 3 dimensions, per unit of the transverse length or area, so rho is then C/m^3 of the
    physical system), S the shape function and V_j the volume of node j.

    Discretisation: the 3-point (per axis) finite-difference Laplacian on the nodes, second
    order; variable permittivity enters by the harmonic mean of the two nodes of each edge. The
    field on the nodes is the centred difference E_j = -(phi_{j+1} - phi_{j-1}) / 2h (one-sided,
    second order, at a Dirichlet wall; zero normal component at a Neumann wall). With the same
    shape function for deposit and interpolation, a periodic box has no self-force and
    conserves momentum (Birdsall and Langdon, section 8-5).

    Solvers: all axes periodic and a scalar permittivity: FFT (scipy.fft) with the eigenvalues of
    the finite-difference Laplacian, the mean charge removed (a neutralising uniform background;
    phi has zero mean). Otherwise a sparse LU factorisation (scipy.sparse.linalg.splu), computed
    once per run; without a Dirichlet side the mean charge is removed and phi has zero mean.

    Mesh: along a periodic axis ``n`` nodes at lo + j h, h = (hi - lo) / n; along a bounded axis
    ``n`` nodes at lo + j h, h = (hi - lo) / (n - 1), the walls being the end nodes (a Dirichlet
    value sits on them). A bounded node's volume is halved at each wall. On a bounded axis the
    part of a shape function beyond a wall is folded back onto its mirror image (the deposit
    conserves charge); markers outside the mesh deposit nothing and feel no field.

    Parameters
    ----------
    lo, hi : float or sequence of float
        Mesh extent [m] per axis (1 to 3 axes: the markers' position dimension), hi > lo.
    n : int or sequence of int
        Mesh nodes per axis, >= 3.
    boundary : str or sequence
        "periodic", "dirichlet" or "neumann" for every axis and side, or one entry per axis: a
        kind or a (lo, hi) pair of kinds ("periodic" only on both sides).
    charge : float
        Charge q per unit marker weight [C], non-zero (-``pmc.units.e`` for electrons; -1 in
        plasma units).
    permittivity : float or array_like, optional
        eps [F/m], > 0: a scalar or node values (an array of the mesh's shape) for regions of
        different permittivity. Default ``pmc.units.epsilon_0`` in SI runs, 1 in natural units.
    background : float, array_like or callable, optional
        Fixed charge density [C/m^d] (ions, ionised dopants): a scalar, node values, or a
        callable of the node coordinates (``background(x)`` in 1D, ``background(x, y)`` with
        arrays from ``numpy.meshgrid(..., indexing="ij")`` in 2D, ...) returning node values;
        evaluated once, here.
    shape : {"ngp", "cic", "tsc"}
        Shape function of the deposit and of the interpolation: order 0, 1 or 2.
    voltages : pair of float, or sequence of pairs, optional
        phi [V] on the (lo, hi) walls of the Dirichlet sides: one pair (the first axis with a
        Dirichlet side) or one pair per axis. Default 0.
    name : str
        Label of the field.

    Examples
    --------
    >>> import numpy as np, pmc
    >>> field = pmc.fields.Poisson(0.0, 2 * np.pi, 64, charge=-1.0, background=1.0)
    >>> H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    >>> m = pmc.Markers(x=np.linspace(0, 2 * np.pi, 64, endpoint=False), p=np.zeros(64),
    ...                 w=np.full(64, 2 * np.pi / 64))
    >>> op = field.prepare(H, None, m)
    >>> rho = op.deposit(m) + op.background
    >>> float(np.abs(rho).max()) < 1e-12                       # neutral: no field
    True
    """

    lo: object = 0.0
    hi: object = 1.0
    n: object = 64
    boundary: object = "periodic"
    charge: float = None
    permittivity: object = None
    background: object = 0.0
    shape: str = "cic"
    voltages: object = None
    name: str = "poisson"

    def __post_init__(self):
        lo, hi, n = self.lo, self.hi, self.n
        d = len(lo) if isinstance(lo, (list, tuple, np.ndarray)) else 1
        if not 1 <= d <= 3:
            raise ValueError(f"lo must be a number or 1 to 3 numbers, got {lo!r}")
        lo = _per_axis("lo", lo, d, _checks.finite)
        hi = _per_axis("hi", hi, d, _checks.finite)
        n = _per_axis("n", n, d, lambda k, v: _checks.count(k, v, minimum=3))
        for a in range(d):
            if not hi[a] > lo[a]:
                raise ValueError(f"hi must be > lo on every axis, got lo={lo[a]}, hi={hi[a]} on "
                                 f"axis {a}")
        sides = _sides(self.boundary, d)
        if self.charge is None:
            raise ValueError("charge is required: the charge per unit marker weight [C] "
                             "(-pmc.units.e for electrons, -1 in plasma units)")
        charge = _checks.finite("charge", self.charge)
        if charge == 0.0:
            raise ValueError("charge must be non-zero (a neutral species makes no field)")
        if not isinstance(self.shape, str) or self.shape.lower() not in SHAPES:
            raise ValueError(f"shape must be one of {sorted(SHAPES)}, got {self.shape!r}")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        shape = tuple(n)
        coords = _node_coordinates(lo, hi, n, sides)
        eps = self.permittivity
        if eps is not None:
            if np.ndim(eps) == 0:
                eps = _checks.positive("permittivity", eps)
            else:
                eps = _checks.finite_array("permittivity", eps)
                if eps.shape != shape:
                    raise ValueError(f"permittivity as an array must have the mesh's shape "
                                     f"{shape}, got {eps.shape}")
                if not np.all(eps > 0):
                    raise ValueError("permittivity must be > 0 at every node")
        bg = self.background
        if callable(bg):
            grids = np.meshgrid(*coords, indexing="ij")
            bg = bg(*grids)
            bg = _checks.finite_array("background (the callable's values)", bg)
            if bg.shape != shape:
                raise ValueError(f"background: the callable returned shape {bg.shape}, the mesh "
                                 f"is {shape}")
        elif np.ndim(bg) == 0:
            bg = _checks.finite("background", bg)
        else:
            bg = _checks.finite_array("background", bg)
            if bg.shape != shape:
                raise ValueError(f"background as an array must have the mesh's shape {shape}, "
                                 f"got {bg.shape}")
        volts = self.voltages
        dirichlet = [a for a in range(d) if "dirichlet" in sides[a]]
        if volts is None:
            volts = tuple((0.0, 0.0) for _ in range(d))
        else:
            pairs = np.asarray(volts, dtype=object)
            if pairs.shape == (2,):
                if not dirichlet:
                    raise ValueError("voltages given, but no side is 'dirichlet'")
                one = tuple(_checks.finite(f"voltages[{k}]", v) for k, v in enumerate(volts))
                volts = tuple(one if a == dirichlet[0] else (0.0, 0.0) for a in range(d))
            elif pairs.shape == (d, 2):
                volts = tuple(tuple(_checks.finite(f"voltages[{a}][{k}]", v)
                                    for k, v in enumerate(volts[a])) for a in range(d))
            else:
                raise ValueError(f"voltages must be a (V_lo, V_hi) pair or one pair per axis "
                                 f"({d}), got {self.voltages!r}")
        for attr, v in (("lo", lo), ("hi", hi), ("n", n), ("boundary", sides),
                        ("charge", charge), ("permittivity", eps), ("background", bg),
                        ("shape", self.shape.lower()), ("voltages", volts)):
            object.__setattr__(self, attr, v)

    @property
    def ndim(self):
        """Number of mesh axes."""
        return len(self.n)

    def prepare(self, hamiltonian, cells, markers):
        if markers.dx != self.ndim:
            raise ValueError(f"the Poisson mesh has {self.ndim} axes, the markers dx="
                             f"{markers.dx}")
        return PoissonOperator(self, hamiltonian)

    def __repr__(self):
        def short(v):
            return (f"array(shape={v.shape}, sum={float(np.sum(v)):.17g})"
                    if isinstance(v, np.ndarray) else repr(v))
        body = ", ".join(f"{f.name}={short(getattr(self, f.name))}"
                         for f in dataclasses.fields(self))
        return f"Poisson({body})"


def _node_coordinates(lo, hi, n, sides):
    out = []
    for a in range(len(n)):
        if sides[a][0] == "periodic":
            out.append(lo[a] + (hi[a] - lo[a]) / n[a] * np.arange(n[a]))
        else:
            out.append(np.linspace(lo[a], hi[a], n[a]))
    return out


class PoissonOperator(FieldOperator):
    """A prepared :class:`Poisson` field (one run): the mesh, the factorised solver, and the
    field of the last :meth:`update`.

    Attributes
    ----------
    mesh : tuple of ndarray
        Node coordinates [m] per axis.
    spacing : ndarray (d,)
        Node spacing [m] per axis.
    volume : ndarray (mesh shape)
        Node volumes [m^d] (halved at each bounded wall).
    background : ndarray (mesh shape)
        The fixed charge density [C/m^d] on the nodes.
    permittivity : float or ndarray
        eps [F/m].
    phi : ndarray (mesh shape)
        Potential [V] of the last :meth:`update`.
    efield : ndarray (d, then the mesh shape)
        Electric field [V/m] of the last :meth:`update`.
    """

    self_consistent = True
    kicks = True

    def __init__(self, field, hamiltonian):
        super().__init__(field)
        f = field
        d = f.ndim
        self.shape = tuple(f.n)
        self.ndim = d
        self.order = SHAPES[f.shape]
        self.sides = f.boundary
        self.periodic = tuple(s[0] == "periodic" for s in f.boundary)
        self.mesh = tuple(_node_coordinates(f.lo, f.hi, f.n, f.boundary))
        self.spacing = np.array([(f.hi[a] - f.lo[a]) / (f.n[a] if self.periodic[a]
                                                       else f.n[a] - 1) for a in range(d)])
        eps = f.permittivity
        if eps is None:
            eps = _units.epsilon_0 if getattr(hamiltonian, "units", "si") == "si" else 1.0
        self.permittivity = eps
        self.charge = f.charge
        self.background = np.broadcast_to(np.asarray(f.background, float), self.shape).copy()
        vol = np.ones(self.shape)
        for a in range(d):
            fac = np.full(self.shape[a], self.spacing[a])
            if not self.periodic[a]:
                fac[0] *= 0.5
                fac[-1] *= 0.5
            vol = vol * fac.reshape([-1 if b == a else 1 for b in range(d)])
        self.volume = vol
        # kernel description of the mesh (3 axes, unused ones of 1 node)
        self._lo = np.zeros(3)
        self._inv_h = np.ones(3)
        self._n = np.ones(3, np.int64)
        self._per = np.zeros(3, np.int64)
        for a in range(d):
            self._lo[a] = f.lo[a]
            self._inv_h[a] = 1.0 / self.spacing[a]
            self._n[a] = f.n[a]
            self._per[a] = self.periodic[a]
        self._dirichlet = any("dirichlet" in s for s in self.sides)
        self._fft = all(self.periodic) and np.ndim(eps) == 0
        if self._fft:
            k2 = np.zeros([self.shape[a] if a < d - 1 else self.shape[a] // 2 + 1
                           for a in range(d)])
            for a in range(d):
                m = self.shape[a]
                k = np.fft.rfftfreq(m) if a == d - 1 else np.fft.fftfreq(m)
                lam = (2.0 * np.sin(np.pi * k) / self.spacing[a]) ** 2
                k2 = k2 + lam.reshape([-1 if b == a else 1 for b in range(d)])
            k2.flat[0] = 1.0
            self._inv_k2 = 1.0 / (eps * k2)
            self._inv_k2.flat[0] = 0.0
        else:
            self._matrix, self._fixed = self._assemble(eps)
            from scipy.sparse.linalg import splu
            self._lu = splu(self._matrix.tocsc())
        self._weights = np.zeros(int(np.prod(self.shape)))
        self._force = np.zeros((d, self._weights.size))
        self.phi = np.zeros(self.shape)
        self.efield = np.zeros((d, *self.shape))
        self._gridded = None

    # ------------------------------------------------------------------ the linear system
    def _assemble(self, eps):
        """The finite-difference operator -div(eps grad) on all nodes (CSR), Dirichlet nodes as
        identity rows; and the mask of the rows fixed by a Dirichlet value."""
        import scipy.sparse as sp

        shape, d = self.shape, self.ndim
        size = int(np.prod(shape))
        index = np.arange(size).reshape(shape)
        epsn = np.broadcast_to(np.asarray(eps, float), shape)
        rows, cols, vals = [], [], []
        diag = np.zeros(shape)
        fixed = np.zeros(shape, bool)
        for a in range(d):
            h2 = self.spacing[a] ** 2
            m = shape[a]
            lo_kind, hi_kind = self.sides[a]
            if lo_kind == "dirichlet":
                fixed[tuple(0 if b == a else slice(None) for b in range(d))] = True
            if hi_kind == "dirichlet":
                fixed[tuple(m - 1 if b == a else slice(None) for b in range(d))] = True
            # edges j -- j + 1 along a (and m - 1 -- 0 when periodic)
            j = np.arange(m) if self.periodic[a] else np.arange(m - 1)
            k = (j + 1) % m
            src = np.take(index, j, axis=a)
            dst = np.take(index, k, axis=a)
            ea = np.take(epsn, j, axis=a)
            eb = np.take(epsn, k, axis=a)
            c = 2.0 * ea * eb / (ea + eb) / h2
            # a Neumann wall node's mirror ghost doubles its one edge
            cs = c.copy()
            cd = c.copy()
            if not self.periodic[a]:
                if lo_kind == "neumann":
                    sl = tuple(0 if b == a else slice(None) for b in range(d))
                    cs[sl] *= 2.0
                if hi_kind == "neumann":
                    sl = tuple(m - 2 if b == a else slice(None) for b in range(d))
                    cd[sl] *= 2.0
            for r, q, cc in ((src, dst, cs), (dst, src, cd)):
                rows.append(r.ravel())
                cols.append(q.ravel())
                vals.append(-cc.ravel())
                np.add.at(diag.reshape(-1), r.ravel(), cc.ravel())
        rows.append(index.ravel())
        cols.append(index.ravel())
        vals.append(diag.ravel())
        rows, cols, vals = (np.concatenate(v) for v in (rows, cols, vals))
        keep = ~fixed.ravel()[rows]
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        fixed_idx = index[fixed]
        if not self._dirichlet:  # pin node 0 (phi is then shifted to zero mean)
            keep = rows != 0
            rows, cols, vals = rows[keep], cols[keep], vals[keep]
            fixed_idx = np.array([0])
        rows = np.concatenate([rows, fixed_idx])
        cols = np.concatenate([cols, fixed_idx])
        vals = np.concatenate([vals, np.ones(fixed_idx.size)])
        A = sp.csr_matrix((vals, (rows, cols)), shape=(size, size))
        return A, fixed

    def _boundary_values(self, voltages):
        """phi on the Dirichlet nodes (mesh shape; NaN elsewhere)."""
        d = self.ndim
        out = np.full(self.shape, np.nan)
        for a in range(d):
            for side, kind in enumerate(self.sides[a]):
                if kind != "dirichlet":
                    continue
                sl = tuple((0 if side == 0 else self.shape[a] - 1) if b == a else slice(None)
                           for b in range(d))
                out[sl] = voltages[a][side]
        return out

    # ------------------------------------------------------------------ public operations
    def deposit(self, markers):
        """The markers' charge density on the nodes [C/m^d] (mesh shape): q sum_i w_i S / V_j."""
        x, _, w, _ = markers.kernel_arrays()
        _mesh.deposit(x, w, markers.n, markers.dx, self.order, self._lo, self._inv_h, self._n,
                      self._per, self._weights)
        return self.charge * self._weights.reshape(self.shape) / self.volume

    def solve(self, charge_density, voltages=None):
        """The potential phi [V] on the nodes for the total charge density ``charge_density``
        [C/m^d] (mesh shape; include the background yourself), with the description's wall
        voltages or ``voltages`` (as :class:`Poisson` takes them: one pair or one per axis).

        Without a Dirichlet side the mean charge (volume-weighted) is removed first and phi has
        zero mean."""
        rho = _checks.finite_array("charge_density", charge_density)
        if rho.shape != self.shape:
            raise ValueError(f"charge_density must have the mesh's shape {self.shape}, got "
                             f"{rho.shape}")
        if voltages is None:
            volts = self.field.voltages
        else:
            volts = dataclasses.replace(self.field, voltages=voltages).voltages
        if self._fft:
            import scipy.fft

            phi = scipy.fft.irfftn(scipy.fft.rfftn(rho) * self._inv_k2, s=self.shape)
            return phi
        if not self._dirichlet:
            rho = rho - np.sum(rho * self.volume) / np.sum(self.volume)
        b = rho.copy()
        if self._dirichlet:
            values = self._boundary_values(volts)
            b[self._fixed] = values[self._fixed]
        else:
            b.flat[0] = 0.0
        phi = self._lu.solve(b.ravel()).reshape(self.shape)
        if not self._dirichlet:
            phi -= np.sum(phi * self.volume) / np.sum(self.volume)
        return phi

    def electric_field(self, phi):
        """E = -grad phi [V/m] on the nodes, (d, then the mesh shape): centred differences
        (one-sided, second order, at a Dirichlet wall; 0 normal to a Neumann wall)."""
        d = self.ndim
        out = np.empty((d, *self.shape))
        for a in range(d):
            h = self.spacing[a]
            if self.periodic[a]:
                out[a] = -(np.roll(phi, -1, axis=a) - np.roll(phi, 1, axis=a)) / (2.0 * h)
                continue
            g = np.empty_like(phi)
            mid = [slice(None)] * d
            up = [slice(None)] * d
            dn = [slice(None)] * d
            mid[a], up[a], dn[a] = slice(1, -1), slice(2, None), slice(None, -2)
            g[tuple(mid)] = (phi[tuple(up)] - phi[tuple(dn)]) / (2.0 * h)
            for side in (0, 1):
                s = 1 if side == 0 else -1
                i0 = 0 if side == 0 else self.shape[a] - 1
                t = [slice(None)] * d
                t[a] = i0
                t1, t2 = list(t), list(t)
                t1[a], t2[a] = i0 + s, i0 + 2 * s
                if self.sides[a][side] == "neumann":
                    g[tuple(t)] = 0.0
                else:
                    g[tuple(t)] = s * (-3.0 * phi[tuple(t)] + 4.0 * phi[tuple(t1)]
                                       - phi[tuple(t2)]) / (2.0 * h)
            out[a] = -g
        return out

    def field_energy(self, phi=None):
        """(1/2) int eps |grad phi|^2 dV [J] with the gradient on the edges between nodes (the
        discrete energy of the 3-point Laplacian: equal to (1/2) sum rho phi V in a periodic
        box)."""
        phi = self.phi if phi is None else phi
        d = self.ndim
        epsn = np.broadcast_to(np.asarray(self.permittivity, float), self.shape)
        total = 0.0
        cell = float(np.prod(self.spacing))
        for a in range(d):
            if self.periodic[a]:
                diff = np.roll(phi, -1, axis=a) - phi
                ea, eb = epsn, np.roll(epsn, -1, axis=a)
                wt = np.ones(self.shape)
            else:
                sl0 = [slice(None)] * d
                sl1 = [slice(None)] * d
                sl0[a], sl1[a] = slice(None, -1), slice(1, None)
                diff = phi[tuple(sl1)] - phi[tuple(sl0)]
                ea, eb = epsn[tuple(sl0)], epsn[tuple(sl1)]
                wt = np.ones(diff.shape)
            # the edge's share of the transverse node volumes (halved at bounded walls)
            for b in range(d):
                if b == a or self.periodic[b]:
                    continue
                fac = np.ones(wt.shape[b])
                fac[0] = fac[-1] = 0.5
                wt = wt * fac.reshape([-1 if c == b else 1 for c in range(d)])
            e_edge = 2.0 * ea * eb / (ea + eb)
            total += 0.5 * float(np.sum(wt * e_edge * diff ** 2)) * cell / self.spacing[a] ** 2
        return total

    def update(self, markers, t=0.0):
        """Deposit the markers' charge, solve, and keep phi, E and the force per particle
        charge * E on the mesh."""
        rho = self.deposit(markers) + self.background
        self.phi = self.solve(rho)
        self.efield = self.electric_field(self.phi)
        np.multiply(self.efield.reshape(self.ndim, -1), self.charge, out=self._force)

    @property
    def fusable(self):
        """Whether :meth:`kick_drift_update` applies: a 1-D mesh (periodic or bounded)."""
        return self.ndim == 1

    def kick_drift_update(self, markers, h_kick, dt, inv_mass, lo, hi, kind_lo, kind_hi):
        """:meth:`kick` (``h_kick`` [s]), the free drift x += dt p / m (``dt`` [s], ``inv_mass``
        1/m [1/kg]) with the walls at [``lo``, ``hi``) [m] of kinds ``kind_lo``, ``kind_hi``
        (the push's codes, :meth:`pmc.streaming.Streamer.free_1d`: periodic, reflecting or
        open), then :meth:`update`, in one pass over the markers
        (:func:`pmc._kernels.fieldmesh.kick_drift_deposit`): the same numbers as the three
        calls (with the free-flight push) on a :attr:`fusable` mesh."""
        if markers.n:
            x, p, w, _ = markers.kernel_arrays()
            _mesh.kick_drift_deposit(x, p, w, markers.n, self.order, bool(self._per[0]),
                                     float(self._lo[0]), float(self._inv_h[0]), int(self._n[0]),
                                     self._force, float(h_kick), float(dt), float(inv_mass),
                                     int(kind_lo), int(kind_hi), float(lo), float(hi),
                                     self._weights)
        else:
            self._weights[:] = 0.0
        rho = self.charge * self._weights.reshape(self.shape) / self.volume + self.background
        self.phi = self.solve(rho)
        self.efield = self.electric_field(self.phi)
        np.multiply(self.efield.reshape(self.ndim, -1), self.charge, out=self._force)

    def set_density(self, number_density):
        """Solve for the charge q ``number_density`` [1/m^d] (node values, mesh shape) plus the
        background and keep phi, E and the force on the mesh (what :meth:`update` does with the
        markers' deposit; the grid solver gives its density)."""
        rho = self.charge * np.asarray(number_density, float).reshape(self.shape) + self.background
        self.phi = self.solve(rho)
        self.efield = self.electric_field(self.phi)
        np.multiply(self.efield.reshape(self.ndim, -1), self.charge, out=self._force)

    def kick(self, markers, h):
        """p <- p + h q E(x) on the first d momentum components, E interpolated with the
        deposit's shape function."""
        if markers.n == 0 or h == 0.0:
            return
        x, p, _, _ = markers.kernel_arrays()
        _mesh.kick(x, p, markers.n, markers.dx, self.order, self._lo, self._inv_h, self._n,
                   self._per, self._force, float(h))

    def interpolate(self, markers, values):
        """Node ``values`` (mesh shape, or (k, then the mesh shape)) at the markers with the
        deposit's shape function: (n,) or (k, n); 0 for markers outside a bounded mesh."""
        v = np.asarray(values, float)
        single = v.shape == self.shape
        v = np.ascontiguousarray(v.reshape(1 if single else v.shape[0], -1))
        x, _, _, _ = markers.kernel_arrays()
        out = np.empty((v.shape[0], markers.n))
        _mesh.gather(x, markers.n, markers.dx, self.order, self._lo, self._inv_h, self._n,
                     self._per, v, out)
        return out[0] if single else out

    def potential(self, markers, t):
        """U = q phi [J] along x as a :class:`pmc.potentials.Gridded` table (1D meshes): the
        field for code that takes a potential. The marker driver does not use it: it kicks with
        the mesh field (:meth:`kick`), interpolated with the deposit's shape."""
        if self.ndim != 1:
            raise NotImplementedError("Poisson.potential as a pmc potential exists for 1D meshes; "
                                      "the marker driver uses the operator's kick")
        self.update(markers, t)
        x, u = self.mesh[0], self.charge * self.phi
        if self.periodic[0]:
            x = np.append(x, self.field.hi[0])
            u = np.append(u, u[0])
        return Gridded(x, u, ends="natural")

    def frame(self, system="si"):
        from .schema import coordinate, variable

        dims = tuple(f"field_{a}" for a in "xyz"[:self.ndim])
        coords = {dn: coordinate(dn, self.mesh[a].copy(), system) for a, dn in enumerate(dims)}
        data = {"potential": variable("potential", self.phi.copy(), dims, system),
                "field_energy": variable("field_energy", self.field_energy(), (), system)}
        for a, suffix in enumerate(("", "_y", "_z")[:self.ndim]):
            data["electric_field" + suffix] = variable("electric_field" + suffix,
                                                       self.efield[a].copy(), dims, system)
        return data, coords
