"""Paths and names the file system refuses (a name too long, /proc, a file where a folder
goes, a folder where a file goes) are bad input to the SDK: a memos error that says what
to do, never a bare OSError; a flag of the wrong type is InvalidInputError before any work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memos import MemOS
from memos.errors import InvalidInputError, MemosError, StoreError

TOO_LONG = "n" * 300  # over NAME_MAX (255) of every common file system


@pytest.fixture
def mem(tmp_path: Path) -> Any:
    with MemOS.open(tmp_path / "store", embedder="hashing") as opened:
        opened.add("Ann's city is Oslo.", "alice")
        yield opened


@pytest.mark.parametrize("create", [True, False])
@pytest.mark.parametrize("where", [lambda tmp: str(tmp / TOO_LONG),
                                   lambda tmp: str(tmp / TOO_LONG / "memos.db"),
                                   lambda tmp: "/proc/self/no-such-store",
                                   lambda tmp: str(tmp / "a-file" / "store")],
                         ids=["long-folder", "long-db", "proc", "under-a-file"])
def test_opening_where_no_store_can_be_is_a_store_error(tmp_path: Path, where: Any,
                                                        create: bool) -> None:
    (tmp_path / "a-file").write_text("notes\n")
    with pytest.raises(StoreError, match="--store"):
        MemOS.open(where(tmp_path), create=create)


def test_an_embedder_name_too_long_for_a_path_is_invalid_input(mem: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown embedder"):
        mem.reindex(embedder=TOO_LONG)
    with pytest.raises(InvalidInputError, match="unknown embedder"):
        MemOS.open(tmp_path / "other", embedder=TOO_LONG)


def test_an_empty_embedder_name_is_invalid_input_not_the_working_folder(
        mem: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """"" was Path("") == the working folder, loaded as a model: a TypeError (REST: a 500)."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    before = [hit.id for hit in mem.search("anything", "alice")]
    with pytest.raises(InvalidInputError, match="embedder name is empty"):
        mem.reindex(embedder="")
    with pytest.raises(InvalidInputError, match="embedder name is empty"):
        MemOS.open(tmp_path / "other", embedder="")
    # a dimension of thousands of digits was int()'s ValueError; any number of digits is
    # a dimension, out of range when too large (it was "unknown embedder")
    for dim in ("9" * 5000, "99999999"):
        with pytest.raises(InvalidInputError, match="too large; use at most"):
            mem.reindex(embedder="hashing:" + dim)
    assert [hit.id for hit in mem.search("anything", "alice")] == before  # left as it was


def test_import_of_a_path_that_is_no_file_is_invalid_input(mem: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="import file"):
        mem.import_(str(tmp_path / TOO_LONG), "alice")
    with pytest.raises(InvalidInputError, match="is a folder"):
        mem.import_(tmp_path, "alice")


def test_a_model_path_too_long_is_a_memos_error(mem: Any) -> None:
    with pytest.raises(MemosError, match="not a checkpoint"):
        mem.recall("What is Ann's city?", "alice", model=TOO_LONG)


@pytest.mark.parametrize("flag", [[], "yes", None, 1])
def test_run_scheduler_refuses_a_dry_run_that_is_no_bool(mem: Any, flag: Any) -> None:
    with pytest.raises(InvalidInputError, match="dry_run"):
        mem.run_scheduler(dry_run=flag)


@pytest.mark.parametrize("name", ["vectors.lock", "vectors.json", "vectors.faiss"])
def test_index_files_that_cannot_be_written_are_a_store_error(tmp_path: Path, name: str
                                                              ) -> None:
    """A folder (or any file the OS refuses) where an index file goes is a StoreError that
    names the file and what to do, not a bare OSError; the store opens once it is moved."""
    folder = tmp_path / "s"
    with MemOS.open(folder) as mem:
        kept = mem.add("Ann lives in Oslo.", "alice")
    (folder / name).unlink()
    (folder / name).mkdir()
    with pytest.raises(StoreError, match=f"index files.*{name}.*move"):
        with MemOS.open(folder) as mem:
            mem.add("Bo lives in Lima.", "alice")
    (folder / name).rmdir()
    with MemOS.open(folder) as mem:
        assert [h.id for h in mem.search("Oslo", "alice")] == [kept.id]
