"""Found by a user's probe (session 36), each fixed:

1. A misspelt scope field (`{"user_id": "alice", "agnet_id": "bot"}`) was ignored: the cube
   was stored with no agent, readable by every agent of alice. Now InvalidInputError.
2. A closed MemOS went on: an in-memory store raised SQLAlchemy's "no such table", a
   folder store wrote on. Now StoreError.
3. `update` of an archived cube, or of one past its TTL, wrote a version as invisible as
   the old one. Now ConflictError, unless the update renews the TTL.
4. A store folder opened by its folder and by its `memos.db` kept two sets of FAISS files
   (`<folder>/vectors.*` and `<folder>/memos.index/`): a purge through one spelling left
   the vector in the other's. Now every spelling uses the folder's own, and an old
   `memos.index/` is folded in on open (its blobs kept)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import memos
from memos.errors import ConflictError, InvalidInputError, StoreError


@pytest.mark.parametrize("scope", [{"user_id": "alice", "agnet_id": "bot"},
                                   {"user_id": "alice", "private": True}])
def test_a_scope_with_an_unknown_field_is_refused(tmp_path: Path, scope: dict) -> None:
    with memos.MemOS.open(tmp_path / "s") as mem:
        with pytest.raises(InvalidInputError, match="no such field; fields: user_id"):
            mem.add("bot's private note", scope)
        with pytest.raises(InvalidInputError):
            mem.search("note", scope)
        assert mem.stats("alice").cubes == 0
    with pytest.raises(ValueError):  # pydantic's ValidationError
        memos.Scope(**scope)


def test_a_scope_of_the_wrong_type_says_what_a_scope_is(tmp_path: Path) -> None:
    with memos.MemOS.open(tmp_path / "s") as mem:
        with pytest.raises(InvalidInputError, match="scope must be a user id, a dict"):
            mem.search("x", 5)  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["sqlite://", "folder"])
def test_a_closed_store_raises_a_store_error(tmp_path: Path, where: str) -> None:
    mem = memos.MemOS.open(str(tmp_path / "s") if where == "folder" else where)
    cube = mem.add("before close", "alice").cube
    mem.close()
    mem.close()  # twice is harmless
    for call in (lambda: mem.add("after close", "alice"), lambda: mem.search("x", "alice"),
                 lambda: mem.get(cube.id, "alice"), lambda: mem.stats("alice")):
        with pytest.raises(StoreError, match="store was closed"):
            call()
    if where == "folder":
        with memos.MemOS.open(tmp_path / "s") as again:
            assert again.stats("alice").cubes == 1  # nothing was written after close


def test_update_of_an_expired_or_archived_cube_is_refused(tmp_path: Path) -> None:
    with memos.MemOS.open(tmp_path / "s") as mem:
        short = mem.add("short lived fact about kiwis", "alice", ttl=1).cube
        renewed = mem.add("another short lived fact", "alice", ttl=1).cube
        time.sleep(1.2)
        with pytest.raises(ConflictError, match="expired at .*later expires_at"):
            mem.update(short.id, "alice", importance=0.9)
        with pytest.raises(ConflictError):  # a renewal must end in the future
            mem.update(short.id, "alice", expires_at=datetime.now(UTC) - timedelta(days=1))
        later = datetime.now(UTC) + timedelta(days=1)
        assert mem.update(renewed.id, "alice", expires_at=later).version == 2
        assert mem.get(renewed.id, "alice").content == "another short lived fact"
        mem.gc()
        with pytest.raises(ConflictError, match="expired and was archived; give it a later"):
            mem.update(short.id, "alice", importance=0.9)
        assert [c.state for c in mem.history(short.id, "alice")][-1] == "archived"
        # A fresh-eyes test: after gc the advice was rollback, which made a version already
        # expired. An update with a later expires_at renews an archived cube (it is live
        # again, and found), and a rollback to an expired version is refused, saying so.
        with pytest.raises(ConflictError, match="would be gone at once"):
            mem.rollback(short.id, "alice", 1)
        back = mem.update(short.id, "alice", expires_at=later, reason="still true")
        assert back.state == "active" and back.expires_at == later
        assert mem.get(short.id, "alice").content == "short lived fact about kiwis"
        assert short.id in [h.id for h in mem.search("kiwis", "alice")]
        assert mem.versions(short.id, "alice")[-1].reason == "still true"


def _faiss_counts(folder: Path) -> dict[str, int]:
    faiss = pytest.importorskip("faiss")
    return {str(p.relative_to(folder)): faiss.read_index(str(p)).ntotal
            for p in folder.rglob("*.faiss")}


@pytest.mark.parametrize("spelling", ["file", "url"])
def test_every_spelling_of_a_store_folder_uses_its_own_indexes(tmp_path: Path,
                                                                spelling: str) -> None:
    folder = tmp_path / "lay"
    other = str(folder / "memos.db") if spelling == "file" else f"sqlite:///{folder}/memos.db"
    with memos.MemOS.open(folder) as mem:
        cube = mem.add("secret zebracorn", "alice").cube
    with memos.MemOS.open(other, create=False) as mem:
        assert [h.id for h in mem.search("zebracorn", "alice")] == [cube.id]
        mem.purge(cube.id, "alice")
    assert _faiss_counts(folder) == {"vectors.faiss": 0}
    assert not (folder / "memos.index").exists()


def test_an_old_memos_index_folder_is_folded_in_on_open(tmp_path: Path) -> None:
    """Made by an older version that kept a store's indexes in <folder>/memos.index/ when it
    was opened by its memos.db: its blobs move into the folder's, its FAISS files go."""
    folder = tmp_path / "lay"
    with memos.MemOS.open(folder) as mem:
        mem.add("secret zebracorn", "alice")
    old = folder / "memos.index"
    (old / "blobs" / "ab").mkdir(parents=True)
    (old / "blobs" / "ab" / "abcd.safetensors").write_bytes(b"weights")
    (old / "vectors.faiss").write_bytes(b"stale vectors of purged cubes")
    (old / "vectors.json").write_text("{}")
    with memos.MemOS.open(str(folder / "memos.db"), create=False) as mem:
        assert [h.content for h in mem.search("zebracorn", "alice")] == ["secret zebracorn"]
    assert not old.exists()
    assert (folder / "blobs" / "ab" / "abcd.safetensors").read_bytes() == b"weights"


