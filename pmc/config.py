"""Case files: a TOML description of a run, built from registries of named models.

Nothing in a case file is evaluated as code: every section names a model from a registry below,
every key must be a parameter of that model, and an unknown name or key is an error that lists
the valid ones. A case file::

    [run]
    dt = 0.01            # time step [s]; a number, never a string (see "Types and paths")
    t_end = 30.0         # final time [s]
    save_every = 1.0     # interval between frames [s]
    seed = 1
    scheme = "leapfrog"  # or "yoshida4"
    method = "markers"   # or "grid": the deterministic grid solver on [grid] (pmc.gridsolver),
                         # or "quantum": the Schrödinger reference on [quantum] (pmc.quantum)

    [hamiltonian]
    hbar = 1.0

    [dispersion]
    model = "Parabolic"
    mass = 1.0

    [potential]                  # or [[potential]] tables, summed; or omitted (free)
    model = "GaussianBarrier"
    height = 1.0
    width = 2.0
    modulation = { model = "Sinusoidal", amplitude = 0.1, angular_frequency = 0.5 }  # optional

    [distribution]
    model = "GaussianWavepacket"
    n = 100000                   # number of markers
    x0 = -20.0
    p0 = 1.5
    sigma_x = 2.0

    [boundary]                   # or [[boundary]] tables, one per axis
    model = "Absorbing"
    lo = -40.0
    hi = 40.0

    [grid]
    x = { start = -40.0, stop = 40.0, num = 321 }   # or a list of bin centres
    p = { start = -4.0, stop = 4.0, num = 161 }
    observables = ["f", "density", "current"]

    [output]
    path = "barrier.nc"
    checkpoint_every = 10

Self-consistent fields (:mod:`pmc.fields`) are ``[[fields]]`` tables (or one ``[fields]``)::

    [[fields]]
    model = "Poisson"            # pmc.fields.Poisson: charge deposited on a mesh, Poisson solved
    lo = 0.0
    hi = 12.566370614359172
    n = 64                       # mesh nodes (a list per axis in 2D/3D: lo, hi too)
    boundary = "periodic"        # or "dirichlet" / "neumann", or a list per axis of kinds or
                                 # [lo, hi] pairs
    charge = -1.0                # per unit marker weight
    background = 1.0             # fixed charge density: a number or node values
    shape = "cic"                # "ngp", "cic" or "tsc"
    # permittivity = 1.0, voltages = [0.0, 1.0] (Dirichlet walls)

``method = "quantum"`` solves the Schrödinger equation (:class:`pmc.quantum.Simulation`) for the
same Hamiltonian, from the wave function of ``[distribution]`` (a state with one, such as
GaussianWavepacket; ``n`` is not used), on the periodic position grid of a ``[quantum]``
table (``[grid]`` stays the phase-space grid of the other methods and is not used; ``dt`` may be
omitted: :func:`pmc.quantum.default_dt`)::

    [quantum]
    x = { start = -40.0, stop = 40.0, num = 1024 }   # the periodic box [start, stop): num
                                                     # points, stop itself excluded; or a list
    absorber = { width = 8.0 }                       # optional: pmc.quantum.Absorber's keys
    planner = "estimate"                             # optional, FFTW planner (default measure)
    threads = 1                                      # optional, FFT threads

A tabulated potential or distribution may come from a netCDF file: ``file = "U.nc"`` and
``variable = "U"`` instead of the arrays (paths relative to the case file).

Quantities with units
---------------------
In a case in SI units (``[hamiltonian] units = "si"``, which also makes ``hbar`` default to its
SI value, or ``hbar`` given with its SI value) a number may carry a unit, parsed by pint:
``temperature = "300 K"``, ``height = "0.1 eV"``, ``x0 = "-20 nm"``, ``dt = "1 fs"``; it is
converted to SI before the models see it. A temperature becomes the thermal energy k_B T [J]
(pmc's temperatures are energies); the run's times must be times and a ``temperature`` an energy
or a temperature. In natural units (the default, hbar = 1) a unit has no meaning and is an error.
A string that is not a number with a unit is an error naming its key.

Named constructors
------------------
A table may build its model with one of the model's classmethods instead of its fields:
``constructor = "from_semiconductor"`` in a ``[[collisions]] model = "Impurity"`` table, or
``model = "RateMatrix"``, ``constructor = "from_momentum_lattice"``. Only the constructors listed
in :data:`CONSTRUCTORS` can be named (nothing else of a class is reachable); the table's other
keys are the constructor's arguments. A nested table with a ``model`` is built from the registry
of that argument (``dispersion = { model = "Parabolic", mass = 1.0 }``, ``coupling = { model =
"GaussianBarrier", ... }``), ``{ start, stop, num }`` is an axis as in ``[grid]``, and ``hbar`` and
``dispersion`` default to the case's Hamiltonian.

Types and paths
---------------
Every key has a declared type (:data:`KEY_TYPES` for the sections that are not models; the
field types of a model's dataclass for its keys), checked before anything is built: a string
is not a number or a boolean (``dt = "0.01"``, ``dt = true``, ``overwrite = "false"`` and
``mass = "1.0"`` are errors naming the section and key; in an SI case a quantity with a unit is
converted first), and a string is not a list (``observables = ["density"]``, not
``"density"``). ``[output] path`` must lie under the case file's directory or the working
directory: an output elsewhere is given on the command line (``pmc run CASE -o OUT.nc``).

Gases
-----
A gas (``[dispersion] model = "Parabolic"`` with the molecular mass, markers with three momentum
components) may have gas-surface walls and freestream faces as ``[boundary]`` models, per axis
with ``[[boundary]]`` tables (:class:`pmc.Diffuse`, :class:`pmc.CLL`, :class:`pmc.Freestream`),
and a time-averaging window in ``[run]`` (``average``: a start time or ``"auto"``; optional
``sample_every`` and ``average_batches``; the time averages need ``[cells]``)::

    [run]
    average = "20 us"            # or "auto": after the detected transient

    [[boundary]]                 # x: plates
    model = "Diffuse"
    lo = 0.0
    hi = 1e-3
    temperature = ["273 K", "373 K"]
    velocity = [[0.0, -150.0, 0.0], [0.0, 150.0, 0.0]]
    accommodation = 1.0

``model = "Freestream"`` takes ``density``, ``velocity`` (three components), ``temperature``,
``weight`` and ``inflow`` ("both", "lo", "hi" or "none"); with ``[[species]]`` (a gas mixture)
it takes ``fractions`` (mole fractions by species name, ``{ He = 0.3, Ar = 0.7 }``, or a list in
species order; or one per face, ``[{ He = 1.0 }, { Ar = 1.0 }]``) in place of ``weight`` and
emits the case's mixture.

Markers outside the walls of ``[boundary]`` at the start are an error naming the axis, how many
and the worst position; ``[run] outside = "remove"`` removes them instead and reports their
count and weight. A ``[distribution]`` with an ``hbar`` takes the Hamiltonian's.

Marker state
------------
``[distribution] state`` sets the markers' discrete state (a subband, level or valley: see
:class:`pmc.Markers`): an integer puts every marker in that state; a list of fractions (>= 0,
summing to 1) puts round(fraction_k n) markers in state k (largest remainders take the rounding;
the markers are independent draws, so consecutive blocks are as good as a random assignment).

Gas mixtures
------------
``[[species]]`` tables (one per species: :class:`pmc.Species`' keys, its cross section a nested
table, ``relaxation`` a number or ``{ model = "Parker", z_inf = ..., t_star = ... }``, plus
the species' ``density`` [1/m^3], ``temperature`` and optionally ``rotational_temperature``)
and a ``[mixture]`` table with the box ``x`` (``[[lo, hi], ...]`` per axis [m]) and an
optional ``drift`` [m/s] replace ``[dispersion]`` and ``[distribution]``: the band is the
mixture's, the markers are :meth:`pmc.Mixture.sample`'s (SI units). A collision table
``{ model = "BinaryMixture" }`` (only ``name`` besides) collides them::

    [hamiltonian]
    units = "si"

    [[species]]
    name = "N2"
    mass = 4.652e-26
    weight = 1e10
    cross_section = { model = "VSS", diameter = 4.11e-10, omega = 0.74, t_ref = "273 K", alpha = 1.36 }
    rotational_dof = 2
    relaxation = { model = "Parker", z_inf = 18.1, t_star = "91.5 K" }
    density = 2.5e25
    temperature = "300 K"

    [mixture]
    x = [[0.0, 1e-3], [0.0, 1e-3], [0.0, 1e-3]]

    [[collisions]]
    model = "BinaryMixture"
"""
import dataclasses
import functools
import inspect
import math
import numbers
import pathlib
import re
import sys

