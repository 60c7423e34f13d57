"""The output schema: every variable and coordinate pmc writes, declared once (DESIGN section 3).

Each :class:`Declaration` gives a name its long name, its units (SI, as a function of how many
spatial and momentum dimensions the variable has), an optional CF ``standard_name``, the shape of
its dimensions and the rule by which an ensemble of independent replicas merges it:

``"sum"``
    summed over the replicas (counts: ``n_markers``, ``collisions``);
``"mean"``
    averaged with each replica weighted by its initial total weight (every extensive quantity);
``"ratio"``
    averaged with each replica weighted per cell by its density (``mean_velocity``,
    ``temperature``: ratios of cell sums);
``"fraction"``
    averaged with each replica weighted by its total weight at each time (``weight_outside_*``).

A ``*_mean`` companion (a steady-state time average, :mod:`pmc.averages`) and a ``*_stderr``
companion are declared with their quantity: same units, "standard error of ..." and
the quantity's merge rule ("mean" for the error of a count). The observers of the three solvers
build their variables with :func:`variable` and :func:`coordinate`, ``pmc info`` and ``pmc plot``
read :func:`declaration` and the ensemble merge reads :func:`merge_rule`.

Names shared by the solvers mean the same quantity: a wave function's ``total_weight`` is its
probability in the box, what a marker run's total weight is when the markers carry probability;
``density`` and ``current`` are number densities, probability densities for a wave function.

Units. pmc works in any consistent system of units. :func:`unit_system` tells SI runs from runs
in natural units (the system the run's Hamiltonian states), whose numbers carry no unit: those are
written with units "1". :func:`units` is the one place that maps a declaration to a unit string,
so a unit system named explicitly by a case only has to be handed to it. Unit strings are those
UDUNITS-2 parses; where UDUNITS cannot spell a unit (the half-integer powers of the metre of a
wave function in one or three dimensions) the variable has no ``units`` and a ``comment`` says
what they are.

Time is the elapsed simulation time: a coordinate in seconds (or "1"), not a calendar time, so it
has no CF ``standard_name`` (CF's ``time`` asks for "<unit> since <epoch>").

Examples
--------
>>> from pmc import schema
>>> v = schema.variable("density", [1.0, 2.0], dims=("x",))
>>> v.attrs["units"], v.attrs["long_name"]
('1/m', 'number density (probability density |psi|^2 for a wave function)')
>>> schema.units("f", dims=("x", "p"))
'1/(m kg m/s)'
>>> schema.units("f", dims=("x", "p"), system="natural")
'1'
>>> schema.merge_rule("mean_velocity_y_stderr"), schema.merge_rule("n_markers")
('ratio', 'sum')
"""
import dataclasses

import numpy as np
import xarray as xr

__all__ = ["Declaration", "CONVENTIONS", "SYSTEMS", "MERGE_RULES", "SPATIAL_DIMS",
           "MOMENTUM_DIMS", "CELL_DIMS", "declaration", "declared", "attrs", "units", "variable",
           "spec", "coordinate", "merge_rule", "unit_system", "system_of", "names", "conforms"]

#: The CF version the files follow (CF-1.9: the first that admits 64-bit integer variables).
CONVENTIONS = "CF-1.9"
#: Unit systems :func:`units` knows.
SYSTEMS = ("si", "natural")
#: hbar below this [J s] is an SI value: :data:`pmc.units.SI_HBAR_BELOW` (the two modules are
#: in the same layer and import neither the other).
SI_HBAR_BELOW = 1e-20
#: How an ensemble merges a variable (see the module docstring).
MERGE_RULES = ("sum", "mean", "ratio", "fraction")
#: Dimension names of the position and momentum axes.
SPATIAL_DIMS = ("x", "y", "z")
MOMENTUM_DIMS = ("p", "py", "pz")
#: Dimension names of the axes of a field mesh (:class:`pmc.fields.Poisson`).
FIELD_DIMS = ("field_x", "field_y", "field_z")
#: Dimension names of the collision-cell axes (time-averaged gas moments, :mod:`pmc.sampling`).
CELL_DIMS = ("cell_x", "cell_y", "cell_z")

