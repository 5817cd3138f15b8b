"""A full disk (or a file size limit) while saving the vector index, or while SQLite writes,
and a damaged database file at open: a memos StoreError that says what was kept and what to
do, never the driver's or FAISS's error (the CLI showed "internal error" for an add it had
committed, and "is it a memos store?" for a damaged one); the store closes all the same."""

from __future__ import annotations

from pathlib import Path

import faiss
import pytest

from memos import MemOS
from memos.errors import StoreError


def test_a_vector_index_that_cannot_be_written_is_a_store_error(tmp_path: Path,
                                                                 monkeypatch) -> None:
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    mem.add("Alice keeps bees", "alice")

    def full(index, path):
        raise RuntimeError("Error in faiss::FileIOWriter ... (File too large)")

    monkeypatch.setattr(faiss, "write_index", full)
    with pytest.raises(StoreError, match="saved in the database") as err:
        mem.close()
    assert "memos check --repair" in str(err.value)
    monkeypatch.undo()
    with pytest.raises(StoreError, match="closed"):
        mem.search("bees", "alice")  # closed all the same
    again = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        assert [h.content for h in again.search("bees", "alice")] == ["Alice keeps bees"]
        assert not list((tmp_path / "s").glob("*.tmp"))
    finally:
        again.close()


def test_sqlite_full_is_a_store_error() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from memos.stores.repository import _driver_errors

    orig = sqlite3.OperationalError("database or disk is full")
    orig.sqlite_errorcode = 13  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="disk is full"):
        with _driver_errors(1000):
            raise OperationalError("INSERT ...", {}, orig)


def test_a_damaged_database_file_at_open_is_a_store_error_saying_restore(tmp_path: Path) -> None:
    import os

    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    mem.add_many([{"content": f"note {i} " * 20} for i in range(3000)], "u")
    mem.close()
    db = tmp_path / "s" / "memos.db"
    os.truncate(db, 1024 * 1024)
    with pytest.raises(StoreError, match="damaged .*restore the store from a backup"):
        MemOS.open(tmp_path / "s", embedder="hashing")
