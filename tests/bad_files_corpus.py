"""The damaged-file, resume, locking and resource corpus of issue 14 as a measurement script:
each entry is run as a user would (the ``pmc`` command in a subprocess, or a few lines of
Python), and its outcome counted as a clear error, a traceback, silent acceptance, or a file
left corrupt. ``python tests/bad_files_corpus.py`` prints one line per entry and the counts;
tests/test_bad_files.py asserts the same entries one by one.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

# the case of tests/test_bad_files.py, copied rather than imported: this script also measures
# versions of pmc that the test module cannot import (the "before" counts)
CASE = """\
[run]
dt = 0.05
t_end = {t_end}
save_every = 0.5
seed = 1
[hamiltonian]
hbar = 1.0
[dispersion]
model = "Parabolic"
mass = 1.0
[potential]
model = "GaussianBarrier"
height = {height}
width = 2.0
[distribution]
model = "GaussianWavepacket"
n = {n}
x0 = {x0}
p0 = 1.5
sigma_x = 2.0
[boundary]
model = "Absorbing"
lo = -20.0
hi = 20.0
[grid]
x = {{ start = -20.0, stop = 20.0, num = 41 }}
p = {{ start = -4.0, stop = 4.0, num = 21 }}
observables = ["f", "density"]
[output]
checkpoint_every = 2
"""


def case(directory, name="case.toml", t_end=4.0, n=2000, x0=-10.0, height=1.0):
    path = pathlib.Path(directory) / name
    path.write_text(CASE.format(t_end=t_end, n=n, x0=x0, height=height))
    return path


def pmc(*args, **kw):
    return subprocess.run([sys.executable, "-m", "pmc", *map(str, args)], capture_output=True,
                          text=True, **kw)


def python(code, **kw):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, **kw)


def file_state(path):
    """"ok" (opens, every record complete), "absent", or "corrupt: why" -- read with netCDF4
    directly, not with pmc's checks."""
    import netCDF4
    import numpy as np

    path = pathlib.Path(path)
    if not path.exists():
        return "absent"
    try:
        with netCDF4.Dataset(path) as nc:
            nc.set_auto_mask(False)
            t = nc["time"][:]
            if t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
                return "corrupt: time"
            for name, v in nc.variables.items():
                if v.dimensions[:1] == ("time",) and name != "time":
                    fill = v.getncattr("_FillValue") if "_FillValue" in v.ncattrs() else \
                        netCDF4.default_fillvals.get(v.dtype.str[1:], None)
                    data = v[:]
                    if fill is not None and data.dtype.kind in "iu" and np.any(data == fill):
                        return f"corrupt: {name}"
                    if data.dtype.kind == "f" and np.any(np.abs(data) > 1e30):
                        return f"corrupt: {name}"
    except Exception as exc:  # noqa: BLE001
        return f"corrupt: {type(exc).__name__}"
    return "ok"


def outcome(r):
    """'clear', 'traceback' or 'silent' of a finished command."""
    err = r.stderr
    if r.returncode == 0:
        return "silent"
    if "Traceback" in err or r.returncode < 0 or "allow_pickle" in err:
        return "traceback"
    return "clear"


def api_outcome(r):
    """Of a snippet that prints ``EXC Type: message`` or ``OK``."""
    out = r.stdout.strip().splitlines()
    last = out[-1] if out else ""
    if r.returncode != 0 or not last:
        return "traceback"
    if last == "OK":
        return "silent"
    typ = last[4:].split(":")[0]
    bad = ("KeyError", "BadZipFile", "InvalidIndexError", "MemoryError", "RuntimeError",
           "OSError", "IndexError", "TypeError", "UnpicklingError", "EOFError",
           "BrokenPipeError", "AttributeError", "ZeroDivisionError")
    if typ in bad or "allow_pickle" in last:
        return "traceback"
    return "clear"


TRY = """
import sys
try:
{body}
except Exception as exc:
    print(f"EXC {{type(exc).__name__}}: {{str(exc).splitlines()[0] if str(exc) else ''}}")
else:
    print("OK")
"""


def snippet(body):
    return TRY.format(body=textwrap.indent(textwrap.dedent(body), "    "))


def truncate(path, fraction=0.5):
    data = pathlib.Path(path).read_bytes()
    pathlib.Path(path).write_bytes(data[:int(len(data) * fraction)])


def edit(path, fn):
    import netCDF4

    with netCDF4.Dataset(path, "a") as nc:
        nc.set_auto_mask(False)
        fn(nc)