def test_a_memos_db_in_a_folder_that_is_no_store_never_writes_over_its_files(
        tmp_path: Path) -> None:
    """Review: a file named memos.db says nothing of its folder. Its folder holds no store's
    index files (here: a vectors.json of the user's own): the indexes go to memos.index/."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "vectors.json").write_text('{"mine": true}')
    with memos.MemOS.open(str(project / "memos.db")) as mem:
        mem.add("a note", "alice")
    assert (project / "vectors.json").read_text() == '{"mine": true}'
    assert (project / "memos.index" / "vectors.faiss").exists()
    with memos.MemOS.open(str(project / "memos.db")) as mem:  # again: the same files
        assert [h.content for h in mem.search("note", "alice")] == ["a note"]
    assert (project / "memos.index").exists()


def test_a_store_made_by_its_file_name_opened_as_its_folder_moves_its_index_in(
        tmp_path: Path) -> None:
    """Made (by any version) through lay/memos.db, whose files are in lay/memos.index/, then
    opened as the folder lay: its index files move in (reused, not rebuilt) with a file of
    another program left where it is; the file spelling then finds the folder's."""
    folder = tmp_path / "lay"
    folder.mkdir()
    with memos.MemOS.open(str(folder / "memos.db")) as mem:
        cube = mem.add("secret zebracorn", "alice").cube
    (folder / "memos.index" / "notes.txt").write_text("not memos's")
    with memos.MemOS.open(folder, create=False) as mem:
        assert [h.id for h in mem.search("zebracorn", "alice")] == [cube.id]
    assert _faiss_counts(folder) == {"vectors.faiss": 1}
    assert sorted(p.name for p in (folder / "memos.index").iterdir()) == ["notes.txt"]
    with memos.MemOS.open(str(folder / "memos.db"), create=False) as mem:
        mem.purge(cube.id, "alice")
    assert _faiss_counts(folder) == {"vectors.faiss": 0}


def test_another_sqlite_file_keeps_its_index_beside_it(tmp_path: Path) -> None:
    with memos.MemOS.open(tmp_path / "notes.db") as mem:
        mem.add("a note", "alice")
    assert (tmp_path / "notes.index" / "vectors.faiss").exists()


def test_since_after_until_is_an_error_not_an_empty_result(tmp_path: Path) -> None:
    with memos.MemOS.open(tmp_path / "s") as mem:
        mem.add("a note about kiwis", "alice")
        with pytest.raises(InvalidInputError, match="since .* is after until"):
            mem.search("kiwis", "alice", since="2027-01-01", until="2026-01-01")
        assert len(mem.search("kiwis", "alice", since="2026-01-01", until="2099-01-01")) == 1


def test_an_import_file_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    with memos.MemOS.open(tmp_path / "a") as mem:
        mem.add("a note about kiwis", "alice")
        path = tmp_path / "out.jsonl"
        mem.export("alice", str(path))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as a Windows editor saves it
    with memos.MemOS.open(tmp_path / "b") as mem:
        report = mem.import_(str(path), "alice")
        assert report.imported == 1 and not report.errors
        assert [h.content for h in mem.search("kiwis", "alice")] == ["a note about kiwis"]


def test_naming_a_cube_that_is_not_yours_to_consolidate_is_the_usual_not_found(
        tmp_path: Path) -> None:
    pytest.importorskip("torch")
    with memos.MemOS.open(tmp_path / "s") as mem:
        with pytest.raises(memos.errors.NotFoundError, match="no cube with id 'deadbeef'"):
            mem.consolidate("alice", facts=["deadbeef"], dry_run=True)


def test_an_archive_that_lands_after_update_read_the_cube_still_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: update() checked the cube's state in a read before its write transaction; the
    check is made again inside it, so an archive (or forget) committed in between wins."""
    with memos.MemOS.open(tmp_path / "s") as mem:
        cube = mem.add("short lived fact about kiwis", "alice", ttl=1).cube
        real = memos.MemOS._new_version

        def late_archive(self: memos.MemOS, *args: object, **kwargs: object) -> object:
            # update() has read the cube (live); the archive lands before its transaction
            time.sleep(1.2)
            self.gc()
            return real(self, *args, **kwargs)

        monkeypatch.setattr(memos.MemOS, "_new_version", late_archive)
        with pytest.raises(ConflictError, match="was archived"):
            mem.update(cube.id, "alice", importance=0.9)
        assert [c.state for c in mem.history(cube.id, "alice")][-1] == "archived"


def test_export_with_its_arguments_swapped_says_which_comes_first(tmp_path: Path) -> None:
    """import_ takes (source, scope) and export (scope, dest): the swapped call wrote
    nothing of alice's into a file named "alice" and exited as a success."""
    mem = memos.MemOS.open(tmp_path / "store", embedder="hashing")
    try:
        mem.add("Alice likes green tea", "alice")
        target = tmp_path / "alice.jsonl"
        with pytest.raises(InvalidInputError, match="scope first"):
            mem.export(str(target), "alice")
        assert not (Path.cwd() / "alice").exists() and not target.exists()
        assert mem.export("alice", target).cubes == 1
    finally:
        mem.close()
