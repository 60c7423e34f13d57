"""The ``pmc`` command: ``run``, ``sweep``, ``info``, ``plot``, ``validate`` and ``--version``.

Over the public API only; every error in a case file is reported in one line naming the section
and key, with exit status 2.
"""
import argparse
import sys

from . import io
from ._version import __version__
from .config import CaseError, build, load_case
from .ensemble import ensemble, load_factory, parts_directory, sweep

__all__ = ["main"]


def _run(args):
    if args.replicas is not None:
        return _run_ensemble(args)
    if args.scheduler is not None or args.workers is not None:
        raise CaseError("--scheduler and --workers run replicas: give --replicas R")
    if _is_factory(args.case):
        raise CaseError("a Python factory runs as replicas: give --replicas R (1 for one run)")
    case = load_case(args.case)
    sim, opts = build(case)
    output = args.output or opts["output"]
    if output is None:
        raise CaseError("no output file: give -o OUT.nc or [output] path in the case")
    ds = sim.run(opts["t_end"], opts["save_every"], output=output,
                 progress=not args.quiet, overwrite=args.overwrite or opts["overwrite"],
                 resume=args.resume, checkpoint_every=opts["checkpoint_every"])
    if not args.quiet:
        print(f"wrote {output}: {ds.sizes['time']} frames to t = {float(ds.time[-1]):g}, "
              f"{int(ds.n_markers[-1])} markers")
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
    """The merged output of a case's [output] path (relative to the case file), or None."""
    import pathlib

    path = case.get("output", {}).get("path") if isinstance(case.get("output"), dict) else None
    return None if path is None else str(pathlib.Path(case.get("__dir__", ".")) / path)


def _run_ensemble(args):
    if args.resume:
        raise CaseError("--resume is for a single run; rerunning with --replicas keeps the "
                        "finished replicas by itself")
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
        print(f"    {name}({', '.join(var.dims)}) [{var.attrs.get('units', '?')}]: "
              f"{var.attrs.get('long_name', '')}")
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
    import matplotlib.pyplot as plt

    ds = io.open_dataset(args.file)
    times = args.times
    if times is None:
        t = ds["time"].values
        times = [t[0], t[len(t) // 2], t[-1]]
    has_f = "f" in ds
    ncol = len(times) if has_f else 0
    fig, axes = plt.subplots(2 if has_f else 1, max(ncol, 2), figsize=(4 * max(ncol, 2), 7),
                             squeeze=False)
    if has_f:
        f = ds["f"]
        for ax, t in zip(axes[0], times):
            snap = f.sel(time=t, method="nearest")
            spatial = [d for d in snap.dims if d in ("x", "y", "z")][1:]
            moment = [d for d in snap.dims if d in ("py", "pz")]
            snap = snap.sum(spatial + moment) if spatial or moment else snap
            snap.transpose("p", "x").plot(ax=ax, cmap="viridis", add_colorbar=True)
            ax.set_title(f"f(x, p), t = {float(snap.time):g}")
    row = axes[-1]
    for name in ("density",):
        if name in ds:
            for t in times:
                ds[name].sel(time=t, method="nearest").plot(ax=row[0], label=f"t = {t:g}")
            row[0].legend()
            row[0].set_title(ds[name].attrs.get("long_name", name))
    for name in ("total_weight", "energy"):
        if name in ds:
            ds[name].plot(ax=row[1], label=name, marker=".")
    row[1].legend()
    row[1].set_title("against time")
    for ax in row[2:]:
        ax.set_visible(False)
    fig.tight_layout()
    out = args.output or str(args.file).rsplit(".", 1)[0] + ".png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
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
    p = sub.add_parser("info", help="describe an output file")
    p.add_argument("file")
    p.set_defaults(func=_info)
    p = sub.add_parser("plot", help="plot f(x, p) and moments of an output file")
    p.add_argument("file")
    p.add_argument("-o", "--output", help="PNG file (default: next to the input)")
    p.add_argument("-t", "--times", type=float, nargs="+", help="times of the f(x, p) panels")
    p.set_defaults(func=_plot)
    p = sub.add_parser("validate", help="run the validation cases (DESIGN section 4)")
    p.add_argument("cases", nargs="*", help="case names (default: all)")
    p.add_argument("--quick", action="store_true", help="reduced sizes, as in CI")
    p.add_argument("--dir", help="directory of the cases (default: ./validation)")
    p.add_argument("--out", default="validation_results", help="where results go")
    p.set_defaults(func=_validate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CaseError, ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"pmc {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
