"""CI runs every validation case at reduced size (``pmc validate --quick``): each must write its
netCDF file, its figure and a passing JSON verdict (docs/design.md §4)."""
import json
import pathlib
import subprocess
import sys

import pytest

from pmc.validate import discover

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = sorted(discover(ROOT / "validation"))


def test_the_catalogue_is_not_empty():
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_validation_case_passes_quick(case, tmp_path):
    r = subprocess.run([sys.executable, "-m", "pmc", "validate", "--quick", case,
                        "--dir", str(ROOT / "validation"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=900)
    verdict = json.loads((tmp_path / f"{case}.json").read_text())
    assert r.returncode == 0 and verdict["passed"], (r.stdout[-2000:], r.stderr[-2000:],
                                                      verdict)
    assert (tmp_path / f"{case}.png").exists()
    assert list(tmp_path.glob(f"{case}*.nc"))
