"""The package is layered (docs/design.md §5); a module may import only from its own layer or the
ones below it:

1. ``_kernels`` -- all numba, over flat arrays; imports numpy, numba, math (and threadpoolctl in
   the thread-control module) only, never a pmc class.
2. models and state, in an order of their own (``MODEL_ORDER``): a module imports only the ones
   before it -- units and the base utilities, then bands < potentials < hamiltonian < markers <
   states < cells < grids < boundaries < streaming < collisions < fields. (``states`` comes after
   ``markers`` because :func:`pmc.sample` returns :class:`pmc.Markers`.)
3. ``io``: netCDF frames, checkpoints, atomic writes. (``schema``, every output variable declared
   once, sits with the base utilities of the models layer: the grids build their datasets from
   it.)
4. solvers: the protocol (``_run``: the run loop, frames, checkpoints) and the marker
   (``simulation``), grid (``gridsolver``) and quantum solvers.
5. compare, averages, ensemble, config, plot, cli, validate and the package's ``__init__``.

Further, numba is imported only under ``pmc/_kernels``, and config, cli and ensemble use the
public API only (see :func:`_private_import` for what "public" means).
"""
import ast
import pathlib

import pmc

ROOT = pathlib.Path(pmc.__file__).parent

LAYERS = [
    {"_kernels"},
    {"units", "_checks", "_resources", "_model", "_version", "threads", "schema", "bands",
     "potentials", "hamiltonian", "markers", "states", "cells", "sampling", "grids", "boundaries",
     "streaming", "collisions", "materials", "fields", "devices"},
    {"io"},
    {"_run", "simulation", "gridsolver", "quantum"},
    {"compare", "averages", "ensemble", "config", "plot", "cli", "validate", "__init__", "__main__"},
]
#: Inside the models layer: a module imports only modules of an earlier entry.
MODEL_ORDER = [
    {"units", "_checks", "_resources", "_model", "_version", "threads", "schema"},
    {"bands"},
    {"potentials"},
    {"hamiltonian"},
    {"markers"},
    {"states"},
    {"cells"},
    {"sampling"},
    {"grids"},
    {"boundaries"},
    {"streaming"},
    {"collisions"},
    {"materials"},
    {"fields"},
    {"devices"},
]
#: llvmlite is numba's own code generator (a dependency of numba): its IR builder writes the
#: LLVM code of the kernels' ``@intrinsic`` functions.
KERNEL_ALLOWED = {"numpy", "numba", "math", "scipy.special", "llvmlite"}
#: Kernel modules that configure the process and may import more: the one that also sets the
#: BLAS threads (a context manager), and the package's __init__, which names numba's disk-cache
#: directory by a hash of the kernel sources.
KERNEL_EXTRA = {"threads": {"threadpoolctl", "contextlib"},
                "__init__": {"hashlib", "os", "pathlib"}}
#: Modules held to the public API.
PUBLIC_ONLY = {"config", "cli", "ensemble"}


def _layer(top):
    for k, names in enumerate(LAYERS):
        if top in names:
            return k
    raise AssertionError(f"module pmc.{top} is in no layer: add it to LAYERS in {__file__}")


def _rank(top):
    for k, names in enumerate(MODEL_ORDER):
        if top in names:
            return k
    raise AssertionError(f"module pmc.{top} of the models layer is not in MODEL_ORDER")


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield path, parts