import numpy as np

from . import bands, boundaries, fields, gridsolver, materials, potentials, quantum, states, units
from .cells import Cells
from .collisions import binary as _binary
from .collisions import mechanisms as _mechanisms
from .collisions import mixture as _mixture
from .collisions import rate_matrix as _rate_matrix
from .grids import PhaseSpaceGrid
from .hamiltonian import Hamiltonian
from .io import open_dataset
from .simulation import OBSERVABLES, SPECIES_OBSERVABLES, Simulation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["load_case", "build", "with_units", "output_path", "REGISTRY", "SECTIONS",
           "CONSTRUCTORS", "UNIT_SYSTEMS", "KEY_TYPES"]


def _models(module, names):
    return {n: getattr(module, n) for n in names}


#: Named models per section.
REGISTRY = {
    "dispersion": _models(bands, ["Parabolic", "Kane", "Linear", "TightBinding", "Relativistic"]),
    "potential": _models(potentials, ["Harmonic", "Quartic", "GaussianBarrier", "Eckart", "Step",
                                      "Periodic", "UniformField", "Gridded", "Zero"]),
    "modulation": _models(potentials, ["Sinusoidal", "Ramp", "TimeTable"]),
    "distribution": _models(states, ["Maxwellian", "FermiDirac", "BoseEinstein",
                                     "GaussianWavepacket", "Gridded"]),
    "boundary": _models(boundaries, ["Periodic", "Reflecting", "Absorbing", "Injecting",
                                     "Diffuse", "CLL", "Freestream"]),
    "reservoir": _models(boundaries, ["Reservoir"]),
    # collision mechanisms register themselves here: name -> class (a frozen dataclass whose
    # fields are the case-file keys)
    "collisions": {},
}
# discrete-state jumps at golden-rule rates: RateMatrix.from_golden_rule from the case's arrays
REGISTRY["collisions"]["GoldenRule"] = _rate_matrix.GoldenRule
# continuous-momentum scattering (null collisions against a per-cell majorant)
REGISTRY["collisions"].update(_models(_mechanisms, ["ElasticIsotropic", "AcousticPhonon",
                                                    "OpticalPhonon", "Impurity"]))
# binary collisions (DSMC, pmc.collisions.Binary); the cross section is a nested table,
# cross_section = { model = "HardSphere", diameter = 3.66e-10 }, named from "cross_section"
REGISTRY["collisions"]["Binary"] = _binary.Binary
REGISTRY["cross_section"] = _models(_binary, ["HardSphere", "VHS", "VSS", "MaxwellMolecules"])
# gas mixtures: [[species]] tables and the collisions of the mixture they make
REGISTRY["collisions"]["BinaryMixture"] = _mixture.BinaryMixture
REGISTRY["relaxation"] = {"Parker": _mixture.Parker}
# the absorbing layers of the quantum solver: [quantum] absorber = { width = ... }
REGISTRY["absorber"] = {"Absorber": quantum.Absorber}
# a rate matrix from a construction of its own: only through a named constructor
REGISTRY["collisions"]["RateMatrix"] = _rate_matrix.RateMatrix
# self-consistent fields: [[fields]] model = "Poisson" (pmc.fields.Poisson's keys)
REGISTRY["fields"] = {"Poisson": fields.Poisson}

#: Named constructors a case file may call, per registry section and model: ``constructor =
#: "from_semiconductor"`` in the model's table. Nothing else of a class is reachable.
CONSTRUCTORS = {
    "collisions": {"Impurity": ("from_semiconductor",),
                   "RateMatrix": ("from_golden_rule", "from_momentum_lattice")},
}
#: Registry section a constructor argument's nested ``{ model = ... }`` table is built from.
_NESTED_ARGUMENTS = {"dispersion": "dispersion", "coupling": "potential",
                     "potential": "potential", "cross_section": "cross_section"}
