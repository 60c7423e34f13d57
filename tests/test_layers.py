"""The package is layered: kernels < base utilities < physics < driver < io/config/cli. A module
may import only from its own layer or the ones below it; the kernels import numpy, numba and math
only (docs/design.md §2)."""
import ast
import pathlib

import pmc

ROOT = pathlib.Path(pmc.__file__).parent

LAYERS = [
    {"_kernels"},
    # io writes and reads files with xarray and netCDF4 only (docs/design.md §2), so
    # it sits below the driver that writes its frames through it
    {"_checks", "_model", "units", "_version", "schema", "io", "_run"},
    {"bands", "potentials", "hamiltonian", "markers", "states", "grids", "cells", "boundaries",
     "streaming", "collisions", "fields", "quantum", "gridsolver"},
    {"simulation", "compare"},
    {"config", "cli", "plot", "validate", "ensemble", "__init__", "__main__"},
]
KERNEL_ALLOWED = {"numpy", "numba", "math", "scipy.special"}


def _layer(top):
    for k, names in enumerate(LAYERS):
        if top in names:
            return k
    raise AssertionError(f"module pmc.{top} is in no layer: add it to LAYERS in {__file__}")


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield path, parts


def _imports(path, parts):
    """Absolute names of pmc modules (and other top-level packages) imported by a file."""
    tree = ast.parse(path.read_text())
    package = ["pmc", *parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    for a in node.names:
                        yield f"{mod}.{a.name}"
                    continue
                yield mod
            else:
                yield node.module


def test_every_module_imports_only_downwards():
    bad = []
    for path, parts in _modules():
        own = _layer(parts[0])
        for name in _imports(path, parts):
            if name.split(".")[0] != "pmc" or name == "pmc":
                continue
            top = name.split(".")[1]
            if _layer(top) > own:
                bad.append(f"pmc.{'.'.join(parts)} (layer {own}) imports {name} "
                           f"(layer {_layer(top)})")
    assert not bad, "\n".join(bad)


def test_kernels_import_only_numpy_numba_math():
    bad = []
    for path, parts in _modules():
        if parts[0] != "_kernels":
            continue
        for name in _imports(path, parts):
            if name.startswith("pmc._kernels") or name in KERNEL_ALLOWED:
                continue
            bad.append(f"pmc.{'.'.join(parts)} imports {name}")
    assert not bad, "\n".join(bad)


def test_layer_check_catches_an_upward_import(tmp_path):
    # the checker itself must be able to fail
    src = "from ..simulation import Simulation\n"
    f = tmp_path / "x.py"
    f.write_text(src)
    names = list(_imports(f, ("_kernels", "push")))
    assert names == ["pmc.simulation"]
    assert _layer("simulation") > _layer("_kernels")
