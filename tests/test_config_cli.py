"""Case files and the command line: unknown names and keys are errors that list the valid ones,
nothing is evaluated, and the commands run, describe and plot a file."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pmc
from pmc import config

GOOD = textwrap.dedent("""
    [run]
    dt = 0.05
    t_end = 1.0
    save_every = 0.5
    seed = 2

    [dispersion]
    model = "Parabolic"
    mass = 1.0

    [[potential]]
    model = "GaussianBarrier"
    height = 1.0
    width = 2.0
    modulation = { model = "Sinusoidal", amplitude = 0.2, angular_frequency = 1.0 }

    [[potential]]
    model = "UniformField"
    F = 0.1

    [distribution]
    model = "GaussianWavepacket"
    n = 500
    x0 = -5.0
    p0 = 1.0
    sigma_x = 1.0

    [boundary]
    model = "Absorbing"
    lo = -10.0
    hi = 10.0

    [grid]
    x = { start = -9.5, stop = 9.5, num = 20 }
    p = [-2.0, -1.0, 0.0, 1.0, 2.0]
""")


def _case(tmp_path, text=GOOD, name="case.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_case_builds_the_simulation_it_describes(tmp_path):
    sim, run = config.build(config.load_case(_case(tmp_path)))
    assert isinstance(sim.hamiltonian.potential, pmc.potentials.Sum)
    assert sim.hamiltonian.time_dependent
    assert sim.markers.n == 500 and sim.dt == 0.05
    assert run["t_end"] == 1.0 and run["save_every"] == 0.5
    # the same numbers as the Python API with the same seed
    psi = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.0, sigma_x=1.0)
    np.testing.assert_array_equal(sim.markers.x, pmc.sample(psi, 500, seed=2).x)


@pytest.mark.parametrize("old, new, message", [
    ("height = 1.0", "heigth = 1.0", r"unknown key.*heigth.*valid keys.*height"),
    ('model = "Parabolic"', 'model = "Parbolic"', r"Parbolic.*valid models.*Kane"),
    ("[run]", "[runn]\nx=1\n[run]", r"unknown section.*runn.*valid sections"),
    ("dt = 0.05", "dt = -0.05", r"dt"),
    ("n = 500", "n = 0", r"n"),
    ('model = "GaussianWavepacket"', 'model = "__import__(\'os\').system(\'true\')"',
     r"valid models"),
    ("save_every = 0.5", "", r"save_every"),
    ("mass = 1.0", "mass = 'heavy'", r"mass"),
    ("p = [-2.0, -1.0, 0.0, 1.0, 2.0]", "p = [0.0]", r"p"),
    ('x = { start = -9.5, stop = 9.5, num = 20 }',
     'x = { start = -9.5, stop = 9.5, number = 20 }', r"number"),
])
def test_case_errors_name_what_is_wrong(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(ValueError, match=message):
        config.build(config.load_case(_case(tmp_path, GOOD.replace(old, new, 1))))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not valid TOML"):
        config.load_case(_case(tmp_path, "[run\n"))
    with pytest.raises(ValueError, match="does not exist"):
        config.load_case(tmp_path / "nope.toml")


def test_gridded_potential_from_a_netcdf_file(tmp_path):
    import xarray as xr
    x = np.linspace(-10, 10, 201)
    xr.Dataset({"U": ("x", np.exp(-x ** 2 / 8))}, coords={"x": x}).to_netcdf(tmp_path / "U.nc")
    text = GOOD.replace('model = "UniformField"\n    F = 0.1'.replace("    ", ""),
                        'model = "Gridded"\nfile = "U.nc"\nvariable = "U"')
    sim, _ = config.build(config.load_case(_case(tmp_path, text)))
    parts = sim.hamiltonian.potential.parts
    assert isinstance(parts[1], pmc.potentials.Gridded)
    np.testing.assert_array_equal(parts[1].values, np.exp(-x ** 2 / 8))


def _pmc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pmc", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_command_line_run_info_plot(tmp_path):
    case = _case(tmp_path)
    r = _pmc("--version")
    assert r.returncode == 0 and pmc.__version__ in r.stdout
    r = _pmc("run", str(case), "-o", str(tmp_path / "out.nc"))
    assert r.returncode == 0, r.stderr
    assert "3 frames" in r.stdout
    r = _pmc("run", str(case), "-o", str(tmp_path / "out.nc"))
    assert r.returncode == 2 and "exists" in r.stderr
    r = _pmc("info", str(tmp_path / "out.nc"))
    assert r.returncode == 0 and "GaussianBarrier" in r.stdout and "f(time, x, p)" in r.stdout
    r = _pmc("plot", str(tmp_path / "out.nc"), "-o", str(tmp_path / "fig.png"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line_reports_case_errors_in_one_line(tmp_path):
    case = _case(tmp_path, GOOD.replace("height = 1.0", "heigth = 1.0"))
    r = _pmc("run", str(case), "-o", str(tmp_path / "out.nc"))
    assert r.returncode == 2
    assert "heigth" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.nc").exists()


def test_the_case_in_a_file_reruns_to_the_same_numbers(tmp_path):
    sim, run = config.build(config.load_case(_case(tmp_path)))
    first = sim.run(run["t_end"], run["save_every"], output=tmp_path / "a.nc", progress=False)
    again = _case(tmp_path, first.attrs["case"], name="again.toml")
    sim2, run2 = config.build(config.load_case(again))
    second = sim2.run(run2["t_end"], run2["save_every"], progress=False)
    for name in first.data_vars:
        np.testing.assert_array_equal(first[name].values, second[name].values, err_msg=name)


def _quantum_case(text=GOOD):
    """GOOD as the Schrödinger reference: the same Hamiltonian and wave packet ([distribution] n
    and [grid] are not used), walls replaced by absorbing layers in [quantum]."""
    boundary = '[boundary]\nmodel = "Absorbing"\nlo = -10.0\nhi = 10.0\n'
    assert boundary in text
    return text.replace("[run]\n", '[run]\nmethod = "quantum"\n', 1).replace(boundary, (
        '[quantum]\nx = { start = -20.0, stop = 20.0, num = 256 }\n'
        'absorber = { width = 5.0 }\nplanner = "estimate"\n'))


def test_a_quantum_case_runs_the_schrodinger_solver(tmp_path):
    case = _case(tmp_path, _quantum_case(), name="quantum.toml")
    sim, run = config.build(config.load_case(case))
    assert isinstance(sim, pmc.quantum.Simulation) and sim.dt == 0.05
    x = np.linspace(-20.0, 20.0, 256, endpoint=False)
    np.testing.assert_array_equal(sim.coords["x"], x)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.GaussianBarrier(1.0, 2.0)
                        * pmc.potentials.Sinusoidal(amplitude=0.2, angular_frequency=1.0)
                        + pmc.potentials.UniformField(F=0.1))
    psi = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.0, sigma_x=1.0)
    python = pmc.quantum.simulate(H, psi, grid=x, dt=0.05, t_end=1.0, save_every=0.5,
                                  absorber=pmc.quantum.Absorber(width=5.0), planner="estimate")
    r = _pmc("run", str(case), "-o", str(tmp_path / "q.nc"))
    assert r.returncode == 0, r.stderr
    assert "3 frames" in r.stdout and "total weight" in r.stdout
    q = pmc.open_dataset(tmp_path / "q.nc")
    for name in python.data_vars:
        np.testing.assert_array_equal(q[name].values, python[name].values, err_msg=name)
    assert 'method = "quantum"' in q.attrs["case"]
    # dt may be omitted: the default step of pmc.quantum.simulate
    sim, _ = config.build(config.load_case(_case(tmp_path, _quantum_case().replace(
        "dt = 0.05\n", ""), name="default_dt.toml")))
    assert sim.dt == pmc.quantum.default_dt(H, psi, grid=x, save_every=0.5)


@pytest.mark.parametrize("old, new, message", [
    ("[quantum]", "[quantum]\nz = 1", r"unknown key.*z.*valid keys.*absorber"),
    ("x = { start = -20.0", "y = { start = -20.0", r"\[quantum\] needs x"),
    ("absorber = { width = 5.0 }", "absorber = { widht = 5.0 }", r"widht.*width"),
    ("absorber = { width = 5.0 }", "absorber = { width = 25.0 }", r"absorber width"),
    ('planner = "estimate"', 'planner = "fast"', r"planner"),
    ("seed = 2", 'scheme = "yoshida4"', r"scheme"),
    ("dt = 0.05", "dt = -0.05", r"\[run\] dt"),
    ("sigma_x = 1.0", "sigma_x = 1.0\nhbar = 2.0", r"\[distribution\] hbar = 2.0 differs from the "
                                                  r"Hamiltonian.s hbar = 1.0"),
    ('model = "GaussianWavepacket"\nn = 500\nx0 = -5.0\np0 = 1.0\nsigma_x = 1.0',
     'model = "Maxwellian"\ntemperature = 1.0\nmass = 1.0\nx = [-5.0, 5.0]', r"wave function"),
    ("[dispersion]", '[boundary]\nmodel = "Periodic"\nlo = -1.0\nhi = 1.0\n[dispersion]',
     r"\[boundary\] is not used"),
])
def test_quantum_case_errors_name_what_is_wrong(tmp_path, old, new, message):
    text = _quantum_case()
    assert old in text
    with pytest.raises(ValueError, match=message):
        config.build(config.load_case(_case(tmp_path, text.replace(old, new, 1))))
    with pytest.raises(ValueError, match="needs a \\[quantum\\]"):
        config.build(config.load_case(_case(tmp_path, _quantum_case().split("[quantum]")[0])))


def test_merged_outputs_of_replicas_stay_under_the_case_directory(tmp_path):
    from pmc import cli
    case = config.load_case(_case(tmp_path))
    case["output"] = {"path": "../../elsewhere.nc"}
    with pytest.raises(config.CaseError, match="outside the case's directory"):
        cli._build_output(case)
    case["output"] = {"path": "merged.nc"}
    assert cli._build_output(case) == str(tmp_path / "merged.nc")


def test_command_line_compare_against_the_quantum_run_and_a_grid_run(tmp_path):
    markers = tmp_path / "markers.nc"
    assert _pmc("run", str(_case(tmp_path)), "-o", str(markers)).returncode == 0
    quantum = tmp_path / "quantum.nc"
    q_case = _case(tmp_path, _quantum_case(), name="quantum.toml")
    assert _pmc("run", str(q_case), "-o", str(quantum)).returncode == 0
    r = _pmc("compare", str(markers), str(quantum), "--window", "gaussian:1.0", "--divide", "0",
             "-o", str(tmp_path / "c.nc"))
    assert r.returncode == 0, r.stderr
    assert "distance" in r.stdout and "wrote" in r.stdout
    c = pmc.open_dataset(tmp_path / "c.nc")
    m = pmc.open_dataset(markers)
    grid = pmc.PhaseSpaceGrid(x=m.x.values, p=m.p.values)
    rho = pmc.quantum.envelope(pmc.open_dataset(quantum), grid,
                               pmc.quantum.GaussianWindow(sigma_x=1.0), warn=False)
    expected = pmc.compare(m, rho)
    for name in expected.data_vars:
        np.testing.assert_array_equal(c[name].values, expected[name].values, err_msg=name)
    assert c.attrs["reference_file"] == str(quantum)
    # --coverage error refuses exactly when pmc.compare(..., coverage="error") does
    try:
        pmc.compare(m, rho, coverage="error")
        refused = False
    except ValueError:
        refused = True
    r = _pmc("compare", str(markers), str(quantum), "--window", "gaussian:1.0",
             "--coverage", "error")
    assert (r.returncode == 2) == refused and (r.returncode == 0) != refused, r.stderr
    # a quantum run needs a window; a bad window is named
    r = _pmc("compare", str(markers), str(quantum))
    assert r.returncode == 2 and "--window" in r.stderr
    r = _pmc("compare", str(markers), str(quantum), "--window", "triangle:1")
    assert r.returncode == 2 and "gaussian:SIGMA_X" in r.stderr
    # a grid run is a reference too (f, no smoothing)
    grid_case = _case(tmp_path, GOOD.replace("[run]\n", '[run]\nmethod = "grid"\n', 1)
                      .replace("seed = 2\n", "").replace(
                          "p = [-2.0, -1.0, 0.0, 1.0, 2.0]",
                          "p = { start = -2.0, stop = 2.0, num = 9 }"), name="grid.toml")
    grid_run = tmp_path / "grid.nc"
    r = _pmc("run", str(grid_case), "-o", str(grid_run))
    assert r.returncode == 0, r.stderr
    r = _pmc("compare", str(markers), str(grid_run))
    assert r.returncode == 2 and "p axis differs" in r.stderr


# ------------------------------------------------------------------ units, constructors, state
SI_CASE = {
    "run": {"dt": "1 fs", "t_end": "4 fs", "save_every": "2 fs", "seed": 1},
    "hamiltonian": {"units": "si"},
    "dispersion": {"model": "Parabolic", "mass": "0.26 m_e"},
    "distribution": {"model": "Maxwellian", "temperature": "300 K", "mass": "0.26 m_e",
                     "x": ["0 nm", "100 nm"], "n": 64, "momentum_dims": 3},
    "cells": {"lo": 0.0, "hi": "100 nm", "n": 1},
    "collisions": [{"model": "Impurity", "constructor": "from_semiconductor",
                    "density": "1e24 m^-3", "relative_permittivity": 11.7,
                    "screening_length": "10 nm"}],
}


def _with(case, section, **changes):
    out = dict(case)
    out[section] = {**case[section], **changes}
    return out


def test_units_K_is_the_thermal_energy_of_one_kelvin():
    assert pmc.units.K == pmc.units.k_B
    assert 300 * pmc.units.K / pmc.units.meV == pytest.approx(25.852, abs=1e-3)


def test_quantities_with_units_are_converted_to_si():
    u = pmc.units
    sim, run = config.build(SI_CASE)
    assert sim.hamiltonian.hbar == u.hbar  # units = "si" gives hbar its SI value
    assert sim.dt == pytest.approx(1 * u.fs, rel=1e-12)
    assert run["t_end"] == pytest.approx(4 * u.fs, rel=1e-12)
    assert sim.hamiltonian.dispersion.mass == pytest.approx(0.26 * u.m_e, rel=1e-9)
    dist = config.with_units(SI_CASE)["distribution"]
    assert dist["temperature"] == pytest.approx(300 * u.K, rel=1e-12)  # k_B T [J]
    assert dist["x"] == pytest.approx([0.0, 100 * u.nm], rel=1e-12)
    converted = config.with_units(_with(SI_CASE, "distribution", temperature="25 meV"))
    assert converted["distribution"]["temperature"] == pytest.approx(25 * u.meV, rel=1e-12)
    assert config.with_units(_with(SI_CASE, "distribution", temperature="26.85 degC"))[
        "distribution"]["temperature"] == pytest.approx(300 * u.K, rel=1e-9)
    # hbar given with its SI value makes the case SI without units = "si"
    implicit = _with(SI_CASE, "hamiltonian", hbar=u.hbar)
    del implicit["hamiltonian"]["units"]
    assert config.build(implicit)[0].dt == pytest.approx(1 * u.fs, rel=1e-12)
    # the case attribute of a run keeps the values as converted, so it rebuilds the same run
    assert config.with_units(SI_CASE)["cells"]["hi"] == pytest.approx(1e-7, rel=1e-12)


@pytest.mark.parametrize("section, key, value, match", [
    ("distribution", "temperature", "300 nm", r"\[distribution\] temperature = '300 nm' must "
                                              r"be an energy or a temperature"),
    ("run", "dt", "1 m", r"\[run\] dt = '1 m' must be \[time\]"),
    ("distribution", "temperature", "3 hotness", r"\[distribution\] temperature = '3 hotness'"),
    ("distribution", "temperature", "hot", r"\[distribution\] temperature of model "
                                           r"'Maxwellian' must be a number"),
    ("hamiltonian", "units", "cgs", r"\[hamiltonian\] units 'cgs' is unknown; valid"),
    ("hamiltonian", "hbar", 1.0, r"units = \"si\" needs hbar"),
])
def test_bad_quantities_name_their_key(section, key, value, match):
    with pytest.raises(config.CaseError, match=match):
        config.build(_with(SI_CASE, section, **{key: value}))


def test_a_unit_in_natural_units_is_refused():
    natural = dict(SI_CASE, hamiltonian={})
    with pytest.raises(config.CaseError, match=r"\[run\] dt = '1 fs' carries a unit, but the "
                                               r"case is in natural units"):
        config.build(natural)
    # a number written as a string without a unit is not a number (issue 14)
    plain = {**natural, "run": {"dt": 0.05, "t_end": 0.1, "save_every": 0.05}}
    plain = {k: v for k, v in plain.items() if k not in ("collisions", "cells")}
    plain["dispersion"] = {"model": "Parabolic", "mass": 1.0}
    plain["distribution"] = {"model": "Maxwellian", "temperature": "2", "mass": 1.0,
                             "x": [0.0, 1.0], "n": 8}
    with pytest.raises(config.CaseError, match=r"\[distribution\] temperature .* must be a "
                                               r"number, got the string '2'"):
        config.build(plain)
    plain["distribution"]["temperature"] = 2.0
    assert config.build(plain)[0].markers.n == 8


def test_named_constructors_are_the_classmethods_and_only_those():
    sim, _ = config.build(SI_CASE)
    (impurity,) = sim.collisions
    u = pmc.units
    ref = pmc.collisions.Impurity.from_semiconductor(1e24, 11.7, 10 * u.nm)
    assert impurity.coupling == pytest.approx(ref.coupling, rel=1e-12)
    assert impurity.screening_wavenumber == pytest.approx(ref.screening_wavenumber, rel=1e-9)
    with pytest.raises(config.CaseError, match=r"no constructor 'from_disk'; valid "
                                               r"constructors: \['from_semiconductor'\]"):
        config.build({**SI_CASE, "collisions": [{**SI_CASE["collisions"][0],
                                                 "constructor": "from_disk"}]})
    with pytest.raises(config.CaseError, match="no constructor '__init__'"):
        config.build({**SI_CASE, "collisions": [{**SI_CASE["collisions"][0],
                                                 "constructor": "__init__"}]})
    with pytest.raises(config.CaseError, match="has no named constructors"):
        config.build({**SI_CASE, "collisions": [{"model": "ElasticIsotropic", "rate": 1.0,
                                                 "constructor": "__class__"}]})
    with pytest.raises(config.CaseError, match=r"unknown key \['bogus'\]"):
        config.build({**SI_CASE, "collisions": [{**SI_CASE["collisions"][0], "bogus": 1}]})


def test_a_rate_matrix_from_the_momentum_lattice_with_the_case_hamiltonian():
    case = {"run": {"dt": 0.05, "t_end": 0.1, "save_every": 0.05, "seed": 3},
            "hamiltonian": {"hbar": 1.0},
            "dispersion": {"model": "Parabolic", "mass": 2.0},
            "distribution": {"model": "Maxwellian", "temperature": 1.0, "mass": 2.0,
                             "x": [0.0, 10.0], "n": 16},
            "cells": {"lo": 0.0, "hi": 10.0, "n": 1},
            "collisions": [{"model": "RateMatrix", "constructor": "from_momentum_lattice",
                            "p": {"start": -2.0, "stop": 2.0, "num": 9}, "width": 0.5,
                            "coupling": {"model": "GaussianBarrier", "height": 0.3,
                                         "width": 1.0}}]}
    sim, _ = config.build(case)
    ref = pmc.collisions.RateMatrix.from_momentum_lattice(
        np.linspace(-2.0, 2.0, 9), pmc.potentials.GaussianBarrier(height=0.3, width=1.0),
        width=0.5, hbar=1.0, dispersion=pmc.bands.Parabolic(mass=2.0))
    (rm,) = sim.collisions
    assert (rm.matrix != ref.matrix).nnz == 0  # the dispersion is the case's (mass 2)
    with pytest.raises(config.CaseError, match="built by a named constructor"):
        config.build({**case, "collisions": [{"model": "RateMatrix"}]})


def test_marker_state_from_the_case():
    case = {"run": {"dt": 0.05, "t_end": 0.1, "save_every": 0.05, "seed": 3},
            "dispersion": {"model": "Parabolic", "mass": 1.0},
            "distribution": {"model": "Maxwellian", "temperature": 1.0, "mass": 1.0,
                             "x": [0.0, 10.0], "n": 101, "state": [0.25, 0.75]},
            "cells": {"lo": 0.0, "hi": 10.0, "n": 1},
            "collisions": [{"model": "GoldenRule", "energies": [0.0, 0.1], "coupling": 0.2,
                            "width": 1.0}]}
    sim, _ = config.build(case)
    assert np.bincount(sim.markers.state).tolist() == [25, 76]  # 25.25, 75.75: largest rest
    unstated = {**case, "distribution": {k: v for k, v in case["distribution"].items()
                                         if k != "state"}}
    plain = config.build({**unstated, "collisions": []})[0].markers
    assert np.array_equal(sim.markers.p, plain.p)  # the draw itself is unchanged
    sim, _ = config.build(_with(case, "distribution", state=1))
    assert sim.markers.state.tolist() == [1] * 101
    for bad, match in [([0.5, 0.6], "sum to 1"), ("a", "integer >= 0 or a list"),
                       (-1, ">= 0")]:
        with pytest.raises(config.CaseError, match=match):
            config.build(_with(case, "distribution", state=bad))
