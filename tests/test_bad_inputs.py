"""A corpus of bad inputs (issue 14): case files and the Python API.

Each entry is one bad input, the error type it must raise and words its message must hold (the
section and key, or the parameter, and the allowed range where there is one). Every entry runs in
an empty directory (the case file and any file the entry prepares are its only contents), and
after the error that directory must hold exactly what it held before, byte for byte: no output
file left behind, none overwritten.

Run as a script (``python tests/test_bad_inputs.py``) it sorts the corpus into clear errors (the
expected type, naming the parameter), tracebacks (another exception, or a message that does not
name the parameter) and silently accepted inputs, the counts issue 14 asks for.
"""
import functools
import os
import pathlib
import re
import sys
import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest

import pmc
from pmc import config
from pmc.config import CaseError

try:
    from pmc.compare import CoverageWarning
except ImportError:  # the corpus also runs against older pmc, to count what it missed
    CoverageWarning = UserWarning

BASE = textwrap.dedent("""
    [run]
    dt = 0.05
    t_end = 0.2
    save_every = 0.1
    seed = 2

    [dispersion]
    model = "Parabolic"
    mass = 1.0

    [potential]
    model = "GaussianBarrier"
    height = 1.0
    width = 2.0

    [distribution]
    model = "GaussianWavepacket"
    n = 200
    x0 = -5.0
    p0 = 1.0
    sigma_x = 1.0

    [boundary]
    model = "Absorbing"
    lo = -10.0
    hi = 10.0

    [grid]
    x = { start = -9.5, stop = 9.5, num = 20 }
    p = { start = -3.0, stop = 5.0, num = 9 }
    observables = ["f", "density"]

    [output]
    path = "out.nc"
    checkpoint_every = 1
""")

QUANTUM = textwrap.dedent("""
    [run]
    method = "quantum"
    dt = 0.01
    t_end = 0.1
    save_every = 0.05

    [dispersion]
    model = "Parabolic"
    mass = 1.0

    [distribution]
    model = "GaussianWavepacket"
    x0 = 0.0
    p0 = 1.0
    sigma_x = 1.0

    [quantum]
    x = { start = -40.0, stop = 40.0, num = 256 }
    planner = "estimate"

    [output]
    path = "out.nc"
""")

SI = textwrap.dedent("""
    [run]
    dt = "1 fs"
    t_end = "2 fs"
    save_every = "1 fs"

    [hamiltonian]
    units = "si"

    [dispersion]
    model = "Parabolic"
    mass = 9.1093837015e-31

    [distribution]
    model = "Maxwellian"
    n = 100
    temperature = "300 K"
    mass = 9.1093837015e-31
    x = [0.0, 1e-6]

    [boundary]
    model = "Periodic"
    lo = 0.0
    hi = 1e-6

    [output]
    path = "out.nc"
""")


@dataclass
class Entry:
    """One bad input: a case file (``edits`` of ``base``) or a Python call (``call(dir)``)."""

    id: str
    error: type
    words: tuple
    edits: tuple = ()
    base: str = BASE
    call: object = None
    prepare: dict = field(default_factory=dict)  # file name -> bytes, written before
    nested: bool = False  # the case file two directories below the entry's directory


def case(id, edits, words, error=CaseError, base=BASE, prepare=None, nested=False):
    if isinstance(edits[0], str):
        edits = (edits,)
    return Entry(id, error, tuple(words), edits=tuple(edits), base=base,
                 prepare=prepare or {}, nested=nested)


def api(id, call, words, error=ValueError, prepare=None):
    return Entry(id, error, tuple(words), call=call, prepare=prepare or {})


def _edit(text, edits):
    for old, new in edits:
        if old not in text:
            raise AssertionError(f"corpus edit {old!r} does not apply")
        text = text.replace(old, new, 1)
    return text


# ----------------------------------------------------------------------------- Python API helpers
def _H(mass=1.0, **kw):
    return pmc.Hamiltonian(pmc.bands.Parabolic(mass=mass), **kw)