#: Dimension shapes: "space" stands for any of SPATIAL_DIMS, "momentum" for MOMENTUM_DIMS; other
#: entries are literal dimension names. ``time`` is never declared: every frame adds it.
_SPACE, _MOMENTUM = "space", "momentum"
#: ... and "field" for one or more axes of FIELD_DIMS.
_FIELD = "field"
#: "cells" stands for one or more of CELL_DIMS.
_CELLS = "cells"


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One output variable or coordinate.

    Parameters
    ----------
    name : str
    long_name : str
    units : str or callable
        SI units; a callable of (k, l), the numbers of spatial and momentum dimensions of the
        variable, for units that depend on them; None where UDUNITS cannot spell the unit.
    dims : tuple of str
        Dimension shape after ``time``: "space" and "momentum" stand for one or more axes of
        that kind; other names are literal.
    merge : {"sum", "mean", "ratio", "fraction"}
        How an ensemble merges it.
    standard_name : str or None
        The CF standard name, where CF has one.
    extra : tuple of (key, value)
        Further attributes every instance carries (e.g. ``missing_value``).
    coordinate : bool
        A coordinate variable (its own dimension).
    """

    name: str
    long_name: str
    units: object = "1"
    dims: tuple = ()
    merge: str = "mean"
    standard_name: str = None
    extra: tuple = ()
    coordinate: bool = False

    def __post_init__(self):
        if self.merge not in MERGE_RULES:
            raise ValueError(f"merge of {self.name!r} must be one of {MERGE_RULES}, got "
                             f"{self.merge!r}")


def _per_volume(unit, k):
    return unit + ("/m" if k == 1 else f"/m^{k}")


def _phase_space(k, m):
    parts = []
    if k:
        parts.append("m" if k == 1 else f"m^{k}")
    if m:
        parts.append("kg m/s" if m == 1 else f"(kg m/s)^{m}")
    return "1/(" + " ".join(parts) + ")" if parts else "1"


def _current(k, m):
    return {1: "1/s", 2: "1/(m s)", 3: "1/(m^2 s)"}[k]


def _psi(k, m):
    return {2: "1/m"}.get(k)  # m^(-1/2) and m^(-3/2) have no UDUNITS spelling


_SPACE_DIMS = (_SPACE,)
_PHASE_DIMS = (_SPACE, _MOMENTUM)
_MISSING = (("missing_value", np.nan),)

_DECLARATIONS = [
    # ---------------------------------------------------------------- coordinates
    Declaration("time", "time", "s", ("time",), coordinate=True),
    *[Declaration(d, f"position {d}", "m", (d,), coordinate=True) for d in SPATIAL_DIMS],
    *[Declaration(d, f"momentum p_{a}", "kg m/s", (d,), coordinate=True)
      for d, a in zip(MOMENTUM_DIMS, "xyz")],
    Declaration("component", "momentum component", None, ("component",), coordinate=True),
    Declaration("side", "wall", None, ("side",), coordinate=True),
    Declaration("p_side", "end of the momentum range", None, ("p_side",), coordinate=True),
    Declaration("contact", "contact", None, ("contact",), coordinate=True),
    Declaration("mechanism", "collision mechanism", None, ("mechanism",), coordinate=True),
    *[Declaration(d, f"centre of the collision cell along {a}", "m", (d,), coordinate=True)
      for d, a in zip(CELL_DIMS, "xyz")],
    Declaration("direction", "direction of a vector or tensor component", None, ("direction",),
                coordinate=True),
    Declaration("direction_2", "direction of the second index of a tensor", None,
                ("direction_2",), coordinate=True),
    # ---------------------------------------------------------------- phase-space densities
    Declaration("f", "phase-space density", _phase_space, _PHASE_DIMS),
    Declaration("rho", "envelope density |A(x, p)|^2", _phase_space, _PHASE_DIMS),
    Declaration("wigner", "Wigner function", _phase_space, _PHASE_DIMS),
    Declaration("rho_markers", "marker phase-space density, as compared with the reference",
                _phase_space, _PHASE_DIMS),
    Declaration("rho_reference", "reference density", _phase_space, _PHASE_DIMS),
    # ---------------------------------------------------------------- moments over cells
    Declaration("density", "number density (probability density |psi|^2 for a wave function)",
                lambda k, m: _per_volume("1", k), _SPACE_DIMS),
    *[Declaration("current" + s, f"particle current density ({a} component; probability "
                  f"current Re(conj(psi) v(-i hbar grad) psi) for a wave function)",
                  _current, _SPACE_DIMS) for s, a in (("", "x"), ("_y", "y"), ("_z", "z"))],
    Declaration("energy_density", "kinetic energy density", lambda k, m: _per_volume("J", k),
                _SPACE_DIMS),
    *[Declaration("mean_velocity" + s, f"mean velocity ({a} component)", "m/s", _SPACE_DIMS,
                  merge="ratio", extra=_MISSING)
      for s, a in (("", "x"), ("_y", "y"), ("_z", "z"))],
    Declaration("temperature", "kinetic temperature (mean over momentum components of "
                "cov(p_i, v_i))", "J", _SPACE_DIMS, merge="ratio", extra=_MISSING),
    Declaration("psi_real", "real part of the wave function", _psi, _SPACE_DIMS),
    Declaration("psi_imag", "imaginary part of the wave function", _psi, _SPACE_DIMS),
    # ---------------------------------------------------------------- fractions outside the grid
    Declaration("weight_outside_x_range", "fraction of the total weight outside the spatial "
                "range of the grid", merge="fraction"),
    Declaration("weight_outside_p_range", "fraction of the total weight outside the momentum "
                "range of the grid", merge="fraction"),
    Declaration("weight_outside_grid", "fraction of the total weight outside the grid (space "
                "or momentum)", merge="fraction"),
    # ---------------------------------------------------------------- scalars per time
    Declaration("n_markers", "number of markers", "1", merge="sum"),
    Declaration("total_weight", "total weight (particles; probability for a wave function)"),
    Declaration("energy", "total energy: sum w H(x, p, t) over markers, int f H on a grid, "
                "<psi|H|psi> for a wave function", "J"),
    Declaration("momentum", "total momentum: sum w p over markers, int f p on a grid, "
                "<psi|p|psi> for a wave function", "kg m/s", ("component",)),
    Declaration("absorbed", "weight absorbed at each wall since t0 (cumulative; probability "
                "for a wave function)", "1", ("side",)),
    Declaration("absorbed_p", "weight that left the momentum range of the grid at each end "
                "since t0 (cumulative)", "1", ("p_side",)),
    Declaration("injected", "weight injected through each contact (with pmc.Freestream: each "
                "face, x_lo .. z_hi) since t0 (cumulative)", "1",
                ("contact",)),
    Declaration("contact_current", "current into the device through each contact: charge "
                "injected minus absorbed there per time, over the interval ending at this time",
                "A", ("contact",)),
    Declaration("ramo_current", "current into the device through each contact by the "
                "Ramo-Shockley theorem, -q sum w v.grad(phi_contact), at this time", "A",
                ("contact",)),
    Declaration("collisions", "collision events in the interval ending at this time", "1",
                ("mechanism",), merge="sum"),
    # ---------------------------------------------------------------- gases: walls, cell moments
    # (three-dimensional units: with dx < 3 a marker's weight counts molecules per unit length
    # or area of the axes not simulated)
    Declaration("wall_pressure", "normal stress the gas exerts on each wall side over the "
                "interval ending at this time (momentum flux into the wall)", "Pa", ("side",),
                extra=_MISSING),
    Declaration("wall_shear_stress", "tangential stress the gas exerts on each wall side over "
                "the interval ending at this time (the normal component is 0)", "Pa",
                ("side", "direction"), extra=_MISSING),
    Declaration("wall_heat_flux", "heat flux from the gas into each wall side over the interval "
                "ending at this time (kinetic energy in the wall's frame)", "W/m^2", ("side",),
                extra=_MISSING),
    Declaration("number_density", "number density of the gas in a collision cell", "1/m^3",
                (_CELLS,), extra=_MISSING),
    Declaration("flow_velocity", "mean velocity of the gas in a collision cell", "m/s",
                (_CELLS, "direction"), merge="ratio", extra=_MISSING),
    *[Declaration(f"temperature_{a}", f"translational temperature k_B T_{a} = m <c_{a}^2> of "
                  "the gas in a collision cell", "J", (_CELLS,), merge="ratio", extra=_MISSING)
      for a in "xyz"],
    Declaration("translational_temperature", "translational temperature k_B T = (T_x + T_y + "
                "T_z) / 3 of the gas in a collision cell", "J", (_CELLS,), merge="ratio",
                extra=_MISSING),
    Declaration("pressure_tensor", "pressure tensor n m <c_i c_j> of the gas in a collision "
                "cell", "Pa", (_CELLS, "direction", "direction_2"), extra=_MISSING),
    Declaration("heat_flux", "heat-flux vector n m <|c|^2 c_i> / 2 of the gas in a collision "
                "cell", "W/m^2", (_CELLS, "direction"), extra=_MISSING),
    # per-species cell moments of a mixture (time averages only: *_mean, *_mean_stderr); the
    # ratios merge as a mean, as species_velocity (the "ratio" rule weights by the total density)
    Declaration("species_number_density", "number density of each species in a collision "
                "cell", "1/m^3", ("species", _CELLS), extra=_MISSING),
    Declaration("species_flow_velocity", "mean velocity of each species in a collision cell",
                "m/s", ("species", _CELLS, "direction"), extra=_MISSING),
    Declaration("species_translational_temperature", "translational temperature k_B T = m "
                "<|c_s|^2> / 3 of each species in a collision cell (c_s about the species' "
                "own mean velocity)", "J", ("species", _CELLS), extra=_MISSING),
    Declaration("species_heat_flux", "heat-flux vector n_s m_s <|c_s|^2 c_s> / 2 of each "
                "species in a collision cell (about its own mean velocity)", "W/m^2",
                ("species", _CELLS, "direction"), extra=_MISSING),
    # ---------------------------------------------------------------- signed-particle Wigner
    Declaration("n_positive", "number of markers of positive weight (signed particles)", "1",
                merge="sum"),
    Declaration("n_negative", "number of markers of negative weight (signed particles)", "1",
                merge="sum"),
    Declaration("weight_negative", "sum of the negative weights (signed particles)", "1"),
    Declaration("pairs_generated", "marker pairs generated by the Wigner potential in the "
                "interval ending at this time", "1", merge="sum"),
    Declaration("annihilated_weight", "absolute weight removed by annihilation of opposite "
                "signs (and regrouped by the budget) in the interval ending at this time", "1"),
    # ---------------------------------------------------------------- semiconductor transport
    Declaration("valley", "valley of a multi-valley band", None, ("valley",), coordinate=True),
    Declaration("valley_population", "fraction of the weight in each valley", "1", ("valley",)),
    Declaration("axis", "position axis", None, ("axis",), coordinate=True),
    Declaration("band_energy", "band energy of the markers: sum w E(p) (the valley minimum "
                "included, the potential not)", "J"),
    Declaration("drift_velocity", "mean group velocity of the markers: sum w v(p) / sum w",
                "m/s", ("component",)),
    Declaration("mean_energy", "mean energy per particle (energy / total_weight)", "J"),
    Declaration("position_variance", "variance of the marker positions along each axis", "m2",
                ("axis",)),
    Declaration("mobility", "mobility <v> / E along the driving field", "m2 V-1 s-1",
                _SPACE_DIMS),
    Declaration("diffusion_coefficient", "diffusion coefficient (1/2) d var(x) / dt", "m2/s",
                ("axis",)),
    # ---------------------------------------------------------------- self-consistent fields
    *[Declaration(d, f"position {d[-1]} of the field mesh nodes", "m", (d,), coordinate=True)
      for d in FIELD_DIMS],
    Declaration("potential", "electrostatic potential phi on the field mesh", "V", (_FIELD,)),
    *[Declaration("electric_field" + s, f"electric field E = -grad phi ({a} component) on the "
                  "field mesh", "V/m", (_FIELD,))
      for s, a in (("", "x"), ("_y", "y"), ("_z", "z"))],
    Declaration("field_energy", "electrostatic field energy (1/2) int eps |grad phi|^2 dV", "J"),
    # ---------------------------------------------------------------- gas mixtures
    Declaration("species", "species of a gas mixture", None, ("species",), coordinate=True),
    Declaration("internal_energy", "total internal (rotational) energy: sum w e_internal over "
                "markers (not in energy)", "J"),
    Declaration("species_density", "number density of each species",
                lambda k, m: _per_volume("1", k), ("species", _SPACE)),
    # ratios of per-species sums: an ensemble averages them over its replicas (the "ratio"
    # rule weights by the total density, not the species')
    Declaration("species_velocity", "mean velocity of each species", "m/s",
                ("species", "component", _SPACE), extra=_MISSING),
    Declaration("species_temperature", "translational temperature k T of each species "
                "(m <|v - u|^2> / 3)", "J", ("species", _SPACE), extra=_MISSING),
    Declaration("rotational_temperature", "rotational temperature k T_rot of each species "
                "(<e_rot> / (dof / 2))", "J", ("species", _SPACE), extra=_MISSING),
    # ---------------------------------------------------------------- envelope and comparison
    Declaration("rho_integral", "integral of rho over the grid"),
    Declaration("distance", "total variation distance 1/2 int int |rho_reference - "
                "rho_markers| dx dp"),
    Declaration("noise_floor", "expected distance from sampling noise alone for the markers "
                "used"),
    Declaration("noise_floor_spread", "standard deviation of the noise-only distance"),
]

#: The moments :func:`pmc.compare` measures on both densities: name -> (SI units, text).
_COMPARED = {"norm": ("1", "integral over the grid"),
             "mean_x": ("m", "mean position <x>"),
             "mean_p": ("kg m/s", "mean momentum <p>"),
             "transmitted": ("1", "transmitted fraction (x > divide plus absorbed at x_hi)")}
for _name, (_units, _text) in _COMPARED.items():
    _DECLARATIONS += [
        Declaration(f"{_name}_reference", f"{_text} of the reference", _units),
        Declaration(f"{_name}_markers", f"{_text} of the markers", _units),
        Declaration(f"{_name}_difference", f"{_text}: reference - markers", _units)]

_TABLE = {d.name: d for d in _DECLARATIONS}


# ============================================================================ look-up
def names():
    """Every declared name (``*_stderr`` companions not listed)."""
    return tuple(_TABLE)


def declared(name):
    """Whether ``name`` is declared (a ``*_stderr`` of a declared quantity is)."""
    return _find(name) is not None


def declaration(name):
    """The :class:`Declaration` of ``name``; a ``*_stderr`` companion gets its quantity's
    declaration with "standard error of ..." as long name.

    Raises
    ------
    KeyError
        If ``name`` is not declared; the message lists the declared names.
    """
    d = _find(name)
    if d is None:
        raise KeyError(f"{name!r} is not a declared pmc output variable; declared: "
                       f"{', '.join(names())} (and their *_stderr)")
    return d


def _find(name):
    d = _TABLE.get(name)
    if d is not None:
        return d
    if name.endswith("_mean") and not name.endswith("_stderr_mean"):
        # a steady-state time average (pmc.averages): the quantity's units and merge rule
        base = _find(name[:-len("_mean")])
        if base is None or base.coordinate:
            return None
        return dataclasses.replace(base, name=name, long_name=f"time average of {base.name}",
                                   standard_name=None)
    if not name.endswith("_stderr"):
        return None
    base = _find(name[:-len("_stderr")])
    if base is None or base.coordinate:
        return None
    # errors of ratios and fractions merge as their quantity; of counts, as a mean
    merge = "mean" if base.merge == "sum" else base.merge
    return dataclasses.replace(base, name=name, long_name=f"standard error of {base.name}",
                               standard_name=None, merge=merge)


def merge_rule(name):
    """How an ensemble merges ``name``: "sum", "mean", "ratio" or "fraction" (see the module
    docstring); "mean" for a name that is not declared."""
    d = _find(name)
    return "mean" if d is None else d.merge


# ============================================================================ units
def unit_system(hamiltonian=None, *, hbar=None):
    """"si" or "natural": the unit system a :class:`pmc.Hamiltonian` states or was inferred to
    be in (its ``units``, :func:`pmc.units.check_system`); from ``hbar`` alone, "si" where
    hbar < 1e-20 [J s] and "natural" otherwise; "si" where neither is given."""
    system = getattr(hamiltonian, "units", None)
    if system in SYSTEMS:
        return system
    if hbar is None:
        hbar = getattr(hamiltonian, "hbar", None)
    if hbar is None:
        return "si"
    return "si" if float(hbar) < SI_HBAR_BELOW else "natural"


def system_of(ds):
    """The unit system a pmc dataset was written in: "natural" where its ``x`` (else ``time``)
    coordinate has units "1", else "si"."""
    for name in ("x", "time"):
        if name in getattr(ds, "coords", {}):
            return "natural" if ds[name].attrs.get("units") == "1" else "si"
    return "si"


def units(name, dims=(), system="si"):
    """The units of ``name`` over ``dims`` in ``system`` ("si" or "natural"): the one place a
    unit system is applied. None where the variable has no unit string (labels, and units
    UDUNITS cannot spell)."""
    if system not in SYSTEMS:
        raise ValueError(f"system must be one of {SYSTEMS}, got {system!r}")
    d = declaration(name)
    u = d.units
    if callable(u):
        k = sum(1 for x in dims if x in SPATIAL_DIMS)
        m = sum(1 for x in dims if x in MOMENTUM_DIMS)
        u = u(k, m)
    if u is None and d.units is None:
        return None  # a label coordinate
    if system == "natural":
        return "1"
    return u


def attrs(name, dims=(), system="si", **override):
    """The attributes of ``name`` over ``dims`` (without ``time``): ``units``, ``long_name``,
    ``standard_name`` where declared, the declared extras, then ``override``."""
    d = declaration(name)
    out = {}
    u = units(name, dims, system)
    if u is not None:
        out["units"] = u
    elif d.units is not None:  # a unit UDUNITS cannot spell
        k = sum(1 for x in dims if x in SPATIAL_DIMS)
        out["comment"] = f"units m^(-{k}/2), which UDUNITS cannot spell"
    out["long_name"] = d.long_name
    if d.standard_name is not None:
        out["standard_name"] = d.standard_name
    out.update(dict(d.extra))
    out.update(override)
    return out


def variable(name, values, dims=None, system="si", **override):
    """An :class:`xarray.Variable` of ``values`` with the declared attributes of ``name``.

    Parameters
    ----------
    name : str
        A declared name (or its ``*_stderr``).
    values : array_like
        Kept as given (no copy, no cast beyond :func:`numpy.asarray`).
    dims : tuple of str, optional
        Needed where the declaration has "space" or "momentum" axes; default the declared dims.
    system : {"si", "natural"}
    **override
        Attributes added to or replacing the declared ones (e.g. a solver's ``comment``).
    """
    return xr.Variable(*spec(name, values, dims, system, **override))


def spec(name, values, dims=None, system="si", **override):
    """The arguments of :func:`variable`'s Variable, ``(dims, values, attrs)``, without
    building it (the run loop builds one Variable per name from all frames at the end).
    Parameters as for :func:`variable`; ``attrs`` is a new dict."""
    d = declaration(name)
    if dims is None:
        if _SPACE in d.dims or _MOMENTUM in d.dims or _FIELD in d.dims or _CELLS in d.dims:
            raise ValueError(f"{name!r} has dims {d.dims}: give the dims")
        dims = d.dims
    return tuple(dims), values, attrs(name, dims, system, **override)


def coordinate(name, values, system="si", **override):
    """A coordinate variable ``name`` (its own dimension) with its declared attributes."""
    return variable(name, values, (name,), system, **override)


def conforms(name, dims):
    """Whether ``dims`` (without ``time``) fit the declared dimension shape of ``name``."""
    pattern = declaration(name).dims
    dims = tuple(x for x in dims if x != "time")
    if name == "time":
        return dims == ()
    i = 0
    for want in pattern:
        if want in (_SPACE, _MOMENTUM, _FIELD, _CELLS):
            axes = {_SPACE: SPATIAL_DIMS, _MOMENTUM: MOMENTUM_DIMS, _FIELD: FIELD_DIMS,
                    _CELLS: CELL_DIMS}[want]
            j = i
            while j < len(dims) and dims[j] in axes:
                j += 1
            if j == i:
                return False
            i = j
        elif i < len(dims) and dims[i] == want:
            i += 1
        else:
            return False
    return i == len(dims)