#: [hamiltonian] units: "natural" (the default; numbers only) or "si" (numbers may carry units).
UNIT_SYSTEMS = ("natural", "si")
#: Keys whose quantities must have this dimension (pint's names); a ``temperature`` may also
#: be given as a temperature, converted to the energy k_B T.
_DIMENSIONS = {"dt": "[time]", "t_end": "[time]", "save_every": "[time]", "t0": "[time]",
               "average": "[time]",
               "hbar": "[energy] * [time]", "temperature": "[energy]"}
#: Keys whose values are names or paths, never quantities.
_TEXT_KEYS = {"model", "constructor", "file", "variable", "path", "name", "units", "method",
              "scheme", "shape", "statistics", "observables"}
_QUANTITY = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*")

#: Sections of a case file and the keys of the sections that are not models.
SECTIONS = {
    "run": {"dt", "t_end", "save_every", "seed", "scheme", "t0", "method", "order",
            "positivity", "outside", "average", "sample_every", "average_batches"},
    "hamiltonian": {"hbar", "units"},
    "dispersion": None, "potential": None, "distribution": None, "boundary": None,
    "grid": {"x", "y", "z", "p", "py", "pz", "observables"},
    "cells": {"lo", "hi", "n"},
    "collisions": None,
    "fields": None,
    "output": {"path", "checkpoint_every", "overwrite"},
    "quantum": {"x", "y", "absorber", "planner", "threads"},
    # a semiconductor (pmc.materials): its band, its scattering and its equilibrium stand in for
    # [dispersion], the [collisions] and a [distribution] without a model; SI units
    "material": {"name", "temperature", "doping", "band"},
    # a gas mixture: [[species]] tables (checked by _species) and the box they fill
    "species": None,
    "mixture": {"x", "drift"},
}
#: Declared type of each key of the sections that are not models (see :func:`_check_type`):
#: "number", "integer", "boolean", "string", "strings" (a list of them), "axis" (a list of
#: numbers or a { start, stop, num } table), "numbers" (a number or a list of them), "integers"
#: (an integer or a list of them), "seed" (an integer >= 0), "table".
KEY_TYPES = {
    "run": {"dt": "number", "t_end": "number", "save_every": "number", "t0": "number",
            "seed": "seed", "scheme": "string", "method": "string", "order": "integer",
            "positivity": "boolean", "outside": "string", "average": "average",
            "sample_every": "integer", "average_batches": "integer"},
    "hamiltonian": {"hbar": "number", "units": "string"},
    "grid": {"x": "axis", "y": "axis", "z": "axis", "p": "axis", "py": "axis", "pz": "axis",
             "observables": "strings"},
    "cells": {"lo": "numbers", "hi": "numbers", "n": "integers"},
    "output": {"path": "string", "checkpoint_every": "integer", "overwrite": "boolean"},
    "quantum": {"x": "axis", "y": "axis", "absorber": "table", "planner": "string",
                "threads": "integer"},
    "material": {"name": "string", "temperature": "number", "doping": "number",
                 "band": "string"},
    "mixture": {"x": "numbers", "drift": "numbers"},
}
#: Keys of a [[species]] table: pmc.Species' and what the sampling of its markers takes.
_SPECIES_KEYS = {"name", "mass", "weight", "cross_section", "rotational_dof", "relaxation",
                 "density", "temperature", "rotational_temperature"}
_REQUIRED = ("run", "dispersion", "distribution")
_RUN_REQUIRED = ("dt", "t_end", "save_every")
#: [run] method: weighted markers (pmc.Simulation), the deterministic grid solver
#: (pmc.gridsolver.Simulation: needs [grid] with x and p; [distribution] n and [cells] unused;
#: its own keys order and positivity) or the Schrödinger reference (pmc.quantum.Simulation:
#: needs [quantum] with x; [distribution] n, [grid] and [cells] unused).
METHODS = ("markers", "grid", "quantum")


class CaseError(ValueError):
    """An error in a case file; the message names the section and key."""