def _markers(x, p=None, dx=1):
    x = np.asarray(x, dtype=float)
    return pmc.Markers(x=x, p=np.zeros_like(x) if p is None else p)


def _sim(markers=None, **kw):
    opts = dict(dt=0.1)
    opts.update(kw)
    return pmc.Simulation(_H(), _markers([0.0, 1.0]) if markers is None else markers, **opts)


def _run(sim, d, t_end=0.2, save_every=0.1):
    return sim.run(t_end, save_every, output=str(d / "out.nc"), progress=False)


def _walls(kind, lo=-40.0, hi=40.0):
    return getattr(pmc, kind)(lo, hi)


@functools.lru_cache(maxsize=None)
def _compare_data(x_half, p_lo, p_hi, n=4000):
    """(marker runs, envelope) of a free packet at x0 = 0, p0 = 1, sigma_x = 1 on a grid of
    x in [-x_half, x_half], p in [p_lo, p_hi] (quantum box [-40, 40))."""
    H = _H()
    psi0 = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-x_half, x_half, 41),
                              p=np.linspace(p_lo, p_hi, 41))
    runs = [pmc.Simulation(H, pmc.sample(psi0, n, seed=s), dt=0.05, grid=grid,
                           observables=["f"]).run(0.5, 0.5, progress=False) for s in (1, 2)]
    # planner "estimate": FFTW_MEASURE would leave wisdom in the process that later plans of
    # the same size (even "estimate" ones) use, and tests compare those bitwise across processes
    q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-40, 40, 512, endpoint=False),
                             t_end=0.5, save_every=0.5, dt=0.01, planner="estimate")
    rho = pmc.quantum.envelope(q, grid, pmc.quantum.GaussianWindow(0.5), warn=False)
    return runs, rho


def _compare(x_half, p_lo, p_hi):
    runs, rho = _compare_data(x_half, p_lo, p_hi)
    return pmc.compare(runs, rho, coverage="error")


def _packet(**kw):
    return pmc.states.GaussianWavepacket(**{"x0": 0.0, "p0": 1.0, "sigma_x": 1.0, **kw})


def _quantum(p0, num=256, sigma_x=1.0):
    return pmc.quantum.Simulation(_H(), _packet(p0=p0, sigma_x=sigma_x),
                                  grid=np.linspace(-40, 40, num, endpoint=False), dt=0.01,
                                  planner="estimate")


def _stream(markers, boundary):
    return pmc.streaming.stream(markers, _H(), 0.1, 1, boundary=boundary)


def _gridded_nan():
    values = np.zeros(11)
    values[4] = np.nan
    return pmc.potentials.Gridded(x=np.linspace(0, 1, 11), values=values)


