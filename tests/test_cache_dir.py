"""numba's disk cache for pmc's kernels lives in a directory keyed by every kernel source, so a
change in one module can never leave another module's cached kernel stale."""
import os
import pathlib
import shutil
import subprocess
import sys

import numba

import pmc
from pmc import _kernels


def test_cache_directory_is_keyed_by_the_kernel_sources():
    here = pathlib.Path(_kernels.__file__).resolve().parent
    assert numba.config.CACHE_DIR == _kernels.CACHE_DIR
    assert pathlib.Path(_kernels.CACHE_DIR).name == f"numba-{_kernels.source_key(here)}"


def test_source_key_changes_with_any_kernel_source(tmp_path):
    here = pathlib.Path(_kernels.__file__).resolve().parent
    copy = tmp_path / "kernels"
    shutil.copytree(here, copy, ignore=shutil.ignore_patterns("__pycache__"))
    key = _kernels.source_key(copy)
    assert key == _kernels.source_key(here)
    victim = copy / "vecmath.py"
    victim.write_text(victim.read_text() + "\n# one more line\n")
    assert _kernels.source_key(copy) != key
    (copy / "vecmath.py").unlink()
    assert _kernels.source_key(copy) not in (key, _kernels.source_key(here))


def test_user_cache_dir_is_kept_as_the_parent(tmp_path):
    """NUMBA_CACHE_DIR set by the user: the keyed directory lies under it, and a kernel
    compiled in that process is cached there."""
    code = ("import numpy as np, pmc._kernels as k\n"
            "from pmc._kernels.cells import first_bad_index\n"
            "assert first_bad_index(np.arange(3), 3) == -1\n"
            "print(k.CACHE_DIR)\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=pathlib.Path(pmc.__file__).parent.parent)
    path = pathlib.Path(out.stdout.strip().splitlines()[-1])
    assert path.parent == tmp_path and path.name.startswith("numba-")
    assert any(path.rglob("*.nbi")), "no cached kernel under the keyed directory"