def load_case(path):
    """Read a TOML case file into a dict (checked by :func:`build`). Keeps the file's
    directory under the key ``"__dir__"`` for relative paths."""
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as fh:
            case = tomllib.load(fh)
    except FileNotFoundError:
        raise CaseError(f"case file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"case file {str(path)!r} is not valid TOML: {exc}") from None
    case["__dir__"] = str(path.parent)
    return case


def _unit_system(case):
    """"si" or "natural" from [hamiltonian]: its ``units``, else "si" when hbar is given with its
    SI value (a number or a quantity)."""
    ham = case.get("hamiltonian", {})
    if not isinstance(ham, dict):
        return "natural"
    system = ham.get("units", "si" if "material" in case else None)
    if system is not None and system not in UNIT_SYSTEMS:
        raise CaseError(f"[hamiltonian] units {system!r} is unknown; valid: {list(UNIT_SYSTEMS)}")
    hbar = ham.get("hbar")
    if isinstance(hbar, str) and _QUANTITY.fullmatch(hbar) and _QUANTITY.fullmatch(hbar)[2]:
        hbar = _to_si(hbar, "hamiltonian", "hbar")
    si_hbar = isinstance(hbar, (int, float)) and math.isclose(hbar, units.hbar, rel_tol=1e-6)
    if system == "si" and hbar is not None and not si_hbar:
        raise CaseError(f"[hamiltonian] units = \"si\" needs hbar = {units.hbar:.10g} J s (or no "
                        f"hbar: it then takes that value), got hbar = {ham.get('hbar')!r}")
    return system or ("si" if si_hbar else "natural")


@functools.lru_cache(maxsize=None)
def _unit_registry():
    """pint's registry, made on first use (it takes a moment to build)."""
    import pint

    return pint.UnitRegistry()


def _to_si(text, where, key):
    """The SI value of a quantity string such as ``"300 K"`` (a temperature as k_B T [J])."""
    import pint

    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise CaseError(f"[{where}] {key} = {text!r} is not a number or a number with a unit "
                        f"(e.g. \"300 K\", \"0.1 eV\", \"10 nm\")")
    ureg = _unit_registry()
    try:
        q = ureg.Quantity(float(match[1]), match[2] or "dimensionless")
        if q.check("[temperature]"):
            q = q.to("kelvin").magnitude * units.k_B * ureg.joule
        dim = _DIMENSIONS.get(key)
        if dim is not None and not q.check(dim):
            raise CaseError(f"[{where}] {key} = {text!r} must be "
                            f"{'an energy or a temperature' if key == 'temperature' else dim}, "
                            f"not {q.dimensionality}")
        return float(q.to_base_units().magnitude)
    except pint.PintError as exc:
        raise CaseError(f"[{where}] {key} = {text!r}: {exc}") from None


def with_units(case):
    """A copy of ``case`` with every quantity string (a number and a unit) converted to SI.

    Raises :class:`CaseError` naming the key for a unit in a case in natural units, a string
    that is not a quantity, or a quantity of the wrong dimension (see the module docstring).
    """
    system = _unit_system(case)

    def walk(value, where, key):
        if isinstance(value, dict):
            inner = f"{where}.{key}" if key is not None else where
            return {k: (v if k in _TEXT_KEYS or k == "__dir__" else walk(v, inner, k))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, where, key) for v in value]
        match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
        if match is None or not match[2]:  # not a number with a unit: the model judges it
            return value
        if system != "si":
            raise CaseError(f"[{where}] {key} = {value!r} carries a unit, but the case is in "
                            f"natural units: state [hamiltonian] units = \"si\" (SI, hbar = "
                            f"{units.hbar:.6g} J s) to give quantities with units")
        return _to_si(value, where, key)

    out = {}
    for section, table in case.items():
        if section in ("__dir__", "output"):
            out[section] = table
        elif isinstance(table, list):
            out[section] = [walk(t, section, None) for t in table]
        else:
            out[section] = walk(table, section, None)
    if system == "si":
        ham = dict(out.get("hamiltonian", {}))
        ham.setdefault("hbar", units.hbar)
        out["hamiltonian"] = ham
    return out


def _marker_state(spec, n):
    """Discrete states of ``n`` markers from [distribution] ``state``: one integer, or a list
    of fractions per state (see the module docstring)."""
    if isinstance(spec, bool) or not isinstance(spec, (int, list)):
        raise CaseError(f"[distribution] state must be an integer >= 0 or a list of fractions "
                        f"per state, got {spec!r}")
    if isinstance(spec, int):
        if spec < 0:
            raise CaseError(f"[distribution] state must be >= 0, got {spec}")
        return np.full(n, spec, dtype=np.int64)
    frac = np.asarray(spec, dtype=float) if spec else np.zeros(0)
    if frac.size == 0 or not np.all(np.isfinite(frac)) or np.any(frac < 0) or not math.isclose(
            frac.sum(), 1.0, rel_tol=0.0, abs_tol=1e-9):
        raise CaseError(f"[distribution] state fractions must be >= 0 and sum to 1, got {spec}")
    exact = frac * n
    counts = np.floor(exact).astype(np.int64)
    rest = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return np.repeat(np.arange(frac.size, dtype=np.int64), counts)