# ----------------------------------------------------------------------------- the corpus
CORPUS = [
    # --- [run]: types, ranges, multiples
    case("dt-string", ("dt = 0.05", 'dt = "0.05"'), [r"\[run\]", "dt", "number"]),
    case("dt-bool", ("dt = 0.05", "dt = true"), [r"\[run\]", "dt", "number"]),
    case("dt-negative", ("dt = 0.05", "dt = -0.05"), ["dt", "> 0"]),
    case("dt-zero", ("dt = 0.05", "dt = 0.0"), ["dt", "> 0"]),
    case("dt-nan", ("dt = 0.05", "dt = nan"), ["dt", "finite"]),
    case("dt-inf", ("dt = 0.05", "dt = inf"), ["dt", "finite"]),
    case("dt-list", ("dt = 0.05", "dt = [0.05]"), [r"\[run\]", "dt", "number"]),
    case("t_end-string", ("t_end = 0.2", 't_end = "0.2"'), [r"\[run\]", "t_end", "number"]),
    case("t_end-not-a-multiple", ("t_end = 0.2", "t_end = 0.23"), ["t_end", "whole number"],
         error=ValueError),
    case("save_every-not-a-multiple-of-dt", ("save_every = 0.1", "save_every = 0.12"),
         ["save_every", "whole number"], error=ValueError),
    case("save_every-negative", ("save_every = 0.1", "save_every = -0.1"),
         ["save_every", "> 0"], error=ValueError),
    case("save_every-bool", ("save_every = 0.1", "save_every = false"),
         [r"\[run\]", "save_every", "number"]),
    case("t0-string", ("seed = 2", 'seed = 2\nt0 = "0"'), [r"\[run\]", "t0", "number"]),
    case("seed-string", ("seed = 2", 'seed = "2"'), [r"\[run\]", "seed", "integer"]),
    case("seed-float", ("seed = 2", "seed = 2.5"), [r"\[run\]", "seed", "integer"]),
    case("seed-bool", ("seed = 2", "seed = true"), [r"\[run\]", "seed", "integer"]),
    case("seed-negative", ("seed = 2", "seed = -2"), [r"\[run\]", "seed", ">= 0|non-negative"]),
    case("scheme-unknown", ("seed = 2", 'seed = 2\nscheme = "euler"'),
         ["scheme", "leapfrog"]),
    case("scheme-number", ("seed = 2", "seed = 2\nscheme = 4"), [r"\[run\]", "scheme", "string"]),
    case("method-number", ("seed = 2", "seed = 2\nmethod = 1"), [r"\[run\]", "method", "string"]),
    case("run-unknown-key", ("seed = 2", "seed = 2\nsteps = 10"), ["steps", r"\[run\]"]),
    case("unknown-section", ("[run]", "[runs]\ndt = 1\n\n[run]"), ["runs", "valid sections"]),
    case("run-missing-dt", ("dt = 0.05", ""), [r"\[run\]", "dt"]),
    # --- [output]
    case("overwrite-string", ("checkpoint_every = 1", 'checkpoint_every = 1\noverwrite = "false"'),
         [r"\[output\]", "overwrite", "true or false"], prepare={"out.nc": b"precious"}),
    case("overwrite-int", ("checkpoint_every = 1", "checkpoint_every = 1\noverwrite = 0"),
         [r"\[output\]", "overwrite", "true or false"], prepare={"out.nc": b"precious"}),
    case("checkpoint_every-string", ("checkpoint_every = 1", 'checkpoint_every = "1"'),
         [r"\[output\]", "checkpoint_every", "integer"]),
    case("checkpoint_every-zero", ("checkpoint_every = 1", "checkpoint_every = 0"),
         ["checkpoint_every", ">= 1"]),
    case("checkpoint_every-bool", ("checkpoint_every = 1", "checkpoint_every = true"),
         [r"\[output\]", "checkpoint_every", "integer"]),
    case("output-path-escapes", ('path = "out.nc"', 'path = "../../x.nc"'),
         [r"\[output\]", "path", "outside", "-o"], nested=True),
    case("output-path-absolute", ('path = "out.nc"', 'path = "/tmp/pmc-corpus-outside.nc"'),
         [r"\[output\]", "path", "outside", "-o"]),
    case("output-path-number", ('path = "out.nc"', "path = 5"),
         [r"\[output\]", "path", "string"]),
    case("output-unknown-key", ("checkpoint_every = 1", "checkpoint_every = 1\ncompress = true"),
         ["compress", r"\[output\]"]),
    # --- [grid]
    case("observables-string", ('observables = ["f", "density"]', 'observables = "density"'),
         [r"\[grid\]", "observables", "list"]),
    case("observables-unknown", ('observables = ["f", "density"]', 'observables = ["densty"]'),
         ["densty", "valid"]),
    case("observables-numbers", ('observables = ["f", "density"]', "observables = [1, 2]"),
         [r"\[grid\]", "observables", "string"]),
    case("grid-num-string", ("num = 20", 'num = "20"'), [r"grid", "num", "integer"]),
    case("grid-num-fraction", ("num = 20", "num = 20.5"), [r"grid", "num", "integer"]),
    case("grid-start-string", ("start = -9.5", 'start = "left"'), ["grid", "start", "number"]),
    case("grid-axis-nan", ("p = { start = -3.0, stop = 5.0, num = 9 }", "p = [0.0, nan, 1.0]"),
         ["p", "finite"]),
    # --- models: declared types of their fields
    case("mass-string", ("mass = 1.0", 'mass = "1.0"'), [r"\[dispersion\]", "mass", "number"]),
    case("mass-bool", ("mass = 1.0", "mass = true"), [r"\[dispersion\]", "mass", "number"]),
    case("mass-negative", ("mass = 1.0", "mass = -1.0"), ["mass", "> 0"]),
    case("height-list-of-strings", ("height = 1.0", 'height = ["1"]'),
         [r"\[potential\]", "height", "number"]),
    case("n-string", ("n = 200", 'n = "200"'), [r"\[distribution\]", "n", "integer"]),
    case("n-fraction", ("n = 200", "n = 200.5"), ["n", "integer"]),
    case("n-zero", ("n = 200", "n = 0"), ["n", ">= 1"]),
    case("x0-bool", ("x0 = -5.0", "x0 = false"), [r"\[distribution\]", "x0", "number"]),
    case("boundary-lo-string", ("lo = -10.0", 'lo = "-10"'), [r"\[boundary\]", "lo", "number"]),
    case("boundary-hi-below-lo", ("hi = 10.0", "hi = -20.0"), ["hi", "lo"]),
    case("gridded-potential-nan", (
        ('model = "GaussianBarrier"\nheight = 1.0\nwidth = 2.0',
         'model = "Gridded"\nx = [-1.0, 0.0, 1.0]\nvalues = [0.0, nan, 0.0]'),),
        [r"\[potential\]", "values", "finite"]),
    case("ends-number", (
        ('model = "GaussianBarrier"\nheight = 1.0\nwidth = 2.0',
         'model = "Gridded"\nx = [-1.0, 0.0, 1.0]\nvalues = [0.0, 1.0, 0.0]\nends = 2'),),
        [r"\[potential\]", "ends", "string"]),
    case("state-string", ("n = 200", 'n = 200\nstate = "1"'), [r"\[distribution\]", "state"]),
    case("golden-rule-negative-width", (
        "[output]", textwrap.dedent("""
        [[collisions]]
        model = "GoldenRule"
        energies = [0.0, 0.1]
        coupling = 0.2
        width = -1.0

        [output]""")), [r"\[collisions\]", "width", "> 0"]),
    # --- markers outside the walls at the start
    case("markers-outside-absorbing", ("x0 = -5.0", "x0 = -50.0"),
         [r"\[distribution\]", "outside", "axis x", "200 markers", r"x = -5\d", "remove"]),
    case("markers-outside-reflecting", (("x0 = -5.0", "x0 = 1000.0"),
                                        ('model = "Absorbing"', 'model = "Reflecting"')),
         [r"\[distribution\]", "outside", "axis x", "200 markers", r"x = 10\d\d", "remove"]),
    # --- units
    case("unit-in-natural-case", ("x0 = -5.0", 'x0 = "-5 nm"'), [r"\[distribution\]", "x0",
                                                                 "natural units"]),
    case("units-unknown", ("[dispersion]", '[hamiltonian]\nunits = "cgs"\n\n[dispersion]'),
         [r"\[hamiltonian\]", "units", "si"]),
    case("si-mass-with-natural-hbar", ("mass = 1.0", "mass = 9.1093837015e-31"),
         ["mass", "hbar", "units"]),
    case("natural-mass-with-si-hbar", ("[dispersion]",
                                       "[hamiltonian]\nhbar = 1.054571817e-34\n\n[dispersion]"),
         ["mass", "hbar", "units"]),
    case("si-dt-wrong-dimension", ('dt = "1 fs"', 'dt = "1 eV"'), [r"\[run\]", "dt", "time"],
         base=SI),
    case("si-hbar-not-si", ('units = "si"', 'units = "si"\nhbar = 1.0'),
         [r"\[hamiltonian\]", "hbar"], base=SI),
    case("si-dt-plain-string", ('dt = "1 fs"', 'dt = "1e-15"'), [r"\[run\]", "dt", "number"],
         base=SI),
    case("si-temperature-wrong-dimension", ('temperature = "300 K"', 'temperature = "300 m"'),
         ["temperature", "energy"], base=SI),
    case("hbar-string", ("[dispersion]", '[hamiltonian]\nhbar = "1"\n\n[dispersion]'),
         [r"\[hamiltonian\]", "hbar", "number"]),
    case("hbar-negative", ("[dispersion]", "[hamiltonian]\nhbar = -1.0\n\n[dispersion]"),
         ["hbar", "> 0"]),
    # --- the quantum method
    case("quantum-grid-too-coarse", ("p0 = 1.0", "p0 = 30.0"),
         ["grid spacing", "dx", "p0", "needs"], base=QUANTUM),
    case("quantum-threads-string", ('x = { start = -40.0, stop = 40.0, num = 256 }',
                                    'x = { start = -40.0, stop = 40.0, num = 256 }\n'
                                    'threads = "2"'),
         [r"\[quantum\]", "threads", "integer"], base=QUANTUM),
    case("quantum-planner-number", ('planner = "estimate"', 'planner = 1'),
         [r"\[quantum\]", "planner", "string"], base=QUANTUM),

    # --- Python API
    api("api-dt-string", lambda d: _sim(dt="0.1"), ["dt", "number"]),
    api("api-dt-bool", lambda d: _sim(dt=True), ["dt", "number"]),
    api("api-dt-nan", lambda d: _sim(dt=float("nan")), ["dt", "finite"]),
    api("api-dt-negative", lambda d: _sim(dt=-1.0), ["dt", "> 0"]),
    api("api-t_end-not-a-multiple", lambda d: _run(_sim(), d, t_end=0.25),
        ["t_end", "whole number"]),
    api("api-save_every-string", lambda d: _run(_sim(), d, save_every="0.1"),
        ["save_every", "number"]),
    api("api-observables-string", lambda d: _sim(grid=pmc.PhaseSpaceGrid(
        x=np.linspace(-1, 1, 5), p=np.linspace(-1, 1, 5)), observables="density"),
        ["observables", "list"]),
    api("api-markers-nan", lambda d: _markers([0.0, np.nan]), ["x", "finite"]),
    api("api-markers-negative-weight", lambda d: pmc.Markers(x=[0.0], p=[0.0], w=[-1.0]),
        ["w", "> 0"]),
    api("api-markers-shape", lambda d: pmc.Markers(x=np.zeros(3), p=np.zeros(4)), ["x", "p"]),
    api("api-outside-absorbing", lambda d: _run(_sim(_markers([0.0, 1000.0, -50.0]),
                                                     boundary=_walls("Absorbing")), d),
        ["outside", "axis x", "2 markers", "1000"]),
    api("api-outside-reflecting", lambda d: _run(_sim(_markers([0.0, 1000.0]),
                                                      boundary=_walls("Reflecting")), d),
        ["outside", "axis x", "1 marker", "1000"]),
    api("api-outside-periodic", lambda d: _run(_sim(_markers([0.0, 41.0]),
                                                    boundary=_walls("Periodic")), d),
        ["outside", "axis x", "41"]),
    api("api-outside-y", lambda d: _run(_sim(pmc.Markers(
        x=np.array([[0.0, 0.0], [0.0, -7.0]]), p=np.zeros((2, 2))),
        boundary=pmc.Reflecting((-5.0, -5.0), (5.0, 5.0))), d), ["outside", "axis y", "-7"]),
    api("api-outside-stream", lambda d: _stream(_markers([0.0, 99.0]), _walls("Absorbing")),
        ["outside", "axis x", "99"]),
    api("api-outside-option", lambda d: _sim(_markers([0.0]), boundary=_walls("Absorbing"),
                                             outside="drop"), ["outside", "remove"]),
    api("api-si-mass-natural-hbar", lambda d: _H(mass=pmc.units.m_e),
        ["mass", "hbar", 'units="si"']),
    api("api-si-atom-mass-natural-hbar", lambda d: _H(mass=1e-26),
        ["mass", "hbar", 'units="si"']),
    api("api-natural-mass-si-hbar", lambda d: _H(mass=1.0, hbar=pmc.units.hbar),
        ["mass", "hbar", 'units="natural"']),
    api("api-units-unknown", lambda d: _H(units="cgs"), ["units", "si", "natural"]),
    api("api-si-wrong-hbar", lambda d: _H(mass=pmc.units.m_e, units="si", hbar=1.0),
        ["hbar", "si"]),
    api("api-hbar-string", lambda d: _H(hbar="1"), ["hbar", "number"]),
    api("api-fermi-gas-si-mass-natural-hbar", lambda d: pmc.states.FermiDirac(
        temperature=4e-21, chemical_potential=1.6e-20, mass=pmc.units.m_e),
        ["FermiDirac.mass", "hbar", 'units="si"|hbar=pmc.units.hbar']),
    api("api-packet-si-mass-natural-hbar", lambda d: _packet(mass=pmc.units.m_e),
        ["GaussianWavepacket.mass", "hbar"]),
    api("api-quantum-p0-beyond-nyquist", lambda d: _quantum(p0=30.0),
        ["grid spacing", "dx", "p0", "needs"]),
    api("api-quantum-sigma-beyond-nyquist", lambda d: _quantum(p0=0.0, sigma_x=0.02),
        ["grid spacing", "dx", "sigma_p", "needs"]),
    api("api-compare-grid-narrower-than-box", lambda d: _compare(2.0, -3.0, 5.0),
        ["x range", "weight", "noise"]),
    api("api-compare-momentum-clipped", lambda d: _compare(6.0, 0.0, 2.0),
        ["momentum", "clip", "noise"]),
    api("api-gridded-potential-nan", lambda d: _gridded_nan(), ["values", "finite"]),
    api("api-rate-matrix-negative", lambda d: pmc.collisions.RateMatrix([[-1.0, 1.0],
                                                                         [-2.0, 2.0]]),
        ["matrix", ">= 0"]),
    api("api-sample-n-fraction", lambda d: pmc.sample(_packet(), 10.5), ["n", "integer"]),
    api("api-packet-sigma-zero", lambda d: _packet(sigma_x=0.0), ["sigma_x", "> 0"]),
    api("api-scheme-unknown", lambda d: _sim(scheme="rk4"), ["scheme", "leapfrog"]),
    api("api-boundary-axes", lambda d: _sim(pmc.Markers(x=np.zeros((2, 2)), p=np.zeros((2, 2))),
                                            boundary=(pmc.Periodic(-1.0, 1.0),)),
        ["boundary", "axis"]),
]


