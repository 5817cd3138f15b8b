"""An empty import file is refused: `memos import -` of nothing, or of blank lines only,
said "imported 0 cube(s)" and exited 0, so a backup cut off before it was written "restored"
fine. An export of a user with no memories still has its header line and imports as 0."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import InvalidInputError
from tests.cli.conftest import Run


@pytest.mark.parametrize("text", ["", "\n\n", "  \n\t\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    with MemOS.open(tmp_path / "s") as mem:
        with pytest.raises(InvalidInputError, match="empty"):
            mem.import_(io.StringIO(text), "alice")
        empty = tmp_path / "empty.jsonl"
        empty.write_text(text)
        with pytest.raises(InvalidInputError, match="header line"):
            mem.import_(empty, "alice")


def test_an_export_of_no_memories_imports_as_nothing(tmp_path: Path) -> None:
    # guard: a real export with its header only is a valid file
    with MemOS.open(tmp_path / "s") as mem:
        buf = io.StringIO()
        mem.export("nobody", buf)
        assert buf.getvalue().strip()
        report = mem.import_(io.StringIO(buf.getvalue()), "alice")
        assert report.imported == 0 and not report.errors


def test_the_cli_refuses_an_empty_import_and_creates_no_store(memos_cli: Run,
                                                             tmp_path: Path) -> None:
    where = tmp_path / "new-store"
    out = memos_cli("import", "-", "-u", "alice", "--store", str(where), stdin=b"")
    assert out.code == 2 and "empty" in out.err and "Traceback" not in out.err
    assert not where.exists()


def test_the_cli_warns_of_an_export_without_its_end_line(memos_cli: Run,
                                                          tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert memos_cli("add", "kept", "-u", "alice", "--store", store).code == 0
    whole = memos_cli("export", "-", "-u", "alice", "--store", store).out
    for text, warned in ((whole, False), (whole.splitlines(keepends=True)[0], True)):
        out = memos_cli("import", "-", "-u", "alice", "--store", str(tmp_path / "copy"),
                        stdin=text.encode())
        assert out.code == 0, out.err
        assert ("no end line" in out.err) is warned
