"""The ``pmc`` command: ``run``, ``sweep``, ``compare``, ``info``, ``plot``, ``validate`` and
``--version``.

Over the public API only; every error in a case file is reported in one line naming the section
and key, with exit status 2.
"""
import argparse
import contextlib
import datetime
import os
import sys

from . import io, quantum
from ._version import __version__
from .compare import compare
from .config import CaseError, build, load_case, output_path
from .ensemble import ensemble, load_factory, parts_directory, sweep
from .grids import PhaseSpaceGrid

__all__ = ["main"]


def _run(args):
    if args.replicas is not None:
        return _run_ensemble(args)
    if args.scheduler is not None or args.workers is not None:
        raise CaseError("--scheduler and --workers run replicas: give --replicas R")
    if _is_factory(args.case):
        raise CaseError("a Python factory runs as replicas: give --replicas R (1 for one run)")
    _case_path(args.case)
    checks = contextlib.nullcontext() if args.check_resources else io.without_resource_checks()
    with checks:
        case = load_case(args.case)
        sim, opts = build(case)
        output = args.output or opts["output"]
        if output is None:
            raise CaseError("no output file: give -o OUT.nc or [output] path in the case")
        ds = sim.run(opts["t_end"], opts["save_every"], output=output,
                     progress=not args.quiet, overwrite=args.overwrite or opts["overwrite"],
                     resume=args.resume, checkpoint_every=opts["checkpoint_every"])
    if not args.quiet:
        size = (f"{int(ds.n_markers[-1])} markers" if "n_markers" in ds
                else f"total weight {float(ds.total_weight[-1]):.6g}")
        print(f"wrote {output}: {ds.sizes['time']} frames to t = {float(ds.time[-1]):g}, {size}")
    return 0


def _case_path(text):
    """A case file given on the command line: a file, not a directory."""
    if os.path.isdir(text):
        raise CaseError(f"case file {text!r} is a directory; give a TOML file")


def _window(text):
    """``gaussian:SIGMA_X`` or ``box:WIDTH`` [m] -> a pmc.quantum window."""
    kind, sep, value = text.partition(":")
    windows = {"gaussian": quantum.GaussianWindow, "box": quantum.BoxWindow}
    if not sep or kind not in windows:
        raise ValueError(f"--window {text!r} must read gaussian:SIGMA_X or box:WIDTH")
    try:
        return windows[kind](float(value))
    except ValueError as exc:
        raise ValueError(f"--window {text!r}: {exc}") from None


def _compare(args):
    *marker_files, reference_file = args.files
    if not marker_files:
        raise ValueError("give one or more marker runs and then the reference: pmc compare "
                         "markers.nc [more.nc ...] reference.nc")
    runs = [io.open_dataset(f) for f in marker_files]
    reference = io.open_dataset(reference_file)
    window = None if args.window is None else _window(args.window)
    if "psi_real" in reference:  # a quantum run: its envelope on the markers' (x, p) grid
        if window is None:
            raise ValueError("a quantum run as the reference needs --window gaussian:SIGMA_X "
                             "or box:WIDTH for its envelope")
        if "f" not in runs[0]:
            raise ValueError(f"{marker_files[0]} has no f(x, p) to compare")
        grid = PhaseSpaceGrid(x=runs[0]["x"].values, p=runs[0]["p"].values)
        reference = quantum.envelope(reference, grid, window)
    if args.output is not None:
        io.check_writable(args.output, overwrite=args.overwrite)
    result = compare(runs, reference, window=window, divide=args.divide,
                     densities=args.densities, coverage=args.coverage)
    result.attrs.update({"pmc_version": __version__,
                         "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                         "marker_files": ", ".join(marker_files),
                         "reference_file": reference_file,
                         "reference_window": "" if window is None else repr(window)})
    if args.output is not None:
        with io.atomic_path(args.output) as tmp:  # complete or absent, as every pmc file
            result.to_netcdf(tmp)
    if not args.quiet:
        for k, t in enumerate(result["time"].values):
            print(f"t = {t:g}: distance {float(result.distance[k]):.4g} (noise floor "
                  f"{float(result.noise_floor[k]):.4g}), transmitted "
                  f"{float(result.transmitted_reference[k]):.4g} (reference) vs "
                  f"{float(result.transmitted_markers[k]):.4g} (markers)")
        if args.output is not None:
            print(f"wrote {args.output}")
    return 0


