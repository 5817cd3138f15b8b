"""Erased means erased (issue 9, points 2-4).

- After `purge` returns, no file under the store folder (memos.db, its WAL and shm, the FAISS
  files, anything) and, on PostgreSQL, no row of any table holds a byte of the purged data:
  content of every version, tags, metadata keys and values, sources, entity names, full-text
  terms, the reasons callers gave, even while another MemOS in this process and another
  process hold the store open.
- After `forget`, the forgotten words are gone from the full-text index's storage (history
  keeps the text, by design).
- A process that opened the store before a purge and saves its FAISS files afterwards never
  writes the purged vector back, nor an older seq over a newer file.
- Bulk paths (purge of a user, gc, forget and purge of derived cubes) apply the write rule of
  the single-cube path: an agent never reaches another agent's private cube.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest
from rel_helpers import StoreSpec

WORKER = str(Path(__file__).with_name("erasure_worker.py"))


def _marker(field: str) -> str:
    # "qz" + random hex + "x9": unique per test, and left whole by the porter stemmer (no
    # suffix rule applies after a digit), so the full-text term is the marker itself.
    return f"qz{field}{uuid.uuid4().hex[:12]}x9"


def _needles(markers: dict[str, str]) -> dict[str, bytes]:
    """What to look for: each marker's last 10 characters. FTS5 stores a term after the
    first of a page as (shared prefix length, suffix), so a term sharing "qz..." with the
    previous one is on disk only as its tail; the tail is random enough to never occur by
    chance."""
    return {name: m[-10:].encode() for name, m in markers.items()}


def _store_folder(spec: StoreSpec) -> Path:
    return Path(spec.location if spec.backend == "sqlite" else str(spec.index_dir))


def _files_holding(folder: Path, needles: dict[str, bytes]) -> dict[str, list[str]]:
    """{file name: [marker names whose bytes it holds]} over every file under `folder`."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits = [name for name, needle in needles.items() if needle in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def _tables_holding(mem: Any, needles: dict[str, bytes], only: str | None = None
                    ) -> dict[str, list[str]]:
    """{table: [marker names]} over a text dump of every row of every table of the store's
    database (SQLite: including the full-text shadow tables). `only`: a table-name prefix."""
    engine = mem._store.repo.engine
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            tables = list(conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = current_schema() AND table_type = 'BASE TABLE'").scalars())
            dump = {t: [r[0] for r in conn.exec_driver_sql(f'SELECT t::text FROM "{t}" t')]
                    for t in tables}
        else:
            tables = list(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
            dump = {}
            for t in tables:
                if t == "cube_fts" or t.startswith("sqlite_stat"):
                    continue  # the virtual table itself: its shadow tables are dumped
                cells: list[Any] = []
                for row in conn.exec_driver_sql(f'SELECT * FROM "{t}"'):
                    cells.extend(row)
                dump[t] = cells
    for table, cells in dump.items():
        if only and not table.startswith(only):
            continue
        blob = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in cells
                        if c is not None)
        hits = [name for name, needle in needles.items() if needle in blob]
        if hits:
            found[table] = hits
    return found


def _secret_cube(mem: Any, user: Any, markers: dict[str, str]) -> Any:
    """A cube carrying every marker: content of two versions, tags, metadata key and value,
    source ref and text, an entity name, and a caller's reason."""
    cube = mem.add(f"the first {markers['content1']} version", user,
                   tags=[markers["tag"]], metadata={markers["key"]: markers["value"]},
                   sources=[{"ref": markers["source_ref"], "text": markers["source_text"]}],
                   entities=[markers["entity"]])
    mem.update(cube.id, user, content=f"the second {markers['content2']} version",
               reason=f"because {markers['reason']}")
    return cube


MARKER_FIELDS = ["content1", "content2", "tag", "key", "value", "source_ref", "source_text",
                 "entity", "reason"]


@contextmanager
def _other_process(spec: StoreSpec, tmp_path: Path, user: str, query: str, mode: str = "hold"
                   ) -> Iterator[tuple[str, Path]]:
    """A second process with the store open (it searched `query` first) until the block
    ends; yields (its ready line, its go file). The go file is created on exit if the block
    did not create it."""
    name = uuid.uuid4().hex[:8]
    ready, go = tmp_path / f"ready-{name}", tmp_path / f"go-{name}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, WORKER, mode, spec.location, spec.index_dir or "-", user, query,
         str(ready), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate(timeout=5)
                pytest.fail(f"worker did not start: {err.decode()[-2000:]}")
            time.sleep(0.02)
        yield ready.read_text(), go
        go.touch()
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        go.touch()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_purge_leaves_no_byte_of_the_cube_in_any_file_or_table(store_spec: StoreSpec,
                                                               tmp_path: Path) -> None:
    markers = {f: _marker(f) for f in MARKER_FIELDS}
    needles = _needles(markers)
    kept = {"kept": _marker("kept")}
    mem = store_spec.open()
    other = store_spec.open()  # a second instance in this process, used before the purge
    try:
        mem.add_many([f"filler note {i} about tea and biscuits" for i in range(40)], "bob")
        mem.add(f"bob keeps {kept['kept']} here", "bob", tags=[kept["kept"]])
        cube = _secret_cube(mem, "alice", markers)
        mem.forget(cube.id, "alice", reason=f"forgotten {markers['reason']}")
        mem.rollback(cube.id, "alice", 2)
        assert other.search(markers["content2"], "alice", k=3)[0].cube.id == cube.id
        with _other_process(store_spec, tmp_path, "alice", markers["content2"]) as (line, _):
            assert line.split()[0] == "1"  # the other process found the cube before the purge
            report = mem.purge(cube.id, "alice", reason="erasure request")
            assert report.cube_ids == [cube.id]
            # While both other holders still have the store open:
            assert _files_holding(_store_folder(store_spec), needles) == {}
            assert _tables_holding(mem, needles) == {}
            if store_spec.backend == "sqlite":
                assert report.erased_from_files is True and report.notes == []
            else:
                assert report.erased_from_files is None
        # The other holders closing (and saving their FAISS files) brings nothing back.
        other.close()
        assert _files_holding(_store_folder(store_spec), needles) == {}
        # Only what was purged is gone.
        kept_hits = _files_holding(_store_folder(store_spec), _needles(kept))
        assert store_spec.backend != "sqlite" or kept_hits
        assert _tables_holding(mem, _needles(kept))
        assert mem.search(kept["kept"], "bob", k=1)[0].cube.content == f"bob keeps {kept['kept']} here"
        assert mem.search(markers["content2"], "alice", k=3) == []
        assert mem.check().ok
    finally:
        other.close()
        mem.close()


def test_purge_of_a_user_erases_every_file_trace(store_spec: StoreSpec, tmp_path: Path) -> None:
    markers = {f: _marker(f) for f in MARKER_FIELDS}
    mem = store_spec.open()
    try:
        _secret_cube(mem, {"user_id": "alice", "agent_id": "a1"}, markers)
        mem.add_many([f"alice note {i} {markers['content1']}" for i in range(30)], "alice")
        mem.add("bob's own note", "bob")
        with _other_process(store_spec, tmp_path, "alice", markers["content1"]):
            report = mem.purge(None, "alice", all_of_user=True)
            assert report.cubes == 31
            assert _files_holding(_store_folder(store_spec), _needles(markers)) == {}
            assert _tables_holding(mem, _needles(markers)) == {}
        assert mem.stats("bob").cubes == 1
    finally:
        mem.close()


def test_purge_says_when_a_reader_keeps_the_wal(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader in the middle of a transaction (another process's long query) keeps old
    pages in the WAL: purge says so instead of claiming an erasure it could not do."""
    from memos import admin
    from memos.facade import MemOS

    monkeypatch.setattr(admin, "PURGE_WAL_WAIT_S", 0.2)
    folder = tmp_path / "store"
    marker = _marker("content")
    with MemOS.open(str(folder)) as mem:
        cube = mem.add(f"text with {marker}", "alice")
        reader = sqlite3.connect(str(folder / "memos.db"), isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM cubes").fetchone()  # holds a snapshot
            report = mem.purge(cube.id, "alice")
            assert report.erased_from_files is False
            assert report.notes and "memos.db-wal" in report.notes[0]
        finally:
            reader.close()
        # Once the reader is gone, the next purge truncates the WAL: nothing remains.
        other = mem.add("something else", "alice")
        assert mem.purge(other.id, "alice").erased_from_files is True
        assert _files_holding(folder, {"m": marker[-10:].encode()}) == {}


def test_forget_leaves_no_term_in_the_fulltext_storage(store_spec: StoreSpec) -> None:
    markers = {f: _marker(f) for f in ("content1", "content2", "context")}
    mem = store_spec.open()
    try:
        mem.add_many([f"filler note {i} about tea" for i in range(30)], "alice")
        cube = mem.add(f"the first {markers['content1']} version", "alice",
                       metadata={"context": f"said after {markers['context']}"})
        mem.update(cube.id, "alice", content=f"the second {markers['content2']} version")
        assert mem.search(markers["content2"], "alice", k=1, retrievers=["fulltext"])
        mem.forget(cube.id, "alice")
        fts = "cube_fts"
        assert _tables_holding(mem, _needles(markers), only=fts) == {}
        # History keeps the text (by design): the erasure above is the index's alone.
        assert markers["content2"] in mem.history(cube.id, "alice")[-1].content
        assert mem.search(markers["content2"], "alice", k=1, retrievers=["fulltext"]) == []
        assert mem.search("filler tea", "alice", k=3, retrievers=["fulltext"])
        assert mem.check().ok
    finally:
        mem.close()


def _index_ids(spec: StoreSpec, mem: Any) -> tuple[int, set[int]]:
    """(seq, pks) of the FAISS files on disk."""
    vectors = mem._store.vectors
    meta = json.loads(vectors.meta_path.read_text())
    index = faiss.read_index(str(vectors.index_path))
    if meta.get("trained_n"):
        ids = {int(i) for i in vectors._ivf_ids(index)}
        if vectors.twin_path.exists():  # the twin's codes, saved beside the IVF
            ids |= {int(i) for i in vectors._ivf_ids(faiss.read_index(str(vectors.twin_path)))}
        return int(meta["seq"]), ids
    return int(meta["seq"]), {int(i) for i in faiss.vector_to_array(index.id_map)}


def test_a_stale_process_never_writes_a_purged_vector_back(store_spec: StoreSpec,
                                                           tmp_path: Path) -> None:
    marker = _marker("content")
    mem = store_spec.open()
    try:
        mem.add_many([f"filler note {i} about tea" for i in range(20)], "alice")
        cube = mem.add(f"the secret {marker} text", "alice")
        mem.flush()
        with mem._store.repo.read() as session:
            pk = mem._store.repo.row_by_id(session, cube.id).pk
        assert pk in _index_ids(store_spec, mem)[1]
        with _other_process(store_spec, tmp_path, "alice", marker, mode="save") as (line, go):
            stale_seq = int(line.split()[1])
            mem.purge(cube.id, "alice")
            seq_after_purge, ids = _index_ids(store_spec, mem)
            assert pk not in ids and seq_after_purge > stale_seq
            go.touch()  # the other process now marks its index changed and closes
        seq, ids = _index_ids(store_spec, mem)
        assert pk not in ids, "a process that opened the store before the purge wrote it back"
        assert seq >= seq_after_purge, "the index file moved backwards"
    finally:
        mem.close()


def test_a_stale_instance_in_this_process_catches_up_before_saving(store_spec: StoreSpec
                                                                   ) -> None:
    mem, stale = store_spec.open(), store_spec.open()
    try:
        cube = mem.add("a note to erase", "alice")
        mem.add("a note to keep", "alice")
        stale.search("note", "alice")
        with mem._store.repo.read() as session:
            pk = mem._store.repo.row_by_id(session, cube.id).pk
        assert pk in stale._store.vectors
        mem.purge(cube.id, "alice")
        stale._store.vectors.dirty += 1
        stale.flush()
        seq, ids = _index_ids(store_spec, mem)
        assert pk not in ids and seq == stale._store.vectors.seq
    finally:
        stale.close()
        mem.close()


def test_vector_files_refuse_to_move_backwards(tmp_path: Path) -> None:
    from memos.stores.vector_index import VectorIndex

    newer, older = (VectorIndex(tmp_path, 4, "e", store_id="s") for _ in range(2))
    vec = np.eye(4, dtype=np.float32)
    newer.add([1, 2], vec[:2])
    newer.seq = 9
    assert newer.save()
    older.add([1, 2, 3], vec[:3])
    older.seq = 5
    assert older.save() is False and older.dirty  # kept for a later save, after catching up
    loaded = VectorIndex(tmp_path, 4, "e", store_id="s")
    assert loaded.load() and loaded.seq == 9 and loaded.ids() == {1, 2}
    assert older.save(force=True)  # e.g. the files belong to a restored backup
    assert not list(tmp_path.glob("*.tmp"))


def test_bulk_purge_with_an_agent_takes_only_what_that_agent_may_purge(store_spec: StoreSpec
                                                                       ) -> None:
    from memos.errors import NotFoundError, ScopeError

    a1, a2 = {"user_id": "alice", "agent_id": "a1"}, {"user_id": "alice", "agent_id": "a2"}
    mem = store_spec.open()
    try:
        a1_private = mem.add("a1 private note", a1)
        a1_shared = mem.add("a1 shared note", {**a1, "visibility": "shared"})
        a2_private = mem.add("a2 private note", a2)
        no_agent = mem.add("alice note without agent", "alice")
        bob = mem.add("bob note", "bob")
        with pytest.raises((ScopeError, NotFoundError)):  # the single-cube rule
            mem.purge(a1_private.id, a2)
        report = mem.purge(None, a2, all_of_user=True)
        assert set(report.cube_ids) == {a2_private.id, no_agent.id}
        assert mem.get(a1_private.id, a1).content == "a1 private note"
        assert mem.get(a1_shared.id, a2)  # readable by a2, but not a2's to erase
        assert mem.get(bob.id, "bob")
        # The user as a whole (no agent): every cube of hers, whichever agent wrote it.
        report = mem.purge(None, "alice", all_of_user=True)
        assert a1_private.id in report.cube_ids and mem.stats("alice").cubes == 0
        assert mem.get(bob.id, "bob") and mem.check().ok
    finally:
        mem.close()


def test_purge_of_a_user_clears_the_reasons_of_earlier_purges_of_her_cubes(
        store_spec: StoreSpec, tmp_path: Path) -> None:
    """Review: a purge's own audit row keeps the caller's reason ("remove PIN 4821"), which
    may quote the cube; a later purge of the whole user cleared the reasons of rows naming
    the cubes it erased, but not of the rows of earlier purges (their cubes were gone).
    A purge of the user (or of what one agent may purge) now clears those too, and only
    those: another user's and another agent's purge reasons stay."""
    markers = {f: _marker(f) for f in ("one", "agent", "other_agent", "bob")}
    a1, a2 = {"user_id": "alice", "agent_id": "a1"}, {"user_id": "alice", "agent_id": "a2"}
    mem = store_spec.open()
    try:
        mem.purge(mem.add("alice's PIN", "alice").id, "alice", reason=f"PIN {markers['one']}")
        mem.purge(mem.add("a2 note", a2).id, a2, reason=f"a2 {markers['agent']}")
        mem.purge(mem.add("a1 note", a1).id, a1, reason=f"a1 {markers['other_agent']}")
        mem.purge(mem.add("bob's PIN", "bob").id, "bob", reason=f"bob {markers['bob']}")
        mem.add("alice keeps this", "alice")
        needles = _needles(markers)

        def reasons_left() -> set[str]:
            return set(_tables_holding(mem, needles, only="audit").get("audit_log", []))

        assert reasons_left() == set(markers)  # before (the test can fail): every reason
        mem.purge(None, a2, all_of_user=True)  # a2's cubes and alice's of no agent
        assert reasons_left() == {"bob", "other_agent"}
        mem.purge(None, "alice", all_of_user=True)
        assert reasons_left() == {"bob"}
        assert _files_holding(_store_folder(store_spec), {
            k: v for k, v in needles.items() if k != "bob"}) == {}
    finally:
        mem.close()


def test_gc_with_an_agent_scope_archives_only_what_that_agent_may_change(store_spec: StoreSpec
                                                                         ) -> None:
    from datetime import timedelta

    from memos.cube import Lifecycle, utcnow

    a1, a2 = {"user_id": "alice", "agent_id": "a1"}, {"user_id": "alice", "agent_id": "a2"}
    soon = utcnow() + timedelta(hours=1)
    mem = store_spec.open()
    try:
        cubes = {name: mem.add(f"{name} note", scope, expires_at=soon).id
                 for name, scope in (("a1", a1), ("a2", a2), ("alice", "alice"), ("bob", "bob"))}
        later = soon + timedelta(minutes=1)
        assert set(mem.gc(now=later, scope=a2).archived) == {cubes["a2"], cubes["alice"]}
        assert set(mem.gc(now=later, scope="alice").archived) == {cubes["a1"]}
        assert set(mem.gc(now=later).archived) == {cubes["bob"]}
        assert mem.history(cubes["a1"], a1)[-1].state == Lifecycle.ARCHIVED
    finally:
        mem.close()


def test_derived_cubes_of_another_agent_are_not_reached_through_their_source(
        store_spec: StoreSpec) -> None:
    from memos.cube import Lifecycle

    a1, a2 = {"user_id": "alice", "agent_id": "a1"}, {"user_id": "alice", "agent_id": "a2"}
    mem = store_spec.open()
    try:
        # A cube of alice's with no agent: both agents may change it, so both may derive
        # from it; each derived cube belongs to the agent that made it.
        source = mem.add("alice's fact about the garden", "alice")
        own = mem.add("a2's slots", a2, tier="activation", kind="slots",
                      derived_from=[{"cube_id": source.id, "version": 1}])
        theirs = mem.add("a1's slots", a1, tier="activation", kind="slots",
                         derived_from=[{"cube_id": source.id, "version": 1}])
        mem.forget(source.id, a2)
        assert mem.history(own.id, a2)[-1].state == Lifecycle.FORGOTTEN
        assert mem.get(theirs.id, a1).state == Lifecycle.ACTIVE  # a2 could not forget it
        mem.rollback(source.id, a2, 1)
        report = mem.purge(source.id, a2)
        assert set(report.cube_ids) == {source.id, own.id}
        assert report.derived_kept == 1 and "another agent" in report.notes[0]
        assert mem.get(theirs.id, a1).state == Lifecycle.ACTIVE
        # The user's own erasure (no agent) reaches every agent's derived cubes.
        other = mem.add("a1's fact", a1)
        derived = mem.add("slots of it", a1, tier="activation", kind="slots",
                          derived_from=[{"cube_id": other.id, "version": 1}])
        assert derived.id in mem.purge(None, "alice", all_of_user=True).cube_ids
    finally:
        mem.close()
