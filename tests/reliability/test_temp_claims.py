"""A save's temp files are claimed by a lock, not judged by a process id.

Processes in other containers (or machines) writing one folder have process ids that mean
nothing here: a save's temp files named by a pid this process cannot see were removed as
stale while that save was still writing them, and its rename then failed.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import numpy as np

from memos.stores.vector_index import VectorIndex


def _index(folder: Path) -> VectorIndex:
    index = VectorIndex(folder, 4, "e", store_id="s")
    index.add([1, 2], np.eye(4, dtype=np.float32)[:2])
    index.seq = 1
    return index


def test_a_temp_file_another_writer_holds_is_left_and_an_abandoned_one_removed(tmp_path: Path
                                                                                ) -> None:
    held = tmp_path / "vectors.faiss.999999999-aaaaaaaaaaaa.tmp"  # a pid not alive here
    abandoned = tmp_path / "vectors.json.999999998-bbbbbbbbbbbb.tmp"
    old_style = tmp_path / "vectors.faiss.999999997.tmp"  # an older memos's name
    for path in (held, abandoned, old_style):
        path.write_bytes(b"vectors of a purged cube")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a save under way in another container holds it
        assert _index(tmp_path).save()
        assert held.exists(), "a temp file a save is still writing was removed"
        assert not abandoned.exists() and not old_style.exists()
    finally:
        os.close(fd)
    assert _index(tmp_path).save()
    assert not held.exists(), "released, it is stale like any other"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.faiss", "vectors.json",
                                                          "vectors.lock"]


def test_a_save_holds_its_temp_files_until_they_are_renamed(tmp_path: Path, monkeypatch) -> None:
    from memos.stores import vector_index

    index = _index(tmp_path)
    seen: list[bool] = []
    real_fsync = vector_index._fsync

    def fsync(path: Path) -> None:
        real_fsync(path)
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append(False)
        except OSError:
            seen.append(True)
        finally:
            os.close(fd)

    monkeypatch.setattr(vector_index, "_fsync", fsync)
    assert index.save()
    assert seen == [True], "the index's temp file was not locked while being written"
    loaded = VectorIndex(tmp_path, 4, "e", store_id="s")
    assert loaded.load() and loaded.ids() == {1, 2}


def test_a_claim_survives_another_save_removing_its_new_file_before_the_lock(
        tmp_path: Path, monkeypatch) -> None:
    """Between creating a temp file and locking it, another save's clean-up could lock and
    remove it (it was no save's yet): the lock was then on a removed file, FAISS wrote an
    unlocked one under the same name, and a later clean-up removed it mid-save."""
    from memos.stores import vector_index

    a, b = _index(tmp_path), _index(tmp_path)
    real_flock, real_fsync = fcntl.flock, vector_index._fsync
    state: dict[str, bool] = {}

    def flock(fd: int, op: int) -> None:
        if op == fcntl.LOCK_EX and not state.get("raced") and \
                os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            state["raced"] = True
            b.save()  # another process's save, in the window before a's lock
            state["armed"] = True
        real_flock(fd, op)

    def fsync(path: Path) -> None:
        real_fsync(path)
        if state.get("armed") and path.name.startswith("vectors.faiss.") \
                and path.name.endswith(".tmp") and not state.get("checked"):
            state["checked"] = True
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                state["unlocked"] = True
            except OSError:
                pass
            finally:
                os.close(fd)
            b.save()  # and another save finishing while a writes

    monkeypatch.setattr(vector_index.fcntl, "flock", flock)
    monkeypatch.setattr(vector_index, "_fsync", fsync)
    assert a.save()
    assert state.get("raced") and state.get("checked") and not state.get("unlocked")
