"""Damaged files, resume checks, one writer per output, resources up front and full disks (issue
14 items 1, 2, 4): each entry of the corpus gives pmc a bad file or situation as a user would
(the ``pmc`` command, in this process, or the Python API) and asserts the error type, that the
message names the file or parameter, and that no file was left corrupt -- the output still opens
with its complete frames, is untouched, or was never created. tests/bad_files_corpus.py runs the
same entries as separate processes and counts the outcomes.

The runs in other processes (two writers at once, kill-and-resume) are forked from one server
process that has imported pmc (numba's ``workqueue`` threading layer, which survives a fork), so
each costs a fraction of a second instead of an interpreter start.
"""
import errno
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import netCDF4
import numpy as np
import pytest

import pmc
from pmc import _resources, cli, io

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
checkpoint_every = {checkpoint_every}
"""


def _case(directory, name="case.toml", t_end=4.0, n=2000, x0=-10.0, height=1.0,
          checkpoint_every=2):
    path = pathlib.Path(directory) / name
    path.write_text(CASE.format(t_end=t_end, n=n, x0=x0, height=height,
                                checkpoint_every=checkpoint_every))
    return path


def _pmc(capsys, *args):
    """``pmc ARGS`` in this process: (exit status, stderr)."""
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def _one_line_error(code, err, *names):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for name in names:
        assert str(name) in err, (name, err)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A finished 9-frame run (t = 0 .. 4) with its checkpoint."""
    d = tmp_path_factory.mktemp("base")
    out = d / "base.nc"
    assert cli.main(["run", str(_case(d)), "-o", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def copy(base, tmp_path):
    def make(name):
        out = tmp_path / name
        shutil.copy(base, out)
        shutil.copy(io.checkpoint_path(base), io.checkpoint_path(out))
        return out
    return make


def _intact(path, frames=None):
    """The output opens, every record complete; returns its frame count."""
    ds = pmc.open_dataset(path)
    if frames is not None:
        assert ds.sizes["time"] == frames
    return ds.sizes["time"]


def _truncate(path, fraction=0.5):
    data = pathlib.Path(path).read_bytes()
    pathlib.Path(path).write_bytes(data[:int(len(data) * fraction)])


def _edit(path, fn):
    with netCDF4.Dataset(path, "a") as nc:
        nc.set_auto_mask(False)
        fn(nc)


# ============================================================================ damaged outputs
@pytest.mark.parametrize("command", ["info", "plot"])
def test_truncated_output_is_an_error_of_info_and_plot(copy, tmp_path, capsys, command):
    f = copy("t.nc")
    _truncate(f)
    extra = ["-o", tmp_path / "t.png"] if command == "plot" else []
    code, err = _pmc(capsys, command, f, *extra)
    _one_line_error(code, err, f, "truncated")
    assert not (tmp_path / "t.png").exists()


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9, 0.999])
def test_truncated_output_is_a_damaged_file_error(copy, fraction):
    f = copy("t.nc")
    _truncate(f, fraction)
    with pytest.raises(io.DamagedFileError, match="truncated") as exc:
        pmc.open_dataset(f)
    assert str(f) in str(exc.value)


def test_resume_onto_a_truncated_output_is_refused_and_leaves_it_as_it_was(copy, tmp_path,
                                                                          capsys):
    f = copy("t.nc")
    _truncate(f, 0.6)
    before = f.read_bytes()
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", f, "--resume", "-q")
    _one_line_error(code, err, f, "truncated")
    assert f.read_bytes() == before


@pytest.mark.parametrize("content", [b"hello\n", b"", os.urandom(3000)],
                         ids=["text", "empty", "random"])
def test_info_and_plot_on_a_file_that_is_not_netcdf(tmp_path, capsys, content):
    f = tmp_path / "x.nc"
    f.write_bytes(content)
    for args in (["info", f], ["plot", f, "-o", tmp_path / "x.png"]):
        code, err = _pmc(capsys, *args)
        _one_line_error(code, err, f)
        assert "netCDF" in err


