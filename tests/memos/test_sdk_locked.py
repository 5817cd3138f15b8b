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