def _source(text):
    """A case (a TOML file) or a Python factory (``module:function``, ``file.py[:function]``)
    for ``pmc sweep`` and ``pmc run --replicas``."""
    return load_factory(text) if _is_factory(text) else load_case(text)


def _is_factory(text):
    return text.endswith(".py") or (":" in text and not text.endswith(".toml"))


def _ensemble_output(args, case):
    if callable(case):
        if args.output is None:
            raise CaseError("a factory has no [output] path: give -o OUT.nc")
        return args.output
    output = args.output or _build_output(case)
    if output is None:
        raise CaseError("no output file: give -o OUT.nc or [output] path in the case")
    return output


def _build_output(case):
    """The merged output of a case's [output] path (relative to the case file, and under it or
    the working directory: :func:`pmc.config.output_path`), or None."""
    return output_path(case)


def _run_ensemble(args):
    if args.resume:
        raise CaseError("--resume is for a single run; rerunning with --replicas keeps the "
                        "finished replicas by itself")
    _case_path(args.case)
    case = _source(args.case)
    output = _ensemble_output(args, case)
    ds = ensemble(case, replicas=args.replicas, client=args.scheduler, output=output,
                  overwrite=args.overwrite, progress=not args.quiet, workers=args.workers)
    if not args.quiet:
        print(f"wrote {output}: {args.replicas} replicas merged, {ds.sizes['time']} frames to "
              f"t = {float(ds.time[-1]):g}; parts in {parts_directory(output)}")
    return 0