# ----------------------------------------------------------------------------- running an entry
def _snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _attempt(entry, root):
    """Run ``entry`` in the empty directory ``root``; returns the exception raised or None."""
    for name, data in entry.prepare.items():
        (root / name).write_bytes(data)
    here = root / "a" / "b" if entry.nested else root
    here.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(here)
    try:
        if entry.call is not None:
            entry.call(here)
        else:
            path = here / "case.toml"
            path.write_text(_edit(entry.base, entry.edits))
            sim, opts = config.build(config.load_case(path))
            sim.run(opts["t_end"], opts["save_every"], output=opts["output"] or "out.nc",
                    overwrite=opts["overwrite"], checkpoint_every=opts["checkpoint_every"],
                    progress=False)
    except Exception as exc:  # noqa: BLE001 - the corpus sorts every outcome
        return exc
    finally:
        os.chdir(cwd)
    return None


def _names(exc, entry):
    text = str(exc)
    return all(re.search(w, text, flags=re.IGNORECASE) for w in entry.words)


def _ids(entries):
    return [e.id for e in entries]


@pytest.mark.parametrize("entry", CORPUS, ids=_ids(CORPUS))
def test_bad_input_is_a_clear_error(entry, tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    for name, data in entry.prepare.items():
        (root / name).write_bytes(data)
    before = _snapshot(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exc = _attempt(Entry(**{**entry.__dict__, "prepare": {}}), root)
    assert exc is not None, f"{entry.id}: accepted silently"
    assert isinstance(exc, entry.error), f"{entry.id}: {type(exc).__name__}: {exc}"
    assert _names(exc, entry), f"{entry.id}: the message does not name {entry.words}: {exc}"
    after = {k: v for k, v in _snapshot(root).items() if not k.endswith("case.toml")}
    assert after == before, f"{entry.id}: files left behind or changed: {sorted(after)}"
    assert not pathlib.Path("/tmp/pmc-corpus-outside.nc").exists()


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 45
    assert len({e.id for e in CORPUS}) == len(CORPUS)


# ----------------------------------------------------------------------------- the good side
def test_markers_outside_can_be_removed_and_are_reported():
    """outside="remove" drops the markers outside the walls from the run's copy and warns with
    their count and weight; the caller's markers are untouched."""
    mk = pmc.Markers(x=[0.0, 1000.0, -50.0, 1.0], p=np.zeros(4), w=[1.0, 2.0, 3.0, 4.0])
    with pytest.warns(pmc.boundaries.OutsideWallsWarning,
                      match=r"removed 2 markers .* weight 5 \(0\.5 of the total 10\)"):
        sim = _sim(mk, boundary=_walls("Absorbing"), outside="remove")
    assert sim.markers.n == 2 and sorted(sim.markers.x) == [0.0, 1.0] and mk.n == 4
    ds = sim.run(0.2, 0.1, progress=False)
    assert float(ds.absorbed.sum()) == 0.0  # nothing counted as absorbed


def test_a_case_may_remove_markers_outside(tmp_path):
    path = tmp_path / "case.toml"
    path.write_text(_edit(BASE, (("x0 = -5.0", "x0 = -9.0"), ("seed = 2", "seed = 2\n"
                                                                          'outside = "remove"'))))
    with pytest.warns(pmc.boundaries.OutsideWallsWarning, match="removed"):
        sim, _ = config.build(config.load_case(path))
    assert 0 < sim.markers.n < 200
    assert np.all(np.abs(sim.markers.x) <= 10.0)


def test_compare_can_warn_with_the_size_of_the_bias():
    runs, rho = _compare_data(2.0, -3.0, 5.0)
    with pytest.warns(CoverageWarning, match=r"weight 0\.\d+ outside the grid's x range"):
        c = pmc.compare(runs, rho)  # the default: a warning with the size of the bias
    assert c.sizes["time"] == 2  # t = 0 and 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pmc.compare(runs, rho, coverage="ignore")
    covered_runs, covered = _compare_data(8.0, -3.0, 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        pmc.compare(covered_runs, covered)  # a grid that covers the box: no complaint


def test_hamiltonian_states_its_unit_system():
    u = pmc.units
    si = pmc.Hamiltonian(pmc.bands.Parabolic(mass=u.m_e), units="si")
    assert si.hbar == u.hbar and si.units == "si"
    natural = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), units="natural")
    assert natural.hbar == 1.0 and natural.units == "natural"
    # inferred from hbar; a small natural hbar stays natural
    assert _H(hbar=0.1).units == "natural"
    assert _H(mass=u.m_e, hbar=u.hbar).units == "si"
    # a stated system is trusted: an SI Hamiltonian may have any mass
    assert _H(mass=1.0, units="si").units == "si"
    assert pmc.units.K == pmc.units.k_B  # 300 K is a thermal energy in J


def test_output_units_follow_the_stated_system():
    from pmc import schema

    assert schema.SI_HBAR_BELOW == pmc.units.SI_HBAR_BELOW
    assert schema.unit_system(_H(hbar=0.1)) == "natural"  # was "si" by the old guess
    assert schema.unit_system(_H(mass=pmc.units.m_e, units="si")) == "si"
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-1, 1, 5), p=np.linspace(-1, 1, 5))
    ds = pmc.Simulation(_H(hbar=0.1), _markers([0.0, 0.5]), dt=0.1, grid=grid).run(
        0.1, 0.1, progress=False)
    assert ds.x.attrs["units"] == "1" and ds.time.attrs["units"] == "1"


