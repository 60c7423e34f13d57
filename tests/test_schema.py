"""The output schema (pmc.schema): every variable each solver writes is declared, its attributes in
the file are the declaration's, the ensemble merge rule is the one the merge applies, units follow
the run's unit system, and each solver's file passes a CF checker (compliance-checker's CF suite).

The one finding of the checker that is not an error: its section 5.1 test expects any dimension
named ``time`` to be CF's calendar time (standard_name ``time``, units "<unit> since <epoch>").
pmc's ``time`` is the elapsed simulation time in seconds (or "1"): a plain coordinate, which CF
permits; giving it calendar units would make every reader decode it into dates.
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import gridsolver, schema
from pmc import quantum as Q

H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
PACKET = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
GRID = pmc.PhaseSpaceGrid(x=np.linspace(-9.5, 9.5, 20), p=np.linspace(-3, 3, 13))
CF = "cf:1.9"
#: the checker's calendar-time expectation for a dimension named time (module docstring)
NOT_ERRORS = ("Coordinate variable 'time' should have standard_name='time'",)


def _markers(path, H=H, packet=PACKET, grid=GRID, lo=-10.0, hi=10.0):
    sim = pmc.Simulation(H, pmc.sample(packet, 400, seed=1), dt=0.05 * _t(H), grid=grid,
                         boundary=pmc.Absorbing(lo, hi), seed=2,
                         observables=pmc.simulation.OBSERVABLES)
    sim.run(0.2 * _t(H), 0.1 * _t(H), output=path, progress=False)
    return path


def _t(H):
    return 1.0 if schema.unit_system(H) == "natural" else 1e-15


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("schema")
    out = {"markers": _markers(str(d / "markers.nc"))}
    g = gridsolver.Simulation(H, PACKET, grid=GRID, dt=0.05, boundary=pmc.Absorbing(-10, 10),
                              observables=pmc.simulation.OBSERVABLES)
    g.run(0.2, 0.1, output=str(d / "grid.nc"), progress=False)
    out["grid"] = str(d / "grid.nc")
    q = Q.Simulation(H, PACKET, grid=np.linspace(-20, 20, 128, endpoint=False), dt=0.05,
                     planner="estimate")
    q.run(0.2, 0.1, output=str(d / "quantum.nc"))
    out["quantum"] = str(d / "quantum.nc")
    return out


@pytest.fixture(scope="module")
def derived(files):
    """The envelope of the quantum run and its comparison with the marker run, in memory."""
    q = pmc.io.open_dataset(files["quantum"])
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-9.5, 9.5, 20), p=np.linspace(-3, 3, 13))
    rho = Q.envelope(q, grid, Q.GaussianWindow(sigma_x=1.0), warn=False)
    runs = [pmc.io.open_dataset(files["markers"])]
    return {"envelope": rho, "compare": pmc.compare(runs, rho, noise_draws=4)}


def _datasets(files, derived):
    yield from ((k, pmc.io.open_dataset(v)) for k, v in files.items())
    yield from derived.items()


def test_every_variable_is_declared_with_its_attributes(files, derived):
    for label, ds in _datasets(files, derived):
        system = schema.system_of(ds)
        for name, var in ds.variables.items():
            assert schema.declared(name), (label, name)
            assert schema.conforms(name, var.dims), (label, name, var.dims)
            want = schema.attrs(name, var.dims, system)
            for key in ("units", "long_name", "standard_name"):
                assert var.attrs.get(key) == want.get(key), (label, name, key)


def test_merge_rules_are_the_physics_of_each_variable(files, derived):
    """The merge applies the schema's rule, and the schema's rules are the ones the physics
    asks for: counts summed, ratios (per-cell means) weighted by density, fractions of the total
    weight weighted by it, everything else a mean weighted by the initial weight."""
    from pmc.ensemble import merging
    counts = {"n_markers", "collisions", "n_positive", "n_negative", "pairs_generated"}
    for label, ds in _datasets(files, derived):
        for name in ds.data_vars:
            assert merging.rule(name, ds) == schema.merge_rule(name), (label, name)
    for name in schema.names():  # and every declared name, with its stderr
        for n in (name, name + "_stderr"):
            if n in counts:
                want = "sum"
            elif n.startswith(("mean_velocity", "temperature", "flow_velocity",
                               "translational_temperature")):
                want = "ratio"
            elif n.startswith("weight_outside_"):
                want = "fraction"
            else:
                want = "mean"
            assert schema.merge_rule(n) == want, n


def test_the_same_quantity_has_the_same_name_in_every_solver(files):
    ds = {k: pmc.io.open_dataset(v) for k, v in files.items()}
    for name in ("total_weight", "energy", "momentum", "absorbed", "density", "current"):
        for label in ds:
            assert name in ds[label], (label, name)
    assert "norm" not in ds["quantum"]
    for name in ("total_weight", "energy", "density", "absorbed"):
        assert ds["markers"][name].attrs["long_name"] == ds["quantum"][name].attrs["long_name"]
    for label in ds:
        assert ds[label].attrs["Conventions"] == schema.CONVENTIONS


def test_units_follow_the_unit_system(tmp_path):
    natural = pmc.io.open_dataset(_markers(str(tmp_path / "natural.nc")))
    assert natural.x.attrs["units"] == "1" and natural.time.attrs["units"] == "1"
    assert natural.energy.attrs["units"] == "1" and natural.f.attrs["units"] == "1"
    u = pmc.units
    H_si = pmc.Hamiltonian(pmc.bands.Parabolic(mass=u.m_e), hbar=u.hbar)
    assert schema.unit_system(H_si) == "si" and schema.unit_system(H) == "natural"
    packet = pmc.states.GaussianWavepacket(x0=0.0, p0=1e-25, sigma_x=1e-8, mass=u.m_e,
                                           hbar=u.hbar)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-9.5e-8, 9.5e-8, 20),
                              p=np.linspace(-3e-25, 3e-25, 13))
    si = pmc.io.open_dataset(_markers(str(tmp_path / "si.nc"), H_si, packet, grid, -1e-7, 1e-7))
    assert si.x.attrs["units"] == "m" and si.time.attrs["units"] == "s"
    assert si.p.attrs["units"] == "kg m/s" and si.energy.attrs["units"] == "J"
    assert si.f.attrs["units"] == "1/(m kg m/s)" and si.density.attrs["units"] == "1/m"
    assert schema.units("psi_real", ("x",)) is None  # m^(-1/2): no UDUNITS spelling
    assert "m^(-1/2)" in schema.attrs("psi_real", ("x",))["comment"]
    assert schema.units("psi_real", ("x", "y")) == "1/m"


def test_declarations_are_complete_and_checked():
    with pytest.raises(KeyError, match="declared"):
        schema.declaration("no_such_variable")
    with pytest.raises(ValueError, match="give the dims"):
        schema.variable("density", [1.0])
    with pytest.raises(ValueError, match="system"):
        schema.units("energy", system="cgs")
    v = schema.variable("mean_velocity", [np.nan, 1.0], ("x",))
    assert np.isnan(v.attrs["missing_value"])
    assert schema.declaration("f_stderr").long_name == "standard error of f"
    assert schema.units("f", ("x", "y", "p", "py", "pz")) == "1/(m^2 (kg m/s)^3)"
    assert schema.conforms("f", ("time", "x", "p")) and not schema.conforms("f", ("x",))


def _cf_errors(path):
    from compliance_checker.runner import CheckSuite

    suite = CheckSuite()
    with warnings.catch_warnings():  # the checker's deprecated IOOS SOS suites, unused here
        warnings.simplefilter("ignore", DeprecationWarning)
        suite.load_all_available_checkers()
    results = suite.run_all(suite.load_dataset(path), [CF], skip_checks=[])[CF][0]
    errors = []
    for r in results:  # weight 3: the checker's "errors" (HIGH priority)
        if r.weight == 3 and r.value[0] < r.value[1]:
            errors += [f"{r.name}: {m}" for m in r.msgs if not m.startswith(NOT_ERRORS)]
    return errors


@pytest.mark.parametrize("solver", ["markers", "grid", "quantum"])
def test_each_solver_writes_a_cf_compliant_file(files, solver):
    pytest.importorskip("compliance_checker")
    assert _cf_errors(files[solver]) == []


def test_derived_files_are_cf_compliant(derived, tmp_path):
    pytest.importorskip("compliance_checker")
    for label, ds in derived.items():
        path = str(tmp_path / f"{label}.nc")
        ds.attrs["Conventions"] = schema.CONVENTIONS
        ds.to_netcdf(path, encoding=pmc.io.encoding(ds))
        assert _cf_errors(path) == [], label
    assert xr.open_dataset(path).distance.attrs["units"] == "1"
