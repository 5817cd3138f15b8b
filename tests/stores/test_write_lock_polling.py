"""A writer waiting for another process's SQLite write lock tries again every
WRITE_POLL_S (stores/repository.py) instead of sleeping on SQLite's own busy handler, whose
waits grow to 100 ms; the busy timeout and its error stay what they were."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from memos import MemOS
from memos.errors import StoreError
from memos.stores import repository


def _busy() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorcode = 5  # type: ignore[attr-defined]
    return exc


class _FakeConnection:
    """A driver connection whose BEGIN IMMEDIATE fails as given, then succeeds."""

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql)
        if sql == "BEGIN IMMEDIATE" and self.failures:
            raise self.failures.pop(0)


def test_a_busy_lock_is_tried_again_until_it_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(repository.time, "sleep", sleeps.append)
    raw = _FakeConnection([_busy(), _busy(), _busy()])
    assert repository._begin_write_polling(raw, 30_000) is None
    assert sleeps == [repository.WRITE_POLL_S] * 3
    assert raw.statements[0] == "PRAGMA busy_timeout=0"
    assert raw.statements.count("BEGIN IMMEDIATE") == 4
    assert raw.statements[-1] == "PRAGMA busy_timeout=30000"  # SQLite's wait for the rest


def test_other_errors_and_a_spent_timeout_are_left_to_sqlite(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repository.time, "sleep", lambda s: None)
    raw = _FakeConnection([sqlite3.OperationalError("disk I/O error")])
    assert repository._begin_write_polling(raw, 30_000) is not None
    assert raw.statements.count("BEGIN IMMEDIATE") == 1
    damaged = sqlite3.DatabaseError("file is not a database")
    damaged.sqlite_errorcode = 26  # type: ignore[attr-defined]
    raw = _FakeConnection([damaged])  # (DatabaseError, not OperationalError)
    assert repository._begin_write_polling(raw, 30_000) is not None
    assert raw.statements.count("BEGIN IMMEDIATE") == 1
    raw = _FakeConnection([_busy()] * 5)
    assert repository._begin_write_polling(raw, 0) is not None  # no time left to wait
    assert raw.statements.count("BEGIN IMMEDIATE") == 1
    assert raw.statements[-1] == "PRAGMA busy_timeout=0"


def test_a_write_begins_once_another_connection_lets_go(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s"
    with MemOS.open(path, embedder="hashing") as mem:
        mem.add("a first note", "u")
        other = sqlite3.connect(str(path / "memos.db"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write, under way
        polls: list[float] = []

        def sleep(seconds: float) -> None:
            polls.append(seconds)
            if len(polls) == 3:
                other.execute("COMMIT")

        monkeypatch.setattr(repository.time, "sleep", sleep)
        added = mem.add("a second note, written once the lock is free", "u")
        monkeypatch.undo()
        assert len(polls) == 3
        assert mem.get(added.id, "u").content.startswith("a second note")
        other.close()


def test_a_lock_held_past_the_timeout_is_still_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with MemOS.open(path, embedder="hashing") as mem:
        mem.add("a first note", "u")
    other = sqlite3.connect(str(path / "memos.db"), isolation_level=None)
    try:
        with MemOS.open(path, embedder="hashing") as mem:
            other.execute("BEGIN IMMEDIATE")
            store = mem._store
            repo = store.repo
            engine = repository.make_engine(repo.url, busy_timeout_ms=50)
            try:
                with engine.execution_options(memos_write=True).connect() as conn:
                    with pytest.raises(Exception) as caught:
                        with repository._driver_errors(50):
                            conn.exec_driver_sql("SELECT 1")
                    assert isinstance(caught.value, StoreError)
                    assert "locked" in str(caught.value)
            finally:
                engine.dispose()
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_reads_begin_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = repository._begin_write_polling
    monkeypatch.setattr(repository, "_begin_write_polling",
                        lambda raw, ms: calls.append(ms) or real(raw, ms))
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add("a note", "u")
        writes = len(calls)
        assert writes >= 1
        mem.search("note", "u")
        mem.get(mem.search("note", "u")[0].id, "u")
        assert len(calls) == writes  # reads take no write lock