def test_positions_and_momenta_are_n_by_d():
    rng = np.random.default_rng(1)
    x, p = rng.random((5, 2)), rng.random((5, 3))
    mk = pmc.Markers(x=x, p=p)
    assert mk.positions.shape == (5, 2) and mk.momenta.shape == (5, 3)
    np.testing.assert_array_equal(mk.positions, x)
    np.testing.assert_array_equal(mk.momenta, mk.p)
    assert _H().velocity(mk.p).shape == mk.momenta.shape  # H.velocity is (n, d) too
    one = pmc.Markers(x=np.zeros(3), p=np.ones(3))
    assert one.positions.shape == (3, 1) and one.x.shape == (3,)  # .x stays (n,) in 1D
    mk.momenta[0, 2] = 7.0  # a view of the storage
    assert mk.kernel_arrays().p[2, 0] == 7.0


def test_output_paths_under_the_case_or_the_working_directory(tmp_path, monkeypatch):
    sub = tmp_path / "cases"
    sub.mkdir()
    monkeypatch.chdir(tmp_path)
    for path, where in (("run/out.nc", sub / "run" / "out.nc"), ("../out.nc", tmp_path / "out.nc")):
        case = config.load_case(_write(sub / "case.toml", _edit(BASE, (('path = "out.nc"',
                                                                        f'path = "{path}"'),))))
        assert pathlib.Path(config.output_path(case)).resolve() == where.resolve()
    monkeypatch.chdir(sub)  # the working directory is the case's: ../out.nc is outside both
    with pytest.raises(CaseError, match=r"\[output\] path = '\.\./out\.nc' is outside"):
        config.output_path(config.load_case(sub / "case.toml"))


