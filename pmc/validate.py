"""The validation runner: ``pmc validate [--quick] [CASE ...]``, a case by its name or number.

Each case is a module in ``validation/`` (docs/design.md §4) with a docstring stating the physics
and its reference, an integer ``NUMBER`` (its place in the catalogue, one per case) and a function
``run(quick, outdir)`` that writes ``<name>.nc`` and ``<name>.png`` into ``outdir`` and returns a
:class:`Verdict`. The runner writes ``<name>.json``, prints a table and fails (exit status 1) if
any case fails. Tolerances come from the statistics of the case (a few standard errors), never
from tuning; ``--quick`` runs every case at reduced size, as CI does.
"""
import ast
import dataclasses
import importlib.util
import json
import math
import pathlib
import sys
import time
import traceback

from .io import atomic_path

__all__ = ["Verdict", "discover", "numbers", "run_cases", "default_directory", "script"]


@dataclasses.dataclass
class Verdict:
    """The outcome of a validation case.

    Attributes
    ----------
    name : str
        Case name (its module name).
    figure_of_merit : str
        What is measured, in words (e.g. "max over times of TV distance / noise floor").
    value : float
        Its measured value.
    tolerance : float
        The bound derived from the statistics.
    passed : bool
    details : dict
        Further numbers (JSON-serialisable) worth keeping.
    """

    name: str
    figure_of_merit: str
    value: float
    tolerance: float
    passed: bool
    details: dict = dataclasses.field(default_factory=dict)

    def to_json(self):
        def clean(v):
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if hasattr(v, "tolist"):
                return clean(v.tolist())
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            return v
        return json.dumps(clean(dataclasses.asdict(self)), indent=2)


def default_directory():
    """``./validation`` if it exists, else the ``validation/`` beside the installed package."""
    here = pathlib.Path("validation")
    if here.is_dir():
        return here
    return pathlib.Path(__file__).resolve().parent.parent / "validation"


def discover(directory):
    """{name: path} of the case modules in ``directory`` (files not starting with '_')."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise ValueError(f"validation directory {str(directory)!r} does not exist")
    return {p.stem: p for p in sorted(directory.glob("*.py")) if not p.name.startswith("_")}


def numbers(cases):
    """{number: name} of the cases {name: path} (as :func:`discover` gives them): each module's
    top-level ``NUMBER = <int>``, read from its source without running it. Raises ValueError if
    two cases carry the same number."""
    out = {}
    for name, path in cases.items():
        tree = ast.parse(pathlib.Path(path).read_text(), filename=str(path))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and getattr(node.targets[0], "id", None) == "NUMBER"
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, int)):
                number = node.value.value
                if number in out:
                    raise ValueError(f"validation cases {out[number]!r} and {name!r} both have "
                                     f"NUMBER = {number}; each number names one case")
                out[number] = name
    return out


def _load(name, path):
    spec = importlib.util.spec_from_file_location(f"pmc_validation_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "run"):
        raise ValueError(f"validation case {str(path)!r} has no run(quick, outdir)")
    return module


def helper(case_file, name):
    """The shared helper module ``name`` (a file ``<name>.py`` beside the case file
    ``case_file``, e.g. ``_wigner_cases``), loaded by path as the runner loads the cases."""
    path = pathlib.Path(case_file).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"pmc_validation_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cases(names=None, quick=False, directory=None, outdir="validation_results",
              stream=sys.stdout):
    """Run the named cases (all if None); a name may be a case's NUMBER ("5"). Returns the
    list of verdicts."""
    cases = discover(directory or default_directory())
    if names:
        by_number = numbers(cases) if any(str(n).isdigit() for n in names) else {}
        names = [by_number.get(int(n), n) if str(n).isdigit() else n for n in names]
        unknown = [n for n in names if n not in cases]
        if unknown:
            raise ValueError(f"unknown validation cases {unknown}; valid: {sorted(cases)} or "
                             "their numbers")
        cases = {n: cases[n] for n in names}
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    verdicts = []
    for name, path in cases.items():
        started = time.perf_counter()
        try:
            verdict = _load(name, path).run(quick=quick, outdir=outdir)
        except Exception as exc:  # a crashing case is a failing case, with its traceback kept
            verdict = Verdict(name, "case raised an exception", float("nan"), float("nan"),
                              False, {"error": repr(exc), "traceback": traceback.format_exc()})
        verdict.details.setdefault("seconds", round(time.perf_counter() - started, 2))
        verdict.details.setdefault("quick", quick)
        with atomic_path(outdir / f"{name}.json") as tmp:
            pathlib.Path(tmp).write_text(verdict.to_json())
        verdicts.append(verdict)
        mark = "PASS" if verdict.passed else "FAIL"
        print(f"{mark}  {name:<28s} {verdict.figure_of_merit}: {verdict.value:.4g} "
              f"(tolerance {verdict.tolerance:.4g}, {verdict.details['seconds']:.1f} s)",
              file=stream)
    return verdicts


def script(run, argv=None):
    """Entry point of a case module run as a script: ``python validation/<name>.py [--quick]
    [--out DIR]``; prints the verdict as JSON and exits 0 if it passed, 1 if not."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="reduced size, as in CI")
    parser.add_argument("--out", default=".", help="where the .nc and .png go")
    args = parser.parse_args(argv)
    outdir = pathlib.Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    verdict = run(quick=args.quick, outdir=outdir)
    print(verdict.to_json())
    sys.exit(0 if verdict.passed else 1)
