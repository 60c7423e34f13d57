"""Every file in examples/ runs (scripts with --quick, case files through ``pmc run`` with fewer
markers), so an example cannot be added without being exercised here."""
import pathlib
import subprocess
import sys

import pytest

from pmc import config

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
CASES = sorted(EXAMPLES.glob("*.toml"))


def test_every_example_is_covered():
    others = [p for p in EXAMPLES.iterdir()
              if p.suffix not in (".py", ".toml") and p.name not in ("README.md", "__pycache__")]
    assert not others, f"examples/ holds files no test runs: {others}"
    assert SCRIPTS and CASES


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_script_runs(script, tmp_path):
    r = subprocess.run([sys.executable, str(script), "--quick", "-o", str(tmp_path / "out.nc")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "out.nc").exists()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_example_case_runs(case, tmp_path):
    spec = config.load_case(case)
    if "n" in spec["distribution"]:  # markers (a quantum case has none)
        spec["distribution"]["n"] = min(spec["distribution"]["n"], 20_000)
    sim, run = config.build(spec)
    ds = sim.run(run["t_end"], run["save_every"], output=tmp_path / "out.nc", progress=False)
    assert ds.sizes["time"] >= 2