def _parse_set(text):
    """``key=v1,v2,...`` -> (key, [values]); each value read as a TOML value (a number, true or
    false, a quoted string), else kept as a bare string."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise CaseError(f"--set {text!r} must read key=v1,v2,... (e.g. potential.height=0.5,1)")
    out = []
    for v in values.split(","):
        v = v.strip()
        try:
            out.append(tomllib.loads(f"v = {v}")["v"])
        except tomllib.TOMLDecodeError:
            out.append(v)
    return key.strip(), out


def _sweep(args):
    _case_path(args.case)
    case = _source(args.case)
    output = _ensemble_output(args, case)
    overrides = dict(_parse_set(s) for s in args.set)
    ds = sweep(case, overrides, replicas=args.replicas, client=args.scheduler, output=output,
               overwrite=args.overwrite, progress=not args.quiet, workers=args.workers)
    if not args.quiet:
        points = " x ".join(f"{k} ({len(v)})" for k, v in overrides.items())
        print(f"wrote {output}: {points}, {args.replicas} replica(s) per point, "
              f"{ds.sizes['time']} frames; parts in {parts_directory(output)}")
    return 0


def _info(args):
    from . import schema

    ds = io.open_dataset(args.file)
    print(f"{args.file}")
    print(f"  pmc {ds.attrs.get('pmc_version', '?')}, created {ds.attrs.get('created', '?')}, "
          f"seed {ds.attrs.get('seed', '?')}")
    if "time" in ds.sizes:
        t = ds["time"].values
        print(f"  {t.size} frames, t = {t[0]:g} .. {t[-1]:g} {ds['time'].attrs.get('units', '')}")
    print("  dimensions: " + ", ".join(f"{k}={v}" for k, v in ds.sizes.items()))
    print("  variables:")
    for name, var in ds.data_vars.items():
        # the declaration where the file lacks an attribute; undeclared names as written
        known = schema.declared(name)
        units = var.attrs.get("units") or (
            schema.units(name, var.dims, schema.system_of(ds)) if known else None) or "?"
        text = var.attrs.get("long_name") or (schema.declaration(name).long_name if known else "")
        rule = f" (ensemble: {schema.merge_rule(name)})" if known else ""
        print(f"    {name}({', '.join(var.dims)}) [{units}]: {text}{rule}")
    print("  case:")
    for line in ds.attrs.get("case", "(none)").splitlines():
        print("    " + line)
    return 0


def _plot(args):
    try:
        import matplotlib
    except ImportError:
        raise ValueError("pmc plot needs matplotlib: pip install 'pmc[plot]'") from None
    matplotlib.use("Agg")
    from .plot import plot

    out = plot(args.files, output=args.output, times=args.times)
    print(f"wrote {out}")
    return 0


def _validate(args):
    from .validate import run_cases

    verdicts = run_cases(args.cases or None, quick=args.quick, directory=args.dir,
                         outdir=args.out)
    failed = [v.name for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(failed)} of {len(verdicts)} validation cases passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _cluster_arguments(p, replicas_default):
    p.add_argument("--replicas", type=int, default=replicas_default, metavar="R",
                   help="independent replicas (seeds spawned from the case seed), merged; each "
                        "writes OUT.parts/replica-NNNN.nc and a rerun keeps finished ones")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing dask scheduler, e.g. tcp://10.0.0.1:8786 (default: a local "
                        "cluster on this machine's cores)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the local cluster (default: the cores)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pmc", description="particle Monte Carlo kinetics")
    parser.add_argument("--version", action="version", version=f"pmc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a case file")
    p.add_argument("case", help="TOML case file (with --replicas also a Python factory, as "
                                "for sweep)")
    p.add_argument("-o", "--output", help="netCDF output (default: [output] path)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--no-resource-check", dest="check_resources", action="store_false",
                   help="start even when the estimated memory or output size exceeds what the "
                        "machine has")
    _cluster_arguments(p, replicas_default=None)
    p.set_defaults(func=_run)
    p = sub.add_parser("sweep", help="run a case over the product of overridden keys")
    p.add_argument("case", help="TOML case file, or a Python factory(seed, **point) -> "
                                "(simulation, options): module:function or file.py[:function] "
                                "(default function: factory)")
    p.add_argument("--set", action="append", required=True, metavar="KEY=V1,V2,...",
                   help="a dotted case key and its values, e.g. potential.height=0.5,1,1.5 "
                        "(a list section by index: potential.0.height), or a keyword of the "
                        "factory; repeat for more keys")
    p.add_argument("-o", "--output", help="merged netCDF output (default: [output] path)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing output and parts written by another case")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    _cluster_arguments(p, replicas_default=1)
    p.set_defaults(func=_sweep)
    p = sub.add_parser("compare", help="compare marker runs with a quantum or grid reference",
                       description="Distance between marker runs and a reference on the markers' "
                                   "(x, p) grid (pmc.compare). The reference is a quantum run "
                                   "(pmc run with method = \"quantum\": its envelope is taken "
                                   "with --window), an envelope, or a run with f (a grid run).")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="marker runs (independent ensembles of one case, pooled), then the "
                        "reference")
    p.add_argument("--window", metavar="KIND:LENGTH",
                   help="envelope window: gaussian:SIGMA_X or box:WIDTH [m] (needed with a "
                        "quantum run; default for an envelope: the one it was taken with)")
    p.add_argument("--divide", type=float, default=0.0, metavar="X",
                   help="position [m] beyond which probability counts as transmitted (default 0)")
    p.add_argument("--densities", action="store_true",
                   help="also write the two densities compared (rho_markers, rho_reference)")
    p.add_argument("--coverage", choices=("warn", "error", "ignore"), default="warn",
                   help="when the marker grid misses reference weight or clips smoothed weight "
                        "beyond the noise: warn with the bias (default), refuse (error) or say "
                        "nothing")
    p.add_argument("-o", "--output", help="netCDF file of the comparison")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=_compare)
    p = sub.add_parser("info", help="describe an output file")
    p.add_argument("file")
    p.set_defaults(func=_info)
    p = sub.add_parser("plot", help="plot phase-space densities, moments and time series of "
                                    "output files, side by side on shared colour scales")
    p.add_argument("files", nargs="+", metavar="file",
                   help="output of any solver, an envelope or a comparison")
    p.add_argument("-o", "--output", help="PNG file (default: next to the first input)")
    p.add_argument("-t", "--times", type=float, nargs="+",
                   help="times of the phase-space and profile panels")
    p.set_defaults(func=_plot)
    p = sub.add_parser("validate", help="run the validation cases (docs/design.md §4)")
    p.add_argument("cases", nargs="*", help="case names or numbers (default: all)")
    p.add_argument("--quick", action="store_true", help="reduced sizes, as in CI")
    p.add_argument("--dir", help="directory of the cases (default: ./validation)")
    p.add_argument("--out", default="validation_results", help="where results go")
    p.set_defaults(func=_validate)
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is handled, not at interpreter exit
        return status
    except BrokenPipeError:
        # the reader went away (pmc info out.nc | head): stop quietly, as Unix tools do
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"pmc {args.command}: interrupted", file=sys.stderr)
        return 130
    except (CaseError, ValueError, FileExistsError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError, io.OutputLockedError, io.WriteError,
            io.ResourceError) as exc:
        text = " ".join(str(exc).split("\n"))
        print(f"pmc {args.command}: error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
