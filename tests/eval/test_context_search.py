"""Full text searches a cube's `metadata["context"]` at a lower weight than its content.

This is what lets a short reply be found through the question it answers (docs/RESULTS.md).
Runs on SQLite and, when MEMOS_TEST_PG_URL is set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_context_makes_a_reply_findable_but_content_ranks_first(
    open_store: Callable[..., Any],
) -> None:
    mem = open_store()
    reply = mem.add("Ben: Yes, last Saturday with my cousin!", scope="u", metadata={
        "context": "Ana: Did you go kayaking on the river?"})
    direct = mem.add("Ana: I love kayaking, it is my favourite sport.", scope="u")
    mem.add("Ben: The weather was lovely all week.", scope="u")
    hits = mem.search("kayaking", scope="u", k=5, retrievers=["fulltext"])
    ids = [h.id for h in hits]
    assert reply.id in ids  # found only through its context
    assert ids.index(direct.id) < ids.index(reply.id)  # the word in the content counts more
    # The context is searchable, never returned as content.
    found = next(h for h in hits if h.id == reply.id)
    assert "kayaking" not in found.content


def test_context_survives_update_and_leaves_with_it(open_store: Callable[..., Any]) -> None:
    mem = open_store()
    cube = mem.add("Ben: It was amazing!", scope="u", metadata={"context": "Ana: How was Lisbon?"})
    assert [h.id for h in mem.search("Lisbon", scope="u", retrievers=["fulltext"])] == [cube.id]
    mem.update(cube.id, "u", metadata={"context": "Ana: How was Porto?"})
    assert mem.search("Lisbon", scope="u", retrievers=["fulltext"]) == []
    assert [h.id for h in mem.search("Porto", scope="u", retrievers=["fulltext"])] == [cube.id]
    mem.forget(cube.id, "u")
    assert mem.search("Porto", scope="u", retrievers=["fulltext"]) == []
