"""list_memories cursors: a cursor whose cube was purged since the page, and one naming
another user's cube, give the same error, which says to list again."""

from __future__ import annotations

from pathlib import Path

import pytest

from memos import MemOS
from memos.errors import InvalidInputError


def test_a_purged_cursor_cube_says_to_list_again_and_reveals_nothing(tmp_path: Path) -> None:
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        for i in range(5):
            mem.add(f"alice note {i}", scope="alice")
        bobs = mem.add("bob's private note", scope="bob").id
        page = mem.list_memories("alice", limit=2)
        assert page.next_cursor is not None
        # the cursor works while its cube is there, forgotten or not
        mem.forget(page.next_cursor, "alice")
        assert len(mem.list_memories("alice", limit=2, cursor=page.next_cursor).items) == 2
        mem.purge(page.next_cursor, "alice")
        with pytest.raises(InvalidInputError, match="list again without a cursor") as purged:
            mem.list_memories("alice", limit=2, cursor=page.next_cursor)
        with pytest.raises(InvalidInputError) as others:
            mem.list_memories("alice", limit=2, cursor=bobs)
        assert str(others.value) == str(purged.value)  # whose cube it was is not said