def test_info_and_plot_on_a_directory(tmp_path, capsys):
    for args in (["info", tmp_path], ["plot", tmp_path, "-o", tmp_path / "x.png"]):
        code, err = _pmc(capsys, *args)
        _one_line_error(code, err, tmp_path, "directory")


def test_a_directory_as_the_case_file_or_the_output(tmp_path, capsys):
    code, err = _pmc(capsys, "run", tmp_path, "-o", tmp_path / "o.nc")
    _one_line_error(code, err, tmp_path, "directory")
    assert not (tmp_path / "o.nc").exists()
    out = tmp_path / "out.nc"
    out.mkdir()
    for extra in ([], ["--overwrite"], ["--resume"]):
        code, err = _pmc(capsys, "run", _case(tmp_path), "-o", out, "-q", *extra)
        _one_line_error(code, err, out, "directory")
        assert out.is_dir() and not any(out.iterdir())


@pytest.mark.parametrize("damage", ["time_decreasing", "time_nan", "time_inf", "fill_int",
                                    "fill_float"])
def test_incomplete_records_are_errors(copy, capsys, damage):
    f = copy(f"{damage}.nc")
    edits = {
        "time_decreasing": lambda nc: nc["time"].__setitem__(3, 0.2),
        "time_nan": lambda nc: nc["time"].__setitem__(4, np.nan),
        "time_inf": lambda nc: nc["time"].__setitem__(8, np.inf),
        "fill_int": lambda nc: nc["n_markers"].__setitem__(5, netCDF4.default_fillvals["i8"]),
        "fill_float": lambda nc: nc["density"].__setitem__(
            (2, 7), netCDF4.default_fillvals["f8"]),
    }
    _edit(f, edits[damage])
    with pytest.raises(io.DamagedFileError) as exc:
        pmc.open_dataset(f)
    assert str(f) in str(exc.value)
    what = {"fill_int": "n_markers", "fill_float": "density"}.get(damage, "time")
    assert what in str(exc.value)
    code, err = _pmc(capsys, "info", f)
    _one_line_error(code, err, f, what)


def test_an_output_behind_its_checkpoint_is_an_error(copy, tmp_path, capsys):
    f = copy("behind.nc")
    long_ = tmp_path / "long.nc"
    assert cli.main(["run", str(_case(tmp_path, "l.toml", t_end=6.0)), "-o", str(long_),
                     "-q"]) == 0
    shutil.copy(io.checkpoint_path(long_), io.checkpoint_path(f))
    code, err = _pmc(capsys, "info", f)
    _one_line_error(code, err, f, "13 were written")
    # and resuming from it is refused too, leaving the 9 frames as they are
    code, err = _pmc(capsys, "run", _case(tmp_path, "m.toml", t_end=8.0), "-o", f, "--resume",
                     "-q")
    _one_line_error(code, err, f, "13 were written")
    assert pmc.open_dataset(f, check=False).sizes["time"] == 9


def test_info_ends_quietly_on_a_closed_pipe(base, capsys, monkeypatch):
    class Closed:
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def fileno(self):
            raise OSError("no descriptor")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert cli.main(["info", str(base)]) == 141
    assert capsys.readouterr().err == ""


