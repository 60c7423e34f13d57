"""pmc.io.atomic_path: whole files appear complete or not at all, and concurrent writers never
share a temporary name."""
import os
import threading

import numpy as np
import pytest

from pmc import io


def test_the_file_appears_only_when_complete(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with io.atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)  # same directory: the rename is atomic
        assert f".{os.getpid()}-" in tmp and tmp.endswith(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(b"new")
        assert target.read_bytes() == b"old"  # nothing visible before the block ends
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_concurrent_writers_use_their_own_temporary_names(tmp_path):
    target = tmp_path / "c.npz"
    names, barrier = [], threading.Barrier(4)

    def write(k):
        with io.atomic_path(target) as tmp:
            names.append(tmp)
            barrier.wait()  # every writer holds its temporary file at once
            with open(tmp, "wb") as fh:
                np.save(fh, np.full(1000, k))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 4
    values = np.load(target)
    assert values.size == 1000 and np.all(values == values[0])  # one writer's whole file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_checkpoints_are_written_atomically(tmp_path):
    path = tmp_path / "run.nc.checkpoint.npz"
    io.save_checkpoint(path, {"x": np.arange(3.0)}, {"step": 7, "name": "a"})
    arrays, meta = io.load_checkpoint(path)
    assert arrays["x"].tolist() == [0.0, 1.0, 2.0] and meta == {"step": 7, "name": "a"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert io.checkpoint_path(tmp_path / "run.nc") == str(path)


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF3_64BIT"])  # CDF-5: test_bad_files
@pytest.mark.parametrize("records", [0, 1, 3])
@pytest.mark.parametrize("variables", ["one", "several"])
def test_the_size_a_classic_header_needs_is_the_file_size(tmp_path, fmt, records, variables):
    import xarray as xr

    data = {"b": ("time", np.arange(records, dtype="i2"))}
    if variables == "several":
        data.update(a=(("time", "x"), np.ones((records, 5))), c=("x", np.arange(5)),
                    s=((), 1.0), name=("x", np.array(list("abcde"))))
    ds = xr.Dataset(data, coords={"time": np.arange(records, dtype=float)})
    path = tmp_path / "f.nc"
    ds.to_netcdf(path, format=fmt, unlimited_dims=["time"])
    need, count = io._classic_size(path)
    size = path.stat().st_size
    assert count == records and size - 4 < need <= size  # up to the last variable's padding
    if records:
        path.write_bytes(path.read_bytes()[:-1])
        with pytest.raises(io.DamagedFileError, match="truncated"):
            io.check_container(path)


def test_an_output_lock_holds_the_pid_and_goes_away(tmp_path):
    out = tmp_path / "o.nc"
    with io.OutputLock(out) as lock:
        assert (tmp_path / "o.nc.lock").read_text().strip() == str(os.getpid())
        with pytest.raises(io.OutputLockedError, match=f"pid {os.getpid()}.*o.nc"):
            io.OutputLock(out).acquire()
    assert not (tmp_path / "o.nc.lock").exists()
    (tmp_path / "o.nc.lock").write_text("12345\n")  # stale: left by a killed run
    with io.OutputLock(out):
        assert (tmp_path / "o.nc.lock").read_text().strip() == str(os.getpid())


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut", b"\x93NUMPY junk", b"random"])
def test_a_damaged_checkpoint_says_so(tmp_path, content):
    path = tmp_path / "c.npz"
    path.write_bytes(content)
    with pytest.raises(io.DamagedFileError, match="c.npz") as exc:
        io.load_checkpoint(path)
    assert "pickle" not in str(exc.value) and "BadZipFile" not in str(exc.value)
