"""Messages a fresh-eyes review (2026-12-05) found naming the wrong thing: a kind filter's
error listed the kinds of memos' own cubes, and an object whose "messages" was not a list
was said to hold no such object."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import InvalidInputError
from tests.cli.conftest import Run


def test_a_bad_kind_filter_lists_a_memorys_kinds(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add("a note", "alice")
        with pytest.raises(InvalidInputError) as info:
            mem.search("note", "alice", filters={"kind": "bogus"})
    message = str(info.value)
    assert "fact" in message and "episode" in message
    assert not any(k in message for k in ("slots", "state", "adapter", "checkpoint"))
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:  # as search(kind=) does
        with pytest.raises(InvalidInputError, match="memos gives its own"):
            mem.search("note", "alice", filters={"kind": ["fact", "slots"]})


def test_messages_that_are_not_a_list_say_so(memos_cli: Run) -> None:
    result = memos_cli("ingest", "-", "--session", "q", "-u", "alice",
                       stdin=b'{"messages": "hi"}\n')
    assert result.code == 2 and "'messages' holds str" in result.err