def _constructed(section, table, cls, name, registry_key, base, context):
    """A model built by the named constructor its table gives."""
    allowed = CONSTRUCTORS.get(registry_key, {}).get(name, ())
    constructor = table["constructor"]
    if constructor not in allowed:
        raise CaseError(f"[{section}] model {name!r} has no constructor {constructor!r}; valid "
                        f"constructors: {list(allowed)}" if allowed else
                        f"[{section}] model {name!r} has no named constructors")
    function = getattr(cls, constructor)
    params = inspect.signature(function).parameters
    named = {k for k, p in params.items()
             if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    keys = set(named)
    if any(p.kind == p.VAR_KEYWORD for p in params.values()) and dataclasses.is_dataclass(cls):
        keys |= {f.name for f in dataclasses.fields(cls)}  # options passed on to the class
    _check_keys(f"{section}] model [{name}] constructor [{constructor}", table,
                keys | {"model", "constructor"})
    kwargs = {}
    for k, v in table.items():
        if k in ("model", "constructor"):
            continue
        if isinstance(v, dict) and "model" in v and k in _NESTED_ARGUMENTS:
            v = _model(f"{section}.{k}", v, _NESTED_ARGUMENTS[k], base=base)
        elif isinstance(v, dict):
            v = _axis(f"{section}.{k}", v)
        elif isinstance(v, list):
            v = np.asarray(v, dtype=float)
        kwargs[k] = v
    for k in ("hbar", "dispersion"):  # what the Hamiltonian already states
        if k in named and k not in kwargs and k in context:
            kwargs[k] = context[k]
    try:
        return function(**kwargs)
    except (ValueError, TypeError) as exc:
        raise CaseError(f"[{section}] {name}.{constructor}: {exc}") from None


def _check_keys(section, table, allowed):
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise CaseError(f"unknown key{'s' if len(unknown) > 1 else ''} {unknown} in [{section}]; "
                        f"valid keys: {sorted(allowed)}")


def _describe_value(value):
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return f"a table {value!r}"
    if isinstance(value, list):
        return f"a list {value!r}"
    return repr(value)


def _is_number(v):
    """A real number (numpy's too, as a sweep may give them), not a boolean."""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_integer(v):
    """An integer, or a float with an integer value (TOML's ``1e5``); not a boolean."""
    if isinstance(v, (bool, np.bool_)):
        return False
    return isinstance(v, numbers.Integral) or (isinstance(v, numbers.Real) and
                                               float(v).is_integer())


def _numbers(v):
    """A number, or a (nested) list of numbers."""
    return _is_number(v) or (isinstance(v, list) and all(_numbers(e) for e in v))


_TYPE_TEXT = {
    "number": "a number", "integer": "an integer", "boolean": "true or false (a TOML boolean)",
    "string": "a string", "strings": "a list of strings", "table": "a table",
    "axis": "a list of numbers or a table { start, stop, num }",
    "numbers": "a number or a list of numbers", "integers": "an integer or a list of integers",
    "seed": "an integer >= 0", "average": "a start time or \"auto\"",
}


def _check_type(where, key, value, kind, si=False):
    """Raise CaseError unless ``value`` has the declared type ``kind`` (see KEY_TYPES): a string
    is never a number or a boolean, a string is not a list."""
    if kind == "number":
        ok = _is_number(value)
    elif kind == "integer":
        ok = _is_integer(value)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "strings":
        ok = isinstance(value, list) and all(isinstance(e, str) for e in value)
    elif kind == "table":
        ok = isinstance(value, dict)
    elif kind == "numbers":
        ok = _numbers(value)
    elif kind == "integers":
        ok = _is_integer(value) or (isinstance(value, list) and all(map(_is_integer, value)))
    elif kind == "average":
        ok = _is_number(value) or value == "auto"
    elif kind == "seed":  # (a SeedSequence where a case is built in Python: the ensembles)
        ok = (_is_integer(value) and value >= 0) or isinstance(value, np.random.SeedSequence)
    elif kind == "axis":
        if isinstance(value, dict):
            _check_keys(f"{where}.{key}", value, {"start", "stop", "num"})
            for k, v in value.items():
                _check_type(f"{where}.{key}", k, v, "integer" if k == "num" else "number", si)
            return
        ok = isinstance(value, list) and all(_is_number(e) for e in value)
    else:  # pragma: no cover - a declaration error
        raise AssertionError(kind)
    if not ok:
        hint = (" or a quantity with a unit (e.g. \"1 fs\")" if si and kind == "number" else "")
        raise CaseError(f"[{where}] {key} must be {_TYPE_TEXT[kind]}{hint}, got "
                        f"{_describe_value(value)}")


def _check_field_types(section, name, cls, kwargs):
    """Each value against its dataclass field's declared type: a float field takes numbers (or
    lists of them), an int field integers, a bool field booleans, a str field strings; any
    other field whose default is not a string takes no string or boolean."""
    for f in dataclasses.fields(cls):
        if f.name not in kwargs:
            continue
        value = kwargs[f.name]
        kind = {float: "numbers", int: "integer", bool: "boolean", str: "string",
                "float": "numbers", "int": "integer", "bool": "boolean",
                "str": "string"}.get(f.type)
        where = f"{section}] model [{name}"
        if kind == "numbers" and value is not None and not _numbers(value):
            raise CaseError(f"[{section}] {f.name} of model {name!r} must be a number, got "
                            f"{_describe_value(value)}")
        if kind in ("integer", "boolean", "string") and value is not None:
            _check_type(where, f.name, value, kind)
        if kind is None and not isinstance(f.default, str) and not isinstance(value, dict):
            if isinstance(value, (str, bool)) or (isinstance(value, list) and any(
                    isinstance(e, (str, bool)) for e in value)):
                raise CaseError(f"[{section}] {f.name} of model {name!r} must be numbers, got "
                                f"{_describe_value(value)}")


def _model(section, table, registry_key=None, extra=(), base=None, context=None):
    """Instantiate the model a table names (by its fields, or by a named constructor; the
    ``context`` holds what the Hamiltonian states: ``hbar``, ``dispersion``)."""
    registry = REGISTRY[registry_key or section]
    if not isinstance(table, dict):
        raise CaseError(f"[{section}] must be a table with a 'model' key, got {table!r}")
    name = table.get("model")
    if name not in registry:
        raise CaseError(f"[{section}] model {name!r} is unknown; valid models: "
                        f"{sorted(registry)}")
    cls = registry[name]
    if "constructor" in table:
        return _constructed(section, table, cls, name, registry_key or section, base,
                            context or {})
    if not dataclasses.is_dataclass(cls):
        raise CaseError(f"[{section}] model {name!r} is built by a named constructor: add "
                        f"constructor = one of "
                        f"{list(CONSTRUCTORS.get(registry_key or section, {}).get(name, ()))}")
    fields = {f.name for f in dataclasses.fields(cls)}
    file_keys = {"file", "variable"} if name == "Gridded" else set()
    _check_keys(f"{section}] model [{name}", table, fields | {"model"} | set(extra) | file_keys)
    kwargs = {k: v for k, v in table.items() if k in fields}
    if "file" in table:
        if "variable" not in table:
            raise CaseError(f"[{section}] Gridded from a file needs 'variable'")
        path = pathlib.Path(base or ".") / table["file"]
        try:
            da = open_dataset(path)[table["variable"]]
        except (FileNotFoundError, OSError):
            raise CaseError(f"[{section}] file {str(path)!r} cannot be read") from None
        except KeyError:
            raise CaseError(f"[{section}] file {str(path)!r} has no variable "
                            f"{table['variable']!r}") from None
        # potentials.Gridded takes the DataArray as x, states.Gridded as f
        kwargs["f" if "f" in fields else "x"] = da
    _check_field_types(section, name, cls, kwargs)
    for k, v in kwargs.items():
        if isinstance(v, list):
            kwargs[k] = np.asarray(v, dtype=float) if not any(isinstance(e, list) for e in v) \
                else tuple(tuple(e) if isinstance(e, list) else e for e in v)
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise CaseError(f"[{section}] {name}: {exc}") from None
    except TypeError as exc:
        raise CaseError(f"[{section}] {name}: {exc}") from None


def _potential(case, base):
    spec = case.get("potential")
    if spec is None:
        return potentials.Zero()
    tables = spec if isinstance(spec, list) else [spec]
    total = None
    for table in tables:
        table = dict(table)
        modulation = table.pop("modulation", None)
        pot = _model("potential", table, base=base)
        if modulation is not None:
            pot = pot * _model("potential.modulation", modulation, "modulation")
        total = pot if total is None else total + pot
    return total


def _boundary(case, mixture=None):
    spec = case.get("boundary")
    if spec is None:
        return None
    tables = spec if isinstance(spec, list) else [spec]
    out = []
    for table in tables:
        table = dict(table)
        if table.get("model") == "Freestream" and "fractions" in table:
            if mixture is None or "mixture" in table:
                raise CaseError("[boundary] Freestream fractions emit the case's gas mixture: "
                                "they need [[species]] (and no 'mixture' key)")
            table["mixture"] = mixture
        for side in ("left", "right"):
            if isinstance(table.get(side), dict):
                table[side] = _model(f"boundary.{side}", {"model": "Reservoir", **table[side]},
                                     "reservoir")
        out.append(_model("boundary", table))
    return out[0] if len(out) == 1 else tuple(out)


def _axis(name, spec):
    if isinstance(spec, dict):
        _check_keys(f"grid.{name}", spec, {"start", "stop", "num"})
        try:
            return np.linspace(float(spec["start"]), float(spec["stop"]), int(spec["num"]))
        except KeyError as exc:
            raise CaseError(f"[grid] {name} needs start, stop and num; missing {exc}") from None
    return np.asarray(spec, dtype=float)


def _nested_cross_section(table):
    """A [[collisions]] table with its nested ``cross_section`` table built into a model."""
    table = dict(table)
    if isinstance(table.get("cross_section"), dict):
        table["cross_section"] = _model("collisions.cross_section", table["cross_section"],
                                        "cross_section")
    return table


def build(case):
    """(Simulation, run options) from a case dict.

    Returns
    -------
    sim : pmc.Simulation, pmc.gridsolver.Simulation or pmc.quantum.Simulation
        As ``[run] method`` says (markers, grid or quantum); all have the same ``run``
        signature (:class:`pmc._run.FrameRun`).
    run : dict
        ``t_end``, ``save_every``, ``output``, ``checkpoint_every``, ``overwrite``.
    """
    case = with_units(dict(case))
    base = case.pop("__dir__", ".")
    unknown = sorted(set(case) - set(SECTIONS))
    if unknown:
        raise CaseError(f"unknown section{'s' if len(unknown) > 1 else ''} {unknown}; valid "
                        f"sections: {sorted(SECTIONS)}")
    for s in _REQUIRED:
        if s not in case and not (s == "dispersion" and "material" in case) and not (
                s in ("dispersion", "distribution") and "species" in case):
            raise CaseError(f"the case needs a [{s}] section")
    si = _unit_system(case) == "si"
    for s, keys in SECTIONS.items():
        if keys is not None and s in case:
            if not isinstance(case[s], dict):
                raise CaseError(f"[{s}] must be a table, got {_describe_value(case[s])}")
            _check_keys(s, case[s], keys)
            for k, v in case[s].items():
                _check_type(s, k, v, KEY_TYPES[s][k], si)
    run = case["run"]
    method = run.get("method", "markers")
    if method not in METHODS:
        raise CaseError(f"[run] method {method!r} is unknown; valid: {list(METHODS)}")
    for k in _RUN_REQUIRED:
        if k not in run and not (k == "dt" and method == "quantum"):
            raise CaseError(f"[run] needs {k!r}")
    if method != "grid" and ({"order", "positivity"} & set(run)):
        raise CaseError("[run] order and positivity are options of method = \"grid\"")
    if method != "markers" and ({"average", "sample_every", "average_batches"} & set(run)):
        raise CaseError("[run] average, sample_every and average_batches (time averages of a "
                        "gas) are options of method = \"markers\"")
    if method != "markers" and "outside" in run:
        raise CaseError("[run] outside (markers outside the walls at the start) is an option "
                        "of method = \"markers\"")
    ham = case.get("hamiltonian", {})
    material, band = _material(case)
    mixture, mixture_sample = _species(case) if "species" in case else (None, None)
    if mixture is not None:
        if method != "markers":
            raise CaseError("[[species]] (a gas mixture) needs [run] method = \"markers\"")
        band = mixture.band
    try:
        if band is None:
            band = _model("dispersion", case["dispersion"])
        H = Hamiltonian(band, _potential(case, base), hbar=ham.get("hbar"),
                        units=ham.get("units", "si" if material is not None else None))
    except CaseError:
        raise
    except ValueError as exc:
        raise CaseError(f"[hamiltonian] {exc}") from None
    if mixture is not None:  # its markers, from the species' densities and temperatures
        try:
            markers = mixture.sample(seed=run.get("seed", 0), **mixture_sample)
        except ValueError as exc:
            raise CaseError(f"[[species]] {exc}") from None
        return _build_markers(case, run, H, markers, None, base, mixture)
    dist_table = dict(case["distribution"])
    n = dist_table.pop("n", None)
    state = dist_table.pop("state", None)
    if n is None and method == "markers":
        raise CaseError("[distribution] needs 'n', the number of markers")
    if n is not None and not _is_integer(n):
        raise CaseError(f"[distribution] n must be an integer >= 1 (the number of markers), got "
                        f"{_describe_value(n)}")
    if material is not None and "model" not in dist_table:
        try:
            dist = _material_equilibrium(material, H.dispersion, dist_table)
        except (TypeError, ValueError) as exc:
            raise CaseError(f"[distribution] {exc}") from None
    else:
        dist_table = _with_hbar(dist_table, H)
        dist = _model("distribution", dist_table, base=base)
    if method == "quantum":
        return _build_quantum(case, H, dist, base)
    seed = run.get("seed", 0)
    try:
        markers = states.sample(dist, n, seed=seed) if method == "markers" else None
    except ValueError as exc:
        raise CaseError(f"[distribution] {exc}") from None
    if state is not None:
        if markers is None:
            raise CaseError("[distribution] state is the markers' discrete state: method = "
                            "\"markers\" only")
        markers = markers.with_state(_marker_state(state, markers.n))
    return _build_markers(case, run, H, markers, dist, base, None, material)


def _build_markers(case, run, H, markers, dist, base, mixture, material=None):
    """The markers' or the grid solver's Simulation (``markers`` None) of a case, and its run
    options: the grid, collisions and cells of ``case`` (``mixture``: its [[species]])."""
    method = run.get("method", "markers")
    seed = run.get("seed", 0)
    grid, observables = None, None
    if "grid" in case:
        g = dict(case["grid"])
        observables = g.pop("observables", None)
        if observables is not None:
            bad = [o for o in observables if o not in OBSERVABLES + SPECIES_OBSERVABLES]
            if bad:
                raise CaseError(f"[grid] unknown observables {bad}; valid: {list(OBSERVABLES)} "
                                f"and, with [[species]], {list(SPECIES_OBSERVABLES)}")
        try:
            grid = PhaseSpaceGrid(**{k: _axis(k, v) for k, v in g.items()})
        except ValueError as exc:
            raise CaseError(f"[grid] {exc}") from None
    collisions = case.get("collisions", [])
    if isinstance(collisions, dict):
        collisions = [collisions]
    context = {"hbar": H.hbar, "dispersion": H.dispersion}
    collisions = [_mixture_collisions(t, mixture) if t.get("model") == "BinaryMixture" else
                  _model("collisions", _nested_cross_section(t), base=base, context=context)
                  for t in collisions]
    if material is not None:
        collisions += material.collisions(name="material")
    field_list = _fields(case)
    cells = None
    if "cells" in case:
        c = case["cells"]
        try:
            cells = Cells(c["lo"], c["hi"], c["n"])
        except KeyError as exc:
            raise CaseError(f"[cells] needs lo, hi and n; missing {exc}") from None
        except ValueError as exc:
            raise CaseError(f"[cells] {exc}") from None
    try:
        if method == "grid":
            if grid is None:
                raise CaseError("[run] method = \"grid\" needs a [grid] with x and p")
            sim = gridsolver.Simulation(H, dist, grid=grid, dt=run["dt"],
                                        boundary=_boundary(case), collisions=collisions,
                                        order=run.get("order", 5),
                                        scheme=run.get("scheme", "leapfrog"),
                                        positivity=run.get("positivity", False),
                                        observables=observables, t0=run.get("t0", 0.0),
                                        case=case, fields=field_list)
        else:
            sim = Simulation(H, markers, dt=run["dt"], grid=grid,
                             boundary=_boundary(case, mixture),
                             collisions=collisions, cells=cells,
                             seed=seed, scheme=run.get("scheme", "leapfrog"),
                             observables=observables, t0=run.get("t0", 0.0), case=case,
                             outside=run.get("outside", "error"), fields=field_list,
                             **{k: run[k] for k in ("average", "sample_every", "average_batches")
                                if k in run})
    except CaseError:
        raise
    except ValueError as exc:
        text = str(exc)
        if "outside the walls" in text:
            text = text.replace("pass outside=", "set [run] outside = ")
            raise CaseError(f"[distribution] {text} ([boundary] gives the walls)") from None
        raise CaseError(f"[run] {text}") from None
    return sim, _run_options(case, base)


def _fields(case):
    """The [fields] tables (one, or [[fields]] tables) as models: ``model = "Poisson"`` with the
    keys of :class:`pmc.fields.Poisson` (``boundary`` a kind, or a list of kinds or [lo, hi]
    pairs per axis; ``background`` and ``permittivity`` a number or node values)."""
    tables = case.get("fields", [])
    if isinstance(tables, dict):
        tables = [tables]
    out = []
    for t in tables:
        if not isinstance(t, dict):
            raise CaseError(f"[fields] must be tables with a 'model' key, got "
                            f"{_describe_value(t)}")
        t = dict(t)
        b = t.get("boundary")
        if isinstance(b, list):  # kinds, not numbers
            t["boundary"] = tuple(tuple(e) if isinstance(e, list) else e for e in b)
        out.append(_model("fields", t))
    return out


def _species(case):
    """(pmc.Mixture, keyword arguments of its sample()) from [[species]] and [mixture]."""
    tables = case["species"]
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict)
                                                             for t in tables):
        raise CaseError("[[species]] must be one or more tables (one per species)")
    for s in ("dispersion", "distribution", "material"):
        if s in case:
            raise CaseError(f"[[species]] make the band and the markers of a gas mixture: "
                            f"leave out [{s}]")
    if "mixture" not in case or "x" not in case["mixture"]:
        raise CaseError("[[species]] need [mixture] x, the box the gas fills ([[lo, hi], ...] "
                        "per axis, [m])")
    species, density, temperature, rotational = [], {}, {}, {}
    for k, t in enumerate(tables):
        where = f"species] [{t.get('name', k)}"
        _check_keys(where, t, _SPECIES_KEYS)
        t = dict(t)
        for key in ("density", "temperature"):
            if key not in t:
                raise CaseError(f"[{where}] needs {key!r}")
        name = t.get("name")
        density[name] = t.pop("density")
        temperature[name] = t.pop("temperature")
        if "rotational_temperature" in t:
            rotational[name] = t.pop("rotational_temperature")
        for key in ("density", "temperature"):
            _check_type(where, key, {"density": density, "temperature": temperature}[key][name],
                        "number")
        if isinstance(t.get("cross_section"), dict):
            t["cross_section"] = _model("species.cross_section", t["cross_section"],
                                        "cross_section")
        if isinstance(t.get("relaxation"), dict):
            t["relaxation"] = _model("species.relaxation", t["relaxation"], "relaxation")
        for key in ("mass", "weight"):
            if key in t:
                _check_type(where, key, t[key], "number")
        try:
            species.append(_mixture.Species(**t))
        except (TypeError, ValueError) as exc:
            raise CaseError(f"[{where}] {exc}") from None
    try:
        mixture = _mixture.Mixture(species)
    except ValueError as exc:
        raise CaseError(f"[[species]] {exc}") from None
    box = case["mixture"]["x"]
    box = tuple(tuple(a) for a in box) if isinstance(box[0], list) else tuple(box)
    sample = {"x": box, "density": density, "temperature": temperature,
              "rotational_temperature": rotational or None}
    if "drift" in case["mixture"]:
        sample["drift"] = case["mixture"]["drift"]
    return mixture, sample