def test_info_through_head_in_a_shell(base):
    # the reader goes away before pmc writes: what `pmc info out.nc | head` meets
    p = subprocess.Popen([sys.executable, "-m", "pmc", "info", str(base)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait() == 141 and err == ""


def test_merge_refuses_a_truncated_part(copy):
    from pmc.ensemble import merging

    p0, p1 = copy("replica-0000.nc"), copy("replica-0001.nc")
    _truncate(p1)
    with pytest.raises(io.DamagedFileError, match="replica-0001.nc.*truncated"):
        merging.merge([p0, p1])


# ============================================================================ checkpoints
@pytest.mark.parametrize("content", ["truncated", "random", "empty", "npy", "pickle"])
def test_a_damaged_checkpoint_is_a_clear_error(copy, tmp_path, capsys, content):
    f = copy("c.nc")
    ckpt = pathlib.Path(io.checkpoint_path(f))
    if content == "truncated":
        _truncate(ckpt)
    elif content == "random":
        ckpt.write_bytes(os.urandom(4000))
    elif content == "empty":
        ckpt.write_bytes(b"")
    elif content == "npy":
        with open(ckpt, "wb") as fh:
            np.save(fh, np.arange(3))
    else:
        with open(ckpt, "wb") as fh:
            np.savez(fh, a_x=np.array([{"a": 1}], dtype=object))
    before = f.read_bytes()
    with pytest.raises(io.DamagedFileError) as exc:
        io.load_checkpoint(ckpt)
    assert str(ckpt) in str(exc.value) and "allow_pickle" not in str(exc.value)
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", f, "--resume", "-q")
    _one_line_error(code, err, ckpt)
    assert "allow_pickle" not in err and "BadZipFile" not in err
    assert f.read_bytes() == before


def test_a_checkpoint_of_another_output_is_refused(copy, tmp_path, capsys):
    other = tmp_path / "other.nc"
    assert cli.main(["run", str(_case(tmp_path, "o.toml", x0=-8.0)), "-o", str(other),
                     "-q"]) == 0
    f = copy("mixed.nc")
    shutil.copy(io.checkpoint_path(other), io.checkpoint_path(f))
    before = f.read_bytes()
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", f, "--resume", "-q")
    _one_line_error(code, err, "distribution.x0")
    # the case agrees but the frames do not: the file was rewritten by another run
    g = copy("rewritten.nc")
    _edit(g, lambda nc: nc["total_weight"].__setitem__(2, 0.5))
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", g, "--resume", "-q")
    _one_line_error(code, err, g, "does not belong")
    assert f.read_bytes() == before


def test_resume_with_the_output_missing_creates_nothing(base, tmp_path, capsys):
    f = tmp_path / "gone.nc"
    shutil.copy(io.checkpoint_path(base), io.checkpoint_path(f))
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", f, "--resume", "-q")
    _one_line_error(code, err, f, "missing")
    assert not f.exists()
    g = tmp_path / "nothing.nc"
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0), "-o", g, "--resume", "-q")
    _one_line_error(code, err, g)
    assert not g.exists()


@pytest.mark.parametrize("change, key", [
    (dict(n=3000), "distribution.n"), (dict(x0=-12.0), "distribution.x0"),
    (dict(height=0.5), "potential.height")])
def test_resume_with_a_different_case_names_the_keys(copy, tmp_path, capsys, change, key):
    f = copy("d.nc")
    before = f.read_bytes()
    code, err = _pmc(capsys, "run", _case(tmp_path, t_end=6.0, **change), "-o", f,
                     "--resume", "-q")
    _one_line_error(code, err, key)
    assert f.read_bytes() == before
    # what the run may change: its end and the output options
    code, err = _pmc(capsys, "run", _case(tmp_path, "e.toml", t_end=6.0, checkpoint_every=5),
                     "-o", f, "--resume", "-q")
    assert code == 0, err
    _intact(f, 13)


def test_resume_from_python_refuses_another_initial_state(tmp_path):
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                        pmc.potentials.GaussianBarrier(height=1.0, width=2.0))

    def sim(x0):
        m = pmc.sample(pmc.states.GaussianWavepacket(x0=x0, p0=1.5, sigma_x=2.0), 500, seed=1)
        return pmc.Simulation(H, m, dt=0.05, seed=1)

    out = tmp_path / "py.nc"
    sim(-10.0).run(1.0, 0.5, output=out, progress=False)
    with pytest.raises(ValueError, match="initial state"):
        sim(-5.0).run(2.0, 0.5, output=out, progress=False, resume=True)
    _intact(out, 3)
    whole = sim(-10.0).run(2.0, 0.5, progress=False)
    resumed = sim(-10.0).run(2.0, 0.5, output=out, progress=False, resume=True)
    for name in whole.data_vars:
        np.testing.assert_array_equal(whole[name].values, resumed[name].values)


