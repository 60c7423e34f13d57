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