def _mixture_collisions(table, mixture):
    """pmc.collisions.BinaryMixture of the case's [[species]]."""
    if mixture is None:
        raise CaseError("[collisions] model BinaryMixture collides a gas mixture: it needs "
                        "[[species]] tables")
    _check_keys("collisions] model [BinaryMixture", table, {"model", "name"})
    return _mixture.BinaryMixture(mixture, **({"name": table["name"]} if "name" in table
                                              else {}))


def _material(case):
    """(Material, band) of a [material] section, or (None, None). ``band = "multi_valley"``
    (the default: the material's valleys, each marker streamed in its valley) or
    ``"single_valley"`` (the Kane band of the lowest valley with its conductivity mass)."""
    table = case.get("material")
    if table is None:
        return None, None
    if "dispersion" in case:
        raise CaseError("[material] gives the band: remove [dispersion]")
    table = dict(table)
    name = table.pop("name", None)
    band = table.pop("band", "multi_valley")
    try:
        mat = materials.get(name, **table)
    except (TypeError, ValueError) as exc:
        raise CaseError(f"[material] {exc}") from None
    if band == "single_valley":
        return mat, mat.single_valley()
    if band == "multi_valley":
        return mat, mat.band
    raise CaseError(f"[material] band {band!r} is unknown; valid: ['single_valley', "
                    f"'multi_valley']")