def _import_nodes(path, parts):
    """(absolute module name, imported names or None) per import statement of a file."""
    tree = ast.parse(path.read_text())
    package = ["pmc", *parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import a, b: modules a and b
                    for a in node.names:
                        yield f"{mod}.{a.name}", None
                    continue
                yield mod, [a.name for a in node.names]
            else:
                yield node.module, [a.name for a in node.names]


def _imports(path, parts):
    """Absolute names of pmc modules (and other top-level packages) imported by a file."""
    for name, _ in _import_nodes(path, parts):
        yield name


def _upward(parts, name):
    """Why importing ``name`` from module ``parts`` breaks the layers, or None."""
    if name.split(".")[0] != "pmc" or name == "pmc":
        return None
    top, own = name.split(".")[1], parts[0]
    if top == own:
        return None
    if _layer(top) > _layer(own):
        return f"layer {_layer(own)} imports layer {_layer(top)}"
    if _layer(top) == _layer(own) == 1 and _rank(top) >= _rank(own):
        return (f"models-layer order: pmc.{own} (rank {_rank(own)}) imports pmc.{top} "
                f"(rank {_rank(top)})")
    return None


def _private_import(parts, module, names):
    """Why an import of a module held to the public API is not public, or None.

    "Public" means: a pmc name reached without a leading underscore. Precisely, importing
    ``names`` from pmc module ``module`` (``import pmc.a.b`` has names None) is public when

    * ``module`` lies in the importer's own top-level package (``pmc.ensemble.runner`` may use
      the private helpers of ``pmc.ensemble.overrides``: one package, one owner); or
    * no component of ``module`` below ``pmc`` and no imported name starts with ``_``; or
    * the imported object is re-exported by the package itself under the same name
      (``from pmc._version import __version__`` is ``pmc.__version__``).
    """
    if module.split(".")[0] != "pmc" or module == "pmc":
        return None
    below = module.split(".")[1:]
    if below[0] == parts[0]:
        return None
    if names is None:
        names = [below.pop()]
        module = ".".join(["pmc", *below])
    bad = []
    for n in names:
        private = any(c.startswith("_") for c in below) or n.startswith("_")
        if not private:
            continue
        if not n.startswith("_") or n.startswith("__"):
            imported = __import__(module, fromlist=[n])
            if getattr(imported, n, None) is not None and getattr(pmc, n, None) is getattr(
                    imported, n):
                continue
        bad.append(f"{module}.{n}")
    return ", ".join(bad) or None


def test_every_module_imports_only_downwards():
    bad = []
    for path, parts in _modules():
        for name in _imports(path, parts):
            why = _upward(parts, name)
            if why:
                bad.append(f"pmc.{'.'.join(parts)} imports {name}: {why}")
    assert not bad, "\n".join(bad)


def test_kernels_import_only_numpy_numba_math():
    bad = []
    for path, parts in _modules():
        if parts[0] != "_kernels":
            continue
        allowed = KERNEL_ALLOWED | KERNEL_EXTRA.get(parts[-1], set())
        for name in _imports(path, parts):
            if (name.startswith("pmc._kernels") or name in allowed
                    or name.split(".")[0] == "numba"):
                continue
            bad.append(f"pmc.{'.'.join(parts)} imports {name}")
    assert not bad, "\n".join(bad)


def test_numba_only_under_kernels():
    bad = []
    for path, parts in _modules():
        if parts[0] == "_kernels":
            continue
        for name in _imports(path, parts):
            if name.split(".")[0] == "numba":
                bad.append(f"pmc.{'.'.join(parts)} imports {name}")
        if "numba." in path.read_text():  # e.g. a lazy importlib.import_module("numba")
            bad.append(f"pmc.{'.'.join(parts)} mentions numba.<attribute>")
    assert not bad, "\n".join(bad)


def test_config_cli_ensemble_use_public_names_only():
    bad = []
    for path, parts in _modules():
        if parts[0] not in PUBLIC_ONLY:
            continue
        for module, names in _import_nodes(path, parts):
            why = _private_import(parts, module, names)
            if why:
                bad.append(f"pmc.{'.'.join(parts)} imports the private {why}")
    assert not bad, "\n".join(bad)


def test_checkers_can_fail(tmp_path):
    # each checker must be able to fail: an upward import, an import against the models order,
    # a private name, a private module, and the re-export that makes a private path public
    f = tmp_path / "x.py"
    f.write_text("from ..simulation import Simulation\n")
    assert list(_imports(f, ("_kernels", "push"))) == ["pmc.simulation"]
    assert _upward(("_kernels", "push"), "pmc.simulation")
    assert _upward(("bands",), "pmc.markers")            # bands comes before markers
    assert _upward(("markers",), "pmc.states")           # states is built on markers
    assert _upward(("states",), "pmc.markers") is None
    assert _upward(("io",), "pmc.simulation")
    assert _private_import(("cli",), "pmc.config", ["_model"]) == "pmc.config._model"
    assert _private_import(("ensemble", "runner"), "pmc", None) is None
    assert _private_import(("ensemble", "runner"), "pmc._checks", None) == "pmc._checks"
    assert _private_import(("ensemble", "runner"), "pmc._run", ["checkpoint_path"])
    assert _private_import(("cli",), "pmc._version", ["__version__"]) is None
    assert _private_import(("ensemble", "runner"), "pmc.ensemble.overrides", ["_plain"]) is None