def test_the_first_checkpoint_comes_with_the_first_frame(tmp_path, monkeypatch):
    """A run stopped right after its first frame (checkpoints every 10) resumes."""
    out = tmp_path / "first.nc"
    case = _case(tmp_path, t_end=4.0, checkpoint_every=10)
    real = io.FrameWriter.write

    def write(self, index, frame):
        if index == 1:
            raise KeyboardInterrupt  # a kill after frame 0, as far as the files know
        return real(self, index, frame)

    monkeypatch.setattr(io.FrameWriter, "write", write)
    assert cli.main(["run", str(case), "-o", str(out), "-q"]) == 130
    monkeypatch.setattr(io.FrameWriter, "write", real)
    _, meta = io.load_checkpoint(io.checkpoint_path(out))
    assert meta["frame_index"] == 1
    assert cli.main(["run", str(case), "-o", str(out), "-q", "--resume"]) == 0
    whole = tmp_path / "whole.nc"
    assert cli.main(["run", str(case), "-o", str(whole), "-q"]) == 0
    _same(whole, out)


def test_checkpoints_never_need_pickle(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        io.save_checkpoint(tmp_path / "c.npz", {"x": np.array([object()])}, {})
    assert not list(tmp_path.iterdir())


def _same(a, b):
    a, b = pmc.open_dataset(a), pmc.open_dataset(b)
    assert a.sizes == b.sizes
    for name in a.variables:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs["case"] == b.attrs["case"]


# ============================================================================ resources
def test_sampling_more_markers_than_memory_is_refused_up_front(monkeypatch):
    monkeypatch.setattr(_resources, "available_memory", lambda: 2 * 2**30)
    state = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    with pytest.raises(io.ResourceError) as exc:
        pmc.sample(state, 400_000_000, seed=1)
    text = str(exc.value)
    assert "400000000 markers" in text and "GB" in text and "check_resources=False" in text
    # the estimate: (dx + dp + 1) x 8 B per marker, twice
    assert _resources.marker_bytes(400_000_000, 1, 1) == 9_600_000_000
    assert pmc.sample(state, 10, seed=1, check_resources=False).n == 10


def test_sampling_under_a_ulimit_is_refused_before_allocating():
    code = textwrap.dedent("""
        import resource, pmc
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
        state = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
        try:
            pmc.sample(state, 400_000_000, seed=1)
        except pmc.io.ResourceError as exc:
            print("refused:", exc)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and "refused: drawing 400000000 markers" in r.stdout, r.stderr


def test_an_output_larger_than_the_disk_is_refused(tmp_path, capsys, monkeypatch):
    case = _case(tmp_path, t_end=1e9)
    out = tmp_path / "huge.nc"
    code, err = _pmc(capsys, "run", case, "-o", out, "-q")
    assert code == 2 and "disk" in err and str(out) in err and "--no-resource-check" in err
    assert not out.exists() and not pathlib.Path(io.checkpoint_path(out)).exists()
    monkeypatch.setattr(_resources, "free_disk", lambda path: 10**12)
    monkeypatch.setattr(_resources, "available_memory", lambda: 10**5)
    code, err = _pmc(capsys, "run", _case(tmp_path, "m.toml"), "-o", out, "-q")
    assert code == 2 and "memory" in err and not out.exists()
    code, err = _pmc(capsys, "run", _case(tmp_path, "m.toml"), "-o", out, "-q",
                     "--no-resource-check")
    assert code == 0, err
    _intact(out, 9)


# ============================================================================ full disk
@pytest.mark.parametrize("failing", [1, 5])
def test_a_full_disk_ends_the_run_with_a_checkpoint_that_resumes(tmp_path, monkeypatch,
                                                                 failing):
    out, whole = tmp_path / "full.nc", tmp_path / "whole.nc"
    case = _case(tmp_path, t_end=4.0, checkpoint_every=3)
    real = io.FrameWriter.write

    def write(self, index, frame):
        if index == failing:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, index, frame)

    monkeypatch.setattr(io.FrameWriter, "write", write)
    sim, opts = pmc.config.build(pmc.config.load_case(case))
    with pytest.raises(io.WriteError) as exc:
        sim.run(opts["t_end"], opts["save_every"], output=out, progress=False,
                checkpoint_every=3)
    text = str(exc.value)
    assert str(out) in text and f"frame {failing}" in text and "resume" in text
    monkeypatch.setattr(io.FrameWriter, "write", real)
    _intact(out, failing)
    assert not pathlib.Path(str(out) + ".lock").exists()
    sim, opts = pmc.config.build(pmc.config.load_case(case))
    sim.run(opts["t_end"], opts["save_every"], output=out, progress=False, resume=True)
    assert cli.main(["run", str(case), "-o", str(whole), "-q"]) == 0
    _same(whole, out)


def test_a_full_disk_at_the_first_frame_leaves_no_file(tmp_path, monkeypatch):
    out = tmp_path / "full.nc"

    def create(self, frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.FrameWriter, "_create", create)
    sim, opts = pmc.config.build(pmc.config.load_case(_case(tmp_path)))
    with pytest.raises(io.WriteError, match="first frame"):
        sim.run(opts["t_end"], opts["save_every"], output=out, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml"]


@pytest.mark.parametrize("checkpoint_every", [5, 100], ids=["checkpoint", "frame"])
def test_a_real_full_filesystem(tmp_path, checkpoint_every):
    """A 300 kB tmpfs, where the system lets us mount one (root on Linux): the disk fills while
    a checkpoint or while a frame is written (netCDF's own error, after which closing the file
    again would crash the process)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(tiny)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        out = tiny / "full.nc"
        case = _case(tmp_path, t_end=12.0, checkpoint_every=checkpoint_every)
        sim, opts = pmc.config.build(pmc.config.load_case(case))
        with pytest.raises(io.WriteError, match="full.nc.*resume"):
            sim.run(opts["t_end"], opts["save_every"], output=out, progress=False,
                    checkpoint_every=checkpoint_every, check_resources=False)
        frames = _intact(out)
        assert frames > 1
        _, meta = io.load_checkpoint(io.checkpoint_path(out))
        assert meta["frame_index"] <= frames
        subprocess.run(["mount", "-o", "remount,size=4m", str(tiny)], check=True)
        sim, opts = pmc.config.build(pmc.config.load_case(case))
        sim.run(opts["t_end"], opts["save_every"], output=out, progress=False, resume=True)
        whole = tmp_path / "whole.nc"
        assert cli.main(["run", str(case), "-o", str(whole), "-q"]) == 0
        _same(whole, out)
    finally:
        subprocess.run(["umount", str(tiny)], capture_output=True)


# ============================================================================ other processes
SERVER = r'''
import json, os, sys
os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
import pmc.cli
for line in sys.stdin:
    cmd, arg = line.split(" ", 1)
    if cmd == "start":
        spec = json.loads(arg)
        pid = os.fork()
        if pid == 0:
            fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = 1
            try:
                code = pmc.cli.main(spec["args"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)
    elif cmd == "wait":
        _, status = os.waitpid(int(arg), 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
'''


class _Server:
    """Forks ``pmc`` commands from one process that has imported pmc."""

    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.logs = {}

    def start(self, *args):
        log = self.directory / f"log-{len(self.logs)}.txt"
        self.proc.stdin.write("start " + json.dumps({"args": [str(a) for a in args],
                                                     "log": str(log)}) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        self.logs[pid] = log
        return pid

    def wait(self, pid):
        self.proc.stdin.write(f"wait {pid}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline()), self.logs[pid].read_text()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _Server(tmp_path_factory.mktemp("server"))
    yield s
    s.close()


def _lock_holder(out, timeout=60.0):
    lock = pathlib.Path(str(out) + ".lock")
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            text = lock.read_text().strip()
        except FileNotFoundError:
            text = ""
        if text:
            return int(text)
        time.sleep(0.002)
    raise AssertionError("no run took the lock")


def test_two_runs_to_one_path_one_runs_the_other_is_refused(server, tmp_path):
    case = _case(tmp_path, t_end=20.0, n=20000)
    out = tmp_path / "two.nc"
    pids = [server.start("run", case, "-o", out, "-q", "--overwrite") for _ in range(2)]
    results = {pid: server.wait(pid) for pid in pids}
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 2], results
    winner = next(pid for pid, (code, _) in results.items() if code == 0)
    loser_log = next(log for code, log in results.values() if code == 2)
    assert f"pid {winner}" in loser_log and str(out) in loser_log, loser_log
    assert "Traceback" not in loser_log
    _intact(out, 41)
    assert not pathlib.Path(str(out) + ".lock").exists()


def test_overwrite_while_another_run_writes_is_refused(server, tmp_path):
    case = _case(tmp_path, t_end=20.0, n=20000)
    out = tmp_path / "ow.nc"
    first = server.start("run", case, "-o", out, "-q")
    assert _lock_holder(out) == first
    second = server.start("run", case, "-o", out, "-q", "--overwrite")
    code, log = server.wait(second)
    assert code == 2 and f"pid {first}" in log, log
    code, log = server.wait(first)
    assert code == 0, log
    _intact(out, 41)


def test_kill_and_resume_at_random_times_is_bitwise_the_uninterrupted_run(server, tmp_path):
    """At least 10 SIGKILLs at random moments, some of them early in a resume (while it checks
    the files and restores the state); each time the run goes on with --resume when there is a
    checkpoint, else starts again; the final file equals an uninterrupted run's bitwise."""
    rng = np.random.default_rng(14)
    case = _case(tmp_path, t_end=10.0, n=5000, checkpoint_every=3)
    whole, cut = tmp_path / "whole.nc", tmp_path / "cut.nc"
    code, log = server.wait(server.start("run", case, "-o", whole, "-q"))
    assert code == 0, log
    started = time.perf_counter()
    server.wait(server.start("run", case, "-o", tmp_path / "timing.nc", "-q"))
    duration = time.perf_counter() - started
    kills, resumed_kills, attempts = 0, 0, 0
    # go on until both counts are reached: under load, early kills may all land before the
    # first checkpoint exists
    while (kills < 12 or resumed_kills < 3) and attempts < 80:
        attempts += 1
        resuming = pathlib.Path(io.checkpoint_path(cut)).exists()
        extra = ["--resume"] if resuming else ["--overwrite"]
        pid = server.start("run", case, "-o", cut, "-q", *extra)
        early = resuming and rng.random() < 0.5
        delay = rng.uniform(0.0, 0.05) if early else rng.uniform(0.0, duration)
        time.sleep(delay)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        code, log = server.wait(pid)
        if code == -signal.SIGKILL:
            kills += 1
            resumed_kills += resuming
        else:
            assert code == 0, log  # finished before the kill: start again
            for p in (cut, pathlib.Path(io.checkpoint_path(cut))):
                p.unlink()
    assert kills >= 10 and resumed_kills >= 3, (kills, resumed_kills)
    if not pathlib.Path(io.checkpoint_path(cut)).exists():
        code, log = server.wait(server.start("run", case, "-o", cut, "-q", "--overwrite"))
    else:
        code, log = server.wait(server.start("run", case, "-o", cut, "-q", "--resume"))
    assert code == 0, log
    _same(whole, cut)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("cut.nc.")]
    assert all(n == "cut.nc.checkpoint.npz" or n.endswith(".tmp") or n == "cut.nc.lock"
               for n in leftovers), leftovers


def test_the_lock_is_released_when_its_holder_dies(tmp_path):
    out = tmp_path / "x.nc"
    code = textwrap.dedent(f"""
        import os, sys, time
        from pmc import io
        io.OutputLock({str(out)!r}).acquire()
        print(os.getpid(), flush=True)
        time.sleep(60)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    with pytest.raises(io.OutputLockedError, match=f"pid {pid}"):
        io.OutputLock(out).acquire()
    p.kill()
    p.wait()
    with io.OutputLock(out) as lock:  # the stale lock file is taken over
        assert pathlib.Path(lock.path).read_text().strip() == str(os.getpid())
    assert not pathlib.Path(lock.path).exists()


def test_a_lock_in_the_same_process_is_refused_too(tmp_path):
    out = tmp_path / "x.nc"
    with io.OutputLock(out):
        with pytest.raises(io.OutputLockedError, match=f"pid {os.getpid()}"):
            io.OutputLock(out).acquire()
        sim, opts = pmc.config.build(pmc.config.load_case(_case(tmp_path)))
        with pytest.raises(io.OutputLockedError):
            sim.run(4.0, 0.5, output=out, progress=False, overwrite=True)
    assert not out.exists()


def test_every_checkpoint_write_uses_a_unique_temporary(tmp_path, monkeypatch):
    names = []
    real = io.atomic_path

    def spy(path):
        cm = real(path)
        names.append(str(path))
        return cm

    monkeypatch.setattr(io, "atomic_path", spy)
    sim, opts = pmc.config.build(pmc.config.load_case(_case(tmp_path)))
    sim.run(4.0, 0.5, output=tmp_path / "u.nc", progress=False, checkpoint_every=2)
    assert names and all(n == io.checkpoint_path(tmp_path / "u.nc") for n in names)
    assert zipfile.is_zipfile(io.checkpoint_path(tmp_path / "u.nc"))


def test_a_grid_larger_than_memory_is_refused(monkeypatch):
    monkeypatch.setattr(_resources, "available_memory", lambda: 10**9)
    with pytest.raises(io.ResourceError, match="the wave function on 100000000 grid points"):
        _resources.check_grid(10**8, _resources.QUANTUM_BYTES_PER_POINT, "the wave function")
    _resources.check_grid(10**8, _resources.QUANTUM_BYTES_PER_POINT, "the wave function",
                          check=False)
    with io.without_resource_checks():
        _resources.check_grid(10**8, _resources.GRID_BYTES_PER_CELL, "f")


@pytest.mark.parametrize("solver", ["quantum", "grid"])
def test_solver_grids_too_large_for_memory_are_refused_before_allocating(solver):
    """The grid and quantum solvers estimate their grids' memory before allocating them and
    refuse, with the estimate and the remedy, a grid the machine cannot hold."""
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))
    axis = np.linspace(-10, 10, 2 ** 18, endpoint=False)
    with pytest.raises(MemoryError, match=r"grid points .* needs about .* coarser grid"):
        if solver == "quantum":
            pmc.quantum.Simulation(H, pmc.states.GaussianWavepacket(x0=0.0, p0=0.0, sigma_x=1.0),
                                   grid=(axis, axis), dt=0.01)
        else:
            pmc.gridsolver.Simulation(
                H, pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(-5, 5)), dt=0.01,
                grid=pmc.PhaseSpaceGrid(x=axis, p=np.linspace(-5, 5, 2 ** 18)))
