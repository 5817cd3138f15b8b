"""A SQLite store whose write lock another process holds past the busy timeout: a write
is a StoreError that says to retry (it was SQLAlchemy's OperationalError), and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memos import MemOS
from memos.config import MemosConfig
from memos.errors import StoreError


def test_a_write_on_a_locked_store_is_a_store_error_that_says_retry(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "store", config=MemosConfig(busy_timeout_ms=200)) as mem:
        first = mem.add("Ann keeps bees on her roof", "alice")
        other = sqlite3.connect(tmp_path / "store" / "memos.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process, mid-transaction
        try:
            with pytest.raises(StoreError, match="locked.*retry"):
                mem.add("Ann's bees make clover honey", "alice")
            with pytest.raises(StoreError, match="locked.*retry"):
                mem.forget(first.id, "alice")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert mem.get(first.id, "alice").version == 1
        assert mem.stats().live == 1


def _damage(db: Path) -> None:
    """Overwrite the middle of the database file, as a bad disk or a half-copied file does."""
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.seek(size // 3)
        handle.write(b"\xde\xad\xbe\xef" * (size // 12))


@pytest.mark.parametrize("call", ["export", "check"])
def test_a_damaged_database_is_a_store_error_and_check_finds_it(tmp_path: Path,
                                                                call: str) -> None:
    # The SDK raised SQLAlchemy's DatabaseError, and check() said "consistent".
    with MemOS.open(tmp_path / "store") as mem:
        mem.add_many([f"Ann planted {i} tulips in row {i} of her garden" for i in range(1500)],
                     "alice")
    _damage(tmp_path / "store" / "memos.db")
    with pytest.raises(StoreError, match="damaged.*backup"):  # on open, or in the call
        with MemOS.open(tmp_path / "store") as mem:
            if call == "export":
                mem.export("alice", tmp_path / "alice.jsonl")
            else:
                mem.check()


def test_check_reports_a_damaged_file_that_still_opens(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "store") as mem:
        mem.add_many([f"Ann planted {i} tulips in row {i} of her garden" for i in range(3000)],
                     "alice")
    db = tmp_path / "store" / "memos.db"
    with open(db, "r+b") as handle:  # a few pages in the middle of the file
        handle.seek(db.stat().st_size // 2)
        handle.write(b"\xde\xad\xbe\xef" * 5000)
    with MemOS.open(tmp_path / "store") as mem:  # its index files still answer searches
        with pytest.raises(StoreError, match="damaged.*backup"):
            mem.check()


def test_check_finds_an_index_out_of_step_with_its_table(tmp_path: Path) -> None:
    """An index whose entries no longer match its table passes `quick_check`; a listing
    then silently loses rows. `check` runs `integrity_check`, which compares them (a
    fresh-eyes operator, session 46: `memos check` said consistent), and says REINDEX
    mends that."""
    with MemOS.open(tmp_path / "store", embedder="hashing") as mem:
        mem.add_many([f"Hal note {i} about the garden" for i in range(13)], "hal")
    db = sqlite3.connect(tmp_path / "store" / "memos.db")
    db.execute("PRAGMA writable_schema=ON")  # the index now says other columns than it holds
    db.execute("UPDATE sqlite_master SET sql='CREATE INDEX ix_cubes_expires ON cubes "
               "(recorded_at)' WHERE name='ix_cubes_expires'")
    db.commit()
    db.close()
    db = sqlite3.connect(tmp_path / "store" / "memos.db")
    assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    db.close()
    with MemOS.open(tmp_path / "store", embedder="hashing") as mem:
        with pytest.raises(StoreError, match="missing from index.*REINDEX"):
            mem.check()
