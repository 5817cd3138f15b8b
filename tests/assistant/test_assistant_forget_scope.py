"""Forgetting through the assistant writes only into its own user's scope.

`forget_matching` stores again, on their own, the facts read from a turn it forgot. The
facts it is handed come from searches that also return other users' public cubes; one of
those must never be written again, in that user's scope or any other (here a forgotten cube
of another user is handed to it directly, as no search can hand one today).
"""

from __future__ import annotations

from memos import MemOS
from memos.assistant import Assistant


def test_a_kept_fact_of_another_user_is_never_written_again(monkeypatch) -> None:
    mem = MemOS.open(":memory:", embedder="hashing")
    try:
        theirs = mem.add("Alice's city is Quokkaway.", "alice", kind="fact",
                         metadata={"value": "Quokkaway"})
        mem.forget(theirs.id, "alice")  # reads as missing to anyone now
        cube = mem.history(theirs.id, "alice")[-1]
        bob = Assistant(mem, "bob", backend="extractive")
        bob.reply("I live in Lyon.", session_id="s1")
        monkeypatch.setattr(bob, "_said_beside", lambda found, needles, asked: ({cube.id: cube}, []))
        out = bob.forget_matching("that I live in Lyon")
        assert all(cid != cube.id for cid, _, _ in out)
        assert not [h for h in mem.search("Quokkaway", "alice", k=5) if "Quokkaway" in h.content]
        assert not [h for h in mem.search("Quokkaway", "bob", k=5) if "Quokkaway" in h.content]
    finally:
        mem.close()