def _material_equilibrium(material, dispersion, table):
    """The material's equilibrium over the run's band (its valleys, or the single Kane valley)
    from a [distribution] table without a model (keys x, density)."""
    if isinstance(dispersion, bands.MultiValley):
        return material.equilibrium(**table)
    valley = bands.Valley("band", dispersion.mass, alpha=dispersion.alpha)
    return materials.ValleyMaxwellian(bands.MultiValley([valley]), material.temperature,
                                      **table)


def _with_hbar(table, H):
    """A [distribution] table with the Hamiltonian's hbar where its model has an ``hbar`` and
    the table gives none; a different one is an error."""
    cls = REGISTRY["distribution"].get(table.get("model"))
    if cls is None or not dataclasses.is_dataclass(cls) or "hbar" not in {
            f.name for f in dataclasses.fields(cls)}:
        return table
    if "hbar" not in table:
        return {**table, "hbar": H.hbar}
    given = table["hbar"]
    if _is_number(given) and not math.isclose(given, H.hbar, rel_tol=1e-9):
        raise CaseError(f"[distribution] hbar = {given!r} differs from the Hamiltonian's hbar = "
                        f"{H.hbar!r} ([hamiltonian]): leave it out to use the Hamiltonian's")
    return table


def output_path(case, base=None):
    """The output path a case's ``[output] path`` names (relative to the case file's directory),
    or None. It must lie under that directory or the working directory: a path elsewhere is
    given on the command line (``pmc run CASE -o OUT.nc``), never by a case file, so that a case
    cannot write outside them."""
    out = case.get("output", {})
    if not isinstance(out, dict) or "path" not in out:
        return None
    path = out["path"]
    _check_type("output", "path", path, "string")
    base = pathlib.Path(case.get("__dir__", ".") if base is None else base)
    target = (base / path).resolve()
    roots = [base.resolve(), pathlib.Path.cwd().resolve()]
    if not any(target == r or r in target.parents for r in roots):
        raise CaseError(f"[output] path = {path!r} is outside the case's directory "
                        f"({str(roots[0])!r}) and the working directory: a case file writes "
                        f"only under them; give an output elsewhere on the command line "
                        f"(-o OUT.nc)")
    if target.is_dir():
        raise CaseError(f"[output] path = {path!r} is a directory; name a file (e.g. "
                        f"\"out.nc\")")
    return str(base / path)


