"""`MemOS.list_memories`, the SDK call behind the MCP list_memories tool: the caller's own
live plaintext memories, newest first, in pages."""

from __future__ import annotations

from typing import Any

import pytest

from memos.cube import Scope
from memos.errors import InvalidInputError


def _all_pages(mem: Any, scope: Any, **kwargs: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = mem.list_memories(scope, cursor=cursor, **kwargs)
        ids += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def test_pages_newest_first_own_live_memories_only(mem: Any) -> None:
    added = [mem.add(f"Alice note number {i} about topic {i * 7}.", "alice").id
             for i in range(5)]
    pref = mem.add("Alice prefers green tea.", "alice", kind="preference").id
    mem.forget(added[0], "alice")
    mem.add("Bob's public note.", Scope(user_id="bob", visibility="public"))
    mem.add("Bob's private note.", "bob")
    mine = Scope(user_id="alice", agent_id="a1")
    agent_private = mem.add("Agent a1's own note.", mine).id

    first = mem.list_memories("alice", limit=2)
    assert len(first.items) == 2 and first.next_cursor is not None
    expected = [pref, *reversed(added[1:])]  # newest first; forgotten, bob's and a1's left out
    assert _all_pages(mem, "alice", limit=2) == expected
    assert _all_pages(mem, "alice", limit=100) == expected
    assert _all_pages(mem, mine, limit=3) == [agent_private, *expected]
    assert _all_pages(mem, Scope(user_id="alice", agent_id="a2")) == expected
    assert [c.id for c in mem.list_memories("alice", kind="preference").items] == [pref]
    assert mem.list_memories("carol").items == []


def test_bad_arguments(mem: Any) -> None:
    for kwargs in ({"limit": 0}, {"limit": 1001}, {"cursor": "abc"}, {"cursor": "-1"},
                   {"kind": "nope"}):
        with pytest.raises(InvalidInputError):
            mem.list_memories("alice", **kwargs)