def _write(path, text):
    path.write_text(text)
    return path


def test_a_fine_enough_quantum_grid_is_accepted():
    _quantum(p0=5.0)  # |p0| + 4 sigma_p = 7 < pi / dx = 10.05
    with pytest.raises(ValueError, match=r"num >= \d+"):
        _quantum(p0=9.0)


def test_the_distribution_takes_the_hamiltonians_hbar(tmp_path):
    path = _write(tmp_path / "case.toml",
                  _edit(BASE, (("[dispersion]", "[hamiltonian]\nhbar = 0.5\n\n[dispersion]"),)))
    sim, _ = config.build(config.load_case(path))
    psi = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.0, sigma_x=1.0, hbar=0.5)
    np.testing.assert_array_equal(sim.markers.p, pmc.sample(psi, 200, seed=2).p)


def classify(entries=CORPUS):
    """{"clear": [...], "traceback": [...], "silent": [...]} over the corpus."""
    import tempfile

    out = {"clear": [], "traceback": [], "silent": []}
    for entry in entries:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exc = _attempt(entry, pathlib.Path(tmp))
        if exc is None:
            out["silent"].append((entry.id, ""))
        elif isinstance(exc, entry.error) and _names(exc, entry):
            out["clear"].append((entry.id, ""))
        else:
            out["traceback"].append((entry.id, f"{type(exc).__name__}: {exc}"[:160]))
    return out


if __name__ == "__main__":
    result = classify()
    for kind, items in result.items():
        print(f"{kind}: {len(items)}")
        if "-v" in sys.argv:
            for ident, why in items:
                print(f"    {ident}  {why}")
