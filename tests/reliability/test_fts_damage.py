"""Damaged full-text segments: `check` says so, `--repair` and `reindex` rebuild them.

Zeroed pages in the FTS5 segment table left the index's list of rows whole, so `check`
(which compared only that list) said ok while every search silently found nothing by words;
`reindex` emptied the table by DELETE, which left the damaged segments in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memos import MemOS


def _damaged_store(folder: Path) -> None:
    mem = MemOS.open(folder, embedder="hashing")
    mem.add_many([{"content": f"note {i} about zebras and quokkas {i * 7}"} for i in range(300)],
                 "u")
    mem.close()
    db = sqlite3.connect(folder / "memos.db")
    db.execute("UPDATE cube_fts_data SET block = zeroblob(length(block)) WHERE id > 10")
    db.commit()
    db.close()


def _by_words(mem: MemOS) -> bool:
    return any("fulltext" in h.retrievers for h in mem.search("quokkas", "u", k=5))


@pytest.mark.parametrize("mend", ["repair", "reindex"])
def test_damaged_full_text_segments_are_reported_and_rebuilt(tmp_path: Path, mend: str) -> None:
    _damaged_store(tmp_path / "s")
    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    try:
        report = mem.check()
        assert not report.ok and not report.indexes["fulltext"].ok
        assert any("damaged" in p for p in report.problems)
        assert not _by_words(mem)
        if mend == "repair":
            assert mem.check(repair=True).repaired
        else:
            mem.reindex()
        assert mem.check().ok
        assert _by_words(mem)
    finally:
        mem.close()


def test_a_store_another_process_is_writing_is_not_called_damaged(tmp_path: Path) -> None:
    """The integrity check runs as a write: with another connection holding the write lock
    it failed "database is locked", which `check` reported as damage and `--repair` then
    rebuilt a sound index over."""
    from memos.config import MemosConfig

    folder = tmp_path / "s"
    mem = MemOS.open(folder, embedder="hashing", config=MemosConfig(busy_timeout_ms=200))
    try:
        mem.add("Alice keeps bees", "u")
        writer = sqlite3.connect(folder / "memos.db", timeout=0.1)
        writer.execute("BEGIN IMMEDIATE")
        try:
            report = mem.check()
            assert report.indexes["fulltext"].ok and not any("damaged" in p for p in report.problems)
        finally:
            writer.rollback()
            writer.close()
    finally:
        mem.close()