def _run_options(case, base):
    """The options of ``run`` from [run] and [output]."""
    run, out = case["run"], case.get("output", {})
    every = out.get("checkpoint_every", 10)
    if every < 1:
        raise CaseError(f"[output] checkpoint_every must be an integer >= 1 (frames between "
                        f"checkpoints), got {every!r}")
    return {"t_end": run["t_end"], "save_every": run["save_every"],
            "output": output_path(case, base), "checkpoint_every": int(every),
            "overwrite": out.get("overwrite", False)}


def _build_quantum(case, H, state, base):
    """(pmc.quantum.Simulation, run options) for ``[run] method = "quantum"``."""
    run = case["run"]
    for section in ("collisions", "boundary"):
        if case.get(section):
            raise CaseError(f"[{section}] is not used by method = \"quantum\" (absorbing "
                            f"layers: [quantum] absorber)")
    if "scheme" in run:
        raise CaseError("[run] scheme is an option of the markers and grid methods; the quantum "
                        "solver is split-operator Strang (seed is not used either)")
    if "quantum" not in case:
        raise CaseError("[run] method = \"quantum\" needs a [quantum] table with x (the "
                        "position grid)")
    table = case["quantum"]
    if "x" not in table:
        raise CaseError("[quantum] needs x, the position grid")
    axes = [_periodic_axis(d, table[d]) for d in ("x", "y") if d in table]
    absorber = None
    if "absorber" in table:
        absorber = _model("quantum.absorber", {"model": "Absorber", **table["absorber"]},
                          "absorber")
    t0 = run.get("t0", 0.0)
    grid = axes[0] if len(axes) == 1 else tuple(axes)
    try:
        dt = run.get("dt")
        if dt is None:
            dt = quantum.default_dt(H, state, grid=grid, save_every=run["save_every"], t0=t0)
        sim = quantum.Simulation(H, state, grid=grid, dt=dt, absorber=absorber, t0=t0,
                                 threads=table.get("threads", 1),
                                 planner=table.get("planner", "measure"), case=case)
    except ValueError as exc:
        text = str(exc)
        section = ("run" if text.startswith(("dt", "t0")) else
                   "distribution" if text.startswith("initial") else "quantum")
        raise CaseError(f"[{section}] {text}") from None
    return sim, _run_options(case, base)


def _periodic_axis(name, spec):
    """A [quantum] axis: {start, stop, num} is the periodic box [start, stop) with num points
    (stop excluded, being start's periodic image), or a list of the points."""
    if isinstance(spec, dict):
        _check_keys(f"quantum.{name}", spec, {"start", "stop", "num"})
        try:
            return np.linspace(float(spec["start"]), float(spec["stop"]), int(spec["num"]),
                               endpoint=False)
        except KeyError as exc:
            raise CaseError(f"[quantum] {name} needs start, stop and num; missing {exc}") \
                from None
    return np.asarray(spec, dtype=float)