def entries(d, base):
    """[(name, function(d) -> (outcome, file state))]; ``base``: a finished 9-frame run."""
    d = pathlib.Path(d)

    def fresh(name):
        out = d / name
        shutil.copy(base, out)
        shutil.copy(str(base) + ".checkpoint.npz", str(out) + ".checkpoint.npz")
        return out

    c = case(d)
    out = []

    def entry(fn):
        out.append((fn.__name__, fn))
        return fn

    @entry
    def info_truncated():
        f = fresh("t1.nc")
        truncate(f)
        return outcome(pmc("info", f)), "n/a"

    @entry
    def plot_truncated():
        f = fresh("t2.nc")
        truncate(f)
        return outcome(pmc("plot", f, "-o", d / "t2.png")), "n/a"

    @entry
    def open_dataset_truncated():
        f = fresh("t3.nc")
        truncate(f)
        return api_outcome(python(snippet(f"import pmc; pmc.open_dataset({str(f)!r})"))), "n/a"

    @entry
    def resume_onto_truncated():
        f = fresh("t4.nc")
        truncate(f, 0.6)
        before = f.read_bytes()
        r = pmc("run", case(d, "c4.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        # the damage is the input: left as it was, or made worse
        return outcome(r), "untouched" if f.read_bytes() == before else file_state(f)

    @entry
    def info_text_file():
        f = d / "text.nc"
        f.write_text("hello\n")
        return outcome(pmc("info", f)), "n/a"

    @entry
    def info_directory():
        return outcome(pmc("info", d)), "n/a"

    @entry
    def plot_text_file():
        f = d / "text2.nc"
        f.write_text("hello\n")
        return outcome(pmc("plot", f, "-o", d / "x.png")), "n/a"

    @entry
    def case_file_is_a_directory():
        return outcome(pmc("run", d, "-o", d / "dir_case.nc")), file_state(d / "dir_case.nc")

    @entry
    def output_is_a_directory():
        (d / "outdir").mkdir()
        return outcome(pmc("run", c, "-o", d / "outdir", "--quiet")), "n/a"

    @entry
    def output_is_a_directory_overwrite():
        (d / "outdir2").mkdir()
        return outcome(pmc("run", c, "-o", d / "outdir2", "--quiet", "--overwrite")), "n/a"

    @entry
    def checkpoint_truncated():
        f = fresh("ck1.nc")
        truncate(str(f) + ".checkpoint.npz")
        r = pmc("run", case(d, "c5.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def checkpoint_random_bytes():
        f = fresh("ck2.nc")
        pathlib.Path(str(f) + ".checkpoint.npz").write_bytes(os.urandom(4000))
        r = pmc("run", case(d, "c6.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def checkpoint_empty():
        f = fresh("ck3.nc")
        pathlib.Path(str(f) + ".checkpoint.npz").write_bytes(b"")
        r = pmc("run", case(d, "c7.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def checkpoint_ahead_of_file():
        long_ = d / "long.nc"
        pmc("run", case(d, "c8.toml", t_end=6.0), "-o", long_, "--quiet")
        f = fresh("ahead.nc")  # 9 frames; the checkpoint of a 13-frame run
        shutil.copy(str(long_) + ".checkpoint.npz", str(f) + ".checkpoint.npz")
        r = pmc("run", case(d, "c9.toml", t_end=8.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def checkpoint_of_another_output():
        other = d / "other.nc"
        pmc("run", case(d, "c10.toml", x0=-8.0), "-o", other, "--quiet")
        f = fresh("mixed.nc")
        shutil.copy(str(other) + ".checkpoint.npz", str(f) + ".checkpoint.npz")
        r = pmc("run", case(d, "c11.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def resume_output_missing_checkpoint_present():
        f = d / "gone.nc"
        shutil.copy(str(base) + ".checkpoint.npz", str(f) + ".checkpoint.npz")
        r = pmc("run", case(d, "c12.toml", t_end=6.0), "-o", f, "--resume", "--quiet")
        return outcome(r), ("ok" if not f.exists() else "corrupt: created " + file_state(f))

    @entry
    def resume_changed_distribution_n():
        f = fresh("dn.nc")
        r = pmc("run", case(d, "c13.toml", t_end=6.0, n=3000), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def resume_changed_distribution_x0():
        f = fresh("dx.nc")
        r = pmc("run", case(d, "c14.toml", t_end=6.0, x0=-12.0), "-o", f, "--resume", "--quiet")
        return outcome(r), file_state(f)

    @entry
    def resume_changed_potential_height():
        f = fresh("dh.nc")
        r = pmc("run", case(d, "c15.toml", t_end=6.0, height=0.5), "-o", f, "--resume",
                "--quiet")
        return outcome(r), file_state(f)

    @entry
    def resume_python_changed_initial_state():
        f = fresh("py.nc")
        body = f"""
        import numpy as np, pmc
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), pmc.potentials.GaussianBarrier(height=1.0, width=2.0))
        def sim(x0):
            m = pmc.sample(pmc.states.GaussianWavepacket(x0=x0, p0=1.5, sigma_x=2.0), 500, seed=1)
            return pmc.Simulation(H, m, dt=0.05, seed=1)
        sim(-10.0).run(1.0, 0.5, output={str(f)!r}, progress=False, overwrite=True)
        sim(-5.0).run(2.0, 0.5, output={str(f)!r}, progress=False, resume=True)
        """
        return api_outcome(python(snippet(body))), file_state(f)

    @entry
    def info_time_not_increasing():
        f = fresh("tn.nc")
        edit(f, lambda nc: nc["time"].__setitem__(3, 0.2))
        return outcome(pmc("info", f)), "n/a"

    @entry
    def info_time_nan():
        f = fresh("tnan.nc")
        edit(f, lambda nc: nc["time"].__setitem__(4, float("nan")))
        return outcome(pmc("info", f)), "n/a"

    @entry
    def info_fill_values_in_records():
        import netCDF4

        f = fresh("fill.nc")
        edit(f, lambda nc: nc["n_markers"].__setitem__(5, netCDF4.default_fillvals["i8"]))
        return outcome(pmc("info", f)), "n/a"

    @entry
    def info_file_records_behind_checkpoint():
        # the header claims fewer records than the checkpoint says were written
        f = fresh("behind.nc")
        long_ = d / "long2.nc"
        pmc("run", case(d, "c16.toml", t_end=6.0), "-o", long_, "--quiet")
        shutil.copy(str(long_) + ".checkpoint.npz", str(f) + ".checkpoint.npz")
        return outcome(pmc("info", f)), "n/a"

    @entry
    def merge_truncated_part():
        p0, p1 = fresh("part0.nc"), fresh("part1.nc")
        truncate(p1)
        body = f"""
        from pmc.ensemble import merging
        merging.merge([{str(p0)!r}, {str(p1)!r}])
        """
        return api_outcome(python(snippet(body))), "n/a"

    @entry
    def info_broken_pipe():
        # the reader goes away before pmc writes: what `pmc info out.nc | head` meets
        p = subprocess.Popen([sys.executable, "-m", "pmc", "info", str(base)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdout.close()
        err = p.stderr.read()
        p.wait()
        return ("traceback" if "Traceback" in err or "Exception" in err else "clear"), "n/a"

    @entry
    def two_runs_to_one_path():
        f = d / "two.nc"
        c2 = case(d, "c17.toml", t_end=20.0, n=20000)
        procs = [subprocess.Popen([sys.executable, "-m", "pmc", "run", str(c2), "-o", str(f),
                                   "--quiet", "--overwrite"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        rs = [p.communicate() + (p.returncode,) for p in procs]
        codes = sorted(r[2] for r in rs)
        if codes == [0, 0]:
            return "silent", file_state(f)
        if any("Traceback" in r[1] for r in rs):
            return "traceback", file_state(f)
        return "clear", file_state(f)

    @entry
    def overwrite_while_running():
        f = d / "ow.nc"
        c2 = case(d, "c18.toml", t_end=20.0, n=20000)
        first = subprocess.Popen([sys.executable, "-m", "pmc", "run", str(c2), "-o", str(f),
                                  "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        deadline = time.time() + 60
        while not f.exists() and time.time() < deadline:
            time.sleep(0.05)
        r = pmc("run", c2, "-o", f, "--quiet", "--overwrite")
        first.communicate()
        if r.returncode == 0:
            return "silent", file_state(f)
        return outcome(r), file_state(f)

    @entry
    def sample_400_million_markers():
        body = """
        import resource, pmc
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
        pmc.sample(pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0), 400_000_000, seed=1)
        """
        return api_outcome(python(snippet(body))), "n/a"

    @entry
    def output_larger_than_disk():
        f = d / "huge.nc"
        c2 = case(d, "c19.toml", t_end=1e9)
        try:
            r = pmc("run", c2, "-o", f, "--quiet", timeout=20)
        except subprocess.TimeoutExpired:
            return "silent", file_state(f)
        return outcome(r), file_state(f)

    @entry
    def disk_full_after_3_frames():
        f = d / "full.nc"
        body = f"""
        import errno, netCDF4, pmc, pmc.config as config
        real = netCDF4.Dataset.sync
        count = [0]
        def sync(self):
            count[0] += 1
            if count[0] > 4:
                raise RuntimeError("NetCDF: HDF error / No space left on device")
            return real(self)
        netCDF4.Dataset.sync = sync
        sim, opts = config.build(config.load_case({str(c)!r}))
        sim.run(4.0, 0.5, output={str(f)!r}, progress=False)
        """
        res = api_outcome(python(snippet(body)))
        return res, file_state(f)

    return out


def main():
    d = pathlib.Path(tempfile.mkdtemp(prefix="pmc-corpus-"))
    base = d / "base.nc"
    r = pmc("run", case(d, "base.toml"), "-o", base, "--quiet")
    assert r.returncode == 0, r.stderr
    counts = {"clear": 0, "traceback": 0, "silent": 0, "corrupt": 0}
    only = set(sys.argv[1:])
    for name, fn in entries(d, base):
        if only and name not in only:
            continue
        try:
            result, state = fn()
        except Exception as exc:  # noqa: BLE001
            result, state = "traceback", f"harness: {exc!r}"
        counts[result] += 1
        if state.startswith("corrupt"):
            counts["corrupt"] += 1
        print(f"{name:42s} {result:10s} {state}", flush=True)
    print("counts:", counts)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
