"""An in-memory SQLite store leaves nothing behind: no vector files or blobs in the
working folder (where ./.memos, a real store's folder, would take them), none after close."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from memos import MemOS


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", ":memory:"])
def test_an_in_memory_store_writes_nothing_to_the_working_folder(
        tmp_path: Path, monkeypatch: Any, url: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".memos").mkdir()  # a real store's folder beside it stays untouched
    mem = MemOS.open(url, embedder="hashing")
    try:
        ids = [mem.add(f"I keep bees number {i}", scope="u").id for i in range(30)]
        mem.flush()
        mem._store.blobs.folder.mkdir(parents=True, exist_ok=True)  # what an activation makes
        folder = Path(mem._store.vectors.folder)
        assert folder.is_dir() and folder.resolve() != (tmp_path / ".memos").resolve()
        assert any(folder.iterdir())  # the FAISS files are written: just not here
        assert [h.id for h in mem.search("bees number 7", scope="u", k=1)] == [ids[7]]
    finally:
        mem.close()
    assert not folder.exists()
    assert os.listdir(tmp_path) == [".memos"] and not os.listdir(tmp_path / ".memos")


def test_an_in_memory_store_keeps_a_given_index_dir(tmp_path: Path) -> None:
    with MemOS.open("sqlite://", embedder="hashing", index_dir=tmp_path / "idx") as mem:
        mem.add("I keep bees", scope="u")
    assert any((tmp_path / "idx").iterdir())  # asked for: kept


def test_a_failed_open_removes_the_private_folder(tmp_path: Path, monkeypatch: Any) -> None:
    import tempfile

    made: list[Any] = []  # the folders themselves: no garbage collection removes them first
    real = tempfile.TemporaryDirectory

    def spy(*args: Any, **kwargs: Any) -> Any:
        folder = real(*args, **kwargs)
        made.append(folder)
        return folder

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    with pytest.raises(Exception, match="embedder"):
        MemOS.open("sqlite://", embedder="no-such-embedder-xyz")
    assert made and not any(Path(m.name).exists() for m in made)


def test_memory_as_sqlite3_spells_it_is_a_fresh_store_each_time_not_a_folder(
        tmp_path: Path, monkeypatch: Any) -> None:
    """`MemOS.open(":memory:")` made a folder named ":memory:" in the working folder, whose
    memories every later ":memory:" store then held."""
    monkeypatch.chdir(tmp_path)
    first = MemOS.open(":memory:", embedder="hashing")
    first.add("Alice likes green tea", "alice")
    first.close()
    monkeypatch.setenv("MEMOS_URL", ":memory:")
    for second in (MemOS.open(":memory:", embedder="hashing"), MemOS.open(embedder="hashing")):
        try:
            assert second.stats("alice").cubes == 0
            assert second.stats("alice").location == "sqlite://"
        finally:
            second.close()
    assert not os.listdir(tmp_path)
