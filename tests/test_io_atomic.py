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
